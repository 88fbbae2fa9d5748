"""tree-sitter on masked text, and wrapper macros expanded per definition variant."""

from __future__ import annotations

from patchcheck.source.cparse import expand_variants, find_function, node_text, parse, string_value, walk
from patchcheck.source.guards import TRUE, Sym, neg
from patchcheck.source.preproc import preprocess

INTERLEAVED = """\
static void show(void)
{
	static const char names[64][3] = {
		[ilog2(VM_A)] = "aa",
#ifdef CONFIG_B
		[ilog2(VM_B)] = "bb",
#endif
		[ilog2(VM_C)] = "cc",
	};
}
"""


def test_interleaved_initializer_parses_cleanly_with_guards() -> None:
    pre = preprocess(INTERLEAVED)
    raw = parse(INTERLEAVED)
    assert raw.root_node.has_error  # what plain tree-sitter makes of it
    tree = parse(pre.masked)
    assert not tree.root_node.has_error
    fn = find_function(tree, "show")
    assert fn is not None
    pairs = [
        (string_value(p.child_by_field_name("value")), pre.guard_at(p.start_point.row + 1))  # type: ignore[arg-type]
        for p in walk(fn, "initializer_pair")
    ]
    assert pairs == [("aa", TRUE), ("bb", Sym("B")), ("cc", TRUE)]


def test_expand_variants_per_definition() -> None:
    text = """\
#ifdef CONFIG_X
#define IF_HAVE_X(flag, name) {flag, name},
#else
#define IF_HAVE_X(flag, name)
#endif
"""
    macros = preprocess(text).macros()
    variants = expand_variants('IF_HAVE_X(VM_X, "x") {VM_Y, "y"}', macros)
    assert [(v.text.split(), v.guard, v.via) for v in variants] == [
        (["{VM_X,", '"x"},', "{VM_Y,", '"y"}'], Sym("X"), ("IF_HAVE_X",)),
        (["{VM_Y,", '"y"}'], neg(Sym("X")), ("IF_HAVE_X",)),
    ]


def test_token_pasting_and_node_text() -> None:
    macros = preprocess("#define DECL(n, b) VMA_ ## n ## _BIT = b\n").macros()
    assert expand_variants("DECL(READ, 0)", macros)[0].text == "VMA_READ_BIT = 0"
    tree = parse("int x = 1;")
    assert node_text(tree.root_node).strip() == "int x = 1;"
