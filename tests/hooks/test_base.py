"""Which revision an outgoing patch is checked against."""

from __future__ import annotations

import base64
from pathlib import Path

from patchcheck.hooks.base import EMPTY_TREE, bare_subject, base_revision, has_diff, malformed_diff
from tests.hooks.conftest import MM_H, Repo, foreign


def two_commit_series(repo: Repo) -> tuple[str, str, str]:
    base = repo.head()
    first = repo.commit(
        "mm: add VM_DEMO",
        {
            "include/linux/mm.h": MM_H.replace(
                "#define VM_SHARED\t0x00000008\n",
                "#define VM_SHARED\t0x00000008\n#define VM_DEMO\t\t0x00000010\n",
            )
        },
    )
    second = repo.commit("mm: document VM_DEMO", {"Documentation/demo.rst": "VM_DEMO\n"})
    return base, first, second


def test_a_committed_patch_is_checked_against_its_parent(repo: Repo, tmp_path: Path) -> None:
    base, first, _second = two_commit_series(repo)
    p1, p2 = repo.format_patch(f"{base}..HEAD", tmp_path / "out", "--cover-letter")[1:]
    assert base_revision(p1.read_bytes(), repo.path) == base
    assert base_revision(p2.read_bytes(), repo.path) == first


def test_found_by_subject_and_patch_id_when_the_from_line_is_gone(repo: Repo, tmp_path: Path) -> None:
    base, _first, _second = two_commit_series(repo)
    p1 = repo.format_patch(f"{base}..HEAD", tmp_path / "out", "--subject-prefix=PATCH v3")[0]
    body = p1.read_bytes().split(b"\n", 1)[1]  # b4 hands messages over without the mbox From line
    assert b"[PATCH v3 1/2]" in body
    assert base_revision(body, repo.path) == base


def test_a_changed_patch_with_the_same_subject_is_not_the_commit(repo: Repo, tmp_path: Path) -> None:
    base, _first, _second = two_commit_series(repo)
    p1 = repo.format_patch(f"{base}..HEAD", tmp_path / "out")[0]
    altered = p1.read_bytes().replace(b"0x00000010", b"0x00000020")
    assert base_revision(altered, repo.path) == "HEAD"


def test_a_patch_not_in_the_repository_is_checked_against_head(repo: Repo, tmp_path: Path) -> None:
    base, _first, _second = two_commit_series(repo)
    p1 = repo.format_patch(f"{base}..HEAD", tmp_path / "out")[0]
    repo.git("reset", "-q", "--hard", base)
    assert base_revision(foreign(p1.read_bytes()), repo.path) == "HEAD"


def test_root_commit_uses_the_empty_tree(repo: Repo, tmp_path: Path) -> None:
    p0 = repo.format_patch("--root", tmp_path / "out")[0]
    assert base_revision(p0.read_bytes(), repo.path) == EMPTY_TREE


def test_cover_letters_have_no_diff_and_subjects_lose_their_prefixes(repo: Repo, tmp_path: Path) -> None:
    base, _first, _second = two_commit_series(repo)
    cover, p1, _p2 = repo.format_patch(f"{base}..HEAD", tmp_path / "out", "--cover-letter")
    assert not has_diff(cover.read_bytes())
    assert has_diff(p1.read_bytes())
    assert bare_subject(b"Subject: Re: [PATCH mm-unstable v2 3/7] [RFC] mm: add\n  VM_DEMO\n\n") == (
        "mm: add VM_DEMO"
    )


def test_a_hunk_longer_than_its_header_says_is_malformed(repo: Repo, tmp_path: Path) -> None:
    base, _first, _second = two_commit_series(repo)
    good = repo.format_patch(f"{base}..HEAD", tmp_path / "out")[0].read_bytes()
    assert malformed_diff(good) is None
    broken = good.replace(b"@@ -7,5 +7,6 @@", b"@@ -7,5 +7,8 @@")
    assert broken != good
    assert malformed_diff(broken) == "malformed diff: Hunk is longer than expected"
    encoded = (
        b"Subject: [PATCH] x\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: base64\n\n"
        + base64.encodebytes(broken.split(b"\n\n", 1)[1])
    )
    assert malformed_diff(encoded) == "malformed diff: Hunk is longer than expected"


def test_a_patch_from_another_branch_is_checked_against_its_own_parent(repo: Repo, tmp_path: Path) -> None:
    base, first, _second = two_commit_series(repo)
    p2 = repo.format_patch(f"{base}..HEAD", tmp_path / "out")[1]
    repo.git("branch", "-q", "topic")
    repo.git("reset", "-q", "--hard", base)
    assert base_revision(p2.read_bytes(), repo.path) == first
