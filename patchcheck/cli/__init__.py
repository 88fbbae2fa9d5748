"""The command line: a thin layer that parses options, calls the library and picks an exit status.

Exit statuses, fit for hooks: 0 clean, 1 findings (or a failed probe claim), 2 bad input or usage.
Each command module imports the layers it uses inside the command body, so that `--version`, `--help`
and every command load only what they use.
"""

from __future__ import annotations

import sys
from typing import Any

from patchcheck import __version__
from patchcheck.errors import EXIT_USAGE, InputError


def main(argv: list[str] | None = None) -> None:
    """Entry point: run the app and turn every error into one line and exit status 2.

    Commands end with `raise typer.Exit(code)`; typer itself reports usage errors with status 2.
    """
    args = sys.argv[1:] if argv is None else argv
    if args == ["--version"]:  # the floor of every command: no typer, no layer below
        print(f"patchcheck {__version__}")
        sys.exit(0)
    from patchcheck.cli import helptext

    helptext.answer(args)  # `CMD --help` from the text rendered last time, if nothing changed since
    from patchcheck.cli.application import app
    from patchcheck.cli.state import STATE

    STATE.debug = "--debug" in args
    try:
        with helptext.recording(args):
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


def __getattr__(name: str) -> Any:
    """`patchcheck.cli.app`, the typer application (.application), loads on first use, not on import."""
    if name == "app":
        from patchcheck.cli.application import app

        return app
    raise AttributeError(name)
