"""Where the built-in rule packs are: a leaf module, so that finding them imports no rule code."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path


def _default_pack_dir() -> Path:
    """rules/ of a source checkout, or the copy a wheel carries as patchcheck/_packs."""
    here = Path(__file__).resolve()
    installed = here.parents[1] / "_packs"
    return installed if installed.is_dir() else here.parents[2] / "rules"


DEFAULT_PACK_DIR = _default_pack_dir()


def pack_inputs(dirs: Sequence[Path]) -> list[bytes]:
    """The built-in packs and those in `dirs` (directories or files), as (name, content) parts: what a key
    for a result of the rules must hold. OSError when one cannot be read."""
    files: list[Path] = []
    for entry in (DEFAULT_PACK_DIR, *dirs):
        if entry.is_dir():
            files += sorted(p for p in entry.iterdir() if p.suffix in (".yaml", ".yml"))
        else:
            files.append(entry)
    return [part for f in files for part in (str(f).encode(), f.read_bytes())]
