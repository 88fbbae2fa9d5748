"""The host observer's core procedures: each returns one observation record (see OBSERVATIONS.md).

Every procedure runs inside a forked child (child.py), so it may fault, leak mappings or die; it only reads
and reports, and leaves the judging to claims.py.
"""

from __future__ import annotations

from typing import Any

from patchcheck.probe import procfs
from patchcheck.probe.child import fork_and_collect
from patchcheck.probe.memory import PAGE_SIZE, census, fill, page_out
from patchcheck.probe.syscalls import (
    DROPPABLE,
    MADV_DODUMP,
    MADV_KEEPONFORK,
    MAP_FIXED,
    MAP_GROWSDOWN,
    MAP_HUGETLB,
    MAP_LOCKED,
    PRIVATE,
    PROT_NONE,
    RW,
    Syscalls,
    pin_to_current_cpu,
)

Record = dict[str, Any]


def map_guarded_droppable(sc: Syscalls, pages: int) -> tuple[int, int]:
    """A droppable mapping between two PROT_NONE guard pages, so no neighbour can merge with it."""
    reserve, error = sc.mmap(None, (pages + 2) * PAGE_SIZE, PROT_NONE, PRIVATE)
    if error:
        return 0, error
    return sc.mmap(reserve + PAGE_SIZE, pages * PAGE_SIZE, RW, DROPPABLE | MAP_FIXED)


def observe_map_droppable(sc: Syscalls) -> Record:
    pages = 4
    addr, error = map_guarded_droppable(sc, pages)
    length = pages * PAGE_SIZE
    record: Record = {"mmap_errno": error, "addr": addr, "length": length}
    if error:
        empty: list[str] = []
        return {
            **record,
            "vma_start": 0,
            "vma_end": 0,
            "vm_flags": empty,
            "before_vm_flags": empty,
            "after_vm_flags": empty,
            "dp_vma_count": 0,
        }
    fill(addr, pages)
    vmas = procfs.read_smaps()
    vma = procfs.vma_containing(vmas, addr)
    before = next((v.vm_flags for v in vmas if v.end == addr), [])
    after = next((v.vm_flags for v in vmas if v.start == addr + length), [])
    return {
        **record,
        "vma_start": vma.start if vma else 0,
        "vma_end": vma.end if vma else 0,
        "vm_flags": vma.vm_flags if vma else [],
        "before_vm_flags": before,
        "after_vm_flags": after,
        "dp_vma_count": sum(1 for v in vmas if "dp" in v.vm_flags),
    }


def _attempt(sc: Syscalls, length: int, flags: int) -> int:
    addr, error = sc.mmap(None, length, RW, flags)
    if not error:
        sc.munmap(addr, length)
    return error


_REFUSALS = (
    ("locked", PAGE_SIZE, MAP_LOCKED),
    ("hugetlb", 2 << 20, MAP_HUGETLB),
    ("growsdown", PAGE_SIZE, MAP_GROWSDOWN),
)


def observe_map_refusals(sc: Syscalls) -> Record:
    record: Record = {"mmap_errno": _attempt(sc, PAGE_SIZE, DROPPABLE)}
    for name, length, flag in _REFUSALS:
        record[f"{name}_errno"] = _attempt(sc, length, DROPPABLE | flag)
    for name, length, flag in _REFUSALS:  # the controls: the same flag on a private mapping
        record[f"control_{name}_errno"] = _attempt(sc, length, PRIVATE | flag)
    return record


def _reclaimed(sc: Syscalls, addr: int, pages: int) -> Record:
    fill(addr, pages)
    error, attempts, swap_kb = page_out(sc, addr, pages)
    return {
        "pageout_errno": error,
        "pageout_attempts": attempts,
        "census": census(addr, pages),
        "swap_kb": swap_kb,
    }


def observe_reclaim(sc: Syscalls) -> Record:
    pages = 16
    pin_to_current_cpu()
    addr, error = sc.mmap(None, pages * PAGE_SIZE, RW, DROPPABLE)
    record: Record = {"mmap_errno": error, "pages": pages, "swap_total_kb": sc.swap_total_kb()}
    if error:
        return record
    control, control_error = sc.mmap(None, pages * PAGE_SIZE, RW, PRIVATE)
    if control_error:
        raise OSError(control_error, "mmap of the private control mapping")
    return {**record, "droppable": _reclaimed(sc, addr, pages), "control": _reclaimed(sc, control, pages)}


def observe_fork(sc: Syscalls) -> Record:
    pages = 4
    addr, error = map_guarded_droppable(sc, pages)
    record: Record = {"mmap_errno": error, "pages": pages}
    if error:
        return record
    control, control_error = sc.mmap(None, pages * PAGE_SIZE, RW, PRIVATE)
    if control_error:
        raise OSError(control_error, "mmap of the private control mapping")
    fill(addr, pages)
    fill(control, pages)

    def in_child() -> Record:
        return {
            "child_census": census(addr, pages),
            "child_control_census": census(control, pages),
            "child_vm_flags": procfs.vma_flags_at(addr),
        }

    try:
        seen, status = fork_and_collect(in_child)
    except OSError as exc:
        return {**record, "fork_errno": exc.errno or 0}
    if not isinstance(seen, dict):
        raise RuntimeError(f"the forked child gave no result (wait status {status:#x})")
    return {**record, "fork_errno": 0, **seen, "parent_census": census(addr, pages)}


def observe_mlock(sc: Syscalls) -> Record:
    pages = 4
    length = pages * PAGE_SIZE
    addr, error = sc.mmap(None, length, RW, DROPPABLE)
    record: Record = {"mmap_errno": error, "length": length}
    if error:
        return record
    control, control_error = sc.mmap(None, length, RW, PRIVATE)
    if control_error:
        raise OSError(control_error, "mmap of the private control mapping")
    fill(addr, pages)
    fill(control, pages)
    before = procfs.status_kb("VmLck")
    mlock_error = sc.mlock(addr, length)
    after = procfs.status_kb("VmLck")
    vma = procfs.vma_containing(procfs.read_smaps(), addr)
    sc.munlock(addr, length)
    control_error = sc.mlock(control, length)
    control_after = procfs.status_kb("VmLck")
    sc.munlock(control, length)
    return {
        **record,
        "mlock_errno": mlock_error,
        "vmlck_before_kb": before,
        "vmlck_after_kb": after,
        "locked_after_kb": vma.kb.get("Locked", 0) if vma else 0,
        "vm_flags_after": vma.vm_flags if vma else [],
        "control_mlock_errno": control_error,
        "control_vmlck_after_kb": control_after,
    }


def observe_madvise_refusals(sc: Syscalls) -> Record:
    addr, error = sc.mmap(None, PAGE_SIZE, RW, DROPPABLE)
    if error:
        return {"mmap_errno": error}
    control, control_error = sc.mmap(None, PAGE_SIZE, RW, PRIVATE)
    if control_error:
        raise OSError(control_error, "mmap of the private control mapping")
    fill(addr, 1)
    fill(control, 1)
    return {
        "mmap_errno": 0,
        "keeponfork_errno": sc.madvise(addr, PAGE_SIZE, MADV_KEEPONFORK),
        "dodump_errno": sc.madvise(addr, PAGE_SIZE, MADV_DODUMP),
        "vm_flags_after": procfs.vma_flags_at(addr),
        "control_keeponfork_errno": sc.madvise(control, PAGE_SIZE, MADV_KEEPONFORK),
        "control_dodump_errno": sc.madvise(control, PAGE_SIZE, MADV_DODUMP),
    }
