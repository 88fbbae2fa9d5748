"""The QEMU runner's decisions, with a fake qemu-system-x86_64 (a script) standing in for the real one:
KVM falling back to TCG, QEMU that cannot start, a guest that halts after its end marker."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from patchcheck.errors import InputError
from patchcheck.probe.vm import qemu
from patchcheck.probe.vm.kernels import KernelImage
from tests.probe import fakeqemu

IMAGE = KernelImage(Path("/k/bzImage"), "bzImage", "6.12.0-test", "bzImage")
FakeQemu = Callable[..., Path]  # install(kvm=mode, tcg=mode) -> the log of command lines


@pytest.fixture
def fake_qemu(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> FakeQemu:
    return lambda **modes: fakeqemu.install(tmp_path, monkeypatch, **modes)


def test_auto_falls_back_to_tcg_when_kvm_fails(fake_qemu: FakeQemu) -> None:
    log = fake_qemu(kvm="kvm-internal-error", tcg="boot")
    booted = qemu.boot(IMAGE, b"cpio", accel="auto", timeout=30)
    assert booted.accel == "tcg" and booted.output.complete
    assert booted.notes == ["KVM failed (KVM internal error); fell back to TCG"]
    runs = log.read_text().splitlines()
    assert ["-accel kvm" in runs[0], "-accel tcg" in runs[1]] == [True, True]
    assert "-cpu host" in runs[0] and "-cpu" not in runs[1]


def test_auto_falls_back_when_qemu_refuses_kvm(fake_qemu: FakeQemu) -> None:
    fake_qemu(kvm="refuse", tcg="boot")
    booted = qemu.boot(IMAGE, b"cpio", accel="auto", timeout=30)
    assert booted.accel == "tcg"
    assert booted.notes == ["KVM failed (qemu-system-x86_64: failed to set MSR 0x10a); fell back to TCG"]


def test_auto_keeps_kvm_when_it_works(fake_qemu: FakeQemu) -> None:
    fake_qemu(kvm="boot", tcg="refuse")
    booted = qemu.boot(IMAGE, b"cpio", accel="auto", timeout=30)
    assert booted.accel == "kvm" and booted.notes == [] and booted.output.complete


def test_explicit_kvm_that_cannot_start_is_an_input_error(fake_qemu: FakeQemu) -> None:
    fake_qemu(kvm="refuse", tcg="boot")
    with pytest.raises(InputError, match=r"QEMU could not start the guest \(kvm\): .*MSR 0x10a"):
        qemu.boot(IMAGE, b"cpio", accel="kvm", timeout=30)


def test_guest_that_halts_after_its_end_marker_is_killed_and_judged(fake_qemu: FakeQemu) -> None:
    fake_qemu(tcg="boot-then-halt")
    booted = qemu.boot(IMAGE, b"cpio", accel="tcg", timeout=30)
    assert booted.run.stop_reason == "done" and booted.output.complete
    assert booted.run.seconds < 15


def test_command_line_follows_the_notes(tmp_path: Path, fake_qemu: FakeQemu) -> None:
    fake_qemu()
    argv = qemu.qemu_argv(IMAGE, tmp_path / "rd", "tcg", ["pressure"])
    joined = " ".join(argv[1:])
    for part in ("-nodefaults", "-display none", "-serial stdio", "-no-reboot", "-accel tcg", "-m 128"):
        assert part in joined
    assert argv[-1] == "console=ttyS0 loglevel=5 panic=-1 rdinit=/init -- pressure"
