"""Reading an outgoing message as verify reads it, and which commit of the repository it already is.

The message goes through the intake (MIME decoded: a base64 or quoted-printable patch is seen as the diff it
is), so a hook and `verify` never disagree on whether there is a patch, or what it says.

A developer usually sends (or `b4 prep --check`s) patches whose commits are already in the repository. A
patch is such a commit when git format-patch's `From <sha>` line names it, or when one of HEAD's recent
commits has the same subject; either way git's patch-id must confirm it.
"""

from __future__ import annotations

import re
from pathlib import Path

from patchcheck.errors import InputError
from patchcheck.intake.assemble import assemble
from patchcheck.intake.gitrepo import EMPTY_TREE, GitRepo
from patchcheck.intake.mail import mails_from_bytes
from patchcheck.intake.series import Patch
from patchcheck.intake.subject import parse_subject

__all__ = [
    "EMPTY_TREE",
    "bare_subject",
    "base_revision",
    "committed_as",
    "has_diff",
    "malformed_diff",
    "read_patch",
]

_FROM_LINE = re.compile(rb"\AFrom ([0-9a-f]{40}) ")


def read_patch(message: bytes, origin: str = "message") -> Patch | None:
    """The patch `message` carries, read by the intake; None for a cover letter or a message without a diff
    (a patch only quoted in a reply is not one being sent)."""
    try:
        series = assemble(mails_from_bytes(message, origin), source=origin)
    except InputError:
        return None
    return next((p for p in series.patches if not p.reconstructed_from_quote), None)


def has_diff(message: bytes) -> bool:
    """A cover letter or a reply carries no diff, and there is nothing to check in it."""
    return read_patch(message) is not None


def malformed_diff(message: bytes) -> str | None:
    """Why the message's diff cannot be read whole, or None. verify reports an unreadable part and goes on
    with the rest; a hook must not let such a patch through as checked."""
    patch = read_patch(message)
    if patch is None:
        return None
    return next((part.reason for part in patch.diff.unusable), None)


def bare_subject(message: bytes) -> str:
    """The subject without `[PATCH v2 1/3]`-style prefixes, as `git log --format=%s` shows it."""
    mails = mails_from_bytes(message, "message")
    return parse_subject(mails[0].subject).title if mails else ""


def committed_as(message: bytes, patch: Patch, repo: GitRepo) -> str | None:
    """The commit of `repo` whose change `patch` is, or None."""
    if patch.patch_id is None:
        return None
    named = _FROM_LINE.match(message)  # git format-patch's "From <commit> Mon Sep 17 ..." line
    return repo.commit_of_patch(patch.title, patch.patch_id, named=named.group(1).decode() if named else None)


def base_revision(message: bytes, repo: Path) -> str:
    """The revision to check `message` against: the parent of its commit, else HEAD."""
    patch = read_patch(message)
    git = GitRepo(repo)
    commit = committed_as(message, patch, git) if patch is not None else None
    return git.parent(commit) if commit is not None else "HEAD"
