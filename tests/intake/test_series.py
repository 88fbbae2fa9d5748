"""Series assembly: versions, cover letters, duplicates, re-rolls and trailers, compared with b4."""

from __future__ import annotations

import email
import email.policy
import mailbox
from pathlib import Path

import pytest

from patchcheck.errors import InputError
from patchcheck.intake.assemble import load_series
from patchcheck.intake.series import Series

from .helpers import EXAMPLE_SERIES, MAIL

THREAD = MAIL / "thread-v1-v2.mbox"


def test_example_series_with_cover_and_base_commit() -> None:
    series = load_series(str(EXAMPLE_SERIES))
    assert (series.revision, series.expected, series.complete) == (2, 2, True)
    assert series.cover is not None and series.cover.subject.title == "mm: VM_SCRATCH for scratch mappings"
    assert series.base_commit == "ca19df032f4a2b9d8232fbf5ebb6c21afd0acafb"
    assert [str(t) for t in series.patches[1].trailers] == ["Signed-off-by: Ada Example <ada@example.org>"]
    assert series.patches[1].message.startswith("A scratch mapping holds data")
    assert series.strict_problems() == []


def test_thread_picks_newest_complete_version_and_collects_review_trailers() -> None:
    series = load_series(str(THREAD))
    assert series.revision == 2 and series.versions == [1, 2]
    assert series.version_choice == "newest complete version"
    first, second = series.patches
    otto = "Acked-by: Otto Maintainer <otto@example.com>"
    rhea = "Reviewed-by: Rhea Reviewer <rhea@example.net>"
    # Rhea reviewed v1 1/2, which v2 re-sent unchanged (same patch-id): b4 carries that forward.
    assert sorted(str(t) for t in first.review_trailers) == [otto, rhea]
    assert sorted(str(t) for t in second.review_trailers) == [otto, rhea]
    # The Signed-off-by quoted in Rhea's reply is not a trailer of hers.
    assert all(t.name != "Signed-off-by" for t in second.review_trailers)


def test_version_option_selects_an_older_version() -> None:
    series = load_series(str(THREAD), version=1)
    assert series.revision == 1 and series.version_choice == "as requested"
    assert [str(t) for t in series.patches[0].review_trailers] == [
        "Reviewed-by: Rhea Reviewer <rhea@example.net>"
    ]
    assert series.patches[1].review_trailers == []
    assert "proc.rst" not in " ".join(f.path for f in series.patches[1].files)


def test_absent_version_is_an_input_error() -> None:
    with pytest.raises(InputError, match=r"no v3 of the series \(found v1, v2\)"):
        load_series(str(THREAD), version=3)


def test_resend_is_a_harmless_duplicate_and_a_repeated_message_id_is_dropped() -> None:
    series = load_series(str(MAIL / "resend.mbox"))
    assert len(series.patches) == 2
    (dup,) = series.duplicates
    assert (dup.counter, dup.same_content) == (2, True)
    assert dup.kept == "<rs.2@example.org>" and dup.other == "<rs.2.resend@example.org>"
    assert series.strict_problems() == []


def test_same_slot_with_different_content_is_kept_first_and_flagged() -> None:
    series = load_series(str(MAIL / "conflict.mbox"))
    assert series.patches[1].message_id == "rs.2@example.org"
    (dup,) = series.duplicates
    assert not dup.same_content
    assert any("sent twice with different content" in p for p in series.strict_problems())


def test_partial_reroll_borrows_from_the_previous_version_and_says_so() -> None:
    series = load_series(str(MAIL / "partial-reroll.mbox"))
    assert series.revision == 2 and series.complete and series.backfilled == [1]
    assert series.patches[0].revision == 1 and series.patches[1].revision == 2
    assert "mixed versions: 1/2 taken from v1" in series.strict_problems()


def test_incomplete_series_is_a_strict_problem() -> None:
    series = load_series(str(MAIL / "mangled-quote.txt"))
    assert series.missing == [1]
    assert series.strict_problems() == ["1 of 2 patches absent: 1/2"]


def test_directory_single_and_no_cover_forms() -> None:
    for source in (MAIL / "patchdir", MAIL / "series-no-cover.mbox"):
        series = load_series(str(source))
        assert [p.label for p in series.patches] == ["1/2", "2/2"] and series.cover is None
    single = load_series(str(MAIL / "single.patch"))
    assert [p.label for p in single.patches] == ["1/1"]


def test_uncounted_patches_in_a_directory_are_numbered_in_order(tmp_path: Path) -> None:
    for n, name in enumerate(["0001-a.patch", "0002-b.patch"]):
        (tmp_path / name).write_text(
            f"Subject: [PATCH] change {n}\n\n---\ndiff --git a/f{n} b/f{n}\n--- a/f{n}\n+++ b/f{n}\n"
            f"@@ -1 +1 @@\n-a\n+b\n"
        )
    series = load_series(str(tmp_path))
    assert [(p.label, p.title) for p in series.patches] == [("1/2", "change 0"), ("2/2", "change 1")]


def test_no_patch_is_an_input_error(tmp_path: Path) -> None:
    mail = tmp_path / "reply.eml"
    mail.write_text("Subject: Re: [PATCH] x\nFrom: a@example.org\n\nLooks fine.\n")
    with pytest.raises(InputError, match="no patch found"):
        load_series(str(mail))


def test_mime_forms_give_the_same_patch() -> None:
    reference = load_series(str(EXAMPLE_SERIES)).patches[1]
    for name in ("qp.eml", "base64.eml", "attachment.eml"):
        (patch,) = load_series(str(MAIL / name)).patches
        assert patch.patch_id == reference.patch_id, name
        assert patch.diffstat == reference.diffstat
    attached = load_series(str(MAIL / "attachment.eml")).patches[0]
    assert attached.message.startswith("A scratch mapping holds data")


b4 = pytest.importorskip("b4")


def _b4_series(path: Path, revision: int) -> object:
    b4.MAIN_CONFIG.update(b4.DEFAULT_CONFIG)
    box = b4.LoreMailbox()
    for message in mailbox.mbox(path):
        box.add_message(email.message_from_bytes(message.as_bytes(), policy=email.policy.default))
    return box.get_series(revision=revision, codereview_trailers=False)


@pytest.mark.parametrize("revision", [1, 2])
def test_assembly_agrees_with_b4(revision: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    theirs = _b4_series(THREAD, revision)
    ours: Series = load_series(str(THREAD), version=revision)
    assert theirs.complete == ours.complete and theirs.expected == ours.expected  # type: ignore[attr-defined]
    their_patches = [p for p in theirs.patches[1:] if p is not None]  # type: ignore[attr-defined]
    assert [(p.counter, p.subject) for p in their_patches] == [(p.counter, p.title) for p in ours.patches]
    assert [p.msgid for p in their_patches] == [p.message_id for p in ours.patches]
    for theirs_patch, our_patch in zip(their_patches, ours.patches, strict=True):
        their_trailers = {t.as_string() for t in theirs_patch.followup_trailers}
        our_trailers = {str(t) for t in our_patch.review_trailers}
        # b4 puts replies to the cover letter on the cover; `b4 am` then applies them to every patch.
        cover_trailers = {
            t.as_string()
            for t in (
                theirs.patches[0].followup_trailers  # type: ignore[attr-defined]
                if theirs.patches[0]
                else []
            )
        }  # type: ignore[attr-defined]
        assert our_trailers == their_trailers | cover_trailers


def test_rfc_tree_prefixed_and_glued_version_subjects() -> None:
    series = load_series(str(MAIL / "rfc-mm-unstable-v3.mbox"))
    assert series.revision == 3 and series.complete and series.cover is not None
    assert all(p.subject.rfc and p.subject.extra_prefixes == ("mm-unstable",) for p in series.patches)
    glued = load_series(str(MAIL / "patchv3.patch"))
    assert glued.revision == 3 and [p.label for p in glued.patches] == ["1/1"]


def test_a_definition_added_to_a_flag_the_tree_defines_is_a_change(tmp_path: Path) -> None:
    """`#define VM_X` added for another architecture to a file that defines VM_X already changes VM_X; the
    diff alone cannot tell, and says added."""
    from patchcheck.intake import apply_series
    from patchcheck.intake.summary import series_vm_flags
    from patchcheck.source.tree import DirectoryTree

    tree = tmp_path / "tree"
    (tree / "include/linux").mkdir(parents=True)
    (tree / "include/linux/mm.h").write_text(
        "#ifdef CONFIG_X86\n# define VM_TAG\tBIT(37)\n#else\n# define VM_TAG\tVM_NONE\n#endif\n"
    )
    mail = tmp_path / "arm64.patch"
    mail.write_text(
        "From: A <a@example.org>\nSubject: [PATCH] mm: VM_TAG and VM_NEW on arm64\n\n"
        "Signed-off-by: A <a@example.org>\n---\n"
        "diff --git a/include/linux/mm.h b/include/linux/mm.h\n"
        "--- a/include/linux/mm.h\n+++ b/include/linux/mm.h\n"
        "@@ -1,5 +1,8 @@\n #ifdef CONFIG_X86\n # define VM_TAG\tBIT(37)\n+#elif defined(CONFIG_ARM64)\n"
        "+# define VM_TAG\tBIT(38)\n+# define VM_NEW\tBIT(39)\n #else\n # define VM_TAG\tVM_NONE\n #endif\n"
    )
    series = load_series(str(mail))
    states = apply_series(series, DirectoryTree(tree))
    assert series_vm_flags(series, states) == {"VM_NEW": "added", "VM_TAG": "changed"}
    assert series_vm_flags(series) == {"VM_NEW": "added", "VM_TAG": "added"}
