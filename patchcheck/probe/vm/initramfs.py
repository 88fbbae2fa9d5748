"""A "newc" cpio writer for initramfs images: no root, no mknod, no cpio tool.

The kernel unpacks the archive itself, so device nodes are plain entries carrying their numbers. A reader is
included because tests (and debugging) parse back what was written.
"""

from __future__ import annotations

import stat
from collections.abc import Sequence
from dataclasses import dataclass

MAGIC = b"070701"
TRAILER = "TRAILER!!!"
_FIELDS = 13  # ino mode uid gid nlink mtime filesize devmajor devminor rdevmajor rdevminor namesize check
_HEADER_LEN = len(MAGIC) + 8 * _FIELDS


@dataclass(frozen=True)
class Entry:
    name: str  # relative, no leading slash: "init", "dev/console"
    mode: int  # full st_mode: type bits and permissions
    data: bytes = b""
    rdev: tuple[int, int] = (0, 0)  # (major, minor) for device nodes

    @property
    def is_dir(self) -> bool:
        return stat.S_ISDIR(self.mode)


def directory(name: str, perms: int = 0o755) -> Entry:
    return Entry(name, stat.S_IFDIR | perms)


def regular(name: str, data: bytes, perms: int = 0o644) -> Entry:
    return Entry(name, stat.S_IFREG | perms, data)


def char_device(name: str, major: int, minor: int, perms: int = 0o600) -> Entry:
    return Entry(name, stat.S_IFCHR | perms, rdev=(major, minor))


def _pad4(length: int) -> bytes:
    return b"\0" * (-length % 4)


def _record(ino: int, entry: Entry) -> bytes:
    name = entry.name.encode() + b"\0"
    nlink = 2 if entry.is_dir else 1
    fields = (ino, entry.mode, 0, 0, nlink, 0, len(entry.data), 0, 0, *entry.rdev, len(name), 0)
    header = MAGIC + b"".join(b"%08X" % value for value in fields)
    return header + name + _pad4(_HEADER_LEN + len(name)) + entry.data + _pad4(len(entry.data))


def write_newc(entries: list[Entry]) -> bytes:
    """The archive bytes; parent directories must be listed before their contents (the kernel needs that)."""
    seen: set[str] = set()
    for entry in entries:
        if not entry.name or entry.name.startswith("/") or ".." in entry.name.split("/"):
            raise ValueError(f"bad initramfs entry name: {entry.name!r}")
        parent = entry.name.rpartition("/")[0]
        if parent and parent not in seen:
            raise ValueError(f"initramfs entry {entry.name!r} listed before its directory {parent!r}")
        seen.add(entry.name)
    body = b"".join(_record(ino, entry) for ino, entry in enumerate(entries, start=1))
    return body + _record(0, Entry(TRAILER, 0))


def read_newc(archive: bytes) -> list[Entry]:
    """Parse a newc archive back into entries (up to the trailer)."""
    entries: list[Entry] = []
    pos = 0
    while True:
        header = archive[pos : pos + _HEADER_LEN]
        if len(header) < _HEADER_LEN or not header.startswith(MAGIC):
            raise ValueError(f"no newc header at offset {pos}")
        values = [int(header[6 + 8 * i : 14 + 8 * i], 16) for i in range(_FIELDS)]
        mode, size, rdev, namesize = values[1], values[6], (values[9], values[10]), values[11]
        name_start = pos + _HEADER_LEN
        name = archive[name_start : name_start + namesize].rstrip(b"\0").decode()
        data_start = name_start + namesize + len(_pad4(_HEADER_LEN + namesize))
        data = archive[data_start : data_start + size]
        if len(data) != size:
            raise ValueError(f"truncated data for {name!r}")
        pos = data_start + size + len(_pad4(size))
        if name == TRAILER:
            return entries
        entries.append(Entry(name, mode, data, rdev))


def probe_initramfs(init_program: bytes, modules: Sequence[tuple[str, bytes]] = ()) -> bytes:
    """The probe's initramfs: /init is the observer; /dev/console so init has a console; /proc to mount;
    /modules/NN-name.ko the kernel modules the observer loads, in that order, to reach its swap disk."""
    loadable = [regular(f"modules/{i:02d}-{name}.ko", data) for i, (name, data) in enumerate(modules)]
    return write_newc(
        [
            directory("dev"),
            char_device("dev/console", 5, 1),
            directory("proc"),
            directory("tmp", 0o1777),
            directory("modules"),
            *loadable,
            regular("init", init_program, 0o755),
        ]
    )
