"""Hostile input: arbitrary bytes, and damaged versions of real fixtures, give our error or a result."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from patchcheck.errors import InputError
from patchcheck.intake.apply import apply_series
from patchcheck.intake.assemble import assemble
from patchcheck.intake.mail import mails_from_bytes
from patchcheck.intake.summary import render_text, summarize
from patchcheck.source.tree import DirectoryTree, EmptyTree

from .helpers import EXAMPLE_SERIES, EXAMPLE_TREE, MAIL

_SEEDS = [
    EXAMPLE_SERIES.read_bytes(),
    (MAIL / "thread-v1-v2.mbox").read_bytes(),
    (MAIL / "attachment.eml").read_bytes(),
    (MAIL / "mangled-quote.txt").read_bytes(),
    (MAIL / "binary.patch").read_bytes(),
    (MAIL / "qp.eml").read_bytes(),
]


def _exercise(data: bytes) -> None:
    try:
        series = assemble(mails_from_bytes(data, "fuzz"), source="fuzz")
    except InputError:
        return
    render_text(summarize(series))
    for tree in (EmptyTree(), DirectoryTree(EXAMPLE_TREE)):
        try:
            states = apply_series(series, tree)
        except InputError as error:
            assert error.message and "\n" not in error.message
            continue
        assert len(states) == len(series.patches)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=2000))
def test_arbitrary_bytes(data: bytes) -> None:
    _exercise(data)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.binary(max_size=400).map(lambda tail: b"From x\nSubject: [PATCH 1/2] y\n\ndiff --git a/a b/a\n" + tail)
)
def test_bytes_after_a_plausible_start(data: bytes) -> None:
    _exercise(data)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.sampled_from(_SEEDS),
    st.lists(st.tuples(st.floats(0, 1), st.binary(min_size=0, max_size=8)), min_size=1, max_size=6),
)
def test_damaged_fixtures(seed: bytes, damage: list[tuple[float, bytes]]) -> None:
    data = bytearray(seed)
    for where, replacement in damage:
        at = int(where * len(data))
        data[at : at + len(replacement) or at + 1] = replacement
    _exercise(bytes(data))
