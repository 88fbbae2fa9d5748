"""`patchcheck [COMMAND [SUBCOMMAND]] --help` without loading typer, when nothing changed since last time.

typer's import alone costs several times an interpreter's start, for a text that only changes with the
command line's own code. The text typer printed is kept under the cache directory, keyed by patchcheck's
version, the interpreter, the size and time of every module of this package (so an edit renders it anew),
the words and the terminal width; `PATCHCHECK_CACHE=off` turns it off.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TextIO

from patchcheck import __version__

_HELP = ("--help", "-h")


def _path(args: list[str]) -> Path | None:
    if not args or args[-1] not in _HELP:
        return None
    words = args[:-1]
    if len(words) > 2 or any(not w.isidentifier() and not w.replace("-", "_").isidentifier() for w in words):
        return None
    root = os.environ.get("PATCHCHECK_CACHE") or str(Path.home() / ".cache" / "patchcheck")
    if root == "off":
        return None
    here = Path(__file__).resolve().parent
    try:
        stamps = [(p.name, p.stat().st_mtime_ns, p.stat().st_size) for p in sorted(here.glob("*.py"))]
        width = os.get_terminal_size(sys.stdout.fileno()).columns if sys.stdout.isatty() else None
    except (OSError, ValueError):
        return None
    columns = os.environ.get("COLUMNS", "")
    key = repr((__version__, sys.version, sys.executable, stamps, words, width, columns))
    import hashlib

    return Path(root) / "help" / hashlib.sha256(key.encode()).hexdigest()[:32]


def answer(args: list[str]) -> None:
    """Print the kept help text and exit 0, if there is one for these words; otherwise return."""
    path = _path(args)
    if path is None:
        return
    try:
        text = path.read_text("utf-8")
    except (OSError, UnicodeDecodeError):
        return
    try:
        sys.stdout.write(text)
        sys.stdout.flush()
    except OSError:
        sys.exit(2)
    sys.exit(0)


class _Tee:
    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.parts: list[str] = []

    def write(self, text: str | bytes) -> int:
        if isinstance(text, bytes):  # click may hand the encoded text
            self.parts.append(text.decode("utf-8", "replace"))
            self.stream.flush()
            return self.stream.buffer.write(text)
        self.parts.append(text)
        return self.stream.write(text)

    def __getattr__(self, name: str) -> object:
        return getattr(self.stream, name)


@contextmanager
def recording(args: list[str]) -> Iterator[None]:
    """Keep what a successful help request printed, for `answer` next time."""
    path = _path(args)
    if path is None:
        yield
        return
    real = sys.stdout
    tee = _Tee(real)
    sys.stdout = tee
    try:
        yield
    except SystemExit as done:
        sys.stdout = real
        if done.code in (0, None) and tee.parts:
            _keep(path, "".join(tee.parts))
        raise
    else:  # typer run with standalone_mode=False returns after printing the help
        sys.stdout = real
        if tee.parts:
            _keep(path, "".join(tee.parts))
    finally:
        sys.stdout = real


def _keep(path: Path, text: str) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{os.getpid()}")
        tmp.write_text(text, "utf-8")
        tmp.replace(path)
    except OSError:
        pass
