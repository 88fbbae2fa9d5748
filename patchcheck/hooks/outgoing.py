"""The series an outgoing patch belongs to, so that a hook gives the answer `verify` gives.

git send-email and b4 hand a hook one patch at a time. Checked alone, patch 1/2 of a series whose 2/2
completes it looks broken (a flag without its smaps mnemonic), while `verify` on the series reports the
bisection gap once. So a hook checks the whole series the patch belongs to and keeps this patch's findings:

- the sibling files git send-email is sending (the patch file's directory: same version, same count, the
  patch itself among them), or else
- the commits of the repository the series is (this patch confirmed by patch-id, the others the commits
  around it on HEAD's first-parent chain), or else
- the message alone.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from patchcheck.errors import InputError
from patchcheck.hooks.base import committed_as, read_patch
from patchcheck.intake.assemble import assemble
from patchcheck.intake.gitrepo import GitRepo
from patchcheck.intake.mail import PATCH_FILE_SUFFIXES, mails_from_bytes
from patchcheck.intake.series import Patch
from patchcheck.intake.subject import parse_subject

MAX_SIBLINGS = 500  # files of a directory read when looking for the rest of a series


@dataclass(frozen=True)
class Outgoing:
    """What to verify for one outgoing message, and which of its findings are the message's."""

    patch: Patch
    series: bytes  # an mbox: the message alone, or the whole series it belongs to
    number: int  # the patch's [PATCH k/n] counter: findings of patch k are this message's
    whole: bool  # True when `series` holds the whole series, not just the message
    rev: str | None  # the revision to verify at, when known (None: verify decides)
    how: str


def outgoing(message: bytes, *, path: Path | None, repo: GitRepo | None) -> Outgoing | None:
    """None when the message carries no patch (a cover letter)."""
    patch = read_patch(message)
    if patch is None:
        return None
    if patch.expected > 1 and path is not None and (siblings := _siblings(path, patch)) is not None:
        files, mbox = siblings
        first = read_patch(files[0].read_bytes()) if files else None
        base = None
        if repo is not None and first is not None:
            first_commit = committed_as(files[0].read_bytes(), first, repo)
            base = repo.parent(first_commit) if first_commit else None
        return Outgoing(patch, mbox, patch.counter, True, base, f"with its {len(files)} sibling files")
    commit = committed_as(message, patch, repo) if repo is not None else None
    if patch.expected > 1 and repo is not None and commit is not None:
        committed = _committed_series(patch, commit, repo)
        if committed is not None:
            base, mbox = committed
            return Outgoing(patch, mbox, patch.counter, True, base, "with the commits of its series")
    rev = repo.parent(commit) if repo is not None and commit is not None else None
    return Outgoing(patch, _as_mbox(message), patch.counter, False, rev, "alone")


def _as_mbox(message: bytes) -> bytes:
    if message.startswith(b"From "):
        return message if message.endswith(b"\n") else message + b"\n"
    ending = b"" if message.endswith(b"\n") else b"\n"
    return b"From patchcheck Thu Jan  1 00:00:00 1970\n" + message + ending


def _siblings(path: Path, patch: Patch) -> tuple[list[Path], bytes] | None:
    """The patch files beside `path` that make up `patch`'s whole series (cover letter first), or None."""
    try:
        names = sorted(
            p for p in path.parent.iterdir() if p.is_file() and p.suffix.lower() in PATCH_FILE_SUFFIXES
        )
    except OSError:
        return None
    chosen: list[Path] = []
    for name in names[:MAX_SIBLINGS]:
        try:
            data = name.read_bytes()
        except OSError:
            continue
        mails = mails_from_bytes(data, str(name))
        if len(mails) != 1:
            continue
        subject = parse_subject(mails[0].subject)
        if (
            not subject.reply
            and subject.revision == patch.revision
            and subject.expected == patch.expected
            and not subject.counters_inferred
        ):
            chosen.append(name)
    mbox = b"".join(_as_mbox(p.read_bytes()) for p in chosen)
    try:
        series = assemble(mails_from_bytes(mbox, "siblings"), source="siblings", version=patch.revision)
    except InputError:
        return None
    mine = next((p for p in series.patches if p.counter == patch.counter), None)
    if series.missing or series.duplicates or mine is None or mine.patch_id != patch.patch_id:
        return None
    patches = [p for p in chosen if read_patch(p.read_bytes()) is not None]
    return patches, mbox


def _committed_series(patch: Patch, commit: str, repo: GitRepo) -> tuple[str, bytes] | None:
    """(base, mbox) of the n commits around `commit` (patch k of n) on HEAD's first-parent chain."""
    earlier = repo.first_parents(commit, patch.counter)
    if len(earlier) != patch.counter:
        return None
    first = earlier[-1]
    later = repo.descendants(commit)[: patch.expected - patch.counter]
    if len(later) != patch.expected - patch.counter:
        return None
    top = later[-1] if later else commit
    base = repo.parent(first)
    mbox = repo.format_patch(base, top)
    return (base, mbox) if mbox is not None else None
