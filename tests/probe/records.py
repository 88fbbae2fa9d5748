"""Observation records as a healthy 6.12+ kernel yields them (written by hand from OBSERVATIONS.md)."""

from __future__ import annotations

import copy
from typing import Any

PAGE = 4096
FLAGS = ["rd", "wr", "mr", "mw", "me", "nr", "wf", "dd", "dp"]


def _census(kept: int, zero: int) -> dict[str, int]:
    return {"kept": kept, "zero": zero, "other": 0}


_HEALTHY: list[dict[str, Any]] = [
    {
        "obs": "kernel",
        "outcome": "ok",
        "release": "6.12.9-test",
        "machine": "x86_64",
        "page_size": PAGE,
        "observer": "guest",
    },
    {
        "obs": "map-droppable",
        "outcome": "ok",
        "mmap_errno": 0,
        "addr": 0x7F0000001000,
        "length": 4 * PAGE,
        "vma_start": 0x7F0000001000,
        "vma_end": 0x7F0000005000,
        "vm_flags": FLAGS,
        "before_vm_flags": ["mr", "mw", "me"],
        "after_vm_flags": ["mr", "mw", "me"],
        "dp_vma_count": 1,
    },
    {
        "obs": "map-refusals",
        "outcome": "ok",
        "mmap_errno": 0,
        "locked_errno": 22,
        "hugetlb_errno": 22,
        "growsdown_errno": 22,
        "control_locked_errno": 0,
        "control_hugetlb_errno": 12,
        "control_growsdown_errno": 0,
    },
    {
        "obs": "reclaim",
        "outcome": "ok",
        "mmap_errno": 0,
        "pages": 16,
        "swap_total_kb": 65532,
        "droppable": {"pageout_errno": 0, "pageout_attempts": 1, "census": _census(0, 16), "swap_kb": 0},
        "control": {"pageout_errno": 0, "pageout_attempts": 2, "census": _census(16, 0), "swap_kb": 64},
    },
    {
        "obs": "fork",
        "outcome": "ok",
        "mmap_errno": 0,
        "pages": 4,
        "fork_errno": 0,
        "child_census": _census(0, 4),
        "child_control_census": _census(4, 0),
        "child_vm_flags": FLAGS,
        "parent_census": _census(4, 0),
    },
    {
        "obs": "mlock",
        "outcome": "ok",
        "mmap_errno": 0,
        "length": 4 * PAGE,
        "mlock_errno": 0,
        "vmlck_before_kb": 0,
        "vmlck_after_kb": 0,
        "locked_after_kb": 0,
        "vm_flags_after": FLAGS,
        "control_mlock_errno": 0,
        "control_vmlck_after_kb": 16,
    },
    {
        "obs": "madvise-refusals",
        "outcome": "ok",
        "mmap_errno": 0,
        "keeponfork_errno": 22,
        "dodump_errno": 22,
        "vm_flags_after": FLAGS,
        "control_keeponfork_errno": 0,
        "control_dodump_errno": 0,
    },
    {
        "obs": "coredump",
        "outcome": "ok",
        "core_pattern": "core",
        "mmap_errno": 0,
        "core_found": True,
        "droppable_segment": True,
        "droppable_filesz": 0,
        "control_filesz": 4 * PAGE,
        "core_bytes": 6 << 20,
        "droppable_bytes_found": False,
    },
    {"obs": "pressure", "outcome": "skipped", "detail": "memory pressure not requested (--pressure)"},
    {
        "obs": "vdso-getrandom",
        "outcome": "ok",
        "vdso_present": True,
        "symbol_found": True,
        "params_ret": 0,
        "size_of_opaque_state": 144,
        "mmap_prot": 3,
        "mmap_flags": 0x28,
        "state_mmap_errno": 0,
        "state_vm_flags": FLAGS,
        "first_ret": 32,
        "first_all_zero": False,
        "pageout_errno": 0,
        "state_zero_after_pageout": True,
        "second_ret": 32,
        "second_all_zero": False,
        "same_output": False,
    },
]


def healthy() -> list[dict[str, Any]]:
    return copy.deepcopy(_HEALTHY)


def with_changes(obs_id: str, **changes: Any) -> list[dict[str, Any]]:
    records = healthy()
    for record in records:
        if record["obs"] == obs_id:
            record.update(changes)
    return records
