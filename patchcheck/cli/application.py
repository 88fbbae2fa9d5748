"""The typer application: the global options and every command. `patchcheck.cli.main` loads it only when
the fast paths (`--version`, a help text already rendered) do not answer."""

from __future__ import annotations

import importlib
from typing import Any

import typer

from patchcheck import __version__
from patchcheck.cli.state import STATE

# Each command's module (patchcheck.cli.NAME), imported when the command is registered: a run of one imports
# none of the others (~8 ms of every start).
_COMMANDS = ("verify", "audit", "flags", "rules", "probe", "hook")


def _version(value: bool) -> None:
    if value:
        typer.echo(f"patchcheck {__version__}")
        raise typer.Exit(0)


def _global(
    debug: bool = typer.Option(False, "--debug", help="Show tracebacks for errors."),
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version."
    ),
) -> None:
    STATE.debug = debug


def make_app(only: str | None = None) -> typer.Typer:
    """The application; `only`: with that command alone, for a run of it (typer builds the options of every
    command it has on each run, a tenth of a second's startup for nine it does not run)."""
    made = typer.Typer(
        name="patchcheck",
        help="Check that a Linux VM_* flag is handled consistently at every site, statically and live.",
        no_args_is_help=True,
        add_completion=False,
        pretty_exceptions_enable=False,
        rich_markup_mode=None,  # plain help and usage errors, and no `rich` import on --help
        context_settings={"help_option_names": ["-h", "--help"]},
    )
    made.callback()(_global)
    for name in _COMMANDS:
        if only is None or only == name:
            importlib.import_module(f"patchcheck.cli.{name}").register(made)
    return made


def command_of(args: list[str]) -> str | None:
    """The command `args` run (their first argument that is no option), if it is one of ours: the global
    options take no value."""
    first = next((a for a in args if not a.startswith("-")), None)
    return first if first in _COMMANDS else None


def __getattr__(name: str) -> Any:
    """`app`, the whole application (for tests and tools), made when first asked for, and kept."""
    if name == "app":
        made = globals()["app"] = make_app()
        return made
    raise AttributeError(name)
