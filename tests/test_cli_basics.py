"""The CLI's contract with hooks: usage errors exit 2 with one line, never a traceback."""

from __future__ import annotations

import subprocess
import sys


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "patchcheck", *args], capture_output=True, text=True)


def test_version_prints_and_exits_zero() -> None:
    out = run("--version")
    assert out.returncode == 0
    assert out.stdout.startswith("patchcheck ")


def test_unknown_option_is_a_usage_error() -> None:
    out = run("verify", "--no-such-option")
    assert out.returncode == 2
    assert "Traceback" not in out.stderr
