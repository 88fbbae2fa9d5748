"""Time `patchcheck flags` on a kernel tree, cold and warm, against `grep -rn 'VM_' mm include fs`.

Run on demand: `python bench/flags_bench.py [TREE]` (default: the tree scripts/fetch-linux-source.sh fetches).
Cold uses an empty cache directory; warm runs again on the cache the cold run filled.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def timed(cmd: list[str], cwd: Path | None = None, env: dict[str, str] | None = None) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    return time.perf_counter() - start


def main() -> None:
    default = Path(
        os.environ.get("PATCHCHECK_LINUX_TREE", Path.home() / ".cache" / "patchcheck" / "linux-source-6.12")
    )
    tree = Path(sys.argv[1]) if len(sys.argv) > 1 else default
    grep = min(timed(["grep", "-rn", "VM_", "mm", "include", "fs"], cwd=tree) for _ in range(3))
    with tempfile.TemporaryDirectory() as cache:
        env = dict(os.environ, PATCHCHECK_CACHE=cache)
        cmd = [sys.executable, "-m", "patchcheck", "flags", "--tree", str(tree), "--format", "json"]
        cold = timed(cmd, env=env)
        warm = min(timed(cmd, env=env) for _ in range(3))
    print(f"grep -rn VM_ mm include fs: {grep:.3f}s")
    print(f"flags cold: {cold:.3f}s  ({cold / grep:.1f}x grep)")
    print(f"flags warm: {warm:.3f}s  ({warm / grep:.1f}x grep)")


if __name__ == "__main__":
    main()
