"""One verify per series: the hook run of each later patch reads the report of the first."""

from __future__ import annotations

from pathlib import Path

import pytest

from patchcheck.hooks import runner
from patchcheck.hooks.checks import check_message, verify_settings
from tests.hooks.conftest import Repo, demo_flag


@pytest.fixture
def counted(monkeypatch: pytest.MonkeyPatch, repo: Repo, tmp_path: Path) -> list[list[str]]:
    """Every verify process the hooks start, in a repository with a committed two-patch series."""
    for name in ("HOME", "XDG_CONFIG_HOME", "GIT_CONFIG_NOSYSTEM"):
        monkeypatch.setenv(name, repo.env[name])
    monkeypatch.setenv("PATCHCHECK_CACHE", str(tmp_path / "cache"))
    monkeypatch.chdir(repo.path)
    repo.commit("mm: add VM_DEMO", demo_flag(mnemonic=False))
    repo.commit("mm: give VM_DEMO its mnemonic", demo_flag(comment="demo mappings"))
    started: list[list[str]] = []
    real = runner._run

    def run(command: list[str], *args: object) -> tuple[int, bytes, bytes]:
        started.append(command)
        return real(command, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(runner, "_run", run)
    return started


def patches(repo: Repo, tmp_path: Path) -> list[bytes]:
    return [p.read_bytes() for p in repo.format_patch("HEAD~2..HEAD", tmp_path / "out")]


def test_the_second_patch_of_a_series_reuses_the_first_ones_verify(
    counted: list[list[str]], repo: Repo, tmp_path: Path
) -> None:
    first, second = patches(repo, tmp_path)
    one = check_message(first, tree=None)
    two = check_message(second, tree=None)
    assert len(counted) == 1
    assert "--rev" in counted[0]
    assert one is not None and one.report is not None and two is not None and two.report is not None
    # The same answer as a hook run that verifies on its own (no cache).
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("PATCHCHECK_CACHE", "off")
        fresh = check_message(second, tree=None)
    assert len(counted) == 2
    assert fresh is not None and fresh.report is not None
    assert fresh.report.findings == two.report.findings
    assert one.report.findings  # patch 1 lacks the mnemonic that patch 2 adds
    assert {f.patch for f in one.report.findings} <= {1, None}
    assert {f.patch for f in two.report.findings} <= {2, None}


def test_other_settings_or_another_configuration_verify_again(
    counted: list[list[str]], repo: Repo, tmp_path: Path
) -> None:
    first, second = patches(repo, tmp_path)
    check_message(first, tree=None)
    check_message(second, tree=None, settings=verify_settings(["PC201"], None))
    assert len(counted) == 2
    (repo.path / ".patchcheck.toml").write_text('disable = ["PC202"]\n')
    check_message(second, tree=None)
    assert len(counted) == 3
    check_message(first, tree=None)
    assert len(counted) == 3


def test_a_work_tree_is_never_served_from_memory(
    counted: list[list[str]], repo: Repo, tmp_path: Path
) -> None:
    first, _ = patches(repo, tmp_path)
    check_message(first, tree=repo.path)
    check_message(first, tree=repo.path)
    assert len(counted) == 2
    assert all("--rev" not in command for command in counted)
