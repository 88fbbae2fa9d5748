"""Sites that move: tests reached through helper calls, and members that were renamed or moved.

A member tests a flag when the test is in its body or in a helper it calls: a function of the same file, or
a `static inline` function of a header the file includes (`<linux/x.h>` or `"x.h"` beside it), and so on up
to `DEPTH` calls deep. Tests are `x & VM_X` or the bit-number form (`VMA_X_BIT` passed to bitmap helpers),
see `csrc.flag_tests`.

When a member's function is gone, `relocate` looks for where its pattern lives now: the same function name
in another file (dup_mmap() moved from kernel/fork.c to mm/mmap.c), else a function of the member's file
(then of its directory) that does what the member must do (its calls, its mask anchors, or its tests).
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Callable, Iterator

from tree_sitter import Node

from patchcheck.rules.packs.spec import Member, Site
from patchcheck.source import csrc

DEPTH = 3  # helper levels followed from a member (the issue asks for at least 2)
_INCLUDE = re.compile(rb'^[ \t]*#[ \t]*include[ \t]*([<"])([^>"]+)[>"]', re.M)
# Where a moved member is looked for by name: its own directory first, then the usual homes of VM code.
_HOMES = ("mm", "kernel", "include/linux", "fs")


class Reach:
    """Calls from a function to the helpers it can see, over one run's SourceCache."""

    def __init__(self, data: Callable[[str], bytes | None], list_files: Callable[[str], list[str]]) -> None:
        self._data = data
        self._list = list_files
        self._headers: dict[str, list[str]] = {}
        # (file, name) -> (definitions, the files read to find them)
        self._defined: dict[tuple[str, str], tuple[list[tuple[str, csrc.Function]], list[str]]] = {}

    def helpers(self, path: str, node: Node) -> Iterator[tuple[str, csrc.Function, tuple[str, ...]]]:
        """(file, helper, call chain) for every helper reachable from `node` (a body or a condition)."""
        seen: set[tuple[str, str]] = set()
        frontier: list[tuple[str, Node, tuple[str, ...]]] = [(path, node, ())]
        for _ in range(DEPTH):
            following: list[tuple[str, Node, tuple[str, ...]]] = []
            for where, scope, chain in frontier:
                for name in sorted(csrc.called_names(scope)):
                    for file, fn in self._definitions(where, name):
                        if (file, fn.name) in seen:
                            continue
                        seen.add((file, fn.name))
                        step = (*chain, f"{fn.name}() ({file}:{fn.line})")
                        yield file, fn, step
                        following.append((file, fn.body, step))
            frontier = following

    def tests(self, path: str, node: Node, flag: str) -> tuple[str, ...] | None:
        """The call chain to a helper that tests `flag` (() when `node` tests it itself), else None."""
        if csrc.flag_tests(node, flag):
            return ()
        for _, fn, chain in self.helpers(path, node):
            if csrc.flag_tests(fn.body, flag):
                return chain
        return None

    def _definitions(self, path: str, name: str) -> list[tuple[str, csrc.Function]]:
        """The definitions a call of `name` from `path` can reach (once per run: members share helpers).
        A remembered answer reads its files again (from the run's cache): a judgement that uses it records
        them as its inputs (patchcheck.rules.packs.members, `Reads`)."""
        known = self._defined.get((path, name))
        if known is not None:
            found, read = known
            for file in read:
                self._data(file)
            return found
        data = self._data(path)
        read = [path]
        found = [(path, fn) for fn in csrc.find_functions(data, name)] if data is not None else []
        if not found:
            for header in self._included(path):
                read.append(header)
                hdata = self._data(header)
                if hdata is not None:
                    found += [(header, fn) for fn in csrc.find_functions(hdata, name) if _static_inline(fn)]
        self._defined[path, name] = (found, read)
        return found

    def _included(self, path: str) -> list[str]:
        if path not in self._headers:
            data = self._data(path) or b""
            found = []
            for kind, name in _INCLUDE.findall(data):
                target = name.decode("utf-8", "replace").strip()
                if kind == b"<":
                    found.append(f"include/{target}")
                else:
                    found.append(posixpath.normpath(posixpath.join(posixpath.dirname(path), target)))
            self._headers[path] = found
        return self._headers[path]

    # ---- members that moved ---------------------------------------------------------------------------
    def relocate(self, member: Member, flag: str) -> list[Site]:
        """Where a member whose function is gone lives now: its name elsewhere, else its pattern."""
        name = member.site.function
        gone = {(s.file, s.function) for s in (member.site, *member.alternatives)}
        places = self._places(member.site.file)
        by_name = [
            Site(p, name)
            for p in places
            if (p, name) not in gone
            if (data := self._data(p)) is not None and csrc.find_functions(data, name)
        ]
        if by_name:
            return by_name
        for scope in (
            places[:1],
            [p for p in places if posixpath.dirname(p) == posixpath.dirname(member.site.file)],
        ):
            found = [
                Site(p, fn.name)
                for p in scope
                if (data := self._data(p)) is not None
                for fn in _pattern_functions(member, flag, data)
            ]
            if found:
                return found
        return []

    def _places(self, file: str) -> list[str]:
        """The member's file, then C files of its directory and the usual homes, each once."""
        out = [file]
        for directory in (posixpath.dirname(file), *_HOMES):
            out += sorted(p for p in self._list(directory) if p.endswith((".c", ".h")))
        return list(dict.fromkeys(out))


def _pattern_functions(member: Member, flag: str, data: bytes) -> list[csrc.Function]:
    """Functions of a file that do what the member must: call its guarded calls, test its mask anchors or
    set the flag at creation, or else test the flag."""
    if member.must_not_clear or member.refuses_clearing:
        return []  # no positive pattern to look for
    calls = set(member.guards_calls) | set(member.condition_with_calls)
    needles = calls or set(member.mask_with) or {flag}
    return [fn for fn in csrc.functions_mentioning(data, needles) if _does(member, flag, calls, fn)]


def _does(member: Member, flag: str, calls: set[str], fn: csrc.Function) -> bool:
    if calls:
        return bool(csrc.calls(fn.body, calls))
    if member.mask_with:
        return any(csrc.is_flag_test(a) for a in csrc.identifiers(fn.body, set(member.mask_with)))
    if member.creation:
        return flag in csrc.or_assigned(fn.body)
    return bool(csrc.flag_tests(fn.body, flag))


def _static_inline(fn: csrc.Function) -> bool:
    head = csrc.text(fn.node).split("(", 1)[0]
    return "static" in head.split() and ("inline" in head or "__always_inline" in head)
