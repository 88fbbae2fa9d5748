"""`patchcheck probe --kernel`: boot a kernel with the observer as /init, judge what it reports.

The records come from the C observer in the guest, the verdicts from the same judges as the live probe
(patchcheck.probe.claims), so the report has the live probe's form plus the boot's notes.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from patchcheck.probe.run import ProbeOptions, ProbeReport, report_from_records
from patchcheck.probe.vm import guest, initramfs, swapdisk
from patchcheck.probe.vm.diagnose import (
    GUEST_OBSERVATIONS,
    diagnose,
    verdicts_without_observer,
    without_proc,
)
from patchcheck.probe.vm.kernels import KernelImage, kernel_from_deb, open_kernel
from patchcheck.probe.vm.qemu import Accel, Boot, boot

BOOT_SECONDS = 60.0  # booting to /init under TCG: a Debian kernel needs 2-4 s, a debug kernel far more
GUEST_MIN_LIMIT = 20  # seconds per observation in the guest: TCG is slower than the host


@dataclass
class VmProbe:
    report: ProbeReport
    boot: Boot
    notes: list[str] = field(default_factory=list)

    @property
    def failed(self) -> bool:
        return self.report.failed

    def summary(self) -> dict[str, Any]:
        """How the kernel was probed, for --format json."""
        return {
            "image": str(self.boot.kernel.path),
            "source": self.boot.kernel.label,
            "kind": self.boot.kernel.kind,
            "accel": self.boot.accel,
            "seconds": round(self.boot.run.seconds, 2),
            "stop": self.boot.run.stop_reason,
            "notes": self.notes,
        }


def resolve_kernel(path: Path) -> KernelImage:
    """A kernel given on the command line: a Debian package by its name, else an image file."""
    return kernel_from_deb(path) if path.suffix == ".deb" else open_kernel(path)


def guest_limit(options: ProbeOptions) -> int:
    """Seconds each observation may take in the guest (--timeout, but never below what TCG needs)."""
    return max(GUEST_MIN_LIMIT, math.ceil(options.timeout))


def init_args(options: ProbeOptions) -> list[str]:
    # The guest is disposable and owns its core_pattern: it always takes a real core dump (--coredump or not).
    wanted = {"pressure": options.pressure, "coredump": True}
    args = [name for name, asked in wanted.items() if asked]
    if options.compare == "lazyfree":
        args.append("compare-lazyfree")
    return [*args, f"timeout={guest_limit(options)}"]


def probe_kernel(image: KernelImage, options: ProbeOptions, *, accel: Accel = "tcg") -> VmProbe:
    observer = guest.build_observer()
    ramdisk = initramfs.probe_initramfs(observer.read_bytes(), swapdisk.ordered_modules(image.modules))
    # The watchdog's deadline: boot, then every observation at its limit (they rarely take a second).
    deadline = BOOT_SECONDS + (len(GUEST_OBSERVATIONS) + 1) * (guest_limit(options) + 2)
    booted = boot(image, ramdisk, accel=accel, timeout=deadline, init_args=init_args(options))
    return judge_boot(booted)


def judge_boot(booted: Boot) -> VmProbe:
    """The report for one boot: the guest's records judged like the host's, plus what the boot showed."""
    image = booted.kernel
    found = diagnose(booted)
    how = f"{image.kind} {image.label} ({booted.run.seconds:.1f} s)"
    probed = f"QEMU {booted.accel.upper()} guest booting {how}"
    records = [*booted.output.records, *found.stand_ins]
    if not any(record.get("obs") == "kernel" for record in records):
        records.insert(0, _kernel_from_image(image))
    report = report_from_records(records, probed)
    if found.nothing_ran is not None:
        report.verdicts = verdicts_without_observer(found.nothing_ran)
    elif found.no_proc:
        report.verdicts = without_proc(report.verdicts)
    return VmProbe(report, booted, found.notes)


def _kernel_from_image(image: KernelImage) -> dict[str, Any]:
    return {
        "obs": "kernel",
        "outcome": "ok",
        "release": image.release or "unknown",
        "machine": "x86_64",
        "observer": "guest (did not report)",
    }
