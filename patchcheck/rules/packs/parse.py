"""Parse one rule pack: YAML with the line of every node, validated against the JSON Schema.

Kept apart from loader.py so that a warm run, which takes the packs from the cache, never imports YAML or
jsonschema; a cold run that loads only the shipped packs imports YAML alone.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from typing import Any

import yaml
from yaml.constructor import SafeConstructor
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from patchcheck.errors import InputError
from patchcheck.report.finding import Severity
from patchcheck.rules.packs.schema import PACK_SCHEMA, SPECIAL_PARAMS
from patchcheck.rules.packs.spec import (
    ClaimSpec,
    Discovery,
    Exemption,
    FlagSpec,
    Member,
    Pack,
    PackRule,
    PropertySpec,
    Site,
)

# libyaml's parser when PyYAML has it (the same nodes and marks, about 10x faster than the pure-Python one)
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

Path_ = tuple[str | int, ...]


def _lines(
    node: Node, path: Path_, table: dict[Path_, int], where: str, seen: set[int] | None = None
) -> None:
    """Record the 1-based line of every value by its JSON path; refuse duplicate keys and aliases."""
    seen = set() if seen is None else seen
    if id(node) in seen:  # an alias: refused, so that no pack can expand exponentially
        raise InputError(f"{where}:{node.start_mark.line + 1}: YAML anchors and aliases are not allowed")
    seen.add(id(node))
    table[path] = node.start_mark.line + 1
    if isinstance(node, MappingNode):
        keys: set[str] = set()
        for key, value in node.value:
            name = str(key.value)
            if name in keys:
                raise InputError(f"{where}:{key.start_mark.line + 1}: duplicate key {name!r}")
            keys.add(name)
            table[(*path, name)] = key.start_mark.line + 1
            _lines(value, (*path, name), table, where, seen)
    elif isinstance(node, SequenceNode):
        for index, item in enumerate(node.value):
            _lines(item, (*path, index), table, where, seen)


def _line_for(path: Iterable[str | int], table: dict[Path_, int]) -> int:
    key = tuple(path)
    while key and key not in table:
        key = key[:-1]
    return table.get(key, 1)


def compose(source: str, where: str) -> tuple[Any, dict[Path_, int]]:
    try:
        try:
            node = yaml.compose(source, Loader=_LOADER)
        except yaml.YAMLError:  # read again by the pure-Python parser, whose messages say more
            node = yaml.compose(source, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else 1
        raise InputError(f"{where}:{line}: not valid YAML: {exc.problem or exc}") from None
    except yaml.YAMLError as exc:
        raise InputError(f"{where}: not valid YAML: {exc}") from None
    if node is None:
        raise InputError(f"{where}:1: empty rule pack")
    if not isinstance(node, MappingNode):
        raise InputError(f"{where}:{node.start_mark.line + 1}: a rule pack is a mapping (pack:, rules:, ...)")
    table: dict[Path_, int] = {}
    _lines(node, (), table, where)
    for sub in _all_nodes(node):
        if isinstance(sub, ScalarNode) and sub.tag not in (
            "tag:yaml.org,2002:str",
            "tag:yaml.org,2002:bool",
            "tag:yaml.org,2002:int",
            "tag:yaml.org,2002:null",
            "tag:yaml.org,2002:float",
        ):
            raise InputError(f"{where}:{sub.start_mark.line + 1}: unsupported YAML tag {sub.tag}")
    data = SafeConstructor().construct_document(node)
    return data, table


def _all_nodes(node: Node) -> Iterable[Node]:
    yield node
    if isinstance(node, MappingNode):
        for key, value in node.value:
            yield from _all_nodes(key)
            yield from _all_nodes(value)
    elif isinstance(node, SequenceNode):
        for item in node.value:
            yield from _all_nodes(item)


def _site(raw: dict[str, Any]) -> Site:
    return Site(raw["file"], raw["function"])


@functools.cache
def _validator() -> Any:
    from jsonschema import Draft202012Validator  # here: a run that loads only shipped packs never needs it

    return Draft202012Validator(PACK_SCHEMA)


def parse_pack(source: str, where: str, *, validate: bool = True) -> Pack:
    """Validate one pack's text; `where` names it in errors (a path). `validate=False`: the text is known to
    be valid under the schema (a shipped pack, patchcheck.rules.packs.shipped); the other checks still run."""
    data, table = compose(source, where)
    errors = sorted(
        _validator().iter_errors(data) if validate else (), key=lambda e: _line_for(e.absolute_path, table)
    )
    if errors:
        first = errors[0]
        field = "/".join(str(p) for p in first.absolute_path) or "(top)"
        details = [f"{where}:{_line_for(e.absolute_path, table)}: {e.message}" for e in errors[1:6]]
        raise InputError(
            f"{where}:{_line_for(first.absolute_path, table)}: bad rule pack at {field}: {first.message}",
            details=details,
        )

    def fail(path: Path_, message: str) -> InputError:
        return InputError(f"{where}:{_line_for(path, table)}: {message}")

    pack = Pack(name=data["pack"], path=where, doc=data.get("doc", ""))
    for name, raw in (data.get("properties") or {}).items():
        pack.properties[name] = PropertySpec(name, raw["doc"], tuple(raw.get("implies", ())))
    for name, raw in (data.get("flags") or {}).items():
        pack.flags[name] = FlagSpec(
            name, tuple(raw["properties"]), tuple(raw.get("companions", ())), tuple(raw.get("refuses", ()))
        )
    for index, raw in enumerate(data.get("claims") or ()):
        for key in ("phrases", "terms", "context", "unless"):
            for sub, phrase in enumerate(raw.get(key, ())):
                try:
                    re.compile(phrase)
                except re.error as exc:
                    raise fail(("claims", index, key, sub), f"bad regular expression: {exc}") from None
        pack.claims.append(
            ClaimSpec(
                raw["property"],
                tuple(raw.get("phrases", ())),
                tuple(raw.get("unless", ())),
                tuple(raw.get("terms", ())),
                raw.get("polarity", "positive"),
                tuple(raw.get("context", ())),
            )
        )

    seen: set[str] = set()
    for index, raw in enumerate(data["rules"]):
        path: Path_ = ("rules", index)
        if raw["id"] in seen:
            raise fail((*path, "id"), f"rule id {raw['id']} used twice")
        seen.add(raw["id"])
        kind = raw.get("kind", "family")
        params = raw.get("params") or {}
        for key, expected in SPECIAL_PARAMS.get(kind, {}).items():
            if not isinstance(params.get(key), expected):
                raise fail(
                    (*path, "params"), f"rule {raw['id']} ({kind}) needs params.{key} ({expected.__name__})"
                )
        if kind == "family" and not raw.get("members"):
            raise fail(path, f"rule {raw['id']} is a family rule without members")
        if kind == "family" and not raw.get("applies_to"):
            raise fail(path, f"rule {raw['id']} is a family rule without applies_to properties")
        members = []
        for m_index, m in enumerate(raw.get("members", ())):
            ways = [k for k in ("mask_with", "guards_calls", "condition_with_calls") if m.get(k)]
            ways += [k for k in ("refuses_clearing", "creation", "must_not_clear") if m.get(k)]
            if len(ways) > 1:
                raise fail((*path, "members", m_index), f"member says how to test the flag twice: {ways}")
            members.append(
                Member(
                    site=_site(m),
                    why=m.get("why", ""),
                    mask_with=tuple(m.get("mask_with", ())),
                    guards_calls=tuple(m.get("guards_calls", ())),
                    condition_with_calls=tuple(m.get("condition_with_calls", ())),
                    refuses_clearing=bool(m.get("refuses_clearing")),
                    creation=bool(m.get("creation")),
                    must_not_clear=bool(m.get("must_not_clear")),
                    via=tuple(_site(v) for v in m.get("via", ())),
                    or_set_with=tuple(m.get("or_set_with", ())),
                    alternatives=tuple(_site(a) for a in m.get("alternatives", ())),
                    line=_line_for((*path, "members", m_index), table),
                )
            )
        discover = raw.get("discover")
        pack.rules.append(
            PackRule(
                id=raw["id"],
                name=raw["name"],
                title=raw["title"],
                severity=Severity(raw["severity"]),
                kind=kind,
                doc=raw["doc"].strip(),
                fix=raw["fix"].strip(),
                example=raw.get("example", "").rstrip(),
                scope=tuple(raw.get("scope", ())),
                applies_to=tuple(raw.get("applies_to", ())),
                members=tuple(members),
                exemptions=tuple(Exemption(_site(e), e["reason"]) for e in raw.get("exemptions", ())),
                discover=Discovery(
                    tuple(discover["calls"]),
                    tuple(discover["under"]),
                    bool(discover.get("vma_in_scope", True)),
                )
                if discover
                else None,
                params=params,
                origin=f"{where}:{_line_for(path, table)}",
                needs=tuple(raw.get("needs", ())),
                why=raw.get("why", "").strip(),
                infers=bool(raw.get("infers", True)),
            )
        )
    return pack
