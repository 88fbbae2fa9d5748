"""Declarative rule packs (top-level rules/*.yaml): semantic flag sites, claims, unreviewed sites.

The engine collects checkers with `load_packs(dirs)` and the catalogue lists `pack_rule_docs(dirs)`.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from patchcheck.report.finding import Finding
from patchcheck.rules.base import CheckContext, RuleDoc
from patchcheck.rules.packdir import DEFAULT_PACK_DIR
from patchcheck.rules.packs.checker import PackChecker
from patchcheck.source.tree import SourceTree

if TYPE_CHECKING:
    from patchcheck.rules.packs.spec import Pack, PackSet

__all__ = ["DEFAULT_PACK_DIR", "PackChecker", "check_series", "load_packs", "pack_rule_docs", "parse_pack"]


def load_packs(
    dirs: Iterable[Path] = (), *, builtin: bool = True, deferred: bool = False
) -> list[PackChecker]:
    """One checker running the built-in packs plus every *.yaml in `dirs` (files or directories). With
    `deferred`, they are loaded when the checker is first used (and a bad pack raises InputError then),
    and so is the pack model (patchcheck.rules.packs.loader)."""
    chosen = list(dirs)

    def load() -> PackSet:
        from patchcheck.rules.packs.loader import load_pack_set

        return load_pack_set(chosen, builtin=builtin)

    return [PackChecker(load if deferred else load())]


def parse_pack(source: str, where: str) -> Pack:
    """Validate one pack's text; `where` names it in errors (a path)."""
    from patchcheck.rules.packs.loader import parse_pack as parse

    return parse(source, where)


def pack_rule_docs(dirs: Iterable[Path] = (), *, builtin: bool = True) -> tuple[RuleDoc, ...]:
    return tuple(doc for checker in load_packs(dirs, builtin=builtin) for doc in checker.rules)


def check_series(
    series: Any,
    final_tree: SourceTree,
    *,
    patches: int | None = None,
    rule_dirs: Iterable[Path] = (),
    flags: frozenset[str] | None = None,
) -> list[Finding]:
    """Every pack rule on the tree after the series (the intake's last AppliedState.tree, or its EmptyTree
    overlay without --tree). Findings name the patch that introduced them; what the tree before the series
    already had is left out. One run on the final state is enough: families span patches by design."""
    count = patches if patches is not None else len(getattr(series, "patches", ()))
    ctx = CheckContext(tree=final_tree, series=series, patch_index=count, flags=flags)
    return [f for checker in load_packs(rule_dirs) for f in checker.run(ctx)]
