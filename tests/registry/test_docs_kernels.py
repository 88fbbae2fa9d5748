"""docs/kernels.md shows real runs: `flags` on the style-B twin of the registry fixture must print what the
page says it prints."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from tests.registry.conftest import REGISTRY, STYLE_B

DOC = Path(__file__).resolve().parents[2] / "docs" / "kernels.md"
COMMAND = "$ patchcheck flags --tree . --flag VM_DROPPABLE --flag VM_SAO --flag VM_PKEY_BIT4 --flag VM_SEALED"


def test_flags_on_a_style_b_tree_prints_what_the_doc_shows(tmp_path: Path) -> None:
    text = DOC.read_text()
    block = text[text.index(COMMAND) + len(COMMAND) + 1 :]
    shown = block[: block.index("```")]
    root = tmp_path / "tree"
    shutil.copytree(REGISTRY / "base", root)
    shutil.copy(STYLE_B / "mm.h", root / "include" / "linux" / "mm.h")
    args = COMMAND.split()[2:]
    out = subprocess.run(
        [sys.executable, "-m", "patchcheck", *args], cwd=root, capture_output=True, text=True
    )
    assert out.returncode == 0, out.stderr
    assert [line.rstrip() for line in out.stdout.splitlines()] == [
        line.rstrip() for line in shown.splitlines()
    ]
