"""The VM_* flag model and its registries (smaps mnemonics, trace names, proc.rst); see `load_flag_model`.

Kconfig symbols and configuration questions live in `patchcheck.source.facts.ConfigFacts`.
"""

from patchcheck.model.flags import FlagDef, FlagValue, Variant
from patchcheck.model.load import FlagModel, load_flag_model
from patchcheck.model.registries import DocCode, DocTable, SmapsEntry, TraceEntry

__all__ = [
    "DocCode",
    "DocTable",
    "FlagDef",
    "FlagModel",
    "FlagValue",
    "SmapsEntry",
    "TraceEntry",
    "Variant",
    "load_flag_model",
]
