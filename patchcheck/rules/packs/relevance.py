"""Which patches of a series the rule packs must see again (patchcheck.rules.reuse).

A state of a series keeps the packs' findings of the state before when its patch is not relevant and changes
nothing the packs read. A patch is relevant when it names a VM_* flag in a line it adds or removes or in its
message (a flag it defines, adds to a site or speaks of), when its message matches a promise of the packs,
or when it changes a file or directory a pack rule names (members, their alternatives and helpers,
exemptions, discovery directories, special rules' files).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from patchcheck.rules.packs.claims import find_claims
from patchcheck.rules.packs.seriesview import SeriesView, flags_in, view_of
from patchcheck.rules.packs.spec import PackSet


class Relevance:
    def __init__(self, packs: PackSet) -> None:
        self.packs = packs
        self._views: dict[int, tuple[Any, SeriesView | None]] = {}
        self._named: tuple[frozenset[str], tuple[str, ...]] | None = None

    def relevant(self, series: Any, index: int) -> bool:
        cached = self._views.get(id(series))
        if cached is None or cached[0] is not series:
            cached = self._views[id(series)] = (series, view_of(series))
        view = cached[1]
        patch = next((p for p in view.patches if p.index == index), None) if view else None
        if patch is None:
            return True
        if any(flags_in(a.text) for a in patch.added) or any(flags_in(r) for r in patch.removed_text):
            return True
        if flags_in(patch.subject + "\n" + patch.message):
            return True
        if find_claims(patch.message, self.packs.claims, patch.index, patch.subject, {}):
            return True
        files, directories = self.named_paths()
        return any(path in files or path.startswith(directories) for path in patch.files)

    def named_paths(self) -> tuple[frozenset[str], tuple[str, ...]]:
        """(files, directories ending in "/") the packs' rules name."""
        if self._named is None:
            named: set[str] = set()
            for rule in self.packs.rules:
                named.update(rule.needs)
                for member in rule.members:
                    named.update(site.file for site in (member.site, *member.alternatives, *member.via))
                named.update(e.site.file for e in rule.exemptions)
                if rule.discover is not None:
                    named.update(u if u.endswith("/") else u + "/" for u in rule.discover.under)
                named.update(v for v in _strings(rule.params) if "/" in v)
            directories = tuple(sorted(p for p in named if p.endswith("/")))
            self._named = (frozenset(named), directories)
        return self._named


def _strings(value: Any) -> Iterator[str]:
    """Every string in a rule's `params` (a special rule's files and directories among them)."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _strings(item)
