"""The typer application: the global options and every command. `patchcheck.cli.main` loads it only when
the fast paths (`--version`, a help text already rendered) do not answer."""

from __future__ import annotations

import typer

from patchcheck import __version__
from patchcheck.cli import audit, flags, hook, probe, rules, verify
from patchcheck.cli.state import STATE

app = typer.Typer(
    name="patchcheck",
    help="Check that a Linux VM_* flag is handled consistently at every site, statically and live.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,  # plain help and usage errors, and no `rich` import on --help
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"patchcheck {__version__}")
        raise typer.Exit(0)


@app.callback()
def _global(
    debug: bool = typer.Option(False, "--debug", help="Show tracebacks for errors."),
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version."
    ),
) -> None:
    STATE.debug = debug


for module in (verify, audit, flags, rules, probe, hook):
    module.register(app)
