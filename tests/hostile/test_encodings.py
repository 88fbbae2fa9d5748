"""Encodings: decoding never raises; undecodable bytes stay visible (\\xe9); every locale can print them;
JSON and SARIF are valid UTF-8 without lone surrogates."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from patchcheck.intake.mail import decode_text, mails_from_bytes
from tests.hostile.generators import AWKWARD_BYTES, CHARSETS, latin1_patch, patch_two, with_charset
from tests.hostile.harness import EXAMPLE, run

TREE = str(EXAMPLE / "tree")
# The locales a user may run in; en_US.UTF-8 may be missing here (then the C library falls back to C), so
# PYTHONIOENCODING stands in for a strict UTF-8 terminal as well.
LOCALES = [
    {"LC_ALL": "C"},
    {"LC_ALL": "C.UTF-8"},
    {"LC_ALL": "en_US.UTF-8"},
    {"LC_ALL": "C.UTF-8", "PYTHONIOENCODING": "utf-8:strict"},
]


@pytest.mark.parametrize("charset", CHARSETS)
@pytest.mark.parametrize("payload", AWKWARD_BYTES)
def test_decoding_never_raises(charset: str, payload: bytes) -> None:
    notes: list[str] = []
    text = decode_text(payload, charset, notes)
    assert isinstance(text, str)
    if b"\xe9" in payload and notes and "UTF-8" in notes[-1]:
        assert "\udce9" in text  # kept, to be shown as \xe9


@pytest.mark.parametrize("charset", ["utf-16", "utf-32", "utf-7", "unicode_escape", "idna", "zlib", "rot13"])
def test_a_patch_in_any_charset_is_read(tmp_path: Path, charset: str) -> None:
    mail = with_charset(patch_two(), charset, b"abc\\N{")
    (parsed,) = mails_from_bytes(mail, "m")
    assert "diff --git" in parsed.body or parsed.attachments or parsed.body
    out = run(tmp_path, "verify", "-", "--tree", TREE, "--format", "terse", stdin=mail)
    assert out.returncode in (0, 1, 2)


@pytest.mark.parametrize("locale", LOCALES, ids=lambda env: "+".join(env.values()))
@pytest.mark.parametrize("fmt", ["text", "terse", "b4"])
def test_an_undecodable_byte_prints_as_backslash_x_in_every_locale(
    tmp_path: Path, locale: dict[str, str], fmt: str
) -> None:
    out = run(tmp_path, "verify", "-", "--tree", TREE, "--format", fmt, stdin=latin1_patch(), env=locale)
    assert out.returncode == 1
    assert '"s\\xe9"' in out.stdout, out.stdout
    if fmt == "text":
        assert "hibernation \\xe9mages" in out.stdout


def _strict_utf8(value: object) -> None:
    """Every string of a decoded JSON document encodes as UTF-8 (no lone surrogate escapes)."""
    json.dumps(value, ensure_ascii=False).encode("utf-8")


@pytest.mark.parametrize("fmt", ["json", "sarif", "b4-review"])
def test_machine_formats_are_valid_utf8(tmp_path: Path, fmt: str) -> None:
    out = run(tmp_path, "verify", "-", "--tree", TREE, "--format", fmt, stdin=latin1_patch())
    assert "\\udc" not in out.stdout
    data = json.loads(out.stdout)
    _strict_utf8(data)
    assert (
        "s\\\\xe9" in out.stdout or "s\\\\\\\\xe9" in out.stdout
    )  # \\xe9 as JSON text (twice in b4 details)
