"""Discovery: which files a run looks at.

* Walks the given paths (files or directories) below the project root, in sorted order.
* Honours ``.gitignore`` files (root and nested, gitignore semantics via pathspec) unless
  ``respect-gitignore = false``, plus the configured ``exclude`` / ``extend-exclude`` globs.
  A ``.gitignore`` line pathspec cannot compile (a lone ``!``, a trailing ``\\``: git accepts
  both and matches nothing with them) is dropped, never an error.
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

import pathspec

from .errors import UsageError
from .fileio import ReadRefused, input_budget, read_regular
from .globs import gitignore_spec, tolerant_spec
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
    """Exclude globs plus the .gitignore specs collected while walking."""

    root: str
    exclude: pathspec.PathSpec
    respect_gitignore: bool
    git: list[tuple[str, pathspec.PathSpec]]

    def load_gitignore(self, directory: str) -> None:
        if not self.respect_gitignore:
            return
        path = os.path.join(directory, ".gitignore")
        try:  # a FIFO or device named .gitignore is not read (fileio.read_regular)
            data = read_regular(path, input_budget())
        except ReadRefused:
            return
        lines = data.decode("utf-8", "replace").splitlines()
        spec = tolerant_spec(lines)  # a line git accepts but pathspec refuses matches nothing
        rel = to_rel(self.root, directory)
        self.git.append(("" if rel == "." else rel + "/", spec))

    def ignored(self, rel: str, is_dir: bool) -> bool:
        probe = rel + "/" if is_dir else rel
        if self.exclude.match_file(probe):
            return True
        for base, spec in self.git:
            if base and not probe.startswith(base):
                continue
            if spec.match_file(probe[len(base):]):
                return True
        return False


def inside_root(root: str, path: str) -> bool:
    """Whether ``path``, every link followed, lies inside the project root."""
    real = os.path.realpath(path)
    root_real = os.path.realpath(root)
    return real == root_real or real.startswith(root_real + os.sep)


def discover(root: str, paths: list[str], exclude: tuple[str, ...],
             respect_gitignore: bool = True) -> list[SourceFile]:
    """Return the files to check, sorted by relative path. Raises UsageError for a bad path."""
    ign = _Ignores(root=root, exclude=gitignore_spec(exclude),
                   respect_gitignore=respect_gitignore, git=[])
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
            if os.path.islink(abs_given) and not inside_root(root, abs_given):
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
    stack = [top]
    while stack:
        directory = stack.pop()
        if directory != root:
            ign.load_gitignore(directory)
        try:
            entries = sorted(os.scandir(directory), key=lambda e: e.name)
        except OSError:
            continue  # unreadable directory: nothing in it can be listed
        subdirs = []
        for entry in entries:
            rel = to_rel(root, entry.path)
            try:
                is_link = entry.is_symlink()
                is_dir = entry.is_dir(follow_symlinks=False)
            except OSError:
                continue
            if is_dir:
                if not ign.ignored(rel, True):
                    subdirs.append(entry.path)
                continue
            if is_link:
                if os.path.isdir(entry.path) or not inside_root(root, entry.path):
                    continue  # never follow directory links or links out of the root
            kind = kind_of(entry.name)
            if kind is None or ign.ignored(rel, False):
                continue
            found[rel] = SourceFile(rel, entry.path, kind)
        stack.extend(reversed(subdirs))
