"""C functions as every rule sees them: guarded, parsed one by one, with the small C idioms rules ask about.

`CSource(data)` is one C file. Comments and preprocessor directive lines are blanked before tree-sitter sees
it (byte offsets within the blanked text and all line numbers are those of the file), so a function whose
body holds `#ifdef` lines parses as one function, and every node has the guard of its line
(`guard_at(line)`, from `preproc.PreprocFile`). Functions are located by counting braces
(patchcheck.source.ctop; a whole-file parse only when they do not balance), kept in memory and on disk by
content, then each is parsed on its own when asked for: an error tree-sitter recovers from stays in its
function.

The helpers below (flag tests, guarded calls, OR-masks, case blocks, ...) work on tree-sitter nodes of
function bodies. `source(data)` memoises CSource objects by content.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING

from patchcheck.source import cparse
from patchcheck.source.cache import DiskCache, digest
from patchcheck.source.ctop import top_level_blocks, without_attributes
from patchcheck.source.guards import FALSE, Formula
from patchcheck.source.preproc import PreprocFile, at_line_starts, blank_comments_bytes, preprocess
from patchcheck.source.tree import decode_source

if TYPE_CHECKING:
    from tree_sitter import Node


@dataclass(frozen=True)
class Function:
    name: str
    node: Node  # the function_definition
    body: Node  # its compound_statement
    src: CSource = field(repr=False, compare=False)

    @property
    def line(self) -> int:
        return self.node.start_point[0] + 1

    @property
    def guard(self) -> Formula:
        """The guard of its first line."""
        return self.src.guard_at(self.line)


# name -> [(start byte, end byte, first row)] of the blocks that may define a function of that name, by
# content digest (patchcheck.source.ctop; a block is listed under every name its head calls, and parsing it
# says which function it is). On disk each list is flat ([start, end, row, ...]): plain JSON numbers, cheap
# to read back. Which blocks are under a guard that is always false (`#if 0`) is kept apart (`_uncompiled`):
# deciding it takes the file's preprocessing, which a third of the files indexed never need otherwise.
FunctionIndex = dict[str, list[tuple[int, int, int]]]
_STORED = dict[str, list[int]]
_DISK = DiskCache()
_INDEX_NAMESPACE = "csrc-functions-v7"
_UNCOMPILED_NAMESPACE = "csrc-uncompiled-v1"
_SOURCES: dict[int, CSource] = {}  # by id() of the content: a run reads each file once
_MAX_SOURCES = 256
# A directive from its `#` to the end of its last line (`at_line_starts` keeps those that begin a line)
_DIRECTIVE = re.compile(r"#(?:[^\n]*\\\n)*[^\n]*")


def _mask(data: bytes) -> bytes:
    """Comments and directive lines blanked, byte for byte (latin-1: one byte is one character)."""
    return _blank_directives(blank_comments_bytes(data).decode("latin-1")).encode("latin-1")


def _blank_directives(text: str) -> str:
    """Every preprocessor line (with the lines its backslashes continue) blanked, newlines kept."""
    parts: list[str] = []
    done = 0
    for line_start, match in at_line_starts(_DIRECTIVE, text):
        lines = text[line_start : match.end()].split("\n")
        parts += [text[done:line_start], "\n".join(" " * len(line) for line in lines)]
        done = match.end()
    return "".join([*parts, text[done:]]) if parts else text


class CSource:
    """One C file, preprocessor-aware (see the module doc)."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self._parsed: dict[tuple[int, int, int], Function | None] = {}

    @cached_property
    def key(self) -> str:
        return digest(self.data)

    @cached_property
    def pre(self) -> PreprocFile:
        if self.data.isascii():  # then one character is one byte: the comments are blanked once for both
            return preprocess(self.data.decode("ascii"), clean=self.uncommented)
        return preprocess(decode_source(self.data))

    @cached_property
    def masked(self) -> bytes:
        """The file with comments and directives blanked (same length): what tree-sitter parses."""
        return _blank_directives(self.uncommented).encode("latin-1")

    @cached_property
    def uncommented(self) -> str:
        """Comments blanked as C reads them (literals kept), one character per byte (latin-1)."""
        return blank_comments_bytes(self.data).decode("latin-1")

    def guard_at(self, line: int) -> Formula:
        return self.pre.guard_at(line)

    def guard_of(self, node: Node) -> Formula:
        return self.guard_at(node.start_point[0] + 1)

    def root(self) -> Node:
        """The whole file parsed (blanked text)."""
        return cparse.parse_bytes(self.masked).root_node

    @cached_property
    def index(self) -> FunctionIndex:
        stored = _DISK.get(_INDEX_NAMESPACE, self.key, _STORED)
        if isinstance(stored, dict) and all(len(flat) % 3 == 0 for flat in stored.values()):
            return {
                name: [(flat[i], flat[i + 1], flat[i + 2]) for i in range(0, len(flat), 3)]
                for name, flat in stored.items()
            }
        index: FunctionIndex = {}
        blocks = top_level_blocks(self.masked)
        if blocks is not None:
            for block in blocks:
                for name in dict.fromkeys(block.names):
                    index.setdefault(name, []).append((block.start, block.end, block.row))
        else:  # braces that do not balance: tree-sitter's reading of the whole file
            for fn in _functions_in(self.root(), self):
                node = fn.node
                index.setdefault(fn.name, []).append((node.start_byte, node.end_byte, node.start_point[0]))
        _DISK.put(
            _INDEX_NAMESPACE,
            self.key,
            {name: [int(v) for span in spans for v in span] for name, spans in index.items()},
        )
        return index

    @cached_property
    def _uncompiled(self) -> frozenset[int]:
        """The indexed blocks (by first byte) under a guard that is always false (`#if 0`): decided when a
        rule first looks inside the file, and kept by content, so that a warm run needs no guard of a
        function it skips."""
        stored = _DISK.get(_UNCOMPILED_NAMESPACE, self.key, list[int])
        if isinstance(stored, list):
            return frozenset(stored)
        spans = {(start, row) for spans in self.index.values() for start, _, row in spans}
        found = sorted(start for start, row in spans if self.guard_at(row + 1) == FALSE)
        _DISK.put(_UNCOMPILED_NAMESPACE, self.key, found)
        return frozenset(found)

    def _compiled(self, start: int) -> bool:
        return start not in self._uncompiled

    def _parse_function(self, start: int, end: int, row: int) -> Function | None:
        """Parse one function on its own (blanked on its own: comments and directives never cross a function
        definition); leading newlines keep its line numbers those of the file."""
        span = (start, end, row)
        if span not in self._parsed:  # once per content: the states of a series share it
            block = _mask(self.data[start:end])
            found = list(_functions_in(cparse.parse_bytes(b"\n" * row + block).root_node, self))
            for name, blanked in without_attributes(block) if not found else ():
                again = _functions_in(cparse.parse_bytes(b"\n" * row + blanked).root_node, self)
                found = [fn for fn in again if fn.name == name]
                if found:
                    break
            self._parsed[span] = found[0] if found else None
        return self._parsed[span]

    def functions(self, name: str) -> list[Function]:
        """Every definition of `name` in a configuration that can be compiled (`#if 0` blocks are not)."""
        if "index" in self.__dict__:  # loaded: a dict lookup is cheaper than searching the text
            if name not in self.index:
                return []
        elif name.encode() not in self.data:
            return []
        return [
            fn
            for start, end, row in self.index.get(name, [])
            if self._compiled(start) and (fn := self._parse_function(start, end, row)) is not None
            if fn.name == name
        ]

    def functions_mentioning(self, needles: Iterable[str]) -> list[Function]:
        """Every function whose text contains one of `needles`, each parsed on its own."""
        raw = [n.encode() for n in needles]
        if not any(n in self.data for n in raw):
            return []
        return self._functions_where(lambda start, end: any(n in self.data[start:end] for n in raw))

    def functions_holding(self, offsets: Iterable[int]) -> list[Function]:
        """Every function whose text holds one of the byte `offsets`, each parsed on its own."""
        points = sorted(set(offsets))
        if not points:
            return []

        def holds(start: int, end: int) -> bool:
            at = bisect.bisect_left(points, start)
            return at < len(points) and points[at] < end

        return self._functions_where(holds)

    def _functions_where(self, wanted: Callable[[int, int], bool]) -> list[Function]:
        """The indexed functions whose span (start, end byte) is `wanted` and compiled, in line order."""
        spans = dict.fromkeys(span for spans in self.index.values() for span in spans)
        found = [
            fn
            for start, end, row in spans
            if wanted(start, end) and self._compiled(start)
            if (fn := self._parse_function(start, end, row)) is not None
        ]
        return sorted(found, key=lambda f: f.line)


def functions_holding(data: bytes, offsets: Iterable[int]) -> list[Function]:
    return source(data).functions_holding(offsets)


def source(data: bytes) -> CSource:
    """The CSource of this content (memoised by object: rules reading the same file share its parses)."""
    found = _SOURCES.get(id(data))
    if found is None or found.data is not data:
        if len(_SOURCES) >= _MAX_SOURCES:
            _SOURCES.pop(next(iter(_SOURCES)))
        found = _SOURCES[id(data)] = CSource(data)
    return found


def parse(data: bytes) -> Node:
    """The root node of the blanked file."""
    return source(data).root()


def find_functions(data: bytes, name: str) -> list[Function]:
    return source(data).functions(name)


def functions_mentioning(data: bytes, needles: Iterable[str]) -> list[Function]:
    return source(data).functions_mentioning(needles)


def text(node: Node) -> str:
    return (node.text or b"").decode("utf-8", "surrogateescape")


def line_of(node: Node) -> int:
    return node.start_point[0] + 1


def walk(node: Node) -> Iterator[Node]:
    stack = [node]
    while stack:
        current = stack.pop()
        yield current
        stack.extend(reversed(current.children))


def _declarator_name(node: Node | None) -> str | None:
    while node is not None:
        if node.type in ("identifier", "field_identifier"):
            return text(node)
        if node.type == "function_declarator":
            node = node.child_by_field_name("declarator")
            continue
        inner = node.child_by_field_name("declarator")
        if inner is None:
            return None
        node = inner
    return None


_CONTAINERS = {
    "translation_unit",
    "preproc_if",
    "preproc_ifdef",
    "preproc_else",
    "preproc_elif",
    "preproc_elifdef",
    "linkage_specification",
    "declaration_list",
    "ERROR",
}


def _top_level(root: Node) -> Iterator[Node]:
    """Function definitions live at file level, possibly inside #if blocks: never walk into bodies."""
    stack = [root]
    while stack:
        node = stack.pop()
        if node.type == "function_definition":
            yield node
        elif node.type in _CONTAINERS:
            stack.extend(reversed(node.children))


def _functions_in(root: Node, src: CSource) -> Iterator[Function]:
    for node in _top_level(root):
        declarator = node.child_by_field_name("declarator")
        body = node.child_by_field_name("body")
        # A function_definition's declarator must contain a function_declarator.
        if (
            body is None
            or declarator is None
            or not any(n.type == "function_declarator" for n in walk(declarator))
        ):
            continue
        name = _declarator_name(declarator)
        if name:
            yield Function(name, node, body, src)


def identifiers(node: Node, names: frozenset[str] | set[str] | None = None) -> Iterator[Node]:
    """The identifiers below `node` (those of `names` only, when given), in source order."""
    if names is not None and all(_PLAIN_NAME.fullmatch(n) for n in names):
        return iter(cparse.identifiers_among(node, frozenset(names)))  # a query, in C
    return (sub for sub in walk(node) if sub.type == "identifier" and (names is None or text(sub) in names))


_PLAIN_NAME = re.compile(r"[A-Za-z_]\w*", re.ASCII)


def _operator(node: Node) -> str | None:
    op = node.child_by_field_name("operator")
    return op.type if op is not None else None


def or_chain_top(node: Node) -> Node:
    """Climb from `node` through `a | b | (c)` to the whole OR-mask it belongs to."""
    while node.parent is not None:
        parent = node.parent
        if parent.type == "parenthesized_expression" or (
            parent.type == "binary_expression" and _operator(parent) == "|"
        ):
            node = parent
            continue
        break
    return node


def is_flag_test(ident: Node) -> bool:
    """True when the identifier is (part of) a mask that is ANDed with something: `x & FLAG`, `x &= ~M`."""
    top = or_chain_top(ident)
    parent = top.parent
    if parent is None:
        return False
    if parent.type == "binary_expression" and _operator(parent) == "&":
        return True
    return parent.type == "assignment_expression" and _operator(parent) == "&="


def bit_name(flag: str) -> str:
    """The enumerator of a flag's bit number (style B): VM_DROPPABLE -> VMA_DROPPABLE_BIT."""
    return f"VMA_{flag[3:]}_BIT" if flag.startswith("VM_") else flag


_BIT_MASKS = {"BIT", "BIT_ULL", "_BITUL", "INIT_VM_FLAG"}
_WRITERS = re.compile(r"set|clear|mod|assign|copy|init", re.I)


def is_bit_test(ident: Node) -> bool:
    """`VMA_X_BIT` read by a bitmap helper (`vma_flags_test(&f, VMA_X_BIT)`, `test_bit(VMA_X_BIT, ..)`), or
    made a mask that is tested (`flags & BIT(VMA_X_BIT)`); not when a helper sets or clears it."""
    parent = ident.parent
    call = parent.parent if parent is not None and parent.type == "argument_list" else None
    if call is None or call.type != "call_expression":
        return False
    fn = call.child_by_field_name("function")
    name = text(fn) if fn is not None else ""
    if name in _BIT_MASKS:
        return is_flag_test(call)
    return not _WRITERS.search(name)


def flag_tests(scope: Node, flag: str) -> list[Node]:
    """Tests of `flag` in `scope`: `x & VM_X` (in any OR-mask), or its bit number with a bitmap helper."""
    found = [ident for ident in identifiers(scope, {flag}) if is_flag_test(ident)]
    bit = bit_name(flag)
    if bit != flag:
        found += [ident for ident in identifiers(scope, {bit}) if is_bit_test(ident)]
    return sorted(found, key=lambda n: n.start_byte)


def mask_members(node: Node) -> set[str]:
    """All identifiers in the OR-mask containing `node`."""
    return {text(i) for i in identifiers(or_chain_top(node))}


def calls(scope: Node, names: set[str] | frozenset[str]) -> list[Node]:
    """The calls of a function of `names` below `scope`, outer before inner, in source order."""
    return [call for call, fn in cparse.calls_below(scope) if text(fn) in names]


def called_names(scope: Node) -> set[str]:
    return {text(fn) for _, fn in cparse.calls_below(scope)}


def conditions_over(node: Node, stop: Node) -> Iterator[Node]:
    """Conditions of the if statements / ternaries / && chains that decide whether `node` runs."""
    child = node
    current = node.parent
    while current is not None and current != stop:
        if current.type == "if_statement" or current.type == "conditional_expression":
            condition = current.child_by_field_name("condition")
            if condition is not None and child != condition:
                yield condition
        elif current.type == "binary_expression" and _operator(current) in ("&&", "||"):
            left = current.child_by_field_name("left")
            if left is not None and child != left:
                yield left
        child = current
        current = current.parent


def guarded_by_flag(node: Node, flag: str, stop: Node) -> bool:
    return any(flag_tests(cond, flag) for cond in conditions_over(node, stop))


def condition_tests_with_call(scope: Node, flag: str, call_names: set[str]) -> bool:
    """Some if/while condition (or &&/|| chain) tests `flag` and calls one of `call_names`."""
    for sub in walk(scope):
        if sub.type in ("if_statement", "while_statement"):
            cond = sub.child_by_field_name("condition")
            if cond is not None and flag_tests(cond, flag) and calls(cond, call_names):
                return True
    return False


def case_blocks(scope: Node) -> Iterator[tuple[list[str], Node]]:
    """`case A: case B: stmts` groups as (labels, the case_statement holding the statements)."""
    for switch in walk(scope):
        if switch.type != "switch_statement":
            continue
        body = switch.child_by_field_name("body")
        if body is None:
            continue
        pending: list[str] = []
        for case in body.named_children:
            if case.type != "case_statement":
                continue
            value = case.child_by_field_name("value")
            pending.append(text(value) if value is not None else "default")
            statements = [c for c in case.named_children if c != value]
            if statements:
                yield pending, case
                pending = []


def or_assigned(scope: Node, target: str | None = None) -> dict[str, list[Node]]:
    """Flags ORed into a variable: `x |= A | B` gives {A: [...], B: [...]}; the ident nodes are kept."""
    found: dict[str, list[Node]] = {}
    for sub in cparse.nodes_of_types(scope, ("assignment_expression",)):
        if _operator(sub) == "|=":
            left = sub.child_by_field_name("left")
            right = sub.child_by_field_name("right")
            if left is None or right is None or (target is not None and text(left) != target):
                continue
            for ident in identifiers(right):
                found.setdefault(text(ident), []).append(ident)
    return found


def and_not_cleared(scope: Node) -> set[str]:
    """Flags cleared with `x &= ~A` or `x &= ~(A | B)` or `vm_flags_clear(v, A)`."""
    cleared: set[str] = set()
    for sub in cparse.nodes_of_types(scope, ("assignment_expression", "call_expression")):
        if sub.type == "assignment_expression" and _operator(sub) == "&=":
            right = sub.child_by_field_name("right")
            if right is not None and right.type == "unary_expression" and text(right).startswith("~"):
                cleared |= {text(i) for i in identifiers(right)}
        elif sub.type == "call_expression":
            fn = sub.child_by_field_name("function")
            args = sub.child_by_field_name("arguments")
            if fn is not None and text(fn) == "vm_flags_clear" and args is not None:
                named = args.named_children
                if len(named) >= 2:
                    cleared |= {text(i) for i in identifiers(named[1])}
    return cleared
