"""The guest's swap disk: the swap signature patchcheck writes, and the modules (and their order) a packaged
kernel needs to see the disk. Modules here are small ELF files written by the test (a .modinfo section)."""

from __future__ import annotations

import lzma
import struct
from pathlib import Path

import pytest

from patchcheck.probe.vm import kernels, swapdisk
from tests.probe.test_qemu_kernels import fake_bzimage, fake_deb


def fake_module(name: str, depends: str = "") -> bytes:
    """An ELF64 relocatable with the two sections the loader order reads: .modinfo and .shstrtab."""
    modinfo = f"license=GPL\0depends={depends}\0name={name}\0".encode()
    shstrtab = b"\0.modinfo\0.shstrtab\0"
    ehdr_size, shdr_size = 64, 64
    modinfo_at = ehdr_size
    shstrtab_at = modinfo_at + len(modinfo)
    shoff = (shstrtab_at + len(shstrtab) + 7) & ~7
    ident = b"\x7fELF" + bytes([2, 1, 1]) + bytes(9)
    ehdr = ident + struct.pack("<HHIQQQIHHHHHH", 1, 62, 1, 0, 0, shoff, 0, ehdr_size, 0, 0, shdr_size, 3, 2)
    null = bytes(shdr_size)
    info_hdr = struct.pack("<IIQQQQIIQQ", 1, 1, 2, 0, modinfo_at, len(modinfo), 0, 0, 1, 0)
    str_hdr = struct.pack("<IIQQQQIIQQ", 10, 3, 0, 0, shstrtab_at, len(shstrtab), 0, 0, 1, 0)
    body = ehdr + modinfo + shstrtab
    return body + bytes(shoff - len(body)) + null + info_hdr + str_hdr


def test_swap_image_has_the_signature_swapon_reads(tmp_path: Path) -> None:
    image = tmp_path / "swap.img"
    swapdisk.write_swap_image(image, mib=8)
    data = image.read_bytes()
    assert len(data) == 8 << 20
    assert data[4096 - 10 : 4096] == b"SWAPSPACE2"
    version, last_page, bad = struct.unpack_from("<III", data, 1024)
    assert (version, last_page, bad) == (1, (8 << 20) // 4096 - 1, 0)
    assert not any(data[4096:])  # the rest is empty (and sparse on the host)
    assert image.stat().st_blocks * 512 < 1 << 20


def test_modules_load_dependencies_first_and_skip_what_is_built_in() -> None:
    modules = {
        "virtio_blk": fake_module("virtio_blk", "virtio,virtio_ring"),
        "virtio_pci": fake_module("virtio_pci", "virtio_pci_modern_dev,virtio,virtio_ring"),
        "virtio_pci_modern_dev": fake_module("virtio_pci_modern_dev"),
        "virtio": fake_module("virtio", "virtio_ring"),
        "virtio_ring": fake_module("virtio_ring"),
        "virtio_balloon": fake_module("virtio_balloon", "virtio"),
    }
    order = swapdisk.load_order(modules)
    assert order == ["virtio_pci_modern_dev", "virtio_ring", "virtio", "virtio_pci", "virtio_blk"]
    # A kernel with the virtio core and PCI transport built in (Debian's 6.12) needs the block driver only.
    assert swapdisk.load_order({"virtio_blk": fake_module("virtio_blk")}) == ["virtio_blk"]
    assert swapdisk.load_order({}) == []


def test_a_dependency_cycle_or_a_broken_module_does_not_hang() -> None:
    modules = {
        "virtio_blk": fake_module("virtio_blk", "virtio"),
        "virtio": fake_module("virtio", "virtio_blk"),
    }
    assert sorted(swapdisk.load_order(modules)) == ["virtio", "virtio_blk"]
    assert swapdisk.load_order({"virtio_blk": b"not an ELF file"}) == ["virtio_blk"]


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("PATCHCHECK_CACHE", str(tmp_path / "cache"))
    return tmp_path / "cache"


def test_the_package_yields_its_virtio_modules_decompressed(tmp_path: Path, cache: Path) -> None:
    base = "./lib/modules/6.99.0-test/kernel/drivers"
    deb = tmp_path / "linux-image-6.99.0-test_1_amd64.deb"
    deb.write_bytes(
        fake_deb(
            {
                "./boot/vmlinuz-6.99.0-test": fake_bzimage("6.99.0-test"),
                f"{base}/block/virtio_blk.ko.xz": lzma.compress(fake_module("virtio_blk", "virtio")),
                f"{base}/virtio/virtio.ko": fake_module("virtio"),
                f"{base}/net/e1000.ko": fake_module("e1000"),
            }
        )
    )
    image = kernels.kernel_from_deb(deb)
    assert [path.name for path in image.modules] == ["virtio.ko", "virtio_blk.ko"]
    ordered = swapdisk.ordered_modules(image.modules)
    assert [name for name, _ in ordered] == ["virtio", "virtio_blk"]
    assert ordered[1][1] == fake_module("virtio_blk", "virtio")  # stored decompressed
