"""Kconfig scanning and the facts the SAT layer draws from it, on the `classic` fixture tree."""

from __future__ import annotations

from pathlib import Path

import pytest

from patchcheck.source.cache import DiskCache
from patchcheck.source.facts import Answer, ConfigFacts
from patchcheck.source.guards import Arch, Cmp, Opaque, Sym, conj, disj, neg
from patchcheck.source.kconfig import parse_expr, scan_kconfig
from patchcheck.source.kconfig_tree import load_kconfig
from patchcheck.source.tree import DirectoryTree

YES, NO, UNRESOLVED = Answer.YES, Answer.NO, Answer.UNRESOLVED


@pytest.fixture(scope="module")
def facts(fixtures_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> ConfigFacts:
    tree = DirectoryTree(fixtures_dir / "trees" / "classic")
    return ConfigFacts.from_tree(tree, DiskCache(tmp_path_factory.mktemp("cache")))


def test_scan_reads_entries_and_skips_help() -> None:
    text = """\
menu "M"
	depends on MENU_DEP

config FOO
	bool "Foo" if BAR
	default y if BAZ
	depends on QUX && !QUUX
	select SEL if COND
	help
		config NOT_IN_HELP
		depends on NOTHING

if OUTER
config INNER
	int
	default 3
endif
endmenu
source "dir/Kconfig"
rsource "Kconfig.sub"
"""
    scanned = scan_kconfig("x/Kconfig", text)
    foo, inner = scanned.definitions
    assert (foo.name, foo.kind, foo.prompt) == ("FOO", "bool", True)
    assert foo.depends == ("MENU_DEP", "QUX && !QUUX")
    assert foo.defaults == (("y", "BAZ"),)
    assert foo.selects == (("SEL", "COND"),)
    assert (inner.name, inner.kind, inner.depends, inner.defaults) == (
        "INNER",
        "int",
        ("MENU_DEP", "OUTER"),
        (("3", ""),),
    )
    sources = [(s.pattern, s.relative) for s in scanned.sources]
    assert sources == [("dir/Kconfig", False), ("Kconfig.sub", True)]


def test_kconfig_expressions() -> None:
    assert parse_expr("A && (B || !C)") == conj(Sym("A"), disj(Sym("B"), neg(Sym("C"))))
    assert parse_expr("A = n") == neg(Sym("A"))
    assert parse_expr("A != n") == Sym("A")
    assert parse_expr("X > 3") == Cmp("X", ">", 3)
    assert isinstance(parse_expr('"$(ARCH)" = "parisc"'), Opaque)
    assert parse_expr("4") == 4


def test_architectures_found_and_exclusive(facts: ConfigFacts) -> None:
    assert set(facts.db.arches) == {"arm", "arm64", "parisc", "powerpc", "sparc", "x86"}
    assert facts.overlap(Sym("X86"), Sym("ARM64")) is NO
    assert facts.overlap(Arch("x86"), Arch("powerpc")) is NO
    assert facts.implies(Sym("X86"), Arch("x86")) is YES  # defined only under arch/x86
    assert facts.implies(Arch("x86"), Sym("X86")) is YES  # prompt-less def_bool y there


def test_word_size_facts(facts: ConfigFacts) -> None:
    assert facts.implies(Sym("PPC32"), neg(Sym("64BIT"))) is YES
    assert facts.overlap(Sym("PPC32"), Sym("PPC64")) is NO
    assert facts.satisfiable(conj(Arch("arm"), Sym("64BIT"))) is NO  # arm defines no 64BIT
    assert facts.satisfiable(conj(Arch("x86"), neg(Sym("64BIT")))) is YES
    assert facts.implies(Sym("X86_32"), neg(Sym("64BIT"))) is YES
    assert facts.implies(Sym("SPARC64"), Sym("64BIT")) is YES
    assert facts.equivalent(conj(Arch("powerpc"), Sym("64BIT")), conj(Arch("powerpc"), Sym("PPC64"))) is YES
    assert facts.equivalent(Sym("64BIT"), Sym("PPC64")) is NO


def test_integer_symbols_take_per_arch_defaults(facts: ConfigFacts) -> None:
    more_than_3 = Cmp("ARCH_PKEY_BITS", ">", 3)
    more_than_4 = Cmp("ARCH_PKEY_BITS", ">", 4)
    pkeys = Sym("ARCH_HAS_PKEYS")
    assert facts.satisfiable(conj(Arch("arm64"), pkeys, more_than_3)) is NO  # 3 on arm64
    assert facts.satisfiable(conj(Arch("x86"), pkeys, more_than_3)) is YES  # 4 on x86
    assert facts.implies(conj(Arch("x86"), pkeys), more_than_3) is YES
    assert facts.implies(more_than_4, Arch("powerpc")) is YES  # only powerpc has 5
    assert facts.satisfiable(conj(neg(pkeys), Arch("parisc"), more_than_3)) is NO  # unset reads as 0


def test_select_and_depends_implications(facts: ConfigFacts) -> None:
    high = Sym("ARCH_USES_HIGH_VMA_FLAGS")
    assert facts.implies(Sym("ARM64_MTE"), high) is YES
    assert facts.implies(Sym("ARCH_HAS_PKEYS"), high) is YES
    assert facts.implies(high, Sym("64BIT")) is YES
    assert facts.implies(Sym("HAVE_ARCH_USERFAULTFD_MINOR"), Sym("64BIT")) is YES
    assert facts.implies(Sym("USERFAULTFD"), Sym("MMU")) is YES
    assert facts.implies(Sym("MEM_SOFT_DIRTY"), Sym("X86_64")) is YES
    assert facts.overlap(Sym("PAGE_SIZE_4KB"), Sym("PAGE_SIZE_64KB")) is NO  # one choice


def test_guard_equivalence_and_overlap(facts: ConfigFacts) -> None:
    droppable_def = disj(Sym("64BIT"), conj(neg(Sym("64BIT")), Sym("PPC32")))
    assert facts.equivalent(droppable_def, disj(Sym("64BIT"), Sym("PPC32"))) is YES
    assert facts.equivalent(droppable_def, Sym("64BIT")) is NO
    assert facts.overlap(conj(Sym("X86_USER_SHADOW_STACK")), Sym("ARM64_MTE")) is NO
    assert facts.witness(conj(Sym("PPC32"))) == {"ARCH": "powerpc", "CONFIG_PPC32": True}


def test_unknown_symbols_and_opaque_atoms(facts: ConfigFacts) -> None:
    assert not facts.symbol_exists("STACK_GROWS_UP")
    assert not facts.symbol_exists("NOT_A_SYMBOL")  # only mentioned in help text
    assert facts.satisfiable(Sym("STACK_GROWS_UP")) is NO  # never set, as in Kconfig
    vm_value = Opaque("VM_PKEY_BIT3")
    assert facts.implies(vm_value, Sym("64BIT")) is UNRESOLVED
    assert facts.implies(conj(Sym("64BIT"), vm_value), Sym("64BIT")) is YES
    assert facts.satisfiable(conj(Sym("X86"), Sym("ARM64"), vm_value)) is NO
    assert facts.satisfiable(disj(Sym("X86"), vm_value)) is YES
    assert not UNRESOLVED and YES and not NO


def test_opaque_atoms_are_quantified_exactly(facts: ConfigFacts) -> None:
    secret = Opaque("VM_SECRET")
    # true on arm64 whatever the opaque test says, although x86 configurations depend on it
    assert facts.satisfiable(disj(conj(Sym("X86"), secret), Sym("ARM64"))) is YES
    assert facts.satisfiable(conj(Sym("X86"), secret)) is UNRESOLVED
    assert facts.satisfiable(conj(Sym("X86"), disj(secret, neg(secret)))) is YES
    assert facts.implies(conj(Sym("X86"), secret), Arch("x86")) is YES


def test_tree_without_kconfig_knows_nothing(tmp_path: Path) -> None:
    (tmp_path / "include").mkdir()
    bare = ConfigFacts.from_tree(DirectoryTree(tmp_path), DiskCache(tmp_path / "cache"))
    assert not bare.has_kconfig
    assert bare.satisfiable(Sym("64BIT")) is YES and bare.satisfiable(neg(Sym("64BIT"))) is YES
    assert bare.overlap(Sym("X86"), Sym("ARM64")) is YES  # no architectures known to exclude


def test_source_lines_leaving_the_tree_are_ignored(tmp_path: Path) -> None:
    (tmp_path / "mm").mkdir()
    (tmp_path / "Kconfig").write_text(
        'source "mm/Kconfig"\nsource "../../etc/passwd"\nsource "/etc/passwd"\n'
        'source "mm/../mm/Kconfig.more"\nsource "mm/\\0x"\n'
    )
    (tmp_path / "mm" / "Kconfig").write_text('config INSIDE\n\tbool "inside"\n')
    (tmp_path / "mm" / "Kconfig.more").write_text('config MORE\n\tbool "more"\n')
    db = load_kconfig(DirectoryTree(tmp_path), DiskCache(tmp_path / "cache"))
    assert db.exists("INSIDE") and db.exists("MORE")
    assert set(db.sourced_from) == {"Kconfig", "mm/Kconfig", "mm/Kconfig.more"}


def test_imply_sets_a_promptless_symbol_but_leaves_a_prompt_to_the_user(tmp_path: Path) -> None:
    """`imply X if C` is a weak select: where the implier and C hold, a prompt-less X is set (as a select
    would set it); a prompted X may still be off. Two implied symbols, one of each kind."""
    (tmp_path / "arch" / "x86").mkdir(parents=True)
    (tmp_path / "Kconfig").write_text('source "arch/$(SRCARCH)/Kconfig"\n')
    (tmp_path / "arch" / "x86" / "Kconfig").write_text(
        "config X86\n\tdef_bool y\n\timply HIDDEN if WANT\n\timply SHOWN\n\n"
        'config WANT\n\tbool "want"\n\nconfig HIDDEN\n\tbool\n\nconfig SHOWN\n\tbool "shown"\n'
    )
    facts = ConfigFacts(load_kconfig(DirectoryTree(tmp_path), DiskCache(tmp_path / "cache")))
    assert facts.implies(Sym("WANT"), Sym("HIDDEN")) is YES
    assert facts.satisfiable(conj(neg(Sym("WANT")), Sym("HIDDEN"))) is NO  # nothing else can set it
    assert facts.satisfiable(neg(Sym("SHOWN"))) is YES
    assert facts.satisfiable(Sym("SHOWN")) is YES
