"""How much input patchcheck reads: a cap on the bytes of mail, so that `/dev/zero` or a runaway pipe is one
clear error instead of an exhausted machine. The default is documented in docs/hardening.md; `verify
--max-input-size` or the environment variable PATCHCHECK_MAX_INPUT (which the hooks pass on) raises it.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import BinaryIO

from patchcheck.errors import InputError

DEFAULT_MAX_INPUT = 64 << 20  # 64 MiB: far above a real series (a large lore thread is a few MiB)
ENV_MAX_INPUT = "PATCHCHECK_MAX_INPUT"
_SIZE = re.compile(r"^\s*(\d{1,15})\s*([kmgt]?)(?:i?b)?\s*$", re.IGNORECASE)
_UNITS = {"": 1, "k": 1 << 10, "m": 1 << 20, "g": 1 << 30, "t": 1 << 40}
_chosen: list[int] = []


def parse_size(text: str, *, origin: str) -> int:
    """`64M`, `1G`, `500000` (bytes) -> bytes; anything else is a usage error naming `origin`."""
    match = _SIZE.match(text)
    if match is None or int(match.group(1)) == 0:
        raise InputError(f"{origin}: {text!r} is not a size such as 64M or 1G")
    return int(match.group(1)) * _UNITS[match.group(2).lower()]


def set_max_input(text: str) -> None:
    """The cap for this process (`verify --max-input-size`); it is also passed to the processes it runs."""
    size = parse_size(text, origin="--max-input-size")
    _chosen[:] = [size]
    os.environ[ENV_MAX_INPUT] = str(size)


def max_input() -> int:
    if _chosen:
        return _chosen[0]
    configured = os.environ.get(ENV_MAX_INPUT)
    return parse_size(configured, origin=ENV_MAX_INPUT) if configured else DEFAULT_MAX_INPUT


def _too_big(what: str, limit: int) -> InputError:
    return InputError(
        f"{what}: more than {_human(limit)} of input; raise the limit with --max-input-size "
        f"(or {ENV_MAX_INPUT})"
    )


def _human(size: int) -> str:
    for unit, factor in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if size >= factor and size % factor == 0:
            return f"{size // factor} {unit}"
    return f"{size} bytes"


def read_stream(stream: BinaryIO, what: str, *, budget: int | None = None) -> bytes:
    """All of `stream`, or InputError once it exceeds the cap (or the `budget` left of it)."""
    limit = max_input() if budget is None else budget
    data = stream.read(limit + 1)
    if len(data) > limit:
        raise _too_big(what, max_input())
    return data


def read_file(path: Path, *, budget: int | None = None) -> bytes:
    """A file's bytes within the cap; an unreadable file is an InputError naming it."""
    try:
        with path.open("rb") as fh:
            return read_stream(fh, str(path), budget=budget)
    except OSError as exc:
        raise InputError(f"{path}: cannot read: {exc.strerror or exc}") from exc
