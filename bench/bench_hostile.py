"""Size targets of docs/hardening.md: a 100,000-line new file verifies in under 10 s and 500 MB, 1,000
distinct patches in under 60 s. Each is also run at a tenth of its size in the same run: the growth
ratio (time at full size / time at a tenth) shows whether the work is linear (about 10 with start-up
included, less) or worse (quadratic work would give about 100).

    python bench/bench_hostile.py

Each measurement is the best of a few runs of the whole command as a user runs it (a new process, a fresh
cache), with the bundled example tree; the peak memory is the process's maximum resident size.
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.hostile.generators import many_patches, new_file_patch  # noqa: E402

TREE = REPO / "fixtures" / "example" / "tree"
RUNS = 2


def timed(mail: bytes, *args: str) -> tuple[float, float]:
    """(seconds, peak MiB) of the best of RUNS runs of `patchcheck verify - ARGS` on `mail`."""
    best = (float("inf"), 0.0)
    for _ in range(RUNS):
        with tempfile.TemporaryDirectory() as cache:
            env = {**os.environ, "PATCHCHECK_CACHE": cache}
            start = time.perf_counter()
            proc = subprocess.Popen(
                [sys.executable, "-m", "patchcheck", "verify", "-", "-q", *args],
                stdin=subprocess.PIPE,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
                env=env,
            )
            _, err = proc.communicate(mail)
            elapsed = time.perf_counter() - start
            if proc.returncode not in (0, 1):
                raise SystemExit(f"verify failed ({proc.returncode}): {err.decode(errors='replace')[-300:]}")
            # The largest child so far: the cases run smallest first, so this is the run just measured.
            peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
            best = min(best, (elapsed, peak))
    return best


def main() -> int:
    failed = False
    cases = [
        ("100,000-line new file, no tree", new_file_patch(100_000), new_file_patch(10_000), (), 10.0, 500.0),
        (
            "100,000-line new file, --tree",
            new_file_patch(100_000),
            new_file_patch(10_000),
            ("--tree", str(TREE)),
            10.0,
            500.0,
        ),
        ("1,000 distinct patches, no tree", many_patches(1000), many_patches(100), (), 60.0, None),
        (
            "1,000 distinct patches, --tree",
            many_patches(1000),
            many_patches(100),
            ("--tree", str(TREE)),
            60.0,
            None,
        ),
    ]
    for label, full, tenth, args, seconds, mib in cases:
        small_time, _ = timed(tenth, *args)
        full_time, peak = timed(full, *args)
        ok = full_time < seconds and (mib is None or peak < mib)
        failed |= not ok
        goal = f"goal < {seconds:g} s" + (f", < {mib:g} MiB" if mib else "")
        print(
            f"{label}: {full_time:.2f} s, peak {peak:.0f} MiB ({goal}: {'met' if ok else 'MISSED'}); "
            f"a tenth of it {small_time:.2f} s, growth x{full_time / small_time:.1f}"
        )
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
