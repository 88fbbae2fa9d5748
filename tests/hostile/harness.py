"""Running patchcheck on hostile input as a user would: a subprocess under `ulimit -v` 1 GB and a time
limit, in a private TMPDIR and cache, with a secret beside the tree that nothing may ever print.

`run` asserts the exit contract for hostile input: status 0, 1 or 2, no traceback, a failure said in one
`patchcheck: ...` line, no secret in the output and nothing left behind in TMPDIR.
"""

from __future__ import annotations

import os
import resource
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "fixtures" / "example"
MEMORY_LIMIT = 1 << 30  # bytes of address space
TIME_LIMIT = 60.0  # seconds; every hostile input must end well before this
SECRET = "patchcheck-hostile-secret-3b9f1e"  # written outside every tree; must never be read back


@dataclass(frozen=True)
class Outcome:
    returncode: int
    stdout: str
    stderr: str


def _limit_memory() -> None:  # pragma: no cover - runs in the child
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))


def sandbox(base: Path) -> dict[str, str]:
    """Environment for one run: private TMPDIR and cache, and a secret file outside any tree."""
    for name in ("tmp", "cache"):
        (base / name).mkdir(parents=True, exist_ok=True)
    (base / "secret.txt").write_text(SECRET + "\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PATCHCHECK_", "XDG_", "B4_"))}
    env.update(
        TMPDIR=str(base / "tmp"),
        XDG_CACHE_HOME=str(base / "cache"),
        PATCHCHECK_CACHE=str(base / "cache"),
        NO_COLOR="1",
        GIT_CONFIG_NOSYSTEM="1",
    )
    return env


def copy_tree(dest: Path) -> Path:
    """A writable copy of the bundled example tree."""
    shutil.copytree(EXAMPLE / "tree", dest)
    return dest


def run(
    base: Path,
    *args: str,
    stdin: bytes | None = None,
    timeout: float = TIME_LIMIT,
    env: dict[str, str | None] | None = None,
    allowed: tuple[int, ...] = (0, 1, 2),
    cwd: Path | None = None,
    prefix: tuple[str, ...] = (),
) -> Outcome:
    """`prefix`: a command to run patchcheck under (e.g. setpriv dropping capabilities)."""
    environment = sandbox(base)
    for name, value in (env or {}).items():  # None removes a variable
        if value is None:
            environment.pop(name, None)
        else:
            environment[name] = value
    done = subprocess.run(
        [*prefix, sys.executable, "-m", "patchcheck", *args],
        input=stdin,
        capture_output=True,
        timeout=timeout,
        env=environment,
        preexec_fn=_limit_memory,
        cwd=cwd,
        check=False,
    )
    out = Outcome(
        done.returncode, done.stdout.decode("utf-8", "replace"), done.stderr.decode("utf-8", "replace")
    )
    check_contract(out, allowed)
    leftovers = list((base / "tmp").iterdir())
    assert not leftovers, f"left behind in TMPDIR: {leftovers}"
    return out


def check_contract(out: Outcome, allowed: tuple[int, ...] = (0, 1, 2)) -> None:
    context = f"exit {out.returncode}\nstderr: {out.stderr[-2000:]}"
    assert out.returncode in allowed, context
    assert "Traceback" not in out.stderr, context
    assert SECRET not in out.stdout and SECRET not in out.stderr, "read a file outside the tree"
    said = [line for line in out.stderr.splitlines() if line.startswith("patchcheck:")]
    said += [line for line in out.stdout.splitlines() if line.startswith("ERROR: not checked")]  # hook b4
    if out.returncode >= 2:
        assert len(said) == 1, f"expected one line saying why:\n{out.stderr}"


def run_here(capfd: object, *args: str, allowed: tuple[int, ...] = (0, 1, 2)) -> Outcome:
    """The same contract, in this process (no interpreter start-up: for the many small hostile inputs whose
    risk is a crash, not memory or time)."""
    from patchcheck import cli

    code = cli.run(list(args))
    captured = capfd.readouterr()  # type: ignore[attr-defined]
    out = Outcome(code, captured.out, captured.err)
    check_contract(out, allowed)
    return out
