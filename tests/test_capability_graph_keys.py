"""graph-pipeline entry through a bookkeeping prefix; test-inventory ``keyword`` (pytest -k);
required-keys ``calls``."""

from __future__ import annotations

from checkkit import Severity, Status, lines, messages, pack_error, run

# -- graph-pipeline: entry through a bookkeeping prefix -----------------------------------------

GRAPH = """\
from langgraph.graph import END, START, StateGraph


def build(s, f):
    g = StateGraph(s)
    g.add_node("audit_init", f)
    g.add_node("enrich", f)
    g.add_node("collect", f)
    g.add_node("finalize", f)
{edges}
    g.add_edge("collect", "finalize")
    g.add_edge("finalize", END)
    return g
"""


def graph(edges: str, **params):
    body = "\n".join("    " + e for e in edges.strip().splitlines())
    return run("graph-pipeline", {"entry": "enrich", **params},
               {"graph.py": GRAPH.format(edges=body)})


def test_entry_through_bookkeeping_node():
    res = graph('g.add_edge(START, "audit_init")\ng.add_edge("audit_init", "enrich")\n'
                'g.add_edge("enrich", "collect")')
    assert res.status is Status.PASS, messages(res)
    assert [(e.path, e.span.line) for e in res.evidence] == [("graph.py", 10), ("graph.py", 11)]


def test_entry_directly_after_start():
    res = graph('g.set_entry_point("enrich")\ng.add_edge("enrich", "collect")')
    assert res.status is Status.PASS, messages(res)


def test_prefix_through_a_node_the_rule_names_is_not_an_entry():
    res = graph('g.add_edge(START, "collect")\ng.add_edge("collect", "enrich")',
                path=["collect", "finalize"])
    assert res.status is Status.FAIL
    assert messages(res) == ["msg: missing entry edge `START → enrich` (edges from `START`: "
                             "collect)"]
    assert lines(res) == [("graph.py", 10)]


def test_prefix_with_conditional_edge_is_not_an_entry():
    res = graph('g.add_edge(START, "audit_init")\n'
                'g.add_conditional_edges("audit_init", lambda s: "enrich", '
                '{"enrich": "enrich", "stop": END})\ng.add_edge("enrich", "collect")')
    assert res.status is Status.FAIL
    assert "missing entry edge `START → enrich` (edges from `START`: audit_init)" in \
        messages(res)[0]


def test_prefix_node_with_two_edges_out_is_not_an_entry():
    res = graph('g.add_edge(START, "audit_init")\ng.add_edge("audit_init", "enrich")\n'
                'g.add_edge("audit_init", "collect")\ng.add_edge("enrich", "collect")')
    assert res.status is Status.FAIL
    assert "missing entry edge `START → enrich`" in messages(res)[0]


def test_unknown_node_name_in_prefix_is_undecidable():
    res = graph('g.add_edge(START, NODE)\ng.add_edge("enrich", "collect")')
    assert res.status is Status.UNKNOWN, messages(res)
    assert messages(res, Severity.ERROR) == []


# -- test-inventory keyword -------------------------------------------------------------------

TESTS = """\
import pytest


def test_graph_builds():
    pass


def test_pipeline_runs():
    pass


@pytest.mark.slow
def test_big_export():
    pass


def test_slow_path():
    pass


@pytest.mark.parametrize("mode", ["graph", "linear", "tree"])
def test_modes(mode):
    pass


class TestPipeline:
    def test_a(self):
        pass
"""


def inv(keyword: str, need: int = 1, src: str = TESTS):
    return run("test-inventory", {"min": need, "keyword": keyword},
               {"tests/unit/test_flow.py": src}, hint="tests/unit")


def count(res) -> str:
    return res.note


def test_keyword_or():
    res = inv("graph or pipeline", 99)
    assert res.status is Status.FAIL
    # test_graph_builds, test_pipeline_runs, TestPipeline::test_a, test_modes[graph]
    assert messages(res) == ["msg: 4 test(s) in 1 file(s) selected by -k 'graph or pipeline' "
                             "in tests/unit, at least 99 required"]


def test_keyword_not_excludes_names_and_markers():
    res = inv("not slow", 99)
    # test_slow_path (name) and test_big_export (marker) are deselected
    assert messages(res) == ["msg: 6 test(s) in 1 file(s) selected by -k 'not slow' "
                             "in tests/unit, at least 99 required"]


def test_keyword_matches_parametrized_ids():
    res = inv("linear or tree", 99)
    assert messages(res) == ["msg: 2 test(s) in 1 file(s) selected by -k 'linear or tree' "
                             "in tests/unit, at least 99 required"]


def test_keyword_matches_file_and_class_names():
    assert "6 test(s)" in inv("flow and not slow", 99).findings[0].message
    res = inv("TestPipeline", 1)
    assert res.status is Status.PASS
    assert res.note == "1 test(s) in 1 file(s) selected by -k 'TestPipeline'"


def test_keyword_selecting_nothing_fails():
    res = inv("nothing_like_this", 1)
    assert res.status is Status.FAIL
    assert "0 test(s) in 0 file(s) selected by -k 'nothing_like_this'" in messages(res)[0]


def test_keyword_with_non_literal_parameters_is_a_lower_bound():
    src = "import pytest\nMODES = make()\n\n\n@pytest.mark.parametrize('m', MODES)\n" \
          "def test_modes(m):\n    pass\n"
    res = inv("graph", 1, src)
    assert res.status is Status.UNKNOWN
    assert "could not decide" in res.note


COMBO = """\
import pytest

pytestmark = pytest.mark.integration


@pytest.mark.parametrize("c", ["graph"], ids=["g"])
@pytest.mark.parametrize("a,b", [(1, "x"), pytest.param(2, "y", id="special")])
def test_combo(a, b, c):
    pass
"""


def test_keyword_ids_explicit_pytest_param_tuples_and_module_marks():
    assert "1 test(s)" in inv("special", 9, COMBO).findings[0].message
    assert "1 test(s)" in inv("1-x-g", 9, COMBO).findings[0].message
    assert "0 test(s)" in inv("graph", 9, COMBO).findings[0].message  # ids replace values
    assert "2 test(s)" in inv("integration", 9, COMBO).findings[0].message
    assert "0 test(s)" in inv("not integration", 9, COMBO).findings[0].message


def test_keyword_validation():
    assert "keyword: not a pytest -k expression" in pack_error(
        "test-inventory", {"min": 1, "keyword": "graph or"})
    assert pack_error("test-inventory", {"min": 1, "keyword": "(a or b) and not c"}) == ""


# -- required-keys calls ------------------------------------------------------------------------

LOGGING = """\
def log(run, gap, metrics_in):
    run.log_metric("energy_score_gap", gap)
    run.log_metrics({"roc_auc": 1.0, "f1": metrics_in})
    run.log_param(name="lr", value=0.1)
    summary = {"pr_auc": 0.5}
    report = {"recall": 0.5}
    run.log_metrics(report)
"""


def keys(want, **params):
    return run("required-keys", {"keys": want, "calls": ["*.log_metric", "*.log_metrics",
                                                          "*.log_param"], **params},
               {"m.py": LOGGING})


def test_keys_handed_to_calls_count():
    res = keys(["energy_score_gap", "roc_auc", "f1", "name", "lr"])
    assert res.status is Status.PASS, messages(res)
    assert [(e.path, e.span.line) for e in res.evidence] == [("m.py", 2), ("m.py", 3),
                                                             ("m.py", 3), ("m.py", 4),
                                                             ("m.py", 4)]


def test_key_only_mentioned_elsewhere_does_not_count():
    res = keys(["pr_auc"])
    assert res.status is Status.FAIL
    assert messages(res)[0].startswith("msg: missing key(s) `pr_auc` in m.py")


def test_dict_passed_by_name_counts():
    res = keys(["recall"])
    assert res.status is Status.PASS, messages(res)
    assert [(e.path, e.span.line) for e in res.evidence] == [("m.py", 6)]


def test_entry_through_set_entry_point_two_bookkeeping_nodes_and_add_sequence():
    res = graph('g.set_entry_point("audit_init")\ng.add_edge("audit_init", "enrich")\n'
                'g.add_edge("enrich", "collect")')
    assert res.status is Status.PASS, messages(res)
    res = graph('g.add_node("load", f)\ng.add_edge(START, "load")\n'
                'g.add_edge("load", "audit_init")\ng.add_edge("audit_init", "enrich")')
    assert res.status is Status.PASS, messages(res)
    assert [(e.path, e.span.line) for e in res.evidence] == [("graph.py", 11), ("graph.py", 12),
                                                             ("graph.py", 13)]
    res = graph('g.add_sequence(["audit_init", "enrich", "collect"])\n'
                'g.add_edge(START, "audit_init")')
    assert res.status is Status.PASS, messages(res)


def test_prefix_node_named_as_finish_is_not_bookkeeping():
    res = graph('g.add_edge(START, "audit_init")\ng.add_edge("audit_init", "enrich")',
                finish="audit_init")
    assert res.status is Status.FAIL
    assert messages(res) == [
        "msg: missing entry edge `START → enrich` (edges from `START`: audit_init)",
        "msg: missing finish edge `audit_init → END` (edges from `audit_init`: enrich)"]


def test_keyword_with_fixture_params_ids_unknown_is_a_lower_bound():
    src = ("import pytest\n\n\n@pytest.fixture(params=['graph', 'tree'])\ndef backend(request):\n"
           "    return request.param\n\n\ndef test_store(backend):\n    pass\n\n\n"
           "def test_graph_only():\n    pass\n")
    res = inv("graph", 9, src)
    assert res.status is Status.UNKNOWN
    assert res.note == ("could not decide: at least 1 test(s) in 1 file(s) selected by -k "
                        "'graph', 9 required (lower bound: tests/unit/test_flow.py: the "
                        "parametrize ids of `test_store` are not known)")
    # selected by its own name: every instance counts, exactly
    res = inv("store", 2, src)
    assert res.status is Status.PASS
    assert res.note == "2 test(s) in 1 file(s) selected by -k 'store'"


def test_keyword_class_level_parametrize_ids():
    src = ("import pytest\n\n\n@pytest.mark.parametrize('kind', ['graph', 'linear'])\n"
           "class TestKinds:\n    def test_a(self, kind):\n        pass\n\n"
           "    def test_b(self, kind):\n        pass\n")
    res = inv("linear", 2, src)
    assert res.status is Status.PASS, res.note
    assert res.note == "2 test(s) in 1 file(s) selected by -k 'linear'"
    assert "4 test(s)" in inv("kinds", 9, src).findings[0].message


def test_keyword_not_with_unknown_ids_never_overcounts():
    src = ("import pytest\n\n\n@pytest.fixture(params=['graph', 'tree'])\ndef backend(request):\n"
           "    return request.param\n\n\ndef test_store(backend):\n    pass\n")
    # pytest would deselect test_store[graph]: 2 is not a count to pass on
    res = inv("not graph", 2, src)
    assert res.status is Status.UNKNOWN
    assert "the parametrize ids of `test_store` are not known" in res.note
    assert inv("not graph", 1, TESTS).status is Status.PASS  # ids known: decided


def test_prefix_through_an_imported_node_name_is_undecidable():
    src = ("from langgraph.graph import START, StateGraph\nfrom .names import AUDIT\n\n\n"
           "def build(s, f):\n    g = StateGraph(s)\n    g.add_node(AUDIT, f)\n"
           "    g.add_node('enrich', f)\n    g.add_edge(START, AUDIT)\n"
           "    g.add_edge(AUDIT, 'enrich')\n    return g\n")
    res = run("graph-pipeline", {"entry": "enrich"}, {"graph.py": src})
    assert res.status is Status.UNKNOWN
    assert messages(res, Severity.ERROR) == []
    assert lines(res, Severity.INFO) == [("graph.py", 7), ("graph.py", 9), ("graph.py", 10)]
    assert "could be it" in res.note
