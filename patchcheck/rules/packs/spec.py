"""The in-memory form of a rule pack, as validated from YAML (see schema.py for the file format)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from patchcheck.report.finding import Finding, Location, Severity


@dataclass(frozen=True)
class Site:
    """A function in a file (a family member, an exemption, a helper)."""

    file: str
    function: str

    def __str__(self) -> str:
        return f"{self.file}: {self.function}()"


@dataclass(frozen=True)
class Member:
    """One place that must handle a flag of the family, and how it must test it.

    Exactly one way of testing applies; the default is "some `x & FLAG` test in the function".
    """

    site: Site
    why: str = ""
    mask_with: tuple[str, ...] = ()  # FLAG must sit in the same OR-mask as these flags
    guards_calls: tuple[str, ...] = ()  # every call to these runs only under a test of FLAG
    condition_with_calls: tuple[str, ...] = ()  # one condition tests FLAG together with such a call
    refuses_clearing: bool = False  # each `case` that clears a companion of FLAG refuses FLAG
    creation: bool = False  # sets FLAG together with its companions and tests its refusals
    must_not_clear: bool = False  # the function must not clear FLAG (negative member)
    via: tuple[Site, ...] = ()  # helpers: calling one that tests FLAG counts as testing it
    or_set_with: tuple[str, ...] = ()  # alternative: wherever FLAG is set (creation sites) these are set too
    alternatives: tuple[Site, ...] = ()  # other places the same member lived in other kernel versions
    line: int = 0  # line in the pack, for messages


@dataclass(frozen=True)
class Exemption:
    site: Site
    reason: str


@dataclass(frozen=True)
class Discovery:
    """How to find every site of the family's kind across the tree."""

    calls: tuple[str, ...]
    under: tuple[str, ...]
    vma_in_scope: bool = True


@dataclass(frozen=True)
class PackRule:
    id: str
    name: str
    title: str
    severity: Severity
    kind: str  # "family" or one of the special kinds
    doc: str
    fix: str
    example: str
    scope: tuple[str, ...]
    applies_to: tuple[str, ...]
    members: tuple[Member, ...]
    exemptions: tuple[Exemption, ...]
    discover: Discovery | None
    params: dict[str, Any]
    origin: str  # "path:line" of the rule in its pack
    needs: tuple[str, ...] = ()
    why: str = ""
    # Does adding a flag to a member give it the rule's properties? No for families that test many flags
    # for many reasons (KSM, userfaultfd): being excluded there says nothing about what the flag is.
    infers: bool = True


@dataclass(frozen=True)
class FlagSpec:
    name: str
    properties: tuple[str, ...]
    companions: tuple[str, ...] = ()
    refuses: tuple[str, ...] = ()


@dataclass(frozen=True)
class ClaimSpec:
    """How a promise of one property reads. `phrases` match literally anywhere in a sentence; `terms` are
    read by meaning (see claims.py): a term in a clause that is negated (`polarity: negative`, "never
    swapped") or asserted (`positive`, "pages may be dropped"), with `context` somewhere in the sentence."""

    property: str
    phrases: tuple[str, ...] = ()  # regular expressions, case-insensitive
    unless: tuple[str, ...] = ()  # a sentence (clause, for terms) matching one of these is not this promise
    terms: tuple[str, ...] = ()  # regular expressions naming the property's predicate
    polarity: str = "positive"  # "negative": a promise only when negated; "positive": only when not
    context: tuple[str, ...] = ()  # the sentence must match one of these too (none: no condition)


@dataclass(frozen=True)
class PropertySpec:
    name: str
    doc: str
    implies: tuple[str, ...] = ()


@dataclass
class Pack:
    name: str
    path: str
    doc: str
    properties: dict[str, PropertySpec] = field(default_factory=dict)
    flags: dict[str, FlagSpec] = field(default_factory=dict)
    claims: list[ClaimSpec] = field(default_factory=list)
    rules: list[PackRule] = field(default_factory=list)


@dataclass
class PackSet:
    """Several packs merged: rule ids are unique across them, property/flag entries add up."""

    packs: list[Pack] = field(default_factory=list)

    @property
    def rules(self) -> list[PackRule]:
        return [r for p in self.packs for r in p.rules]

    @property
    def claims(self) -> list[ClaimSpec]:
        return [c for p in self.packs for c in p.claims]

    def properties(self) -> dict[str, PropertySpec]:
        merged: dict[str, PropertySpec] = {}
        for pack in self.packs:
            for name, prop in pack.properties.items():
                old = merged.get(name)
                implies = tuple(dict.fromkeys((old.implies if old else ()) + prop.implies))
                merged[name] = PropertySpec(name, prop.doc or (old.doc if old else ""), implies)
        return merged

    def flags(self) -> dict[str, FlagSpec]:
        merged: dict[str, FlagSpec] = {}
        for pack in self.packs:
            for name, spec in pack.flags.items():
                old = merged.get(name)
                if old is None:
                    merged[name] = spec
                else:
                    merged[name] = FlagSpec(
                        name,
                        tuple(dict.fromkeys(old.properties + spec.properties)),
                        tuple(dict.fromkeys(old.companions + spec.companions)),
                        tuple(dict.fromkeys(old.refuses + spec.refuses)),
                    )
        return merged

    def closure(self, props: set[str]) -> set[str]:
        """Properties plus everything they imply."""
        table = self.properties()
        result = set(props)
        todo = list(props)
        while todo:
            prop = table.get(todo.pop())
            for implied in prop.implies if prop else ():
                if implied not in result:
                    result.add(implied)
                    todo.append(implied)
        return result


def pack_finding(
    rule: PackRule,
    path: str,
    line: int | None,
    message: str,
    flag: str | None = None,
    evidence: tuple[str, ...] = (),
) -> Finding:
    """A finding of a pack rule, with the rule's severity and fix."""
    return Finding(rule.id, rule.severity, message, Location(path, line), flag, rule.fix, evidence)
