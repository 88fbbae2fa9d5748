"""What a renderer is told besides the findings: the series it looked at and the rules that exist.

The caller (verify, audit) builds these; renderers only read them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from patchcheck.report.finding import Severity


@dataclass(frozen=True)
class PatchRef:
    """One patch of the series, so findings can name the patch that introduced them."""

    index: int  # the patch's number in its series ("3" of [PATCH 3/5]), as Finding.patch
    subject: str
    message_id: str | None = None


@dataclass(frozen=True)
class SeriesSummary:
    """The header of a report: plain lines for humans plus the patches for grouping."""

    lines: tuple[str, ...] = ()  # e.g. ("v16 of 'mm: add MAP_DROPPABLE', patch 1/5 (4 absent)", ...)
    patches: tuple[PatchRef, ...] = ()
    source: str | None = None  # what was read: a path, "-" for standard input
    total: int | None = None  # patches the series announces (5 for [PATCH 3/5]); default: len(patches)
    # The caller's structured summary (verify: version, parts, diffstat, ...), passed through to JSON as-is.
    data: dict[str, Any] | None = field(default=None, compare=False)

    def patch(self, index: int | None) -> PatchRef | None:
        if index is None:
            return None
        return next((p for p in self.patches if p.index == index), None)

    @property
    def series_total(self) -> int:
        return self.total if self.total is not None else len(self.patches)

    def patch_label(self, index: int) -> str:
        total = self.series_total
        ref = self.patch(index)
        head = f"patch {index}/{total}" if total else f"patch {index}"
        return f"{head}: {ref.subject}" if ref and ref.subject else head


class RuleInfo(Protocol):
    """A rule's catalogue entry as renderers need it (patchcheck.rules.base.RuleDoc satisfies this)."""

    @property
    def id(self) -> str: ...
    @property
    def name(self) -> str: ...
    @property
    def severity(self) -> Severity: ...
    @property
    def summary(self) -> str: ...
    @property
    def what(self) -> str: ...
    @property
    def why(self) -> str: ...
    @property
    def example(self) -> str: ...
    @property
    def fix(self) -> str: ...


Catalogue = Sequence[RuleInfo]
