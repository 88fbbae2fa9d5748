"""Judging a boot: recorded serial output (and damaged or edited copies of it) in, report and notes out.

No QEMU here: each case is what the console showed for one boot."""

from __future__ import annotations

from pathlib import Path

from patchcheck.probe.claims import CLAIMS, Status
from patchcheck.probe.vm import console
from patchcheck.probe.vm.kernels import KernelImage
from patchcheck.probe.vm.qemu import Boot
from patchcheck.probe.vm.render import render_matrix_text, render_vm_json, render_vm_text
from patchcheck.probe.vm.session import VmProbe, judge_boot
from patchcheck.probe.vm.watchdog import WatchedRun

SERIAL = Path(__file__).parent / "serial"
IMAGE = KernelImage(Path("/k/bzImage"), "bzImage", "6.12.0-test", "bzImage")


def judged(raw: bytes, *, stop: str = "exited", seconds: float = 2.5) -> VmProbe:
    run = WatchedRun(raw, b"", 0 if stop == "exited" else None, seconds, stop)
    return judge_boot(Boot(IMAGE, "tcg", run, console.parse(raw)))


def recorded(name: str) -> bytes:
    return (SERIAL / name).read_bytes()


def statuses(probe: VmProbe) -> dict[str, str]:
    return {verdict.claim: verdict.status.value for verdict in probe.report.verdicts}


def test_debian_612_with_swap_and_a_core_dump_passes_all_but_the_unrequested_pressure_claim() -> None:
    probe = judged(recorded("debian-6.12-cloud.raw"))
    assert statuses(probe) == {claim.id: "pass" for claim in CLAIMS} | {"oom-not-fatal": "skipped"}
    reclaim = _evidence(probe, "reclaim-drops")
    assert "droppable 0 kept, 16 zero, 0 other of 16 pages, Swap: 0 kB" in reclaim
    assert "private control 16 kept, 0 zero, 0 other of 16 pages, Swap: 64 kB" in reclaim
    dumped = _evidence(probe, "not-dumped")
    assert "droppable segment p_filesz=0, private control p_filesz=16384" in dumped
    assert "droppable bytes nowhere in the file" in dumped
    assert probe.notes == []
    assert probe.report.kernel["release"] == "6.12.118+deb12-cloud-amd64"
    assert probe.report.probed == "QEMU TCG guest booting bzImage bzImage (2.5 s)"


def test_a_kernel_without_a_swap_disk_is_unsupported_for_the_swap_half_and_says_why() -> None:
    probe = judged(recorded("debian-6.12-cloud-nographic.raw"))  # booted without the disk and its module
    found = statuses(probe)
    assert found["reclaim-drops"] == "unsupported"
    assert _evidence(probe, "reclaim-drops").endswith(
        "no swap disk (/dev/vda): kernel without CONFIG_VIRTIO_BLK and CONFIG_VIRTIO_PCI, built in or as "
        "modules of its package: 'never written to swap' cannot be observed"
    )
    assert "droppable 0 kept, 16 zero" in _evidence(probe, "reclaim-drops")  # the dropping half was seen
    assert probe.notes[0].startswith("no swap in the guest: no swap disk (/dev/vda)")
    assert "fail" not in found.values()


def test_a_kernel_without_coredump_support_is_unsupported_for_the_dump() -> None:
    raw = recorded("debian-6.12-cloud.raw")
    start = raw.index(b'{"obs":"coredump"')
    end = raw.index(b"}", start) + 1
    missing = b'{"obs":"coredump","outcome":"unsupported","detail":"no /proc/sys/kernel/core_pattern: ' + (
        b'kernel without CONFIG_COREDUMP"}'
    )
    probe = judged(raw[:start] + missing + raw[end:])
    assert statuses(probe)["not-dumped"] == "unsupported"
    assert "kernel without CONFIG_COREDUMP: no real core dump can be taken" in _evidence(probe, "not-dumped")
    assert probe.notes == [
        "no core dump in the guest: no /proc/sys/kernel/core_pattern: kernel without CONFIG_COREDUMP"
    ]


def test_debian_61_is_unsupported_and_never_failed() -> None:
    probe = judged(recorded("debian-6.1-cloud.raw"))
    found = statuses(probe)
    assert not probe.failed
    assert found == {claim.id: "unsupported" for claim in CLAIMS} | {"oom-not-fatal": "skipped"}
    # The kernel simply predates the flag: no option is reported missing.
    assert probe.notes == []


def test_no_serial_output_means_no_console() -> None:
    probe = judged(b"", stop="timeout", seconds=120)
    assert set(statuses(probe).values()) == {"unsupported"}
    assert probe.notes == [
        "kernel option missing: CONFIG_SERIAL_8250_CONSOLE (no serial output within 120 s; "
        "or the kernel did not boot at all)"
    ]
    assert probe.report.kernel["release"] == "6.12.0-test"  # from the image, since the guest said nothing


def test_kernel_that_never_ran_the_initramfs() -> None:
    probe = judged(recorded("debian-6.12-cloud-no-initrd.raw"))
    assert set(statuses(probe).values()) == {"unsupported"}
    assert probe.notes[0].startswith("kernel option missing: CONFIG_BLK_DEV_INITRD")
    assert any("Unable to mount root fs" in note for note in probe.notes[1:])


def test_guest_that_dies_midway_fails_the_running_check_only() -> None:
    raw = recorded("debian-6.12-cloud.raw")
    cut = raw[: raw.index(b"PATCHCHECK-RECORD 6 ")]  # died during the seventh observation: mlock
    cut += b"[    2.9] Kernel panic - not syncing: Fatal exception\r\n"
    probe = judged(cut, stop="exited")
    found = statuses(probe)
    assert found["mlock-exempt"] == "fail"
    assert "the guest died here: [    2.9] Kernel panic" in _evidence(probe, "mlock-exempt")
    assert found["creation"] == found["fork-wipe"] == "pass"  # reported before the panic
    for claim in ("refuse-keeponfork", "refuse-dodump", "vdso-params", "vdso-random", "vdso-after-drop"):
        assert found[claim] == "skipped", claim
    assert "the guest stopped before the observer finished: [    2.9] Kernel panic" in probe.notes[-2]


def test_kernel_without_madvise_is_unsupported_with_the_option_named() -> None:
    raw = recorded("debian-6.12-cloud.raw")
    raw = raw.replace(b'"pageout_errno":0', b'"pageout_errno":38')
    raw = raw.replace(b'"keeponfork_errno":22,"dodump_errno":22', b'"keeponfork_errno":38,"dodump_errno":38')
    probe = judged(raw)
    found = statuses(probe)
    for claim in ("reclaim-drops", "refuse-keeponfork", "refuse-dodump", "vdso-after-drop"):
        assert found[claim] == "unsupported", claim
    assert "fail" not in found.values()
    assert probe.notes == ["kernel option missing: CONFIG_ADVISE_SYSCALLS (madvise() returns ENOSYS)"]


def test_kernel_without_vdso_getrandom() -> None:
    raw = recorded("debian-6.12-cloud.raw")
    start = raw.index(b'{"obs":"vdso-getrandom"')
    end = raw.index(b"\n", start)
    raw = (
        raw[:start]
        + b'{"obs":"vdso-getrandom","outcome":"ok","vdso_present":true,"symbol_found":false}\r'
        + raw[end:]
    )
    probe = judged(raw)
    found = statuses(probe)
    assert [found[c] for c in ("vdso-params", "vdso-random", "vdso-after-drop")] == ["unsupported"] * 3
    assert probe.notes == ["kernel option missing: CONFIG_VDSO_GETRANDOM (no __vdso_getrandom in the vDSO)"]


def test_without_proc_failures_become_unsupported() -> None:
    raw = recorded("debian-6.12-cloud.raw").replace(b'"proc":true', b'"proc":false')
    raw = raw.replace(b'"vm_flags":["rd","wr","mr","mw","me","nr","wf","dd","sd","dp"]', b'"vm_flags":[]')
    probe = judged(raw)
    assert statuses(probe)["smaps-companions"] == "unsupported"
    assert "/proc unavailable in the guest" in _evidence(probe, "smaps-companions")
    assert probe.notes == ["kernel option missing: CONFIG_PROC_FS (/proc could not be mounted)"]


def test_text_report_has_the_live_form_plus_notes_and_no_control_characters() -> None:
    text = render_vm_text(judged(recorded("debian-6.12-cloud-nographic.raw")))
    lines = text.splitlines()
    assert lines[0] == "patchcheck probe: kernel 6.12.118+deb12-cloud-amd64 (x86_64), " + (
        "QEMU TCG guest booting bzImage bzImage (2.5 s)"
    )
    assert lines[1].startswith("note: no swap in the guest: no swap disk (/dev/vda)")
    assert lines[2].startswith("creation ") and "PASS" in lines[2]
    assert lines[-1] == "16 claims: 13 pass, 1 partial, 1 unsupported, 1 skipped"
    assert "\x1b" not in text and "\r" not in text
    broken = render_vm_text(judged(b""))
    assert broken.splitlines()[1].startswith("note: kernel option missing: CONFIG_SERIAL_8250_CONSOLE")


def test_json_report_says_how_the_kernel_was_probed() -> None:
    import json

    document = json.loads(render_vm_json(judged(recorded("debian-6.1-cloud.raw"))))
    assert document["vm"]["accel"] == "tcg" and document["vm"]["kind"] == "bzImage"
    assert document["kernel"]["release"] == "6.1.0-57-cloud-amd64"
    assert document["summary"]["fail"] == 0


def test_matrix_is_one_row_per_claim_one_column_per_kernel() -> None:
    probes = [judged(recorded("debian-6.1-cloud.raw")), judged(recorded("debian-6.12-cloud.raw"))]
    lines = render_matrix_text(probes).splitlines()
    assert lines[0].split() == ["claim", "6.1.0-57-cloud-amd64", "6.12.118+deb12-cloud-amd64"]
    assert lines[2].split() == ["creation", "unsupported", "pass"]
    without_disk = render_matrix_text([judged(recorded("debian-6.12-cloud-nographic.raw"))]).splitlines()
    # Under the table: what was not observed (partial), besides what failed.
    assert any(line.startswith("  not-dumped partial: 'dd' set; no core dump taken") for line in without_disk)
    assert len([line for line in lines if line.split()[0] in {c.id for c in CLAIMS}]) == len(CLAIMS)


def _evidence(probe: VmProbe, claim: str) -> str:
    return next(v.evidence for v in probe.report.verdicts if v.claim == claim)


def test_status_values_are_the_shared_ones() -> None:
    assert {s.value for s in Status} == {"pass", "partial", "fail", "unsupported", "skipped"}


def test_kernel_without_smaps() -> None:
    ok = b'"outcome":"ok",'
    raw = recorded("debian-6.12-cloud.raw").replace(ok, ok + b'"smaps_missing":true,')
    probe = judged(raw)
    found = statuses(probe)
    assert found["creation"] == found["smaps-companions"] == "unsupported"
    assert "fail" not in found.values()
    assert probe.notes == ["kernel option missing: CONFIG_PROC_PAGE_MONITOR (no /proc/self/smaps)"]
