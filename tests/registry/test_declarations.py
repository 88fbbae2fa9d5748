"""Split definitions, collisions through pool bits and conditional selects, double definitions (PC107) and
enumerator/mask guards (PC108), in both declaration styles where the style has the shape."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from patchcheck.model import load_flag_model
from patchcheck.model.flags import satisfiable_alone
from patchcheck.report.finding import Finding, Severity
from patchcheck.rules import engine
from patchcheck.rules.registry import registry_checkers
from patchcheck.source.guards import Formula, Sym, conj, disj, neg, render
from patchcheck.source.tree import OverlayTree, SourceTree
from tests.registry.conftest import REGISTRY, STYLES, scenario_changes, scenario_tree

MM_H = "include/linux/mm.h"


def audit(tree: SourceTree) -> list[Finding]:
    return engine.audit(tree, checkers=registry_checkers()).findings


def edited(tree: SourceTree, old: str, new: str) -> OverlayTree:
    text = (tree.read_bytes(MM_H) or b"").decode()
    assert text.count(old) == 1, old
    return OverlayTree(tree, {MM_H: text.replace(old, new).encode()})


def _equivalent(f: Formula, g: Formula) -> bool:
    return not satisfiable_alone(disj(conj(f, neg(g)), conj(g, neg(f))))


@pytest.mark.parametrize("style", STYLES)
def test_every_if_block_is_a_variant_and_the_fallback_only_where_none_defined(style: str) -> None:
    model = load_flag_model(scenario_tree("pc102-split-pool-conditional-select", style))
    where = {
        v.value.describe(): v.guard for v in model.flags["VM_DEMO"].variants if v.value.kind != "undefined"
    }
    assert sorted(where) == ["VM_NONE", "bit 32 (= VM_HIGH_ARCH_0)", "bit 38 (= VM_HIGH_ARCH_6)"]
    pool, x86, arm64 = Sym("ARCH_USES_HIGH_VMA_FLAGS"), Sym("X86_DEMO"), Sym("ARM64_DEMO")
    assert _equivalent(where["bit 38 (= VM_HIGH_ARCH_6)"], conj(x86, pool))
    assert _equivalent(where["bit 32 (= VM_HIGH_ARCH_0)"], conj(arm64, pool))
    assert _equivalent(where["VM_NONE"], neg(disj(x86, arm64)))


@pytest.mark.parametrize("style", STYLES)
def test_pool_bit_collides_through_a_conditional_select(style: str) -> None:
    findings = audit(scenario_tree("pc102-split-pool-conditional-select", style))
    (pc102,) = [f for f in findings if f.rule_id == "PC102"]
    assert pc102.flag == "VM_DEMO" and "VM_UFFD_MINOR and VM_DEMO are both bit 38" in pc102.message
    example = next(e for e in pc102.evidence if e.startswith("example configuration:"))
    assert "ARCH=x86" in example and "CONFIG_USERFAULTFD=y" in example and "CONFIG_X86_DEMO=y" in example
    assert (
        "CONFIG_HAVE_ARCH_USERFAULTFD_MINOR=y: selected by X86_64 if USERFAULTFD (arch/x86/Kconfig)"
        in pc102.evidence
    )


@pytest.mark.parametrize("style", STYLES)
def test_without_the_select_condition_there_is_no_collision(style: str) -> None:
    """Drop the `if USERFAULTFD` select: x86 never has VM_UFFD_MINOR, so bit 38 is VM_DEMO's alone there."""
    tree = scenario_tree("pc102-split-pool-conditional-select", style)
    kconfig = (tree.read_bytes("arch/x86/Kconfig") or b"").replace(
        b"\tselect HAVE_ARCH_USERFAULTFD_MINOR if USERFAULTFD\n", b""
    )
    findings = audit(OverlayTree(tree, {"arch/x86/Kconfig": kconfig}))
    assert not [f for f in findings if f.rule_id in ("PC102", "PC204")]


def test_explain_shows_the_configuration(tmp_path: Path) -> None:
    root = tmp_path / "tree"
    shutil.copytree(REGISTRY / "base", root)
    for path, data in scenario_changes("pc102-split-pool-conditional-select", "B").items():
        assert data is not None
        (root / path).write_bytes(data)
    out = subprocess.run(
        [sys.executable, "-m", "patchcheck", "audit", "--tree", str(root), "--explain", "--flag", "VM_DEMO"],
        capture_output=True,
        text=True,
    )
    assert out.returncode == 1, out.stderr
    block = out.stdout[out.stdout.index("[PC102]") :]
    assert "CONFIG_USERFAULTFD=y" in block and "selected by X86_64 if USERFAULTFD" in block


@pytest.mark.parametrize("style", STYLES)
def test_two_blocks_defining_different_values_is_an_error(style: str) -> None:
    (pc107,) = [f for f in audit(scenario_tree("pc107-defined-twice", style)) if f.rule_id == "PC107"]
    assert pc107.severity is Severity.ERROR and pc107.flag == "VM_DEMO"
    assert pc107.message.endswith("bit 42 replaces bit 41")
    assert "where CONFIG_X86_DEMO && CONFIG_64BIT" in pc107.message


@pytest.mark.parametrize("style", STYLES)
@pytest.mark.parametrize(
    ("flag", "guard"),
    [("VM_SEALED", "CONFIG_64BIT"), ("VM_UFFD_MINOR", "CONFIG_HAVE_ARCH_USERFAULTFD_MINOR")],
)
def test_the_same_body_twice_is_a_warning(style: str, flag: str, guard: str) -> None:
    """The flag's definition repeated in a second block under the same guard (two flags, both styles)."""
    tree = scenario_tree("base", style)
    text = (tree.read_bytes(MM_H) or b"").decode()
    line = next(
        ln
        for ln in text.splitlines()
        if ln.lstrip("# ").startswith(f"define {flag}\t") and "VM_NONE" not in ln
    )
    tree = edited(tree, "/* Deliberate aliases", f"#ifdef {guard}\n{line}\n#endif\n\n/* Deliberate aliases")
    (pc107,) = [f for f in audit(tree) if f.rule_id == "PC107"]
    assert pc107.severity is Severity.WARNING and pc107.flag == flag and "same body" in pc107.message


@pytest.mark.parametrize("style", STYLES)
def test_an_overlapping_block_with_another_body_is_an_error(style: str) -> None:
    """A second block for arm64 defines VM_UFFD_MINOR as VM_NONE: arm64 always has the feature."""
    tree = edited(
        scenario_tree("base", style),
        "/* Deliberate aliases",
        "#ifdef CONFIG_ARM64\n# define VM_UFFD_MINOR\tVM_NONE\n#endif\n\n/* Deliberate aliases",
    )
    (pc107,) = [f for f in audit(tree) if f.rule_id == "PC107"]
    assert pc107.severity is Severity.ERROR and pc107.message.endswith("VM_NONE replaces bit 38")


@pytest.mark.parametrize("style", STYLES)
def test_exclusive_blocks_and_fallbacks_are_not_defined_twice(style: str) -> None:
    for name in ("base", "pc102-split-pool-conditional-select"):
        assert not [f for f in audit(scenario_tree(name, style)) if f.rule_id in ("PC107", "PC108")]


def test_mask_where_its_enumerator_is_missing_is_a_build_error() -> None:
    (pc108,) = [f for f in audit(scenario_tree("pc108-mask-without-enumerator", "B")) if f.rule_id == "PC108"]
    assert pc108.severity is Severity.ERROR and pc108.flag == "VM_DEMO"
    assert (
        "where CONFIG_64BIT && !CONFIG_ARM64" in pc108.message
        and "VMA_DEMO_BIT is not declared" in pc108.message
    )


@pytest.mark.parametrize(
    ("entry", "flag"), [("UFFD_MINOR, 38", "VM_UFFD_MINOR"), ("SEALED, 63", "VM_SEALED")]
)
def test_guarded_enumerator_wider_than_its_mask_is_an_unused_bit(entry: str, flag: str) -> None:
    """Two flags: their enum entries get a guard wider than the mask's (CONFIG_MMU is on 32-bit sh too)."""
    tree = edited(
        scenario_tree("base", "B"),
        f"\tDECLARE_VMA_BIT({entry}),\n",
        f"#ifdef CONFIG_MMU\n\tDECLARE_VMA_BIT({entry}),\n#endif\n",
    )
    (pc108,) = [f for f in audit(tree) if f.rule_id == "PC108"]
    assert pc108.severity is Severity.WARNING and pc108.flag == flag and "an unused bit" in pc108.message


def test_style_b_variant_guards_read_as_their_own_condition() -> None:
    """The mask's guard (64BIT || PPC32) conjoined with its enumerator's (PPC32 / else) reads simply."""
    model = load_flag_model(scenario_tree("base", "B"))
    shown = [(render(v.guard), v.value.describe()) for v in model.flags["VM_DROPPABLE"].variants]
    assert shown == [
        ("CONFIG_PPC32", "bit 24 (= VM_ARCH_1)"),
        ("CONFIG_64BIT && !CONFIG_PPC32", "bit 40"),
        ("!(CONFIG_64BIT || CONFIG_PPC32)", "VM_NONE"),
    ]


@pytest.mark.parametrize("style", STYLES)
def test_a_redefinition_after_undef_is_not_defined_twice(style: str) -> None:
    tree = edited(
        scenario_tree("base", style),
        "/* Deliberate aliases",
        "#ifdef CONFIG_ARM64\n#undef VM_UFFD_MINOR\n# define VM_UFFD_MINOR\tVM_NONE\n#endif\n\n"
        "/* Deliberate aliases",
    )
    assert not [f for f in audit(tree) if f.rule_id == "PC107"]
