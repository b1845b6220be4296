"""routing: a conditional edge's router reads the key it must route on, returns labels of its
map, and sends each value of the key to a (distinct) target."""

from __future__ import annotations

import pytest

from checkkit import Severity, Status, example_rule, lines, messages, pack_error, run

KIND = "routing"

ENUM = """\
from enum import Enum


class Decision(str, Enum):
    ACCEPTABLE = "acceptable"
    SUGGESTION = "suggestion"
    ESCALATE = "escalate"
"""

GRAPH = """\
from langgraph.graph import END, StateGraph
from decision import Decision

{defs}

def rubric(state):
    return {{"decision": "acceptable", "score": 0.5}}


def build():
    g = StateGraph(dict)
    g.add_node("rubric", rubric)
    g.add_node("extract", rubric)
    g.add_conditional_edges("rubric", {router}, {mapping})
    return g.compile()
"""

MAP3 = '{"ok": "extract", "suggest": "suggest", "escalate": "escalate", "error": "error_handler"}'


def files(defs: str, router: str, mapping: str = MAP3, **extra: str) -> dict[str, str]:
    return {"graph.py": GRAPH.format(defs=defs, router=router, mapping=mapping),
            "decision.py": ENUM, **extra}


def check(fs: dict[str, str], **params):
    base = {"from": "rubric", "reads_any": ["decision", "score"]}
    base.update(params)
    return run(KIND, base, fs)


ROUTER = """\
def route(state):
    if state.get("status") == "failed":
        return "error"
    d = state.get("decision")
    if d == Decision.ESCALATE.value:
        return "escalate"
    elif d in ("suggestion",):
        return "suggest"
    return "ok"
"""


def test_a_status_only_lambda_router_fails_with_what_it_reads():
    res = check(files("", 'lambda s: "error" if s.get("status") == "failed" else "ok"'))
    assert res.status is Status.FAIL
    (msg,) = messages(res)
    assert msg == ('msg: router `lambda s: "error" if s.get("status") == "failed" else "ok"` at '
                   'graph.py:14 reads only `status`: the conditional edge from `rubric` '
                   '(graph.py:14) must route on `decision`, `score`')
    assert lines(res) == [("graph.py", 14)]


def test_a_router_reading_nothing_fails():
    res = check(files('def route(state):\n    return "ok"\n', "route"))
    assert "reads no state key" in messages(res)[0]


def test_a_router_reading_the_decision_with_distinct_values_passes():
    res = check(files(ROUTER, "route"), values_from="Decision")
    assert res.status is Status.PASS, messages(res)
    assert "members of `Decision`" in res.note


def test_two_values_sharing_a_target_fail_when_distinct():
    router = ROUTER.replace('        return "suggest"', '        return "ok"')
    res = check(files(router, "route"), values_from="Decision")
    assert res.status is Status.FAIL
    (msg,) = messages(res)
    assert "sends `ACCEPTABLE`, `SUGGESTION` (values of `decision`, members of `Decision`) to " \
           "the same target(s) `error_handler`, `extract`" in msg
    assert check(files(router, "route"), values_from="Decision", distinct=False).status is \
        Status.PASS


def test_a_label_that_is_not_in_the_map_fails():
    router = ROUTER.replace('return "escalate"', 'return "review"')
    res = check(files(router, "route"))
    (msg,) = messages(res)
    assert "returns `review` (graph.py:9), which is not a label of the conditional edge from " \
           "`rubric`" in msg


def test_without_a_map_labels_must_be_nodes_and_end_is_one():
    router = 'def route(state):\n    return "extract" if state["decision"] else END\n'
    fs = files(router, "route")
    fs["graph.py"] = fs["graph.py"].replace(f", {MAP3})", ")")
    assert check(fs).status is Status.PASS
    fs["graph.py"] = fs["graph.py"].replace('"extract" if', '"nowhere" if')
    assert "returns `nowhere`" in messages(check(fs))[0]


def test_routers_as_methods_and_imported_functions_are_followed():
    method = ("class Agent:\n    def route(self, state):\n"
              "        return 'ok' if state['decision'] == 'acceptable' else 'escalate'\n")
    res = check(files(method, "Agent().route"))
    assert res.status is Status.PASS, messages(res)
    fs = files("from routers import route", "route",
               **{"routers.py": "def route(state):\n    return _pick(state)\n\n"
                                "def _pick(s):\n    return 'ok' if s.get('score') else 'error'\n"})
    res = check(fs)
    # reads `score` through the helper; `_pick(s)` is not a literal label
    assert res.status is Status.UNKNOWN
    assert "returns `_pick(...)`" in messages(res, Severity.INFO)[0]


def test_a_router_returning_the_key_itself_routes_each_value_by_its_label():
    mapping = '{"acceptable": "extract", "suggestion": "suggest", "escalate": "escalate"}'
    assert check(files("", 'lambda s: s["decision"]', mapping),
                 values_from="Decision").status is Status.PASS
    short = '{"acceptable": "extract", "escalate": "escalate"}'
    res = check(files("", 'lambda s: s["decision"]', short), values_from="Decision")
    (msg,) = messages(res)
    assert "sends `decision` = `SUGGESTION` nowhere" in msg


def test_values_written_by_nodes_are_the_domain_when_they_are_literal():
    mapping = '{"acceptable": "extract"}'
    # rubric writes only "acceptable": every written value is routed
    assert check(files("", 'lambda s: s.get("decision")', mapping)).status is Status.PASS
    fs = files("", 'lambda s: s.get("decision")', mapping)
    fs["graph.py"] = fs["graph.py"].replace(
        '    return {"decision": "acceptable", "score": 0.5}',
        '    if state.get("x"):\n        return {"decision": "escalate"}\n'
        '    return {"decision": "acceptable", "score": 0.5}')
    assert "sends `decision` = `'escalate'` nowhere" in messages(check(fs))[0]


def test_values_written_by_nodes_that_are_not_literal_leave_the_values_check_out():
    fs = files("", 'lambda s: s.get("decision")', '{"acceptable": "extract"}')
    fs["graph.py"] = fs["graph.py"].replace('{"decision": "acceptable", "score": 0.5}',
                                            '{"decision": state["d"].value}')
    res = check(fs)
    assert res.status is Status.PASS
    assert "values of `decision` not knowable" in res.note


def test_a_condition_the_rule_cannot_evaluate_for_a_value_is_undecidable():
    router = ROUTER.replace('if d == Decision.ESCALATE.value:', 'if d == pick():')
    res = check(files(router, "route"), values_from="Decision")
    assert res.status is Status.UNKNOWN
    assert any("could not decide where router `route`" in m for m in messages(res))


def test_an_unfollowable_router_is_undecidable():
    res = check(files("from lib import route", "route"))
    assert res.status is Status.UNKNOWN
    assert "`route` is imported from outside the project (`lib.route`)" in \
        messages(res, Severity.INFO)[0]


def test_a_values_class_that_cannot_be_found_is_undecidable():
    res = check(files(ROUTER, "route"), values_from="Missing")
    assert res.status is Status.UNKNOWN
    assert "class `Missing` is not found" in messages(res, Severity.INFO)[0]


def test_a_map_that_is_not_literal_is_undecidable():
    res = check(files(ROUTER, "route", mapping="make_map()"))
    assert res.status is Status.UNKNOWN
    assert "is not a literal dict or list" in messages(res, Severity.INFO)[0]


def test_a_node_without_conditional_edges_fails():
    fs = files(ROUTER, "route")
    res = run(KIND, {"from": "extract", "reads_any": ["decision"]}, fs)
    assert "node `extract` of `build` has no conditional edge" in messages(res)[0]
    res = run(KIND, {"from": "nowhere", "reads_any": ["decision"]}, fs)
    assert "no graph with a node `nowhere`" in messages(res)[0]


@pytest.mark.parametrize("params, error", [
    ({"reads_any": ["x"]}, "from"),
    ({"from": "a"}, "reads_any"),
    ({"from": "a", "reads_any": []}, "reads_any"),
])
def test_parameter_validation(params, error):
    assert error in pack_error(KIND, params)


def test_the_documented_example_is_a_valid_rule():
    assert example_rule(KIND).params["values_from"] == "ImprovementDecision"


# -- decision_keys: any node that decides must route on its decision --------------------------

DECIDER = """\
from langgraph.graph import END, StateGraph


def judge(state):
    if state.get("broken"):
        return {{"status": "failed"}}
    return {{"verdict_decision": "retry", "judge_results": {{"gate": "retry"}}}}


def fix(state):
    return {{"fixed": True}}


def build():
    g = StateGraph(dict)
    g.add_node("judge", judge)
    g.add_node("fix", fix)
    g.add_conditional_edges("judge", {router}, {{"fix": "fix", "end": END}})
    return g.compile()
"""


def decide(router: str, **params):
    return run(KIND, {"decision_keys": ["*decision*"], "distinct": False, **params},
               {"g.py": DECIDER.format(router=router)})


def test_a_decision_the_router_ignores_is_a_finding():
    res = decide('lambda s: "end" if s.get("status") == "failed" else "fix"')
    assert res.status is Status.FAIL
    (msg,) = messages(res, Severity.ERROR)
    assert "reads only `status`: the conditional edge from `judge`" in msg
    assert "must route on `verdict_decision`, `judge_results`" in msg


def test_routing_on_the_decision_or_another_output_passes():
    assert decide('lambda s: "fix" if s.get("verdict_decision") == "retry" else "end"'
                  ).status is Status.PASS
    # the decision nested in another output of the node: `judge_results["gate"]`
    assert decide('lambda s: "fix" if s.get("judge_results", {}).get("gate") else "end"'
                  ).status is Status.PASS


def test_nodes_that_decide_nothing_are_not_judged():
    res = run(KIND, {"decision_keys": ["*choice*"]},
              {"g.py": DECIDER.format(router='lambda s: "fix"')})
    assert res.status is Status.PASS
    assert "no node that writes a decision key (`*choice*`) has conditional edges" in res.note


def test_decision_keys_excludes_from_and_reads_any():
    assert "give either decision_keys or from + reads_any" in pack_error(
        KIND, {"decision_keys": ["*decision*"], "from": "judge"})
    assert "from: give the source node" in pack_error(KIND, {"reads_any": ["k"]})
