"""blake2b, the hash of every cache key and stamp, without importing hashlib: hashlib loads OpenSSL at
import, a few milliseconds of every start, for algorithms patchcheck's hot paths never use."""

from __future__ import annotations

try:
    from _blake2 import blake2b
except ImportError:  # pragma: no cover - an interpreter built without its own blake2
    from hashlib import blake2b

__all__ = ["blake2b"]
