"""Every row of the performance table, each against its peer in the same run, interleaved (`scripts/bench`).

Each row times patchcheck and its peer as whole processes, alternately (A B A B ...), and takes the median of
the per-pair ratios, so a machine that speeds up or slows down during the run moves both sides alike. Peers:
the tree's own scripts/checkpatch.pl, `grep -rn VM_ mm include fs`, and `python3 -c pass`. The targets are
in bench/targets.toml; the run prints which rows miss and exits 1 when one does.

The series are written at run time from the tree (tests/packs/packs_series.py, no kernel text stored): the
5-patch VM_SCRATCH series behind a Kconfig symbol of its own (so it changes mm/Kconfig), and its first patch
alone. The `--rev` and b4 rows read a git repository of the tree, made once under
~/.cache/patchcheck/bench/ (git add of the unpacked tree: a minute, ~250 MB), with the series as commits on
the branch checked out, as `b4 prep --check` has it.

    scripts/bench [--tree DIR] [--repeat N] [--only ROW ...]
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
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests" / "packs"))

from packs_series import KCONFIG_EDITS, build_series  # noqa: E402

CACHE = Path(os.environ.get("PATCHCHECK_CACHE", Path.home() / ".cache" / "patchcheck"))
FIXED_DATE = {
    "GIT_AUTHOR_DATE": "2026-11-26T12:00:00Z",
    "GIT_COMMITTER_DATE": "2026-11-26T12:00:00Z",
    "GIT_AUTHOR_NAME": "Pat Checker",
    "GIT_AUTHOR_EMAIL": "pat@example.org",
    "GIT_COMMITTER_NAME": "Pat Checker",
    "GIT_COMMITTER_EMAIL": "pat@example.org",
}


@dataclass
class Step:
    argv: list[str]
    cwd: Path
    stdin: Path | None = None


@dataclass
class Side:
    """One side of a row: a sequence of processes (b4 runs one per patch), cold or warm."""

    steps: list[Step]
    # "cold": an empty PATCHCHECK_CACHE per run; "warm": one filled beforehand; "warm-unkept": the same
    # without the kept audit reports, as after an edit of a file the audit reads
    cache: str = "none"
    times: list[float] = field(default_factory=list)


def run_side(side: Side, env: dict[str, str], scratch: Path) -> float:
    env = dict(env)
    if side.cache == "cold":
        cold = Path(tempfile.mkdtemp(prefix="cold-", dir=scratch))
        env["PATCHCHECK_CACHE"] = str(cold)
    elif side.cache.startswith("warm"):
        env["PATCHCHECK_CACHE"] = str(scratch / "warm")
    if side.cache == "warm-unkept":
        for kept in (scratch / "warm" / "parse").glob("*/audit-report"):
            shutil.rmtree(kept)
    start = time.perf_counter()
    for step in side.steps:
        stdin = step.stdin.open("rb") if step.stdin else subprocess.DEVNULL
        try:
            done = subprocess.run(
                step.argv,
                cwd=step.cwd,
                env=env,
                stdin=stdin,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
                check=False,
            )
        finally:
            if step.stdin:
                stdin.close()  # type: ignore[union-attr]
        if done.returncode not in (0, 1):
            raise SystemExit(
                f"{' '.join(step.argv[:4])} failed ({done.returncode}): "
                f"{done.stderr.decode(errors='replace')[-400:]}"
            )
    elapsed = time.perf_counter() - start
    if side.cache == "cold":
        shutil.rmtree(env["PATCHCHECK_CACHE"], ignore_errors=True)
    return elapsed


def git(repo: Path, *args: str, env: dict[str, str] | None = None, stdin: bytes | None = None) -> str:
    done = subprocess.run(
        ["git", *args],
        cwd=repo,
        env={**os.environ, **(env or {})},
        input=stdin,
        capture_output=True,
        check=True,
    )
    return done.stdout.decode().strip()


def bench_repository(tree: Path) -> tuple[Path, str]:
    """(repository, its one commit): the unpacked tree committed once, outside the tree and the project."""
    repo = CACHE / "bench" / tree.name
    root = subprocess.run(  # the tree's commit: the one root, whatever HEAD points at now
        ["git", "-C", str(repo), "rev-list", "--max-parents=0", "HEAD"],
        capture_output=True,
        text=True,
        check=False,
    )
    if root.returncode == 0 and root.stdout.strip():
        return repo, root.stdout.split()[0]
    print(f"making the benchmark repository {repo} (once) ...", file=sys.stderr)
    repo.mkdir(parents=True, exist_ok=True)
    git(repo, "init", "-q")
    git_dir = str(repo / ".git")
    env = {"GIT_DIR": git_dir, "GIT_WORK_TREE": str(tree)}
    git(tree, "add", "-f", "-A", ".", env=env)  # reads the tree; writes only the repository's index
    tree_id = git(repo, "write-tree")
    commit = git(repo, "commit-tree", tree_id, "-m", tree.name, env=FIXED_DATE)
    git(repo, "update-ref", "HEAD", commit)
    return repo, commit


def series_commits(repo: Path, base: str, patches: Sequence[Path], out: Path) -> list[Path]:
    """The patches as commits on top of `base` (index only, no checkout), and their `git format-patch`."""
    index = out / "index"
    env = {**FIXED_DATE, "GIT_INDEX_FILE": str(index)}
    git(repo, "read-tree", base, env=env)
    parent = base
    for patch in patches:
        git(repo, "apply", "--cached", str(patch), env=env)
        subject = next(line for line in patch.read_text().splitlines() if line.startswith("Subject:"))
        message = subject.split("] ", 1)[-1]
        parent = git(
            repo, "commit-tree", git(repo, "write-tree", env=env), "-p", parent, "-m", message, env=env
        )
    git(repo, "update-ref", "refs/heads/bench-series", parent)
    # As in `b4 prep --check`: the series is the branch checked out (HEAD), so the hook finds its commits.
    git(repo, "symbolic-ref", "HEAD", "refs/heads/bench-series")
    made = git(repo, "format-patch", "-o", str(out / "b4"), f"{base}..{parent}")
    return [Path(line) for line in made.splitlines()]


def split_mbox(mbox: str, out: Path, stem: str) -> list[Path]:
    sep = "From 0000000000000000000000000000000000000000 "
    paths = []
    for number, part in enumerate(mbox.split(sep)[1:], start=1):
        path = out / f"{stem}-{number:04d}.patch"
        path.write_text(sep + part)
        paths.append(path)
    return paths


def median_ratio(a: Side, b: Side) -> float:
    return statistics.median(x / y for x, y in zip(a.times, b.times, strict=True))


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument(
        "--tree",
        type=Path,
        default=Path(os.environ.get("PATCHCHECK_LINUX_TREE", CACHE / "linux-source-6.12")),
    )
    parser.add_argument("--repeat", type=int, default=5, help="pairs per row (default 5)")
    parser.add_argument("--only", action="append", help="run only these row ids")
    args = parser.parse_args()
    tree: Path = args.tree.resolve()
    if not (tree / "scripts" / "checkpatch.pl").is_file():
        raise SystemExit(
            f"no kernel tree with scripts/checkpatch.pl at {tree} (scripts/fetch-linux-source.sh)"
        )
    targets = tomllib.loads((Path(__file__).with_name("targets.toml")).read_text())["row"]
    wanted = [t for t in targets if not args.only or t["id"] in args.only]
    own = Path(sys.executable).with_name("patchcheck")
    patchcheck = [str(own)] if own.is_file() else [sys.executable, "-m", "patchcheck"]
    # Python's bytecode cache as an installed package has it: with PYTHONDONTWRITEBYTECODE set, every process
    # would compile every module again (about 0.2 s a process), which no user's install does.
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_") and k != "PYTHONDONTWRITEBYTECODE"}
    env.pop("PATCHCHECK_CACHE", None)

    with tempfile.TemporaryDirectory(prefix="pc-bench-") as tmp:
        work = Path(tmp)
        mbox, _ = build_series(tree, edits=KCONFIG_EDITS)
        series = work / "series.mbox"
        series.write_text(mbox)
        patches = split_mbox(mbox, work, "scratch")
        checkpatch = ["perl", "scripts/checkpatch.pl"]
        b4_checkpatch = [*checkpatch, "-q", "--terse", "--no-summary", "--mailback", "--showfile"]
        sides: dict[str, tuple[Side, Side]] = {}

        def row(row_id: str, a: Side, b: Side) -> None:
            if any(t["id"] == row_id for t in wanted):
                sides[row_id] = (a, b)

        verify1 = [*patchcheck, "verify", str(patches[0]), "--tree", str(tree)]
        verify5 = [*patchcheck, "verify", str(series), "--tree", str(tree)]
        peer1 = Side([Step([*checkpatch, str(patches[0])], tree)])
        peer5 = Side([Step([*checkpatch, *map(str, patches)], tree)])
        row("verify-1-cold", Side([Step(verify1, REPO)], "cold"), peer1)
        row("verify-1-warm", Side([Step(verify1, REPO)], "warm"), Side(list(peer1.steps)))
        row("verify-5k-cold", Side([Step(verify5, REPO)], "cold"), peer5)
        row("verify-5k-warm", Side([Step(verify5, REPO)], "warm"), Side(list(peer5.steps)))
        if any(t["id"] in ("verify-rev-cold", "hook-b4-cold") for t in wanted):
            repo, base = bench_repository(tree)
            formatted = series_commits(repo, base, patches, work)
            rev = [*patchcheck, "verify", str(series), "--tree", str(repo), "--rev", base]
            row("verify-rev-cold", Side([Step(rev, REPO)], "cold"), Side(list(peer5.steps)))
            hook = [Step([*patchcheck, "hook", "b4"], repo, patch) for patch in formatted]
            row("hook-b4-cold", Side(hook, "cold"), Side([Step(b4_checkpatch, tree, p) for p in formatted]))
        grep = Side([Step(["grep", "-rn", "VM_", "mm", "include", "fs"], tree)])
        audit = [*patchcheck, "audit", "--tree", str(tree)]
        row("audit-cold", Side([Step(audit, REPO)], "cold"), grep)
        row("audit-warm", Side([Step(audit, REPO)], "warm"), Side(list(grep.steps)))
        row("audit-warm-unkept", Side([Step(audit, REPO)], "warm-unkept"), Side(list(grep.steps)))
        python = [sys.executable, "-c", "pass"]
        row("version", Side([Step([*patchcheck, "--version"], REPO)]), Side([Step(python, REPO)]))
        row("verify-help", Side([Step([*patchcheck, "verify", "--help"], REPO)]), Side([Step(python, REPO)]))

        print(f"patchcheck vs its peers on {tree}: {args.repeat} interleaved pairs per row, medians")
        print(f"{'work':<46} {'patchcheck':>10} {'peer':>8}  {'peer is':<14} {'ratio':>6} {'target':>7}")
        missed = []
        for target in wanted:
            if target["id"] not in sides:
                continue
            a, b = sides[target["id"]]
            if a.cache.startswith("warm"):
                shutil.rmtree(work / "warm", ignore_errors=True)
            # Neither side is timed reading the tree from disk: one run of each, not counted, brings the files
            # it reads into the page cache (patchcheck reads the Kconfig files of every architecture, the
            # peers do not), and fills the cache of a warm row.
            run_side(a, env, work)
            run_side(b, env, work)
            for _ in range(args.repeat):
                a.times.append(run_side(a, env, work))
                b.times.append(run_side(b, env, work))
            ratio = median_ratio(a, b)
            verdict = "ok" if ratio <= target["max"] else "MISS"
            if verdict == "MISS":
                missed.append(target["id"])
            print(
                f"{target['work']:<46} {statistics.median(a.times):9.3f}s {statistics.median(b.times):7.3f}s"
                f"  {target['peer']:<14} {ratio:6.2f} {'<= ' + str(target['max']):>7}  {verdict}",
                flush=True,
            )
    print("every row within target" if not missed else f"rows that miss: {', '.join(missed)}")
    return 1 if missed else 0


if __name__ == "__main__":
    raise SystemExit(main())
