"""The registry rules (PC1xx-PC5xx): a flag's definition, smaps mnemonic, trace name, documentation and
Kconfig symbols must agree in every configuration. One module per site family."""

from __future__ import annotations

from patchcheck.rules.base import Checker
from patchcheck.rules.registry.definition import DefinitionChecker
from patchcheck.rules.registry.docs import DocsChecker
from patchcheck.rules.registry.kconfig import KconfigChecker
from patchcheck.rules.registry.smaps import SmapsChecker
from patchcheck.rules.registry.trace import TraceChecker


def registry_checkers() -> list[Checker]:
    return [DefinitionChecker(), SmapsChecker(), TraceChecker(), DocsChecker(), KconfigChecker()]


__all__ = ["registry_checkers"]
