"""The installed hook under a real `git send-email --dry-run` (validation runs before anything is sent)."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.hooks.conftest import MM_H, Repo, demo_flag, foreign


def _has_send_email() -> bool:
    exec_path = subprocess.run(["git", "--exec-path"], capture_output=True, text=True, check=False).stdout
    return (Path(exec_path.strip()) / "git-send-email").is_file()


pytestmark = pytest.mark.skipif(
    not _has_send_email(),
    reason="git send-email is not installed (Debian package git-email; .ci/run installs it)",
)


def send(repo: Repo, *patches: Path) -> subprocess.CompletedProcess[str]:
    return repo.run(
        "git",
        "send-email",
        "--dry-run",
        "--confirm=never",
        "--suppress-cc=all",
        "--no-thread",
        "--to=linux-mm@example.invalid",
        "--from=Dev Eloper <dev@example.invalid>",
        "--smtp-server=/bin/false",  # never used: --dry-run; a real sender would fail loudly
        *map(str, patches),
        check=False,
    )


def installed(repo: Repo) -> Repo:
    done = repo.run(sys.executable, "-m", "patchcheck", "hook", "install", check=False)
    assert done.returncode == 0, done.stderr
    return repo


def demo_series(repo: Repo, outdir: Path, *, mnemonic: bool = True) -> tuple[str, list[Path]]:
    base = repo.head()
    repo.commit("mm: add VM_DEMO", demo_flag(mnemonic=mnemonic))
    patches = repo.format_patch(f"{base}..HEAD", outdir, "--cover-letter")
    cover = patches[0]
    text = cover.read_text().replace("*** SUBJECT HERE ***", "add VM_DEMO")
    cover.write_text(text.replace("*** BLURB HERE ***", "Demo."))
    return base, patches


def test_a_cover_letter_has_nothing_to_check_and_is_sent(repo: Repo, tmp_path: Path) -> None:
    _base, (cover, _patch) = demo_series(installed(repo), tmp_path / "out")
    done = send(repo, cover)
    assert done.returncode == 0, done.stderr
    assert done.stdout.count("Dry-OK") == 1


def test_a_patch_that_does_not_apply_to_head_is_blocked(repo: Repo, tmp_path: Path) -> None:
    base, (_cover, patch) = demo_series(installed(repo), tmp_path / "out")
    # A patch from elsewhere (its commit and its pre-image blobs are not in this repository), and HEAD has
    # changed the context it needs: it cannot be checked.
    patch.write_bytes(re.sub(rb"(?m)^index [0-9a-f]+\.\.", b"index 0123abc..", foreign(patch.read_bytes())))
    repo.git("reset", "-q", "--hard", base)
    repo.commit("mm: renumber", {"include/linux/mm.h": MM_H.replace("0x00000008", "0x00000080")})
    done = send(repo, patch)
    assert done.returncode != 0
    assert "rejected by sendemail-validate hook" in done.stderr
    assert f"patchcheck: {patch.name}: not checked, so not sent:" in done.stderr
    assert "no patches were sent" in done.stderr
    assert "Traceback" not in done.stderr


def test_git_finds_the_hook_in_core_hooks_path(repo: Repo, tmp_path: Path) -> None:
    repo.git("config", "core.hooksPath", "tools/hooks")
    _base, (_cover, patch) = demo_series(installed(repo), tmp_path / "out")
    assert (repo.path / "tools" / "hooks" / "sendemail-validate").is_file()
    patch.write_text(patch.read_text().replace(" #endif", " #endiff"))  # context no tree has
    done = send(repo, patch)
    assert done.returncode != 0 and "rejected by sendemail-validate hook" in done.stderr
    assert f"patchcheck: {patch.name}: not checked, so not sent:" in done.stderr


def test_a_patch_with_a_broken_hunk_is_blocked_by_the_hook_run_as_git_runs_it(
    repo: Repo, tmp_path: Path
) -> None:
    _base, (_cover, patch) = demo_series(installed(repo), tmp_path / "out")
    broken = tmp_path / "0001-broken.patch"
    # The hunk header promises two more lines than the hunk has: a truncated or mangled patch.
    text, count = re.subn(
        r"@@ -(\d+),(\d+) \+(\d+),(\d+) @@",
        lambda m: f"@@ -{m[1]},{m[2]} +{m[3]},{int(m[4]) + 2} @@",
        patch.read_text(),
        count=1,
    )
    assert count == 1
    broken.write_text(text)
    env = {**repo.env, "GIT_DIR": str(repo.path / ".git")}
    done = subprocess.run(
        ["git", "hook", "run", "--ignore-missing", "sendemail-validate", "--", str(broken)],
        cwd=repo.path,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 2
    assert done.stderr.startswith(f"patchcheck: {broken.name}: not checked, so not sent:")


def test_a_patch_with_an_error_is_blocked_and_the_finding_shown(repo: Repo, tmp_path: Path) -> None:
    _base, (_cover, patch) = demo_series(installed(repo), tmp_path / "out", mnemonic=False)
    done = send(repo, patch)
    assert done.returncode != 0
    lines = done.stderr.splitlines()
    assert any(
        line.strip().startswith("include/linux/mm.h:") and "error:" in line and "[PC201]" in line
        for line in lines
    ), done.stderr
    assert f"patchcheck: {patch.name}: 1 finding(s) at or above error; not sending" in lines
    assert "rejected by sendemail-validate hook" in done.stderr


def test_the_configuration_applies_to_the_hook(repo: Repo, tmp_path: Path) -> None:
    _base, (_cover, patch) = demo_series(installed(repo), tmp_path / "out", mnemonic=False)
    (repo.path / ".patchcheck.toml").write_text('disable = ["PC201"]\n')
    done = send(repo, patch)
    assert done.returncode == 0, done.stderr
    assert "PC201" not in done.stderr


def test_a_good_patch_already_committed_passes(repo: Repo, tmp_path: Path) -> None:
    _base, patches = demo_series(installed(repo), tmp_path / "out")
    done = send(repo, *patches)
    assert done.returncode == 0, done.stderr
    assert done.stdout.count("Dry-OK") == 2


def test_a_good_patch_passes_against_head_before_it_is_committed(repo: Repo, tmp_path: Path) -> None:
    base, (_cover, patch) = demo_series(installed(repo), tmp_path / "out")
    repo.git("reset", "-q", "--hard", base)
    done = send(repo, patch)
    assert done.returncode == 0, done.stderr
    assert done.stdout.count("Dry-OK") == 1


def test_tree_option_reads_another_repository_not_the_hooks_git_dir(repo: Repo, tmp_path: Path) -> None:
    _base, (_cover, patch) = demo_series(repo, tmp_path / "out")
    other = tmp_path / "other"
    shutil.copytree(repo.path, other)
    repo.git("reset", "-q", "--hard", "HEAD~1")
    other_repo = Repo(other, repo.env)
    other_repo.git("reset", "-q", "--hard", "HEAD~1")
    # Only the other tree still has the old context; git's GIT_DIR must not leak into reading it.
    repo.commit("mm: renumber", {"include/linux/mm.h": MM_H.replace("0x00000008", "0x00000080")})
    done = repo.run(sys.executable, "-m", "patchcheck", "hook", "install", "--tree", str(other), check=False)
    assert done.returncode == 0
    assert send(repo, patch).returncode == 0


def test_a_series_is_checked_whole_as_git_send_email_sends_it(repo: Repo, tmp_path: Path) -> None:
    """1/2 adds the flag, 2/2 its mnemonic: git send-email validates each file, the hook checks each with its
    siblings and, like verify, only warns on 1/2 (PC001) instead of failing it for the missing mnemonic."""
    installed(repo)
    base = repo.head()
    repo.commit("mm: add VM_DEMO", demo_flag(mnemonic=False))
    repo.commit("proc: show VM_DEMO in smaps", demo_flag())
    patches = repo.format_patch(f"{base}..HEAD", tmp_path / "out", "--cover-letter")
    cover = patches[0].read_text().replace("*** SUBJECT HERE ***", "add VM_DEMO")
    patches[0].write_text(cover.replace("*** BLURB HERE ***", "Demo."))
    done = send(repo, *patches)
    assert done.returncode == 0, done.stderr
    assert done.stdout.count("Dry-OK") == 3
    pc001 = "patch 1 leaves gaps that only patch 2 of 2 fills: the commits in between are inconsistent"
    assert f"warning: {pc001} [PC001]" in done.stderr
    assert "PC201" not in done.stderr
