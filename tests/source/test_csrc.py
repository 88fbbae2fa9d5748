"""The one C layer every rule reads: functions found through preprocessor noise, each with its guard, and
located from an index that a warm run reuses instead of parsing the whole file again."""

from __future__ import annotations

from pathlib import Path

import pytest

from patchcheck.source import cparse, csrc
from patchcheck.source.guards import TRUE, Sym, neg, render

TREE = Path(__file__).resolve().parents[2] / "fixtures" / "packs" / "tree"

GUARDED = b"""#include <linux/mm.h>

#ifdef CONFIG_64BIT
static inline bool wide_only(unsigned long vm_flags)
{
\treturn vm_flags & VM_DROPPABLE;
}
#else
static inline bool wide_only(unsigned long vm_flags)
{
\treturn false;
}
#endif

#if 0
static int never_built(void) { return VM_DROPPABLE; }
#endif

int split_condition(struct vm_area_struct *vma)
{
#ifdef CONFIG_PPC32
\tif (vma->vm_flags & VM_SAO)
#else
\tif (vma->vm_flags & VM_DROPPABLE)
#endif
\t\treturn 1;
\treturn 0;
}
"""


def test_each_variant_of_a_function_has_its_guard() -> None:
    found = csrc.source(GUARDED).functions("wide_only")
    assert [render(f.guard) for f in found] == [render(Sym("64BIT")), render(neg(Sym("64BIT")))]
    assert [bool(csrc.flag_tests(f.body, "VM_DROPPABLE")) for f in found] == [True, False]


def test_code_under_if_0_is_not_a_function() -> None:
    assert csrc.source(GUARDED).functions("never_built") == []


def test_a_body_with_directives_parses_and_each_line_keeps_its_guard() -> None:
    src = csrc.source(GUARDED)
    (fn,) = src.functions("split_condition")
    tests = csrc.flag_tests(fn.body, "VM_DROPPABLE") + csrc.flag_tests(fn.body, "VM_SAO")
    assert sorted(csrc.line_of(t) for t in tests) == [22, 24]
    assert {csrc.line_of(t): render(src.guard_of(t)) for t in tests} == {
        22: render(Sym("PPC32")),
        24: render(neg(Sym("PPC32"))),
    }
    assert src.guard_at(26) == TRUE


def test_function_index_is_reused_instead_of_reparsing(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    data = (TREE / "mm" / "mmap.c").read_bytes() + b"\n/* unique */\n"
    monkeypatch.setattr(csrc, "_DISK", csrc.DiskCache(tmp_path))
    sizes: list[int] = []
    real_parse = cparse.parse_bytes
    monkeypatch.setattr(cparse, "parse_bytes", lambda d: sizes.append(len(d)) or real_parse(d))
    assert [f.name for f in csrc.CSource(data).functions("do_mmap")] == ["do_mmap"]
    assert len(data) not in sizes and sizes  # cold: braces locate it, and only it is parsed
    sizes.clear()
    found = csrc.CSource(data).functions("__mmap_region")  # a new object (process): only the disk copy
    assert [f.name for f in found] == ["__mmap_region"] and found[0].line == 32
    assert len(data) not in sizes and sizes  # warm: just the function, parsed on its own


def test_what_if_0_hides_is_decided_when_a_rule_first_looks_into_the_file(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # Deciding it takes the file's preprocessing, which an indexed file a rule never looks into is spared;
    # once decided it is kept by content, and a warm run reads it back instead of preprocessing.
    monkeypatch.setattr(csrc, "_DISK", csrc.DiskCache(tmp_path))
    data = GUARDED + b"/* for this test only */\n"
    cold = csrc.CSource(data)
    assert set(cold.index) >= {"wide_only", "never_built", "split_condition"}
    assert cold.functions("not_here") == [] and "pre" not in cold.__dict__
    assert cold.functions("never_built") == [] and "pre" in cold.__dict__
    warm = csrc.CSource(data)
    assert warm.functions("never_built") == [] and len(warm.functions("wide_only")) == 2
    assert "pre" not in warm.__dict__


def test_ascii_and_utf8_files_are_masked_and_guarded_alike() -> None:
    # An ASCII file blanks its comments once for tree-sitter and the guards; a UTF-8 one each its own way.
    body = "#ifdef CONFIG_X\n/* {} */\nstatic int f(void)\n{{\n\treturn VM_A;\n}}\n#endif\n"
    for comment in ("plain", "Jos\u00e9 \u2014 wrote it"):
        data = body.format(comment).encode()
        src = csrc.CSource(data)
        assert (
            len(src.masked) == len(data)
            and b"#ifdef" not in src.masked
            and comment.encode() not in src.masked
        )
        (fn,) = src.functions("f")
        assert fn.line == 3 and render(fn.guard) == render(Sym("X"))


def test_identifiers_named_with_a_prefix_are_found_in_source_order() -> None:
    from patchcheck.source import cparse, csrc

    code = b"int VM_A;\nvoid f(void)\n{\n\tVM_B(x);\n\ty = VM_A + VM_C + XVM_D + vm_e;\n}\n"
    found = cparse.named_identifiers(csrc.parse(code), "VM_")
    assert [(csrc.text(n), csrc.line_of(n)) for n in found] == [
        ("VM_A", 1),
        ("VM_B", 4),
        ("VM_A", 5),
        ("VM_C", 5),
    ]


def test_identifiers_among_names_are_those_a_walk_finds() -> None:
    from pathlib import Path

    from patchcheck.source import csrc

    fixtures = Path(__file__).resolve().parents[2] / "fixtures"
    names = {"VM_LOCKED", "VM_SHARED", "VM_DROPPABLE", "vma", "flags"}
    files = sorted(fixtures.rglob("*.c"))[:40]
    assert files
    for path in files:
        root = csrc.parse(path.read_bytes())
        walked = [n for n in csrc.walk(root) if n.type == "identifier" and csrc.text(n) in names]
        assert [n.start_byte for n in csrc.identifiers(root, names)] == [n.start_byte for n in walked], path


def test_calls_found_by_query_are_those_a_walk_finds() -> None:
    from pathlib import Path

    from tree_sitter import Node

    from patchcheck.source import csrc

    def walked_calls(scope: Node) -> list[Node]:
        found = []
        for sub in csrc.walk(scope):
            fn = sub.child_by_field_name("function") if sub.type == "call_expression" else None
            if fn is not None and fn.type == "identifier":
                found.append(sub)
        return found

    fixtures = Path(__file__).resolve().parents[2] / "fixtures"
    nested = b"void f(void)\n{\n\ta(b(c(1)), d(2))(3);\n\tx->op(e(4));\n}\n"
    for data in [nested, *(p.read_bytes() for p in sorted(fixtures.rglob("*.c"))[:40])]:
        root = csrc.parse(data)
        walked = walked_calls(root)
        names = {csrc.text(c.child_by_field_name("function")) for c in walked}  # type: ignore[arg-type]
        assert [c.start_byte for c in csrc.calls(root, names)] == [c.start_byte for c in walked]
        assert csrc.called_names(root) == names


def test_nodes_of_types_are_those_a_walk_finds_in_the_same_order() -> None:
    from pathlib import Path

    from patchcheck.source import csrc

    kinds = ("assignment_expression", "update_expression", "pointer_expression", "binary_expression")
    fixtures = Path(__file__).resolve().parents[2] / "fixtures"
    nested = b"void f(int *p)\n{\n\ta = b & (c = d & e);\n\tg(&x, ++y, z = *p & 1);\n}\n"
    for data in [nested, *(p.read_bytes() for p in sorted(fixtures.rglob("*.c"))[:40])]:
        root = csrc.parse(data)
        walked = [(n.start_byte, n.type) for n in csrc.walk(root) if n.type in kinds]
        assert [(n.start_byte, n.type) for n in cparse.nodes_of_types(root, kinds)] == walked
