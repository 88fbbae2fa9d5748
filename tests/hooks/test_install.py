"""`patchcheck hook install/uninstall`: where the hook goes, and never clobbering someone else's."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.hooks.conftest import Repo


def patchcheck(repo: Repo, *args: str) -> subprocess.CompletedProcess[str]:
    return repo.run(sys.executable, "-m", "patchcheck", *args, check=False)


def test_install_writes_an_executable_marked_hook(repo: Repo) -> None:
    out = patchcheck(repo, "hook", "install")
    assert out.returncode == 0, out.stderr
    hook = repo.path / ".git" / "hooks" / "sendemail-validate"
    assert out.stdout.strip() == f"installed {hook}"
    assert os.access(hook, os.X_OK)
    text = hook.read_text()
    assert "# installed-by: patchcheck hook install" in text
    assert f'{sys.executable} -m patchcheck hook sendemail-validate -- "$@"' in text


def test_install_respects_core_hooks_path(repo: Repo) -> None:
    repo.git("config", "core.hooksPath", "tools/hooks")
    (repo.path / "sub").mkdir()
    done = repo.run(sys.executable, "-m", "patchcheck", "hook", "install", check=False)
    assert done.returncode == 0, done.stderr
    assert (repo.path / "tools" / "hooks" / "sendemail-validate").is_file()
    assert not (repo.path / ".git" / "hooks" / "sendemail-validate").exists()


def test_install_with_tree_passes_it_on(repo: Repo, tmp_path: Path) -> None:
    other = tmp_path / "other-tree"
    other.mkdir()
    assert patchcheck(repo, "hook", "install", "--tree", str(other)).returncode == 0
    assert f"--tree {other}" in (repo.path / ".git/hooks/sendemail-validate").read_text()
    missing = patchcheck(repo, "hook", "install", "--tree", str(tmp_path / "nope"))
    assert missing.returncode == 2 and "is not a directory" in missing.stderr


def foreign_hook(repo: Repo, body: str = "exit 0") -> Path:
    hook = repo.path / ".git" / "hooks" / "sendemail-validate"
    hook.parent.mkdir(parents=True, exist_ok=True)
    hook.write_text(f"#!/bin/sh\n{body}\n")
    hook.chmod(0o755)
    return hook


def test_refuses_a_foreign_hook_without_force(repo: Repo) -> None:
    hook = foreign_hook(repo, "echo mine")
    out = patchcheck(repo, "hook", "install")
    assert out.returncode == 2
    assert out.stderr.strip().splitlines() == [
        f"patchcheck: error: {hook} exists and was not installed by patchcheck "
        "(--chain keeps it and runs it first, --force replaces it)"
    ]
    assert hook.read_text() == "#!/bin/sh\necho mine\n"


def test_force_replaces_and_uninstall_removes_only_ours(repo: Repo) -> None:
    hook = foreign_hook(repo)
    assert patchcheck(repo, "hook", "install", "--force").returncode == 0
    assert "installed-by: patchcheck" in hook.read_text()
    out = patchcheck(repo, "hook", "uninstall")
    assert out.returncode == 0 and not hook.exists()
    assert patchcheck(repo, "hook", "uninstall").stdout.strip() == "no sendemail-validate hook installed"
    foreign_hook(repo)
    refused = patchcheck(repo, "hook", "uninstall")
    assert refused.returncode == 2 and "was not installed by patchcheck" in refused.stderr
    assert hook.exists()


def test_chain_runs_the_old_hook_first_and_uninstall_restores_it(repo: Repo, tmp_path: Path) -> None:
    hook = foreign_hook(repo, 'echo "old hook saw $1"; exit 3')
    assert patchcheck(repo, "hook", "install", "--chain").returncode == 0
    chained = hook.with_name("sendemail-validate.patchcheck-chained")
    assert chained.read_text().startswith("#!/bin/sh\necho")
    # Invoke as git does: from the top of the work tree, the message path as $1.
    message = tmp_path / "0001-x.patch"
    message.write_text("Subject: [PATCH] x\n\nno diff here\n")
    ran = repo.run(str(hook), str(message), check=False)
    assert ran.returncode == 3 and ran.stdout.strip() == f"old hook saw {message}"
    # Reinstalling keeps the chain; uninstalling puts the old hook back.
    assert patchcheck(repo, "hook", "install").returncode == 0
    assert "patchcheck-chained" in hook.read_text()
    assert patchcheck(repo, "hook", "uninstall").returncode == 0
    assert hook.read_text() == '#!/bin/sh\necho "old hook saw $1"; exit 3\n'
    assert not chained.exists()


def test_outside_a_repository_is_an_input_error(tmp_path: Path) -> None:
    out = subprocess.run(
        [sys.executable, "-m", "patchcheck", "hook", "install"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env={**os.environ, "GIT_CEILING_DIRECTORIES": str(tmp_path)},
    )
    assert out.returncode == 2 and "not inside a git" in out.stderr and "Traceback" not in out.stderr
