"""Page-level helpers shared by the observations: the fill pattern, censuses and reclaim with one retry."""

from __future__ import annotations

import ctypes
import mmap as _mmap

from patchcheck.probe.syscalls import MADV_PAGEOUT, Syscalls

PAGE_SIZE = _mmap.PAGESIZE
Census = dict[str, int]


def pattern(page: int, redirtied: bool = False) -> int:
    """The byte written to page `page`; never 0, so a dropped page is told apart from a kept one."""
    value = (0x5A + page) & 0xFF
    if redirtied:
        value ^= 0xFF
    return value or 0x01


def fill(addr: int, pages: int, redirtied: bool = False, only: list[int] | None = None) -> None:
    for page in range(pages) if only is None else only:
        ctypes.memset(addr + page * PAGE_SIZE, pattern(page, redirtied), PAGE_SIZE)


def page_state(addr: int, expected: int) -> str:
    data = ctypes.string_at(addr, PAGE_SIZE)
    if data == bytes([expected]) * PAGE_SIZE:
        return "kept"
    if not any(data):
        return "zero"
    return "other"


def census(addr: int, pages: int, redirtied: frozenset[int] = frozenset()) -> Census:
    counts = {"kept": 0, "zero": 0, "other": 0}
    for page in range(pages):
        counts[page_state(addr + page * PAGE_SIZE, pattern(page, page in redirtied))] += 1
    return counts


def page_out(
    sc: Syscalls, addr: int, pages: int, redirtied: frozenset[int] = frozenset()
) -> tuple[int, int, int]:
    """MADV_PAGEOUT the range, once more if a page still holds its data; returns (errno, attempts, swap kB).

    The VMA's `Swap:` is read right after each MADV_PAGEOUT, before any page is read back (reading a
    swapped-out page faults it back in, and its swap entry then no longer shows in smaps); the larger reading
    is returned."""
    error = sc.madvise(addr, pages * PAGE_SIZE, MADV_PAGEOUT)
    swap_kb = sc.vma_swap_kb(addr)
    if error or census(addr, pages, redirtied)["kept"] == 0:
        return error, 1, swap_kb
    error = sc.madvise(addr, pages * PAGE_SIZE, MADV_PAGEOUT)
    return error, 2, max(swap_kb, sc.vma_swap_kb(addr))
