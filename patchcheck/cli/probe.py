"""`patchcheck probe`: check, claim by claim, that the running kernel keeps MAP_DROPPABLE's promises."""

from __future__ import annotations

import enum
import math
from pathlib import Path
from typing import Annotated

import typer

from patchcheck.errors import EXIT_CLEAN, EXIT_FINDINGS, InputError


class Format(enum.StrEnum):
    text = "text"
    json = "json"
    sarif = "sarif"


def register(app: typer.Typer) -> None:
    @app.command("probe")
    def probe(
        output_format: Annotated[
            Format, typer.Option("--format", metavar="FORMAT", help="text (a line per claim), json or sarif.")
        ] = (Format.text),
        pressure: Annotated[
            bool, typer.Option("--pressure", help="Also fault a droppable range in a small memory cgroup.")
        ] = False,
        coredump: Annotated[
            bool, typer.Option("--coredump", help="Also dump core of a child in a temp dir; always in QEMU.")
        ] = False,
        compare: Annotated[
            str | None,
            typer.Option("--compare", metavar="lazyfree", help="Also measure MADV_FREE side by side."),
        ] = None,
        timeout: Annotated[
            float, typer.Option("--timeout", min=1.0, metavar="SECONDS", help="Seconds per observation.")
        ] = 10.0,
        simulate: Annotated[
            str | None, typer.Option("--simulate", hidden=True, envvar="PATCHCHECK_PROBE_SIMULATE")
        ] = None,
        kernel: Annotated[
            list[Path] | None,
            typer.Option(
                "--kernel", metavar="IMAGE", help="Probe this kernel in QEMU (bzImage, PVH vmlinux or .deb)."
            ),
        ] = None,
        kernel_deb: Annotated[
            list[Path] | None,
            typer.Option(
                "--kernel-deb", metavar="DEB", help="Probe the kernel image of this Debian package in QEMU."
            ),
        ] = None,
        accel: Annotated[
            str, typer.Option("--accel", metavar="MODE", help="QEMU acceleration: tcg, kvm or auto.")
        ] = "tcg",
        matrix: Annotated[
            bool, typer.Option("--matrix", help="One table, claim by kernel, over every kernel given.")
        ] = False,
        strict: Annotated[
            bool, typer.Option("--strict", help="Exit 1 also when a claim is only partly observed.")
        ] = False,
    ) -> None:
        """Probe MAP_DROPPABLE on the running kernel: pass / partial / fail / unsupported / skipped per claim.

        partial: nothing contradicted the promise, but its key condition was not exercised (no swap, no
        core dump, ...); the evidence says what was not observed. Exit 1 only for a failed claim, or under
        --strict for a partial one too."""
        from patchcheck.probe.render import render_json, render_text
        from patchcheck.probe.run import ProbeOptions, probe_host

        if not math.isfinite(timeout):  # typer's min=1.0 lets NaN and infinity through
            raise InputError(f"--timeout: {timeout} is not a number of seconds")
        options = ProbeOptions(pressure, coredump, compare, timeout, simulate)
        if kernel or kernel_deb or matrix:
            from patchcheck.probe.vm.command import probe_vm

            text, code = probe_vm(
                kernel or [], kernel_deb or [], accel=accel, matrix=matrix, options=options,
                output=output_format.value, strict=strict,
            )  # fmt: skip
            typer.echo(text, nl=False)
            raise typer.Exit(code)
        report = probe_host(options)
        if output_format is Format.sarif:
            from patchcheck.probe.sarif import render_sarif

            typer.echo(render_sarif([(report, [])]), nl=False)
        else:
            typer.echo(render_json(report) if output_format is Format.json else render_text(report), nl=False)
        raise typer.Exit(EXIT_FINDINGS if report.failed or (strict and report.partial) else EXIT_CLEAN)
