"""Malformed sources never raise: whatever cannot be read becomes opaque or is skipped."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from patchcheck.model.flags import read_flags
from patchcheck.model.registries import read_doc_table, read_smaps, read_trace
from patchcheck.source.cparse import expand_variants
from patchcheck.source.kconfig import parse_expr, scan_kconfig
from patchcheck.source.ppexpr import eval_condition
from patchcheck.source.preproc import preprocess

C_ALPHABET = st.sampled_from(
    [
        *"#ifdefndlsu() !&|<>=\n\\{}[],\"'/*0123_VMCONFIGABX \t",
        "#if ",
        "#elif ",
        "#else",
        "#endif",
        "#define VM_A ",
        "defined(",
        "CONFIG_A",
        "ilog2(VM_A)",
        "show_smap_vma_flags",
        "__def_vmaflag_names",
        "IF_HAVE_X(",
    ]
)
KCONFIG_ALPHABET = st.sampled_from(
    [
        "config A\n",
        '\tbool "x"\n',
        "\tdepends on ",
        "B && !C",
        "(",
        ")",
        "\tselect D if E\n",
        "if F\n",
        "endif\n",
        'menu "m"\n',
        "endmenu\n",
        "choice\n",
        "endchoice\n",
        "\thelp\n",
        "  text\n",
        'source "x"\n',
        "\tdefault y if G\n",
        "\\\n",
        "\n",
        '"',
        "$(ARCH)",
        "=",
    ]
)


@settings(max_examples=150, deadline=None)
@given(st.lists(C_ALPHABET, max_size=60).map("".join))
def test_c_side_never_raises(text: str) -> None:
    pre = preprocess(text)
    read_flags("include/linux/mm.h", pre)
    read_smaps(pre)
    read_trace(pre)
    read_doc_table(text)
    eval_condition(text)
    expand_variants(text, pre.macros())


@settings(max_examples=150, deadline=None)
@given(st.lists(KCONFIG_ALPHABET, max_size=40).map("".join))
def test_kconfig_side_never_raises(text: str) -> None:
    scan_kconfig("Kconfig", text)
    parse_expr(text)


def test_pathological_nesting_is_opaque() -> None:
    assert eval_condition("!" * 5000 + "CONFIG_A").__class__.__name__ == "Opaque"
    assert parse_expr("(" * 5000 + "A" + ")" * 5000).__class__.__name__ == "Opaque"
    macros = preprocess(
        "".join(
            f"#ifdef CONFIG_{i}\n#define M{i} M{i + 1} M{i + 1}\n#else\n#define M{i} x\n#endif\n"
            for i in range(12)
        )
    ).macros()
    assert len(expand_variants("M0", macros)) <= 64
