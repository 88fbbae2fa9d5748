"""The packs shipped in rules/, frozen: each as the parser read it, in patchcheck/rules/packs/frozen/.

`scripts/freeze-packs` parses and validates every pack in rules/ and writes it there (plaindata), with the
digest of its text and of the parser (schema and pack model) that read it. A cold run then loads a shipped
pack without YAML, the schema validator or the pack's regular expressions: a frozen form is taken only
for the very text it was made from, by the very parser. A pack whose text is a shipped one but whose
frozen form is stale is known valid (the test suite validates every shipped pack against the schema) and
is parsed without the validator; any other text, a shipped pack edited in place included, is validated as
always. The test suite fails, naming the script, when a frozen form is missing or stale.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

from patchcheck.source import plaindata
from patchcheck.source.cache import digest

if TYPE_CHECKING:
    from patchcheck.rules.packs.spec import Pack

FROZEN = Path(__file__).parent / "frozen"
# What the pack's own path is written as in its frozen form: it names the pack in every rule's origin, and
# the shipped packs are read from rules/ in a checkout and from patchcheck/_packs/ when installed.
WHERE = "@PACK@"


def frozen_form(name: str, text: bytes, model: str, pack: Pack) -> bytes:
    """The frozen form of a pack parsed with `WHERE` as its path (scripts/freeze-packs)."""
    if WHERE.encode() in text:  # then every one in the frozen form is the path
        raise ValueError(f"{name}: its text holds {WHERE}, which stands for its path in its frozen form")
    return plaindata.dumps({"text": digest(text), "model": model, "pack": pack})


def _stored(name: str) -> bytes | None:
    try:
        return (FROZEN / f"{name}.json").read_bytes()
    except OSError:
        return None


def known_valid(name: str, text: bytes, stored: bytes | None = None) -> bool:
    """Whether `text` is the text of the shipped pack `name` (validated by the test suite)."""
    stored = _stored(name) if stored is None else stored
    return stored is not None and stored.startswith(b'{"text":"%s",' % digest(text).encode())


def thawed(path: Path, text: bytes, model: str) -> Pack | None:
    """The shipped pack at `path` as frozen, if `text` is the text and `model` the parser it was frozen
    with; None otherwise (or when the frozen form is damaged)."""
    from patchcheck.rules.packs.spec import Pack

    stored = _stored(path.name)
    if stored is None or not known_valid(path.name, text, stored):
        return None
    where = json.dumps(str(path), ensure_ascii=True)[1:-1].encode()
    try:
        found = plaindata.loads(stored.replace(WHERE.encode(), where))
    except plaindata.BadEntry:
        return None
    if not (isinstance(found, dict) and found.get("text") == digest(text) and found.get("model") == model):
        return None
    pack = found.get("pack")
    return pack if isinstance(pack, Pack) and plaindata.fits(pack, Pack) else None
