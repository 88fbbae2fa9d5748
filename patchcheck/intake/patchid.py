"""git's stable patch-id (`git patch-id --stable`), computed over diff text without running git.

Like git, each file's part is hashed with all whitespace removed and without hunk line numbers, and the
per-file SHA-1 sums are added bytewise, so the id survives rebasing, reordered files and whitespace mangling
(a patch recovered from a web-archive quote keeps the id of the original). b4 matches patches the same way.
"""

from __future__ import annotations

import hashlib
import re

from patchcheck.intake.diff import HUNK_HEADER

_HASH_SIZE = 20
_WHITESPACE = re.compile(r"\s+")


class _Sum:
    """git's order-independent 20-byte sum (little-endian with carry) of per-file hashes."""

    def __init__(self) -> None:
        self.total = bytearray(_HASH_SIZE)
        self.current = hashlib.sha1()
        self.used = False

    def update(self, text: str) -> None:
        self.current.update(text.encode("utf-8", errors="surrogateescape"))
        self.used = True

    def flush(self) -> None:
        digest = self.current.digest()
        carry = 0
        for i in range(_HASH_SIZE):
            carry += self.total[i] + digest[i]
            self.total[i] = carry & 0xFF
            carry >>= 8
        self.current = hashlib.sha1()


def patch_id(diff_text: str) -> str | None:
    """The stable patch-id of `diff_text`, or None when it holds no diff (git prints nothing then)."""
    acc = _Sum()
    before = after = -1
    pre_oid = post_oid = ""
    binary = False
    length = 0
    for line in diff_text.splitlines():
        if line.startswith("\\ ") and len(line) > 12:
            continue  # "\ No newline at end of file"
        if length == 0 and not line.startswith("diff "):
            continue
        if before == -1:
            if line.startswith(("GIT binary patch", "Binary files")):
                binary, before = True, 0
                acc.update(pre_oid + post_oid)
                acc.flush()
                continue
            if line.startswith("index "):
                pre_oid, post_oid = _index_oids(line)
                continue
            if line.startswith("--- "):
                before = after = 1
            elif not line[:1].isalpha():
                break
        if binary:
            if line.startswith("diff "):
                binary, before = False, -1
            else:
                continue
        if before == 0 and after == 0:
            if line.startswith("@@ -"):
                header = HUNK_HEADER.match(line)
                before = int(header.group(2) or "1") if header else 1
                after = int(header.group(4) or "1") if header else 1
                continue
            if not line.startswith("diff "):
                break
            acc.flush()
            before = after = -1
        if line[:1] in ("-", " "):
            before -= 1
        if line[:1] in ("+", " "):
            after -= 1
        squeezed = _WHITESPACE.sub("", line)
        length += len(squeezed)
        acc.update(squeezed)
    if length == 0:
        return None
    acc.flush()
    return bytes(acc.total).hex()


def _index_oids(line: str) -> tuple[str, str]:
    rest = line[len("index ") :]
    if ".." not in rest:
        return "", ""
    pre, post = rest.split("..", 1)
    return pre, post.split(" ", 1)[0]
