"""The newc writer: what it writes parses back, aligned as the kernel's unpacker requires."""

from __future__ import annotations

import stat

import pytest
from hypothesis import given
from hypothesis import strategies as st

from patchcheck.probe.vm.initramfs import (
    MAGIC,
    Entry,
    char_device,
    directory,
    probe_initramfs,
    read_newc,
    regular,
    write_newc,
)


def test_probe_initramfs_holds_init_console_and_proc() -> None:
    archive = probe_initramfs(b"\x7fELF-not-really")
    entries = {entry.name: entry for entry in read_newc(archive)}
    assert set(entries) == {"dev", "dev/console", "proc", "tmp", "modules", "init"}
    init = entries["init"]
    assert init.data == b"\x7fELF-not-really"
    assert stat.S_ISREG(init.mode) and init.mode & 0o777 == 0o755
    console = entries["dev/console"]
    assert stat.S_ISCHR(console.mode) and console.rdev == (5, 1)
    assert entries["proc"].is_dir


def test_modules_are_stored_in_load_order() -> None:
    archive = probe_initramfs(b"init", [("virtio_ring", b"A"), ("virtio", b"B"), ("virtio_blk", b"C")])
    names = [entry.name for entry in read_newc(archive) if entry.name.startswith("modules/")]
    assert names == ["modules/00-virtio_ring.ko", "modules/01-virtio.ko", "modules/02-virtio_blk.ko"]
    assert sorted(names) == names  # the guest loads them in name order


def test_headers_and_data_start_on_four_byte_boundaries() -> None:
    archive = write_newc([directory("d"), regular("d/odd-name", b"abc"), regular("x", b"12345")])
    offsets = [i for i in range(len(archive)) if archive.startswith(MAGIC, i)]
    assert len(offsets) == 4  # three entries and the trailer
    assert all(offset % 4 == 0 for offset in offsets)
    assert len(archive) % 4 == 0
    assert archive.endswith(b"TRAILER!!!\0\0\0\0")  # 110 + 11 name bytes, padded to 124


def test_header_fields_are_the_documented_ones() -> None:
    archive = write_newc([char_device("console", 5, 1)])
    fields = [int(archive[6 + 8 * i : 14 + 8 * i], 16) for i in range(13)]
    ino, mode, uid, gid, nlink, _mtime, size, _maj, _min, rmaj, rmin, namesize, check = fields
    assert (ino, uid, gid, nlink, size, check) == (1, 0, 0, 1, 0, 0)
    assert mode == stat.S_IFCHR | 0o600
    assert (rmaj, rmin) == (5, 1)
    assert namesize == len("console") + 1


@pytest.mark.parametrize("name", ["/init", "../etc/passwd", "a/../../b", ""])
def test_unsafe_names_are_refused(name: str) -> None:
    with pytest.raises(ValueError, match="bad initramfs entry name"):
        write_newc([regular(name, b"")])


def test_entries_need_their_directory_first() -> None:
    with pytest.raises(ValueError, match="before its directory"):
        write_newc([regular("dev/console", b""), directory("dev")])


def test_truncated_archive_is_reported() -> None:
    archive = write_newc([regular("init", b"x" * 100)])
    with pytest.raises(ValueError, match="truncated data"):
        read_newc(archive[:150])
    with pytest.raises(ValueError, match="no newc header"):
        read_newc(b"garbage" + archive)


_names = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789._-", min_size=1, max_size=40).filter(
    lambda name: name not in (".", "..")
)


@given(st.dictionaries(_names, st.binary(max_size=300), max_size=8))
def test_round_trip(files: dict[str, bytes]) -> None:
    entries = [directory("top"), *(regular(f"top/{name}", data, 0o640) for name, data in files.items())]
    assert read_newc(write_newc(entries)) == entries


def test_round_trip_keeps_every_field_of_an_entry() -> None:
    entry = Entry("node", stat.S_IFBLK | 0o660, b"", (8, 3))
    assert read_newc(write_newc([entry])) == [entry]
