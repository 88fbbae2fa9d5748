"""VM_* flag definitions from include/linux/mm.h: for each flag, which bit it is under which guard.

Idioms understood: literal masks (0x00000001), BIT(n), _BITUL(n), BIT_ULL(n), 1UL << n, *_BIT constants,
the VM_HIGH_ARCH_BIT_n / VM_HIGH_ARCH_n pool, VM_ARCH_1 aliases, VM_NONE and bare 0 fallbacks, masks of
other flags, and the enum style (DECLARE_VMA_BIT / DECLARE_VMA_BIT_ALIAS enumerators, INIT_VM_FLAG()).
Each flag's variants have pairwise exclusive guards whose union is where the flag is defined; a reference
to a macro that is not defined under part of a guard yields an "undefined" variant there.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from patchcheck.source.cparse import expand_variants, split_args
from patchcheck.source.guards import FALSE, TRUE, And, Formula, Or, conj, disj, neg
from patchcheck.source.preproc import MacroDef, PreprocFile
from patchcheck.source.sat import SatLimit, SatSession

SLOT = re.compile(r"VM_HIGH_ARCH_\d+|VM_ARCH_1")
_NOT_FLAGS = re.compile(r"VM_(FAULT|BUG|WARN|UNMAPPED)_")
_REGION_GAP = 40  # lines without a VM_ define or VMA_ enumerator (comments aside): the flag section ended
_CAST = re.compile(
    r"^\(\s*(?:__force\s+)?(?:const\s+)?(?:(?:unsigned|signed)\s+)?"
    r"(?:long\s+long|long|int|short|char|[A-Za-z_]\w*_t|u8|u16|u32|u64)\s*\)"
)


@dataclass(frozen=True)
class FlagValue:
    """What a flag expands to under one guard."""

    kind: str  # "bit", "none" (VM_NONE), "zero" (bare 0), "mask", "number", "undefined" or "unknown"
    bit: int | None = None  # the bit for "bit", the integer for "number"
    via: tuple[str, ...] = ()  # names passed through, e.g. ("VM_ARCH_1",) or ("VM_HIGH_ARCH_4",)
    members: tuple[str, ...] = ()  # for "mask": the names OR-ed together
    text: str = ""  # for "unknown"/"undefined": what could not be read

    def describe(self) -> str:
        if self.kind == "bit":
            alias = f" (= {self.via[0]})" if self.via else ""
            return f"bit {self.bit}{alias}"
        if self.kind == "none":
            return "VM_NONE"
        if self.kind == "zero":
            return "0"
        if self.kind == "mask":
            return " | ".join(self.members)
        if self.kind == "number":
            return str(self.bit)
        return f"{self.kind}: {self.text}"


@dataclass(frozen=True)
class Variant:
    guard: Formula
    value: FlagValue
    line: int  # the #define of this flag that applies
    raw: str  # its body as written


@dataclass(frozen=True)
class Definition:
    """One `#define` of a flag (a flag split over several `#if` blocks has several) or one enumerator."""

    line: int
    body: str
    guard: Formula  # where this #define (or enum entry) is compiled


@dataclass(frozen=True)
class FlagDef:
    name: str
    kind: str  # "flag", "slot" (VM_HIGH_ARCH_n), "mask" (combination or alias of other flags), "constant"
    path: str
    variants: tuple[Variant, ...]
    lines: tuple[int, ...]  # every #define of it
    definitions: tuple[Definition, ...] = ()  # every #define of it, with its guard
    # Style B: the enum entries declaring VMA_<X>_BIT (DECLARE_VMA_BIT / _ALIAS), each with its guard.
    enumerators: tuple[Definition, ...] = ()
    undefs: tuple[Definition, ...] = ()  # every `#undef` of it (body empty), with its guard

    @property
    def defined_guard(self) -> Formula:
        return disj(*(v.guard for v in self.variants if v.value.kind != "undefined"))

    def guard_where(self, *kinds: str) -> Formula:
        return disj(*(v.guard for v in self.variants if v.value.kind in kinds))

    @property
    def real_guard(self) -> Formula:
        """Where the flag is a real bit."""
        return self.guard_where("bit")

    @property
    def bits(self) -> tuple[int, ...]:
        found = {v.value.bit for v in self.variants if v.value.kind == "bit" and v.value.bit is not None}
        return tuple(sorted(found))


def _flag_region(pre: PreprocFile, enums: list[MacroDef]) -> tuple[int, int]:
    """The lines of the flag section: from VM_NONE/VM_READ on, while VM_ defines or VMA_ enumerators follow
    each other within `_REGION_GAP` lines (comment blocks and directives do not count)."""
    lines = sorted(
        {d.line for d in pre.defines if d.name.startswith(("VM_", "VMA_")) and d.params is None}
        | {e.line for e in enums}
    )
    start = next((d.line for d in pre.defines if d.name in ("VM_READ", "VM_NONE")), lines[0] if lines else 0)
    code = [0]  # code[n]: lines up to line n that count: code and blank lines, not comments or directives
    for text in pre.masked.split("\n"):
        code.append(code[-1] + (1 if text == "" or text.strip() else 0))  # blanked text keeps its width
    end = start
    for line in lines:
        if line < start:
            continue
        if code[min(line, len(code) - 1)] - code[min(end, len(code) - 1)] > _REGION_GAP:
            break
        end = line
    return start, end


def enum_constants(pre: PreprocFile, macros: dict[str, list[MacroDef]]) -> list[MacroDef]:
    """Enumerators of the file's enums, after expanding helper macros (DECLARE_VMA_BIT(READ, 0) etc.)."""
    out: list[MacroDef] = []
    text = pre.masked
    helpers = {name for name, defs in macros.items() if any(d.params is not None for d in defs)}
    for m in re.finditer(r"\benum\b[^{};]*\{", text):
        end = text.find("}", m.end())
        if end < 0:
            continue
        body_start = m.end()
        line0 = text.count("\n", 0, body_start) + 1
        for offset, chunk in enumerate(text[body_start:end].split("\n")):
            line = line0 + offset
            for part in _split_top(chunk):
                for exp in expand_variants(part, macros, helpers):
                    em = re.match(r"^\s*([A-Za-z_]\w*)\s*=\s*(.+?)\s*$", exp.text)
                    if em:
                        guard = conj(pre.guard_at(line), exp.guard)
                        out.append(MacroDef(em.group(1), None, em.group(2), guard, line, line))
    return out


def _split_top(chunk: str) -> list[str]:
    parts: list[str] = []
    current: list[str] = []
    depth = 0
    for c in chunk:
        depth += {"(": 1, ")": -1}.get(c, 0)
        if c == "," and depth == 0:
            parts.append("".join(current))
            current = []
        else:
            current.append(c)
    parts.append("".join(current))
    return [p for p in parts if p.strip()]


_Result = tuple[Formula, FlagValue, MacroDef | None]


class _Evaluator:
    """Symbolic evaluation of macro bodies: flag masks, or numbers inside BIT() and *_BIT constants."""

    def __init__(self, macros: dict[str, list[MacroDef]]) -> None:
        self.macros = macros
        self.memo: dict[tuple[str, bool], list[_Result]] = {}

    def name(self, name: str, numeric: bool, depth: int = 0) -> list[_Result]:
        """Variants of a macro where it is defined: (guard, value, the #define used)."""
        key = (name, numeric)
        if key in self.memo:
            return self.memo[key]
        if name == "VM_NONE":
            return [(TRUE, FlagValue("none"), None)]
        defs = [d for d in self.macros.get(name, []) if d.params is None]
        if not defs or depth > 12:
            return [(TRUE, FlagValue("unknown", text=name), None)]
        numeric = numeric or bool(_NUMBER_NAME.search(name))
        out: list[_Result] = []
        for d in defs:
            for guard, value in self.expr(d.body, numeric, depth + 1, name.startswith("VMA_")):
                combined = conj(d.guard, guard)
                if combined != FALSE:
                    out.append((combined, value, d))
        self.memo[key] = out
        return out

    def expr(
        self, text: str, numeric: bool, depth: int, enum: bool = False
    ) -> list[tuple[Formula, FlagValue]]:
        """Variants of an expression; `enum` when it is an enumerator's value (DECLARE_VMA_BIT_ALIAS)."""
        text = _strip(text)
        literal = _LITERAL.fullmatch(text)
        if literal:
            n = int(literal.group(1), 0)
            if numeric:
                return [(TRUE, FlagValue("number", n))]
            if n == 0:
                return [(TRUE, FlagValue("zero"))]
            if n & (n - 1) == 0:
                return [(TRUE, FlagValue("bit", n.bit_length() - 1))]
            return [(TRUE, FlagValue("unknown", text=text))]
        call = re.fullmatch(r"(?:BIT|_BITUL|BIT_ULL|_BITULL)\s*\((.*)\)", text)
        shift = re.fullmatch(r"1[uUlL]*\s*<<\s*(.+)", text)
        if call or shift:
            inner = (call or shift).group(1)  # type: ignore[union-attr]
            out: list[tuple[Formula, FlagValue]] = []
            for guard, value in self.expr(inner, True, depth + 1, enum):
                if value.kind == "number":
                    out.append((guard, FlagValue("bit", value.bit, value.via)))
                else:
                    out.append((guard, value))
            return out
        if "|" in text:
            return [(TRUE, FlagValue("mask", members=tuple(p.strip() for p in text.split("|"))))]
        fn = re.fullmatch(r"([A-Za-z_]\w*)\s*\((.*)\)", text)
        if fn and fn.group(1) in self.macros:
            out = []
            for exp in expand_variants(text, self.macros, {fn.group(1)}):
                for guard, value in self.expr(exp.text, numeric, depth + 1, enum):
                    out.append((conj(exp.guard, guard), value))
            return out
        if re.fullmatch(r"[A-Za-z_]\w*", text):
            return self._reference(text, numeric, depth, enum)
        return [(TRUE, FlagValue("unknown", text=text))]

    def _reference(self, text: str, numeric: bool, depth: int, enum: bool) -> list[tuple[Formula, FlagValue]]:
        out: list[tuple[Formula, FlagValue]] = []
        link = _link_name(text)
        # A number passed through a plain constant (VM_DROPPABLE_BIT = 40, or INIT_VM_FLAG(X) reading
        # VMA_X_BIT = 40) is no alias; an enum alias (VMA_SAO_BIT = VMA_ARCH_1_BIT) or a flag
        # (VM_SAO = VM_ARCH_1) is.
        for guard, value, _ in self.name(text, numeric, depth):
            passes = value.kind in ("bit", "mask") or (value.kind == "number" and bool(value.via))
            passes = passes or (value.kind == "number" and text.startswith("VMA_") and enum)
            via = (link, *value.via) if passes else value.via
            out.append((guard, FlagValue(value.kind, value.bit, via, value.members, value.text)))
        defs = [d for d in self.macros.get(text, []) if d.params is None]
        if defs and text != "VM_NONE":
            undefined = neg(disj(*(d.guard for d in defs)))
            if undefined != FALSE:
                # An enumerator stands for its flag's bit: VMA_HIGH_ARCH_4_BIT undefined is VM_HIGH_ARCH_4's.
                out.append((undefined, FlagValue("undefined", via=(text,), text=_link_name(text))))
        return out


_NUMBER_NAME = re.compile(r"(_BIT|_BIT_\d+|_SHIFT)$")
_LITERAL = re.compile(r"(0[xX][0-9a-fA-F]+|\d+)[uUlL]*")


def _strip(text: str) -> str:
    """Whitespace normalised, redundant outer parentheses and casts removed."""
    text = " ".join(text.split())
    while True:
        stripped = _CAST.sub("", text).strip()
        if stripped.startswith("(") and split_args(stripped, 0) == ([stripped[1:-1].strip()], len(stripped)):
            stripped = stripped[1:-1].strip()
        if stripped == text:
            return text
        text = stripped


def _link_name(name: str) -> str:
    """The flag a name stands for: VMA_ARCH_1_BIT and VM_HIGH_ARCH_BIT_4 name VM_ARCH_1 and VM_HIGH_ARCH_4."""
    m = re.fullmatch(r"VMA_(\w+)_BIT", name)
    if m:
        return f"VM_{m.group(1)}"
    m = re.fullmatch(r"(VM_HIGH_ARCH)_BIT_(\d+)", name)
    if m:
        return f"{m.group(1)}_{m.group(2)}"
    m = re.fullmatch(r"(VM_\w+)_BIT", name)
    return m.group(1) if m else name


def read_flags(
    path: str, pre: PreprocFile, fallback: dict[str, list[MacroDef]] | None = None
) -> dict[str, FlagDef]:
    """`fallback`: definitions of names the text does not define (the core facts, without a tree)."""
    macros = pre.macros()
    for name, defs in (fallback or {}).items():
        macros.setdefault(name, defs)
    enums = enum_constants(pre, macros)
    for const in enums:
        macros.setdefault(const.name, []).append(const)
    # Without a tree, DECLARE_VMA_BIT lines a hunk shows are enumerators even where the enum around them is
    # not shown (core_macros gives them their line): PC108 compares their guards with the masks'.
    lines = {e.line for e in enums}
    shown = [
        *enums,
        *(d for defs in (fallback or {}).values() for d in defs if d.line and d.line not in lines),
    ]
    start, end = _flag_region(pre, enums)
    evaluator = _Evaluator(macros)
    flags: dict[str, FlagDef] = {}
    names = [
        d.name
        for d in pre.defines
        if d.params is None
        and d.name.startswith("VM_")
        and start <= d.line <= end
        and not _NOT_FLAGS.match(d.name)
    ]
    for name in dict.fromkeys(names):
        variants = []
        for guard, value, d in evaluator.name(name, False):
            if value.via and value.via[0] == name:
                value = FlagValue(value.kind, value.bit, value.via[1:], value.members, value.text)
            if value.kind == "undefined" and not satisfiable_alone(guard):
                continue
            variants.append(Variant(absorb(guard), value, d.line if d else 0, d.body if d else ""))
        own = tuple(Definition(d.line, d.body, d.guard) for d in macros[name] if d.params is None)
        enumerators = tuple(Definition(e.line, e.body, e.guard) for e in shown if _link_name(e.name) == name)
        undefs = tuple(
            Definition(u.line, "", pre.guard_at(u.line))
            for u in pre.directives
            if u.kind == "undef" and u.text.split()[:1] == [name]
        )
        flags[name] = FlagDef(
            name,
            _classify(name, variants),
            path,
            tuple(variants),
            tuple(d.line for d in own),
            own,
            enumerators,
            undefs,
        )
    return flags


def absorb(guard: Formula) -> Formula:
    """`(A || B) && B` is `B` and `(A || B) && !B` is `A && !B`: a style-B mask guard conjoined with its
    enumerator's reads as the variant's own condition."""
    if not isinstance(guard, And):
        return guard
    plain = {a for a in guard.args if not isinstance(a, Or)}
    parts: list[Formula] = []
    for arg in guard.args:
        if isinstance(arg, Or):
            if plain & set(arg.args):
                continue
            arg = disj(*(d for d in arg.args if neg(d) not in plain))
        parts.append(arg)
    return conj(*parts)


def satisfiable_alone(guard: Formula) -> bool:
    """Propositional satisfiability, no Kconfig facts: prunes variants like `X && !X`."""
    session = SatSession()
    try:
        return session.solve([session.literal(guard)]) is not None
    except SatLimit:
        return True  # not decided: the variant is kept
    finally:
        session.close()


def _classify(name: str, variants: list[Variant]) -> str:
    if name == "VM_NONE":
        return "constant"
    if re.fullmatch(r"VM_HIGH_ARCH_\d+", name):
        return "slot"
    kinds = {v.value.kind for v in variants}
    if name.endswith(("_BIT", "_SHIFT")) or re.search(r"_BIT_\d+$", name) or kinds <= {"number", "undefined"}:
        return "constant"
    for v in variants:
        if v.value.kind == "bit" and (not v.value.via or SLOT.fullmatch(v.value.via[0])):
            return "flag"  # a bit of its own, or one of the arch slots (VM_ARCH_1, VM_HIGH_ARCH_n)
    if kinds <= {"none", "zero", "undefined"} and not name.endswith(("_MASK", "_FLAGS", "_CLEAR")):
        return "flag"  # defined only as a fallback here (e.g. VM_GROWSUP on most arches)
    return "mask"
