"""Call patterns (require-call, require-reference, dict-keys): what one pattern matches, written
out as the module docstring states it, and ``call_matcher`` over several patterns (compiled into
name sets plus one regex of globs) deciding exactly as "any single pattern matches"."""

from __future__ import annotations

import itertools
from fnmatch import fnmatchcase

import pytest

from obs_lint.checks.require_call import call_matcher, call_matches
from obs_lint.facts.model import CallFact
from obs_lint.types import Span

PATTERNS = ["start_run", "*.start_run", "mlflow.start_run", "mlflow.*", "*uuid7*", "a.b.c",
            "*.log_*", "log_[pm]*", "x", "opik.track", "*.x.y", "?ab"]
NAMES = ["start_run", "mlflow.start_run", "m.start_run", "mlflow.log_param", "uuid7",
         "gen_uuid7_x", "a.b.c", "a.b", "x", "y.x", "opik.track", "track", "q.x.y", "cab", "ab",
         "f().start_run", "log_metric"]


def _call(callee: str, qualname: str) -> CallFact:
    return CallFact(callee=callee, qualname=qualname, attr=callee.rsplit(".", 1)[-1], args=(),
                    kwargs=(), context="call", awaited=False, with_item="", scope="",
                    span=Span(1, 1, 1, 1), text=callee)


def _spec(call: CallFact, pattern: str) -> bool:
    """The documented semantics of one pattern, written independently of the engine."""
    globbing = any(c in pattern for c in "*?[")
    rest = pattern[2:]
    if pattern.startswith("*.") and not any(c in rest for c in "*?[."):
        return call.attr == rest  # "*.name": any receiver
    if not globbing and "." not in pattern:
        return call.attr == pattern  # "name": the last component
    if globbing:
        return fnmatchcase(call.qualname, pattern) or fnmatchcase(call.callee, pattern)
    return pattern in (call.qualname, call.callee)  # exact dotted name


def _calls() -> list[CallFact]:
    return [_call(c, q) for q, c in itertools.product(NAMES + [""], NAMES)]


@pytest.mark.parametrize("pattern", PATTERNS)
def test_one_pattern_matches_as_documented(pattern):
    calls = _calls()
    assert [call_matches(c, pattern) for c in calls] == [_spec(c, pattern) for c in calls]
    assert any(_spec(c, pattern) for c in calls)  # every pattern matches something here


def test_several_patterns_match_when_any_one_does():
    checked = 0
    for call in _calls():
        single = {p: _spec(call, p) for p in PATTERNS}
        for k in (2, 3):
            for combo in itertools.combinations(PATTERNS, k):
                checked += 1
                assert call_matcher(combo)(call) == any(single[p] for p in combo), (call, combo)
    assert checked > 50_000


def test_call_matcher_examples():
    assert call_matcher(("*.start_run",))(_call("conn.start_run", ""))
    assert call_matcher(("mlflow.*",))(_call("m.log_param", "mlflow.log_param"))
    assert not call_matcher(("mlflow.*",))(_call("mlflowx.log", "mlflowx.log"))
    assert not call_matcher(("a.b.c",))(_call("c", ""))
    assert not call_matcher(())(_call("anything", "anything"))
