"""The backbone: every annotated fixture tree produces exactly the findings it declares.

Each directory under ``fixtures/`` with an ``.obs-lint.yaml`` is a small project; its files
carry ``# expect: rule`` annotations (see ``tests/annotations.py``). Missing and extra findings
both fail, and the prefilter must not change the result.
"""

from __future__ import annotations

from collections import Counter

import pytest

from obs_lint.api import check, load_packs, resolve_config
from obs_lint.builtin import BUILTINS

from annotations import collect, fixture_roots
from conftest import FIXTURES

ROOTS = fixture_roots(str(FIXTURES))


def _run(root: str, prefilter: bool = True):
    config = resolve_config([root])
    assert config.root == root, "each fixture tree must be its own project root"
    packs = load_packs(config)
    result = check([root], config, packs=packs, prefilter=prefilter)
    names = {r.code: r.name for p in packs for r in p.rules}
    names.update({b.code: b.name for b in BUILTINS})
    return result, names


def test_there_are_fixture_trees():
    assert len(ROOTS) >= 3


@pytest.mark.parametrize("root", ROOTS, ids=[r[len(str(FIXTURES)) + 1:] for r in ROOTS])
def test_fixture_tree_matches_annotations(root):
    result, names = _run(root)
    got = Counter((f.location.path, f.location.span.line, f.name) for f in result.findings)
    expected = collect(root, names)
    missing = expected - got
    extra = got - expected
    assert not missing and not extra, (
        f"\nmissing (declared, not reported): {sorted(missing)}"
        f"\nextra (reported, not declared): {sorted(extra)}"
        f"\nall findings:\n" + "\n".join(f"  {f.location}: {f.name}: {f.message}"
                                         for f in result.findings))


@pytest.mark.parametrize("root", ROOTS, ids=[r[len(str(FIXTURES)) + 1:] for r in ROOTS])
def test_prefilter_never_changes_the_result(root):
    with_pf, _ = _run(root, prefilter=True)
    without, _ = _run(root, prefilter=False)
    assert with_pf.findings == without.findings
    assert [c.status for c in with_pf.checks] == [c.status for c in without.checks]
