"""state-flow: keys a graph's nodes read must be written by a node or set by the input."""

from __future__ import annotations

import pytest

from checkkit import Severity, Status, example_rule, facts_of, lines, messages, pack_error, run
from obs_lint.checks import REGISTRY
from obs_lint.checks.base import RuleContext

KIND = "state-flow"

GRAPH = """\
from langgraph.graph import END, StateGraph
{imports}

{defs}

def build():
    g = StateGraph(dict)
{nodes}
    return g.compile()
"""

RUN = """\
from graph import build


def run(q):
    return build().invoke({input})
"""


def project(defs: str, nodes: list[tuple[str, str]], imports: str = "",
            input: str = '{"query": q}', **extra: str) -> dict[str, str]:
    body = "\n".join(f"    g.add_node({n!r}, {a})" for n, a in nodes)
    return {"graph.py": GRAPH.format(imports=imports, defs=defs, nodes=body),
            "run.py": RUN.format(input=input), **extra}


def check(files: dict[str, str], **params):
    return run(KIND, params, files)


def errors(res) -> list[str]:
    return messages(res, Severity.ERROR)


# -- the real-target shapes ----------------------------------------------------------------

TRAINER = {
    "trainer/__init__.py": "",
    "trainer/nodes/__init__.py": "from .evaluator import evaluate_model\n"
                                 "from .logger import log_to_mlflow\n",
    "trainer/nodes/evaluator.py": """\
        async def evaluate_model(state):
            model = state["model"]
            return {"train_metrics": {"auc": 0.5}, "test_metrics": {"auc": 0.4}, "model": model}
        """,
    "trainer/nodes/logger.py": """\
        async def log_to_mlflow(state):
            enabled = state.get("enable_mlflow", True)
            metrics = state.get("evaluation_metrics", {})
            return {"mlflow_run_id": "r" if enabled and metrics else None}
        """,
    "trainer/graph.py": """\
        from langgraph.graph import END, StateGraph
        from .nodes import evaluate_model, log_to_mlflow

        def create_model_trainer_graph():
            workflow = StateGraph(dict)
            workflow.add_node("evaluate_model", evaluate_model)
            workflow.add_node("log_to_mlflow", log_to_mlflow)
            workflow.add_edge("evaluate_model", "log_to_mlflow")
            return workflow.compile()
        """,
    "trainer/agent.py": """\
        from .graph import create_model_trainer_graph

        class ModelTrainerAgent:
            def __init__(self):
                self.graph = create_model_trainer_graph()

            async def run(self, model):
                initial_state = {"model": model, "enable_mlflow": True}
                return await self.graph.ainvoke(initial_state)
        """,
}


def test_a_key_read_with_a_default_that_no_node_writes_is_a_finding():
    res = check(TRAINER)
    assert res.status is Status.FAIL
    assert lines(res) == [("trainer/nodes/logger.py", 3)]
    (msg,) = errors(res)
    assert "`log_to_mlflow` (node `log_to_mlflow`) reads state key `evaluation_metrics` " \
           "(nodes/logger.py:3)" in msg
    assert "searched: evaluate_model (graph.py:6 → nodes/evaluator.py:1), log_to_mlflow " \
           "(graph.py:7 → nodes/logger.py:1)" in msg
    assert "the graph's input does not set it (agent.py:9)" in msg
    assert "read with a default (`state.get(\"evaluation_metrics\", {})`), which therefore " \
           "always applies" in msg


def test_the_same_graph_passes_once_the_evaluator_writes_the_key():
    files = dict(TRAINER)
    files["trainer/nodes/evaluator.py"] = files["trainer/nodes/evaluator.py"].replace(
        '"model": model}', '"model": model, "evaluation_metrics": {}}')
    res = check(files)
    assert res.status is Status.PASS, res.findings


FEEDBACK = {
    "fl/__init__.py": "",
    "fl/nodes/__init__.py": "from .rubric_node import RubricNode\n",
    "fl/nodes/rubric_node.py": """\
        class RubricNode:
            def __init__(self, db_client=None):
                self.db_client = db_client

            async def execute(self, state):
                if state.get("status") == "failed":
                    return state
                eval_context = state.get("rubric_evaluation_context")
                if not eval_context:
                    return {**state, "rubric_evaluation": None}
                return {**state, "rubric_decision": "acceptable"}
        """,
    "fl/graph.py": """\
        from langgraph.graph import END, StateGraph
        from .nodes import RubricNode

        async def collect(state):
            return {**state, "feedback_items": [], "status": "collected"}

        def build_feedback_learner_graph(db_client=None, enable_rubric_evaluation=True):
            rubric_node = RubricNode(db_client=db_client) if enable_rubric_evaluation else None
            workflow = StateGraph(dict)
            workflow.add_node("collect", collect)
            if rubric_node:
                workflow.add_node("rubric", rubric_node.execute)
            workflow.add_edge("collect", "rubric")
            return workflow.compile()
        """,
    "fl/agent.py": """\
        from .graph import build_feedback_learner_graph

        class FeedbackLearnerAgent:
            def __init__(self):
                self._graph = None

            @property
            def graph(self):
                if self._graph is None:
                    self._graph = build_feedback_learner_graph()
                return self._graph

            async def learn(self, batch_id):
                initial_state = {"batch_id": batch_id, "status": "pending"}
                return await self.graph.ainvoke(initial_state)
        """,
}


def test_the_rubric_context_no_node_writes_and_the_agent_does_not_set():
    res = check(FEEDBACK)
    assert res.status is Status.FAIL
    assert lines(res) == [("fl/nodes/rubric_node.py", 8)]
    (msg,) = errors(res)
    assert msg.startswith("msg: `RubricNode.execute` (node `rubric`) reads state key "
                          "`rubric_evaluation_context` (nodes/rubric_node.py:8)")
    assert "rubric (graph.py:12 → nodes/rubric_node.py:5)" in msg
    assert "agent.py:15" in msg
    assert "with a default" not in msg


def test_the_agent_setting_the_context_makes_it_pass():
    files = dict(FEEDBACK)
    files["fl/agent.py"] = files["fl/agent.py"].replace(
        '"status": "pending"}', '"status": "pending", "rubric_evaluation_context": {}}')
    assert check(files).status is Status.PASS


# -- what nodes write ------------------------------------------------------------------------

READER = ("reader", "reader")
READER_DEF = """\
def reader(state):
    return {"out": state["k"]}
"""

WRITERS = {
    "dict display": 'def w(state):\n    return {"k": 1}\n',
    "dict built then returned": 'def w(state):\n    out = {"a": 1}\n    out["k"] = 2\n'
                                '    return out\n',
    "dict updated then returned": 'def w(state):\n    out = {}\n    out.update({"k": 1})\n'
                                  '    return out\n',
    "dict updated by keyword": 'def w(state):\n    out = {}\n    out.update(k=1)\n'
                               '    return out\n',
    "spread of the state": 'def w(state):\n    return {**state, "k": 1}\n',
    "copy of the state": 'def w(state):\n    new = dict(state)\n    new["k"] = 1\n'
                         '    return new\n',
    "state.copy()": 'def w(state):\n    new = state.copy()\n    new["k"] = 1\n    return new\n',
    "dict(state, k=v)": 'def w(state):\n    return dict(state, k=1)\n',
    "Command(update=...)": 'from langgraph.types import Command\n\ndef w(state):\n'
                           '    return Command(update={"k": 1}, goto="x")\n',
    "state.update then return": 'def w(state):\n    state.update({"k": 1})\n    return state\n',
    "store into the state": 'def w(state):\n    state["k"] = 1\n    return state\n',
    "setdefault": 'def w(state):\n    state.setdefault("k", 1)\n    return state\n',
    "helper returning a dict": 'def _h(s):\n    return {"k": s.get("query")}\n\n'
                               'async def w(state):\n    return await _h(state)\n',
    "result of a helper": 'def _h(s):\n    return {"k": 1}\n\ndef w(state):\n'
                          '    result = _h(state)\n    return result\n',
    "spread of a local dict": 'def w(state):\n    extra = {"k": 1}\n'
                              '    return {**state, **extra}\n',
    "conditional returns": 'def w(state):\n'
                           '    return {"k": 1} if state.get("query") else {"k": 2}\n',
    "typed dict constructor": 'from typing import TypedDict\n\nclass S(TypedDict):\n    k: int\n\n'
                              'def w(state):\n    return S(k=1)\n',
    "key constant": 'KEY = "k"\n\ndef w(state):\n    return {KEY: 1}\n',
}


@pytest.mark.parametrize("form", sorted(WRITERS))
def test_each_way_of_writing_a_key_counts(form):
    files = project(WRITERS[form] + "\n" + READER_DEF, [("w", "w"), READER])
    res = check(files)
    assert res.status is Status.PASS, messages(res)


NODE_FORMS = {
    "bound method": ('class N:\n    def run(self, state):\n        return {"k": 1}\n',
                     "N().run"),
    "bound method through a variable": ('class N:\n    def run(self, state):\n'
                                        '        return {"k": 1}\n\nnode = N()\n', "node.run"),
    "callable instance": ('class N:\n    def __call__(self, state):\n        return {"k": 1}\n',
                          "N()"),
    "lambda": ("", 'lambda s: {"k": s.get("query")}'),
    "factory product": ('def make(x):\n    def inner(state):\n        return {"k": x}\n'
                        '    return inner\n', "make(1)"),
    "partial": ('import functools\n\ndef w(state, extra):\n    return {"k": extra}\n',
                "functools.partial(w, extra=1)"),
    "decorator factory applied": ('def traced(name):\n    def deco(fn):\n        return fn\n'
                                  '    return deco\n\ndef w(state):\n    return {"k": 1}\n',
                                  'traced("w")(w)'),
}


@pytest.mark.parametrize("form", sorted(NODE_FORMS))
def test_each_way_of_giving_a_node_is_followed(form):
    defs, action = NODE_FORMS[form]
    files = project(defs + "\n" + READER_DEF, [("w", action), READER])
    res = check(files)
    assert res.status is Status.PASS, messages(res)


def test_a_node_function_imported_from_another_module_is_followed():
    files = project(READER_DEF, [("w", "w"), READER], imports="from nodes.writer import w",
                    **{"nodes/__init__.py": "", "nodes/writer.py": 'def w(state):\n'
                                                                   '    return {"k": 1}\n'})
    assert check(files).status is Status.PASS


# -- what nodes read -------------------------------------------------------------------------

def test_reads_in_helpers_the_state_is_passed_to_are_found_with_the_chain():
    defs = """\
class Node:
    def execute(self, state):
        return self._inner(other=1, st=state)

    def _inner(self, other, st):
        return {"out": _deep(st)}


def _deep(s):
    return s.pop("hidden", None)
"""
    res = check(project(defs, [("n", "Node().execute")]))
    (msg,) = errors(res)
    assert "`_deep` (node `n`, through `Node.execute` → `Node._inner`) reads state key " \
           "`hidden`" in msg
    assert "with a default (`s.pop(\"hidden\", None)`)" in msg


def test_reads_in_closures_and_routers_count():
    defs = """\
def n(state):
    def inner():
        return state["from_closure"]
    return {"out": inner()}


def route(state):
    return "n" if state.get("from_router") else END
"""
    files = project(defs, [("n", "n")])
    files["graph.py"] = files["graph.py"].replace(
        "    return g.compile()", '    g.add_conditional_edges("n", route)\n    return g.compile()')
    res = check(files)
    assert sorted(m.split("reads state key ")[1].split("`")[1] for m in errors(res)) == [
        "from_closure", "from_router"]
    assert any("(router of `n`)" in m for m in errors(res))


def test_several_reads_of_a_key_in_one_function_are_one_finding():
    defs = 'def n(state):\n    a = state["x"]\n    b = state.get("x")\n    return {"y": a or b}\n'
    res = check(project(defs, [("n", "n")]))
    (msg,) = errors(res)
    assert "also read at graph.py:6" in msg
    assert lines(res) == [("graph.py", 5)]


def test_stores_and_deletes_are_not_reads():
    defs = ('def n(state):\n    state["x"] = 1\n    del state["y"]\n    state["z"] += 1\n'
            '    return state\n')
    res = check(project(defs, [("n", "n")]))
    # x is written here; z is read (+=) and written; y is only deleted
    assert res.status is Status.PASS, messages(res)


# -- inputs ----------------------------------------------------------------------------------

def test_the_input_can_be_built_by_a_function_or_through_stores():
    defs = 'def n(state):\n    return {"y": state["a"] + state["b"]}\n'
    files = project(defs, [("n", "n")], input="make(q)")
    files["run.py"] += ('\n\ndef make(q):\n    s = {"a": q}\n    s["b"] = q\n    return s\n')
    assert check(files).status is Status.PASS


def test_module_level_compiled_graphs_and_with_config_are_traced():
    defs = 'def n(state):\n    return {"y": state["a"]}\n'
    files = project(defs, [("n", "n")])
    files["run.py"] = ("from graph import build\n\nAPP = build().with_config({})\n\n"
                       "def run(q):\n    return APP.invoke({'a': q})\n")
    assert check(files).status is Status.PASS


def test_calls_in_tests_do_not_count_as_the_graphs_input():
    defs = 'def n(state):\n    return {"y": state["a"]}\n'
    files = project(defs, [("n", "n")], input='{"q": q}')
    files["tests/test_graph.py"] = ("from graph import build\n\ndef test_it():\n"
                                    "    build().invoke({'a': 1})\n")
    assert check(files).status is Status.FAIL
    assert check(files, ignore_callers=[]).status is Status.PASS


def test_an_invoke_on_another_graph_does_not_count():
    defs = 'def n(state):\n    return {"y": state["a"]}\n\ndef build_other():\n' \
           '    g = StateGraph(dict)\n    g.add_node("m", n)\n    return g.compile()\n'
    files = project(defs, [("n", "n")], input='{"q": q}')
    files["other.py"] = "from graph import build_other\n\ndef go():\n" \
                        "    return build_other().invoke({'a': 1})\n"
    res = check(files, graph=["build"])
    assert res.status is Status.FAIL


def test_an_untraceable_invoke_that_passes_the_key_makes_it_undecidable():
    defs = 'def n(state):\n    return {"y": state["a"]}\n'
    files = project(defs, [("n", "n")], input='{"q": q}')
    files["runner.py"] = "def go(graph):\n    return graph.invoke({'a': 1})\n"
    res = check(files)
    assert res.status is Status.UNKNOWN
    (msg,) = messages(res, Severity.INFO)
    assert "it may be given by `graph.invoke({'a': 1})` (runner.py:2), whose receiver cannot " \
           "be traced: `graph` is a parameter of `go`" in msg


def test_an_untraceable_invoke_with_an_unreadable_input_is_not_counted_but_noted():
    defs = 'def n(state):\n    return {"y": state["a"]}\n'
    files = project(defs, [("n", "n")], input='{"q": q}')
    files["runner.py"] = "def go(graph, payload):\n    return graph.invoke(payload)\n"
    res = check(files)
    assert res.status is Status.FAIL
    assert "not counted (receiver and input unknown): `graph.invoke(payload)`" in res.note


def test_no_call_invoking_the_graph_is_undecidable():
    files = project('def n(state):\n    return {"y": state["a"]}\n', [("n", "n")])
    del files["run.py"]
    res = check(files)
    assert res.status is Status.UNKNOWN
    assert "no call invoking the graph was found" in messages(res, Severity.INFO)[0]


# -- undecidable writers ---------------------------------------------------------------------

UNKNOWN_WRITERS = {
    "a node from a library": ("from lib import w", "", "w",
                              "`w` is imported from outside the project (`lib.w`)"),
    "a call result": ("import lib", 'def w(state):\n    return lib.update(state)\n', "w",
                      "returns `lib.update(...)`"),
    "a spread of a parameter": ("", 'def w(state, **extra):\n    return {**state, **extra}\n',
                                "w", "`extra`"),
    "a computed key": ("", 'def w(state, key="x"):\n    return {key: 1}\n', "w",
                       "computed key"),
    "a returned object": ("", 'class R:\n    pass\n\ndef w(state):\n    return R()\n', "w",
                          "returns a `R(...)` object"),
    "a generator": ("", 'def w(state):\n    yield {"k": 1}\n', "w", "is a generator"),
}


@pytest.mark.parametrize("form", sorted(UNKNOWN_WRITERS))
def test_a_writer_the_rule_cannot_follow_makes_unwritten_reads_undecidable(form):
    imports, defs, action, why = UNKNOWN_WRITERS[form]
    res = check(project(defs + "\n" + READER_DEF, [("w", action), READER], imports=imports))
    assert res.status is Status.UNKNOWN, messages(res)
    (msg,) = messages(res, Severity.INFO)
    assert "could not decide whether state key `k`, read by `reader` (node `reader`)" in msg
    assert why in msg


def test_a_file_in_scope_that_did_not_parse_makes_a_finding_undecidable():
    files = project('def n(state):\n    return {"y": state["a"]}\n', [("n", "n")])
    files["broken.py"] = "def oops(:\n"
    res = check(files)
    assert res.status is Status.UNKNOWN
    assert "a file in scope could not be analysed" in messages(res, Severity.INFO)[0]


# -- parameters ------------------------------------------------------------------------------

def test_ignore_keys_and_ignore_readers():
    defs = """\
def n(state):
    return {"y": state["messages"], "z": _generic(state)}


def _generic(state):
    return state.get("query_meta")
"""
    files = project(defs, [("n", "n")], input='{"q": q}')
    assert len(errors(check(files))) == 2
    assert len(errors(check(files, ignore_keys=["messages"]))) == 1
    assert check(files, ignore_keys=["messages"], ignore_readers=["_gen*"]).status is \
        Status.PASS


def test_min_nodes_and_graph_select_graphs():
    files = project('def n(state):\n    return {"y": state["a"]}\n', [("n", "n")])
    assert check(files, min_nodes=2).status is Status.FAIL
    assert "no graph is built" in errors(check(files, min_nodes=2))[0]
    assert "no graph is built by other" in errors(check(files, graph=["other"]))[0]
    assert check(files, graph=["bui*"]).status is Status.FAIL


def test_a_networkx_graph_is_not_a_state_graph():
    res = check({"dag.py": "import networkx as nx\n\ndef dag():\n    g = nx.DiGraph()\n"
                           "    g.add_node('t', kind='x')\n    g.add_edge('t', 'o')\n"})
    assert "no graph is built" in errors(res)[0]


def test_unused_schema_fields_are_info_and_never_fail():
    files = project("", [("n", "n")], imports="from state import S")
    files["graph.py"] = files["graph.py"].replace("StateGraph(dict)", "StateGraph(S)") + (
        '\n\ndef n(state):\n    return {"y": state["query"]}\n')
    files["state.py"] = ("from typing import TypedDict\n\nclass Base(TypedDict, total=False):\n"
                         "    y: int\n    unused_base: str\n\nclass S(Base, total=False):\n"
                         "    query: str\n    unused: str\n")
    res = check(files)
    assert res.status is Status.PASS
    assert lines(res, Severity.INFO) == [("state.py", 5), ("state.py", 9)]
    assert "state field `unused` of `S` (state.py:9) is declared but no node of `build` " \
           "writes or reads it" in messages(res, Severity.INFO)[1]
    assert not check(files, schema_fields=False).findings


def test_parameter_validation():
    assert "min_nodes must be >= 0" in pack_error(KIND, {"min_nodes": -1})
    assert pack_error(KIND, {"ignore_keys": "status"})
    assert pack_error(KIND, {}) == ""


def test_the_documented_example_is_a_valid_rule():
    rule = example_rule(KIND)
    assert rule.params["graph"] == ["build_feedback_learner_graph"]


def test_empty_scope_fails():
    rule = example_rule(KIND)
    ctx = RuleContext(rule=rule, files=facts_of({}), root=".", scope_hint="src/agents/x")
    res = REGISTRY[KIND](rule).evaluate(ctx)
    assert res.status is Status.FAIL
    assert "no files in scope" in res.findings[0].message


# -- the state schema keeps only its fields --------------------------------------------------

def schema_project(writer: str, fields: str = "y: int\n    k: int\n", base: str = "TypedDict",
                   imports: str = "", kwargs: str = "") -> dict[str, str]:
    files = project(writer + "\n" + READER_DEF, [("w", "w"), READER],
                    imports="from state import S\n" + imports)
    files["graph.py"] = files["graph.py"].replace("StateGraph(dict)", f"StateGraph(S{kwargs})")
    files["state.py"] = (f"from typing import TypedDict\nfrom lib import Base\n\n"
                         f"class S({base}, total=False):\n    query: str\n    out: int\n"
                         f"    {fields}\n\nclass I(TypedDict):\n    k: int\n")
    return files


def test_a_written_key_the_schema_does_not_declare_is_dropped():
    files = schema_project('def w(state):\n    return {"k": 1}\n', fields="y: int\n")
    res = check(files, schema_fields=False)
    assert res.status is Status.FAIL
    (msg,) = errors(res)
    assert "node `w` (graph.py:6) set(s) it, but `k` is not a field of the state schema `S` " \
           "(state.py:4) of `build`: LangGraph keeps only the schema's fields" in msg
    assert check(files, schema_fields=False, declared_only=False).status is Status.PASS


def test_an_undeclared_key_is_a_finding_even_when_some_writer_is_unknown():
    files = schema_project('import lib\n\ndef w(state):\n    return lib.update(state)\n',
                           fields="y: int\n")
    res = check(files, schema_fields=False)
    assert res.status is Status.FAIL
    assert "nor could anything: `k` is not a field of the state schema `S`" in errors(res)[0]


def test_input_schemas_add_fields_and_unknown_bases_turn_the_filter_off():
    writer = 'def w(state):\n    return {"k": 1}\n'
    files = schema_project(writer, fields="y: int\n", kwargs=", input=I")
    assert check(files, schema_fields=False).status is Status.PASS
    files = schema_project(writer, fields="y: int\n", base="Base")
    assert check(files, schema_fields=False).status is Status.PASS


def test_update_state_and_send_set_keys_too():
    defs = 'def n(state):\n    return {"y": state["a"]}\n'
    files = project(defs, [("n", "n")], input='{"q": q}')
    files["run.py"] += "\n\ndef patch(cfg):\n    build().update_state(cfg, {'a': 1})\n"
    assert check(files).status is Status.PASS
    files = project(defs, [("n", "n")], input='{"q": q}')
    files["fan.py"] = ("from langgraph.types import Send\n\ndef fan_out(state):\n"
                       "    return [Send('n', {'a': x}) for x in state['items']]\n")
    assert check(files).status is Status.PASS


def test_undeclared_writes_are_reported_when_asked():
    files = schema_project('def w(state):\n    return {"k": 1, "extra": 2}\n')
    assert check(files, schema_fields=False).status is Status.PASS
    res = check(files, schema_fields=False, undeclared_writes=True)
    (msg,) = errors(res)
    assert lines(res) == [("graph.py", 6)]
    assert "node `w` writes state key `extra` (graph.py:6), which is not a field of the state " \
           "schema `S` (state.py:4) of `build`: LangGraph drops it" in msg


# -- keys: a rule about one data flow ------------------------------------------------------

def test_keys_limits_the_rule_to_the_named_data_flow():
    files = dict(TRAINER)
    files["trainer/nodes/logger.py"] = files["trainer/nodes/logger.py"].replace(
        'enabled = state.get("enable_mlflow", True)', 'enabled = state.get("register_model")')
    # both unwritten keys fail the unrestricted rule ...
    assert {m.split("reads state key ")[1].split("`")[1] for m in errors(check(files))} == \
        {"register_model", "evaluation_metrics"}
    # ... the metrics rule reports only the metrics key
    res = check(files, keys=["*metrics*"])
    assert res.status is Status.FAIL
    assert lines(res) == [("trainer/nodes/logger.py", 3)]
    # and passes when only an unrelated key is unwritten
    files["trainer/nodes/evaluator.py"] = files["trainer/nodes/evaluator.py"].replace(
        '"model": model}', '"model": model, "evaluation_metrics": {}}')
    assert check(files, keys=["*metrics*"]).status is Status.PASS
    assert check(files).status is Status.FAIL


def test_keys_keeps_the_undecidable_reads_of_its_keys_undecided():
    files = dict(TRAINER)
    files["trainer/nodes/evaluator.py"] = ("import lib\n\nasync def evaluate_model(state):\n"
                                           "    return lib.evaluate(state)\n")
    assert check(files, keys=["*metrics*"]).status is Status.UNKNOWN
    assert check(files, keys=["nothing_reads_this"]).status is Status.PASS


# -- a generic reader shared by many graphs ------------------------------------------------

def _shared_graphs(n: int) -> dict[str, str]:
    files = {"audit.py": 'def init_audit(state):\n    return {"audit_id": state.get("session_id")}\n'}
    for i in range(n):
        files[f"g{i}.py"] = (
            "from langgraph.graph import StateGraph\nfrom audit import init_audit\n\n\n"
            "def work(state):\n    return {'out': state['query']}\n\n\n"
            f"def build{i}():\n    g = StateGraph(dict)\n    g.add_node('audit', init_audit)\n"
            "    g.add_node('work', work)\n    g.add_edge('audit', 'work')\n    return g.compile()\n\n\n"
            f"def run{i}(q):\n    return build{i}().invoke({{'query': q}})\n")
    return files


def test_defaulted_reads_of_a_reader_shared_by_many_graphs_are_optional():
    # one or two graphs: the initializer's defaulted read is each graph's missing input
    res = check(_shared_graphs(2))
    assert res.status is Status.FAIL
    assert {m.split("reads state key ")[1].split("`")[1] for m in errors(res)} == {"session_id"}
    # three graphs share it: it is generic, and its defaulted reads are optional
    assert check(_shared_graphs(3)).status is Status.PASS
    assert check(_shared_graphs(3), shared_reader_graphs=0).status is Status.FAIL


def test_a_shared_reader_without_a_default_is_still_checked():
    files = _shared_graphs(3)
    files["audit.py"] = 'def init_audit(state):\n    return {"audit_id": state["session_id"]}\n'
    res = check(files)
    assert res.status is Status.FAIL
    assert len(errors(res)) == 3  # one per graph whose input lacks the key


def test_report_settings_false_keeps_empty_defaults_and_drops_literal_settings():
    files = dict(TRAINER)
    files["trainer/nodes/logger.py"] = files["trainer/nodes/logger.py"].replace(
        'enabled = state.get("enable_mlflow", True)', 'enabled = state.get("retries", 3)')
    keys = lambda res: {m.split("reads state key ")[1].split("`")[1] for m in errors(res)}
    assert keys(check(files)) == {"retries", "evaluation_metrics"}
    assert keys(check(files, report_settings=False)) == {"evaluation_metrics"}


@pytest.mark.parametrize("default, reported", [
    ("3", False), ("True", False), ('"auto"', False), ('f"run_{x}"', False),
    ("detect(x)", False), ("x * 0.5", False), ("DEFAULT", False), ("[1]", False),
    ("{}", True), ("None", True), ('""', True), ("[]", True), ("dict()", True)])
def test_settings_are_literal_named_or_computed_defaults_and_empty_ones_are_data(default,
                                                                                 reported):
    files = dict(TRAINER)
    files["trainer/nodes/logger.py"] = files["trainer/nodes/logger.py"].replace(
        'enabled = state.get("enable_mlflow", True)',
        f'x = 1\n            enabled = state.get("knob", {default})')
    keys = {m.split("reads state key ")[1].split("`")[1]
            for m in errors(check(files, report_settings=False))}
    assert ("knob" in keys) is reported
    assert "evaluation_metrics" in keys
