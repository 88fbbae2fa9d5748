"""The exit contract: 0 clean, 1 findings, 2 bad input or usage, 3 internal error, each failure one line."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from patchcheck import cli
from tests.hostile.harness import EXAMPLE, check_contract, run, sandbox

SERIES = str(EXAMPLE / "series.mbox")
TREE = str(EXAMPLE / "tree")


@pytest.mark.parametrize(
    "args",
    [
        ("verify", "x", "--bogus"),
        ("flags",),
        ("verify",),
        ("no-such-command",),
        ("verify", SERIES, "--version", "zero"),
        ("hook", "b4", "--nope"),
    ],
)
def test_usage_errors_are_one_line_with_a_hint(tmp_path: Path, args: tuple[str, ...]) -> None:
    out = run(tmp_path, *args, allowed=(2,))
    (line,) = out.stderr.splitlines()
    assert line.startswith("patchcheck: error: ") and "--help" in line, line
    assert "╭" not in out.stderr and "Usage:" not in out.stderr


def test_full_disk_on_stdout_is_one_line_exit_2(tmp_path: Path) -> None:
    with open("/dev/full", "w") as full:
        done = subprocess.run(
            [sys.executable, "-m", "patchcheck", "verify", SERIES, "--tree", TREE],
            stdout=full,
            stderr=subprocess.PIPE,
            env=sandbox(tmp_path),
            check=False,
        )
    stderr = done.stderr.decode()
    assert done.returncode == 2, stderr
    assert stderr.splitlines() == ["patchcheck: error: cannot write the output: No space left on device"]


def test_closed_stdout_is_one_line_exit_2(tmp_path: Path) -> None:
    done = subprocess.run(
        ["sh", "-c", f'exec "{sys.executable}" -m patchcheck verify "{SERIES}" --tree "{TREE}" >&-'],
        stderr=subprocess.PIPE,
        env=sandbox(tmp_path),
        check=False,
    )
    stderr = done.stderr.decode()
    assert done.returncode == 2, stderr
    assert len(stderr.splitlines()) == 1 and "cannot write the output" in stderr


def test_a_reader_that_went_away_ends_the_run_quietly(tmp_path: Path) -> None:
    """`patchcheck audit | head -1`: the reader closing the pipe is no error of anyone's; nothing is said,
    and the status is a SIGPIPE death's, as git's (128 + 13: never "bad input")."""
    read_end, write_end = os.pipe()
    os.close(read_end)  # the reader is gone before the first byte
    try:
        done = subprocess.run(
            [sys.executable, "-m", "patchcheck", "verify", SERIES, "--tree", TREE],
            stdout=write_end,
            stderr=subprocess.PIPE,
            env=sandbox(tmp_path),
            check=False,
        )
    finally:
        os.close(write_end)
    assert done.returncode == 141 and done.stderr.decode() == ""


def _crash(*_args: object, **_kwargs: object) -> None:
    raise ZeroDivisionError("a bug")


def test_an_unexpected_exception_is_one_line_exit_3(
    monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]
) -> None:
    import patchcheck.intake

    monkeypatch.setattr(patchcheck.intake, "load_series", _crash)
    assert cli.run(["verify", SERIES]) == 3
    err = capfd.readouterr().err
    assert err.splitlines() == ["patchcheck: internal error: ZeroDivisionError: a bug"]


def test_debug_shows_the_traceback_of_an_internal_error(
    monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]
) -> None:
    import patchcheck.intake

    monkeypatch.setattr(patchcheck.intake, "load_series", _crash)
    assert cli.run(["--debug", "verify", SERIES]) == 3
    err = capfd.readouterr().err
    assert "Traceback" in err and err.rstrip().endswith(
        "patchcheck: internal error: ZeroDivisionError: a bug"
    )


def test_memory_exhaustion_is_an_internal_error_not_an_abort(
    monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]
) -> None:
    import patchcheck.intake

    def exhausted(*_args: object, **_kwargs: object) -> None:
        raise MemoryError

    monkeypatch.setattr(patchcheck.intake, "load_series", exhausted)
    assert cli.run(["verify", SERIES]) == 3
    assert capfd.readouterr().err.splitlines() == ["patchcheck: internal error: out of memory"]


def test_clean_and_findings_keep_their_statuses(tmp_path: Path) -> None:
    assert run(tmp_path, "verify", SERIES, "--tree", TREE, "--quiet").returncode == 0
    check_contract(run(tmp_path, "--version"))
    assert os.path.exists(TREE)
