"""Unclassified sites: sites of a family's kind across the tree that the pack neither lists nor exempts."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from patchcheck.report.finding import Finding, Location, Severity
from patchcheck.rules.packs.members import SourceCache
from patchcheck.rules.packs.meta import PC_UNREVIEWED
from patchcheck.rules.packs.spec import PackRule
from patchcheck.source import csrc


def unreviewed_sites(
    families: Iterable[PackRule],
    cache: SourceCache,
    changed: set[str] | None = None,
    flags: dict[str, set[str]] | None = None,
) -> Iterator[Finding]:
    """PC703 for each function calling a family's `discover.calls` that is neither member nor exemption.

    `changed` limits the search to those files (verify: the files the series changed). `flags` maps each
    family flag to its properties: a site whose every such call already runs under a test of a flag the
    family applies to (itself or through a helper) handles it, and is not reported.
    """
    for rule in families:
        if rule.discover is None:
            continue
        known = {(s.file, s.function) for m in rule.members for s in (m.site, *m.alternatives)}
        known |= {(e.site.file, e.site.function) for e in rule.exemptions}
        file_wide = _file_wide_reasons(rule)
        names = set(rule.discover.calls)
        for path in _files_under(cache, rule.discover.under, changed):
            data = cache.data(path)
            if data is None or path in file_wide:
                continue  # the pack exempts the file's sites for one reason (e.g. shmem folios)
            for fn in csrc.functions_mentioning(data, names):
                if (path, fn.name) in known:
                    continue
                found = csrc.calls(fn.body, names)
                if not found:
                    continue
                family_flags = [f for f, props in (flags or {}).items() if props & set(rule.applies_to)]
                if family_flags and all(
                    any(
                        cache.reach.tests(path, cond, flag) is not None
                        for flag in family_flags
                        for cond in csrc.conditions_over(call, fn.body)
                    )
                    for call in found
                ):
                    continue  # already tests the flag before each call
                body = csrc.text(fn.node)
                if rule.discover.vma_in_scope and not ("vm_area_struct" in body or "vm_fault" in body):
                    continue
                callee = csrc.text(found[0].child_by_field_name("function") or found[0])
                yield Finding(
                    rule_id=PC_UNREVIEWED,
                    severity=Severity.WARNING,
                    message=f"{path}: {fn.name}() calls {callee}() with a VMA in scope but is neither "
                    f"a member nor an exemption of {rule.id}",
                    location=Location(path, csrc.line_of(found[0])),
                    hint=f"review it and add it to {rule.id}'s members or exemptions ({rule.origin})",
                    evidence=(f"{rule.id}: {rule.title}",),
                )


def _file_wide_reasons(rule: PackRule) -> dict[str, str]:
    """Files whose exemptions (two or more) all give one reason: a property of the file's sites, not of one
    function (mm/shmem.c: "shmem folios are file-backed"), so a new site there has that reason too."""
    reasons: dict[str, list[str]] = {}
    for e in rule.exemptions:
        reasons.setdefault(e.site.file, []).append(" ".join(e.reason.split()))
    return {path: given[0] for path, given in reasons.items() if len(given) >= 2 and len(set(given)) == 1}


def _files_under(cache: SourceCache, prefixes: tuple[str, ...], changed: set[str] | None) -> list[str]:
    if changed is not None:
        return sorted(p for p in changed if p.startswith(prefixes) and p.endswith((".c", ".h")))
    files: set[str] = set()
    for prefix in prefixes:
        files |= {p for p in cache.tree.list_files(prefix.rstrip("/")) if p.endswith((".c", ".h"))}
    return sorted(files)
