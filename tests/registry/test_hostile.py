"""Hostile registry files: audit reports or skips, it never crashes."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from patchcheck.rules.engine import audit
from patchcheck.source.tree import OverlayTree
from tests.registry.conftest import REGISTRY, scenario_tree

FILES = [
    "include/linux/mm.h",
    "fs/proc/task_mmu.c",
    "include/trace/events/mmflags.h",
    "Documentation/filesystems/proc.rst",
    "mm/Kconfig",
    "fs/proc/Makefile",
]

_C_BITS = st.sampled_from(
    [
        "#if",
        "#ifdef CONFIG_X",
        "#elif",
        "#else",
        "#endif",
        "#define VM_",
        "VM_READ",
        "[ilog2(",
        ')] = "',
        "\\\n",
        "/*",
        "*/",
        "{",
        "}",
        "BIT(",
        "_BITUL(99)",
        "0x",
        "||",
        "&&",
        "defined(",
        "\xff\xfe",
        "\n",
        '"',
        "IF_HAVE_X(",
        "__def_vmaflag_names",
        "    ==    ====\n",
        "config ",
        "select ",
        "depends on ",
        "if ",
    ]
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    path=st.sampled_from(FILES),
    cut=st.integers(min_value=0, max_value=4000),
    noise=st.lists(_C_BITS, max_size=30),
)
def test_mangled_registry_file_never_crashes(path: str, cut: int, noise: list[str]) -> None:
    original = (REGISTRY / "base" / path).read_bytes()
    mangled = original[:cut] + "".join(noise).encode("utf-8", "surrogatepass") + original[cut:]
    report = audit(OverlayTree(scenario_tree("base"), {path: mangled}))
    for f in report.findings:
        assert f.rule_id.startswith("PC") and f.message


def test_binary_files_never_crash() -> None:
    tree = OverlayTree(scenario_tree("base"), {p: bytes(range(256)) * 8 for p in FILES})
    report = audit(tree)
    assert all(f.message for f in report.findings)
