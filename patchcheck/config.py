"""Settings from `.patchcheck.toml` or `[tool.patchcheck]` in pyproject.toml, found upward from a directory.

    tree = "~/linux"            # default --tree (relative paths are relative to the file)
    rules = ["mm-packs"]        # extra rule pack directories
    fail-on = "warning"         # error (default) | warning
    disable = ["PC205"]         # rule ids or names
    format = "terse"            # default --format

In each directory `.patchcheck.toml` wins over pyproject.toml; a pyproject.toml without `[tool.patchcheck]`
does not count and the search goes on upward. Options given on the command line win over the file.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from patchcheck.errors import InputError
from patchcheck.report.formats import OutputFormat, parse_format
from patchcheck.report.policy import FailOn, parse_fail_on

CONFIG_NAME = ".patchcheck.toml"
PYPROJECT = "pyproject.toml"
KEYS = ("tree", "rules", "fail-on", "disable", "format")


@dataclass(frozen=True)
class Config:
    path: Path | None = None  # the file the settings came from; None when there is none
    tree: Path | None = None
    rules: tuple[Path, ...] = ()
    fail_on: FailOn | None = None
    disable: tuple[str, ...] = ()
    format: OutputFormat | None = None


def _read_toml(path: Path) -> dict[str, Any]:
    import tomllib  # only when there is a file to read: a few ms of every start otherwise

    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"{path}: not valid TOML: {exc}") from exc
    except OSError as exc:
        raise InputError(f"{path}: cannot read: {exc.strerror or exc}") from exc
    except UnicodeDecodeError as exc:
        raise InputError(f"{path}: not UTF-8 text") from exc
    except RecursionError as exc:
        raise InputError(f"{path}: not usable TOML: nested too deeply") from exc


def _table_in(path: Path) -> dict[str, Any] | None:
    """The patchcheck settings in `path`, or None when a pyproject.toml has none."""
    data = _read_toml(path)
    if path.name != PYPROJECT:
        return data
    tool = data.get("tool")
    table = tool.get("patchcheck") if isinstance(tool, dict) else None
    if table is None:
        return None
    if not isinstance(table, dict):
        raise InputError(f"{path}: [tool.patchcheck] must be a table")
    return table


def find_config(start: Path) -> tuple[Path, dict[str, Any]] | None:
    for directory in (start.resolve(), *start.resolve().parents):
        for name in (CONFIG_NAME, PYPROJECT):
            candidate = directory / name
            if candidate.is_file():
                table = _table_in(candidate)
                if table is not None:
                    return candidate, table
    return None


def _string(path: Path, key: str, value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise InputError(f"{path}: '{key}' must be a non-empty string, not {value!r}")
    return value


def _strings(path: Path, key: str, value: Any) -> list[str]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise InputError(f"{path}: '{key}' must be a list of strings, not {value!r}")
    return list(value)


def _path(base: Path, text: str) -> Path:
    expanded = Path(text).expanduser()
    return expanded if expanded.is_absolute() else base / expanded


def parse_config(path: Path, table: dict[str, Any]) -> Config:
    unknown = sorted(set(table) - set(KEYS))
    if unknown:
        raise InputError(f"{path}: unknown setting(s) {', '.join(unknown)} (known: {', '.join(KEYS)})")
    base = path.parent
    tree = _path(base, _string(path, "tree", table["tree"])) if "tree" in table else None
    rules = tuple(_path(base, p) for p in _strings(path, "rules", table.get("rules", [])))
    fail_on = (
        parse_fail_on(_string(path, "fail-on", table["fail-on"]), origin=f"{path}: fail-on")
        if "fail-on" in table
        else None
    )
    fmt = (
        parse_format(_string(path, "format", table["format"]), origin=f"{path}: format")
        if "format" in table
        else None
    )
    disable = tuple(_strings(path, "disable", table.get("disable", [])))
    return Config(path=path, tree=tree, rules=rules, fail_on=fail_on, disable=disable, format=fmt)


def load_config(explicit: Path | None = None, *, start: Path | None = None) -> Config:
    """The settings of `explicit` (a .patchcheck.toml or pyproject.toml), else the nearest file upward of
    `start` (default: the current directory), else empty settings."""
    if explicit is not None:
        if not explicit.is_file():
            raise InputError(f"config file {str(explicit)!r} does not exist")
        table = _table_in(explicit)
        if table is None:
            raise InputError(f"{explicit}: has no [tool.patchcheck] table")
        return parse_config(explicit, table)
    found = find_config(start if start is not None else Path.cwd())
    return parse_config(*found) if found else Config()
