"""`patchcheck hook`: install the git send-email hook, and the commands git and b4 call on each patch."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from patchcheck.cli.options import ConfigOption, DisableOption, FailOnOption, output_options
from patchcheck.errors import EXIT_CLEAN, EXIT_USAGE, InputError

# The hook machinery and the reporters load inside each command: other commands and --help skip them.

hook_app = typer.Typer(
    name="hook",
    help="Pre-submit hooks: git send-email's sendemail-validate, and b4's check commands.",
    no_args_is_help=True,
    rich_markup_mode=None,
)

TreeOption = Annotated[
    Path | None,
    typer.Option(
        "--tree",
        help="Check against this tree as it stands, not the repository's own history.",
        metavar="DIR",
    ),
]

TimeoutOption = Annotated[
    str,
    typer.Option(
        "--timeout",
        help="Seconds the check may take; past them the patch is blocked (default 60).",
        metavar="SECONDS",
    ),
]


def _time_limit(value: str) -> None:
    """Give the hook its time budget; a limit that is not a positive number of seconds is a usage error."""
    import math

    from patchcheck.hooks.runner import set_time_limit

    try:
        seconds = float(value)
    except ValueError:
        seconds = math.nan
    if not (math.isfinite(seconds) and seconds > 0):
        raise InputError(f"--timeout: {value!r} is not a positive number of seconds")
    set_time_limit(seconds)


@hook_app.command("install")
def install_(
    tree: TreeOption = None,
    force: Annotated[bool, typer.Option("--force", help="Replace a foreign hook.")] = False,
    chain: Annotated[bool, typer.Option("--chain", help="Keep an existing hook and run it first.")] = False,
) -> None:
    """Install a sendemail-validate hook in this repository (core.hooksPath respected)."""
    from patchcheck.hooks import install as installer

    result = installer.install(tree=tree, force=force, chain=chain)
    typer.echo(f"installed {result.path}")
    if result.chained:
        typer.echo(f"chained to the existing hook, now {result.chained}")
    if result.replaced_foreign:
        typer.echo("replaced a hook that patchcheck had not installed", err=True)
    raise typer.Exit(EXIT_CLEAN)


@hook_app.command("uninstall")
def uninstall_() -> None:
    """Remove the hook patchcheck installed (putting back a chained one); leave any other hook alone."""
    from patchcheck.hooks import install as installer

    removed = installer.uninstall()
    typer.echo(f"removed {removed}" if removed else "no sendemail-validate hook installed")
    raise typer.Exit(EXIT_CLEAN)


@hook_app.command("sendemail-validate")
def sendemail_validate(
    patch: Annotated[Path, typer.Argument(help="The message git send-email is about to send.")],
    extra: Annotated[
        list[str] | None, typer.Argument(help="Ignored: the SMTP headers file (git >= 2.42).")
    ] = None,
    tree: TreeOption = None,
    fail_on: FailOnOption = None,
    disable: DisableOption = None,
    config: ConfigOption = None,
    timeout: TimeoutOption = "60",
) -> None:
    """What the installed hook runs: exit 0 lets git send the patch, anything else stops it."""
    from patchcheck.hooks.checks import check_message, verify_settings
    from patchcheck.intake.limits import read_stream
    from patchcheck.report.policy import exit_status, failing
    from patchcheck.report.style import Painter, colour_enabled
    from patchcheck.report.text import render_text

    opts = output_options(fail_on=fail_on, disable=disable, config=config, quiet=True)
    _time_limit(timeout)
    try:
        with patch.open("rb") as fh:
            message = read_stream(fh, str(patch))
    except OSError as exc:
        typer.echo(f"patchcheck: cannot read {patch}: {exc.strerror or exc}", err=True)
        raise typer.Exit(EXIT_USAGE) from None
    outcome = check_message(
        message, tree=tree, settings=verify_settings(disable, config), source=patch.resolve()
    )
    if outcome is None:
        raise typer.Exit(EXIT_CLEAN)
    if outcome.report is None:
        typer.echo(f"patchcheck: {patch.name}: not checked, so not sent: {outcome.error}", err=True)
        raise typer.Exit(EXIT_USAGE)
    painter = Painter(colour_enabled(sys.stderr, opts.color))
    render_text(outcome.report, sys.stderr, summary=outcome.summary, painter=painter, quiet=True)
    status = exit_status(outcome.report, opts.fail_on)
    if status:
        count = failing(outcome.report, opts.fail_on)
        typer.echo(
            f"patchcheck: {patch.name}: {count} finding(s) at or above {opts.fail_on.value}; not sending",
            err=True,
        )
    raise typer.Exit(status)


@hook_app.command("b4")
def b4_check(
    tree: TreeOption = None,
    fail_on: FailOnOption = None,
    disable: DisableOption = None,
    config: ConfigOption = None,
    timeout: TimeoutOption = "60",
) -> None:
    """For b4.prep-perpatch-check-cmd / b4.am-perpatch-check-cmd: one patch on standard input; prints
    nothing when clean, one line per finding (ERROR: in the lines that fail) otherwise."""
    from patchcheck.hooks.checks import check_message, verify_settings
    from patchcheck.intake.limits import read_stream
    from patchcheck.report.policy import exit_status
    from patchcheck.report.text import render_b4_check

    opts = output_options(fail_on=fail_on, disable=disable, config=config, quiet=True)
    _time_limit(timeout)
    outcome = check_message(
        read_stream(sys.stdin.buffer, "<stdin>"), tree=tree, settings=verify_settings(disable, config)
    )
    if outcome is None:
        raise typer.Exit(EXIT_CLEAN)
    if outcome.blocks:  # an internal error, a time-out, input that cannot be read: never a pass
        typer.echo(f"ERROR: not checked: {outcome.error}")
        raise typer.Exit(EXIT_USAGE)
    if outcome.report is None:
        # Not a finding about the patch (b4 am runs checks wherever HEAD is): a warning, not a failure.
        typer.echo(f"WARNING: not checked: {outcome.error}")
        raise typer.Exit(EXIT_CLEAN)
    render_b4_check(outcome.report, sys.stdout, fail_on=opts.fail_on)
    raise typer.Exit(exit_status(outcome.report, opts.fail_on))


@hook_app.command("b4-review")
def b4_review(
    series: Annotated[bool, typer.Option("--series", help="For b4.review-series-check-cmd.")] = False,
    tree: TreeOption = None,
    fail_on: FailOnOption = None,
    disable: DisableOption = None,
    config: ConfigOption = None,
    timeout: TimeoutOption = "60",
) -> None:
    """For b4.review-perpatch-check-cmd and (with --series) b4.review-series-check-cmd: prints b4's review
    JSON (tool, status pass/warn/fail, summary, url, details)."""
    from patchcheck.hooks.checks import check_b4_review_patch, check_b4_series, verify_settings
    from patchcheck.intake.limits import read_stream
    from patchcheck.report.b4 import review_entry, review_error_entry

    opts = output_options(fail_on=fail_on, disable=disable, config=config, quiet=True)
    _time_limit(timeout)
    message, settings = read_stream(sys.stdin.buffer, "<stdin>"), verify_settings(disable, config)
    if series:
        outcome = check_b4_series(message, tree=tree, settings=settings)
    else:
        outcome = check_b4_review_patch(message, tree=tree, settings=settings)
    if outcome is None:
        entry = review_error_entry("nothing to check: no diff in this message", status="pass")
    elif outcome.report is None:
        blocked = outcome.blocks
        entry = review_error_entry(f"not checked: {outcome.error}", status="fail" if blocked else "warn")
    else:
        entry = review_entry(outcome.report, fail_on=opts.fail_on)
    typer.echo(json.dumps([entry]))
    raise typer.Exit(EXIT_CLEAN)


def register(app: typer.Typer) -> None:
    app.add_typer(hook_app, name="hook")
