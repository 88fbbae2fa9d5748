"""The series model: version, patches with their diffs, and what is absent, duplicated or borrowed."""

from __future__ import annotations

from dataclasses import dataclass, field

from patchcheck.intake.diff import Diffstat, FilePatch, ParsedDiff
from patchcheck.intake.subject import Subject
from patchcheck.intake.trailers import Trailer


@dataclass
class Patch:
    """One patch of a series: where it came from, its commit message and its diff."""

    counter: int
    expected: int
    subject: Subject
    message_id: str | None
    origin: str
    author: str
    date: str
    message: str
    diff: ParsedDiff
    patch_id: str | None
    trailers: list[Trailer] = field(default_factory=list)
    review_trailers: list[Trailer] = field(default_factory=list)
    claimed_diffstat: Diffstat | None = None
    base_commit: str | None = None
    reconstructed_from_quote: bool = False
    notes: list[str] = field(default_factory=list)
    thread_parents: tuple[str, ...] = ()

    @property
    def revision(self) -> int:
        return self.subject.revision

    @property
    def title(self) -> str:
        return self.subject.title

    @property
    def label(self) -> str:
        return f"{self.counter}/{self.expected}"

    @property
    def files(self) -> tuple[FilePatch, ...]:
        return self.diff.files

    @property
    def diffstat(self) -> Diffstat:
        return self.diff.diffstat

    def describe(self) -> str:
        return f"patch {self.label} {self.title!r}" if self.title else f"patch {self.label}"


@dataclass(frozen=True)
class CoverLetter:
    subject: Subject
    message_id: str | None
    author: str
    body: str


@dataclass(frozen=True)
class Duplicate:
    """A slot sent more than once. Same content is harmless (RESEND); different content is a conflict."""

    counter: int
    kept: str
    other: str
    same_content: bool


@dataclass
class Series:
    source: str
    revision: int
    expected: int
    patches: list[Patch]
    cover: CoverLetter | None = None
    missing: list[int] = field(default_factory=list)
    duplicates: list[Duplicate] = field(default_factory=list)
    base_commit: str | None = None
    versions: list[int] = field(default_factory=list)
    version_choice: str = ""
    # Slots filled from the previous version because this one re-sent only some patches (partial re-roll).
    backfilled: list[int] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def complete(self) -> bool:
        return not self.missing

    @property
    def diffstat(self) -> Diffstat:
        files = {f.path for p in self.patches for f in p.files}
        return Diffstat(
            len(files),
            sum(p.diffstat.insertions for p in self.patches),
            sum(p.diffstat.deletions for p in self.patches),
        )

    @property
    def files(self) -> list[str]:
        seen: dict[str, None] = {}
        for patch in self.patches:
            for file in patch.files:
                seen.setdefault(file.path)
        return list(seen)

    def missing_summary(self) -> str | None:
        if not self.missing:
            return None
        slots = ", ".join(f"{n}/{self.expected}" for n in self.missing)
        return f"{len(self.missing)} of {self.expected} patches absent: {slots}"

    def strict_problems(self) -> list[str]:
        """What makes this series unfit for a hook that must see one whole, single-version series."""
        problems = []
        if summary := self.missing_summary():
            problems.append(summary)
        if self.backfilled:
            borrowed = ", ".join(f"{n}/{self.expected}" for n in self.backfilled)
            problems.append(f"mixed versions: {borrowed} taken from v{self.revision - 1}")
        for dup in self.duplicates:
            if not dup.same_content:
                problems.append(
                    f"patch {dup.counter}/{self.expected} sent twice with different content "
                    f"({dup.kept} and {dup.other})"
                )
        for patch in self.patches:
            for part in patch.diff.unusable:
                problems.append(f"{patch.describe()}: {part.what}: {part.reason}")
        return problems

    def corrupt_parts(self) -> list[str]:
        """The diffs of patches cut short (a hunk shorter than its header says): `git am` stops at such a
        patch. A patch rebuilt from a reply that quotes it, and a diff shown in a cover letter, are often
        trimmed: those are reported and skipped."""
        return [
            f"{patch.describe()}: {part.what}: {part.reason}"
            for patch in self.patches
            if not patch.reconstructed_from_quote and patch.counter != 0
            for part in patch.diff.unusable
            if part.corrupt
        ]

    def refused_parts(self) -> list[str]:
        """The parts whose path leads out of the tree (absolute, or with `..`): never applied anywhere."""
        return [
            f"{patch.describe()}: {part.reason}"
            for patch in self.patches
            for part in patch.diff.unusable
            if part.hostile
        ]
