"""`patchcheck flags --map` as text (a line per bit, free runs folded, collisions in red on a terminal) and as
one self-contained HTML page (a grid of cells per architecture, guards on hover); both first say which bits
are free on every architecture, where a new generic flag can go."""

from __future__ import annotations

import html
import textwrap

from patchcheck.model.bitmap import ArchMap, Bit

RED, BOLD, DIM, RESET = "\x1b[31m", "\x1b[1m", "\x1b[2m", "\x1b[0m"


def _holder_text(bit: Bit) -> str:
    parts = []
    for h in bit.holders:
        alias = f" (= {h.via})" if h.via else ""
        guard = "" if h.guard == "always" else f" [{h.guard}]"
        parts.append(f"{h.flag}{alias}{guard}" + (" (unresolved)" if h.unresolved else ""))
    return "; ".join(parts)


def free_everywhere(maps: list[ArchMap]) -> list[int]:
    """The bits a new generic flag can take: free, and no pool slot, on every architecture that has the bit
    (bits 32-63 count only where vm_flags is 64-bit)."""
    found = []
    for bit in range(max((len(m.bits) for m in maps), default=0)):
        here = [m.bits[bit] for m in maps if bit < len(m.bits)]
        if here and all(b.free and not b.pool for b in here):
            found.append(bit)
    return found


def free_headline(maps: list[ArchMap]) -> str:
    """Where a new generic flag can go. Bits 32-63 exist only where vm_flags is 64-bit: a flag there is
    defined under CONFIG_64BIT with a VM_NONE fallback, so those bits are named apart when some
    architecture is 32-bit."""
    free = free_everywhere(maps)
    if not any(len(m.bits) == 32 for m in maps):
        return f"free on every architecture (for a generic flag): {_spans(free)}"
    low, high = [b for b in free if b < 32], [b for b in free if b >= 32]
    return (
        f"free on every architecture (for a generic flag): {_spans(low)}; "
        f"on every 64-bit one (a flag there needs CONFIG_64BIT and a VM_NONE fallback): {_spans(high)}"
    )


def _spans(bits: list[int]) -> str:
    spans: list[list[int]] = []
    for bit in bits:
        if spans and spans[-1][-1] == bit - 1:
            spans[-1].append(bit)
        else:
            spans.append([bit])
    return ", ".join(f"{s[0]}-{s[-1]}" if len(s) > 1 else str(s[0]) for s in spans) or "none"


def render_text(maps: list[ArchMap], *, width: int = 80, colour: bool = False) -> str:
    out: list[str] = []
    if len(maps) > 1:
        head = free_headline(maps)
        wrapped = textwrap.wrap(head, max(width, 40), subsequent_indent="  ", break_on_hyphens=False)
        out += [f"{BOLD}{line}{RESET}" if colour else line for line in wrapped] + [""]
    for m in maps:
        used = sum(1 for b in m.bits if not b.free)
        free = sum(1 for b in m.bits if b.free)
        pooled = sum(1 for b in m.bits if b.free and b.pool)
        narrow = " (32-bit: bits 0-31 only)" if len(m.bits) == 32 else ""
        head = f"{m.arch}{narrow}: {used} bits held, {free} free"
        head += f" ({pooled} of them VM_HIGH_ARCH pool bits)" if pooled else ""
        head += f", {m.collisions} collision(s)" if m.collisions else ""
        out.append(f"{BOLD}{head}{RESET}" if colour else head)
        run: list[int] = []
        for bit in (*m.bits, None):
            if bit is not None and bit.free and not bit.pool:
                run.append(bit.bit)
                continue
            if run:
                span = f"{run[0]}-{run[-1]}" if len(run) > 1 else str(run[0])
                line = f"  {span:>5}  free"
                out.append(f"{DIM}{line}{RESET}" if colour else line)
                run = []
            if bit is None:
                break
            text = _holder_text(bit)
            if bit.pool:
                text = f"pool {bit.pool}: {text}" if text else f"pool {bit.pool} (free)"
            if bit.collisions:
                text += "  COLLISION: " + ", ".join(f"{a} and {b}" for a, b in bit.collisions)
            lines = textwrap.wrap(
                text,
                max(width - 9, 20),
                initial_indent=f"  {bit.bit:>5}  ",
                subsequent_indent=" " * 11,
                break_on_hyphens=False,
            )
            out.extend(f"{RED}{line}{RESET}" if colour and bit.collisions else line for line in lines)
        out.append("")
    return "\n".join(out).rstrip() + "\n"


_CSS = """
body { font-family: sans-serif; margin: 1em; }
h2 { font-size: 1.1em; margin: 1.2em 0 0.3em; }
table { border-collapse: collapse; }
td { border: 1px solid #bbb; width: 7.5em; height: 3.2em; vertical-align: top; font-size: 0.72em;
     padding: 2px; }
td .n { color: #777; font-size: 0.9em; }
td.free { background: #f4f4f4; color: #999; }
td.pool { background: #e8f0ff; }
td.used { background: #eaf7ea; }
td.collision { background: #ffd6d6; border: 2px solid #d00; color: #900; }
.legend span { display: inline-block; padding: 2px 8px; margin-right: 6px; border: 1px solid #bbb; }
"""


def _cell(bit: Bit) -> str:
    kind = "collision" if bit.collisions else "used" if bit.holders else "pool" if bit.pool else "free"
    names = [html.escape(h.flag + (f" (= {h.via})" if h.via else "")) for h in bit.holders]
    if bit.pool:
        names.insert(0, f"<i>{html.escape(bit.pool)}</i>")
    title = "\n".join(f"{h.flag}: {h.guard}" for h in bit.holders)
    if bit.collisions:
        title += "\ncollision: " + ", ".join(f"{a} and {b}" for a, b in bit.collisions)
    body = "<br>".join(names) or "free"
    return f'<td class="{kind}" title="{html.escape(title)}"><span class="n">{bit.bit}</span><br>{body}</td>'


def render_html(maps: list[ArchMap], *, source: str) -> str:
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>vm_flags bits: {html.escape(source)}</title>",
        f"<style>{_CSS}</style></head><body>",
        f"<h1>vm_flags bits of {html.escape(source)}</h1>",
        '<p class="legend"><span class="used" style="background:#eaf7ea">held</span>'
        '<span style="background:#e8f0ff">VM_HIGH_ARCH pool</span>'
        '<span style="background:#f4f4f4">free</span>'
        '<span style="background:#ffd6d6;color:#900">collision</span> hover a cell for guards</p>',
    ]
    if len(maps) > 1:
        parts.append(f"<p>{html.escape(free_headline(maps)).capitalize()}</p>")
    for m in maps:
        note = f", {m.collisions} collision(s)" if m.collisions else ""
        parts.append(f"<h2>{html.escape(m.arch)}{note}</h2><table>")
        for row in range(0, len(m.bits), 8):
            parts.append("<tr>" + "".join(_cell(b) for b in m.bits[row : row + 8]) + "</tr>")
        parts.append("</table>")
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"
