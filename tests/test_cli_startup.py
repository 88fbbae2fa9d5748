"""The command line loads only what a command uses: `--version` and `--help` stay cheap."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from patchcheck.cli.options import FORMAT_NAMES
from patchcheck.report.render import OutputFormat

HEAVY = (
    "patchcheck.rules.engine",
    "patchcheck.intake",
    "patchcheck.report.render",
    "patchcheck.hooks.checks",
    "patchcheck.model.load",
    "tree_sitter",
    "pydantic",
)


def loaded_after(code: str) -> set[str]:
    script = f"import sys\n{code}\nprint('\\n'.join(sys.modules))"
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True).stdout
    return set(out.split())


def test_importing_the_cli_loads_no_layer_below_it() -> None:
    assert not {name for name in HEAVY if name in loaded_after("import patchcheck.cli")}


def test_version_loads_no_layer_below_the_cli() -> None:
    code = "from patchcheck.cli import main\ntry:\n    main(['--version'])\nexcept SystemExit:\n    pass"
    assert not {name for name in HEAVY if name in loaded_after(code)}


def test_format_names_in_help_are_the_renderers_formats() -> None:
    assert tuple(f.value for f in OutputFormat) == FORMAT_NAMES


def test_version_loads_no_typer() -> None:
    code = "from patchcheck.cli import main\ntry:\n    main(['--version'])\nexcept SystemExit:\n    pass"
    assert "typer" not in loaded_after(code)


def test_help_is_kept_and_served_without_typer(tmp_path: Path) -> None:
    """The first `verify --help` renders with typer and keeps the text; the next one prints it unchanged
    without importing typer. With the cache off, typer renders every time."""
    env = {**os.environ, "PATCHCHECK_CACHE": str(tmp_path)}
    script = (
        "import sys\nfrom patchcheck.cli import main\ntry:\n    main(['verify', '--help'])\n"
        "except SystemExit:\n    pass\nprint('typer' in sys.modules, file=sys.stderr)"
    )

    def run(environ: dict[str, str]) -> tuple[str, str]:
        out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=environ)
        return out.stdout, out.stderr.strip()

    first, first_typer = run(env)
    second, second_typer = run(env)
    assert "Usage: patchcheck verify" in first and "--reroll-count" in first
    assert (first_typer, second_typer) == ("True", "False")
    assert second == first
    off, off_typer = run({**env, "PATCHCHECK_CACHE": "off"})
    assert off == first and off_typer == "True"


def test_a_run_builds_only_its_command_and_reads_as_the_whole_app() -> None:
    from typer.testing import CliRunner

    from patchcheck.cli.application import _COMMANDS, command_of, make_app

    assert command_of(["--debug", "audit", "--tree", "x"]) == "audit"
    assert command_of(["hook", "b4"]) == "hook"
    assert command_of(["--help"]) is None and command_of(["audti"]) is None and command_of([]) is None
    runner = CliRunner()
    whole = make_app()
    for name in _COMMANDS:
        alone = make_app(command_of([name]))
        assert len(alone.registered_commands) + len(alone.registered_groups) == 1
        for args in ([name, "--help"], [name, "--no-such-option"]):
            assert runner.invoke(alone, args).output == runner.invoke(whole, args).output, args


def test_the_checkers_are_built_before_the_fork_without_the_packs_judgement() -> None:
    """What judges C and reads packs is imported after the registry checkers' child has forked (the parent
    alone needs it, and the import overlaps the child's work)."""
    loaded = loaded_after("from patchcheck.rules.engine import builtin_checkers\nbuiltin_checkers()")
    assert "patchcheck.rules.packs.checker" in loaded
    late = {"patchcheck.rules.packs.judgement", "patchcheck.rules.packs.loader", "patchcheck.source.csrc"}
    assert not late & loaded


def test_the_command_line_ends_without_the_interpreter_teardown_once_output_is_out(tmp_path: Path) -> None:
    """A run leaves thousands of objects; freeing them at exit changes nothing a user sees. The exit handlers
    still run (an object that says so when it is freed does not: the teardown is skipped) and the whole
    output arrives, with the exit status."""
    script = (
        "import atexit, sys\n"
        "from patchcheck.cli import main\n"
        "class Freed:\n"
        "    def __del__(self):\n"
        "        print('freed', file=sys.stderr)\n"
        "kept = Freed()\n"
        "atexit.register(lambda: print('handler', file=sys.stderr))\n"
        "sys.argv = ['patchcheck', 'rules', '--format', 'json']\n"
        "main()\n"
    )
    env = {**os.environ, "PATCHCHECK_CACHE": str(tmp_path)}
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env)
    assert done.returncode == 0
    assert done.stdout.rstrip().endswith("]") and '"PC101"' in done.stdout
    assert done.stderr.split() == ["handler"]


def test_a_run_imports_only_the_module_of_its_command() -> None:
    others = {f"patchcheck.cli.{name}" for name in ("verify", "flags", "rules", "probe", "hook")}
    code = (
        "from patchcheck.cli.application import command_of, make_app\n"
        "make_app(command_of(['audit', '--tree', '.']))"
    )
    loaded = loaded_after(code)
    assert "patchcheck.cli.audit" in loaded and not others & loaded
