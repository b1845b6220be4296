"""reachability: what is built must be used, and spans must have a parent.

Snippets in, CheckResult out, through the project view the pipeline builds
(``checkkit.run_project``: the rule's scope is a glob, every snippet can be consulted and
searched); the fixture tree ``fixtures/checks/reachability/`` runs the whole pipeline.
"""

from __future__ import annotations

import pytest
import yaml

from checkkit import Severity, Status, pack_error, rule_of, run_project
from obs_lint.checks import REGISTRY
from obs_lint.checks.reachability import MAX_CALLER_DEPTH, Reachability, is_test

KIND = "reachability"
SCOPE = "src/obs/*"


def check(files: dict[str, str], scope: str = SCOPE, **params):
    return run_project(KIND, params, files, scope=scope)


def errors(res) -> list[tuple[str, int, str]]:
    return [(f.location.path, f.location.span.line, f.message) for f in res.findings
            if f.severity is not Severity.INFO]


def error(res) -> tuple[str, int, str]:
    (one,) = errors(res)
    return one


def evidence(res) -> list[tuple[str, int]]:
    return [(e.path, e.span.line) for e in res.evidence]


def assert_unknown(res, *fragments: str) -> None:
    assert res.status is Status.UNKNOWN, (res.status, res.note, errors(res))
    assert not errors(res)
    infos = [f.message for f in res.findings if f.severity is Severity.INFO]
    assert infos and all(m.startswith("msg: could not decide: ") for m in infos)
    for frag in fragments:
        assert any(frag in m for m in infos), infos


# --------------------------------------------------------------------------------------------
# the kind and its parameters
# --------------------------------------------------------------------------------------------


def test_registered_with_its_documented_example():
    assert REGISTRY[KIND] is Reachability and Reachability.uses_project
    check_ = yaml.safe_load(Reachability.example)["check"]
    assert check_.pop("kind") == KIND
    rule = rule_of(KIND, check_)
    assert rule.params["mode"] == "any"


@pytest.mark.parametrize("params, text", [
    ({}, "give `symbols` and/or `calls_within`"),
    ({"calls_within": {"calls": ["*.trace_llm_call"]}}, "calls_within: must be"),
    ({"calls_within": {"calls": ["x"], "spans": ["y"], "extra": 1}}, "calls_within: must be"),
    ({"calls_within": {"calls": [1], "spans": ["y"]}}, "calls_within: must be"),
    ({"symbols": ["A"], "mode": "some"}, "mode"),
])
def test_invalid_parameters_are_pack_errors(params, text):
    assert text in pack_error(KIND, params)


def test_prefilter_patterns_and_test_paths():
    kind = Reachability.__new__(Reachability)
    kind.p = {"symbols": ["*Tracer", "get_tracer"],
              "calls_within": {"calls": ["*.trace_llm_call"], "spans": ["*.trace_agent"]}}
    assert kind.patterns() == ("Tracer", "get_tracer", "trace_llm_call")
    assert kind.reach() == ()
    for path in ("tests/test_a.py", "src/pkg/tests/helpers.py", "test_x.py", "src/a_test.py",
                 "conftest.py", "src/test/util.py"):
        assert is_test(path), path
    for path in ("src/testing_utils.py", "src/contest.py", "src/obs/tracer.py"):
        assert not is_test(path), path


# --------------------------------------------------------------------------------------------
# used: symbols
# --------------------------------------------------------------------------------------------

TRACERS = """\
class AgentTracer:
    def trace(self, name):
        return None


class ToolTracer:
    def trace(self, name):
        return None


def get_tool_tracer():
    return ToolTracer()
"""
INIT = "from .tracers import AgentTracer, ToolTracer, get_tool_tracer\n"


def project(**extra: str) -> dict[str, str]:
    return {"src/obs/__init__.py": INIT, "src/obs/tracers.py": TRACERS, **extra}


def test_an_unused_class_in_scope_is_a_finding_at_its_definition():
    res = check(project(), symbols=["AgentTracer"])
    assert res.status is Status.FAIL
    assert error(res) == (
        "src/obs/tracers.py", 1,
        "msg: `AgentTracer` (src/obs/tracers.py:1) is not called by any non-test code outside "
        "its module, nor by code of its module that is itself used (searched 1 other file(s) "
        "naming it: src/obs/__init__.py (imports or names it, never calls it))")


def test_uses_in_tests_do_not_count_unless_asked():
    files = project(**{"tests/test_tracers.py": "from obs import AgentTracer\n\n\n"
                                                "def test_it():\n    AgentTracer()\n"})
    res = check(files, symbols=["AgentTracer"])
    assert res.status is Status.FAIL
    assert "called only by tests: tests/test_tracers.py:5" in error(res)[2]
    ok = check(files, symbols=["AgentTracer"], include_tests=True)
    assert ok.status is Status.PASS and evidence(ok) == [("tests/test_tracers.py", 5)]


def test_a_reexport_an_annotation_and_a_docstring_are_not_uses():
    files = project(**{"src/app.py": '''\
        """Uses AgentTracer() to trace."""
        from obs import AgentTracer


        def run(tracer: AgentTracer) -> "AgentTracer":
            return tracer
        '''})
    res = check(files, symbols=["AgentTracer"])
    assert res.status is Status.FAIL
    msg = error(res)[2]
    assert "searched 2 other file(s) naming it" in msg
    assert "src/app.py (imports or names it, never calls it)" in msg


def test_a_class_constructed_by_another_module_is_used():
    files = project(**{"src/app.py": "from obs import AgentTracer\n\n\ndef run():\n"
                                     "    return AgentTracer().trace('x')\n"})
    res = check(files, symbols=["AgentTracer"])
    assert res.status is Status.PASS
    assert evidence(res) == [("src/app.py", 5)]
    assert res.note == "1 use(s) verified"


def test_a_class_built_by_an_accessor_of_its_module_is_used_when_the_accessor_is():
    files = project(**{"src/app.py": "from obs.tracers import get_tool_tracer\n\n"
                                     "get_tool_tracer()\n"})
    res = check(files, symbols=["ToolTracer"])
    assert res.status is Status.PASS and evidence(res) == [("src/app.py", 3)]
    res = check(project(), symbols=["ToolTracer"])  # nothing calls the accessor
    assert res.status is Status.FAIL
    assert error(res)[:2] == ("src/obs/tracers.py", 6)


def test_mode_all_and_mode_any():
    files = project(**{"src/app.py": "from obs import AgentTracer\n\nAgentTracer()\n"})
    res = check(files, symbols=["*Tracer"])
    assert res.status is Status.FAIL
    assert [(p, ln) for p, ln, _ in errors(res)] == [("src/obs/tracers.py", 6)]
    ok = check(files, symbols=["*Tracer"], mode="any")
    assert ok.status is Status.PASS and evidence(ok) == [("src/app.py", 3)]


def test_symbols_that_are_not_defined_in_scope_are_a_finding():
    res = run_project(KIND, {"symbols": ["MissingTracer"]}, project(), scope=SCOPE,
                      hint="src/obs/")
    assert error(res) == ("src/obs/__init__.py", 1,
                          "msg: `MissingTracer` not defined in src/obs/")


def test_method_symbols_are_used_through_their_receivers():
    files = project(**{"src/app.py": "from obs import AgentTracer\n\n\n"
                                     "def run(t: AgentTracer):\n    t.trace('x')\n"})
    res = check(files, symbols=["AgentTracer.trace"])
    assert res.status is Status.PASS and evidence(res) == [("src/app.py", 5)]
    # ``ToolTracer.trace`` has the same name, but no call reaches it
    res = check(files, symbols=["ToolTracer.trace"])
    assert [(p, ln) for p, ln, _ in errors(res)] == [("src/obs/tracers.py", 7)]


def test_a_call_by_the_name_whose_callee_cannot_be_followed_is_undecided():
    files = project(**{"src/app.py": "def run(registry):\n    return registry.AgentTracer()\n"})
    assert_unknown(check(files, symbols=["AgentTracer"]),
                   "`AgentTracer` may be used: `registry.AgentTracer()` at src/app.py:2: "
                   "parameter `registry` of `run` (src/app.py) has no type annotation")


@pytest.mark.parametrize("body, where", [
    ("from obs import tracers\n\n\ndef build(name):\n    return getattr(tracers, name)()\n",
     "`getattr(tracers, name)` at src/app.py:5 looks up a computed name"),
    ("import obs\n\n\ndef build():\n    return getattr(obs, 'AgentTracer')()\n",
     "`getattr(obs, 'AgentTracer')` at src/app.py:5 looks up `AgentTracer` by name"),
])
def test_a_dynamic_lookup_on_its_module_is_undecided(body, where):
    res = check(project(**{"src/app.py": body}), symbols=["AgentTracer"])
    assert_unknown(res, where, "whether `AgentTracer` is then called is not followed")


def test_a_lookup_of_another_name_or_on_another_object_decides_nothing():
    body = ("import obs\nimport os\n\n\ndef build(name):\n    getattr(obs, 'ToolTracer')\n"
            "    return getattr(os, name)\n")
    res = check(project(**{"src/app.py": body}), symbols=["AgentTracer"])
    assert res.status is Status.FAIL


@pytest.mark.parametrize("body, line", [
    ("from obs import AgentTracer\n\nREGISTRY = {'agent': AgentTracer}\n", 3),
    ("from obs import AgentTracer\n\n\ndef setup(app):\n    app.add_callback(AgentTracer)\n", 5),
    ("from dataclasses import dataclass, field\n\nfrom obs import AgentTracer\n\n\n"
     "@dataclass\nclass Ctx:\n    tracer: AgentTracer = field(default_factory=AgentTracer)\n", 8),
])
def test_a_class_passed_or_stored_as_a_value_is_undecided(body, line):
    res = check(project(**{"src/app.py": body}), symbols=["AgentTracer"])
    assert_unknown(res, f"`AgentTracer` is passed as a value at src/app.py:{line}",
                   "what calls it is not followed")


def test_isinstance_and_type_checks_are_not_uses():
    body = ("from obs import AgentTracer\n\n\ndef is_tracer(x):\n"
            "    return isinstance(x, AgentTracer) or issubclass(type(x), AgentTracer)\n")
    res = check(project(**{"src/app.py": body}), symbols=["AgentTracer"])
    assert res.status is Status.FAIL


# --------------------------------------------------------------------------------------------
# inside a parent span: calls_within
# --------------------------------------------------------------------------------------------

SPANS = {"calls": ["*.trace_llm_call"], "spans": ["*.trace_agent"]}


def spans(src: str, **files: str):
    return check({"src/agent.py": src, **files}, scope="src/*", calls_within=SPANS)


def test_a_call_lexically_inside_the_agent_span_passes():
    res = spans('''\
        async def run(tracer, q):
            async with tracer.trace_agent("agent") as span:
                with tracer.trace_llm_call("gpt"):
                    return q
        ''')
    assert res.status is Status.PASS and evidence(res) == [("src/agent.py", 3)]


def test_a_call_outside_any_span_is_a_finding_naming_the_enclosing_function():
    res = spans('''\
        async def run(tracer, q):
            async with tracer.trace_agent("agent"):
                pass
            with tracer.trace_llm_call("gpt"):
                return q


        run_later = None
        ''')
    assert res.status is Status.FAIL
    assert error(res) == ("src/agent.py", 4,
                          "msg: `tracer.trace_llm_call(\"gpt\")` runs outside any "
                          "`*.trace_agent` span: no enclosing span in `run`, which no project "
                          "code calls")
    (rel,) = res.findings[0].related
    assert (rel.location.path, rel.location.span.line) == ("src/agent.py", 1)
    assert rel.message == "`run`, the function it runs in, opens no such span"


def test_a_helper_called_only_from_inside_the_block_passes():
    res = spans('''\
        def call_llm(tracer, q):
            with tracer.trace_llm_call("gpt"):
                return q


        async def run(tracer, q):
            async with tracer.trace_agent("agent"):
                return call_llm(tracer, q)
        ''', **{"src/other.py": "from agent import call_llm\n\n\n"
                                "async def go(tracer):\n"
                                "    async with tracer.trace_agent('x'):\n"
                                "        call_llm(tracer, 1)\n"})
    assert res.status is Status.PASS, errors(res)
    assert evidence(res) == [("src/agent.py", 2)]


def test_a_helper_also_called_outside_the_block_is_a_finding_with_the_caller_chain():
    res = spans('''\
        def call_llm(tracer, q):
            with tracer.trace_llm_call("gpt"):
                return q


        async def run(tracer, q):
            async with tracer.trace_agent("agent"):
                call_llm(tracer, q)
            return call_llm(tracer, q)
        ''')
    assert error(res) == ("src/agent.py", 2,
                          "msg: `tracer.trace_llm_call(\"gpt\")` runs outside any "
                          "`*.trace_agent` span: no enclosing span in `call_llm`, called without "
                          "one at src/agent.py:9 (no enclosing span in `run`, which no project "
                          "code calls)")


def test_methods_called_through_self_from_inside_the_block_pass():
    res = spans('''\
        class Agent:
            async def run(self, tracer):
                async with tracer.trace_agent("agent"):
                    return await self._step(tracer)

            async def _step(self, tracer):
                return await self._deeper(tracer)

            async def _deeper(self, tracer):
                tracer.trace_llm_call("gpt")
        ''')
    assert res.status is Status.PASS and evidence(res) == [("src/agent.py", 10)]


def test_a_function_decorated_with_the_span_runs_inside_it():
    res = spans('''\
        from obs import tracer


        @tracer.trace_agent("agent")
        async def run(q):
            tracer.trace_llm_call("gpt")
        ''')
    assert res.status is Status.PASS and evidence(res) == [("src/agent.py", 6)]


def test_a_function_passed_as_a_value_is_undecided():
    res = spans('''\
        def llm_node(state, tracer):
            tracer.trace_llm_call("gpt")
            return state


        def build(graph):
            graph.add_node("llm", llm_node)
        ''')
    assert_unknown(res, "`tracer.trace_llm_call(\"gpt\")` at src/agent.py:2: `llm_node` is used "
                        "as a value at src/agent.py:7 (a callback, a graph node): what calls it "
                        "is not followed")


def test_a_nested_function_is_undecided():
    res = spans('''\
        async def run(tracer):
            async def inner():
                tracer.trace_llm_call("gpt")
            async with tracer.trace_agent("agent"):
                await inner()
        ''')
    assert_unknown(res, "`run.<locals>.inner` is a nested function: what calls it is not "
                        "followed")


def test_a_span_held_in_a_variable_is_undecided():
    res = spans('''\
        async def run(tracer):
            ctx = tracer.trace_agent("agent")
            async with ctx:
                tracer.trace_llm_call("gpt")
        ''')
    assert_unknown(res, "`run` holds a span in `ctx` (entered by name")


def test_a_call_at_module_level_has_no_parent():
    res = spans('import obs\n\nobs.tracer.trace_llm_call("boot")\n')
    assert error(res)[:2] == ("src/agent.py", 3)
    assert error(res)[2].endswith("span: it is at module level")


def test_callers_are_followed_a_bounded_number_of_levels():
    chain = "\n\n".join(f"def f{i}(t):\n    return f{i + 1}(t)" for i in range(MAX_CALLER_DEPTH + 1))
    src = (f"async def top(t):\n    async with t.trace_agent('a'):\n        f0(t)\n\n\n{chain}"
           f"\n\n\ndef f{MAX_CALLER_DEPTH + 1}(t):\n    t.trace_llm_call('m')\n")
    assert_unknown(spans(src), f"callers followed {MAX_CALLER_DEPTH} levels deep")


def test_a_caller_that_cannot_be_followed_is_undecided_and_a_value_use_is_the_reason_given():
    helper = '''\
        class Node:
            def execute(self, state, tracer):
                tracer.trace_llm_call("gpt")
        '''
    res = spans(helper, **{"src/jobs.py": "def run(job, state):\n    job.execute(state)\n"})
    assert_unknown(res, "`job.execute(state)` at src/jobs.py:2 may call `Node.execute`: "
                        "parameter `job` of `run` (src/jobs.py) has no type annotation")
    # the graph node is the reason that matters, wherever the files sort
    res = spans(helper, **{"src/jobs.py": "def run(job, state):\n    job.execute(state)\n",
                           "src/z_graph.py": "from agent import Node\n\n\ndef build(g):\n"
                                             "    g.add_node('n', Node().execute)\n"})
    assert_unknown(res, "`Node.execute` is used as a value at src/z_graph.py:5")


SINGLETON = """\
class AuditTracer:
    _instance = None

    @classmethod
    def get_instance(cls):
        if cls._instance is None:
            cls._instance = cls()
        return cls._instance
"""


def test_a_class_method_called_on_the_class_is_a_use():
    # regression: ``AuditTracer.get_instance()`` was "names it, never calls it"
    files = {"src/obs/__init__.py": "", "src/obs/audit.py": SINGLETON,
             "src/app.py": "from obs.audit import AuditTracer\n\n"
                           "AuditTracer.get_instance()\n"}
    res = check(files, symbols=["AuditTracer"])
    assert res.status is Status.PASS and evidence(res) == [("src/app.py", 3)]


def test_a_base_class_is_used_when_a_subclass_is():
    files = {"src/obs/__init__.py": "", "src/obs/audit.py": SINGLETON,
             "src/obs/custom.py": "from obs.audit import AuditTracer\n\n\n"
                                  "class CustomTracer(AuditTracer):\n    pass\n"}
    res = check(files, symbols=["AuditTracer"])
    assert res.status is Status.FAIL
    assert "subclassed by `CustomTracer` (src/obs/custom.py:4), which is not used either" \
        in error(res)[2]
    files["src/app.py"] = "from obs.custom import CustomTracer\n\nCustomTracer()\n"
    res = check(files, symbols=["AuditTracer"])
    assert res.status is Status.PASS and evidence(res) == [("src/app.py", 3)]
