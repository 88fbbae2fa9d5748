"""`patchcheck audit` and `patchcheck rules` as hooks and people use them."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from tests.registry.conftest import REGISTRY, scenario_changes


def run(*args: str) -> subprocess.CompletedProcess[str]:
    """The command in a pipe, as a script runs it: no $COLUMNS (a test runner may set one)."""
    env = {k: v for k, v in os.environ.items() if k != "COLUMNS"}
    return subprocess.run(
        [sys.executable, "-m", "patchcheck", *args], capture_output=True, text=True, env=env
    )


def make_tree(tmp_path: Path, scenario: str | None = None) -> Path:
    root = tmp_path / "tree"
    shutil.copytree(REGISTRY / "base", root)
    write_changes(root, scenario_changes(scenario) if scenario else {})
    return root


def write_changes(root: Path, changes: dict[str, bytes | None]) -> None:
    """Write a scenario's files into the directory `root` (None: delete the file)."""
    for path, data in changes.items():
        target = root / path
        if data is None:
            target.unlink()
        else:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)


def test_audit_clean_tree_is_quiet_and_exits_zero(tmp_path: Path) -> None:
    """The registry fixture is clean for every registry rule. It is not a whole kernel, so audit (which
    also runs the rule packs) says which pack rules it could not run there or could not decide, and
    nothing else."""
    tree = str(make_tree(tmp_path))
    out = run("audit", "--tree", tree, "--format", "json")
    assert (out.returncode, out.stderr) == (0, "")
    data = json.loads(out.stdout)
    assert {(f["rule_id"], f["severity"]) for f in data["findings"]} <= {("PC704", "unresolved")}
    assert data["skipped"] and all(s.startswith(("PC6", "PC7")) for s in data["skipped"])
    assert run("audit", "--tree", tree).returncode == 0


def test_audit_reports_file_line_rule_and_exits_one(tmp_path: Path) -> None:
    out = run("audit", "--tree", str(make_tree(tmp_path, "pc202-ppc32-guard-mismatch")), "--explain")
    assert out.returncode == 1
    first = out.stdout.splitlines()[0]
    assert first.startswith("fs/proc/task_mmu.c:44: error: VM_DROPPABLE has no mnemonic")
    assert first.endswith("[PC202]")
    assert "    fix: " in out.stdout


def test_audit_json(tmp_path: Path) -> None:
    tree = str(make_tree(tmp_path, "pc304-arch1-alias-shadowed"))
    out = run("audit", "--tree", tree, "--format", "json")
    assert out.returncode == 0  # a warning fails only with --fail-on warning
    assert run("audit", "--tree", tree, "--fail-on", "warning").returncode == 1
    data = json.loads(out.stdout)
    # PC704: the fixture's mm/memory.c is not a whole one (see the clean-tree test above).
    (finding,) = [f for f in data["findings"] if f["rule_id"] != "PC704"]
    assert finding["rule_id"] == "PC304" and finding["flag"] == "VM_DROPPABLE"
    assert finding["location"]["path"] == "include/trace/events/mmflags.h" and finding["location"]["line"] > 0
    assert finding["evidence"] and finding["hint"]


def test_audit_flag_filter(tmp_path: Path) -> None:
    tree = str(make_tree(tmp_path, "pc102-collision"))
    assert run("audit", "--tree", tree, "--flag", "VM_SEALED").returncode == 0
    out = run("audit", "--tree", tree, "--flag", "VM_COPYBIT", "--format", "json")
    assert {f["flag"] for f in json.loads(out.stdout)["findings"]} == {"VM_COPYBIT"}


def test_audit_bad_input_is_one_line_exit_two(tmp_path: Path) -> None:
    for args in (
        ["--tree", str(tmp_path)],
        ["--tree", str(tmp_path / "nope")],
        ["--tree", str(make_tree(tmp_path)), "--flag", "READ"],
        ["--tree", str(make_tree(tmp_path / "b")), "--flag", "VM_NO_SUCH_FLAG"],
        ["--tree", str(make_tree(tmp_path / "c")), "--format", "xml"],
    ):
        out = run("audit", *args)
        assert out.returncode == 2, args
        assert "Traceback" not in out.stderr and out.stderr.count("\n") == 1, out.stderr


def test_rules_lists_every_rule_ruff_style() -> None:
    out = run("rules")
    assert out.returncode == 0
    lines = out.stdout.splitlines()
    ids = [line.split()[0] for line in lines]
    assert {"PC001", "PC101", "PC202", "PC304", "PC401", "PC504"} <= set(ids)
    assert ids == sorted(ids)
    row = next(line for line in lines if line.startswith("PC202"))
    assert "smaps-guard-mismatch" in row and "error" in row


def test_rules_explains_one_rule_by_id_or_name() -> None:
    by_id = run("rules", "PC202")
    by_name = run("rules", "smaps-guard-mismatch")
    assert by_id.returncode == by_name.returncode == 0
    assert by_id.stdout == by_name.stdout
    for heading in ("## What it does", "## Why it matters", "## Example", "## Fix"):
        assert heading in by_id.stdout
    assert "R6" not in by_id.stdout  # the field guide is not shipped: its rule numbers are in the JSON only


def test_rules_fit_the_terminal_and_stay_one_line_per_rule_in_a_pipe() -> None:
    env = {**os.environ, "COLUMNS": "80"}
    narrow = subprocess.run(
        [sys.executable, "-m", "patchcheck", "rules"], capture_output=True, text=True, env=env
    )
    assert narrow.returncode == 0 and max(len(line) for line in narrow.stdout.splitlines()) <= 80
    page = subprocess.run(
        [sys.executable, "-m", "patchcheck", "rules", "PC612"], capture_output=True, text=True, env=env
    )
    assert max(len(line) for line in page.stdout.splitlines() if not line.startswith("    ")) <= 80
    piped = run("rules").stdout.splitlines()  # no COLUMNS: one line per rule, for grep
    assert all(line.startswith("PC") for line in piped)
    assert " ".join(narrow.stdout.split()) == " ".join(" ".join(piped).split())


def test_rules_unknown_id_is_exit_two() -> None:
    out = run("rules", "PC999")
    assert out.returncode == 2 and "PC999" in out.stderr and "Traceback" not in out.stderr


def test_rules_json() -> None:
    data = json.loads(run("rules", "--format", "json").stdout)
    assert all({"id", "name", "severity", "what", "why", "example", "scope"} <= set(d) for d in data)


def test_audit_at_a_git_revision(tmp_path: Path) -> None:
    root = make_tree(tmp_path, "pc101-undefined-use")
    git = ["git", "-C", str(root), "-c", "user.name=t", "-c", "user.email=t@example.org"]
    subprocess.run([*git, "init", "-q"], check=True)
    subprocess.run([*git, "add", "-A"], check=True)
    subprocess.run([*git, "commit", "-qm", "scenario"], check=True)
    (root / "mm" / "seal_user.c").unlink()  # the work tree differs; the revision still has the bad use
    out = run("audit", "--tree", str(root), "--rev", "HEAD")
    assert out.returncode == 1
    assert "mm/seal_user.c:6: error: VM_SEALED is used here" in out.stdout
    assert run("audit", "--tree", str(root), "--rev", "no-such-rev").returncode == 2


def _one_line_error(out: subprocess.CompletedProcess[str]) -> str:
    assert out.returncode == 2 and out.stdout == "", (out.returncode, out.stdout)
    lines = out.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("patchcheck: error: ") and "Traceback" not in out.stderr
    return lines[0]


def test_unusable_trees_are_one_line_and_exit_two(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    (tmp_path / "file").write_text("x\n")
    broken = make_tree(tmp_path)
    (broken / "include/linux/mm.h").unlink()
    (broken / "include/linux/mm.h").symlink_to("nowhere")
    for command in ("audit", "flags"):
        for where in (tmp_path / "missing", tmp_path / "file", tmp_path / "empty", broken):
            _one_line_error(run(command, "--tree", str(where)))
    typo = run("audit", "--tree", str(make_tree(tmp_path / "t")), "--flag", "VM_NOPE")
    assert "VM_NOPE" in _one_line_error(typo)


def test_kconfig_sourcing_outside_the_tree_does_not_stop_audit(tmp_path: Path) -> None:
    tree = make_tree(tmp_path)
    with (tree / "Kconfig").open("a") as kconfig:
        kconfig.write('source "../../../etc/passwd"\nsource "/etc/passwd"\n')
    out = run("audit", "--tree", str(tree), "--format", "json")
    assert out.returncode == 0 and out.stderr == "", out.stderr
