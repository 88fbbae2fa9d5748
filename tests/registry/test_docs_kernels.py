"""The README and docs/kernels.md show real runs: `flags` on the style-B twin of the registry fixture must
print what each page says it prints."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.registry.conftest import REGISTRY, STYLE_B

ROOT = Path(__file__).resolve().parents[2]
SHOWN = {
    "docs/kernels.md": "$ patchcheck flags --tree . --flag VM_DROPPABLE --flag VM_SAO --flag VM_PKEY_BIT4 "
    "--flag VM_SEALED",
    "README.md": "$ patchcheck flags --tree /tmp/styleb --flag VM_DROPPABLE --flag VM_SEALED",
}


@pytest.mark.parametrize("page", sorted(SHOWN))
def test_flags_on_a_style_b_tree_prints_what_the_page_shows(page: str, tmp_path: Path) -> None:
    command = SHOWN[page]
    text = (ROOT / page).read_text()
    block = text[text.index(command + "\n") + len(command) + 1 :]
    shown = block[: block.index("```")]
    root = tmp_path / "tree"
    shutil.copytree(REGISTRY / "base", root)
    shutil.copy(STYLE_B / "mm.h", root / "include" / "linux" / "mm.h")
    out = subprocess.run(
        # the README builds the tree in /tmp/styleb (its line before the command): here, in tmp_path
        [sys.executable, "-m", "patchcheck", *command.replace("/tmp/styleb", ".").split()[2:]],
        cwd=root,
        capture_output=True,
        text=True,
        env={"PATH": "/usr/bin:/bin", "COLUMNS": "80", "PATCHCHECK_CACHE": str(tmp_path / "cache")},
    )
    assert out.returncode == 0, out.stderr
    assert [line.rstrip() for line in out.stdout.splitlines()] == [
        line.rstrip() for line in shown.splitlines()
    ]
