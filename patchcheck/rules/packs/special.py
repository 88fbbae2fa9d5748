"""Pack rules whose check is not "members test the flag": their kind names the check, params tune it.

- dead-after-mask (R26) and read-after-call (R27): decided on control-flow graphs, see flow.py.
- rust-helpers (R28): RUST_CONST_HELPER_VM_X = VM_X, and the bindgen blocklist lists the same names.
- uapi-mirror (R18): uapi MAP_/PROT_/MADV_ values are mirrored in tools/include/uapi.
- mirror-defines: flags the sources use unconditionally are defined by a userspace copy (tools/testing/vma).
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from patchcheck.report.finding import Finding
from patchcheck.rules.packs import flow
from patchcheck.rules.packs.members import SourceCache
from patchcheck.rules.packs.seriesview import SeriesView
from patchcheck.rules.packs.spec import PackRule, pack_finding
from patchcheck.source import cparse, csrc
from patchcheck.source.cache import DiskCache, digest
from patchcheck.source.guards import TRUE
from patchcheck.source.tree import decode_source

_DEFINE = re.compile(r"^[ \t]*#[ \t]*define[ \t]+(\w+)(?![\w(])[ \t]*((?:[^\n\\]|\\\n)*)", re.M)


def run(rule: PackRule, scope: flow.Scope) -> Iterator[Finding]:
    if rule.kind == "dead-after-mask":
        yield from flow.dead_after_mask(rule, scope)
        return
    if rule.kind == "read-after-call":
        yield from flow.read_after_call(rule, scope)
        return
    cache, view, upto = scope.cache, scope.view, scope.upto
    checks = {
        "rust-helpers": _rust_helpers,
        "uapi-mirror": _uapi_mirror,
        "mirror-defines": _mirror_defines,
    }
    yield from checks[rule.kind](rule, cache, view, upto)


def defines(text: str) -> dict[str, tuple[str, int]]:
    """Object-like macros: name -> (body, line)."""
    found: dict[str, tuple[str, int]] = {}
    for match in _DEFINE.finditer(text):
        body = re.sub(r"/\*.*?\*/|//.*", "", match.group(2).replace("\\\n", " "), flags=re.S).strip()
        found.setdefault(match.group(1), (body, text.count("\n", 0, match.start()) + 1))
    return found


def _expand(name: str, table: dict[str, tuple[str, int]], depth: int = 0) -> set[str] | None:
    if name not in table or depth > 8:
        return None
    leaves: set[str] = set()
    for ident in re.findall(r"\b[A-Za-z_]\w*\b", table[name][0]):
        inner = _expand(ident, table, depth + 1) if not ident.startswith("VM_") else None
        leaves |= inner if inner is not None else {ident}
    return leaves


# ---- R28 --------------------------------------------------------------------------------------------
_HELPER = re.compile(r"RUST_CONST_HELPER_(\w+)\s*=\s*(\w+)\s*;")
_BLOCK = re.compile(r"^--blocklist-item\s+(\S+)", re.M)


def _rust_helpers(
    rule: PackRule, cache: SourceCache, view: SeriesView | None, upto: int | None
) -> Iterator[Finding]:
    prefix = rule.params["prefix"]
    helpers_path, block_path = rule.params["helpers"], rule.params["blocklist"]
    data = cache.data(helpers_path)
    if data is None:
        yield from _rust_helpers_in_diff(rule, view, upto)
        return
    text = decode_source(data)
    helpers: dict[str, int] = {}
    for match in _HELPER.finditer(text):
        name, value = match.group(1), match.group(2)
        if not name.startswith(prefix):
            continue
        line = text.count("\n", 0, match.start()) + 1
        helpers[name] = line
        if value != name:
            yield pack_finding(
                rule,
                helpers_path,
                line,
                f"RUST_CONST_HELPER_{name} is initialised from {value}, not {name}",
                flag=name,
            )
    block_data = cache.data(block_path)
    if block_data is None:
        return
    block_text = decode_source(block_data)
    entries: dict[str, int] = {}
    for match in _BLOCK.finditer(block_text):
        name = match.group(1)
        line = block_text.count("\n", 0, match.start()) + 1
        if not name.startswith(prefix):
            continue
        if name in entries:
            yield pack_finding(
                rule,
                block_path,
                line,
                f"{name} is blocklisted twice (first at line {entries[name]})",
                flag=name,
            )
        entries.setdefault(name, line)
    if not entries:
        return  # this tree does not blocklist the prefix's constants at all (e.g. 6.12)
    for name, line in helpers.items():
        if not any(re.fullmatch(entry, name) for entry in entries):
            yield pack_finding(
                rule,
                helpers_path,
                line,
                f"RUST_CONST_HELPER_{name} has no --blocklist-item in {block_path}",
                flag=name,
            )
    for entry, line in entries.items():
        if not any(re.fullmatch(entry, name) for name in helpers):
            yield pack_finding(
                rule,
                block_path,
                line,
                f"--blocklist-item {entry} has no RUST_CONST_HELPER_{entry} in {helpers_path}",
                flag=entry,
            )


def _rust_helpers_in_diff(rule: PackRule, view: SeriesView | None, upto: int | None) -> Iterator[Finding]:
    if view is None:
        return
    for patch in view.upto(upto):
        for added in patch.added:
            match = _HELPER.search(added.text)
            if added.path != rule.params["helpers"] or match is None:
                continue
            if match.group(1).startswith(rule.params["prefix"]) and match.group(1) != match.group(2):
                yield pack_finding(
                    rule,
                    added.path,
                    added.line,
                    f"RUST_CONST_HELPER_{match.group(1)} is initialised from {match.group(2)}",
                    flag=match.group(1),
                )


# ---- R18 --------------------------------------------------------------------------------------------
def _uapi_mirror(
    rule: PackRule, cache: SourceCache, view: SeriesView | None, upto: int | None
) -> Iterator[Finding]:
    prefixes = tuple(rule.params["prefixes"])
    for source, mirror in rule.params["pairs"]:
        src_data, mirror_data = cache.data(source), cache.data(mirror)
        if src_data is not None and mirror_data is not None:
            ours = {k: v for k, v in defines(decode_source(src_data)).items() if k.startswith(prefixes)}
            theirs = defines(decode_source(mirror_data))
            for name, (value, line) in sorted(ours.items()):
                if name not in theirs:
                    yield pack_finding(rule, source, line, f"{name} is not mirrored in {mirror}")
                elif theirs[name][0].split()[:1] != value.split()[:1]:
                    yield pack_finding(
                        rule,
                        source,
                        line,
                        f"{name} is {value.split()[0]} here but {theirs[name][0]} in {mirror}",
                    )
        elif view is not None:
            yield from _mirror_in_diff(rule, view, upto, source, mirror, prefixes)


def _mirror_in_diff(
    rule: PackRule, view: SeriesView, upto: int | None, source: str, mirror: str, prefixes: tuple[str, ...]
) -> Iterator[Finding]:
    added = [a for p in view.upto(upto) for a in p.added]
    mirrored = {m.group(1) for a in added if a.path == mirror and (m := _DEFINE.match(a.text))}
    for line in added:
        match = _DEFINE.match(line.text)
        if (
            line.path == source
            and match
            and match.group(1).startswith(prefixes)
            and match.group(1) not in mirrored
        ):
            yield pack_finding(rule, source, line.line, f"{match.group(1)} is added here but not to {mirror}")


# ---- tools/testing/vma ------------------------------------------------------------------------------
def _mirror_defines(
    rule: PackRule, cache: SourceCache, view: SeriesView | None, upto: int | None
) -> Iterator[Finding]:
    mirror, prefix = rule.params["mirror"], rule.params["prefix"]
    mirror_data = cache.data(mirror)
    if mirror_data is None:
        return
    known = set(defines(decode_source(mirror_data)))
    for source in rule.params["sources"]:
        data = cache.data(source)
        if data is None:
            continue
        for name, line in unconditional_uses(data, prefix):
            if name not in known:
                message = f"{name} is used here but not defined in {mirror}"
                yield pack_finding(rule, source, line, message, flag=name)


_UNCONDITIONAL_USES: dict[str, list[tuple[str, int]]] = {}
_UNCONDITIONAL_VERSION = "mirror-uses-2"  # bump when unconditional_uses() changes what it finds


def unconditional_uses(data: bytes, prefix: str) -> list[tuple[str, int]]:
    """(name, line) of the first use of each `prefix` name outside every #if block, calls aside
    (VM_BUG_ON() and friends are function-like, not flags). Depends on the content alone: kept in memory
    and on disk, so neither a warm run nor a state of a series that did not change the file parses it."""
    key = digest(_UNCONDITIONAL_VERSION, prefix, data)
    found = _UNCONDITIONAL_USES.get(key)
    if found is None:
        found = DiskCache().get("packs-mirror-uses", key, list[tuple[str, int]])
    if not isinstance(found, list):
        found = []
        reported: set[str] = set()
        src = csrc.source(data)
        for ident in cparse.named_identifiers(src.root(), prefix):
            name = csrc.text(ident)
            if name in reported:
                continue
            parent = ident.parent
            if (
                parent is not None
                and parent.type == "call_expression"
                and parent.child_by_field_name("function") == ident
            ):
                continue
            if src.guard_of(ident) == TRUE:  # outside every #if block (an include guard costs nothing)
                reported.add(name)
                found.append((name, csrc.line_of(ident)))
        DiskCache().put("packs-mirror-uses", key, found)
    _UNCONDITIONAL_USES[key] = found
    return found
