"""The packs' C helpers live in `patchcheck.source.csrc` (one guarded C layer for every rule); this name is
kept so rule code written against the old path still imports."""

from patchcheck.source.csrc import *  # noqa: F403
from patchcheck.source.csrc import CSource, Function, source

__all__ = ["CSource", "Function", "source"]
