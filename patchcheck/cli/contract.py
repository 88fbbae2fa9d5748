"""The exit contract every command keeps, whatever goes wrong (docs/hardening.md).

0 clean, 1 findings, 2 bad input or usage, 3 internal error. Bad input, usage errors and failures to write
the output are one line on standard error; an unexpected exception is one line `patchcheck: internal error:
...` (the traceback only with `--debug`). Standard output is wrapped so that a write error (a full disk, a
closed descriptor, a reader that went away) is told apart from any other `OSError`.
"""

from __future__ import annotations

import contextlib
import errno
import os
import signal
import sys
from typing import IO, Any, TextIO, cast

from patchcheck.errors import EXIT_INTERNAL

__all__ = [
    "EXIT_INTERNAL",
    "OutputError",
    "Terminated",
    "catch_sigterm",
    "finish",
    "guard_stdout",
    "usage_error",
]
_USAGE_HINT = "try 'patchcheck --help'"


class Terminated(BaseException):
    """SIGTERM, raised where the program is (a BaseException: no `except Exception` swallows it), so that
    every `finally` runs: temporary files are removed, a probe's cgroup and child are cleaned up."""


def _terminated(signum: int, frame: object) -> None:
    raise Terminated


def catch_sigterm() -> None:
    with contextlib.suppress(ValueError, OSError):  # not the main thread: leave the default
        signal.signal(signal.SIGTERM, _terminated)


class OutputError(Exception):
    """Standard output cannot be written; the message is one line. `reader_gone`: the reader closed the pipe
    (`patchcheck audit | head`), which is no one's error and is not said."""

    def __init__(self, message: str, *, reader_gone: bool = False) -> None:
        super().__init__(message)
        self.reader_gone = reader_gone


class _GuardedStream:
    """Standard output whose write errors become `OutputError` (other attributes pass through)."""

    def __init__(self, stream: TextIO | None) -> None:
        self._stream = stream

    def _fail(self, exc: OSError | None) -> OutputError:
        if exc is None:
            return OutputError("cannot write the output: standard output is closed")
        return OutputError(
            f"cannot write the output: {exc.strerror or exc}", reader_gone=exc.errno == errno.EPIPE
        )

    def write(self, text: str) -> int:
        if self._stream is None:
            raise self._fail(None)
        try:
            return self._stream.write(text)
        except OSError as exc:
            raise self._fail(exc) from exc

    def flush(self) -> None:
        if self._stream is None:
            return
        try:
            self._stream.flush()
        except OSError as exc:
            raise self._fail(exc) from exc

    def isatty(self) -> bool:
        return self._stream is not None and self._stream.isatty()

    def __getattr__(self, name: str) -> Any:
        if self._stream is None:
            raise AttributeError(name)
        return getattr(self._stream, name)


def guard_stdout() -> None:
    """Install the guarded standard output; lone surrogates (undecodable mail bytes) never fail a write."""
    stream = sys.stdout
    if stream is not None and hasattr(stream, "reconfigure"):
        with contextlib.suppress(OSError, ValueError):
            stream.reconfigure(errors="backslashreplace")
    if not isinstance(stream, _GuardedStream):
        sys.stdout = cast(TextIO, _GuardedStream(stream))


def _silence_stdout() -> None:
    """After a write error the interpreter must not try again at exit (it would print its own error)."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 1)
        os.close(devnull)
    except OSError:
        pass
    sys.stdout = cast(TextIO, _GuardedStream(None))


def usage_error(exc: BaseException) -> str | None:
    """typer's usage errors (unknown option, missing value, no such command) as one line, else None."""
    names = {cls.__name__ for cls in type(exc).__mro__}
    if "UsageError" not in names and "ClickException" not in names:
        return None
    if "NoArgsIsHelpError" in names:
        return "no command given; " + _USAGE_HINT
    message = " ".join(str(getattr(exc, "format_message", lambda: str(exc))()).split())
    ctx = getattr(exc, "ctx", None)
    path = getattr(ctx, "command_path", None) if ctx is not None else None
    hint = f"try '{path} --help'" if isinstance(path, str) and path else _USAGE_HINT
    if message[:1].isupper() and message[1:2].islower():  # "No such option" as patchcheck's own messages
        message = message[0].lower() + message[1:]
    return f"{message.rstrip('.')}; {hint}"


def internal_error(exc: BaseException) -> str:
    if isinstance(exc, MemoryError):
        return "out of memory"
    if isinstance(exc, RecursionError):
        return "input nested too deeply (recursion limit)"
    text = " ".join(str(exc).split())[:300]
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def write_error(exc: OSError) -> str | None:
    if exc.errno in (errno.EPIPE, errno.ENOSPC, errno.EBADF, errno.EIO, errno.EDQUOT):
        return f"cannot write the output: {exc.strerror or exc}"
    return None


# The reader of standard output went away (`patchcheck audit | head`): the status a process killed by
# SIGPIPE has (git's, under `set -o pipefail`), and nothing said: no error of anyone's.
EXIT_READER_GONE = 128 + 13


def reader_gone(exc: BaseException) -> bool:
    """The reader of standard output went away (EPIPE): the run ends quietly, as `git log | head` does."""
    if isinstance(exc, OutputError):
        return exc.reader_gone
    return isinstance(exc, OSError) and exc.errno == errno.EPIPE


def say(line: str) -> None:
    """One line on standard error; if even that fails there is nobody left to tell."""
    stderr: IO[str] | None = sys.stderr
    try:
        if stderr is not None:
            print(line, file=stderr, flush=True)
    except (OSError, ValueError):
        pass


def finish(code: int, message: str | None = None, *, internal: bool = False) -> int:
    """Flush the output and return the exit status; a write error turns any status into 2."""
    try:
        if sys.stdout is not None:
            sys.stdout.flush()
    except (OutputError, OSError) as exc:
        _silence_stdout()
        if not reader_gone(exc):
            say(f"patchcheck: error: {exc if isinstance(exc, OutputError) else write_error(exc) or exc}")
        return 2
    if message is not None:
        from patchcheck.report.text import one_line  # a message may quote input: one line, no escapes

        say(f"patchcheck: {'internal error' if internal else 'error'}: {one_line(message)}")
    return code
