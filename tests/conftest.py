"""Shared test fixtures.

The real kernel trees (Debian's linux-source-6.12 and linux-source-6.1) are fetched by
scripts/fetch-linux-source.sh [VERSION] into a cache outside the repository. Locally, tests that need one
are skipped when it is absent; under CI (CI=true) its absence is a failure, so those tests always run there.
"""

from __future__ import annotations

import os
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
