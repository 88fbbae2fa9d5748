"""Rules a series' diff decides on its own (with or without a tree): a new flag aliased to a core flag, a
slot or new flag on a fixed flag's bit, a new flag with no registry entry, a registry entry left behind by
a removed flag (or the reverse), and a new mmap/madvise refusal that returns -ENOTSUPP to user space.

The judging (patchcheck.rules.registry.seriesjudge) and the series view it reads are imported when a run
has a series: an audit never needs them."""

from __future__ import annotations

from collections.abc import Iterable

from patchcheck.report.finding import Finding
from patchcheck.rules.base import CheckContext
from patchcheck.rules.registry.seriesdocs import ALIAS_OF_CORE, ENOTSUPP, FIXED_BIT, LEFT_BEHIND, UNREGISTERED


class SeriesChecker:
    """Owns the rules judged on the lines a series adds and removes."""

    rules = (ALIAS_OF_CORE, FIXED_BIT, UNREGISTERED, LEFT_BEHIND, ENOTSUPP)

    def run(self, ctx: CheckContext) -> Iterable[Finding]:
        if ctx.series is None:
            return ()  # no series: nothing added or removed (what `judge` finds too)
        from patchcheck.rules.registry.seriesjudge import judge

        return judge(ctx)
