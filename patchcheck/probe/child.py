"""Run one observation in a forked child with a time limit; its record comes back as JSON over a pipe.

Whatever happens in the child (a SIGSEGV from a bad pointer, an endless fault loop, a Python exception) ends
as a record with outcome "crashed", "timeout" or "error" for that observation alone.
"""

from __future__ import annotations

import contextlib
import faulthandler
import json
import math
import os
import select
import signal
import time
import traceback
from collections.abc import Callable
from typing import Any

Record = dict[str, Any]

_MAX_RECORD_BYTES = 1 << 20


def run_in_child(obs_id: str, observe: Callable[[], Record], timeout: float) -> Record:
    """Fork, run `observe()` in the child under an alarm, and return its record (or why there is none)."""
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child's coverage is not collected
        os.close(read_fd)
        _child_main(obs_id, observe, write_fd, timeout)
    os.close(write_fd)
    try:
        data, finished = _read_until(read_fd, time.monotonic() + timeout)
    except BaseException:  # interrupted (SIGINT, SIGTERM): the child must not outlive us, nor hold a cgroup
        _kill(pid)
        os.waitpid(pid, 0)
        raise
    finally:
        os.close(read_fd)
    if not finished:
        _kill(pid)
    _, status = os.waitpid(pid, 0)
    if os.WIFSIGNALED(status):
        sig = os.WTERMSIG(status)
        if not finished or sig == signal.SIGALRM:
            return {"obs": obs_id, "outcome": "timeout", "detail": f"no result within {timeout:g} s"}
        return {
            "obs": obs_id,
            "outcome": "crashed",
            "signal": sig,
            "detail": f"observer killed by {signal.Signals(sig).name}",
        }
    try:
        record = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        return {"obs": obs_id, "outcome": "error", "detail": "observer exited without a readable record"}
    if not isinstance(record, dict):
        return {"obs": obs_id, "outcome": "error", "detail": "observer record is not an object"}
    return record


def _child_main(obs_id: str, observe: Callable[[], Record], write_fd: int, timeout: float) -> None:
    code = 0
    faulthandler.disable()  # a crash is reported by the parent; the child prints nothing
    try:
        signal.signal(signal.SIGALRM, signal.SIG_DFL)
        signal.alarm(min(max(1, math.ceil(timeout)), 86400))
        record = {"obs": obs_id, "outcome": "ok", **observe()}
    except BaseException as exc:  # everything must become a record; the child never returns to the caller
        lines = traceback.format_exception_only(type(exc), exc)
        record = {"obs": obs_id, "outcome": "error", "detail": lines[-1].strip()}
        code = 1
    try:
        payload = json.dumps(record).encode("utf-8")
        view = memoryview(payload)
        while view:
            view = view[os.write(write_fd, view) :]
    finally:
        os._exit(code)


def _read_until(fd: int, deadline: float) -> tuple[bytes, bool]:
    chunks: list[bytes] = []
    size = 0
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return b"".join(chunks), False
        ready, _, _ = select.select([fd], [], [], remaining)
        if not ready:
            continue
        chunk = os.read(fd, 65536)
        if not chunk:
            return b"".join(chunks), True
        size += len(chunk)
        if size > _MAX_RECORD_BYTES:
            return b"", True
        chunks.append(chunk)


def _kill(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)


def fork_and_collect(body: Callable[[], Any], then: Callable[[], None] | None = None) -> tuple[Any, int]:
    """Inside an observation: run `body` in a forked process; return (its JSON result or None, wait status).

    The forked process never returns into the caller's code: after writing its result it runs `then` (e.g.
    abort() to dump core) and exits, whatever happened.
    """
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the forked process
        try:
            os.close(read_fd)
            faulthandler.disable()
            os.write(write_fd, json.dumps(body()).encode("utf-8"))
            os.close(write_fd)
            if then is not None:
                then()
        finally:
            os._exit(0)
    os.close(write_fd)
    with os.fdopen(read_fd, "rb") as pipe:
        data = pipe.read(_MAX_RECORD_BYTES)
    _, status = os.waitpid(pid, 0)
    try:
        return (json.loads(data.decode("utf-8")) if data else None), status
    except (UnicodeDecodeError, json.JSONDecodeError):
        return None, status
