"""Against Debian's linux-source-6.12: a small hand-written series applies, the seed patch does not."""

from __future__ import annotations

from pathlib import Path

import pytest

from patchcheck.errors import InputError
from patchcheck.intake.apply import apply_series
from patchcheck.intake.assemble import load_series
from patchcheck.source.tree import DirectoryTree, read_text

from .helpers import MAIL, seed_mail

pytestmark = pytest.mark.realtree


def test_series_written_against_6_12_applies(real_tree: Path) -> None:
    series = load_series(str(MAIL / "realtree-6.12.mbox"))
    first, second = apply_series(series, DirectoryTree(real_tree))
    mm = (read_text(first.tree, "include/linux/mm.h") or "").split("\n")
    (added,) = first.changes["include/linux/mm.h"].added_lines
    assert mm[added - 1] == '/* VM_DROPPABLE is shown as "dp" in smaps, see fs/proc/task_mmu.c */'
    assert mm[added - 2] == "#endif" and mm[added - 3] == "#define VM_DROPPABLE\t\tVM_NONE"
    # Patch 2's hunk header is 5 lines off: it lands 5 lines later than it says.
    assert second.changes["Documentation/filesystems/proc.rst"].added_lines == (583,)
    assert read_text(second.tree, "include/linux/mm.h") == read_text(first.tree, "include/linux/mm.h")


def test_seed_patch_is_refused_naming_its_first_failing_hunk(real_tree: Path) -> None:
    series = load_series(str(seed_mail()))
    with pytest.raises(InputError) as caught:
        apply_series(series, DirectoryTree(real_tree))
    message = caught.value.message
    title = "mm: add VM_DROPPABLE for designating always lazily freeable mappings"
    assert message.startswith(
        f"patch 1/5 '{title}' does not apply: fs/proc/task_mmu.c: hunk #1 @@ -706,6 +706,9 @@"
    )
    details = caught.value.details
    assert "  | #ifdef CONFIG_X86_USER_SHADOW_STACK" in details
    # 6.12 already has VM_DROPPABLE's smaps entry right where the seed wants to add it.
    assert any('[ilog2(VM_DROPPABLE)] = "dp",' in line for line in details)
