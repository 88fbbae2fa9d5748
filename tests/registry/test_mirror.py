"""PC109: tools/testing/vma/vma_internal.h is checked like mm.h: the same flags, the same bits, Kconfig
symbols that exist; in both declaration styles of mm.h (and of the mirror)."""

from __future__ import annotations

import pytest

from patchcheck.report.finding import Finding, Severity
from patchcheck.rules import engine
from patchcheck.rules.registry import registry_checkers
from patchcheck.source.tree import OverlayTree, SourceTree
from tests.registry.conftest import STYLES, scenario_tree

MIRROR = "tools/testing/vma/vma_internal.h"


def mirror_findings(tree: SourceTree) -> list[Finding]:
    return [f for f in engine.audit(tree, checkers=registry_checkers()).findings if f.rule_id == "PC109"]


def with_mirror_edit(style: str, old: str, new: str) -> OverlayTree:
    tree = scenario_tree("base", style)
    text = (tree.read_bytes(MIRROR) or b"").decode()
    assert text.count(old) == 1, old
    return OverlayTree(tree, {MIRROR: text.replace(old, new).encode()})


@pytest.mark.parametrize("style", STYLES)
def test_a_bit_mm_h_never_gives_the_flag_is_an_error(style: str) -> None:
    (f,) = mirror_findings(scenario_tree("pc109-mirror-wrong-bit", style))
    assert (f.severity, f.flag, f.location and f.location.path) == (Severity.ERROR, "VM_DROPPABLE", MIRROR)
    assert f.message == "VM_DROPPABLE is bit 10 in the mirror but bit 24, 40 in include/linux/mm.h"


@pytest.mark.parametrize("style", STYLES)
@pytest.mark.parametrize(
    ("flag", "line"),
    [("VM_SEALED", "#define VM_SEALED\t_BITUL(62)"), ("VM_LOCKED", "#define VM_LOCKED\t0x00004000")],
)
def test_two_flags_on_another_bit(style: str, flag: str, line: str) -> None:
    old = next(
        ln
        for ln in (scenario_tree("base").read_bytes(MIRROR) or b"").decode().splitlines()
        if ln.startswith(f"#define {flag}\t")
    )
    (f,) = mirror_findings(with_mirror_edit(style, old, line))
    assert f.flag == flag and f.severity is Severity.ERROR


@pytest.mark.parametrize("style", STYLES)
def test_a_flag_the_kernel_does_not_have_is_stale(style: str) -> None:
    tree = with_mirror_edit(
        style, "#define VM_SOFTDIRTY\t0\n", "#define VM_SOFTDIRTY\t0\n#define VM_GONE\t0x00000800\n"
    )
    (f,) = mirror_findings(tree)
    assert f.severity is Severity.WARNING and f.message.startswith(
        "VM_GONE is defined in the mirror but not in"
    )


@pytest.mark.parametrize("style", STYLES)
def test_zeroing_a_flag_mm_h_always_has_is_a_warning(style: str) -> None:
    (f,) = mirror_findings(
        with_mirror_edit(style, "#define VM_GROWSDOWN\t0x00000100", "#define VM_GROWSDOWN\t0")
    )
    assert f.severity is Severity.WARNING and "never a bit in the mirror but always bit 8" in f.message


def test_zeroing_a_configuration_dependent_flag_is_fine() -> None:
    """VM_SOFTDIRTY and VM_SHADOW_STACK are 0 / VM_NONE in the base mirror: a userland configuration."""
    assert mirror_findings(scenario_tree("base")) == []


@pytest.mark.parametrize("style", STYLES)
def test_a_guard_on_a_symbol_no_kconfig_defines(style: str) -> None:
    (f,) = mirror_findings(with_mirror_edit(style, "#ifdef CONFIG_MMU\n", "#ifdef CONFIG_STACK_GROWS_UP\n"))
    assert f.location is not None and f.location.line == 23
    assert f.message.startswith("CONFIG_STACK_GROWS_UP is not defined in any Kconfig file")


def test_a_style_b_mirror_is_read_like_mm_h() -> None:
    """The mirror may declare by bit number too: the same model reads it."""
    tree = with_mirror_edit(
        "B",
        "#define VM_LOCKED\t0x00002000\n",
        "enum {\n\tVMA_LOCKED_BIT = 13,\n\tVMA_DROPPABLE_BIT = 12,\n};\n"
        "#define VM_LOCKED\tBIT(VMA_LOCKED_BIT)\n#define VM_DROPPABLE\tBIT(VMA_DROPPABLE_BIT)\n",
    )
    assert [(f.flag, f.message) for f in mirror_findings(tree)] == [
        ("VM_DROPPABLE", "VM_DROPPABLE is bit 12 in the mirror but bit 24, 40 in include/linux/mm.h")
    ]
