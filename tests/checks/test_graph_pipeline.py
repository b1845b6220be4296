"""graph-pipeline: the LangGraph-style graph built in scope."""

from __future__ import annotations

import pytest

from checkkit import Severity, Status, lines, messages, pack_error, run
from obs_lint.checks.graph_pipeline import END, START, build_graph
from obs_lint.facts.python import extract

KIND = "graph-pipeline"

GRAPH = """\
from langgraph.graph import END, START, StateGraph

ANALYZE = "analyze"


def route(state):
    if state["ok"]:
        return "finalize"
    return END


def build(s, a, b, c, d):
    g = StateGraph(s)
    g.add_node("collect", a)
    g.add_node(ANALYZE, b)
    g.add_node("finalize", c)
    g.add_node(d)
    g.add_edge(START, "collect")
    g.add_edge("collect", ANALYZE)
    g.add_conditional_edges(ANALYZE, route)
    g.add_conditional_edges("finalize", route, {"again": "collect", "stop": END})
    g.add_edge(["collect", "finalize"], "d")
    return g
"""


def graph_of(src: str):
    facts, problems = extract("g.py", src)
    assert not problems
    return build_graph([("g.py", facts)])


def test_the_extracted_graph():
    g = graph_of(GRAPH)
    assert set(g.nodes) == {"collect", "analyze", "finalize", "d"}
    plain = {(e.src, e.dst) for e in g.edges if not e.conditional}
    assert plain == {(START, "collect"), ("collect", "analyze"), ("collect", "d"),
                     ("finalize", "d")}
    cond = {(e.src, e.dst) for e in g.edges if e.conditional}
    assert cond == {("analyze", "finalize"), ("analyze", END), ("finalize", "collect"),
                    ("finalize", END)}
    assert not g.unverifiable and not g.open_routes


def test_path_entry_conditionals_and_finish_pass():
    res = run(KIND, {"path": ["START", "collect", "analyze", "finalize", "collect"],
                     "entry": "collect", "conditional_from": ["analyze", "finalize"],
                     "conditional_to": {"analyze": ["finalize", "END"]},
                     "finish": "analyze"}, {"g.py": GRAPH})
    assert res.status is Status.PASS, messages(res)
    assert res.evidence


def test_missing_edge_names_the_edge_and_points_at_the_source_edges():
    res = run(KIND, {"path": ["collect", "finalize"]}, {"g.py": GRAPH})
    assert res.status is Status.FAIL
    assert lines(res) == [("g.py", 19)]  # the first add_edge from `collect`
    assert "missing edge `collect → finalize` (edges from `collect`: analyze, d)" \
        in messages(res)[0]


def test_missing_node_conditional_and_finish():
    res = run(KIND, {"path": ["collect", "rubric"], "conditional_from": ["collect"],
                     "conditional_to": {"finalize": ["analyze"]}, "finish": "collect",
                     "entry": "analyze"}, {"g.py": GRAPH})
    got = " | ".join(messages(res))
    assert res.status is Status.FAIL
    for text in ("node `rubric` is never added to the graph",
                 "missing edge `collect → rubric`",
                 "node `collect` has no conditional edges",
                 "conditional routing from `finalize` cannot reach `analyze` (conditional "
                 "targets: END, collect)",
                 "missing finish edge `collect → END`",
                 "missing entry edge `START → analyze` (edges from `START`: collect)"):
        assert text in got


def test_a_node_required_by_several_parameters_is_reported_once():
    res = run(KIND, {"path": ["collect", "rubric"], "conditional_from": ["rubric"],
                     "conditional_to": {"rubric": ["finalize"]}, "entry": "rubric",
                     "finish": "rubric"}, {"g.py": GRAPH})
    missing = [m for m in messages(res) if "node `rubric` is never added" in m]
    assert res.status is Status.FAIL and len(missing) == 1
    assert len(messages(res)) == len(set(messages(res)))


@pytest.mark.parametrize("call", [
    'g.add_edge(name, "b")',
    'g.add_edge("a", f"{x}")',
    'g.add_conditional_edges("a", router, mapping)',
    'g.add_conditional_edges("a", self.route)',
])
def test_unverifiable_edges_make_a_missing_edge_unknown(call):
    src = f'def build(g, name, x, mapping, router):\n    g.add_node("a", 1)\n' \
          f'    g.add_node("b", 2)\n    {call}\n'
    res = run(KIND, {"path": ["a", "b"]}, {"g.py": src})
    assert res.status is Status.UNKNOWN, messages(res)
    assert res.findings and all(f.severity is Severity.INFO for f in res.findings)
    assert lines(res)[0] == ("g.py", 4)


def test_unverifiable_edges_do_not_hide_a_proven_edge_or_excuse_unrelated_ones():
    src = 'def build(g, name):\n    g.add_node("a", 1)\n    g.add_node("b", 2)\n' \
          '    g.add_node("c", 3)\n    g.add_edge("a", "b")\n    g.add_conditional_edges("c", name, name)\n'
    assert run(KIND, {"path": ["a", "b"]}, {"g.py": src}).status is Status.PASS
    res = run(KIND, {"path": ["b", "a"]}, {"g.py": src})
    assert res.status is Status.FAIL  # only `c` has unknown targets


def test_add_sequence_and_router_returns():
    src = """\
        from langgraph.graph import END

        def route(state):
            return "plan" if state else END

        def build(g, execute):
            g.add_sequence([("decompose", 1), ("plan", 2), execute])
            g.add_conditional_edges("execute", route)
            g.set_entry_point("decompose")
    """
    res = run(KIND, {"path": ["START", "decompose", "plan", "execute"],
                     "conditional_to": {"execute": ["END"]}}, {"g.py": src})
    # `return "plan" if state else END` is a conditional expression: not literal returns
    assert res.status is Status.UNKNOWN
    src2 = src.replace('return "plan" if state else END',
                       'if state:\n                return "plan"\n            return END')
    ok = run(KIND, {"path": ["START", "decompose", "plan", "execute", "plan"],
                    "conditional_to": {"execute": ["END", "plan"]}}, {"g.py": src2})
    assert ok.status is Status.PASS, messages(ok)


def test_strings_comments_and_module_functions_are_not_graph_calls():
    src = '"""g.add_edge("a", "b")"""\n# g.add_edge("a", "b")\n\n\ndef add_edge(a, b):\n' \
          '    return a\n\n\nadd_edge("a", "b")\n'
    res = run(KIND, {"path": ["a", "b"]}, {"pkg/__init__.py": src}, hint="pkg")
    assert res.status is Status.FAIL
    assert "no graph is built in pkg" in messages(res)[0]


def test_empty_scope_and_parse_error():
    assert run(KIND, {"path": ["a", "b"]}, {}).status is Status.FAIL
    assert run(KIND, {"path": ["a", "b"]}, {"g.py": "g.add_edge(\n"}).status is Status.UNKNOWN


@pytest.mark.parametrize("params, error", [
    ({}, "give at least one of path"),
    ({"conditional_to": {"a": "b"}}, "must map to a list of node names"),
    ({"path": ["a", ""]}, "empty node name"),
    ({"path": "a"}, "must be list"),
])
def test_invalid_parameters(params, error):
    assert error in pack_error(KIND, params)


def test_documented_example_is_a_valid_rule():
    from checkkit import example_rule

    rule = example_rule("graph-pipeline")
    assert rule.check_kind == "graph-pipeline" and rule.params
