"""A stand-in for qemu-system-x86_64: a script that behaves, per acceleration, as QEMU did on real runs."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from patchcheck.probe.vm import qemu

SERIAL = Path(__file__).parent / "serial"

_SCRIPT = """\
import sys, time
args = sys.argv[1:]
accel = args[args.index("-accel") + 1]
with open({log!r}, "a") as log:
    log.write(" ".join(args) + "\\n")
mode = {modes!r}[accel]
if mode == "kvm-internal-error":
    sys.stderr.write("KVM internal error. Suberror: 1\\n"); sys.stderr.flush(); time.sleep(60)
elif mode == "refuse":
    sys.stderr.write("qemu-system-x86_64: failed to set MSR 0x10a\\n"); sys.exit(1)
elif mode == "boot-then-halt":
    sys.stdout.buffer.write(open({serial!r}, "rb").read()); sys.stdout.flush(); time.sleep(60)
elif mode == "boot":
    sys.stdout.buffer.write(open({serial!r}, "rb").read())
"""


def install(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, serial: bytes | None = None, **modes: str
) -> Path:
    """Make the runner use the fake; `serial` is what a booting guest prints (default: Debian 6.12's run).
    Returns the file where each QEMU command line is logged."""
    log = tmp_path / "argv.log"
    output = tmp_path / "serial.raw"
    output.write_bytes(serial if serial is not None else (SERIAL / "debian-6.12-cloud.raw").read_bytes())
    script = tmp_path / "fake-qemu"
    script.write_text(f"#!{sys.executable}\n" + _SCRIPT.format(log=str(log), modes=modes, serial=str(output)))
    script.chmod(0o755)
    monkeypatch.setattr(qemu, "qemu_binary", lambda: str(script))
    monkeypatch.setattr(qemu, "kvm_usable", lambda: True)
    return log
