"""`patchcheck audit` (registry rules and rule packs) on the real 6.12 tree, cold and warm, against
`grep -rn 'VM_' mm include fs` on the same tree in the same run. Goal: warm within 3x of the grep,
cold within 15x.

    python bench/bench_audit.py [TREE]        (default: $PATCHCHECK_LINUX_TREE or ~/.cache/patchcheck/...)

Cold: an empty parse cache (PATCHCHECK_CACHE points at a fresh directory). Warm: the same cache, second run.
Each measurement is the best of a few runs of the whole command as a user runs it (a new process), with
Python's bytecode cache as an installed package has it (PYTHONDONTWRITEBYTECODE is dropped: with it set,
every run compiles every module again, which no user's install does).
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

RUNS = 3


def default_tree() -> Path:
    explicit = os.environ.get("PATCHCHECK_LINUX_TREE")
    return Path(explicit) if explicit else Path.home() / ".cache" / "patchcheck" / "linux-source-6.12"


def timed(cmd: list[str], cwd: Path, env: dict[str, str] | None = None) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    return time.perf_counter() - start


def main() -> int:
    tree = Path(sys.argv[1]) if len(sys.argv) > 1 else default_tree()
    if not (tree / "include" / "linux" / "mm.h").is_file():
        print(f"no kernel tree at {tree}; run scripts/fetch-linux-source.sh", file=sys.stderr)
        return 2
    audit = [sys.executable, "-m", "patchcheck", "audit", "--tree", str(tree)]
    grep = ["grep", "-rn", "VM_", "mm", "include", "fs"]
    timed(grep, tree)  # page cache: both sides read a warm tree
    grep_time = min(timed(grep, tree) for _ in range(RUNS))
    cold_times, warm_times = [], []
    for _ in range(RUNS):
        with tempfile.TemporaryDirectory() as cache:
            env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
            env["PATCHCHECK_CACHE"] = cache
            cold_times.append(timed(audit, tree, env))
            warm_times.append(min(timed(audit, tree, env) for _ in range(RUNS)))
    cold, warm = min(cold_times), min(warm_times)
    print(f"tree: {tree}")
    print(f"grep -rn 'VM_' mm include fs: {grep_time:.3f} s")
    print(f"audit cold: {cold:.3f} s  ratio {cold / grep_time:.1f}x  (goal <= 15x)")
    print(f"audit warm: {warm:.3f} s  ratio {warm / grep_time:.1f}x  (goal <= 3x)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
