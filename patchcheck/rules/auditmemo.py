"""Audit reports kept between runs: an audit of a tree in which nothing it read has changed prints the
report of the audit before, without running a rule.

An audit of a directory journals what it asks of the tree (patchcheck.source.journal): the files it reads
or stamps, the directories it lists, and the files its greps read. Its report, the rule catalogue and the
symlinks out of the tree it did not follow are kept under a key naming the tree, the `--flag` selection,
the content of every rule pack in force and patchcheck's own code (as every cache key does), together with
the stamps of all it read. A later audit
whose stamps all still hold (stat only) reads them back; a single stale stamp and the audit runs again. A
git revision is not kept here: its products are cached by object id already.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from patchcheck.report.finding import Report
from patchcheck.rules.base import RuleDoc
from patchcheck.rules.packdir import pack_inputs
from patchcheck.source.cache import DiskCache, digest
from patchcheck.source.journal import Journal, Stamps, stamp
from patchcheck.source.tree import DirectoryTree, SourceTree

_NAMESPACE = "audit-report"


@dataclass(frozen=True)
class KeptAudit:
    stamps: Stamps
    report: Report
    catalogue: tuple[RuleDoc, ...]
    outside: dict[str, str]  # the symlinks out of the tree, whose notes are worded when printed


@dataclass
class AuditMemo:
    """The kept audit of one directory under one key."""

    tree: DirectoryTree
    key: str

    @classmethod
    def of(
        cls, tree: SourceTree, flags: frozenset[str] | None, pack_dirs: Sequence[Path]
    ) -> AuditMemo | None:
        """The memo of auditing `tree` (a directory) with these flags and packs; None when nothing can be
        kept (a git revision, the cache turned off, or a pack that cannot be read: the audit says why)."""
        cache = DiskCache()
        if not isinstance(tree, DirectoryTree) or cache.root is None:
            return None
        try:
            packs = pack_inputs(pack_dirs)
        except OSError:
            return None
        selection = "\0".join(sorted(flags)) if flags is not None else "(every flag)"
        return cls(tree, digest("audit-v1", str(tree.root), selection, *packs))

    def recall(self) -> KeptAudit | None:
        """The kept audit, if every stamp still holds."""
        kept = DiskCache().get(_NAMESPACE, self.key, KeptAudit)
        if not isinstance(kept, KeptAudit) or not kept.stamps.hold(self.tree.root):
            return None
        return kept

    def start(self) -> None:
        """Journal what the audit asks of the tree from now on."""
        self.tree.journal = Journal()

    def keep(self, report: Report, catalogue: tuple[RuleDoc, ...], *, since_ns: int) -> None:
        """Keep the report of the audit begun at `since_ns` (time.time_ns()), unless the tree changed
        while it ran."""
        stamps = stamp(self.tree.root, self.tree.journaled(), since_ns=since_ns)
        if stamps is not None:
            kept = KeptAudit(stamps, report, catalogue, dict(self.tree.outside))
            DiskCache().put(_NAMESPACE, self.key, kept)
