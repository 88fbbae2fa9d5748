"""The diff model: files, hunks and diffstat of one patch, parsed with unidiff plus git's extended headers.

`split_body` cuts a patch mail body into commit message, diff and what follows (base-commit, signature),
walking the hunks by their header counts so that nothing after the diff is taken for a hunk line.
`parse_diff` turns the diff into `FilePatch` records; a part it cannot use (malformed, or a hostile path) is
reported in `ParsedDiff.unusable` and skipped, never raised.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal

from unidiff.errors import UnidiffParseError
from unidiff.patch import PatchSet

from patchcheck.errors import InputError
from patchcheck.source.tree import safe_relpath

HunkLineKind = Literal[" ", "-", "+"]
FileStatus = Literal["modified", "added", "deleted", "renamed", "copied"]

# Line numbers and counts have at most 9 digits: a longer number is not a hunk header (nor a crash in int()).
HUNK_HEADER = re.compile(r"^@@ -(\d{1,9})(?:,(\d{1,9}))? \+(\d{1,9})(?:,(\d{1,9}))? @@ ?(.*)$")
_GIT_HEADER_PREFIXES = (
    "diff --git ",
    "index ",
    "old mode ",
    "new mode ",
    "deleted file mode ",
    "new file mode ",
    "similarity index ",
    "dissimilarity index ",
    "rename from ",
    "rename to ",
    "copy from ",
    "copy to ",
    "--- ",
    "+++ ",
    "Binary files ",
    "diff -",
    "Index: ",
    "=" * 67,
)
_BINARY_DATA = re.compile(r"^(?:(?:literal|delta) \d+|[A-Za-z][0-9A-Za-z!#$%&()*+;<=>?@^_`{|}~-]*|)$")
_DIFF_START = re.compile(r"^(?:diff --git \S|--- \S)")
_INDEX = re.compile(r"^([0-9a-f]{4,64})\.\.([0-9a-f]{4,64})(?:\s|$)")


@dataclass(frozen=True)
class HunkLine:
    kind: HunkLineKind
    text: str  # without the newline


@dataclass(frozen=True)
class Hunk:
    old_start: int
    old_count: int
    new_start: int
    new_count: int
    section: str
    lines: tuple[HunkLine, ...]
    old_ends_without_newline: bool = False
    new_ends_without_newline: bool = False

    @property
    def header(self) -> str:
        return f"@@ -{self.old_start},{self.old_count} +{self.new_start},{self.new_count} @@"

    @property
    def preimage(self) -> list[str]:
        return [line.text for line in self.lines if line.kind != "+"]

    @property
    def postimage(self) -> list[str]:
        return [line.text for line in self.lines if line.kind != "-"]


@dataclass(frozen=True)
class FilePatch:
    """One file's part of a diff. `old_path` is None for a new file, `new_path` None for a deleted one."""

    old_path: str | None
    new_path: str | None
    status: FileStatus
    hunks: tuple[Hunk, ...] = ()
    binary: bool = False
    old_mode: str | None = None
    new_mode: str | None = None
    # The blob ids of git's `index OLD..NEW` line (abbreviated as the diff has them), when it has one.
    old_blob: str | None = None
    new_blob: str | None = None
    # For a diff read as -p0 (`--- linux/mm/f.c` / `+++ linux/mm/f.c`): the path one level stripped, which
    # the tree decides between (patchcheck.intake.resolve.fit_strip_level).
    p1_path: str | None = None

    @property
    def path(self) -> str:
        path = self.new_path or self.old_path
        assert path is not None  # parse_diff never builds a file patch without a path
        return path

    @property
    def added(self) -> int:
        return sum(1 for hunk in self.hunks for line in hunk.lines if line.kind == "+")

    @property
    def removed(self) -> int:
        return sum(1 for hunk in self.hunks for line in hunk.lines if line.kind == "-")


@dataclass(frozen=True)
class UnusablePart:
    """A part of a diff that is reported and skipped. `hostile` parts (escaping paths) stop application."""

    what: str
    reason: str
    hostile: bool = False
    corrupt: bool = False  # a hunk shorter than its header says: `git apply` refuses the patch as corrupt


@dataclass(frozen=True)
class Diffstat:
    files: int
    insertions: int
    deletions: int

    def __str__(self) -> str:
        return (
            f"{self.files} file{'s' if self.files != 1 else ''} changed, "
            f"{self.insertions} insertion{'s' if self.insertions != 1 else ''}(+), "
            f"{self.deletions} deletion{'s' if self.deletions != 1 else ''}(-)"
        )


@dataclass(frozen=True)
class ParsedDiff:
    text: str
    files: tuple[FilePatch, ...] = ()
    unusable: tuple[UnusablePart, ...] = field(default=())

    @property
    def diffstat(self) -> Diffstat:
        return Diffstat(len(self.files), sum(f.added for f in self.files), sum(f.removed for f in self.files))


@dataclass(frozen=True)
class BodyParts:
    """A patch mail body cut at the diff: commit message, notes under `---` (diffstat), diff, tail."""

    message: str
    notes: str
    diff: str
    tail: str


def split_body(body: str) -> BodyParts | None:
    """Cut `body` around its diff, or None when it holds none."""
    lines = body.replace("\r\n", "\n").split("\n")
    start = next((i for i, line in enumerate(lines) if _is_diff_start(lines, i)), None)
    if start is None:
        return None
    end = _diff_end(lines, start)
    before = lines[:start]
    separator = next((i for i, line in enumerate(before) if line.rstrip() == "---"), len(before))
    return BodyParts(
        message="\n".join(before[:separator]).strip("\n"),
        notes="\n".join(before[separator + 1 :]).strip("\n"),
        diff="\n".join(lines[start:end]) + "\n",
        tail="\n".join(lines[end:]),
    )


def _is_diff_start(lines: list[str], index: int) -> bool:
    """`diff --git`; a `---`/`+++`/`@@` triple (quilt, GNU diff, -p0); or the `diff -u ...` or `Index:` line
    (quilt, svn) a few lines before such a triple."""
    line = lines[index]
    if line.startswith("diff --git "):
        return True
    if line.startswith(("diff -", "Index: ")):
        return any(_is_file_header(lines, i) for i in range(index + 1, min(index + 4, len(lines))))
    return _is_file_header(lines, index)


def _is_file_header(lines: list[str], index: int) -> bool:
    return (
        lines[index].startswith("--- ")
        and index + 2 < len(lines)
        and lines[index + 1].startswith("+++ ")
        and lines[index + 2].startswith("@@ -")
    )


def _diff_end(lines: list[str], start: int) -> int:
    """Index of the first line after the diff that starts at `start`."""
    index = start
    in_binary = False
    while index < len(lines):
        line = lines[index]
        header = HUNK_HEADER.match(line)
        if header:
            old_left = int(header.group(2) or "1")
            new_left = int(header.group(4) or "1")
            index += 1
            while index < len(lines) and (old_left > 0 or new_left > 0):
                kind = lines[index][:1]
                if kind in (" ", ""):
                    old_left, new_left = old_left - 1, new_left - 1
                elif kind == "-":
                    old_left -= 1
                elif kind == "+":
                    new_left -= 1
                elif kind != "\\":
                    break
                index += 1
            while index < len(lines) and lines[index].startswith("\\ "):
                index += 1
            in_binary = False
            continue
        if line.startswith("GIT binary patch"):
            in_binary = True
        elif line.startswith("diff --git "):
            in_binary = False
        elif not (line.startswith(_GIT_HEADER_PREFIXES) or (in_binary and _BINARY_DATA.match(line))):
            return index
        index += 1
    return index


def parse_diff(text: str) -> ParsedDiff:
    """Files and hunks of a diff; unusable parts are collected, not raised."""
    files: list[FilePatch] = []
    unusable: list[UnusablePart] = []
    parsed: list[tuple[str, PatchSet]] = []
    for chunk in _file_chunks(text):
        try:
            parsed.append((chunk, PatchSet(chunk)))
        except (UnidiffParseError, ValueError, IndexError) as exc:
            unusable.append(_malformed(chunk, exc))
    strip = 0 if _no_prefixes([patched for _, patch_set in parsed for patched in patch_set]) else 1
    for chunk, patch_set in parsed:
        for patched in patch_set:
            try:
                files.append(_file_patch(patched, strip))
            except InputError as exc:
                unusable.append(UnusablePart(_chunk_name(chunk), exc.message, hostile=True))
            except (UnidiffParseError, ValueError) as exc:
                unusable.append(_malformed(chunk, exc))
    return ParsedDiff(text=text, files=tuple(files), unusable=tuple(unusable))


_CUT_SHORT = "Hunk is shorter than expected"  # unidiff's words for a hunk cut short


def _malformed(chunk: str, exc: Exception) -> UnusablePart:
    """A part unidiff cannot read. Only a hunk cut short is corrupt as git sees it; other forms unidiff
    refuses (a `diff --git` line naming other files than its ---/+++ lines) git may apply."""
    reason = " ".join(str(exc).split())
    return UnusablePart(
        _chunk_name(chunk), f"malformed diff: {reason}", corrupt=reason.startswith(_CUT_SHORT)
    )


def _file_chunks(text: str) -> list[str]:
    chunks: list[list[str]] = []
    for line in text.splitlines(keepends=True):
        if line.startswith("diff --git ") or not chunks:
            chunks.append([])
        chunks[-1].append(line)
    return ["".join(chunk) for chunk in chunks if any(line.strip() for line in chunk)]


def _chunk_name(chunk: str) -> str:
    first = chunk.split("\n", 1)[0]
    return first[len("diff --git ") :] if first.startswith("diff --git ") else first[:80]


def strip_prefix(path: str, git_style: bool, strip: int = 1) -> str | None:
    """A diff path without its a/ b/ prefix (-p1, as git am), or None for /dev/null; `strip` 0 keeps it."""
    if path == "/dev/null":
        return None
    if strip == 0:
        return safe_relpath(path)
    if git_style and path[:2] in ("a/", "b/"):
        return safe_relpath(path[2:])
    if "/" in path and not path.startswith("/"):
        return safe_relpath(path.split("/", 1)[1])
    return safe_relpath(path)


def _no_prefixes(patched_files: list[object]) -> bool:
    """True for a -p0 diff (`--- mm/foo.c` / `+++ mm/foo.c`, or git's --no-prefix): no name has an a/ or b/
    prefix, and each file's two names start with the same directory. A -p1 diff made by `diff -ru` has two
    different top directories (`linux.orig/` and `linux/`), and quilt's `--- a/f~name` carries `a/`."""
    seen = False
    for patched in patched_files:
        names = [str(getattr(patched, attr, "") or "") for attr in ("source_file", "target_file")]
        names = [name for name in names if name and name != "/dev/null"]
        if any(name.startswith(("a/", "b/")) for name in names):
            return False
        if len({name.split("/", 1)[0] for name in names if "/" in name}) > 1:
            return False
        seen = seen or bool(names)
    return seen


def _file_patch(patched: object, strip: int = 1) -> FilePatch:
    info = str(getattr(patched, "patch_info", "") or "")
    git_style = info.startswith("diff --git ") or "\ndiff --git " in info
    headers = _extended_headers(info)
    source = str(getattr(patched, "source_file", "") or "")
    target = str(getattr(patched, "target_file", "") or "")
    old_path = strip_prefix(source, git_style, strip) if source else None
    new_path = strip_prefix(target, git_style, strip) if target else None
    if not git_style and old_path is not None and new_path is not None:
        # Outside git, a diff cannot rename: the old name is a backup's (quilt's `f~fix-name`, `f.orig`).
        old_path = new_path
    named = new_path or old_path
    p1_path = strip_prefix(named, False, 1) if strip == 0 and named and "/" in named else None
    for kind in ("rename", "copy"):
        if (f"{kind} from" in headers) != (f"{kind} to" in headers):
            raise ValueError(f"'{kind} from' without '{kind} to' (or the reverse)")
    if "rename from" in headers:
        old_path, new_path = safe_relpath(headers["rename from"]), safe_relpath(headers["rename to"])
    elif "copy from" in headers:
        old_path, new_path = safe_relpath(headers["copy from"]), safe_relpath(headers["copy to"])
    if getattr(patched, "is_added_file", False) or "new file mode" in headers:
        old_path, status = None, "added"
    elif getattr(patched, "is_removed_file", False) or "deleted file mode" in headers:
        new_path, status = None, "deleted"
    elif "rename from" in headers:
        status = "renamed"
    elif "copy from" in headers:
        status = "copied"
    else:
        status = "modified"
    if old_path is None and new_path is None:
        raise ValueError("no file name in diff header")
    return FilePatch(
        old_path=old_path,
        new_path=new_path,
        status=status,  # type: ignore[arg-type]
        hunks=tuple(_hunk(h) for h in patched),  # type: ignore[attr-defined]
        binary=bool(getattr(patched, "is_binary_file", False)),
        old_mode=headers.get("old mode") or headers.get("deleted file mode"),
        new_mode=headers.get("new mode") or headers.get("new file mode"),
        old_blob=_blob(headers, 1),
        new_blob=_blob(headers, 2),
        p1_path=p1_path if status in ("modified", "added", "deleted") else None,
    )


def _blob(headers: dict[str, str], group: int) -> str | None:
    match = _INDEX.match(headers.get("index", ""))
    return match.group(group) if match and set(match.group(group)) != {"0"} else None


def _extended_headers(info: str) -> dict[str, str]:
    headers: dict[str, str] = {}
    for line in info.splitlines():
        for name in (
            "old mode",
            "new mode",
            "deleted file mode",
            "new file mode",
            "rename from",
            "rename to",
            "copy from",
            "copy to",
            "index",
        ):
            if line.startswith(name + " "):
                headers[name] = line[len(name) + 1 :].strip()
    return headers


def _hunk(raw: object) -> Hunk:
    lines: list[HunkLine] = []
    old_no_newline = new_no_newline = False
    for line in raw:  # type: ignore[attr-defined]
        kind = line.line_type
        text = line.value[:-1] if line.value.endswith("\n") else line.value
        if kind == "\\":
            previous = lines[-1].kind if lines else " "
            old_no_newline = old_no_newline or previous in (" ", "-")
            new_no_newline = new_no_newline or previous in (" ", "+")
        elif kind in (" ", "-", "+"):
            lines.append(HunkLine(kind, text))
    return Hunk(
        old_start=raw.source_start,  # type: ignore[attr-defined]
        old_count=raw.source_length,  # type: ignore[attr-defined]
        new_start=raw.target_start,  # type: ignore[attr-defined]
        new_count=raw.target_length,  # type: ignore[attr-defined]
        section=str(getattr(raw, "section_header", "") or ""),
        lines=tuple(lines),
        old_ends_without_newline=old_no_newline,
        new_ends_without_newline=new_no_newline,
    )
