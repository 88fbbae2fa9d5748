"""`patchcheck probe --kernel/--kernel-deb/--matrix/--accel` as a hook calls it: exit statuses, usage errors,
JSON. QEMU is the fake of tests/probe/fakeqemu.py, replaying recorded serial output."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from patchcheck.cli import app
from patchcheck.probe.claims import CLAIMS
from patchcheck.probe.vm import guest
from tests.probe import fakeqemu
from tests.probe.test_qemu_kernels import fake_bzimage

SERIAL = Path(__file__).parent / "serial"


@pytest.fixture
def kernel(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A bzImage file for the command line; the observer build is skipped (the fake QEMU never runs it)."""
    image = tmp_path / "bzImage"
    image.write_bytes(fake_bzimage("6.12.0-patched"))
    observer = tmp_path / "observer"
    observer.write_bytes(b"\x7fELF not run")
    monkeypatch.setattr(guest, "build_observer", lambda compiler=None: observer)
    return image


def invoke(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, ["probe", *args])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.stdout


def test_healthy_kernel_exits_zero(kernel: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    log = fakeqemu.install(tmp_path, monkeypatch, tcg="boot")
    code, out = invoke("--kernel", str(kernel))
    assert code == 0
    assert out.splitlines()[0].startswith(
        "patchcheck probe: kernel 6.12.118+deb12-cloud-amd64 (x86_64), QEMU TCG"
    )
    assert f"-kernel {kernel} " in log.read_text()
    assert log.read_text().rstrip().endswith("rdinit=/init -- coredump timeout=20")  # a core dump always


def test_observation_options_reach_the_guest(
    kernel: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    log = fakeqemu.install(tmp_path, monkeypatch, tcg="boot")
    invoke("--kernel", str(kernel), "--pressure", "--compare", "lazyfree", "--timeout", "45")
    assert log.read_text().rstrip().endswith("-- pressure coredump compare-lazyfree timeout=45")


def test_regressed_kernel_exits_one(kernel: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    raw = (SERIAL / "debian-6.12-cloud.raw").read_bytes().replace(b'"locked_errno":22', b'"locked_errno":0')
    fakeqemu.install(tmp_path, monkeypatch, serial=raw, tcg="boot")
    code, out = invoke("--kernel", str(kernel))
    assert code == 1
    failing = [line for line in out.splitlines() if " FAIL " in line]
    assert len(failing) == 1 and failing[0].startswith("refuse-locked")


def test_matrix_json_has_one_document_per_kernel(
    kernel: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fakeqemu.install(tmp_path, monkeypatch, tcg="boot")
    code, out = invoke("--matrix", "--format", "json", "--kernel", str(kernel), "--kernel", str(kernel))
    assert code == 0
    kernels = json.loads(out)["kernels"]
    assert len(kernels) == 2
    assert [claim["id"] for claim in kernels[0]["claims"]] == [claim.id for claim in CLAIMS]
    assert kernels[0]["vm"]["accel"] == "tcg" and kernels[0]["vm"]["kind"] == "bzImage"


def test_the_qemu_command_line_attaches_a_swap_disk(
    kernel: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    log = fakeqemu.install(tmp_path, monkeypatch, tcg="boot")
    invoke("--kernel", str(kernel))
    argv = log.read_text().split()
    drive = argv[argv.index("-drive") + 1]
    assert drive.startswith("file=") and drive.endswith("/swap.img,if=virtio,format=raw,cache=unsafe")
    assert not Path(drive[5:].split(",")[0]).exists()  # a scratch file, gone after the boot


def test_partial_claims_exit_1_only_under_strict_and_sarif_has_a_run_per_kernel(
    kernel: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Booted without the swap disk and without a core dump: one claim unsupported, one partial.
    raw = (SERIAL / "debian-6.12-cloud-nographic.raw").read_bytes()
    fakeqemu.install(tmp_path, monkeypatch, serial=raw, tcg="boot")
    assert invoke("--kernel", str(kernel))[0] == 0
    assert invoke("--kernel", str(kernel), "--strict")[0] == 1
    code, out = invoke("--kernel", str(kernel), "--kernel", str(kernel), "--format", "sarif")
    assert code == 0
    runs = json.loads(out)["runs"]
    assert len(runs) == 2
    kinds = {r["ruleId"]: r["kind"] for r in runs[0]["results"]}
    assert (kinds["probe/reclaim-drops"], kinds["probe/not-dumped"]) == ("notApplicable", "open")
    notes = [n["message"]["text"] for n in runs[0]["invocations"][0]["toolExecutionNotifications"]]
    assert notes[0].startswith("no swap in the guest: no swap disk (/dev/vda)")


def test_auto_accel_reports_the_fallback(
    kernel: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fakeqemu.install(tmp_path, monkeypatch, kvm="refuse", tcg="boot")
    code, out = invoke("--kernel", str(kernel), "--accel", "auto")
    assert code == 0
    assert (
        out.splitlines()[1]
        == "note: KVM failed (qemu-system-x86_64: failed to set MSR 0x10a); fell back to TCG"
    )


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "patchcheck", "probe", *args], capture_output=True, text=True, check=False
    )


@pytest.mark.parametrize(
    "args, message",
    [
        (["--matrix"], "--matrix needs kernels"),
        (["--kernel", "/nonexistent/bzImage"], "kernel image not found or empty"),
        (["--kernel-deb", "/nonexistent.deb"], "kernel package not found"),
        (["--kernel", __file__], "neither a bzImage nor an ELF vmlinux"),
    ],
)
def test_bad_input_is_one_line_and_exit_two(args: list[str], message: str) -> None:
    done = cli(*args)
    assert done.returncode == 2
    assert message in done.stderr and "Traceback" not in done.stderr
    assert done.stdout == ""


def test_bad_accel_and_host_only_options(kernel: Path) -> None:
    done = cli("--kernel", str(kernel), "--accel", "warp")
    assert done.returncode == 2 and "--accel must be one of tcg, kvm, auto" in done.stderr
    done = cli("--kernel", str(kernel), "--simulate", "no-droppable")
    assert done.returncode == 2 and "--simulate applies to the host probe only" in done.stderr
