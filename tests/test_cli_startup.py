"""The command line loads only what a command uses: `--version` and `--help` stay cheap."""

from __future__ import annotations

import subprocess
import sys

from patchcheck.cli.options import FORMAT_NAMES
from patchcheck.report.render import OutputFormat

HEAVY = (
    "patchcheck.rules.engine", "patchcheck.intake", "patchcheck.report.render", "patchcheck.hooks.checks",
    "patchcheck.model.load", "tree_sitter", "pydantic",
)


def loaded_after(code: str) -> set[str]:
    script = f"import sys\n{code}\nprint('\\n'.join(sys.modules))"
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True).stdout
    return set(out.split())


def test_importing_the_cli_loads_no_layer_below_it() -> None:
    assert not {name for name in HEAVY if name in loaded_after("import patchcheck.cli")}


def test_version_loads_no_layer_below_the_cli() -> None:
    code = ("from patchcheck.cli import main\ntry:\n    main(['--version'])\nexcept SystemExit:\n    pass")
    assert not {name for name in HEAVY if name in loaded_after(code)}


def test_format_names_in_help_are_the_renderers_formats() -> None:
    assert tuple(f.value for f in OutputFormat) == FORMAT_NAMES
