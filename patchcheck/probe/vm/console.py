"""Reading the guest's serial console: clean the bytes, find the observer's markers, collect its records.

The observer prints, each line written whole:
    PATCHCHECK-BEGIN {"observer": 1, "release": ..., ...}
    PATCHCHECK-RECORD <seq> {observation record as JSON}
    PATCHCHECK-END <count>
Only these markers say what happened in the guest; QEMU's exit status does not (it is 0 after power-off,
reset and panic alike). Kernel lines around them (panics, BUG/WARNING splats) are kept as evidence.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

BEGIN = "PATCHCHECK-BEGIN"
RECORD = "PATCHCHECK-RECORD"
END = "PATCHCHECK-END"

# CSI sequences (colours, cursor moves), OSC strings, short escapes (ESC c resets the terminal); then any
# other control character except newline and tab. Firmware and terminals emit these; none may reach a report.
_ESCAPES = re.compile(rb"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?|\x1b[ -/]*[0-~]?")
_CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
_MARKER = re.compile(rf"({BEGIN}|{RECORD}|{END})(?:[ \t]+(.*))?$")
_RECORD_BODY = re.compile(r"(\d+)[ \t]+(\{.*\})\s*$")
_KERNEL_ALERT = re.compile(
    r"Kernel panic|BUG:|WARNING:|Oops|general protection|Unable to mount root|No working init|"
    r"Failed to execute|KVM internal error|emulation failure"
)


def clean(raw: bytes) -> str:
    """Printable text: escape sequences and carriage returns removed, bytes that are not UTF-8 replaced."""
    text = _ESCAPES.sub(b"", raw).decode("utf-8", errors="replace")
    return _CONTROLS.sub("", text.replace("\r", ""))


@dataclass
class GuestOutput:
    """What the serial console showed."""

    text: str  # cleaned console text
    header: dict[str, Any] | None = None  # the BEGIN line's JSON; None when the observer never started
    records: list[dict[str, Any]] = field(default_factory=list)
    end_count: int | None = None  # the count the END line announced; None when it never came
    problems: list[str] = field(default_factory=list)  # garbled or missing records
    kernel_alerts: list[str] = field(default_factory=list)  # panic / BUG / WARNING lines from the kernel

    @property
    def began(self) -> bool:
        return self.header is not None

    @property
    def complete(self) -> bool:
        return self.end_count is not None and not self.problems

    def kernel_lines(self) -> list[str]:
        """Console lines that are not the observer's, non-empty."""
        return [line for line in self.text.splitlines() if line.strip() and not _MARKER.search(line)]


_END_BYTES = re.compile(rb"PATCHCHECK-END \d+\r?\n")


def has_end_marker(raw: bytes) -> bool:
    """Cheap test on raw bytes while QEMU still runs: has the observer finished (its whole END line)?"""
    return _END_BYTES.search(raw) is not None


def has_begin_marker(raw: bytes) -> bool:
    return BEGIN.encode() in raw


def parse(raw: bytes) -> GuestOutput:
    text = clean(raw)
    out = GuestOutput(text=text)
    by_seq: dict[int, dict[str, Any]] = {}
    for line in text.splitlines():
        if _KERNEL_ALERT.search(line):
            out.kernel_alerts.append(line.strip())
        match = _MARKER.search(line)
        if not match:
            continue
        kind, body = match.group(1), (match.group(2) or "").strip()
        if kind == BEGIN:
            out.header = _json_object(body) or {"raw": body}
        elif kind == END:
            out.end_count = int(body) if body.isdigit() else None
            if out.end_count is None:
                out.problems.append(f"garbled end marker: {line.strip()!r}")
        else:
            _take_record(body, line, by_seq, out.problems)
    out.records = [by_seq[seq] for seq in sorted(by_seq)]
    if out.end_count is not None:
        missing = sorted(set(range(out.end_count)) - set(by_seq))
        if missing:
            out.problems.append(f"records missing from the console: {', '.join(map(str, missing))}")
    return out


def _take_record(body: str, line: str, by_seq: dict[int, dict[str, Any]], problems: list[str]) -> None:
    match = _RECORD_BODY.match(body)
    record = _json_object(match.group(2)) if match else None
    if match is None or record is None:
        problems.append(f"garbled record line: {line.strip()[:200]!r}")
        return
    by_seq[int(match.group(1))] = record


def _json_object(text: str) -> dict[str, Any] | None:
    try:
        value = json.loads(text)
    except ValueError:
        return None
    return _printable(value) if isinstance(value, dict) else None


def _printable(value: Any) -> Any:
    """JSON escapes (\u001b) decode to control characters: strip them from every string the guest sent."""
    if isinstance(value, str):
        return _CONTROLS.sub("", value)
    if isinstance(value, dict):
        return {_printable(key): _printable(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_printable(item) for item in value]
    return value
