"""The packs on Debian's linux-source-6.12: only true issues, and a new flag verified site by site."""

from __future__ import annotations

from pathlib import Path

import pytest
from packs_series import EDITS, Edit, build_series

from patchcheck.intake.apply import apply_series
from patchcheck.intake.assemble import load_series
from patchcheck.report.finding import Finding
from patchcheck.rules.base import CheckContext
from patchcheck.rules.packs import load_packs
from patchcheck.source.tree import DirectoryTree

pytestmark = pytest.mark.realtree


@pytest.fixture(scope="module")
def audit_findings(real_tree: Path) -> list[Finding]:
    return list(load_packs()[0].run(CheckContext(tree=DirectoryTree(real_tree))))


def test_audit_reports_exactly_the_dead_droppable_test_in_userfaultfd(audit_findings: list[Finding]) -> None:
    # Confirmed by reading 6.12.y: vma_can_userfault() masks vm_flags with __VM_UFFD_FLAGS and then tests
    # VM_DROPPABLE on it (R26). The mmap-time mlock site is NOT reported: this stable tree already has the
    # single-sourced vma_supports_mlock() predicate at both sites (mm/internal.h, mm/mlock.c, mm/mmap.c).
    got = [(f.rule_id, f.location.path, f.location.line, f.flag) for f in audit_findings if f.location]
    assert got == [("PC612", "include/linux/userfaultfd_k.h", 227, "VM_DROPPABLE")]


def verify_scratch(real_tree: Path, tmp_path: Path, leave_out: str | None) -> list[Finding]:
    mbox, _ = build_series(real_tree, leave_out=leave_out)
    path = tmp_path / "scratch.mbox"
    path.write_text(mbox)
    series = load_series(str(path))
    states = apply_series(series, DirectoryTree(real_tree))  # as strict as git am
    ctx = CheckContext(tree=states[-1].tree, series=series, patch_index=len(states))
    return list(load_packs()[0].run(ctx))


def test_series_adding_a_flag_with_every_site_handled_is_clean(real_tree: Path, tmp_path: Path) -> None:
    assert verify_scratch(real_tree, tmp_path, None) == []


@pytest.mark.parametrize("edit", [e for e in EDITS if e.rule], ids=lambda e: e.name)
def test_leaving_out_one_site_names_it(real_tree: Path, tmp_path: Path, edit: Edit) -> None:
    findings = verify_scratch(real_tree, tmp_path, edit.name)
    assert findings, f"leaving out {edit.name} went unnoticed"
    assert {f.rule_id for f in findings} == {edit.rule}, [f.message for f in findings]
    text = " ".join(f.message + " " + " ".join(f.evidence) + " " + (f.hint or "") for f in findings)
    assert edit.names in text
    assert all(f.flag == "VM_SCRATCH" for f in findings)


def test_whole_verify_engine_on_the_series_is_clean(real_tree: Path, tmp_path: Path) -> None:
    # Registry rules and packs together, on the tree after every patch (the series must be bisectable too).
    from patchcheck.rules.engine import verify_series

    mbox, _ = build_series(real_tree)
    (tmp_path / "scratch.mbox").write_text(mbox)
    report = verify_series(load_series(str(tmp_path / "scratch.mbox")), DirectoryTree(real_tree))
    # Patch 1 edits the smaps, trace and proc.rst tables: their gaps that predate it are named once each,
    # as pre-existing and one severity lower; nothing else.
    new = [f for f in report.findings if not f.message.endswith("(pre-existing)")]
    assert new == []
    old = [f for f in report.findings if f not in new]
    assert old and all(f.patch == 1 and f.severity.value in ("warning", "info") for f in old)
    tables = {"PC201", "PC202", "PC203", "PC204", "PC301", "PC303", "PC401", "PC402"}
    assert {f.rule_id for f in old} <= tables
