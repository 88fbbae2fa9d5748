"""The fork-and-time-limit runner: whatever the observation does, the caller gets a record back."""

from __future__ import annotations

import ctypes
import os
import signal
import time

from patchcheck.probe.child import Record, run_in_child


def test_a_record_comes_back_over_the_pipe() -> None:
    assert run_in_child("x", lambda: {"pid": os.getpid()}, 5)["pid"] != os.getpid()


def test_a_segfault_is_a_crashed_record_not_a_dead_tool() -> None:
    def crash() -> Record:
        ctypes.string_at(8, 1)  # reads unmapped address 8: SIGSEGV (0 would be taken as NULL, not read)
        return {}

    record = run_in_child("x", crash, 5)
    assert record == {
        "obs": "x",
        "outcome": "crashed",
        "signal": signal.SIGSEGV,
        "detail": "observer killed by SIGSEGV",
    }


def test_a_bus_error_is_reported_with_its_signal() -> None:
    def bus() -> Record:
        os.kill(os.getpid(), signal.SIGBUS)
        return {}

    assert run_in_child("x", bus, 5)["signal"] == signal.SIGBUS


def test_an_endless_observation_times_out() -> None:
    def hang() -> Record:
        signal.signal(signal.SIGALRM, signal.SIG_IGN)  # even ignoring the child's own alarm does not help it
        while True:
            time.sleep(1)

    start = time.monotonic()
    record = run_in_child("x", hang, 1)
    assert record["outcome"] == "timeout"
    assert time.monotonic() - start < 5


def test_an_exception_is_an_error_record() -> None:
    def fail() -> Record:
        raise OSError(12, "mmap of the control")

    record = run_in_child("x", fail, 5)
    assert record["outcome"] == "error"
    assert "mmap of the control" in record["detail"]
