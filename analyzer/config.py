"""Configuration: find the project root, read ``[tool.obs-lint]`` / ``.obs-lint.yaml``, resolve.

Resolved once per run into a frozen ``Config``; later stages never look at files or options.
Precedence (lowest to highest): built-in defaults < the project's config file < command-line
options. ``sources`` records where each value came from (``obs-lint config`` prints it).

The project root is found the way ruff finds it, from the first checked path (the current
directory when no path is given), never from wherever the command happens to run:

1. the nearest ancestor holding obs-lint configuration (an ``.obs-lint.yaml``, or a
   ``pyproject.toml`` with a ``[tool.obs-lint]`` table);
2. failing that, the nearest ancestor holding a ``pyproject.toml`` or a ``.git`` (the
   repository: a first run without configuration checks the project, not the home directory);
3. failing that, the checked directory itself.

Why not the current directory: run from outside (or above) the repository it made an unrelated
tree the project (17,421 files scanned, a cache written there). Rule paths (``where`` globs)
and reported paths are relative to the root.
"""

from __future__ import annotations

import difflib
import math
import os
import re
import sys
from dataclasses import dataclass, replace
from typing import Any, Mapping

from .configpos import toml_key_line, yaml_key_line
from .errors import ConfigError
from .fileio import ReadRefused, input_budget, read_input, read_regular, read_text
from .globs import glob_problem
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
    "max-file-bytes": ((int,), "files larger than this are reported as skipped (default: per "
                               "kind, python 256 KiB, yaml 1 MiB, sql 8 MiB)"),
    "max-file-seconds": ((float, int), "per-file analysis time budget"),
    "rules": ((list,), "extra rules declared inline (same fields as in a pack)"),
    "warn-unused-ignores": ((bool,), "report suppressions that silence nothing"),
}


# Default per-file byte budgets, by kind. What a file costs to analyse is memory per byte of
# text: libcst needs 0.8-1.4 KB per byte of Python (200,000 import lines, 2.8 MB, peaked at 2 GB;
# 20,000 import lines, 280 KB: 233 MB), PyYAML ~0.2 KB per byte of YAML (1 MB: 215 MB), and
# SQL DDL ~25 bytes per byte (INSERT data much less). Each default keeps the largest process
# under ~300 MB for such files; a `max-file-bytes` setting applies to every kind.
DEFAULT_MAX_FILE_BYTES = 256 * 1024
DEFAULT_FILE_BYTES = {"python": DEFAULT_MAX_FILE_BYTES, "yaml": 1024 * 1024,
                      "sql": 8 * 1024 * 1024}

# bounds of the numeric settings: beyond them a value is a mistake (and overflowed the
# platform's time_t / index size: "internal error" instead of a configuration error)
MAX_FILE_SECONDS = 86_400  # a day per file; 0 means no limit
MAX_FILE_BYTES = 2**40  # 1 TiB; 0 means no limit
MAX_JOBS = 1024


MAX_DEPTH = 64  # lists/tables inside each other, in any setting (inline rules included)


def _too_deep(value: Any) -> bool:
    """True when ``value`` nests lists/dicts more than ``MAX_DEPTH`` levels (iteratively: the
    measure itself must not recurse)."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, (list, dict)):
            if depth > MAX_DEPTH:
                return True
            children = item.values() if isinstance(item, dict) else item
            stack.extend((child, depth + 1) for child in children)
    return False


def _check_glob(glob: str, what: str, table: "_Table", *path: object) -> None:
    problem = glob_problem(glob)
    if problem:
        raise table.error(f"{what}: {glob!r} is not a valid gitignore-style pattern: {problem}",
                          *path)


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
    cache_dir_where: str = ""  # "file:line" where cache-dir was set ("": the default)
    jobs: int = 0
    max_file_bytes: int = DEFAULT_MAX_FILE_BYTES  # see byte_budget: per kind unless set
    max_file_seconds: float = 60.0
    inline_rules: tuple[Mapping[str, Any], ...] = ()
    inline_rule_lines: tuple[int, ...] = ()  # where each inline rule is written (0: unknown)
    warn_unused_ignores: bool = True
    config_file: str = ""
    sources: tuple[tuple[str, str], ...] = ()  # (key, where it came from)
    # a second configuration in the root that is NOT read (``.obs-lint.yaml`` wins over
    # ``[tool.obs-lint]``): shown to the user, never silently ignored
    shadowed_config: str = ""
    # why this directory is the root: "config" (it holds the configuration), "project" (a
    # pyproject.toml or .git, no obs-lint configuration), "checked" (neither: the checked
    # directory), "explicit" (--config FILE)
    root_reason: str = "config"

    def byte_budget(self, kind: Any) -> int:
        """The ``max-file-bytes`` budget of one file kind (``FileKind`` or its value): the
        configured value when one was set (0: no limit), else the kind's default, which keeps
        the largest process under ~300 MB (``DEFAULT_FILE_BYTES``)."""
        explicit = (self.max_file_bytes != DEFAULT_MAX_FILE_BYTES
                    or "max-file-bytes" in dict(self.sources))
        if explicit:
            return self.max_file_bytes
        return DEFAULT_FILE_BYTES.get(getattr(kind, "value", kind), self.max_file_bytes)

    def byte_budgets(self) -> tuple[int, ...]:
        """Every kind's budget (part of the stat index's key: a new budget re-reads files)."""
        return tuple(self.byte_budget(k) for k in sorted(DEFAULT_FILE_BYTES))

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
        data = tomllib.loads(read_regular(pyproject, input_budget()).decode("utf-8"))
    except (ReadRefused, UnicodeDecodeError, tomllib.TOMLDecodeError, RecursionError):
        return False
    return isinstance(data.get("tool"), dict) and "obs-lint" in data["tool"]


def _has_config(directory: str) -> bool:
    if os.path.isfile(os.path.join(directory, ".obs-lint.yaml")):
        return True
    pp = os.path.join(directory, "pyproject.toml")
    return os.path.isfile(pp) and _has_table(pp)


def _ancestors(start: str) -> list[str]:
    here = os.path.abspath(start)
    if not os.path.isdir(here):
        here = os.path.dirname(here)
    out = [here]
    while os.path.dirname(out[-1]) != out[-1]:
        out.append(os.path.dirname(out[-1]))
    return out


def locate_root(start: str) -> tuple[str, str]:
    """(root, reason) for a checked path ``start`` (see the module docstring)."""
    chain = _ancestors(start)
    for d in chain:
        if _has_config(d):
            return d, "config"
    for d in chain:
        if os.path.isfile(os.path.join(d, "pyproject.toml")) or os.path.exists(
                os.path.join(d, ".git")):
            return d, "project"
    return chain[0], "checked"


def find_root(start: str) -> str:
    """The project root of a checked path ``start`` (see ``locate_root``)."""
    return locate_root(start)[0]


@dataclass(frozen=True)
class _Table:
    """The raw ``[tool.obs-lint]`` / ``.obs-lint.yaml`` settings, the file they came from (as
    shown in messages), and a way to find the line a key is written on (``configpos``)."""

    data: Mapping[str, Any]
    shown: str
    text: str = ""
    doc: Any = None  # the composed YAML document (YNode) for .obs-lint.yaml
    shadowed: str = ""

    def line(self, *path: object) -> int:
        if not self.shown:
            return 0
        if self.doc is not None:
            return yaml_key_line(self.doc, path)
        return toml_key_line(self.text, ("tool", "obs-lint", *path))

    def error(self, message: str, *path: object) -> ConfigError:
        line = self.line(*path) if path else 0
        where = f"{self.shown}:{line}" if line else self.shown
        return ConfigError(f"{where}: {message}")


def _toml_error(shown: str, exc: Exception, text: str = "") -> ConfigError:
    """``tomllib`` puts the position in the message ("... (at line 3, column 9)") before
    Python 3.14 and in ``lineno``/``colno`` from then on; either way: ``file:line: ...``."""
    msg = str(exc)
    line = getattr(exc, "lineno", 0) or 0
    col = getattr(exc, "colno", 0) or 0
    m = re.search(r"\s*\(at line (\d+), column (\d+)\)", msg)
    end = re.search(r"\s*\(at end of document\)", msg)
    if m:
        line, col = int(m.group(1)), int(m.group(2))
        msg = msg[:m.start()] + msg[m.end():]
    elif end:
        line = max(1, len(text.splitlines()))
        msg = msg[:end.start()] + " at the end of the file" + msg[end.end():]
    elif getattr(exc, "msg", None):
        msg = exc.msg  # type: ignore[attr-defined]
    where = f"{shown}:{line}" if line else shown
    return ConfigError(f"{where}: invalid TOML: {msg}" + (f" (column {col})" if col else ""))


def _read_toml(path: str, shown: str) -> tuple[dict[str, Any], str]:
    raw = read_input(path, input_budget(), shown, ConfigError, "configuration")
    text = raw.decode("utf-8", "replace")
    try:
        return tomllib.loads(text), text
    except tomllib.TOMLDecodeError as exc:
        raise _toml_error(shown, exc, text) from None
    except RecursionError:  # tomllib recurses per nested array/table
        raise ConfigError(f"{shown}: invalid TOML: nested too deeply to read (arrays or "
                          "inline tables inside each other hundreds of levels deep)") from None


def _read_table(root: str, explicit: str | None) -> _Table:
    """The raw settings from an explicit --config file or the root's files.

    Both files in one root: ``.obs-lint.yaml`` wins (as ``ruff.toml`` wins over
    ``[tool.ruff]``), and the other one is recorded as ``shadowed`` so the CLI says so.
    """
    candidates = [explicit] if explicit else [os.path.join(root, ".obs-lint.yaml"),
                                              os.path.join(root, "pyproject.toml")]
    for path in candidates:
        if path is None or not os.path.isfile(path):
            if explicit and os.path.lexists(explicit) and not os.path.isdir(explicit):
                read_input(explicit, input_budget(), explicit, ConfigError, "configuration")
            if explicit:
                raise ConfigError(f"{explicit}: configuration file not found")
            continue
        shown = os.path.relpath(path) if not explicit else explicit
        if path.endswith(".toml"):
            data, text = _read_toml(path, shown)
            tool = data.get("tool", {})
            table = tool.get("obs-lint") if isinstance(tool, dict) else None
            if table is None:
                if explicit:
                    raise ConfigError(f"{shown}: no [tool.obs-lint] table")
                continue
            if not isinstance(table, dict):
                line = toml_key_line(text, ("tool", "obs-lint"))
                raise ConfigError(f"{shown}:{line}: [tool.obs-lint] must be a table" if line
                                  else f"{shown}: [tool.obs-lint] must be a table")
            return _Table(table, shown, text=text)
        try:
            docs = parse_yaml(read_text(path, input_budget(), shown, ConfigError,
                                        "configuration"))
        except YamlError as exc:
            where = f"{shown}:{exc.line}" if exc.line else shown
            raise ConfigError(f"{where}: invalid YAML: {exc.message}") from None
        table = docs[0].to_python() if docs else {}
        if table is None:
            table = {}
        if not isinstance(table, dict):
            raise ConfigError(f"{shown}: must be a mapping of settings")
        shadowed = ""
        other = os.path.join(root, "pyproject.toml")
        if not explicit and os.path.isfile(other) and _has_table(other):
            shadowed = os.path.relpath(other)
        return _Table(table, shown, doc=docs[0] if docs else None, shadowed=shadowed)
    return _Table({}, "")


def _strs(value: Any, key: str, table: _Table, *path: object) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value,)
    if not isinstance(value, list) or not all(isinstance(x, str) for x in value):
        raise table.error(f"{key} must be a list of strings", *(path or (key,)))
    return tuple(value)


def load_config(root: str, explicit: str | None = None, use_files: bool = True) -> Config:
    """Resolve the configuration for ``root`` (``use_files=False`` = ``--no-config``).

    Every schema error names the file and the line the key is written on."""
    if not use_files:
        return Config(root=root, sources=(("*", "defaults (--no-config)"),))
    table = _read_table(root, explicit)
    shown = table.shown
    values: dict[str, Any] = {}
    sources = []
    for key, value in table.data.items():
        if key not in KEYS:
            close = difflib.get_close_matches(key, KEYS, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise table.error(f"unknown key {key!r}{hint}", key)
        types, _ = KEYS[key]
        if _too_deep(value):
            raise table.error(f"{key}: values nested more than {MAX_DEPTH} levels deep; "
                              "refused", key)
        if not isinstance(value, types) or (isinstance(value, bool) and bool not in types):
            names = " or ".join(t.__name__ for t in types)
            raise table.error(f"{key} must be {names}, got {type(value).__name__}", key)
        sources.append((key, shown))
        attr = key.replace("-", "_")
        if key in ("packs", "select", "extend-select", "ignore", "exclude", "extend-exclude"):
            values[attr] = _strs(value, key, table)
            if key in ("exclude", "extend-exclude"):
                for i, glob in enumerate(values[attr]):
                    _check_glob(glob, key, table, key, i)
        elif key == "per-file-ignores":
            values[attr] = tuple(sorted(
                (str(g), _strs(c, f"per-file-ignores[{g!r}]", table, key, str(g)))
                for g, c in value.items()))
            for glob, _codes in values[attr]:
                _check_glob(glob, "per-file-ignores", table, key, glob)
        elif key == "fail-on":
            if value not in ("error", "warning"):
                raise table.error(f"fail-on must be error or warning, got {value!r}", key)
            values[attr] = value
        elif key == "rules":
            for i, r in enumerate(value):
                if not isinstance(r, dict):
                    raise table.error("rules must be a list of tables", key, i)
            values["inline_rules"] = tuple(value)
            values["inline_rule_lines"] = tuple(table.line(key, i) for i in range(len(value)))
        elif key == "max-file-seconds":
            seconds = float(value)
            if not math.isfinite(seconds) or not 0 <= seconds <= MAX_FILE_SECONDS:
                raise table.error(f"max-file-seconds must be a number of seconds from 0 (no "
                                  f"limit) to {MAX_FILE_SECONDS:,}, got {value!r}", key)
            values[attr] = seconds
        elif key in ("max-file-bytes", "jobs"):
            top = MAX_FILE_BYTES if key == "max-file-bytes" else MAX_JOBS
            if not 0 <= value <= top:
                what = "bytes, from 0 (no limit)" if key == "max-file-bytes" else \
                    "worker processes, from 0 (one per core)"
                raise table.error(f"{key} must be a number of {what} to {top:,}, got {value}",
                                  key)
            values[attr] = value
        elif key == "cache-dir":
            values[attr] = value
            line = table.line(key)
            values["cache_dir_where"] = f"{shown}:{line}" if line else shown
        else:
            values[attr] = value
    # pack paths in a config file are relative to the project root (see api.load_packs)
    return Config(root=root, config_file=shown, sources=tuple(sorted(sources)),
                  shadowed_config=table.shadowed,
                  root_reason="explicit" if explicit else "config", **values)


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
        elif key == "max-file-bytes" and config.byte_budget("yaml") != value:
            value = {kind: config.byte_budget(kind) for kind in DEFAULT_FILE_BYTES}
        elif key == "rules":
            value = [dict(r) for r in value]
        elif isinstance(value, tuple):
            value = list(value)
        rows.append((key, value, sources.get(key, everything if everything != "default"
                                              else "default")))
    return rows
