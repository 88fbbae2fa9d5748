"""The packs shipped in rules/ are validated here, not again on every run: each is frozen as the parser read
it (patchcheck.rules.packs.shipped) and loads without YAML or the schema validator; any other text (an
edited shipped pack too) is validated."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest

from patchcheck.errors import InputError
from patchcheck.rules.packs import DEFAULT_PACK_DIR
from patchcheck.rules.packs.loader import MODEL_STAMP, load_pack_set, pack_files, parse_pack
from patchcheck.rules.packs.parse import compose
from patchcheck.rules.packs.schema import PACK_SCHEMA
from patchcheck.rules.packs.shipped import FROZEN, known_valid, thawed

REPO = Path(__file__).resolve().parents[2]
FREEZE = "rules/ or the pack parser changed: run scripts/freeze-packs"


def test_every_shipped_pack_is_frozen_as_the_parser_reads_it_now() -> None:
    shipped = pack_files([DEFAULT_PACK_DIR])
    assert shipped, "no pack in rules/"
    assert sorted(p.name for p in FROZEN.glob("*.json")) == sorted(f"{p.name}.json" for p in shipped), FREEZE
    for path in shipped:
        text = path.read_bytes()
        assert thawed(path, text, MODEL_STAMP) == parse_pack(text.decode(), str(path)), FREEZE


@pytest.mark.parametrize("where", ["rules", 'odd dir/with "quotes" and \u00e9'])
def test_a_frozen_pack_names_the_path_it_is_read_from(where: str, tmp_path: Path) -> None:
    shipped = pack_files([DEFAULT_PACK_DIR])[0]
    copy = tmp_path / where / shipped.name
    copy.parent.mkdir(parents=True)
    copy.write_bytes(shipped.read_bytes())
    pack = thawed(copy, copy.read_bytes(), MODEL_STAMP)
    assert pack is not None and pack == parse_pack(copy.read_text(), str(copy))
    assert pack.path == str(copy) and all(rule.origin.startswith(f"{copy}:") for rule in pack.rules)


def test_a_frozen_pack_is_taken_only_for_its_own_text_and_parser() -> None:
    shipped = pack_files([DEFAULT_PACK_DIR])[0]
    text = shipped.read_bytes()
    assert thawed(shipped, text + b"\n", MODEL_STAMP) is None
    assert thawed(shipped, text, "another parser") is None
    assert known_valid(shipped.name, text) and not known_valid(shipped.name, text + b"\n")


@pytest.mark.parametrize("name", [p.name for p in pack_files([DEFAULT_PACK_DIR])])
def test_every_shipped_pack_is_valid_under_the_schema(name: str) -> None:
    data, _ = compose((DEFAULT_PACK_DIR / name).read_text(), name)
    jsonschema.Draft202012Validator(PACK_SCHEMA).validate(data)


def test_the_shipped_packs_load_without_yaml_or_the_schema_validator(tmp_path: Path) -> None:
    code = (
        "import sys\n"
        "from patchcheck.rules.packs.loader import load_pack_set\n"
        "packs = load_pack_set()\n"
        "assert packs.packs and packs.packs[0].rules, 'no rules loaded'\n"
        "print('jsonschema' in sys.modules, 'yaml' in sys.modules)\n"
    )
    env = {**os.environ, "PATCHCHECK_CACHE": str(tmp_path / "cache")}
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, env=env, capture_output=True, text=True, check=True
    )
    assert done.stdout.strip() == "False False"


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
