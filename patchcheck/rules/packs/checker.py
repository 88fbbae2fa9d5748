"""The checker that runs a set of rule packs: family members, claims, unreviewed sites, special rules.

Light to import: what judges a state (patchcheck.rules.packs.judgement) is imported when the packs first
run, after the engine has forked the registry checkers' child (patchcheck.rules.states).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import cached_property
from typing import TYPE_CHECKING, Any

from patchcheck.report.finding import Finding
from patchcheck.rules.base import CheckContext, RuleDoc
from patchcheck.rules.packs.meta import META_RULES

if TYPE_CHECKING:
    from patchcheck.rules.packs.relevance import Relevance
    from patchcheck.rules.packs.spec import PackRule, PackSet

# Kinds that can decide from the diffs alone (verify without --tree).
_DIFF_KINDS = ("family", "read-after-call", "uapi-mirror", "rust-helpers")


def rule_doc(rule: PackRule) -> RuleDoc:
    return RuleDoc(
        id=rule.id,
        name=rule.name,
        severity=rule.severity,
        summary=rule.title,
        what=rule.doc,
        why=rule.why or rule.doc,
        example=rule.example,
        fix=rule.fix,
        scope=rule.scope,
        needs=rule.needs or tuple(dict.fromkeys(m.site.file for m in rule.members)),
        diff_only=rule.kind in _DIFF_KINDS,
        origin=rule.origin,
        bisect=rule.kind != "family",
    )


class PackChecker:
    """Every rule of a PackSet, plus the meta rules (claims, coverage, unreviewed sites)."""

    parses_c = True  # the engine may run it beside the registry checkers, on another core

    def __init__(self, packs: PackSet | Callable[[], PackSet]) -> None:
        """`packs`, or what loads them when first needed: with a second core, the engine forks the registry
        checkers' child first (patchcheck.rules.states), so that loading overlaps their work."""
        self._load = packs if callable(packs) else lambda: packs

    @cached_property
    def packs(self) -> PackSet:
        return self._load()

    @cached_property
    def rules(self) -> tuple[RuleDoc, ...]:
        return tuple(rule_doc(r) for r in self.packs.rules) + META_RULES

    @cached_property
    def _relevance(self) -> Relevance:
        from patchcheck.rules.packs.relevance import Relevance

        return Relevance(self.packs)

    def run(self, ctx: CheckContext) -> Iterable[Finding]:
        from patchcheck.rules.packs.judgement import Run

        run = Run(self.packs, ctx)
        found = sorted(run.findings(), key=Finding.sort_key)
        ctx.notes.extend(run.notes())
        return found

    def relevant_patch(self, series: Any, index: int) -> bool:
        """Whether patch `index` can change what the packs find other than through the files it changes
        (patchcheck.rules.reuse, patchcheck.rules.packs.relevance)."""
        return self._relevance.relevant(series, index)
