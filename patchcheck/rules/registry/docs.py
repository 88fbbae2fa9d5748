"""PC4xx: the VmFlags table of Documentation/filesystems/proc.rst (field guide R13-R14)."""

from __future__ import annotations

from collections.abc import Iterable

from patchcheck.report.finding import Finding, Location, Severity
from patchcheck.rules.base import CheckContext, RuleDoc
from patchcheck.rules.registry.common import PROC_RST, TASK_MMU, finding, registry, registry_reads
from patchcheck.rules.registry.smaps import smaps_entries

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
)
NARROW_BORDER = RuleDoc(
    id="PC403",
    name="vmflags-table-border",
    severity=Severity.WARNING,
    summary="The VmFlags table's border is narrower than a cell",
    what="In an RST simple table the `==` borders must be at least as wide as the longest entry of their "
    "column; checks both columns of the VmFlags table.",
    why="A cell wider than its border breaks the table when the documentation is built.",
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
        seen: set[str] = set()
        for e in entries:
            if not e.mnemonic or e.mnemonic in documented or e.mnemonic in seen:
                continue
            seen.add(e.mnemonic)
            if reg.wanted(ctx, e.flag):
                where = "proc.rst is not changed by the series" if doc is None else f"absent from {PROC_RST}"
                yield finding(
                    UNDOCUMENTED,
                    f'mnemonic "{e.mnemonic}" of {e.flag} is not documented in proc.rst',
                    Location(TASK_MMU, e.line),
                    e.flag,
                    (f'{TASK_MMU}:{e.line}: [{e.index}] = "{e.mnemonic}"', f'"{e.mnemonic}" {where}'),
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
            code_width, text_width = doc.border_widths
            wide = [c for c in doc.codes if len(c.code) > code_width or len(c.description) > text_width]
            if wide:
                longest = max(len(c.description) for c in doc.codes)
                yield finding(
                    NARROW_BORDER,
                    f"VmFlags table border ({code_width}/{text_width} wide) is narrower "
                    f"than {len(wide)} row(s); the longest description is {longest}",
                    Location(PROC_RST, doc.border_line),
                    None,
                    (
                        f"{PROC_RST}:{doc.border_line}: border widths {code_width} and {text_width}",
                        *(
                            f"{PROC_RST}:{c.line}: {c.code!r} ({len(c.code)}), {c.description!r} "
                            f"({len(c.description)})"
                            for c in wide
                        ),
                    ),
                )
