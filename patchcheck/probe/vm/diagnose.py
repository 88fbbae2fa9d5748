"""What a boot tells beyond the records: kernel options the probe found missing, and how the guest ended.

A kernel that lacks something the probe needs gets "unsupported" (never "fail") for the claims it affects, and
a line naming the option. The judges already answer "unsupported" for ENOSYS and for a missing vDSO symbol;
what is left here is what no record can say: no console, no init, no /proc, a guest that died midway.
"""

from __future__ import annotations

import errno
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from patchcheck.probe.claims import CLAIMS, Status, Verdict
from patchcheck.probe.vm.qemu import Boot

Record = Mapping[str, Any]

# The order the guest observer (observer.c) runs its observations in; compare-lazyfree comes last when asked.
GUEST_OBSERVATIONS = (
    "kernel", "swap", "map-droppable", "map-refusals", "reclaim", "fork", "mlock", "madvise-refusals",
    "coredump", "pressure", "vdso-getrandom",
)  # fmt: skip


@dataclass
class Diagnosis:
    notes: list[str] = field(default_factory=list)
    # Set when the observer never ran: every claim is unsupported for this reason.
    nothing_ran: str | None = None
    # Records standing in for observations the guest never reported (it died or hung first).
    stand_ins: list[dict[str, Any]] = field(default_factory=list)
    # Set when /proc was unavailable: failures that rest on smaps/status readings become unsupported.
    no_proc: bool = False


def diagnose(boot: Boot) -> Diagnosis:
    out, run = boot.output, boot.run
    found = Diagnosis()
    found.notes += boot.notes
    if not out.began:
        found.nothing_ran = _why_nothing_ran(boot)
        found.notes.append(found.nothing_ran)
    else:
        if out.header and out.header.get("proc") is False:
            found.no_proc = True
            found.notes.append("kernel option missing: CONFIG_PROC_FS (/proc could not be mounted)")
        elif any(record.get("smaps_missing") for record in out.records):
            found.notes.append("kernel option missing: CONFIG_PROC_PAGE_MONITOR (no /proc/self/smaps)")
        found.notes += _missing_from_records(out.records)
        if out.end_count is None:
            found.stand_ins = _stand_ins(out.records, _how_it_ended(boot))
            found.notes.append(f"the guest stopped before the observer finished: {_how_it_ended(boot)}")
    found.notes += [f"observer output damaged: {problem}" for problem in out.problems]
    found.notes += [f"kernel: {alert}" for alert in out.kernel_alerts[:8]]
    if run.timed_out and out.end_count is not None:
        found.notes.append("QEMU had to be killed after the observer finished")
    return found


def _why_nothing_ran(boot: Boot) -> str:
    text = boot.output.text
    if not text.strip():
        waited = f"within {boot.run.seconds:.0f} s" if boot.run.timed_out else "before QEMU exited"
        return (
            f"kernel option missing: CONFIG_SERIAL_8250_CONSOLE (no serial output {waited}; "
            "or the kernel did not boot at all)"
        )
    if "Unable to mount root fs" in text:
        # Without initrd support the kernel ignores the initramfs and looks for a root device instead.
        return "kernel option missing: CONFIG_BLK_DEV_INITRD (the kernel did not unpack the initramfs)"
    if "Failed to execute /init (error -8)" in text:
        return "kernel option missing: CONFIG_BINFMT_ELF (the kernel could not execute the observer)"
    if "No working init found" in text:
        return "the kernel found the initramfs but could not run its /init"
    last = [line.strip() for line in text.splitlines() if line.strip()][-1:]
    return "the observer never started in the guest" + (f"; last console line: {last[0]}" if last else "")


def _how_it_ended(boot: Boot) -> str:
    alerts = boot.output.kernel_alerts
    if alerts:
        return alerts[0]
    if boot.run.timed_out:
        return f"no end marker within {boot.run.seconds:.0f} s"
    return "QEMU exited without an end marker"


def _stand_ins(records: Sequence[Record], reason: str) -> list[dict[str, Any]]:
    """The observation running when the guest died is an error (a kernel that dies under the probe fails);
    the ones after it never ran."""
    reported = {str(record.get("obs")) for record in records}
    missing = [obs_id for obs_id in GUEST_OBSERVATIONS if obs_id not in reported]
    stand_ins: list[dict[str, Any]] = []
    for position, obs_id in enumerate(missing):
        if position == 0:
            stand_ins.append({"obs": obs_id, "outcome": "error", "detail": f"the guest died here: {reason}"})
        else:
            stand_ins.append({"obs": obs_id, "outcome": "skipped", "detail": f"not run: {reason}"})
    return stand_ins


def _missing_from_records(records: Sequence[Record]) -> list[str]:
    by_id = {str(record.get("obs")): record for record in records}
    notes = [
        f"{name}: {by_id[obs_id].get('detail')}"
        for obs_id, name in (("swap", "no swap in the guest"), ("coredump", "no core dump in the guest"))
        if by_id.get(obs_id, {}).get("outcome") in ("unsupported", "error")
    ]
    madvise_errnos = [
        by_id.get("reclaim", {}).get("droppable", {}).get("pageout_errno"),
        by_id.get("reclaim", {}).get("control", {}).get("pageout_errno"),
        by_id.get("madvise-refusals", {}).get("keeponfork_errno"),
        by_id.get("madvise-refusals", {}).get("dodump_errno"),
        by_id.get("vdso-getrandom", {}).get("pageout_errno"),
    ]
    if errno.ENOSYS in madvise_errnos:
        notes.append("kernel option missing: CONFIG_ADVISE_SYSCALLS (madvise() returns ENOSYS)")
    has_droppable = by_id.get("map-droppable", {}).get("mmap_errno") == 0
    vdso = by_id.get("vdso-getrandom", {})
    if vdso.get("outcome") == "ok" and has_droppable:
        if not vdso.get("vdso_present"):
            notes.append("kernel option missing: a vDSO (AT_SYSINFO_EHDR is 0)")
        elif not vdso.get("symbol_found"):
            notes.append("kernel option missing: CONFIG_VDSO_GETRANDOM (no __vdso_getrandom in the vDSO)")
    return notes


def verdicts_without_observer(reason: str) -> list[Verdict]:
    return [Verdict(claim.id, Status.UNSUPPORTED, reason) for claim in CLAIMS]


def without_proc(verdicts: list[Verdict]) -> list[Verdict]:
    """Without /proc every smaps or status reading is empty: such failures say nothing about the kernel."""
    return [
        Verdict(v.claim, Status.UNSUPPORTED, f"/proc unavailable in the guest; {v.evidence}")
        if v.status is Status.FAIL
        else v
        for v in verdicts
    ]
