"""Where the built-in rule packs are: a leaf module, so that finding them imports no rule code."""

from __future__ import annotations

from pathlib import Path


def _default_pack_dir() -> Path:
    """rules/ of a source checkout, or the copy a wheel carries as patchcheck/_packs."""
    here = Path(__file__).resolve()
    installed = here.parents[1] / "_packs"
    return installed if installed.is_dir() else here.parents[2] / "rules"


DEFAULT_PACK_DIR = _default_pack_dir()
