"""Every status each claim can take, from hand-written records: pass, partial (its key condition was not
exercised), fail, unsupported and skipped. A claim missing from PARTIAL has no condition left unobserved once
its records are "ok"; the test says so rather than leaving it out silently."""

from __future__ import annotations

from typing import Any

import pytest

from patchcheck.probe.claims import CLAIMS, Status, judge_all
from tests.probe.records import healthy

Change = tuple[str, dict[str, Any]]

_SKIPPED = {"outcome": "skipped", "detail": "not requested"}
_SWAPPED_CONTROL = {"pageout_errno": 0, "pageout_attempts": 2, "census": {"kept": 16, "zero": 0, "other": 0}}
_PRESSURE = {
    "outcome": "ok",
    "cgroup": "v2",
    "limit": 16 << 20,
    "mmap_errno": 0,
    "length": 64 << 20,
    "child_signal": 0,
    "census": {"kept": 3000, "zero": 13384, "other": 0},
    "oom_kills": 0,
    "swap_total_kb": 65532,
    "control_length": 24 << 20,
    "control_swap_kb": 9000,
    "droppable_swap_kb": 0,
    "control_census": {"kept": 6144, "zero": 0, "other": 0},
}

PASS: dict[str, list[Change]] = {claim.id: [] for claim in CLAIMS}
PASS["oom-not-fatal"] = [("pressure", _PRESSURE)]

PARTIAL: dict[str, list[Change]] = {
    "refuse-locked": [("map-refusals", {"control_locked_errno": 22})],
    "refuse-hugetlb": [("map-refusals", {"control_hugetlb_errno": 22})],
    "refuse-growsdown": [("map-refusals", {"control_growsdown_errno": 22})],
    "reclaim-drops": [("reclaim", {"swap_total_kb": 0, "control": {**_SWAPPED_CONTROL, "swap_kb": 0}})],
    "mlock-exempt": [("mlock", {"control_mlock_errno": 1})],
    "refuse-keeponfork": [("madvise-refusals", {"control_keeponfork_errno": 22})],
    "refuse-dodump": [("madvise-refusals", {"control_dodump_errno": 22})],
    "not-dumped": [("coredump", _SKIPPED)],
    "oom-not-fatal": [("pressure", {**_PRESSURE, "census": {"kept": 16384, "zero": 0, "other": 0}})],
}
NO_PARTIAL = {"creation", "smaps-companions", "fork-wipe", "fork-inherit"} | {
    "vdso-params",
    "vdso-random",
    "vdso-after-drop",
}

FAIL: dict[str, list[Change]] = {
    "creation": [("map-droppable", {"vm_flags": ["rd", "wr"]})],
    "smaps-companions": [("map-droppable", {"vm_flags": ["rd", "wr", "dp"]})],
    "refuse-locked": [("map-refusals", {"locked_errno": 0})],
    "refuse-hugetlb": [("map-refusals", {"hugetlb_errno": 0})],
    "refuse-growsdown": [("map-refusals", {"growsdown_errno": 0})],
    "reclaim-drops": [("pressure", {**_PRESSURE, "droppable_swap_kb": 8})],
    "fork-wipe": [("fork", {"child_census": {"kept": 4, "zero": 0, "other": 0}})],
    "fork-inherit": [("fork", {"child_vm_flags": ["rd", "wr"]})],
    "mlock-exempt": [("mlock", {"vmlck_after_kb": 16})],
    "refuse-keeponfork": [("madvise-refusals", {"keeponfork_errno": 0})],
    "refuse-dodump": [("madvise-refusals", {"dodump_errno": 0})],
    "not-dumped": [("coredump", {"droppable_filesz": 16384})],
    "oom-not-fatal": [("pressure", {**_PRESSURE, "child_signal": 9})],
    "vdso-params": [("vdso-getrandom", {"mmap_flags": 0x22})],
    "vdso-random": [("vdso-getrandom", {"first_all_zero": True})],
    "vdso-after-drop": [("vdso-getrandom", {"state_zero_after_pageout": False})],
}


def _unsupported() -> list[Change]:
    """A kernel without MAP_DROPPABLE (and so without vDSO getrandom)."""
    return [(rec["obs"], {"mmap_errno": 22}) for rec in healthy() if "mmap_errno" in rec] + [
        ("pressure", {**_PRESSURE, "mmap_errno": 22}),
        ("vdso-getrandom", {"symbol_found": False}),
    ]


def judged(changes: list[Change]) -> dict[str, tuple[Status, str]]:
    records = healthy()
    for obs_id, change in changes:
        record = next(r for r in records if r["obs"] == obs_id)
        record.update(change)
    return {v.claim: (v.status, v.evidence) for v in judge_all(records)}


@pytest.mark.parametrize("claim", [claim.id for claim in CLAIMS])
def test_pass(claim: str) -> None:
    assert judged(PASS[claim])[claim][0] is Status.PASS


@pytest.mark.parametrize("claim", [claim.id for claim in CLAIMS])
def test_partial_says_what_was_not_observed(claim: str) -> None:
    if claim in NO_PARTIAL:
        assert claim not in PARTIAL
        return
    status, evidence = judged(PARTIAL[claim])[claim]
    assert status is Status.PARTIAL, evidence
    assert "not observed" in evidence or "not shown" in evidence or "no page was dropped" in evidence


def test_every_claim_is_either_partial_able_or_listed_as_not() -> None:
    assert set(PARTIAL) | NO_PARTIAL == {claim.id for claim in CLAIMS}
    assert not set(PARTIAL) & NO_PARTIAL


@pytest.mark.parametrize("claim", [claim.id for claim in CLAIMS])
def test_fail(claim: str) -> None:
    changes = [*PASS[claim], *FAIL[claim]] if claim == "reclaim-drops" else FAIL[claim]
    assert judged(changes)[claim][0] is Status.FAIL


@pytest.mark.parametrize("claim", [claim.id for claim in CLAIMS])
def test_unsupported(claim: str) -> None:
    assert judged(_unsupported())[claim][0] is Status.UNSUPPORTED


@pytest.mark.parametrize("claim", [claim.id for claim in CLAIMS])
def test_skipped(claim: str) -> None:
    needs = next(c for c in CLAIMS if c.id == claim).needs
    status, evidence = judged([(obs_id, _SKIPPED) for obs_id in needs])[claim]
    assert (status, evidence) == (Status.SKIPPED, "not requested")


def test_reclaim_partial_names_each_missing_condition() -> None:
    no_swap = judged(PARTIAL["reclaim-drops"])["reclaim-drops"][1]
    assert no_swap.endswith("no swap configured: 'never written to swap' not observed")
    unswapped = {**_SWAPPED_CONTROL, "swap_kb": 0}
    configured = judged([("reclaim", {"control": unswapped})])["reclaim-drops"][1]
    assert "65532 kB of swap configured but the private control did not reach it either" in configured
    status, evidence = judged([("reclaim", {"control": unswapped}), ("pressure", _PRESSURE)])["reclaim-drops"]
    assert status is Status.PASS  # the control reached swap under cgroup pressure instead
    assert "24 MiB private control Swap: 9000 kB" in evidence


def test_reclaim_pass_shows_the_control_in_swap() -> None:
    status, evidence = judged([])["reclaim-drops"]
    assert status is Status.PASS
    assert "private control 16 kept, 0 zero, 0 other of 16 pages, Swap: 64 kB" in evidence
    assert evidence.endswith("the control reached swap, the droppable pages did not")


def test_partial_is_not_a_failure() -> None:
    from patchcheck.probe.run import report_from_records

    records = healthy()
    next(r for r in records if r["obs"] == "coredump").update(_SKIPPED)
    report = report_from_records(records, "test")
    assert (report.failed, report.partial) == (False, True)
