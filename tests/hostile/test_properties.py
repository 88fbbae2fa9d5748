"""Property tests of the mail and diff parsers: random bytes, random MIME trees with random charsets and
transfer encodings, and random diffs never raise anything but the one input error (InputError)."""

from __future__ import annotations

import base64
import contextlib
import quopri

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from patchcheck.errors import InputError
from patchcheck.intake.apply import apply_series
from patchcheck.intake.assemble import assemble
from patchcheck.intake.diff import parse_diff, split_body
from patchcheck.intake.mail import mails_from_bytes
from patchcheck.intake.quote import recover_quoted_patch
from patchcheck.intake.subject import parse_subject
from patchcheck.report.text import printable, without_surrogates
from patchcheck.source.tree import EmptyTree
from tests.hostile.generators import CHARSETS, HUGE

SETTINGS = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])

DIFF_LINES = st.sampled_from(
    [
        "diff --git a/mm/a.c b/mm/a.c",
        "diff --git a/../x b/../x",
        "diff --git a//etc/passwd b//etc/passwd",
        "--- a/mm/a.c",
        "+++ b/mm/a.c",
        "--- /dev/null",
        "+++ /dev/null",
        "new file mode 100644",
        "deleted file mode 100644",
        "rename from x",
        "rename to ../y",
        "index 123..456 100644",
        "@@ -1,3 +1,4 @@",
        "@@ -1 +1 @@",
        f"@@ -1,{HUGE} +1 @@",
        "@@ -999999999,2 +1,2 @@",
        "@@ -0,0 +1,2 @@",
        " context",
        "+added",
        "-removed",
        "\\ No newline at end of file",
        "GIT binary patch",
        "literal 5",
        "Binary files a/x and b/x differ",
        "",
        "-- ",
        "base-commit: abcdef1",
        " 1 file changed, 1 insertion(+)",
        "+\udce9",
        "\x1b[31m",
        ">",
        "> @@ -1,1 +1,1 @@",
        "> +x",
        ">> -y",
    ]
)
TEXT = st.lists(DIFF_LINES, max_size=40).map("\n".join)
CTYPES = st.sampled_from(
    [
        "text/plain",
        "text/x-patch",
        "text/x-diff",
        "application/octet-stream",
        "text/html",
        "message/rfc822",
        "text/plain; format=flowed",
        "application/x-patch",
        "x/y",
    ]
)
ENCODINGS = st.sampled_from(["7bit", "8bit", "base64", "quoted-printable", "x-uuencode", "binary", "bogus"])
CHARSET = st.one_of(st.sampled_from(CHARSETS), st.text(max_size=12))
PAYLOAD = st.one_of(TEXT.map(lambda t: t.encode("utf-8", "surrogateescape")), st.binary(max_size=300))


def _encode(payload: bytes, encoding: str, damage: bool) -> bytes:
    if encoding == "base64":
        out = base64.encodebytes(payload)
        return out[: len(out) // 2] + b"!*" if damage else out
    if encoding == "quoted-printable":
        out = quopri.encodestring(payload)
        return out + b"=Z" if damage else out
    return payload


@st.composite
def mime_tree(draw: st.DrawFn, depth: int = 0) -> bytes:
    """A MIME entity: a leaf with a random type, charset, transfer encoding and payload, or a multipart of
    1-3 such entities (nested at most three deep)."""
    if depth < 3 and draw(st.booleans()):
        boundary = f"b{depth}x{draw(st.integers(0, 99))}"
        parts = [draw(mime_tree(depth + 1)) for _ in range(draw(st.integers(1, 3)))]
        body = b"".join(b"--" + boundary.encode() + b"\n" + part + b"\n" for part in parts)
        if draw(st.booleans()):
            body += b"--" + boundary.encode() + b"--\n"
        return (f'Content-Type: multipart/mixed; boundary="{boundary}"\n\n').encode() + body
    ctype, charset, encoding = draw(CTYPES), draw(CHARSET), draw(ENCODINGS)
    payload = _encode(draw(PAYLOAD), encoding, draw(st.booleans()))
    disposition = draw(
        st.sampled_from(
            [
                "",
                'Content-Disposition: attachment; filename="0001-x.patch"\n',
                "Content-Disposition: inline\n",
            ]
        )
    )
    head = (
        f'Content-Type: {ctype}; charset="{charset}"\nContent-Transfer-Encoding: {encoding}\n{disposition}\n'
    )
    return head.encode("utf-8", "surrogateescape") + payload


SUBJECTS = st.one_of(
    st.text(max_size=60),
    st.sampled_from(
        [
            "[PATCH v2 0/2] cover",
            "[PATCH 1/2] x",
            f"[PATCH v{HUGE} 1/2] x",
            "Re: [PATCH 2/2] y",
            "[PATCHv3 3/3] z",
            "=?utf-7?B?K0FHRS0=?=",
            "=?unicode_escape?Q?\\N{?=",
            "=?x-bogus?B?////?=",
            "[RFC PATCH 9999/9999] w",
        ]
    ),
)


@st.composite
def mail(draw: st.DrawFn) -> bytes:
    subject = draw(SUBJECTS)
    head = (
        f"From: A <a@example.org>\nSubject: {subject}\nMessage-Id: <{draw(st.integers(0, 5))}@x>\n"
        f"MIME-Version: 1.0\n"
    )
    return head.encode("utf-8", "surrogateescape") + draw(mime_tree())


def _never_raises_but_input_error(data: bytes) -> None:
    try:
        series = assemble(mails_from_bytes(data, "fuzz"), source="fuzz")
    except InputError:
        return
    for patch in series.patches:
        printable(patch.title)
        without_surrogates(patch.message)
    with contextlib.suppress(InputError):
        apply_series(series, EmptyTree())


@SETTINGS
@given(st.lists(mail(), min_size=1, max_size=3))
def test_random_mime_trees_never_raise(messages: list[bytes]) -> None:
    mbox = b"".join(b"From x@y Thu Jan  1 00:00:00 1970\n" + m + b"\n\n" for m in messages)
    _never_raises_but_input_error(mbox)
    _never_raises_but_input_error(messages[0])


@SETTINGS
@given(st.binary(max_size=2000))
def test_random_bytes_never_raise(data: bytes) -> None:
    _never_raises_but_input_error(data)
    _never_raises_but_input_error(b"From x@y Thu Jan  1 00:00:00 1970\nSubject: [PATCH] x\n\n" + data)


@SETTINGS
@given(TEXT, st.text(max_size=40))
def test_random_diffs_never_raise(text: str, subject: str) -> None:
    parts = split_body("message\n---\n" + text)
    if parts is not None:
        parse_diff(parts.diff)
    parse_diff(text)
    recover_quoted_patch("\n".join("> " + line for line in text.split("\n")))
    parse_subject(subject)
    _never_raises_but_input_error(
        f"Subject: [PATCH] {subject}\n\n{text}\n".encode("utf-8", "surrogateescape")
    )
