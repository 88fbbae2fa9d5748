"""The packs shipped in rules/ are validated here, not again on every run: a pack whose text has a shipped
digest loads without the schema validator; any other text (an edited shipped pack too) is validated."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest

from patchcheck.errors import InputError
from patchcheck.rules.packs import DEFAULT_PACK_DIR
from patchcheck.rules.packs.loader import load_pack_set
from patchcheck.rules.packs.parse import compose
from patchcheck.rules.packs.schema import PACK_SCHEMA
from patchcheck.rules.packs.shipped import SHIPPED

REPO = Path(__file__).resolve().parents[2]


def test_every_shipped_pack_is_listed_with_the_digest_of_its_text() -> None:
    shipped = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in DEFAULT_PACK_DIR.glob("*.y*ml")}
    assert shipped, "no pack in rules/"
    assert shipped == SHIPPED, (
        "rules/ changed: set SHIPPED in patchcheck/rules/packs/shipped.py to "
        f"{dict(sorted(shipped.items()))!r}"
    )


@pytest.mark.parametrize("name", sorted(SHIPPED))
def test_every_shipped_pack_is_valid_under_the_schema(name: str) -> None:
    data, _ = compose((DEFAULT_PACK_DIR / name).read_text(), name)
    jsonschema.Draft202012Validator(PACK_SCHEMA).validate(data)


def test_the_shipped_packs_load_without_the_schema_validator(tmp_path: Path) -> None:
    code = (
        "import sys\n"
        "from patchcheck.rules.packs.loader import load_pack_set\n"
        "packs = load_pack_set()\n"
        "assert packs.packs and packs.packs[0].rules, 'no rules loaded'\n"
        "print('jsonschema' in sys.modules)\n"
    )
    env = {**os.environ, "PATCHCHECK_CACHE": str(tmp_path / "cache")}
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, env=env, capture_output=True, text=True, check=True
    )
    assert done.stdout.strip() == "False"


def test_an_edited_shipped_pack_is_validated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    shipped = sorted(DEFAULT_PACK_DIR.glob("*.y*ml"))[0]
    edited = tmp_path / shipped.name
    # the same pack with one rule's severity misspelt: only the schema says it is wrong
    text = shipped.read_text()
    assert "severity: error" in text
    edited.write_text(text.replace("severity: error", "severity: eror", 1))
    monkeypatch.setenv("PATCHCHECK_CACHE", str(tmp_path / "cache"))
    with pytest.raises(InputError) as info:
        load_pack_set([edited], builtin=False)
    assert "severity" in info.value.message and "eror" in info.value.message
