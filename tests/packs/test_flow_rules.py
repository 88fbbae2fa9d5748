"""PC612 and PC613 on the control-flow graph, in any function, for any mask and any VMA pointer."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from patchcheck.intake.assemble import load_series
from patchcheck.report.finding import Finding
from patchcheck.rules.base import CheckContext
from patchcheck.rules.engine import verify_series
from patchcheck.rules.packs import flow, load_packs
from patchcheck.source import csrc
from patchcheck.source.tree import EmptyTree, OverlayTree


def audit(path: str, code: str) -> list[Finding]:
    tree = OverlayTree(EmptyTree(), {path: code.encode()})
    return [f for f in load_packs()[0].run(CheckContext(tree=tree)) if f.rule_id in ("PC612", "PC613")]


MASKS = {  # flag tested -> the masking that excludes it
    "VM_LOCKED": "newflags &= (VM_READ | VM_WRITE | VM_EXEC);",
    "VM_DROPPABLE": "newflags = vma->vm_flags & VM_ACCESS_BITS;",
}
HEADER = "#define VM_ACCESS_BITS (VM_READ | VM_WRITE | VM_EXEC)\n"


def masked(flag: str, between: str, *, in_branch: bool = False) -> str:
    masking = MASKS[flag]
    if in_branch:
        masking = f"if (strict)\n\t\t{masking}"
    return (
        f"{HEADER}static int fixup(struct vm_area_struct *vma, unsigned long newflags, bool strict)\n{{\n"
        f"\t{masking}\n{between}\tif (newflags & {flag})\n\t\treturn -EINVAL;\n\treturn 0;\n}}\n"
    )


@pytest.mark.parametrize("flag", sorted(MASKS))
def test_pc612_a_test_after_any_mask_in_any_function(flag: str) -> None:
    (found,) = audit("mm/mprotect.c", masked(flag, ""))
    assert found.rule_id == "PC612" and found.flag == flag and "fixup()" in found.message
    assert found.location is not None and found.location.line == 5


@pytest.mark.parametrize("flag", sorted(MASKS))
def test_pc612_a_masking_inside_an_if_does_not_make_the_later_test_dead(flag: str) -> None:
    assert audit("mm/mprotect.c", masked(flag, "", in_branch=True)) == []


@pytest.mark.parametrize("flag", sorted(MASKS))
def test_pc612_a_reassignment_on_some_path_keeps_the_test_alive(flag: str) -> None:
    between = "\tif (strict)\n\t\tnewflags = vma->vm_flags;\n"
    assert audit("mm/mprotect.c", masked(flag, between)) == []


@pytest.mark.parametrize("flag", sorted(MASKS))
def test_pc612_a_flag_inside_the_mask_is_tested_alive(flag: str) -> None:
    code = masked(flag, "").replace(f"newflags & {flag}", "newflags & VM_WRITE")
    assert audit("mm/mprotect.c", code) == []


FAULT = (
    "vm_fault_t {name}(struct vm_area_struct *vma, unsigned long address, unsigned int flags)\n{{\n"
    "\tvm_fault_t ret;\n{before}\tret = __handle_mm_fault(vma, address, flags);\n{after}\treturn ret;\n}}\n"
)
READS = {
    "VM_DROPPABLE": "\tif (vma->vm_flags & VM_DROPPABLE)\n\t\tret &= ~VM_FAULT_OOM;\n",
    "VM_NORESERVE": "\tif (vma->vm_flags & VM_NORESERVE)\n\t\tret |= VM_FAULT_RETRY;\n",
}


@pytest.mark.parametrize("flag", sorted(READS))
def test_pc613_a_read_after_the_call_in_any_function(flag: str) -> None:
    code = FAULT.format(name="my_fault_path", before="", after=READS[flag])
    (found,) = audit("mm/gup.c", code)
    assert found.rule_id == "PC613" and found.flag == flag and found.location is not None
    assert found.location.line == 5 and "my_fault_path() reads vma->vm_flags after __handle_mm_fault()" in (
        found.message
    )


@pytest.mark.parametrize("flag", sorted(READS))
def test_pc613_a_read_in_an_else_branch_before_the_call_is_fine(flag: str) -> None:
    before = (
        "\tif (!vma)\n\t\treturn 0;\n\telse if (" + READS[flag].split("if (", 1)[1].split(")\n", 1)[0] + ")\n"
    )
    before += "\t\tflags |= 1;\n"
    code = FAULT.format(name="my_fault_path", before=before, after="")
    assert audit("mm/gup.c", code) == []


@pytest.mark.parametrize("flag", sorted(READS))
def test_pc613_a_fresh_lookup_ends_the_danger(flag: str) -> None:
    after = "\tvma = find_vma(current->mm, address);\n" + READS[flag]
    assert audit("mm/gup.c", FAULT.format(name="my_fault_path", before="", after=after)) == []


def fault_patch(flag: str, *, with_call: bool) -> str:
    call = " \tret = __handle_mm_fault(vma, address, flags);\n" if with_call else " \tlru_gen_exit_fault();\n"
    added = "".join(f"+{line}\n" for line in READS[flag].rstrip("\n").split("\n"))
    count = 3 + (1 if with_call else 0)
    return (
        "From: Pat <pat@example.org>\nSubject: [PATCH] mm: fault change\n\nChange.\n---\n"
        "diff --git a/mm/memory.c b/mm/memory.c\n--- a/mm/memory.c\n+++ b/mm/memory.c\n"
        f"@@ -100,{count} +100,{count + 2} @@ vm_fault_t handle_mm_fault(struct vm_area_struct *vma,\n"
        " \tvm_fault_t ret;\n" + call + " \n" + added + " \treturn ret;\n"
    ).replace(f"@@ -100,{count} +100,{count + 2}", f"@@ -100,{count + 1} +100,{count + 3}")


@pytest.mark.parametrize("flag", sorted(READS))
def test_pc613_without_a_tree_decides_a_hunk_that_shows_the_call(flag: str, tmp_path: Path) -> None:
    (tmp_path / "p.patch").write_text(fault_patch(flag, with_call=True))
    report = verify_series(load_series(str(tmp_path / "p.patch")), None)
    (found,) = [f for f in report.findings if f.rule_id == "PC613"]
    assert found.flag == flag and found.location is not None and found.location.line == 103


@pytest.mark.parametrize("flag", sorted(READS))
def test_pc613_without_a_tree_a_hunk_without_the_call_is_skipped(flag: str, tmp_path: Path) -> None:
    (tmp_path / "p.patch").write_text(fault_patch(flag, with_call=False))
    report = verify_series(load_series(str(tmp_path / "p.patch")), None)
    assert [f for f in report.findings if f.rule_id == "PC613"] == []
    assert any(n.startswith("PC613") and "skipped" in n for n in report.notes)


@pytest.mark.parametrize("flag", sorted(READS))
def test_pc613_a_path_that_handled_the_dropped_lock_keeps_the_vma(flag: str) -> None:
    """As 6.1's follow_hugetlb_page(): the lock is dropped only with VM_FAULT_RETRY, which returns."""
    after = "\tif (ret & VM_FAULT_RETRY)\n\t\treturn ret;\n" + READS[flag]
    assert audit("mm/gup.c", FAULT.format(name="my_fault_path", before="", after=after)) == []


MASKING_SHAPES = [
    "x &= VM_READ | VM_WRITE;",
    "x &= (VM_ACCESS_BITS);",
    "x = y & (VM_READ|VM_WRITE);",
    "x=y&VM_ACCESS_BITS;",
    "x = (VM_READ | VM_EXEC) & y;",
    "x = ((VM_ACCESS_BITS)) & y;",
    "x = y & (\n\t\tVM_READ |\n\t\tVM_WRITE);",
    "x &= VM_READ /* r */;",
    "x = y & /* access */ VM_ACCESS_BITS;",
    "x = y & (/* c */ VM_ACCESS_BITS);",
    "x &= VM_ACCESS_BITS, y = 0;",
    "if ((x &= VM_ACCESS_BITS) == 0)\n\t\treturn;",
    's = "/*"; x &= VM_ACCESS_BITS; s = "*/";',  # what looks like a comment in a string is none
    'x = y & VM_ACCESS_BITS; s = "//";',
]


def dead_test_after(shape: str) -> str:
    return (
        f"{HEADER}void f(unsigned long x, unsigned long y)\n{{\n\t{shape}\n"
        "\tif (x & VM_LOCKED)\n\t\treturn;\n}\n"
    )


@pytest.mark.parametrize("shape", MASKING_SHAPES)
def test_pc612_the_text_prefilter_never_misses_a_masking_the_parser_accepts(shape: str) -> None:
    """Files and functions the prefilter turns away are never parsed: every masking `_masking()` accepts
    must pass it, comments inside it included."""
    table = flow._defines(HEADER)
    code = dead_test_after(shape)
    (fn,) = csrc.functions_mentioning(code.encode(), ["&"])
    assert [m for n in csrc.walk(fn.body) if (m := flow._masking(n, table))]
    offsets = flow._masking_offsets(csrc.CSource(code.encode()).uncommented, table)
    assert [held.name for held in csrc.functions_holding(code.encode(), offsets)] == [fn.name]
    assert [f.rule_id for f in audit("mm/mprotect.c", code)] == ["PC612"]


def test_pc612_of_a_file_only_the_functions_holding_a_masking_are_parsed() -> None:
    code = (
        f"{HEADER}int uses(unsigned long x)\n{{\n\treturn x & VM_ACCESS_BITS ? 1 : g(VM_READ);\n}}\n"
        "void masks(unsigned long x, unsigned long y)\n{\n\tx = y & VM_ACCESS_BITS;\n\th(x);\n}\n"
        "void other(void)\n{\n\tk(VM_READ);\n}\n"
    ).encode()
    offsets = flow._masking_offsets(csrc.CSource(code).uncommented, flow._defines(HEADER))
    assert [fn.name for fn in csrc.functions_holding(code, offsets)] == ["masks"]


@pytest.mark.parametrize("code", ["x = y & z;", "if (x & VM_READ)\n\t\treturn;", "x &= ~VM_READ;", "x = &y;"])
def test_pc612_the_text_prefilter_turns_away_what_is_no_masking(code: str) -> None:
    text = f"void f(void)\n{{\n\t{code}\n}}\n"
    assert not flow._masking_offsets(csrc.CSource(text.encode()).uncommented, flow._defines(HEADER))


# The expressions `_masking_offsets` looked for a name beside a single `&` with before they were written to
# scan fast (a literal first, no backtracking into a name): the names they find must be the same.
_BESIDE_AND_BEFORE = (
    re.compile(r"(?<!&)&(?![&=])[\s(]*([A-Za-z_]\w*)"),
    re.compile(r"([A-Za-z_]\w*)[\s)]*(?<!&)&(?![&=])"),
)


_PIECES = ["&", "&&", "&=", "=", "(", ")", " ", "\n", "VM_A", "x", "9", "_", "é", "|"]


@settings(max_examples=500, deadline=None)
@given(st.lists(st.sampled_from(_PIECES)))
@example(["9", "x", " ", "&", "y"])
def test_the_names_beside_an_and_are_those_the_plain_expressions_found(parts: list[str]) -> None:
    right = "".join(parts)
    assert [p.findall(right) for p in flow._BESIDE_AND] == [p.findall(right) for p in _BESIDE_AND_BEFORE]
