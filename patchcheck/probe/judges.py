"""Pure judges: observation records of one kind (see OBSERVATIONS.md) in, a status and its evidence out.

No judge looks at the machine; claims.py binds each judge to its claim.
"""

from __future__ import annotations

import errno
from collections.abc import Callable, Iterable, Mapping
from enum import StrEnum
from typing import Any

Record = Mapping[str, Any]
Observations = Mapping[str, Record]

MAP_TYPE = 0x0F
MAP_DROPPABLE = 0x08
_UNSUPPORTED_ERRNOS = {errno.EINVAL, errno.EOPNOTSUPP, 524}  # 524: ENOTSUPP, leaked by older kernels


class Status(StrEnum):
    PASS = "pass"
    # Nothing contradicted the promise, but its key condition was not exercised here (no swap configured, no
    # core dump taken, ...): the evidence says what was not observed. Never a failure, never a pass.
    PARTIAL = "partial"
    FAIL = "fail"
    UNSUPPORTED = "unsupported"
    SKIPPED = "skipped"


Judgement = tuple[Status, str]


# Python calls 95 "ENOTSUP"; 524 exists only inside the kernel.
_ERRNO_NAMES = {errno.EOPNOTSUPP: "EOPNOTSUPP", 524: "ENOTSUPP"}


def errno_name(number: int) -> str:
    return _ERRNO_NAMES.get(number) or errno.errorcode.get(number, f"errno {number}")


def flags_text(flags: Iterable[str]) -> str:
    return " ".join(flags) or "(none)"


class Undecided(Exception):
    """A judge's early answer (unsupported kernel, failed set-up) raised from a helper."""

    def __init__(self, status: Status, evidence: str) -> None:
        super().__init__(evidence)
        self.status = status
        self.evidence = evidence


def _require_droppable(record: Record) -> None:
    number = int(record.get("mmap_errno", 0))
    if number in _UNSUPPORTED_ERRNOS:
        raise Undecided(
            Status.UNSUPPORTED,
            f"mmap(MAP_DROPPABLE) refused with {errno_name(number)}: kernel without MAP_DROPPABLE",
        )
    if number:
        raise Undecided(Status.FAIL, f"mmap(MAP_DROPPABLE) failed with {errno_name(number)}")


def _require_call(name: str, number: int) -> None:
    if number == errno.ENOSYS:
        raise Undecided(Status.UNSUPPORTED, f"{name} is not available (ENOSYS): kernel without it")
    if number:
        raise Undecided(Status.FAIL, f"{name} failed with {errno_name(number)}")


def _census_text(census: Mapping[str, int]) -> str:
    return f"{census['kept']} kept, {census['zero']} zero, {census['other']} other"


def judge_creation(obs: Observations) -> Judgement:
    rec = obs["map-droppable"]
    _require_droppable(rec)
    start, length = int(rec["addr"]), int(rec["length"])
    own = int(rec["vma_start"]) == start and int(rec["vma_end"]) == start + length
    text = f"{length // 1024} KiB mapped; smaps VmFlags: {flags_text(rec['vm_flags'])}"
    if not own:
        return Status.FAIL, f"{text}; no smaps VMA spans exactly the mapping"
    if "dp" not in rec["vm_flags"]:
        return Status.FAIL, f"{text}; 'dp' missing"
    if "dp" in rec["before_vm_flags"] or "dp" in rec["after_vm_flags"]:
        return Status.FAIL, f"{text}; a neighbouring VMA shows 'dp' too"
    return Status.PASS, f"{text} ('dp' on exactly that VMA, not its neighbours)"


def judge_companions(obs: Observations) -> Judgement:
    rec = obs["map-droppable"]
    _require_droppable(rec)
    missing = [flag for flag in ("wf", "dd", "nr") if flag not in rec["vm_flags"]]
    text = f"VmFlags: {flags_text(rec['vm_flags'])}"
    if missing:
        return Status.FAIL, f"{text}; missing {' '.join(missing)}"
    return Status.PASS, f"{text} (wf dd nr present)"


def _errno_text(number: int) -> str:
    return errno_name(number) if number else "0 (accepted)"


def refusal(obs_id: str, key: str, call: str) -> Callable[[Observations], Judgement]:
    """An mmap that must fail with EINVAL; the same flags on a private mapping (the control) must not, or the
    EINVAL may come from the flag alone (e.g. MAP_HUGETLB on a kernel without huge pages)."""
    control_call = call.replace("MAP_DROPPABLE", "MAP_PRIVATE")

    def judge(obs: Observations) -> Judgement:
        rec = obs[obs_id]
        _require_droppable(rec)
        number = int(rec[key])
        if number == 0:
            return Status.FAIL, f"{call} was accepted (expected EINVAL)"
        if number != errno.EINVAL:
            return Status.FAIL, f"{call} -> {errno_name(number)} (expected EINVAL)"
        control = int(rec[f"control_{key}"])
        text = f"{call} -> EINVAL; {control_call} -> {_errno_text(control)}"
        if control == errno.EINVAL:
            return (
                Status.PARTIAL,
                f"{text}: the private mapping is refused too, so the refusal is not shown to come from "
                "MAP_DROPPABLE",
            )
        return Status.PASS, text

    return judge


def _side_text(name: str, side: Mapping[str, Any], pages: int) -> str:
    return f"{name} {_census_text(side['census'])} of {pages} pages, Swap: {side['swap_kb']} kB"


def _pressure_swap(obs: Observations) -> tuple[str, int, int] | None:
    """(evidence, control swap kB, droppable swap kB) of the cgroup pressure run, when it had a control."""
    rec = obs.get("pressure")
    if rec is None or rec.get("outcome") != "ok" or "control_swap_kb" not in rec or rec.get("mmap_errno"):
        return None
    control_kb, dropped_kb = int(rec["control_swap_kb"]), int(rec["droppable_swap_kb"])
    if not int(rec["control_length"]):
        return None
    text = (
        f"under cgroup pressure: droppable Swap: {dropped_kb} kB, "
        f"{int(rec['control_length']) >> 20} MiB private control Swap: {control_kb} kB"
    )
    return text, control_kb, dropped_kb


def judge_reclaim(obs: Observations) -> Judgement:
    rec = obs["reclaim"]
    _require_droppable(rec)
    pages = int(rec["pages"])
    dropped, control = rec["droppable"], rec["control"]
    _require_call("madvise(MADV_PAGEOUT)", int(dropped["pageout_errno"]))
    _require_call("madvise(MADV_PAGEOUT) on the control", int(control["pageout_errno"]))
    text = (
        f"after MADV_PAGEOUT: {_side_text('droppable', dropped, pages)}; "
        f"{_side_text('private control', control, pages)}"
    )
    pressure = _pressure_swap(obs)
    if pressure is not None:
        text += f"; {pressure[0]}"
    if int(dropped["swap_kb"]) or (pressure is not None and pressure[2]):
        return Status.FAIL, f"{text}; droppable pages went to swap"
    if dropped["census"]["zero"] != pages:
        return Status.FAIL, f"{text}; droppable pages survived reclaim"
    if control["census"]["kept"] != pages:
        return Status.FAIL, f"{text}; the control lost data"
    swap_total = int(rec["swap_total_kb"])
    setup = obs.get("swap") or {}
    if not swap_total and setup.get("outcome") == "unsupported":
        return (
            Status.UNSUPPORTED,
            f"{text}; {setup.get('detail')}: 'never written to swap' cannot be observed",
        )
    if not swap_total and setup.get("outcome") == "error":
        return Status.PARTIAL, f"{text}; {setup.get('detail')}: 'never written to swap' not observed"
    if not swap_total:
        return Status.PARTIAL, f"{text}; no swap configured: 'never written to swap' not observed"
    if rec.get("smaps_missing"):
        return (
            Status.PARTIAL,
            f"{text}; no /proc/self/smaps: swap use not readable, 'never written to swap' not observed",
        )
    if not int(control["swap_kb"]) and not (pressure is not None and pressure[1]):
        return (
            Status.PARTIAL,
            f"{text}; {swap_total} kB of swap configured but the private control did not reach it either: "
            "'never written to swap' not observed",
        )
    return Status.PASS, f"{text}; the control reached swap, the droppable pages did not"


def judge_fork_wipe(obs: Observations) -> Judgement:
    rec = obs["fork"]
    _require_droppable(rec)
    if int(rec["fork_errno"]):
        return Status.FAIL, f"fork() failed with {errno_name(int(rec['fork_errno']))}"
    pages = int(rec["pages"])
    text = (
        f"child reads droppable {_census_text(rec['child_census'])} of {pages} pages; "
        f"private control {_census_text(rec['child_control_census'])}; "
        f"parent keeps {rec['parent_census']['kept']}"
    )
    if rec["child_census"]["zero"] != pages:
        return Status.FAIL, f"{text}; not wiped in the child"
    if rec["child_control_census"]["kept"] != pages or rec["parent_census"]["kept"] != pages:
        return Status.FAIL, f"{text}; data lost where it must stay"
    return Status.PASS, text


def judge_fork_inherit(obs: Observations) -> Judgement:
    rec = obs["fork"]
    _require_droppable(rec)
    if int(rec["fork_errno"]):
        return Status.FAIL, f"fork() failed with {errno_name(int(rec['fork_errno']))}"
    text = f"child's smaps VmFlags: {flags_text(rec['child_vm_flags'])}"
    if "dp" not in rec["child_vm_flags"]:
        return Status.FAIL, f"{text}; 'dp' not inherited"
    return Status.PASS, text


def judge_mlock(obs: Observations) -> Judgement:
    rec = obs["mlock"]
    _require_droppable(rec)
    before, after = int(rec["vmlck_before_kb"]), int(rec["vmlck_after_kb"])
    mlock_errno, control_errno = int(rec["mlock_errno"]), int(rec["control_mlock_errno"])
    control_after = int(rec["control_vmlck_after_kb"])
    text = (
        f"mlock() of {int(rec['length']) // 1024} KiB -> {errno_name(mlock_errno) if mlock_errno else 0}; "
        f"VmLck {before} -> {after} kB, Locked: {rec['locked_after_kb']} kB"
    )
    if control_errno == 0:
        text += f" (private control raised VmLck to {control_after} kB)"
    if after != before or int(rec["locked_after_kb"]) or "lo" in rec["vm_flags_after"]:
        return Status.FAIL, f"{text}; the droppable range was counted as locked"
    if mlock_errno:
        return Status.PARTIAL, f"{text}; mlock() itself failed, so the exemption was not exercised"
    if control_errno:
        return (
            Status.PARTIAL,
            f"{text}; mlock() of the private control failed with {errno_name(control_errno)}: "
            "the readings were not shown to see a lock at all",
        )
    if control_after <= before:
        return (
            Status.PARTIAL,
            f"{text}; the private control's lock did not show in VmLck either: "
            "the readings were not shown to see a lock at all",
        )
    return Status.PASS, text


def madvise_refusal(key: str, name: str, kept_flag: str) -> Callable[[Observations], Judgement]:
    def judge(obs: Observations) -> Judgement:
        rec = obs["madvise-refusals"]
        _require_droppable(rec)
        number = int(rec[key])
        if number == errno.ENOSYS:
            return Status.UNSUPPORTED, f"madvise({name}) -> ENOSYS: kernel without madvise"
        text = f"madvise({name}) -> {errno_name(number) if number else 0}"
        if number != errno.EINVAL:
            return Status.FAIL, f"{text} (expected EINVAL)"
        if kept_flag not in rec["vm_flags_after"]:
            return Status.FAIL, f"{text} but '{kept_flag}' is gone: {flags_text(rec['vm_flags_after'])}"
        control = int(rec[f"control_{key}"])
        text += f"; '{kept_flag}' still set; on a private mapping -> {_errno_text(control)}"
        if control == errno.EINVAL:
            return (
                Status.PARTIAL,
                f"{text}: refused there too, so the refusal is not shown to come from MAP_DROPPABLE",
            )
        return Status.PASS, text

    return judge


def judge_not_dumped(obs: Observations) -> Judgement:
    rec = obs["map-droppable"]
    _require_droppable(rec)
    if "dd" not in rec["vm_flags"]:
        return Status.FAIL, f"'dd' missing: VmFlags: {flags_text(rec['vm_flags'])}"
    core = obs.get("coredump")
    if core is None or core.get("outcome") == "skipped":
        reason = core.get("detail", "not requested") if core else "not requested"
        return (
            Status.PARTIAL,
            f"'dd' set; no core dump taken: {reason}; absence from a real core dump not observed",
        )
    if core.get("outcome") == "unsupported":
        return Status.UNSUPPORTED, f"'dd' set; {core.get('detail')}: no real core dump can be taken"
    if core.get("outcome") != "ok":
        return (
            Status.FAIL,
            f"'dd' set; core dump check {core.get('outcome')}: {core.get('detail', '')}".strip(),
        )
    _require_droppable(core)
    text = (
        f"'dd' set; core dump of {int(core['core_bytes']) >> 10} KiB: droppable segment "
        f"p_filesz={core['droppable_filesz']}, private control p_filesz={core['control_filesz']}, "
        f"droppable bytes {'found' if core['droppable_bytes_found'] else 'nowhere'} in the file"
    )
    if not core["core_found"]:
        return Status.FAIL, "'dd' set; no core file was written"
    if int(core["droppable_filesz"]) or core["droppable_bytes_found"]:
        return Status.FAIL, f"{text}; the droppable range was dumped"
    if not int(core["control_filesz"]):
        return Status.FAIL, f"{text}; the control is missing too, so the check proves nothing"
    return Status.PASS, text


def judge_oom(obs: Observations) -> Judgement:
    rec = obs["pressure"]
    _require_droppable(rec)
    text = (
        f"wrote {int(rec['length']) >> 20} MiB droppable in a {int(rec['limit']) >> 20} MiB memory cgroup "
        f"({rec['cgroup']}): pages {_census_text(rec['census'])}; OOM kills {rec['oom_kills']}"
    )
    if int(rec["child_signal"]):
        return Status.FAIL, f"{text}; the writer died by signal {rec['child_signal']}"
    if int(rec["oom_kills"]):
        return Status.FAIL, f"{text}; the cgroup saw an OOM kill"
    if not int(rec["census"]["zero"]):
        return Status.PARTIAL, f"{text}; no page was dropped: the limit put the writer under no pressure"
    return Status.PASS, text


def _require_vdso(rec: Record) -> None:
    if not rec["vdso_present"]:
        raise Undecided(Status.UNSUPPORTED, "no vDSO (AT_SYSINFO_EHDR is 0)")
    if not rec["symbol_found"]:
        raise Undecided(
            Status.UNSUPPORTED, "no __vdso_getrandom in the vDSO (kernel < 6.11 or no VDSO_GETRANDOM)"
        )
    if int(rec["params_ret"]):
        raise Undecided(Status.FAIL, f"parameter query returned {rec['params_ret']}")


def judge_vdso_params(obs: Observations) -> Judgement:
    rec = obs["vdso-getrandom"]
    _require_vdso(rec)
    flags = int(rec["mmap_flags"])
    text = (
        f"__vdso_getrandom params: size_of_opaque_state={rec['size_of_opaque_state']} "
        f"mmap_prot={int(rec['mmap_prot']):#x} mmap_flags={flags:#x}"
    )
    if flags & MAP_TYPE != MAP_DROPPABLE:
        return Status.FAIL, f"{text}; MAP_DROPPABLE missing"
    return Status.PASS, f"{text} (MAP_DROPPABLE)"


def _vdso_state(rec: Record) -> None:
    _require_vdso(rec)
    if "state_mmap_errno" not in rec:
        raise Undecided(Status.FAIL, f"unusable size_of_opaque_state={rec['size_of_opaque_state']}")
    _require_droppable({"mmap_errno": rec["state_mmap_errno"]})


def judge_vdso_random(obs: Observations) -> Judgement:
    rec = obs["vdso-getrandom"]
    _vdso_state(rec)
    text = f"state VmFlags: {flags_text(rec['state_vm_flags'])}; first call -> {rec['first_ret']} bytes"
    if int(rec["first_ret"]) != 32 or rec["first_all_zero"]:
        return Status.FAIL, f"{text}; no random bytes"
    if "dp" not in rec["state_vm_flags"]:
        return Status.FAIL, f"{text}; the state is not droppable"
    return Status.PASS, f"{text}, not all zero"


def judge_vdso_after_drop(obs: Observations) -> Judgement:
    rec = obs["vdso-getrandom"]
    _vdso_state(rec)
    _require_call("madvise(MADV_PAGEOUT)", int(rec["pageout_errno"]))
    dropped = "read back zero" if rec["state_zero_after_pageout"] else "still held data"
    text = f"after MADV_PAGEOUT the state {dropped}; next call -> {rec['second_ret']} bytes"
    if not rec["state_zero_after_pageout"]:
        return Status.FAIL, f"{text}; the state was not dropped"
    if int(rec["second_ret"]) != 32 or rec["second_all_zero"] or rec["same_output"]:
        return Status.FAIL, f"{text}; no fresh random bytes"
    return Status.PASS, f"{text}, fresh and not all zero"
