"""`patchcheck flags`: text and JSON tables, and usage errors that exit 2 without a traceback."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest


def run(*args: str, columns: int = 250, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "COLUMNS": str(columns)}
    return subprocess.run(
        [sys.executable, "-m", "patchcheck", *args], capture_output=True, text=True, env=env, cwd=cwd
    )


def test_text_table(fixtures_dir: Path) -> None:
    out = run("flags", "--tree", str(fixtures_dir / "trees" / "classic"))
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert lines[0].split() == ["FLAG", "BIT", "GUARD", "SMAPS", "TRACE", "DOC"]
    droppable = next(i for i, line in enumerate(lines) if line.startswith("VM_DROPPABLE "))
    assert lines[droppable].split()[1:4] == ["bit", "40", "CONFIG_64BIT"]
    assert lines[droppable].split()[-3:] == ["dp", "droppable", "no"]
    assert "bit 24 (= VM_ARCH_1)" in lines[droppable + 1] and "CONFIG_PPC32" in lines[droppable + 1]
    assert "VM_NONE" in lines[droppable + 2]


def test_a_name_with_an_entry_per_guard_is_shown_once(fixtures_dir: Path) -> None:
    """The registry fixture traces VM_DROPPABLE twice (its PPC32 alias entry and its own): one name in the
    table, both entries in JSON."""
    tree = str(fixtures_dir / "registry" / "base")
    row = next(
        line for line in run("flags", "--tree", tree).stdout.splitlines() if line.startswith("VM_DROPPABLE ")
    )
    assert row.split()[-2:] == ["droppable", "yes"], row
    (flag,) = json.loads(run("flags", "--tree", tree, "--flag", "VM_DROPPABLE", "--format", "json").stdout)[
        "flags"
    ]
    assert [t["name"] for t in flag["trace"]] == ["droppable", "droppable"]


def test_json_and_flag_filter(fixtures_dir: Path) -> None:
    out = run(
        "flags",
        "--tree",
        str(fixtures_dir / "trees" / "classic"),
        "--format",
        "json",
        "--flag",
        "VM_SEALED",
        "--flag",
        "VM_PKEY_BIT3",
    )
    assert out.returncode == 0, out.stderr
    rows = {r["name"]: r for r in json.loads(out.stdout)["flags"]}
    assert sorted(rows) == ["VM_PKEY_BIT3", "VM_SEALED"]
    assert rows["VM_SEALED"]["definitions"] == [
        {"value": "bit", "bit": 63, "via": [], "text": "bit 63", "guard": "CONFIG_64BIT", "line": 114}
    ]
    assert rows["VM_SEALED"]["smaps"][0]["mnemonic"] == "sl" and rows["VM_SEALED"]["documented"] is True
    # the pool is undefined without ARCH_USES_HIGH_VMA_FLAGS, which pkeys always select: pruned
    assert [d["value"] for d in rows["VM_PKEY_BIT3"]["definitions"]] == ["bit", "zero"]


def test_text_fits_an_80_column_terminal(fixtures_dir: Path) -> None:
    wide = run("flags", "--tree", str(fixtures_dir / "trees" / "classic")).stdout.splitlines()
    assert max(map(len, wide)) > 80  # the one-line-per-variant table does not fit, so:
    out = run("flags", "--tree", str(fixtures_dir / "trees" / "classic"), columns=80)
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert max(map(len, lines)) <= 80
    droppable = next(i for i, line in enumerate(lines) if line.startswith("VM_DROPPABLE "))
    assert lines[droppable].split()[1:] == ["dp", "droppable", "no"]
    assert lines[droppable + 1].split()[:3] == ["bit", "40", "CONFIG_64BIT"]
    assert "bit 24 (= VM_ARCH_1)" in lines[droppable + 2] and "CONFIG_PPC32" in lines[droppable + 2]
    # every variant's guard is there whole, wrapped or not
    text = " ".join(" ".join(line.split()) for line in lines)
    for guard in json_guards(fixtures_dir):
        assert guard in text, guard


def json_guards(fixtures_dir: Path) -> list[str]:
    out = run("flags", "--tree", str(fixtures_dir / "trees" / "classic"), "--format", "json")
    return [
        d["guard"] for r in json.loads(out.stdout)["flags"] for d in r["definitions"] if d["guard"] != "1"
    ]


def test_rev_and_config(fixtures_dir: Path, tmp_path: Path) -> None:
    """--rev reads a git revision without checkout; --config (or .patchcheck.toml) names the tree."""
    repo = tmp_path / "linux"
    shutil.copytree(fixtures_dir / "trees" / "classic", repo)
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@e.invalid",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@e.invalid",
    }
    for args in (["init", "-q"], ["add", "-A"], ["commit", "-qm", "base"]):
        subprocess.run(["git", *args], cwd=repo, check=True, env=env, capture_output=True)
    mm_h = repo / "include/linux/mm.h"
    mm_h.write_text(mm_h.read_text().replace("VM_SEALED", "VM_SEALED_RENAMED"))
    at_head = run("flags", "--tree", str(repo), "--rev", "HEAD", "--flag", "VM_SEALED", "--format", "json")
    assert at_head.returncode == 0, at_head.stderr
    assert [r["name"] for r in json.loads(at_head.stdout)["flags"]] == ["VM_SEALED"]
    worktree = run("flags", "--tree", str(repo), "--flag", "VM_SEALED")
    assert worktree.returncode == 2  # the working tree no longer has it
    settings = tmp_path / "settings.toml"
    settings.write_text(f'tree = "{repo}"\n')
    by_config = run(
        "flags", "--config", str(settings), "--rev", "HEAD", "--flag", "VM_SEALED", "--format", "json"
    )
    assert json.loads(by_config.stdout) == json.loads(at_head.stdout)
    (tmp_path / ".patchcheck.toml").write_text('tree = "linux"\n')
    found = run("flags", "--rev", "HEAD", "--flag", "VM_SEALED", "--format", "json", cwd=tmp_path)
    assert json.loads(found.stdout)["flags"] == json.loads(at_head.stdout)["flags"]


@pytest.mark.parametrize(
    "args",
    [
        ["flags", "--tree", "/nonexistent/tree"],
        ["flags"],
        ["flags", "--tree", "."],
        ["flags", "--tree", "FIXTURE", "--format", "yaml"],
        ["flags", "--tree", "FIXTURE", "--flag", "VM_NO_SUCH_FLAG"],
    ],
)
def test_usage_errors(args: list[str], fixtures_dir: Path) -> None:
    args = [str(fixtures_dir / "trees" / "classic") if a == "FIXTURE" else a for a in args]
    out = run(*args)
    assert out.returncode == 2
    assert "Traceback" not in out.stderr
    assert out.stderr.startswith("patchcheck: error:")


def test_guards_line_up_whatever_the_first_variant_bit_is() -> None:
    """The BIT column is as wide as every variant's bit, not only the first one's."""
    from patchcheck.model.table import render_text

    def row(name: str, bits: list[tuple[str, str]]) -> dict[str, object]:
        return {
            "name": name,
            "smaps": [{"mnemonic": "xx"}],
            "trace": [{"name": "x"}],
            "documented": True,
            "definitions": [{"text": bit, "guard": guard} for bit, guard in bits],
        }

    rows = [
        row("VM_A", [("bit 41", "CONFIG_A"), ("VM_NONE", "!CONFIG_A")]),
        row("VM_B", [("bit 40", "CONFIG_64BIT"), ("bit 24 (= VM_ARCH_1)", "CONFIG_PPC32")]),
    ]
    lines = render_text(rows, width=200).splitlines()
    column = lines[0].index("GUARD")
    assert [line[column:].split()[0] for line in lines[1:]] == [
        "CONFIG_A",
        "!CONFIG_A",
        "CONFIG_64BIT",
        "CONFIG_PPC32",
    ]


def test_rev_on_a_directory_outside_git_says_it_needs_a_repository(
    fixtures_dir: Path, tmp_path: Path
) -> None:
    tree = tmp_path / "tree"
    shutil.copytree(fixtures_dir / "trees" / "classic", tree)
    env = {**os.environ, "GIT_CEILING_DIRECTORIES": str(tmp_path)}  # no repository above tmp either
    done = subprocess.run(
        [sys.executable, "-m", "patchcheck", "flags", "--tree", str(tree), "--rev", "HEAD~1"],
        capture_output=True,
        text=True,
        env=env,
    )
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.strip().splitlines() == [
        f"patchcheck: error: --rev needs a git repository: {str(tree)!r} is not in one"
    ]
