"""The control-flow graph of one C function, built on tree-sitter nodes.

Nodes are the function's simple statements, the conditions of `if`/`while`/`do`/`for`/`switch`, and the
`for` initialisers and updates, plus an entry and an exit node. Edges follow C: branches, loops (with
`break` and `continue`), `switch` (every `case` is a successor of the condition, cases fall through),
`return`, `goto` to labels. Expressions are not split (`a && b()` is one node), so "B follows A" means
"some execution of the function runs A's statement and later B's". Rules ask: does A dominate B, can B be
reached from A without passing through some set of nodes, and which node holds a tree-sitter node.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from tree_sitter import Node


@dataclass
class CfgNode:
    index: int
    kind: str  # "entry", "exit", "stmt", "cond"
    node: Node | None
    succ: list[int] = field(default_factory=list)


class CFG:
    """Build with `CFG.of(function_body)`."""

    def __init__(self) -> None:
        self.nodes: list[CfgNode] = []
        self.entry = self._new("entry", None)
        self.exit = self._new("exit", None)
        self._breaks: list[int] = []
        self._continues: list[int] = []
        self._labels: dict[str, int] = {}
        self._gotos: list[tuple[int, str]] = []
        self._idom: list[int | None] | None = None

    @classmethod
    def of(cls, body: Node) -> CFG:
        graph = cls()
        first = graph._stmt(body, graph.exit)
        graph.nodes[graph.entry].succ = [first]
        for index, label in graph._gotos:
            graph.nodes[index].succ = [graph._labels.get(label, graph.exit)]
        return graph

    # -- building (backwards: each statement is built knowing where control goes after it) -----------------
    def _new(self, kind: str, node: Node | None, succ: Iterable[int] = ()) -> int:
        self.nodes.append(CfgNode(len(self.nodes), kind, node, list(succ)))
        return len(self.nodes) - 1

    def _stmt(self, node: Node | None, nxt: int) -> int:
        if node is None:
            return nxt
        kind = node.type
        if kind == "compound_statement":
            for child in reversed(node.named_children):
                if child.type != "comment":
                    nxt = self._stmt(child, nxt)
            return nxt
        handler = {
            "if_statement": self._if,
            "while_statement": self._while,
            "do_statement": self._do,
            "for_statement": self._for,
            "switch_statement": self._switch,
            "labeled_statement": self._labeled,
        }.get(kind)
        if handler is not None:
            return handler(node, nxt)
        if kind == "return_statement":
            return self._new("stmt", node, [self.exit])
        if kind == "break_statement":
            return self._new("stmt", node, [self._breaks[-1] if self._breaks else nxt])
        if kind == "continue_statement":
            return self._new("stmt", node, [self._continues[-1] if self._continues else nxt])
        if kind == "goto_statement":
            index = self._new("stmt", node)
            label = node.child_by_field_name("label")
            self._gotos.append((index, (label.text or b"").decode() if label else ""))
            return index
        return self._new("stmt", node, [nxt])

    def _if(self, node: Node, nxt: int) -> int:
        cond = self._new("cond", node.child_by_field_name("condition"))
        then = self._stmt(node.child_by_field_name("consequence"), nxt)
        alternative = node.child_by_field_name("alternative")
        if alternative is not None and alternative.type == "else_clause":
            inner = [c for c in alternative.named_children if c.type != "comment"]
            alternative = inner[0] if inner else None
        other = self._stmt(alternative, nxt)
        self.nodes[cond].succ = [then, other]
        return cond

    def _loop(self, body: Node | None, after: int, again: int) -> int:
        self._breaks.append(after)
        self._continues.append(again)
        try:
            return self._stmt(body, again)
        finally:
            self._breaks.pop()
            self._continues.pop()

    def _while(self, node: Node, nxt: int) -> int:
        cond = self._new("cond", node.child_by_field_name("condition"))
        self.nodes[cond].succ = [self._loop(node.child_by_field_name("body"), nxt, cond), nxt]
        return cond

    def _do(self, node: Node, nxt: int) -> int:
        cond = self._new("cond", node.child_by_field_name("condition"))
        first = self._loop(node.child_by_field_name("body"), nxt, cond)
        self.nodes[cond].succ = [first, nxt]
        return first

    def _for(self, node: Node, nxt: int) -> int:
        condition = node.child_by_field_name("condition")
        cond = self._new("cond", condition)
        update = node.child_by_field_name("update")
        again = self._new("stmt", update, [cond]) if update is not None else cond
        body = self._loop(node.child_by_field_name("body"), nxt, again)
        self.nodes[cond].succ = [body, nxt] if condition is not None else [body]
        init = node.child_by_field_name("initializer")
        return self._new("stmt", init, [cond]) if init is not None else cond

    def _switch(self, node: Node, nxt: int) -> int:
        cond = self._new("cond", node.child_by_field_name("condition"))
        body = node.child_by_field_name("body")
        cases = [c for c in body.named_children if c.type == "case_statement"] if body is not None else []
        self._breaks.append(nxt)
        entries: list[int] = []
        follow = nxt
        try:
            for case in reversed(cases):
                statements = [c for c in case.named_children if c != case.child_by_field_name("value")]
                for statement in reversed(statements):
                    if statement.type != "comment":
                        follow = self._stmt(statement, follow)
                entries.append(follow)
        finally:
            self._breaks.pop()
        has_default = any(c.child_by_field_name("value") is None for c in cases)
        self.nodes[cond].succ = list(reversed(entries)) + ([] if has_default else [nxt])
        return cond

    def _labeled(self, node: Node, nxt: int) -> int:
        label = node.child_by_field_name("label")
        inner = [c for c in node.named_children if c != label and c.type != "comment"]
        entry = self._stmt(inner[-1] if inner else None, nxt)
        if entry == nxt:  # `out: ;` or a label at the end: a node of its own, so gotos have a target
            entry = self._new("stmt", node, [nxt])
        self._labels[(label.text or b"").decode() if label else ""] = entry
        return entry

    # -- questions ------------------------------------------------------------------------------------
    def node_of(self, target: Node) -> int | None:
        """The innermost CFG node whose statement or condition contains `target`."""
        best: tuple[int, int] | None = None
        for n in self.nodes:
            if n.node is None or not (
                n.node.start_byte <= target.start_byte and target.end_byte <= n.node.end_byte
            ):
                continue
            span = n.node.end_byte - n.node.start_byte
            if best is None or span < best[0]:
                best = (span, n.index)
        return best[1] if best else None

    def reachable(self, start: int, avoiding: Iterable[int] = ()) -> set[int]:
        """Nodes reachable from `start` by one edge or more, never entering a node of `avoiding`."""
        blocked = set(avoiding)
        seen: set[int] = set()
        work = list(self.nodes[start].succ)
        while work:
            current = work.pop()
            if current in seen or current in blocked:
                continue
            seen.add(current)
            work.extend(self.nodes[current].succ)
        return seen

    def dominates(self, a: int, b: int) -> bool:
        """Whether every path from the entry to `b` passes through `a` (a node dominates itself). Of a node
        the entry cannot reach, vacuously, every node the entry reaches."""
        idom = self._immediate_dominators()
        if idom[b] is None:
            return idom[a] is not None
        while b != a and b != self.entry:
            b = idom[b]  # type: ignore[assignment]  # reachable nodes have an immediate dominator
        return b == a

    def _immediate_dominators(self) -> list[int | None]:
        """The immediate dominator of each node (None where the entry cannot reach it), by Cooper, Harvey and
        Kennedy's iteration ("A Simple, Fast Dominance Algorithm"): linear in the graph per round, where sets
        of dominators grow with its square."""
        if self._idom is not None:
            return self._idom
        postorder: list[int] = []
        seen = {self.entry}
        stack = [(self.entry, iter(self.nodes[self.entry].succ))]
        while stack:
            node, successors = stack[-1]
            for succ in successors:
                if succ not in seen:
                    seen.add(succ)
                    stack.append((succ, iter(self.nodes[succ].succ)))
                    break
            else:
                stack.pop()
                postorder.append(node)
        order = postorder[::-1]
        rank = {node: i for i, node in enumerate(order)}
        preds: list[list[int]] = [[] for _ in self.nodes]
        for node in order:
            for succ in self.nodes[node].succ:
                preds[succ].append(node)
        idom: list[int | None] = [None] * len(self.nodes)
        idom[self.entry] = self.entry
        changed = True
        while changed:
            changed = False
            for node in order[1:]:
                new: int | None = None
                for pred in preds[node]:
                    if idom[pred] is not None:
                        new = pred if new is None else self._meet(pred, new, idom, rank)
                if new is not None and idom[node] != new:
                    idom[node], changed = new, True
        self._idom = idom
        return idom

    @staticmethod
    def _meet(a: int, b: int, idom: list[int | None], rank: dict[int, int]) -> int:
        """The nearest common dominator of `a` and `b` in the tree built so far."""
        while a != b:
            while rank[a] > rank[b]:
                a = idom[a]  # type: ignore[assignment]
            while rank[b] > rank[a]:
                b = idom[b]  # type: ignore[assignment]
        return a
