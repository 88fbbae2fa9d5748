"""The rule catalogue: every rule's documentation, from the built-in checkers and the rule packs.

`patchcheck rules` lists it; renderers use it to print rule names and help links. Rule packs contribute
through `patchcheck.rules.packs.pack_rule_docs(dirs)` (the hook the packs layer provides).
"""

from __future__ import annotations

import importlib
from collections.abc import Sequence
from pathlib import Path

from patchcheck.errors import InputError
from patchcheck.rules.base import RuleDoc
from patchcheck.rules.engine import NOT_BISECTABLE
from patchcheck.rules.registry import registry_checkers


def builtin_rule_docs() -> tuple[RuleDoc, ...]:
    return (NOT_BISECTABLE, *(rule for checker in registry_checkers() for rule in checker.rules))


def pack_docs(pack_dirs: Sequence[Path] = ()) -> tuple[RuleDoc, ...]:
    try:
        packs = importlib.import_module("patchcheck.rules.packs")
    except ImportError:
        return ()
    docs: tuple[RuleDoc, ...] = tuple(packs.pack_rule_docs(list(pack_dirs)))
    return docs


def all_rule_docs(pack_dirs: Sequence[Path] = ()) -> tuple[RuleDoc, ...]:
    """Every rule, sorted by id; ids are unique (a duplicate is a bug in a pack or here)."""
    docs = builtin_rule_docs() + pack_docs(pack_dirs)
    seen: dict[str, RuleDoc] = {}
    for doc in docs:
        if doc.id in seen:
            raise InputError(f"rule id {doc.id} is defined twice ({seen[doc.id].origin} and {doc.origin})")
        seen[doc.id] = doc
    return tuple(sorted(seen.values(), key=lambda d: d.id))


def lookup(key: str, pack_dirs: Sequence[Path] = ()) -> RuleDoc:
    """A rule by id (case-insensitive) or by name; InputError naming close matches otherwise."""
    docs = all_rule_docs(pack_dirs)
    wanted = key.strip()
    for doc in docs:
        if doc.id.lower() == wanted.lower() or doc.name == wanted.lower():
            return doc
    close = [d.id for d in docs if d.id.lower().startswith(wanted.lower()[:3]) or wanted.lower() in d.name]
    hint = f" (did you mean {', '.join(close[:5])}?)" if close else ""
    raise InputError(f"no rule {key!r}{hint}; `patchcheck rules` lists them all")
