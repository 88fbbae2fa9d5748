"""`--coredump`: a child dumps core in a temporary directory; its program headers show what was dumped.

core_pattern is system-wide, so the probe never changes it: it runs only when the pattern is a bare file name
(written into the dumping process's working directory, here a fresh temporary directory).
"""

from __future__ import annotations

import os
import resource
import signal
from pathlib import Path
from typing import Any

from elftools.common.exceptions import ELFError
from elftools.elf.elffile import ELFFile

from patchcheck.probe.child import fork_and_collect
from patchcheck.probe.memory import PAGE_SIZE, fill
from patchcheck.probe.memory import pattern as fill_byte
from patchcheck.probe.syscalls import DROPPABLE, PRIVATE, RW, Syscalls

CORE_PATTERN = Path("/proc/sys/kernel/core_pattern")
_CORE_LIMIT = 1 << 20  # program headers come first, and they hold what we need; cap the file at 1 MiB
_PAGES = 4


def unusable_core_pattern(pattern: str) -> str | None:
    """Why this core_pattern cannot be used without changing the machine (None when it can)."""
    if pattern.startswith("|"):
        handler = pattern.split()[0][1:]
        return f"core_pattern pipes to a handler ({handler}); the probe never changes core_pattern"
    if "/" in pattern or not pattern:
        return f"core_pattern {pattern!r} writes outside the probe's temporary directory"
    return None


def observe_coredump(sc: Syscalls, workdir: Path) -> dict[str, Any]:
    if not CORE_PATTERN.exists():
        return {"outcome": "unsupported", "detail": f"no {CORE_PATTERN}: kernel without CONFIG_COREDUMP"}
    pattern = CORE_PATTERN.read_text(encoding="utf-8", errors="replace").strip()
    reason = unusable_core_pattern(pattern)
    if reason:
        return {"outcome": "skipped", "detail": reason}

    def prepare() -> list[int]:
        os.chdir(workdir)
        signal.alarm(10)
        _, hard = resource.getrlimit(resource.RLIMIT_CORE)
        limit = _CORE_LIMIT if hard == resource.RLIM_INFINITY else min(_CORE_LIMIT, hard)
        resource.setrlimit(resource.RLIMIT_CORE, (limit, hard))
        addr, error = sc.mmap(None, _PAGES * PAGE_SIZE, RW, DROPPABLE)
        control, _ = sc.mmap(None, _PAGES * PAGE_SIZE, RW, PRIVATE)
        if not error:  # the re-dirtied pattern: its bytes differ from the control's
            fill(addr, _PAGES, redirtied=True)
        fill(control, _PAGES)
        return [addr, error, control]

    mapped, _ = fork_and_collect(prepare, then=os.abort)
    if not isinstance(mapped, list):
        return {"outcome": "error", "detail": "the dumping child did not report its mappings"}
    addr, error, control = mapped
    record: dict[str, Any] = {"core_pattern": pattern, "mmap_errno": error}
    cores = [path for path in workdir.iterdir() if path.is_file()]
    if not cores:
        return {
            "outcome": "skipped",
            "detail": "no core file was written (RLIMIT_CORE hard limit or dumpable flag)",
            **record,
        }
    sizes = _segment_filesz(cores[0])
    data = cores[0].read_bytes()
    return {
        **record,
        "core_found": True,
        "droppable_segment": addr in sizes,
        "droppable_filesz": sizes.get(addr, 0),
        "control_filesz": sizes.get(control, 0),
        "core_bytes": len(data),
        "droppable_bytes_found": _holds_droppable_page(data),
    }


def _holds_droppable_page(data: bytes) -> bool:
    """Whatever the headers say: does a page of the droppable mapping's bytes appear anywhere in the core?"""
    pages = {bytes([fill_byte(i, redirtied=True)]) * PAGE_SIZE for i in range(_PAGES)}
    return any(data[at : at + PAGE_SIZE] in pages for at in range(0, len(data) - PAGE_SIZE + 1, PAGE_SIZE))


def _segment_filesz(core: Path) -> dict[int, int]:
    """p_filesz of each PT_LOAD segment of a core file, by start address."""
    try:
        with core.open("rb") as handle:
            elf = ELFFile(handle)
            return {
                int(seg["p_vaddr"]): int(seg["p_filesz"])
                for seg in elf.iter_segments()
                if seg["p_type"] == "PT_LOAD"
            }
    except ELFError:
        return {}
