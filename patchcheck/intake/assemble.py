"""Assembling a series from mail, following b4's conventions.

A non-reply message with a diff is a patch; counter 0 without a diff is the cover letter; a reply that
quotes a patch fills that patch's slot only when the patch itself is absent. Messages are de-duplicated by
Message-ID, and a slot sent twice is kept once with the repeat recorded (never silently overwritten, unlike
b4). The newest complete version is chosen unless one is asked for.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, replace

from patchcheck.errors import InputError
from patchcheck.intake.diff import Diffstat, parse_diff, split_body
from patchcheck.intake.inbody import in_body_headers
from patchcheck.intake.mail import Mail, read_source
from patchcheck.intake.patchid import patch_id
from patchcheck.intake.quote import recover_quoted_patch
from patchcheck.intake.series import CoverLetter, Duplicate, Patch, Series
from patchcheck.intake.subject import Subject, parse_subject
from patchcheck.intake.trailers import Trailer, message_trailers, reply_trailers

_INTERDIFF = re.compile(r"^(?:Interdiff|Range-diff)\b.*:\s*$", re.MULTILINE)
_BASE_COMMIT = re.compile(r"^base-commit:\s*([0-9a-f]{7,64})\s*$", re.MULTILINE)
_DIFFSTAT = re.compile(
    r"^\s*(\d{1,9}) files? changed(?:, (\d{1,9}) insertions?\(\+\))?(?:, (\d{1,9}) deletions?\(-\))?\s*$",
    re.MULTILINE,
)


@dataclass
class _Pool:
    """Everything found in the mail, before a version is chosen."""

    patches: dict[int, list[Patch]]
    quoted: dict[int, list[Patch]]
    # Unquoted patches in replies ("here is what I plan to queue"), in the order they came.
    carried: list[Patch]
    covers: dict[int, CoverLetter]
    replies: list[tuple[Mail, list[Trailer]]]
    notes: list[str]


def load_series(source: str, *, version: int | None = None) -> Series:
    """Read `source` (mbox/patch file, directory of .patch files, or "-") and assemble one series."""
    return assemble(read_source(source), source=source, version=version)


def assemble(mails: list[Mail], *, source: str, version: int | None = None) -> Series:
    pool = _collect(_unique(mails))
    if not pool.patches and not pool.quoted and pool.carried:
        return _carried_series(pool, source)
    revisions = sorted(set(pool.patches) | set(pool.quoted))
    if not revisions:
        raise InputError(_nothing_found(pool, source))
    pool.notes += [
        f"{p.origin}: a reply carries a patch ({p.title!r}); it is not part of the series, "
        "verify that message alone to check it"
        for p in pool.carried
    ]
    chosen, choice = _choose(pool, revisions, version, source)
    series = _build(pool, chosen, source)
    series.versions, series.version_choice = revisions, choice
    series.notes = pool.notes + series.notes
    return series


def _nothing_found(pool: _Pool, source: str) -> str:
    if pool.covers:
        cover = pool.covers[max(pool.covers)]
        return f"{source}: only a cover letter ({cover.subject.full!r}), no patch: give the patches too"
    return f"{source}: no patch found (no diff in any message, and none quoted)"


def _carried_series(pool: _Pool, source: str) -> Series:
    """Patches carried in replies, when the input holds nothing else: numbered in the order they came,
    unless their own in-body subjects number them."""
    patches = pool.carried
    if len(patches) > 1 and any(p.subject.counters_inferred for p in patches):
        patches = [replace(p, counter=n, expected=len(patches)) for n, p in enumerate(patches, start=1)]
    revision = max(p.revision for p in patches)
    series = Series(source, revision, _expected(patches), patches=[], notes=pool.notes)
    slots, series.duplicates = _slots([p for p in patches if p.revision == revision])
    series.patches = [slots[n] for n in sorted(slots) if n > 0]
    series.missing = [n for n in range(1, series.expected + 1) if n not in slots]
    series.base_commit = next((p.base_commit for p in series.patches if p.base_commit), None)
    series.versions, series.version_choice = [revision], "patch carried in a reply"
    return series


def _unique(mails: list[Mail]) -> list[Mail]:
    seen: set[str] = set()
    unique = []
    for mail in mails:
        if mail.message_id is not None:
            if mail.message_id in seen:
                continue
            seen.add(mail.message_id)
        unique.append(mail)
    return unique


def _collect(mails: list[Mail]) -> _Pool:
    pool = _Pool(defaultdict(list), defaultdict(list), [], {}, [], [])
    for mail in mails:
        subject = parse_subject(mail.subject)
        if subject.reply:
            carried = _patch(mail, subject, mail.body, reply=True)
            if carried is not None:
                pool.carried.append(carried)
            elif (quoted := recover_quoted_patch(mail.body)) is not None:
                patch = _patch(mail, subject, quoted.body, reconstructed=True)
                if patch is not None:
                    patch.notes.extend(quoted.problems)
                    pool.quoted[subject.revision].append(patch)
            pool.replies.append((mail, reply_trailers(mail.body, mail.message_id or mail.origin)))
            continue
        patch = _patch(mail, subject, mail.body)
        for attached in mail.attachments:
            if patch is None:
                # A diff sent as an attachment: the mail's own text is the commit message.
                patch = _patch(mail, subject, attached, message=mail.body)
        if patch is not None and subject.is_cover and _INTERDIFF.search(mail.body.split("diff --git", 1)[0]):
            patch = None  # format-patch --interdiff/--range-diff: the diff between versions, not a patch
        if patch is not None:
            pool.patches[subject.revision].append(patch)
            if subject.is_cover:
                # git am applies a diff it finds in the cover letter: so is it checked, as patch 0.
                pool.notes.append(
                    f"{mail.origin}: the cover letter [{' '.join(subject.prefixes)}] carries a "
                    "diff: checked as patch 0, applied before patch 1 as git am does"
                )
                pool.covers.setdefault(
                    subject.revision, CoverLetter(subject, mail.message_id, mail.author, mail.body)
                )
        elif subject.is_cover:
            cover = CoverLetter(subject, mail.message_id, mail.author, mail.body)
            pool.covers.setdefault(subject.revision, cover)
        elif subject.patch and not subject.counters_inferred:
            pool.notes.append(f"{mail.origin}: [{' '.join(subject.prefixes)}] message holds no diff")
    return pool


def _patch(
    mail: Mail,
    subject: Subject,
    text: str,
    *,
    reconstructed: bool = False,
    message: str | None = None,
    reply: bool = False,
) -> Patch | None:
    parts = split_body(text)
    if parts is None:
        return None
    diff = parse_diff(parts.diff)
    if not diff.files and not diff.unusable:
        return None
    notes = list(mail.notes)
    inbody = in_body_headers(parts.message, reply=reply)
    author, date = inbody.author or mail.author, inbody.date or mail.date
    if inbody.subject is not None:
        subject = parse_subject(inbody.subject)
    elif reply:
        subject = parse_subject(subject.title)  # "Re: [PATCH 3/7] x" answered with a patch: the patch is "x"
    if reply:
        notes.append(f"carried in a reply ({mail.subject!r})")
    claimed = _claimed_diffstat(parts.notes)
    if claimed is not None and claimed != diff.diffstat and not diff.unusable:
        notes.append(f"the mail's diffstat says {claimed}, the diff has {diff.diffstat}")
    base = _BASE_COMMIT.search(parts.tail) or _BASE_COMMIT.search(parts.notes)
    return Patch(
        counter=subject.counter,
        expected=subject.expected,
        subject=subject,
        message_id=mail.message_id,
        origin=mail.origin,
        author=author,
        date=date,
        message=inbody.message or (message or "").strip(),
        diff=diff,
        patch_id=patch_id(parts.diff),
        trailers=message_trailers(inbody.message),
        claimed_diffstat=claimed,
        base_commit=base.group(1) if base else None,
        reconstructed_from_quote=reconstructed,
        notes=notes,
        thread_parents=mail.thread_parents,
    )


def _claimed_diffstat(notes: str) -> Diffstat | None:
    match = _DIFFSTAT.search(notes)
    if match is None:
        return None
    return Diffstat(int(match.group(1)), int(match.group(2) or 0), int(match.group(3) or 0))


def _slots(patches: list[Patch]) -> tuple[dict[int, Patch], list[Duplicate]]:
    """One patch per counter; repeats are recorded as duplicates, the first one sent is kept."""
    distinct = _number_uncounted(patches)
    slots: dict[int, Patch] = {}
    duplicates = []
    for patch in distinct:
        kept = slots.get(patch.counter)
        if kept is None:
            slots[patch.counter] = patch
            continue
        same = kept.patch_id is not None and kept.patch_id == patch.patch_id
        duplicates.append(Duplicate(patch.counter, _name(kept), _name(patch), same))
    return slots, duplicates


def _number_uncounted(patches: list[Patch]) -> list[Patch]:
    """Several different patches without counters (a directory of `[PATCH]` files) are numbered in order."""
    if len(patches) < 2 or any(not p.subject.counters_inferred for p in patches):
        return patches
    ids: list[str | None] = []
    for patch in patches:
        if patch.patch_id is None or patch.patch_id not in ids:
            ids.append(patch.patch_id)
    if len(ids) < 2:
        return patches
    numbered: list[Patch] = []
    for patch in patches:
        position = ids.index(patch.patch_id) + 1 if patch.patch_id is not None else len(numbered) + 1
        numbered.append(replace(patch, counter=position, expected=len(ids)))
    return numbered


def _name(patch: Patch) -> str:
    return f"<{patch.message_id}>" if patch.message_id else patch.origin


def _expected(patches: list[Patch]) -> int:
    return max((p.expected for p in patches), default=1)


def _choose(pool: _Pool, revisions: list[int], version: int | None, source: str) -> tuple[int, str]:
    if version is not None:
        if version not in revisions:
            have = ", ".join(f"v{r}" for r in revisions)
            raise InputError(f"{source}: no v{version} of the series (found {have})")
        return version, "as requested"
    complete = [r for r in revisions if _build(pool, r, source).complete]
    if complete:
        return complete[-1], "newest complete version" if len(revisions) > 1 else "only version"
    return revisions[-1], "newest version; no version is complete"


def _build(pool: _Pool, revision: int, source: str) -> Series:
    slots, duplicates = _slots(pool.patches.get(revision, []))
    quoted, _ = _slots(pool.quoted.get(revision, []))
    everything = list(slots.values()) + list(quoted.values())
    expected = _expected(everything)
    for counter, patch in quoted.items():
        slots.setdefault(counter, patch)
    backfilled = _backfill(pool, revision, slots, expected)
    missing = [n for n in range(1, expected + 1) if n not in slots]
    patches = [slots[n] for n in sorted(slots)]  # a patch 0 is a cover letter that carries a diff
    cover = pool.covers.get(revision)
    _attach_review_trailers(pool, patches, cover)
    series = Series(
        source=source,
        revision=revision,
        expected=expected,
        patches=patches,
        cover=cover,
        missing=missing,
        duplicates=duplicates,
        backfilled=backfilled,
    )
    bases = [cover.body] if cover else []
    series.base_commit = next((p.base_commit for p in patches if p.base_commit), None)
    if series.base_commit is None:
        series.base_commit = next((m.group(1) for b in bases if (m := _BASE_COMMIT.search(b))), None)
    return series


def _backfill(pool: _Pool, revision: int, slots: dict[int, Patch], expected: int) -> list[int]:
    """A partial re-roll (v2 of one patch, in reply to v1) borrows the other slots from v1, as b4 does."""
    older = pool.patches.get(revision - 1)
    if not older or _expected(older) != expected or all(n in slots for n in range(1, expected + 1)):
        return []
    older_ids = {p.message_id for p in older if p.message_id}
    if revision - 1 in pool.covers and pool.covers[revision - 1].message_id:
        older_ids.add(pool.covers[revision - 1].message_id or "")
    replies_into_older = any(set(p.thread_parents) & older_ids for p in pool.patches.get(revision, []))
    if not replies_into_older:
        return []
    old_slots, _ = _slots(older)
    borrowed = [n for n in range(1, expected + 1) if n not in slots and n in old_slots]
    for n in borrowed:
        slots[n] = old_slots[n]
    return borrowed


def _attach_review_trailers(pool: _Pool, patches: list[Patch], cover: CoverLetter | None) -> None:
    """Trailers from replies: to a patch, to an identical patch (same patch-id) of an older version, as b4
    carries them forward, and to the cover letter, which count for every patch."""
    sent = {p.message_id: p for group in pool.patches.values() for p in group if p.message_id}
    for mail, trailers in pool.replies:
        if not trailers or mail.in_reply_to is None:
            continue
        if cover is not None and mail.in_reply_to == cover.message_id:
            targets = patches
        elif (replied := sent.get(mail.in_reply_to)) is not None:
            targets = [
                p
                for p in patches
                if p is replied
                or (
                    p.patch_id is not None
                    and p.patch_id == replied.patch_id
                    and p.revision >= replied.revision
                )
            ]
        else:
            continue
        for patch in targets:
            known = {str(t) for t in patch.trailers + patch.review_trailers}
            patch.review_trailers.extend(t for t in trailers if str(t) not in known)
