"""Run a process under a watchdog: stop it at a deadline, shortly after it has said it is done, or as soon as
its output shows it will never finish. QEMU may hang forever (a halted guest, a paused KVM guest), so nothing
waits on it without a limit.
"""

from __future__ import annotations

import contextlib
import os
import selectors
import signal
import subprocess
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

# (stdout so far, stderr so far, seconds elapsed) -> a reason to stop now, or None to keep going.
GiveUp = Callable[[bytes, bytes, float], str | None]


@dataclass(frozen=True)
class WatchedRun:
    stdout: bytes
    stderr: bytes
    returncode: int | None  # None when we had to kill it
    seconds: float
    stop_reason: str  # "exited", "done" (killed after it said it was done), "timeout", or a give-up reason

    @property
    def timed_out(self) -> bool:
        return self.stop_reason == "timeout"


def run_watched(
    argv: Sequence[str],
    *,
    timeout: float,
    done: Callable[[bytes], bool] = lambda _out: False,
    grace: float = 2.0,
    give_up: GiveUp | None = None,
) -> WatchedRun:
    """Run `argv`, collecting stdout and stderr, and kill its whole process group when it overstays.

    `done(stdout)` true starts a `grace` period for a clean exit; then the process is killed. `timeout` bounds
    the whole run.
    """
    start = time.monotonic()
    proc = subprocess.Popen(
        argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True
    )
    assert proc.stdout is not None and proc.stderr is not None
    chunks = {proc.stdout.fileno(): bytearray(), proc.stderr.fileno(): bytearray()}
    out, err = chunks[proc.stdout.fileno()], chunks[proc.stderr.fileno()]
    selector = selectors.DefaultSelector()
    for stream in (proc.stdout, proc.stderr):
        os.set_blocking(stream.fileno(), False)
        selector.register(stream, selectors.EVENT_READ)
    deadline = start + timeout
    stop_reason = "timeout"
    done_seen = False
    try:
        while selector.get_map():
            now = time.monotonic()
            if now >= deadline:
                break
            for key, _ in selector.select(timeout=min(0.2, deadline - now)):
                data = os.read(key.fd, 65536)
                if data:
                    chunks[key.fd] += data
                else:
                    selector.unregister(key.fileobj)
            if not done_seen and done(bytes(out)):
                done_seen = True
                stop_reason = "done"
                deadline = min(deadline, time.monotonic() + grace)
            reason = give_up(bytes(out), bytes(err), time.monotonic() - start) if give_up else None
            if reason and not done_seen:
                stop_reason = reason
                break
        else:
            stop_reason = "exited"
    finally:
        selector.close()
        returncode = _reap(proc, kill=stop_reason != "exited")
    for stream in (proc.stdout, proc.stderr):
        stream.close()
    return WatchedRun(bytes(out), bytes(err), returncode, time.monotonic() - start, stop_reason)


def _reap(proc: subprocess.Popen[bytes], *, kill: bool) -> int | None:
    if not kill:
        try:
            return proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            pass  # closed its pipes but lingers: kill it like any overstayer
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    return None
