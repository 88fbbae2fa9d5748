"""`--compare lazyfree`: the seed mail asks whether VM_DROPPABLE is just MADV_FREE; measure both side by side.

Both ranges get the same data; the lazyfree one is MADV_FREE'd; some pages are written again; a child reads
both after fork(); then both are reclaimed (MADV_PAGEOUT) and every page is checked.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from patchcheck.probe import procfs
from patchcheck.probe.child import fork_and_collect
from patchcheck.probe.judges import errno_name
from patchcheck.probe.memory import PAGE_SIZE, census, fill, page_out, page_state, pattern
from patchcheck.probe.syscalls import (
    DROPPABLE,
    MADV_FREE,
    MAP_GROWSDOWN,
    MAP_HUGETLB,
    MAP_LOCKED,
    PRIVATE,
    RW,
    Syscalls,
    pin_to_current_cpu,
)

# More pages than a per-CPU LRU batch holds, so most MADV_FREE'd pages reach the lazyfree LRU (and the
# LazyFree: counter) without a drain that only reclaim would trigger.
PAGES = 64
REDIRTIED = tuple(range(0, PAGES, 8))
# The mapping flags do_mmap() refuses with MAP_DROPPABLE; MADV_FREE meets them only after the mapping exists.
REFUSED_FLAGS = (
    ("MAP_LOCKED", PAGE_SIZE, MAP_LOCKED),
    ("MAP_HUGETLB", 2 << 20, MAP_HUGETLB),
    ("MAP_GROWSDOWN", PAGE_SIZE, MAP_GROWSDOWN),
)


def _fork_census(addr: int) -> dict[str, int]:
    result, status = fork_and_collect(lambda: census(addr, PAGES, frozenset(REDIRTIED)))
    if not isinstance(result, dict):
        raise RuntimeError(f"the forked child gave no census (wait status {status:#x})")
    return {str(key): int(value) for key, value in result.items()}


def _side(sc: Syscalls, flags: int, advise: bool) -> dict[str, Any]:
    addr, error = sc.mmap(None, PAGES * PAGE_SIZE, RW, flags)
    if error:
        return {"mmap_errno": error}
    fill(addr, PAGES)
    advise_error = sc.madvise(addr, PAGES * PAGE_SIZE, MADV_FREE) if advise else 0
    after_advise = procfs.vma_kb_at(addr, "LazyFree")
    fill(addr, PAGES, redirtied=True, only=list(REDIRTIED))
    return {
        "addr": addr,
        "mmap_errno": 0,
        "advise_errno": advise_error,
        "lazyfree_kb_after_advise": after_advise,
        "lazyfree_kb_after_redirty": procfs.vma_kb_at(addr, "LazyFree"),
    }


def _reclaim(sc: Syscalls, side: dict[str, Any]) -> None:
    addr = side.pop("addr")
    side["fork_child_census"] = _fork_census(addr)
    redirtied = frozenset(REDIRTIED)
    # A re-dirtied MADV_FREE page is kept by the first reclaim pass (it becomes swap-backed again), so pages
    # still kept get a second MADV_PAGEOUT; Swap: is read before any page is read back.
    error, attempts, swap_kb = page_out(sc, addr, PAGES, redirtied)
    side |= {"pageout_errno": error, "pageout_attempts": attempts, "swap_kb": swap_kb}
    states = [page_state(addr + i * PAGE_SIZE, pattern(i, i in redirtied)) for i in range(PAGES)]
    side["surviving"] = [i for i, state in enumerate(states) if state == "kept"]
    side["zero"] = [i for i, state in enumerate(states) if state == "zero"]
    before = procfs.status_kb("VmLck")
    side["mlock_errno"] = sc.mlock(addr, PAGES * PAGE_SIZE)
    side["vmlck_delta_kb"] = procfs.status_kb("VmLck") - before
    sc.munlock(addr, PAGES * PAGE_SIZE)


def _refusals(sc: Syscalls, flags: int, advise: bool) -> dict[str, dict[str, int]]:
    """Per mapping flag: errno of mmap(flags|flag), then (lazyfree side) of MADV_FREE on what was mapped."""
    found = {}
    for name, length, flag in REFUSED_FLAGS:
        addr, error = sc.mmap(None, length, RW, flags | flag)
        advise_error = sc.madvise(addr, length, MADV_FREE) if advise and not error else 0
        if not error:
            sc.munmap(addr, length)
        found[name] = {"mmap_errno": error, "advise_errno": advise_error}
    return found


def observe_compare(sc: Syscalls) -> dict[str, Any]:
    pin_to_current_cpu()
    lazyfree = _side(sc, PRIVATE, advise=True)
    droppable = _side(sc, DROPPABLE, advise=False)
    for side in (lazyfree, droppable):
        if "addr" in side:
            _reclaim(sc, side)
    lazyfree["refusals"] = _refusals(sc, PRIVATE, advise=True)
    droppable["refusals"] = _refusals(sc, DROPPABLE, advise=False)
    return {
        "pages": PAGES,
        "redirtied": list(REDIRTIED),
        "swap_total_kb": sc.swap_total_kb(),
        "lazyfree": lazyfree,
        "droppable": droppable,
    }


def _pages(indices: list[int]) -> str:
    """Page indices as ranges, e.g. "0,8,16-23"."""
    if not indices:
        return "none"
    spans: list[list[int]] = []
    for index in sorted(indices):
        if spans and index == spans[-1][1] + 1:
            spans[-1][1] = index
        else:
            spans.append([index, index])
    return ",".join(str(a) if a == b else f"{a}-{b}" for a, b in spans)


def _refusal_text(result: Mapping[str, int], advice: bool) -> str:
    if result["mmap_errno"]:
        return f"mmap -> {errno_name(result['mmap_errno'])}"
    if advice:
        return f"MADV_FREE -> {errno_name(result['advise_errno'])}" if result["advise_errno"] else "accepted"
    return "accepted"


def compare_rows(rec: Mapping[str, Any]) -> list[tuple[str, str, str]]:
    """(measurement, MADV_FREE, MAP_DROPPABLE) rows for the side-by-side table."""
    sides = (rec["lazyfree"], rec["droppable"])
    if any(int(side.get("mmap_errno", 0)) for side in sides):
        return [("mmap errno", str(sides[0].get("mmap_errno", 0)), str(sides[1].get("mmap_errno", 0)))]

    def row(label: str, fmt: Any) -> tuple[str, str, str]:
        return (label, fmt(sides[0]), fmt(sides[1]))

    def fork_text(side: Mapping[str, Any]) -> str:
        counts = side["fork_child_census"]
        return f"{counts['kept']} kept, {counts['zero']} zero"

    def mlock_text(side: Mapping[str, Any]) -> str:
        if side["mlock_errno"]:
            return f"mlock() -> {errno_name(side['mlock_errno'])}"
        return f"VmLck +{side['vmlck_delta_kb']} kB"

    swap = int(rec["swap_total_kb"])
    rows = [
        row(
            "advice",
            lambda s: (
                "MADV_FREE -> " + (str(s["advise_errno"]) if s["advise_errno"] else "0")
                if s is sides[0]
                else "none (implied)"
            ),
        ),
        row("LazyFree: after advice", lambda s: f"{s['lazyfree_kb_after_advise']} kB"),
        row(
            f"LazyFree: after re-dirtying {_pages(rec['redirtied'])}",
            lambda s: f"{s['lazyfree_kb_after_redirty']} kB",
        ),
        row("child after fork() reads", fork_text),
        row("pages kept after MADV_PAGEOUT", lambda s: _pages(s["surviving"])),
        row("pages zero after MADV_PAGEOUT", lambda s: _pages(s["zero"])),
        row(
            f"Swap: after MADV_PAGEOUT ({f'{swap} kB swap' if swap else 'no swap configured'})",
            lambda s: f"{s['swap_kb']} kB",
        ),
        row(f"mlock() of all {rec['pages']} pages", mlock_text),
    ]
    for name in sides[1]["refusals"]:
        rows.append(
            (
                f"a {name} mapping",
                _refusal_text(sides[0]["refusals"][name], advice=True),
                _refusal_text(sides[1]["refusals"][name], advice=False),
            )
        )
    return rows
