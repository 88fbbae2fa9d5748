"""The README's first hour, run as a test: its quickstart commands, and docs that cite only what exists."""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.gitrepo import git

REPO = Path(__file__).resolve().parents[1]
README = REPO / "README.md"
EXAMPLE_TREE = REPO / "fixtures" / "example" / "tree"


def quickstart() -> list[str]:
    """The lines of the README's quickstart block, comments stripped."""
    text = README.read_text()
    start = text.index("<!-- quickstart")
    block = text[start:].split("```sh\n", 1)[1].split("```", 1)[0]
    return [line.split("  #", 1)[0].strip() for line in block.splitlines() if line.strip()]


def test_readme_is_short_and_starts_with_two_commands() -> None:
    lines = README.read_text().splitlines()
    assert len(lines) <= 210
    first = lines[lines.index("```sh") + 1 : lines.index("```sh") + 3]
    assert "patchcheck verify fixtures/example/series.mbox" in first[0] and first[1] == "scripts/test"


def test_quickstart_commands_run(tmp_path: Path) -> None:
    """Every quickstart line, in order, with ~/linux a small git tree holding one committed patch."""
    if shutil.which("git") is None:
        pytest.skip("no git")
    linux = tmp_path / "linux"
    shutil.copytree(EXAMPLE_TREE, linux)
    git(linux, "init", "-q")
    git(linux, "add", "-A")
    git(linux, "commit", "-q", "-m", "base")
    mm_h = linux / "include/linux/mm.h"
    mm_h.write_text(mm_h.read_text().replace("#define VM_NONE", "/* the empty mask */\n#define VM_NONE", 1))
    git(linux, "commit", "-q", "-am", "mm: say what VM_NONE is")
    mine = tmp_path / "mine"
    bindir = Path(sys.executable).parent
    env = {**os.environ, "PATH": f"{bindir}{os.pathsep}{os.environ['PATH']}", "HOME": str(tmp_path)}
    cwd = REPO
    ran = []
    for line in quickstart():
        argv = [a.replace("~/linux", str(linux)).replace("/tmp/mine", str(mine)) for a in shlex.split(line)]
        if argv[0] in ("pipx", "pip"):  # the test runs in the environment it was installed into
            assert argv[1] == "install" and argv[2] == "."
            continue
        if argv[0] == "cd":
            cwd = Path(argv[1])
            continue
        if argv[0] == "patchcheck":
            argv = [sys.executable, "-m", "patchcheck", *argv[1:]]
        out = subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True)
        assert out.returncode == 0, (line, out.stdout, out.stderr)
        ran.append(argv)
    assert sum(1 for a in ran if "patchcheck" in a) >= 4
    assert (linux / ".git/hooks/sendemail-validate").is_file()  # `hook install` did its job
    assert list(mine.glob("*.patch"))  # and format-patch wrote the patch verify read


def test_docs_cite_only_files_in_the_repository() -> None:
    """Markdown files named by the README, the docs and the rule documentation exist in the repository."""
    from patchcheck.cli.rules import explain
    from patchcheck.rules.catalogue import all_rule_docs

    rule_docs = "\n".join(explain(doc) for doc in all_rule_docs([]))
    texts = [README.read_text(), *(p.read_text() for p in (REPO / "docs").glob("*.md"))]
    cited = {m for text in texts for m in re.findall(r"\(((?:docs/)?[\w-]+\.md)\)", text)}
    cited |= set(re.findall(r"[\w/-]+\.md\b", rule_docs))
    assert cited
    missing = [c for c in cited if not (REPO / c).is_file() and not (REPO / "docs" / c).is_file()]
    assert not missing, missing
