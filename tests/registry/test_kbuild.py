"""Which configuration builds a .c file, read from its Makefile (PC101 needs it to avoid false uses)."""

from __future__ import annotations

from patchcheck.rules.registry.common import _condition_in_makefile
from patchcheck.source.guards import Opaque, Sym, conj, neg

MAKEFILE = """\
mmu-y\t\t\t:= nommu.o
mmu-$(CONFIG_MMU)\t:= highmem.o memory.o \\
\t\t\t   mlock.o
obj-y := filemap.o $(mmu-y)
ifdef CONFIG_64BIT
mmu-$(CONFIG_MMU)\t+= mseal.o
endif
ifeq ($(CONFIG_X),y)
obj-y += odd.o
else
obj-y += even.o
endif
obj-$(CONFIG_KSM) += ksm.o
"""


def test_override_idiom_builds_nommu_only_without_mmu() -> None:
    assert _condition_in_makefile(MAKEFILE, "nommu.o") == neg(Sym("MMU"))
    assert _condition_in_makefile(MAKEFILE, "mlock.o") == Sym("MMU")


def test_enclosing_ifdef_and_config_variable() -> None:
    assert _condition_in_makefile(MAKEFILE, "mseal.o") == conj(Sym("64BIT"), Sym("MMU"))
    assert _condition_in_makefile(MAKEFILE, "ksm.o") == Sym("KSM")


def test_unreadable_conditions_stay_opaque_and_unknown_objects_are_none() -> None:
    odd = _condition_in_makefile(MAKEFILE, "odd.o")
    even = _condition_in_makefile(MAKEFILE, "even.o")
    assert isinstance(odd, Opaque) and even == neg(odd)
    assert _condition_in_makefile(MAKEFILE, "absent.o") is None
