"""Finding the base of a series in the reviewer's own git tree: already applied, base-commit (a), the
index lines' pre-image blobs (b), the work tree with --fuzz (c); and never writing the repository."""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.hooks.conftest import KCONFIG, MM_H, TASK_MMU_C, demo_flag

ENV = {
    **{k: v for k, v in os.environ.items() if not k.startswith(("GIT_", "XDG_"))},
    "GIT_CONFIG_NOSYSTEM": "1",
    "GIT_AUTHOR_NAME": "A",
    "GIT_AUTHOR_EMAIL": "a@example.invalid",
    "GIT_COMMITTER_NAME": "A",
    "GIT_COMMITTER_EMAIL": "a@example.invalid",
}
# HEAD moves past the base: the first context line of patch 1's hunk changes, and other files change.
DRIFT = ("#define VM_WRITE\t0x00000002\n", "#define VM_WRITE\t0x00000002\t/* writable */\n")


def git(repo: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", "-C", str(repo), *args], capture_output=True, text=True, env=ENV, check=True
    )
    return done.stdout.strip()


def commit(repo: Path, subject: str, files: dict[str, str]) -> str:
    for rel, text in files.items():
        (repo / rel).parent.mkdir(parents=True, exist_ok=True)
        (repo / rel).write_text(text)
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", subject)
    return git(repo, "rev-parse", "HEAD")


def verify(repo: Path, series: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "patchcheck", "verify", str(series), "--tree", str(repo), *extra],
        capture_output=True,
        text=True,
        env=ENV,
        check=False,
    )


def snapshot(repo: Path) -> dict[str, str]:
    """Every file under .git and the work tree, with a digest of its content."""
    files = {}
    for path in sorted(repo.rglob("*")):
        if path.is_file():
            files[str(path.relative_to(repo))] = hashlib.sha1(path.read_bytes()).hexdigest()
    return files


def series_against_base(repo: Path, out: Path, *extra: str) -> tuple[str, list[Path]]:
    """A two-patch series (VM_DEMO, then its mnemonic) written on a topic branch from the base; then HEAD
    moves several commits past the base on master, one of them changing the series' context."""
    base = git(repo, "rev-parse", "HEAD")
    git(repo, "checkout", "-q", "-b", "topic")
    commit(repo, "mm: add VM_DEMO", {"include/linux/mm.h": demo_flag(mnemonic=False)["include/linux/mm.h"]})
    commit(repo, "proc: show VM_DEMO in smaps", {"fs/proc/task_mmu.c": demo_flag()["fs/proc/task_mmu.c"]})
    extra = tuple(arg.replace("BASE", base) for arg in extra)
    patches = [Path(p) for p in git(repo, "format-patch", "-o", str(out), *extra, f"{base}..topic").split()]
    git(repo, "checkout", "-q", "master")
    commit(repo, "mm: comment VM_WRITE", {"include/linux/mm.h": MM_H.replace(*DRIFT)})
    commit(repo, "docs: a note", {"Documentation/note.rst": "note\n"})
    commit(repo, "kconfig: a symbol", {"Kconfig": KCONFIG + "\nconfig DEMO\n\tbool\n"})
    return base, patches


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    path = tmp_path / "linux"
    path.mkdir()
    git(path, "init", "-q", "-b", "master")
    commit(path, "base", {"Kconfig": KCONFIG, "include/linux/mm.h": MM_H, "fs/proc/task_mmu.c": TASK_MMU_C})
    return path


def summary(done: subprocess.CompletedProcess[str]) -> dict[str, object]:
    assert done.returncode == 0, done.stderr
    base = json.loads(done.stdout)["series"]["base"]
    assert isinstance(base, dict)
    return base


def test_route_a_base_commit_trailer(repo: Path, tmp_path: Path) -> None:
    base, _ = series_against_base(repo, tmp_path / "out", "--base=BASE", "--cover-letter")
    before = snapshot(repo)
    got = summary(verify(repo, tmp_path / "out", "--format", "json"))
    assert got["route"] == "base-commit"
    assert str(got["base"]).startswith(git(repo, "rev-parse", "--short", base))
    assert "base-commit: trailer of the cover letter" in str(got["base"])
    text = verify(repo, tmp_path / "out").stdout
    assert (
        f"base: {git(repo, 'rev-parse', '--short', base)} (base-commit: trailer of the cover letter)" in text
    )
    assert snapshot(repo) == before


def test_route_b_finds_the_commit_with_the_preimage_blobs(repo: Path, tmp_path: Path) -> None:
    base, _ = series_against_base(repo, tmp_path / "out")
    git(repo, "branch", "-q", "-D", "topic")  # the series' own commits are gone; its base is in history
    before = snapshot(repo)
    got = summary(verify(repo, tmp_path / "out", "--format", "json"))
    assert got["route"] == "index-commit"
    assert str(got["base"]).startswith(git(repo, "rev-parse", "--short", base) + " (the newest commit whose")
    assert any("not already applied" in str(t) for t in got["tried"])  # type: ignore[attr-defined]
    assert any("no base-commit" in str(t) for t in got["tried"])  # type: ignore[attr-defined]
    assert snapshot(repo) == before


def test_route_b_applies_to_the_blobs_when_no_commit_has_them_all(repo: Path, tmp_path: Path) -> None:
    """The series was written on a side branch that changed mm.h and was never merged: no commit of HEAD's
    history has its pre-image, but the object store has every blob."""
    git(repo, "checkout", "-q", "-b", "side")
    commit(
        repo,
        "mm: comment VM_EXEC",
        {"include/linux/mm.h": MM_H.replace("0x00000004\n", "0x00000004\t/* x */\n")},
    )
    side_mm = (repo / "include/linux/mm.h").read_text()
    git(repo, "checkout", "-q", "-b", "topic")
    flag = "#define VM_SHARED\t0x00000008\n"
    commit(
        repo,
        "mm: add VM_DEMO",
        {
            "include/linux/mm.h": side_mm.replace(flag, flag + "#define VM_DEMO\t\t0x00000010\n"),
            "fs/proc/task_mmu.c": demo_flag()["fs/proc/task_mmu.c"],
        },
    )
    out = Path(git(repo, "format-patch", "-o", str(tmp_path / "out"), "side..topic"))
    git(repo, "checkout", "-q", "master")
    commit(repo, "mm: comment VM_WRITE", {"include/linux/mm.h": MM_H.replace(*DRIFT)})
    git(repo, "branch", "-q", "-D", "topic")
    before = snapshot(repo)
    got = summary(verify(repo, out, "--format", "json"))
    assert got["route"] == "index-blobs"
    assert "merged in 3-way from the pre-image blobs of its index lines (2 files)" in str(got["base"])
    assert snapshot(repo) == before


def without_index_lines(patches: list[Path], outdir: Path) -> Path:
    outdir.mkdir()
    for path in patches:
        (outdir / path.name).write_text(re.sub(r"(?m)^index .*\n", "", path.read_text()))
    return outdir


def test_route_c_work_tree_with_fuzz(repo: Path, tmp_path: Path) -> None:
    _, patches = series_against_base(repo, tmp_path / "out")
    series = without_index_lines(patches, tmp_path / "bare")
    before = snapshot(repo)
    refused = verify(repo, series)
    assert refused.returncode == 2 and refused.stdout == ""
    first = refused.stderr.splitlines()[0]
    assert "patch 1/2 'mm: add VM_DEMO' does not apply: include/linux/mm.h: hunk #1" in first
    tried = (
        "bases tried: HEAD (the series is not already applied there); no base-commit trailer; "
        "no pre-image blob in index lines"
    )
    assert tried in first
    assert "the work tree" in first and first.endswith("--fuzz 1 applies it (check the fuzzed hunks by hand)")
    done = verify(repo, series, "--fuzz", "1")
    assert done.returncode == 0, done.stderr
    assert "base: the work tree" in done.stdout
    assert "  fuzzed: patch 1/2: include/linux/mm.h: hunk #1 applied with fuzz 1" in done.stdout
    got = summary(verify(repo, series, "--fuzz", "1", "--format", "json"))
    assert got["route"] == "worktree" and len(got["fuzzed"]) == 1  # type: ignore[arg-type]
    assert snapshot(repo) == before


def test_a_finding_on_a_fuzzed_line_says_so(repo: Path, tmp_path: Path) -> None:
    _, patches = series_against_base(repo, tmp_path / "out")
    series = without_index_lines(patches[:1], tmp_path / "bare")  # the flag without its mnemonic: PC201
    done = verify(repo, series, "--fuzz", "2", "--format", "terse")
    assert done.returncode == 1, done.stderr
    [line] = [ln for ln in done.stdout.splitlines() if "[PC201]" in ln]
    assert "(on a hunk applied with fuzz 1: check it by hand)" in line


def test_the_series_committed_at_head_is_checked_at_its_parent(repo: Path, tmp_path: Path) -> None:
    base, patches = series_against_base(repo, tmp_path / "out")
    git(repo, "reset", "-q", "--hard", "topic")  # master is the topic branch now: the series is at HEAD
    series = without_index_lines(patches, tmp_path / "bare")  # nothing but the commits themselves to go by
    before = snapshot(repo)
    got = summary(verify(repo, series, "--format", "json"))
    assert got["route"] == "already-applied"
    short, first = git(repo, "rev-parse", "--short", base), git(repo, "rev-parse", "--short", "HEAD~1")
    assert got["base"] == (
        f"{short}: patch 1/2 is commit {first} of HEAD's history (same title and patch-id), so the series is "
        "checked at its parent"
    )
    assert snapshot(repo) == before


def test_a_series_committed_squashed_is_undone_at_head(repo: Path, tmp_path: Path) -> None:
    """Committed as one commit, the patches are no commits of their own: the series reverse-applies at HEAD,
    and is checked on HEAD with the series undone."""
    base, patches = series_against_base(repo, tmp_path / "out")
    git(repo, "reset", "-q", "--hard", base)
    git(repo, "merge", "-q", "--squash", "topic")
    git(repo, "commit", "-q", "-m", "mm: VM_DEMO, squashed")
    before = snapshot(repo)
    got = summary(verify(repo, patches[0].parent, "--format", "json"))
    assert got["route"] == "already-applied"
    assert got["base"] == "HEAD with the series undone in memory: the series is already applied at HEAD"
    assert snapshot(repo) == before


def test_a_3way_conflict_is_one_of_the_bases_tried(repo: Path, tmp_path: Path) -> None:
    """The pre-image blobs are in the store, but HEAD rewrote the very lines the patch changes: the 3-way
    merge conflicts, the work tree does not match, and the one line says both."""
    git(repo, "checkout", "-q", "-b", "side")
    commit(
        repo,
        "mm: comment VM_EXEC",
        {"include/linux/mm.h": MM_H.replace("0x00000004\n", "0x00000004\t/* x */\n")},
    )
    git(repo, "checkout", "-q", "-b", "topic")
    commit(
        repo,
        "mm: renumber VM_SHARED",
        {
            "include/linux/mm.h": (repo / "include/linux/mm.h")
            .read_text()
            .replace("VM_SHARED\t0x00000008", "VM_SHARED\t0x00000080")
        },
    )
    out = Path(git(repo, "format-patch", "-o", str(tmp_path / "out"), "side..topic"))
    git(repo, "checkout", "-q", "master")
    commit(
        repo,
        "mm: renumber VM_SHARED otherwise",
        {"include/linux/mm.h": MM_H.replace("0x00000008", "0x00000800")},
    )
    before = snapshot(repo)
    done = verify(repo, out)
    assert done.returncode == 2
    first = done.stderr.splitlines()[0]
    assert (
        "the pre-image blobs merged 3-way (patch 1/1 'mm: renumber VM_SHARED': include/linux/mm.h: its "
        "change does not merge into the work tree (1 conflict(s)))" in first
    )
    assert "; the work tree " in first
    assert snapshot(repo) == before
