"""The control-flow graph of a C function: branches, loops, switch fall-through, goto, dominance."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from tree_sitter import Node

from patchcheck.source import csrc
from patchcheck.source.cfg import CFG


def graph(body: str) -> tuple[CFG, Node]:
    data = f"int f(struct vm_area_struct *vma)\n{{\n{body}\n}}\n".encode()
    root = csrc.parse(data)
    fn = next(n for n in csrc.walk(root) if n.type == "function_definition")
    block = fn.child_by_field_name("body")
    assert block is not None
    return CFG.of(block), block


def at(cfg: CFG, block: Node, snippet: str) -> int:
    node = next(n for n in csrc.walk(block) if csrc.text(n) == snippet)
    index = cfg.node_of(node)
    assert index is not None, snippet
    return index


def test_a_statement_in_one_branch_does_not_dominate_what_follows_the_if() -> None:
    cfg, body = graph("if (a) x &= M; else y(); z(x);")
    assert not cfg.dominates(at(cfg, body, "x &= M"), at(cfg, body, "z(x)"))
    assert cfg.dominates(at(cfg, body, "a"), at(cfg, body, "z(x)"))


def test_the_else_branch_is_not_reached_from_the_then_branch() -> None:
    cfg, body = graph("if (a) { call(vma); } else { use(vma->vm_flags); } done();")
    assert at(cfg, body, "use(vma->vm_flags)") not in cfg.reachable(at(cfg, body, "call(vma)"))
    assert at(cfg, body, "done()") in cfg.reachable(at(cfg, body, "call(vma)"))


def test_a_loop_reaches_its_own_start_and_break_leaves_it() -> None:
    cfg, body = graph("while (c) { if (d) break; step(); } after();")
    step, cond = at(cfg, body, "step()"), at(cfg, body, "c")
    assert cond in cfg.reachable(step)
    assert at(cfg, body, "after()") in cfg.reachable(at(cfg, body, "break;"))
    assert step not in cfg.reachable(at(cfg, body, "break;"))


def test_switch_cases_fall_through_until_break() -> None:
    cfg, body = graph("switch (k) { case 1: one(); break; case 2: two(); default: three(); } end();")
    assert at(cfg, body, "three()") in cfg.reachable(at(cfg, body, "two()"))
    assert at(cfg, body, "two()") not in cfg.reachable(at(cfg, body, "one()"))


def test_goto_and_return() -> None:
    cfg, body = graph("if (e) goto out; mid(); return 1;\nout:\n\tfinish(); return 0;")
    assert at(cfg, body, "finish()") in cfg.reachable(at(cfg, body, "goto out;"))
    assert at(cfg, body, "finish()") not in cfg.reachable(at(cfg, body, "mid()"))


def test_reachable_avoiding_a_reassignment() -> None:
    cfg, body = graph("call(vma); vma = find(); use(vma->vm_flags);")
    start, again = at(cfg, body, "call(vma)"), at(cfg, body, "vma = find()")
    assert at(cfg, body, "use(vma->vm_flags)") not in cfg.reachable(start, avoiding={again})


def _dominators_by_sets(cfg: CFG) -> list[set[int]]:
    """The textbook fixpoint: a node's dominators are itself and what all its predecessors' share."""
    preds: list[list[int]] = [[] for _ in cfg.nodes]
    for n in cfg.nodes:
        for s in n.succ:
            preds[s].append(n.index)
    reach = cfg.reachable(cfg.entry) | {cfg.entry}
    dom = [set(reach) for _ in cfg.nodes]
    dom[cfg.entry] = {cfg.entry}
    changed = True
    while changed:
        changed = False
        for index in sorted(reach - {cfg.entry}):
            incoming = [dom[p] for p in preds[index] if p in reach]
            new = set.intersection(*incoming) | {index} if incoming else {index}
            if new != dom[index]:
                dom[index], changed = new, True
    return dom


@settings(max_examples=300, deadline=None)
@given(
    st.integers(2, 14).flatmap(
        lambda n: st.lists(st.lists(st.integers(0, n - 1), max_size=3), min_size=n, max_size=n)
    )
)
def test_dominance_is_the_textbook_fixpoints_on_any_graph(edges: list[list[int]]) -> None:
    cfg = CFG()  # entry 0, exit 1, then more nodes; any edges, cycles and unreachable nodes included
    while len(cfg.nodes) < len(edges):
        cfg._new("stmt", None)
    for node, succ in zip(cfg.nodes, edges, strict=True):
        node.succ = list(succ)
    expected = _dominators_by_sets(cfg)
    for a in range(len(edges)):
        for b in range(len(edges)):
            assert cfg.dominates(a, b) == (a in expected[b]), (a, b)
