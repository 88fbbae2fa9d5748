"""Verify reports the hooks already have: one check of a series serves every patch of it.

b4 and git send-email run a hook once per patch, and each run verifies the whole series the patch belongs
to (patchcheck.hooks.outgoing). The report of the first run is kept in the cache, keyed by everything that
decides it: the series as mailed, the repository and the commit it is checked at, the settings, the
configuration file and rule packs in force, and patchcheck's own code (every cache key has that). The other
patches' runs read it instead of verifying the same series again.

Only a check at a commit id is kept: a commit names its content for good, while a work tree can change
between two runs. What is kept is verify's JSON report, read back through the same parser as a fresh one.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Sequence
from pathlib import Path

from patchcheck.errors import InputError
from patchcheck.source.cache import DiskCache, digest

_COMMIT_ID = re.compile(r"[0-9a-f]{40}|[0-9a-f]{64}")
_NAMESPACE = "hook-verify-report"
Stored = tuple[int, str]  # verify's exit status (0 or 1) and its JSON report


def report_key(mbox: bytes, *, tree: Path, rev: str | None, settings: Sequence[str]) -> str | None:
    """The key of the report of verifying `mbox` at `rev` of `tree`, or None when it may not be kept (no
    commit id, or the settings cannot be read: then verify runs and says why)."""
    if rev is None or not _COMMIT_ID.fullmatch(rev):
        return None
    inputs = _rule_inputs(settings)
    if inputs is None:
        return None
    return digest("hook-verify-v1", mbox, str(tree), rev, "\0".join(settings), *inputs)


def _rule_inputs(settings: Sequence[str]) -> list[bytes] | None:
    """The configuration file and every rule pack verify would read, as (name, content) parts."""
    from patchcheck.config import load_config
    from patchcheck.rules.packdir import pack_inputs

    explicit = next((Path(v) for k, v in itertools.pairwise(settings) if k == "--config"), None)
    try:
        config = load_config(explicit)
        settings_file = [] if config.path is None else [str(config.path).encode(), config.path.read_bytes()]
        return settings_file + pack_inputs(config.rules)
    except (InputError, OSError, ValueError):
        return None


def recall(key: str | None) -> Stored | None:
    if key is None:
        return None
    stored = DiskCache().get(_NAMESPACE, key, tuple[int, str])
    return stored if isinstance(stored, tuple) and stored[0] in (0, 1) else None


def keep(key: str | None, status: int, report: str) -> None:
    if key is not None and status in (0, 1):
        DiskCache().put(_NAMESPACE, key, (status, report))
