"""The per-flag summary behind `patchcheck flags`: definitions, mnemonic, trace name, documentation."""

from __future__ import annotations

from typing import Any

from patchcheck.model.flags import FlagDef, Variant
from patchcheck.model.load import FlagModel
from patchcheck.source.facts import Answer, ConfigFacts
from patchcheck.source.guards import TRUE, render


def live_variants(flag: FlagDef, facts: ConfigFacts | None) -> list[Variant]:
    """The variants some configuration can reach (all of them without facts; "unresolved" ones are kept)."""
    if facts is None:
        return list(flag.variants)
    return [v for v in flag.variants if facts.satisfiable(v.guard) is not Answer.NO]


def flag_rows(
    model: FlagModel, facts: ConfigFacts | None, only: set[str] | None = None
) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for flag in model.real_flags():
        if only is not None and flag.name not in only:
            continue
        variants = live_variants(flag, facts)
        smaps = model.smaps_for(flag.name)
        mnemonics = {e.mnemonic for e in smaps if e.mnemonic}
        rows.append(
            {
                "name": flag.name,
                "definitions": [
                    {
                        "value": v.value.kind,
                        "bit": v.value.bit if v.value.kind == "bit" else None,
                        "via": list(v.value.via),
                        "text": v.value.describe(),
                        "guard": render(v.guard),
                        "line": v.line,
                    }
                    for v in variants
                ],
                "smaps": [
                    {"mnemonic": e.mnemonic, "guard": render(e.local_guard), "line": e.line} for e in smaps
                ],
                "trace": [
                    {"name": e.name, "guard": render(e.guard), "line": e.line, "wrapper": e.wrapper}
                    for e in model.trace_for(flag.name)
                ],
                "documented": (
                    all(model.documented(m) for m in mnemonics)
                    if mnemonics and model.doc is not None
                    else None
                ),
            }
        )
    return rows


def render_text(rows: list[dict[str, Any]], width: int | None = None) -> str:
    """One line per definition variant with the flag's registries beside it; when that is wider than
    `width` (the terminal), each flag gets a line of its registries and an indented line per variant, its
    guard wrapped to fit."""
    cells = [_cells(row) for row in rows]
    heads = ("FLAG", "BIT", "GUARD", "SMAPS", "TRACE", "DOC")
    widths = [
        max([len(heads[0]), *(len(c[0]) for c in cells)]),
        max(
            [len(heads[1]), *(len(bit) for c in cells for bit, _ in c[2])]
        ),  # every variant's bit, not the first's
    ]
    guard_w = max([len("GUARD"), *(len(g) for c in cells for _, g in c[2])])
    smaps_w = max([len("SMAPS"), *(len(c[3]) for c in cells)])
    trace_w = max([len("TRACE"), *(len(c[4]) for c in cells)])
    natural = widths[0] + widths[1] + guard_w + smaps_w + trace_w + 3 + 5
    if width is None or natural <= width:

        def line(*parts: str) -> str:
            return " ".join(parts).rstrip()

        out = [
            line(
                f"{'FLAG':<{widths[0]}}",
                f"{'BIT':<{widths[1]}}",
                f"{'GUARD':<{guard_w}}",
                f"{'SMAPS':<{smaps_w}}",
                f"{'TRACE':<{trace_w}}",
                "DOC",
            )
        ]
        for name, _, variants, smaps, trace, doc in cells:
            for i, (bit, guard) in enumerate(variants):
                if i == 0:
                    out.append(
                        line(
                            f"{name:<{widths[0]}}",
                            f"{bit:<{widths[1]}}",
                            f"{guard:<{guard_w}}",
                            f"{smaps:<{smaps_w}}",
                            f"{trace:<{trace_w}}",
                            doc,
                        )
                    )
                else:
                    out.append(line(f"{'':<{widths[0]}}", f"{bit:<{widths[1]}}", guard))
        return "\n".join(out)
    return _render_stacked(cells, width, widths[0], widths[1], smaps_w, trace_w)


_Cells = tuple[str, str, list[tuple[str, str]], str, str, str]


def _cells(row: dict[str, Any]) -> _Cells:
    # each name once: a flag may have an entry per guard (one for its VM_ARCH_1 alias), all in --format json
    smaps = ",".join(dict.fromkeys(e["mnemonic"] or '""' for e in row["smaps"])) or "-"
    trace = ",".join(dict.fromkeys(e["name"] for e in row["trace"])) or "-"
    doc = {True: "yes", False: "no", None: "-"}[row["documented"]]
    defs = row["definitions"] or [{"text": "(not defined)", "guard": render(TRUE)}]
    variants = [(d["text"], "always" if d["guard"] == "1" else d["guard"]) for d in defs]
    return row["name"], variants[0][0], variants, smaps, trace, doc


def _render_stacked(
    cells: list[_Cells], width: int, flag_w: int, bit_w: int, smaps_w: int, trace_w: int
) -> str:
    import textwrap

    flag_w = max(flag_w, bit_w + 2)
    out = [f"{'FLAG':<{flag_w}} {'SMAPS':<{smaps_w}} {'TRACE':<{trace_w}} DOC", f"{'  BIT':<{flag_w}} GUARD"]
    guard_w = max(20, width - flag_w - 1)
    for name, _, variants, smaps, trace, doc in cells:
        out.append(f"{name:<{flag_w}} {smaps:<{smaps_w}} {trace:<{trace_w}} {doc}")
        for bit, guard in variants:
            wrapped = textwrap.wrap(guard, guard_w, break_on_hyphens=False) or [""]
            out.append(f"{'  ' + bit:<{flag_w}} {wrapped[0]}")
            out.extend(f"{'':<{flag_w}} {more}" for more in wrapped[1:])
    return "\n".join(out)
