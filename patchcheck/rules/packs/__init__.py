"""Declarative rule packs (top-level rules/*.yaml): semantic flag sites, claims, unreviewed sites.

The engine collects checkers with `load_packs(dirs)` and the catalogue lists `pack_rule_docs(dirs)`.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from patchcheck.rules.base import RuleDoc
from patchcheck.rules.packs.checker import PackChecker
from patchcheck.rules.packs.loader import DEFAULT_PACK_DIR, load_pack_set, parse_pack

__all__ = ["DEFAULT_PACK_DIR", "PackChecker", "load_packs", "pack_rule_docs", "parse_pack"]


def load_packs(dirs: Iterable[Path] = (), *, builtin: bool = True) -> list[PackChecker]:
    """One checker running the built-in packs plus every *.yaml in `dirs` (files or directories)."""
    return [PackChecker(load_pack_set(dirs, builtin=builtin))]


def pack_rule_docs(dirs: Iterable[Path] = (), *, builtin: bool = True) -> tuple[RuleDoc, ...]:
    return tuple(doc for checker in load_packs(dirs, builtin=builtin) for doc in checker.rules)
