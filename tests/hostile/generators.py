"""Generators of hostile input, one family at a time. Everything is written here; nothing is copied."""

from __future__ import annotations

import re

from tests.hostile.harness import EXAMPLE

# Charsets a sender may declare: odd, wrong, not text encodings at all, or not charsets.
CHARSETS = (
    "utf-16",
    "utf-16-le",
    "utf-32",
    "utf-7",
    "unicode_escape",
    "raw_unicode_escape",
    "idna",
    "punycode",
    "rot13",
    "zlib",
    "base64",
    "hex",
    "uu",
    "bz2",
    "x-no-such-charset",
    "utf-8\x00",
    "../../etc",
    "iso-2022-jp",
    "cp037",
    "mbcs",
    "utf-8-sig",
    "latin-1",
    "",
)
# Byte strings no charset is comfortable with: odd lengths, lone escapes, invalid UTF-8, NULs.
AWKWARD_BYTES = (
    b"abc",
    b"\\N{",
    b"\\x4",
    b"+AGE-+ZZZ-",
    b"\xe9\xff\xfe\x00",
    b"\xed\xa0\x80",
    b"xn--\xff",
    b"\\u12",
    b"\x00\x00\x00",
)


def example_messages() -> list[bytes]:
    """The bundled example series, one message each (cover letter first)."""
    mbox = (EXAMPLE / "series.mbox").read_bytes()
    return [b"From mboxrd@z" + part for part in mbox.split(b"From mboxrd@z")[1:]]


def patch_two() -> bytes:
    """[PATCH v2 2/2] of the example: a complete VM_SCRATCH."""
    return example_messages()[2]


def latin1_patch() -> bytes:
    """Patch 2 with one Latin-1 byte in its subject and in its smaps mnemonic, and proc.rst left alone, so
    that a finding (the undocumented mnemonic) carries the byte."""
    message = patch_two().replace(b"hibernation images\n", b"hibernation \xe9mages\n", 1)
    message = message.replace(b'= "sc",', b'= "s\xe9",')
    proc = re.compile(rb"diff --git a/Documentation/.*?(?=diff --git )", re.DOTALL)
    return proc.sub(b"", message)


def with_charset(message: bytes, charset: str, payload: bytes) -> bytes:
    """A single-part message declaring `charset`, whose body is `payload` followed by the original body."""
    head, _, body = message.partition(b"\n\n")
    lines = [ln for ln in head.split(b"\n") if not ln.lower().startswith(b"content-")]
    lines += [
        b"MIME-Version: 1.0",
        b'Content-Type: text/plain; charset="' + charset.encode("latin-1") + b'"',
        b"Content-Transfer-Encoding: 8bit",
    ]
    return b"\n".join(lines) + b"\n\n" + payload + b"\n" + body
