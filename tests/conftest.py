"""Shared test fixtures.

The real kernel trees (Debian's linux-source-6.12 and linux-source-6.1) are fetched by
scripts/fetch-linux-source.sh [VERSION] into a cache outside the repository. Locally, tests that need one
are skipped when it is absent; under CI (CI=true) its absence is a failure, so those tests always run there.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
FIXTURES = REPO / "fixtures"


def _real_tree_path() -> Path:
    explicit = os.environ.get("PATCHCHECK_LINUX_TREE")
    if explicit:
        return Path(explicit)
    cache = Path(os.environ.get("PATCHCHECK_CACHE", Path.home() / ".cache" / "patchcheck"))
    return cache / "linux-source-6.12"


@pytest.fixture(scope="session")
def real_tree() -> Path:
    path = _real_tree_path()
    if not (path / "include" / "linux" / "mm.h").is_file():
        if os.environ.get("CI"):
            pytest.fail(f"real kernel tree missing at {path}: run scripts/fetch-linux-source.sh")
        pytest.skip(f"real kernel tree not fetched ({path}); run scripts/fetch-linux-source.sh")
    return path


@pytest.fixture(scope="session")
def real_tree_6_1() -> Path:
    """Debian's linux-source-6.1 (PATCHCHECK_LINUX_TREE_6_1, else the cache), as `real_tree` for 6.12."""
    explicit = os.environ.get("PATCHCHECK_LINUX_TREE_6_1")
    cache = Path(os.environ.get("PATCHCHECK_CACHE", Path.home() / ".cache" / "patchcheck"))
    path = Path(explicit) if explicit else cache / "linux-source-6.1"
    if not (path / "include" / "linux" / "mm.h").is_file():
        if os.environ.get("CI"):
            pytest.fail(f"real kernel tree missing at {path}: run scripts/fetch-linux-source.sh 6.1")
        pytest.skip(f"real kernel tree not fetched ({path}); run scripts/fetch-linux-source.sh 6.1")
    return path


@pytest.fixture(scope="session")
def fixtures_dir() -> Path:
    return FIXTURES


# --------------------------------------------------------------------------------------------------------
# Skips: grouped by what is missing and summarised at the end; PATCHCHECK_REQUIRE=all (set by .ci/run) makes
# every skip a failure, except the opt-in slow tests (PATCHCHECK_SLOW=1).

SKIP_GROUPS = (
    ("no kernel tree: run scripts/fetch-linux-source.sh or set PATCHCHECK_LINUX_TREE", ("real kernel tree",)),
    (
        "no QEMU or VM kernels: install qemu-system-x86 and a C compiler, run scripts/fetch-vm-kernels.sh",
        ("qemu", "cloud kernel", "dpkg-deb", "c compiler", "kernel build tools"),
    ),
    ("no git-email: install Debian's git-email and libmailtools-perl", ("send-email",)),
    ("no ../shared beside the checkout: set PATCHCHECK_SHARED=DIR", ("seed mail", "shared")),
    ("no git", ("git not installed",)),
    ("opt-in, not required: set PATCHCHECK_SLOW=1", ("slow:",)),
    ("cannot apply here, not required: root reads any file", ("root reads",)),
)
OPT_IN = {SKIP_GROUPS[-2][0], SKIP_GROUPS[-1][0]}
_required_skips: list[tuple[str, str]] = []


def skip_group(reason: str) -> str:
    lowered = reason.lower()
    for group, needles in SKIP_GROUPS:
        if any(needle in lowered for needle in needles):
            return group
    return reason


def _skip_reason(report: pytest.TestReport) -> str:
    longrepr = report.longrepr
    if isinstance(longrepr, tuple):
        return str(longrepr[2]).removeprefix("Skipped: ")
    return str(longrepr)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    outcome = yield
    report: pytest.TestReport = outcome.get_result()  # type: ignore[attr-defined]
    if not report.skipped or os.environ.get("PATCHCHECK_REQUIRE") != "all" or hasattr(report, "wasxfail"):
        return
    reason = _skip_reason(report)
    if skip_group(reason) in OPT_IN:
        return
    _required_skips.append((item.nodeid, reason))
    report.outcome = "failed"
    report.longrepr = f"PATCHCHECK_REQUIRE=all, but this test skipped: {reason}"


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    groups: dict[str, list[str]] = {}
    for report in terminalreporter.stats.get("skipped", []):
        groups.setdefault(skip_group(_skip_reason(report)), []).append(report.nodeid)
    for nodeid, reason in _required_skips:
        groups.setdefault("(failed: PATCHCHECK_REQUIRE=all) " + skip_group(reason), []).append(nodeid)
    if not groups:
        return
    terminalreporter.section("skipped, by what is missing")
    for group, nodeids in sorted(groups.items(), key=lambda kv: -len(kv[1])):
        terminalreporter.write_line(f"{len(nodeids):4d} skipped: {group}")
