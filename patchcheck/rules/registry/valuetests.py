"""Conditions that test VM_* values instead of Kconfig symbols (PC205 in the smaps table, PC302 in the trace
table): shared by both tables' checkers."""

from __future__ import annotations

import re
from collections.abc import Iterator

from patchcheck.report.finding import Finding, Location
from patchcheck.rules.base import CheckContext, RuleDoc
from patchcheck.rules.registry.common import Registry, finding, registry
from patchcheck.source.cache import DiskCache, digest
from patchcheck.source.guards import FALSE, TRUE, And, Formula, absorb, conj, render_c
from patchcheck.source.preproc import Directive, PreprocFile, preprocess
from patchcheck.source.tree import decode_source

_VM_NAME = re.compile(r"\bVM_[A-Z0-9_]+\b")


def value_test_findings(
    ctx: CheckContext, rule: RuleDoc, path: str, first: int, last: int
) -> Iterator[Finding]:
    """Conditions between lines `first` and `last` of `path` that test VM_* macros."""
    data = ctx.tree.read_bytes(path)
    if data is None:
        return
    file: PreprocFile | None = None
    for d in _directives(path, data):
        if d.kind not in ("if", "elif", "ifdef", "ifndef") or not first <= d.line <= last:
            continue
        names = sorted(set(_VM_NAME.findall(d.text)))
        if names and (ctx.flags is None or any(n in ctx.flags for n in names)):
            file = file or preprocess(decode_source(data))  # only for a finding: the guard around it
            yield finding(
                rule,
                f"#{d.kind} {d.text.strip()} tests {', '.join(names)} instead of a Kconfig symbol",
                Location(path, d.line),
                names[0],
                (f"{path}:{d.line}: #{d.kind} {d.text.strip()}",),
                hint=_kconfig_test_hint(registry(ctx), names[0], _around(d, file)),
            )


def _kconfig_test_hint(reg: Registry, name: str, around: Formula) -> str | None:
    """The condition to test instead, from the flag's own definitions, without what the blocks around the
    test already require (None: the rule's generic fix)."""
    nonzero = reg.model.nonzero(name)
    if nonzero is None or nonzero in (TRUE, FALSE):
        return None
    given = set(_conjuncts(around))
    rest = conj(*(c for c in _conjuncts(nonzero) if c not in given))
    if rest in (TRUE, FALSE):
        return None
    return (
        f"Test the Kconfig condition under which {name} is non-zero instead: `#if {render_c(absorb(rest))}`."
    )


def _around(directive: Directive, file: PreprocFile) -> Formula:
    """What the blocks around a test already require: the guard before an `#if`. An `#elif` is reached only
    where the branches before it were not taken, which the guard before it (that of the branch before) does
    not say: nothing is taken as given there."""
    return file.guard_at(directive.line) if directive.kind in ("if", "ifdef", "ifndef") else TRUE


def _conjuncts(f: Formula) -> tuple[Formula, ...]:
    return f.args if isinstance(f, And) else (f,)


def _directives(path: str, data: bytes) -> list[Directive]:
    """The preprocessor directives of a file, cached by its content (a warm run preprocesses nothing)."""
    key = digest("directives", path, data)
    cache = DiskCache()
    found = cache.get("directives", key, list[Directive])
    if isinstance(found, list):
        return found
    directives = preprocess(decode_source(data)).directives
    cache.put("directives", key, directives)
    return directives
