"""Does a family member handle a flag? Decided from the tree when its file is there, else from the diffs."""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass, field, replace
from enum import Enum

from tree_sitter import Node

from patchcheck.rules.packs.reach import Reach
from patchcheck.rules.packs.seriesview import AddedLine, SeriesView
from patchcheck.rules.packs.spec import Member, Site
from patchcheck.source import csrc
from patchcheck.source.tree import SourceTree

_MACRO = re.compile(r"\b[A-Z_][A-Z0-9_]*\b")


class Status(Enum):
    OK = "ok"
    MISSING = "missing"  # the member does not handle the flag
    ABSENT = "absent"  # none of the member's files is in the tree: decide from the diffs instead
    STALE = "stale"  # the file is there but the function is not: the pack needs updating


@dataclass
class Verdict:
    status: Status
    site: Site  # where it was looked at (the alternative that exists)
    line: int | None = None
    detail: str = ""
    evidence: list[str] = field(default_factory=list)
    moved: Site | None = None  # the member's own site, gone: `site` is where its pattern lives now


@dataclass
class Reads:
    """What a judgement read: file contents and directory listings (its inputs, to reuse it by)."""

    files: dict[str, bytes | None] = field(default_factory=dict)
    listings: dict[str, list[str]] = field(default_factory=dict)


class SourceCache:
    """Reads and locates functions once per run; `recording` collects what is read meanwhile."""

    def __init__(self, tree: SourceTree) -> None:
        self.tree = tree
        self._data: dict[str, bytes | None] = {}
        self._lists: dict[str, list[str]] = {}
        self.reach = Reach(self.data, self.list_files)
        self.recording: Reads | None = None

    def list_files(self, directory: str) -> list[str]:
        if directory not in self._lists:
            self._lists[directory] = [
                p for p in self.tree.list_files(directory) if posixpath.dirname(p) == directory
            ]
        if self.recording is not None:
            self.recording.listings[directory] = self._lists[directory]
        return self._lists[directory]

    def data(self, path: str) -> bytes | None:
        if path not in self._data:
            self._data[path] = self.tree.read_bytes(path)
        if self.recording is not None:
            self.recording.files[path] = self._data[path]
        return self._data[path]

    def has(self, reads: Reads) -> bool:
        """Whether this tree holds what `reads` read (then a judgement made on it holds here too)."""
        return all(self.data(p) == data for p, data in reads.files.items()) and all(
            self.list_files(d) == listing for d, listing in reads.listings.items()
        )

    def functions(self, site: Site) -> list[csrc.Function] | None:
        """None when the file is absent; [] when the function is not in it."""
        data = self.data(site.file)
        if data is None:
            return None
        return csrc.find_functions(data, site.function)


def _block_of(node: Node, stop: Node) -> Node:
    current = node.parent
    while current is not None and current != stop:
        if current.type == "case_statement":
            return current
        current = current.parent
    current = node.parent
    while current is not None and current.type != "compound_statement":
        current = current.parent
    return current or stop


def setting_blocks(body: Node, flag: str) -> list[Node]:
    """The case blocks (or compound statements) that OR `flag` into a flags variable."""
    return [_block_of(ident, body) for ident in csrc.or_assigned(body).get(flag, [])]


def companions_at(cache: SourceCache, site: Site, flag: str) -> set[str]:
    """Flags set in the same block as `flag` at a creation site (e.g. do_mmap's MAP_DROPPABLE case)."""
    found: set[str] = set()
    for fn in cache.functions(site) or []:
        for block in setting_blocks(fn.body, flag):
            found |= {f for f in csrc.or_assigned(block) if f.startswith("VM_") and f != flag}
    return found


# Judgements of a verify run, shared by its states: (member, flag, companions, refuses) -> what they read
# and the verdict. The states differ in a few files, so most judgements hold in every state.
JudgeMemo = dict[tuple[Member, str, frozenset[str], frozenset[str]], list[tuple[Reads, Verdict]]]


class MemberJudge:
    def __init__(self, cache: SourceCache, memo: JudgeMemo | None = None) -> None:
        self.cache = cache
        self.reach = cache.reach
        self.memo: JudgeMemo = memo if memo is not None else {}

    def judge(self, member: Member, flag: str, companions: set[str], refuses: set[str]) -> Verdict:
        key = (member, flag, frozenset(companions), frozenset(refuses))
        for reads, verdict in self.memo.get(key, []):
            if self.cache.has(reads):
                return replace(verdict, evidence=list(verdict.evidence))
        outer, self.cache.recording = self.cache.recording, Reads()
        try:
            verdict = self._judge(member, flag, companions, refuses)
        finally:
            reads, self.cache.recording = self.cache.recording, outer
        self.memo.setdefault(key, []).append((reads, replace(verdict, evidence=list(verdict.evidence))))
        if outer is not None:
            outer.files.update(reads.files)
            outer.listings.update(reads.listings)
        return verdict

    def _judge(self, member: Member, flag: str, companions: set[str], refuses: set[str]) -> Verdict:
        stale: Site | None = None
        for site in (member.site, *member.alternatives):
            found = self.cache.functions(site)
            if found is None:
                continue
            if not found:
                stale = stale or site
                continue
            verdicts = [self._judge_function(member, site, fn, flag, companions, refuses) for fn in found]
            ok = [v for v in verdicts if v.status is Status.OK]
            return ok[0] if ok else verdicts[0]
        if stale is not None:
            for moved in self.reach.relocate(member, flag):
                for fn in self.cache.functions(moved) or []:
                    verdict = self._judge_function(member, moved, fn, flag, companions, refuses)
                    verdict.moved = stale
                    return verdict
            return Verdict(Status.STALE, stale, detail=f"{stale.function}() not found in {stale.file}")
        return Verdict(Status.ABSENT, member.site)

    def _tests_via(self, member: Member, body: Node, flag: str) -> Site | None:
        called = csrc.called_names(body)
        for helper in member.via:
            if helper.function not in called:
                continue
            for fn in self.cache.functions(helper) or []:
                if csrc.flag_tests(fn.body, flag):
                    return helper
        return None

    def _judge_function(
        self,
        member: Member,
        site: Site,
        fn: csrc.Function,
        flag: str,
        companions: set[str],
        refuses: set[str],
    ) -> Verdict:
        body = fn.body
        if member.mask_with:
            return self._mask_with(member, site, fn, flag)
        if member.guards_calls:
            guarded_calls = csrc.calls(body, set(member.guards_calls))
            unguarded = [c for c in guarded_calls if not self._guarded(site, c, body, flag)]
            if not unguarded:
                return Verdict(Status.OK, site)
            call = unguarded[0]
            return Verdict(
                Status.MISSING, site, csrc.line_of(call), f"{csrc.text(call)} runs without testing {flag}"
            )
        if member.condition_with_calls:
            if self._condition_tests_with_call(site, body, flag, set(member.condition_with_calls)):
                return Verdict(Status.OK, site)
            related = csrc.calls(body, set(member.condition_with_calls))
            line = csrc.line_of(related[0]) if related else fn.line
            names = "/".join(member.condition_with_calls)
            return Verdict(Status.MISSING, site, line, f"the {names}() decision does not consult {flag}")
        if member.refuses_clearing:
            return self._refuses_clearing(site, fn, flag, companions)
        if member.creation:
            return self._creation(site, fn, flag, companions, refuses)
        if member.must_not_clear:
            if flag in csrc.and_not_cleared(body):
                first = next(csrc.identifiers(body, {flag}))
                return Verdict(Status.MISSING, site, csrc.line_of(first), f"clears {flag}")
            return Verdict(Status.OK, site)
        chain = self.reach.tests(site.file, body, flag)
        if chain is not None:
            through = [f"tests {flag} through {' -> '.join(chain)}"] if chain else []
            return Verdict(Status.OK, site, evidence=through)
        helper = self._tests_via(member, body, flag)
        if helper is not None:
            return Verdict(Status.OK, site, evidence=[f"tests {flag} through {helper}"])
        helpers = " nor ".join(f"{v.function}()" for v in member.via)
        return Verdict(
            Status.MISSING,
            site,
            fn.line,
            f"never tests {flag}" + (f" (nor does {helpers})" if helpers else ""),
        )

    def _guarded(self, site: Site, call: Node, body: Node, flag: str) -> bool:
        """`call` runs only under a condition that tests `flag` (itself or through a helper it calls)."""
        return any(
            self.reach.tests(site.file, cond, flag) is not None for cond in csrc.conditions_over(call, body)
        )

    def _condition_tests_with_call(self, site: Site, body: Node, flag: str, names: set[str]) -> bool:
        """Some if/while condition calls one of `names` and tests `flag` (itself or through a helper)."""
        for sub in csrc.walk(body):
            if sub.type in ("if_statement", "while_statement"):
                cond = sub.child_by_field_name("condition")
                if (
                    cond is not None
                    and csrc.calls(cond, names)
                    and self.reach.tests(site.file, cond, flag) is not None
                ):
                    return True
        return False

    def _mask_with(self, member: Member, site: Site, fn: csrc.Function, flag: str) -> Verdict:
        anchors = [a for a in csrc.identifiers(fn.body, set(member.mask_with)) if csrc.is_flag_test(a)]
        if any(flag in csrc.mask_members(a) for a in anchors):
            return Verdict(Status.OK, site)
        if member.or_set_with:
            ok, evidence = self._always_set_with(member, flag)
            if ok:
                return Verdict(Status.OK, site, evidence=evidence)
        for _, helper, chain in self.reach.helpers(site.file, fn.body):
            inner = [a for a in csrc.identifiers(helper.body, set(member.mask_with)) if csrc.is_flag_test(a)]
            if any(flag in csrc.mask_members(a) for a in inner):
                return Verdict(Status.OK, site, evidence=[f"{flag} is in the mask of {' -> '.join(chain)}"])
        line = csrc.line_of(anchors[0]) if anchors else fn.line
        also = (
            f" and {flag} is not always set together with {'/'.join(member.or_set_with)}"
            if member.or_set_with
            else ""
        )
        return Verdict(
            Status.MISSING, site, line, f"{flag} is not in the mask with {'/'.join(member.mask_with)}{also}"
        )

    def _always_set_with(self, member: Member, flag: str) -> tuple[bool, list[str]]:
        evidence: list[str] = []
        blocks = []
        for site in member.via:
            for fn in self.cache.functions(site) or []:
                for block in setting_blocks(fn.body, flag):
                    blocks.append(block)
                    evidence.append(f"{site.file}:{csrc.line_of(block)}: sets {flag}")
        if not blocks:
            return False, evidence
        return all(set(member.or_set_with) <= set(csrc.or_assigned(b)) for b in blocks), evidence

    def _refuses_clearing(self, site: Site, fn: csrc.Function, flag: str, companions: set[str]) -> Verdict:
        for labels, block in csrc.case_blocks(fn.body):
            cleared = csrc.and_not_cleared(block) & companions
            # the refusal may test the flag through a helper (`if (vma_is_droppable(vma))`)
            if cleared and self.reach.tests(site.file, block, flag) is None:
                return Verdict(
                    Status.MISSING,
                    site,
                    csrc.line_of(block),
                    f"{'/'.join(labels)} clears {', '.join(sorted(cleared))} (implied by {flag}) "
                    f"without refusing {flag}",
                )
        return Verdict(Status.OK, site, evidence=[f"companions of {flag}: {', '.join(sorted(companions))}"])

    def _creation(
        self, site: Site, fn: csrc.Function, flag: str, companions: set[str], refuses: set[str]
    ) -> Verdict:
        blocks = setting_blocks(fn.body, flag)
        if not blocks:
            return Verdict(Status.MISSING, site, fn.line, f"never sets {flag}")
        block = blocks[0]
        unset = sorted(companions - set(csrc.or_assigned(block)))
        if unset:
            return Verdict(
                Status.MISSING,
                site,
                csrc.line_of(block),
                f"sets {flag} without its companions {', '.join(unset)}",
            )
        unrefused = sorted(r for r in refuses if not csrc.flag_tests(block, r))
        if unrefused:
            return Verdict(
                Status.MISSING,
                site,
                csrc.line_of(block),
                f"sets {flag} without refusing {', '.join(unrefused)}",
            )
        return Verdict(Status.OK, site)


def touched_in_series(member: Member, flag: str, view: SeriesView, upto: int | None) -> int | None:
    """The patch that adds `flag` to the member the way the member tests it, as far as the diff shows.

    A mask member needs the flag in a line of the mask, a guard member a line near the guarded call: adding
    VM_X for another reason to a big function (try_to_unmap_one tests many flags) is no family membership.
    """
    if member.must_not_clear:
        return None
    names = {member.site.function, *(a.function for a in member.alternatives)}
    names |= {v.function for v in member.via}
    anchors = set(member.mask_with) or set(member.guards_calls) | set(member.condition_with_calls)
    for patch in view.upto(upto):
        for added in patch.added:
            if added.function not in names or flag not in csrc_flags(added.text):
                continue
            if member.creation and "|=" not in added.text and "vm_flags_set" not in added.text:
                continue  # creation means setting the flag, not testing it
            if member.mask_with and not anchors & csrc_flags(added.text) and not _continues_mask(added):
                continue
            near_anchor = any(a in line for line in added.near for a in anchors)
            if anchors and not member.mask_with and not near_anchor:
                continue
            return patch.index
    return None


def _continues_mask(added: AddedLine) -> bool:
    """`VM_A | VM_B |` / `VM_X)))`: a line of an OR-mask spread over several lines."""
    text = added.text.strip()
    previous = added.after[-1].rstrip() if added.after else ""
    return bool(text) and (text.startswith("|") or previous.endswith("|"))


def csrc_flags(line: str) -> set[str]:
    return set(_MACRO.findall(line))
