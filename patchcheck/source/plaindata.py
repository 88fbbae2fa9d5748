"""A plain data format for cached products: JSON with a few tags, checked against a schema when read.

Reading an entry can never run code: the only objects it builds are JSON values, tuples, sets, frozensets,
bytes, and instances of patchcheck's own dataclasses, named tuples and enums (already imported; nothing is
imported by name from the file). Each instance is checked against its class's type hints before it is built,
so a wrong-shaped entry is refused (`BadEntry`) instead of reaching a rule.

Tags (a JSON object whose only key starts with "$"): {"$t": [...]} tuple, {"$s": [...]} set, {"$f": [...]}
frozenset, {"$b": "base64"} bytes, {"$d": [[k, v], ...]} a dict whose keys are not all strings, {"$u": "..."}
a string with lone surrogates (undecodable bytes, as UTF-8 with surrogateescape, base64), and
{"$o": "module:Class", "v": {...} or [...]} an instance.
"""

from __future__ import annotations

import binascii
import dataclasses
import enum
import json
import sys
import types
import typing
from functools import cache
from typing import Any

_OURS = "patchcheck."


class BadEntry(ValueError):
    """The data is not a well-formed product of patchcheck's own types."""


def dumps(value: Any) -> bytes:
    """`value` as UTF-8 JSON (TypeError for a type the format cannot carry)."""
    return json.dumps(_encode(value), separators=(",", ":"), ensure_ascii=True).encode("ascii")


def loads(data: bytes | str) -> Any:
    """The value `dumps` wrote; BadEntry for anything else."""
    try:
        return json.loads(data, object_hook=_decode)
    except BadEntry:
        raise
    except (ValueError, TypeError, KeyError, RecursionError) as exc:
        raise BadEntry(str(exc)) from exc


def fits(value: Any, shape: Any) -> bool:
    """Whether `value` has the type `shape` (a type hint such as dict[str, FlagDef]), checked deeply."""
    return _checker(shape)(value)


def _encode(value: Any) -> Any:
    kind = type(value)  # the common plain types first, by exact type (an enum member never is one)
    if kind is str and value.isascii():
        return value
    if kind is tuple:
        return {"$t": [_encode(v) for v in value]}
    if kind is list:
        return [_encode(v) for v in value]
    if kind is int or kind is bool or value is None:
        return value
    names = _dataclass_fields(kind)
    if names is not None:
        return {"$o": _name(kind), "v": {name: _encode(getattr(value, name)) for name in names}}
    if isinstance(value, enum.Enum):  # before str and int: StrEnum and IntEnum values keep their type
        return {"$o": _name(type(value)), "v": _encode(value.value)}
    if value is None or isinstance(value, bool | int | float):
        return value
    if isinstance(value, str):
        try:
            value.encode("utf-8")
            return value
        except UnicodeEncodeError:
            raw = value.encode("utf-8", "surrogateescape")
            return {"$u": binascii.b2a_base64(raw, newline=False).decode("ascii")}
    if isinstance(value, tuple) and hasattr(value, "_fields"):
        return {"$o": _name(type(value)), "v": [_encode(v) for v in value]}
    if isinstance(value, tuple):
        return {"$t": [_encode(v) for v in value]}
    if isinstance(value, list):
        return [_encode(v) for v in value]
    if isinstance(value, frozenset):
        return {"$f": [_encode(v) for v in value]}
    if isinstance(value, set):
        return {"$s": [_encode(v) for v in value]}
    if isinstance(value, bytes):
        return {"$b": binascii.b2a_base64(value, newline=False).decode("ascii")}
    if isinstance(value, dict):
        if all(isinstance(k, str) and not k.startswith("$") for k in value):
            return {k: _encode(v) for k, v in value.items()}
        return {"$d": [[_encode(k), _encode(v)] for k, v in value.items()]}
    raise TypeError(f"cannot cache a {type(value).__name__}")


def _dataclass_fields(kind: type) -> tuple[str, ...] | None:
    """The field names of a dataclass (None for any other type), looked up once a type: dataclasses.fields
    builds its tuple again at every call, for each of the thousands of instances an entry may hold."""
    found = _FIELDS.get(kind, ())
    if found == ():
        plain = issubclass(kind, enum.Enum) or not dataclasses.is_dataclass(kind)
        found = _FIELDS[kind] = None if plain else tuple(f.name for f in dataclasses.fields(kind))
    return found


_FIELDS: dict[type, tuple[str, ...] | None] = {}


def _name(cls: type) -> str:
    if not cls.__module__.startswith(_OURS):
        raise TypeError(f"cannot cache a {cls.__module__}.{cls.__qualname__}")
    return f"{cls.__module__}:{cls.__qualname__}"


def _decode(obj: dict[str, Any]) -> Any:
    name = obj.get("$o")
    if name is not None and len(obj) == 2 and "v" in obj and isinstance(name, str):
        return _builder(_class(name))(obj["v"])
    if len(obj) == 1:
        key = next(iter(obj))
        if key[:1] == "$":
            inner = obj[key]
            if key == "$t" and isinstance(inner, list):
                return tuple(inner)
            if key == "$s" and isinstance(inner, list):
                return set(inner)
            if key == "$f" and isinstance(inner, list):
                return frozenset(inner)
            if key == "$b" and isinstance(inner, str):
                return binascii.a2b_base64(inner, strict_mode=True)
            if key == "$u" and isinstance(inner, str):
                return binascii.a2b_base64(inner, strict_mode=True).decode("utf-8", "surrogateescape")
            if key == "$d" and isinstance(inner, list):
                return {_key(pair[0]): pair[1] for pair in inner if _pair(pair)}
    for k in obj:  # a plain loop: far cheaper than any() over a generator, and this runs per JSON object
        if k[:1] == "$":
            raise BadEntry(f"unknown tag in {sorted(obj)[:3]}")
    return obj


def _pair(pair: Any) -> bool:
    if not (isinstance(pair, list) and len(pair) == 2):
        raise BadEntry("a dict entry is not a [key, value] pair")
    return True


def _key(key: Any) -> Any:
    if isinstance(key, list | dict | set):
        raise BadEntry("an unhashable dict key")
    return key


@cache
def _class(name: str) -> type:
    module_name, _, qualname = name.partition(":")
    module = sys.modules.get(module_name) if module_name.startswith(_OURS) else None
    found: Any = module
    for part in qualname.split("."):
        found = getattr(found, part, None)
    if not isinstance(found, type) or not (
        dataclasses.is_dataclass(found) or issubclass(found, enum.Enum) or hasattr(found, "_fields")
    ):
        raise BadEntry(f"{name!r} is not one of patchcheck's data types")
    return found


def _instance(cls: Any, value: Any) -> Any:
    return _builder(cls)(value)


@cache
def _builder(cls: Any) -> typing.Callable[[Any], Any]:
    """A function building an instance of `cls` from its decoded JSON form, refusing any that does not fit
    its type hints (BadEntry); made once per class. A field whose value's exact type fits its hint by type
    alone is accepted on a set lookup, without calling the field's test."""
    if issubclass(cls, enum.Enum):

        def member(value: Any) -> Any:
            try:
                return cls(value)
            except ValueError as exc:
                raise BadEntry(str(exc)) from exc

        return member
    names, tests, late, keys = _shape(cls)
    fields = tuple((n, _exact(h), t) for n, h, t in zip(names, _field_hints(cls, names), tests, strict=True))
    label = cls.__name__

    def unfit(name: str, item: Any) -> BadEntry:
        return BadEntry(f"{label}.{name}: {type(item).__name__} does not fit")

    if hasattr(cls, "_fields"):  # a NamedTuple
        count = len(names)

        def named(value: Any) -> Any:
            if type(value) is not list or len(value) != count:
                raise BadEntry(f"{label}: {count} fields expected")
            for (name, exact, test), item in zip(fields, value, strict=True):
                if (exact is None or type(item) not in exact) and not test(item):
                    raise unfit(name, item)
            return cls(*value)

        return named

    def instance(value: Any) -> Any:
        if type(value) is not dict or value.keys() != keys:
            raise BadEntry(f"{label}: fields {sorted(names)} expected")
        for name, exact, test in fields:
            item = value[name]
            if (exact is None or type(item) not in exact) and not test(item):
                raise unfit(name, item)
        if not late:
            return cls(**value)
        built = cls(**{n: v for n, v in value.items() if n not in late})
        for name in late:
            object.__setattr__(built, name, value[name])
        return built

    return instance


def _field_hints(cls: Any, names: tuple[str, ...]) -> tuple[Any, ...]:
    hints = _hints(cls)
    return tuple(hints.get(n, Any) for n in names)


@cache
def _shape(cls: Any) -> tuple[tuple[str, ...], tuple[Check, ...], frozenset[str], frozenset[str]]:
    """(field names, a test per field, fields set outside __init__, the names as a set) of a dataclass or
    named tuple."""
    hints = _hints(cls)
    if hasattr(cls, "_fields"):
        names = tuple(cls._fields)
        late: frozenset[str] = frozenset()
    else:
        fields = dataclasses.fields(cls)
        names = tuple(f.name for f in fields)
        late = frozenset(f.name for f in fields if not f.init)
    return names, tuple(_checker(hints.get(n, Any)) for n in names), late, frozenset(names)


@cache
def _hints(cls: Any) -> dict[str, Any]:
    try:
        return typing.get_type_hints(cls)
    except Exception:  # an annotation that cannot be resolved is not checked
        return {}


def _check(value: Any, hint: Any, where: str) -> None:
    """Raise BadEntry unless `value` fits `hint` (the common forms; anything else is accepted)."""
    if not _checker(hint)(value):
        raise BadEntry(f"{where}: {type(value).__name__} does not fit {hint}")


Check = typing.Callable[[Any], bool]


def _accept(value: Any) -> bool:
    return True


@cache
def _checker(hint: Any) -> Check:
    """A test of values against `hint`, compiled once per type hint."""
    if hint is Any or isinstance(hint, typing.TypeVar):
        return _accept
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if origin in (typing.Union, types.UnionType):
        options = [_checker(option) for option in args]
        return lambda value: any(test(value) for test in options)
    if origin is typing.Literal:
        allowed = set(args)
        return lambda value: value in allowed
    if hint is type(None):
        return lambda value: value is None
    if origin is None:
        if not isinstance(hint, type):
            return _accept
        if hint is float:
            return lambda value: isinstance(value, int | float) and not isinstance(value, bool)
        if hint is int:
            return lambda value: isinstance(value, int) and not isinstance(value, bool)
        return lambda value: isinstance(value, hint)
    if not isinstance(origin, type):
        return _accept
    if origin is tuple and len(args) == 2 and args[1] is Ellipsis:
        return _each(tuple, args[0])
    if origin is tuple and args:
        items = [_checker(arg) for arg in args]
        return lambda value: (
            isinstance(value, tuple)
            and len(value) == len(items)
            and all(test(v) for test, v in zip(items, value, strict=True))
        )
    if origin in (list, set, frozenset) and args:
        return _each(origin, args[0])
    if origin is dict and len(args) == 2:
        key, item = _checker(args[0]), _checker(args[1])
        key_types, item_types = _exact(args[0]), _exact(args[1])
        if key_types is not None and item_types is not None:
            return lambda value: (
                isinstance(value, dict)
                and (
                    (set(map(type, value)) <= key_types and set(map(type, value.values())) <= item_types)
                    or all(key(k) and item(v) for k, v in value.items())
                )
            )
        return lambda value: isinstance(value, dict) and all(key(k) and item(v) for k, v in value.items())
    return lambda value: isinstance(value, origin)


def _each(container: type, hint: Any) -> Check:
    """A test of a `container` whose every item fits `hint`. When the items' exact types are all ones that
    fit (the common case: they were built by the decoder) the types are compared as a set, in C; anything
    else (a subclass, a nested container) falls back to testing each item."""
    item = _checker(hint)
    exact = _exact(hint)

    def test(value: Any) -> bool:
        if not isinstance(value, container):
            return False
        items: Any = value
        return (exact is not None and set(map(type, items)) <= exact) or all(map(item, items))

    return test


def _exact(hint: Any) -> frozenset[type] | None:
    """Types whose every instance fits `hint` by type alone (None: there are none we can name, e.g. a
    container or a Literal, whose items must be looked at)."""
    if hint is type(None):
        return frozenset({type(None)})
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        parts = [_exact(option) for option in typing.get_args(hint)]
        if any(part is None for part in parts):
            return None
        return frozenset().union(*typing.cast(list[frozenset[type]], parts))
    if origin is not None or not isinstance(hint, type) or typing.get_args(hint):
        return None
    if hint is float:
        return frozenset({int, float})
    if hint is int:
        return frozenset({int})  # not bool, which an int hint refuses
    if dataclasses.is_dataclass(hint) or hasattr(hint, "_fields") or issubclass(hint, enum.Enum):
        return frozenset({hint})
    if hint in (str, bool, bytes):
        return frozenset({hint})
    return None
