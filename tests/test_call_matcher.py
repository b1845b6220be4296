"""Call patterns (require-call, require-reference, dict-keys): what one pattern matches, as a
table written out from the module docstring, and ``call_matcher`` over several patterns
(compiled into name sets plus one regex of globs) deciding as the union of that table."""

from __future__ import annotations

import itertools

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


# What each pattern matches among NAMES, written out from the module docstring (not computed):
# by the call's dotted text (the callee not imported: no qualified name), and by its qualified
# name (a callee text, ``zz.q``, that matches nothing by itself).
BY_TEXT = {
    "start_run": {"start_run", "mlflow.start_run", "m.start_run", "f().start_run"},
    "*.start_run": {"start_run", "mlflow.start_run", "m.start_run", "f().start_run"},
    "mlflow.start_run": {"mlflow.start_run"},
    "mlflow.*": {"mlflow.start_run", "mlflow.log_param"},
    "*uuid7*": {"uuid7", "gen_uuid7_x"},
    "a.b.c": {"a.b.c"},
    "*.log_*": {"mlflow.log_param"},
    "log_[pm]*": {"log_metric"},
    "x": {"x", "y.x"},
    "opik.track": {"opik.track"},
    "*.x.y": {"q.x.y"},
    "?ab": {"cab"},
}
# A last-name pattern (``name``, ``*.name``) looks at the call's last name only, never at the
# qualified name; every other pattern matches the qualified name as it matches the text.
BY_QUALNAME = {p: (set() if p in ("start_run", "*.start_run", "x") else names)
               for p, names in BY_TEXT.items()}


@pytest.mark.parametrize("pattern", PATTERNS)
def test_one_pattern_matches_as_documented(pattern):
    by_text = {n for n in NAMES if call_matches(_call(n, ""), pattern)}
    by_qualname = {q for q in NAMES if call_matches(_call("zz.q", q), pattern)}
    assert by_text == BY_TEXT[pattern]
    assert by_qualname == BY_QUALNAME[pattern]


def test_a_literal_argument_pattern_also_tests_the_first_argument():
    pat = 'importlib.util.find_spec("ragas")'
    call = _call("importlib.util.find_spec", "importlib.util.find_spec")
    assert call_matches(CallFact(**{**_fields(call), "args": ("ragas",)}), pat)
    assert not call_matches(CallFact(**{**_fields(call), "args": ("opik",)}), pat)
    assert not call_matches(call, pat)  # no argument
    assert not call_matches(CallFact(**{**_fields(_call("find_spec", "x.find_spec")),
                                        "args": ("ragas",)}), pat)


def _fields(call: CallFact) -> dict:
    return {f: getattr(call, f) for f in call.__dataclass_fields__}


def test_several_patterns_match_when_any_one_does():
    # The compiled matcher of a pattern list (name sets + one regex of globs) decides as the
    # union of the documented single-pattern answers above.
    for k in (2, 3):
        for combo in itertools.combinations(PATTERNS, k):
            matcher = call_matcher(combo)
            by_text = {n for n in NAMES if matcher(_call(n, ""))}
            by_qualname = {q for q in NAMES if matcher(_call("zz.q", q))}
            assert by_text == set().union(*(BY_TEXT[p] for p in combo)), combo
            assert by_qualname == set().union(*(BY_QUALNAME[p] for p in combo)), combo


def test_call_matcher_examples():
    assert call_matcher(("*.start_run",))(_call("conn.start_run", ""))
    assert call_matcher(("mlflow.*",))(_call("m.log_param", "mlflow.log_param"))
    assert not call_matcher(("mlflow.*",))(_call("mlflowx.log", "mlflowx.log"))
    assert not call_matcher(("a.b.c",))(_call("c", ""))
    assert not call_matcher(())(_call("anything", "anything"))
