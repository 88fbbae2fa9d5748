"""PC401 without a tree: the hunks show proc.rst rows but not the table's borders, so a mnemonic the
series documents in the same series must not be reported, and one it does not document must be."""

from __future__ import annotations

from patchcheck.intake import load_series
from patchcheck.rules.engine import verify_series
from patchcheck.rules.registry import registry_checkers
from tests.conftest import FIXTURES
from tests.intake.helpers import seed_mail


def pc401(source: str) -> list[str]:
    report = verify_series(load_series(source), None, checkers=registry_checkers())
    return [f.message for f in report.findings if f.rule_id == "PC401"]


def test_mnemonic_documented_by_the_series_is_not_reported() -> None:
    # The example's patch 2/2 adds `sc` to task_mmu.c and a `sc` row to proc.rst's VmFlags table.
    assert pc401(str(FIXTURES / "example" / "series.mbox")) == []


def test_mnemonic_the_series_does_not_document_is_reported() -> None:
    assert pc401(str(seed_mail())) == ['mnemonic "dp" of VM_DROPPABLE is added without a proc.rst line']
