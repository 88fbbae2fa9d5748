"""Paths shared by the intake tests."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
MAIL = REPO / "fixtures" / "mail"
EXAMPLE = REPO / "fixtures" / "example"
EXAMPLE_TREE = EXAMPLE / "tree"
EXAMPLE_SERIES = EXAMPLE / "series.mbox"
SEED_NAME = "vm-droppable-v16-1of5-review.txt"


def seed_mail() -> Path:
    """The seed review mail lives in shared/ beside the repository (not copied: it quotes a kernel patch)."""
    candidates = [REPO.parent / "shared", REPO.parent.parent / "shared"]
    if os.environ.get("PATCHCHECK_SHARED"):
        candidates.insert(0, Path(os.environ["PATCHCHECK_SHARED"]))
    for shared in candidates:
        if (shared / "seed" / SEED_NAME).is_file():
            return shared / "seed" / SEED_NAME
    if os.environ.get("CI"):
        pytest.fail("the seed mail shared/seed/" + SEED_NAME + " is missing beside the repository")
    pytest.skip("the seed mail is not beside this checkout")
