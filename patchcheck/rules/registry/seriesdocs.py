"""Catalogue entries of the rules judged on a series' own lines (series.py)."""

from __future__ import annotations

from patchcheck.report.finding import Severity
from patchcheck.rules.base import RuleDoc
from patchcheck.rules.registry.common import MM_H

ALIAS_OF_CORE = RuleDoc(
    id="PC150",
    name="alias-of-core-flag",
    severity=Severity.ERROR,
    summary="A flag the series introduces is defined as a core flag (VM_WRITE, VM_LOCKED, ...)",
    what="Reads the definitions a series adds: a new flag whose value is another, always-present core flag "
    "(`#define VM_X VM_WRITE`, or DECLARE_VMA_BIT_ALIAS(X, WRITE) in the enum style) under any guard. "
    "VM_ARCH_1 is the one core bit meant to be lent (PC104 checks its aliases). Works with and without a "
    "tree: the core flags' bits are built-in facts.",
    why="Every generic test of the new flag then fires for every VMA with the core flag: `vma->vm_flags & "
    "VM_X` is true for every writable mapping, and clearing VM_X clears VM_WRITE.",
    example="#ifdef CONFIG_FOO_ARCH\n# define VM_FOO_GUARDED\tVM_WRITE\t/* meant a bit of its own */\n#endif",
    fix="Give the flag a bit of its own (a free high bit or a VM_HIGH_ARCH_n pool bit), or alias VM_ARCH_1 "
    "on an architecture where no other alias is live.",
    scope=("R2", "R4"),
    diff_only=True,
)
FIXED_BIT = RuleDoc(
    id="PC151",
    name="bit-of-fixed-flag",
    severity=Severity.ERROR,
    summary="A pool or arch slot, or (without a tree) a new flag, is defined on a core flag's bit",
    what="Reads the definitions a series adds: a VM_HIGH_ARCH_BIT_n / VM_HIGH_ARCH_n / VM_ARCH_n slot (or "
    "its DECLARE_VMA_BIT) whose bit belongs to a core flag in every configuration (VM_READ..VM_MERGEABLE, "
    "built-in facts). Without a tree, a flag the series introduces on such a bit too (with a tree PC102 "
    "reports that collision per configuration).",
    why="Every flag placed in the slot silently shares a bit with VM_WRITE, VM_LOCKED or another flag that "
    "is set on most VMAs.",
    example="#define VM_HIGH_ARCH_BIT_6\t31\t/* VM_MERGEABLE's bit; the pool starts at 32 */",
    fix="Use the next free bit (pool bits are 32 + n).",
    scope=("R2",),
    diff_only=True,
)
UNREGISTERED = RuleDoc(
    id="PC250",
    name="new-flag-unregistered",
    severity=Severity.WARNING,
    summary="Without a tree: a new flag with a real bit and no smaps mnemonic in the series",
    what="Verify without --tree: a flag the series introduces that is a real bit where the hunks show it "
    "defined (not only a VM_ARCH_1 alias), and none of the patches read adds an smaps mnemonic for it "
    "(the message also says whether a trace name is missing; the proc.rst line cannot exist without a "
    "mnemonic). A warning: a patch that is not part of the diffs read may add them. With a tree, PC201, "
    "PC303 and PC401 decide each registry.",
    why="VmFlags would print '??' for the flag, and the trace output would not name it (R6, R11, R13).",
    example="+#define VM_FOO\tBIT(44)\t/* no [ilog2(VM_FOO)] entry, no trace name, no proc.rst line */",
    fix="Add the mnemonic to show_smap_vma_flags(), a name to __def_vmaflag_names, a line to proc.rst.",
    scope=("R6", "R11", "R13"),
    needs=(MM_H,),
    diff_only=True,
)
LEFT_BEHIND = RuleDoc(
    id="PC450",
    name="registry-left-behind",
    severity=Severity.WARNING,
    summary="A flag is removed while its mnemonic, trace name or proc.rst line stays, or the reverse",
    what="Reads what a series removes: every #define of a flag removed while its smaps entry or trace name "
    "is still in the tree after the series (with a tree), or while the proc.rst line of the mnemonic the "
    "series removed is not removed; and the reverse, a flag's smaps mnemonic or trace name removed while "
    "its definition stays (shown in the hunks' context).",
    why="A removed flag left in smaps is a build error (or an 'rd'-overwriting entry if a fallback remains); "
    "a documented code that is never printed misleads readers (R13); a flag that stays without its "
    "mnemonic prints '??'.",
    example='-#define VM_FOO\tBIT(44)\n-\t\t[ilog2(VM_FOO)] = "fo",\n(proc.rst still lists "fo")',
    fix="Remove (or keep) the flag, its smaps entry, its trace name and its proc.rst line together.",
    scope=("R6", "R9", "R13"),
    diff_only=True,
)
ENOTSUPP = RuleDoc(
    id="PC650",
    name="enotsupp-to-user",
    severity=Severity.ERROR,
    summary="A new refusal of an mmap/madvise/mprotect flag returns the kernel-internal -ENOTSUPP",
    what="An added line returning or assigning -ENOTSUPP in C code next to a MAP_*, MADV_* or PROT_* flag "
    "(the hunk's neighbouring lines): the refusal path of a user-space flag.",
    why="ENOTSUPP (524) is internal to the kernel (NFS); user space has no name for it and strerror() says "
    '"Unknown error 524". MAP_DROPPABLE shipped that way until a later fix changed it to -EOPNOTSUPP.',
    example="case MAP_DROPPABLE:\n\tif (VM_DROPPABLE == VM_NONE)\n\t\treturn -ENOTSUPP;",
    fix="Return -EOPNOTSUPP (or -EINVAL).",
    scope=("R19",),
    diff_only=True,
)
