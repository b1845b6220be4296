"""Rule scopes: the fast path matcher must agree with pathspec's gitignore semantics exactly.

``globs.path_matcher`` joins a spec's patterns into one regex when none is negated (and falls
back to pathspec otherwise); a disagreement would silently widen or narrow a rule's scope, so
it is compared with ``pathspec.GitIgnoreSpec`` over a grid of pattern sets and paths.
"""

from __future__ import annotations

import itertools

import pathspec
import pytest

from obs_lint.globs import path_matcher

PATTERN_SETS = [
    [], ["**"], ["*"], ["src/**"], ["src/"], ["/src/"], ["src"], ["*.py"], ["**/*.py"],
    ["tests/"], ["tests/**/test_*.py"], ["src/agents/x/**", "tests/**/test_*.py"],
    ["src/**", "!src/b/**"], ["!src/a.py"], ["**/mlflow_*.py", "config/*.yaml"],
    ["src/*/graph.py"], ["a/**/b"], ["src/a.py"], ["[ab]/x.py"], ["src/?.py"],
    ["src/agents/causal_impact/graph.py"], ["database/**/*.sql", "!database/seed/**"],
    ["# a comment", "", "src/**"], ["src/**/"], ["\\#literal.py"],
]
PATHS = [
    "src/a.py", "src/b.py", "src/agents/x/y.py", "src/agents/x/sub/z.py", "tests/unit/test_a.py",
    "tests/a.py", "tests/x/tests/test_b.py", "config/a.yaml", "config/x/a.yaml", "x.py",
    "src/b/c.py", "src/mlops/mlflow_connector.py", "deep/mlflow_x.py", "a/b", "a/x/y/b",
    "a/b/c", "a/x.py", "b/x.py", "c/x.py", "src/x/q.py", "srcx/a.py", "src/agents/graph.py",
    "deep/tests/x.py", "database/ml/t.sql", "database/seed/s.sql", "#literal.py",
    "src/agents/causal_impact/graph.py", "src",
]


@pytest.mark.parametrize("patterns", PATTERN_SETS, ids=[",".join(p) or "-" for p in PATTERN_SETS])
def test_fast_matcher_agrees_with_pathspec(patterns):
    spec = pathspec.GitIgnoreSpec.from_lines(patterns)
    fast = path_matcher(patterns)
    disagree = [p for p in PATHS if spec.match_file(p) != fast(p)]
    assert not disagree


def test_grid_is_not_trivial():
    """Each path is matched by some set and missed by another (the grid can catch errors)."""
    for path in PATHS:
        results = {pathspec.GitIgnoreSpec.from_lines(ps).match_file(path) for ps in PATTERN_SETS}
        assert results == {True, False}, path
    assert len(list(itertools.product(PATTERN_SETS, PATHS))) > 500


# discovery asks the same matcher for its excludes and every .gitignore (``discover._Ignores``),
# with directories probed as ``name/``
IGNORE_SETS = [
    [".venv", "__pycache__/", "*.egg-info", "build/", "/dist", "node_modules", ".obs-lint-cache/"],
    ["*.pyc", "!keep.pyc"], ["/src/generated/", "docs/_build"], ["**/fixtures/**", "!x"],
    ["tmp*", "?.log"], ["a/b/"], ["logs", "!logs/keep/"], [".*", "!.gitignore"],
]
IGNORE_PATHS = [
    ".venv/", ".venv/lib/x.py", "pkg/__pycache__/", "pkg/__pycache__/a.pyc", "x.egg-info/",
    "build/", "src/build/", "src/build/a.py", "dist/", "src/dist/", "node_modules/",
    ".obs-lint-cache/", "keep.pyc", "a.pyc", "src/generated/", "src/generated/x.py",
    "docs/_build/", "docs/_build/i.html", "tests/fixtures/a.py", "tmp1/", "tmpx.py", "a.log",
    "a/b/", "a/b", "x/a/b/", "logs/", "logs/keep/", ".gitignore", ".env", "src/a.py",
]


@pytest.mark.parametrize("patterns", IGNORE_SETS, ids=[",".join(p) for p in IGNORE_SETS])
def test_fast_matcher_agrees_with_pathspec_on_ignore_files(patterns):
    spec = pathspec.GitIgnoreSpec.from_lines(patterns)
    fast = path_matcher(tuple(patterns))
    assert [p for p in IGNORE_PATHS if spec.match_file(p) != fast(p)] == []
