"""The probe on this machine's kernel (Linux >= 6.11 with MAP_DROPPABLE): each claim's real result."""

from __future__ import annotations

import errno
import os
import platform
import re
import tempfile
from pathlib import Path

import pytest

from patchcheck.probe import pressure, procfs
from patchcheck.probe.child import run_in_child
from patchcheck.probe.claims import Status
from patchcheck.probe.compare import PAGES, REDIRTIED
from patchcheck.probe.run import ProbeOptions, ProbeReport, probe_host
from patchcheck.probe.syscalls import (
    DROPPABLE,
    MADV_DODUMP,
    MADV_KEEPONFORK,
    MAP_GROWSDOWN,
    MAP_HUGETLB,
    MAP_LOCKED,
    PRIVATE,
    RW,
    NoDroppableSyscalls,
    Syscalls,
    install_droppable_seccomp,
)

DROPPABLE_CLAIMS = (
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
    "vdso-random",
    "vdso-after-drop",
)


def _kernel_has_droppable() -> bool:
    release = tuple(int(part) for part in platform.release().split(".")[:2])
    return release >= (6, 11)


pytestmark = pytest.mark.skipif(not _kernel_has_droppable(), reason="kernel older than 6.11")


def by_claim(report: ProbeReport) -> dict[str, tuple[Status, str]]:
    return {v.claim: (v.status, v.evidence) for v in report.verdicts}


@pytest.fixture(scope="module")
def default_run() -> dict[str, tuple[Status, str]]:
    return by_claim(probe_host(ProbeOptions()))


def test_default_run_passes_every_claim_and_says_what_it_did_not_observe(
    default_run: dict[str, tuple[Status, str]],
) -> None:
    run = dict(default_run)
    assert run.pop("oom-not-fatal") == (Status.SKIPPED, "memory pressure not requested (--pressure)")
    assert run.pop("not-dumped")[0] is Status.PARTIAL  # no --coredump: only the 'dd' flag was seen
    reclaim = run.pop("reclaim-drops")
    if procfs.meminfo_kb("SwapTotal") == 0:
        assert reclaim == (Status.PARTIAL, reclaim[1])
        assert reclaim[1].endswith("no swap configured: 'never written to swap' not observed")
    else:
        assert reclaim[0] in (Status.PASS, Status.PARTIAL)
    failed = {claim: v for claim, v in run.items() if v[0] is not Status.PASS}
    assert failed == {}


def test_live_evidence_shows_the_values_read(default_run: dict[str, tuple[Status, str]]) -> None:
    assert default_run["creation"][1].endswith("nr wf dd dp ('dp' on exactly that VMA, not its neighbours)")
    assert "droppable 0 kept, 16 zero, 0 other of 16 pages, Swap: 0 kB" in default_run["reclaim-drops"][1]
    assert "mmap(MAP_PRIVATE|MAP_LOCKED) -> 0 (accepted)" in default_run["refuse-locked"][1]
    assert "private control 16 kept" in default_run["reclaim-drops"][1]
    assert default_run["refuse-locked"][1].startswith("mmap(MAP_DROPPABLE|MAP_LOCKED) -> EINVAL; ")
    assert "VmLck 0 -> 0 kB, Locked: 0 kB" in default_run["mlock-exempt"][1]
    assert "(MAP_DROPPABLE)" in default_run["vdso-params"][1]
    assert default_run["not-dumped"][1] == (
        "'dd' set; no core dump taken: real core dump not requested (--coredump); "
        "absence from a real core dump not observed"
    )


def test_coredump_in_a_temporary_directory() -> None:
    pattern = Path("/proc/sys/kernel/core_pattern").read_text().strip()
    before = set(Path.cwd().iterdir())
    status, evidence = by_claim(probe_host(ProbeOptions(coredump=True)))["not-dumped"]
    assert set(Path.cwd().iterdir()) == before  # the core went to a temporary directory, now removed
    assert not list(Path(tempfile.gettempdir()).glob("patchcheck-core-*"))
    if pattern.startswith("|") or "/" in pattern:
        assert (status, "core_pattern" in evidence) == (Status.PARTIAL, True)
    else:
        assert status is Status.PASS
        assert "droppable segment p_filesz=0" in evidence
        assert "private control p_filesz=16384" in evidence


def test_pressure_uses_and_removes_its_own_cgroup() -> None:
    parent = pressure.find_parent()
    status, evidence = by_claim(probe_host(ProbeOptions(pressure=True)))["oom-not-fatal"]
    if isinstance(parent, str):
        assert (status, evidence) == (Status.SKIPPED, parent)
        return
    assert status is Status.PASS, evidence
    assert "in a 16 MiB memory cgroup" in evidence
    assert "OOM kills 0" in evidence
    assert not list(parent[1].glob("patchcheck-probe-*"))


def test_compare_lazyfree_measures_both_sides() -> None:
    report = probe_host(ProbeOptions(compare="lazyfree"))
    record = report.record("compare-lazyfree")
    assert record is not None and record["outcome"] == "ok"
    lazy, drop = record["lazyfree"], record["droppable"]
    assert lazy["surviving"] == list(REDIRTIED)  # re-dirtied lazyfree pages are kept, clean ones dropped
    assert drop["surviving"] == [] and drop["zero"] == list(range(PAGES))
    assert lazy["fork_child_census"]["kept"] == PAGES
    assert drop["fork_child_census"]["zero"] == PAGES
    assert lazy["lazyfree_kb_after_advise"] > 0
    assert drop["lazyfree_kb_after_advise"] == 0
    assert (lazy["vmlck_delta_kb"], drop["vmlck_delta_kb"]) == (PAGES * 4, 0)  # MADV_FREE'd pages lock
    assert {name: r["mmap_errno"] for name, r in drop["refusals"].items()} == {
        "MAP_LOCKED": errno.EINVAL,
        "MAP_HUGETLB": errno.EINVAL,
        "MAP_GROWSDOWN": errno.EINVAL,
    }
    assert lazy["refusals"]["MAP_LOCKED"] == {"mmap_errno": 0, "advise_errno": errno.EINVAL}
    assert lazy["refusals"]["MAP_GROWSDOWN"] == {"mmap_errno": 0, "advise_errno": 0}
    if record["swap_total_kb"] == 0:
        assert lazy["swap_kb"] == drop["swap_kb"] == 0


def _unsupported_everywhere(report: ProbeReport) -> None:
    result = by_claim(report)
    for claim in DROPPABLE_CLAIMS:
        assert result[claim][0] is Status.UNSUPPORTED, (claim, result[claim])
        assert "refused with EINVAL: kernel without MAP_DROPPABLE" in result[claim][1]
    assert not report.failed


def test_injected_syscall_layer_without_map_droppable_gives_unsupported() -> None:
    _unsupported_everywhere(probe_host(ProbeOptions(syscalls=NoDroppableSyscalls(), coredump=True)))


@pytest.mark.skipif(platform.machine() != "x86_64", reason="the seccomp filter is written for x86-64")
def test_seccomp_filter_without_map_droppable_gives_unsupported() -> None:
    report = probe_host(ProbeOptions(simulate="seccomp-no-droppable"))
    _unsupported_everywhere(report)
    assert report.probed == "host observer (simulated: seccomp-no-droppable)"


@pytest.mark.skipif(platform.machine() != "x86_64", reason="the seccomp filter is written for x86-64")
def test_seccomp_filter_refuses_only_droppable_mmaps() -> None:
    def observe() -> dict[str, int]:
        install_droppable_seccomp()
        sc = Syscalls()
        return {
            "droppable": sc.mmap(None, 4096, RW, DROPPABLE)[1],
            "private": sc.mmap(None, 4096, RW, PRIVATE)[1],
        }

    record = run_in_child("seccomp", observe, 5)
    assert (record["droppable"], record["private"]) == (errno.EINVAL, 0)
    assert Syscalls().mmap(None, 4096, RW, DROPPABLE)[1] == 0  # the parent is untouched


class _CrashingMadvise(Syscalls):
    """A kernel whose MADV_KEEPONFORK brings the process down."""

    def madvise(self, addr: int, length: int, advice: int) -> int:
        if advice == MADV_KEEPONFORK:
            os.kill(os.getpid(), 11)
        return super().madvise(addr, length, advice)


def test_a_crash_fails_only_the_claims_of_that_observation() -> None:
    report = probe_host(ProbeOptions(syscalls=_CrashingMadvise()))
    result = by_claim(report)
    for claim in ("refuse-keeponfork", "refuse-dodump"):
        assert result[claim] == (
            Status.FAIL,
            "'madvise-refusals' observer crashed (signal 11) observer killed by SIGSEGV",
        )
    assert result["creation"][0] is Status.PASS
    assert report.failed


class _AcceptsLocked(Syscalls):
    """A regression: MAP_LOCKED is silently dropped instead of refused."""

    def mmap(self, addr: int | None, length: int, prot: int, flags: int) -> tuple[int, int]:
        return super().mmap(addr, length, prot, flags & ~0x2000)


def test_a_regression_fails_exactly_its_claim() -> None:
    result = by_claim(probe_host(ProbeOptions(syscalls=_AcceptsLocked())))
    failed = [claim for claim, (status, _) in result.items() if status is Status.FAIL]
    assert failed == ["refuse-locked"]
    assert result["refuse-locked"][1] == "mmap(MAP_DROPPABLE|MAP_LOCKED) was accepted (expected EINVAL)"


class _NoSwap(Syscalls):
    """This kernel as it would be with no swap configured."""

    def swap_total_kb(self) -> int:
        return 0


class _PrivatePagesSwap(Syscalls):
    """A kernel whose reclaim puts private anonymous pages in swap (smaps' Swap: shows the whole VMA)."""

    def swap_total_kb(self) -> int:
        return 1 << 20

    def vma_swap_kb(self, addr: int) -> int:
        vma = procfs.vma_containing(procfs.read_smaps(), addr)
        assert vma is not None
        return super().vma_swap_kb(addr) if "dp" in vma.vm_flags else (vma.end - vma.start) // 1024


class _DroppablePagesSwap(_PrivatePagesSwap):
    """A regression: droppable pages are written to swap like any other."""

    def vma_swap_kb(self, addr: int) -> int:
        vma = procfs.vma_containing(procfs.read_smaps(), addr)
        assert vma is not None
        return (vma.end - vma.start) // 1024


def test_reclaim_through_the_syscall_layer_each_status() -> None:
    status, evidence = by_claim(probe_host(ProbeOptions(syscalls=_NoSwap())))["reclaim-drops"]
    assert (status, evidence.endswith("no swap configured: 'never written to swap' not observed")) == (
        Status.PARTIAL,
        True,
    )
    status, evidence = by_claim(probe_host(ProbeOptions(syscalls=_PrivatePagesSwap())))["reclaim-drops"]
    assert status is Status.PASS
    assert re.search(r"private control 16 kept, 0 zero, 0 other of 16 pages, Swap: [1-9]\d* kB", evidence)
    status, evidence = by_claim(probe_host(ProbeOptions(syscalls=_DroppablePagesSwap())))["reclaim-drops"]
    assert (status, evidence.endswith("droppable pages went to swap")) == (Status.FAIL, True)


class _NoHugePages(Syscalls):
    """A kernel without huge pages refuses MAP_HUGETLB for every mapping type."""

    def mmap(self, addr: int | None, length: int, prot: int, flags: int) -> tuple[int, int]:
        if flags & MAP_HUGETLB:
            return 0, errno.EINVAL
        return super().mmap(addr, length, prot, flags)


class _NoMlock(Syscalls):
    """No mlock budget at all (RLIMIT_MEMLOCK 0, no CAP_IPC_LOCK)."""

    def mlock(self, addr: int, length: int) -> int:
        return errno.EPERM


class _KeepOnForkUnknown(Syscalls):
    """A kernel that does not know MADV_KEEPONFORK: EINVAL for every mapping."""

    def madvise(self, addr: int, length: int, advice: int) -> int:
        return errno.EINVAL if advice == MADV_KEEPONFORK else super().madvise(addr, length, advice)


@pytest.mark.parametrize(
    "syscalls, claim, words",
    [
        (_NoHugePages(), "refuse-hugetlb", "mmap(MAP_PRIVATE|MAP_HUGETLB) -> EINVAL: the private mapping"),
        (_NoMlock(), "mlock-exempt", "mlock() itself failed, so the exemption was not exercised"),
        (_KeepOnForkUnknown(), "refuse-keeponfork", "refused there too, so the refusal is not shown"),
    ],
)
def test_an_unexercised_condition_is_partial_not_pass(syscalls: Syscalls, claim: str, words: str) -> None:
    report = probe_host(ProbeOptions(syscalls=syscalls))
    status, evidence = by_claim(report)[claim]
    assert status is Status.PARTIAL
    assert words in evidence
    assert not report.failed


class _RefusesEverywhere(Syscalls):
    """A kernel refusing a mapping flag or an advice with EINVAL whatever the mapping (droppable or not)."""

    def __init__(self, flag: int = 0, advice: int = -1) -> None:
        self.flag, self.advice = flag, advice

    def mmap(self, addr: int | None, length: int, prot: int, flags: int) -> tuple[int, int]:
        return (0, errno.EINVAL) if flags & self.flag else super().mmap(addr, length, prot, flags)

    def madvise(self, addr: int, length: int, advice: int) -> int:
        return errno.EINVAL if advice == self.advice else super().madvise(addr, length, advice)


@pytest.mark.parametrize(
    "syscalls, claim",
    [
        (_RefusesEverywhere(flag=MAP_LOCKED), "refuse-locked"),
        (_RefusesEverywhere(flag=MAP_HUGETLB), "refuse-hugetlb"),
        (_RefusesEverywhere(flag=MAP_GROWSDOWN), "refuse-growsdown"),
        (_RefusesEverywhere(advice=MADV_KEEPONFORK), "refuse-keeponfork"),
        (_RefusesEverywhere(advice=MADV_DODUMP), "refuse-dodump"),
    ],
)
def test_a_refusal_the_control_gets_too_is_partial(syscalls: Syscalls, claim: str) -> None:
    result = by_claim(probe_host(ProbeOptions(syscalls=syscalls)))
    assert result[claim][0] is Status.PARTIAL, result[claim]
    assert "not shown to come from MAP_DROPPABLE" in result[claim][1]
    others = {c: v for c, v in result.items() if v[0] is Status.PARTIAL and c != claim}
    assert set(others) <= {"reclaim-drops", "not-dumped"}  # those two rest on swap and --coredump


class _DroppableAsPrivate(Syscalls):
    """A kernel that maps MAP_DROPPABLE as a plain private mapping: every promise is broken."""

    def mmap(self, addr: int | None, length: int, prot: int, flags: int) -> tuple[int, int]:
        if flags & 0x0F == 0x08:
            flags = (flags & ~0x0F) | 0x02
        return super().mmap(addr, length, prot, flags)


def test_a_kernel_ignoring_the_droppable_type_fails_every_claim_it_touches() -> None:
    report = probe_host(ProbeOptions(syscalls=_DroppableAsPrivate(), coredump=True))
    result = by_claim(report)
    failed = {claim for claim, (status, _) in result.items() if status is Status.FAIL}
    assert failed == set(DROPPABLE_CLAIMS)
    assert result["vdso-params"][0] is Status.PASS  # read from the vDSO itself, not from a mapping
    assert result["reclaim-drops"][1].endswith("droppable pages survived reclaim")
    assert report.failed
