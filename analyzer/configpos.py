"""Line numbers for configuration errors: where a key of ``[tool.obs-lint]`` (or of
``.obs-lint.yaml``) is written.

Why: "pyproject.toml: jobs must be int, got str" sends the user hunting through a file that
also configures a dozen other tools; ``pyproject.toml:41: ...`` is one click. ``tomllib``
gives positions for syntax errors only (in the message before Python 3.14, as attributes
after), and its parsed values carry none, so schema errors are located here by a line scan of
the TOML text. The scan understands what configuration is written with in practice: table
headers (``[tool.obs-lint]``, ``[tool.obs-lint.per-file-ignores]``, ``[[tool.obs-lint.rules]]``),
dotted and quoted keys (``"per-file-ignores".x = ...``, ``tool.obs-lint.jobs = 2`` under the
root table) and multi-line arrays and strings (skipped, never read as keys). A key it cannot
find falls back to the nearest enclosing table it can (0 = unknown: the message then names
the file only, as before).

YAML positions come straight from the composed nodes (``yamlsafe.YNode`` spans).
"""

from __future__ import annotations

import re
from typing import Sequence

from .yamlsafe import YNode

KeyPath = Sequence[object]  # str keys and int indexes (array-of-tables occurrences)

_BARE = re.compile(r"[A-Za-z0-9_-]+")
_HEADER = re.compile(r"^\s*(\[\[?)\s*(.+?)\s*(\]\]?)\s*(#.*)?$")


def _split_key(text: str) -> tuple[list[str], str]:
    """``a."b.c".d = rest`` -> (["a", "b.c", "d"], "= rest"); ([], "") if not a key."""
    parts: list[str] = []
    i, n = 0, len(text)
    while i < n:
        while i < n and text[i] in " \t":
            i += 1
        if i < n and text[i] in "\"'":
            q = text[i]
            j = text.find(q, i + 1)
            if j < 0:
                return [], ""
            parts.append(text[i + 1:j])
            i = j + 1
        else:
            m = _BARE.match(text, i)
            if not m:
                return [], ""
            parts.append(m.group(0))
            i = m.end()
        while i < n and text[i] in " \t":
            i += 1
        if i < n and text[i] == ".":
            i += 1
            continue
        return parts, text[i:]
    return parts, ""


def _open_brackets(value: str) -> int:
    """Net ``[``/``{`` depth a value line leaves open (strings and comments ignored)."""
    depth, i, n = 0, 0, len(value)
    while i < n:
        c = value[i]
        if c in "\"'":
            triple = value[i:i + 3] == c * 3
            end = value.find(c * 3 if triple else c, i + (3 if triple else 1))
            if end < 0:
                return depth
            i = end + (3 if triple else 1)
            continue
        if c == "#":
            break
        if c in "[{":
            depth += 1
        elif c in "]}":
            depth -= 1
        i += 1
    return depth


def toml_key_line(text: str, path: KeyPath) -> int:
    """1-based line where ``path`` (e.g. ``("tool", "obs-lint", "jobs")`` or
    ``("tool", "obs-lint", "rules", 2)``: the third ``[[...rules]]``) is written; else the
    line of the longest prefix of it that is; 0 if none is."""
    want = [p for p in path]
    best, best_len = 0, 0
    table: list[str] = []
    occurrences: dict[tuple[str, ...], int] = {}
    depth = 0
    in_multiline: str | None = None
    for no, line in enumerate(text.splitlines(), 1):
        if in_multiline:
            if in_multiline in line:
                in_multiline = None
            continue
        if depth > 0:
            depth += _open_brackets(line)
            continue
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        header = _HEADER.match(line) if stripped.startswith("[") else None
        if header:
            keys, rest = _split_key(header.group(2))
            if not keys or rest:
                continue
            table = list(keys)
            labels: list[object] = list(keys)
            if header.group(1) == "[[":
                k = tuple(keys)
                occurrences[k] = occurrences.get(k, -1) + 1
                labels.append(occurrences[k])
            n = _match_len(labels, want)
            if n > best_len:
                best, best_len = no, n
            continue
        keys, rest = _split_key(line)
        if not keys or not rest.startswith("="):
            continue
        value = rest[1:]
        for q in ('"""', "'''"):
            if value.count(q) == 1:
                in_multiline = q
        depth = _open_brackets(value)
        labels = list(table)
        if table and tuple(table) in occurrences:
            labels.append(occurrences[tuple(table)])
        n = _match_len(labels + keys, want)
        if n > best_len:
            best, best_len = no, n
    return best


def _match_len(have: Sequence[object], want: Sequence[object]) -> int:
    """How much of ``want`` the written key ``have`` covers (0 unless ``have`` is a prefix of
    ``want`` or the other way round; a header equal to a prefix counts its length)."""
    n = 0
    for a, b in zip(have, want):
        if a != b:
            return 0
        n += 1
    if len(have) > len(want):
        return 0
    return n


def yaml_key_line(doc: YNode | None, path: KeyPath) -> int:
    """1-based line of ``path`` in a composed YAML document (the deepest node found)."""
    node, line = doc, 0
    for part in path:
        if node is None:
            break
        if isinstance(part, int):
            if node.kind != "seq" or part >= len(node.value):
                break
            node = node.value[part]
            line = node.span.line
            continue
        found = None
        if node.kind == "map":
            for k, v in node.value:
                if k.kind == "scalar" and str(k.value) == part:
                    found, line = v, k.span.line
                    break
        if found is None:
            break
        node = found
    return line
