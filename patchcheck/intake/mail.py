"""Reading patch mail: mbox files, single messages, directories of .patch files, stdin and web-archive pages.

MIME decoding (quoted-printable, base64, charsets, multipart attachments) is left to the standard library's
`email` package with the modern policy; mboxes are split in memory as `mailbox` splits them. What comes out
is a flat `Mail` record with the text the series assembly needs. Hostile input never raises anything but
`InputError`.
"""

from __future__ import annotations

import codecs
import re
import sys
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import policy
from email.header import decode_header, make_header
from email.message import EmailMessage, Message
from email.parser import BytesParser
from pathlib import Path

from patchcheck.errors import InputError
from patchcheck.intake.limits import max_input, read_file, read_stream

PATCH_FILE_SUFFIXES = (".patch", ".diff", ".mbox", ".eml", ".mbx", ".txt")
_DIFF_START = re.compile(r"^(?:diff --git |--- \S|Index: \S)", re.MULTILINE)
_SURROGATE = re.compile("[\udc80-\udcff]")
_FROM_LINE = re.compile(rb"^From ", re.MULTILINE)
_MSGID = re.compile(r"<([^<>\s]+)>")
_ARCHIVE_HEADER = re.compile(r"^(From|Date|Subject|To|Cc|Message-I[Dd]|In-Reply-To):\s*(.*)$")
_ATTACHED_DIFF_TYPES = {"text/x-patch", "text/x-diff", "application/x-patch", "application/x-diff"}


@dataclass(frozen=True)
class Mail:
    """One message, reduced to what series assembly needs."""

    origin: str
    subject: str
    message_id: str | None = None
    author: str = ""
    date: str = ""
    in_reply_to: str | None = None
    references: tuple[str, ...] = ()
    body: str = ""
    # Decoded attachments (or extra inline text parts) that hold a diff.
    attachments: tuple[str, ...] = ()
    notes: tuple[str, ...] = field(default=())

    @property
    def thread_parents(self) -> tuple[str, ...]:
        parents = list(self.references)
        if self.in_reply_to and self.in_reply_to not in parents:
            parents.append(self.in_reply_to)
        return tuple(parents)


def read_source(source: str) -> list[Mail]:
    """All messages in a file, a directory of patch files, or standard input ("-"), read within the input
    cap (patchcheck.intake.limits)."""
    if source == "-":
        return mails_from_bytes(read_stream(sys.stdin.buffer, "<stdin>"), "<stdin>")
    path = Path(source)
    if path.is_dir():
        files = sorted(p for p in path.iterdir() if p.is_file() and p.suffix.lower() in PATCH_FILE_SUFFIXES)
        if not files:
            raise InputError(f"{source}: directory holds no .patch, .diff, .mbox or .eml files")
        budget = max_input()
        mails = []
        for file in files:
            data = read_file(file, budget=budget)
            budget -= len(data)
            mails.extend(mails_from_bytes(data, str(file)))
        return mails
    if not path.exists():
        why = "no such file or directory" if not path.is_symlink() else "a symbolic link that leads nowhere"
        raise InputError(f"{source}: {why}")
    data = read_file(path)
    if not data.strip():
        raise InputError(f"{source}: empty file")
    return mails_from_bytes(data, str(path))


def mails_from_bytes(data: bytes, origin: str) -> list[Mail]:
    """Messages in `data`: an mbox, one RFC 822 message, a bare diff, or a web-archive text page."""
    stripped = data.lstrip(b"\r\n\t ")
    if not stripped:
        return []
    if stripped.startswith(b"From "):
        return list(_mbox_messages(stripped, origin))
    message = _parse(stripped)
    if message is not None and _looks_like_mail(message):
        return [_to_mail(message, origin)]
    return [_text_page(stripped, origin)]


def _parse(data: bytes) -> EmailMessage | None:
    try:
        parsed = BytesParser(policy=policy.default).parsebytes(data)
    except Exception:  # the email package's parser has known crash bugs on hostile headers
        return None
    return parsed if isinstance(parsed, EmailMessage) else None


def _mbox_messages(data: bytes, origin: str) -> Iterator[Mail]:
    """Messages of an mbox, split in memory as the `mailbox` module splits them (every line that starts
    with "From " begins a message; the blank line before it belongs to no message). Nothing is written to
    disk, so nothing is left behind when the run is interrupted."""
    starts = [m.start() for m in _FROM_LINE.finditer(data)]
    for number, (start, end) in enumerate(zip(starts, [*starts[1:], len(data)], strict=True), start=1):
        chunk = data[start:end]
        if end != len(data) and chunk.endswith(b"\n\n"):
            chunk = chunk[:-1]
        message = _parse(chunk.partition(b"\n")[2])
        if message is not None:
            yield _to_mail(message, f"{origin}#{number}")


def _looks_like_mail(message: EmailMessage) -> bool:
    names = {name.lower() for name in message}
    return bool(names & {"subject", "from", "message-id", "date"})


def header(message: Message, name: str) -> str:
    """A header as text; malformed encodings fall back to the raw value rather than raising. Raw 8-bit bytes
    (not RFC 2047) are read as UTF-8, and what is not UTF-8 is kept (shown as \\xNN), never replaced."""
    raw_8bit = next((str(raw) for key, raw in message.raw_items() if key.lower() == name.lower()), "")
    if _SURROGATE.search(raw_8bit):
        data = raw_8bit.encode("utf-8", "surrogateescape")
        return " ".join(data.decode("utf-8", "surrogateescape").split())
    try:
        value = message.get(name)
        return "" if value is None else " ".join(str(value).split())
    except Exception:
        pass
    for key, raw in message.raw_items():
        if key.lower() == name.lower():
            try:
                return " ".join(str(make_header(decode_header(str(raw)))).split())
            except Exception:
                return " ".join(str(raw).split())
    return ""


def _message_ids(value: str) -> tuple[str, ...]:
    return tuple(_MSGID.findall(value))


def _to_mail(message: EmailMessage, origin: str) -> Mail:
    ids = _message_ids(header(message, "Message-ID"))
    parents = _message_ids(header(message, "In-Reply-To"))
    notes: list[str] = []
    body, attachments = _texts(message, notes)
    return Mail(
        origin=origin,
        subject=header(message, "Subject"),
        message_id=ids[0] if ids else None,
        author=header(message, "From"),
        date=header(message, "Date"),
        in_reply_to=parents[0] if parents else None,
        references=_message_ids(header(message, "References")),
        body=body,
        attachments=tuple(attachments),
        notes=tuple(notes),
    )


def _texts(message: EmailMessage, notes: list[str]) -> tuple[str, list[str]]:
    """The main text part, and every other part that carries a diff."""
    body: str | None = None
    extra: list[str] = []
    for part in message.walk():
        if part.is_multipart():
            continue
        ctype = part.get_content_type()
        filename = _filename(part)
        attached = filename is not None or part.get_content_disposition() == "attachment"
        named_diff = filename is not None and filename.lower().endswith((".patch", ".diff"))
        if not (ctype.startswith("text/") or ctype in _ATTACHED_DIFF_TYPES or named_diff):
            continue
        if ctype == "text/html":
            continue
        text = decode_part(part, notes)
        if body is None and ctype == "text/plain" and not attached:
            body = text
        elif _DIFF_START.search(text):
            extra.append(text)
    return body or "", extra


def _filename(part: Message) -> str | None:
    try:
        return part.get_filename()
    except Exception:
        return None


def decode_part(part: Message, notes: list[str]) -> str:
    """A part's payload as text: transfer encoding undone, then its declared charset (UTF-8 if none)."""
    try:
        payload = part.get_payload(decode=True)
    except Exception:
        payload = None
    if not isinstance(payload, bytes):
        raw = part.get_payload()
        return raw if isinstance(raw, str) else ""
    try:
        charset = part.get_content_charset() or "utf-8"
    except Exception:
        charset = "utf-8"
    return decode_text(payload, charset, notes)


def decode_text(payload: bytes, charset: str, notes: list[str]) -> str:
    """`payload` in `charset`, never raising: any name, any bytes. What the charset cannot decode is read as
    UTF-8 with undecodable bytes kept (as lone surrogates, shown as \\xNN and written back unchanged)."""
    try:
        codec = codecs.lookup(charset).name
    except Exception:  # LookupError, or a name the codec registry chokes on
        notes.append(f"unknown charset {charset[:60]!r}, read as UTF-8")
        codec = "utf-8"
    if codec in ("ascii", "us-ascii"):
        codec = "utf-8"  # undeclared 8-bit text in patch mail is UTF-8 in practice
    if codec != "utf-8":
        try:
            with warnings.catch_warnings():  # unicode_escape warns about bad escapes: say nothing
                warnings.simplefilter("ignore")
                return payload.decode(codec)
        except Exception:  # UnicodeError, or a codec that is not a text encoding (rot13, zlib, ...)
            notes.append(f"charset {charset[:60]!r} cannot decode this text; read as UTF-8")
    try:
        return payload.decode("utf-8")
    except UnicodeDecodeError:
        notes.append("text is not valid UTF-8; undecodable bytes kept as they are")
        return payload.decode("utf-8", errors="surrogateescape")


def _text_page(data: bytes, origin: str) -> Mail:
    """A bare diff, or a message saved from a web archive: subject line, then From:/Date: lines, then body."""
    text = data.decode("utf-8", errors="surrogateescape").replace("\r\n", "\n")
    lines = text.split("\n")
    if _DIFF_START.match(text):
        return Mail(origin=origin, subject="", body=text)
    fields: dict[str, str] = {}
    index = 0
    if not _ARCHIVE_HEADER.match(lines[0]):
        fields["Subject"] = lines[0].strip()
        index = 1
    while index < len(lines):
        line = lines[index]
        if match := _ARCHIVE_HEADER.match(line):
            fields.setdefault(match.group(1).title(), match.group(2).strip())
        elif line.strip():
            break
        index += 1
    ids = _message_ids(fields.get("Message-Id", ""))
    return Mail(
        origin=origin,
        subject=fields.get("Subject", ""),
        message_id=ids[0] if ids else None,
        author=fields.get("From", ""),
        date=fields.get("Date", ""),
        in_reply_to=next(iter(_message_ids(fields.get("In-Reply-To", ""))), None),
        body="\n".join(lines[index:]),
    )
