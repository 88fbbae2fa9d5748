"""A second audit of a tree at rest is the first one's report, read back (patchcheck.rules.auditmemo), and
no change to what the audit read ever gets the report of before."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

import patchcheck.rules.engine
from patchcheck.cli import run
from tests.registry.conftest import REGISTRY, scenario_changes
from tests.registry.test_cli import make_tree, write_changes
from tests.source.test_journal import aged

SCENARIOS = sorted(p.stem for p in REGISTRY.glob("*.patch"))


@pytest.fixture(autouse=True)
def own_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATCHCHECK_CACHE", str(tmp_path / "cache"))


def audit(capsys: pytest.CaptureFixture[str], root: Path, *extra: str) -> tuple[int, Any]:
    capsys.readouterr()
    status = run(["audit", "--tree", str(root), "--format", "json", *extra])
    out = capsys.readouterr().out
    return status, json.loads(out) if out else None


def no_rule_may_run(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("the audit ran")

    monkeypatch.setattr(patchcheck.rules.engine, "audit", refuse)


def test_a_second_audit_of_a_tree_at_rest_runs_no_rule(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    for scenario in ("pc202-ppc32-guard-mismatch", "pc101-undefined-use"):
        root = aged(make_tree(tmp_path / scenario, scenario))
        first = audit(capsys, root)
        assert first[0] == 1 and first[1]["findings"]
        with monkeypatch.context() as patched:
            no_rule_may_run(patched)
            assert audit(capsys, root) == first
            assert run(["audit", "--tree", str(root), "--format", "terse"]) == 1
            # Another selection of flags is another audit.
            assert audit(capsys, root, "--flag", "VM_DROPPABLE")[0] == 3


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_no_change_to_what_the_audit_read_gets_the_report_of_before(
    scenario: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every registry scenario, made on a tree whose clean audit was kept: the audit after it is the one a
    run without any cache gives (all but one scenario change the audit's report, pc504-silent-... is silent
    by design)."""
    root = aged(make_tree(tmp_path))
    before = audit(capsys, root)
    write_changes(root, scenario_changes(scenario))
    after = audit(capsys, root)
    monkeypatch.setenv("PATCHCHECK_CACHE", "off")
    assert after == audit(capsys, root)
    assert (after == before) == scenario.startswith("pc504-silent")


def test_a_file_only_grep_reads_is_watched_too(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """PC101's search reads every C file of mm/, include/, fs/ and kernel/ with grep: a use added in place
    to a file no rule reads otherwise is found."""
    root = make_tree(tmp_path)
    user = root / "fs/seal/seal_user.c"
    user.parent.mkdir()
    (root / "fs/seal/Makefile").write_text("obj-y += seal_user.o\n")
    user.write_text("int vma_sealed(unsigned long vm_flags)\n{\n\treturn 0;\n}\n")
    aged(root)
    status, first = audit(capsys, root)
    assert status == 0
    inode = user.stat().st_ino
    with user.open("w") as edited:  # in place: the directory does not change
        edited.write("int vma_sealed(unsigned long vm_flags)\n{\n\treturn (vm_flags & VM_SEALED) != 0;\n}\n")
    assert user.stat().st_ino == inode
    status, report = audit(capsys, root)
    assert status == 1
    (new,) = [f for f in report["findings"] if f not in first["findings"]]
    assert (new["rule_id"], new["location"]["path"]) == ("PC101", "fs/seal/seal_user.c")


@pytest.mark.parametrize("why", ["the tree was written as the audit began", "the cache is off"])
def test_nothing_is_kept_when(
    why: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    root = make_tree(tmp_path, "pc202-ppc32-guard-mismatch")  # just written
    if why == "the cache is off":
        monkeypatch.setenv("PATCHCHECK_CACHE", "off")
        aged(root)
    assert audit(capsys, root)[0] == 1
    no_rule_may_run(monkeypatch)
    assert audit(capsys, root)[0] == 3


def test_symlinks_out_of_the_tree_are_noted_as_they_are_now(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A link out of the tree is noted with its target: a new target is a new note, and the note's wording
    is this code's (the kept audit holds the links, not the notes)."""
    root = make_tree(tmp_path)
    (tmp_path / "out1").mkdir()
    (tmp_path / "out2").mkdir()
    (root / "kernel").symlink_to(tmp_path / "out1")
    aged(tmp_path)
    assert audit(capsys, root)[1]["notes"] == [
        f"kernel: a symlink out of the tree (to {tmp_path}/out1); not followed"
    ]
    monkeypatch.setattr("patchcheck.cli.trees.outside_notes", lambda outside: [f"links: {sorted(outside)}"])
    assert audit(capsys, root)[1]["notes"] == ["links: ['kernel']"]
    (root / "kernel").unlink()
    (root / "kernel").symlink_to(tmp_path / "out2")
    monkeypatch.undo()
    monkeypatch.setenv("PATCHCHECK_CACHE", str(tmp_path / "cache"))
    assert audit(capsys, root)[1]["notes"] == [
        f"kernel: a symlink out of the tree (to {tmp_path}/out2); not followed"
    ]


def test_a_damaged_kept_audit_is_a_miss(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from patchcheck.rules.auditmemo import _NAMESPACE, AuditMemo, KeptAudit
    from patchcheck.source.cache import DiskCache
    from patchcheck.source.journal import Stamps
    from patchcheck.source.tree import DirectoryTree

    root = aged(make_tree(tmp_path, "pc202-ppc32-guard-mismatch"))
    first = audit(capsys, root)
    memo = AuditMemo.of(DirectoryTree(root), None, [])
    assert memo is not None
    kept = DiskCache().get(_NAMESPACE, memo.key, KeptAudit)
    assert isinstance(kept, KeptAudit)
    damaged = KeptAudit(Stamps((("a\0b", None),), (), ()), kept.report, kept.catalogue, {})
    DiskCache().put(_NAMESPACE, memo.key, damaged)
    assert audit(capsys, root) == first
