"""The shared options work through typer the way verify and audit will use them."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from patchcheck.cli.options import (
    ColorOption,
    ConfigOption,
    DisableOption,
    ExplainOption,
    FailOnOption,
    FormatOption,
    QuietOption,
    TerseOption,
    emit,
    output_options,
)
from patchcheck.errors import InputError
from patchcheck.report.finding import Report
from patchcheck.report.summary import SeriesSummary
from patchcheck.rules.base import RuleDoc


@pytest.fixture
def app(report: Report, summary: SeriesSummary, catalogue: tuple[RuleDoc, ...]) -> typer.Typer:
    app = typer.Typer()

    @app.command()
    def check(
        format: FormatOption = None,
        terse: TerseOption = False,
        quiet: QuietOption = False,
        fail_on: FailOnOption = None,
        disable: DisableOption = None,
        config: ConfigOption = None,
        color: ColorOption = "auto",
        explain: ExplainOption = False,
    ) -> None:
        opts = output_options(
            format=format,
            terse=terse,
            quiet=quiet,
            fail_on=fail_on,
            disable=disable,
            config=config,
            color=color,
        )
        raise typer.Exit(emit(report, opts, summary=summary, catalogue=catalogue, explain=explain))

    return app


def test_defaults_render_text_and_fail_on_the_error(app: typer.Typer) -> None:
    out = CliRunner().invoke(app, [])
    assert out.exit_code == 1
    assert "total: 1 error, 1 warning, 1 unresolved, 1 note" in out.output
    assert "\x1b[" not in out.output  # not a terminal


def test_disable_the_error_and_fail_on_warning(app: typer.Typer) -> None:
    out = CliRunner().invoke(app, ["--disable", "PC201", "--format", "json"])
    assert out.exit_code == 0
    assert [f["rule_id"] for f in json.loads(out.output)["findings"]] == ["PC998", "PC999", "PC301"]
    args = ["--disable", "smaps-guard-mismatch", "--fail-on", "warning", "-f", "terse"]
    out = CliRunner().invoke(app, args)
    assert out.exit_code == 1 and "[PC201]" not in out.output


def test_color_always_and_config_file(app: typer.Typer, tmp_path: Path) -> None:
    cfg = tmp_path / "pc.toml"
    cfg.write_text('format = "b4"\ndisable = ["proc-doc-missing"]\n')
    out = CliRunner().invoke(app, ["--config", str(cfg)])
    assert out.exception is None or isinstance(out.exception, SystemExit), out.exception
    assert "fs/proc/task_mmu.c:38: ERROR:" in out.output.splitlines()[1]
    assert "[PC301]" not in out.output and "[PC999]" in out.output
    coloured = CliRunner().invoke(app, ["--color", "always", "-q"])
    assert "\x1b[1;31merror\x1b[0m" in coloured.output


def test_explain_shows_evidence(app: typer.Typer) -> None:
    explained = CliRunner().invoke(app, ["--explain"]).output
    assert "evidence: definition: CONFIG_64BIT || CONFIG_PPC32" in explained
    assert "evidence:" not in CliRunner().invoke(app, []).output


def test_bad_values_are_input_errors(app: typer.Typer) -> None:
    for args in (
        ["--format", "xml"],
        ["--fail-on", "never"],
        ["--disable", "PC000"],
        ["--color", "red"],
        ["--terse", "--format", "json"],
    ):
        out = CliRunner().invoke(app, args)
        assert isinstance(out.exception, InputError), args


def test_terse_is_checkpatch_s_one_line_per_finding(app: typer.Typer) -> None:
    terse = CliRunner().invoke(app, ["--terse"])
    assert terse.exit_code == 1
    assert terse.output == CliRunner().invoke(app, ["--format", "terse"]).output
    assert terse.output == CliRunner().invoke(app, ["--terse", "-f", "terse"]).output
    lines = terse.output.splitlines()
    assert len(lines) == 4  # one per finding, and nothing else
    assert all(re.fullmatch(r"\S+: [A-Z]+: .+ \[PC\d{3}\]", line) for line in lines), lines
    assert "total:" not in terse.output
