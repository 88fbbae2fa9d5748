"""The vDSO getrandom consumer: find `__vdso_getrandom` in the in-memory vDSO image and exercise it safely.

The parameter query (opaque length ~0) is a convention of the vDSO entry only. The getrandom *system call*
given the same arguments would write random bytes over our memory, so this module never makes that call;
every buffer the vDSO writes into ends exactly at a PROT_NONE guard page, so an overrun faults (a reported
crash of this observation) instead of corrupting anything.
"""

from __future__ import annotations

import ctypes
import io
import struct
from typing import Any

from elftools.common.exceptions import ELFError
from elftools.elf.elffile import ELFFile
from elftools.elf.sections import SymbolTableSection

from patchcheck.probe import procfs
from patchcheck.probe.memory import PAGE_SIZE
from patchcheck.probe.syscalls import MADV_PAGEOUT, PRIVATE, PROT_NONE, RW, Syscalls, pin_to_current_cpu

SYMBOL = "__vdso_getrandom"
PARAMS_SIZE = 64  # struct vgetrandom_opaque_params: u32 size, prot, flags, reserved[13]
OUTPUT_SIZE = 32
_MAX_STATE = 16 * PAGE_SIZE
_MAX_IMAGE = 1 << 20

_VGetrandom = ctypes.CFUNCTYPE(
    ctypes.c_ssize_t, ctypes.c_void_p, ctypes.c_size_t, ctypes.c_uint, ctypes.c_void_p, ctypes.c_size_t
)


def vdso_image(base: int) -> bytes:
    """The vDSO ELF as mapped at `base`, bounded by its own headers and by its VMA."""
    header = ctypes.string_at(base, 64)
    if header[:4] != b"\x7fELF" or header[4] != 2:
        raise ELFError("the vDSO is not a 64-bit ELF image")
    (shoff,) = struct.unpack_from("<Q", header, 0x28)
    shentsize, shnum = struct.unpack_from("<HH", header, 0x3A)
    size = shoff + shentsize * shnum
    vma = procfs.vma_containing(procfs.read_smaps(), base)
    limit = min(_MAX_IMAGE, vma.end - base if vma else PAGE_SIZE)
    if size > limit:
        raise ELFError(f"vDSO section headers end at {size}, past its mapping ({limit} bytes)")
    return ctypes.string_at(base, size)


def find_symbol(image: bytes, name: str) -> int | None:
    """Offset of `name` from the image's start, from its dynamic symbol table (None when absent)."""
    elf = ELFFile(io.BytesIO(image))
    dynsym = elf.get_section_by_name(".dynsym")
    if not isinstance(dynsym, SymbolTableSection):
        return None
    symbols = [
        sym
        for sym in dynsym.get_symbol_by_name(name) or []
        if sym["st_shndx"] != "SHN_UNDEF" and sym["st_info"]["type"] == "STT_FUNC"
    ]
    if not symbols:
        return None
    load_vaddr = min(
        (seg["p_vaddr"] - seg["p_offset"] for seg in elf.iter_segments() if seg["p_type"] == "PT_LOAD"),
        default=0,
    )
    return int(symbols[0]["st_value"]) - int(load_vaddr)


def _guarded(sc: Syscalls, size: int) -> int:
    """`size` writable bytes that end exactly where a PROT_NONE page begins."""
    base, error = sc.mmap(None, 2 * PAGE_SIZE, RW, PRIVATE)
    if error:
        raise OSError(error, "mmap of a guarded buffer")
    error = sc.mprotect(base + PAGE_SIZE, PAGE_SIZE, PROT_NONE)
    if error:
        raise OSError(error, "mprotect of a guard page")
    return base + PAGE_SIZE - size


def observe_vdso_getrandom(sc: Syscalls) -> dict[str, Any]:
    base = sc.vdso_base()
    if not base:
        return {"vdso_present": False, "symbol_found": False}
    offset = find_symbol(vdso_image(base), SYMBOL)
    if offset is None:
        return {"vdso_present": True, "symbol_found": False}
    vgetrandom = _VGetrandom(base + offset)
    params = _guarded(sc, PARAMS_SIZE)
    params_ret = vgetrandom(None, 0, 0, params, ctypes.c_size_t(-1).value)
    size, prot, flags = struct.unpack("=III", ctypes.string_at(params, 12))
    record: dict[str, Any] = {
        "vdso_present": True,
        "symbol_found": True,
        "params_ret": params_ret,
        "size_of_opaque_state": size,
        "mmap_prot": prot,
        "mmap_flags": flags,
    }
    if params_ret != 0 or not 0 < size <= _MAX_STATE:
        return record
    length = -(-size // PAGE_SIZE) * PAGE_SIZE
    pin_to_current_cpu()
    state, error = sc.mmap(None, length, prot, flags)
    record["state_mmap_errno"] = error
    if error:
        return record
    output = _guarded(sc, OUTPUT_SIZE)
    first_ret = vgetrandom(output, OUTPUT_SIZE, 0, state, size)
    first = ctypes.string_at(output, OUTPUT_SIZE)
    pageout_error = sc.madvise(state, length, MADV_PAGEOUT)
    dropped = not any(ctypes.string_at(state, length))
    ctypes.memset(output, 0, OUTPUT_SIZE)
    second_ret = vgetrandom(output, OUTPUT_SIZE, 0, state, size)
    second = ctypes.string_at(output, OUTPUT_SIZE)
    return {
        **record,
        "state_vm_flags": procfs.vma_flags_at(state),
        "first_ret": first_ret,
        "first_all_zero": not any(first),
        "pageout_errno": pageout_error,
        "state_zero_after_pageout": dropped,
        "second_ret": second_ret,
        "second_all_zero": not any(second),
        "same_output": first == second,
    }
