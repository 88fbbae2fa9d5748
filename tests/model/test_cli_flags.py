"""`patchcheck flags`: text and JSON tables, and usage errors that exit 2 without a traceback."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "patchcheck", *args], capture_output=True, text=True)


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


def test_json_and_flag_filter(fixtures_dir: Path) -> None:
    out = run("flags", "--tree", str(fixtures_dir / "trees" / "classic"), "--format", "json",
              "--flag", "VM_SEALED", "--flag", "VM_PKEY_BIT3")
    assert out.returncode == 0, out.stderr
    rows = {r["name"]: r for r in json.loads(out.stdout)["flags"]}
    assert sorted(rows) == ["VM_PKEY_BIT3", "VM_SEALED"]
    assert rows["VM_SEALED"]["definitions"] == [
        {"value": "bit", "bit": 63, "via": [], "text": "bit 63", "guard": "CONFIG_64BIT", "line": 114}]
    assert rows["VM_SEALED"]["smaps"][0]["mnemonic"] == "sl" and rows["VM_SEALED"]["documented"] is True
    # the pool is undefined without ARCH_USES_HIGH_VMA_FLAGS, which pkeys always select: pruned
    assert [d["value"] for d in rows["VM_PKEY_BIT3"]["definitions"]] == ["bit", "zero"]


@pytest.mark.parametrize("args", [
    ["flags", "--tree", "/nonexistent/tree"],
    ["flags", "--tree", "."],
    ["flags", "--tree", "FIXTURE", "--format", "yaml"],
    ["flags", "--tree", "FIXTURE", "--flag", "VM_NO_SUCH_FLAG"],
])
def test_usage_errors(args: list[str], fixtures_dir: Path) -> None:
    args = [str(fixtures_dir / "trees" / "classic") if a == "FIXTURE" else a for a in args]
    out = run(*args)
    assert out.returncode == 2
    assert "Traceback" not in out.stderr
    assert out.stderr.startswith("patchcheck: error:")
