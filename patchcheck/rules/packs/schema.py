"""The rule-pack file format, as a JSON Schema (validated with `jsonschema`).

A pack is a YAML mapping:

    pack: droppable            # name
    doc: ...                   # what the pack covers
    properties: {NAME: {doc: ..., implies: [NAME...]}}
    flags: {VM_X: {properties: [...], companions: [VM_...], refuses: [MAP_/VM_...]}}
    claims: [{property: NAME, phrases | terms: [regex...], polarity, context: [regex...], unless: [regex...]}]
    rules: [{id: PC6nn, name, title, severity, kind, applies_to, members, exemptions, discover, params, ...}]
"""

from __future__ import annotations

from typing import Any

SPECIAL_KINDS = ("dead-after-mask", "read-after-call", "rust-helpers", "uapi-mirror", "mirror-defines")

_NAME = {"type": "string", "pattern": r"^[a-z][a-z0-9-]*$"}
_IDENT = {"type": "string", "pattern": r"^[A-Za-z_][A-Za-z0-9_]*$"}
_IDENTS = {"type": "array", "items": _IDENT}
_TEXT = {"type": "string", "minLength": 1}
_PATH = {"type": "string", "pattern": r"^[A-Za-z0-9_.][A-Za-z0-9_./+-]*$"}
_SITE = {
    "type": "object",
    "required": ["file", "function"],
    "additionalProperties": False,
    "properties": {"file": _PATH, "function": _IDENT},
}

_MEMBER = {
    "type": "object",
    "required": ["file", "function"],
    "additionalProperties": False,
    "properties": {
        "file": _PATH,
        "function": _IDENT,
        "why": _TEXT,
        "mask_with": _IDENTS,
        "guards_calls": _IDENTS,
        "condition_with_calls": _IDENTS,
        "refuses_clearing": {"type": "boolean"},
        "creation": {"type": "boolean"},
        "must_not_clear": {"type": "boolean"},
        "via": {"type": "array", "items": _SITE},
        "or_set_with": _IDENTS,
        "alternatives": {"type": "array", "items": _SITE},
    },
}

_RULE = {
    "type": "object",
    "required": ["id", "name", "title", "severity", "doc", "fix"],
    "additionalProperties": False,
    "properties": {
        "id": {"type": "string", "pattern": r"^PC6[0-9][0-9]$"},
        "name": _NAME,
        "title": _TEXT,
        "severity": {"enum": ["error", "warning", "info"]},
        "kind": {"enum": ["family", *SPECIAL_KINDS]},
        "scope": {"type": "array", "items": {"type": "string", "pattern": r"^R[0-9]+$"}},
        "applies_to": {"type": "array", "items": _NAME},
        "infers": {"type": "boolean"},
        "members": {"type": "array", "items": _MEMBER},
        "exemptions": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["file", "function", "reason"],
                "additionalProperties": False,
                "properties": {"file": _PATH, "function": _IDENT, "reason": _TEXT},
            },
        },
        "discover": {
            "type": "object",
            "required": ["calls", "under"],
            "additionalProperties": False,
            "properties": {
                "calls": {**_IDENTS, "minItems": 1},
                "under": {"type": "array", "items": _PATH, "minItems": 1},
                "vma_in_scope": {"type": "boolean"},
            },
        },
        "params": {"type": "object"},
        "needs": {"type": "array", "items": _PATH},
        "doc": _TEXT,
        "why": _TEXT,
        "fix": _TEXT,
        "example": {"type": "string"},
    },
}

PACK_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "required": ["pack", "rules"],
    "additionalProperties": False,
    "properties": {
        "pack": _NAME,
        "doc": {"type": "string"},
        "properties": {
            "type": "object",
            "propertyNames": _NAME,
            "additionalProperties": {
                "type": "object",
                "required": ["doc"],
                "additionalProperties": False,
                "properties": {"doc": _TEXT, "implies": {"type": "array", "items": _NAME}},
            },
        },
        "flags": {
            "type": "object",
            "propertyNames": {"pattern": r"^VM_[A-Z0-9_]+$"},
            "additionalProperties": {
                "type": "object",
                "required": ["properties"],
                "additionalProperties": False,
                "properties": {
                    "properties": {"type": "array", "items": _NAME},
                    "companions": _IDENTS,
                    "refuses": _IDENTS,
                },
            },
        },
        "claims": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["property"],
                "additionalProperties": False,
                "properties": {
                    "property": _NAME,
                    "phrases": {"type": "array", "items": _TEXT, "minItems": 1},
                    "terms": {"type": "array", "items": _TEXT, "minItems": 1},
                    "polarity": {"enum": ["positive", "negative"]},
                    "context": {"type": "array", "items": _TEXT},
                    "unless": {"type": "array", "items": _TEXT},
                },
                "anyOf": [{"required": ["phrases"]}, {"required": ["terms"]}],
            },
        },
        "rules": {"type": "array", "items": _RULE},
    },
}

# Parameters each special kind needs (checked after the schema, with the rule's line).
SPECIAL_PARAMS: dict[str, dict[str, type]] = {
    "dead-after-mask": {"under": list},
    "read-after-call": {"calls": list, "under": list},
    "rust-helpers": {"helpers": str, "blocklist": str, "prefix": str},
    "uapi-mirror": {"pairs": list, "prefixes": list},
    "mirror-defines": {"sources": list, "mirror": str, "prefix": str},
}
