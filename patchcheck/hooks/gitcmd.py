"""The few git questions the hooks ask, with git's hook environment kept away from other repositories."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from patchcheck.errors import InputError

# git exports these to hooks (send-email sets GIT_DIR); passed on, they would make a `git -C OTHER` in a
# child process read the hook's repository instead.
_REPO_ENV = (
    "GIT_DIR",
    "GIT_WORK_TREE",
    "GIT_INDEX_FILE",
    "GIT_PREFIX",
    "GIT_COMMON_DIR",
    "GIT_OBJECT_DIRECTORY",
)


def clean_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k not in _REPO_ENV}


def git(
    args: list[str], *, cwd: Path | None = None, stdin: bytes | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[bytes]:
    try:
        return subprocess.run(
            ["git", *args],
            cwd=cwd,
            input=stdin,
            capture_output=True,
            check=False,
            env=env if env is not None else os.environ.copy(),
        )
    except OSError as exc:
        raise InputError(f"cannot run git: {exc.strerror or exc}") from exc


def git_text(args: list[str], *, cwd: Path | None = None, what: str) -> str:
    out = git(args, cwd=cwd)
    if out.returncode != 0:
        detail = out.stderr.decode("utf-8", "replace").strip().splitlines()
        raise InputError(f"{what}: {detail[-1] if detail else 'git failed'}")
    return out.stdout.decode("utf-8", "surrogateescape").strip()


def toplevel(cwd: Path | None = None) -> Path:
    return Path(git_text(["rev-parse", "--show-toplevel"], cwd=cwd, what="not inside a git work tree"))


def hooks_dir(cwd: Path | None = None) -> Path:
    """Where git looks for hooks, core.hooksPath included (git prints it relative to `cwd`)."""
    here = (cwd or Path.cwd()).resolve()
    path = Path(git_text(["rev-parse", "--git-path", "hooks"], cwd=here, what="not inside a git repository"))
    return path if path.is_absolute() else here / path
