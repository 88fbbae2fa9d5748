"""Reports of probes run in QEMU: the live probe's form plus the boot's notes; the claim-by-kernel matrix."""

from __future__ import annotations

import json
from collections.abc import Sequence

from patchcheck.probe.claims import CLAIMS
from patchcheck.probe.render import render_json, render_text
from patchcheck.probe.vm.session import VmProbe


def render_vm_text(probe: VmProbe) -> str:
    """The live probe's text report with one "note:" line per boot finding under its header."""
    header, _, rest = render_text(probe.report).partition("\n")
    notes = "".join(f"note: {note}\n" for note in probe.notes)
    return f"{header}\n{notes}{rest}"


def render_vm_json(probe: VmProbe) -> str:
    document = json.loads(render_json(probe.report))
    document["vm"] = probe.summary()
    return json.dumps(document, indent=2) + "\n"


def _column_title(probe: VmProbe) -> str:
    return str(probe.report.kernel.get("release") or probe.boot.kernel.label)


def render_matrix_text(probes: Sequence[VmProbe]) -> str:
    """One row per claim, one column per kernel; each kernel's notes below the table."""
    titles = [_column_title(probe) for probe in probes]
    rows = [["claim", *titles]]
    for claim in CLAIMS:
        cells = []
        for probe in probes:
            status = next((v.status.value for v in probe.report.verdicts if v.claim == claim.id), "-")
            cells.append(status)
        rows.append([claim.id, *cells])
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)).rstrip() for row in rows]
    lines.insert(1, "  ".join("-" * width for width in widths))
    for title, probe in zip(titles, probes, strict=True):
        lines.append(f"{title}: {probe.report.probed}")
        lines += [f"  note: {note}" for note in probe.notes]
        lines += [
            f"  {verdict.claim} {verdict.status.value}: {verdict.evidence}"
            for verdict in probe.report.verdicts
            if verdict.status.value in ("fail", "partial")  # say what failed, and what was not observed
        ]
    return "\n".join(lines) + "\n"


def render_matrix_json(probes: Sequence[VmProbe]) -> str:
    kernels = []
    for probe in probes:
        document = json.loads(render_vm_json(probe))
        kernels.append(document)
    return json.dumps({"kernels": kernels}, indent=2) + "\n"
