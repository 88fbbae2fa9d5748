"""tree-sitter-c parsing of kernel C, made preprocessor-aware.

Directive lines are blanked out before parsing (byte offsets and line numbers unchanged), so an initializer
interleaved with `#ifdef`s parses as one clean list; every node then takes the guard of its line from
`PreprocFile`. Macro bodies that hold tables are parsed on their own, after expanding the small wrapper
macros the file defines (each definition variant expanded under its own guard).

`PARSE_COUNT` counts tree-sitter invocations; the cache tests use it to prove a warm run parses nothing.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from patchcheck.source.guards import TRUE, Formula, conj
from patchcheck.source.preproc import MacroDef

if TYPE_CHECKING:  # tree-sitter is imported on first parse: warm runs that parse nothing skip it
    from tree_sitter import Node, Parser, Query, Tree

PARSE_COUNT = 0
_PARSER: Parser | None = None


def _parser() -> Parser:
    global _PARSER
    if _PARSER is None:
        import tree_sitter_c
        from tree_sitter import Language, Parser

        _PARSER = Parser(Language(tree_sitter_c.language()))
    return _PARSER


# Node searches by tree-sitter queries: the matching runs in C, where a walk visits every node in Python.
# Each returns its nodes outer before inner, in source order, as a walk would.


def named_identifiers(root: Node, prefix: str) -> list[Node]:
    """Every identifier below `root` whose name begins with `prefix`."""
    return _captured(root, f'((identifier) @id (#match? @id "^{re.escape(prefix)}"))')


def identifiers_among(root: Node, names: frozenset[str]) -> list[Node]:
    """Every identifier below `root` that is one of `names` (C identifiers)."""
    if not names:
        return []
    quoted = " ".join(f'"{name}"' for name in sorted(names))
    return _captured(root, f"((identifier) @id (#any-of? @id {quoted}))")


def nodes_of_types(root: Node, types: tuple[str, ...]) -> list[Node]:
    """Every node below `root` (and itself) of one of `types` (named node types)."""
    return _captured(root, "[" + " ".join(f"({kind})" for kind in types) + "] @id")


def calls_below(root: Node) -> list[tuple[Node, Node]]:
    """(call, the identifier it calls) of every call of a named function below `root`."""
    from tree_sitter import QueryCursor

    query = _query("(call_expression function: (identifier) @fn) @call")
    found = [(match["call"][0], match["fn"][0]) for _, match in QueryCursor(query).matches(root)]
    return sorted(found, key=lambda pair: (pair[0].start_byte, -pair[0].end_byte))


def _captured(root: Node, pattern: str) -> list[Node]:
    """The nodes `pattern` captures as @id below `root`, in order."""
    from tree_sitter import QueryCursor

    found = QueryCursor(_query(pattern)).captures(root).get("id", [])
    return sorted(found, key=lambda node: (node.start_byte, -node.end_byte))


def _query(pattern: str) -> Query:
    """`pattern` compiled once a process (a few hundred at most)."""
    from tree_sitter import Query

    query = _QUERIES.get(pattern)
    if query is None:
        if len(_QUERIES) >= 256:
            _QUERIES.clear()
        language = _parser().language
        assert language is not None  # the parser is made with it
        query = _QUERIES[pattern] = Query(language, pattern)
    return query


_QUERIES: dict[str, Query] = {}


def parse(text: str) -> Tree:
    """Parse C text (already masked of directives); counted in PARSE_COUNT."""
    global PARSE_COUNT
    PARSE_COUNT += 1
    return _parser().parse(text.encode("utf-8", "surrogateescape"))


def parse_bytes(data: bytes) -> Tree:
    """Parse C bytes (already masked of directives); counted in PARSE_COUNT."""
    global PARSE_COUNT
    PARSE_COUNT += 1
    return _parser().parse(data)


def node_text(node: Node) -> str:
    return (node.text or b"").decode("utf-8", "surrogateescape")


def walk(node: Node, kind: str) -> Iterator[Node]:
    """Every descendant (and self) of the given type, in source order."""
    stack = [node]
    while stack:
        current = stack.pop()
        if current.type == kind:
            yield current
        stack.extend(reversed(current.children))


def find_function(tree: Tree, name: str) -> Node | None:
    for fn in walk(tree.root_node, "function_definition"):
        declarator = fn.child_by_field_name("declarator")
        while declarator is not None and declarator.type != "function_declarator":
            declarator = declarator.child_by_field_name("declarator")
        if declarator is not None:
            ident = declarator.child_by_field_name("declarator")
            if ident is not None and node_text(ident) == name:
                return fn
    return None


def string_value(node: Node) -> str | None:
    """The value of a string literal node (concatenations joined), or None if it is not one."""
    if node.type == "string_literal":
        return "".join(node_text(c) for c in node.children if c.type in ("string_content", "escape_sequence"))
    if node.type == "concatenated_string":
        parts = [string_value(c) for c in node.children if c.type == "string_literal"]
        return None if any(p is None for p in parts) else "".join(p or "" for p in parts)
    return None


# -- macro expansion -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Expansion:
    text: str
    guard: Formula
    via: tuple[str, ...]  # the macros expanded to produce this text, outermost first
    lines: tuple[int, ...] = ()  # the lines of the #defines used, in the same order


_IDENT = re.compile(r"[A-Za-z_]\w*")


def split_args(text: str, start: int) -> tuple[list[str], int] | None:
    """Arguments of a call whose '(' is at `start`: (args, index after ')')."""
    depth, i, args, current = 0, start, [], []
    while i < len(text):
        c = text[i]
        if c in "([{":
            depth += 1
            if depth > 1:
                current.append(c)
        elif c in ")]}":
            depth -= 1
            if depth == 0:
                args.append("".join(current).strip())
                return args, i + 1
            current.append(c)
        elif c == "," and depth == 1:
            args.append("".join(current).strip())
            current = []
        elif c == '"':
            j = i + 1
            while j < len(text) and text[j] != '"':
                j += 2 if text[j] == "\\" else 1
            current.append(text[i : j + 1])
            i = j
        else:
            current.append(c)
        i += 1
    return None


def substitute_params(body: str, params: tuple[str, ...], args: list[str]) -> str:
    values = dict(zip(params, args, strict=False))

    def stringify(m: re.Match[str]) -> str:
        return '"' + values.get(m.group(1), m.group(1)).replace('"', '\\"') + '"'

    body = re.sub(
        r"(?<!#)#\s*([A-Za-z_]\w*)", lambda m: stringify(m) if m.group(1) in values else m.group(0), body
    )
    body = _IDENT.sub(lambda m: values.get(m.group(0), m.group(0)), body)
    return re.sub(r"\s*##\s*", "", body)


MAX_EXPANSIONS = 64  # per call: hostile input must not make variant combinations explode


def expand_variants(
    text: str, macros: dict[str, list[MacroDef]], names: set[str] | None = None, depth: int = 0
) -> list[Expansion]:
    """Expand, in `text`, the macros of `macros` (restricted to `names`), one result per combination of
    definition variants, each with the conjunction of the guards of the definitions it used."""
    if depth > 8 or len(text) > 100_000:
        return [Expansion(text, TRUE, ())]
    for m in _IDENT.finditer(text):
        name = m.group(0)
        if name not in macros or (names is not None and name not in names):
            continue
        variants = macros[name]
        out: list[Expansion] = []
        for d in variants:
            end = m.end()
            if d.params is not None:
                paren = re.match(r"\s*\(", text[end:])
                if paren is None:
                    continue
                parsed = split_args(text, end + paren.end() - 1)
                if parsed is None:
                    continue
                args, end = parsed
                replacement = substitute_params(d.body, d.params, args)
            else:
                replacement = d.body
            expanded = text[: m.start()] + replacement + text[end:]
            for rest in expand_variants(expanded, macros, names, depth + 1):
                out.append(
                    Expansion(rest.text, conj(d.guard, rest.guard), (name, *rest.via), (d.line, *rest.lines))
                )
        return out[:MAX_EXPANSIONS]
    return [Expansion(text, TRUE, ())]
