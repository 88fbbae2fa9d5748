"""Registry fixture trees: `fixtures/registry/base` is silent for every rule; each sibling directory holds
only the files of one scenario, laid over the base."""

from __future__ import annotations

from pathlib import Path

import pytest

from patchcheck.source.tree import DirectoryTree, OverlayTree, SourceTree

REGISTRY = Path(__file__).resolve().parents[2] / "fixtures" / "registry"


def scenario_tree(name: str) -> SourceTree:
    base = DirectoryTree(REGISTRY / "base")
    if name == "base":
        return base
    root = REGISTRY / name
    assert root.is_dir(), name
    changes = {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}
    return OverlayTree(base, changes)


def scenarios() -> list[str]:
    return sorted(p.name for p in REGISTRY.iterdir() if p.is_dir() and p.name != "base")


@pytest.fixture(autouse=True)
def _private_cache(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """Fixture trees get their own parse cache, so tests never depend on a developer's cache."""
    monkeypatch.setenv("PATCHCHECK_CACHE", str(tmp_path_factory.getbasetemp() / "cache"))
