"""Run the probe: observe (host observer, or records from elsewhere), judge every claim, build the report."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from patchcheck.errors import InputError
from patchcheck.probe import observe, procfs
from patchcheck.probe.child import Record, run_in_child
from patchcheck.probe.claims import Status, Verdict, index_records, judge_all
from patchcheck.probe.compare import observe_compare
from patchcheck.probe.coredump import observe_coredump
from patchcheck.probe.memory import PAGE_SIZE
from patchcheck.probe.pressure import observe_pressure
from patchcheck.probe.syscalls import SIMULATIONS, Syscalls
from patchcheck.probe.vdso import observe_vdso_getrandom

COMPARISONS = ("lazyfree",)
# The guest observer prints the same words when it runs outside the probe VM.
SWAP_ON_HOST = "swap is added only inside the probe VM; the host probe uses what is configured"


@dataclass(frozen=True)
class ProbeOptions:
    pressure: bool = False
    coredump: bool = False
    compare: str | None = None
    timeout: float = 10.0
    simulate: str | None = None  # a SIMULATIONS key: pretend the kernel lacks MAP_DROPPABLE (tests, demos)
    syscalls: Syscalls | None = None  # an explicit syscall layer (tests inject faulty kernels through it)


@dataclass
class ProbeReport:
    kernel: Mapping[str, Any]
    probed: str  # how: "host observer", "QEMU guest ..."
    verdicts: list[Verdict]
    records: list[Mapping[str, Any]] = field(default_factory=list)

    @property
    def failed(self) -> bool:
        return any(verdict.status is Status.FAIL for verdict in self.verdicts)

    @property
    def partial(self) -> bool:
        """Some claim's key condition was not exercised (a failure only under --strict)."""
        return any(verdict.status is Status.PARTIAL for verdict in self.verdicts)

    def record(self, obs_id: str) -> Mapping[str, Any] | None:
        return index_records(self.records).get(obs_id)


def report_from_records(records: Iterable[Mapping[str, Any]], probed: str) -> ProbeReport:
    """Judge records from any observer (the guest prints the same JSON records as the host produces)."""
    records = list(records)
    kernel = index_records(records).get(
        "kernel", {"obs": "kernel", "release": "unknown", "machine": "unknown"}
    )
    return ProbeReport(kernel, probed, judge_all(records), records)


def kernel_record(observer: str) -> Record:
    uname = os.uname()
    return {
        "obs": "kernel",
        "outcome": "ok",
        "release": uname.release,
        "machine": uname.machine,
        "page_size": PAGE_SIZE,
        "observer": observer,
    }


def _skipped(obs_id: str, detail: str) -> Record:
    return {"obs": obs_id, "outcome": "skipped", "detail": detail}


def observe_host(options: ProbeOptions) -> list[Record]:
    if options.simulate is not None and options.simulate not in SIMULATIONS:
        raise InputError(f"unknown simulation {options.simulate!r}; known: {', '.join(SIMULATIONS)}")
    if options.compare is not None and options.compare not in COMPARISONS:
        raise InputError(f"unknown comparison {options.compare!r}; known: {', '.join(COMPARISONS)}")
    sc = options.syscalls or (SIMULATIONS[options.simulate]() if options.simulate else Syscalls())

    def in_child(obs_id: str, procedure: Callable[[Syscalls], Record]) -> Record:
        def body() -> Record:
            sc.enter_child()
            return procedure(sc)

        return run_in_child(obs_id, body, options.timeout)

    records = [kernel_record("host"), _skipped("swap", SWAP_ON_HOST)]
    plain: list[tuple[str, Callable[[Syscalls], Record]]] = [
        ("map-droppable", observe.observe_map_droppable),
        ("map-refusals", observe.observe_map_refusals),
        ("reclaim", observe.observe_reclaim),
        ("fork", observe.observe_fork),
        ("mlock", observe.observe_mlock),
        ("madvise-refusals", observe.observe_madvise_refusals),
        ("vdso-getrandom", observe_vdso_getrandom),
    ]
    records += [in_child(obs_id, procedure) for obs_id, procedure in plain]
    if not os.path.exists(procfs.SMAPS):
        for record in records[2:]:
            record["smaps_missing"] = True
    if options.coredump:
        with tempfile.TemporaryDirectory(prefix="patchcheck-core-") as workdir:
            records.append(in_child("coredump", lambda s: observe_coredump(s, Path(workdir))))
    else:
        records.append(_skipped("coredump", "real core dump not requested (--coredump)"))
    if options.pressure:
        records.append(observe_pressure(sc, options.timeout * 3))
    else:
        records.append(_skipped("pressure", "memory pressure not requested (--pressure)"))
    if options.compare == "lazyfree":
        records.append(in_child("compare-lazyfree", observe_compare))
    return records


def probe_host(options: ProbeOptions) -> ProbeReport:
    records = observe_host(options)
    simulated = f" (simulated: {options.simulate})" if options.simulate else ""
    return report_from_records(records, "host observer" + simulated)
