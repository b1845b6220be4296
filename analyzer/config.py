"""Configuration: find the project root, read ``[tool.obs-lint]`` / ``.obs-lint.yaml``, resolve.

Resolved once per run into a frozen ``Config``; later stages never look at files or options.
Precedence (lowest to highest): built-in defaults < the project's config file < command-line
options. ``sources`` records where each value came from (``obs-lint config`` prints it).

The project root is the nearest ancestor of the first checked path (or of the current directory)
holding a ``pyproject.toml`` with a ``[tool.obs-lint]`` table or an ``.obs-lint.yaml``; else the
current directory. Rule paths (``where`` globs) and reported paths are relative to it.
"""

from __future__ import annotations

import difflib
import os
import sys
from dataclasses import dataclass, replace
from typing import Any, Mapping

from .errors import ConfigError
from .yamlsafe import YamlError, parse_yaml

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as tomllib

DEFAULT_EXCLUDE = (
    ".git/", ".hg/", ".svn/", ".venv/", "venv/", ".tox/", ".nox/", "__pycache__/",
    ".obs-lint-cache/", "node_modules/", ".mypy_cache/", ".pytest_cache/", ".ruff_cache/",
    "build/", "dist/", "site-packages/", "*.egg-info/",
)

# key -> (python type(s), description)
KEYS: dict[str, tuple[tuple[type, ...], str]] = {
    "packs": ((list,), "rule packs: bundled names (e2i) or paths to pack files"),
    "select": ((list,), "only these rule codes/names (or code prefixes)"),
    "extend-select": ((list,), "add these rule codes/names to the selection"),
    "ignore": ((list,), "never report these rule codes/names (or code prefixes)"),
    "exclude": ((list,), "gitignore-style globs replacing the default excludes"),
    "extend-exclude": ((list,), "gitignore-style globs added to the excludes"),
    "per-file-ignores": ((dict,), "glob -> list of codes/names ignored in matching files"),
    "respect-gitignore": ((bool,), "skip files ignored by .gitignore files"),
    "fail-on": ((str,), "lowest severity that makes the run fail: error | warning"),
    "format": ((str,), "default output format"),
    "cache-dir": ((str,), "cache directory (relative to the project root)"),
    "jobs": ((int,), "worker processes (0 = one per core)"),
    "max-file-bytes": ((int,), "files larger than this are reported as skipped"),
    "max-file-seconds": ((float, int), "per-file analysis time budget"),
    "rules": ((list,), "extra rules declared inline (same fields as in a pack)"),
    "warn-unused-ignores": ((bool,), "report suppressions that silence nothing"),
}


@dataclass(frozen=True)
class Config:
    root: str
    packs: tuple[str, ...] = ("e2i",)
    select: tuple[str, ...] = ()
    extend_select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    exclude: tuple[str, ...] = DEFAULT_EXCLUDE
    extend_exclude: tuple[str, ...] = ()
    per_file_ignores: tuple[tuple[str, tuple[str, ...]], ...] = ()
    respect_gitignore: bool = True
    fail_on: str = "warning"
    format: str = "text"
    cache_dir: str = ".obs-lint-cache"
    jobs: int = 0
    max_file_bytes: int = 10 * 1024 * 1024
    max_file_seconds: float = 60.0
    inline_rules: tuple[Mapping[str, Any], ...] = ()
    warn_unused_ignores: bool = True
    config_file: str = ""
    sources: tuple[tuple[str, str], ...] = ()  # (key, where it came from)

    def with_overrides(self, source: str = "command line", **values: Any) -> "Config":
        """Apply command-line overrides (None means "not given")."""
        given = {k: v for k, v in values.items() if v is not None}
        if not given:
            return self
        srcs = dict(self.sources)
        for k in given:
            srcs[k.replace("_", "-")] = source
        return replace(self, **given, sources=tuple(sorted(srcs.items())))


def _has_table(pyproject: str) -> bool:
    try:
        with open(pyproject, "rb") as fh:
            data = tomllib.load(fh)
    except (OSError, tomllib.TOMLDecodeError):
        return False
    return isinstance(data.get("tool"), dict) and "obs-lint" in data["tool"]


def find_root(start: str) -> str:
    """Nearest ancestor of ``start`` with obs-lint configuration, else the current dir."""
    here = os.path.abspath(start)
    if not os.path.isdir(here):
        here = os.path.dirname(here)
    while True:
        if os.path.isfile(os.path.join(here, ".obs-lint.yaml")):
            return here
        pp = os.path.join(here, "pyproject.toml")
        if os.path.isfile(pp) and _has_table(pp):
            return here
        parent = os.path.dirname(here)
        if parent == here:
            return os.path.abspath(os.getcwd())
        here = parent


def _read_table(root: str, explicit: str | None) -> tuple[dict[str, Any], str]:
    """Return (raw table, file) from an explicit --config file or the root's files."""
    candidates = [explicit] if explicit else [os.path.join(root, ".obs-lint.yaml"),
                                              os.path.join(root, "pyproject.toml")]
    for path in candidates:
        if path is None or not os.path.isfile(path):
            if explicit:
                raise ConfigError(f"{explicit}: configuration file not found")
            continue
        shown = os.path.relpath(path) if not explicit else explicit
        if path.endswith(".toml"):
            try:
                with open(path, "rb") as fh:
                    data = tomllib.load(fh)
            except tomllib.TOMLDecodeError as exc:
                raise ConfigError(f"{shown}: invalid TOML: {exc}") from None
            except OSError as exc:
                raise ConfigError(f"{shown}: cannot read: {exc.strerror}") from None
            table = data.get("tool", {}).get("obs-lint")
            if table is None:
                if explicit:
                    raise ConfigError(f"{shown}: no [tool.obs-lint] table")
                continue
            if not isinstance(table, dict):
                raise ConfigError(f"{shown}: [tool.obs-lint] must be a table")
            return table, shown
        try:
            with open(path, encoding="utf-8") as fh:
                docs = parse_yaml(fh.read())
        except YamlError as exc:
            raise ConfigError(f"{shown}:{exc.line}: invalid YAML: {exc.message}") from None
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError(f"{shown}: cannot read: {exc}") from None
        table = docs[0].to_python() if docs else {}
        if table is None:
            table = {}
        if not isinstance(table, dict):
            raise ConfigError(f"{shown}: must be a mapping of settings")
        return table, shown
    return {}, ""


def _strs(value: Any, key: str, shown: str) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value,)
    if not isinstance(value, list) or not all(isinstance(x, str) for x in value):
        raise ConfigError(f"{shown}: {key} must be a list of strings")
    return tuple(value)


def load_config(root: str, explicit: str | None = None, use_files: bool = True) -> Config:
    """Resolve the configuration for ``root`` (``use_files=False`` = ``--no-config``)."""
    if not use_files:
        return Config(root=root, sources=(("*", "defaults (--no-config)"),))
    table, shown = _read_table(root, explicit)
    values: dict[str, Any] = {}
    sources = []
    for key, value in table.items():
        if key not in KEYS:
            close = difflib.get_close_matches(key, KEYS, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise ConfigError(f"{shown}: unknown key {key!r}{hint}")
        types, _ = KEYS[key]
        if not isinstance(value, types) or (isinstance(value, bool) and bool not in types):
            names = " or ".join(t.__name__ for t in types)
            raise ConfigError(f"{shown}: {key} must be {names}, got {type(value).__name__}")
        sources.append((key, shown))
        attr = key.replace("-", "_")
        if key in ("packs", "select", "extend-select", "ignore", "exclude", "extend-exclude"):
            values[attr] = _strs(value, key, shown)
        elif key == "per-file-ignores":
            values[attr] = tuple(sorted((str(g), _strs(c, f"per-file-ignores[{g!r}]", shown))
                                        for g, c in value.items()))
        elif key == "fail-on":
            if value not in ("error", "warning"):
                raise ConfigError(f"{shown}: fail-on must be error or warning, got {value!r}")
            values[attr] = value
        elif key == "rules":
            if not all(isinstance(r, dict) for r in value):
                raise ConfigError(f"{shown}: rules must be a list of tables")
            values["inline_rules"] = tuple(value)
        elif key == "max-file-seconds":
            values[attr] = float(value)
        else:
            values[attr] = value
    # pack paths in a config file are relative to the project root (see api.load_packs)
    return Config(root=root, config_file=shown, sources=tuple(sorted(sources)), **values)


def describe(config: Config) -> list[tuple[str, Any, str]]:
    """(key, resolved value, where it came from) for every setting (``obs-lint config``)."""
    sources = dict(config.sources)
    everything = sources.get("*", "default")
    rows = []
    for key in KEYS:
        attr = "inline_rules" if key == "rules" else key.replace("-", "_")
        value = getattr(config, attr)
        if key == "per-file-ignores":
            value = {glob: list(codes) for glob, codes in value}
        elif key == "rules":
            value = [dict(r) for r in value]
        elif isinstance(value, tuple):
            value = list(value)
        rows.append((key, value, sources.get(key, everything if everything != "default"
                                              else "default")))
    return rows
