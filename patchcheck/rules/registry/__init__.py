"""The registry rules (PC1xx-PC5xx): a flag's definition, smaps mnemonic, trace name, documentation and
Kconfig symbols must agree in every configuration. One module per site family."""

from __future__ import annotations

from collections.abc import Iterable

from patchcheck.model.load import load_model_tables
from patchcheck.report.finding import Finding
from patchcheck.rules.base import CheckContext, Checker, RuleDoc
from patchcheck.rules.registry.common import registry, registry_reads
from patchcheck.rules.registry.declarations import DeclarationChecker
from patchcheck.rules.registry.definition import DefinitionChecker
from patchcheck.rules.registry.docs import DocsChecker
from patchcheck.rules.registry.kconfig import KconfigChecker
from patchcheck.rules.registry.mirror import MirrorChecker
from patchcheck.rules.registry.series import SeriesChecker
from patchcheck.rules.registry.smaps import SmapsChecker
from patchcheck.rules.registry.trace import TraceChecker
from patchcheck.rules.registry.uses import (
    UndefinedUseChecker,
    begin_reference_search,
    reads_references,
    start_reference_search,
)
from patchcheck.source.cache import DiskCache


def registry_checkers() -> list[Checker]:
    # The use rule (PC101) runs last (the engine runs `collects_search` checkers after all others): its search
    # of the tree for flag uses starts with the first checker and runs in the background meanwhile.
    return [
        StartReferenceSearch(),
        SmapsChecker(),
        TraceChecker(),
        DocsChecker(),
        KconfigChecker(),
        DefinitionChecker(),
        SeriesChecker(),
        DeclarationChecker(),
        MirrorChecker(),
        UndefinedUseChecker(),
    ]


class StartReferenceSearch:
    """Owns no rule: starts the background search PC101 collects."""

    rules: tuple[RuleDoc, ...] = ()

    def reads(self, path: str) -> bool:
        return registry_reads(path) or reads_references(path)

    def prepare(self, ctx: CheckContext) -> None:
        """The flag model's tables (smaps, trace, proc.rst): the registry needs them after the Kconfig facts,
        and finds them in the cache (patchcheck.rules.base.PreparedChecker)."""
        if not ctx.cache.get("diff_only") and DiskCache().root is not None:
            load_model_tables(ctx.tree)

    def run(self, ctx: CheckContext) -> Iterable[Finding]:
        begin_reference_search(ctx)  # from mm.h alone: the search runs while the Kconfig facts are built
        start_reference_search(ctx, registry(ctx))
        return ()


__all__ = ["registry_checkers"]
