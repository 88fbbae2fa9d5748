"""Run `patchcheck verify` on one message for a hook, and read its JSON report back.

The hooks call verify as a separate process with `--format json`, through the same command line a person
uses: whatever verify learns (rules, model) the hooks get, and an input error stays verify's one line.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from patchcheck.hooks.gitcmd import clean_env
from patchcheck.report.finding import Report
from patchcheck.report.jsonout import from_json
from patchcheck.report.summary import SeriesSummary


@dataclass(frozen=True)
class VerifyOutcome:
    report: Report | None  # None when verify could not check the input
    summary: SeriesSummary | None
    error: str | None  # verify's own one-line complaint (exit status 2), without the "patchcheck: " prefix

    @property
    def checked(self) -> bool:
        return self.report is not None


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
    try:
        done = subprocess.run(
            verify_command(source, tree=tree, rev=rev, settings=settings),
            input=stdin, capture_output=True, cwd=cwd, env=clean_env(), check=False,
        )
    except OSError as exc:
        return VerifyOutcome(None, None, f"cannot run patchcheck verify: {exc.strerror or exc}")
    if done.returncode not in (0, 1):
        return VerifyOutcome(None, None, _complaint(done.stderr, done.returncode))
    try:
        report, summary = from_json(json.loads(done.stdout))
    except ValueError as exc:  # json.JSONDecodeError is a ValueError
        return VerifyOutcome(None, None, f"patchcheck verify printed no JSON report ({exc})")
    return VerifyOutcome(report, summary, None)
