"""Registry fixture trees: `fixtures/registry/base` is silent for every rule; each `NAME.patch` beside it
is one scenario, a patch to the base as a reviewer would see it, applied in memory by patchcheck's intake."""

from __future__ import annotations

from pathlib import Path

import pytest

from patchcheck.intake import apply_series, load_series
from patchcheck.source.tree import DirectoryTree, OverlayTree, SourceTree

REGISTRY = Path(__file__).resolve().parents[2] / "fixtures" / "registry"


STYLE_B = REGISTRY / "style-b"
STYLES = ("A", "B")


def base_tree(style: str = "A") -> SourceTree:
    """The base tree; in style B its mm.h declares the same flags by bit number (style-b/mm.h)."""
    base = DirectoryTree(REGISTRY / "base")
    if style == "A":
        return base
    return OverlayTree(base, {"include/linux/mm.h": (STYLE_B / "mm.h").read_bytes()})


def scenario_changes(name: str, style: str = "A") -> dict[str, bytes | None]:
    """The files the scenario's patch changes, as they are after it (None: deleted).

    Style B: the same patch for every other file; mm.h is style-b/mm.h, changed by the scenario's twin
    patch in style-b/ when the scenario changes mm.h."""
    patch = REGISTRY / f"{name}.patch"
    twin = STYLE_B / f"{name}.patch"
    changes: dict[str, bytes | None] = {}
    if patch.is_file():
        changes = dict(patched_files(patch, base_tree("A")))
    if style == "B":
        changes["include/linux/mm.h"] = (STYLE_B / "mm.h").read_bytes()
        if twin.is_file():
            changes.update(patched_files(twin, base_tree("B")))
    assert patch.is_file() or twin.is_file(), name
    return changes


def patched_files(patch: Path, base: SourceTree) -> dict[str, bytes | None]:
    (state,) = apply_series(load_series(str(patch)), base)
    tree = state.tree
    assert isinstance(tree, OverlayTree)
    return tree.changes


def scenario_tree(name: str, style: str = "A") -> SourceTree:
    base = DirectoryTree(REGISTRY / "base")
    if name == "base":
        return base_tree(style)
    return OverlayTree(base, scenario_changes(name, style))


def scenarios() -> list[str]:
    return sorted(p.stem for p in REGISTRY.glob("*.patch"))


def style_b_only() -> list[str]:
    """Scenarios about what only style B has (enumerators and their masks): no style-A twin."""
    return sorted(p.stem for p in STYLE_B.glob("*.patch") if not (REGISTRY / p.name).is_file())


@pytest.fixture(autouse=True)
def _private_cache(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """Fixture trees get their own parse cache, so tests never depend on a developer's cache."""
    monkeypatch.setenv("PATCHCHECK_CACHE", str(tmp_path_factory.getbasetemp() / "cache"))
