"""A small report shaped like what verify produces for a VM_DROPPABLE series, and its rule catalogue."""

from __future__ import annotations

import pytest

from patchcheck.report.finding import Finding, Location, Report, Severity
from patchcheck.report.summary import PatchRef, SeriesSummary
from patchcheck.rules.base import RuleDoc


@pytest.fixture
def catalogue() -> tuple[RuleDoc, ...]:
    return (
        RuleDoc(
            id="PC201",
            name="smaps-guard-mismatch",
            severity=Severity.ERROR,
            summary="smaps mnemonic guard differs from the flag's definition",
            what="Compares the guard of a flag's smaps mnemonic with the configurations where it is a bit.",
            why="A mnemonic missing where the flag exists hides it from /proc/PID/smaps.",
            example='#ifdef CONFIG_64BIT\n\t[ilog2(VM_DROPPABLE)] = "dp",\n#endif',
            fix="Guard the mnemonic exactly as the definition is guarded.",
        ),
        RuleDoc(
            id="PC301",
            name="proc-doc-missing",
            severity=Severity.WARNING,
            summary="smaps mnemonic not documented in proc.rst",
            what="Looks for each mnemonic in Documentation/filesystems/proc.rst.",
            why="Users read proc.rst to decode VmFlags.",
            example="dp    - droppable",
        ),
    )


@pytest.fixture
def summary() -> SeriesSummary:
    return SeriesSummary(
        lines=("v2 of 'mm: add VM_DEMO', 2 patches, 3 files, +20 -1",),
        patches=(PatchRef(1, "mm: add VM_DEMO", "<1@example>"), PatchRef(2, "proc: show VM_DEMO", None)),
        # 3 of 5 patches absent
        source="series.mbox",
        total=5,
        data={"version": 2, "expected": 2, "missing": []},
    )


@pytest.fixture
def report() -> Report:
    return Report(
        findings=[
            Finding(
                rule_id="PC301",
                severity=Severity.WARNING,
                message="mnemonic 'dm' of VM_DEMO is not documented",
                location=Location("fs/proc/task_mmu.c", 40),
                flag="VM_DEMO",
                patch=2,
            ),
            Finding(
                rule_id="PC201",
                severity=Severity.ERROR,
                message="VM_DEMO is a bit under CONFIG_PPC32 but its mnemonic\nneeds CONFIG_64BIT",
                location=Location("fs/proc/task_mmu.c", 38),
                flag="VM_DEMO",
                hint="use the definition's guard",
                evidence=("definition: CONFIG_64BIT || CONFIG_PPC32", "mnemonic: CONFIG_64BIT"),
                patch=2,
            ),
            Finding(
                rule_id="PC999",
                severity=Severity.UNRESOLVED,
                message="guard uses unknown symbol CONFIG_FOO",
                location=Location("include/linux/mm.h"),
                patch=1,
            ),
            Finding(rule_id="PC998", severity=Severity.INFO, message="series adds one flag"),
        ],
        skipped=["PC401 needs mm/rmap.c, absent from the tree"],
    )
