"""`patchcheck audit --tree DIR [--flag VM_X] [--format text|json]`: every built-in rule (registry rules and
rule packs) on one tree."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Annotated

import typer

from patchcheck.errors import EXIT_CLEAN, EXIT_FINDINGS, InputError
from patchcheck.report.finding import Finding, Report, Severity
from patchcheck.rules.engine import audit as run_audit
from patchcheck.source.tree import DirectoryTree, GitRevisionTree, SourceTree

_FLAG = re.compile(r"VM_[A-Z0-9_]+")


def register(app: typer.Typer) -> None:
    @app.command("audit")
    def audit(
        tree: Annotated[Path, typer.Option("--tree", help="A kernel tree (directory or git work tree).")],
        rev: Annotated[str | None, typer.Option("--rev", help="Read the tree at this git revision.")] = None,
        flag: Annotated[list[str] | None, typer.Option("--flag", help="Only this flag (repeatable).")] = None,
        fmt: Annotated[str, typer.Option("--format", help="text or json.")] = "text",
        explain: Annotated[bool, typer.Option("--explain", help="Show each finding's evidence.")] = False,
    ) -> None:
        """Check that every VM_* flag's definition, smaps mnemonic, trace name, documentation and Kconfig
        symbols agree in every configuration, and that the semantic sites of the rule packs test them."""
        flag = flag or []
        if fmt not in ("text", "json"):
            raise InputError(f"--format: unknown format {fmt!r} (choose from text, json)")
        for name in flag:
            if not _FLAG.fullmatch(name):
                raise InputError(f"--flag: {name!r} is not a VM_* flag name")
        source: SourceTree = GitRevisionTree(tree, rev) if rev else DirectoryTree(tree)
        if source.read_bytes("include/linux/mm.h") is None:
            raise InputError(f"{source.label} has no include/linux/mm.h: not a kernel tree")
        if flag:  # before the audit runs: a typo costs no whole-tree run
            known = _known_flags(source)
            unknown = [f for f in flag if f not in known]
            if unknown:
                raise InputError(f"--flag: {', '.join(unknown)} is not defined in include/linux/mm.h")
        report = run_audit(source, flags=frozenset(flag) if flag else None)
        if fmt == "json":
            typer.echo(json.dumps(report_json(report), indent=2))
        else:
            typer.echo(report_text(report, explain=explain), nl=False)
        raise typer.Exit(exit_code(report))


def _known_flags(tree: SourceTree) -> set[str]:
    from patchcheck.model import load_flag_model

    return set(load_flag_model(tree).flags)


def exit_code(report: Report) -> int:
    failing = (Severity.ERROR, Severity.WARNING)
    return EXIT_FINDINGS if any(f.severity in failing for f in report.findings) else EXIT_CLEAN


def report_text(report: Report, *, explain: bool = False) -> str:
    lines = []
    for f in report.findings:
        where = (
            f"{f.location.path}:{f.location.line}"
            if f.location and f.location.line
            else (f.location.path if f.location else "(series)")
        )
        lines.append(f"{where}: {f.severity.value}: {f.message} [{f.rule_id}]")
        if explain:
            lines += [f"    {e}" for e in f.evidence]
            if f.hint:
                lines.append(f"    fix: {f.hint}")
    lines += [f"skipped: {s}" for s in report.skipped]
    if report.findings:
        counts: dict[str, int] = {}
        for f in report.findings:
            counts[f.severity.value] = counts.get(f.severity.value, 0) + 1
        lines.append(", ".join(f"{n} {sev}" for sev, n in counts.items()))
    return "".join(f"{line}\n" for line in lines)


def finding_json(f: Finding) -> dict[str, object]:
    return {
        "rule": f.rule_id,
        "severity": f.severity.value,
        "message": f.message,
        "path": f.location.path if f.location else None,
        "line": f.location.line if f.location else None,
        "flag": f.flag,
        "hint": f.hint,
        "evidence": list(f.evidence),
        "patch": f.patch,
    }


def report_json(report: Report) -> dict[str, object]:
    return {
        "findings": [finding_json(f) for f in report.findings],
        "skipped": report.skipped,
        "notes": report.notes,
    }
