"""call-contract: calls to what the project defines must be able to run.

Snippets in, CheckResult out, through the project view the pipeline builds
(``checkkit.run_project``); ``tests/test_call_contract_oracle.py`` checks the verdicts against
CPython on thousands of generated calls, the fixture tree ``fixtures/checks/call-contract/``
runs the whole pipeline.
"""

from __future__ import annotations

import pytest
import yaml

from checkkit import Severity, Status, pack_error, rule_of, run_project
from obs_lint.checks import REGISTRY
from obs_lint.checks.call_contract import CallContract
from obs_lint.types import Span

KIND = "call-contract"


def check(files: dict[str, str], **params):
    return run_project(KIND, params, files)


def errors(res) -> list[tuple[str, int, str]]:
    return [(f.location.path, f.location.span.line, f.message) for f in res.findings
            if f.severity is not Severity.INFO]


def error(res) -> tuple[str, int, str]:
    (one,) = errors(res)
    return one


def evidence(res) -> list[tuple[str, int]]:
    return [(e.path, e.span.line) for e in res.evidence]


def related(res) -> list[tuple[str, int, str]]:
    return [(r.location.path, r.location.span.line, r.message) for f in res.findings
            for r in f.related]


def assert_unknown(res, *fragments: str) -> None:
    assert res.status is Status.UNKNOWN, (res.status, res.note, errors(res))
    assert not errors(res), "undecided: never a finding of the rule's severity"
    assert "could not decide" in res.note
    for frag in fragments:
        assert frag in res.note, res.note
    infos = [f.message for f in res.findings if f.severity is Severity.INFO]
    assert infos and all(m.startswith("msg: could not decide: ") for m in infos)


# --------------------------------------------------------------------------------------------
# the kind and its parameters
# --------------------------------------------------------------------------------------------


def test_registered_as_a_cross_file_python_kind():
    assert REGISTRY[KIND] is CallContract
    assert CallContract.uses_project
    check_ = yaml.safe_load(CallContract.example)["check"]
    assert check_.pop("kind") == KIND
    rule = rule_of(KIND, check_)  # the documented example is a valid rule
    assert rule.params["callees"] == ["CombinedEvaluationResult"] and rule.params["min"] == 1


@pytest.mark.parametrize("params, error_text", [
    ({"signatures": {"not a name": "(a)"}}, "is not a dotted name"),
    ({"signatures": {"mlflow.log": "a, b"}}, "is not a parameter list"),
    ({"signatures": {"mlflow.log": "(a, a)"}}, "is not a parameter list"),
    ({"checks": ["exists", "speed"]}, "speed"),
    ({"min": -1}, "min: must not be negative"),
    ({"callees": "f"}, "callees"),
])
def test_invalid_parameters_are_pack_errors(params, error_text):
    assert error_text in pack_error(KIND, params)


def test_prefilter_patterns_are_the_longest_literal_run_of_each_callee():
    kind = CallContract.__new__(CallContract)
    kind.p = {"callees": ["mod.CombinedEvaluationResult", "Repo.insert_*"]}
    assert kind.patterns() == ("CombinedEvaluationResult", "insert_")
    kind.p = {"callees": ["*"]}
    assert kind.patterns() is None
    kind.p = {}
    assert kind.patterns() is None


# --------------------------------------------------------------------------------------------
# calls that bind: PASS, with the call as evidence
# --------------------------------------------------------------------------------------------

DEFS = """\
def log_scores(run_id, scores, *, step=0):
    return None
"""


@pytest.mark.parametrize("call", [
    "log_scores('r', {})", "log_scores('r', scores={}, step=2)", "log_scores(run_id='r', scores={})",
])
def test_a_call_that_binds_passes_with_the_call_as_evidence(call):
    res = check({"metrics.py": DEFS, "app.py": f"from metrics import log_scores\n\n{call}\n"})
    assert res.status is Status.PASS, errors(res)
    assert evidence(res) == [("app.py", 3)]
    assert res.note == "1 call(s) checked"


@pytest.mark.parametrize("imports, call", [
    ("from metrics import log_scores as log", "log('r', {})"),
    ("import metrics", "metrics.log_scores('r', {})"),
    ("import metrics as m", "m.log_scores('r', {})"),
    ("try:\n    from metrics import log_scores\nexcept ImportError:\n    log_scores = None",
     "log_scores('r', {})"),
])
def test_imports_are_followed_through_aliases_modules_and_fallbacks(imports, call):
    files = {"metrics.py": DEFS, "app.py": f"{imports}\n\n\ndef go():\n    {call}\n"}
    ok = check(files, callees=["log_scores"])
    assert ok.status is Status.PASS and len(evidence(ok)) == 1, (ok.note, errors(ok))
    files["app.py"] = files["app.py"].replace("{})", "{}, 3)")
    res = check(files, callees=["log_scores"])
    assert res.status is Status.FAIL
    assert "`log_scores` takes 2 positional arguments, 3 given (defined at metrics.py:1)" \
        in error(res)[2]


# --------------------------------------------------------------------------------------------
# the real-target shapes
# --------------------------------------------------------------------------------------------

EVAL_RESULT = """\
from dataclasses import dataclass, field
from typing import Any, Optional


@dataclass
class EvaluationOutcome:
    sample_id: str
    question: str
    timestamp: str
    scores: dict = field(default_factory=dict)
    notes: Optional[str] = None
    cached: bool = field(default=False, init=False)
"""


def test_a_dataclass_built_with_keywords_it_lacks_and_without_a_required_field():
    files = {
        "evals/__init__.py": "",
        "evals/results.py": EVAL_RESULT,
        "evals/runner.py": """\
            from .results import EvaluationOutcome


            def combine(sample, query, ragas, rubric):
                return EvaluationOutcome(
                    sample_id=sample,
                    query=query,
                    ragas_scores=ragas,
                    question=query,
                )
            """,
    }
    res = check(files, callees=["EvaluationOutcome"])
    assert res.status is Status.FAIL
    path, line, msg = error(res)
    assert (path, line) == ("evals/runner.py", 5)
    assert msg.startswith("msg: `EvaluationOutcome(")
    assert "`EvaluationOutcome` (a dataclass) has no parameters `query`, `ragas_scores`" in msg
    assert "`EvaluationOutcome` (a dataclass) requires `timestamp`, not given" in msg
    assert msg.endswith("(defined at evals/results.py:6)")
    assert related(res) == [("evals/results.py", 6,
                             "the definition the call was checked against")]


def test_the_same_dataclass_built_right_passes_and_init_false_fields_are_not_parameters():
    files = {"results.py": EVAL_RESULT, "run.py": """\
        from results import EvaluationOutcome

        a = EvaluationOutcome("s", "q", "t")
        b = EvaluationOutcome(sample_id="s", question="q", timestamp="t", scores={}, notes=None)
        c = EvaluationOutcome("s", "q", "t", cached=True)
        """}
    res = check(files, callees=["EvaluationOutcome"])
    assert res.status is Status.FAIL
    assert [(p, ln) for p, ln, _ in errors(res)] == [("run.py", 5)]
    assert "has no parameter `cached`" in error(res)[2]
    assert evidence(res) == [("run.py", 3), ("run.py", 4)]


REPO = """\
class SpanRepository:
    def __init__(self, client=None):
        self.client = client

    async def insert_span(self, span, *, batch=False):
        return None

    async def get_spans(self, trace_id, limit=100):
        return []
"""


def test_a_repository_method_called_with_a_keyword_it_lacks():
    files = {
        "repos/__init__.py": "from .spans import SpanRepository\n",
        "repos/spans.py": REPO,
        "tracing/emitter.py": """\
            from repos import SpanRepository


            def get_repository() -> SpanRepository:
                return SpanRepository()


            async def emit(span):
                repo = get_repository()
                await repo.insert_span(span, table="ml_spans")
                await repo.get_spans(span.trace_id, limit=5)
            """,
    }
    res = check(files)
    assert res.status is Status.FAIL
    assert error(res) == (
        "tracing/emitter.py", 10,
        "msg: `repo.insert_span(span, table=\"ml_spans\")`: `SpanRepository.insert_span` has "
        "no parameter `table` (defined at repos/spans.py:5)")
    assert ("tracing/emitter.py", 11) in evidence(res)


CONNECTOR = """\
class Connector:
    def start_run(self, name, *, tags=None):
        return None

    def log_metric(self, key, value, step=None):
        return None
"""


def test_a_method_on_self_connector_typed_by_its_construction_in_init():
    files = {
        "mlops/connector.py": CONNECTOR,
        "mlops/tracker.py": """\
            from mlops.connector import Connector


            class Tracker:
                def __init__(self):
                    self.connector = Connector()

                def begin(self):
                    self.connector.start_run("exp", tags={})
                    self.connector.log_metric("auc")
                    self.connector.log_param("k", 1)
            """,
    }
    res = check(files)
    assert res.status is Status.FAIL
    assert errors(res) == [
        ("mlops/tracker.py", 10, "msg: `self.connector.log_metric(\"auc\")`: "
                                 "`Connector.log_metric` requires `value`, not given (defined at "
                                 "mlops/connector.py:5)"),
        ("mlops/tracker.py", 11, "msg: `self.connector.log_param(\"k\", 1)`: `Connector` "
                                 "(mlops/connector.py) has no attribute `log_param` (defined at "
                                 "mlops/connector.py:1)"),
    ]
    assert evidence(res) == [("mlops/tracker.py", 6), ("mlops/tracker.py", 9)]


@pytest.mark.parametrize("layout", ["re-export", "chain", "relative", "relative-module"])
def test_calls_through_package_reexports_and_relative_imports(layout):
    files = {"pkg/__init__.py": "", "pkg/impl.py": CONNECTOR}
    if layout == "re-export":
        files["pkg/__init__.py"] = "from .impl import Connector\n"
        files["app.py"] = "from pkg import Connector\n\nConnector().log_metric('k')\n"
        where = ("app.py", 3)
    elif layout == "chain":
        files["pkg/__init__.py"] = "from .api import *\n"
        files["pkg/api.py"] = "from pkg.impl import Connector\n\n__all__ = ['Connector']\n"
        files["app.py"] = "from pkg import Connector\n\nConnector().log_metric('k')\n"
        where = ("app.py", 3)
    elif layout == "relative":
        files["pkg/sub/__init__.py"] = ""
        files["pkg/sub/use.py"] = "from ..impl import Connector\n\nConnector().log_metric('k')\n"
        where = ("pkg/sub/use.py", 3)
    else:
        files["pkg/use.py"] = "from . import impl\n\nimpl.Connector().log_metric('k')\n"
        where = ("pkg/use.py", 3)
    res = check(files)
    assert res.status is Status.FAIL
    path, line, msg = error(res)
    assert (path, line) == where
    assert "`Connector.log_metric` requires `value`, not given (defined at pkg/impl.py:5)" in msg


@pytest.mark.parametrize("receiver", [
    "def go(c: Connector):\n    return c.{call}",
    "def go(c: Optional[Connector] = None):\n    return c.{call}",
    "def go(c: 'Connector | None'):\n    return c.{call}",
    "def make() -> Connector:\n    return Connector()\n\n\ndef go():\n    return make().{call}",
    "def make():\n    return Connector()\n\n\ndef go():\n    c = make()\n    return c.{call}",
    "class Sub(Connector):\n    def go(self):\n        return self.{call}",
    "def go():\n    return Connector.{call2}",
])
def test_receivers_followed(receiver):
    head = "from typing import Optional\n\nfrom connector import Connector\n\n\n"
    good = head + receiver.format(call="log_metric('k', 1)", call2="log_metric(Connector(), 'k', 1)")
    bad = head + receiver.format(call="log_metric('k', 1, 2, 3)",
                                 call2="log_metric(Connector(), 'k', 1, 2, 3)")
    ok = check({"connector.py": CONNECTOR, "app.py": good}, callees=["Connector.log_metric"])
    assert ok.status is Status.PASS and len(evidence(ok)) == 1, (ok.note, errors(ok))
    res = check({"connector.py": CONNECTOR, "app.py": bad}, callees=["Connector.log_metric"])
    assert res.status is Status.FAIL, res.note
    assert "takes 3 positional arguments" in error(res)[2] or \
        "takes 4 positional arguments" in error(res)[2]


# --------------------------------------------------------------------------------------------
# each way a call fails to bind
# --------------------------------------------------------------------------------------------

@pytest.mark.parametrize("params, call, problem", [
    ("a, b", "f(1)", "`f` requires `b`, not given"),
    ("a, b=0", "f(1, 2, 3)", "`f` takes 2 positional arguments, 3 given"),
    ("a", "f(1, 2)", "`f` takes 1 positional argument, 2 given"),
    ("", "f(1)", "`f` takes 0 positional arguments, 1 given"),
    ("a, b=0", "f(1, a=2)", "`f` got multiple values for `a`"),
    ("a, *, b", "f(1, 2)", "`f` takes 1 positional argument, 2 given; `f` requires `b`, "
                           "not given"),
    ("a, *, b", "f(1)", "`f` requires `b`, not given"),
    ("a, /", "f(a=1)", "`f` takes `a` positionally only (given by keyword); `f` requires `a`, "
                       "not given"),
    ("a, b=0", "f(1, c=3, d=4)", "`f` has no parameters `c`, `d`"),
    ("*args", "f(args=1)", "`f` has no parameter `args`"),
])
def test_each_mismatch_is_a_finding_at_the_call(params, call, problem):
    res = check({"m.py": f"def f({params}):\n    return None\n",
                 "use.py": f"from m import f\n\n\ndef go():\n    {call}\n"})
    assert res.status is Status.FAIL
    assert error(res) == ("use.py", 5, f"msg: `{call}`: {problem} (defined at m.py:1)")
    assert related(res) == [("m.py", 1, "the definition the call was checked against")]
    assert res.findings[0].related[0].location.span == Span(1, 1, 1, 1)


@pytest.mark.parametrize("params, call", [
    ("a, /, **kw", "f(1, a=2)"),       # the keyword goes into **kw (regression)
    ("a, /, b=0", "f(1, b=2)"),
    ("*args, **kw", "f(1, 2, x=3)"),
    ("a, **kw", "f(a=1, zz=2)"),
    ("a=0, /, *, b=1", "f()"),
])
def test_calls_cpython_accepts(params, call):
    res = check({"m.py": f"def f({params}):\n    return None\n",
                 "use.py": f"from m import f\n\n{call}\n"})
    assert res.status is Status.PASS, errors(res)
    assert evidence(res) == [("use.py", 3)]


METHODS = """\
class Store:
    def put(self, key, value=None):
        return None

    @classmethod
    def open(cls, path, *, mode="r"):
        return cls()

    @staticmethod
    def key_of(name):
        return name

    def flags(*, verbose=False):
        return None
"""


@pytest.mark.parametrize("call, problem", [
    ("Store().put()", "`Store.put` requires `key`, not given"),
    ("Store().put('k', 1, 2)", "`Store.put` takes 2 positional arguments, 3 given"),
    ("Store.put('k')", "`Store.put` requires `key`, not given"),  # unbound: 'k' is self
    ("Store.open('p', 'w')", "`Store.open` takes 1 positional argument, 2 given"),
    ("Store().open()", "`Store.open` requires `path`, not given"),
    ("Store.key_of()", "`Store.key_of` requires `name`, not given"),
    ("Store().key_of('a', 'b')", "`Store.key_of` takes 1 positional argument, 2 given"),
    # no parameter for the instance: CPython passes it anyway (regression)
    ("Store().flags()", "`Store.flags` has no parameter for the instance or class it is bound "
                        "to (`self`/`cls`): 1 positional argument given with it, none taken"),
])
def test_bound_unbound_class_and_static_methods(call, problem):
    res = check({"store.py": METHODS, "use.py": f"from store import Store\n\n{call}\n"},
                callees=["Store.*"])
    assert res.status is Status.FAIL
    (path, line, msg), = [e for e in errors(res) if e[1] == 3]
    assert msg.startswith(f"msg: `{call}`: {problem} (defined at store.py:")


@pytest.mark.parametrize("call", [
    "Store().put('k')", "Store().put(key='k', value=1)", "Store.put(Store(), 'k')",
    "Store.open('p', mode='w')", "Store().open('p')", "Store.key_of('a')", "Store().key_of('a')",
    "Store.flags(verbose=True)",
])
def test_method_calls_that_bind(call):
    res = check({"store.py": METHODS, "use.py": f"from store import Store\n\n{call}\n"},
                callees=["Store.*"])
    assert res.status is Status.PASS, errors(res)
    assert ("use.py", 3) in evidence(res)


def test_methods_are_found_through_project_bases_and_named_by_the_class_they_are_called_on():
    files = {
        "base.py": "class BaseTracer:\n    def trace(self, name, *, tags=None):\n"
                   "        return None\n",
        "tracer.py": "from base import BaseTracer\n\n\nclass AgentTracer(BaseTracer):\n"
                     "    pass\n",
        "use.py": "from tracer import AgentTracer\n\nt = AgentTracer()\nt.trace()\n"
                  "t.trace('x', tags={})\nt.flush()\n",
    }
    res = check(files, callees=["AgentTracer.*"])  # regression: inherited methods were left out
    assert res.status is Status.FAIL
    assert errors(res) == [
        ("use.py", 4, "msg: `t.trace()`: `BaseTracer.trace` requires `name`, not given "
                      "(defined at base.py:2)"),
        ("use.py", 6, "msg: `t.flush()`: `AgentTracer` (tracer.py) has no attribute `flush` "
                      "(defined at tracer.py:4)"),
    ]
    assert evidence(res) == [("use.py", 5)]


def test_a_name_imported_from_a_project_module_must_be_defined_there():
    files = {"m.py": "def present():\n    return None\n",
             "use.py": "from m import present, absent\n\npresent()\n"}
    res = check(files)
    assert res.status is Status.FAIL
    assert error(res) == ("use.py", 1, "msg: `from m import present, absent`: module `m` "
                                       "(m.py) defines no `absent`")
    assert check(files, checks=["arguments"]).status is Status.PASS


def test_a_missing_module_attribute_is_a_finding():
    res = check({"m.py": "def present():\n    return None\n",
                 "use.py": "import m\n\nm.absent()\n"})
    assert error(res) == ("use.py", 3, "msg: `m.absent()`: `absent` is not defined or imported "
                                       "in m.py (defined at m.py:1)")


def test_aliases_and_cls_are_matched_by_the_name_they_stand_for():
    files = {"m.py": "class Config:\n    def __init__(self, path):\n        self.path = path\n\n"
                     "    @classmethod\n    def default(cls):\n        return cls()\n",
             "use.py": "from m import Config as Cfg\n\nAlias = Cfg\nCfg()\nAlias()\n"}
    res = check(files, callees=["Config"])  # regression: all three were left out
    assert [(p, ln) for p, ln, _ in errors(res)] == [("m.py", 7), ("use.py", 4), ("use.py", 5)]
    assert all("`Config.__init__` requires `path`, not given" in m for _, _, m in errors(res))


def test_a_name_from_a_star_import_of_a_project_module_is_resolved():
    files = {"m.py": "__all__ = ['f']\n\n\ndef f(a):\n    return None\n\n\ndef g(a):\n"
                     "    return None\n",
             "use.py": "from m import *\n\nf()\ng()\n"}
    res = check(files, callees=["f", "g"])  # regression: was undecided
    assert errors(res) == [("use.py", 3, "msg: `f()`: `f` requires `a`, not given (defined at "
                                         "m.py:4)")]
    assert res.status is Status.FAIL
    # ``g`` is not in ``__all__``: the star import does not bring it, the call is not followed
    assert "`g()` at use.py:4" in res.note


# --------------------------------------------------------------------------------------------
# constructors: __init__, dataclasses, attrs, NamedTuple, pydantic, __new__
# --------------------------------------------------------------------------------------------

@pytest.mark.parametrize("definition, call, problem", [
    ("class C:\n    pass\n", "C(1)",
     "`C` (no `__init__`: `object()` takes no arguments) takes 0 positional arguments, 1 given"),
    ("class B:\n    def __init__(self, a):\n        self.a = a\n\n\nclass C(B):\n    pass\n",
     "C()", "`B.__init__` requires `a`, not given"),
    ("from dataclasses import dataclass, field, KW_ONLY\n\n\n@dataclass\nclass C:\n"
     "    a: int\n    _: KW_ONLY\n    b: int = 0\n", "C(1, 2)",
     "`C` (a dataclass) takes 1 positional argument, 2 given"),
    ("from dataclasses import dataclass\n\n\n@dataclass(kw_only=True)\nclass C:\n    a: int\n",
     "C(1)", "`C` (a dataclass) takes 0 positional arguments, 1 given; `C` (a dataclass) "
             "requires `a`, not given"),
    ("from dataclasses import dataclass, InitVar\nfrom typing import ClassVar\n\n\n"
     "@dataclass\nclass C:\n    a: InitVar[int]\n    b: ClassVar[int] = 0\n", "C(b=1)",
     "`C` (a dataclass) has no parameter `b`; `C` (a dataclass) requires `a`, not given"),
    ("from typing import NamedTuple\n\n\nclass C(NamedTuple):\n    a: int\n    b: int = 0\n",
     "C(1, 2, 3)", "`C` (a NamedTuple) takes 2 positional arguments, 3 given"),
    ("import attr\n\n\n@attr.s(auto_attribs=True)\nclass C:\n    _secret: str\n", "C(_secret='x')",
     "`C` (an attrs class) has no parameter `_secret`; `C` (an attrs class) requires `secret`, "
     "not given"),
    ("from pydantic import BaseModel\nfrom typing import Optional\n\n\nclass C(BaseModel):\n"
     "    a: int\n    b: Optional[int]\n", "C(a=1)", "`C` (a pydantic model) requires `b`, "
                                                     "not given"),
    ("from pydantic import BaseModel\n\n\nclass C(BaseModel):\n    a: int\n", "C(1)",
     "`C` (a pydantic model) takes keyword arguments only (1 positional given)"),
])
def test_constructor_mismatches(definition, call, problem):
    res = check({"m.py": definition, "use.py": f"from m import C\n\n{call}\n"},
                callees=["C"])
    assert res.status is Status.FAIL, res.note
    path, line, msg = error(res)
    assert (path, line) == ("use.py", 3)
    assert msg.startswith(f"msg: `{call}`: {problem} (defined at m.py:"), msg


def test_pydantic_models_drop_unknown_keywords():
    res = check({"m.py": "from pydantic import BaseModel\n\n\nclass C(BaseModel):\n    a: int\n",
                 "use.py": "from m import C\n\nC(a=1, extra=2)\n"}, callees=["C"])
    assert res.status is Status.PASS


def test_dataclass_inheritance_base_fields_first_and_kw_only_per_class():
    files = {"m.py": """\
        from dataclasses import dataclass, field


        @dataclass
        class Base:
            run_id: str
            tags: dict = field(default_factory=dict)


        @dataclass(kw_only=True)
        class Child(Base):
            score: float
        """, "use.py": """\
        from m import Child

        Child("r", score=1.0)
        Child("r", {}, score=1.0)
        Child("r", {}, 1.0)
        """}
    res = check(files, callees=["Child"])
    # regression: ``kw_only=True`` of the child made the base's fields keyword-only too
    assert errors(res) == [("use.py", 5, "msg: `Child(\"r\", {}, 1.0)`: `Child` (a dataclass) "
                                         "takes 2 positional arguments, 3 given; `Child` (a "
                                         "dataclass) requires `score`, not given (defined at "
                                         "m.py:11)")]
    assert evidence(res) == [("use.py", 3), ("use.py", 4)]


def test_new_annotated_to_return_the_class_binds_the_arguments_to_new_and_init():
    files = {"m.py": """\
        class Connector:
            _instance = None

            def __new__(cls, config=None) -> "Connector":
                if cls._instance is None:
                    cls._instance = super().__new__(cls)
                return cls._instance

            def __init__(self, config=None):
                self.config = config
        """, "use.py": "from m import Connector\n\nConnector()\nConnector({})\nConnector(x=1)\n"}
    res = check(files, callees=["Connector"])
    assert errors(res) == [("use.py", 5, "msg: `Connector(x=1)`: `Connector.__init__` has no "
                                         "parameter `x`; `Connector.__new__` has no parameter "
                                         "`x` (defined at m.py:9)")]
    assert evidence(res) == [("use.py", 3), ("use.py", 4)]


def test_new_of_a_base_class_counts_for_the_subclass():
    files = {"m.py": """\
        class Base:
            def __new__(cls, *args, **kwargs) -> "Base":
                return object.__new__(cls)


        class Tracer(Base):
            def __init__(self, name):
                self.name = name
        """, "use.py": "from m import Tracer\n\nTracer()\n"}
    res = check(files, callees=["Tracer"])
    # ``Base.__new__`` may return a ``Base`` that is no ``Tracer``: ``__init__`` may not run
    assert_unknown(res, "`Base.__new__` (m.py:2) may return something else than an instance")


# --------------------------------------------------------------------------------------------
# coroutines, external signatures, scope parameters
# --------------------------------------------------------------------------------------------

def test_awaiting_a_sync_function_and_dropping_a_coroutine():
    files = {"m.py": """\
        async def fetch(key):
            return key


        def compute(key) -> dict:
            return {}


        def plain(key):
            return 1
        """, "use.py": """\
        from m import compute, fetch, plain


        async def go():
            await fetch("k")
            fetch("k")
            await compute("k")
            await plain("k")
            task = fetch("k")
            return task
        """}
    res = check(files)
    assert errors(res) == [
        ("use.py", 6, "msg: `fetch(\"k\")`: calls `async def fetch` without awaiting it: the "
                      "coroutine is dropped and its body never runs (defined at m.py:1)"),
        ("use.py", 7, "msg: `compute(\"k\")`: awaits `compute`, a synchronous function returning "
                      "`dict` (not awaitable: TypeError when the call runs) (defined at m.py:5)"),
        ("use.py", 8, "msg: `plain(\"k\")`: awaits `plain`, a synchronous function that returns "
                      "a plain value (not awaitable: TypeError when the call runs) (defined at "
                      "m.py:9)"),
    ]
    assert check(files, checks=["arguments", "exists"]).status is Status.PASS


def test_external_callables_are_checked_against_the_signatures_the_rule_gives():
    files = {"use.py": """\
        import mlflow
        from mlflow.tracking import MlflowClient


        def tag(exp):
            mlflow.set_experiment_tag("k", "v")
            mlflow.set_experiment_tag(key="k")
            client = MlflowClient()
            client.set_experiment_tag(exp, "k", "v")
            client.set_experiment_tag(exp, "k")
            mlflow.log_metric("x", 1, 2, 3, 4, 5)
        """}
    sigs = {"mlflow.set_experiment_tag": "(key, value)",
            "mlflow.tracking.MlflowClient.set_experiment_tag": "(self, experiment_id, key, value)"}
    res = check(files, signatures=sigs)
    assert errors(res) == [
        ("use.py", 7, "msg: `mlflow.set_experiment_tag(key=\"k\")`: `mlflow.set_experiment_tag` "
                      "requires `value`, not given"),
        ("use.py", 10, "msg: `client.set_experiment_tag(exp, \"k\")`: "
                       "`mlflow.tracking.MlflowClient.set_experiment_tag` requires `value`, not "
                       "given"),
    ]
    assert evidence(res) == [("use.py", 6), ("use.py", 9)]


def test_min_asks_for_checked_calls():
    files = {"m.py": DEFS, "use.py": "from m import log_scores\n"}
    res = run_project(KIND, {"callees": ["log_scores"], "min": 1}, files, hint="src/")
    assert res.status is Status.FAIL
    assert error(res)[2] == "msg: 0 call(s) to `log_scores` found in src/, at least 1 required"


def test_functions_and_follow_calls_choose_the_calls_judged():
    files = {"m.py": DEFS, "use.py": """\
        from m import log_scores


        def helper():
            log_scores()


        def entry():
            helper()


        def unrelated():
            log_scores("r")
        """}
    assert check(files, functions=["entry"]).status is Status.PASS
    res = check(files, functions=["entry"], follow_calls=True)
    assert [(p, ln) for p, ln, _ in errors(res)] == [("use.py", 5)]
    res = check(files, functions=["unrelated"])
    assert [(p, ln) for p, ln, _ in errors(res)] == [("use.py", 13)]


def test_via_receivers_of_checks_the_construction_of_the_receiver():
    files = {"repo.py": REPO, "use.py": """\
        from repo import SpanRepository


        def get_repository():
            return SpanRepository(client=1, timeout=3)


        async def emit(span):
            repo = get_repository()
            await repo.insert_span(span)
        """}
    res = check(files, via_receivers_of=["*.insert_span"])
    assert [(p, ln) for p, ln, _ in errors(res)] == [("use.py", 5)]
    assert "`SpanRepository.__init__` has no parameter `timeout`" in error(res)[2]
    assert ("use.py", 10) in evidence(res)


# --------------------------------------------------------------------------------------------
# undecidable: UNKNOWN with the reason, never FAIL
# --------------------------------------------------------------------------------------------

def test_an_unannotated_receiver_is_undecided_when_named_and_left_out_otherwise():
    files = {"m.py": CONNECTOR, "use.py": "def go(c):\n    c.log_metric()\n"}
    assert_unknown(check(files, callees=["Connector.log_metric"]),
                   "`c.log_metric()` at use.py:2: parameter `c` of `go` (use.py) has no type "
                   "annotation")
    res = check(files)
    assert res.status is Status.PASS and res.note == "0 call(s) checked"


@pytest.mark.parametrize("decorator", ["deco", "retry(3)", "tenacity.retry(stop=3)"])
def test_a_decorator_that_may_change_the_signature_is_undecided(decorator):
    files = {"m.py": f"import tenacity\n\n\ndef deco(fn):\n    return fn\n\n\n"
                     f"def retry(n):\n    return deco\n\n\ndef other():\n    return None\n\n\n"
                     f"@{decorator}\ndef f(a):\n    return None\n",
             "use.py": "from m import f\n\nf()\n"}
    head = decorator.split("(")[0]
    assert_unknown(check(files, callees=["f"]), f"`f` is decorated `@", "which may change its "
                                                                         "signature")
    assert head in check(files, callees=["f"]).note
    assert check(files).status is Status.PASS  # without callees: left out


@pytest.mark.parametrize("decorator", ["functools.lru_cache(maxsize=8)", "functools.cache",
                                       "contextlib.contextmanager", "staticmethod",
                                       "functools.wraps(print)"])
def test_decorators_known_to_keep_the_signature_are_looked_through(decorator):
    files = {"m.py": f"import contextlib\nimport functools\n\n\n@{decorator}\ndef f(a):\n"
                     f"    yield a\n", "use.py": "from m import f\n\nf()\n"}
    res = check(files, callees=["f"])
    assert res.status is Status.FAIL
    assert "`f` requires `a`, not given" in error(res)[2]


@pytest.mark.parametrize("call", ["f(*args)", "f(**kw)", "f(1, *args)", "f(*args, **kw)"])
def test_unpacking_at_the_call_is_undecided(call):
    files = {"m.py": "def f(a, b):\n    return None\n",
             "use.py": f"from m import f\n\n\ndef go(*args, **kw):\n    {call}\n"}
    assert_unknown(check(files, callees=["f"]), f"`{call}` at use.py:5: the call unpacks",
                   "whether what they hold binds to `f` is not known")
    res = check(files)  # without callees: left out, not counted as checked
    assert res.status is Status.PASS and res.note == "0 call(s) checked"


@pytest.mark.parametrize("call, problem", [
    ("f(1, 2, 3, *args)", "`f` takes 2 positional arguments, 3 given"),
    ("f(zz=1, **kw)", "`f` has no parameter `zz`"),
    ("f(1, a=2, *args)", "`f` got multiple values for `a`"),
])
def test_unpacking_does_not_excuse_what_fails_whatever_it_holds(call, problem):
    files = {"m.py": "def f(a, b):\n    return None\n",
             "use.py": f"from m import f\n\n\ndef go(*args, **kw):\n    {call}\n"}
    res = check(files, callees=["f"])
    assert res.status is Status.FAIL
    assert error(res)[2] == f"msg: `{call}`: {problem} (defined at m.py:1)"


def test_unpacking_into_a_callee_taking_anything_binds():
    files = {"m.py": "def f(*args, **kwargs):\n    return None\n",
             "use.py": "from m import f\n\n\ndef go(*args, **kw):\n    f(*args, **kw)\n"}
    res = check(files, callees=["f"])
    assert res.status is Status.PASS and evidence(res) == [("use.py", 5)]


@pytest.mark.parametrize("definition, reason", [
    ("import argparse\n\n\nclass C(argparse.Namespace):\n    pass\n",
     "`C` gets `__init__` from `argparse.Namespace`, outside the project"),
    ("class Meta(type):\n    pass\n\n\nclass C(metaclass=Meta):\n    def __init__(self, a):\n"
     "        self.a = a\n", "`C` has a metaclass"),
    ("class C:\n    def __new__(cls, *args):\n        return object.__new__(cls)\n\n"
     "    def __init__(self, a):\n        self.a = a\n",
     "`C.__new__` (m.py:2) may return something else than an instance of the class"),
    ("def register(cls):\n    return cls\n\n\n@register\nclass C:\n    def __init__(self, a):\n"
     "        self.a = a\n", "`C` is decorated `@register`, which may replace the class"),
    ("from lib import Base\n\n\nclass C(Base):\n    pass\n",
     "`C` gets `__init__` from `lib.Base`, outside the project"),
])
def test_constructors_that_cannot_be_followed_are_undecided(definition, reason):
    files = {"m.py": definition, "use.py": "from m import C\n\nC()\nC(1, 2, zz=3)\n"}
    assert_unknown(check(files, callees=["C"]), reason)


@pytest.mark.parametrize("definition, reason", [
    ("class C:\n    def __getattr__(self, name):\n        return None\n",
     "`C` has no attribute `emit`, but `C` defines `__getattr__`"),
    ("from lib import Base\n\n\nclass C(Base):\n    pass\n",
     "`C` has no attribute `emit` in the project; it may inherit one from `lib.Base`"),
])
def test_a_missing_attribute_that_may_exist_is_undecided(definition, reason):
    files = {"m.py": definition, "use.py": "from m import C\n\n\ndef go(c: C):\n    c.emit(1)\n"}
    assert_unknown(check(files, callees=["C.emit"]), reason)


def test_a_project_module_the_rule_may_not_read_is_undecided():
    from checkkit import facts_of, rule_of
    from obs_lint.checks.base import RuleContext
    from obs_lint.checks.resolve import ProjectIndex, ProjectView

    facts = facts_of({"m.py": DEFS, "use.py": "from m import log_scores\n\nlog_scores()\n"})
    view = ProjectView(ProjectIndex(facts, {"m.py", "use.py"}), frozenset({"use.py"}))
    rule = rule_of(KIND, {"callees": ["log_scores"]})
    res = CallContract(rule).evaluate(RuleContext(rule=rule, files=facts[1:], root=".",
                                                  project=view))
    assert_unknown(res, "m.py (module m) was not analysed for this rule")
    assert view.wanted == {"m.py"}  # the pipeline loads it and asks again


def test_a_call_on_the_result_of_a_call_is_judged_too():
    # regression: ``make().log_metric(...)`` and ``make()`` start at the same column, and only
    # the first of the two was judged
    files = {"m.py": CONNECTOR + "\n\ndef make():\n    return Connector()\n",
             "use.py": "from m import make\n\nmake().log_metric('k')\n"}
    res = check(files)
    assert error(res) == ("use.py", 3, "msg: `make().log_metric('k')`: `Connector.log_metric` "
                                       "requires `value`, not given (defined at m.py:5)")
    assert evidence(res) == [("m.py", 10), ("use.py", 3)]  # ``Connector()``, ``make()`` bind


@pytest.mark.parametrize("definition, lines", [
    ("import sys\n\nif sys.version_info >= (3, 12):\n    def f(a, b):\n        return None\n"
     "else:\n    def f(a):\n        return None\n", "4, 7"),
    ("try:\n    from fastlib import f\nexcept ImportError:\n    def f(a):\n        return None\n",
     "2, 4"),
    ("def f(a):\n    return None\n\n\ndef f(a, b):\n    return None\n", "1, 5"),
])
def test_a_callee_bound_by_several_statements_is_undecided(definition, lines):
    # regression: the first definition was taken, a guess (the redefinition is the one
    # CPython calls; the fallback runs only when the import fails)
    files = {"m.py": definition, "use.py": "from m import f\n\nf(1, 2)\nf(1)\n"}
    assert_unknown(check(files, callees=["f"]), f"`f` is bound by 2 statements in m.py (lines "
                                                f"{lines}): which one the call reaches depends "
                                                "on the code path")
    res = check(files)
    assert res.status is Status.PASS and res.note == "0 call(s) checked"


def test_a_property_and_its_setter_are_one_attribute():
    files = {"m.py": "class C:\n    @property\n    def x(self):\n        return 1\n\n"
                     "    @x.setter\n    def x(self, v):\n        pass\n\n"
                     "    def m(self, a):\n        return None\n",
             "use.py": "from m import C\n\nc = C()\nc.x = 2\nc.m()\n"}
    res = check(files, callees=["C.m"])
    assert error(res)[:2] == ("use.py", 5)


def test_what_counts_as_binding_a_name_twice():
    from checkkit import facts_of
    from obs_lint.checks.resolve import _FileIndex

    (ff,) = facts_of({"m.py": """\
        import os.path
        import os.environ
        from typing import TYPE_CHECKING

        if TYPE_CHECKING:
            from lib import Client
        try:
            from .fast import parse
        except ImportError:
            from .fast import parse


        class Client:
            @property
            def url(self):
                return ""

            @url.setter
            def url(self, v):
                pass


        def load():
            return None


        def load(path=None):
            return None
        """})
    fi = _FileIndex("m.py", ff.python)
    assert fi.rebound("", "os") == []  # both bind the package ``os``
    assert fi.rebound("", "Client") == []  # the TYPE_CHECKING import never runs
    assert fi.rebound("", "parse") == []  # the same name from the same module
    assert fi.rebound("Client", "url") == []  # a property and its setter
    assert fi.rebound("", "load") == [23, 27]


ABSTRACT = """\
from abc import ABC, abstractmethod


class BaseEvaluator(ABC):
    def __init__(self, name):
        self.name = name

    @abstractmethod
    def evaluate(self, sample):
        ...


class RagasEvaluator(BaseEvaluator):
    pass


class RubricEvaluator(BaseEvaluator):
    def evaluate(self, sample):
        return 1.0
"""


def test_an_abstract_class_cannot_be_instantiated():
    files = {"m.py": ABSTRACT, "use.py": "from m import BaseEvaluator, RagasEvaluator, "
                                         "RubricEvaluator\n\nRagasEvaluator('r')\n"
                                         "RubricEvaluator('r')\nBaseEvaluator('b')\n"}
    res = check(files)
    assert errors(res) == [
        ("use.py", 3, "msg: `RagasEvaluator('r')`: `RagasEvaluator` is abstract (abstract method "
                      "`evaluate` not implemented): instantiating it raises TypeError (defined at "
                      "m.py:5)"),
        ("use.py", 5, "msg: `BaseEvaluator('b')`: `BaseEvaluator` is abstract (abstract method "
                      "`evaluate` not implemented): instantiating it raises TypeError (defined at "
                      "m.py:5)"),
    ]
    assert evidence(res) == [("use.py", 4)]


def test_abcmeta_keeps_the_signature_other_metaclasses_anywhere_in_the_lineage_do_not():
    files = {"m.py": "import abc\n\n\nclass Meta(type):\n    pass\n\n\n"
                     "class A(metaclass=abc.ABCMeta):\n    def __init__(self, x):\n"
                     "        self.x = x\n\n\nclass B(metaclass=Meta):\n    def __init__(self, x):\n"
                     "        self.x = x\n\n\nclass C(B):\n    pass\n",
             "use.py": "from m import A, C\n\nA()\nC()\n"}
    res = check(files, callees=["A", "C"])
    assert errors(res) == [("use.py", 3, "msg: `A()`: `A.__init__` requires `x`, not given "
                                         "(defined at m.py:9)")]
    # regression: the metaclass of a base was not looked at
    assert "`C()` at use.py:4: `B` has a metaclass (`Meta`), which may change what calling the " \
           "class does" in res.note


@pytest.mark.parametrize("definition, reason", [
    ("def _init(self, a):\n    self.a = a\n\n\nclass C:\n    __init__ = _init\n",
     "`C` assigns `__init__` in its body (not a `def`)"),
    ("from dataclasses import dataclass\nfrom lib import BaseConfig\n\n\n@dataclass\n"
     "class C(BaseConfig):\n    a: int = 0\n",
     "`C` may inherit fields from `lib.BaseConfig`, outside the project"),
])
def test_constructors_with_parts_outside_the_facts_are_undecided(definition, reason):
    # regressions: judged as `object()` and against the project fields only
    files = {"m.py": definition, "use.py": "from m import C\n\nC(1, name='x')\n"}
    assert_unknown(check(files, callees=["C"]), reason)


def test_a_dataclass_extending_a_builtin_exception_is_judged_on_its_fields():
    files = {"m.py": "from dataclasses import dataclass\n\n\n@dataclass\n"
                     "class TraceError(Exception):\n    span_id: str\n",
             "use.py": "from m import TraceError\n\nTraceError('s')\nTraceError()\n"}
    res = check(files, callees=["TraceError"])
    assert [(p, ln) for p, ln, _ in errors(res)] == [("use.py", 4)]


def test_attributes_every_object_has_are_never_missing():
    from checkkit import run_project
    files = {"gen.py": ("class Base:\n    def __init__(self, config):\n        self.config = config\n\n"
                        "    def fork(self, other):\n        return self.__class__(other)\n\n"
                        "    def name(self):\n        return self.__class__.__name__\n")}
    res = run_project("call-contract", {}, files)
    assert not [f for f in res.findings if f.severity.value == "error"], res.findings
