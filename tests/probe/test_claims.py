"""The judges alone: hand-written observation records in, verdicts out (no kernel involved)."""

from __future__ import annotations

import json

import pytest

from patchcheck.probe.claims import CLAIMS, OBSERVATION_IDS, Status, judge_all
from tests.probe.records import FLAGS, healthy, with_changes

DROPPABLE_CLAIMS = {
    "creation",
    "smaps-companions",
    "refuse-locked",
    "refuse-hugetlb",
    "refuse-growsdown",
    "reclaim-drops",
    "fork-wipe",
    "fork-inherit",
    "mlock-exempt",
    "refuse-keeponfork",
    "refuse-dodump",
    "not-dumped",
}


def verdicts(records: list[dict[str, object]]) -> dict[str, tuple[Status, str]]:
    return {v.claim: (v.status, v.evidence) for v in judge_all(records)}


def statuses(records: list[dict[str, object]]) -> dict[str, Status]:
    return {claim: status for claim, (status, _) in verdicts(records).items()}


def test_claim_ids_are_unique_and_every_observation_is_documented() -> None:
    ids = [claim.id for claim in CLAIMS]
    assert len(ids) == len(set(ids))
    schema = pytest.importorskip("pathlib").Path(__file__).parents[2] / "patchcheck/probe/OBSERVATIONS.md"
    text = schema.read_text()
    for obs_id in OBSERVATION_IDS:
        assert f"## `{obs_id}`" in text


def test_a_healthy_kernel_passes_every_claim_but_the_opt_in_ones() -> None:
    result = statuses(healthy())
    assert result.pop("oom-not-fatal") is Status.SKIPPED
    assert set(result.values()) == {Status.PASS}


def test_records_survive_a_json_lines_round_trip_like_the_guest_prints_them() -> None:
    lines = "\n".join(json.dumps(record) for record in healthy())
    parsed = [json.loads(line) for line in lines.splitlines()]
    assert verdicts(parsed) == verdicts(healthy())


@pytest.mark.parametrize("number, name", [(22, "EINVAL"), (95, "EOPNOTSUPP"), (524, "ENOTSUPP")])
def test_a_kernel_without_map_droppable_is_unsupported_not_failed(number: int, name: str) -> None:
    records = healthy()
    for record in records:
        if "mmap_errno" in record:
            record["mmap_errno"] = number
        if record["obs"] == "vdso-getrandom":
            record["symbol_found"] = False
    result = verdicts(records)
    for claim in DROPPABLE_CLAIMS | {"vdso-params", "vdso-random", "vdso-after-drop"}:
        assert result[claim][0] is Status.UNSUPPORTED, claim
    assert name in result["creation"][1]


def test_other_mmap_errors_are_failures() -> None:
    result = verdicts(with_changes("map-droppable", mmap_errno=12))
    assert result["creation"] == (Status.FAIL, "mmap(MAP_DROPPABLE) failed with ENOMEM")


def test_map_locked_accepted_fails_exactly_that_claim() -> None:
    result = statuses(with_changes("map-refusals", locked_errno=0))
    assert result["refuse-locked"] is Status.FAIL
    assert [claim for claim, status in result.items() if status is Status.FAIL] == ["refuse-locked"]


def test_refusal_with_the_wrong_errno_fails() -> None:
    status, evidence = verdicts(with_changes("map-refusals", hugetlb_errno=12))["refuse-hugetlb"]
    assert status is Status.FAIL
    assert "ENOMEM (expected EINVAL)" in evidence


def test_missing_companion_flag_fails_companions_and_dump() -> None:
    flags = [flag for flag in FLAGS if flag != "dd"]
    result = verdicts(with_changes("map-droppable", vm_flags=flags))
    assert result["smaps-companions"] == (Status.FAIL, f"VmFlags: {' '.join(flags)}; missing dd")
    assert result["not-dumped"][0] is Status.FAIL
    assert result["creation"][0] is Status.PASS


def test_dp_on_a_merged_or_neighbouring_vma_fails_creation() -> None:
    assert statuses(with_changes("map-droppable", vma_end=0x7F0000009000))["creation"] is Status.FAIL
    assert statuses(with_changes("map-droppable", after_vm_flags=["rd", "dp"]))["creation"] is Status.FAIL


def test_surviving_pages_or_swap_fail_reclaim() -> None:
    kept = {
        "pageout_errno": 0,
        "pageout_attempts": 2,
        "census": {"kept": 3, "zero": 13, "other": 0},
        "swap_kb": 0,
    }
    assert statuses(with_changes("reclaim", droppable=kept))["reclaim-drops"] is Status.FAIL
    swapped = {**kept, "census": {"kept": 0, "zero": 16, "other": 0}, "swap_kb": 64}
    status, evidence = verdicts(with_changes("reclaim", droppable=swapped))["reclaim-drops"]
    assert (status, evidence.endswith("went to swap")) == (Status.FAIL, True)


def test_a_control_that_loses_data_fails_reclaim() -> None:
    lost = {
        "pageout_errno": 0,
        "pageout_attempts": 1,
        "census": {"kept": 0, "zero": 16, "other": 0},
        "swap_kb": 0,
    }
    assert statuses(with_changes("reclaim", control=lost))["reclaim-drops"] is Status.FAIL


def test_madvise_without_the_syscalls_is_unsupported() -> None:
    droppable = {
        "pageout_errno": 38,
        "pageout_attempts": 1,
        "census": {"kept": 16, "zero": 0, "other": 0},
        "swap_kb": 0,
    }
    status, evidence = verdicts(with_changes("reclaim", droppable=droppable))["reclaim-drops"]
    assert status is Status.UNSUPPORTED
    assert "ENOSYS" in evidence
    assert statuses(with_changes("madvise-refusals", dodump_errno=38))["refuse-dodump"] is Status.UNSUPPORTED


def test_fork_without_wipe_or_inheritance_fails() -> None:
    kept = {"kept": 4, "zero": 0, "other": 0}
    assert statuses(with_changes("fork", child_census=kept))["fork-wipe"] is Status.FAIL
    result = statuses(with_changes("fork", child_vm_flags=["rd", "wr", "wf"]))
    assert (result["fork-inherit"], result["fork-wipe"]) == (Status.FAIL, Status.PASS)


def test_counted_mlock_fails() -> None:
    assert statuses(with_changes("mlock", vmlck_after_kb=16))["mlock-exempt"] is Status.FAIL
    assert statuses(with_changes("mlock", locked_after_kb=16))["mlock-exempt"] is Status.FAIL


def test_accepted_madvise_fails_and_lost_flag_fails() -> None:
    assert statuses(with_changes("madvise-refusals", keeponfork_errno=0))["refuse-keeponfork"] is Status.FAIL
    no_wf = [flag for flag in FLAGS if flag != "wf"]
    assert (
        statuses(with_changes("madvise-refusals", vm_flags_after=no_wf))["refuse-keeponfork"] is Status.FAIL
    )


def test_core_dump_evidence_is_judged_when_present() -> None:
    core = {
        "outcome": "ok",
        "core_pattern": "core",
        "mmap_errno": 0,
        "core_found": True,
        "droppable_segment": True,
        "droppable_filesz": 0,
        "control_filesz": 16384,
    }
    status, evidence = verdicts(with_changes("coredump", **core))["not-dumped"]
    assert status is Status.PASS
    assert "p_filesz=0" in evidence
    dumped = {**core, "droppable_filesz": 16384}
    assert statuses(with_changes("coredump", **dumped))["not-dumped"] is Status.FAIL
    nothing = {**core, "control_filesz": 0}
    assert statuses(with_changes("coredump", **nothing))["not-dumped"] is Status.FAIL


def test_pressure_judgement() -> None:
    pressure = {
        "outcome": "ok",
        "cgroup": "v2",
        "limit": 16 << 20,
        "mmap_errno": 0,
        "length": 64 << 20,
        "child_signal": 0,
        "census": {"kept": 200, "zero": 16184, "other": 0},
        "oom_kills": 0,
    }
    assert statuses(with_changes("pressure", **pressure))["oom-not-fatal"] is Status.PASS
    killed = {**pressure, "child_signal": 9, "oom_kills": 1}
    status, evidence = verdicts(with_changes("pressure", **killed))["oom-not-fatal"]
    assert status is Status.FAIL
    assert "signal 9" in evidence


def test_vdso_judgements() -> None:
    assert statuses(with_changes("vdso-getrandom", mmap_flags=0x22))["vdso-params"] is Status.FAIL
    assert statuses(with_changes("vdso-getrandom", first_all_zero=True))["vdso-random"] is Status.FAIL
    result = statuses(with_changes("vdso-getrandom", state_zero_after_pageout=False))
    assert result["vdso-after-drop"] is Status.FAIL
    assert statuses(with_changes("vdso-getrandom", same_output=True))["vdso-after-drop"] is Status.FAIL
    status, evidence = verdicts(with_changes("vdso-getrandom", vdso_present=False))["vdso-params"]
    assert (status, "AT_SYSINFO_EHDR" in evidence) == (Status.UNSUPPORTED, True)


@pytest.mark.parametrize(
    "record, status, words",
    [
        ({"outcome": "crashed", "signal": 11}, Status.FAIL, "crashed (signal 11)"),
        ({"outcome": "timeout", "detail": "no result within 10 s"}, Status.FAIL, "timeout"),
        ({"outcome": "error", "detail": "OSError"}, Status.FAIL, "error: OSError"),
        ({"outcome": "skipped", "detail": "no madvise"}, Status.SKIPPED, "no madvise"),
    ],
)
def test_observer_outcomes_decide_before_the_judge(
    record: dict[str, object], status: Status, words: str
) -> None:
    records = [r for r in healthy() if r["obs"] != "fork"] + [{"obs": "fork", **record}]
    result = verdicts(records)
    for claim in ("fork-wipe", "fork-inherit"):
        assert result[claim][0] is status
        assert words in result[claim][1]
    assert result["creation"][0] is Status.PASS


def test_a_kernel_without_smaps_is_unsupported_for_the_smaps_claims() -> None:
    records = healthy()
    for record in records:
        record["smaps_missing"] = True
    result = verdicts(records)
    assert result["creation"] == (Status.UNSUPPORTED, "no /proc/self/smaps: kernel without PROC_PAGE_MONITOR")
    assert result["refuse-locked"][0] is Status.PASS
    assert result["vdso-params"][0] is Status.PASS
    status, evidence = result["reclaim-drops"]  # pages judged from their contents, swap needs smaps
    assert status is Status.PARTIAL
    assert "swap use not readable" in evidence


def test_missing_or_malformed_records_never_raise() -> None:
    result = verdicts([r for r in healthy() if r["obs"] != "mlock"])
    assert result["mlock-exempt"] == (Status.SKIPPED, "no 'mlock' observation")
    broken = with_changes("reclaim", droppable="garbage")
    status, evidence = verdicts(broken)["reclaim-drops"]
    assert status is Status.FAIL
    assert evidence.startswith("malformed observation record")
    assert judge_all(["not a record", {"no": "obs"}])  # type: ignore[list-item]
