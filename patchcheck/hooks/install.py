"""Install and uninstall the `sendemail-validate` hook.

The hook is a short shell script carrying a marker line, so that uninstall removes only what patchcheck
installed. With `chain`, a hook already there is kept beside ours (renamed) and run first; uninstall puts it
back.
"""

from __future__ import annotations

import os
import shlex
import stat
import sys
from dataclasses import dataclass
from pathlib import Path

from patchcheck.errors import InputError
from patchcheck.hooks.gitcmd import hooks_dir

HOOK_NAME = "sendemail-validate"
MARKER = "# installed-by: patchcheck hook install"
CHAINED_SUFFIX = ".patchcheck-chained"


@dataclass(frozen=True)
class InstallResult:
    path: Path
    chained: Path | None
    replaced_foreign: bool


def is_ours(path: Path) -> bool:
    try:
        return MARKER in path.read_text("utf-8", "replace").splitlines()[:4]
    except OSError:
        return False


def hook_script(*, tree: Path | None, chained: Path | None, python: str | None = None) -> str:
    command = [python or sys.executable, "-m", "patchcheck", "hook", "sendemail-validate"]
    if tree is not None:
        command += ["--tree", str(tree)]
    lines = [
        "#!/bin/sh",
        MARKER,
        "# Checks each outgoing patch with patchcheck and blocks sending on errors.",
        "# Remove with: patchcheck hook uninstall",
    ]
    if chained is not None:
        lines.append(f'"$(dirname "$0")"/{shlex.quote(chained.name)} "$@" || exit $?')
    # git passes the patch file and, since git 2.42, a file with the SMTP headers: hand both on.
    lines.append(f'exec {shlex.join(command)} -- "$@"')
    return "\n".join(lines) + "\n"


def _write_executable(path: Path, text: str) -> None:
    tmp = path.with_name(path.name + ".patchcheck-tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.chmod(tmp.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH | stat.S_IRUSR)
    os.replace(tmp, path)


def install(
    *, cwd: Path | None = None, tree: Path | None = None, force: bool = False, chain: bool = False
) -> InstallResult:
    directory = hooks_dir(cwd)
    directory.mkdir(parents=True, exist_ok=True)
    target = directory / HOOK_NAME
    chained_path = directory / (HOOK_NAME + CHAINED_SUFFIX)
    replaced_foreign = False
    if target.exists() and not is_ours(target):
        if chain:
            if chained_path.exists():
                raise InputError(f"{chained_path} already exists; move it away before chaining")
            os.replace(target, chained_path)
        elif force:
            replaced_foreign = True
        else:
            raise InputError(
                f"{target} exists and was not installed by patchcheck "
                "(--chain keeps it and runs it first, --force replaces it)"
            )
    chained = chained_path if chained_path.exists() else None
    if tree is not None:
        tree = tree.expanduser().resolve()
        if not tree.is_dir():
            raise InputError(f"tree {str(tree)!r} is not a directory")
    _write_executable(target, hook_script(tree=tree, chained=chained))
    return InstallResult(path=target, chained=chained, replaced_foreign=replaced_foreign)


def uninstall(*, cwd: Path | None = None) -> Path | None:
    """Remove our hook (restoring a chained one); return the path removed, None when there was none."""
    directory = hooks_dir(cwd)
    target = directory / HOOK_NAME
    if not target.exists():
        return None
    if not is_ours(target):
        raise InputError(f"{target} was not installed by patchcheck; leaving it alone")
    target.unlink()
    chained = directory / (HOOK_NAME + CHAINED_SUFFIX)
    if chained.exists():
        os.replace(chained, target)
    return target
