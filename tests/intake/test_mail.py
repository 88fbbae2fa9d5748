"""Reading mail: mbox, single messages, MIME encodings, charsets, attachments, archive pages, directories."""

from __future__ import annotations

from pathlib import Path

import pytest

from patchcheck.errors import InputError
from patchcheck.intake.mail import mails_from_bytes, read_source

from .helpers import EXAMPLE_SERIES, MAIL


def test_mbox_with_cover_letter_reads_every_message() -> None:
    mails = read_source(str(EXAMPLE_SERIES))
    assert [m.subject for m in mails] == [
        "[PATCH v2 0/2] mm: VM_SCRATCH for scratch mappings",
        "[PATCH v2 1/2] mm: name every file a new VM_* flag must update",
        "[PATCH v2 2/2] mm: add VM_SCRATCH for mappings left out of hibernation images",
    ]
    assert mails[1].in_reply_to == mails[0].message_id == "20260303090000.0.v2-ada@example.org"


@pytest.mark.parametrize("name", ["qp.eml", "base64.eml"])
def test_transfer_encodings_are_undone(name: str) -> None:
    (mail,) = read_source(str(MAIL / name))
    assert '+\t\t[ilog2(VM_SCRATCH)]\t= "sc",' in mail.body.splitlines()
    assert "=3D" not in mail.body


def test_encoded_words_in_headers_are_decoded() -> None:
    (mail,) = read_source(str(MAIL / "qp.eml"))
    assert mail.author == "Zoë Example <zoe@example.org>"


def test_non_utf8_charset_is_decoded_to_text() -> None:
    (mail,) = read_source(str(MAIL / "latin1.eml"))
    assert (MAIL / "latin1.eml").read_bytes().count("ï".encode("latin-1")) == 1
    assert "+naïve transliteration of the flag names." in mail.body
    assert mail.author == "José Exemple <jose@example.org>"
    assert mail.notes == ()


def test_undecodable_text_is_kept_with_a_note() -> None:
    raw = b"Subject: [PATCH] x\nContent-Type: text/plain; charset=utf-8\n\nbad byte \xff here\n"
    (mail,) = mails_from_bytes(raw, "mem")
    assert "bad byte" in mail.body
    assert any("not valid" in note for note in mail.notes)


def test_unknown_charset_is_read_as_utf8_with_a_note() -> None:
    raw = "Subject: [PATCH] x\nContent-Type: text/plain; charset=x-no-such\n\ncafé\n".encode()
    (mail,) = mails_from_bytes(raw, "mem")
    assert "café" in mail.body
    assert any("unknown charset" in note for note in mail.notes)


def test_patch_attachment_is_found_and_html_is_ignored() -> None:
    (mail,) = read_source(str(MAIL / "attachment.eml"))
    assert "The patch is attached" in mail.body
    assert "diff --git" not in mail.body
    (attached,) = mail.attachments
    assert attached.startswith("diff --git a/Documentation/filesystems/proc.rst")


def test_web_archive_page_gives_subject_and_author() -> None:
    (mail,) = read_source(str(MAIL / "mangled-quote.txt"))
    assert mail.subject.startswith("Re: [PATCH v2 2/2] mm: add VM_SCRATCH")
    assert mail.author == "Rhea Reviewer"
    assert mail.body.lstrip().startswith("On Tue, Mar 3, 2026")


def test_bare_diff_is_one_message_without_subject() -> None:
    (mail,) = mails_from_bytes(b"diff --git a/x b/x\n--- a/x\n+++ b/x\n@@ -1 +1 @@\n-a\n+b\n", "mem")
    assert mail.subject == ""
    assert mail.body.startswith("diff --git")


def test_directory_reads_patch_files_in_order_and_skips_others() -> None:
    mails = read_source(str(MAIL / "patchdir"))
    assert [m.subject[:12] for m in mails] == ["[PATCH 1/2] ", "[PATCH 2/2] "]


def test_missing_source_is_an_input_error() -> None:
    with pytest.raises(InputError, match="no such file"):
        read_source("/nonexistent/series.mbox")


def test_empty_directory_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"holds no \.patch"):
        read_source(str(tmp_path))


def test_empty_input_has_no_messages() -> None:
    assert mails_from_bytes(b"\n\n", "mem") == []
