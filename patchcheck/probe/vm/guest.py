"""Building the in-guest observer: a static C program compiled at run time into the cache (never committed).

musl makes it small (tens of KB instead of ~800 KB with glibc), which keeps the initramfs and the boot short.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import tempfile
from importlib import resources
from pathlib import Path

from patchcheck.errors import InputError
from patchcheck.probe.vm.kernels import cache_dir

_FLAGS = ["-static", "-O2", "-Wall", "-Wextra", "-Werror", "-Wmissing-prototypes", "-std=gnu11"]


def observer_sources() -> dict[str, bytes]:
    """patchcheck/probe/guest/*.c and *.h, by file name."""
    package = resources.files("patchcheck.probe.guest")
    return {
        entry.name: entry.read_bytes()
        for entry in sorted(package.iterdir(), key=lambda e: e.name)
        if entry.name.endswith((".c", ".h"))
    }


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
    """The observer binary, built once per (sources, compiler) and reused."""
    compiler = compiler or find_compiler()
    sources = observer_sources()
    version = subprocess.run([*compiler, "--version"], capture_output=True, check=False).stdout
    digest = hashlib.sha256("\0".join(compiler).encode() + version)
    for name, text in sources.items():
        digest.update(name.encode() + b"\0" + text)
    out_dir = cache_dir() / "guest" / digest.hexdigest()[:16]
    binary = out_dir / "observer"
    if binary.is_file():
        return binary
    out_dir.mkdir(parents=True, exist_ok=True)
    # A private work directory: concurrent builds never see each other's half-written files.
    with tempfile.TemporaryDirectory(prefix="build-", dir=out_dir) as work:
        for name, text in sources.items():
            (Path(work) / name).write_bytes(text)
        units = [str(Path(work) / name) for name in sources if name.endswith(".c")]
        partial = Path(work) / "observer"
        done = subprocess.run(
            [*compiler, *_FLAGS, "-o", str(partial), *units], capture_output=True, check=False
        )
        if done.returncode != 0:
            message = done.stderr.decode(errors="replace").strip().splitlines()
            raise InputError(
                f"building the in-guest observer with {Path(compiler[0]).name} failed",
                details=message[:10],
            )
        os.replace(partial, binary)
    return binary
