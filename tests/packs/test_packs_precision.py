"""Quiet when it should be: claims tied to the flag, findings tied to the series, hostile packs, caching."""

from __future__ import annotations

import difflib
import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from patchcheck.errors import InputError
from patchcheck.report.finding import Finding
from patchcheck.rules.base import CheckContext
from patchcheck.rules.packdir import DEFAULT_PACK_DIR
from patchcheck.rules.packs import load_packs, parse_pack
from patchcheck.rules.packs.claims import find_claims
from patchcheck.rules.packs.loader import load_pack_set
from patchcheck.rules.packs.schema import PACK_SCHEMA
from patchcheck.rules.packs.seriesview import SeriesView, patch_view_from_diff
from patchcheck.source.tree import DirectoryTree, EmptyTree, OverlayTree

TREE = Path(__file__).resolve().parents[2] / "fixtures" / "packs" / "tree"

DEFINE_FOO = """\
--- a/include/linux/mm.h
+++ b/include/linux/mm.h
@@ -1,1 +1,2 @@
 #define VM_READ 0x1
+#define VM_FOO BIT(42)
"""


def run(series: SeriesView, tree: object = None) -> list[Finding]:
    ctx = CheckContext(
        tree=tree or EmptyTree(),
        series=series,  # type: ignore[arg-type]
        patch_index=len(series.patches),
    )
    return list(load_packs()[0].run(ctx))


def one_patch(message: str, diff: str = DEFINE_FOO) -> SeriesView:
    return SeriesView([patch_view_from_diff(1, "mm: add VM_FOO", message, diff)], total=1)


def test_unrelated_not_fatal_is_no_promise() -> None:
    claims = load_pack_set().claims
    assert find_claims("VM_FOO is new. This warning is not fatal.", claims, 1) == []
    found = find_claims("c) If there's not enough memory to service a page fault, it's not fatal.", claims, 1)
    assert [c.property for c in found] == ["oom-not-fatal"]


def test_a_promise_before_the_flag_is_named_is_not_about_it() -> None:
    before = "Nothing here is ever written out to swap.\n\nAdd VM_FOO for scratch buffers.\n"
    assert run(one_patch(before)) == []
    after = "Add VM_FOO for scratch buffers.\n\nIt is never written out to swap.\n"
    findings = run(one_patch(after))
    assert [(f.rule_id, f.location.line if f.location else 0) for f in findings] == [("PC701", 3)]


def test_a_flag_without_properties_gets_no_family_findings() -> None:
    assert run(one_patch("Add VM_FOO, a plain marker flag.\n")) == []


def test_rewritten_lines_around_an_old_flag_do_not_report_its_old_problems() -> None:
    # The fixture tree with the 6.12 dead test; a series touching that function for another reason.
    uffd = "include/linux/userfaultfd_k.h"
    text = (TREE / uffd).read_text()
    broken = text.replace(
        "\tif (vma->vm_flags & VM_DROPPABLE)\n\t\treturn false;\n\n\tvm_flags &= __VM_UFFD_FLAGS;\n",
        "\tvm_flags &= __VM_UFFD_FLAGS;\n\n\tif (vm_flags & VM_DROPPABLE)\n\t\treturn false;\n",
    )
    tree = OverlayTree(DirectoryTree(TREE), {uffd: broken.encode()})
    audit = list(load_packs()[0].run(CheckContext(tree=tree)))
    assert [f.rule_id for f in audit] == ["PC612"]
    diff = (
        f"--- a/{uffd}\n+++ b/{uffd}\n@@ -13,3 +13,3 @@ static inline bool vma_can_userfault(\n"
        "-\tif (wp_async && (vm_flags == VM_UFFD_WP))\n+\tif (wp_async && vm_flags == VM_UFFD_WP)\n"
    )
    assert run(SeriesView([patch_view_from_diff(1, "tidy", "Tidy.\n", diff)]), tree) == []


def test_series_adding_an_unreviewed_swapbacked_site_is_reported(tmp_path: Path) -> None:
    rmap = (TREE / "mm" / "rmap.c").read_text()
    extra = (
        "\nstatic void remap_one(struct vm_area_struct *vma, struct folio *folio)\n{\n"
        "\tfolio_set_swapbacked(folio);\n}\n"
    )
    tree = OverlayTree(DirectoryTree(TREE), {"mm/rmap.c": (rmap + extra).encode()})
    start = rmap.count("\n") + 1
    diff = f"--- a/mm/rmap.c\n+++ b/mm/rmap.c\n@@ -{start - 1},1 +{start - 1},6 @@\n }}\n" + "".join(
        "+" + line + "\n" for line in extra.splitlines()
    )
    findings = run(SeriesView([patch_view_from_diff(1, "remap", "Add remap_one.\n", diff)]), tree)
    assert [(f.rule_id, f.location.line if f.location else 0) for f in findings] == [("PC703", start + 3)]


def test_yaml_aliases_are_refused() -> None:
    bomb = "pack: x\nrules: []\nflags: &a\n  VM_A: {properties: []}\nmore: *a\n"
    with pytest.raises(InputError, match="aliases"):
        parse_pack(bomb, "bomb.yaml")


@settings(max_examples=150, deadline=None)
@given(st.text(max_size=300))
def test_any_text_is_a_pack_or_an_input_error(text: str) -> None:
    try:
        parse_pack(text, "fuzz.yaml")
    except InputError as exc:
        assert exc.message.startswith("fuzz.yaml")


def test_published_schema_matches_the_code() -> None:
    published = json.loads((DEFAULT_PACK_DIR / "pack.schema.json").read_text())
    assert published == json.loads(json.dumps(PACK_SCHEMA))


def _uffd_dead_test(text: str) -> str:
    return text.replace(
        "\tif (vma->vm_flags & VM_DROPPABLE)\n\t\treturn false;\n\n\tvm_flags &= __VM_UFFD_FLAGS;\n",
        "\tvm_flags &= __VM_UFFD_FLAGS;\n\n\tif (vm_flags & VM_DROPPABLE)\n\t\treturn false;\n",
    )


def test_a_series_is_blamed_only_for_what_it_introduced() -> None:
    uffd = "include/linux/userfaultfd_k.h"
    good = (TREE / uffd).read_text()
    bad = _uffd_dead_test(good)
    mempolicy = "mm/mempolicy.c"
    old = (TREE / mempolicy).read_text()
    noretry = "\tif (vma->vm_flags & VM_DROPPABLE)\n\t\tgfp |= __GFP_NORETRY;\n"
    new = old.replace("\t\tgfp |= __GFP_NOWARN;\n", "\t\tgfp |= __GFP_NOWARN;\n" + noretry)
    diff = "".join(
        difflib.unified_diff(old.splitlines(True), new.splitlines(True), f"a/{mempolicy}", f"b/{mempolicy}")
    )
    series = SeriesView([patch_view_from_diff(1, "noretry", "VM_DROPPABLE: no retries.\n", diff)])
    # The dead test was there before: not this series' doing, even though it mentions VM_DROPPABLE.
    base = OverlayTree(DirectoryTree(TREE), {uffd: bad.encode()})
    assert run(series, OverlayTree(base, {mempolicy: new.encode()})) == []
    # A series that introduces it is told.
    dead_diff = "".join(
        difflib.unified_diff(good.splitlines(True), bad.splitlines(True), f"a/{uffd}", f"b/{uffd}")
    )
    introduced = SeriesView([patch_view_from_diff(1, "uffd", "Move the VM_DROPPABLE test.\n", dead_diff)])
    findings = run(introduced, OverlayTree(DirectoryTree(TREE), {uffd: bad.encode()}))
    assert [f.rule_id for f in findings] == ["PC612"]


def test_added_lines_follow_later_patches() -> None:
    v1 = "".join(f"line {n}\n" for n in range(1, 21))
    v2 = v1.replace("line 15\n", "line 15\nadded by one\n")
    v3 = v2.replace("line 2\n", "line 2\nfirst of two\nsecond of two\n").replace("line 16\n", "")
    v4 = v3.replace("added by one\n", "added by one\nagain\n")

    def patch(index: int, old: str, new: str) -> object:
        diff = "".join(difflib.unified_diff(old.splitlines(True), new.splitlines(True), "a/f.c", "b/f.c"))
        return patch_view_from_diff(index, f"p{index}", "", diff)

    view = SeriesView([patch(1, v1, v2), patch(2, v2, v3), patch(3, v3, v4)])  # type: ignore[list-item]
    final = v4.splitlines()
    added = view.added_at()
    assert {final[line - 1]: index for (_, line), index in added.items()} == {
        "added by one": 1,
        "first of two": 2,
        "second of two": 2,
        "again": 3,
    }
    after_two = v3.splitlines()
    assert {after_two[line - 1] for (_, line) in view.added_at(2)} == {
        "added by one",
        "first of two",
        "second of two",
    }


def test_with_two_new_flags_a_promise_belongs_to_the_one_it_follows() -> None:
    diff = DEFINE_FOO + "@@ -5,1 +6,2 @@\n #define VM_WRITE 0x2\n+#define VM_BAR BIT(43)\n"
    message = "VM_BAR is a plain marker.\n\nVM_FOO is scratch memory.\nIt is never written out to swap.\n"
    findings = run(one_patch(message, diff))
    assert {f.flag for f in findings} == {"VM_FOO"}


def test_rust_helper_mismatch_is_seen_in_the_diff_alone() -> None:
    diff = (
        "--- a/rust/bindings/bindings_helper.h\n+++ b/rust/bindings/bindings_helper.h\n@@ -1,1 +1,2 @@\n"
        " const gfp_t RUST_CONST_HELPER_GFP_KERNEL = GFP_KERNEL;\n"
        "+const vm_flags_t RUST_CONST_HELPER_VM_MAYSHARE = VM_MAYEXEC;\n"
    )
    findings = run(SeriesView([patch_view_from_diff(1, "rust", "Add VM_MAYSHARE.\n", diff)]))
    assert [(f.rule_id, f.location.line if f.location else 0) for f in findings] == [("PC614", 2)]


def test_testing_another_flag_in_a_big_member_function_is_no_family_membership() -> None:
    rmap = (TREE / "mm" / "rmap.c").read_text()
    anchor = "\tint refs = folio_ref_count(folio);\n"
    new = rmap.replace(anchor, anchor + "\n\tif (vma->vm_flags & VM_LOCKED)\n\t\treturn false;\n")
    diff = "".join(
        difflib.unified_diff(rmap.splitlines(True), new.splitlines(True), "a/mm/rmap.c", "b/mm/rmap.c")
    )
    series = SeriesView([patch_view_from_diff(1, "rmap", "Keep VM_LOCKED folios.\n", diff)])
    assert run(series, OverlayTree(DirectoryTree(TREE), {"mm/rmap.c": new.encode()})) == []


def test_warm_runs_take_packs_from_the_cache_without_yaml(tmp_path: Path) -> None:
    import os
    import subprocess
    import sys

    own = tmp_path / "packs" / "own.yaml"  # a pack of one's own: no frozen form
    own.parent.mkdir()
    own.write_text((DEFAULT_PACK_DIR / "droppable.yaml").read_text().replace("pack: droppable", "pack: own"))
    probe = (
        "import sys; from pathlib import Path; from patchcheck.rules.packs import load_packs; "
        f"[c.rules for c in load_packs([Path({str(own)!r})], builtin=False)]; "
        "print('yaml' in sys.modules, 'jsonschema' in sys.modules)"
    )
    env = {**os.environ, "PATCHCHECK_CACHE": str(tmp_path / "cache")}
    runs = [
        subprocess.run([sys.executable, "-c", probe], env=env, capture_output=True, text=True, check=True)
        for _ in range(2)
    ]
    # cold: YAML and the validator (not a shipped text); warm: the cache. The shipped packs are frozen and
    # need neither (tests/packs/test_shipped_packs.py).
    assert [r.stdout.split() for r in runs] == [["True", "True"], ["False", "False"]]


def test_excluding_a_flag_from_ksm_says_nothing_about_what_the_flag_is() -> None:
    ksm = (TREE / "mm" / "ksm.c").read_text()
    new = ksm.replace("| VM_DROPPABLE))", "| VM_DROPPABLE | VM_SEALED))")
    diff = "".join(
        difflib.unified_diff(ksm.splitlines(True), new.splitlines(True), "a/mm/ksm.c", "b/mm/ksm.c")
    )
    series = SeriesView([patch_view_from_diff(1, "ksm", "KSM: skip VM_SEALED VMAs.\n", diff)])
    assert run(series, OverlayTree(DirectoryTree(TREE), {"mm/ksm.c": new.encode()})) == []
    assert run(series) == []


def test_a_promise_is_not_called_broken_when_its_sites_are_not_in_the_tree(tmp_path: Path) -> None:
    # A partial tree without the mlock files and a flag the series does not define: undecidable.
    (tmp_path / "mm").mkdir()
    (tmp_path / "mm" / "ksm.c").write_text((TREE / "mm" / "ksm.c").read_text())
    diff = (
        "--- a/mm/ksm.c\n+++ b/mm/ksm.c\n@@ -1,1 +1,2 @@\n"
        " /* Kernel-shaped fixture: KSM eligibility. */\n+/* VM_SEALED: sealed VMAs */\n"
    )
    message = "VM_SEALED memory doesn't count against the mlock budget.\n"
    assert run(SeriesView([patch_view_from_diff(1, "x", message, diff)]), DirectoryTree(tmp_path)) == []


def test_the_engine_loads_packs_when_first_used(tmp_path: Path) -> None:
    # With a second core, the registry checkers' child is forked before the packs are needed: loading them
    # then overlaps the child's work instead of delaying its start.
    import os
    import subprocess
    import sys

    loaded = "'patchcheck.rules.packs.loader' in sys.modules"
    probe = (
        "import sys; from patchcheck.rules.engine import builtin_checkers; checkers = builtin_checkers(); "
        f"print({loaded}); [c.rules for c in checkers]; print({loaded})"
    )
    env = {**os.environ, "PATCHCHECK_CACHE": str(tmp_path)}
    run = subprocess.run([sys.executable, "-c", probe], env=env, capture_output=True, text=True, check=True)
    assert run.stdout.split() == ["False", "True"]


@pytest.mark.parametrize("tree", ["example/tree", "trees/classic", "trees/enum-style"])
def test_the_rules_that_need_no_flag_run_before_mm_h_is_read(
    tree: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # In a forked audit the registry's child reads mm.h's flags first and caches them; the pack side asks for
    # them only after its flow rules, by when they are most often in the cache.
    from patchcheck.rules.packs import judgement, special

    order: list[str] = []
    flow, read = special.run, judgement.load_flag_defs
    monkeypatch.setattr(special, "run", lambda *a: order.append("flow") or flow(*a))
    monkeypatch.setattr(judgement, "load_flag_defs", lambda *a, **k: order.append("mm.h") or read(*a, **k))
    list(load_packs()[0].run(CheckContext(tree=DirectoryTree(TREE.parents[1] / tree))))
    assert "mm.h" in order and "flow" in order
    assert order.index("mm.h") > max(i for i, step in enumerate(order) if step == "flow")
