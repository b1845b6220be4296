"""Gitignore-style patterns from users: validated where they are written, tolerated in
``.gitignore`` files as git tolerates them.

``pathspec`` raises on some lines git accepts: a lone ``!`` (git: negates nothing) and a
pattern ending in an unescaped ``\\`` (git: never matches), and on a character class its regex
engine cannot compile (``[z-a]``). In a ``.gitignore`` file such a line must not end the run:
``tolerant_spec`` drops it (it matches nothing, which is what git does with the first two).
In obs-lint's own configuration and packs (``exclude``, ``per-file-ignores``, ``where``,
``tests``, glob parameters) the same line is a mistake to be told about: ``glob_problem`` says
what is wrong, and the caller raises a configuration or pack error naming the file and line.

Every other glob list is compiled here too, once per distinct list (``gitignore_spec``; rules,
phases, check parameters and excludes repeat the same few lists), and rule scopes are matched
by ``path_matcher``: one joined regex when no pattern is negated, pathspec's matcher otherwise.
The two agree on the paths the engine matches — project-relative POSIX paths as discovery makes
them (``tests/test_plan_scope.py`` compares them over a grid, directories probed as
``name/``). pathspec also rewrites a path starting with ``/`` or ``./`` before matching and
the fast matcher does not, so a path that comes from outside (a JUnit file's ``file``
attribute) is matched with the spec's own ``match_file``.
"""

from __future__ import annotations

import functools
import re
from typing import Callable, Iterable

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


# -- compiled specs and the fast matcher, shared by every stage -------------------------------

_GROUP_RE = re.compile(r"\(\?P<[A-Za-z_][A-Za-z0-9_]*>")


def gitignore_spec(lines: Iterable[str]) -> pathspec.GitIgnoreSpec:
    """``pathspec.GitIgnoreSpec.from_lines(lines)``, compiled once per distinct list and
    shared (170 rules use ~50 distinct glob lists, and each spec was compiled three times per
    run). Callers only match with it; a list pathspec refuses raises as from_lines does."""
    if isinstance(lines, (str, bytes)):  # as from_lines: a string is not a list of lines
        raise TypeError(f"lines:{lines!r} is not an iterable.")
    return _cached_spec(tuple(lines))


@functools.lru_cache(maxsize=1024)
def _cached_spec(lines: tuple[str, ...]) -> pathspec.GitIgnoreSpec:
    return pathspec.GitIgnoreSpec.from_lines(list(lines))


@functools.lru_cache(maxsize=1024)
def _cached_matcher(lines: tuple[str, ...]) -> Callable[[str], bool]:
    return _build_matcher(lines)


def path_matcher(lines: Iterable[str]) -> Callable[[str], bool]:
    """A fast ``match(relative_posix_path) -> bool`` with gitignore semantics (see
    ``_build_matcher``); built once per distinct glob list."""
    if isinstance(lines, (str, bytes)):  # as from_lines: a string is not a list of lines
        raise TypeError(f"lines:{lines!r} is not an iterable.")
    return _cached_matcher(tuple(lines))


def _build_matcher(lines: tuple[str, ...]) -> Callable[[str], bool]:
    """A fast ``match(relative_posix_path) -> bool`` with gitignore semantics.

    ``pathspec`` tries each pattern in turn in Python (~4 us a pattern); with ~60 rules and
    ~1,500 files that alone was a tenth of a warm run. Without negated patterns a gitignore spec
    matches exactly when any of its patterns does, so the pattern regexes are joined into one
    alternation (their named groups only matter for negation priorities and are made plain).
    Specs with negations keep pathspec's own matcher.
    """
    spec = gitignore_spec(lines)
    active = [p for p in spec.patterns if p.include is not None]
    if not active:
        return lambda path: False
    regexes = [getattr(p, "regex", None) for p in active]
    if all(p.include for p in active) and all(r is not None for r in regexes):
        sources = [r.pattern for r in regexes]  # type: ignore[union-attr]
        if any(src in (".", "^.") for src in sources):
            return lambda path: bool(path)  # "**" or "*": everything
        try:
            joined = re.compile("|".join(f"(?:{_GROUP_RE.sub('(?:', src)})" for src in sources))
        except re.error:  # pragma: no cover - a pattern form this rewrite does not know
            return spec.match_file
        match = joined.match
        return lambda path: match(path) is not None
    return spec.match_file


_REGEX_META = set(".^$*+?{}[]|()\\")


def literal_prefixes(lines: Iterable[str]) -> tuple[str, ...] | None:
    """Literal path prefixes every match of an include spec starts with, or None if a pattern
    can match anywhere (``*.py``, ``tests/``, ``**``) or is negated.

    Read off the gitignore regexes (``src/agents/x/**`` -> ``^src/agents/x/``): a cheap
    ``str.startswith`` lets most files skip most rules before any regex runs.
    """
    spec = gitignore_spec(lines)
    active = [p for p in spec.patterns if p.include is not None]
    if not active or not all(p.include for p in active):
        return None
    out = []
    for p in active:
        src = getattr(getattr(p, "regex", None), "pattern", None)
        if not isinstance(src, str) or not src.startswith("^"):
            return None
        lit: list[str] = []
        i = 1
        while i < len(src):
            c = src[i]
            if c == "\\" and i + 1 < len(src) and not src[i + 1].isalnum():
                lit.append(src[i + 1])
                i += 2
                continue
            if c in _REGEX_META:
                if c in "*+?{" and lit:
                    lit.pop()  # a quantifier makes the previous character optional
                break
            lit.append(c)
            i += 1
        if not lit:
            return None
        out.append("".join(lit))
    return tuple(out)
