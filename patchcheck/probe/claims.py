"""The claims of the VM_DROPPABLE series: the single list both the host and the guest probe use.

Each claim names the observation records it needs and its pure judge (judges.py). Any observer that writes
the records of OBSERVATIONS.md is judged the same way.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

from patchcheck.probe.judges import (
    Judgement,
    Observations,
    Record,
    Status,
    Undecided,
    judge_companions,
    judge_creation,
    judge_fork_inherit,
    judge_fork_wipe,
    judge_mlock,
    judge_not_dumped,
    judge_oom,
    judge_reclaim,
    judge_vdso_after_drop,
    judge_vdso_params,
    judge_vdso_random,
    madvise_refusal,
    refusal,
)

__all__ = ["CLAIMS", "OBSERVATION_IDS", "SERIES", "Claim", "Status", "Verdict", "judge_all", "judge_claim"]


@dataclass(frozen=True)
class Verdict:
    claim: str
    status: Status
    evidence: str


@dataclass(frozen=True)
class Claim:
    id: str
    title: str
    promise: str  # quoted from SERIES, or marked "(paraphrased)" where the seed mail does not say it
    needs: tuple[str, ...]  # observation ids that must be "ok" before the judge runs
    judge: Callable[[Observations], Judgement]
    uses: tuple[str, ...] = ()  # optional observation ids the judge reads when present
    needs_smaps: bool = True  # judged from /proc/self/smaps, which kernels without PROC_PAGE_MONITOR lack


CLAIMS: tuple[Claim, ...] = (
    Claim(
        "creation",
        "MAP_DROPPABLE creates a droppable mapping",
        "MAP_DROPPABLE maps a VM_DROPPABLE area, shown as 'dp' in smaps (series 2/5 and 1/5, paraphrased)",
        ("map-droppable",),
        judge_creation,
    ),
    Claim(
        "smaps-companions",
        "implied flags are set",
        "allocations ... can use VM_DROPPABLE | VM_DONTDUMP | VM_WIPEONFORK | VM_NORESERVE",
        ("map-droppable",),
        judge_companions,
    ),
    Claim(
        "refuse-locked",
        "MAP_LOCKED is refused",
        "do_mmap() rejects MAP_LOCKED with MAP_DROPPABLE (paraphrased)",
        ("map-refusals",),
        refusal("map-refusals", "locked_errno", "mmap(MAP_DROPPABLE|MAP_LOCKED)"),
        needs_smaps=False,
    ),
    Claim(
        "refuse-hugetlb",
        "MAP_HUGETLB is refused",
        "do_mmap() rejects MAP_HUGETLB with MAP_DROPPABLE (paraphrased)",
        ("map-refusals",),
        refusal("map-refusals", "hugetlb_errno", "mmap(MAP_DROPPABLE|MAP_HUGETLB)"),
        needs_smaps=False,
    ),
    Claim(
        "refuse-growsdown",
        "MAP_GROWSDOWN is refused",
        "do_mmap() rejects MAP_GROWSDOWN with MAP_DROPPABLE (paraphrased)",
        ("map-refusals",),
        refusal("map-refusals", "growsdown_errno", "mmap(MAP_DROPPABLE|MAP_GROWSDOWN)"),
        needs_smaps=False,
    ),
    Claim(
        "reclaim-drops",
        "never swapped, dropped under reclaim",
        "a) It never is written out to swap. b) Under memory pressure, mm can just drop the pages "
        "(so that they're zero when read back again).",
        ("reclaim",),
        judge_reclaim,
        uses=("swap", "pressure"),
        needs_smaps=False,
    ),
    Claim(
        "fork-wipe",
        "wiped on fork",
        "It should be zeroed on fork.",
        ("fork",),
        judge_fork_wipe,
        needs_smaps=False,
    ),
    Claim("fork-inherit", "inherited by fork", "d) It is inherited by fork.", ("fork",), judge_fork_inherit),
    Claim(
        "mlock-exempt",
        "not counted against mlock",
        "e) It doesn't count against the mlock budget, since nothing is locked.",
        ("mlock",),
        judge_mlock,
    ),
    Claim(
        "refuse-keeponfork",
        "MADV_KEEPONFORK is refused",
        "It should be zeroed on fork. * Easy: VM_WIPEONFORK.",
        ("madvise-refusals",),
        madvise_refusal("keeponfork_errno", "MADV_KEEPONFORK", "wf"),
    ),
    Claim(
        "refuse-dodump",
        "MADV_DODUMP is refused",
        "It shouldn't be written to core dumps. * Easy: VM_DONTDUMP.",
        ("madvise-refusals",),
        madvise_refusal("dodump_errno", "MADV_DODUMP", "dd"),
    ),
    Claim(
        "not-dumped",
        "not written to core dumps",
        "It shouldn't be written to core dumps.",
        ("map-droppable",),
        judge_not_dumped,
        uses=("coredump",),
    ),
    Claim(
        "oom-not-fatal",
        "fault-time OOM is not fatal",
        "c) If there's not enough memory to service a page fault, it's not fatal.",
        ("pressure",),
        judge_oom,
    ),
    Claim(
        "vdso-params",
        "vDSO getrandom asks for MAP_DROPPABLE",
        "allocations used by vDSO getrandom() can use VM_DROPPABLE",
        ("vdso-getrandom",),
        judge_vdso_params,
        needs_smaps=False,
    ),
    Claim(
        "vdso-random",
        "vDSO getrandom works from a droppable state",
        "The vDSO getrandom() implementation works with a buffer allocated with ... certain requirements",
        ("vdso-getrandom",),
        judge_vdso_random,
    ),
    Claim(
        "vdso-after-drop",
        "vDSO getrandom survives its state being dropped",
        "the vDSO code is already robust to having the contents of the pages it reads zeroed out",
        ("vdso-getrandom",),
        judge_vdso_after_drop,
        needs_smaps=False,
    ),
)

SERIES = "[PATCH v16 1/5] mm: add VM_DROPPABLE for designating always lazily freeable mappings"
OBSERVATION_IDS: tuple[str, ...] = tuple(
    dict.fromkeys(obs_id for claim in CLAIMS for obs_id in (*claim.needs, *claim.uses))
)


def judge_claim(claim: Claim, obs: Observations) -> Verdict:
    """Judge one claim: first the state of the records it needs, then its own judge."""
    for obs_id in claim.needs:
        rec = obs.get(obs_id)
        if rec is None:
            return Verdict(claim.id, Status.SKIPPED, f"no '{obs_id}' observation")
        outcome = rec.get("outcome")
        detail = str(rec.get("detail", "")).strip()
        if outcome == "skipped":
            return Verdict(claim.id, Status.SKIPPED, detail or f"'{obs_id}' skipped")
        if outcome == "unsupported":
            return Verdict(claim.id, Status.UNSUPPORTED, detail or f"'{obs_id}' unsupported by this kernel")
        if outcome == "crashed":
            return Verdict(
                claim.id,
                Status.FAIL,
                f"'{obs_id}' observer crashed (signal {rec.get('signal')}) {detail}".strip(),
            )
        if outcome != "ok":
            return Verdict(claim.id, Status.FAIL, f"'{obs_id}' observer {outcome}: {detail}".rstrip(": "))
        if claim.needs_smaps and rec.get("smaps_missing"):
            evidence = "no /proc/self/smaps: kernel without PROC_PAGE_MONITOR"
            return Verdict(claim.id, Status.UNSUPPORTED, evidence)
    try:
        status, evidence = claim.judge(obs)
    except Undecided as early:
        status, evidence = early.status, early.evidence
    except (KeyError, TypeError, ValueError) as exc:
        status, evidence = Status.FAIL, f"malformed observation record ({type(exc).__name__}: {exc})"
    return Verdict(claim.id, status, evidence)


def index_records(records: Iterable[Record]) -> dict[str, Record]:
    """Records by observation id (a later record for the same id replaces an earlier one)."""
    return {str(rec["obs"]): rec for rec in records if isinstance(rec, Mapping) and "obs" in rec}


def judge_all(records: Iterable[Record]) -> list[Verdict]:
    obs = index_records(records)
    return [judge_claim(claim, obs) for claim in CLAIMS]
