"""The PC7xx meta rules every pack gets: broken promises, uncovered families, unreviewed sites."""

from __future__ import annotations

from patchcheck.report.finding import Severity
from patchcheck.rules.base import RuleDoc

PC_CLAIM = "PC701"
PC_COVERAGE = "PC702"
PC_UNREVIEWED = "PC703"
PC_STALE = "PC704"

META_RULES: tuple[RuleDoc, ...] = (
    RuleDoc(
        id=PC_CLAIM,
        name="unimplemented-claim",
        severity=Severity.ERROR,
        summary="A commit message promises a behaviour that no site implements",
        what="Finds sentences in commit messages that promise a flag property (the `claims:` phrases of the "
        'rule packs: "never written out to swap", "doesn\'t count against the mlock budget", "not '
        'fatal", ...) and checks that at least one member of a family implementing that property '
        "handles the flag, in the tree after the series (or, without a tree, in the patches present).",
        why="A reviewer reads the promise and trusts it; a promise nothing implements is a bug report "
        "waiting to happen (VM_DROPPABLE's \"doesn't count against the mlock budget\" relied on sites "
        "the first patch did not touch). A warning when parts of the series are absent.",
        example='commit message: "e) It doesn\'t count against the mlock budget, since nothing is locked."\n'
        "patch touches mm/rmap.c and mm/memory.c but neither mlock_fixup() nor the mmap-time "
        "VM_LOCKED site",
        fix="Implement the promise at one of the named sites, or drop the sentence.",
        scope=("R19", "R23"),
        diff_only=True,
        origin="builtin (rule packs)",
        bisect=False,
    ),
    RuleDoc(
        id=PC_COVERAGE,
        name="family-not-covered",
        severity=Severity.WARNING,
        summary="A flag has a property but the series touches no member of a family that needs it",
        what="Without the member files in the tree, the packs still know each family's members by file and "
        "function. A flag gets properties from the members the series adds it to (one member of a "
        "family means the whole family) and from promises in the commit messages; a family such a "
        "property requires, none of whose members the series touches, is reported. Only properties "
        "the series itself declares or promises earn reminders: what only a pack's `flags:` entry "
        "says (hindsight the author may not share, or a series that merely re-defines an existing "
        "flag) gives none, and the text report says once which families were not reminded and why.",
        why="The classic way a new flag goes wrong is a forgotten site family (KSM, userfaultfd, mlock).",
        example="a series adds VM_FOO to folio_add_new_anon_rmap() (not swap-backed, so contents may "
        "vanish) but never excludes it in vma_ksm_compatible()",
        fix="Handle the flag at the family's members, or say in the pack why the family does not apply.",
        scope=("R22", "R25"),
        diff_only=True,
        origin="builtin (rule packs)",
        bisect=False,
    ),
    RuleDoc(
        id=PC_UNREVIEWED,
        name="unreviewed-site",
        severity=Severity.WARNING,
        summary="A site of a family's kind that the pack neither lists nor exempts",
        what="Each family may say how to discover its sites across the tree (e.g. every call that sets "
        "swap-backed on a folio in a function with a VMA in scope). A discovered site that is neither "
        "a member nor an exemption (with its reason) is reported as unreviewed.",
        why="Keeps the packs honest as the kernel grows new sites (R22's dirty-lazyfree sites moved and "
        "multiplied across releases).",
        example="a new helper in mm/ calls folio_set_swapbacked() with a vma argument",
        fix="Review the site; add it to the rule's members or to its exemptions with a reason.",
        scope=("R22",),
        origin="builtin (rule packs)",
    ),
    RuleDoc(
        id=PC_STALE,
        name="pack-member-not-found",
        severity=Severity.UNRESOLVED,
        summary="A pack member's function is not in its file any more",
        what="The member's file exists in the tree but the function the pack names is not defined there "
        "(renamed or moved); the rule cannot decide that member.",
        why="Unresolved, never guessed: the pack needs an update (or an `alternatives:` entry).",
        example="a member names mm/mmap.c __mmap_region() on a tree where it moved to mm/vma.c",
        fix="Update the member or add the new place under `alternatives:`.",
        origin="builtin (rule packs)",
    ),
)
