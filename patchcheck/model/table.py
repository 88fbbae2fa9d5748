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
        rows.append({
            "name": flag.name,
            "definitions": [{
                "value": v.value.kind,
                "bit": v.value.bit if v.value.kind == "bit" else None,
                "via": list(v.value.via),
                "text": v.value.describe(),
                "guard": render(v.guard),
                "line": v.line,
            } for v in variants],
            "smaps": [{"mnemonic": e.mnemonic, "guard": render(e.local_guard), "line": e.line}
                      for e in smaps],
            "trace": [{"name": e.name, "guard": render(e.guard), "line": e.line, "wrapper": e.wrapper}
                      for e in model.trace_for(flag.name)],
            "documented": (all(model.documented(m) for m in mnemonics) if mnemonics and model.doc is not None
                           else None),
        })
    return rows


def render_text(rows: list[dict[str, Any]]) -> str:
    lines = [f"{'FLAG':<22} {'BIT':<20} {'GUARD':<44} {'SMAPS':<8} {'TRACE':<14} DOC"]
    for row in rows:
        smaps = ",".join(e["mnemonic"] or '""' for e in row["smaps"]) or "-"
        trace = ",".join(e["name"] for e in row["trace"]) or "-"
        doc = {True: "yes", False: "no", None: "-"}[row["documented"]]
        defs = row["definitions"] or [{"text": "(not defined)", "guard": render(TRUE)}]
        for i, d in enumerate(defs):
            guard = "always" if d["guard"] == "1" else d["guard"]
            if i == 0:
                lines.append(f"{row['name']:<22} {d['text']:<20} {guard:<44} {smaps:<8} {trace:<14} {doc}")
            else:
                lines.append(f"{'':<22} {d['text']:<20} {guard}")
    return "\n".join(lines)
