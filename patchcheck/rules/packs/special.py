"""Pack rules whose check is not "members test the flag": their kind names the check, params tune it.

- dead-after-mask (R26): `x &= MASK; ... if (x & FLAG)` where FLAG is not in MASK is dead code.
- read-after-call (R27): the VMA must not be read after the call that may free it.
- rust-helpers (R28): RUST_CONST_HELPER_VM_X = VM_X, and the bindgen blocklist lists the same names.
- uapi-mirror (R18): uapi MAP_/PROT_/MADV_ values are mirrored in tools/include/uapi.
- mirror-defines: flags the sources use unconditionally are defined by a userspace copy (tools/testing/vma).
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from tree_sitter import Node

from patchcheck.report.finding import Finding, Location
from patchcheck.rules.packs.members import SourceCache
from patchcheck.rules.packs.seriesview import SeriesView, flags_in
from patchcheck.rules.packs.spec import PackRule
from patchcheck.source import csrc
from patchcheck.source.cache import DiskCache, digest
from patchcheck.source.guards import TRUE
from patchcheck.source.tree import decode_source

_DEFINE = re.compile(r"^[ \t]*#[ \t]*define[ \t]+(\w+)(?![\w(])[ \t]*((?:[^\n\\]|\\\n)*)", re.M)


def run(rule: PackRule, cache: SourceCache, view: SeriesView | None, upto: int | None) -> Iterator[Finding]:
    checks = {
        "dead-after-mask": _dead_after_mask,
        "read-after-call": _read_after_call,
        "rust-helpers": _rust_helpers,
        "uapi-mirror": _uapi_mirror,
        "mirror-defines": _mirror_defines,
    }
    yield from checks[rule.kind](rule, cache, view, upto)


def _finding(rule: PackRule, path: str, line: int | None, message: str, flag: str | None = None,
             evidence: tuple[str, ...] = ()) -> Finding:
    return Finding(rule.id, rule.severity, message, Location(path, line), flag, rule.fix, evidence)


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


# ---- R26 --------------------------------------------------------------------------------------------
def _masking(node: Node, masks: set[str]) -> str | None:
    """The variable `node` masks with one of `masks` (`x &= M` or `x = y & M`), else None."""
    if node.type != "assignment_expression":
        return None
    left, right = node.child_by_field_name("left"), node.child_by_field_name("right")
    op = node.child_by_field_name("operator")
    if left is None or right is None or op is None or left.type != "identifier":
        return None
    names = {csrc.text(i) for i in csrc.identifiers(right)}
    if op.type == "&=" and names and names <= masks:
        return csrc.text(left)
    if op.type == "=" and right.type == "binary_expression" and names & masks:
        right_op = right.child_by_field_name("operator")
        if right_op is not None and right_op.type == "&" and len(names - masks) == 1:
            return csrc.text(left)
    return None


def _dead_after_mask(rule: PackRule, cache: SourceCache, view: SeriesView | None,
                     upto: int | None) -> Iterator[Finding]:
    masks = set(rule.params["masks"])
    table: dict[str, tuple[str, int]] = {}
    for path in rule.params["defined_in"]:
        data = cache.data(path)
        if data is not None:
            table.update(defines(decode_source(data)))
    expansions = {m: e for m in masks if (e := _expand(m, table)) is not None}
    if not expansions:
        return
    for path in rule.params["under"]:
        data = cache.data(path)
        if data is None:
            continue
        for fn in csrc.functions_mentioning(data, expansions):
            yield from _dead_in_function(rule, path, fn, expansions)


def _dead_in_function(rule: PackRule, path: str, fn: csrc.Function,
                      expansions: dict[str, set[str]]) -> Iterator[Finding]:
    nodes = list(csrc.walk(fn.body))
    for index, node in enumerate(nodes):
        var = _masking(node, set(expansions))
        if var is None:
            continue
        mask_names = {csrc.text(i) for i in csrc.identifiers(node.child_by_field_name("right") or node)}
        allowed = set().union(*(expansions[m] for m in mask_names if m in expansions))
        for later in nodes[index + 1:]:
            if later.start_byte < node.end_byte:
                continue
            target = later.child_by_field_name("left")
            if later.type == "assignment_expression" and target is not None and csrc.text(target) == var:
                break  # reassigned: the mask no longer holds
            if later.type != "binary_expression":
                continue
            op = later.child_by_field_name("operator")
            left, right = later.child_by_field_name("left"), later.child_by_field_name("right")
            if op is None or op.type != "&" or left is None or right is None:
                continue
            if csrc.text(left) != var and csrc.text(right) != var:
                continue
            other = right if csrc.text(left) == var else left
            tested = {csrc.text(i) for i in csrc.identifiers(other)}
            dead = sorted(f for f in tested if f.startswith("VM_") and f not in allowed)
            if dead and len(dead) == len(tested):
                masked_with = " | ".join(sorted(mask_names & set(expansions)))
                yield _finding(
                    rule, path, csrc.line_of(later),
                    f"{fn.name}(): `{csrc.text(later)}` is always false: {var} was masked with {masked_with} "
                    f"at line {csrc.line_of(node)}",
                    flag=dead[0],
                    evidence=(f"{masked_with} = {' | '.join(sorted(allowed))}",),
                )


# ---- R27 --------------------------------------------------------------------------------------------
def _read_after_call(rule: PackRule, cache: SourceCache, view: SeriesView | None,
                     upto: int | None) -> Iterator[Finding]:
    path, function, obj = rule.params["file"], rule.params["function"], rule.params["object"]
    call_names = set(rule.params["calls"])
    data = cache.data(path)
    if data is None:
        yield from _read_after_call_in_diff(rule, view, upto)
        return
    for fn in csrc.find_functions(data, function):
        fatal = csrc.calls(fn.body, call_names)
        if not fatal:
            continue
        after = min(c.end_byte for c in fatal)
        for node in csrc.walk(fn.body):
            if node.type != "field_expression" or node.start_byte < after:
                continue
            arg, op = node.child_by_field_name("argument"), node.child_by_field_name("operator")
            if arg is not None and csrc.text(arg) == obj and op is not None and op.type == "->":
                flags = flags_in(csrc.text(node.parent or node))
                callees = sorted({csrc.text(c.child_by_field_name("function") or c) for c in fatal})
                yield _finding(
                    rule, path, csrc.line_of(node),
                    f"{function}() reads {csrc.text(node)} after {_either(callees)}, "
                    f"which may have dropped the lock and freed {obj}",
                    flag=min(flags) if flags else None,
                )
                break


def _read_after_call_in_diff(rule: PackRule, view: SeriesView | None, upto: int | None) -> Iterator[Finding]:
    if view is None:
        return
    path, function, obj = rule.params["file"], rule.params["function"], rule.params["object"]
    calls = sorted(rule.params["calls"])
    landmarks = set(calls) | set(rule.params.get("landmarks", ()))
    pattern = re.compile(r"\b(" + "|".join(map(re.escape, sorted(landmarks))) + r")\s*\(")
    member = re.compile(re.escape(obj) + r"\s*->\s*(\w+)")
    for patch in view.upto(upto):
        for added in patch.added:
            read = member.search(added.text)
            if added.path != path or added.function != function or read is None:
                continue
            marks = [m.group(1) for line in added.after if (m := pattern.search(line))]
            if marks:
                flags = flags_in(added.text)
                where = (f"after {marks[-1]}()" if marks[-1] in calls
                         else f"after {marks[-1]}(), which follows {_either(calls)}")
                yield _finding(
                    rule, path, added.line,
                    f"{function}() reads {obj}->{read.group(1)} {where} (seen in the patch context): "
                    f"the fault handler may have dropped the lock and freed {obj}",
                    flag=min(flags) if flags else None,
                    evidence=(f"added line: {added.text.strip()}",),
                )


def _either(names: list[str]) -> str:
    """`a()`, `a() or b()`, `a(), b() or c()`."""
    calls = [f"{name}()" for name in names]
    return calls[0] if len(calls) == 1 else f"{', '.join(calls[:-1])} or {calls[-1]}"


# ---- R28 --------------------------------------------------------------------------------------------
_HELPER = re.compile(r"RUST_CONST_HELPER_(\w+)\s*=\s*(\w+)\s*;")
_BLOCK = re.compile(r"^--blocklist-item\s+(\S+)", re.M)


def _rust_helpers(rule: PackRule, cache: SourceCache, view: SeriesView | None,
                  upto: int | None) -> Iterator[Finding]:
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
            yield _finding(rule, helpers_path, line,
                           f"RUST_CONST_HELPER_{name} is initialised from {value}, not {name}", flag=name)
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
            yield _finding(rule, block_path, line,
                           f"{name} is blocklisted twice (first at line {entries[name]})", flag=name)
        entries.setdefault(name, line)
    if not entries:
        return  # this tree does not blocklist the prefix's constants at all (e.g. 6.12)
    for name, line in helpers.items():
        if not any(re.fullmatch(entry, name) for entry in entries):
            yield _finding(rule, helpers_path, line,
                           f"RUST_CONST_HELPER_{name} has no --blocklist-item in {block_path}", flag=name)
    for entry, line in entries.items():
        if not any(re.fullmatch(entry, name) for name in helpers):
            yield _finding(rule, block_path, line,
                           f"--blocklist-item {entry} has no RUST_CONST_HELPER_{entry} in {helpers_path}",
                           flag=entry)


def _rust_helpers_in_diff(rule: PackRule, view: SeriesView | None, upto: int | None) -> Iterator[Finding]:
    if view is None:
        return
    for patch in view.upto(upto):
        for added in patch.added:
            match = _HELPER.search(added.text)
            if added.path != rule.params["helpers"] or match is None:
                continue
            if match.group(1).startswith(rule.params["prefix"]) and match.group(1) != match.group(2):
                yield _finding(rule, added.path, added.line,
                               f"RUST_CONST_HELPER_{match.group(1)} is initialised from {match.group(2)}",
                               flag=match.group(1))


# ---- R18 --------------------------------------------------------------------------------------------
def _uapi_mirror(rule: PackRule, cache: SourceCache, view: SeriesView | None,
                 upto: int | None) -> Iterator[Finding]:
    prefixes = tuple(rule.params["prefixes"])
    for source, mirror in rule.params["pairs"]:
        src_data, mirror_data = cache.data(source), cache.data(mirror)
        if src_data is not None and mirror_data is not None:
            ours = {k: v for k, v in defines(decode_source(src_data)).items() if k.startswith(prefixes)}
            theirs = defines(decode_source(mirror_data))
            for name, (value, line) in sorted(ours.items()):
                if name not in theirs:
                    yield _finding(rule, source, line, f"{name} is not mirrored in {mirror}")
                elif theirs[name][0].split()[:1] != value.split()[:1]:
                    yield _finding(rule, source, line,
                                   f"{name} is {value.split()[0]} here but {theirs[name][0]} in {mirror}")
        elif view is not None:
            yield from _mirror_in_diff(rule, view, upto, source, mirror, prefixes)


def _mirror_in_diff(rule: PackRule, view: SeriesView, upto: int | None, source: str, mirror: str,
                    prefixes: tuple[str, ...]) -> Iterator[Finding]:
    added = [a for p in view.upto(upto) for a in p.added]
    mirrored = {m.group(1) for a in added if a.path == mirror and (m := _DEFINE.match(a.text))}
    for line in added:
        match = _DEFINE.match(line.text)
        if (line.path == source and match and match.group(1).startswith(prefixes)
                and match.group(1) not in mirrored):
                yield _finding(rule, source, line.line,
                               f"{match.group(1)} is added here but not to {mirror}")


# ---- tools/testing/vma ------------------------------------------------------------------------------
def _mirror_defines(rule: PackRule, cache: SourceCache, view: SeriesView | None,
                    upto: int | None) -> Iterator[Finding]:
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
                yield _finding(rule, source, line, message, flag=name)


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
        for ident in csrc.identifiers(src.root()):
            name = csrc.text(ident)
            if not name.startswith(prefix) or name in reported:
                continue
            parent = ident.parent
            if parent is not None and parent.type == "call_expression" and parent.child_by_field_name(
                    "function") == ident:
                continue
            if src.guard_of(ident) == TRUE:  # outside every #if block (an include guard costs nothing)
                reported.add(name)
                found.append((name, csrc.line_of(ident)))
        DiskCache().put("packs-mirror-uses", key, found)
    _UNCONDITIONAL_USES[key] = found
    return found
