"""Bench: reading and applying a series in memory against a real kernel tree, next to `git apply --check`.

Run on demand: `python -m bench.intake_apply [TREE]` (default: the real_tree cache). Prints both times and
their ratio; the target is to stay within a small factor of git's own check.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from pathlib import Path

from patchcheck.intake import apply_series, load_series
from patchcheck.source.tree import DirectoryTree

REPO = Path(__file__).resolve().parents[1]
SERIES = REPO / "fixtures" / "mail" / "realtree-6.12.mbox"
ROUNDS = 20


def _ours(tree: Path) -> float:
    start = time.perf_counter()
    for _ in range(ROUNDS):
        apply_series(load_series(str(SERIES)), DirectoryTree(tree))
    return (time.perf_counter() - start) / ROUNDS


def _git(tree: Path) -> float:
    series = load_series(str(SERIES))
    with tempfile.TemporaryDirectory() as tmp:
        diffs = []
        for n, patch in enumerate(series.patches):
            path = Path(tmp) / f"{n}.diff"
            path.write_text(patch.diff.text)
            diffs.append(str(path))
        start = time.perf_counter()
        for _ in range(ROUNDS):
            # --check reads and never writes; patches checked alone (the series touches distinct files).
            for diff in diffs:
                subprocess.run(["git", "apply", "--check", diff], cwd=tree, check=True, capture_output=True)
        return (time.perf_counter() - start) / ROUNDS


def main() -> None:
    default = Path.home() / ".cache" / "patchcheck" / "linux-source-6.12"
    tree = Path(sys.argv[1]) if len(sys.argv) > 1 else default
    ours, git = _ours(tree), _git(tree)
    print(
        f"patchcheck load+apply: {ours * 1000:.1f} ms; git apply --check: {git * 1000:.1f} ms; "
        f"ratio {ours / git:.2f}"
    )


if __name__ == "__main__":
    main()
