"""Subject parsing, checked against known forms and against b4's own parser."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from patchcheck.intake.subject import parse_subject


@pytest.mark.parametrize(
    ("raw", "reply", "revision", "counter", "expected", "title"),
    [
        ("[PATCH v16 1/5] mm: add VM_DROPPABLE", False, 16, 1, 5, "mm: add VM_DROPPABLE"),
        ("[PATCHv3] mm: glued version", False, 3, 1, 1, "mm: glued version"),
        ("[RFC PATCH] mm: an idea", False, 1, 1, 1, "mm: an idea"),
        ("[PATCH mm-unstable v2 3/7] mm: tree prefix", False, 2, 3, 7, "mm: tree prefix"),
        ("[PATCH RESEND] mm: again", False, 1, 1, 1, "mm: again"),
        ("Re: [PATCH v16 1/5] mm: add VM_DROPPABLE", True, 16, 1, 5, "mm: add VM_DROPPABLE"),
        ("[PATCH v2 00/12] cover", False, 2, 0, 12, "cover"),
        ("Aw: [PATCH 2/3] x", True, 1, 2, 3, "x"),
        ("mm: no prefix at all", False, 1, 1, 1, "mm: no prefix at all"),
    ],
)
def test_known_subject_forms(
    raw: str, reply: bool, revision: int, counter: int, expected: int, title: str
) -> None:
    subject = parse_subject(raw)
    assert (subject.reply, subject.revision, subject.counter, subject.expected, subject.title) == (
        reply,
        revision,
        counter,
        expected,
        title,
    )


def test_flags_and_extra_prefixes() -> None:
    subject = parse_subject("[RFC PATCH mm-unstable v2 RESEND 3/7] mm: x")
    assert subject.rfc and subject.resend and subject.patch
    assert subject.extra_prefixes == ("mm-unstable",)
    assert parse_subject("[PATCH 0/3] cover").is_cover
    assert not parse_subject("[PATCH] single").is_cover


b4 = pytest.importorskip("b4")

_PREFIX_WORDS = st.sampled_from(
    [
        "PATCH",
        "RFC",
        "RESEND",
        "mm-unstable",
        "net-next",
        "v2",
        "v16",
        "V3",
        "1/5",
        "0/3",
        "12/12",
        "PATCHv4",
        "patch",
        "rfc,",
        "v2;",
    ]
)
_BRACKET = st.lists(_PREFIX_WORDS, min_size=1, max_size=4).map(lambda words: "[" + " ".join(words) + "]")
_SUBJECT = st.tuples(
    st.sampled_from(["", "Re: ", "RE:", "Aw: ", "Fwd: ", "Re: Re: "]),
    st.lists(_BRACKET, min_size=0, max_size=3).map(" ".join),
    st.sampled_from([" mm: add VM_X", " fix [brackets] later", "", "  spaced   title "]),
).map("".join)


def _b4_view(raw: str) -> tuple[object, ...]:
    s = b4.LoreSubject(raw)
    return (
        s.reply,
        s.patch,
        s.rfc,
        s.resend,
        s.revision,
        s.revision_inferred,
        s.counter,
        s.expected,
        s.counters_inferred,
        s.subject,
        tuple(s.prefixes),
    )


def _our_view(raw: str) -> tuple[object, ...]:
    s = parse_subject(raw)
    return (
        s.reply,
        s.patch,
        s.rfc,
        s.resend,
        s.revision,
        s.revision_inferred,
        s.counter,
        s.expected,
        s.counters_inferred,
        s.title,
        s.prefixes,
    )


@settings(max_examples=300, deadline=None)
@given(_SUBJECT)
def test_subjects_parse_as_b4_parses_them(raw: str) -> None:
    assert _our_view(raw) == _b4_view(raw)


@pytest.mark.parametrize(
    "raw",
    [
        "[PATCH v16 1/5] mm: add VM_DROPPABLE for designating always lazily freeable mappings",
        "Re: [PATCH v16 1/5] mm: add VM_DROPPABLE for designating always lazily freeable mappings",
        "[PATCH mm-unstable v2 3/7] mm: x",
        "[PATCHv3] x",
        "[RFC PATCH] x",
        "[PATCH RESEND] x",
        "Re: Re: [PATCH] x",
    ],
)
def test_issue_subjects_match_b4(raw: str) -> None:
    assert _our_view(raw) == _b4_view(raw)
