"""Building the in-guest observer: a static C program compiled at run time into the cache (never committed).

musl makes it small (tens of KB instead of ~800 KB with glibc), which keeps the initramfs and the boot short.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
from importlib import resources
from pathlib import Path

from patchcheck.errors import InputError
from patchcheck.probe.vm.kernels import cache_dir

SOURCE_NAME = "observer.c"
_FLAGS = ["-static", "-O2", "-Wall", "-Wextra", "-Werror", "-std=gnu11"]


def observer_source() -> bytes:
    return resources.files("patchcheck.probe.guest").joinpath(SOURCE_NAME).read_bytes()


def find_compiler() -> list[str]:
    """musl-gcc where installed (package musl-tools), else the system cc with -static (needs libc.a)."""
    for candidate in ("musl-gcc", "cc", "gcc"):
        found = shutil.which(candidate)
        if found:
            return [found]
    raise InputError(
        "no C compiler to build the in-guest observer",
        details=["install musl-tools (preferred) or gcc with a static libc"],
    )


def build_observer(compiler: list[str] | None = None) -> Path:
    """The observer binary, built once per (source, compiler) and reused."""
    compiler = compiler or find_compiler()
    source = observer_source()
    version = subprocess.run([*compiler, "--version"], capture_output=True, check=False).stdout
    key = hashlib.sha256(source + "\0".join(compiler).encode() + version).hexdigest()[:16]
    out_dir = cache_dir() / "guest" / key
    binary = out_dir / "observer"
    if binary.is_file():
        return binary
    out_dir.mkdir(parents=True, exist_ok=True)
    # Per-process names: concurrent builds never see each other's half-written files.
    source_copy = out_dir / f"observer.{os.getpid()}.c"
    source_copy.write_bytes(source)
    partial = out_dir / f"observer.partial.{os.getpid()}"
    done = subprocess.run(
        [*compiler, *_FLAGS, "-o", str(partial), str(source_copy)],
        capture_output=True,
        check=False,
    )
    if done.returncode != 0:
        message = done.stderr.decode(errors="replace").strip().splitlines()
        raise InputError(
            f"building the in-guest observer with {Path(compiler[0]).name} failed",
            details=message[:10],
        )
    source_copy.unlink()
    partial.rename(binary)
    return binary
