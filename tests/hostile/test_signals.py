"""Clean exit: SIGTERM or SIGINT leaves nothing behind (input is read in memory, temporary files and a
probe's child and cgroup are removed), and the exit is quiet."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from patchcheck.probe import child
from tests.hostile.generators import many_patches
from tests.hostile.harness import sandbox


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_a_signal_leaves_nothing_behind(tmp_path: Path, sig: signal.Signals) -> None:
    env = sandbox(tmp_path)
    mbox = tmp_path / "series.mbox"
    mbox.write_bytes(many_patches(1500))  # an mbox: the old intake copied it to $TMPDIR to split it
    proc = subprocess.Popen(
        [sys.executable, "-m", "patchcheck", "verify", str(mbox)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    time.sleep(1.5)
    proc.send_signal(sig)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode in (0, 128 + sig, -sig), err
    assert b"Traceback" not in err
    assert not list((tmp_path / "tmp").iterdir())
    assert not list((tmp_path / "cache").rglob(".tmp-*"))


def test_an_interrupted_probe_kills_its_child(monkeypatch: pytest.MonkeyPatch) -> None:
    """The parent interrupted while it waits: the observing child (which may hold a cgroup) is killed and
    reaped before the interruption goes on, so `own_cgroup` can remove the cgroup."""
    started: list[int] = []

    def interrupted(fd: int, deadline: float) -> tuple[bytes, bool]:
        started.append(1)
        raise KeyboardInterrupt

    monkeypatch.setattr(child, "_read_until", interrupted)
    before = _children()
    with pytest.raises(KeyboardInterrupt):
        child.run_in_child("sleepy", lambda: (time.sleep(30), {})[1], timeout=30)
    assert started and _children() == before


def _children() -> set[int]:
    mine = os.getpid()
    found = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == mine:
                found.add(int(entry.name))
    return found
