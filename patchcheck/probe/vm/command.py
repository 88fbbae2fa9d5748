"""The `patchcheck probe --kernel/--kernel-deb/--matrix` entry point, kept out of the thin CLI module."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from patchcheck.errors import EXIT_CLEAN, EXIT_FINDINGS, InputError
from patchcheck.probe.run import ProbeOptions
from patchcheck.probe.sarif import render_sarif
from patchcheck.probe.vm.kernels import KernelImage, kernel_from_deb
from patchcheck.probe.vm.qemu import ACCELS
from patchcheck.probe.vm.render import render_matrix_json, render_matrix_text, render_vm_json, render_vm_text
from patchcheck.probe.vm.session import probe_kernel, resolve_kernel


def probe_vm(
    kernels: Sequence[Path],
    kernel_debs: Sequence[Path],
    *,
    accel: str,
    matrix: bool,
    options: ProbeOptions,
    output: str = "text",
    strict: bool = False,
) -> tuple[str, int]:
    """Probe each kernel in QEMU; one report for one kernel, a claim-by-kernel table for several or
    --matrix. Returns the text to print and the exit status."""
    if accel not in ACCELS:
        raise InputError(f"--accel must be one of {', '.join(ACCELS)}, not {accel!r}")
    if options.simulate:
        raise InputError("--simulate applies to the host probe only, not to --kernel")
    images: list[KernelImage] = [resolve_kernel(path) for path in kernels]
    images += [kernel_from_deb(path) for path in kernel_debs]
    if not images:
        raise InputError("--matrix needs kernels: give --kernel PATH or --kernel-deb FILE, several times")
    probes = [probe_kernel(image, options, accel=accel) for image in images]
    failed = any(probe.failed or (strict and probe.report.partial) for probe in probes)
    if output == "sarif":
        text = render_sarif([(probe.report, probe.notes) for probe in probes])
    elif matrix or len(probes) > 1:
        text = render_matrix_json(probes) if output == "json" else render_matrix_text(probes)
    else:
        text = render_vm_json(probes[0]) if output == "json" else render_vm_text(probes[0])
    return text, EXIT_FINDINGS if failed else EXIT_CLEAN
