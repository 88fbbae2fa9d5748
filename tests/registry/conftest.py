"""Registry fixture trees: `fixtures/registry/base` is silent for every rule; each `NAME.patch` beside it
is one scenario, a patch to the base as a reviewer would see it, applied in memory by patchcheck's intake."""

from __future__ import annotations

from pathlib import Path

import pytest

from patchcheck.intake import apply_series, load_series
from patchcheck.source.tree import DirectoryTree, OverlayTree, SourceTree

REGISTRY = Path(__file__).resolve().parents[2] / "fixtures" / "registry"


def scenario_changes(name: str) -> dict[str, bytes | None]:
    """The files the scenario's patch changes, as they are after it (None: deleted)."""
    patch = REGISTRY / f"{name}.patch"
    assert patch.is_file(), name
    (state,) = apply_series(load_series(str(patch)), DirectoryTree(REGISTRY / "base"))
    tree = state.tree
    assert isinstance(tree, OverlayTree)
    return tree.changes


def scenario_tree(name: str) -> SourceTree:
    base = DirectoryTree(REGISTRY / "base")
    return base if name == "base" else OverlayTree(base, scenario_changes(name))


def scenarios() -> list[str]:
    return sorted(p.stem for p in REGISTRY.glob("*.patch"))


@pytest.fixture(autouse=True)
def _private_cache(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """Fixture trees get their own parse cache, so tests never depend on a developer's cache."""
    monkeypatch.setenv("PATCHCHECK_CACHE", str(tmp_path_factory.getbasetemp() / "cache"))
