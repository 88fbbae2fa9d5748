"""The C observer that runs as the guest's /init is a normal Linux program: run it on this host and check
that it emits the records of OBSERVATIONS.md, that a crash or a hang becomes a record, and that its records
judge exactly as the Python host observer's do (the two observers cannot drift apart unnoticed)."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from patchcheck.probe.claims import judge_all
from patchcheck.probe.run import ProbeOptions, observe_host
from patchcheck.probe.vm import console, guest
from patchcheck.probe.vm.diagnose import GUEST_OBSERVATIONS


@pytest.fixture(scope="module")
def observer() -> Path:
    if not (shutil.which("musl-gcc") or shutil.which("cc")):
        if os.environ.get("CI"):
            pytest.fail("no C compiler: install musl-tools")
        pytest.skip("no C compiler")
    return guest.build_observer()


def run_observer(binary: Path, *args: str) -> console.GuestOutput:
    done = subprocess.run([str(binary), *args], capture_output=True, timeout=60, check=True)
    out = console.parse(done.stdout)
    assert out.complete, out.problems
    return out


@pytest.fixture(scope="module")
def c_records(observer: Path) -> list[dict[str, Any]]:
    return run_observer(observer, "compare-lazyfree").records


@pytest.fixture(scope="module")
def python_records() -> list[Mapping[str, Any]]:
    return list(observe_host(ProbeOptions(compare="lazyfree")))


def shape(value: Any) -> Any:
    """The structure of a record: keys and value types, not values."""
    if isinstance(value, Mapping):
        return {key: shape(item) for key, item in value.items() if key != "detail"}
    if isinstance(value, list):
        return ["list"]
    return type(value).__name__


def test_observer_is_small_and_static(observer: Path) -> None:
    head = observer.read_bytes()[:64]
    assert head.startswith(b"\x7fELF")
    file_out = subprocess.run(["file", str(observer)], capture_output=True, text=True, check=False).stdout
    if file_out:
        assert "statically linked" in file_out or "static-pie" in file_out
    if shutil.which("musl-gcc"):
        assert observer.stat().st_size < 200_000


def test_records_come_in_the_guest_order(c_records: list[dict[str, Any]]) -> None:
    assert [record["obs"] for record in c_records] == [*GUEST_OBSERVATIONS, "compare-lazyfree"]
    assert c_records[0]["observer"].startswith("guest")
    assert c_records[0]["release"] == os.uname().release


def test_every_record_has_the_python_observers_shape(
    c_records: list[dict[str, Any]], python_records: list[Mapping[str, Any]]
) -> None:
    by_id = {record["obs"]: record for record in python_records}
    for record in c_records:
        obs_id = record["obs"]
        if obs_id == "kernel":
            continue
        assert shape(record) == shape(by_id[obs_id]), obs_id


def test_c_and_python_observers_judge_the_same(
    c_records: list[dict[str, Any]], python_records: list[Mapping[str, Any]]
) -> None:
    from_c = [(v.claim, v.status) for v in judge_all(c_records)]
    from_python = [(v.claim, v.status) for v in judge_all(python_records)]
    assert from_c == from_python
    if _host_has_droppable(c_records):
        # Not a vacuous agreement: on a kernel with MAP_DROPPABLE the claims are really decided.
        assert sum(status.value == "pass" for _, status in from_c) >= 12


def _host_has_droppable(records: list[dict[str, Any]]) -> bool:
    return next(r for r in records if r["obs"] == "map-droppable")["mmap_errno"] == 0


def test_measurements_agree_where_they_are_deterministic(
    c_records: list[dict[str, Any]], python_records: list[Mapping[str, Any]]
) -> None:
    if not _host_has_droppable(c_records):
        pytest.skip("this kernel has no MAP_DROPPABLE: nothing deterministic to compare")
    c, py = {r["obs"]: r for r in c_records}, {r["obs"]: r for r in python_records}
    assert c["map-refusals"] == py["map-refusals"]
    assert c["madvise-refusals"] == py["madvise-refusals"]
    assert set(c["map-droppable"]["vm_flags"]) == set(py["map-droppable"]["vm_flags"])
    assert c["reclaim"]["droppable"]["census"] == py["reclaim"]["droppable"]["census"]
    assert c["fork"]["child_census"] == py["fork"]["child_census"]
    for key in ("size_of_opaque_state", "mmap_prot", "mmap_flags", "state_zero_after_pageout"):
        assert c["vdso-getrandom"][key] == py["vdso-getrandom"][key], key
    for side in ("lazyfree", "droppable"):
        for key in ("fork_child_census", "surviving", "zero", "vmlck_delta_kb", "refusals"):
            assert c["compare-lazyfree"][side][key] == py["compare-lazyfree"][side][key], (side, key)


def test_optional_observations_are_skipped_with_the_hosts_reasons(observer: Path) -> None:
    records = {r["obs"]: r for r in run_observer(observer).records}
    host = {r["obs"]: r for r in observe_host(ProbeOptions())}
    assert "compare-lazyfree" not in records and "compare-lazyfree" not in host
    for obs_id in ("swap", "coredump", "pressure"):
        assert records[obs_id] == host[obs_id]


def test_a_crash_and_a_hang_become_records(observer: Path) -> None:
    out = run_observer(observer, "selftest", "timeout=1")
    crash, hang = out.records[-2:]
    assert crash == {
        "obs": "selftest-crash",
        "outcome": "crashed",
        "signal": 11,
        "detail": crash["detail"],
    }
    assert hang["obs"] == "selftest-hang" and hang["outcome"] == "timeout"
    assert [r["outcome"] for r in out.records[1:-2]] == ["skipped"] + ["ok"] * 6 + ["skipped"] * 2 + ["ok"]


def test_a_compiler_that_fails_is_one_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from patchcheck.errors import InputError

    monkeypatch.setenv("PATCHCHECK_CACHE", str(tmp_path / "cache"))
    broken = tmp_path / "broken-cc"
    broken.write_text("#!/bin/sh\necho 'observer.c:1: error: no such header' >&2\nexit 1\n")
    broken.chmod(0o755)
    with pytest.raises(InputError, match="building the in-guest observer with broken-cc failed") as caught:
        guest.build_observer([str(broken)])
    assert caught.value.details == ["observer.c:1: error: no such header"]
    assert not list((tmp_path / "cache").rglob("observer"))
