"""What each hook does with one message: pick the tree and revision, and run verify on it.

`settings` are verify options passed on as given (`--disable`, `--config`): verify resolves rule names
against its catalogue and reads the configuration file itself, so a hook and a verify run agree.
"""

from __future__ import annotations

import email
import email.policy
import json
import os
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from patchcheck.hooks.base import has_diff
from patchcheck.hooks.gitcmd import git, toplevel
from patchcheck.hooks.outgoing import outgoing
from patchcheck.hooks.runner import VerifyOutcome, run_verify
from patchcheck.intake.gitrepo import GitRepo


@dataclass(frozen=True)
class Target:
    tree: Path
    rev: str | None


def verify_settings(disable: Sequence[str] | None, config: Path | None) -> tuple[str, ...]:
    """The command-line settings a hook hands on to verify."""
    args = [arg for rule in disable or () for arg in ("--disable", rule)]
    if config is not None:
        args += ["--config", str(config.resolve())]
    return tuple(args)


def check_message(
    message: bytes, *, tree: Path | None, settings: Sequence[str] = (), source: Path | None = None
) -> VerifyOutcome | None:
    """The findings `verify` gives this message's patch, checked with the rest of its series when the
    series can be found (see patchcheck.hooks.outgoing). None when the message has no patch (a cover
    letter): there is nothing to check. An explicit tree is read as it stands; otherwise the repository
    the hook runs in, at the revision the series was written for."""
    repo = GitRepo(toplevel()) if tree is None else None
    found = outgoing(message, path=source, repo=repo)
    if found is None:
        return None
    if (problem := next((u.reason for u in found.patch.diff.unusable), None)) is not None:
        return VerifyOutcome(None, None, problem)
    target = (
        Target(tree.expanduser().resolve(), None)
        if tree is not None
        else Target(repo.root if repo is not None else toplevel(), found.rev)
    )
    outcome = run_verify(found.series, tree=target.tree, rev=target.rev, settings=settings)
    return only_patch(outcome, found.number, last=found.patch.expected) if found.whole else outcome


def only_patch(outcome: VerifyOutcome, number: int, *, last: int) -> VerifyOutcome:
    """The findings of patch `number`; findings of the series as a whole go with its last patch."""
    if outcome.report is None:
        return outcome
    mine = [f for f in outcome.report.findings if f.patch == number or (f.patch is None and number == last)]
    return replace(outcome, report=replace(outcome.report, findings=mine))


def b4_thread(cwd: Path | None = None) -> tuple[bytes, str] | None:
    """The series thread and its base commit that `b4 review` hands to check commands through
    B4_TRACKING_FILE (series.thread-blob, series.base-commit), or None when b4 gave none."""
    tracking_file = os.environ.get("B4_TRACKING_FILE")
    if not tracking_file:
        return None
    try:
        series = json.loads(Path(tracking_file).read_text("utf-8")).get("series", {})
    except (OSError, ValueError, AttributeError):
        return None
    blob, base = series.get("thread-blob"), series.get("base-commit")
    if not isinstance(blob, str) or not isinstance(base, str) or not blob or not base:
        return None
    shown = git(["cat-file", "blob", blob], cwd=cwd)
    return (shown.stdout, base) if shown.returncode == 0 and shown.stdout else None


def check_b4_series(
    message: bytes, *, tree: Path | None, settings: Sequence[str] = ()
) -> VerifyOutcome | None:
    """The whole series at its base commit when b4 provides the thread; else the message itself."""
    thread = b4_thread()
    if thread is None:
        return check_message(message, tree=tree, settings=settings)
    mbox, base = thread
    if tree is not None:
        return run_verify(mbox, tree=tree.expanduser().resolve(), rev=None, settings=settings)
    return run_verify(mbox, tree=toplevel(), rev=base, settings=settings)


def _message_id(message: bytes) -> str | None:
    parsed = email.message_from_bytes(message, policy=email.policy.default)
    value = str(parsed.get("message-id", "") or "").strip().strip("<>").strip()
    return value or None


def check_b4_review_patch(
    message: bytes, *, tree: Path | None, settings: Sequence[str] = ()
) -> VerifyOutcome | None:
    """One patch of a series b4 tracks: verify the whole thread at its base commit and keep what this patch
    introduced, so that patch k is checked on top of patches 1..k-1 whatever HEAD is. Without a tracked
    thread (or when the patch is not in it), check the message alone."""
    thread, msgid = b4_thread(), _message_id(message)
    if thread is None or msgid is None or tree is not None or not has_diff(message):
        return check_message(message, tree=tree, settings=settings)
    mbox, base = thread
    outcome = run_verify(mbox, tree=toplevel(), rev=base, settings=settings)
    if outcome.report is None or outcome.summary is None:
        return outcome
    number = next(
        (p.index for p in outcome.summary.patches if (p.message_id or "").strip("<>") == msgid), None
    )
    if number is None:
        return check_message(message, tree=tree, settings=settings)
    return only_patch(outcome, number, last=len(outcome.summary.patches))
