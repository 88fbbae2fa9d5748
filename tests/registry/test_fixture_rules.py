"""Every registry rule fires on the scenario written for it, and is silent on the base tree.

The expected sets are exact: a scenario that also trips a neighbouring rule says so (e.g. a collision also
has no mnemonic), so a rule that starts firing where it should not is caught here.
"""

from __future__ import annotations

import pytest

from patchcheck.model import load_flag_model
from patchcheck.report.finding import Report, Severity
from patchcheck.rules import engine
from patchcheck.rules.catalogue import builtin_rule_docs
from patchcheck.rules.registry import registry_checkers
from patchcheck.source.tree import DirectoryTree, EmptyTree, OverlayTree, SourceTree, read_text
from tests.registry.conftest import (
    REGISTRY,
    STYLES,
    base_tree,
    patched_files,
    scenario_tree,
    scenarios,
    style_b_only,
)


def audit(tree: SourceTree, *, flags: frozenset[str] | None = None) -> Report:
    """The registry rules alone: the fixture trees are registry files, not whole kernels for the packs."""
    return engine.audit(tree, flags=flags, checkers=registry_checkers())


EXPECTED: dict[str, set[str]] = {
    "pc101-undefined-use": {"PC101"},
    "pc102-collision": {"PC102", "PC201", "PC303"},
    "pc102-split-pool-conditional-select": {"PC102", "PC204"},
    "pc103-high-bit-on-32bit": {"PC103", "PC201", "PC303"},
    "pc104-arch1-alias": {"PC104"},
    "pc107-defined-twice": {"PC107"},
    "pc109-mirror-wrong-bit": {"PC109"},
    "pc201-mnemonic-missing": {"PC201", "PC303"},
    "pc202-ppc32-guard-mismatch": {"PC202"},
    "pc202-entry-where-none": {"PC202"},
    "pc202-new-flag-guards-differ": {"PC202", "PC401", "PC303"},
    "pc202-new-arch-flag-guards-differ": {"PC202", "PC401", "PC103"},
    "pc203-duplicate-code": {"PC203", "PC402"},
    "pc204-duplicate-index": {"PC102", "PC204"},
    "pc204-two-arch1-alias-entries": {"PC104", "PC204"},
    "pc205-value-test": {"PC205"},
    "pc301-unwrapped-trace-entry": {"PC301"},
    "pc301-trace-guard-too-narrow": {"PC301"},
    "pc302-trace-value-test": {"PC302", "PC301"},
    "pc303-trace-name-missing": {"PC303"},
    "pc304-arch1-alias-shadowed": {"PC304"},
    "pc401-mnemonic-undocumented": {"PC401"},
    "pc402-documented-but-gone": {"PC402"},
    "pc403-narrow-border": {"PC403"},
    "pc501-unknown-symbol": {"PC501", "PC202", "PC301"},
    "pc502-high-pool-unselected": {"PC502"},  # the one cause of the build errors at VM_MTE's uses
    "pc503-helper-never-selected": {"PC503"},
    "pc504-helper-selected-on-32bit": {"PC504", "PC103"},
    "pc504-silent-selected-on-64bit-only": set(),
}
# Scenarios of what only the bit-number style has (fixtures/registry/style-b/ only).
EXPECTED_STYLE_B: dict[str, set[str]] = {
    "pc108-mask-without-enumerator": {"PC108", "PC201"},
}


def test_every_scenario_is_listed() -> None:
    assert sorted(EXPECTED) == scenarios()
    assert sorted(EXPECTED_STYLE_B) == style_b_only()


def test_every_rule_has_a_firing_scenario() -> None:
    # The rules judged on a series' own lines are tested on series (tests/registry/test_series_rules.py).
    from patchcheck.rules.registry.series import SeriesChecker

    series_rules = {d.id for d in SeriesChecker.rules}
    registry_rules = {d.id for d in builtin_rule_docs() if d.id != "PC001"} - series_rules
    fired = set().union(*EXPECTED.values(), *EXPECTED_STYLE_B.values())
    assert registry_rules <= fired
    for rule in registry_rules:
        assert any(name.startswith(rule.lower()) for name in [*EXPECTED, *EXPECTED_STYLE_B]), (
            f"{rule} has no scenario of its own"
        )


def test_base_tree_is_silent() -> None:
    report = audit(scenario_tree("base"))
    assert report.findings == []
    assert report.skipped == []


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_scenario_fires_exactly(name: str) -> None:
    report = audit(scenario_tree(name))
    assert {f.rule_id for f in report.findings} == EXPECTED[name]
    for f in report.findings:
        assert f.location is not None and f.location.path
        assert f.evidence, f"{f.rule_id} without evidence"
        assert f.hint
        assert f.flag is None or f.flag in f.hint, f"{f.rule_id}'s hint does not name {f.flag}: {f.hint}"


@pytest.mark.parametrize("name", sorted(EXPECTED_STYLE_B))
def test_style_b_scenario_fires_exactly(name: str) -> None:
    report = audit(scenario_tree(name, "B"))
    assert {f.rule_id for f in report.findings} == EXPECTED_STYLE_B[name]
    assert all(f.evidence and f.hint for f in report.findings)


def _only(name: str, rule: str) -> list[tuple[str, int | None, str | None, str]]:
    report = audit(scenario_tree(name))
    return [
        (f.location.path, f.location.line, f.flag, f.message)
        for f in report.findings
        if f.rule_id == rule and f.location is not None
    ]


def test_ppc32_elif_against_64bit_smaps_guard() -> None:
    ((path, line, flag, message),) = _only("pc202-ppc32-guard-mismatch", "PC202")
    assert (path, line, flag) == ("fs/proc/task_mmu.c", 44, "VM_DROPPABLE")
    assert "alias of VM_ARCH_1" in message and "'ar'" in message
    finding = next(f for f in audit(scenario_tree("pc202-ppc32-guard-mismatch")).findings)
    assert any("ARCH=powerpc" in e and "CONFIG_PPC32=y" in e for e in finding.evidence)
    assert finding.severity is Severity.ERROR


def test_guard_hint_quotes_the_flag_under_review_and_its_own_guard() -> None:
    """PC202's hint is the guard of the flag it is about, for any flag (not VM_DROPPABLE's for all)."""
    hints = {
        f.flag: f.hint
        for name in ("pc202-ppc32-guard-mismatch", "pc202-entry-where-none")
        for f in audit(scenario_tree(name)).findings
        if f.rule_id == "PC202"
    }
    assert hints["VM_DROPPABLE"] is not None and hints["VM_SOFTDIRTY"] is not None
    assert "`#if defined(CONFIG_64BIT) || " in hints["VM_DROPPABLE"]
    assert "defined(CONFIG_PPC32)" in hints["VM_DROPPABLE"]
    assert "`#if defined(CONFIG_MEM_SOFT_DIRTY)`" in hints["VM_SOFTDIRTY"]
    assert "PPC32" not in hints["VM_SOFTDIRTY"]


def test_missing_mnemonic_hint_quotes_the_flag_and_its_own_guard() -> None:
    """PC201's hint gives the guard the new entry needs: the flag's definition's, for any flag."""
    hints = {
        f.flag: f.hint or ""
        for name in ("pc201-mnemonic-missing", "pc103-high-bit-on-32bit")
        for f in audit(scenario_tree(name)).findings
        if f.rule_id == "PC201"
    }
    assert "`[ilog2(VM_QUIET)] = " in hints["VM_QUIET"] and "`#if defined(CONFIG_64BIT)`" in hints["VM_QUIET"]
    assert "`[ilog2(VM_SOFTTRACK)] = " in hints["VM_SOFTTRACK"]
    assert (
        "`#if defined(CONFIG_MEM_SOFT_DIRTY)`" in hints["VM_SOFTTRACK"]
        and "64BIT" not in hints["VM_SOFTTRACK"]
    )


def test_value_test_hint_is_the_flag_s_condition_in_c_without_what_the_block_around_gives() -> None:
    """PC205/PC302: the condition to test instead, as C (`defined()`), without the conjuncts the enclosing
    `#ifdef` already requires, simplified; for any flag."""
    hints = {
        f.flag: f.hint or ""
        for name in ("pc205-value-test", "pc302-trace-value-test")
        for f in audit(scenario_tree(name)).findings
        if f.rule_id in ("PC205", "PC302")
    }
    pkey, droppable = hints["VM_PKEY_BIT4"], hints["VM_DROPPABLE"]
    assert "`#if (CONFIG_ARCH_PKEY_BITS > 4) && defined(CONFIG_ARCH_USES_HIGH_VMA_FLAGS)`" in pkey
    assert "ARCH_HAS_PKEYS" not in pkey  # the block around the test is #ifdef CONFIG_ARCH_HAS_PKEYS
    assert "`#if defined(CONFIG_64BIT) || defined(CONFIG_PPC32)`" in droppable


def test_value_test_hint_on_an_elif_takes_nothing_from_the_branch_before() -> None:
    """`#ifdef CONFIG_ARCH_HAS_PKEYS ... #elif VM_PKEY_BIT4`: the #elif is reached where ARCH_HAS_PKEYS is
    off, so the hint must keep it (the flag is 0 there, which the full condition says)."""
    path = "fs/proc/task_mmu.c"
    base = scenario_tree("base")
    text = base.read_bytes(path)
    assert text is not None
    elif_text = text.replace(
        b'#if CONFIG_ARCH_PKEY_BITS > 4\n\t\t[ilog2(VM_PKEY_BIT4)]\t= "",\n#endif\n#endif\n',
        b"#endif\n#ifdef CONFIG_ARCH_HAS_PKEYS\n#elif VM_PKEY_BIT4\n"
        b'\t\t[ilog2(VM_PKEY_BIT4)]\t= "",\n#endif\n',
    )
    assert elif_text != text
    tree = OverlayTree(DirectoryTree(REGISTRY / "base"), {path: elif_text})
    (hint,) = [f.hint for f in audit(tree).findings if f.rule_id == "PC205"]
    assert hint is not None and "defined(CONFIG_ARCH_HAS_PKEYS)" in hint, hint


def test_entry_where_flag_is_none_clobbers_rd() -> None:
    ((path, line, flag, message),) = _only("pc202-entry-where-none", "PC202")
    assert (path, line, flag) == ("fs/proc/task_mmu.c", 22, "VM_SOFTDIRTY")
    assert 'overwrites "rd"' in message


def test_not_collisions_pkeys_mte_shadow_stack_and_aliases() -> None:
    """The base shares bit 36 (pkey bit 4 on powerpc, MTE on arm64), bit 37 (shadow stack on x86, MTE_ALLOWED
    on arm64) and VM_ARCH_1 (PAT, SAO, BTI, DROPPABLE on PPC32), and has VM_STACK/VM_STACK_EARLY aliases."""
    rules = {f.rule_id for f in audit(scenario_tree("base")).findings}
    assert not rules & {"PC102", "PC104", "PC204"}


def test_collision_names_both_flags_and_the_bit() -> None:
    ((path, _line, flag, message),) = _only("pc102-collision", "PC102")
    assert path == "include/linux/mm.h" and flag == "VM_COPYBIT"
    assert "VM_DROPPABLE" in message and "bit 40" in message


def test_gcs_against_mte_allowed_is_a_duplicate_slot() -> None:
    ((path, _line, _flag, message),) = _only("pc204-duplicate-index", "PC204")
    assert path == "fs/proc/task_mmu.c" and "slot 37" in message and "VM_MTE_ALLOWED" in message


def test_undefined_use_points_at_the_use() -> None:
    ((path, line, flag, _),) = _only("pc101-undefined-use", "PC101")
    assert (path, line, flag) == ("mm/seal_user.c", 6, "VM_SEALED")


def test_helper_selected_by_a_32bit_arch_names_the_selector() -> None:
    report = audit(scenario_tree("pc504-helper-selected-on-32bit"))
    finding = next(f for f in report.findings if f.rule_id == "PC504")
    assert finding.location is not None and finding.location.path == "mm/Kconfig"
    assert any("SUPERH selects it" in e for e in finding.evidence)


def test_flag_filter_keeps_only_that_flag() -> None:
    tree = scenario_tree("pc102-collision")
    report = audit(tree, flags=frozenset({"VM_SEALED"}))
    assert report.findings == []
    report = audit(tree, flags=frozenset({"VM_COPYBIT"}))
    assert {f.flag for f in report.findings} == {"VM_COPYBIT"}


def test_absent_registry_file_is_skipped_not_clean() -> None:
    from patchcheck.source.tree import OverlayTree

    tree = OverlayTree(
        scenario_tree("pc401-mnemonic-undocumented"), {"Documentation/filesystems/proc.rst": None}
    )
    report = audit(tree)
    assert not any(f.rule_id.startswith("PC40") for f in report.findings)
    assert any(s.startswith("PC402 ") and "proc.rst" in s for s in report.skipped)


def test_field_guide_r1_to_r17_each_have_a_rule() -> None:
    covered = {r for d in builtin_rule_docs() for r in d.scope}
    assert {f"R{n}" for n in range(1, 18)} <= covered


def test_partial_tree_without_kconfig_skips_the_rules_that_need_it() -> None:
    from patchcheck.source.tree import OverlayTree

    files = [
        "include/linux/mm.h",
        "fs/proc/task_mmu.c",
        "include/trace/events/mmflags.h",
        "Documentation/filesystems/proc.rst",
    ]
    full = scenario_tree("pc202-ppc32-guard-mismatch")
    partial = OverlayTree(EmptyTree(), {p: full.read_bytes(p) for p in files})
    report = audit(partial)
    assert report.findings == []
    skipped = {s.split()[0] for s in report.skipped}
    assert {"PC102", "PC202", "PC301", "PC501"} <= skipped
    assert not skipped & {"PC205", "PC401", "PC402"}


def test_trace_entry_narrower_than_the_flag_is_a_warning() -> None:
    (finding,) = audit(scenario_tree("pc301-trace-guard-too-narrow")).findings
    assert finding.severity is Severity.WARNING and finding.flag == "VM_SOFTDIRTY"
    assert "no trace name in some configurations" in finding.message
    assert any("ARCH=" in e and "CONFIG_X86=n" in e for e in finding.evidence)


def test_never_selected_with_the_whole_tree_is_an_error() -> None:
    findings = audit(scenario_tree("pc503-helper-never-selected")).findings
    (pc503,) = [f for f in findings if f.rule_id == "PC503"]
    assert pc503.severity is Severity.ERROR and "missing patch" not in pc503.message


def test_description_past_the_last_border_is_cosmetic() -> None:
    """RST's rightmost column is unbounded (docutils renders it): a nit (R14), not a warning that fails a
    hook."""
    (pc403,) = audit(scenario_tree("pc403-narrow-border")).findings
    assert pc403.severity is Severity.INFO and "cosmetic" in pc403.message


def test_code_wider_than_its_column_breaks_the_table() -> None:
    from patchcheck.source.tree import OverlayTree

    base = scenario_tree("pc403-narrow-border")
    rst = base.read_bytes("Documentation/filesystems/proc.rst")
    assert rst is not None
    narrow = rst.replace(b"\n    ==    ", b"\n    =     ")
    tree = OverlayTree(base, {"Documentation/filesystems/proc.rst": narrow})
    (pc403,) = [f for f in audit(tree).findings if f.rule_id == "PC403"]
    assert pc403.severity is Severity.WARNING and "break the table" in pc403.message


def test_trace_entry_where_the_flag_is_zero_says_why_it_misprints() -> None:
    ((path, _, flag, message),) = _only("pc301-unwrapped-trace-entry", "PC301")
    assert (path, flag) == ("include/trace/events/mmflags.h", "VM_SOFTDIRTY")
    assert message.endswith('a zero mask matches any flags, so every VMA is printed as "softdirty"')


def _typo(tree: SourceTree, path: str, line: int, old: str, new: str) -> SourceTree:
    """`tree` with `old` replaced by `new` on one line of `path`."""
    from patchcheck.source.tree import OverlayTree

    lines = (read_text(tree, path) or "").split("\n")
    assert old in lines[line - 1], lines[line - 1]
    lines[line - 1] = lines[line - 1].replace(old, new)
    return OverlayTree(tree, {path: "\n".join(lines).encode()})


@pytest.mark.parametrize("style", ["A", "B"])
def test_unknown_symbol_points_at_the_conditional_that_names_it(style: str) -> None:
    """PC501 is fixed on the `#if` line: it points there, not at the flag's definition under it (an
    `#else` branch reaches it through the chain it belongs to)."""
    report = audit(scenario_tree("pc501-unknown-symbol", style))
    ((path, line),) = [
        (f.location.path, f.location.line) for f in report.findings if f.rule_id == "PC501" and f.location
    ]
    text = (read_text(scenario_tree("pc501-unknown-symbol", style), path) or "").split("\n")
    assert text[line - 1].startswith("#ifdef CONFIG_MEM_SOFTDIRTY")


def test_unknown_symbol_in_smaps_and_trace_guards_points_at_their_conditionals() -> None:
    """Another flag and the other two registry files: a typo in the userfaultfd-minor guard of the smaps
    table and of the trace names, and one in the outer `#ifdef` of a nested pair (pkeys)."""
    base = scenario_tree("base")
    tree = _typo(base, "fs/proc/task_mmu.c", 37, "USERFAULTFD_MINOR", "USERFAULTFD_MINR")
    tree = _typo(tree, "include/trace/events/mmflags.h", 22, "USERFAULTFD_MINOR", "USERFAULTFD_MINR")
    tree = _typo(tree, "fs/proc/task_mmu.c", 30, "ARCH_HAS_PKEYS", "ARCH_HAS_PKEY")
    found = sorted(
        (f.location.path, f.location.line, f.flag)
        for f in audit(tree).findings
        if f.rule_id == "PC501" and f.location
    )
    assert found == [
        ("fs/proc/task_mmu.c", 30, "VM_PKEY_BIT0"),
        ("fs/proc/task_mmu.c", 37, "VM_UFFD_MINOR"),
        ("include/trace/events/mmflags.h", 22, "VM_UFFD_MINOR"),
    ]


@pytest.mark.parametrize("style", STYLES)
def test_a_flag_on_a_pool_bit_of_two_architectures_wants_no_trace_name(style: str) -> None:
    """VM_HIGH_ARCH_n flags are architectures' flags (pkeys, MTE, shadow stack), however many define one:
    PC303 asks a trace name of generic flags only. The same flag on a bit of its own is generic, and asked."""
    more = REGISTRY / "more"
    changes = dict(patched_files(more / "pool-flag-on-two-arches.patch", base_tree("A")))
    if style == "B":
        changes.update(patched_files(more / "pool-flag-on-two-arches.style-b.patch", base_tree("B")))
    tree = OverlayTree(DirectoryTree(REGISTRY / "base"), changes)
    assert audit(tree).findings == []
    (flag,) = [f for f in load_flag_model(tree).flags.values() if f.name == "VM_TAGGED_STACK"]
    assert {v.value.via for v in flag.variants if v.value.kind == "bit"} == {("VM_HIGH_ARCH_2",)}
    mm = tree.read_bytes("include/linux/mm.h") or b""
    own_bit = b"# define VM_TAGGED_STACK\tBIT(42)\n"
    generic = mm.replace(b"# define VM_TAGGED_STACK\tVM_HIGH_ARCH_2\n", own_bit)
    generic = generic.replace(b"# define VM_TAGGED_STACK\tINIT_VM_FLAG(TAGGED_STACK)\n", own_bit)
    assert generic != mm
    found = audit(OverlayTree(tree, {"include/linux/mm.h": generic})).findings
    assert [(f.rule_id, f.flag) for f in found] == [("PC303", "VM_TAGGED_STACK")]
    assert "more than one architecture, e.g. arm64, x86" in " ".join(found[0].evidence)


def test_a_missing_select_is_one_finding_not_one_per_use() -> None:
    """ARM64_MTE without `select ARCH_USES_HIGH_VMA_FLAGS`: VM_MTE and VM_MTE_ALLOWED expand to undefined
    VM_HIGH_ARCH_n there. PC502 names that cause; the uses and smaps entries that fail to build for it are
    not each an error of their own (PC101, PC202), while a flag with no #define at all still is (PC101)."""
    pool = audit(scenario_tree("pc502-high-pool-unselected")).findings
    assert sorted((f.rule_id, f.flag) for f in pool) == [("PC502", "VM_MTE"), ("PC502", "VM_MTE_ALLOWED")]
    assert {f.rule_id for f in audit(scenario_tree("pc101-undefined-use")).findings} == {"PC101"}
