"""Booting a kernel with the observer as /init under QEMU and reading what it printed.

What works on the 2-core build machines (see the QEMU notes): TCG; `-nodefaults -display none -serial stdio`
and a quiet kernel log level for clean output; `-no-reboot` so the guest's reboot (our power-off: it needs no
ACPI) ends QEMU; `panic=-1` so a panic does too. The watchdog kills QEMU when it overstays: a halted guest, or
KVM that failed and paused the guest forever.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from patchcheck.errors import InputError
from patchcheck.probe.vm import console, swapdisk
from patchcheck.probe.vm.kernels import KernelImage
from patchcheck.probe.vm.watchdog import WatchedRun, run_watched
from patchcheck.report.progress import progress

Accel = Literal["tcg", "kvm", "auto"]
ACCELS: tuple[Accel, ...] = ("tcg", "kvm", "auto")

MEMORY_MB = 128  # 96 MB suffices; at 64 MB QEMU exits silently
KVM_STALL_SECONDS = 15.0  # with KVM the observer starts within a few seconds, or never
# loglevel=5 is `quiet` plus KERN_WARNING: a WARN_ON splat during a check reaches the report as evidence.
CMDLINE = "console=ttyS0 loglevel=5 panic=-1 rdinit=/init"


@dataclass
class Boot:
    """One boot of one kernel: how it ran and what the console showed."""

    kernel: KernelImage
    accel: str  # what actually ran: "tcg" or "kvm"
    run: WatchedRun
    output: console.GuestOutput
    notes: list[str] = field(default_factory=list)  # e.g. "KVM failed (...); fell back to TCG"


def qemu_binary() -> str:
    found = shutil.which("qemu-system-x86_64")
    if not found:
        raise InputError("qemu-system-x86_64 not found", details=["install the qemu-system-x86 package"])
    return found


def kernel_cmdline(init_args: Sequence[str] = ()) -> str:
    """Words after "--" go to /init as arguments: they request the observer's optional observations."""
    return f"{CMDLINE} -- {' '.join(init_args)}" if init_args else CMDLINE


def qemu_argv(
    kernel: KernelImage,
    initrd: Path,
    accel: Literal["tcg", "kvm"],
    init_args: Sequence[str] = (),
    swap: Path | None = None,
) -> list[str]:
    cpu = ["-cpu", "host"] if accel == "kvm" else []  # TCG default CPU: as fast as "max" here
    # The swap disk (swapdisk.py): the guest's /dev/vda, a scratch file thrown away after the boot.
    disk = ["-drive", f"file={swap},if=virtio,format=raw,cache=unsafe"] if swap is not None else []
    return [
        qemu_binary(),
        "-accel", accel, *cpu,
        "-m", str(MEMORY_MB), "-smp", "1",
        "-nodefaults", "-display", "none", "-serial", "stdio", "-no-reboot",
        *disk,
        "-kernel", str(kernel.path), "-initrd", str(initrd), "-append", kernel_cmdline(init_args),
    ]  # fmt: skip


def kvm_usable() -> bool:
    return os.access("/dev/kvm", os.R_OK | os.W_OK)


def boot(
    kernel: KernelImage,
    initramfs: bytes,
    *,
    accel: Accel = "tcg",
    timeout: float = 60.0,
    init_args: Sequence[str] = (),
) -> Boot:
    """Boot once and collect the console; with "auto", KVM first and TCG when KVM fails or stalls."""
    if accel == "kvm" and not kvm_usable():
        raise InputError("--accel kvm: /dev/kvm is not available")
    with tempfile.TemporaryDirectory(prefix="patchcheck-vm-") as tmp:
        initrd = Path(tmp) / "initramfs.cpio"
        initrd.write_bytes(initramfs)
        swap = Path(tmp) / "swap.img"
        swapdisk.write_swap_image(swap)
        if accel == "auto" and kvm_usable():
            booted = _boot_once(kernel, initrd, swap, "kvm", timeout, init_args, stall=KVM_STALL_SECONDS)
            if not _kvm_worked(booted):
                reason = _kvm_failure(booted.run)
                booted = _boot_once(kernel, initrd, swap, "tcg", timeout, init_args)
                booted.notes.append(f"KVM failed ({reason}); fell back to TCG")
        else:
            chosen: Literal["tcg", "kvm"] = "kvm" if accel == "kvm" else "tcg"
            booted = _boot_once(kernel, initrd, swap, chosen, timeout, init_args)
    failure = qemu_failure(booted.run)
    if failure:
        raise InputError(f"QEMU could not start the guest ({booted.accel}): {failure}")
    return booted


def qemu_failure(run: WatchedRun) -> str | None:
    """QEMU's own error when it gave up before the guest printed anything (bad option, KVM refusing the CPU).
    Its exit status is trusted only for that: after the guest ran, 0 means nothing."""
    if run.stop_reason != "exited" or run.returncode == 0 or console.clean(run.stdout).strip():
        return None
    lines = console.clean(run.stderr).strip().splitlines()
    return lines[-1][:200] if lines else f"exit status {run.returncode}"


def _boot_once(
    kernel: KernelImage,
    initrd: Path,
    swap: Path,
    accel: Literal["tcg", "kvm"],
    timeout: float,
    init_args: Sequence[str],
    stall: float | None = None,
) -> Boot:
    shown = progress(f"booting {kernel.path.name} in QEMU ({accel})")

    def give_up(out: bytes, err: bytes, elapsed: float) -> str | None:
        running = ", observer running" if console.has_begin_marker(out) else ""
        shown.advance(0, detail=f"{elapsed:.0f} s{running}")
        if b"KVM internal error" in err or b"emulation failure" in err:
            return "KVM internal error"
        if stall is not None and elapsed > stall and not console.has_begin_marker(out):
            return f"no observer output after {stall:.0f} s"
        return None

    with shown:
        run = run_watched(
            qemu_argv(kernel, initrd, accel, init_args, swap),
            timeout=timeout,
            done=console.has_end_marker,
            grace=2.0,
            give_up=give_up,
        )
    return Boot(kernel, accel, run, console.parse(run.stdout))


def _kvm_worked(booted: Boot) -> bool:
    """The observer started, or the kernel ran to a clean exit of its own (its console shows why)."""
    run = booted.run
    return booted.output.began or (
        run.stop_reason == "exited" and qemu_failure(run) is None and bool(booted.output.text.strip())
    )


def _kvm_failure(run: WatchedRun) -> str:
    if run.stop_reason not in ("exited", "done", "timeout"):
        return run.stop_reason
    first_error = console.clean(run.stderr).strip().splitlines()
    return first_error[0][:120] if first_error else run.stop_reason
