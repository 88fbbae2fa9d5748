"""Which revision of the repository an outgoing patch should be checked against.

A developer usually sends (or `b4 prep --check`s) patches whose commits are already in the repository, so
applying them to HEAD again would fail. When the patch is a commit of the repository (the commit named by
git format-patch's `From <sha>` line, or one of HEAD's recent commits with the same subject, confirmed by
`git patch-id`), it is checked against that commit's parent: exactly the tree the patch was written for,
earlier patches of the series included. Otherwise it is checked against HEAD, where it is about to be
applied.
"""

from __future__ import annotations

import email
import email.policy
import re
from pathlib import Path

from unidiff.errors import UnidiffParseError
from unidiff.patch import PatchSet

from patchcheck.hooks.gitcmd import git

EMPTY_TREE = "4b825dc642cb6eb9a060e54bf8d69288fbee4904"  # git's well-known empty tree, for a root commit
SEARCH_DEPTH = 2000  # commits of HEAD's history compared by subject before the patch-id confirms one

_FROM_LINE = re.compile(rb"\AFrom ([0-9a-f]{40}) ")
_PREFIX = re.compile(r"^\s*(?:(?:re|fwd?)\s*:\s*|\[[^\]]*\]\s*)+", re.IGNORECASE)
_DIFF = re.compile(rb"^(?:diff --git |--- \S.*\n\+\+\+ \S)", re.MULTILINE)
_DIFF_TEXT = re.compile(_DIFF.pattern.decode(), re.MULTILINE)


def has_diff(message: bytes) -> bool:
    """A cover letter or a reply carries no diff, and there is nothing to check in it."""
    return _DIFF.search(message) is not None


def malformed_diff(message: bytes) -> str | None:
    """Why the message's diff cannot be read whole, or None. verify reports an unreadable part and goes on
    with the rest; a hook must not let such a patch through as checked."""
    from patchcheck.intake.mail import decode_part

    parsed = email.message_from_bytes(message, policy=email.policy.default)
    for part in parsed.walk():
        if part.is_multipart():
            continue
        text = decode_part(part, [])
        start = _DIFF_TEXT.search(text)
        if start is None:
            continue
        try:
            PatchSet(text[start.start():])
        except (UnidiffParseError, ValueError, IndexError) as exc:
            return f"malformed diff: {exc}"
    return None


def bare_subject(message: bytes) -> str:
    """The subject without `[PATCH v2 1/3]`-style prefixes, as `git log --format=%s` shows it."""
    parsed = email.message_from_bytes(message, policy=email.policy.default)
    subject = str(parsed.get("subject", "") or "")
    return " ".join(_PREFIX.sub("", subject).split())


def _patch_id(diff_text: bytes, repo: Path) -> str | None:
    out = git(["patch-id", "--stable"], cwd=repo, stdin=diff_text)
    first = out.stdout.split(b" ", 1)[0].decode("ascii", "replace").strip()
    return first or None


def _commit_patch_id(commit: str, repo: Path) -> str | None:
    shown = git(["show", "--format=", "--no-color", "--no-ext-diff", commit], cwd=repo)
    return _patch_id(shown.stdout, repo) if shown.returncode == 0 else None


def _parent_of(commit: str, repo: Path) -> str:
    out = git(["rev-parse", "--verify", "--quiet", f"{commit}^"], cwd=repo)
    return out.stdout.decode().strip() if out.returncode == 0 else EMPTY_TREE


def base_revision(message: bytes, repo: Path) -> str:
    """The revision to check `message` against: the parent of its commit on HEAD, else HEAD."""
    wanted = _patch_id(message, repo)
    if wanted is None:
        return "HEAD"
    named = _FROM_LINE.match(message)  # git format-patch's "From <commit> Mon Sep 17 ..." line
    if named:
        commit = named.group(1).decode()
        if _commit_patch_id(commit, repo) == wanted:  # on any branch: the tree it was made from
            return _parent_of(commit, repo)
    subject = bare_subject(message)
    if subject:
        log = git(["log", f"-n{SEARCH_DEPTH}", "--no-merges", "--format=%H %s", "HEAD"], cwd=repo)
        for line in log.stdout.decode("utf-8", "replace").splitlines():
            commit, _, logged = line.partition(" ")
            if logged.strip() == subject and _commit_patch_id(commit, repo) == wanted:
                return _parent_of(commit, repo)
    return "HEAD"
