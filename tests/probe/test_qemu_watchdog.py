"""The watchdog around QEMU, with fake processes standing in for a hung or a well-behaved guest."""

from __future__ import annotations

import os
import sys
import time

from patchcheck.probe.vm.watchdog import run_watched

PY = sys.executable


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_hanging_process_is_killed_at_the_deadline() -> None:
    started = time.monotonic()
    run = run_watched([PY, "-c", "import time; print('booting', flush=True); time.sleep(60)"], timeout=1.0)
    assert run.timed_out and run.returncode is None
    assert run.stdout == b"booting\n"
    assert time.monotonic() - started < 10


def test_grandchild_holding_the_pipe_is_killed_too(tmp_path: object) -> None:
    # QEMU's helpers could inherit its stdout; the whole process group goes, or the pipe never closes.
    script = (
        "import subprocess, sys, time\n"
        "child = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)'])\n"
        "print(child.pid, flush=True)\n"
        "time.sleep(60)\n"
    )
    run = run_watched([PY, "-c", script], timeout=1.5)
    assert run.timed_out
    grandchild = int(run.stdout.split()[0])
    for _ in range(50):
        if not _alive(grandchild):
            break
        time.sleep(0.1)
    assert not _alive(grandchild)


def test_done_marker_then_hang_is_killed_after_the_grace_period() -> None:
    # A guest that printed its end marker and then halted (no ACPI power-off) instead of exiting.
    script = "import time; print('END', flush=True); time.sleep(60)"
    run = run_watched([PY, "-c", script], timeout=30, done=lambda out: b"END" in out, grace=0.5)
    assert run.stop_reason == "done" and run.returncode is None
    assert run.seconds < 10


def test_done_then_clean_exit_counts_as_exited() -> None:
    run = run_watched([PY, "-c", "print('END')"], timeout=30, done=lambda out: b"END" in out, grace=5)
    assert run.stop_reason == "exited" and run.returncode == 0


def test_exit_status_and_stderr_are_collected() -> None:
    run = run_watched([PY, "-c", "import sys; sys.stderr.write('oops'); sys.exit(3)"], timeout=30)
    assert (run.stop_reason, run.returncode, run.stderr) == ("exited", 3, b"oops")


def test_give_up_stops_a_stalled_run_early() -> None:
    # KVM failing on PVM: QEMU prints an internal error and pauses the guest forever.
    script = "import sys, time; sys.stderr.write('KVM internal error\\n'); sys.stderr.flush(); time.sleep(60)"

    def give_up(out: bytes, err: bytes, elapsed: float) -> str | None:
        return "KVM internal error" if b"KVM internal error" in err else None

    run = run_watched([PY, "-c", script], timeout=30, give_up=give_up)
    assert run.stop_reason == "KVM internal error" and run.returncode is None
    assert run.seconds < 10


def test_large_output_is_read_whole() -> None:
    run = run_watched([PY, "-c", "import sys; sys.stdout.write('x' * 1_000_000)"], timeout=30)
    assert len(run.stdout) == 1_000_000 and run.stop_reason == "exited"
