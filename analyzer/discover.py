"""Discovery: which files a run looks at.

* Walks the given paths (files or directories) below the project root, in sorted order.
* Honours ``.gitignore`` files (root and nested, gitignore semantics via pathspec) unless
  ``respect-gitignore = false``, plus the configured ``exclude`` / ``extend-exclude`` globs.
  Excludes apply to files named explicitly too (like ruff's ``--force-exclude``), so a
  pre-commit hook that passes an excluded file does not check it.
* Never follows a symlinked directory (no loops, no escaping the tree); a symlinked file is
  taken only if its target lies inside the project root.
* Classifies by extension: ``.py``/``.pyi`` Python, ``.yaml``/``.yml`` YAML, ``.sql`` SQL.
  Anything else (binaries included) is not a candidate.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Callable

import pathspec

from .errors import UsageError
from .plan import path_matcher
from .types import FileKind, SourceFile

KIND_BY_EXT = {
    ".py": FileKind.PYTHON, ".pyi": FileKind.PYTHON,
    ".yaml": FileKind.YAML, ".yml": FileKind.YAML,
    ".sql": FileKind.SQL,
}


def kind_of(name: str) -> FileKind | None:
    return KIND_BY_EXT.get(os.path.splitext(name)[1].lower())


def to_rel(root: str, abs_path: str) -> str:
    rel = os.path.relpath(abs_path, root)
    return rel.replace(os.sep, "/")


@dataclass
class _Ignores:
    """Exclude globs plus the .gitignore specs collected while walking.

    Each spec is asked through ``plan.path_matcher`` (one joined regex for a spec without
    negations, the spec itself otherwise): the same answers, without pathspec's per-pattern
    loop for every file of the tree."""

    root: str
    exclude: pathspec.PathSpec
    respect_gitignore: bool
    git: list[tuple[str, Callable[[str], bool]]]
    exclude_lines: tuple[str, ...] = ()
    _excluded: Callable[[str], bool] | None = None

    def __post_init__(self) -> None:
        self._excluded = path_matcher(self.exclude_lines) if self.exclude_lines else \
            self.exclude.match_file

    def load_gitignore(self, directory: str) -> None:
        if not self.respect_gitignore:
            return
        path = os.path.join(directory, ".gitignore")
        try:
            with open(path, encoding="utf-8", errors="replace") as fh:
                lines = fh.read().splitlines()
        except OSError:
            return
        match = _matcher(lines)
        rel = to_rel(self.root, directory)
        self.git.append(("" if rel == "." else rel + "/", match))

    def ignored(self, rel: str, is_dir: bool) -> bool:
        probe = rel + "/" if is_dir else rel
        if self._excluded(probe):  # type: ignore[misc]
            return True
        for base, match in self.git:
            if base and not probe.startswith(base):
                continue
            if match(probe[len(base):]):
                return True
        return False


def _matcher(lines: list[str]) -> Callable[[str], bool]:
    """``GitIgnoreSpec.from_lines(lines).match_file``, fast (``plan.path_matcher``)."""
    return path_matcher(tuple(lines))


def _inside(root: str, path: str) -> bool:
    real = os.path.realpath(path)
    root_real = os.path.realpath(root)
    return real == root_real or real.startswith(root_real + os.sep)


def discover(root: str, paths: list[str], exclude: tuple[str, ...],
             respect_gitignore: bool = True) -> list[SourceFile]:
    """Return the files to check, sorted by relative path. Raises UsageError for a bad path."""
    ign = _Ignores(root=root, exclude=pathspec.GitIgnoreSpec.from_lines(exclude),
                   respect_gitignore=respect_gitignore, git=[], exclude_lines=tuple(exclude))
    ign.load_gitignore(root)
    found: dict[str, SourceFile] = {}
    for given in paths or ["."]:
        abs_given = os.path.abspath(given)
        if not os.path.lexists(abs_given):
            raise UsageError(f"{given}: no such file or directory")
        if os.path.isdir(abs_given) and not os.path.islink(abs_given):
            _load_parent_gitignores(ign, root, abs_given)
            _walk(abs_given, root, ign, found)
        elif os.path.isdir(abs_given):
            raise UsageError(f"{given}: is a symlink to a directory; give the real path")
        else:
            kind = kind_of(abs_given)
            rel = to_rel(root, abs_given)
            if kind is None or ign.ignored(rel, False):
                continue
            if os.path.islink(abs_given) and not _inside(root, abs_given):
                continue
            found[rel] = SourceFile(rel, abs_given, kind)
    return [found[k] for k in sorted(found)]


def _load_parent_gitignores(ign: _Ignores, root: str, directory: str) -> None:
    """Load .gitignore files between the root and a directory given on the command line."""
    rel = to_rel(root, directory)
    if rel in (".", "") or rel.startswith(".."):
        return
    cur = root
    for part in rel.split("/")[:-1]:
        cur = os.path.join(cur, part)
        ign.load_gitignore(cur)


def _walk(top: str, root: str, ign: _Ignores, found: dict[str, SourceFile]) -> None:
    # relative paths are built from the directory's own (``os.path.relpath`` per entry was a
    # tenth of a warm run); the kind is looked at before anything else about a file
    stack = [(top, to_rel(root, top))]
    while stack:
        directory, rel_dir = stack.pop()
        if directory != root:
            ign.load_gitignore(directory)
        try:
            entries = sorted(os.scandir(directory), key=lambda e: e.name)
        except OSError:
            continue  # unreadable directory: nothing in it can be listed
        prefix = "" if rel_dir == "." else rel_dir + "/"
        subdirs = []
        for entry in entries:
            try:
                is_dir = entry.is_dir(follow_symlinks=False)
            except OSError:
                continue
            if is_dir:
                rel = prefix + entry.name
                if not ign.ignored(rel, True):
                    subdirs.append((entry.path, rel))
                continue
            kind = kind_of(entry.name)
            if kind is None:
                continue
            try:
                is_link = entry.is_symlink()
            except OSError:
                continue
            if is_link:
                if os.path.isdir(entry.path) or not _inside(root, entry.path):
                    continue  # never follow directory links or links out of the root
            rel = prefix + entry.name
            if ign.ignored(rel, False):
                continue
            found[rel] = SourceFile(rel, entry.path, kind)
        stack.extend(reversed(subdirs))
