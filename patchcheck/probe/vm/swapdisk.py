"""The guest's swap device: a sparse disk image with a swap signature, attached as a virtio disk, plus the
kernel modules a packaged kernel needs to see it (virtio_blk and what it depends on).

The guest observer loads the modules (init_module), finds /dev/vda and runs swapon on it; patchcheck never
touches the host's swap. A kernel without CONFIG_SWAP or without virtio-blk (built in, or as a module of the
package) cannot show "never written to swap": the guest says so, and the claim is "unsupported" there.
"""

from __future__ import annotations

import lzma
import struct
import uuid
from collections.abc import Iterable, Mapping
from pathlib import Path

from elftools.common.exceptions import ELFError
from elftools.elf.elffile import ELFFile

SWAP_MIB = 64  # enough for the cgroup-pressure control (24 MiB) and the reclaim checks; sparse on the host
SWAP_MAGIC = b"SWAPSPACE2"
GUEST_PAGE = 4096  # x86-64, the only guest architecture the VM path boots
# The PCI transport and the block driver of the swap disk (no symbol ties them: both are named); what they
# depend on comes from the modules' own "depends=" field.
ROOT_MODULES = ("virtio_pci", "virtio_blk")


def write_swap_image(path: Path, mib: int = SWAP_MIB, page: int = GUEST_PAGE) -> None:
    """A sparse raw disk of `mib` MiB whose first page is a version-1 swap header (what mkswap writes)."""
    pages = (mib << 20) // page
    header = bytearray(page)
    # union swap_header.info at offset 1024: version, last_page, nr_badpages, uuid[16], volume_name[16]
    struct.pack_into("<III", header, 1024, 1, pages - 1, 0)
    header[1036:1052] = uuid.uuid4().bytes
    header[1052:1068] = b"patchcheck-probe".ljust(16, b"\0")
    header[page - len(SWAP_MAGIC) :] = SWAP_MAGIC
    with path.open("wb") as image:
        image.write(header)
        image.truncate(pages * page)


def is_wanted_module(member: str) -> bool:
    """Package members that may be needed for the swap disk: the block driver and the virtio core."""
    parts = member.split("/")
    name = parts[-1]
    if ".ko" not in name or "kernel" not in parts:
        return False
    return name.startswith("virtio_blk.ko") or (len(parts) > 2 and parts[-2] == "virtio")


def module_bytes(name: str, data: bytes) -> bytes:
    """A module file as init_module() takes it: .ko.xz decompressed here (the kernel may lack the decoder)."""
    return lzma.decompress(data) if name.endswith(".xz") else data


def modinfo(data: bytes) -> dict[str, str]:
    """The `.modinfo` section of a module: name, depends, ..."""
    import io

    try:
        section = ELFFile(io.BytesIO(data)).get_section_by_name(".modinfo")
    except ELFError:
        return {}
    if section is None:
        return {}
    info: dict[str, str] = {}
    for entry in section.data().split(b"\0"):
        key, sep, value = entry.decode("utf-8", "replace").partition("=")
        if sep and key not in info:
            info[key] = value
    return info


def load_order(modules: Mapping[str, bytes], roots: Iterable[str] = ROOT_MODULES) -> list[str]:
    """Module names to load, dependencies first, for `roots` (absent ones, e.g. built in, are left out)."""
    infos = {name: modinfo(data) for name, data in modules.items()}
    order: list[str] = []

    def visit(name: str, path: tuple[str, ...]) -> None:
        if name in order or name in path or name not in infos:
            return
        depends = [dep for dep in infos[name].get("depends", "").split(",") if dep]
        for dep in depends:
            visit(dep.replace("-", "_"), (*path, name))
        order.append(name)

    for root in roots:
        visit(root, ())
    return order


def module_name(file_name: str) -> str:
    return file_name.split(".ko", 1)[0].replace("-", "_")


def ordered_modules(files: Iterable[Path]) -> list[tuple[str, bytes]]:
    """(name, bytes) of the modules in `files` that the swap disk needs, in load order."""
    modules = {module_name(path.name): path.read_bytes() for path in files}
    return [(name, modules[name]) for name in load_order(modules)]
