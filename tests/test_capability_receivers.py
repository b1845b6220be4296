"""require-call: receiver-aware matching, literal-argument patterns, every_args,
callee_takes_input, and context managers entered by hand."""

from __future__ import annotations

import pytest

from checkkit import Severity, Status, lines, messages, run
from projectkit import run_in_project

CONNECTOR = """\
class OpikConnector:
    def trace_agent(self, name):
        pass

    def get_feedback(self, run_id):
        pass


_instance = None


def get_opik_connector() -> OpikConnector:
    global _instance
    if _instance is None:
        _instance = OpikConnector()
    return _instance
"""

STORE = """\
class FeedbackStore:
    def get_feedback(self, run_id):
        return []
"""


def project(agent: str) -> dict[str, str]:
    return {"obs/__init__.py": "", "obs/opik.py": CONNECTOR, "obs/store.py": STORE,
            "agent/__init__.py": "", "agent/run.py": agent}


def rc(agent: str, **params):
    params = {"calls": ["*.get_feedback"], "receivers": ["OpikConnector", "get_opik_connector"],
              **params}
    return run_in_project("require-call", params, project(agent), scope="agent/**",
                          hint="agent/")


def test_accessor_receiver_counts():
    res = rc("from obs.opik import get_opik_connector\n\n\ndef f():\n"
             "    get_opik_connector().get_feedback('r')\n")
    assert res.status is Status.PASS, (res.note, messages(res))
    assert [(e.path, e.span.line) for e in res.evidence] == [("agent/run.py", 5)]


def test_attribute_assigned_from_constructor_counts():
    res = rc("from obs.opik import OpikConnector\n\n\nclass A:\n    def __init__(self):\n"
             "        self.opik = OpikConnector()\n\n    def f(self):\n"
             "        return self.opik.get_feedback('r')\n")
    assert res.status is Status.PASS, (res.note, messages(res))
    assert [(e.path, e.span.line) for e in res.evidence] == [("agent/run.py", 9)]


def test_attribute_assigned_from_accessor_counts():
    res = rc("from obs.opik import get_opik_connector\n\n\nclass A:\n"
             "    def __init__(self):\n        self.c = get_opik_connector()\n\n"
             "    def f(self):\n        self.c.get_feedback('r')\n", receivers=["OpikConnector"])
    assert res.status is Status.PASS, (res.note, messages(res))


def test_annotated_parameter_counts():
    res = rc("from obs.opik import OpikConnector\n\n\n"
             "def f(conn: OpikConnector):\n    conn.get_feedback('r')\n")
    assert res.status is Status.PASS, (res.note, messages(res))


def test_same_named_method_of_another_class_does_not_count():
    res = rc("from obs.store import FeedbackStore\n\n\n"
             "def f():\n    FeedbackStore().get_feedback('r')\n")
    assert res.status is Status.FAIL
    assert lines(res) == [("agent/__init__.py", 1)]
    msg = messages(res)[0]
    assert "0 call(s) to `*.get_feedback` in agent/, at least 1 required" in msg
    assert "not counted: `FeedbackStore().get_feedback('r')` at agent/run.py:5" in msg
    assert "a `FeedbackStore` (obs/store.py)" in msg


def test_unresolved_receiver_is_unknown_with_reason():
    res = rc("def f(client):\n    client.get_feedback('r')\n")
    assert res.status is Status.UNKNOWN
    assert res.findings == ()
    assert "could not decide: 0 call(s) found, 1 required" in res.note
    assert "`client.get_feedback('r')` at agent/run.py:2 may count" in res.note
    assert "parameter `client` of `f`" in res.note and "no type annotation" in res.note


def test_plain_function_of_the_name_does_not_count():
    res = rc("def get_feedback(x):\n    pass\n\n\ndef f():\n    get_feedback(1)\n",
             calls=["get_feedback"])
    assert res.status is Status.FAIL
    assert "a plain function call, not a method of the receiver" in messages(res)[0]


def test_external_receiver_pattern():
    src = "import opik\n\n\ndef f():\n    client = opik.Opik()\n    client.trace(name='x')\n"
    res = run_in_project("require-call", {"calls": ["*.trace"], "receivers": ["opik.Opik"]},
                         {"m.py": src})
    assert res.status is Status.PASS, (res.note, messages(res))
    res = run_in_project("require-call", {"calls": ["*.trace"], "receivers": ["langfuse.*"]},
                         {"m.py": src})
    assert res.status is Status.FAIL
    assert "`client` is a `opik.Opik` object" in messages(res)[0]
    res = run_in_project("require-call", {"calls": ["*.trace"], "receivers": ["opik.*"]},
                         {"m.py": src})
    assert res.status is Status.PASS, (res.note, messages(res))


def test_receivers_validation():
    from checkkit import pack_error

    assert pack_error("require-call", {"calls": ["x"], "receivers": ["a-b"]}) != ""
    assert "'a-b' is not a (dotted) name or glob" in pack_error(
        "require-call", {"calls": ["x"], "receivers": ["a-b"]})
    assert pack_error("require-call", {"calls": ["x"], "receivers": ["langfuse.*"]}) == ""


def test_module_receiver_however_bound():
    for src in ("import mlflow\nmlflow.log_metric('a', 1)\n",
                "import mlflow as mf\nmf.log_metric('a', 1)\n"):
        res = run_in_project("require-call", {"calls": ["*.log_metric"],
                                              "receivers": ["mlflow"]}, {"m.py": src})
        assert res.status is Status.PASS, (src, res.note, messages(res))


# -- literal-argument patterns ---------------------------------------------------------------

def test_literal_argument_pattern():
    src = "from x import f\nf('a')\nf('b', 2)\nf(name)\n"
    assert run("require-call", {"calls": ['f("b")']}, {"m.py": src}).status is Status.PASS
    res = run("require-call", {"calls": ['f("c")']}, {"m.py": src})
    assert res.status is Status.FAIL
    assert messages(res) == ['msg: 0 call(s) to `f("c")` in m.py, at least 1 required']


# -- every_args -----------------------------------------------------------------------------

EVERY = """\
class Conn:
    def trace_agent(self, name, trace_id=None, force_new_trace=False):
        pass


def run(c: Conn, tid):
    c.trace_agent("a", trace_id=tid)
    c.trace_agent("b")
    c.trace_agent("c", force_new_trace=True)
    c.trace_agent("d", tid)
"""


def test_every_args_alternatives_with_positional_binding():
    params = {"calls": ["*.trace_agent"], "every_args": [{"trace_id": "*"},
                                                          {"force_new_trace": True}]}
    res = run_in_project("require-call", params, {"m.py": EVERY})
    assert res.status is Status.FAIL
    assert lines(res) == [("m.py", 8)]
    assert messages(res) == ['msg: `c.trace_agent("b")`: expected trace_id=given or '
                             'force_new_trace=True']
    assert [e.span.line for e in res.evidence] == [7, 9, 10]


def test_every_args_unbindable_is_undecided():
    src = "def run(c, args):\n    c.trace_agent('a', *args)\n"
    res = run_in_project("require-call", {"calls": ["*.trace_agent"],
                                          "every_args": [{"trace_id": "*"}]}, {"m.py": src})
    assert res.status is Status.UNKNOWN
    assert "cannot be bound to the callee's parameters" in res.note


# -- callee_takes_input ---------------------------------------------------------------------

def test_callee_takes_input():
    src = ("def score(text):\n    return len(text)\n\n\ndef const():\n    return 1\n\n\n"
           "def ev(x):\n    {call}\n")
    params = {"calls": ["score", "const"], "callee_takes_input": True}
    res = run_in_project("require-call", params, {"m.py": src.replace("{call}", "score(x)")})
    assert res.status is Status.PASS
    res = run_in_project("require-call", params, {"m.py": src.replace("{call}", "const()")})
    assert res.status is Status.FAIL
    assert "`const` (m.py:5) takes no input" in messages(res)[0]
    res = run_in_project("require-call", params,
                         {"m.py": "from lib import score\nscore(1)\n"})
    assert res.status is Status.UNKNOWN
    assert "is not a project function that can be followed" in res.note


# -- context managers entered by hand ----------------------------------------------------------

def every_async(src):
    return run("require-call", {"calls": ["*.trace_agent"], "every": "async-with"},
               {"m.py": src})


def test_explicit_aenter_aexit_in_finally_counts_as_async_with():
    src = """\
        async def f(c):
            cm = c.trace_agent("x")
            span = await cm.__aenter__()
            try:
                pass
            finally:
                await cm.__aexit__(None, None, None)
        """
    res = every_async(src)
    assert res.status is Status.PASS, messages(res)


def test_aexit_outside_finally_is_a_finding():
    src = """\
        async def f(c):
            cm = c.trace_agent("x")
            span = await cm.__aenter__()
            await cm.__aexit__(None, None, None)
        """
    res = every_async(src)
    assert res.status is Status.FAIL
    assert lines(res) == [("m.py", 2)]
    assert messages(res) == ['msg: `c.trace_agent("x")` is not used as async-with']


def test_async_exit_stack_counts_as_async_with():
    src = """\
        from contextlib import AsyncExitStack


        async def f(c):
            async with AsyncExitStack() as stack:
                await stack.enter_async_context(c.trace_agent("x"))
        """
    assert every_async(src).status is Status.PASS


def test_plain_call_of_context_manager_is_a_finding():
    res = every_async("async def f(c):\n    c.trace_agent('x')\n"
                      "    async with c.trace_agent('y'):\n        pass\n")
    assert res.status is Status.FAIL
    assert lines(res, Severity.ERROR) == [("m.py", 2)]


# -- receivers naming only an accessor ---------------------------------------------------------

@pytest.mark.parametrize("agent,line", [
    ("from obs.opik import get_opik_connector\n\n\nclass A:\n    def __init__(self):\n"
     "        self.c = get_opik_connector()\n\n    def f(self):\n"
     "        self.c.get_feedback('r')\n", 9),
    ("from obs.opik import get_opik_connector as goc\n\n\ndef f():\n"
     "    goc().get_feedback('r')\n", 5),
    ("from obs.opik import get_opik_connector\n\n\ndef f():\n    c = get_opik_connector()\n"
     "    c.get_feedback('r')\n", 6),
])
def test_what_the_accessor_returns_counts(agent, line):
    res = rc(agent, receivers=["get_opik_connector"])
    assert res.status is Status.PASS, (res.note, messages(res))
    assert [(e.path, e.span.line) for e in res.evidence] == [("agent/run.py", line)]


def test_accessor_only_receivers_do_not_count_another_class():
    res = rc("from obs.store import FeedbackStore\n\n\ndef f():\n"
             "    s = FeedbackStore()\n    s.get_feedback('r')\n", receivers=["get_opik_connector"])
    assert res.status is Status.FAIL
    assert "(`s` is a `FeedbackStore` (obs/store.py))" in messages(res)[0]


def test_async_exit_stack_entering_a_bound_context_manager_counts():
    src = """\
        from contextlib import AsyncExitStack


        async def f(c):
            cm = c.trace_agent("x")
            async with AsyncExitStack() as stack:
                span = await stack.enter_async_context(cm)
        """
    res = every_async(src)
    assert res.status is Status.PASS, messages(res)


def test_explicit_enter_exit_for_sync_with():
    src = """\
        def f(c):
            cm = c.trace_agent("x")
            cm.__enter__()
            try:
                pass
            finally:
                cm.__exit__(None, None, None)
        """
    res = run("require-call", {"calls": ["*.trace_agent"], "every": "with"}, {"m.py": src})
    assert res.status is Status.PASS, messages(res)
    res = run("require-call", {"calls": ["*.trace_agent"], "every": "async-with"},
              {"m.py": src})
    assert res.status is Status.FAIL
    assert lines(res) == [("m.py", 2)]


TRY_IMPORT = """\
try:
    from obs.opik import get_opik_connector
except ImportError:
    get_opik_connector = None


def f():
    conn = get_opik_connector() if get_opik_connector else None
    if conn:
        conn.get_feedback('r')
"""


def test_conditional_receiver_is_undecided():
    res = rc(TRY_IMPORT)
    assert res.status is Status.UNKNOWN
    assert res.findings == ()
    assert "`conn.get_feedback('r')` at agent/run.py:10 may count: the receiver `conn` cannot " \
           "be resolved" in res.note


def test_conditional_receiver_reason_is_accurate():
    note = rc(TRY_IMPORT).note
    assert "a literal value" not in note
    assert "`get_opik_connector() if get_opik_connector else None` is not a call or a name " \
           "whose type can be followed" in note
