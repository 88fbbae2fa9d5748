"""Base resolution on the real 6.12 tree, as a git repository built at test time from a few of its files
(in a temporary directory; the source tree itself is only read): a series written against an older state
of those files verifies through its index lines' blobs (route b), and a series that only applies with fuzz
verifies with --fuzz 1 (the least that applies it, as the error says), naming its fuzzed hunk."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.realtree

FILES = (
    "Kconfig",
    "mm/Kconfig",
    "include/linux/mm.h",
    "fs/proc/task_mmu.c",
    "include/trace/events/mmflags.h",
    "Documentation/filesystems/proc.rst",
)
ENV = {
    **{k: v for k, v in os.environ.items() if not k.startswith(("GIT_", "XDG_"))},
    "GIT_CONFIG_NOSYSTEM": "1",
    "GIT_AUTHOR_NAME": "A",
    "GIT_AUTHOR_EMAIL": "a@example.invalid",
    "GIT_COMMITTER_NAME": "A",
    "GIT_COMMITTER_EMAIL": "a@example.invalid",
}
# The older state: one comment line of mm.h, as the series' author had it.
REAL_LINE = " * vm_flags in vm_area_struct, see mm_types.h.\n"
OLD_LINE = " * vm_flags in vm_area_struct (see mm_types.h).\n"
CHANGE_LINE = " * When changing, update also include/trace/events/mmflags.h\n"
SEALED = '\t\t[ilog2(VM_SEALED)] = "sl",\n'


def git(repo: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", "-C", str(repo), *args], capture_output=True, text=True, env=ENV, check=True
    )
    return done.stdout.strip()


def edit(repo: Path, rel: str, old: str, new: str) -> None:
    path = repo / rel
    text = path.read_text()
    assert text.count(old) == 1, (rel, old)
    path.write_text(text.replace(old, new))


@pytest.fixture(scope="module")
def repo(real_tree: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """master: the older state O, then the real 6.12 files, then two more commits. Returns (repo, O)."""
    path = tmp_path_factory.mktemp("real-git") / "linux"
    for rel in FILES:
        (path / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(real_tree / rel, path / rel)
    git(path, "init", "-q", "-b", "master")
    edit(path, "include/linux/mm.h", REAL_LINE, OLD_LINE)
    git(path, "add", "-A")
    git(path, "commit", "-q", "-m", "older state")
    older = git(path, "rev-parse", "HEAD")
    edit(path, "include/linux/mm.h", OLD_LINE, REAL_LINE)
    git(path, "commit", "-q", "-am", "6.12")
    (path / "Documentation/filesystems/proc.rst").write_text(
        (real_tree / "Documentation/filesystems/proc.rst").read_text() + "\n.. a later note\n"
    )
    git(path, "commit", "-q", "-am", "docs: a later note")
    (path / "mm/Kconfig").write_text((real_tree / "mm/Kconfig").read_text() + "\n# a later comment\n")
    git(path, "commit", "-q", "-am", "mm: a later comment")
    return path, older


def series_on_older_state(repo: Path, older: str, out: Path) -> Path:
    """Two comment patches written on a topic branch from the older state; the branch is then deleted, so
    only the object store remembers the files as the series' author had them."""
    git(repo, "checkout", "-q", "-b", "topic", older)
    added = " * and fs/proc/task_mmu.c for a flag shown in smaps.\n"
    edit(repo, "include/linux/mm.h", CHANGE_LINE, CHANGE_LINE + added)
    git(repo, "commit", "-q", "-am", "mm: say where a flag's smaps mnemonic goes")
    edit(repo, "fs/proc/task_mmu.c", SEALED, SEALED + "\t\t/* a new VM_* flag's mnemonic goes above */\n")
    git(repo, "commit", "-q", "-am", "proc: mark the end of the mnemonic table")
    git(repo, "format-patch", "-q", "-o", str(out), f"{older}..topic")
    git(repo, "checkout", "-q", "master")
    git(repo, "branch", "-q", "-D", "topic")
    return out


def verify(repo: Path, series: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "patchcheck", "verify", str(series), "--tree", str(repo), "--quiet", *extra],
        capture_output=True,
        text=True,
        env=ENV,
        check=False,
    )


def test_series_against_an_older_state_verifies_through_its_index_blobs(
    repo: tuple[Path, str], tmp_path: Path
) -> None:
    path, older = repo
    series = series_on_older_state(path, older, tmp_path / "out")
    done = verify(path, series, "--format", "json")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    base = report["series"]["base"]
    assert base["route"] == "index-commit"
    assert base["base"].startswith(git(path, "rev-parse", "--short", older) + " ")
    assert report["findings"] == []
    assert git(path, "status", "--porcelain") == "" and git(path, "branch", "--list") == "* master"


def hunk(lines: list[str], at: int, before: int, after: int, added: str, *, drift: bool = False) -> str:
    """A hunk adding `added` after line `at` (0-based) with the given context; with `drift`, its first
    context line is not what the tree has (so it applies only with fuzz)."""
    context = lines[at - before + 1 : at + 1]
    if drift:
        context[0] += " /* as the author's tree had it */"
    tail = lines[at + 1 : at + 1 + after]
    start = at - before + 2
    body = [f" {line}" for line in context] + [f"+{added}"] + [f" {line}" for line in tail]
    return f"@@ -{start},{before + after} +{start},{before + after + 1} @@\n" + "\n".join(body) + "\n"


def header(path: str) -> str:
    return f"diff --git a/{path} b/{path}\n--- a/{path}\n+++ b/{path}\n"


def fuzz_series(real_tree: Path) -> str:
    """One patch, two hunks built from the real files at test time: the mm.h one with a drifted first
    context line, the task_mmu.c one exact."""
    mm = (real_tree / "include/linux/mm.h").read_text().split("\n")
    proc = (real_tree / "fs/proc/task_mmu.c").read_text().split("\n")
    at_mm, at_proc = mm.index(CHANGE_LINE.rstrip("\n")), proc.index(SEALED.rstrip("\n"))
    return (
        "From: Ada Example <ada@example.org>\nSubject: [PATCH] mm: say where a flag's smaps mnemonic goes\n\n"
        "Written against a tree whose context drifted from 6.12's.\n---\n"
        + header("include/linux/mm.h")
        + hunk(mm, at_mm, 5, 3, " * and fs/proc/task_mmu.c for a flag shown in smaps.", drift=True)
        + header("fs/proc/task_mmu.c")
        + hunk(proc, at_proc, 2, 2, "\t\t/* a new VM_* flag's mnemonic goes above */")
    )


def test_series_that_needs_fuzz_verifies_with_the_fuzz_suggested_and_names_its_fuzzed_hunk(
    repo: tuple[Path, str], tmp_path: Path, real_tree: Path
) -> None:
    path, _ = repo
    patch = tmp_path / "fuzz.patch"
    patch.write_text(fuzz_series(real_tree))
    refused = verify(path, patch)
    assert refused.returncode == 2
    first = refused.stderr.splitlines()[0]
    title = "mm: say where a flag's smaps mnemonic goes"
    assert f"patch 1/1 {title!r} does not apply: include/linux/mm.h: hunk #1" in first
    assert first.endswith("--fuzz 1 applies it (check the fuzzed hunks by hand)")
    done = verify(path, patch, "--fuzz", "1", "--format", "json")
    assert done.returncode == 0, done.stderr
    base = json.loads(done.stdout)["series"]["base"]
    assert base["route"] == "worktree"
    fuzzed = "patch 1/1: include/linux/mm.h: hunk #1 applied with fuzz 1 (post-image lines 268-274)"
    assert base["fuzzed"] == [fuzzed]  # the task_mmu.c hunk applied exactly
