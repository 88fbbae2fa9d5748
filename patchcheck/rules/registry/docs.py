"""PC4xx: the VmFlags table of Documentation/filesystems/proc.rst (field guide R13-R14)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

from patchcheck.model import DocTable
from patchcheck.report.finding import Finding, Location, Severity
from patchcheck.rules.base import CheckContext, RuleDoc
from patchcheck.rules.registry.common import PROC_RST, TASK_MMU, finding, registry, registry_reads
from patchcheck.rules.registry.smaps import smaps_entries
from patchcheck.source.tree import read_text

UNDOCUMENTED = RuleDoc(
    id="PC401",
    name="mnemonic-undocumented",
    severity=Severity.WARNING,
    summary="An smaps mnemonic is missing from the VmFlags table in proc.rst",
    what="Every non-empty mnemonic of show_smap_vma_flags() must appear in the two-letter code table of "
    "Documentation/filesystems/proc.rst. Without --tree (verify on the diffs alone) a mnemonic the "
    "series adds is reported when the series does not add it to proc.rst.",
    why="proc.rst is the user-space contract for VmFlags; it is historically the most often missed site "
    "(the comment above the table says so).",
    example='+\t\t[ilog2(VM_DROPPABLE)] = "dp",   /* and no `dp` line in proc.rst */',
    fix="Add a line `    xx    description` to the VmFlags table in Documentation/filesystems/proc.rst.",
    scope=("R13",),
    needs=(TASK_MMU, PROC_RST),
    diff_only=True,
    table=PROC_RST,
)
STALE = RuleDoc(
    id="PC402",
    name="mnemonic-documented-but-gone",
    severity=Severity.WARNING,
    summary="proc.rst documents a VmFlags code the kernel no longer prints",
    what="Every code in the VmFlags table of proc.rst must still be a mnemonic in show_smap_vma_flags().",
    why="Readers look for a flag that can never appear (and may take its code for another flag's).",
    example="    dw    disabled write to the mapped file   /* VM_DENYWRITE is long gone */",
    fix="Remove the line from the table.",
    scope=("R13",),
    needs=(TASK_MMU, PROC_RST),
    table=PROC_RST,
)
NARROW_BORDER = RuleDoc(
    id="PC403",
    name="vmflags-table-border",
    severity=Severity.WARNING,
    summary="The VmFlags table's border is narrower than a cell",
    what="In an RST simple table the `==` borders must be at least as wide as the longest entry of their "
    "column; checks both columns of the VmFlags table. A code wider than its column is a warning; a "
    "description past the last border is reported as info (cosmetic, R14).",
    why="A code wider than its border breaks the table when the documentation is built; a description "
    "past the last border renders (the rightmost column is unbounded) but reviewers ask for the border "
    "to cover it.",
    example="    ==    ====================\n    gu    maybe contains guard regions\n",
    fix="Widen the border lines (top and bottom) to the longest cell.",
    scope=("R14",),
    needs=(PROC_RST,),
)


class DocsChecker:
    rules = (UNDOCUMENTED, STALE, NARROW_BORDER)

    def reads(self, path: str) -> bool:
        return registry_reads(path)

    def run(self, ctx: CheckContext) -> Iterable[Finding]:
        reg = registry(ctx)
        entries = smaps_entries(ctx, reg) or []
        doc = reg.model.doc
        documented = {c.code for c in doc.codes} if doc is not None else set()
        if doc is None and not reg.diff_only:
            return  # proc.rst absent (or without the table): the engine reports the rule as skipped
        if doc is None:  # without a tree the hunks show table rows but not the table's borders
            documented = _codes_in_hunks(read_text(ctx.tree, PROC_RST) or "")
        seen: set[str] = set()
        for e in entries:
            if not e.mnemonic or e.mnemonic in documented or e.mnemonic in seen:
                continue
            seen.add(e.mnemonic)
            if reg.wanted(ctx, e.flag):
                if doc is None:  # without a tree: only the diffs are known, and none adds the code
                    where = "no patch present adds it to proc.rst"
                    message = f'mnemonic "{e.mnemonic}" of {e.flag} is added without a proc.rst line'
                else:
                    where = f"absent from {PROC_RST}"
                    message = f'mnemonic "{e.mnemonic}" of {e.flag} is not documented in proc.rst'
                yield finding(
                    UNDOCUMENTED,
                    message,
                    Location(TASK_MMU, e.line),
                    e.flag,
                    (f'{TASK_MMU}:{e.line}: [{e.index}] = "{e.mnemonic}"', f'"{e.mnemonic}": {where}'),
                    hint=f"Add a line `    {e.mnemonic}    <description>` to the VmFlags table in "
                    f"{PROC_RST}.",
                )
        if doc is None:
            return
        printed = {e.mnemonic: e for e in entries if e.mnemonic}
        for code in doc.codes:
            if code.code not in printed and ctx.flags is None:
                yield finding(
                    STALE,
                    f'proc.rst documents "{code.code}" ({code.description}), which '
                    "show_smap_vma_flags() no longer prints",
                    Location(PROC_RST, code.line),
                    None,
                    (
                        f"{PROC_RST}:{code.line}: {code.code}    {code.description}",
                        f"codes printed by {TASK_MMU}: {' '.join(sorted(printed))}",
                    ),
                )
        if doc.border_widths and ctx.flags is None:
            yield from _narrow_border(doc)


# A row of the VmFlags table as a hunk shows it: indented two-letter code, then its description.
_TABLE_ROW = re.compile(r"^\s+([a-z?]{2})\s{2,}\S")


def _codes_in_hunks(text: str) -> set[str]:
    """The codes of the VmFlags rows that the diffs show (context or added) in proc.rst."""
    return {m.group(1) for line in text.splitlines() if (m := _TABLE_ROW.match(line))}


def _narrow_border(doc: DocTable) -> Iterator[Finding]:
    """A code wider than its column breaks the table ("Text in column margin"); a description past the
    last column's border still renders (RST's rightmost column is unbounded), so that one is cosmetic."""
    code_width, text_width = doc.border_widths
    wide_codes = [c for c in doc.codes if len(c.code) > code_width]
    wide_texts = [c for c in doc.codes if len(c.description) > text_width]
    if not wide_codes and not wide_texts:
        return
    if wide_codes:
        message = (
            f"VmFlags table: {len(wide_codes)} code(s) wider than the {code_width}-column border "
            "break the table"
        )
    else:
        longest = max(wide_texts, key=lambda c: len(c.description))
        message = (
            f"VmFlags table border ({text_width} wide) is shorter than {len(wide_texts)} "
            f"description(s), the longest {len(longest.description)} ({longest.code!r}); "
            "cosmetic: the table still renders"
        )
    yield finding(
        NARROW_BORDER,
        message,
        Location(PROC_RST, doc.border_line),
        None,
        (
            f"{PROC_RST}:{doc.border_line}: border widths {code_width} and {text_width}",
            *(
                f"{PROC_RST}:{c.line}: {c.code!r} ({len(c.code)}), {c.description!r} ({len(c.description)})"
                for c in [*wide_codes, *(c for c in wide_texts if c not in wide_codes)]
            ),
        ),
        severity=None if wide_codes else Severity.INFO,
    )
