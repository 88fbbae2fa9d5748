"""PC102 names the flag that must move: the one the series introduces, even where mm.h defines it before
the flag it collides with (the fix, "pick a free bit", is for the new flag, never the established one)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.registry.test_series_rules import mm_h, patch, run

# New flag, and the established flag that already holds its bit on 64-bit (defined later in mm.h).
TAKEN = {"VM_FOO": ("40", "VM_DROPPABLE"), "VM_BAR": ("63", "VM_SEALED")}


def new_flag(flag: str, bit: str) -> str:
    lines = ("#ifdef CONFIG_64BIT", f"# define {flag}\tBIT({bit})", "#else", f"# define {flag}\tVM_NONE")
    lines += ("#endif",)
    return patch(mm_h(*lines))


@pytest.mark.parametrize("flag", sorted(TAKEN))
def test_the_collision_is_the_new_flags(flag: str, tmp_path: Path) -> None:
    bit, established = TAKEN[flag]
    (found,) = run(new_flag(flag, bit), tmp_path, "PC102", tree=True)
    assert found.flag == flag and established in found.message
    assert found.location is not None and found.location.line is not None and found.location.line < 30
    assert (found.hint or "").startswith(f"{flag}:")


@pytest.mark.parametrize("flag", sorted(TAKEN))
def test_a_free_bit_is_no_collision(flag: str, tmp_path: Path) -> None:
    assert run(new_flag(flag, "44"), tmp_path, "PC102", tree=True) == []
