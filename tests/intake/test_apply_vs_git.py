"""Strictness against git itself: on random edits and perturbed bases, we apply exactly when `git apply`
does, and produce the same result."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from patchcheck.errors import InputError
from patchcheck.intake.apply import apply_series
from patchcheck.intake.assemble import load_series
from patchcheck.source.tree import DirectoryTree

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="git not installed")

_WORDS = ["a", "b", "c", "d", "int x;", "}", "", "\treturn 0;"]
_LINES = st.lists(st.sampled_from(_WORDS), min_size=1, max_size=30)


def _edit(lines: list[str], data: st.DataObject) -> list[str]:
    edited = list(lines)
    for _ in range(data.draw(st.integers(1, 4))):
        at = data.draw(st.integers(0, len(edited)))
        action = data.draw(st.sampled_from(["insert", "delete", "replace"]))
        if action == "insert" or not edited:
            edited.insert(at, data.draw(st.sampled_from(["new", "x = 1;", "b"])))
        elif action == "delete":
            del edited[min(at, len(edited) - 1)]
        else:
            edited[min(at, len(edited) - 1)] = "changed"
    return edited


def _git_diff(work: Path, old: str, new: str) -> str:
    (work / "a").mkdir()
    (work / "b").mkdir()
    (work / "a" / "f.c").write_text(old)
    (work / "b" / "f.c").write_text(new)
    out = subprocess.run(
        ["git", "diff", "--no-index", "--no-prefix", "a/f.c", "b/f.c"],
        cwd=work,
        capture_output=True,
        text=True,
        check=False,
    )
    return out.stdout  # --no-prefix keeps the directory names a/ and b/ as git's usual prefixes


def _git_apply(work: Path, base: str, diff: str) -> str | None:
    repo = work / "repo"
    repo.mkdir()
    (repo / "f.c").write_text(base)
    (work / "p.diff").write_text(diff)
    out = subprocess.run(["git", "apply", str(work / "p.diff")], cwd=repo, capture_output=True, check=False)
    return (repo / "f.c").read_text() if out.returncode == 0 else None


def _ours(work: Path, base: str, diff: str) -> str | None:
    tree = work / "ours"
    tree.mkdir()
    (tree / "f.c").write_text(base)
    mail = work / "p.patch"
    mail.write_text("Subject: [PATCH] random edit\n\n---\n" + diff)
    try:
        states = apply_series(load_series(str(mail)), DirectoryTree(tree))
    except InputError:
        return None
    data = states[-1].tree.read_bytes("f.c")
    return None if data is None else data.decode()


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_LINES, st.data())
def test_same_verdict_and_result_as_git_apply(lines: list[str], data: st.DataObject) -> None:
    old = "\n".join(lines) + "\n"
    new = "\n".join(_edit(lines, data)) + "\n"
    if old == new:
        return
    # The base the patch is applied to: the original, or the original with a line added or changed.
    base_lines = list(lines)
    perturb = data.draw(st.sampled_from(["none", "prepend", "change"]))
    if perturb == "prepend":
        base_lines[:0] = ["/* extra */", "/* lines */"]
    elif perturb == "change":
        base_lines[data.draw(st.integers(0, len(base_lines) - 1))] = "perturbed"
    base = "\n".join(base_lines) + "\n"
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        diff = _git_diff(work, old, new)
        assert diff.startswith("diff --git a/f.c b/f.c")
        assert _ours(work, base, diff) == _git_apply(work, base, diff)
