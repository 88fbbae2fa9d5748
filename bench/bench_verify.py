"""Benchmark: `patchcheck verify` of a 5-patch series on the real 6.12 tree vs the tree's checkpatch.pl.

The series (tests/packs/packs_series.py: VM_SCRATCH, every site handled) is written from the tree at run
time. In the same run we time, each in a fresh process:
  - checkpatch.pl on the five patch files (as a developer runs it before sending),
  - `patchcheck verify series.mbox --tree TREE`, cold (empty cache) and warm (cache filled by a run before),
  - `patchcheck --version` (interpreter start, typer and the command line: the floor of every command),
  - the same series through intake + the rule packs alone (`--stage packs`), cold and warm,
  - through intake + every rule (registry and packs, on the tree after each patch: `--stage engine`),
and print medians, the ratios to checkpatch and each run's peak memory (ru_maxrss of the child).
Goals: warm verify <= 1/3 of checkpatch, cold verify <= checkpatch, peak memory < 300 MB, judged on the
real `patchcheck verify` command; the stage lines only show where the time goes.

    .venv/bin/python bench/bench_verify.py [--tree DIR] [--repeat N]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests" / "packs"))

from packs_series import build_series  # noqa: E402


def run_child(cmd: list[str], cwd: Path, env: dict[str, str]) -> tuple[float, float, int]:
    """(wall seconds, peak resident MB, exit status) of one child process."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    assert proc.stderr is not None
    err = proc.stderr.read()
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode not in (0, 1):
        raise SystemExit(f"{cmd[:3]} failed ({proc.returncode}): {err.decode(errors='replace')[-500:]}")
    return elapsed, usage.ru_maxrss / 1024, proc.returncode


def engine_stage(series: Path, tree: Path) -> int:
    """Intake + the whole rule engine (registry rules and packs) on the tree after every patch."""
    from patchcheck.intake.assemble import load_series
    from patchcheck.rules.engine import verify_series
    from patchcheck.source.tree import DirectoryTree

    report = verify_series(load_series(str(series)), DirectoryTree(tree))
    return 1 if report.findings else 0


def packs_stage(series: Path, tree: Path) -> int:
    """Intake + in-memory apply + every rule pack on the final state: what the packs add to verify."""
    from patchcheck.intake.apply import apply_series
    from patchcheck.intake.assemble import load_series
    from patchcheck.rules.base import CheckContext
    from patchcheck.rules.packs import load_packs
    from patchcheck.source.tree import DirectoryTree

    loaded = load_series(str(series))
    states = apply_series(loaded, DirectoryTree(tree))
    findings = list(
        load_packs()[0].run(CheckContext(tree=states[-1].tree, series=loaded, patch_index=len(states)))
    )
    return 1 if findings else 0


def measure(
    label: str, cmd: list[str], cwd: Path, cache: Path | None, repeat: int, cold: bool
) -> dict[str, float]:
    times, peaks = [], []
    for _ in range(repeat):
        env = dict(os.environ)
        if cache is not None:
            if cold:
                shutil.rmtree(cache, ignore_errors=True)
            env["PATCHCHECK_CACHE"] = str(cache)
        elapsed, peak, _ = run_child(cmd, cwd, env)
        times.append(elapsed)
        peaks.append(peak)
    result = {"median": statistics.median(times), "peak": max(peaks)}
    print(
        f"  {label:<28} {result['median']:7.3f} s   peak {result['peak']:6.1f} MB   "
        f"(runs: {', '.join(f'{t:.3f}' for t in times)})"
    )
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--tree",
        type=Path,
        default=Path(
            os.environ.get(
                "PATCHCHECK_LINUX_TREE", Path.home() / ".cache" / "patchcheck" / "linux-source-6.12"
            )
        ),
    )
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--stage", choices=["packs", "engine"], help=argparse.SUPPRESS)
    parser.add_argument("--series", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.stage == "packs":
        return packs_stage(args.series, args.tree)
    if args.stage == "engine":
        return engine_stage(args.series, args.tree)
    tree: Path = args.tree.resolve()
    if not (tree / "scripts" / "checkpatch.pl").is_file():
        raise SystemExit(f"no kernel tree with scripts/checkpatch.pl at {tree}")

    with tempfile.TemporaryDirectory(prefix="pc-bench-") as tmp:
        work = Path(tmp)
        mbox, _ = build_series(tree)
        (work / "series.mbox").write_text(mbox)
        sep = "From 0000000000000000000000000000000000000000 "
        patches = []
        for number, part in enumerate(mbox.split(sep)[1:], start=1):
            patch = work / f"{number:04d}.patch"
            patch.write_text(sep + part)
            patches.append(str(patch))
        cache = work / "cache"
        verify = [
            sys.executable,
            "-m",
            "patchcheck",
            "verify",
            str(work / "series.mbox"),
            "--tree",
            str(tree),
        ]
        stage = [
            sys.executable,
            str(Path(__file__).resolve()),
            "--series",
            str(work / "series.mbox"),
            "--tree",
            str(tree),
            "--stage",
        ]
        print(f"5-patch series (VM_SCRATCH) on {tree}, median of {args.repeat}")
        checkpatch = measure(
            "checkpatch.pl (5 patches)",
            ["perl", "scripts/checkpatch.pl", *patches],
            tree,
            None,
            args.repeat,
            cold=False,
        )
        cold = measure("patchcheck verify, cold", verify, REPO, cache, args.repeat, cold=True)
        warm = measure("patchcheck verify, warm", verify, REPO, cache, args.repeat, cold=False)
        measure(
            "patchcheck --version",
            [sys.executable, "-m", "patchcheck", "--version"],
            REPO,
            None,
            args.repeat,
            cold=False,
        )
        runs = {}
        for name, label in (("packs", "intake + packs"), ("engine", "intake + all rules")):
            for cold_run in (True, False):
                runs[name, cold_run] = measure(
                    f"{label}, {'cold' if cold_run else 'warm'}",
                    [*stage, name],
                    REPO,
                    cache,
                    args.repeat,
                    cold=cold_run,
                )

    base = checkpatch["median"]
    peak = max(cold["peak"], warm["peak"])
    warm_ratio, cold_ratio = warm["median"] / base, cold["median"] / base
    print(
        "ratios to checkpatch (stages, for where the time goes): "
        + ", ".join(
            f"{name} {'cold' if cold_run else 'warm'} {result['median'] / base:.2f}"
            for (name, cold_run), result in runs.items()
        )
    )
    ok = warm_ratio <= 1 / 3 and cold_ratio <= 1 and peak < 300
    print(
        f"goals on `patchcheck verify`: warm {warm_ratio:.2f} (<= 0.33), cold {cold_ratio:.2f} (<= 1.00), "
        f"peak {peak:.1f} MB (< 300): " + ("met" if ok else "NOT met")
    )
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
