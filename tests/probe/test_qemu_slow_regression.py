"""Opt-in (PATCHCHECK_SLOW=1): build a small 6.12 kernel with a deliberate regression and watch the probe in
QEMU fail exactly the claim it breaks; and one without ADVISE_SYSCALLS, booted as a PVH vmlinux, answered
"unsupported" with the option named.

The regression lets do_mmap() accept MAP_LOCKED together with MAP_DROPPABLE. The kernel is built from the
real tree (Debian's linux-source-6.12, see `real_tree`) hard-linked into a scratch directory, the one edited
file replaced rather than written through, so the cached tree is never touched. tinyconfig plus the options
the probe needs; about 3-5 minutes on 2 cores the first time, then the built image is reused from the cache.
Needs gcc, make, flex, bison, bc, libelf-dev.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from patchcheck.probe.claims import CLAIMS
from patchcheck.probe.run import ProbeOptions
from patchcheck.probe.vm.kernels import cache_dir, open_kernel
from patchcheck.probe.vm.session import probe_kernel

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(os.environ.get("PATCHCHECK_SLOW") != "1", reason="slow: set PATCHCHECK_SLOW=1"),
]

# What the observer needs from a kernel (see the QEMU notes), on top of tinyconfig.
PROBE_OPTIONS = (
    "64BIT", "TTY", "PRINTK", "SERIAL_8250", "SERIAL_8250_CONSOLE", "BLK_DEV_INITRD", "BINFMT_ELF",
    "PROC_FS", "PROC_PAGE_MONITOR", "ADVISE_SYSCALLS", "POSIX_TIMERS", "FUTEX", "VDSO_GETRANDOM",
)  # fmt: skip
REGRESSION_FILE = "mm/mmap.c"
REFUSAL = "if (flags & (MAP_LOCKED | MAP_HUGETLB))"
REGRESSED = "if (flags & MAP_HUGETLB)"  # MAP_LOCKED now slips through


def _run(argv: list[str], cwd: Path | None = None) -> None:
    done = subprocess.run(argv, cwd=cwd, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        tail = "\n".join((done.stdout + done.stderr).splitlines()[-30:])
        pytest.fail(f"{' '.join(argv[:4])} ... failed:\n{tail}")


def build_kernel(
    source: Path, *, regressed: bool, disable: tuple[str, ...] = (), extra: tuple[str, ...] = ()
) -> Path:
    """bzImage of `source` (with the regression, without the `disable`d options, with the `extra` ones), built
    once and cached by what went into it; the ELF vmlinux is kept next to it."""
    enabled = tuple(option for option in (*PROBE_OPTIONS, *extra) if option not in disable)
    recipe = f"{source.resolve()}|{REFUSAL}|{REGRESSED if regressed else REFUSAL}|{enabled}|{disable}"
    key = hashlib.sha256(recipe.encode()).hexdigest()[:16]
    image = cache_dir() / "slow-kernels" / key / "bzImage"
    if image.is_file():
        return image
    missing = [tool for tool in ("make", "gcc", "flex", "bison", "bc") if not shutil.which(tool)]
    if missing:
        pytest.skip(f"kernel build tools missing: {', '.join(missing)}")
    cache_dir().mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="slow-kernel-", dir=cache_dir()) as scratch:
        tree, build = Path(scratch) / "src", Path(scratch) / "build"
        # Hard links: instant and no extra space; the edited file is replaced, never written through.
        if subprocess.run(["cp", "-al", str(source), str(tree)], check=False).returncode != 0:
            shutil.rmtree(tree, ignore_errors=True)
            shutil.copytree(source, tree, symlinks=True)
        if regressed:
            target = tree / REGRESSION_FILE
            text = target.read_text()
            assert text.count(REFUSAL) == 1, f"{REGRESSION_FILE} changed: the regression no longer applies"
            target.unlink()
            target.write_text(text.replace(REFUSAL, REGRESSED))
        make = [
            "nice",
            "make",
            "-s",
            "-C",
            str(tree),
            f"O={build}",
            "ARCH=x86_64",
            f"-j{os.cpu_count() or 2}",
        ]
        _run([*make, "tinyconfig"])
        switches = [arg for option in enabled for arg in ("--enable", option)]
        switches += [arg for option in disable for arg in ("--disable", option)]
        _run([str(tree / "scripts" / "config"), "--file", str(build / ".config"), *switches])
        _run([*make, "olddefconfig"])
        config = (build / ".config").read_text()
        lost = [option for option in enabled if f"CONFIG_{option}=y" not in config]
        kept = [option for option in disable if f"CONFIG_{option}=y" in config]
        assert not lost and not kept, f"Kconfig dropped {lost}, kept {kept}"
        _run([*make, "bzImage"])
        image.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(build / "arch" / "x86" / "boot" / "bzImage", image)
        shutil.copy2(build / "vmlinux", image.parent / "vmlinux")
        shutil.copy2(build / ".config", image.parent / "config")
    return image


@pytest.fixture(scope="module")
def regressed_kernel(real_tree: Path) -> Path:
    if not shutil.which("qemu-system-x86_64"):
        pytest.skip("qemu-system-x86_64 not installed")
    return build_kernel(real_tree, regressed=True)


@pytest.fixture(scope="module")
def kernel_without_madvise(real_tree: Path) -> Path:
    if not shutil.which("qemu-system-x86_64"):
        pytest.skip("qemu-system-x86_64 not installed")
    # With the PVH entry note, so QEMU can boot its uncompressed vmlinux directly.
    built = build_kernel(
        real_tree, regressed=False, disable=("ADVISE_SYSCALLS",), extra=("HYPERVISOR_GUEST", "PVH")
    )
    return built.with_name("vmlinux")


def test_probe_fails_exactly_the_broken_claim(regressed_kernel: Path) -> None:
    probe = probe_kernel(open_kernel(regressed_kernel), ProbeOptions())
    found = {verdict.claim: verdict for verdict in probe.report.verdicts}
    assert found["refuse-locked"].status.value == "fail"
    assert found["refuse-locked"].evidence == "mmap(MAP_DROPPABLE|MAP_LOCKED) was accepted (expected EINVAL)"
    others = {claim.id: found[claim.id].status.value for claim in CLAIMS if claim.id != "refuse-locked"}
    assert others == {claim_id: "pass" for claim_id in others} | {"oom-not-fatal": "skipped"}
    assert probe.notes == []  # tinyconfig plus PROBE_OPTIONS lacks nothing the default probe needs


def test_cli_exit_status_is_one_for_the_regression(regressed_kernel: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "patchcheck", "probe", "--kernel", str(regressed_kernel)],
        capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert done.returncode == 1, done.stdout + done.stderr
    failing = [line for line in done.stdout.splitlines() if " FAIL " in line]
    assert len(failing) == 1 and failing[0].startswith("refuse-locked")


def test_kernel_without_madvise_is_unsupported_with_the_option_named(kernel_without_madvise: Path) -> None:
    image = open_kernel(kernel_without_madvise)
    assert image.kind == "vmlinux" and image.release == "6.12.117"
    probe = probe_kernel(image, ProbeOptions())
    assert probe.report.probed.startswith("QEMU TCG guest booting vmlinux ")
    found = {verdict.claim: verdict.status.value for verdict in probe.report.verdicts}
    needs_madvise = {"reclaim-drops", "refuse-keeponfork", "refuse-dodump", "vdso-after-drop"}
    assert {claim for claim, status in found.items() if status == "unsupported"} == needs_madvise
    assert "fail" not in found.values()
    assert probe.notes == ["kernel option missing: CONFIG_ADVISE_SYSCALLS (madvise() returns ENOSYS)"]
