"""One answer: a series checked by `verify`, by the sendemail-validate hook and by `hook b4` (one patch at a
time, as git send-email and b4 prep --check hand them over) gives the same findings, also when the patches
travel base64-encoded."""

from __future__ import annotations

import email
import email.policy
import json
import re
import sys
from email.message import EmailMessage
from pathlib import Path

import pytest

from tests.hooks.conftest import Repo, demo_flag

Finding = tuple[int, str, str, str]  # (patch, severity, message, rule)
_LINE = re.compile(
    r"(?:^|\s)\S+: (error|warning|unresolved|info|ERROR|WARNING|UNRESOLVED|INFO): (.*) \[(PC\d+)\]$"
)


def series(repo: Repo, outdir: Path, *, fixed_later: bool) -> tuple[str, list[Path]]:
    """Patch 1/2 adds VM_DEMO without its smaps mnemonic; 2/2 adds the mnemonic (or only documents it)."""
    base = repo.head()
    repo.commit("mm: add VM_DEMO", demo_flag(mnemonic=False))
    repo.commit(
        "mm: explain VM_DEMO", demo_flag(comment="demo") if fixed_later else {"Documentation/x.rst": "x\n"}
    )
    return base, repo.format_patch(f"{base}..HEAD", outdir, "--cover-letter")


def base64_copy(paths: list[Path], outdir: Path) -> list[Path]:
    """The same messages with their bodies base64-encoded, as some mailers send them."""
    outdir.mkdir()
    copies = []
    for path in paths:
        message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        body = message.get_content()
        message.set_content(body, charset="utf-8", cte="base64")
        copy = outdir / path.name
        copy.write_bytes(message.as_bytes(unixfrom=True))
        assert b"diff --git" not in copy.read_bytes()
        copies.append(copy)
    return copies


def from_verify(repo: Repo, source: Path, base: str) -> set[Finding]:
    done = repo.run(
        sys.executable,
        "-m",
        "patchcheck",
        "verify",
        str(source),
        "--tree",
        ".",
        "--rev",
        base,
        "--format",
        "json",
        check=False,
    )
    assert done.returncode in (0, 1), done.stderr
    return {
        (f["patch"], f["severity"], f["message"], f["rule_id"]) for f in json.loads(done.stdout)["findings"]
    }


def parse(number: int, output: str) -> set[Finding]:
    found = set()
    for line in output.splitlines():
        if match := _LINE.search(line.strip()):
            found.add((number, match.group(1).lower(), match.group(2), match.group(3)))
    return found


def from_hooks(repo: Repo, patches: list[Path]) -> tuple[set[Finding], set[Finding]]:
    sendemail: set[Finding] = set()
    b4: set[Finding] = set()
    for number, path in enumerate(patches[1:], start=1):
        done = repo.run(
            sys.executable, "-m", "patchcheck", "hook", "sendemail-validate", str(path), check=False
        )
        assert "not checked" not in done.stderr, done.stderr
        sendemail |= parse(number, done.stderr)
        done = repo.run(
            sys.executable, "-m", "patchcheck", "hook", "b4", stdin=path.read_bytes(), check=False
        )
        assert "not checked" not in done.stdout, done.stdout
        b4 |= parse(number, done.stdout)
    return sendemail, b4


@pytest.mark.parametrize("fixed_later", [True, False])
@pytest.mark.parametrize("encoded", [False, True])
def test_verify_sendemail_and_b4_agree(repo: Repo, tmp_path: Path, fixed_later: bool, encoded: bool) -> None:
    base, patches = series(repo, tmp_path / "out", fixed_later=fixed_later)
    if encoded:
        patches = base64_copy(patches, tmp_path / "b64")
    expected = from_verify(repo, patches[0].parent, base)
    rules = {f[3] for f in expected}
    # The flag-then-mnemonic series is only a bisection warning on 1/2 (no PC201 error on it); without the
    # mnemonic the error stays, on the patch that added the flag.
    assert rules == ({"PC001"} if fixed_later else {"PC201"}), expected
    assert {f[0] for f in expected} == {1}
    sendemail, b4 = from_hooks(repo, patches)
    assert sendemail == expected
    assert b4 == expected
