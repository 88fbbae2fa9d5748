"""The real b4: `b4 prep --check` runs our per-patch command, b4's review code reads our JSON."""

from __future__ import annotations

import email
import email.policy
import json
import sys
from email.message import EmailMessage
from pathlib import Path

import pytest

from tests.hooks.conftest import MM_H, Repo, demo_flag


def prep_series(repo: Repo, *, mnemonic: bool = True, fixed_later: bool = True) -> None:
    """A b4 prep branch with two patches on top of the base tree: the first adds VM_DEMO (without its smaps
    mnemonic when `mnemonic` is False), the second comments it and adds the mnemonic, or, without
    `fixed_later`, only documents it."""
    repo.run("b4", "prep", "-n", "vm-demo")
    repo.commit("mm: add VM_DEMO", demo_flag(mnemonic=mnemonic))
    second = demo_flag(comment="demo mappings") if fixed_later else {"Documentation/demo.rst": "VM_DEMO\n"}
    repo.commit("mm: explain VM_DEMO", second)


def conflicting_tree(tmp_path: Path) -> Path:
    """A tree where neither patch applies: the context they need has changed."""
    tree = tmp_path / "conflicting-tree"
    (tree / "include" / "linux").mkdir(parents=True)
    (tree / "include" / "linux" / "mm.h").write_text(MM_H.replace("0x00000008", "0x00000080"))
    return tree


def prep_check(repo: Repo) -> str:
    done = repo.run("b4", "prep", "--check", "--no-cache", check=False)
    assert done.returncode == 0, done.stderr
    return done.stdout + done.stderr  # b4 logs to stderr


def test_b4_prep_check_shows_our_lines(repo: Repo, tmp_path: Path) -> None:
    """Checked against a tree they do not apply to, b4 shows our one warning line per patch."""
    other = conflicting_tree(tmp_path)
    prep_series(repo)
    repo.git("config", "b4.prep-perpatch-check-cmd", f"patchcheck hook b4 --tree {other}")
    log = prep_check(repo)
    assert f"patchcheck hook b4 --tree {other}" in log
    ours = [line for line in log.splitlines() if "patchcheck: WARNING: not checked:" in line]
    assert len(ours) == 2, log
    assert "Success: 0, Warning: 2, Error: 0" in log


def test_b4_prep_check_passes_a_clean_series_configured_in_b4_config(repo: Repo) -> None:
    prep_series(repo)
    (repo.path / ".b4-config").write_text("[b4]\n    prep-perpatch-check-cmd = patchcheck hook b4\n")
    log = prep_check(repo)
    assert "Success: 2, Warning: 0, Error: 0" in log, log


def am_check(repo: Repo, tmp_path: Path) -> str:
    """`b4 am --check` of the prep series as a local thread mbox, at its base commit, offline."""
    base = repo.git("rev-parse", "HEAD~2").stdout.strip()
    paths = repo.format_patch("HEAD~2..HEAD", tmp_path / "thread", "--cover-letter", "--thread")
    mbox = tmp_path / "thread.mbox"
    mbox.write_bytes(b"".join(p.read_bytes() for p in paths))
    repo.git("checkout", "-q", "--detach", base)
    done = repo.run(
        "b4",
        "--offline-mode",
        "am",
        "--check",
        "--no-cache",
        "-m",
        str(mbox),
        "-o",
        str(tmp_path / "am"),
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout + done.stderr


def test_b4_am_check_shows_our_lines(repo: Repo, tmp_path: Path) -> None:
    prep_series(repo)
    repo.git("config", "b4.am-perpatch-check-cmd", f"patchcheck hook b4 --tree {conflicting_tree(tmp_path)}")
    log = am_check(repo, tmp_path)
    assert len([ln for ln in log.splitlines() if "patchcheck: WARNING: not checked:" in ln]) == 2, log


def test_b4_am_check_passes_the_first_patch_and_cannot_check_the_second_alone(
    repo: Repo, tmp_path: Path
) -> None:
    """b4 am hands over one patch at a time and HEAD lacks patch 1, which patch 2 needs: an honest warning."""
    prep_series(repo)
    repo.git("config", "b4.am-perpatch-check-cmd", "patchcheck hook b4")
    log = am_check(repo, tmp_path).splitlines()
    first = log.index("  [PATCH 1/2] mm: add VM_DEMO")
    assert log[first + 1].endswith("patchcheck: passed all checks")
    assert log[first + 2] == "  [PATCH 2/2] mm: explain VM_DEMO"
    assert "patchcheck: WARNING: not checked:" in log[first + 3]


def test_b4_prep_check_reports_a_gap_the_next_patch_fills_as_verify_does(repo: Repo) -> None:
    """Patch 1/2 adds a flag, 2/2 its mnemonic: checked with its series, 1/2 has the bisection warning verify
    gives the series, not the error it would have alone."""
    prep_series(repo, mnemonic=False)
    repo.git("config", "b4.prep-perpatch-check-cmd", "patchcheck hook b4")
    log = prep_check(repo).splitlines()
    first = next(i for i, line in enumerate(log) if line.endswith(": mm: add VM_DEMO"))
    pc001 = "patch 1 leaves gaps that only patch 2 of 2 fills: the commits in between are inconsistent"
    assert log[first + 1].endswith(f"WARNING: {pc001} [PC001]")
    assert not any("ERROR" in line for line in log)


def test_b4_prep_check_reports_our_finding_as_an_error(repo: Repo) -> None:
    prep_series(repo, mnemonic=False, fixed_later=False)
    repo.git("config", "b4.prep-perpatch-check-cmd", "patchcheck hook b4")
    log = prep_check(repo).splitlines()
    first = next(i for i, line in enumerate(log) if line.endswith(": mm: add VM_DEMO"))
    assert "patchcheck: include/linux/mm.h:" in log[first + 1] and "ERROR:" in log[first + 1]
    assert log[first + 1].endswith("[PC201]")
    assert "Success: 1, Warning: 0, Error: 1" in log


def test_b4_check_command_takes_verify_settings(repo: Repo) -> None:
    prep_series(repo, mnemonic=False, fixed_later=False)
    repo.git("config", "b4.prep-perpatch-check-cmd", "patchcheck hook b4 --disable smaps-mnemonic-missing")
    assert "Success: 2, Warning: 0, Error: 0" in prep_check(repo)


def message_of(repo: Repo, rev: str, outdir: Path, *extra: str) -> list[tuple[str, EmailMessage]]:
    out = []
    for path in repo.format_patch(rev, outdir, *extra):
        msg = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        assert isinstance(msg, EmailMessage)
        out.append((path.name, msg))
    return out


@pytest.fixture
def b4_checks(repo: Repo, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    for key, value in repo.env.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("B4_TRACKING_FILE", raising=False)
    import b4.review.checks

    return b4.review.checks


REVIEW = f"{sys.executable} -m patchcheck hook b4-review"


def test_b4_review_reads_our_json_for_a_patch(
    repo: Repo,
    tmp_path: Path,
    b4_checks,  # type: ignore[no-untyped-def]
) -> None:
    prep_series(repo)
    patches = message_of(repo, "HEAD~2..HEAD", tmp_path / "out")
    other = conflicting_tree(tmp_path)
    results = b4_checks.run_perpatch_checks(patches[:1], [f"{REVIEW} --tree {other}"], str(repo.path))
    (entry,) = results[patches[0][0]]
    assert entry["tool"] == "patchcheck"
    assert entry["status"] == "warn"
    assert entry["summary"].startswith("not checked: ")


def test_b4_review_series_without_a_thread_checks_the_cover_letter_alone(
    repo: Repo,
    tmp_path: Path,
    b4_checks,  # type: ignore[no-untyped-def]
) -> None:
    prep_series(repo)
    cover = message_of(repo, "HEAD~2..HEAD", tmp_path / "out", "--cover-letter")[0]
    (entry,) = b4_checks.run_series_checks(cover, [f"{REVIEW} --series"], str(repo.path))
    assert entry == {
        "tool": "patchcheck",
        "status": "pass",
        "summary": "nothing to check: no diff in this message",
        "url": "",
        "details": "",
    }


def test_b4_review_passes_a_clean_patch(
    repo: Repo,
    tmp_path: Path,
    b4_checks,  # type: ignore[no-untyped-def]
) -> None:
    prep_series(repo)
    patches = message_of(repo, "HEAD~2..HEAD", tmp_path / "out")
    results = b4_checks.run_perpatch_checks(patches, [REVIEW], str(repo.path))
    assert [r[0]["status"] for r in results.values()] == ["pass", "pass"], results


def track_thread(repo: Repo, tmp_path: Path, base: str) -> Path:
    """What b4 review hands to check commands: the thread as a git blob, named with the base commit."""
    paths = repo.format_patch("HEAD~2..HEAD", tmp_path / "tracked", "--cover-letter", "--thread")
    thread = b"".join(p.read_bytes() for p in paths)
    blob = repo.run("git", "hash-object", "-w", "--stdin", stdin=thread).stdout.strip()
    tracking = tmp_path / "tracking.json"
    tracking.write_text(json.dumps({"series": {"thread-blob": blob, "base-commit": base}}))
    return tracking


def test_b4_review_fails_a_patch_with_an_error(
    repo: Repo,
    tmp_path: Path,
    b4_checks,  # type: ignore[no-untyped-def]
) -> None:
    prep_series(repo, mnemonic=False, fixed_later=False)
    first = message_of(repo, "HEAD~2..HEAD", tmp_path / "out")[0]
    (entry,) = b4_checks.run_perpatch_checks([first], [REVIEW], str(repo.path))[first[0]]
    assert entry["status"] == "fail" and entry["summary"] == "1 error"
    (detail,) = json.loads(entry["details"])
    assert detail["status"] == "fail" and detail["description"].endswith("[PC201]")


def test_b4_review_checks_a_later_patch_on_top_of_the_earlier_ones(
    repo: Repo,
    tmp_path: Path,
    b4_checks,
    monkeypatch: pytest.MonkeyPatch,  # type: ignore[no-untyped-def]
) -> None:
    base = repo.head()
    prep_series(repo)
    tracking = track_thread(repo, tmp_path, base)
    # The very message b4 tracks (format-patch run again could stamp other Message-IDs a second later).
    path = sorted((tmp_path / "tracked").glob("0002-*.patch"))[0]
    second_msg = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
    assert isinstance(second_msg, EmailMessage)
    second = (path.name, second_msg)
    repo.git("checkout", "-q", "--detach", base)  # HEAD lacks patch 1, which patch 2 needs
    (alone,) = b4_checks.run_perpatch_checks([second], [REVIEW], str(repo.path))[second[0]]
    assert alone["status"] == "warn" and "does not apply" in alone["summary"]
    monkeypatch.setenv("B4_TRACKING_FILE", str(tracking))
    (tracked,) = b4_checks.run_perpatch_checks([second], [REVIEW], str(repo.path))[second[0]]
    assert tracked["status"] == "pass", tracked


def test_b4_review_series_checks_the_thread_b4_tracks(
    repo: Repo,
    tmp_path: Path,
    b4_checks,
    monkeypatch: pytest.MonkeyPatch,  # type: ignore[no-untyped-def]
) -> None:
    base = repo.head()
    prep_series(repo)
    outdir = tmp_path / "out"
    paths = repo.format_patch("HEAD~2..HEAD", outdir, "--cover-letter", "--thread")
    thread = b"".join(p.read_bytes() for p in paths)
    blob = repo.run("git", "hash-object", "-w", "--stdin", stdin=thread).stdout.strip()
    tracking = tmp_path / "tracking.json"
    tracking.write_text(json.dumps({"series": {"thread-blob": blob, "base-commit": base}}))
    monkeypatch.setenv("B4_TRACKING_FILE", str(tracking))
    cover = message_of(repo, "HEAD~2..HEAD", tmp_path / "again", "--cover-letter")[0]
    (entry,) = b4_checks.run_series_checks(cover, [f"{REVIEW} --series"], str(repo.path))
    assert entry["tool"] == "patchcheck" and entry["status"] == "pass", entry
