"""End-to-end hook tests: does `patchcheck verify` on this branch print the report JSON yet?"""

from __future__ import annotations

import functools
import json
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

_PROBE_PATCH = """\
From: Dev Eloper <dev@example.invalid>
Subject: [PATCH] a: add a line

---
diff --git a/a.txt b/a.txt
--- a/a.txt
+++ b/a.txt
@@ -1 +1,2 @@
 one
+two
"""


@functools.cache
def verify_ready() -> bool:
    """The hooks drive `patchcheck verify SOURCE --tree DIR --rev REV --format json` and read the report
    JSON (patchcheck/report/schema/report-v1.schema.json) it prints. Until verify prints that, the end-to-end
    tests that need a successful check are skipped, never faked."""
    with tempfile.TemporaryDirectory() as tmp:
        tree = Path(tmp)
        (tree / "a.txt").write_text("one\n")
        (tree / "p.patch").write_text(_PROBE_PATCH)
        out = subprocess.run(
            [sys.executable, "-m", "patchcheck", "verify", str(tree / "p.patch"), "--tree", str(tree),
             "--format", "json"],
            capture_output=True, text=True, check=False,
        )
    try:
        return out.returncode == 0 and json.loads(out.stdout).get("format") == "patchcheck-report"
    except (ValueError, AttributeError):
        return False


needs_verify = pytest.mark.skipif(
    "not __import__('tests.hooks.e2e', fromlist=['verify_ready']).verify_ready()",
    reason="patchcheck verify does not print the patchcheck-report JSON on this branch yet",
)


@functools.cache
def has_rule(rule_id: str) -> bool:
    out = subprocess.run(
        [sys.executable, "-m", "patchcheck", "rules", rule_id], capture_output=True, text=True, check=False
    )
    return out.returncode == 0 and rule_id in out.stdout


def needs_rule(rule_id: str) -> pytest.MarkDecorator:
    """For tests that need a real finding: verify speaks the report JSON and runs the rule."""
    return pytest.mark.skipif(
        not (verify_ready() and has_rule(rule_id)),
        reason=f"patchcheck verify does not print the report JSON or rule {rule_id} on this branch yet",
    )
