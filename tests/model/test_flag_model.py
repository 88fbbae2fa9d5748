"""The flag model on the fixture trees: every definition idiom, the registries, the guard resolution."""

from __future__ import annotations

from pathlib import Path

import pytest

from patchcheck.model import FlagModel, load_flag_model
from patchcheck.source.cache import DiskCache
from patchcheck.source.facts import Answer, ConfigFacts
from patchcheck.source.guards import TRUE, Cmp, Opaque, Sym, atoms, conj, disj, neg
from patchcheck.source.tree import DirectoryTree


def _load(fixtures_dir: Path, name: str, cache_dir: Path) -> tuple[FlagModel, ConfigFacts]:
    tree = DirectoryTree(fixtures_dir / "trees" / name)
    cache = DiskCache(cache_dir)
    return load_flag_model(tree, cache), ConfigFacts.from_tree(tree, cache)


@pytest.fixture(scope="module")
def classic(fixtures_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[FlagModel, ConfigFacts]:
    return _load(fixtures_dir, "classic", tmp_path_factory.mktemp("cache"))


@pytest.fixture(scope="module")
def enum_style(fixtures_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[FlagModel, ConfigFacts]:
    return _load(fixtures_dir, "enum-style", tmp_path_factory.mktemp("cache"))


def values(model: FlagModel, name: str) -> list[tuple[str, int | None, tuple[str, ...]]]:
    return [(v.value.kind, v.value.bit, v.value.via) for v in model.flags[name].variants]


def test_literal_bit_and_bitul_idioms(classic: tuple[FlagModel, ConfigFacts]) -> None:
    model, _ = classic
    assert values(model, "VM_READ") == [("bit", 0, ())]
    assert values(model, "VM_ARCH_1") == [("bit", 24, ())]
    assert values(model, "VM_MERGEABLE") == [("bit", 31, ())]
    assert values(model, "VM_SEALED") == [("bit", 63, ())]
    assert model.flags["VM_SEALED"].variants[0].guard == Sym("64BIT")
    assert model.flags["VM_DROPPABLE_BIT"].kind == "constant"
    assert values(model, "VM_DROPPABLE_BIT") == [("number", 40, ())]


def test_fallbacks_none_and_zero(classic: tuple[FlagModel, ConfigFacts]) -> None:
    model, _ = classic
    assert values(model, "VM_SOFTDIRTY") == [("bit", 27, ()), ("zero", None, ())]
    assert values(model, "VM_UFFD_MINOR") == [("bit", 38, ()), ("none", None, ())]
    assert [v.guard for v in model.flags["VM_UFFD_MISSING"].variants] == [Sym("MMU"), neg(Sym("MMU"))]


def test_high_arch_pool_and_pkeys(classic: tuple[FlagModel, ConfigFacts]) -> None:
    model, _ = classic
    high = Sym("ARCH_USES_HIGH_VMA_FLAGS")
    assert model.flags["VM_HIGH_ARCH_4"].kind == "slot"
    assert values(model, "VM_MTE")[0] == ("bit", 36, ("VM_HIGH_ARCH_4",))
    bit3 = model.flags["VM_PKEY_BIT3"].variants
    assert bit3[0].value.bit == 35
    assert bit3[0].guard == conj(Sym("ARCH_HAS_PKEYS"), Cmp("ARCH_PKEY_BITS", ">", 3), high)
    # the pool is undefined where the option does not select it: recorded, for the registry rules
    assert bit3[1].value.kind == "undefined"
    assert bit3[2].value.kind == "zero"


def test_arch_1_aliases_and_nested_elif(classic: tuple[FlagModel, ConfigFacts]) -> None:
    model, facts = classic
    for name, symbol in [
        ("VM_PAT", "X86"),
        ("VM_SAO", "PPC64"),
        ("VM_GROWSUP", "PARISC"),
        ("VM_SPARC_ADI", "SPARC64"),
        ("VM_ARM64_BTI", "ARM64"),
    ]:
        flag = model.flags[name]
        assert flag.kind == "flag"
        assert flag.bits == (24,)
        assert flag.variants[0].value.via == ("VM_ARCH_1",)
        assert facts.equivalent(flag.real_guard, Sym(symbol)) is Answer.YES, name
    clear = model.flags["VM_ARCH_CLEAR"]
    assert clear.kind == "mask"
    bti_clear = next(v for v in clear.variants if v.value.via[:1] == ("VM_ARM64_BTI",))
    assert facts.equivalent(bti_clear.guard, conj(Sym("ARM64"), Sym("ARM64_BTI"))) is Answer.YES
    assert values(model, "VM_GROWSUP")[1] == ("none", None, ())


def test_droppable_variants(classic: tuple[FlagModel, ConfigFacts]) -> None:
    model, facts = classic
    d64, d32, dnone = model.flags["VM_DROPPABLE"].variants
    assert (d64.value.bit, d64.guard) == (40, Sym("64BIT"))
    assert (d32.value.bit, d32.value.via) == (24, ("VM_ARCH_1",))
    assert facts.equivalent(d32.guard, Sym("PPC32")) is Answer.YES
    assert dnone.value.kind == "none"
    real_guard = model.flags["VM_DROPPABLE"].real_guard
    assert facts.equivalent(real_guard, disj(Sym("64BIT"), Sym("PPC32"))) is Answer.YES


def test_masks_and_region(classic: tuple[FlagModel, ConfigFacts]) -> None:
    model, _ = classic
    assert model.flags["VM_ACCESS_FLAGS"].kind == "mask"
    assert model.flags["VM_ACCESS_FLAGS"].variants[0].value.members == ("VM_READ", "VM_WRITE", "VM_EXEC")
    assert model.flags["VM_STACK"].kind == "mask"
    assert "VM_TOY_UNMAPPED_AREA_TOPDOWN" not in model.flags  # far from the flag definitions


def test_smaps_registry(classic: tuple[FlagModel, ConfigFacts]) -> None:
    model, _ = classic
    assert model.smaps is not None
    by_flag = {e.flag: e for e in model.smaps}
    assert by_flag["VM_READ"].mnemonic == "rd" and by_flag["VM_READ"].local_guard == TRUE
    assert by_flag["VM_READ"].guard == Sym("PROC_PAGE_MONITOR")
    assert by_flag["VM_DROPPABLE"].local_guard == disj(Sym("64BIT"), Sym("PPC32"))
    assert by_flag["VM_MTE_ALLOWED"].mnemonic == ""
    assert by_flag["VM_PKEY_BIT3"].local_guard == conj(Sym("ARCH_HAS_PKEYS"), Opaque("VM_PKEY_BIT3"))
    assert by_flag["VM_PKEY_BIT4"].local_guard == conj(Sym("ARCH_HAS_PKEYS"), Cmp("ARCH_PKEY_BITS", ">", 4))
    assert by_flag["VM_SEALED"].line == 51


def test_value_tests_resolve_through_the_definitions(classic: tuple[FlagModel, ConfigFacts]) -> None:
    model, facts = classic
    entry = model.smaps_for("VM_PKEY_BIT3")[0]
    resolved = model.resolve(entry.local_guard)
    assert not any(isinstance(a, Opaque) for a in atoms(resolved))
    assert facts.equivalent(resolved, model.flags["VM_PKEY_BIT3"].real_guard) is Answer.YES
    more_than_3 = Cmp("ARCH_PKEY_BITS", ">", 3)
    assert facts.implies(entry.local_guard, more_than_3) is Answer.UNRESOLVED  # as written: a VM_* value test
    assert facts.implies(resolved, more_than_3) is Answer.YES


def test_trace_registry(classic: tuple[FlagModel, ConfigFacts]) -> None:
    model, facts = classic
    assert model.trace is not None
    names = {e.name: e for e in model.trace}
    assert names["read"].guard == TRUE and names["read"].wrapper is None and names["read"].line == 34
    assert names["droppable"].wrapper == "IF_HAVE_VM_DROPPABLE" and names["droppable"].wrapper_line == 28
    assert names["droppable"].guard == disj(Sym("64BIT"), Sym("PPC32"))
    assert names["softdirty"].guard == Sym("MEM_SOFT_DIRTY")
    arch = [e for e in model.trace if e.arch_specific]
    assert [(e.flag, e.name) for e in arch] == [
        ("VM_PAT", "pat"),
        ("VM_SAO", "sao"),
        ("VM_GROWSUP", "growsup"),
        ("VM_MAPPED_COPY", "mappedcopy"),
        ("VM_ARCH_1", "arch_1"),
    ]
    assert {e.line for e in arch} == {42}
    assert facts.overlap(arch[0].guard, arch[4].guard) is Answer.NO


def test_doc_table(classic: tuple[FlagModel, ConfigFacts]) -> None:
    model, _ = classic
    assert model.doc is not None
    codes = [c.code for c in model.doc.codes]
    assert codes[:3] == ["rd", "wr", "ex"] and "zz" in codes and "dp" not in codes
    assert model.doc.border_widths == (2, 30)
    assert model.documented("sl") and not model.documented("dp")


def test_enum_style(enum_style: tuple[FlagModel, ConfigFacts]) -> None:
    model, facts = enum_style
    assert values(model, "VM_READ") == [("bit", 0, ())]
    assert values(model, "VM_SAO") == [("bit", 24, ("VM_ARCH_1",))]
    assert values(model, "VM_PKEY_BIT0")[0] == ("bit", 32, ("VM_HIGH_ARCH_0",))
    assert values(model, "VM_SEALED") == [("bit", 42, ()), ("none", None, ())]
    assert facts.equivalent(model.flags["VM_GROWSUP"].real_guard, Sym("PARISC")) is Answer.YES
    assert model.smaps is not None
    assert {e.flag: e.mnemonic for e in model.smaps}["VM_DROPPABLE"] == "dp"
    assert model.trace is None and model.doc is None  # registries absent from this tree


def test_slot_cases_follow_ilog2(classic: tuple[FlagModel, ConfigFacts]) -> None:
    model, _ = classic
    cases = [(guard, slot) for guard, slot, _ in model.slot_cases("VM_DROPPABLE")]
    assert [slot for _, slot in cases] == [40, 24, 0]  # VM_NONE -> ilog2(0) == 0, the "rd" slot
    assert [slot for _, slot, _ in model.slot_cases("VM_PKEY_BIT3")] == [35, None, 0]
    assert model.slot_cases("VM_NO_SUCH_FLAG") == []


def _long_style_b_mm_h(comment_lines: int) -> str:
    """A style-B mm.h laid out like mainline's: VM_NONE first, a long enum, then the masks with long comment
    blocks between groups (the enum and comments make gaps of many lines without a VM_ #define)."""
    entries = "".join(f"\tDECLARE_VMA_BIT(FILL{n}, {n}),\n" for n in range(2, 60))
    comment = "/*\n" + "".join(f" * explanation line {n}\n" for n in range(comment_lines)) + " */\n"
    return (
        "#define VM_NONE\t0x00000000\n\n"
        "#define DECLARE_VMA_BIT(name, bitnum) VMA_ ## name ## _BIT = ((__force vma_flag_t)bitnum)\n"
        "enum {\n\tDECLARE_VMA_BIT(READ, 0),\n\tDECLARE_VMA_BIT(WRITE, 1),\n"
        + entries
        + "#ifdef CONFIG_64BIT\n\tDECLARE_VMA_BIT(DROPPABLE, 40),\n\tDECLARE_VMA_BIT(SEALED, 42),\n"
        "#endif\n};\n"
        "#undef DECLARE_VMA_BIT\n#define INIT_VM_FLAG(name) BIT((__force int) VMA_ ## name ## _BIT)\n"
        + comment
        + "#define VM_READ\tINIT_VM_FLAG(READ)\n#define VM_WRITE\tINIT_VM_FLAG(WRITE)\n"
        + comment
        + "#ifdef CONFIG_64BIT\n#define VM_DROPPABLE\tINIT_VM_FLAG(DROPPABLE)\n"
        "#define VM_SEALED\tINIT_VM_FLAG(SEALED)\n"
        "#else\n#define VM_DROPPABLE\tVM_NONE\n#define VM_SEALED\tVM_NONE\n#endif\n"
    )


@pytest.mark.parametrize("flag", ["VM_READ", "VM_DROPPABLE", "VM_SEALED"])
def test_long_enums_and_comment_blocks_do_not_end_the_flag_section(flag: str) -> None:
    from patchcheck.model.flags import read_flags
    from patchcheck.source.preproc import preprocess

    flags = read_flags("include/linux/mm.h", preprocess(_long_style_b_mm_h(80)))
    assert flag in flags
    assert flags[flag].bits == ({"VM_READ": 0, "VM_DROPPABLE": 40, "VM_SEALED": 42}[flag],)
