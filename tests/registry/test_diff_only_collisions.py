"""Without a tree, PC102 and PC108 decide what the hunks show (test_diff_only_decisions.py has the others).

PC102: two flags whose definitions the hunks show, at least one written by the series, on one bit under
guards that can overlap. A collision with a flag the hunks do not show cannot be decided: PC102 is listed
as skipped whenever the series defines a bit. PC108 (style B): a flag the series introduces, whose enum
entry and mask the hunks both show. Severity as in test_diff_only_decisions.py: an error when the hunks
decide it, else a warning naming the free symbols.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from patchcheck.report.finding import Severity
from tests.registry.test_diff_only_decisions import REGISTRY, of, skipped, verify
from tests.registry.treeless_patches import MM_H, defines_a, defines_b, entries, hunk, mail, plus

RULES = {"PC102", "PC108"}


# PC102 ---------------------------------------------------------------------------------------------------
SAME_BIT = {
    "A": defines_a(
        "#ifdef CONFIG_64BIT\n# define VM_GUARDX\tBIT(45)\n# define VM_TRACKX\tBIT(45)\n#else\n"
        "# define VM_GUARDX\tVM_NONE\n# define VM_TRACKX\tVM_NONE\n#endif"
    ),
    "B": defines_b(
        "\tDECLARE_VMA_BIT(GUARDX, 45),\n\tDECLARE_VMA_BIT(TRACKX, 45),",
        "#ifdef CONFIG_64BIT\n# define VM_GUARDX\tINIT_VM_FLAG(GUARDX)\n"
        "# define VM_TRACKX\tINIT_VM_FLAG(TRACKX)\n"
        "#else\n# define VM_GUARDX\tVM_NONE\n# define VM_TRACKX\tVM_NONE\n#endif",
    ),
}


@pytest.mark.parametrize("style", ["A", "B"])
def test_pc102_two_new_flags_on_one_bit_on_every_64bit_kernel_are_an_error(
    style: str, tmp_path: Path
) -> None:
    report = verify(mail(SAME_BIT[style]), tmp_path)
    (found,) = of(report, "PC102")
    assert found.flag == "VM_TRACKX" and found.severity is Severity.ERROR
    assert "VM_GUARDX" in found.message and "45" in found.message and "Kconfig" not in found.message
    assert "PC102" in skipped(report)  # flags the hunks do not show may be bit 45 too


SAME_BIT_OTHER_SYMBOLS = {
    "A": defines_a(
        "#ifdef CONFIG_ARM64_GX\n# define VM_ARM64_GX\tBIT(47)\n#else\n"
        "# define VM_ARM64_GX\tVM_NONE\n#endif\n"
        "#ifdef CONFIG_X86_TX\n# define VM_X86_TX\tBIT(47)\n#else\n# define VM_X86_TX\tVM_NONE\n#endif"
    ),
    "B": defines_b(
        "#ifdef CONFIG_ARM64_GX\n\tDECLARE_VMA_BIT(ARM64_GX, 47),\n#endif\n"
        "#ifdef CONFIG_X86_TX\n\tDECLARE_VMA_BIT(X86_TX, 47),\n#endif",
        "#ifdef CONFIG_ARM64_GX\n# define VM_ARM64_GX\tINIT_VM_FLAG(ARM64_GX)\n#else\n"
        "# define VM_ARM64_GX\tVM_NONE\n#endif\n"
        "#ifdef CONFIG_X86_TX\n# define VM_X86_TX\tINIT_VM_FLAG(X86_TX)\n#else\n"
        "# define VM_X86_TX\tVM_NONE\n#endif",
    ),
}


@pytest.mark.parametrize("style", ["A", "B"])
def test_pc102_flags_under_different_symbols_are_a_warning_naming_them(style: str, tmp_path: Path) -> None:
    (found,) = of(verify(mail(SAME_BIT_OTHER_SYMBOLS[style]), tmp_path), "PC102")
    assert found.flag == "VM_X86_TX" and found.severity is Severity.WARNING
    assert "CONFIG_ARM64_GX" in found.message and "CONFIG_X86_TX" in found.message
    assert found.message.endswith(")") and "unknown without the tree's Kconfig" in found.message


@pytest.mark.parametrize("style", ["A", "B"])
def test_pc102_different_bits_are_silent_but_skipped(style: str, tmp_path: Path) -> None:
    text = mail(SAME_BIT[style]).replace("VM_TRACKX\tBIT(45)", "VM_TRACKX\tBIT(46)")
    text = text.replace("DECLARE_VMA_BIT(TRACKX, 45)", "DECLARE_VMA_BIT(TRACKX, 46)")
    assert "45" in text and "46" in text
    report = verify(text, tmp_path)
    assert of(report, "PC102") == []
    line = next(s for s in report.skipped if s.startswith("PC102 "))
    assert "VM_GUARDX" in line and "VM_TRACKX" in line and "--tree" in line


def test_pc102_exclusive_guards_are_silent(tmp_path: Path) -> None:
    text = defines_a(
        "#ifdef CONFIG_ARM64_GX\n# define VM_ARM64_GX\tBIT(47)\n# define VM_X86_TX\tVM_NONE\n#else\n"
        "# define VM_ARM64_GX\tVM_NONE\n# define VM_X86_TX\tBIT(47)\n#endif"
    )
    assert of(verify(mail(text), tmp_path), "PC102") == []


def test_pc102_collision_the_series_did_not_write_is_not_its_finding(tmp_path: Path) -> None:
    """Two flags the hunks show unchanged on one bit: the series added only a comment between them."""
    lines = [
        " #define VM_LOCKED\t0x00002000",
        " #define VM_OLDA\tBIT(50)",
        "+/* a comment */",
        " #define VM_OLDB\tBIT(50)",
        " #define VM_DONTDUMP\t0x04000000",
    ]
    report = verify(mail(hunk(MM_H, 17, lines)), tmp_path)
    assert of(report, "PC102") == [] and "PC102" not in skipped(report)


def test_pc102_collision_with_a_core_flag_stays_pc151(tmp_path: Path) -> None:
    report = verify(mail(defines_a("#define VM_LOCKEDX\tBIT(13)")), tmp_path)
    assert of(report, "PC102") == []
    assert [f.flag for f in of(report, "PC151")] == ["VM_LOCKEDX"]


def test_pc102_series_that_defines_no_bit_is_not_skipped(tmp_path: Path) -> None:
    report = verify(mail(entries('\t\t[ilog2(VM_SHADOW_STACK)]\t= "ss",')), tmp_path)
    assert "PC102" not in skipped(report)


def test_pc102_fixture_collision_with_an_unshown_flag_is_skipped(tmp_path: Path) -> None:
    """VM_DROPPABLE's bit 40 is defined in lines the hunk does not show."""
    for style in ("", "style-b/"):
        report = verify((REGISTRY / f"{style}pc102-collision.patch").read_text(), tmp_path)
        assert of(report, "PC102") == [] and "PC102" in skipped(report), style


# PC108 ---------------------------------------------------------------------------------------------------
def enum_mask(enum_guard: str, name: str, bit: int, mask_guard: str) -> str:
    """A new flag `name` on `bit`: its enumerator under `enum_guard`, its mask under `mask_guard` (with a
    VM_NONE fallback), "" for unguarded."""
    enum = f"\tDECLARE_VMA_BIT({name}, {bit}),"
    if enum_guard:
        enum = f"#if {enum_guard}\n{enum}\n#endif"
    mask = f"# define VM_{name}\tINIT_VM_FLAG({name})"
    if mask_guard:
        mask = f"#if {mask_guard}\n{mask}\n#else\n# define VM_{name}\tVM_NONE\n#endif"
    return mail(defines_b(enum, mask))


@pytest.mark.parametrize(("name", "guard"), [("WIDE", "CONFIG_64BIT"), ("ARM64_TAG", "CONFIG_ARM64")])
def test_pc108_mask_unguarded_with_a_64bit_enumerator_is_an_error(
    name: str, guard: str, tmp_path: Path
) -> None:
    """Every release has 32-bit configurations, where neither symbol is set: the mask alone is compiled."""
    (found,) = of(verify(enum_mask(f"defined({guard})", name, 44, ""), tmp_path), "PC108")
    assert found.flag == f"VM_{name}" and found.severity is Severity.ERROR and "build error" in found.message
    assert "Kconfig" not in found.message


def test_pc108_mask_under_64bit_with_an_arch_enumerator_is_a_warning(tmp_path: Path) -> None:
    text = enum_mask("defined(CONFIG_ARM64_DEMO)", "DEMO", 41, "defined(CONFIG_64BIT)")
    # (and an unused bit where CONFIG_ARM64_DEMO is set on 32-bit, if Kconfig allows it)
    (found,) = [f for f in of(verify(text, tmp_path), "PC108") if "build error" in f.message]
    assert found.flag == "VM_DEMO" and found.severity is Severity.WARNING
    assert "CONFIG_ARM64_DEMO" in found.message and "unknown without the tree's Kconfig" in found.message


def test_pc108_enumerator_wider_than_its_mask_is_an_unused_bit_warning(tmp_path: Path) -> None:
    text = enum_mask("defined(CONFIG_64BIT)", "GUARDX", 45, "defined(CONFIG_ARM64_GX)")
    # (and a build error where CONFIG_ARM64_GX is set on 32-bit, if Kconfig allows it)
    (found,) = [f for f in of(verify(text, tmp_path), "PC108") if "unused bit" in f.message]
    assert found.flag == "VM_GUARDX" and found.severity is Severity.WARNING
    assert "unused bit" in found.message and "CONFIG_ARM64_GX" in found.message


@pytest.mark.parametrize(("name", "guard"), [("DEMO", "defined(CONFIG_ARM64_DEMO)"), ("WIDE", "")])
def test_pc108_same_guards_are_silent(name: str, guard: str, tmp_path: Path) -> None:
    report = verify(enum_mask(guard, name, 44, guard), tmp_path)
    assert of(report, "PC108") == [] and "PC108" not in skipped(report)


def test_pc108_mask_without_its_enumerator_in_the_hunks_is_skipped(tmp_path: Path) -> None:
    mask = "#ifdef CONFIG_64BIT\n# define VM_DEMO\tINIT_VM_FLAG(DEMO)\n#endif"
    lines = [
        " #define VM_LOCKED\tINIT_VM_FLAG(LOCKED)",
        *plus(mask),
        " #define VM_DONTDUMP\tINIT_VM_FLAG(DONTDUMP)",
    ]
    report = verify(mail(hunk(MM_H, 121, lines)), tmp_path)
    assert of(report, "PC108") == []
    line = next(s for s in report.skipped if s.startswith("PC108 "))
    assert "VM_DEMO" in line and "--tree" in line


def test_pc108_enumerator_without_its_mask_in_the_hunks_is_skipped(tmp_path: Path) -> None:
    enum = "#ifdef CONFIG_64BIT\n\tDECLARE_VMA_BIT(GUARDX, 45),\n#endif"
    lines = [" \tDECLARE_VMA_BIT(LOCKED, 13),", *plus(enum), " \tDECLARE_VMA_BIT(DONTDUMP, 26),"]
    report = verify(mail(hunk(MM_H, 21, lines)), tmp_path)
    assert of(report, "PC108") == [] and "PC108" in skipped(report)


def test_pc108_existing_flags_enumerator_changed_is_skipped(tmp_path: Path) -> None:
    """VM_SEALED's mask (and whatever guards it) is not in the hunks."""
    lines = [
        " \tDECLARE_VMA_BIT(LOCKED, 13),",
        "-\tDECLARE_VMA_BIT(SEALED, 63),",
        *plus("#ifdef CONFIG_64BIT\n\tDECLARE_VMA_BIT(SEALED, 63),\n#endif"),
        " \tDECLARE_VMA_BIT(DONTDUMP, 26),",
    ]
    report = verify(mail(hunk(MM_H, 21, lines)), tmp_path)
    assert of(report, "PC108") == []
    assert any(s.startswith("PC108 ") and "VM_SEALED" in s for s in report.skipped)


# The existing scenarios ----------------------------------------------------------------------------------
def test_no_treeless_collision_or_guard_mismatch_the_tree_does_not_confirm(tmp_path: Path) -> None:
    """Precision: on every registry scenario, what PC102 and PC108 say without a tree the tree says too."""
    for patch in [*sorted(REGISTRY.glob("*.patch")), *sorted((REGISTRY / "style-b").glob("*.patch"))]:
        text = patch.read_text()
        alone = {(f.rule_id, f.flag) for f in verify(text, tmp_path).findings if f.rule_id in RULES}
        if not alone:
            continue
        tree = REGISTRY / "base"
        if patch.parent.name == "style-b":
            tree = _style_b_base(tmp_path)
        full = {(f.rule_id, f.flag) for f in verify(text, tmp_path, tree).findings}
        assert alone <= full, patch.name


def test_pc108_fixture_is_decided_without_a_tree(tmp_path: Path) -> None:
    """The style-B scenario shows the enumerator (under CONFIG_ARM64) and the mask (CONFIG_64BIT)."""
    report = verify((REGISTRY / "style-b" / "pc108-mask-without-enumerator.patch").read_text(), tmp_path)
    (found,) = of(report, "PC108")
    assert found.flag == "VM_DEMO" and found.severity is Severity.WARNING


def _style_b_base(tmp_path: Path) -> Path:
    """fixtures/registry/base with style-b/mm.h as its include/linux/mm.h."""
    import shutil

    root = tmp_path / "style-b-base"
    if not root.exists():
        shutil.copytree(REGISTRY / "base", root)
        (root / "include/linux/mm.h").write_bytes((REGISTRY / "style-b" / "mm.h").read_bytes())
    return root
