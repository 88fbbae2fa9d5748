"""Find rule packs, load them (from the cache when unchanged) and check that they refer to each other well."""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path

from patchcheck.errors import InputError
from patchcheck.rules.packdir import DEFAULT_PACK_DIR
from patchcheck.rules.packs.schema import PACK_SCHEMA
from patchcheck.rules.packs.shipped import known_valid, thawed
from patchcheck.rules.packs.spec import Pack, PackSet
from patchcheck.source.cache import DiskCache, digest

_CACHE_NAMESPACE = "packs-parsed-v1"
# Parsed packs are keyed by their text and by the schema and pack model they were validated against.
MODEL_STAMP = digest(
    json.dumps(PACK_SCHEMA, sort_keys=True),
    (Path(__file__).parent / "spec.py").read_bytes(),
    (Path(__file__).parent / "parse.py").read_bytes(),
)


def parse_pack(source: str, where: str, *, validate: bool = True) -> Pack:
    """Validate one pack's text; `where` names it in errors (a path). `validate=False`: known valid under
    the schema (see patchcheck.rules.packs.shipped)."""
    from patchcheck.rules.packs.parse import parse_pack as parse

    return parse(source, where, validate=validate)


def _load(path: Path, cache: DiskCache) -> Pack:
    try:
        data = path.read_bytes()
        source = data.decode("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read rule pack {path}: {exc}") from None
    key = digest(MODEL_STAMP, str(path), data)
    pack = _LOADED.get(key) or thawed(path, data, MODEL_STAMP)  # a shipped pack, frozen
    if pack is None:
        cached = cache.get(_CACHE_NAMESPACE, key, Pack)
        if isinstance(cached, Pack):
            pack = cached
        else:
            pack = parse_pack(source, str(path), validate=not known_valid(path.name, data))
            cache.put(_CACHE_NAMESPACE, key, pack)
    _LOADED[key] = pack
    return pack


# The packs this process loaded, by their text: the catalogue loads them again after a run. Shared, so never
# changed by their users.
_LOADED: dict[str, Pack] = {}


def _check_references(packs: PackSet) -> None:
    known = set(packs.properties())
    for pack in packs.packs:
        for rule in pack.rules:
            for prop in rule.applies_to:
                if prop not in known:
                    raise InputError(f"{rule.origin}: rule {rule.id} applies to unknown property {prop!r}")
        for flag in pack.flags.values():
            for prop in flag.properties:
                if prop not in known:
                    raise InputError(f"{pack.path}: flag {flag.name} has unknown property {prop!r}")
        for claim in pack.claims:
            if claim.property not in known:
                raise InputError(f"{pack.path}: claim names unknown property {claim.property!r}")
        for spec in pack.properties.values():
            for implied in spec.implies:
                if implied not in known:
                    raise InputError(f"{pack.path}: property {spec.name} implies unknown {implied!r}")


def pack_files(dirs: Iterable[Path]) -> list[Path]:
    files: list[Path] = []
    for directory in dirs:
        if directory.is_file():
            files.append(directory)
        elif directory.is_dir():
            files.extend(sorted(p for p in directory.iterdir() if p.suffix in (".yaml", ".yml")))
        else:
            raise InputError(f"rule pack directory {str(directory)!r} does not exist")
    return files


def load_pack_set(dirs: Iterable[Path] | None = None, *, builtin: bool = True) -> PackSet:
    """The built-in packs (top-level rules/) plus every *.yaml in `dirs`."""
    search = ([DEFAULT_PACK_DIR] if builtin else []) + list(dirs or ())
    packs = PackSet()
    ids: dict[str, str] = {}
    cache = DiskCache()
    for path in pack_files(search):
        pack = _load(path, cache)
        for rule in pack.rules:
            if rule.id in ids:
                raise InputError(f"{rule.origin}: rule id {rule.id} already defined at {ids[rule.id]}")
            ids[rule.id] = rule.origin
        packs.packs.append(pack)
    _check_references(packs)
    return packs
