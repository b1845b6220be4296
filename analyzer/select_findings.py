"""Post-evaluation selection: which of the project's findings a run reports.

Rules are always evaluated over the whole project (a presence rule cannot be decided from a
subset of its package); the paths named on the command line (pre-commit passes the changed
files) and ``--diff-base`` only choose which findings are *reported*:

* a finding located in a selected file (or below a selected directory), on a changed line when
  ``--diff-base`` is given, is reported;
* a whole-file or project-level finding (located at the very start of a file, e.g. "the package
  never calls trace_agent()", anchored at the package's ``__init__.py``) is reported when its
  rule's scope covers a selected / changed file: removing the last ``trace_agent`` call from
  ``agent.py`` fails the hook on ``agent.py``'s commit even though the finding sits in
  ``__init__.py``;
* engine findings about a whole file (parse, read, budget errors) are reported when the file is
  selected / changed at all.

Check results and phase statuses are left as evaluated: they describe the whole project.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, replace
from typing import Mapping, Sequence

from .builtin import PARSE_ERROR, READ_ERROR, SKIPPED
from .checks import REGISTRY
from .discover import kind_of, to_rel
from .errors import UsageError
from .globs import path_matcher
from .types import Finding, Result, Rule, Span

LineRanges = tuple[tuple[int, int], ...]  # inclusive (first, last) line numbers
_WHOLE_FILE_BUILTINS = {PARSE_ERROR.code, READ_ERROR.code, SKIPPED.code}


@dataclass(frozen=True)
class Selection:
    """``paths``: project-relative files, and directories written with a trailing ``/``
    (None = everything; see ``named_paths``). ``changed``: project-relative file -> changed
    line ranges (None = no diff filter); a file with no ranges was touched by deletions only.
    """

    paths: tuple[str, ...] | None = None
    changed: Mapping[str, LineRanges] | None = None

    @property
    def everything(self) -> bool:
        return self.paths is None and self.changed is None


class _Scope:
    """Does a rule's ``where`` (and its check kind's file kinds) cover a path? The same
    matchers as the plan's scopes (``ActiveRule``, ``globs.path_matcher``), on the selection's
    project-relative paths."""

    def __init__(self, rule: Rule) -> None:
        self.include = path_matcher(rule.where.include)
        self.exclude = path_matcher(rule.where.exclude)
        kind = REGISTRY.get(rule.check_kind)
        self.kinds = kind.file_kinds if kind is not None else frozenset()

    def covers(self, path: str) -> bool:
        return (kind_of(path) in self.kinds and self.include(path)
                and not self.exclude(path))


def _under(path: str, selected: str) -> bool:
    if selected.endswith("/") or selected == "":
        return path.startswith(selected)
    return path == selected


def _is_file_level(f: Finding) -> bool:
    return f.location.span == Span.file_start() or f.code in _WHOLE_FILE_BUILTINS


def _on_changed_line(f: Finding, ranges: LineRanges) -> bool:
    s = f.location.span
    return any(a <= s.end_line and s.line <= b for a, b in ranges)


class _Selector:
    def __init__(self, result: Result, selection: Selection) -> None:
        self.sel = selection
        self.rules = {r.code: r for r in result.rules}
        self.scopes: dict[str, _Scope] = {}
        self.files = tuple(p for p in selection.paths or () if not p.endswith("/"))

    def _scope(self, code: str) -> _Scope | None:
        rule = self.rules.get(code)
        if rule is None:
            return None
        if code not in self.scopes:
            self.scopes[code] = _Scope(rule)
        return self.scopes[code]

    def _covers_any(self, f: Finding, paths) -> bool:
        scope = self._scope(f.code)
        return scope is not None and any(scope.covers(p) for p in paths)

    def by_paths(self, f: Finding) -> bool:
        paths = self.sel.paths
        if paths is None:
            return True
        if any(_under(f.location.path, p) for p in paths):
            return True
        return _is_file_level(f) and self._covers_any(f, self.files)

    def by_diff(self, f: Finding) -> bool:
        changed = self.sel.changed
        if changed is None:
            return True
        path = f.location.path
        if _is_file_level(f):
            return path in changed or self._covers_any(f, changed)
        return path in changed and _on_changed_line(f, changed[path])

    def keep(self, f: Finding) -> bool:
        return self.by_paths(f) and self.by_diff(f)


def named_paths(root: str, given: Sequence[str]) -> tuple[str, ...]:
    """Command-line paths as selection entries (directories end with ``/``).

    A path that does not exist, lies outside the project root, or names a file obs-lint does
    not check is a usage error: a run that silently reports nothing for it would be a pass that
    was not earned.
    """
    out = []
    root_real = os.path.realpath(root)
    for p in given:
        if not os.path.lexists(p):
            raise UsageError(f"{p}: no such file or directory")
        real = os.path.realpath(p) if os.path.isdir(p) else os.path.join(
            os.path.realpath(os.path.dirname(os.path.abspath(p))), os.path.basename(p))
        if real != root_real and not real.startswith(root_real + os.sep):
            raise UsageError(f"{p}: outside the project root {root}")
        rel = to_rel(root_real, real)
        if os.path.isdir(p):
            out.append("" if rel == "." else rel + "/")
        elif kind_of(p) is None:
            hint = (" (an unquoted --junit-xml glob? quote it: --junit-xml 'results/*.xml')"
                    if p.lower().endswith(".xml") else "")
            raise UsageError(f"{p}: not a Python, YAML or SQL file, nothing to check{hint}")
        else:
            out.append(rel)
    return tuple(out)


def select(result: Result, selection: Selection) -> Result:
    """``result`` with only the selected findings (statuses untouched: whole project)."""
    if selection.everything:
        return result
    chooser = _Selector(result, selection)
    kept = tuple(f for f in result.findings if chooser.keep(f))
    # suppressed and baselined findings follow the same selection (SARIF lists them)
    return replace(result, findings=kept, not_selected=len(result.findings) - len(kept),
                   suppressed=tuple(s for s in result.suppressed if chooser.keep(s.finding)),
                   baselined=tuple(f for f in result.baselined if chooser.keep(f)))
