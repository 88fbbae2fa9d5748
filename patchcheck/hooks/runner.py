"""Run `patchcheck verify` on one message for a hook, and read its JSON report back.

The hooks call verify as a separate process with `--format json`, through the same command line a person
uses: whatever verify learns (rules, model) the hooks get, and an input error stays verify's one line.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from patchcheck.errors import EXIT_USAGE
from patchcheck.hooks import memo
from patchcheck.hooks.gitcmd import clean_env
from patchcheck.report.finding import Report
from patchcheck.report.jsonout import from_json
from patchcheck.report.summary import SeriesSummary


@dataclass(frozen=True)
class VerifyOutcome:
    report: Report | None  # None when verify could not check the input
    summary: SeriesSummary | None
    error: str | None  # verify's own one-line complaint (exit status 2), without the "patchcheck: " prefix
    # verify's exit status; TIMED_OUT when it ran out of time. 2 is bad input, anything else a failure to
    # check at all (an internal error, a time-out) that every hook blocks on.
    status: int = 0

    @property
    def checked(self) -> bool:
        return self.report is not None

    @property
    def blocks(self) -> bool:
        """Not checked for a reason that is not about where the patch applies: a hook must not let it pass."""
        if self.report is not None:
            return False
        return self.status != EXIT_USAGE or "does not apply" not in (self.error or "")


def verify_command(source: str, *, tree: Path, rev: str | None, settings: Sequence[str] = ()) -> list[str]:
    command = [sys.executable, "-m", "patchcheck", "verify", source, "--tree", str(tree)]
    if rev is not None:
        command += ["--rev", rev]
    return [*command, *settings, "--format", "json"]


def _complaint(stderr: bytes, returncode: int) -> str:
    # Box-drawing characters frame typer's usage errors; strip them to get at the words.
    lines = [ln.strip("│╭╰╮╯─ \t") for ln in stderr.decode("utf-8", "replace").splitlines()]
    lines = [ln for ln in lines if ln]
    ours = [ln for ln in lines if ln.startswith("patchcheck:")]
    after_error = [ln for i, ln in enumerate(lines) if i and lines[i - 1].startswith("Error")]
    first = (ours or after_error or lines or [""])[0]
    first = first.removeprefix("patchcheck:").strip().removeprefix("error:").strip()
    return first or f"patchcheck verify exited with status {returncode}"


TIMED_OUT = -1
DEFAULT_TIMEOUT = 60.0  # seconds a hook may take (--timeout)
_deadline: list[float] = []  # time.monotonic() by which every verify of this hook run must be done
_limit: list[float] = [DEFAULT_TIMEOUT]


def set_time_limit(seconds: float) -> None:
    """The hook's time budget, shared by every verify it runs from now on."""
    _deadline[:] = [time.monotonic() + seconds]
    _limit[:] = [seconds]


def _remaining() -> float:
    if not _deadline:
        set_time_limit(DEFAULT_TIMEOUT)
    return max(_deadline[0] - time.monotonic(), 0.01)


def _run(
    command: list[str], stdin: bytes | None, cwd: Path | None, timeout: float | None
) -> tuple[int, bytes, bytes]:
    """Run verify; past the time limit it is asked to stop (SIGTERM: it cleans up), then killed."""
    with subprocess.Popen(
        command,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=cwd,
        env=clean_env(),
    ) as proc:
        try:
            out, err = proc.communicate(stdin, timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.terminate()
            try:
                proc.communicate(timeout=5)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.communicate()
            return TIMED_OUT, b"", b""
        except BaseException:  # the hook itself was interrupted: verify does not run on alone
            proc.kill()
            raise
        return proc.returncode, out, err


def run_verify(
    message: bytes | Path,
    *,
    tree: Path,
    rev: str | None,
    settings: Sequence[str] = (),
    cwd: Path | None = None,
) -> VerifyOutcome:
    source = str(message) if isinstance(message, Path) else "-"
    stdin = None if isinstance(message, Path) else message
    key = memo.report_key(stdin, tree=tree, rev=rev, settings=settings) if stdin is not None else None
    known = memo.recall(key) if cwd is None else None  # another patch of this series was checked already
    if known is not None:
        return _outcome(known[0], known[1].encode(), b"")
    try:
        status, stdout, stderr = _run(
            verify_command(source, tree=tree, rev=rev, settings=settings), stdin, cwd, _remaining()
        )
    except OSError as exc:
        return VerifyOutcome(None, None, f"cannot run patchcheck verify: {exc.strerror or exc}", 3)
    outcome = _outcome(status, stdout, stderr)
    if outcome.report is not None and cwd is None:
        memo.keep(key, status, stdout.decode("utf-8", "surrogateescape"))
    return outcome


def _outcome(status: int, stdout: bytes, stderr: bytes) -> VerifyOutcome:
    if status == TIMED_OUT:
        return VerifyOutcome(None, None, f"not checked within {_limit[0]:g} s (raise --timeout)", status)
    if status not in (0, 1):
        return VerifyOutcome(None, None, _complaint(stderr, status), status)
    try:
        report, summary = from_json(json.loads(stdout))
    except ValueError as exc:  # json.JSONDecodeError is a ValueError
        return VerifyOutcome(None, None, f"patchcheck verify printed no JSON report ({exc})", 3)
    return VerifyOutcome(report, summary, None, status)
