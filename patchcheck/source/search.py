"""Which files below some directories of a tree mention some words, as whole words: one `grep -r`.

PC101 asks it (the files that use a flag, and those that define a name a series uses) and a kept audit asks
it again (patchcheck.source.journal): the same search giving the same files is what lets the audit's report
stand, where stamping every file below the directories took ~12,000 stats of a cold run.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterable
from pathlib import Path

from patchcheck.source.hashing import blake2b

# (words, directories, file suffixes): the directories as asked, those missing from the tree left out when run
Search = tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]


def command(words: Iterable[str], dirs: Iterable[str], suffixes: Iterable[str]) -> list[str]:
    """The grep listing the files (paths below the tree) ending in `suffixes` that hold one of `words`."""
    patterns = [arg for word in words for arg in ("-e", word)]
    return ["grep", "-rlwF", *(f"--include=*{s}" for s in suffixes), *patterns, "--", *dirs]


def start(
    root: Path, words: Iterable[str], dirs: Iterable[str], suffixes: Iterable[str]
) -> subprocess.Popen[bytes]:
    """The search running in the background (OSError when grep cannot be started)."""
    return subprocess.Popen(
        command(words, dirs, suffixes), cwd=root, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL
    )


def listing(process: subprocess.Popen[bytes], suffixes: tuple[str, ...]) -> tuple[set[str], bool]:
    """The files the search found, and whether it completed (grep says 0, found, or 1, none; anything else,
    an unreadable file say, is a search that may have missed some)."""
    out, _ = process.communicate()
    found = {path for path in out.decode("utf-8", "surrogateescape").splitlines() if path.endswith(suffixes)}
    return found, process.returncode in (0, 1)


def digest(found: Iterable[str]) -> str:
    """What a search found, in a few bytes: the same files give the same digest, in whatever order."""
    return blake2b("\0".join(sorted(found)).encode("utf-8", "surrogateescape"), digest_size=20).hexdigest()
