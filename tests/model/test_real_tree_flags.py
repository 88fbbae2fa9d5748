"""The flag model on Debian's linux-source-6.12, checked against a reading of the tree by hand.

What we read in include/linux/mm.h, fs/proc/task_mmu.c, include/trace/events/mmflags.h, proc.rst and the
Kconfig files (6.12): see the field guide's "known state" and the comments below.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from patchcheck.model import FlagModel, load_flag_model
from patchcheck.model.table import live_variants
from patchcheck.source.facts import Answer, ConfigFacts
from patchcheck.source.guards import Arch, Cmp, Sym, conj, disj, neg
from patchcheck.source.tree import DirectoryTree

pytestmark = pytest.mark.realtree
YES, NO = Answer.YES, Answer.NO


@pytest.fixture(scope="module")
def real(real_tree: Path) -> tuple[FlagModel, ConfigFacts]:
    tree = DirectoryTree(real_tree)
    return load_flag_model(tree), ConfigFacts.from_tree(tree)


def live(model: FlagModel, facts: ConfigFacts, name: str) -> list[tuple[str, int | None]]:
    return [(v.value.kind, v.value.bit) for v in live_variants(model.flags[name], facts)]


def test_droppable(real: tuple[FlagModel, ConfigFacts]) -> None:
    model, facts = real
    flag = model.flags["VM_DROPPABLE"]
    assert live(model, facts, "VM_DROPPABLE") == [("bit", 40), ("bit", 24), ("none", None)]
    bit40, arch1, none = flag.variants
    assert facts.equivalent(bit40.guard, Sym("64BIT")) is YES
    assert arch1.value.via == ("VM_ARCH_1",)
    assert facts.equivalent(arch1.guard, Sym("PPC32")) is YES
    assert facts.equivalent(none.guard, neg(disj(Sym("64BIT"), Sym("PPC32")))) is YES
    assert facts.satisfiable(none.guard) is YES  # e.g. 32-bit arm: MAP_DROPPABLE unsupported
    assert (bit40.line, arch1.line, none.line) == (423, 425, 427)


def test_sealed_has_no_fallback(real: tuple[FlagModel, ConfigFacts]) -> None:
    model, facts = real
    flag = model.flags["VM_SEALED"]
    assert [(v.value.kind, v.value.bit, v.line) for v in flag.variants] == [("bit", 63, 432)]
    assert facts.equivalent(flag.defined_guard, Sym("64BIT")) is YES
    assert facts.satisfiable(neg(flag.defined_guard)) is YES  # undefined on every 32-bit build (R1)


def test_arch_1_aliases_map_to_their_architectures(real: tuple[FlagModel, ConfigFacts]) -> None:
    model, facts = real
    expected = {
        "VM_PAT": Arch("x86"),
        "VM_SAO": Sym("PPC64"),
        "VM_GROWSUP": Arch("parisc"),
        "VM_SPARC_ADI": Sym("SPARC64"),
        "VM_ARM64_BTI": Arch("arm64"),
    }
    for name, where in expected.items():
        flag = model.flags[name]
        real_bits = [v for v in flag.variants if v.value.kind == "bit"]
        assert [(v.value.bit, v.value.via) for v in real_bits] == [(24, ("VM_ARCH_1",))], name
        assert facts.equivalent(flag.real_guard, where) is YES, name
    copy = model.flags["VM_MAPPED_COPY"]
    assert copy.bits == (24,)
    assert facts.implies(copy.real_guard, neg(Sym("MMU"))) is YES
    assert facts.satisfiable(copy.real_guard) is YES
    # the aliases never meet: one architecture each, and PPC32's droppable alias is not PPC64's SAO
    aliases = [model.flags[n].real_guard for n in [*expected, "VM_MAPPED_COPY"]]
    aliases.append(model.flags["VM_DROPPABLE"].variants[1].guard)
    for i, a in enumerate(aliases):
        for b in aliases[i + 1 :]:
            assert facts.overlap(a, b) is NO


def test_pkey_bits_per_architecture(real: tuple[FlagModel, ConfigFacts]) -> None:
    model, facts = real
    for n, bit in enumerate((32, 33, 34, 35, 36)):
        assert model.flags[f"VM_PKEY_BIT{n}"].bits == (bit,)
    bit3, bit4 = model.flags["VM_PKEY_BIT3"].real_guard, model.flags["VM_PKEY_BIT4"].real_guard
    assert facts.satisfiable(conj(bit3, Arch("arm64"))) is NO  # ARCH_PKEY_BITS is 3 on arm64
    assert facts.satisfiable(conj(bit3, Arch("x86"))) is YES  # 4 on x86
    assert facts.satisfiable(conj(bit4, Arch("x86"))) is NO
    assert facts.implies(bit4, Arch("powerpc")) is YES  # 5 only on powerpc
    assert facts.implies(Sym("ARCH_HAS_PKEYS"), Sym("ARCH_USES_HIGH_VMA_FLAGS")) is YES
    # VM_HIGH_ARCH_4/5 shared by pkeys, MTE and shadow stacks on different architectures: never together
    assert facts.overlap(bit4, model.flags["VM_MTE"].real_guard) is NO
    assert (
        facts.overlap(model.flags["VM_SHADOW_STACK"].real_guard, model.flags["VM_MTE_ALLOWED"].real_guard)
        is NO
    )
    assert facts.satisfiable(Cmp("ARCH_PKEY_BITS", ">", 5)) is NO


def test_every_high_bit_implies_64bit(real: tuple[FlagModel, ConfigFacts]) -> None:
    model, facts = real
    checked = 0
    for flag in model.real_flags():
        for v in flag.variants:
            if v.value.kind == "bit" and (v.value.bit or 0) >= 32:
                assert facts.implies(v.guard, Sym("64BIT")) is YES, flag.name
                checked += 1
    assert checked >= 12


def test_smaps_entries(real: tuple[FlagModel, ConfigFacts]) -> None:
    model, facts = real
    assert model.smaps is not None
    codes = [e.mnemonic for e in model.smaps if e.mnemonic]
    assert codes == [
        "rd",
        "wr",
        "ex",
        "sh",
        "mr",
        "mw",
        "me",
        "ms",
        "gd",
        "pf",
        "lo",
        "io",
        "sr",
        "rr",
        "dc",
        "de",
        "lf",
        "ac",
        "nr",
        "ht",
        "sf",
        "ar",
        "wf",
        "dd",
        "bt",
        "sd",
        "mm",
        "hg",
        "nh",
        "mg",
        "um",
        "uw",
        "mt",
        "ui",
        "ss",
        "dp",
        "sl",
    ]
    assert sum(1 for e in model.smaps if e.mnemonic == "") == 6  # MTE_ALLOWED and five PKEY bits
    dp = model.smaps_for("VM_DROPPABLE")[0]
    assert dp.local_guard == disj(Sym("64BIT"), Sym("PPC32"))
    assert dp.guard == conj(Sym("PROC_PAGE_MONITOR"), disj(Sym("64BIT"), Sym("PPC32")))
    assert facts.equivalent(dp.local_guard, model.flags["VM_DROPPABLE"].real_guard) is YES
    assert model.smaps_for("VM_SHADOW_STACK")[0].local_guard == Sym("X86_USER_SHADOW_STACK")
    assert [e.line for e in model.smaps_for("VM_SEALED")] == [1003]


def test_trace_names(real: tuple[FlagModel, ConfigFacts]) -> None:
    model, facts = real
    assert model.trace is not None
    plain = [e.name for e in model.trace if not e.arch_specific]
    assert plain == [
        "read",
        "write",
        "exec",
        "shared",
        "mayread",
        "maywrite",
        "mayexec",
        "mayshare",
        "growsdown",
        "uffd_missing",
        "uffd_minor",
        "pfnmap",
        "uffd_wp",
        "locked",
        "io",
        "seqread",
        "randread",
        "dontcopy",
        "dontexpand",
        "lockonfault",
        "account",
        "noreserve",
        "hugetlb",
        "sync",
        "wipeonfork",
        "dontdump",
        "softdirty",
        "mixedmap",
        "hugepage",
        "nohugepage",
        "droppable",
        "mergeable",
    ]
    droppable = model.trace_for("VM_DROPPABLE")[0]
    assert droppable.wrapper == "IF_HAVE_VM_DROPPABLE"
    assert facts.equivalent(droppable.guard, model.flags["VM_DROPPABLE"].real_guard) is YES
    assert model.trace_for("VM_UFFD_MINOR")[0].guard == Sym("HAVE_ARCH_USERFAULTFD_MINOR")
    arch = {e.name: e for e in model.trace if e.arch_specific}
    assert sorted(arch) == ["arch_1", "growsup", "mappedcopy", "pat", "sao"]
    assert facts.equivalent(arch["sao"].guard, Sym("PPC64")) is YES
    assert facts.implies(Sym("PPC32"), arch["arch_1"].guard) is YES  # PPC32 prints "arch_1"
    assert model.trace_for("VM_SEALED") == []


def test_documented_codes(real: tuple[FlagModel, ConfigFacts]) -> None:
    model, _ = real
    assert model.doc is not None
    codes = {c.code for c in model.doc.codes}
    assert {"rd", "sl", "ss", "mt", "bt", "dw"} <= codes
    assert {"dp", "ui", "lf"}.isdisjoint(codes)  # mnemonics the 6.12 table lacks
    assert model.doc.border_widths == (2, 39)


def test_kconfig_symbols(real: tuple[FlagModel, ConfigFacts]) -> None:
    _, facts = real
    assert facts.symbol_exists("ARCH_USES_HIGH_VMA_FLAGS")
    assert not facts.symbol_exists("STACK_GROWS_UP")
    assert facts.implies(Sym("HAVE_ARCH_USERFAULTFD_MINOR"), Sym("64BIT")) is YES
    assert facts.implies(Sym("X86_USER_SHADOW_STACK"), Sym("ARCH_USES_HIGH_VMA_FLAGS")) is YES
    assert facts.overlap(Sym("PPC32"), Sym("64BIT")) is NO
    assert len(facts.db.arches) == 21


# Read by hand from include/linux/mm.h of 6.12 (lines 273-433): each flag's values, in definition order,
# over the configurations Kconfig allows ("0" a bare zero fallback, "NONE" a VM_NONE fallback).
EXPECTED_6_12 = {
    "VM_READ": "0",
    "VM_WRITE": "1",
    "VM_EXEC": "2",
    "VM_SHARED": "3",
    "VM_MAYREAD": "4",
    "VM_MAYWRITE": "5",
    "VM_MAYEXEC": "6",
    "VM_MAYSHARE": "7",
    "VM_GROWSDOWN": "8",
    "VM_UFFD_MISSING": "9 0",
    "VM_MAYOVERLAY": "9",
    "VM_PFNMAP": "10",
    "VM_UFFD_WP": "12",
    "VM_LOCKED": "13",
    "VM_IO": "14",
    "VM_SEQ_READ": "15",
    "VM_RAND_READ": "16",
    "VM_DONTCOPY": "17",
    "VM_DONTEXPAND": "18",
    "VM_LOCKONFAULT": "19",
    "VM_ACCOUNT": "20",
    "VM_NORESERVE": "21",
    "VM_HUGETLB": "22",
    "VM_SYNC": "23",
    "VM_ARCH_1": "24",
    "VM_WIPEONFORK": "25",
    "VM_DONTDUMP": "26",
    "VM_SOFTDIRTY": "27 0",
    "VM_MIXEDMAP": "28",
    "VM_HUGEPAGE": "29",
    "VM_NOHUGEPAGE": "30",
    "VM_MERGEABLE": "31",
    "VM_PKEY_BIT0": "32",
    "VM_PKEY_BIT1": "33",
    "VM_PKEY_BIT2": "34",
    "VM_PKEY_BIT3": "35 0",
    "VM_PKEY_BIT4": "36 0",
    "VM_SHADOW_STACK": "37 NONE",
    "VM_PAT": "24",
    "VM_SAO": "24",
    "VM_GROWSUP": "24 NONE",
    "VM_SPARC_ADI": "24",
    "VM_ARM64_BTI": "24",
    "VM_MAPPED_COPY": "24",
    "VM_MTE": "36 NONE",
    "VM_MTE_ALLOWED": "37 NONE",
    "VM_UFFD_MINOR": "38 NONE",
    "VM_ALLOW_ANY_UNCACHED": "39 NONE",
    "VM_DROPPABLE": "40 24 NONE",
    "VM_SEALED": "63",
}


def test_flags_command_reports_every_flag(real_tree: Path) -> None:
    import json
    import subprocess
    import sys

    out = subprocess.run(
        [sys.executable, "-m", "patchcheck", "flags", "--tree", str(real_tree), "--format", "json"],
        capture_output=True,
        text=True,
        check=True,
    )
    rows = json.loads(out.stdout)["flags"]
    shown = {
        r["name"]: " ".join(
            str(d["bit"]) if d["value"] == "bit" else {"zero": "0", "none": "NONE"}[d["value"]]
            for d in r["definitions"]
        )
        for r in rows
    }
    assert shown == EXPECTED_6_12
    by_name = {r["name"]: r for r in rows}
    assert [d["guard"] for d in by_name["VM_DROPPABLE"]["definitions"]] == [
        "CONFIG_64BIT",
        "!CONFIG_64BIT && CONFIG_PPC32",
        "!(CONFIG_64BIT || CONFIG_PPC32)",
    ]
    assert by_name["VM_DROPPABLE"]["smaps"] == [
        {"mnemonic": "dp", "guard": "CONFIG_64BIT || CONFIG_PPC32", "line": 1000}
    ]
    assert by_name["VM_DROPPABLE"]["documented"] is False
    assert by_name["VM_SEALED"]["trace"] == [] and by_name["VM_SEALED"]["documented"] is True


# The hard flags' rows, read by hand from 6.12's mm.h (lines 345-433), task_mmu.c, mmflags.h and
# proc.rst: (value, bit, guard) per definition, smaps mnemonics, trace names, documented (None: no
# mnemonic to document).
HARD_FLAGS_6_12 = {
    "VM_DROPPABLE": (
        [
            ("bit", 40, "CONFIG_64BIT"),
            ("bit", 24, "!CONFIG_64BIT && CONFIG_PPC32"),
            ("none", None, "!(CONFIG_64BIT || CONFIG_PPC32)"),
        ],
        ["dp"],
        ["droppable"],
        False,
    ),
    "VM_SEALED": ([("bit", 63, "CONFIG_64BIT")], ["sl"], [], True),
    "VM_SHADOW_STACK": (
        [
            ("bit", 37, "CONFIG_X86_USER_SHADOW_STACK && CONFIG_ARCH_USES_HIGH_VMA_FLAGS"),
            ("none", None, "!CONFIG_X86_USER_SHADOW_STACK"),
        ],
        ["ss"],
        [],
        True,
    ),
    "VM_UFFD_MINOR": (
        [
            ("bit", 38, "CONFIG_HAVE_ARCH_USERFAULTFD_MINOR"),
            ("none", None, "!CONFIG_HAVE_ARCH_USERFAULTFD_MINOR"),
        ],
        ["ui"],
        ["uffd_minor"],
        False,
    ),
    "VM_MTE": (
        [
            ("bit", 36, "CONFIG_ARM64_MTE && CONFIG_ARCH_USES_HIGH_VMA_FLAGS"),
            ("none", None, "!CONFIG_ARM64_MTE"),
        ],
        ["mt"],
        [],
        True,
    ),
    "VM_PKEY_BIT4": (
        [
            (
                "bit",
                36,
                "CONFIG_ARCH_HAS_PKEYS && (CONFIG_ARCH_PKEY_BITS > 4) && CONFIG_ARCH_USES_HIGH_VMA_FLAGS",
            ),
            ("zero", None, "CONFIG_ARCH_HAS_PKEYS && !(CONFIG_ARCH_PKEY_BITS > 4)"),
        ],
        [""],
        [],
        None,
    ),
    "VM_SAO": ([("bit", 24, "!CONFIG_X86 && CONFIG_PPC64")], [], ["sao"], None),
    "VM_GROWSUP": (
        [
            ("bit", 24, "!(CONFIG_X86 || CONFIG_PPC64) && CONFIG_PARISC"),
            ("none", None, "!(!(CONFIG_X86 || CONFIG_PPC64) && CONFIG_PARISC)"),
        ],
        [],
        ["growsup"],
        None,
    ),
}


def test_flags_rows_of_the_hard_flags(real_tree: Path) -> None:
    import json
    import subprocess
    import sys

    args = [a for name in HARD_FLAGS_6_12 for a in ("--flag", name)]
    out = subprocess.run(
        [sys.executable, "-m", "patchcheck", "flags", "--tree", str(real_tree), "--format", "json", *args],
        capture_output=True,
        text=True,
        check=True,
    )
    rows = {r["name"]: r for r in json.loads(out.stdout)["flags"]}
    assert sorted(rows) == sorted(HARD_FLAGS_6_12)
    for name, (definitions, smaps, trace, documented) in HARD_FLAGS_6_12.items():
        row = rows[name]
        assert [(d["value"], d["bit"], d["guard"]) for d in row["definitions"]] == definitions, name
        assert [s["mnemonic"] for s in row["smaps"]] == smaps, name
        assert [t["name"] for t in row["trace"]] == trace, name
        assert row["documented"] is documented, name
