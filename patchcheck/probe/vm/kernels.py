"""Kernel images to boot: a bzImage, an uncompressed vmlinux with the PVH entry note, or the image inside a
Debian kernel package (extracted once into a cache outside the repository)."""

from __future__ import annotations

import hashlib
import io
import re
import shutil
import subprocess
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Literal

from elftools.common.exceptions import ELFError
from elftools.elf.elffile import ELFFile

from patchcheck.errors import InputError
from patchcheck.probe.vm import swapdisk

XEN_ELFNOTE_PHYS32_ENTRY = 18  # the PVH entry point note QEMU needs to boot a vmlinux directly

ImageKind = Literal["bzImage", "vmlinux"]


@dataclass(frozen=True)
class KernelImage:
    path: Path
    kind: ImageKind
    release: str | None  # "6.12.117+deb12-cloud-amd64", read from the image itself
    label: str  # what the user named: a path or a package file name
    config: Path | None = None  # the build's .config / boot/config-*, when known
    modules: tuple[Path, ...] = ()  # modules of the package the guest may load (swapdisk.py), decompressed

    def describe(self) -> str:
        return f"{self.release or 'unknown release'} ({self.kind} from {self.label})"


def cache_dir() -> Path:
    """$PATCHCHECK_CACHE, else $XDG_CACHE_HOME/patchcheck, else ~/.cache/patchcheck."""
    from patchcheck.source.cache import cache_home

    return cache_home()


def open_kernel(
    path: Path, *, label: str | None = None, config: Path | None = None, modules: tuple[Path, ...] = ()
) -> KernelImage:
    """Identify a kernel image file; bad input is an InputError naming the problem."""
    try:
        head = path.read_bytes()[: 1 << 20] if path.is_file() else b""
    except OSError as exc:
        raise InputError(f"cannot read kernel image {path}: {exc.strerror}") from exc
    if not head:
        raise InputError(f"kernel image not found or empty: {path}")
    if head[0x202:0x206] == b"HdrS":
        return KernelImage(path, "bzImage", _bzimage_release(head), label or str(path), config, modules)
    if head.startswith(b"\x7fELF"):
        if not _has_pvh_note(path):
            raise InputError(
                f"{path} is an ELF vmlinux without the PVH entry note (CONFIG_PVH)",
                details=["QEMU boots a vmlinux only through PVH; use arch/x86/boot/bzImage instead"],
            )
        return KernelImage(path, "vmlinux", _banner_release(path), label or str(path), config, modules)
    raise InputError(f"{path} is neither a bzImage nor an ELF vmlinux")


def _bzimage_release(head: bytes) -> str | None:
    # Boot protocol: a 16-bit pointer at 0x20e, relative to 0x200, to "6.12.0 (user@host) #1 ...".
    offset = int.from_bytes(head[0x20E:0x210], "little") + 0x200
    raw = head[offset : offset + 256].split(b"\0", 1)[0]
    return _first_token(raw)


def _banner_release(path: Path) -> str | None:
    with path.open("rb") as stream:
        data = stream.read()
    found = re.search(rb"Linux version (\S+) \(", data)
    return found.group(1).decode("ascii", "replace") if found else None


def _first_token(raw: bytes) -> str | None:
    token = raw.split(b" ", 1)[0].decode("ascii", "replace")
    return token or None


def _has_pvh_note(path: Path) -> bool:
    try:
        with path.open("rb") as stream:
            elf = ELFFile(stream)
            for segment in elf.iter_segments():
                if segment["p_type"] != "PT_NOTE":
                    continue
                for note in segment.iter_notes():  # type: ignore[attr-defined]  # a NoteSegment
                    if note["n_name"] == "Xen" and note["n_type"] == XEN_ELFNOTE_PHYS32_ENTRY:
                        return True
    except ELFError as exc:
        raise InputError(f"{path}: unreadable ELF file ({exc})") from exc
    return False


def kernel_from_deb(deb: Path) -> KernelImage:
    """The kernel image (and its config) out of a Debian linux-image package, cached by the package's hash."""
    if not deb.is_file():
        raise InputError(f"kernel package not found: {deb}")
    digest = hashlib.sha256(deb.read_bytes()).hexdigest()[:16]
    # "-m": extractions that include the guest's modules (older cache entries lack them)
    target = cache_dir() / "kernels" / "extracted" / f"{deb.stem}-{digest}-m"
    if not (target / ".complete").is_file():
        _extract_boot(deb, target)
    images = sorted(target.glob("vmlinuz-*")) + sorted(target.glob("vmlinux-*"))
    if not images:
        raise InputError(f"{deb.name} holds no /boot/vmlinuz-* image: is it a linux-image package?")
    image = images[0]
    release = image.name.split("-", 1)[1]
    config = target / f"config-{release}"
    modules = tuple(sorted((target / "modules").glob("*.ko")))
    return open_kernel(image, label=deb.name, config=config if config.is_file() else None, modules=modules)


def _extract_boot(deb: Path, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=target.name + ".", dir=target.parent))  # private to this process
    with _data_tar(deb) as stream, tarfile.open(fileobj=stream, mode="r|*") as tar:
        for member in tar:
            name = Path(member.name)
            # Only regular files directly in ./boot, named by us: nothing in the package chooses a path.
            if (
                member.isfile()
                and name.parent.name == "boot"
                and name.name.startswith(("vmlinuz-", "vmlinux-", "config-"))
            ):
                source = tar.extractfile(member)
                if source is not None:
                    (staging / name.name).write_bytes(source.read())
            elif member.isfile() and swapdisk.is_wanted_module(member.name):
                source = tar.extractfile(member)
                if source is not None:
                    modules = staging / "modules"
                    modules.mkdir(exist_ok=True)
                    data = swapdisk.module_bytes(name.name, source.read())
                    (modules / (swapdisk.module_name(name.name) + ".ko")).write_bytes(data)
    (staging / ".complete").touch()
    if (target / ".complete").is_file():  # another process finished first: keep theirs
        shutil.rmtree(staging)
        return
    shutil.rmtree(target, ignore_errors=True)  # a partial extraction from an interrupted run
    try:
        staging.rename(target)
    except OSError:  # lost a race to a concurrent extraction
        shutil.rmtree(staging)


def _data_tar(deb: Path) -> IO[bytes]:
    """The package's data.tar as a stream: dpkg-deb where present (it knows every compression), else our own
    reading of the ar container (xz, gzip, bzip2 or none)."""
    if shutil.which("dpkg-deb"):
        done = subprocess.run(["dpkg-deb", "--fsys-tarfile", str(deb)], capture_output=True, check=False)
        if done.returncode != 0:
            reason = done.stderr.decode(errors="replace").strip()
            raise InputError(f"{deb.name}: not a Debian package ({reason})")
        return io.BytesIO(done.stdout)
    return io.BytesIO(_ar_member(deb.read_bytes(), "data.tar", deb.name))


def _ar_member(archive: bytes, prefix: str, label: str) -> bytes:
    if not archive.startswith(b"!<arch>\n"):
        raise InputError(f"{label}: not a Debian package (no ar header)")
    pos = 8
    while pos + 60 <= len(archive):
        header = archive[pos : pos + 60]
        name = header[:16].decode("ascii", "replace").strip().rstrip("/")
        size = int(header[48:58].decode("ascii").strip() or 0)
        body = archive[pos + 60 : pos + 60 + size]
        if name.startswith(prefix):
            if name.endswith(".zst"):
                raise InputError(f"{label}: zstd-compressed package needs dpkg-deb")
            return body
        pos += 60 + size + (size & 1)
    raise InputError(f"{label}: no {prefix} member")
