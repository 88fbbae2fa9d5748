"""`--pressure`: fault a droppable range four times larger than a memory cgroup the probe makes for itself.

The cgroup is created under the probe's own cgroup (v2 when its memory controller is already delegated there,
else v1), limited, joined only by the observing child, and removed afterwards. Nothing else is changed: when
that is not possible the observation is "skipped" with the reason.
"""

from __future__ import annotations

import gc
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from patchcheck.probe import procfs
from patchcheck.probe.child import run_in_child
from patchcheck.probe.memory import PAGE_SIZE, census, fill
from patchcheck.probe.syscalls import DROPPABLE, PRIVATE, RW, Syscalls

LIMIT = 16 << 20
LENGTH = 4 * LIMIT
# With swap, a private control larger than the limit is written first: part of it must go to swap, which
# shows that reclaim in this cgroup does write to swap (and the droppable range then must not).
CONTROL = LIMIT * 3 // 2
SWAP_MAX = 2 * LIMIT  # the cgroup's own bound on the swap it may use (v2)


@dataclass(frozen=True)
class Cgroup:
    version: str
    path: Path

    @property
    def oom_file(self) -> Path:
        return self.path / ("memory.events" if self.version == "v2" else "memory.oom_control")

    def oom_kills(self) -> int:
        for line in self.oom_file.read_text().splitlines():
            key, _, value = line.partition(" ")
            if key == "oom_kill":
                return int(value)
        return 0


def _mounts() -> list[tuple[str, str, str]]:
    """(mount point, fs type, super options) of every cgroup mount."""
    found = []
    for line in Path("/proc/self/mountinfo").read_text().splitlines():
        left, _, right = line.partition(" - ")
        fields, tail = left.split(), right.split()
        if len(fields) > 4 and len(tail) >= 3 and tail[0] in ("cgroup", "cgroup2"):
            found.append((fields[4], tail[0], tail[2]))
    return found


def _own_path(hierarchy: str) -> str | None:
    """This process's cgroup path in the v2 hierarchy ('') or the v1 one holding `hierarchy`."""
    for line in Path("/proc/self/cgroup").read_text().splitlines():
        _, controllers, path = line.split(":", 2)
        if (hierarchy == "" and controllers == "") or hierarchy in controllers.split(","):
            return path
    return None


def find_parent() -> tuple[str, Path] | str:
    """(version, directory to create our cgroup in), or the reason there is none."""
    reasons = []
    for mount, fstype, options in _mounts():
        if fstype == "cgroup2":
            own = _own_path("")
            parent = Path(mount) / (own or "/").lstrip("/")
            delegated = (parent / "cgroup.subtree_control").read_text().split() if own is not None else []
            if "memory" in delegated and os.access(parent, os.W_OK):
                return "v2", parent
            reasons.append(f"cgroup v2 at {parent} does not delegate the memory controller")
        elif "memory" in options.split(","):
            own = _own_path("memory")
            parent = Path(mount) / (own or "/").lstrip("/")
            if own is not None and os.access(parent, os.W_OK):
                return "v1", parent
            reasons.append(f"cgroup v1 memory at {parent} is not writable")
    return "; ".join(reasons) or "no cgroup memory controller mounted"


@contextmanager
def own_cgroup(version: str, parent: Path) -> Iterator[Cgroup]:
    group = Cgroup(version, parent / f"patchcheck-probe-{os.getpid()}")
    group.path.mkdir()
    try:
        limit_file = "memory.max" if version == "v2" else "memory.limit_in_bytes"
        (group.path / limit_file).write_text(str(LIMIT))
        if version == "v2" and (group.path / "memory.swap.max").exists():
            (group.path / "memory.swap.max").write_text(str(SWAP_MAX))
        yield group
    finally:
        _remove(group.path)


def _remove(path: Path) -> None:
    # A task that just exited can take a moment to leave its cgroup.
    for _ in range(50):
        try:
            path.rmdir()
            return
        except OSError:
            time.sleep(0.02)
    path.rmdir()


def _fault_in_cgroup(sc: Syscalls, group: Cgroup, control_length: int) -> dict[str, Any]:
    sc.enter_child()
    gc.disable()  # fewer copy-on-write faults of the interpreter's own heap, charged to the small cgroup
    (group.path / "cgroup.procs").write_text(str(os.getpid()))
    control = 0
    if control_length:
        control, control_error = sc.mmap(None, control_length, RW, PRIVATE)
        if control_error:
            raise OSError(control_error, "mmap of the private control mapping")
        fill(control, control_length // PAGE_SIZE)
    addr, error = sc.mmap(None, LENGTH, RW, DROPPABLE)
    if error:
        return {"mmap_errno": error}
    pages = LENGTH // PAGE_SIZE
    fill(addr, pages)
    # Swap use is read before any page is read back (that would fault swapped pages in again).
    swapped = {
        "droppable_swap_kb": sc.vma_swap_kb(addr),
        "control_swap_kb": sc.vma_swap_kb(control) if control else 0,
    }
    control_census = census(control, control_length // PAGE_SIZE) if control else dict(_EMPTY)
    return {"mmap_errno": 0, **swapped, "census": census(addr, pages), "control_census": control_census}


_EMPTY = {"kept": 0, "zero": 0, "other": 0}


def observe_pressure(sc: Syscalls, timeout: float) -> dict[str, Any]:
    """Runs in the parent: makes the cgroup, lets one child fault in it, reads the OOM count, removes it."""
    parent = find_parent()
    if isinstance(parent, str):
        return {"obs": "pressure", "outcome": "skipped", "detail": parent}
    swap_total = sc.swap_total_kb()
    # Without swap (or too little free) the control could only be OOM-killed, and the writer's death would be
    # blamed on the droppable range: no control then, and the swap half stays unobserved (partial).
    room = swap_total and procfs.meminfo_kb("SwapFree") * 1024 >= 2 * CONTROL
    control_length = CONTROL if room else 0
    try:
        with own_cgroup(*parent) as group:
            rec = run_in_child("pressure", lambda: _fault_in_cgroup(sc, group, control_length), timeout)
            oom_kills = group.oom_kills()
    except OSError as exc:
        return {"obs": "pressure", "outcome": "skipped", "detail": f"cannot use a memory cgroup here: {exc}"}
    base = {
        "cgroup": group.version,
        "limit": LIMIT,
        "length": LENGTH,
        "oom_kills": oom_kills,
        "swap_total_kb": swap_total,
        "control_length": control_length,
    }
    unread: dict[str, Any] = {"census": dict(_EMPTY), "control_census": dict(_EMPTY)}
    unread |= {"droppable_swap_kb": 0, "control_swap_kb": 0}
    if rec.get("outcome") == "crashed":
        # Killed by the OOM killer (or another signal): the claim's evidence, not an observer failure.
        return {
            "obs": "pressure",
            "outcome": "ok",
            "mmap_errno": 0,
            **unread,
            "child_signal": rec["signal"],
            **base,
        }
    if rec.get("outcome") != "ok":
        return rec
    return {**unread, **rec, **base, "child_signal": 0}
