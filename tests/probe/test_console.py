"""The console parser, on serial output recorded from real boots (tests/probe/serial/*.raw, our own
observer's output) and on damaged variants of it."""

from __future__ import annotations

from pathlib import Path

import pytest

from patchcheck.probe.vm import console

SERIAL = Path(__file__).parent / "serial"
OBSERVATIONS = [
    "kernel", "swap", "map-droppable", "map-refusals", "reclaim", "fork", "mlock", "madvise-refusals",
    "coredump", "pressure", "vdso-getrandom",
]  # fmt: skip


def recorded(name: str) -> bytes:
    return (SERIAL / name).read_bytes()


def test_debian_612_boot_yields_every_record_in_order() -> None:
    out = console.parse(recorded("debian-6.12-cloud.raw"))
    assert out.began and out.complete
    assert out.header == {"observer": 1, "release": "6.12.118+deb12-cloud-amd64", "pid1": True, "proc": True}
    assert [record["obs"] for record in out.records] == OBSERVATIONS
    assert out.end_count == len(OBSERVATIONS)
    assert out.records[1] == {
        "obs": "swap",
        "outcome": "ok",
        "modules": {"virtio_blk": 0},
        "device": "/dev/vda",
        "swapon_errno": 0,
        "swap_total_kb": 65532,
        "ready_ms": 0,
    }
    droppable = out.records[2]
    assert droppable["mmap_errno"] == 0 and "dp" in droppable["vm_flags"]
    assert out.kernel_alerts == []
    assert out.kernel_lines()[-1].endswith("reboot: Restarting system")


def test_debian_61_boot_shows_the_flag_refused() -> None:
    out = console.parse(recorded("debian-6.1-cloud.raw"))
    assert out.complete
    assert out.records[0]["release"].startswith("6.1.")
    assert out.records[2]["mmap_errno"] == 22  # EINVAL: no MAP_DROPPABLE before 6.11
    assert list(out.records[1]["modules"])[-2:] == ["virtio_pci", "virtio_blk"]  # 6.1 needs the transport


def test_nographic_escape_codes_and_carriage_returns_are_removed() -> None:
    raw = recorded("debian-6.12-cloud-nographic.raw")
    assert b"\x1b[" in raw and b"\r\n" in raw  # the recording really has them
    out = console.parse(raw)
    assert "\x1b" not in out.text and "\r" not in out.text
    assert all(ch == "\n" or ch == "\t" or ch >= " " for ch in out.text)
    assert out.complete and [record["obs"] for record in out.records] == OBSERVATIONS
    plain = console.parse(recorded("debian-6.12-cloud.raw"))
    # Recorded without the swap disk and without --coredump: those records differ, the others must not.
    same = ("map-droppable", "map-refusals", "fork", "mlock", "madvise-refusals", "pressure")
    assert [_without_addresses(r) for r in out.records if r["obs"] in same] == [
        _without_addresses(r) for r in plain.records if r["obs"] in same
    ]
    assert "SeaBIOS" in out.text  # firmware text stays readable, minus its escapes


def _without_addresses(record: dict[str, object]) -> dict[str, object]:
    return {key: value for key, value in record.items() if key not in ("addr", "vma_start", "vma_end")}


def test_boot_without_initramfs_is_a_panic_and_no_observer() -> None:
    out = console.parse(recorded("debian-6.12-cloud-no-initrd.raw"))
    assert not out.began and out.records == [] and out.end_count is None
    assert any("Unable to mount root fs" in alert for alert in out.kernel_alerts)


def test_empty_output() -> None:
    out = console.parse(b"")
    assert not out.began and not out.complete and out.text == ""


def test_cut_off_output_is_incomplete_but_keeps_what_arrived() -> None:
    raw = recorded("debian-6.12-cloud.raw")
    cut = raw[: raw.index(b"PATCHCHECK-RECORD 5 ")]
    out = console.parse(cut)
    assert out.began and not out.complete and out.end_count is None
    assert [record["obs"] for record in out.records] == OBSERVATIONS[:5]
    assert not console.has_end_marker(cut) and console.has_end_marker(raw)


def test_kernel_message_inside_a_record_is_reported_not_misread() -> None:
    raw = recorded("debian-6.12-cloud.raw")
    start = raw.index(b"PATCHCHECK-RECORD 3 ") + 40
    damaged = raw[:start] + b"\r\n[    2.5] WARNING: CPU: 0 PID: 1 at mm/x.c:1\r\n" + raw[start:]
    out = console.parse(damaged)
    assert not out.complete
    assert [record["obs"] for record in out.records] == OBSERVATIONS[:3] + OBSERVATIONS[4:]
    assert any("garbled record line" in problem for problem in out.problems)
    assert any("records missing from the console: 3" in problem for problem in out.problems)
    assert out.kernel_alerts == ["[    2.5] WARNING: CPU: 0 PID: 1 at mm/x.c:1"]


@pytest.mark.parametrize(
    "raw, cleaned",
    [
        (b"a\x1b[31mred\x1b[0m b\r\n", "ared b\n"),
        (b"\x1bcreset\x1b[?7l\x1b[2J", "reset"),
        (b"title\x1b]0;xterm\x07 text", "title text"),
        (b"bell\x07 nul\x00 ok\tend\n", "bell nul ok\tend\n"),
        (b"bad \xff\xfe utf8", "bad \ufffd\ufffd utf8"),
    ],
)
def test_clean(raw: bytes, cleaned: str) -> None:
    assert console.clean(raw) == cleaned


def test_end_marker_is_seen_whole_even_after_kernel_text_on_its_line() -> None:
    assert console.has_end_marker(b"[ 2.1] random: crng init done PATCHCHECK-END 10\r\n")
    assert not console.has_end_marker(b"PATCHCHECK-END 1")  # the line is not complete yet: "10" may follow
    out = console.parse(
        recorded("debian-6.12-cloud.raw").replace(b"PATCHCHECK-END", b"[ 2.1] x PATCHCHECK-END")
    )
    assert out.complete


def test_control_characters_escaped_inside_json_do_not_survive() -> None:
    raw = (
        b'PATCHCHECK-BEGIN {"observer":1,"release":"6.12\\u001b[31m","proc":true}\n'
        b'PATCHCHECK-RECORD 0 {"obs":"kernel","outcome":"ok",'
        b'"release":"6.12\\u001b[31m\\r","flags":["d\\u0007p"]}\n'
        b"PATCHCHECK-END 1\n"
    )
    out = console.parse(raw)
    assert out.complete
    assert out.header is not None and out.header["release"] == "6.12[31m"
    assert out.records[0]["release"] == "6.12[31m" and out.records[0]["flags"] == ["dp"]
