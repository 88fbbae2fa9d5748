"""Readers for /proc/self/smaps and /proc/self/status (the observers' only window on VMA flags)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_HEADER = re.compile(r"^([0-9a-f]+)-([0-9a-f]+) ")
_FIELD = re.compile(r"^(\w+):\s+(\d+) kB$")


@dataclass
class Vma:
    start: int
    end: int
    kb: dict[str, int] = field(default_factory=dict)  # Rss, Swap, Locked, LazyFree, ... in kB
    vm_flags: list[str] = field(default_factory=list)


def parse_smaps(text: str) -> list[Vma]:
    vmas: list[Vma] = []
    for line in text.splitlines():
        header = _HEADER.match(line)
        if header:
            vmas.append(Vma(int(header.group(1), 16), int(header.group(2), 16)))
        elif vmas and line.startswith("VmFlags:"):
            vmas[-1].vm_flags = line.split()[1:]
        elif vmas:
            value = _FIELD.match(line)
            if value:
                vmas[-1].kb[value.group(1)] = int(value.group(2))
    return vmas


SMAPS = "/proc/self/smaps"


def read_smaps() -> list[Vma]:
    """The VMAs of this process; none when the kernel has no smaps (judges see `smaps_missing`)."""
    try:
        with open(SMAPS, encoding="ascii", errors="replace") as handle:
            return parse_smaps(handle.read())
    except FileNotFoundError:
        return []


def vma_containing(vmas: list[Vma], addr: int) -> Vma | None:
    return next((vma for vma in vmas if vma.start <= addr < vma.end), None)


def vma_flags_at(addr: int) -> list[str]:
    vma = vma_containing(read_smaps(), addr)
    return vma.vm_flags if vma else []


def vma_kb_at(addr: int, key: str) -> int:
    vma = vma_containing(read_smaps(), addr)
    return vma.kb.get(key, 0) if vma else 0


def status_kb(key: str) -> int:
    """A `Key:  N kB` line of /proc/self/status, 0 when absent."""
    with open("/proc/self/status", encoding="ascii", errors="replace") as handle:
        for line in handle:
            if line.startswith(key + ":"):
                return int(line.split()[1])
    return 0


def meminfo_kb(key: str) -> int:
    """A `Key:  N kB` line of /proc/meminfo (system-wide, e.g. SwapTotal), 0 when absent."""
    try:
        with open("/proc/meminfo", encoding="ascii", errors="replace") as handle:
            for line in handle:
                if line.startswith(key + ":"):
                    return int(line.split()[1])
    except FileNotFoundError:
        pass
    return 0
