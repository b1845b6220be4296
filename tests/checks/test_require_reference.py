"""require-reference: imports, calls, decorators, async with, names; all/any; set/file."""

from __future__ import annotations

import pytest

from checkkit import Severity, Status, lines, messages, pack_error, run

KIND = "require-reference"


@pytest.mark.parametrize("source", [
    "from src.mlops.opik_connector import OpikConnector\n",
    "from src.mlops.opik_connector import OpikConnector as OC\n",
    "from src.mlops.opik_connector import (\n    get_x,\n    OpikConnector,\n)\n",
    "import src.mlops.opik_connector.OpikConnector\n",
    "def f():\n    from src.mlops.opik_connector import OpikConnector\n",
    "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n"
    "    from src.mlops.opik_connector import OpikConnector\n",
])
@pytest.mark.parametrize("entry", ["OpikConnector", "src.mlops.opik_connector.OpikConnector",
                                   "*.opik_connector.OpikConnector"])
def test_import_forms(source, entry):
    res = run(KIND, {"imports": [entry]}, {"src/agents/a/node.py": source})
    assert res.status is Status.PASS, messages(res)
    assert res.evidence and res.evidence[0].path == "src/agents/a/node.py"


def test_relative_import_resolves_against_the_file_path():
    files = {"src/agents/explainer/nodes/deep.py":
             "from ....mlops.opik_connector import OpikConnector\n"}
    ok = run(KIND, {"imports": ["src.mlops.opik_connector.OpikConnector"]}, files)
    assert ok.status is Status.PASS
    other = run(KIND, {"imports": ["other.mlops.opik_connector.OpikConnector"]}, files)
    assert other.status is Status.FAIL


@pytest.mark.parametrize("source", [
    "# from m import OpikConnector\n",
    '"""from m import OpikConnector"""\n',
    "from m import OpikConnectorFactory\n",
    "from m import Opik as OpikConnector\n",  # the asname is not what is imported
    "x = 'import OpikConnector'\n",
])
def test_import_lookalikes_do_not_count(source):
    res = run(KIND, {"imports": ["OpikConnector"]}, {"pkg/__init__.py": source}, hint="pkg")
    assert res.status is Status.FAIL
    assert lines(res) == [("pkg/__init__.py", 1)]
    assert "missing: import `OpikConnector` (in pkg)" in messages(res)[0]


def test_star_import_is_unknown_only_when_the_name_is_used():
    used = run(KIND, {"imports": ["src.mlops.opik_connector.get_opik_connector"]},
               {"a.py": "from src.mlops.opik_connector import *\n\nget_opik_connector()\n"})
    assert used.status is Status.UNKNOWN
    assert [f.severity for f in used.findings] == [Severity.INFO]
    assert lines(used) == [("a.py", 1)]
    unused = run(KIND, {"imports": ["get_opik_connector"]},
                 {"a.py": "from src.mlops.opik_connector import *\n"})
    assert unused.status is Status.FAIL
    other_module = run(KIND, {"imports": ["src.mlops.opik_connector.get_opik_connector"]},
                       {"a.py": "from src.other import *\n\nget_opik_connector()\n"})
    assert other_module.status is Status.FAIL


def test_dynamic_import_counts():
    res = run(KIND, {"imports": ["ragas"]},
              {"a.py": "import importlib\nm = importlib.import_module('ragas')\n"})
    assert res.status is Status.PASS


def test_calls_async_with_and_decorators():
    files = {"g.py": """\
        from obs import traced_node, instrument

        async def node(opik, fn):
            async with opik.trace_agent("x"):
                pass
            await opik.trace_llm_call()
            graph.add_node("n", traced_node("n")(fn))

        @instrument
        def other():
            pass
    """}
    res = run(KIND, {"calls": ["*.trace_llm_call"], "async_with": ["*.trace_agent"],
                     "decorators": ["traced_node", "instrument", "obs.instrument"]}, files)
    assert res.status is Status.PASS, messages(res)
    bad = run(KIND, {"async_with": ["*.trace_llm_call"], "decorators": ["add_node"]}, files)
    assert bad.status is Status.FAIL
    assert "missing: decorator `add_node`, async with `*.trace_llm_call`" in messages(bad)[0]


def test_plain_call_of_a_decorator_is_not_an_application():
    res = run(KIND, {"decorators": ["traced_node"]},
              {"g.py": "from obs import traced_node\nwrapper = traced_node('x')\n"})
    assert res.status is Status.FAIL


@pytest.mark.parametrize("source, ok", [
    ("def f(c: OpikConnector) -> None:\n    pass\n", True),
    ("def f() -> 'OpikConnector':\n    pass\n", False),  # a string annotation
    ("x = m.OpikConnector()\n", True),
    ("try:\n    pass\nexcept OpikConnector:\n    pass\n", True),
    ("class OpikConnector:\n    pass\n", False),  # a definition, not a use
    ("def f(OpikConnector):\n    pass\n", False),  # a parameter
    ("f(OpikConnector=1)\n", False),  # a keyword name
    ("from m import OpikConnector\n", False),  # an import, not a use
    ("print(f'{OpikConnector}')\n", True),  # code inside an f-string
    ("# OpikConnector\n", False),
])
def test_names_are_code_uses_only(source, ok):
    res = run(KIND, {"names": ["OpikConnector"]}, {"a.py": source})
    assert (res.status is Status.PASS) is ok, (source, messages(res))


def test_mode_any_and_all():
    files = {"a.py": "from m import MLflowConnector\n"}
    anyres = run(KIND, {"imports": ["OpikConnector", "MLflowConnector"], "mode": "any"}, files)
    assert anyres.status is Status.PASS
    allres = run(KIND, {"imports": ["OpikConnector", "MLflowConnector"]}, files)
    assert allres.status is Status.FAIL
    assert "missing: import `OpikConnector`" in messages(allres)[0]
    assert "MLflowConnector" not in messages(allres)[0].split("missing:")[1]
    none = run(KIND, {"imports": ["OpikConnector"], "calls": ["log"], "mode": "any"}, files)
    assert "none of the references is present; missing: import `OpikConnector`, call `log`" \
        in messages(none)[0]


def test_per_file_reports_each_file_and_per_set_combines():
    files = {"pkg/a.py": "from m import X\n", "pkg/b.py": "Y = 1\n"}
    per_file = run(KIND, {"imports": ["X"], "per": "file"}, files)
    assert per_file.status is Status.FAIL
    assert lines(per_file) == [("pkg/b.py", 1)]
    per_set = run(KIND, {"imports": ["X"]}, files)
    assert per_set.status is Status.PASS


def test_parse_error_makes_missing_unknown_and_empty_scope_fails():
    res = run(KIND, {"imports": ["X"]}, {"a.py": "import (\n", "b.py": "y = 1\n"})
    assert res.status is Status.UNKNOWN
    assert "a.py could not be analysed" in res.note
    empty = run(KIND, {"imports": ["X"]}, {}, hint="src/agents/x")
    assert empty.status is Status.FAIL
    assert "expected import `X`" in messages(empty)[0]


@pytest.mark.parametrize("params, error", [
    ({}, "give at least one of"),
    ({"names": ["a.b"]}, "is not an identifier"),
    ({"imports": ["a..b"]}, "is not a dotted name"),
    ({"imports": ["X"], "mode": "some"}, "must be one of all, any"),
    ({"imports": ["X"], "per": "module"}, "must be one of set, file"),
])
def test_invalid_parameters(params, error):
    assert error in pack_error(KIND, params)


def test_patterns_are_the_last_names():
    from checkkit import rule_of
    from obs_lint.checks.require_reference import RequireReference

    rule = rule_of(KIND, {"imports": ["src.mlops.OpikConnector"], "calls": ["*.trace_*"],
                          "names": ["Foo"]})
    assert RequireReference(rule).patterns() == ("Foo", "OpikConnector", "trace_")
    glob_only = rule_of(KIND, {"calls": ["mlflow.*"]})
    assert RequireReference(glob_only).patterns() is None


def test_documented_example_is_a_valid_rule():
    from checkkit import example_rule

    rule = example_rule("require-reference")
    assert rule.check_kind == "require-reference" and rule.params
