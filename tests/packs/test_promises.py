"""PC701 reads promises by meaning: reworded promises, the subject line, analogies, several per sentence."""

from __future__ import annotations

from pathlib import Path

import pytest

from patchcheck.report.finding import Finding
from tests.packs.test_reminders import mbox, run


def new_flag(flag: str, subject: str, message: str) -> str:
    return mbox(
        subject,
        message,
        (
            "diff --git a/include/linux/mm.h b/include/linux/mm.h\n"
            "--- a/include/linux/mm.h\n+++ b/include/linux/mm.h\n"
            "@@ -20,3 +20,9 @@ struct vm_area_struct;\n"
            " #define VM_WIPEONFORK\t0x02000000\n #define VM_DONTDUMP\t0x04000000\n \n"
            f"+#ifdef CONFIG_64BIT\n+#define {flag}\tBIT(44)\n+#else\n+#define {flag}\tVM_NONE\n+#endif\n+\n"
        ),
    )


def claims(found: list[Finding]) -> list[tuple[str, int | None]]:
    out = []
    for f in found:
        if f.rule_id == "PC701" and f.location:
            prop = f.message.split('" (', 1)[1].split(")", 1)[0].split(",")[0]
            out.append((prop, f.location.line))
    return sorted(out, key=str)


FLAGS = ["VM_SCRATCH", "VM_EPHEMERAL"]


@pytest.mark.parametrize("flag", FLAGS)
def test_reworded_promises_are_promises(flag: str, tmp_path: Path) -> None:
    message = (
        f"{flag} is for scratch memory.\n\nSuch mappings are never mlocked. The flag is preserved\n"
        "across fork(). Running out of memory while faulting does not trigger the OOM killer.\n"
    )
    found = run(new_flag(flag, f"mm: add {flag}", message), tmp_path)
    # "preserved across fork()" is read too, and kept: nothing in the series clears the flag in dup_mmap().
    assert claims(found) == [("never-locked", 3), ("oom-not-fatal", 4)]
    assert all(f.flag == flag for f in found if f.rule_id == "PC701")


@pytest.mark.parametrize("flag", FLAGS)
def test_a_promise_in_the_subject_line(flag: str, tmp_path: Path) -> None:
    found = run(new_flag(flag, "mm: memory that is never swapped out", f"Add {flag}.\n"), tmp_path)
    (claim,) = [f for f in found if f.rule_id == "PC701"]
    assert claim.location is not None and claim.location.line is None
    assert "promises in its subject" in claim.message and claim.flag == flag


@pytest.mark.parametrize("flag", FLAGS)
def test_two_promises_in_one_sentence_are_two_findings(flag: str, tmp_path: Path) -> None:
    message = f"{flag} memory is never swapped and never mlocked.\n"
    found = run(new_flag(flag, f"mm: add {flag}", message), tmp_path)
    assert claims(found) == [("never-locked", 1), ("not-swap-backed", 1)]


@pytest.mark.parametrize("flag", FLAGS)
def test_an_analogy_inherits_the_declared_properties(flag: str, tmp_path: Path) -> None:
    message = f"Add {flag}.\n\nLike VM_DROPPABLE, it is meant for buffers that can be recomputed.\n"
    found = run(new_flag(flag, f"mm: add {flag}", message), tmp_path)
    promised = {p for p, _ in claims(found)}
    # VM_DROPPABLE's declared properties (the pack), each promised for the new flag, never for VM_DROPPABLE.
    assert {"never-locked", "not-swap-backed", "oom-not-fatal", "mmap-created"} <= promised
    assert all(f.flag == flag and "like VM_DROPPABLE" in f.message for f in found if f.rule_id == "PC701")


@pytest.mark.parametrize("flag", FLAGS)
def test_unlike_and_questions_promise_nothing(flag: str, tmp_path: Path) -> None:
    message = (
        f"Unlike VM_DROPPABLE, {flag} is an ordinary anonymous mapping.\n\n"
        "Should it be like VM_DROPPABLE? Is it ever swapped?\n"
    )
    assert claims(run(new_flag(flag, f"mm: add {flag}", message), tmp_path)) == []
