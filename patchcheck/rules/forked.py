"""Work done on a second core: a forked child computes a value and hands it back as plain data.

The registry checkers (Kconfig facts, SAT) and the rule packs (C parsing) share nothing but the tree, so the
engine gives them a core each (patchcheck.rules.states). The child is a fork of this process: it needs no
imports and no setup, it reads the same trees, and it writes into the same disk cache (content-keyed,
atomic). It sends its value back through a pipe as patchcheck.source.plaindata, which can only carry
patchcheck's own data types.

The split may only make a run faster: whatever goes wrong in the child (an exception, a crash, a signal, a
value that does not decode) gives `None`, and the caller does the work itself. The child never returns into
its caller's frames: it ends with os._exit, so no `finally` of the parent's runs twice, and it never writes
to standard output or error.
"""

from __future__ import annotations

import contextlib
import os
import signal
from collections.abc import Callable
from typing import Any

from patchcheck.report.progress import set_progress_enabled
from patchcheck.source import plaindata

_MAX_RESULT = 256 << 20  # bytes a child may hand back; more is refused (the caller does the work)


def second_core_available() -> bool:
    """Fork exists, there is a second core, and PATCHCHECK_JOBS does not say 1."""
    if os.environ.get("PATCHCHECK_JOBS", "").strip() == "1" or not hasattr(os, "fork"):
        return False
    try:
        return len(os.sched_getaffinity(0)) > 1
    except (AttributeError, OSError):
        return (os.cpu_count() or 1) > 1


class Forked:
    """`work()` running in a child process from construction on; `result(shape)` waits for its value."""

    def __init__(self, work: Callable[[], Any], *, on_exit: Callable[[], None] | None = None) -> None:
        self._pid: int | None = None
        read_end, write_end = os.pipe()
        try:
            pid = os.fork()
        except OSError:
            os.close(read_end)
            os.close(write_end)
            self._read = -1
            return
        if pid == 0:  # the child: never leaves this block
            _child(work, read_end, write_end, on_exit)
        os.close(write_end)
        self._pid, self._read = pid, read_end

    def result(self, shape: Any) -> Any:
        """The child's value if it is of type `shape`; None when the child failed in any way."""
        if self._pid is None:
            return None
        chunks: list[bytes] = []
        size = 0
        try:
            while chunk := os.read(self._read, 1 << 20):
                size += len(chunk)
                if size > _MAX_RESULT:
                    chunks = []
                    break
                chunks.append(chunk)
        finally:
            self.close()
        if not chunks or self._status != 0:
            return None
        try:
            value = plaindata.loads(b"".join(chunks))
        except plaindata.BadEntry:
            return None
        return value if plaindata.fits(value, shape) else None

    _status: int | None = None

    def close(self) -> None:
        """End the child (if still running) and reap it; idempotent."""
        if self._pid is None:
            return
        pid, self._pid = self._pid, None
        with contextlib.suppress(OSError):
            os.close(self._read)
        try:
            done, status = os.waitpid(pid, os.WNOHANG)
            if done == 0:
                os.kill(pid, signal.SIGKILL)
                done, status = os.waitpid(pid, 0)
            self._status = os.waitstatus_to_exitcode(status)
        except (OSError, ValueError):
            self._status = -1

    def __enter__(self) -> Forked:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _child(
    work: Callable[[], Any], read_end: int, write_end: int, on_exit: Callable[[], None] | None
) -> None:
    status = 1
    try:
        os.close(read_end)
        # SIGINT/SIGTERM end the child at once: an exception unwinding here would reach the parent's frames.
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        set_progress_enabled(False)
        data = plaindata.dumps(work())
        if on_exit is not None:  # before the value: the parent reaps the child once it has read it all
            on_exit()
        view = memoryview(data)
        while view:
            view = view[os.write(write_end, view) :]
        status = 0
    except BaseException:  # any failure is the parent's cue to do the work itself
        status = 1
    finally:
        os._exit(status)
