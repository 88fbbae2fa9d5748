"""The hooks see what verify sees (a base64-encoded bad patch blocks in every hook), and odd option values
and settings files are one line, exit 2."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.hostile.generators import bad_patch, base64_encoded
from tests.hostile.harness import EXAMPLE, run

TREE = str(EXAMPLE / "tree")


@pytest.mark.parametrize("encode", [False, True], ids=["plain", "base64"])
def test_a_bad_patch_blocks_sendemail_validate(tmp_path: Path, encode: bool) -> None:
    patch = tmp_path / "0001-bad.patch"
    patch.write_bytes(base64_encoded(bad_patch()) if encode else bad_patch())
    out = run(tmp_path, "hook", "sendemail-validate", str(patch), "--tree", TREE)
    assert out.returncode == 1
    assert "VM_SCRATCH has no smaps mnemonic" in out.stderr and "not sending" in out.stderr


@pytest.mark.parametrize("encode", [False, True], ids=["plain", "base64"])
def test_a_bad_patch_blocks_hook_b4(tmp_path: Path, encode: bool) -> None:
    message = base64_encoded(bad_patch()) if encode else bad_patch()
    out = run(tmp_path, "hook", "b4", "--tree", TREE, stdin=message)
    assert out.returncode == 1
    assert any(
        line.startswith("include/linux/mm.h:") and "ERROR:" in line and "[PC201]" in line
        for line in out.stdout.splitlines()
    ), out.stdout


@pytest.mark.parametrize("encode", [False, True], ids=["plain", "base64"])
def test_a_bad_patch_fails_hook_b4_review(tmp_path: Path, encode: bool) -> None:
    message = base64_encoded(bad_patch()) if encode else bad_patch()
    out = run(tmp_path, "hook", "b4-review", "--tree", TREE, stdin=message)
    (entry,) = json.loads(out.stdout)
    assert entry["status"] == "fail" and "1 error" in entry["summary"]


@pytest.mark.parametrize("value", ["nan", "inf", "-inf"])
def test_probe_timeout_must_be_a_number_of_seconds(tmp_path: Path, value: str) -> None:
    out = run(tmp_path, "probe", "--timeout", value, allowed=(2,))
    assert out.stderr.startswith("patchcheck: error: ") and "--timeout" in out.stderr


def test_a_deeply_nested_settings_file_is_one_line(tmp_path: Path) -> None:
    config = tmp_path / "deep.toml"
    config.write_text("a = " + "[" * 100_000 + "]" * 100_000 + "\n")
    out = run(tmp_path, "verify", str(EXAMPLE / "series.mbox"), "--config", str(config), allowed=(2,))
    assert "deep.toml: not usable TOML: nested too deeply" in out.stderr
