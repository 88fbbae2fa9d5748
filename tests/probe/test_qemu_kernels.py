"""Recognising kernel images and taking them out of Debian packages (synthetic files written here)."""

from __future__ import annotations

import io
import shutil
import struct
import sys
import tarfile
from pathlib import Path

import pytest

from patchcheck.errors import InputError
from patchcheck.probe.vm import kernels


def fake_bzimage(release: str = "6.99.0-test") -> bytes:
    image = bytearray(0x1000)
    image[0x202:0x206] = b"HdrS"
    banner = f"{release} (dev@box) #1 SMP".encode() + b"\0"
    struct.pack_into("<H", image, 0x20E, 0x600 - 0x200)
    image[0x600 : 0x600 + len(banner)] = banner
    return bytes(image)


def fake_vmlinux(*, pvh: bool, release: str = "6.99.1-pvh") -> bytes:
    """A minimal ELF64 with one PT_NOTE segment: the Xen PHYS32_ENTRY note when `pvh`, else a GNU note."""
    name, note_type = (b"Xen\0", kernels.XEN_ELFNOTE_PHYS32_ENTRY) if pvh else (b"GNU\0", 3)
    desc = struct.pack("<I", 0x1000000)
    note = struct.pack("<III", len(name), len(desc), note_type) + name + desc
    banner = f"Linux version {release} (dev@box) (gcc) #1\0".encode()
    ehdr_size, phdr_size = 64, 56
    note_offset = ehdr_size + phdr_size
    ident = b"\x7fELF" + bytes([2, 1, 1]) + bytes(9)
    ehdr = ident + struct.pack(
        "<HHIQQQIHHHHHH", 2, 62, 1, 0x1000000, ehdr_size, 0, 0, ehdr_size, phdr_size, 1, 64, 0, 0
    )
    phdr = struct.pack("<IIQQQQQQ", 4, 4, note_offset, 0, 0, len(note), len(note), 4)
    return ehdr + phdr + note + banner


def test_bzimage_release_comes_from_the_boot_header(tmp_path: Path) -> None:
    path = tmp_path / "bzImage"
    path.write_bytes(fake_bzimage("6.12.0-patched"))
    image = kernels.open_kernel(path)
    assert (image.kind, image.release, image.label) == ("bzImage", "6.12.0-patched", str(path))
    assert image.describe() == f"6.12.0-patched (bzImage from {path})"


def test_vmlinux_with_pvh_note_is_accepted(tmp_path: Path) -> None:
    path = tmp_path / "vmlinux"
    path.write_bytes(fake_vmlinux(pvh=True))
    image = kernels.open_kernel(path)
    assert (image.kind, image.release) == ("vmlinux", "6.99.1-pvh")


def test_vmlinux_without_pvh_note_is_refused_with_advice(tmp_path: Path) -> None:
    path = tmp_path / "vmlinux"
    path.write_bytes(fake_vmlinux(pvh=False))
    with pytest.raises(InputError, match="without the PVH entry note") as caught:
        kernels.open_kernel(path)
    assert "bzImage" in caught.value.details[0]


@pytest.mark.parametrize("content", [b"", b"#!/bin/sh\necho not a kernel\n" * 100])
def test_other_files_are_refused(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "thing"
    path.write_bytes(content)
    with pytest.raises(InputError):
        kernels.open_kernel(path)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="not found"):
        kernels.open_kernel(tmp_path / "nope")
    with pytest.raises(InputError, match="not found"):
        kernels.kernel_from_deb(tmp_path / "nope.deb")


def test_real_python_binary_is_an_elf_without_pvh() -> None:
    with pytest.raises(InputError, match="PVH"):
        kernels.open_kernel(Path(sys.executable).resolve())


def _tar_xz(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:xz") as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def fake_deb(files: dict[str, bytes]) -> bytes:
    members = [
        ("debian-binary", b"2.0\n"),
        ("control.tar.xz", _tar_xz({"./control": b"Package: linux-image-test\n"})),
        ("data.tar.xz", _tar_xz(files)),
    ]
    out = bytearray(b"!<arch>\n")
    for name, data in members:
        out += f"{name:<16}{0:<12}{0:<6}{0:<6}{100644:<8}{len(data):<10}`\n".encode()
        out += data + (b"\n" if len(data) % 2 else b"")
    return bytes(out)


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("PATCHCHECK_CACHE", str(tmp_path / "cache"))
    return tmp_path / "cache"


@pytest.mark.parametrize("use_dpkg", [True, False])
def test_image_and_config_come_out_of_a_package(
    tmp_path: Path, cache: Path, monkeypatch: pytest.MonkeyPatch, use_dpkg: bool
) -> None:
    if use_dpkg and not shutil.which("dpkg-deb"):
        pytest.skip("dpkg-deb not installed")
    if not use_dpkg:
        monkeypatch.setattr(kernels.shutil, "which", lambda _name: None)
    deb = tmp_path / "linux-image-6.99.0-test_1_amd64.deb"
    deb.write_bytes(
        fake_deb(
            {
                "./boot/vmlinuz-6.99.0-test": fake_bzimage("6.99.0-test"),
                "./boot/config-6.99.0-test": b"CONFIG_64BIT=y\n",
                "./boot/../escape-attempt": b"x",
                "./usr/share/doc/readme": b"doc",
            }
        )
    )
    image = kernels.kernel_from_deb(deb)
    assert (image.kind, image.release, image.label) == ("bzImage", "6.99.0-test", deb.name)
    assert image.config is not None and image.config.read_bytes() == b"CONFIG_64BIT=y\n"
    assert image.path.is_relative_to(cache)
    extracted = sorted(p.name for p in image.path.parent.iterdir())
    assert extracted == [".complete", "config-6.99.0-test", "vmlinuz-6.99.0-test"]
    assert not (tmp_path / "escape-attempt").exists()
    # A second call reuses the extraction.
    assert kernels.kernel_from_deb(deb).path == image.path


def test_package_without_a_kernel_image(tmp_path: Path, cache: Path) -> None:
    deb = tmp_path / "linux-doc_1_all.deb"
    deb.write_bytes(fake_deb({"./usr/share/doc/readme": b"doc"}))
    with pytest.raises(InputError, match="no /boot/vmlinuz"):
        kernels.kernel_from_deb(deb)


def test_not_a_package(tmp_path: Path, cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    deb = tmp_path / "random.deb"
    deb.write_bytes(b"this is not an ar archive")
    with pytest.raises(InputError, match="not a Debian package"):
        kernels.kernel_from_deb(deb)
    monkeypatch.setattr(kernels.shutil, "which", lambda _name: None)
    with pytest.raises(InputError, match="not a Debian package"):
        kernels.kernel_from_deb(deb)
