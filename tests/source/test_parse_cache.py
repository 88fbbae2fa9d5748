"""A second run on an unchanged tree parses nothing; an edited file is parsed again."""

from __future__ import annotations

import pickle
import shutil
from pathlib import Path

import pytest

from patchcheck.model import load as model_load
from patchcheck.model.load import load_flag_model
from patchcheck.source import cache as cache_module
from patchcheck.source import cparse, kconfig_lazy
from patchcheck.source.cache import DiskCache
from patchcheck.source.kconfig_tree import load_kconfig
from patchcheck.source.tree import DirectoryTree, OverlayTree


def _refuse(*_args: object, **_kwargs: object) -> None:
    raise AssertionError("parsed on a warm run")


@pytest.fixture()
def tree_copy(fixtures_dir: Path, tmp_path: Path) -> Path:
    dest = tmp_path / "tree"
    shutil.copytree(fixtures_dir / "trees" / "classic", dest)
    return dest


def test_second_run_parses_nothing(tree_copy: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cache = DiskCache(tmp_path / "cache")
    tree = DirectoryTree(tree_copy)
    before = cparse.PARSE_COUNT
    cold = load_flag_model(tree, cache)
    assert before < cparse.PARSE_COUNT  # the cold run did parse (smaps table, trace pairs)
    warm_start = cparse.PARSE_COUNT
    monkeypatch.setattr(model_load, "preprocess", _refuse)
    warm = load_flag_model(DirectoryTree(tree_copy), cache)
    assert warm_start == cparse.PARSE_COUNT
    assert warm.flags.keys() == cold.flags.keys()
    assert warm.smaps == cold.smaps and warm.trace == cold.trace


def test_edited_file_is_parsed_again(tree_copy: Path, tmp_path: Path) -> None:
    cache = DiskCache(tmp_path / "cache")
    load_flag_model(DirectoryTree(tree_copy), cache)
    task_mmu = tree_copy / "fs/proc/task_mmu.c"
    task_mmu.write_text(task_mmu.read_text().replace('"mg"', '"mG"'))
    before = cparse.PARSE_COUNT
    model = load_flag_model(DirectoryTree(tree_copy), cache)
    assert before < cparse.PARSE_COUNT
    assert [e.mnemonic for e in model.smaps_for("VM_MERGEABLE")] == ["mG"]


def test_overlay_is_keyed_by_content(tree_copy: Path, tmp_path: Path) -> None:
    cache = DiskCache(tmp_path / "cache")
    base = DirectoryTree(tree_copy)
    load_flag_model(base, cache)
    mm_h = (tree_copy / "include/linux/mm.h").read_bytes()
    patched = OverlayTree(base, {"include/linux/mm.h": mm_h.replace(b"_BITUL(63)", b"_BITUL(62)")})
    assert load_flag_model(patched, cache).flags["VM_SEALED"].bits == (62,)
    assert load_flag_model(base, cache).flags["VM_SEALED"].bits == (63,)


def test_kconfig_warm_run_scans_nothing(
    tree_copy: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache = DiskCache(tmp_path / "cache")
    cold = load_kconfig(DirectoryTree(tree_copy), cache)
    symbols = cold.symbols()  # the cold run asks of every symbol
    cache_module.run_end_saves()  # and ends
    monkeypatch.setattr(kconfig_lazy, "scan_kconfig", _refuse)
    warm = load_kconfig(DirectoryTree(tree_copy), cache)
    assert warm.symbols() == symbols
    monkeypatch.undo()
    kconfig = tree_copy / "mm/Kconfig"
    kconfig.write_text(kconfig.read_text() + "\nconfig ADDED_LATER\n\tbool\n")
    assert load_kconfig(DirectoryTree(tree_copy), cache).exists("ADDED_LATER")


def test_cache_can_be_disabled(tree_copy: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATCHCHECK_CACHE", "off")
    cache = DiskCache()
    assert cache.root is None
    load_flag_model(DirectoryTree(tree_copy), cache)
    before = cparse.PARSE_COUNT
    load_flag_model(DirectoryTree(tree_copy), cache)
    assert before < cparse.PARSE_COUNT


def test_encoded_facts_are_restored_without_reading_kconfig(
    tree_copy: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from patchcheck.source import facts as facts_module
    from patchcheck.source.facts import Answer, ConfigFacts
    from patchcheck.source.guards import Sym

    cache = DiskCache(tmp_path / "cache")
    cold = ConfigFacts.from_tree(DirectoryTree(tree_copy), cache)
    assert cold.implies(Sym("PPC32"), Sym("64BIT")) is Answer.NO
    cold.persist()
    monkeypatch.setattr(facts_module, "load_kconfig", _refuse)
    warm = ConfigFacts.from_tree(DirectoryTree(tree_copy), cache)
    assert warm.implies(Sym("PPC32"), Sym("64BIT")) is Answer.NO  # answered from the saved encoding
    with pytest.raises(AssertionError, match="warm run"):
        warm.satisfiable(Sym("ARM64_MTE"))  # a symbol never encoded needs the database


def test_saved_facts_answer_witnesses_and_arches_without_the_database(
    tree_copy: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Evidence for findings that were there last time (an example configuration, the architectures) comes
    from the saved facts: a warm verify never loads the Kconfig database for it."""
    from patchcheck.source import facts as facts_module
    from patchcheck.source.facts import ConfigFacts
    from patchcheck.source.guards import Sym

    cache = DiskCache(tmp_path / "cache")
    cold = ConfigFacts.from_tree(DirectoryTree(tree_copy), cache)
    question = Sym("HAVE_ARCH_USERFAULTFD_MINOR")  # selected by ARM64 if USERFAULTFD
    reasons: list[str] = []
    example = cold.witness(question, reasons)
    assert example is not None and example["ARCH"] == "arm64" and reasons
    arches, has_kconfig = cold.arches, cold.has_kconfig
    cold.persist()
    monkeypatch.setattr(facts_module, "load_kconfig", _refuse)
    warm = ConfigFacts.from_tree(DirectoryTree(tree_copy), cache)
    again: list[str] = []
    assert warm.witness(question, again) == example and again == reasons
    assert (warm.arches, warm.has_kconfig) == (arches, has_kconfig) and "powerpc" in arches
    with pytest.raises(AssertionError, match="warm run"):
        warm.witness(Sym("ARM64_POE"))  # a question not asked before needs the database


def test_patched_tree_without_kconfig_changes_shares_the_kconfig_cache(
    tree_copy: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache = DiskCache(tmp_path / "cache")
    base = DirectoryTree(tree_copy)
    assert load_kconfig(base, cache).exists("ARCH_USES_HIGH_VMA_FLAGS")
    monkeypatch.setattr(kconfig_lazy, "scan_kconfig", _refuse)
    patched = OverlayTree(base, {"include/linux/mm.h": b"/* replaced */\n"})
    assert load_kconfig(patched, cache).exists("ARCH_USES_HIGH_VMA_FLAGS")
    monkeypatch.undo()
    with_kconfig = OverlayTree(base, {"mm/Kconfig": b"config ONLY_IN_PATCH\n\tbool\n"})
    db = load_kconfig(with_kconfig, cache)
    assert db.exists("ONLY_IN_PATCH") and not db.exists("ARCH_USES_HIGH_VMA_FLAGS")


def test_git_revision_tree_is_stamped_by_blob(
    tree_copy: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import subprocess

    from patchcheck.source.tree import GitRevisionTree

    def git(*args: str) -> None:
        subprocess.run(["git", "-C", str(tree_copy), *args], check=True, capture_output=True)

    git("init", "-q")
    git("add", "-A")
    git("-c", "user.name=t", "-c", "user.email=t@example.org", "commit", "-qm", "toy")
    cache = DiskCache(tmp_path / "cache")
    cold = load_kconfig(GitRevisionTree(tree_copy, "HEAD"), cache)
    symbols = cold.symbols()
    cache_module.run_end_saves()
    monkeypatch.setattr(kconfig_lazy, "scan_kconfig", _refuse)
    warm = load_kconfig(GitRevisionTree(tree_copy, "HEAD"), cache)
    assert warm.symbols() == symbols


_GOOD_ENTRY = pickle.dumps({"a": 1}, protocol=5)


@pytest.mark.parametrize(
    "damage",
    [
        _GOOD_ENTRY.replace(b"\x8c\x01a", b"\x8c\x01\x81"),  # a key that is not UTF-8: UnicodeDecodeError
        b"\x80\x74",  # an unsupported protocol: ValueError
        b"",
    ],
)
def test_damaged_cache_entry_is_a_miss(tmp_path: Path, damage: bytes) -> None:
    cache = DiskCache(tmp_path)
    cache.put("ns", "key", {"value": 1})
    (entry,) = [p for p in (tmp_path / "ns").rglob("*") if p.is_file()]
    entry.write_bytes(damage)
    assert cache.get("ns", "key") is None


def test_every_module_that_caches_a_product_is_part_of_the_code_digest() -> None:
    """Editing the code that builds a cached product must never serve the product the old code built."""
    from patchcheck.source.cache import code_files

    package = Path(cparse.__file__).resolve().parents[1]
    covered = {p.relative_to(package).as_posix() for p in code_files()}
    assert {
        "source/cparse.py",
        "model/load.py",
        "rules/registry/uses.py",
        "source/csrc.py",
        "rules/packs/special.py",
        "rules/registry/smaps.py",
    } <= covered


def test_a_directory_tree_is_stamped_once_a_run(tree_copy: Path) -> None:
    """The states of a series stat the same ~1800 Kconfig files: one DirectoryTree (one run) stats each
    once; the next run, a new DirectoryTree, sees the file as it is then."""
    from patchcheck.source.cache import file_stamp

    tree = DirectoryTree(tree_copy)
    before = file_stamp(tree, "mm/Kconfig")
    (tree_copy / "mm" / "Kconfig").write_text("config CHANGED_MEANWHILE\n\tbool\n")
    assert file_stamp(tree, "mm/Kconfig") == before
    assert file_stamp(DirectoryTree(tree_copy), "mm/Kconfig") not in (before, None)


def test_a_file_read_is_stamped_as_it_was_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import os

    from patchcheck.source.cache import file_stamp

    (tmp_path / "Kconfig").write_text("config A\n\tbool\n")
    tree = DirectoryTree(tmp_path)
    assert tree.read_bytes("Kconfig") is not None
    st = os.stat(tmp_path / "Kconfig")

    def refused(self: DirectoryTree, rel: str) -> None:
        raise AssertionError(f"{rel} stamped again")

    monkeypatch.setattr(DirectoryTree, "stat", refused)  # the read's own stat is the stamp: no second one
    (tmp_path / "Kconfig").write_text("config A\n\tbool\n\tdefault y\n")  # changed since: still as read
    assert file_stamp(tree, "Kconfig") == f"s{st.st_size}:{st.st_mtime_ns}:{st.st_ino}"


def test_the_code_digest_is_that_of_every_code_file_in_order() -> None:
    from patchcheck.source import cache

    package = Path(cparse.__file__).resolve().parents[1]
    files = sorted(p for layer in ("source", "model", "rules") for p in (package / layer).rglob("*.py"))
    assert cache.code_files() == files
    expected = cache.digest(str(cache.CACHE_VERSION), *(p.read_bytes() for p in files))
    assert cache.code_digest() == expected
