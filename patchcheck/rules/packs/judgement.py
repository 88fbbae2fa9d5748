"""One state's judgement by the rule packs: which flags the series touches, the properties each has (from
the packs, the members the series adds it to, its promises), and the findings those properties ask for.

`Run` is kept in one class, longer than most, because every step reads the state the one before decided.
patchcheck.rules.packs.checker imports it when the packs first run: the engine forks the registry checkers'
child before, so that this module's imports (the C rules, the claims) overlap the child's work.
"""

from __future__ import annotations

import re
import weakref
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import Any

from patchcheck.model.load import MM_H, load_flag_defs
from patchcheck.report.finding import Finding, Location, Severity
from patchcheck.rules.base import CheckContext
from patchcheck.rules.packs import special
from patchcheck.rules.packs.claims import Claim, find_claims
from patchcheck.rules.packs.discovery import unreviewed_sites
from patchcheck.rules.packs.flow import Scope
from patchcheck.rules.packs.members import MemberJudge, SourceCache, Status, companions_at, touched_in_series
from patchcheck.rules.packs.meta import PC_CLAIM, PC_COVERAGE, PC_STALE
from patchcheck.rules.packs.seriesview import PatchView, SeriesView, flags_in, shared_view
from patchcheck.rules.packs.spec import Member, PackRule, PackSet, Site
from patchcheck.source.guards import FALSE
from patchcheck.source.tree import EmptyTree

COMMIT_MSG = "COMMIT_MSG"


@dataclass
class FlagFacts:
    """Why a flag has each property: property -> human-readable source."""

    name: str
    sources: dict[str, str] = field(default_factory=dict)
    claims: list[Claim] = field(default_factory=list)
    # Properties known from the packs or from members the series touched, not only from promises.
    independent: set[str] = field(default_factory=set)
    # Properties the series itself declares (adds the flag to a family member) or promises: only these
    # earn family reminders (PC702); what only the packs know is hindsight the series may not share.
    from_series: set[str] = field(default_factory=set)

    def add(self, prop: str, source: str, *, independent: bool = True, series: bool = False) -> None:
        self.sources.setdefault(prop, source)
        if independent:
            self.independent.add(prop)
        if series:
            self.from_series.add(prop)


class Run:
    def __init__(self, packs: PackSet, ctx: CheckContext) -> None:
        self.packs = packs
        self.ctx = ctx
        self.view: SeriesView | None = shared_view(ctx)
        # With a series, patch_index None is the tree before its first patch (as the engine's state 0).
        self.upto = ctx.patch_index if ctx.patch_index is not None or ctx.series is None else 0
        # The engine's diff-only trees hold only hunk text: members are then judged from the diffs.
        self.diff_only = bool(ctx.cache.get("diff_only"))
        self.cache = SourceCache(EmptyTree() if self.diff_only else ctx.tree)
        judgements = ctx.memo.setdefault(("pack-judgements", id(packs)), (packs, {}))[1]
        self.judge = MemberJudge(self.cache, judgements)
        self.moved: dict[Member, tuple[Site, Site]] = {}  # member -> (its gone site, where it lives now)
        self.families = [r for r in packs.rules if r.kind == "family"]
        self.new_flags, changed = self._series_flags()
        self.touched_flags = self.new_flags | changed
        self.added = self.view.added_at(self.upto) if self.view else {}
        # flag -> property -> rules whose reminders were held back (the property is only the packs').
        self.held_back: dict[str, dict[str, list[str]]] = {}
        self.skipped: list[str] = []  # what a rule could not decide from what the diffs show

    # ---- which flags, which properties -------------------------------------------------------------
    def _series_flags(self) -> tuple[set[str], set[str]]:
        """(flags the series defines, flags it adds to or removes from code).

        A flag on both sides (a line rewritten around it, e.g. `VM_A` -> `(VM_A | VM_B)`) is not touched.
        """
        if self.view is None:
            return set(), set()
        touched: set[str] = set()
        for patch in self.view.upto(self.upto):
            touched |= patch.touched_flags()
        return self.view.defined_flags(self.upto), touched

    @cached_property
    def facts(self) -> dict[str, FlagFacts]:
        """Each flag to check, with its properties and where each comes from (first asked by the family
        rules, which run after the others: see `findings`)."""
        facts: dict[str, FlagFacts] = {}
        for name, spec in self.packs.flags().items():
            if self.view is not None and name not in self.touched_flags:
                continue
            for prop in spec.properties:
                facts.setdefault(name, FlagFacts(name)).add(prop, "rule pack")
        if self.view is not None:
            self._infer_from_members(self.view, facts)
            self._infer_from_claims(self.view, facts)
        for entry in facts.values():
            for prop in list(entry.sources):
                for implied in self.packs.closure({prop}) - {prop}:
                    entry.add(
                        implied,
                        f"implied by {prop}",
                        independent=prop in entry.independent,
                        series=prop in entry.from_series,
                    )
        if self.ctx.flags is not None:
            facts = {k: v for k, v in facts.items() if k in self.ctx.flags}
        in_tree = self._defined_in_tree()
        if in_tree is not None:  # a flag the tree's mm.h does not define has no sites to check
            facts = {k: v for k, v in facts.items() if k in in_tree}
        return facts

    def _defined_in_tree(self) -> set[str] | None:
        """The flags the tree's mm.h defines as a nonzero value somewhere; None when it cannot tell (no
        mm.h, or verify without a tree)."""
        data = None if self.diff_only else self.cache.data(MM_H)
        if data is None:
            return None
        known = self.ctx.cache.get("pack_defined_flags")
        if isinstance(known, set):
            return known
        shared = ("pack-defined-flags", data)  # every state with this mm.h: built once per verify run
        found = self.ctx.memo.get(shared)
        if isinstance(found, set):
            self.ctx.cache["pack_defined_flags"] = found
            return found
        flags = load_flag_defs(self.ctx.tree)  # mm.h alone: the smaps and trace tables are not needed here
        defined = {name for name, flag in flags.items() if flag.guard_where("bit", "mask") != FALSE}
        self.ctx.cache["pack_defined_flags"] = self.ctx.memo[shared] = defined
        return defined

    def _infer_from_members(self, view: SeriesView, facts: dict[str, FlagFacts]) -> None:
        """Adding a flag to one member of a family gives it the family's properties."""
        for rule in self.families:
            if not rule.infers:
                continue
            for member in rule.members:
                for flag in self.touched_flags:
                    patch = touched_in_series(member, flag, view, self.upto)
                    if patch is None or not self._handles(member, flag):
                        continue
                    for prop in rule.applies_to:
                        facts.setdefault(flag, FlagFacts(flag)).add(
                            prop, f"patch {view.label(patch)} adds {flag} to {member.site}", series=True
                        )

    def _infer_from_claims(self, view: SeriesView, facts: dict[str, FlagFacts]) -> None:
        """A promise in a commit message gives the flag it speaks of the promised property."""
        declared = {
            name: self.packs.closure(set(spec.properties)) for name, spec in self.packs.flags().items()
        }
        for patch in view.upto(self.upto):
            lines = patch.message.splitlines()
            candidates = self._claim_targets(patch.subject + "\n" + patch.message)
            for claim in self._claims_of(patch, declared):
                for flag in _promised_flags(claim, lines, candidates):
                    entry = facts.setdefault(flag, FlagFacts(flag))
                    entry.claims.append(claim)
                    like = f" (like {claim.via})" if claim.via else ""
                    promise = f'patch {view.label(claim.patch)} promises "{claim.sentence}"{like}'
                    entry.add(claim.property, promise, independent=False, series=True)

    def _claims_of(self, patch: PatchView, declared: dict[str, set[str]]) -> list[Claim]:
        """The promises of one commit message, found once per verify run (every later state asks again)."""
        memo = self.ctx.memo.setdefault(("pack-claims", id(self.packs)), (self.packs, {}))[1]
        key = (patch.index, patch.subject, patch.message)
        if key not in memo:
            memo[key] = find_claims(patch.message, self.packs.claims, patch.index, patch.subject, declared)
        found: list[Claim] = memo[key]
        return found

    def _handles(self, member: Member, flag: str) -> bool:
        """With the member's file in the tree, the member must really handle the flag to count as added."""
        verdict = self.judge.judge(member, flag, self.companions(flag), set())
        return verdict.status in (Status.OK, Status.ABSENT)

    def _claim_targets(self, message: str) -> set[str]:
        if self.new_flags:
            return set(self.new_flags)
        return flags_in(message) & self.touched_flags

    def companions(self, flag: str) -> set[str]:
        spec = self.packs.flags().get(flag)
        found = set(spec.companions) if spec else set()
        for rule in self.families:
            for member in rule.members:
                if member.creation:
                    for site in (member.site, *member.alternatives):
                        found |= companions_at(self.cache, site, flag)
        return found

    # ---- findings -----------------------------------------------------------------------------------
    def findings(self) -> Iterator[Finding]:
        changed = None
        if self.view is not None:  # in verify, findings must be on the series' lines anyway
            changed = {a.path for p in self.view.upto(self.upto) for a in p.added}
        scan_only = self.ctx.cache.get("scan_only")
        if changed is None and isinstance(scan_only, frozenset):
            # verify's audit of the tree before the series: what it finds elsewhere matches nothing there
            changed = set(scan_only)
        # In verify (and its audit of the tree before the series) only the files the series changes can
        # hold what it introduced: the flow rules read only those. They need no flag of mm.h, so they run
        # first: by the time the family rules read mm.h's flags, the registry's child (rules.states) has
        # most often put them in the cache, where this process finds them instead of reading mm.h again.
        only = frozenset(changed) if changed is not None else None
        scope = Scope(self.cache, self.view, self.upto, only, self.diff_only, self.skipped)
        produced: list[Finding] = [
            found for rule in self.packs.rules if rule.kind != "family" for found in special.run(rule, scope)
        ]
        produced.extend(self._family_findings())
        # Discovery looks for sites of the families whose flags exist in the tree (pack or series flags).
        defined = self._defined_in_tree()
        props = {p for facts in self.facts.values() for p in facts.sources}
        for name, spec in self.packs.flags().items():
            if defined is None or name in defined:
                props |= self.packs.closure(set(spec.properties))
        applying = [r for r in self.families if props & set(r.applies_to)]
        flag_props = {name: set(f.sources) for name, f in self.facts.items()}
        for name, spec in self.packs.flags().items():
            flag_props.setdefault(name, self.packs.closure(set(spec.properties)))
        produced.extend(unreviewed_sites(applying, self.cache, changed, flag_props))
        kept = [f for f in produced if self._keep(f)]
        if self.view is not None:
            kept = [
                f
                if f.patch is not None
                else replace(
                    f,
                    patch=self._patch_of(
                        f.location.path if f.location else "", f.location.line if f.location else None, f.flag
                    ),
                )
                for f in kept
            ]
        before = self._base_keys() if kept else set()
        yield from (f for f in kept if _key(f) not in before)

    def notes(self) -> list[str]:
        """One line per flag whose family reminders were held back, naming the families and why."""
        lines = []
        for flag, props in sorted(self.held_back.items()):
            held = "; ".join(f"{p} ({', '.join(dict.fromkeys(ids))})" for p, ids in sorted(props.items()))
            lines.append(
                f"no family reminders (PC702) for {flag}: {held}: only the rule pack's entry for {flag} says "
                f"so; the series neither adds {flag} to a member of such a family nor promises it"
            )
        return lines + list(dict.fromkeys(self.skipped))

    def _base_keys(self) -> set[tuple[str, str | None, str, str]]:
        """What the tree before the series already had: the series did not introduce it."""
        base = getattr(self.ctx.tree, "base", None)
        if self.view is None or base is None or self.diff_only:
            return set()
        flags = frozenset(self.touched_flags)
        memo = _BASE_KEYS.setdefault(base, {})
        scan = frozenset(p for patch in self.view.upto(self.upto) for p in patch.files)
        key = (id(self.packs), flags, scan)
        if key not in memo:  # verify runs every state against the same base: audit it once
            base_ctx = CheckContext(tree=base, flags=flags, cache={"scan_only": scan}, memo=self.ctx.memo)
            found = {_key(f) for f in Run(self.packs, base_ctx).findings()}
            memo[key] = (self.packs, found)  # holding the packs keeps their id from being reused
        return memo[key][1]

    def _keep(self, finding: Finding) -> bool:
        """In verify, report what the series introduced: its flags, or lines it added."""
        if self.view is None:
            return True
        if finding.flag is not None and finding.flag in self.touched_flags:
            return True
        loc = finding.location
        if loc is None or loc.line is None:
            return False
        return (loc.path, loc.line) in self.added

    def _label(self, index: int) -> str:
        return self.view.label(index) if self.view else str(index)

    def _patch_of(self, path: str, line: int | None, flag: str | None = None) -> int | None:
        """The patch that added the line, else the first to define or touch the flag, else the last."""
        if self.view is None:
            return None
        if line is not None and (path, line) in self.added:
            return self.added[(path, line)]
        patches = self.view.upto(self.upto)
        if flag is not None:
            for patch in patches:
                if flag in patch.defined_flags():
                    return patch.index
            for patch in patches:
                if any(flag in flags_in(a.text) for a in patch.added):
                    return patch.index
        return patches[-1].index if patches else None

    def _family_findings(self) -> Iterator[Finding]:
        for flag, facts in sorted(self.facts.items()):
            props = set(facts.sources)
            companions = self.companions(flag)
            spec = self.packs.flags().get(flag)
            refuses = set(spec.refuses) if spec else set()
            implemented: dict[str, bool | None] = {}  # None: cannot tell (member files absent)
            pending: list[_Pending] = []
            for rule in self.families:
                applying = [p for p in rule.applies_to if p in props]
                if not applying:
                    continue
                # A flag the series defines, or (without a tree) one whose property the series gives it.
                new = flag in self.new_flags
                remind = new or (self.diff_only and bool(facts.from_series & set(applying)))
                verdicts = [
                    (m, self._member_verdict(m, flag, companions, refuses, remind)) for m in rule.members
                ]
                positive = [v[0] for m, v in verdicts if not m.must_not_clear]
                statuses = positive or [v[0] for _, v in verdicts]
                if not new:  # an absent member may handle an existing flag already: cannot tell
                    statuses = ["unknown" if s == "untouched" else s for s in statuses]
                done: bool | None = "ok" in statuses if positive else all(s == "ok" for s in statuses)
                if not done and {"unknown", "stale"} & set(statuses):
                    done = None
                for prop in applying:
                    implemented[prop] = _either(implemented.get(prop, False), done)
                pending.extend(self._rule_findings(rule, flag, facts, applying, verdicts))
            # A promise nothing implements is one finding quoting it (naming the sites), not one per member.
            claimed_gaps = {c.property for c in facts.claims if implemented.get(c.property) is False}
            # What follows only from a broken promise is said once, by the promise's finding.
            covered = claimed_gaps | (self.packs.closure(claimed_gaps) - facts.independent)
            for finding in pending:
                if not finding.props or not finding.props <= covered:
                    yield finding.finding
            yield from self._claim_findings(facts, claimed_gaps)

    def _member_verdict(
        self, member: Member, flag: str, companions: set[str], refuses: set[str], remind: bool
    ) -> tuple[str, Site, int | None, str, list[str]]:
        """("ok" | "missing" | "stale" | "untouched" | "unknown", site, line, detail, evidence)."""
        verdict = self.judge.judge(member, flag, companions, refuses)
        if verdict.moved is not None:
            self.moved[member] = (verdict.moved, verdict.site)
        if verdict.status is Status.OK:
            return "ok", verdict.site, None, "", verdict.evidence
        if verdict.status is Status.MISSING:
            return "missing", verdict.site, verdict.line, verdict.detail, verdict.evidence
        if verdict.status is Status.STALE:
            return "stale", verdict.site, None, verdict.detail, []
        # No file: only the diffs can tell, and only for a flag the series itself defines.
        if self.view is None:
            return "unknown", member.site, None, "", []
        if touched_in_series(member, flag, self.view, self.upto) is not None or member.must_not_clear:
            return "ok", member.site, None, "", []
        if remind:
            return "untouched", member.site, None, f"the series does not add {flag} here", []
        return "unknown", member.site, None, "", []

    def _rule_findings(
        self,
        rule: PackRule,
        flag: str,
        facts: FlagFacts,
        applying: list[str],
        verdicts: list[tuple[Member, tuple[str, Site, int | None, str, list[str]]]],
    ) -> Iterator[_Pending]:
        why = [f"{flag} is {p}: {facts.sources[p]}" for p in applying]
        note = self.view.incomplete_note() if self.view else None
        untouched = [m for m, v in verdicts if v[0] == "untouched"]
        if untouched and not facts.from_series & set(applying):
            # Only the packs say the flag has these properties: no reminder, one note (see `notes`).
            for prop in applying:
                self.held_back.setdefault(flag, {}).setdefault(prop, []).append(rule.id)
            verdicts = [(m, v) for m, v in verdicts if v[0] != "untouched"]
            untouched = []
        positive = [m for m in rule.members if not m.must_not_clear]
        if untouched and len(untouched) == len(positive):
            sites = ", ".join(str(m.site) for m in untouched)
            yield _Pending(
                set(applying),
                Finding(
                    rule_id=PC_COVERAGE,
                    severity=Severity.WARNING if note else rule.severity,
                    message=f"{flag} is {'/'.join(applying)} but the series touches no member of "
                    f"{rule.id} ({rule.title}): {sites}",
                    location=Location(untouched[0].site.file),
                    flag=flag,
                    hint=rule.fix,
                    evidence=tuple(why + ([note] if note else [])),
                    patch=self._patch_of("", None, flag),
                ),
            )
            return
        seen = "family members: " + "; ".join(f"{v[1]} {_STATUS_WORDS[v[0]]}" for _, v in verdicts)
        for member, _ in verdicts:
            if member in self.moved:
                gone, now = self.moved[member]
                yield _Pending(
                    set(),
                    Finding(
                        rule_id=PC_STALE,
                        severity=Severity.UNRESOLVED,
                        message=f"rule {rule.id} member {gone}: {gone.function}() not found in {gone.file}; "
                        f"its pattern lives now in {now}, checked there; the pack may need updating",
                        location=Location(gone.file),
                        flag=flag,
                        hint="Update the member in the rule pack.",
                        evidence=(f"pack entry {rule.origin}", f"found by what the member does: {now}"),
                    ),
                )
        for member, (status, site, line, detail, evidence) in verdicts:
            if status == "missing" or status == "untouched":
                partial = note if status == "untouched" else None
                yield _Pending(
                    set(applying),
                    Finding(
                        rule_id=rule.id,
                        severity=Severity.WARNING if partial else rule.severity,
                        message=f"{site.function}(): {detail}",  # the location names the file
                        location=Location(site.file, line),
                        flag=flag,
                        hint=rule.fix,
                        evidence=tuple(
                            why
                            + evidence
                            + ([member.why] if member.why else [])
                            + [seen]
                            + ([partial] if partial else [])
                        ),
                        patch=self._patch_of(site.file, line, flag),
                    ),
                )
            elif status == "stale":
                yield _Pending(
                    set(),
                    Finding(
                        rule_id=PC_STALE,
                        severity=Severity.UNRESOLVED,
                        message=f"rule {rule.id} member {site}: {detail}; the pack may need updating",
                        location=Location(site.file),
                        flag=flag,
                        hint="Update the member in the rule pack.",
                        evidence=(f"pack entry {rule.origin}",),
                    ),
                )

    def _claim_findings(self, facts: FlagFacts, gaps: set[str]) -> Iterator[Finding]:
        note = self.view.incomplete_note() if self.view else None
        where = (
            "in the tree after the series"
            if self.cache.data("include/linux/mm.h") is not None
            else "in the patches present"
        )
        seen: set[tuple[str, str]] = set()
        for claim in facts.claims:
            if claim.property not in gaps or (claim.property, claim.sentence) in seen:
                continue
            seen.add((claim.property, claim.sentence))
            expected = [
                _describe(m)
                for r in self.families
                if claim.property in r.applies_to
                for m in r.members
                if not m.must_not_clear
            ]
            where_said = " in its subject" if claim.line == 0 else ""
            like = f", like {claim.via}" if claim.via else ""
            # what the packs mean by the property, so a promise worded alike but meant otherwise shows
            # (pages "never swapped" because kept resident are not pages dropped instead of swapped)
            spec = self.packs.properties().get(claim.property)
            meaning = f" ({claim.property}: {spec.doc.rstrip('.')}.)" if spec and spec.doc else ""
            yield Finding(
                rule_id=PC_CLAIM,
                severity=Severity.WARNING if note else Severity.ERROR,
                message=f'patch {self._label(claim.patch)} promises{where_said} "{claim.sentence}" '
                f"({claim.property}{like}) but no site {where} makes {facts.name} {claim.property}",
                location=Location(COMMIT_MSG, claim.line or None),
                flag=facts.name,
                hint="Implement it at: " + "; ".join(expected) + "." + meaning if expected else None,
                evidence=tuple([f"expected one of: {', '.join(expected)}"] + ([note] if note else [])),
                patch=claim.patch,
            )


def _either(a: bool | None, b: bool | None) -> bool | None:
    """Three-valued or: True if either is, None (cannot tell) if either is unknown, else False."""
    if a or b:
        return True
    return None if a is None or b is None else False


def _promised_flags(claim: Claim, lines: list[str], candidates: set[str]) -> set[str]:
    """The flags a promise speaks of: those it names, else those named last before it (for the subject:
    the one flag the series is about); none if that does not decide. The flag of an analogy ("like
    VM_X") is what the promise is compared to, never what it speaks of."""
    candidates = candidates - {claim.via} if claim.via else candidates
    named = flags_in(claim.sentence) & candidates
    if named:
        return named
    for text in reversed(lines[: claim.line]):
        named = flags_in(text) & candidates
        if named:
            return named
    return set(candidates) if claim.line == 0 and len(candidates) == 1 else set()


_BaseKey = tuple[str, str | None, str, str]
_BaseMemo = dict[tuple[int, frozenset[str], frozenset[str]], tuple[PackSet, set[_BaseKey]]]
_BASE_KEYS: weakref.WeakKeyDictionary[Any, _BaseMemo] = weakref.WeakKeyDictionary()

_STATUS_WORDS = {
    "ok": "handles it",
    "missing": "does not",
    "untouched": "not touched by the series",
    "stale": "not found",
    "unknown": "not in the tree",
}


def _key(finding: Finding) -> tuple[str, str | None, str, str]:
    """A finding's identity across trees: line numbers (also those in the message) move with the series."""
    path = finding.location.path if finding.location else ""
    return finding.rule_id, finding.flag, path, re.sub(r"\d+", "#", finding.message)


def _describe(member: Member) -> str:
    helpers = " or ".join(str(v) for v in member.via)
    return f"{member.site} (or {helpers})" if helpers else str(member.site)


@dataclass
class _Pending:
    """A member finding, held back until we know whether a claim finding already covers its property."""

    props: set[str]
    finding: Finding
