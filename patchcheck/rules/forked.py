"""Work done on a second core: a forked child computes a value and hands it back as plain data.

The registry checkers (Kconfig facts, SAT) and the rule packs (C parsing) share nothing but the tree, so the
engine gives them a core each (patchcheck.rules.states). The child is a fork of this process: it needs no
imports and no setup, it reads the same trees, and it writes into the same disk cache (content-keyed,
atomic). It sends its value back through a pipe as patchcheck.source.plaindata, which can only carry
patchcheck's own data types.

The split may only make a run faster: whatever goes wrong in the child (an exception, a crash, a signal, a
value that does not arrive whole or does not decode) gives `None`, and the caller does the work itself. The
child never returns into its caller's frames: it ends with os._exit, so no `finally` of the parent's runs
twice, and it never writes to standard output or error.

The child runs `on_exit` (saving to the disk cache) while its value is sent: the parent goes on as soon as
it has the value, and the saves overlap whatever it still does. A child still saving when its value has
arrived is waited for later, and at the latest when this process exits (at most `_SAVE_TIMEOUT` seconds,
then it is ended): until it says its saves are done (it closes a pipe), not until the system has freed it,
which it is reaped after.
"""

from __future__ import annotations

import atexit
import contextlib
import fcntl
import os
import select
import signal
import threading
import time
from collections.abc import Callable
from typing import Any

from patchcheck.report.progress import set_progress_enabled
from patchcheck.source import plaindata

_MAX_RESULT = 256 << 20  # bytes a child may hand back; more is refused (the caller does the work)
_PIPE_MAX = 1 << 20  # the largest pipe asked for (Linux lets any process have one this large by default)
_LENGTH = 8  # the value is sent after its length (bytes, little-endian): a value cut short is no value
_SAVE_TIMEOUT = 30.0  # seconds this process waits at exit for children still saving to the cache
# Children that handed their value over and may still run `on_exit`: pid -> the pipe they close when done.
_saving: dict[int, int] = {}
_ending: list[int] = []  # children done saving, reaped once they have ended


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
        # Closed by the child once its saves are done: the parent waits for that, not for the child's end.
        saved_end, saving_end = os.pipe()
        try:
            pid = os.fork()
        except OSError:
            for fd in (read_end, write_end, saved_end, saving_end):
                os.close(fd)
            self._read = self._saved = -1
            return
        if pid == 0:  # the child: never leaves this block
            os.close(saved_end)
            _child(work, read_end, write_end, on_exit, saving_end)
        os.close(write_end)
        os.close(saving_end)
        self._pid, self._read, self._saved = pid, read_end, saved_end

    def result(self, shape: Any) -> Any:
        """The child's value if it is of type `shape`; None when the child failed in any way."""
        if self._pid is None:
            return None
        chunks: list[bytes] = []
        size = 0
        whole = False
        try:
            while chunk := os.read(self._read, 1 << 20):
                size += len(chunk)
                if size > _LENGTH + _MAX_RESULT:
                    chunks = []
                    break
                chunks.append(chunk)
            sent = b"".join(chunks)
            whole = len(sent) > _LENGTH and int.from_bytes(sent[:_LENGTH], "little") == len(sent) - _LENGTH
        finally:
            self.close(handed_over=bool(chunks) and whole)
        if not whole:
            return None
        try:
            value = plaindata.loads(sent[_LENGTH:])
        except plaindata.BadEntry:
            return None
        return value if plaindata.fits(value, shape) else None

    def close(self, *, handed_over: bool = False) -> None:
        """End the child (if still running) and reap it; idempotent. A child that `handed_over` its value
        is left to finish saving, and reaped later (see the module doc)."""
        if self._pid is None:
            return
        pid, self._pid = self._pid, None
        with contextlib.suppress(OSError):
            os.close(self._read)
        saved, self._saved = self._saved, -1
        _reap_saving()
        try:
            done, _ = os.waitpid(pid, os.WNOHANG)
            if done == 0 and handed_over:
                _saving[pid] = saved
                return
            if done == 0:
                os.kill(pid, signal.SIGKILL)
                os.waitpid(pid, 0)
        except (OSError, ValueError):
            pass
        with contextlib.suppress(OSError):
            os.close(saved)

    def __enter__(self) -> Forked:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _child(
    work: Callable[[], Any],
    read_end: int,
    write_end: int,
    on_exit: Callable[[], None] | None,
    saving_end: int,
) -> None:
    status = 1
    try:
        os.close(read_end)
        # SIGINT/SIGTERM end the child at once: an exception unwinding here would reach the parent's frames.
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        set_progress_enabled(False)
        data = plaindata.dumps(work())
        sent = _send_now(write_end, len(data).to_bytes(_LENGTH, "little") + data)
        # The rest by a thread: a value larger than the pipe holds waits for the parent to read it, which it
        # does once its own work is done, and `on_exit` (the saves) runs meanwhile.
        sender = threading.Thread(target=_send, args=(write_end, sent)) if sent is not None else None
        if sender is not None:
            sender.start()
        status = 0
        try:
            if on_exit is not None:
                on_exit()
        finally:
            if sender is not None:
                sender.join()
    except BaseException:  # a value not sent whole is the parent's cue to do the work itself
        pass
    finally:
        with contextlib.suppress(OSError):
            os.close(saving_end)  # done: before the system frees this process, which takes a while
        os._exit(status)


def _send_now(fd: int, data: bytes) -> memoryview | None:
    """Write what the pipe takes now (made as large as the value, up to what the system allows): the value
    then arrives whole at once, where a thread sending it would wait for `on_exit` to let go of the
    interpreter. What is left to send, or None when all of it was."""
    view = memoryview(data)
    resize = getattr(fcntl, "F_SETPIPE_SZ", None)  # Linux's
    with contextlib.suppress(OSError):  # over the limit: the pipe holds what it holds
        if resize is not None:
            fcntl.fcntl(fd, resize, min(len(data), _PIPE_MAX))
    try:
        os.set_blocking(fd, False)
        while view:
            view = view[os.write(fd, view) :]
    except BlockingIOError:
        pass
    except OSError:  # the parent stopped listening: nothing to tell
        view = view[:0]
    finally:
        with contextlib.suppress(OSError):
            os.set_blocking(fd, True)
    if view:
        return view
    os.close(fd)
    return None


def _send(fd: int, data: bytes | memoryview) -> None:
    view = memoryview(data)
    with contextlib.suppress(OSError):  # the parent stopped listening: nothing to tell
        while view:
            view = view[os.write(fd, view) :]
    os.close(fd)


def wait_for_saves() -> None:
    """Wait for the children still saving what they computed (at most `_SAVE_TIMEOUT` seconds): before
    this process reads what they save."""
    _reap_saving(_SAVE_TIMEOUT)


def _reap_saving(timeout: float = 0.0) -> None:
    """Wait up to `timeout` seconds for the children still saving, ending those that do not finish (with
    no timeout, those still saving are kept for later); reap the children that finished saving once they
    have ended, without waiting for that."""
    deadline = time.monotonic() + timeout
    for pid, saved in list(_saving.items()):
        if _saves_done(saved, max(deadline - time.monotonic(), 0.0)):
            _ending.append(pid)
        elif timeout:
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)
                os.waitpid(pid, 0)
        else:
            continue
        del _saving[pid]
        with contextlib.suppress(OSError):
            os.close(saved)
    _ending[:] = [pid for pid in _ending if not _reaped(pid)]


def _saves_done(saved: int, timeout: float) -> bool:
    """Whether the child has closed its end of the `saved` pipe (done, or ended), waiting up to `timeout`."""
    poller = select.poll()  # not select.select: a descriptor past FD_SETSIZE is fine
    poller.register(saved, select.POLLIN)
    try:
        return bool(poller.poll(int(timeout * 1000)))
    except OSError:
        return True


def _reaped(pid: int) -> bool:
    try:
        return os.waitpid(pid, os.WNOHANG)[0] != 0
    except OSError:  # not our child any more: nothing to wait for
        return True


atexit.register(_reap_saving, _SAVE_TIMEOUT)
