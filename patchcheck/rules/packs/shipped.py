"""The packs shipped in rules/, by file name, with the SHA-256 of their text.

The test suite validates each of them against the pack schema (tests/packs/test_shipped_packs.py), so a pack
whose text has its shipped digest is not validated again when loaded: importing the validator alone is about
a tenth of a second of a cold run. Any other text, a shipped pack edited in place included, is validated as
always. The test fails, naming the new digests, when a file in rules/ changes.
"""

from __future__ import annotations

SHIPPED: dict[str, str] = {
    "droppable.yaml": "d1b4b916ac6ce3e2b1298f280e14f02b1a27be3cd9e715b4909e02ed8b2ed35b",
}
