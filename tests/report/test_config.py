from __future__ import annotations

from pathlib import Path

import pytest

from patchcheck.cli.options import output_options
from patchcheck.config import Config, load_config
from patchcheck.errors import InputError
from patchcheck.report.policy import FailOn
from patchcheck.report.render import OutputFormat


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_found_upward_with_paths_relative_to_the_file(tmp_path: Path) -> None:
    cfg = write(
        tmp_path / "proj" / ".patchcheck.toml",
        'tree = "../linux"\nrules = ["packs"]\nfail-on = "warning"\ndisable = ["PC201"]\nformat = "terse"\n',
    )
    deep = tmp_path / "proj" / "a" / "b"
    deep.mkdir(parents=True)
    got = load_config(start=deep)
    assert got == Config(
        path=cfg,
        tree=tmp_path / "proj" / "../linux",
        rules=(tmp_path / "proj" / "packs",),
        fail_on=FailOn.WARNING,
        disable=("PC201",),
        format=OutputFormat.TERSE,
    )


def test_pyproject_tool_table_and_precedence(tmp_path: Path) -> None:
    write(tmp_path / "pyproject.toml", '[tool.patchcheck]\nfail-on = "warning"\n')
    write(tmp_path / "sub" / "pyproject.toml", '[project]\nname = "x"\n')  # no table: keep looking
    assert load_config(start=tmp_path / "sub").fail_on is FailOn.WARNING
    write(tmp_path / ".patchcheck.toml", 'fail-on = "error"\n')  # beats pyproject in the same directory
    assert load_config(start=tmp_path / "sub").fail_on is FailOn.ERROR


def test_no_file_gives_empty_settings(tmp_path: Path) -> None:
    assert load_config(start=tmp_path) == Config()


@pytest.mark.parametrize(
    ("text", "complaint"),
    [
        ("fail-on = 3\n", "'fail-on' must be a non-empty string"),
        ('fail-on = "sometimes"\n', "fail-on: 'sometimes' is not one of error, warning"),
        ('format = "xml"\n', "format: unknown format 'xml'"),
        ('colour = "red"\n', "unknown setting(s) colour"),
        ("disable = [1]\n", "'disable' must be a list of strings"),
        ("tree = \n", "not valid TOML"),
    ],
)
def test_bad_config_is_one_line_naming_the_file(tmp_path: Path, text: str, complaint: str) -> None:
    cfg = write(tmp_path / ".patchcheck.toml", text)
    with pytest.raises(InputError) as caught:
        load_config(start=tmp_path)
    assert str(cfg) in caught.value.message and complaint in caught.value.message
    assert "\n" not in caught.value.message


def test_explicit_config_must_exist_and_have_settings(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="does not exist"):
        load_config(tmp_path / "nope.toml")
    bare = write(tmp_path / "pyproject.toml", "[project]\n")
    with pytest.raises(InputError, match=r"no \[tool.patchcheck\]"):
        load_config(bare)


def test_command_line_wins_and_disable_adds(tmp_path: Path) -> None:
    cfg = write(tmp_path / ".patchcheck.toml", 'fail-on = "warning"\nformat = "json"\ndisable = ["A"]\n')
    from_file = output_options(config=cfg)
    assert (from_file.fail_on, from_file.format) == (FailOn.WARNING, OutputFormat.JSON)
    assert from_file.disable == ("A",)
    cli = output_options(config=cfg, fail_on="error", format="sarif", disable=["B"])
    assert (cli.fail_on, cli.format, cli.disable) == (FailOn.ERROR, OutputFormat.SARIF, ("A", "B"))
