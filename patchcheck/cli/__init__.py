"""The command line: a thin layer that parses options, calls the library and picks an exit status.

Exit statuses, fit for hooks: 0 clean, 1 findings (or a failed probe claim), 2 bad input or usage,
3 internal error (see patchcheck.cli.contract).
Each command module imports the layers it uses inside the command body, so that `--version`, `--help`
and every command load only what they use; `--version` and a help text rendered before (patchcheck.cli.
helptext) do not even load typer. The application itself is in patchcheck.cli.application.
"""

from __future__ import annotations

import atexit
import gc
import os
import sys
from typing import Any, NoReturn

from patchcheck import __version__
from patchcheck.errors import EXIT_USAGE, InputError


def main(argv: list[str] | None = None) -> None:
    """Entry point: run the app and keep the exit contract (patchcheck.cli.contract, docs/hardening.md):
    0 clean, 1 findings, 2 bad input or usage, 3 internal error, each failure one line on standard error.
    Commands end with `raise typer.Exit(code)`."""
    args = sys.argv[1:] if argv is None else argv
    if args == ["--version"]:  # the floor of every command: no typer, no layer below
        print(f"patchcheck {__version__}")
        sys.exit(0)
    from patchcheck.cli import helptext

    # A run allocates millions of small objects (formulas, syntax nodes) and frees nearly all of them by
    # reference counting: the cyclic collector's passes find almost nothing. Its default of a pass every 700
    # allocations cost ~5% of a cold audit; one every 50,000 still ~60 ms of CPU (a pass over a forked
    # process's young objects also copies the pages they share). A pass now comes every 500,000 objects a
    # run keeps (a cold audit keeps ~180,000 in its larger process), so memory stays bounded.
    gc.set_threshold(500_000, 20, 20)
    helptext.answer(args)  # `CMD --help` from the text rendered last time, if nothing changed since
    from patchcheck.cli.state import STATE

    STATE.debug = "--debug" in args
    code = run(args)
    if argv is None:  # the program itself, not a caller of `main`
        _end(code)
    sys.exit(code)


def _end(code: int) -> NoReturn:
    """End the process with its output out: the exit handlers run, then the process ends without the
    interpreter's teardown, which frees every object a run made (~50 ms after a cold audit) for no one."""
    for stream in (sys.stdout, sys.stderr):
        try:
            if stream is not None:
                stream.flush()
        except Exception:  # `run` flushed standard output and said what went wrong
            pass
    atexit._run_exitfuncs()
    os._exit(code)


def run(args: list[str]) -> int:
    from patchcheck.cli import contract, helptext
    from patchcheck.cli.application import command_of, make_app

    app = make_app(command_of(args))
    contract.guard_stdout()
    contract.catch_sigterm()
    try:
        with helptext.recording(args):
            code = app(args=args, prog_name="patchcheck", standalone_mode=False)
    except InputError as exc:
        _traceback()
        status = contract.finish(EXIT_USAGE, exc.message)
        for line in exc.details if status == EXIT_USAGE else ():
            contract.say(f"  {line}")
        return status
    except contract.OutputError as exc:
        _traceback()
        return (
            contract.finish(contract.EXIT_READER_GONE)
            if exc.reader_gone
            else contract.finish(EXIT_USAGE, str(exc))
        )
    except KeyboardInterrupt:
        return contract.finish(130)
    except contract.Terminated:
        return contract.finish(128 + 15)
    except Exception as exc:  # typer's usage errors; anything else is a bug in patchcheck, said in one line
        if (usage := contract.usage_error(exc)) is not None:
            return contract.finish(EXIT_USAGE, usage)
        _traceback()
        if isinstance(exc, OSError) and (problem := contract.write_error(exc)) is not None:
            if contract.reader_gone(exc):
                return contract.finish(contract.EXIT_READER_GONE)
            return contract.finish(EXIT_USAGE, problem)
        return contract.finish(contract.EXIT_INTERNAL, contract.internal_error(exc), internal=True)
    return contract.finish(code if isinstance(code, int) else 0)


def _traceback() -> None:
    from patchcheck.cli.state import STATE

    if STATE.debug:
        import traceback  # only here: it costs a startup's worth of imports

        traceback.print_exc()


def __getattr__(name: str) -> Any:
    """`patchcheck.cli.app`, the typer application (.application), loads on first use, not on import."""
    if name == "app":
        from patchcheck.cli.application import app

        return app
    raise AttributeError(name)
