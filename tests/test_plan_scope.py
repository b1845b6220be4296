"""Rule scopes: the fast path matcher must agree with pathspec's gitignore semantics exactly.

``plan.path_matcher`` joins a spec's patterns into one regex when none is negated (and falls
back to pathspec otherwise); a disagreement would silently widen or narrow a rule's scope, so
it is compared with ``pathspec.GitIgnoreSpec`` over a grid of pattern sets and paths.
"""

from __future__ import annotations

import itertools

import pathspec
import pytest

from obs_lint.plan import path_matcher

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
