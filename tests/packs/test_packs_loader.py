"""Rule packs load, and a bad pack is refused with its file and the line of the mistake."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from patchcheck.errors import InputError
from patchcheck.rules.packs import DEFAULT_PACK_DIR, load_packs, pack_rule_docs, parse_pack
from patchcheck.rules.packs.loader import load_pack_set

GOOD = textwrap.dedent("""\
    pack: tiny
    properties:
      never-locked:
        doc: never mlocked
    flags:
      VM_FOO:
        properties: [never-locked]
    rules:
      - id: PC690
        name: foo-mlock
        title: mlock refuses VM_FOO
        severity: error
        applies_to: [never-locked]
        members:
          - file: mm/mlock.c
            function: mlock_fixup
        fix: test it
        doc: the doc
    """)


def _error(text: str) -> str:
    with pytest.raises(InputError) as info:
        parse_pack(text, "packs/bad.yaml")
    return info.value.message


def test_builtin_pack_loads_with_pc6_and_pc7_rules() -> None:
    docs = pack_rule_docs()
    ids = [d.id for d in docs]
    assert len(ids) == len(set(ids))
    assert {"PC601", "PC606", "PC612", "PC613", "PC614", "PC615"} <= set(ids)
    assert {"PC701", "PC702", "PC703", "PC704"} <= set(ids)
    pc606 = next(d for d in docs if d.id == "PC606")
    assert pc606.origin.startswith(str(DEFAULT_PACK_DIR / "droppable.yaml"))
    assert "R23" in pc606.scope and "mm/mlock.c" in pc606.needs


def test_good_pack_parses() -> None:
    pack = parse_pack(GOOD, "tiny.yaml")
    assert pack.rules[0].members[0].site.function == "mlock_fixup"
    assert pack.rules[0].members[0].line == 15
    assert pack.flags["VM_FOO"].properties == ("never-locked",)


def test_yaml_syntax_error_names_line() -> None:
    assert _error("pack: x\nrules:\n  - id: [PC601\n").startswith("packs/bad.yaml:4:")


def test_schema_error_names_line_of_the_bad_value() -> None:
    bad = GOOD.replace("function: mlock_fixup", "function: 12mlock")
    message = _error(bad)
    assert message.startswith("packs/bad.yaml:16:"), message
    assert "rules/0/members/0/function" in message


def test_unknown_key_is_refused_with_line() -> None:
    bad = GOOD.replace("    fix: test it\n", "    fix: test it\n    fixx: typo\n")
    message = _error(bad)
    assert message.startswith("packs/bad.yaml:9:") and "fixx" in message


def test_bad_rule_id_and_severity() -> None:
    assert "PC690x" in _error(GOOD.replace("PC690", "PC690x"))
    assert _error(GOOD.replace("severity: error", "severity: fatal")).startswith("packs/bad.yaml:12:")


def test_duplicate_key_and_duplicate_rule_id() -> None:
    assert _error(GOOD.replace("    fix: test it\n", "    fix: test it\n    fix: again\n")).startswith(
        "packs/bad.yaml:18:"
    )
    twice = GOOD + GOOD[GOOD.index("  - id: PC690") :]
    assert "PC690 used twice" in _error(twice)


def test_bad_regex_in_claims_names_line() -> None:
    bad = GOOD + "claims:\n  - property: never-locked\n    phrases: ['ok', '(unclosed']\n"
    message = _error(bad)
    assert message.startswith("packs/bad.yaml:21:") and "regular expression" in message


def test_member_with_two_ways_of_testing() -> None:
    bad = GOOD.replace(
        "function: mlock_fixup\n",
        "function: mlock_fixup\n        creation: true\n        guards_calls: [f]\n",
    )
    assert "twice" in _error(bad)


def test_special_kind_needs_its_params() -> None:
    bad = GOOD.replace(
        "    applies_to: [never-locked]\n", "    kind: read-after-call\n    params: {file: mm/memory.c}\n"
    )
    message = _error(bad)
    assert message.startswith("packs/bad.yaml:") and "params.calls" in message


def test_family_rule_without_members() -> None:
    bad = GOOD.replace("    members:\n      - file: mm/mlock.c\n        function: mlock_fixup\n", "")
    assert "without members" in _error(bad)


def test_unknown_property_reference(tmp_path: Path) -> None:
    (tmp_path / "p.yaml").write_text(GOOD.replace("applies_to: [never-locked]", "applies_to: [nevr-locked]"))
    with pytest.raises(InputError, match="unknown property 'nevr-locked'"):
        load_pack_set([tmp_path], builtin=False)


def test_extra_pack_dir_adds_rules_and_clashing_ids_are_refused(tmp_path: Path) -> None:
    (tmp_path / "tiny.yaml").write_text(GOOD)
    ids = {d.id for d in load_packs([tmp_path])[0].rules}
    assert "PC690" in ids and "PC601" in ids
    (tmp_path / "tiny.yaml").write_text(GOOD.replace("PC690", "PC601"))
    with pytest.raises(InputError, match="PC601 already defined"):
        load_packs([tmp_path])


def test_missing_pack_dir_and_non_mapping(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="does not exist"):
        load_packs([tmp_path / "nope"])
    assert _error("- a\n- b\n").startswith("packs/bad.yaml:1:")
    assert "empty" in _error("")
    assert "unsupported YAML tag" in _error("pack: !!python/name:os.system x\nrules: []\n")


def test_documented_example_pack_works(tmp_path: Path) -> None:
    from patchcheck.rules.base import CheckContext
    from patchcheck.source.tree import DirectoryTree

    section = (Path(__file__).resolve().parents[2] / "docs" / "packs.md").read_text()
    example = section[section.index("```yaml\n") + 8 : section.index("```\n", section.index("```yaml"))]
    (tmp_path / "my.yaml").write_text(example)
    checker = load_packs([tmp_path])[0]
    tree = DirectoryTree(Path(__file__).resolve().parents[2] / "fixtures" / "packs" / "tree")
    findings = list(checker.run(CheckContext(tree=tree, flags=frozenset({"VM_FOO"}))))
    assert [(f.rule_id, f.location.path if f.location else None) for f in findings] == [("PC690", "mm/ksm.c")]


def test_libyaml_and_pure_python_read_a_pack_alike(monkeypatch: pytest.MonkeyPatch) -> None:
    import yaml

    from patchcheck.rules.packs import parse

    if not hasattr(yaml, "CSafeLoader"):
        pytest.skip("PyYAML here has no libyaml")
    builtin = (DEFAULT_PACK_DIR / "droppable.yaml").read_text()
    bad = ["pack: x\nrules: [\n  - a\n  b: c\n", "pack: x\npack: y\n", "pack: x\nrules: &a []\nclaims: *a\n"]
    read = []
    for loader in (yaml.SafeLoader, yaml.CSafeLoader):
        monkeypatch.setattr(parse, "_LOADER", loader)
        read.append((parse_pack(builtin, "droppable.yaml"), [_error(text) for text in bad]))
    assert read[0] == read[1]
    assert [message.split(": ", 1)[0] for message in read[1][1]] == [
        "packs/bad.yaml:3",
        "packs/bad.yaml:2",
        "packs/bad.yaml:2",
    ]
