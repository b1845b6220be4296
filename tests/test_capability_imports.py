"""Symbols required "in module M" found where M imports them from, and import patterns.

class-contract through the project view (imports, re-exports, relative and try/except fallback
imports, class globs, ``through_yield``); require-reference ``functions``, ``groups`` and
``m.*``; forbid-import / require-reference / require-call import patterns.
"""

from __future__ import annotations


from checkkit import Severity, Status, lines, messages, run
from projectkit import run_in_project

STATES = """\
from enum import Enum


class CircuitState(Enum):
    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half_open"
"""

SHARED = {
    "src/__init__.py": "",
    "src/shared/__init__.py": "from .states import CircuitState\n",
    "src/shared/states.py": STATES,
}


def cc(files, scope, **params):
    return run_in_project("class-contract", params, files, scope=scope)


def test_class_imported_from_shared_module_checked_at_its_definition():
    files = {**SHARED, "src/mlops/__init__.py": "",
             "src/mlops/breaker.py": "from src.shared.states import CircuitState\n"}
    res = cc(files, "src/mlops/breaker.py", **{"class": "CircuitState",
                                                 "enum_members": ["CLOSED", "OPEN", "HALF_OPEN"]})
    assert res.status is Status.PASS, (res.note, messages(res))
    assert ("src/shared/states.py", 4) in [(e.path, e.span.line) for e in res.evidence]


def test_class_through_package_reexport_and_relative_import():
    files = {**SHARED, "src/mlops/__init__.py": "",
             "src/mlops/breaker.py": "from ..shared import CircuitState\n"}
    res = cc(files, "src/mlops/breaker.py", **{"class": "CircuitState",
                                                 "enum_members": ["CLOSED"]})
    assert res.status is Status.PASS, (res.note, messages(res))
    assert any(e.path == "src/shared/states.py" for e in res.evidence)


def test_class_through_try_except_importerror_fallback():
    files = {**SHARED, "src/mlops/__init__.py": "",
             "src/mlops/breaker.py": "try:\n    from src.shared.states import CircuitState\n"
                                     "except ImportError:\n    CircuitState = None\n"}
    res = cc(files, "src/mlops/breaker.py", **{"class": "CircuitState",
                                                 "enum_members": ["OPEN"]})
    assert res.status is Status.PASS, (res.note, messages(res))


def test_imported_class_missing_member_fails_at_definition():
    files = {**SHARED, "src/mlops/__init__.py": "",
             "src/mlops/breaker.py": "from src.shared.states import CircuitState\n"}
    res = cc(files, "src/mlops/breaker.py", **{"class": "CircuitState",
                                                 "enum_members": ["CLOSED", "TRIPPED"]})
    assert res.status is Status.FAIL
    assert lines(res, Severity.ERROR) == [("src/shared/states.py", 4)]
    assert "TRIPPED" in messages(res, Severity.ERROR)[0]


def test_class_neither_defined_nor_imported_names_the_scope():
    files = {**SHARED, "src/mlops/__init__.py": "", "src/mlops/breaker.py": "X = 1\n"}
    res = run_in_project("class-contract", {"class": "CircuitState", "enum_members": ["OPEN"]},
                         files, scope="src/mlops/breaker.py", hint="src/mlops/breaker.py")
    assert res.status is Status.FAIL
    assert messages(res) == ["msg: class `CircuitState` is not defined or imported in "
                             "src/mlops/breaker.py"]


def test_class_imported_from_outside_the_project_is_unknown():
    files = {"src/__init__.py": "", "src/m.py": "from somesdk.states import CircuitState\n"}
    res = cc(files, "src/m.py", **{"class": "CircuitState", "enum_members": ["OPEN"]})
    assert res.status is Status.UNKNOWN, (res.note, messages(res))
    assert "somesdk" in (res.note + " ".join(messages(res)))


def test_class_glob_matches_imported_class():
    files = {"pkg/__init__.py": "", "pkg/decisions.py": """\
        from enum import Enum


        class ImprovementDecision(str, Enum):
            ACCEPT = "accept"
            RETRY = "retry"
        """, "pkg/rubric.py": "from pkg.decisions import ImprovementDecision\n"}
    res = cc(files, "pkg/rubric.py", **{"class": "*Decision", "enum_members": ["ACCEPT"]})
    assert res.status is Status.PASS, (res.note, messages(res))
    assert [(e.path, e.span.line) for e in res.evidence][0] == ("pkg/decisions.py", 4)


def test_through_yield_finds_methods_on_yielded_class():
    files = {"obs/__init__.py": "", "obs/ctx.py": """\
        class TraceContext:
            def trace_phase(self, name):
                pass
        """, "obs/tracer.py": """\
        from contextlib import asynccontextmanager
        from typing import AsyncIterator

        from obs.ctx import TraceContext


        class Tracer:
            @asynccontextmanager
            async def trace(self) -> AsyncIterator[TraceContext]:
                yield TraceContext()
        """}
    params = {"class": "Tracer", "methods": ["trace_phase"]}
    res = cc(files, "obs/tracer.py", **params)
    assert res.status is Status.FAIL
    assert "missing method(s): `trace_phase`" in messages(res)[0]
    res = cc(files, "obs/tracer.py", **params, through_yield=True)
    assert res.status is Status.PASS, (res.note, messages(res))
    assert ("obs/ctx.py", 2) in [(e.path, e.span.line) for e in res.evidence]


def test_base_class_in_another_module_provides_methods():
    files = {"c/__init__.py": "", "c/base.py": "class Base:\n    def log_params(self):\n"
                                               "        pass\n",
             "c/conn.py": "from c.base import Base\n\n\nclass Conn(Base):\n    pass\n"}
    res = cc(files, "c/conn.py", **{"class": "Conn", "methods": ["log_params"]})
    assert res.status is Status.PASS, (res.note, messages(res))
    assert ("c/base.py", 2) in [(e.path, e.span.line) for e in res.evidence]


def test_base_class_from_sdk_is_unknown_not_fail():
    files = {"c/__init__.py": "",
             "c/conn.py": "from sdk import Base\n\n\nclass Conn(Base):\n    pass\n"}
    res = cc(files, "c/conn.py", **{"class": "Conn", "methods": ["log_params"]})
    assert res.status is Status.UNKNOWN
    assert messages(res, Severity.INFO) == [
        "msg: class `Conn` is missing method(s): `log_params`; it may be inherited from "
        "`sdk.Base` (not in scope)"]
    assert lines(res) == [("c/conn.py", 4)]


# -- require-reference: functions, groups, m.* ------------------------------------------------

BREAKER = """\
import anthropic.types as t


class OpikConnector:
    def log(self, row):
        if self.breaker.allow_request():
            self.client.table("x").insert(row)

    def other(self):
        self.client.upsert({})


def helper():
    breaker.allow_request()
"""


def rr(src, **params):
    return run("require-reference", params, {"m.py": src})


def test_groups_each_met_by_one_reference():
    res = rr(BREAKER, functions=["OpikConnector.*"],
             groups=[{"calls": ["*.allow_request"]}, {"calls": ["*.insert*", "*.upsert*"]}])
    assert res.status is Status.PASS, messages(res)


def test_group_missing_is_named():
    res = rr(BREAKER, functions=["OpikConnector.*"],
             groups=[{"calls": ["*.allow_request"]}, {"calls": ["*.delete*", "*.purge"]}])
    assert res.status is Status.FAIL
    assert messages(res) == ["msg: missing: one of: call `*.delete*` or call `*.purge` (in m.py)"]


def test_functions_limit_where_calls_count():
    res = rr(BREAKER, functions=["OpikConnector.other"], calls=["*.allow_request"])
    assert res.status is Status.FAIL
    assert "call `*.allow_request`" in messages(res)[0]
    assert rr(BREAKER, functions=["helper"], calls=["*.allow_request"]).status is Status.PASS


def test_module_star_pattern_matches_module_and_members():
    for src in ("import anthropic\n", "from anthropic import Anthropic\n",
                "import anthropic.types as t\n", "from anthropic.types import Message\n"):
        for pat in ("anthropic", "anthropic.*"):
            res = rr(src, imports=[pat])
            assert res.status is Status.PASS, (src, pat, messages(res))
            assert lines(res) == []


def test_module_star_pattern_does_not_match_lookalike():
    for pat in ("anthropic", "anthropic.*"):
        res = rr("import anthropic_tools\nfrom anthropicx import A\n", imports=[pat])
        assert res.status is Status.FAIL, pat
        assert f"import `{pat}`" in messages(res)[0]


def test_import_module_literal_counts_as_import():
    res = rr("import importlib\nmod = importlib.import_module('ragas.metrics')\n",
             imports=["ragas.*"])
    assert res.status is Status.PASS, messages(res)


def test_find_spec_literal_call_pattern():
    src = "import importlib.util\nok = importlib.util.find_spec('ragas') is not None\n"
    assert rr(src, calls=['importlib.util.find_spec("ragas")']).status is Status.PASS
    res = rr(src, calls=['importlib.util.find_spec("deepeval")'])
    assert res.status is Status.FAIL
    assert 'importlib.util.find_spec("deepeval")' in messages(res)[0]
    res = run("require-call", {"calls": ['importlib.util.find_spec("ragas")']}, {"m.py": src})
    assert res.status is Status.PASS
    assert [(e.path, e.span.line) for e in res.evidence] == [("m.py", 2)]


# -- forbid-import --------------------------------------------------------------------------

def fi(src, **params):
    return run("forbid-import", {"modules": ["anthropic"], **params}, {"m.py": src})


def test_forbid_import_matches_module_members_and_submodules():
    src = ("import anthropic\nfrom anthropic import Anthropic\nimport anthropic.types as t\n"
           "import anthropic_tools\nfrom . import anthropic as local\n"
           "import importlib\nimportlib.import_module('anthropic.types')\n")
    res = fi(src)
    assert res.status is Status.FAIL
    assert lines(res) == [("m.py", 1), ("m.py", 2), ("m.py", 3), ("m.py", 7)]


def test_forbid_import_star_pattern_means_module_too():
    res = run("forbid-import", {"modules": ["anthropic.*"]},
              {"m.py": "import anthropic\nfrom anthropic import Anthropic\n"})
    assert res.status is Status.FAIL, res.note
    assert lines(res) == [("m.py", 1), ("m.py", 2)]


def test_forbid_import_dynamic_off_and_type_checking():
    src = ("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import anthropic\n"
           "import importlib\nimportlib.import_module('anthropic')\n")
    assert lines(fi(src)) == [("m.py", 5)]
    assert fi(src, dynamic=False).status is Status.PASS
    assert lines(fi(src, include_type_checking=True)) == [("m.py", 3), ("m.py", 5)]


# -- constant-value / collection: values resolve within a file; an import is never a guess ----

CFG = {"cfg/__init__.py": "", "cfg/defaults.py": "DEFAULT = 0.8\n",
       "cfg/ragas.py": "from cfg.defaults import DEFAULT\nLOCAL = 0.8\nX = LOCAL\nY = DEFAULT\n"}


def test_constant_bound_to_a_literal_in_the_same_file_resolves():
    res = run("constant-value", {"names": ["X"], "equals": 0.8}, CFG)
    assert res.status is Status.PASS
    assert [(e.path, e.span.line) for e in res.evidence] == [("cfg/ragas.py", 3)]
    res = run("constant-value", {"names": ["X"], "equals": 0.9}, CFG)
    assert res.status is Status.FAIL
    assert lines(res) == [("cfg/ragas.py", 3)]


def test_constant_bound_to_an_imported_name_is_unknown_not_a_guess():
    res = run("constant-value", {"names": ["Y"], "equals": 0.9}, CFG)
    assert res.status is Status.UNKNOWN
    assert messages(res) == ["msg: `Y` value not statically known (`DEFAULT`); expected == 0.9"]
    assert lines(res) == [("cfg/ragas.py", 4)]


def test_collection_bound_to_an_imported_name_is_unknown_not_a_guess():
    files = {"d/__init__.py": "", "d/base.py": 'BASE = [{"brand": "a"}, {"brand": "b"}]\n',
             "d/ds.py": "from d.base import BASE\nDATASET = BASE\nLOCAL = [1, 2, 3]\n"
                        "ALIAS = LOCAL\n\n\ndef get_ds():\n    return BASE\n"}
    for name, what in (("DATASET", "value"), ("get_ds", "return value")):
        res = run("collection", {"name": name, "min": 2}, files)
        assert res.status is Status.UNKNOWN
        assert messages(res) == [f"msg: `{name}` ({what}) is not statically known: `BASE` is "
                                 "not a literal collection"]
    res = run("collection", {"name": "LOCAL", "min": 4}, files)
    assert res.status is Status.FAIL


# -- functions and accessors imported into the scope ------------------------------------------

OPIK = {
    "obs/__init__.py": "from .opik import OpikConnector, get_opik_connector, flush\n",
    "obs/opik.py": """\
        class OpikConnector:
            _instance = None

            def __new__(cls):
                if cls._instance is None:
                    cls._instance = super().__new__(cls)
                return cls._instance


        def get_opik_connector():
            return OpikConnector()


        def flush():
            pass
        """,
    "agents/__init__.py": "",
    "agents/x.py": "from obs import OpikConnector, get_opik_connector, flush\n"
                   "from sdk import remote_flush\n",
}


def test_accessor_imported_into_scope_is_checked_at_its_definition():
    res = cc(OPIK, "agents/x.py", **{"class": "OpikConnector", "accessor": "get_opik_connector"})
    assert res.status is Status.PASS, (res.note, messages(res))
    assert ("obs/opik.py", 10) in [(e.path, e.span.line) for e in res.evidence]


def test_functions_imported_into_scope_count():
    res = cc(OPIK, "agents/x.py", module_functions=["flush"])
    assert res.status is Status.PASS, (res.note, messages(res))
    assert [(e.path, e.span.line) for e in res.evidence] == [("obs/opik.py", 14)]


def test_function_imported_from_outside_the_project_is_unknown():
    res = cc(OPIK, "agents/x.py", module_functions=["remote_flush"])
    assert res.status is Status.UNKNOWN
    assert messages(res) == ["msg: module-level function `remote_flush` could not be followed: "
                             "agents/x.py imports `remote_flush` from outside the project "
                             "(`sdk.remote_flush`)"]


def test_function_neither_defined_nor_imported_fails():
    res = cc(OPIK, "agents/x.py", module_functions=["nowhere"])
    assert res.status is Status.FAIL
    assert messages(res) == ["msg: module-level function(s) not defined in agents/x.py: "
                             "`nowhere`"]


def test_import_module_through_an_alias_counts():
    src = "from importlib import import_module as im\n\n\ndef load():\n    return im('ragas')\n"
    assert rr(src, imports=["ragas"]).status is Status.PASS
    res = run("forbid-import", {"modules": ["ragas"]}, {"m.py": src})
    assert res.status is Status.FAIL
    assert lines(res) == [("m.py", 5)]


def test_class_imported_under_an_alias_is_found():
    files = {**SHARED, "src/mlops/__init__.py": "",
             "src/mlops/breaker.py": "from src.shared.states import CircuitState as CS\n"}
    res = cc(files, "src/mlops/breaker.py", **{"class": "CircuitState",
                                                 "enum_members": ["OPEN"]})
    assert res.status is Status.PASS, (res.note, messages(res))
    assert res.evidence[0].path == "src/shared/states.py"


def test_accessor_imported_under_an_alias_is_found():
    files = {**OPIK, "agents/x.py": "from obs import OpikConnector\n"
                                    "from obs import get_opik_connector as goc\n"}
    res = cc(files, "agents/x.py", **{"class": "OpikConnector", "accessor": "get_opik_connector"})
    assert res.status is Status.PASS, (res.note, messages(res))


def test_class_glob_first_candidate_meeting_the_contract_decides():
    files = {"pkg/__init__.py": "", "pkg/a.py": """\
        from enum import Enum


        class RubricDecision(Enum):
            ACCEPT = 1
            HOLD = 3
        """, "pkg/b.py": """\
        from enum import Enum


        class RoutingDecision(Enum):
            ACCEPT = 1
            RETRY = 2
        """, "pkg/use.py": "from pkg.a import RubricDecision\nfrom pkg.b import RoutingDecision\n"}
    res = cc(files, "pkg/use.py", **{"class": "*Decision", "enum_members": ["ACCEPT", "RETRY"]})
    assert res.status is Status.PASS, (res.note, messages(res))
    assert res.evidence[0].path == "pkg/b.py"
    # the first candidate (RoutingDecision) lacks HOLD; the next one meets the contract
    res = cc(files, "pkg/use.py", **{"class": "*Decision", "enum_members": ["ACCEPT", "HOLD"]})
    assert res.status is Status.PASS, (res.note, messages(res))
    assert res.evidence[0].path == "pkg/a.py"
    res = cc(files, "pkg/use.py", **{"class": "*Decision", "enum_members": ["ESCALATE"]})
    assert res.status is Status.FAIL
    # none meets it: the first candidate (imported names in sorted order) is reported
    assert lines(res) == [("pkg/b.py", 4)]
    assert "enum `RoutingDecision` is missing member(s): `ESCALATE`" in messages(res)[0]


def test_groups_per_file_name_each_file_missing_a_group():
    files = {"a.py": "def f(c):\n    c.allow_request()\n    c.insert(1)\n",
             "b.py": "def f(c):\n    c.allow_request()\n"}
    res = run("require-reference", {"per": "file", "groups": [
        {"calls": ["*.allow_request"]}, {"calls": ["*.insert*", "*.upsert*"]}]}, files)
    assert res.status is Status.FAIL
    assert lines(res) == [("b.py", 1)]
    assert messages(res) == ["msg: missing: one of: call `*.insert*` or call `*.upsert*` "
                             "(in b.py)"]


def test_functions_do_not_limit_imports():
    src = "def helper():\n    from opik import track\n\n\nclass C:\n    def m(self):\n" \
          "        track()\n"
    res = rr(src, functions=["C.*"], imports=["opik.*"], calls=["track"])
    assert res.status is Status.PASS, messages(res)
    res = rr(src, functions=["helper"], imports=["opik.*"], calls=["track"])
    assert res.status is Status.FAIL
    assert messages(res) == ["msg: missing: call `track` (in m.py)"]
