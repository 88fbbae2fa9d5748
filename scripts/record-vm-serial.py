#!/usr/bin/env python3
"""Re-record the console parser's fixtures (tests/probe/serial/*.raw) from real boots of Debian kernels.

Run after changing the observer's output: `.venv/bin/python scripts/record-vm-serial.py`. Needs QEMU and the
packages of scripts/fetch-vm-kernels.sh. The recordings are our own observer's output, plus kernel and
firmware text, exactly as QEMU delivered it (escape codes and CR LF included).
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from patchcheck.probe.vm import console, guest, initramfs, kernels, qemu, swapdisk, watchdog

OUT = Path(__file__).resolve().parents[1] / "tests" / "probe" / "serial"


def main() -> None:
    debs = sorted((kernels.cache_dir() / "kernels").glob("linux-image-*.deb"))
    images = {("6.1" if "-6.1.0-" in deb.name else "6.12"): kernels.kernel_from_deb(deb) for deb in debs}
    observer = guest.build_observer().read_bytes()
    for version, image in images.items():
        # With the swap disk and its modules, and a real core dump, as `probe --kernel-deb --coredump`
        # boots it.
        ramdisk = initramfs.probe_initramfs(observer, swapdisk.ordered_modules(image.modules))
        booted = qemu.boot(image, ramdisk, init_args=["coredump"])
        (OUT / f"debian-{version}-cloud.raw").write_bytes(booted.run.stdout)
    image = images["6.12"]
    ramdisk = initramfs.probe_initramfs(observer)  # no modules: the guest finds no swap disk
    with tempfile.TemporaryDirectory() as tmp:
        initrd = Path(tmp) / "initramfs.cpio"
        initrd.write_bytes(ramdisk)
        # -nographic: firmware escape sequences and CR LF line ends reach the output.
        argv = [qemu.qemu_binary(), "-accel", "tcg", "-m", "128", "-nographic", "-no-reboot"]
        argv += ["-kernel", str(image.path), "-initrd", str(initrd), "-append", qemu.kernel_cmdline()]
        run = watchdog.run_watched(argv, timeout=60, done=console.has_end_marker)
        (OUT / "debian-6.12-cloud-nographic.raw").write_bytes(run.stdout)
        # No initramfs: the kernel finds no root and panics.
        argv = [arg for arg in qemu.qemu_argv(image, initrd, "tcg") if arg not in ("-initrd", str(initrd))]
        run = watchdog.run_watched(argv, timeout=60, done=console.has_end_marker)
        (OUT / "debian-6.12-cloud-no-initrd.raw").write_bytes(run.stdout)


if __name__ == "__main__":
    main()
