"""What every rule is and what it is given: the small core the registry rules and the rule packs share.

A *checker* owns one or more rules (each with a stable id and documentation, ruff-style) and, given a
`CheckContext`, yields findings. The engine runs checkers; reporting is done elsewhere.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from typing import Any, Protocol

from patchcheck.report.finding import Finding, Severity
from patchcheck.source.tree import SourceTree


@dataclass(frozen=True)
class RuleDoc:
    """A rule's catalogue entry: what `patchcheck rules ID` prints."""

    id: str  # stable code, e.g. "PC201"; never reused
    name: str  # kebab-case, e.g. "smaps-guard-mismatch"
    severity: Severity  # default severity
    summary: str  # one line
    what: str  # "What it does"
    why: str  # "Why it matters"
    example: str  # a short kernel-shaped example that fires
    fix: str = ""  # how to fix, one line (the default hint)
    scope: tuple[str, ...] = ()  # field-guide rules covered, e.g. ("R6", "R17")
    # Files the rule must read; without them it is reported as skipped, never as clean.
    needs: tuple[str, ...] = ()
    # True when the rule can decide from the diffs alone (verify without --tree).
    diff_only: bool = False
    origin: str = "builtin"  # "builtin" or the rule pack file it came from
    # False for rules about a flag's behaviour (semantic sites, promises): a series may wire them up over
    # several patches, and until the flag can be set an intermediate commit is not broken by the gap.
    # Verify's PC001 (not bisectable) counts only intermediate findings of rules where this is True.
    bisect: bool = True
    # The registry table the rule is about (a file): when a series edits that table, the gaps in it that
    # predate the series are reported too, as pre-existing and one severity lower.
    table: str = ""


@dataclass
class CheckContext:
    """What a checker may look at."""

    tree: SourceTree
    # Restrict findings to these flags (audit --flag); None means every flag.
    flags: frozenset[str] | None = None
    # Shared, lazily-built artefacts (e.g. the flag model) keyed by name, so checkers never build them twice.
    cache: dict[str, Any] = field(default_factory=dict)
    # Set by verify: the series being checked (patchcheck.intake types) and the 1-based patch index whose
    # resulting tree this is.
    series: Any = None
    patch_index: int | None = None
    # Shared by every state of one verify run (the engine passes the same dict): artefacts keyed by what
    # they were built from (e.g. the flag model by the content of its files), so states that did not
    # change those files share them.
    memo: dict[Any, Any] = field(default_factory=dict)
    # What a checker wants said once in the text report (not a finding), e.g. which reminders it held back.
    notes: list[str] = field(default_factory=list)


class Checker(Protocol):
    """One unit of checking; owns the rules it reports under."""

    @property
    def rules(self) -> tuple[RuleDoc, ...]: ...

    def run(self, ctx: CheckContext) -> Iterable[Finding]: ...


class PreparedChecker(Checker, Protocol):
    """A checker with work that another process can do ahead of it (`prepare`), through the disk cache: in
    a forked run the process that does not run the checker prepares for it while the other reads on
    (patchcheck.rules.states). Only ever a speed-up: the checker makes anything not prepared itself."""

    def prepare(self, ctx: CheckContext) -> None: ...


class TreeChecker(Checker, Protocol):
    """A checker whose findings depend only on `ctx.flags` and on the tree files `reads` accepts (never
    on the series): verify reuses its findings for a state whose changes from the state before touch
    none of those files."""

    def reads(self, path: str) -> bool: ...


_PLACEHOLDER = re.compile(r"\bVM_X\b|\bthe flag's\b|\bthe flag\b")


def quote_flag(found: Finding) -> Finding:
    """The finding with a fix hint that names its flag: a rule's generic fix says `VM_X` or "the flag";
    the hint under review says `VM_SCRATCH`."""
    flag, hint = found.flag, found.hint
    if not flag or not hint or flag in hint:
        return found

    def name(match: re.Match[str]) -> str:
        return f"{flag}'s" if match.group(0).endswith("'s") else flag

    quoted = _PLACEHOLDER.sub(name, hint, count=1)
    if quoted == hint:
        quoted = f"{flag}: {hint[:1].lower()}{hint[1:]}"
    return replace(found, hint=quoted)
