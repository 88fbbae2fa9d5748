"""Without a tree, PC103, PC104, PC107, PC204 and PC502 decide what the hunks show.

A Kconfig symbol the series' Kconfig hunks do not define is a free variable: a finding that hinges on one is
a WARNING naming it. It is an ERROR when the hunks alone decide it: the guards force it (an unguarded high
bit; two aliases of VM_ARCH_1 under one guard), or it holds in a configuration known to exist in every
release (a 32-bit one; a 64-bit one without the high-arch pool). What the hunks cannot decide is listed as
skipped, never reported clean.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from patchcheck.intake import load_series
from patchcheck.report.finding import Finding, Report, Severity
from patchcheck.rules.engine import verify_series
from patchcheck.rules.registry import registry_checkers
from patchcheck.source.tree import DirectoryTree
from tests.registry.treeless_patches import defines_a, defines_b, entries, hunk, kconfig, mail

REGISTRY = Path(__file__).resolve().parents[2] / "fixtures" / "registry"


def verify(text: str, tmp_path: Path, tree: Path | None = None) -> Report:
    path = tmp_path / "series.patch"
    path.write_text(text)
    return verify_series(
        load_series(str(path)), DirectoryTree(tree) if tree else None, checkers=registry_checkers()
    )


def of(report: Report, rule: str) -> list[Finding]:
    return [f for f in report.findings if f.rule_id == rule]


def skipped(report: Report) -> set[str]:
    return {s.split()[0] for s in report.skipped}


def fixture(name: str, style: str) -> str:
    return (REGISTRY / ("style-b" if style == "B" else "") / f"{name}.patch").read_text()


# PC103 ---------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("style", ["A", "B"])
def test_pc103_guard_not_known_to_imply_64bit_is_a_warning_naming_it(style: str, tmp_path: Path) -> None:
    report = verify(fixture("pc103-high-bit-on-32bit", style), tmp_path)
    (found,) = of(report, "PC103")
    assert found.flag == "VM_SOFTTRACK" and found.severity is Severity.WARNING
    assert "CONFIG_MEM_SOFT_DIRTY" in found.message and "Kconfig" in found.message
    assert "PC103" not in skipped(report)


UNGUARDED = {
    "A": defines_a("#define VM_WIDE\tBIT(44)"),
    "B": defines_b("\tDECLARE_VMA_BIT(WIDE, 44),", "#define VM_WIDE\tINIT_VM_FLAG(WIDE)"),
}


@pytest.mark.parametrize("style", ["A", "B"])
def test_pc103_unguarded_high_bit_is_an_error_without_a_tree(style: str, tmp_path: Path) -> None:
    (found,) = of(verify(mail(UNGUARDED[style]), tmp_path), "PC103")
    assert found.flag == "VM_WIDE" and found.severity is Severity.ERROR


GUARDED_64 = {
    "A": defines_a("#if defined(CONFIG_64BIT) && defined(CONFIG_WIDE)\n#define VM_WIDE\tBIT(44)\n#endif"),
    "B": defines_b(
        "\tDECLARE_VMA_BIT(WIDE, 44),",
        "#if defined(CONFIG_64BIT) && defined(CONFIG_WIDE)\n#define VM_WIDE\tINIT_VM_FLAG(WIDE)\n#endif",
    ),
}


@pytest.mark.parametrize("style", ["A", "B"])
def test_pc103_guard_with_64bit_is_silent(style: str, tmp_path: Path) -> None:
    report = verify(mail(GUARDED_64[style]), tmp_path)
    assert of(report, "PC103") == [] and "PC103" not in skipped(report)


def test_pc103_series_kconfig_restricting_the_symbol_to_64bit_is_silent(tmp_path: Path) -> None:
    flag = defines_a(
        "#ifdef CONFIG_WIDE_FLAGS\n# define VM_WIDE\tBIT(44)\n#else\n# define VM_WIDE\tVM_NONE\n#endif"
    )
    restricted = kconfig("mm/Kconfig", 'config WIDE_FLAGS\n\tbool "Wide flags"\n\tdepends on 64BIT')
    assert of(verify(mail(flag, restricted), tmp_path), "PC103") == []
    unrestricted = kconfig("mm/Kconfig", 'config WIDE_FLAGS\n\tbool "Wide flags"')
    (found,) = of(verify(mail(flag, unrestricted), tmp_path), "PC103")
    assert found.severity is Severity.WARNING and "CONFIG_WIDE_FLAGS" in found.message


def test_pc103_with_the_tree_stays_an_error(tmp_path: Path) -> None:
    report = verify(fixture("pc103-high-bit-on-32bit", "A"), tmp_path, REGISTRY / "base")
    (found,) = of(report, "PC103")
    assert found.severity is Severity.ERROR and "Kconfig" not in found.message


def test_pc103_definition_whose_guard_is_not_shown_is_skipped(tmp_path: Path) -> None:
    """The hunk shows the #define but no line that is unconditional: its guard is not decided."""
    lines = [
        " # define VM_SHADOW_STACK\tVM_HIGH_ARCH_5",
        "+# define VM_WIDE\tBIT(44)",
        " # define VM_PAT\tVM_ARCH_1",
    ]
    report = verify(mail(hunk("include/linux/mm.h", 50, lines)), tmp_path)
    assert of(report, "PC103") == []
    line = next(s for s in report.skipped if s.startswith("PC103 "))
    assert "VM_WIDE" in line and "--tree" in line


# PC502 ---------------------------------------------------------------------------------------------------
def test_pc502_pool_flag_under_an_unknown_symbol_is_a_warning_naming_it(tmp_path: Path) -> None:
    flag = defines_a(
        "#ifdef CONFIG_ARM64_NEWFEAT\n# define VM_NEWFEAT\tVM_HIGH_ARCH_3\n#else\n"
        "# define VM_NEWFEAT\tVM_NONE\n#endif"
    )
    report = verify(mail(flag), tmp_path)
    (found,) = of(report, "PC502")
    assert found.flag == "VM_NEWFEAT" and found.severity is Severity.WARNING
    assert "CONFIG_ARM64_NEWFEAT" in found.message
    assert of(report, "PC103") == []  # the pool is 64-bit only in every release


def test_pc502_pool_flag_on_every_64bit_kernel_is_an_error(tmp_path: Path) -> None:
    flag = defines_a("#ifdef CONFIG_64BIT\n# define VM_POOLED\tVM_HIGH_ARCH_1\n#endif")
    (found,) = of(verify(mail(flag), tmp_path), "PC502")
    assert found.flag == "VM_POOLED" and found.severity is Severity.ERROR


def test_pc502_guard_with_the_pool_symbol_is_silent(tmp_path: Path) -> None:
    flag = defines_a(
        "#if defined(CONFIG_ARCH_USES_HIGH_VMA_FLAGS) && defined(CONFIG_X86_FEAT)\n"
        "# define VM_X86_FEAT\tVM_HIGH_ARCH_2\n#endif"
    )
    report = verify(mail(flag), tmp_path)
    assert of(report, "PC502") == [] and of(report, "PC103") == []


@pytest.mark.parametrize("kconfig_path", ["arch/x86/Kconfig", "mm/Kconfig"])
def test_pc502_series_kconfig_selecting_the_pool_is_silent(kconfig_path: str, tmp_path: Path) -> None:
    flag = defines_a("#ifdef CONFIG_X86_FEAT\n# define VM_X86_FEAT\tVM_HIGH_ARCH_2\n#endif")
    option = 'config X86_FEAT\n\tbool "A feature"\n\tselect ARCH_USES_HIGH_VMA_FLAGS'
    assert of(verify(mail(flag, kconfig(kconfig_path, option)), tmp_path), "PC502") == []


def test_pc502_select_added_to_a_shown_option_is_silent(tmp_path: Path) -> None:
    flag = defines_a("#ifdef CONFIG_ARM64_MTE\n# define VM_MTE_TAGGED\tVM_HIGH_ARCH_6\n#endif")
    select = hunk(
        "arch/arm64/Kconfig",
        13,
        [" config ARM64_MTE", ' \tbool "Memory Tagging"', "+\tselect ARCH_USES_HIGH_VMA_FLAGS", " "],
    )
    assert of(verify(mail(flag, select), tmp_path), "PC502") == []


def test_pc502_bit_number_style_declares_the_pool_unconditionally(tmp_path: Path) -> None:
    """Style B (6.19): the pool enumerators are no longer behind CONFIG_ARCH_USES_HIGH_VMA_FLAGS."""
    flag = defines_b(
        "#ifdef CONFIG_ARM64_NEWFEAT\n\tDECLARE_VMA_BIT_ALIAS(NEWFEAT, HIGH_ARCH_3),\n#endif",
        "#ifdef CONFIG_ARM64_NEWFEAT\n# define VM_NEWFEAT\tINIT_VM_FLAG(NEWFEAT)\n#endif",
    )
    assert of(verify(mail(flag), tmp_path), "PC502") == []


def test_pc502_kconfig_only_change_is_skipped(tmp_path: Path) -> None:
    """The fixture drops a `select ARCH_USES_HIGH_VMA_FLAGS`: the flags it affects are not in the diff."""
    report = verify(fixture("pc502-high-pool-unselected", "A"), tmp_path)
    assert of(report, "PC502") == []
    assert "PC502" in skipped(report)


# PC104 ---------------------------------------------------------------------------------------------------
TWO_ALIASES = {
    "A": defines_a(
        "#ifdef CONFIG_ARM64\n# define VM_ARM64_HINT\tVM_ARCH_1\n# define VM_ARM64_TAG\tVM_ARCH_1\n#endif"
    ),
    "B": defines_b(
        "#ifdef CONFIG_ARM64\n\tDECLARE_VMA_BIT_ALIAS(ARM64_HINT, ARCH_1),\n"
        "\tDECLARE_VMA_BIT_ALIAS(ARM64_TAG, ARCH_1),\n#endif",
        "#ifdef CONFIG_ARM64\n# define VM_ARM64_HINT\tINIT_VM_FLAG(ARM64_HINT)\n"
        "# define VM_ARM64_TAG\tINIT_VM_FLAG(ARM64_TAG)\n#endif",
    ),
}


@pytest.mark.parametrize("style", ["A", "B"])
def test_pc104_two_aliases_under_one_guard_are_an_error(style: str, tmp_path: Path) -> None:
    report = verify(mail(TWO_ALIASES[style]), tmp_path)
    (found,) = of(report, "PC104")
    assert found.flag == "VM_ARM64_TAG" and found.severity is Severity.ERROR
    # Other aliases of VM_ARCH_1 live in lines the hunks do not show.
    assert "PC104" in skipped(report)


def test_pc104_aliases_under_different_symbols_are_a_warning_naming_them(tmp_path: Path) -> None:
    aliases = defines_a(
        "#ifdef CONFIG_SPARC_HINT\n# define VM_SPARC_HINT\tVM_ARCH_1\n#endif\n"
        "#ifdef CONFIG_SPARC_TAG\n# define VM_SPARC_TAG\tVM_ARCH_1\n#endif"
    )
    (found,) = of(verify(mail(aliases), tmp_path), "PC104")
    assert found.flag == "VM_SPARC_TAG" and found.severity is Severity.WARNING
    assert "CONFIG_SPARC_HINT" in found.message and "CONFIG_SPARC_TAG" in found.message


def test_pc104_alias_cleared_by_vm_arch_clear_is_an_error(tmp_path: Path) -> None:
    chain = defines_a(
        "#ifdef CONFIG_SPARC64\n# define VM_SPARC_ADI2\tVM_ARCH_1\n"
        "# define VM_ARCH_CLEAR\tVM_SPARC_ADI2\n#endif\n"
        "#ifdef CONFIG_SPARC64\n# define VM_SPARC_NEW\tVM_ARCH_1\n#endif"
    )
    found = of(verify(mail(chain), tmp_path), "PC104")
    assert {f.flag for f in found} == {"VM_SPARC_NEW"}
    assert any("VM_ARCH_CLEAR" in f.message for f in found)
    assert all(f.severity is Severity.ERROR for f in found)


@pytest.mark.parametrize("style", ["A", "B"])
def test_pc104_aliases_on_exclusive_architectures_are_silent(style: str, tmp_path: Path) -> None:
    text = mail(TWO_ALIASES[style]).replace("ARM64_TAG", "SPARC_TAG")
    text = text.replace("+# define VM_SPARC_TAG", "+#elif defined(CONFIG_SPARC64)\n+# define VM_SPARC_TAG")
    text = text.replace(
        "+\tDECLARE_VMA_BIT_ALIAS(SPARC_TAG",
        "+#elif defined(CONFIG_SPARC64)\n+\tDECLARE_VMA_BIT_ALIAS(SPARC_TAG",
    )
    text = _recount(text)
    assert "#elif" in text
    assert of(verify(text, tmp_path), "PC104") == []


# PC107 ---------------------------------------------------------------------------------------------------
def test_pc107_overlapping_blocks_are_a_warning_naming_the_symbols(tmp_path: Path) -> None:
    """The style-B twin changes mm.h only: whether CONFIG_X86_DEMO can be set with CONFIG_64BIT is unknown."""
    (found,) = of(verify(fixture("pc107-defined-twice", "B"), tmp_path), "PC107")
    assert found.flag == "VM_DEMO" and found.severity is Severity.WARNING
    assert "CONFIG_X86_DEMO" in found.message


def test_pc107_series_kconfig_deciding_the_overlap_makes_it_an_error(tmp_path: Path) -> None:
    """The style-A scenario adds `config X86_DEMO` with `depends on X86_64`, and X86_64 is 64-bit in every
    release: wherever CONFIG_X86_DEMO is set, both blocks are compiled."""
    (found,) = of(verify(fixture("pc107-defined-twice", "A"), tmp_path), "PC107")
    assert found.flag == "VM_DEMO" and found.severity is Severity.ERROR
    assert "Kconfig" not in found.message and any("decided from the hunks" in e for e in found.evidence)


NESTED_TWICE = defines_a(
    "#ifdef CONFIG_64BIT\n# define VM_TWICE\tBIT(45)\n#endif\n"
    "#if defined(CONFIG_64BIT) && defined(CONFIG_TWICE_LATE)\n# define VM_TWICE\tBIT(46)\n#endif\n"
    "#ifndef VM_TWICE\n# define VM_TWICE\tVM_NONE\n#endif"
)


NESTED_TWICE_B = defines_b(
    "\tDECLARE_VMA_BIT(TWICE, 45),\n\tDECLARE_VMA_BIT(TWICE_LATE, 46),",
    "#ifdef CONFIG_64BIT\n# define VM_TWICE\tINIT_VM_FLAG(TWICE)\n#endif\n"
    "#if defined(CONFIG_64BIT) && defined(CONFIG_TWICE_LATE)\n# define VM_TWICE\tINIT_VM_FLAG(TWICE_LATE)\n"
    "#endif\n#ifndef VM_TWICE\n# define VM_TWICE\tVM_NONE\n#endif",
)


@pytest.mark.parametrize("text", [NESTED_TWICE, NESTED_TWICE_B], ids=["A", "B"])
def test_pc107_a_block_inside_another_is_an_error(text: str, tmp_path: Path) -> None:
    (found,) = of(verify(mail(text), tmp_path), "PC107")
    assert found.flag == "VM_TWICE" and found.severity is Severity.ERROR


def test_pc107_an_elif_chain_is_silent(tmp_path: Path) -> None:
    chain = NESTED_TWICE.replace(
        "+#endif\n+#if defined(CONFIG_64BIT) && defined(CONFIG_TWICE_LATE)",
        "+#elif defined(CONFIG_TWICE_LATE)",
    )
    report = verify(mail(_recount(chain)), tmp_path)
    assert of(report, "PC107") == [] and "PC107" not in skipped(report)


# PC204 ---------------------------------------------------------------------------------------------------
SAME_SLOT = mail(
    defines_a(
        "#ifdef CONFIG_64BIT\n# define VM_GUARDX\tBIT(45)\n# define VM_TRACKX\tBIT(45)\n#else\n"
        "# define VM_GUARDX\tVM_NONE\n# define VM_TRACKX\tVM_NONE\n#endif"
    ),
    entries('#ifdef CONFIG_64BIT\n\t\t[ilog2(VM_GUARDX)]\t= "gx",\n\t\t[ilog2(VM_TRACKX)]\t= "tx",\n#endif'),
)


SAME_SLOT_B = mail(
    defines_b(
        "\tDECLARE_VMA_BIT(GUARDX, 45),\n\tDECLARE_VMA_BIT_ALIAS(TRACKX, GUARDX),",
        "#ifdef CONFIG_64BIT\n# define VM_GUARDX\tINIT_VM_FLAG(GUARDX)\n"
        "# define VM_TRACKX\tINIT_VM_FLAG(TRACKX)\n"
        "#else\n# define VM_GUARDX\tVM_NONE\n# define VM_TRACKX\tVM_NONE\n#endif",
    ),
    SAME_SLOT.split("diff --git a/fs/proc/task_mmu.c", 1)[1].join(["diff --git a/fs/proc/task_mmu.c", ""]),
)


@pytest.mark.parametrize("text", [SAME_SLOT, SAME_SLOT_B], ids=["A", "B"])
def test_pc204_two_entries_on_one_slot_are_an_error(text: str, tmp_path: Path) -> None:
    report = verify(text, tmp_path)
    (found,) = of(report, "PC204")
    assert found.flag == "VM_TRACKX" and found.severity is Severity.ERROR
    assert "PC204" in skipped(report)  # the other entries of the table are not shown


def test_pc204_entries_under_different_symbols_are_a_warning_naming_them(tmp_path: Path) -> None:
    text = mail(
        defines_a(
            "#ifdef CONFIG_ARM64_GX\n# define VM_ARM64_GX\tBIT(47)\n"
            "#else\n# define VM_ARM64_GX\tVM_NONE\n#endif\n"
            "#ifdef CONFIG_X86_TX\n# define VM_X86_TX\tBIT(47)\n#else\n# define VM_X86_TX\tVM_NONE\n#endif"
        ),
        entries(
            '#ifdef CONFIG_ARM64_GX\n\t\t[ilog2(VM_ARM64_GX)]\t= "gx",\n#endif\n'
            '#ifdef CONFIG_X86_TX\n\t\t[ilog2(VM_X86_TX)]\t= "tx",\n#endif'
        ),
    )
    (found,) = of(verify(text, tmp_path), "PC204")
    assert found.flag == "VM_X86_TX" and found.severity is Severity.WARNING
    assert "CONFIG_ARM64_GX" in found.message and "CONFIG_X86_TX" in found.message


def test_pc204_entries_on_different_bits_are_silent(tmp_path: Path) -> None:
    text = SAME_SLOT.replace("VM_TRACKX\tBIT(45)", "VM_TRACKX\tBIT(46)")
    assert text != SAME_SLOT
    assert of(verify(text, tmp_path), "PC204") == []


# The existing scenarios ----------------------------------------------------------------------------------
def test_no_treeless_finding_the_tree_does_not_confirm(tmp_path: Path) -> None:
    """Precision: on every registry scenario, what these rules say without a tree the tree says too."""
    rules = {"PC103", "PC104", "PC107", "PC204", "PC502"}
    for patch in sorted(REGISTRY.glob("*.patch")):
        text = patch.read_text()
        alone = {(f.rule_id, f.flag) for f in verify(text, tmp_path).findings if f.rule_id in rules}
        full = {(f.rule_id, f.flag) for f in verify(text, tmp_path, REGISTRY / "base").findings}
        assert alone <= full, patch.name


@pytest.mark.parametrize(
    "name",
    ["example/series.mbox", "mail/realtree-6.12.mbox", "mail/rfc-mm-unstable-v3.mbox", "mail/patchdir"],
)
def test_the_example_and_mail_series_give_no_treeless_finding_of_these_rules(name: str) -> None:
    """Every rule decided on the hunks (here and in test_diff_only_collisions.py) stays silent on them."""
    series = load_series(str(REGISTRY.parent / name))
    report = verify_series(series, None, checkers=registry_checkers())
    decided = {"PC102", "PC103", "PC104", "PC107", "PC108", "PC204", "PC502"}
    assert [f for f in report.findings if f.rule_id in decided] == []


def _recount(text: str) -> str:
    """Hunk headers counted again after lines were inserted into a hunk."""
    out: list[str] = []
    lines = text.split("\n")
    i = 0
    while i < len(lines):
        line = lines[i]
        if line.startswith("@@ "):
            body: list[str] = []
            j = i + 1
            while j < len(lines) and lines[j][:1] in (" ", "+", "-"):
                body.append(lines[j])
                j += 1
            old_start = line.split()[1].split(",")[0][1:]
            new_start = line.split()[2].split(",")[0][1:]
            old = sum(1 for b in body if not b.startswith("+"))
            new = sum(1 for b in body if not b.startswith("-"))
            out.append(f"@@ -{old_start},{old} +{new_start},{new} @@")
            out.extend(body)
            i = j
            continue
        out.append(line)
        i += 1
    return "\n".join(out)
