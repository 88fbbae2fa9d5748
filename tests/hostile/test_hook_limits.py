"""The hooks block, with one line, on what they could not check: a time-out, an internal error."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.hostile.harness import EXAMPLE, run


def patch_two() -> bytes:
    """[PATCH v2 2/2] of the bundled example series: a patch with a diff."""
    mbox = (EXAMPLE / "series.mbox").read_bytes()
    return b"From mboxrd@z" + mbox.split(b"\nFrom mboxrd@z")[2]


def test_sendemail_validate_blocks_when_time_runs_out(tmp_path: Path) -> None:
    patch = tmp_path / "0002.patch"
    patch.write_bytes(patch_two())
    out = run(
        tmp_path,
        "hook",
        "sendemail-validate",
        str(patch),
        "--tree",
        str(EXAMPLE / "tree"),
        "--timeout",
        "0.05",
        allowed=(2,),
    )
    assert out.stderr.splitlines() == [
        "patchcheck: 0002.patch: not checked, so not sent: not checked within 0.05 s (raise --timeout)"
    ]


def test_b4_blocks_when_time_runs_out(tmp_path: Path) -> None:
    out = run(
        tmp_path,
        "hook",
        "b4",
        "--tree",
        str(EXAMPLE / "tree"),
        "--timeout",
        "0.05",
        stdin=patch_two(),
        allowed=(2,),
    )
    assert out.stdout.splitlines() == ["ERROR: not checked: not checked within 0.05 s (raise --timeout)"]


def test_b4_review_fails_when_time_runs_out(tmp_path: Path) -> None:
    out = run(
        tmp_path, "hook", "b4-review", "--tree", str(EXAMPLE / "tree"), "--timeout", "0.05", stdin=patch_two()
    )
    (entry,) = json.loads(out.stdout)
    assert entry["status"] == "fail" and "within 0.05 s" in entry["summary"]


def test_a_generous_time_limit_checks_the_patch(tmp_path: Path) -> None:
    out = run(tmp_path, "hook", "b4", "--tree", str(EXAMPLE / "tree"), "--timeout", "60", stdin=patch_two())
    assert "not checked" not in out.stdout


@pytest.mark.parametrize("value", ["nan", "-1", "0", "inf", "soon"])
def test_a_time_limit_that_is_not_a_number_of_seconds_is_a_usage_error(tmp_path: Path, value: str) -> None:
    out = run(tmp_path, "hook", "b4", "--timeout", value, stdin=b"", allowed=(2,))
    assert out.stderr.startswith("patchcheck: error: --timeout:")


def _broken_verify(tmp_path: Path) -> dict[str, str | None]:
    """An environment whose Python processes find patchcheck's intake broken (a sitecustomize makes the
    series loader raise): verify ends with an internal error, exit 3."""
    site = tmp_path / "site"
    site.mkdir()
    (site / "sitecustomize.py").write_text(
        "import patchcheck.intake as intake\n"
        "def _broken(*args, **kwargs):\n    raise RuntimeError('simulated bug')\n"
        "intake.load_series = _broken\n"
    )
    return {"PYTHONPATH": str(site)}


def test_verify_internal_error_is_exit_3_and_one_line(tmp_path: Path) -> None:
    out = run(tmp_path, "verify", "-", stdin=patch_two(), env=_broken_verify(tmp_path), allowed=(3,))
    assert out.stderr.splitlines() == ["patchcheck: internal error: RuntimeError: simulated bug"]


def test_hooks_block_on_an_internal_error(tmp_path: Path) -> None:
    env = _broken_verify(tmp_path)
    patch = tmp_path / "0002.patch"
    patch.write_bytes(patch_two())
    sent = run(
        tmp_path,
        "hook",
        "sendemail-validate",
        str(patch),
        "--tree",
        str(EXAMPLE / "tree"),
        env=env,
        allowed=(2,),
    )
    assert "not checked, so not sent: internal error: RuntimeError: simulated bug" in sent.stderr
    b4 = run(
        tmp_path, "hook", "b4", "--tree", str(EXAMPLE / "tree"), stdin=patch_two(), env=env, allowed=(2,)
    )
    assert b4.stdout.splitlines() == ["ERROR: not checked: internal error: RuntimeError: simulated bug"]
    review = run(tmp_path, "hook", "b4-review", "--tree", str(EXAMPLE / "tree"), stdin=patch_two(), env=env)
    (entry,) = json.loads(review.stdout)
    assert entry["status"] == "fail" and "internal error" in entry["summary"]
