"""Temporary git repositories holding a small kernel-shaped tree, and a way to run commands in them."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

MM_H = """\
/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _LINUX_MM_H
#define _LINUX_MM_H

#define VM_NONE		0x00000000
#define VM_READ		0x00000001
#define VM_WRITE	0x00000002
#define VM_EXEC		0x00000004
#define VM_SHARED	0x00000008

#endif /* _LINUX_MM_H */
"""

TASK_MMU_C = """\
// SPDX-License-Identifier: GPL-2.0
static void show_smap_vma_flags(struct seq_file *m, struct vm_area_struct *vma)
{
	static const char mnemonics[BITS_PER_LONG][2] = {
		[0 ... (BITS_PER_LONG-1)] = "??",
		[ilog2(VM_READ)]	= "rd",
		[ilog2(VM_WRITE)]	= "wr",
		[ilog2(VM_EXEC)]	= "ex",
		[ilog2(VM_SHARED)]	= "sh",
	};
}
"""


FLAG_LINE = "#define VM_SHARED\t0x00000008\n"
SHARED_MNEMONIC = '\t\t[ilog2(VM_SHARED)]\t= "sh",\n'


def demo_flag(*, mnemonic: bool = True, comment: str = "") -> dict[str, str]:
    """Files of a commit that adds VM_DEMO: with its smaps mnemonic it is complete (the registry rules find
    nothing); without, VmFlags would show '??' for it (rule PC201, an error)."""
    definition = "#define VM_DEMO\t\t0x00000010" + (f"\t/* {comment} */" if comment else "") + "\n"
    files = {"include/linux/mm.h": MM_H.replace(FLAG_LINE, FLAG_LINE + definition)}
    if mnemonic:
        files["fs/proc/task_mmu.c"] = TASK_MMU_C.replace(
            SHARED_MNEMONIC, SHARED_MNEMONIC + '\t\t[ilog2(VM_DEMO)]\t= "dm",\n'
        )
    return files


# The registry rules read Kconfig to know the configurations; one symbol is enough for a demo flag.
KCONFIG = """\
mainmenu "Demo kernel"

config 64BIT
\tbool "64-bit kernel"
"""


@dataclass
class Repo:
    path: Path
    env: dict[str, str]

    def run(
        self, *args: str, stdin: bytes | None = None, check: bool = True
    ) -> subprocess.CompletedProcess[str]:
        done = subprocess.run(
            list(args),
            cwd=self.path,
            env=self.env,
            input=stdin.decode() if stdin is not None else None,
            capture_output=True,
            text=True,
            check=False,
        )
        if check and done.returncode != 0:
            raise AssertionError(f"{args} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
        return done

    def git(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        return self.run("git", *args, check=check)

    def write(self, relpath: str, text: str) -> None:
        path = self.path / relpath
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)

    def commit(self, subject: str, files: dict[str, str]) -> str:
        for relpath, text in files.items():
            self.write(relpath, text)
        self.git("add", "-A")
        self.git("commit", "-q", "-m", subject)
        return self.git("rev-parse", "HEAD").stdout.strip()

    def head(self) -> str:
        return self.git("rev-parse", "HEAD").stdout.strip()

    def format_patch(self, rev_range: str, outdir: Path, *extra: str) -> list[Path]:
        out = self.git("format-patch", "-o", str(outdir), *extra, rev_range).stdout
        return [Path(line) for line in out.splitlines() if line.strip()]


@pytest.fixture
def home(tmp_path: Path) -> Path:
    home = tmp_path / "home"
    home.mkdir()
    return home


@pytest.fixture
def repo(tmp_path: Path, home: Path) -> Iterator[Repo]:
    """A git work tree with a kernel-shaped include/linux/mm.h and fs/proc/task_mmu.c; git and b4 see only
    a private HOME, so the developer's own configuration cannot leak in."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("GIT_", "B4_", "XDG_")) and k not in ("NO_COLOR",)
    }
    bindir = Path(sys.executable).parent
    env.update(
        HOME=str(home),
        XDG_CONFIG_HOME=str(home / ".config"),
        XDG_DATA_HOME=str(home / ".local/share"),
        XDG_CACHE_HOME=str(home / ".cache"),
        GIT_CONFIG_NOSYSTEM="1",
        GIT_AUTHOR_NAME="Dev Eloper",
        GIT_AUTHOR_EMAIL="dev@example.invalid",
        GIT_COMMITTER_NAME="Dev Eloper",
        GIT_COMMITTER_EMAIL="dev@example.invalid",
        PATH=f"{bindir}{os.pathsep}{env.get('PATH', '')}",
    )
    path = tmp_path / "linux"
    path.mkdir()
    r = Repo(path, env)
    r.git("init", "-q", "-b", "master")
    r.git("config", "user.name", "Dev Eloper")
    r.git("config", "user.email", "dev@example.invalid")
    r.commit(
        "Initial kernel-shaped tree",
        {"Kconfig": KCONFIG, "include/linux/mm.h": MM_H, "fs/proc/task_mmu.c": TASK_MMU_C},
    )
    yield r


def foreign(patch: bytes) -> bytes:
    """The patch as if made in someone else's repository: its From line names a commit we do not have."""
    return re.sub(rb"\AFrom [0-9a-f]{40} ", b"From " + b"1234567" * 5 + b"89abc ", patch)
