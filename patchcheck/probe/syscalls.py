"""The ctypes layer: the few system calls the host observer makes, each returning an errno instead of raising.

Observers only call the kernel through a `Syscalls` object, so a test (or `PATCHCHECK_PROBE_SIMULATE`) can
swap in a kernel that does not know MAP_DROPPABLE: `NoDroppableSyscalls` answers EINVAL in user space, and
`install_droppable_seccomp()` makes the real kernel answer EINVAL through a seccomp filter.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import os
import platform
import struct

from patchcheck.probe import procfs

PROT_NONE = 0x0
PROT_READ = 0x1
PROT_WRITE = 0x2
MAP_PRIVATE = 0x02
MAP_DROPPABLE = 0x08
MAP_TYPE = 0x0F
MAP_FIXED = 0x10
MAP_ANONYMOUS = 0x20
MAP_GROWSDOWN = 0x100
MAP_LOCKED = 0x2000
MAP_HUGETLB = 0x40000
MADV_FREE = 8
MADV_DODUMP = 17
MADV_KEEPONFORK = 19
MADV_PAGEOUT = 21
AT_SYSINFO_EHDR = 33
ENOTSUPP = 524  # kernel-internal errno that older kernels leaked for an unsupported MAP_DROPPABLE

RW = PROT_READ | PROT_WRITE
DROPPABLE = MAP_ANONYMOUS | MAP_DROPPABLE
PRIVATE = MAP_ANONYMOUS | MAP_PRIVATE
MAP_FAILED = ctypes.c_void_p(-1).value

_libc = ctypes.CDLL(None, use_errno=True)
_libc.mmap.restype = ctypes.c_void_p
_libc.mmap.argtypes = [
    ctypes.c_void_p,
    ctypes.c_size_t,
    ctypes.c_int,
    ctypes.c_int,
    ctypes.c_int,
    ctypes.c_long,
]
for _name in ("munmap", "madvise", "mlock", "munlock", "mprotect"):
    getattr(_libc, _name).restype = ctypes.c_int
_libc.munmap.argtypes = [ctypes.c_void_p, ctypes.c_size_t]
_libc.madvise.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int]
_libc.mlock.argtypes = [ctypes.c_void_p, ctypes.c_size_t]
_libc.munlock.argtypes = [ctypes.c_void_p, ctypes.c_size_t]
_libc.mprotect.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int]
_libc.getauxval.restype = ctypes.c_ulong
_libc.getauxval.argtypes = [ctypes.c_ulong]
_libc.sched_getcpu.restype = ctypes.c_int
_libc.prctl.restype = ctypes.c_int
_libc.prctl.argtypes = [ctypes.c_int, ctypes.c_ulong, ctypes.c_void_p, ctypes.c_ulong, ctypes.c_ulong]


def _status(ret: int) -> int:
    return ctypes.get_errno() if ret != 0 else 0


class Syscalls:
    """Plain wrappers: each returns 0 or the errno of the failure (mmap returns (address, errno))."""

    def enter_child(self) -> None:
        """Called first in every observing child (a hook for simulated kernels)."""

    def mmap(self, addr: int | None, length: int, prot: int, flags: int) -> tuple[int, int]:
        ctypes.set_errno(0)
        ret = _libc.mmap(addr, length, prot, flags, -1, 0)
        if ret is None or ret == MAP_FAILED:
            return 0, ctypes.get_errno()
        return int(ret), 0

    def munmap(self, addr: int, length: int) -> int:
        return _status(_libc.munmap(addr, length))

    def mprotect(self, addr: int, length: int, prot: int) -> int:
        return _status(_libc.mprotect(addr, length, prot))

    def madvise(self, addr: int, length: int, advice: int) -> int:
        return _status(_libc.madvise(addr, length, advice))

    def mlock(self, addr: int, length: int) -> int:
        return _status(_libc.mlock(addr, length))

    def munlock(self, addr: int, length: int) -> int:
        return _status(_libc.munlock(addr, length))

    def vdso_base(self) -> int:
        return int(_libc.getauxval(AT_SYSINFO_EHDR))

    def swap_total_kb(self) -> int:
        """Swap configured on the whole system (SwapTotal of /proc/meminfo); 0 when there is none."""
        return procfs.meminfo_kb("SwapTotal")

    def vma_swap_kb(self, addr: int) -> int:
        """`Swap:` of the VMA holding addr, as smaps shows it (0 without smaps)."""
        return procfs.vma_kb_at(addr, "Swap")


class NoDroppableSyscalls(Syscalls):
    """A kernel that does not know map type 0x08: such an mmap fails with EINVAL without reaching it."""

    def mmap(self, addr: int | None, length: int, prot: int, flags: int) -> tuple[int, int]:
        if flags & MAP_TYPE == MAP_DROPPABLE:
            return 0, errno.EINVAL
        return super().mmap(addr, length, prot, flags)


class SeccompNoDroppableSyscalls(Syscalls):
    """The real kernel, told by a seccomp filter in each observing child to refuse droppable mmaps."""

    def enter_child(self) -> None:
        install_droppable_seccomp()


SIMULATIONS: dict[str, type[Syscalls]] = {
    "no-droppable": NoDroppableSyscalls,
    "seccomp-no-droppable": SeccompNoDroppableSyscalls,
}


def pin_to_current_cpu() -> None:
    """Keep faults and MADV_PAGEOUT on one CPU, so no page waits in another CPU's LRU batch."""
    cpu = _libc.sched_getcpu()
    if cpu >= 0:
        with contextlib.suppress(OSError):
            os.sched_setaffinity(0, {cpu})


# seccomp: make mmap(..., flags with map type 0x08, ...) fail with EINVAL, everything else allowed.
_PR_SET_NO_NEW_PRIVS = 38
_PR_SET_SECCOMP = 22
_SECCOMP_MODE_FILTER = 2
_SECCOMP_RET_ALLOW = 0x7FFF0000
_SECCOMP_RET_ERRNO = 0x00050000
_AUDIT_ARCH_X86_64 = 0xC000003E
_NR_MMAP_X86_64 = 9
_BPF_LD_W_ABS = 0x20
_BPF_ALU_AND_K = 0x54
_BPF_JEQ_K = 0x15
_BPF_RET_K = 0x06


class _SockFprog(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]


def install_droppable_seccomp() -> None:
    """Install, in the calling process only, a filter that answers EINVAL to every droppable mmap (x86-64)."""
    if platform.machine() != "x86_64":
        raise OSError(errno.ENOSYS, "the droppable seccomp filter is written for x86-64 only")

    def insn(code: int, jt: int, jf: int, k: int) -> bytes:
        return struct.pack("=HBBI", code, jt, jf, k)

    program = b"".join(
        [
            insn(_BPF_LD_W_ABS, 0, 0, 4),  # seccomp_data.arch
            insn(_BPF_JEQ_K, 0, 5, _AUDIT_ARCH_X86_64),
            insn(_BPF_LD_W_ABS, 0, 0, 0),  # seccomp_data.nr
            insn(_BPF_JEQ_K, 0, 3, _NR_MMAP_X86_64),
            insn(_BPF_LD_W_ABS, 0, 0, 40),  # low word of args[3], the mmap flags
            insn(_BPF_ALU_AND_K, 0, 0, MAP_TYPE),
            insn(_BPF_JEQ_K, 1, 0, MAP_DROPPABLE),
            insn(_BPF_RET_K, 0, 0, _SECCOMP_RET_ALLOW),
            insn(_BPF_RET_K, 0, 0, _SECCOMP_RET_ERRNO | errno.EINVAL),
        ]
    )
    buffer = ctypes.create_string_buffer(program)
    prog = _SockFprog(len(program) // 8, ctypes.addressof(buffer))
    if _libc.prctl(_PR_SET_NO_NEW_PRIVS, 1, None, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_NO_NEW_PRIVS)")
    ctypes.set_errno(0)
    if _libc.prctl(_PR_SET_SECCOMP, _SECCOMP_MODE_FILTER, ctypes.addressof(prog), 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_SECCOMP)")
