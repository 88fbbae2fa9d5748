"""Pack rules on a series without a tree: members known by file and function, claims, patch context."""

from __future__ import annotations

from pathlib import Path

import pytest

from patchcheck.intake.assemble import load_series
from patchcheck.report.finding import Finding, Severity
from patchcheck.rules.base import CheckContext
from patchcheck.rules.packs import load_packs
from patchcheck.rules.packs.claims import find_claims, sentences
from patchcheck.rules.packs.loader import load_pack_set
from patchcheck.source.tree import EmptyTree
from tests.intake.helpers import seed_mail

REPO = Path(__file__).resolve().parents[2]
SERIES = REPO / "fixtures" / "packs" / "series"


def verify(path: Path, upto: int | None = None) -> list[Finding]:
    series = load_series(str(path))
    upto = len(series.patches) if upto is None else upto
    return list(load_packs()[0].run(CheckContext(tree=EmptyTree(), series=series, patch_index=upto)))


def test_series_touching_one_family_member_gets_the_rest_of_the_family_and_the_implied_families() -> None:
    findings = verify(SERIES / "new-flag-partial.mbox")
    got = {(f.rule_id, f.location.path if f.location else "") for f in findings}
    assert got == {
        ("PC701", "COMMIT_MSG"),  # the mlock promise: nothing implements it
        ("PC601", "mm/rmap.c"),  # the other member of the swap-backed family: try_to_unmap_one()
        ("PC702", "mm/rmap.c"),  # not swap-backed implies discardable: no dirty-discard site (PC602)
        ("PC702", "mm/ksm.c"),  # ... nor KSM exclusion (PC609)
        ("PC702", "include/linux/userfaultfd_k.h"),  # ... nor userfaultfd exclusion (PC610)
    }
    member = next(f for f in findings if f.rule_id == "PC601")
    assert "try_to_unmap_one" in member.message and member.flag == "VM_SCRATCH"
    # the location names the file: the message starts at the function (as `file:line: fn(): ...` reads)
    assert member.message.startswith("try_to_unmap_one(): ") and "mm/rmap.c" not in member.message
    ksm = next(f for f in findings if f.location and f.location.path == "mm/ksm.c")
    assert "PC609" in ksm.message and "vma_ksm_compatible" in ksm.message
    claim = next(f for f in findings if f.rule_id == "PC701")
    assert claim.location is not None and claim.location.line == 3
    assert "doesn't count against the mlock budget" in claim.message
    assert "vma_supports_mlock" in " ".join(claim.evidence)
    # the hint says what the pack means by the property, for a promise worded alike but meant otherwise
    assert claim.hint is not None and "(never-locked: The VMA is never mlocked" in claim.hint


def test_series_handling_every_site_is_silent() -> None:
    assert verify(SERIES / "new-flag-complete.mbox") == []


def test_state_after_first_patch_only_counts_first_patch() -> None:
    findings = verify(SERIES / "new-flag-complete.mbox", upto=1)
    assert {f.rule_id for f in findings} == {"PC701", "PC702"}
    assert all(f.patch == 1 for f in findings)


@pytest.fixture(scope="module")
def seed_findings() -> list[Finding]:
    return verify(seed_mail(), upto=1)


def test_seed_mlock_promise_is_reported_with_its_line(seed_findings: list[Finding]) -> None:
    claim = [f for f in seed_findings if f.rule_id == "PC701"]
    assert len(claim) == 1
    message = load_series(str(seed_mail())).patches[0].message.splitlines()
    assert claim[0].location is not None and claim[0].location.line is not None
    assert "mlock budget" in message[claim[0].location.line - 1]
    assert claim[0].severity is Severity.WARNING  # 4 of 5 patches absent: may be in one of them
    assert any("4 of 5 patches absent" in e for e in claim[0].evidence)


def test_seed_read_after_the_fault_is_skipped_not_guessed(tmp_path: Path) -> None:
    """The seed's hunk adds a read of vma->vm_flags to handle_mm_fault() but does not show the call that
    may free the VMA: without the tree PC613 cannot decide, and says so (no landmark lines)."""
    from patchcheck.rules.engine import verify_series

    report = verify_series(load_series(str(seed_mail())), None)
    assert not [f for f in report.findings if f.rule_id == "PC613"]
    (note,) = [n for n in report.notes if n.startswith("PC613")]
    assert "mm/memory.c handle_mm_fault()" in note and "__handle_mm_fault()" in note and "--tree" in note


def test_seed_implemented_promises_are_not_reported(seed_findings: list[Finding]) -> None:
    quoted = " ".join(f.message for f in seed_findings if f.rule_id == "PC701")
    for kept in ("written out to swap", "not fatal", "zero when read back", "inherited by fork"):
        assert kept not in quoted
    assert not [f for f in seed_findings if f.rule_id in ("PC601", "PC602", "PC603", "PC604", "PC605")]


def test_sentences_keep_list_items_apart_and_track_lines() -> None:
    text = "Intro line\nwraps here. Second one.\n\na) It never is written\nout to swap.\nb) Next.\n"
    assert sentences(text) == [
        ("Intro line wraps here.", 1),
        ("Second one.", 2),
        ("It never is written out to swap.", 4),
        ("Next.", 6),
    ]


def test_claim_phrases_respect_negations() -> None:
    claims = load_pack_set().claims
    message = "* Uh-oh: mlock isn't inherited by forks.\n\nd) It is inherited by fork.\n"
    found = find_claims(message, claims, 1)
    assert [(c.property, c.line) for c in found] == [("inherited-by-fork", 3)]
    assert find_claims("Uh-oh: mlock is rlimited.", claims, 1) == []


def test_check_series_runs_every_pack_on_the_final_state() -> None:
    from patchcheck.intake.apply import apply_series
    from patchcheck.rules.packs import check_series

    series = load_series(str(SERIES / "new-flag-partial.mbox"))
    states = apply_series(series, EmptyTree())
    findings = check_series(series, states[-1].tree)
    assert {f.rule_id for f in findings} == {"PC601", "PC701", "PC702"}
    assert all(f.patch == 1 for f in findings)


def test_patch_numbers_are_positions_and_messages_use_the_subject_numbering(tmp_path: Path) -> None:
    text = (SERIES / "new-flag-partial.mbox").read_text().replace("[PATCH]", "[PATCH 3/4]")
    (tmp_path / "third.mbox").write_text(text)
    series = load_series(str(tmp_path / "third.mbox"))
    findings = list(load_packs()[0].run(CheckContext(tree=EmptyTree(), series=series, patch_index=1)))
    claim = next(f for f in findings if f.rule_id == "PC701")
    assert claim.patch == 1 and claim.message.startswith("patch 3/4 promises")


def test_seed_through_the_engine_without_a_tree() -> None:
    from patchcheck.rules.engine import verify_series

    report = verify_series(load_series(str(seed_mail())), None)
    ours = [
        (f.rule_id, f.location.path if f.location else "")
        for f in report.findings
        if f.rule_id.startswith(("PC6", "PC7"))
    ]
    assert ("PC701", "COMMIT_MSG") in ours
    # The smaps code without a proc.rst line is reported once, by the registry's docs rule, not by a pack.
    proc = [f for f in report.findings if "proc.rst" in f.message]
    assert len(proc) == 1 and not proc[0].rule_id.startswith(("PC6", "PC7"))


def test_semantic_sites_wired_up_by_a_later_patch_do_not_make_the_series_unbisectable() -> None:
    """Patch 1 adds VM_SCRATCH (nothing sets it yet), patch 2 excludes it from mlock, KSM and userfaultfd:
    the usual way to build such a series. No commit in between is broken, so no PC001."""
    from patchcheck.rules.engine import verify_series

    report = verify_series(load_series(str(SERIES / "new-flag-complete.mbox")), None)
    # (The fixture is about semantic sites: it gives VM_SCRATCH no smaps mnemonic, which PC250 says.)
    assert [f for f in report.findings if f.rule_id != "PC250"] == []


def test_not_bisectable_evidence_names_places_without_a_line_cleanly() -> None:
    from collections.abc import Iterator

    from patchcheck.report.finding import Location
    from patchcheck.rules.base import RuleDoc
    from patchcheck.rules.engine import verify_states
    from patchcheck.source.tree import OverlayTree

    doc = RuleDoc("PC999", "only-in-the-middle", Severity.WARNING, "s", "w", "y", "e", diff_only=True)

    class MiddleOnly:
        rules = (doc,)

        def run(self, ctx: CheckContext) -> Iterator[Finding]:
            if ctx.tree.read_bytes("state") == b"1":
                yield Finding("PC999", Severity.WARNING, "gap", Location("mm/ksm.c"))

    states = [OverlayTree(EmptyTree(), {"state": str(k).encode()}) for k in range(3)]
    report = verify_states(states, checkers=[MiddleOnly()])
    (pc001,) = report.findings
    assert pc001.rule_id == "PC001"
    assert pc001.evidence == ("after patch 1: PC999 gap (mm/ksm.c)",)
