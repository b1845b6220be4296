"""Helpers for tests of kinds that resolve names across the project (``RuleContext.project``).

``checkkit.run`` hands a kind its scope's facts only. The pipeline (``analyzer/evaluate.py``)
also gives a kind that resolves names a ``ProjectView``: a ``ProjectIndex`` over every parsed
Python file, of which the rule may consult its scope, the files marked with one of its reach
patterns and its ``where.consult`` files; files it asks for (``wanted``) are loaded and the rule
runs again (at most ``MAX_ROUNDS``). ``run_in_project`` does the same over snippets.
"""

from __future__ import annotations

import textwrap
from fnmatch import fnmatchcase
from typing import Any, Iterable, Mapping

from checkkit import facts_of, rule_of
from obs_lint.checks import REGISTRY
from obs_lint.checks.base import RuleContext
from obs_lint.checks.resolve import ProjectIndex, ProjectView
from obs_lint.evaluate import MAX_ROUNDS
from obs_lint.facts.text_search import matches as text_matches
from obs_lint.types import CheckResult


def view_of(files: Mapping[str, str], allowed: Iterable[str] | None = None,
            extra_paths: Iterable[str] = ()) -> ProjectView:
    """A project view over snippets; every file consultable unless ``allowed`` says which."""
    facts = facts_of(files)
    paths = frozenset(f.path for f in facts) | frozenset(extra_paths)
    index = ProjectIndex(facts, paths)
    texts = {p: textwrap.dedent(t) for p, t in files.items()}
    index.searcher = lambda word: sorted(p for p, t in texts.items() if text_matches(word, t))
    return ProjectView(index, frozenset(paths if allowed is None else allowed))


def in_globs(path: str, globs: Iterable[str]) -> bool:
    return any(fnmatchcase(path, g) or (g.endswith("/**") and path.startswith(g[:-2]))
               for g in globs)


def run_in_project(kind: str, params: Mapping[str, Any], files: Mapping[str, str],
                   scope: Iterable[str] | str | None = None, hint: str = "",
                   consult: Iterable[str] | None = None) -> CheckResult:
    """Evaluate ``kind`` as ``evaluate.py`` does for a rule that uses the project.

    ``scope``: globs of the rule's files (default every file). ``consult``: the files the rule
    may read beyond its scope from the start (default: every file whose text holds one of the
    kind's ``reach`` words, as the prefilter marks them); files the rule then asks for are
    granted round by round, like the pipeline's demand loading."""
    rule = rule_of(kind, params)
    check = REGISTRY[kind](rule)
    facts = facts_of(files)
    texts = {p: textwrap.dedent(t) for p, t in files.items()}
    globs = [scope] if isinstance(scope, str) else list(scope or ["*", "**"])
    scoped = [f for f in facts if in_globs(f.path, globs)]
    paths = frozenset(f.path for f in facts)
    index = ProjectIndex(facts, paths)
    index.searcher = lambda word: sorted(p for p, t in texts.items() if text_matches(word, t))
    allowed = {f.path for f in scoped}
    if consult is None:
        reach = tuple(check.reach())
        allowed.update(p for p, t in texts.items() if any(w in t for w in reach))
    else:
        allowed.update(consult)
    rounds = 0
    while True:
        view = ProjectView(index, frozenset(allowed))
        ctx = RuleContext(rule=rule, files=scoped, root=".", scope_hint=hint, all_paths=paths,
                          patterns=check.patterns(), project=view)
        result = check.evaluate(ctx)
        new = view.wanted - allowed
        if not new or rounds >= MAX_ROUNDS:
            return result
        allowed |= new
        rounds += 1


__all__ = ["view_of", "run_in_project", "in_globs"]
