"""`patchcheck probe` as hooks and CI bots call it: its lines, its JSON and its exit statuses."""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys

import pytest
from typer.testing import CliRunner

from patchcheck.cli import app
from patchcheck.probe import run as probe_run
from patchcheck.probe.claims import CLAIMS
from patchcheck.probe.syscalls import Syscalls


def probe(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "patchcheck", "probe", *args],
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        timeout=120,
    )


def test_text_report_has_a_header_and_one_line_per_claim() -> None:
    out = probe()
    lines = out.stdout.splitlines()
    assert lines[0] == f"patchcheck probe: kernel {platform.release()} ({platform.machine()}), host observer"
    assert [line.split()[0] for line in lines[1:-1]] == [claim.id for claim in CLAIMS]
    for line in lines[1:-1]:
        assert line.split()[1] in {"PASS", "PARTIAL", "FAIL", "UNSUPPORTED", "SKIPPED"}
    assert lines[-1].startswith(f"{len(CLAIMS)} claims: ")
    assert out.returncode == (1 if any(" FAIL " in line for line in lines) else 0)
    assert out.stderr == ""


def test_json_report_for_tools() -> None:
    out = probe("--format", "json", "--compare", "lazyfree")
    document = json.loads(out.stdout)
    assert document["kernel"]["release"] == platform.release()
    assert [claim["id"] for claim in document["claims"]] == [claim.id for claim in CLAIMS]
    assert {claim["status"] for claim in document["claims"]} <= {
        "pass",
        "partial",
        "fail",
        "unsupported",
        "skipped",
    }
    assert set(document["summary"]) == {"pass", "partial", "fail", "unsupported", "skipped"}
    assert document["summary"]["partial"] >= 1  # no --coredump: not-dumped rests on the 'dd' flag alone
    assert document["compare"][0]["measurement"] == "advice"
    assert {record["obs"] for record in document["observations"]} >= {
        "kernel",
        "map-droppable",
        "vdso-getrandom",
    }
    assert out.returncode == (1 if document["summary"]["fail"] else 0)


def test_compare_table_is_printed_side_by_side() -> None:
    lines = probe("--compare", "lazyfree").stdout.splitlines()
    table = lines[lines.index("") + 1 :]
    assert table[0].split() == [
        "MADV_FREE",
        "vs",
        "MAP_DROPPABLE",
        "MADV_FREE",
        "(lazyfree)",
        "MAP_DROPPABLE",
    ]
    assert any(row.startswith("pages kept after MADV_PAGEOUT") for row in table)
    mlock = next(row for row in table if row.startswith("mlock() of all 64 pages"))
    assert "VmLck +256 kB" in mlock and mlock.endswith("VmLck +0 kB")  # MADV_FREE'd pages are locked
    assert next(row for row in table if row.startswith("a MAP_GROWSDOWN mapping")).split()[-3:] == [
        "mmap",
        "->",
        "EINVAL",
    ]


@pytest.mark.skipif(platform.machine() != "x86_64", reason="the seccomp filter is written for x86-64")
def test_simulated_kernel_without_droppable_exits_zero_with_unsupported() -> None:
    out = probe(env={"PATCHCHECK_PROBE_SIMULATE": "seccomp-no-droppable"})
    assert out.returncode == 0
    assert "creation           UNSUPPORTED  mmap(MAP_DROPPABLE) refused with EINVAL" in out.stdout


@pytest.mark.parametrize(
    "args, env",
    [
        (["--compare", "swap"], {}),
        (["--format", "yaml"], {}),
        (["--timeout", "0"], {}),
        ([], {"PATCHCHECK_PROBE_SIMULATE": "no-such-kernel"}),
    ],
)
def test_usage_errors_exit_2_without_a_traceback(args: list[str], env: dict[str, str]) -> None:
    out = probe(*args, env=env)
    assert out.returncode == 2
    assert "Traceback" not in out.stderr
    assert out.stdout == ""


class _AcceptsGrowsdown(Syscalls):
    def mmap(self, addr: int | None, length: int, prot: int, flags: int) -> tuple[int, int]:
        return super().mmap(addr, length, prot, flags & ~0x100)


def test_a_failed_claim_exits_1(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(probe_run.SIMULATIONS, "accepts-growsdown", _AcceptsGrowsdown)
    result = CliRunner().invoke(app, ["probe"], env={"PATCHCHECK_PROBE_SIMULATE": "accepts-growsdown"})
    assert result.exit_code == 1
    assert "refuse-growsdown   FAIL         mmap(MAP_DROPPABLE|MAP_GROWSDOWN) was accepted" in result.stdout


def test_partial_is_counted_exits_0_and_fails_only_under_strict() -> None:
    out = probe()
    assert " PARTIAL " in out.stdout
    partial = sum(" PARTIAL " in line for line in out.stdout.splitlines())
    assert f", {partial} partial" in out.stdout.splitlines()[-1]
    assert out.returncode == 0
    assert probe("--strict").returncode == 1


def test_sarif_has_one_result_per_claim_with_the_status_as_kind() -> None:
    out = probe("--format", "sarif")
    assert out.returncode == 0
    log = json.loads(out.stdout)
    assert log["version"] == "2.1.0"
    (run,) = log["runs"]
    results = {r["ruleId"]: r for r in run["results"]}
    assert list(results) == [f"probe/{claim.id}" for claim in CLAIMS]
    kinds = {r["properties"]["status"]: r["kind"] for r in results.values()}
    assert kinds["partial"] == "open" and kinds["pass"] == "pass" and kinds["skipped"] == "open"
    assert {r["level"] for r in results.values()} == {"none"}  # only a failure has a level
    dumped = results["probe/not-dumped"]
    assert dumped["message"]["text"].startswith("partial: 'dd' set; no core dump taken")
    rules = run["tool"]["driver"]["rules"]
    assert [rule["id"] for rule in rules] == list(results)
    assert all(r["ruleIndex"] == i for i, r in enumerate(run["results"]))
