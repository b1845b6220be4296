"""Gitignore-style patterns from users: validated where they are written, tolerated in
``.gitignore`` files as git tolerates them.

``pathspec`` raises on some lines git accepts: a lone ``!`` (git: negates nothing) and a
pattern ending in an unescaped ``\\`` (git: never matches), and on a character class its regex
engine cannot compile (``[z-a]``). In a ``.gitignore`` file such a line must not end the run:
``tolerant_spec`` drops it (it matches nothing, which is what git does with the first two).
In obs-lint's own configuration and packs (``exclude``, ``per-file-ignores``, ``where``,
``tests``, glob parameters) the same line is a mistake to be told about: ``glob_problem`` says
what is wrong, and the caller raises a configuration or pack error naming the file and line.
"""

from __future__ import annotations

import re
from typing import Iterable

import pathspec


def glob_problem(pattern: str) -> str | None:
    """Why ``pattern`` is not a usable gitignore-style glob, or None when it is."""
    if not isinstance(pattern, str):
        return f"must be a string, got {type(pattern).__name__}"
    try:
        pathspec.GitIgnoreSpec.from_lines([pattern])
    except re.error as exc:
        return f"its regular expression does not compile ({exc})"
    except Exception as exc:  # noqa: BLE001 - pathspec's GitIgnorePatternError and kin
        if pattern.strip() == "!":
            return "a lone '!' negates nothing"
        if pattern.rstrip(" ").endswith("\\"):
            return "it ends with a '\\' that escapes nothing"
        return str(exc) or type(exc).__name__
    return None


def tolerant_spec(lines: Iterable[str]) -> pathspec.GitIgnoreSpec:
    """The spec of a ``.gitignore`` file's lines, without the lines pathspec cannot compile
    (each such line matches nothing; order, hence negation, is kept for the others)."""
    lines = list(lines)
    try:
        return pathspec.GitIgnoreSpec.from_lines(lines)
    except Exception:  # noqa: BLE001 - find the bad lines one by one (rare)
        kept = [ln for ln in lines if _compiles(ln)]
        return pathspec.GitIgnoreSpec.from_lines(kept)


def _compiles(line: str) -> bool:
    try:
        pathspec.GitIgnoreSpec.from_lines([line])
    except Exception:  # noqa: BLE001
        return False
    return True
