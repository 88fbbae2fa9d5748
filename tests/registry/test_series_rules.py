"""The rules judged on a series' own lines: each fires for two flags and is silent on the fixed version,
without a tree and (where the patch applies to the registry base tree) with it."""

from __future__ import annotations

from pathlib import Path

import pytest

from patchcheck.intake import load_series
from patchcheck.report.finding import Finding, Severity
from patchcheck.rules.engine import verify_series
from patchcheck.rules.registry import registry_checkers
from patchcheck.source.tree import DirectoryTree

BASE = Path(__file__).resolve().parents[2] / "fixtures" / "registry" / "base"
FLAGS = ["VM_FOO", "VM_BAR"]


def patch(*hunks: str) -> str:
    return "From: Pat Checker <pat@example.org>\nSubject: [PATCH] mm: a change\n\nA change.\n---\n" + "".join(
        hunks
    )


def mm_h(*added: str) -> str:
    """Lines added after VM_DONTDUMP in the base tree's mm.h (core flags in the context)."""
    body = "".join(f"+{line}\n" for line in added)
    return (
        "diff --git a/include/linux/mm.h b/include/linux/mm.h\n--- a/include/linux/mm.h\n"
        f"+++ b/include/linux/mm.h\n@@ -17,4 +17,{4 + len(added)} @@\n"
        " #define VM_LOCKED\t0x00002000\n"
        " #define VM_ARCH_1\t0x01000000\t/* lent to one flag per architecture */\n"
        f" #define VM_DONTDUMP\t0x04000000\n{body} \n"
    )


def run(text: str, tmp_path: Path, rule: str, *, tree: bool = False) -> list[Finding]:
    path = tmp_path / "series.patch"
    path.write_text(text)
    report = verify_series(
        load_series(str(path)), DirectoryTree(BASE) if tree else None, checkers=registry_checkers()
    )
    return [f for f in report.findings if f.rule_id == rule]


def arch_alias(flag: str, value: str) -> str:
    return patch(
        mm_h("#ifdef CONFIG_X86", f"# define {flag}\t{value}", "#else", f"# define {flag}\tVM_NONE", "#endif")
    )


@pytest.mark.parametrize("flag", FLAGS)
@pytest.mark.parametrize("tree", [False, True])
def test_pc150_alias_of_a_core_flag(flag: str, tree: bool, tmp_path: Path) -> None:
    (found,) = run(arch_alias(flag, "VM_WRITE"), tmp_path, "PC150", tree=tree)
    assert found.flag == flag and found.severity is Severity.ERROR and "VM_WRITE" in found.message
    assert found.location is not None and found.location.path == "include/linux/mm.h"
    for fine in ("VM_ARCH_1", "VM_HIGH_ARCH_4"):
        assert run(arch_alias(flag, fine), tmp_path, "PC150", tree=tree) == []


def test_pc150_reads_the_enum_style(tmp_path: Path) -> None:
    text = patch(mm_h("\tDECLARE_VMA_BIT_ALIAS(FOO, LOCKED),", "\tDECLARE_VMA_BIT_ALIAS(BAR, HIGH_ARCH_2),"))
    assert [f.flag for f in run(text, tmp_path, "PC150")] == ["VM_FOO"]


@pytest.mark.parametrize(
    ("name", "value", "fine"),
    [
        ("VM_HIGH_ARCH_BIT_6", "31", "38"),
        ("VM_HIGH_ARCH_6", "BIT(13)", "BIT(38)"),
    ],
)
@pytest.mark.parametrize("tree", [False, True])
def test_pc151_a_pool_slot_on_a_fixed_bit(
    name: str, value: str, fine: str, tree: bool, tmp_path: Path
) -> None:
    (found,) = run(patch(mm_h(f"#define {name}\t{value}")), tmp_path, "PC151", tree=tree)
    assert found.flag == name and ("VM_MERGEABLE" in found.message or "VM_LOCKED" in found.message)
    assert run(patch(mm_h(f"#define {name}\t{fine}")), tmp_path, "PC151", tree=tree) == []


@pytest.mark.parametrize(("flag", "value"), [("VM_FOO", "BIT(13)"), ("VM_BAR", "0x00000002")])
def test_pc151_without_a_tree_a_new_flag_on_a_fixed_bit(flag: str, value: str, tmp_path: Path) -> None:
    (found,) = run(patch(mm_h(f"#define {flag}\t{value}")), tmp_path, "PC151")
    assert found.flag == flag
    assert run(patch(mm_h(f"#define {flag}\tBIT(44)")), tmp_path, "PC151") == []


SMAPS_ENTRY = (
    "diff --git a/fs/proc/task_mmu.c b/fs/proc/task_mmu.c\n--- a/fs/proc/task_mmu.c\n"
    '+++ b/fs/proc/task_mmu.c\n@@ -46,5 +46,8 @@\n #ifdef CONFIG_64BIT\n \t\t[ilog2(VM_SEALED)]\t= "sl",\n'
    ' #endif\n+#ifdef CONFIG_64BIT\n+\t\t[ilog2({flag})]\t= "{code}",\n+#endif\n \t}};\n \tsize_t i;\n'
)


def new_flag(flag: str) -> str:
    return mm_h(
        "#ifdef CONFIG_64BIT", f"# define {flag}\tBIT(44)", "#else", f"# define {flag}\tVM_NONE", "#endif"
    )


@pytest.mark.parametrize("flag", FLAGS)
def test_pc250_a_new_real_bit_without_any_registry_entry(flag: str, tmp_path: Path) -> None:
    (found,) = run(patch(new_flag(flag)), tmp_path, "PC250")
    assert found.severity is Severity.WARNING and found.flag == flag
    assert "smaps mnemonic" in found.message and "trace name" in found.message
    entry = SMAPS_ENTRY.format(flag=flag, code=flag[3:5].lower())
    assert run(patch(new_flag(flag), entry), tmp_path, "PC250") == []
    assert run(arch_alias(flag, "VM_ARCH_1"), tmp_path, "PC250") == []  # an alias shows as "ar"
    assert run(patch(new_flag(flag)), tmp_path, "PC250", tree=True) == []  # PC201 decides with a tree


@pytest.mark.parametrize("flag", FLAGS)
def test_pc250_points_at_the_flags_definition_not_its_bit_name(flag: str, tmp_path: Path) -> None:
    """Where the tree's PC201 points: `#define VM_X ...`, not the `VM_X_BIT` line above it."""
    hunk = mm_h(f"#define {flag}_BIT\t44", f"#define {flag}\tBIT({flag}_BIT)")
    (found,) = run(patch(hunk), tmp_path, "PC250")
    assert found.location is not None and found.location.line == 21  # 17-19 context, 20 the _BIT line


REMOVE = {  # flag -> (mm.h hunk removing it, task_mmu.c hunk removing its entry, proc.rst hunk, code)
    "VM_SOFTDIRTY": (
        "@@ -20,8 +20,2 @@\n \n-#ifdef CONFIG_MEM_SOFT_DIRTY\n-# define VM_SOFTDIRTY\t0x08000000\n-#else\n"
        "-# define VM_SOFTDIRTY\t0\n-#endif\n-\n #define VM_MERGEABLE\tBIT(31)\n",
        '@@ -21,6 +21,3 @@\n #endif\n-#ifdef CONFIG_MEM_SOFT_DIRTY\n-\t\t[ilog2(VM_SOFTDIRTY)]\t= "sd",\n'
        '-#endif\n \t\t[ilog2(VM_MERGEABLE)]\t= "mg",\n #ifdef CONFIG_ARM64_MTE\n',
        "@@ -16,3 +16,2 @@\n     dd    do not include area into core dump\n-    sd    soft dirty flag\n"
        "     mg    mergeable advise flag\n",
        "sd",
    ),
    "VM_UFFD_MINOR": (
        "@@ -69,8 +69,2 @@\n \n-#ifdef CONFIG_HAVE_ARCH_USERFAULTFD_MINOR\n-# define VM_UFFD_MINOR_BIT\t38\n"
        "-# define VM_UFFD_MINOR\t\tBIT(VM_UFFD_MINOR_BIT)\n-#else\n"
        "-# define VM_UFFD_MINOR\t\tVM_NONE\n-#endif\n \n",
        "@@ -36,5 +36,2 @@\n #endif\n-#ifdef CONFIG_HAVE_ARCH_USERFAULTFD_MINOR\n"
        '-\t\t[ilog2(VM_UFFD_MINOR)]\t= "ui",\n'
        "-#endif\n #ifdef CONFIG_X86_USER_SHADOW_STACK\n",
        "@@ -20,3 +20,2 @@\n     mt    arm64 MTE allocation tags are enabled\n"
        "-    ui    userfaultfd minor fault\n"
        "     ss    shadow stack page\n",
        "ui",
    ),
}


def header(path: str) -> str:
    return f"diff --git a/{path} b/{path}\n--- a/{path}\n+++ b/{path}\n"


def removal(flag: str, *, doc: bool) -> str:
    mm, smaps, rst, _ = REMOVE[flag]
    parts = [
        header("include/linux/mm.h") + mm,
        header("fs/proc/task_mmu.c") + smaps,
    ]
    if doc:
        parts.append(
            "diff --git a/Documentation/filesystems/proc.rst b/Documentation/filesystems/proc.rst\n"
            f"--- a/Documentation/filesystems/proc.rst\n+++ b/Documentation/filesystems/proc.rst\n{rst}"
        )
    return patch(*parts)


@pytest.mark.parametrize("flag", sorted(REMOVE))
def test_pc450_a_removed_flag_leaves_its_proc_rst_line(flag: str, tmp_path: Path) -> None:
    found = run(removal(flag, doc=False), tmp_path, "PC450")
    assert [(f.flag, f.location.path if f.location else "") for f in found] == [
        (flag, "Documentation/filesystems/proc.rst")
    ]
    assert f'"{REMOVE[flag][3]}"' in found[0].message
    # proc.rst is not seen without a tree (6.12 never documented "ui"): undecided, never a warning.
    assert found[0].severity is Severity.UNRESOLVED and "--tree" in " ".join(found[0].evidence)
    assert run(removal(flag, doc=True), tmp_path, "PC450") == []


@pytest.mark.parametrize("flag", sorted(REMOVE))
def test_pc450_with_the_tree_the_trace_name_left_behind_is_seen(flag: str, tmp_path: Path) -> None:
    found = run(removal(flag, doc=True), tmp_path, "PC450", tree=True)
    assert [(f.flag, f.location.path if f.location else "") for f in found] == [
        (flag, "include/trace/events/mmflags.h")
    ]


@pytest.mark.parametrize("flag", sorted(REMOVE))
def test_pc450_the_reverse_a_mnemonic_removed_while_the_flag_stays(flag: str, tmp_path: Path) -> None:
    _, smaps, _, code = REMOVE[flag]
    text = patch(header("fs/proc/task_mmu.c") + smaps)
    (found,) = run(text, tmp_path, "PC450", tree=True)
    assert found.flag == flag and f'"{code}"' in found.message and "keeps" in found.message


def refusal(path: str, case: str, errno: str) -> str:
    return patch(
        header(path) + "@@ -100,4 +100,6 @@ unsigned long do_it(void)\n"
        f" \t\tswitch (flags) {{\n \t\tcase {case}:\n+\t\t\tif (!supported)\n+\t\t\t\treturn -{errno};\n"
        " \t\t\tbreak;\n \t\t}\n"
    )


@pytest.mark.parametrize(("path", "case"), [("mm/mmap.c", "MAP_DROPPABLE"), ("mm/madvise.c", "MADV_SCRATCH")])
def test_pc650_a_refusal_returning_enotsupp(path: str, case: str, tmp_path: Path) -> None:
    (found,) = run(refusal(path, case, "ENOTSUPP"), tmp_path, "PC650")
    assert case in found.message and found.location == found.location.__class__(path, 101 + 2)
    assert run(refusal(path, case, "EOPNOTSUPP"), tmp_path, "PC650") == []
    # -ENOTSUPP far from any user-space flag (an in-kernel interface) is not this rule's business.
    assert run(refusal(path, "FOO_KIND", "ENOTSUPP"), tmp_path, "PC650") == []


# Style B (mainline 6.19+): flags declared by bit number in an enum.
def enum_lines(*entries: str) -> str:
    return mm_h(*(f"\t{entry}," for entry in entries))


@pytest.mark.parametrize("flag", ["FOO", "BAR"])
def test_style_b_pc150_alias_of_a_core_bit(flag: str, tmp_path: Path) -> None:
    (found,) = run(patch(enum_lines(f"DECLARE_VMA_BIT_ALIAS({flag}, WRITE)")), tmp_path, "PC150")
    assert found.flag == f"VM_{flag}"
    assert run(patch(enum_lines(f"DECLARE_VMA_BIT_ALIAS({flag}, ARCH_1)")), tmp_path, "PC150") == []


@pytest.mark.parametrize(("slot", "bit"), [("HIGH_ARCH_6", 30), ("HIGH_ARCH_7", 13)])
def test_style_b_pc151_a_pool_slot_on_a_fixed_bit(slot: str, bit: int, tmp_path: Path) -> None:
    (found,) = run(patch(enum_lines(f"DECLARE_VMA_BIT({slot}, {bit})")), tmp_path, "PC151")
    assert found.flag == f"VM_{slot}"
    assert run(patch(enum_lines(f"DECLARE_VMA_BIT({slot}, 38)")), tmp_path, "PC151") == []


@pytest.mark.parametrize("flag", ["FOO", "BAR"])
def test_style_b_pc250_a_declared_bit_without_a_mnemonic(flag: str, tmp_path: Path) -> None:
    (found,) = run(patch(enum_lines(f"DECLARE_VMA_BIT({flag}, 44)")), tmp_path, "PC250")
    assert found.flag == f"VM_{flag}" and "bit 44" in " ".join(found.evidence)
    entry = SMAPS_ENTRY.format(flag=f"VM_{flag}", code=flag[:2].lower())
    assert run(patch(enum_lines(f"DECLARE_VMA_BIT({flag}, 44)"), entry), tmp_path, "PC250") == []
    assert run(patch(enum_lines(f"DECLARE_VMA_BIT_ALIAS({flag}, ARCH_1)")), tmp_path, "PC250") == []


@pytest.mark.parametrize(("flag", "code"), [("UFFD_MINOR", "ui"), ("SEALED", "sl")])
def test_style_b_pc450_a_removed_enumerator_leaves_its_doc_line(flag: str, code: str, tmp_path: Path) -> None:
    removal = (
        header("include/linux/mm.h") + "@@ -30,3 +30,2 @@\n \tDECLARE_VMA_BIT(MERGEABLE, 31),\n"
        f"-\tDECLARE_VMA_BIT({flag}, 41),\n \t/* Names of the arch-reusable bits. */\n"
        + header("fs/proc/task_mmu.c")
        + f'@@ -40,3 +40,2 @@\n #endif\n-\t\t[ilog2(VM_{flag})]\t= "{code}",\n \t}};\n'
    )
    (found,) = run(patch(removal), tmp_path, "PC450")
    assert found.flag == f"VM_{flag}" and f'"{code}"' in found.message
    doc = header(PROC) + f"@@ -20,3 +20,2 @@\n     mt    arm64 MTE\n-    {code}    gone\n     ss    shadow\n"
    assert run(patch(removal + doc), tmp_path, "PC450") == []


PROC = "Documentation/filesystems/proc.rst"
