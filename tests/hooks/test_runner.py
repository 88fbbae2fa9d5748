"""Reading verify's answer: its one-line complaint on failure, its JSON report otherwise."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from patchcheck.hooks.checks import verify_settings
from patchcheck.hooks.runner import _complaint, verify_command
from tests.hooks.conftest import Repo


def test_our_own_error_line_is_taken_whole() -> None:
    stderr = b"patchcheck: error: patch 1/1 'x' does not apply: a.c: hunk #1 does not match\n  context...\n"
    assert _complaint(stderr, 2) == "patch 1/1 'x' does not apply: a.c: hunk #1 does not match"


def test_a_usage_error_box_gives_its_message() -> None:
    stderr = (
        "Usage: patchcheck verify [OPTIONS] SERIES\nTry 'patchcheck verify -h' for help.\n"
        "╭─ Error ─────────╮\n│ No such option: --rev │\n╰─────────────────╯\n"
    ).encode()
    assert _complaint(stderr, 2) == "No such option: --rev"
    assert _complaint(b"", 3) == "patchcheck verify exited with status 3"


def test_verify_is_asked_for_json_at_a_revision_with_the_hooks_settings(tmp_path: Path) -> None:
    settings = verify_settings(["PC201", "proc-doc"], tmp_path / "pc.toml")
    assert settings == ("--disable", "PC201", "--disable", "proc-doc", "--config", str(tmp_path / "pc.toml"))
    assert verify_command("-", tree=tmp_path, rev="abc^", settings=settings)[3:] == [
        "verify",
        "-",
        "--tree",
        str(tmp_path),
        "--rev",
        "abc^",
        *settings,
        "--format",
        "json",
    ]


def test_sendemail_validate_on_an_unreadable_file_is_one_line_and_blocks(repo: Repo, tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "patchcheck", "hook", "sendemail-validate", str(tmp_path / "gone.patch")],
        cwd=repo.path,
        env=repo.env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 2
    assert done.stderr == f"patchcheck: cannot read {tmp_path / 'gone.patch'}: No such file or directory\n"


def test_a_bad_configuration_is_one_line_and_exit_2(repo: Repo, tmp_path: Path) -> None:
    (repo.path / ".patchcheck.toml").write_text('fail-on = "sometimes"\n')
    patch = tmp_path / "0001-x.patch"
    patch.write_text("Subject: [PATCH] x\n\nno diff\n")
    done = subprocess.run(
        [sys.executable, "-m", "patchcheck", "hook", "sendemail-validate", str(patch)],
        cwd=repo.path,
        env=repo.env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 2
    assert done.stderr == (
        f"patchcheck: error: {repo.path / '.patchcheck.toml'}: "
        "fail-on: 'sometimes' is not one of error, warning\n"
    )
