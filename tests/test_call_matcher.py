"""``call_matcher`` (patterns compiled once per rule) must decide exactly as ``call_matches``
(one pattern at a time, the documented semantics) for every kind of pattern: bare names,
``*.attr``, exact dotted names and globs, alone and mixed."""

from __future__ import annotations

import itertools

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


def test_call_matcher_agrees_with_call_matches_on_every_combination():
    checked = mismatched = 0
    for qualname, callee in itertools.product(NAMES + [""], NAMES):
        call = _call(callee, qualname)
        for k in (1, 2, 3):
            for combo in itertools.combinations(PATTERNS, k):
                checked += 1
                if call_matcher(combo)(call) != any(call_matches(call, p) for p in combo):
                    mismatched += 1
    assert checked > 50_000 and mismatched == 0


def test_call_matcher_examples():
    assert call_matcher(("*.start_run",))(_call("conn.start_run", ""))
    assert call_matcher(("mlflow.*",))(_call("m.log_param", "mlflow.log_param"))
    assert not call_matcher(("mlflow.*",))(_call("mlflowx.log", "mlflowx.log"))
    assert not call_matcher(("a.b.c",))(_call("c", ""))
    assert not call_matcher(())(_call("anything", "anything"))
