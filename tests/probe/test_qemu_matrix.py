"""The probe on real kernels in QEMU: Debian's 6.1 and 6.12 cloud images (fetched by their metapackages with
scripts/fetch-vm-kernels.sh). 6.1 predates MAP_DROPPABLE: every claim "unsupported", none failed. 6.12 has it:
every claim passes, the memory-pressure one included (the guest makes its own memory cgroup), with the swap
half observed for real (the guest swaps on the virtio disk patchcheck attached: the private controls reach
swap, the droppable pages do not) and a real core dump inspected.

Skipped locally when QEMU or the packages are missing; under CI (CI=true) their absence is a failure."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from patchcheck.probe.claims import CLAIMS
from patchcheck.probe.vm.kernels import cache_dir

pytestmark = pytest.mark.vmkernels


def _packages() -> dict[str, Path]:
    listed = os.environ.get("PATCHCHECK_VM_KERNELS")
    debs = (
        [Path(p) for p in listed.split(":") if p]
        if listed
        else sorted((cache_dir() / "kernels").glob("*.deb"))
    )
    found: dict[str, Path] = {}
    for deb in debs:
        if deb.name.startswith("linux-image-6.1.0-"):
            found["6.1"] = deb
        elif deb.name.startswith("linux-image-6.12."):
            found["6.12"] = deb
    return found


@pytest.fixture(scope="module")
def packages() -> dict[str, Path]:
    found = _packages()
    missing = [] if shutil.which("qemu-system-x86_64") else ["qemu-system-x86_64"]
    missing += [f"Debian {version} cloud kernel" for version in ("6.1", "6.12") if version not in found]
    if missing:
        message = f"missing {', '.join(missing)}: install qemu-system-x86, run scripts/fetch-vm-kernels.sh"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return found


def patchcheck(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "patchcheck", *args], capture_output=True, text=True, timeout=300, check=False
    )


@pytest.fixture(scope="module")
def documents(packages: dict[str, Path]) -> dict[str, dict[str, Any]]:
    """One CLI run over both kernels: the JSON document per kernel version."""
    done = patchcheck(
        "probe", "--matrix", "--pressure", "--format", "json",
        "--kernel-deb", str(packages["6.1"]), "--kernel-deb", str(packages["6.12"]),
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    kernels = json.loads(done.stdout)["kernels"]
    assert [k["kernel"]["release"][:4] for k in kernels] == ["6.1.", "6.12"]
    return dict(zip(("6.1", "6.12"), kernels, strict=True))


@pytest.fixture(scope="module")
def matrix(documents: dict[str, dict[str, Any]]) -> dict[str, dict[str, str]]:
    """claim -> status, per kernel version."""
    return {
        version: {claim["id"]: claim["status"] for claim in kernel["claims"]}
        for version, kernel in documents.items()
    }


def test_61_answers_unsupported_and_never_fails(matrix: dict[str, dict[str, str]]) -> None:
    assert matrix["6.1"] == {claim.id: "unsupported" for claim in CLAIMS}


def test_612_passes_every_claim(matrix: dict[str, dict[str, str]]) -> None:
    assert matrix["6.12"] == {claim.id: "pass" for claim in CLAIMS}


def test_612_swap_growth_is_observed_for_the_controls_only(documents: dict[str, dict[str, Any]]) -> None:
    records = {record["obs"]: record for record in documents["6.12"]["observations"]}
    assert records["swap"]["outcome"] == "ok" and records["swap"]["swap_total_kb"] > 0
    reclaim, pressure = records["reclaim"], records["pressure"]
    assert reclaim["control"]["swap_kb"] > 0 and reclaim["droppable"]["swap_kb"] == 0
    assert reclaim["droppable"]["census"]["zero"] == reclaim["pages"]
    assert pressure["control_swap_kb"] > 0 and pressure["droppable_swap_kb"] == 0
    assert pressure["control_census"]["kept"] == pressure["control_length"] // 4096  # swapped, not lost


def test_612_takes_and_reads_a_real_core_dump(documents: dict[str, dict[str, Any]]) -> None:
    core = next(r for r in documents["6.12"]["observations"] if r["obs"] == "coredump")
    assert core["outcome"] == "ok" and core["core_found"] and core["core_bytes"] > 0
    assert core["droppable_segment"] and core["droppable_filesz"] == 0
    assert core["control_filesz"] == 16384 and not core["droppable_bytes_found"]


def test_single_kernel_report_has_the_live_probes_form(packages: dict[str, Path]) -> None:
    done = patchcheck("probe", "--kernel", str(packages["6.12"]), "--compare", "lazyfree")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].startswith("patchcheck probe: kernel 6.12.")
    assert "QEMU TCG guest booting bzImage linux-image-6.12." in lines[0]
    assert lines[1].split()[:2] == ["creation", "PASS"]
    assert "16 claims: 15 pass, 1 skipped" in lines  # the guest takes a core dump without --coredump
    assert any(line.startswith("MADV_FREE vs MAP_DROPPABLE") for line in lines)
    # With the guest's swap: re-dirtied MADV_FREE pages go to swap, droppable pages never do.
    swap_row = next(line for line in lines if line.startswith("Swap: after MADV_PAGEOUT"))
    assert "kB swap)" in swap_row and swap_row.split()[-4:] == ["32", "kB", "0", "kB"]
    assert next(line for line in lines if line.startswith("mlock() of all")).endswith("VmLck +0 kB")
    assert "\x1b" not in done.stdout and "\r" not in done.stdout
