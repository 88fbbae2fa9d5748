"""The pack rules decided on a function's control-flow graph (patchcheck.source.cfg), in any function:

- dead-after-mask (R26): `x &= MASK` (or `x = y & MASK`) dominates a later `x & FLAG` whose flags are all
  outside MASK, and no path between them assigns x again: the test is always false.
- read-after-call (R27): a VMA pointer is dereferenced where control can arrive from a call that may drop
  the mmap/VMA lock or free the VMA (the rule's declared `calls`), without the pointer being assigned again.

Files: the rule's `under` (files or directories); in verify, only the files the series changes. Without a
tree, read-after-call decides on a hunk that shows both the call and the read; a read added where the hunk
does not show enough is said to be skipped, never reported clean.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field

from tree_sitter import Node

from patchcheck.report.finding import Finding
from patchcheck.rules.packs.members import SourceCache
from patchcheck.rules.packs.seriesview import AddedLine, PatchView, SeriesView, flags_in
from patchcheck.rules.packs.spec import PackRule, pack_finding
from patchcheck.source import cparse, csrc
from patchcheck.source.cache import DiskCache, digest
from patchcheck.source.cfg import CFG
from patchcheck.source.preproc import at_line_starts
from patchcheck.source.tree import decode_source

# From its `#`: `at_line_starts` keeps those that begin a line
_DEFINE = re.compile(r"#[ \t]*define[ \t]+(\w+)(?![\w(])[ \t]*([^\n\\]*(?:\\\n[^\n\\]*)*)")


@dataclass
class Scope:
    """What a flow rule may read and where it says what it could not decide."""

    cache: SourceCache
    view: SeriesView | None
    upto: int | None
    only: frozenset[str] | None = None  # verify: the files the series changes
    diff_only: bool = False  # no tree: only the hunks are known
    notes: list[str] = field(default_factory=list)

    def files(self, under: list[str]) -> list[str]:
        found: list[str] = []
        for entry in under:
            if entry.endswith("/"):
                found += [
                    p for p in self.cache.tree.list_files(entry.rstrip("/")) if p.endswith((".c", ".h"))
                ]
            else:
                found.append(entry)
        if self.only is not None:
            found = [p for p in found if p in self.only]
        return sorted(dict.fromkeys(found))


def _defines(text: str) -> dict[str, str]:
    """Object-like macros by name (the first definition), their bodies without comments."""
    found: dict[str, str] = {}
    for _, match in at_line_starts(_DEFINE, text):
        body = re.sub(r"/\*.*?\*/|//.*", "", match.group(2).replace("\\\n", " "), flags=re.S).strip()
        found.setdefault(match.group(1), body)
    return found


_OR_OF_NAMES = re.compile(r"^[\s(]*[A-Za-z_]\w*(?:[\s()]*\|[\s()]*[A-Za-z_]\w*)*[\s)]*$")


def _leaves(expr: str, table: dict[str, str], depth: int = 0) -> set[str] | None:
    """The flags an OR of names stands for (macros that are ORs of names expanded, a VM_* name defined
    otherwise is itself a flag); None if anything else is in it."""
    if not _OR_OF_NAMES.match(expr) or depth > 8:
        return None
    leaves: set[str] = set()
    for name in re.findall(r"[A-Za-z_]\w*", expr):
        body = table.get(name)
        if body is not None and _OR_OF_NAMES.match(body):
            inner = _leaves(body, table, depth + 1)
            if inner is None:
                return None
            leaves |= inner
        elif name.startswith("VM_"):
            leaves.add(name)
        else:
            return None
    return leaves


# Where `_masking()` can find a mask in the text: the first name after `&=` (through parentheses), or a name
# next to a single `&` in the right side of `x = ...`.
_AND_ASSIGNED = re.compile(r"&=[\s(]*([A-Za-z_]\w*)")
_ASSIGNED = re.compile(r"=(?!=)([^;&]*&[^;]*);")  # also `==`, `+=`...: cheap, never misses
# Each written to scan fast: the first begins with its literal `&`; the second starts a name only where no
# letter precedes it (a later start in the same run of word characters fails as the first did) and never
# backtracks into it (what follows a shorter name is a word character, never `&`).
_BESIDE_AND = (
    re.compile(r"&(?<!&&)(?![&=])[\s(]*([A-Za-z_]\w*)"),
    re.compile(r"(?<![A-Za-z_])([A-Za-z_]\w*+)[\s)]*+(?<!&)&(?![&=])"),
)


def _masking_offsets(uncommented: str, table: dict[str, str]) -> list[int]:
    """Where a masking `_masking()` accepts may begin: each `&=` whose first name resolves to flags, and
    each `x = ...` whose right side has such a name next to a single `&` (a mask is an OR of names that all
    resolve to flags, so the name next to its `&`, or first after `&=`, resolves too). Read from the text
    with its comments blanked as C reads them (string literals kept; a comment may sit inside a masking): a
    cheap test that never misses a masking, so that a file without one is not parsed, and of a file only
    the functions that hold one (a statement never spans two functions)."""
    resolved: dict[str, bool] = {}

    def resolves(name: str) -> bool:
        if name not in resolved:
            resolved[name] = bool(_leaves(name, table))
        return resolved[name]

    found = [m.start() for m in _AND_ASSIGNED.finditer(uncommented) if resolves(m.group(1))]
    masks: dict[str, bool] = {}  # by right side: the same one recurs (`x = y & VM_FOO;`)
    for m in _ASSIGNED.finditer(uncommented):
        right = m.group(1)
        if right not in masks:
            masks[right] = any(resolves(name) for pattern in _BESIDE_AND for name in pattern.findall(right))
        if masks[right]:
            found.append(m.start())
    return found


# ---- R26 --------------------------------------------------------------------------------------------
def dead_after_mask(rule: PackRule, scope: Scope) -> Iterator[Finding]:
    headers = tuple(scope.cache.data(p) for p in rule.params.get("defined_in", ()))
    files = [
        (path, data)
        for path in scope.files(list(rule.params["under"]))
        if (data := scope.cache.data(path)) is not None and b"&" in data and b"VM_" in data
    ]
    inputs: tuple[str | bytes, ...] = (repr(sorted(rule.params.items())), rule.fix)
    inputs += tuple(h or b"" for h in headers)
    # On disk: one entry for all the files of a run (an audit judges ~90, most without a masking), and one
    # per file that holds one, for the run after an edit. In memory: each content once (the states of a
    # verify run share most files).
    every = digest("dead-after-mask-v3", *inputs, *(part for path, data in files for part in (path, data)))
    kept = _DISK.get("flow", every, list[list[Finding]])
    if isinstance(kept, list) and len(kept) == len(files):
        for found in kept:
            yield from found
        return
    table: dict[str, str] | None = None
    judged: list[list[Finding]] = []
    for path, data in files:
        key = (rule.id, path, data, headers)
        if key not in _MEMO:
            if table is None:
                table = {}
                for header in headers:
                    table.update(_defines(decode_source(header)) if header is not None else {})
            if len(_MEMO) > 512:
                _MEMO.clear()
            _MEMO[key] = _dead_in_file(rule, path, data, table, inputs)
        judged.append(_MEMO[key])
        yield from _MEMO[key]
    _DISK.put("flow", every, judged)


def _dead_in_file(
    rule: PackRule, path: str, data: bytes, table: dict[str, str], inputs: tuple[str | bytes, ...]
) -> list[Finding]:
    text = decode_source(data)
    local = {**table, **_defines(text)}  # the headers' macros, then the file's own
    offsets = _masking_offsets(csrc.source(data).uncommented, local)
    if not offsets:
        return []  # no masking: nothing to parse, nothing to keep on disk
    one = digest("dead-after-mask-file-v1", *inputs, path, data)
    found = _DISK.get("flow", one, list[Finding])
    if not isinstance(found, list):
        found = [f for fn in csrc.functions_holding(data, offsets) for f in _dead_in(rule, path, fn, local)]
        _DISK.put("flow", one, found)
    return found


_DISK = DiskCache()
_MEMO: dict[tuple[str, str, bytes, tuple[bytes | None, ...]], list[Finding]] = {}


def _masking(node: Node, table: dict[str, str]) -> tuple[str, set[str], str] | None:
    """(variable, flags it may hold after, mask text) for `x &= MASK` or `x = y & MASK`."""
    if node.type != "assignment_expression":
        return None
    left, right, op = (node.child_by_field_name(k) for k in ("left", "right", "operator"))
    if left is None or right is None or op is None or left.type != "identifier":
        return None
    if op.type == "&=":
        mask = csrc.text(right)
    elif (
        op.type == "="
        and right.type == "binary_expression"
        and csrc.text(right.child_by_field_name("operator") or right) == "&"
    ):
        a, b = right.child_by_field_name("left"), right.child_by_field_name("right")
        if a is None or b is None:
            return None
        mask = csrc.text(b) if _leaves(csrc.text(b), table) is not None else csrc.text(a)
    else:
        return None
    leaves = _leaves(mask, table)
    return (csrc.text(left), leaves, mask) if leaves else None


def _assigns(node: Node, var: str) -> bool:
    if node.type in ("assignment_expression", "update_expression"):
        target = node.child_by_field_name("left") or node.child_by_field_name("argument")
        return target is not None and csrc.text(target) == var
    if node.type == "pointer_expression":  # &var handed to someone who may write it
        arg = node.child_by_field_name("argument")
        return csrc.text(node).startswith("&") and arg is not None and csrc.text(arg) == var
    return False


# The nodes `_dead_in` looks at: maskings and other writes (`_masking`, `_assigns`), and tests
_FLOW_NODES = ("assignment_expression", "update_expression", "pointer_expression", "binary_expression")


def _dead_in(rule: PackRule, path: str, fn: csrc.Function, table: dict[str, str]) -> Iterator[Finding]:
    nodes = cparse.nodes_of_types(fn.body, _FLOW_NODES)
    maskings = [(n, m) for n in nodes if (m := _masking(n, table)) is not None]
    if not maskings:
        return
    cfg = CFG.of(fn.body)
    for node, (var, allowed, mask) in maskings:
        at = cfg.node_of(node)
        if at is None:
            continue
        writes = {i for n in nodes if _assigns(n, var) and n != node and (i := cfg.node_of(n)) is not None}
        for test in nodes:
            if (
                test.type != "binary_expression"
                or csrc.text(test.child_by_field_name("operator") or test) != "&"
            ):
                continue
            left, right = test.child_by_field_name("left"), test.child_by_field_name("right")
            if left is None or right is None or var not in (csrc.text(left), csrc.text(right)):
                continue
            other = csrc.text(right if csrc.text(left) == var else left)
            tested = _leaves(other, table)
            where = cfg.node_of(test)
            if not tested or tested & allowed or where is None or where == at:
                continue
            if not cfg.dominates(at, where) or where not in cfg.reachable(at):
                continue
            # Every path from the masking to the test must keep the mask: no write of var in between.
            if any(w in cfg.reachable(at) and where in cfg.reachable(w) | {w} for w in writes - {at}):
                continue
            yield pack_finding(
                rule,
                path,
                csrc.line_of(test),
                f"{fn.name}(): `{csrc.text(test)}` is always false: {var} was masked with {mask.strip()} "
                f"at line {csrc.line_of(node)}, which every path to the test goes through",
                flag=min(tested),
                evidence=(
                    f"{mask.strip()} = {' | '.join(sorted(allowed))}",
                    f"tested: {' | '.join(sorted(tested))}",
                ),
            )


# ---- R27 --------------------------------------------------------------------------------------------
def _vma_pointers(fn_node: Node, extra: str | None) -> set[str]:
    names = {extra} if extra else set()
    for node in cparse.nodes_of_types(fn_node, ("parameter_declaration", "declaration")):
        if "vm_area_struct" in csrc.text(node.child_by_field_name("type") or node):
            for declarator in cparse.nodes_of_types(node, ("pointer_declarator",)):
                inner = declarator.child_by_field_name("declarator")
                if inner is not None and inner.type == "identifier":
                    names.add(csrc.text(inner))
    return names


def read_after_call(rule: PackRule, scope: Scope) -> Iterator[Finding]:
    calls = set(rule.params["calls"])
    under = list(rule.params.get("under", ()))
    if scope.diff_only:
        yield from _read_after_call_in_diff(rule, scope, calls)
        return
    for path in scope.files(under):
        data = scope.cache.data(path)
        if data is None:
            continue
        for fn in csrc.functions_mentioning(data, calls):
            pointers = _vma_pointers(fn.node, rule.params.get("object"))
            yield from _reads_in(rule, _checked_by(rule), path, fn.name, fn.body, calls, pointers)


def _checked_by(rule: PackRule) -> tuple[str, ...]:
    return tuple(rule.params.get("checked_by", ()))


def _reads_in(
    rule: PackRule,
    checked_by: tuple[str, ...],
    path: str,
    name: str,
    body: Node,
    calls: set[str],
    pointers: set[str],
    lines: dict[int, int] | None = None,
    added: set[int] | None = None,
) -> Iterator[Finding]:
    fatal = csrc.calls(body, calls)
    if not fatal or not pointers:
        return
    cfg = CFG.of(body)
    nodes = list(csrc.walk(body))
    # A path that tests the call's result for the cases where the lock was dropped (VM_FAULT_RETRY) has
    # handled them: past that test the VMA is still locked.
    checked = {
        n.index
        for n in cfg.nodes
        if n.kind == "cond" and n.node is not None and any(c in csrc.text(n.node) for c in checked_by)
    }
    for var in sorted(pointers):
        writes = {i for n in nodes if _assigns(n, var) and (i := cfg.node_of(n)) is not None}
        reads = [
            n
            for n in nodes
            if n.type == "field_expression"
            and csrc.text(n.child_by_field_name("argument") or n) == var
            and csrc.text(n.child_by_field_name("operator") or n) == "->"
        ]
        spans = []  # (call node, CFG node, CFG nodes reachable from it while var keeps its value)
        for call in fatal:
            at = cfg.node_of(call)
            if at is not None:
                spans.append((call, at, cfg.reachable(at, avoiding=(writes | checked) - {at})))
        for read in reads:
            where = cfg.node_of(read)
            line = csrc.line_of(read)
            real = lines.get(line, line) if lines is not None else line
            if where is None or (added is not None and real not in added):
                continue
            before = [c for c, at, after in spans if where != at and where in after]
            if not before:
                continue
            callees = sorted({csrc.text(c.child_by_field_name("function") or c) for c in before})
            first = min(csrc.line_of(c) for c in before)
            first = lines.get(first, first) if lines is not None else first
            flags = flags_in(csrc.text(read.parent or read))
            yield pack_finding(
                rule,
                path,
                real,
                f"{name}() reads {csrc.text(read)} after {_either(callees)} (line {first}), "
                f"which may have dropped the lock and freed {var}",
                flag=min(flags) if flags else None,
                evidence=(
                    f"a path of {name}()'s control flow goes from the call to the read without "
                    f"assigning {var} again",
                ),
            )


def _either(names: list[str]) -> str:
    """`a()`, `a() or b()`, `a(), b() or c()`."""
    calls = [f"{name}()" for name in names]
    return calls[0] if len(calls) == 1 else f"{', '.join(calls[:-1])} or {calls[-1]}"


def _read_after_call_in_diff(rule: PackRule, scope: Scope, calls: set[str]) -> Iterator[Finding]:
    """Without the files: each hunk that adds a read of a VMA pointer is parsed on its own (as the body of
    a function); a hunk that also shows a call is decided on its graph, one that does not is skipped."""
    if scope.view is None:
        return
    callers = set(rule.params.get("callers", ()))
    pattern = re.compile(r"\b(\w+)\s*->\s*\w+")
    for patch in scope.view.upto(scope.upto):
        for hunk_lines, first, added_lines, function, path in _hunks(patch):
            reads = [t for t in added_lines.values() if pattern.search(t)]
            if not reads:
                continue
            text = "\n".join(hunk_lines)
            shown = [c for c in sorted(calls) if re.search(rf"\b{re.escape(c)}\s*\(", text)]
            if not shown:
                if function in callers:
                    scope.notes.append(
                        f"{rule.id} {rule.name}: skipped for {path} {function}(): the hunks add a read of a "
                        f"VMA but do not show {' or '.join(f'{c}()' for c in sorted(calls))}; run with --tree"
                    )
                continue
            opened = max(0, max(_depths(hunk_lines), default=0) * -1)
            closing = _depths(hunk_lines)[-1] + opened if hunk_lines else 0
            wrapped = (
                "void __hunk(struct vm_area_struct *vma)\n{"
                + "{" * opened
                + "\n"
                + text
                + "\n"
                + "}" * closing
                + "}\n"
            )
            root = csrc.parse(wrapped.encode())
            if root.has_error:
                scope.notes.append(
                    f"{rule.id} {rule.name}: skipped for {path} {function}(): the hunk does not parse alone"
                )
                continue
            fn = next((n for n in csrc.walk(root) if n.type == "function_definition"), None)
            body = fn.child_by_field_name("body") if fn is not None else None
            if body is None:
                continue
            mapping = {k + 3: first + k for k in range(len(hunk_lines))}  # after the 2 wrapper lines
            pointers = _vma_pointers(root, rule.params.get("object")) | _declared_vmas(text)
            yield from _reads_in(
                rule,
                _checked_by(rule),
                path,
                function or "?",
                body,
                calls,
                pointers,
                mapping,
                set(added_lines),
            )


def _depths(lines: list[str]) -> list[int]:
    depth, out = 0, []
    for line in lines:
        depth += line.count("{") - line.count("}")
        out.append(depth)
    return out


def _declared_vmas(text: str) -> set[str]:
    return set(re.findall(r"struct\s+vm_area_struct\s*\*\s*(\w+)", text))


def _hunks(patch: PatchView) -> Iterator[tuple[list[str], int, dict[int, str], str | None, str]]:
    """(post-image lines, first line number, added line number -> text, function, path) per hunk that adds
    lines: an added line knows the earlier lines of its hunk and up to three after it."""
    by_hunk: dict[tuple[str, int], list[AddedLine]] = {}
    for added in patch.added:
        by_hunk.setdefault((added.path, added.line - len(added.after)), []).append(added)
    for (path, start), group in by_hunk.items():
        last = max(group, key=lambda a: a.line)
        trailing = list(last.near[min(3, len(last.after)) + 1 :])
        lines = [*last.after, last.text, *trailing]
        yield lines, start, {a.line: a.text for a in group}, group[0].function, path
