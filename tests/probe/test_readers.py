"""The readers the observers rely on: smaps parsing and the vDSO symbol lookup."""

from __future__ import annotations

import ctypes

from patchcheck.probe import procfs
from patchcheck.probe.syscalls import Syscalls
from patchcheck.probe.vdso import SYMBOL, find_symbol, vdso_image

SMAPS = """\
7f0000000000-7f0000001000 ---p 00000000 00:00 0
Size:                  4 kB
VmFlags: mr mw me
7f0000001000-7f0000005000 rw-p 00000000 00:00 0
Size:                 16 kB
Swap:                  0 kB
Locked:                0 kB
LazyFree:              8 kB
VmFlags: rd wr mr mw me nr wf dd dp
"""


def test_smaps_is_parsed_into_vmas_with_fields_and_flags() -> None:
    vmas = procfs.parse_smaps(SMAPS)
    assert [(v.start, v.end) for v in vmas] == [
        (0x7F0000000000, 0x7F0000001000),
        (0x7F0000001000, 0x7F0000005000),
    ]
    assert vmas[1].vm_flags[-1] == "dp"
    assert vmas[1].kb["LazyFree"] == 8
    found = procfs.vma_containing(vmas, 0x7F0000004FFF)
    assert found is vmas[1]
    assert procfs.vma_containing(vmas, 0x7F0000005000) is None


def test_own_status_is_read() -> None:
    assert procfs.status_kb("VmRSS") > 0
    assert procfs.status_kb("NoSuchKey") == 0


def test_vdso_getrandom_is_found_in_the_in_memory_image() -> None:
    base = Syscalls().vdso_base()
    image = vdso_image(base)
    assert image.startswith(b"\x7fELF")
    offset = find_symbol(image, SYMBOL)
    assert offset is not None and 0 < offset < len(image)
    gettime = find_symbol(image, "__vdso_clock_gettime")
    assert gettime is not None and gettime != offset
    assert find_symbol(image, "__vdso_no_such_symbol") is None
    # The entry is code inside the mapped image: its first byte is readable right there.
    assert ctypes.string_at(base + offset, 1) == image[offset : offset + 1]
