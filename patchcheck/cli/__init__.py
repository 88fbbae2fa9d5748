"""The command line: a thin layer that parses options, calls the library and picks an exit status.

Exit statuses, fit for hooks: 0 clean, 1 findings (or a failed probe claim), 2 bad input or usage.
Each command module imports the layers it uses inside the command body, so that `--version`, `--help`
and every command load only what they use.
"""

from __future__ import annotations

import sys

import typer

from patchcheck import __version__
from patchcheck.cli import audit, flags, hook, probe, rules, verify
from patchcheck.cli.state import STATE
from patchcheck.errors import EXIT_USAGE, InputError

app = typer.Typer(
    name="patchcheck",
    help="Check that a Linux VM_* flag is handled consistently at every site, statically and live.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
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


def main(argv: list[str] | None = None) -> None:
    """Entry point: run the app and turn every error into one line and exit status 2.

    Commands end with `raise typer.Exit(code)`; typer itself reports usage errors with status 2.
    """
    args = sys.argv[1:] if argv is None else argv
    STATE.debug = "--debug" in args
    try:
        app(args=args, prog_name="patchcheck")
    except InputError as exc:
        if STATE.debug:
            import traceback  # only here: it costs a startup's worth of imports

            traceback.print_exc()
        print(f"patchcheck: error: {exc.message}", file=sys.stderr)
        for line in exc.details:
            print(f"  {line}", file=sys.stderr)
        sys.exit(EXIT_USAGE)
    except KeyboardInterrupt:
        sys.exit(130)
    except BrokenPipeError:
        sys.exit(1)
