"""require-call, the most used check kind: call patterns (last name, ``*.name``, qualified
names through imports, globs, one literal argument), ``min`` and ``per``, ``usage`` / ``every``
(``async with`` included), ``functions``, ``receivers``, ``every_args`` and what is undecidable.

Each test runs the real kind on snippets (``checkkit``: rules through the pack parser, facts
through the extractor); receivers and arguments are resolved through a real ``ProjectView``."""

from __future__ import annotations

from dataclasses import replace
from typing import Any, Mapping

import pytest
from checkkit import facts_of, lines, messages, pack_error, rule_of

from obs_lint.checks import REGISTRY
from obs_lint.checks.base import RuleContext
from obs_lint.checks.resolve import ProjectIndex, ProjectView
from obs_lint.types import Status


def check(params: Mapping[str, Any], files: Mapping[str, str], hint: str = ""):
    rule = rule_of("require-call", params)
    facts = facts_of(files)
    paths = frozenset(files)
    view = ProjectView(ProjectIndex(facts, sorted(paths)), paths)
    ctx = RuleContext(rule=rule, files=facts, root=".", scope_hint=hint, all_paths=paths,
                      project=view)
    return REGISTRY["require-call"](rule).evaluate(ctx)


# -- patterns ---------------------------------------------------------------------------------

@pytest.mark.parametrize("pattern, src, counted", [
    ("start_run", "start_run()\nx.start_run()\nget().start_run()\nself.c.start_run()\n", 4),
    ("*.start_run", "start_run()\nx.start_run()\nrestart_run()\n", 2),
    ("mlflow.start_run", "import mlflow as mf\nmf.start_run()\nother.start_run()\n", 1),
    ("mlflow.start_run", "from mlflow import start_run as go\ngo()\nstart_run()\n", 1),
    ("mlflow.log_*", "import mlflow\nmlflow.log_param()\nmlflow.log_metric()\nmlflow.end()\n", 2),
    ("*uuid7*", "from uuid_utils import uuid7\nuuid7()\nmake_uuid7_id()\nuuid4()\n", 2),
    ('importlib.util.find_spec("ragas")',
     "import importlib.util\nimportlib.util.find_spec('ragas')\n"
     "importlib.util.find_spec('opik')\n", 1),
])
def test_a_pattern_counts_the_calls_it_documents(pattern, src, counted):
    res = check({"calls": [pattern], "min": counted}, {"a.py": src})
    assert res.status is Status.PASS, messages(res)
    assert len(res.evidence) == counted
    res = check({"calls": [pattern], "min": counted + 1}, {"a.py": src})
    assert res.status is Status.FAIL
    assert messages(res) == [f"msg: {counted} call(s) to `{pattern}` in a.py, at least "
                             f"{counted + 1} required"]


def test_calls_in_comments_strings_and_look_alike_names_do_not_count():
    src = ('# start_run()\nx = "start_run()"\n"""start_run()"""\nstart_runner()\n'
           "restart_run()\n")
    res = check({"calls": ["start_run"]}, {"a.py": src})
    assert res.status is Status.FAIL and lines(res) == [("a.py", 1)]


def test_several_patterns_count_together():
    res = check({"calls": ["a", "b"], "min": 2}, {"x.py": "a()\nb()\n"})
    assert res.status is Status.PASS and len(res.evidence) == 2


def test_decorators_count_with_at_and_by_explicit_call():
    src = ("@traced_node\ndef f(): ...\n@traced_node('x')\ndef g(): ...\n"
           "h = traced_node('y')(fn)\n")
    res = check({"calls": ["traced_node"], "min": 3}, {"a.py": src})
    assert [e.span.line for e in res.evidence] == [1, 3, 5]
    # usage: decorator is the `@` form; the explicit application is a call
    res = check({"calls": ["traced_node"], "usage": "decorator"}, {"a.py": src})
    assert [e.span.line for e in res.evidence] == [1, 3]
    res = check({"calls": ["traced_node"], "usage": "call"}, {"a.py": src})
    assert [e.span.line for e in res.evidence] == [5]


# -- min / per --------------------------------------------------------------------------------

def test_per_file_reports_each_file_that_falls_short():
    files = {"pkg/a.py": "log()\n", "pkg/b.py": "pass\n", "pkg/c.py": "log()\nlog()\n"}
    res = check({"calls": ["log"], "per": "file"}, files)
    assert res.status is Status.FAIL and lines(res) == [("pkg/b.py", 1)]
    res = check({"calls": ["log"], "per": "file", "min": 2}, files)
    assert lines(res) == [("pkg/a.py", 1), ("pkg/b.py", 1)]


def test_per_set_counts_across_the_scope_and_reports_at_the_package():
    files = {"pkg/__init__.py": "", "pkg/a.py": "log()\n", "pkg/b.py": "log()\n"}
    assert check({"calls": ["log"], "min": 2}, files, hint="pkg/").status is Status.PASS
    res = check({"calls": ["log"], "min": 3}, files, hint="pkg/")
    assert res.status is Status.FAIL and lines(res) == [("pkg/__init__.py", 1)]


def test_an_empty_scope_fails():
    res = check({"calls": ["log"]}, {}, hint="src/missing/")
    assert res.status is Status.FAIL
    assert "no files in scope" in messages(res)[0] and "src/missing/" in messages(res)[0]


def test_min_and_calls_are_validated():
    assert "min: must be at least 1" in pack_error("require-call", {"calls": ["x"], "min": 0})
    assert "calls: must name at least one" in pack_error("require-call", {"calls": []})
    assert pack_error("require-call", {"calls": ["x"], "per": "module"})  # not a choice


# -- usage / every / functions ----------------------------------------------------------------

SPANS = """\
async def good(c):
    async with c.trace_agent("a"):
        pass

async def bad(c):
    span = c.trace_agent("b")
    return span

def sync(c):
    with c.trace_agent("c"):
        pass
"""


def test_usage_counts_only_calls_used_that_way():
    assert len(check({"calls": ["*.trace_agent"], "usage": "async-with"},
                     {"a.py": SPANS}).evidence) == 1
    # `with` is either form: a span closed by `with` or `async with`
    assert [e.span.line for e in check({"calls": ["*.trace_agent"], "usage": "with"},
                                       {"a.py": SPANS}).evidence] == [2, 10]
    assert len(check({"calls": ["*.trace_agent"], "usage": "any"},
                     {"a.py": SPANS}).evidence) == 3
    res = check({"calls": ["*.trace_agent"], "usage": "await"}, {"a.py": SPANS})
    assert res.status is Status.FAIL


def test_every_reports_each_call_not_used_that_way():
    res = check({"calls": ["*.trace_agent"], "every": "async-with"}, {"a.py": SPANS})
    assert res.status is Status.FAIL
    assert lines(res) == [("a.py", 6), ("a.py", 10)]
    assert "is not used as async-with" in messages(res)[0]


def test_a_context_manager_entered_by_hand_is_used_as_one():
    src = ("async def f(c):\n    cm = c.trace_agent('x')\n    await cm.__aenter__()\n"
           "    try:\n        pass\n    finally:\n        await cm.__aexit__(None, None, None)\n")
    res = check({"calls": ["*.trace_agent"], "every": "async-with"}, {"a.py": src})
    assert res.status is Status.PASS, messages(res)


def test_functions_limits_the_enclosing_functions():
    src = "class C:\n    def run(self):\n        log()\n\ndef helper():\n    log()\n"
    assert len(check({"calls": ["log"], "functions": ["C.*"]}, {"a.py": src}).evidence) == 1
    res = check({"calls": ["log"], "functions": ["other"]}, {"a.py": src})
    assert res.status is Status.FAIL


# -- receivers --------------------------------------------------------------------------------

CONNECTOR = """\
class OpikConnector:
    def log_metric(self, name, value, trace_id=None): ...

class Other:
    def log_metric(self, name, value): ...
"""


def test_receivers_count_only_calls_on_the_named_class():
    use = ("from conn import OpikConnector, Other\n"
           "def f(c: OpikConnector, o: Other):\n    c.log_metric('a', 1)\n"
           "    o.log_metric('b', 2)\n")
    res = check({"calls": ["*.log_metric"], "receivers": ["OpikConnector"]},
                {"conn.py": CONNECTOR, "use.py": use})
    assert res.status is Status.PASS
    assert [(e.path, e.span.line) for e in res.evidence] == [("use.py", 3)]
    res = check({"calls": ["*.log_metric"], "receivers": ["OpikConnector"], "min": 2},
                {"conn.py": CONNECTOR, "use.py": use})
    assert res.status is Status.FAIL


def test_an_unresolvable_receiver_leaves_the_count_undecided():
    use = "def f(c):\n    c.log_metric('a', 1)\n"  # public, unannotated: unknown type
    res = check({"calls": ["*.log_metric"], "receivers": ["OpikConnector"]},
                {"conn.py": CONNECTOR, "use.py": use})
    assert res.status is Status.UNKNOWN
    assert res.note.startswith("could not decide")


def test_receivers_must_be_dotted_names():
    assert "is not a (dotted) name" in pack_error(
        "require-call", {"calls": ["x"], "receivers": ["not a name"]})


# -- every_args -------------------------------------------------------------------------------

def test_every_args_alternatives_bind_positionals_through_the_signature():
    use = ("from conn import OpikConnector\n"
           "def f(c: OpikConnector):\n"
           "    c.log_metric('a', 1, 'tid')\n"       # trace_id given positionally
           "    c.log_metric('b', 2, trace_id=t)\n"  # given by keyword
           "    c.log_metric('c', 3)\n")              # missing: a finding at the call
    res = check({"calls": ["*.log_metric"], "receivers": ["OpikConnector"],
                 "every_args": [{"trace_id": "*"}]}, {"conn.py": CONNECTOR, "use.py": use})
    assert res.status is Status.FAIL
    assert lines(res) == [("use.py", 5)]


TRACER = """\
class Tracer:
    def trace_agent(self, name, trace_id=None, force_new_trace=False): ...
"""


def test_every_args_null_means_absent_or_none_and_literals_must_equal():
    use = ("from tracer import Tracer\n"
           "def f(c: Tracer):\n    c.trace_agent('a')\n    c.trace_agent('b', trace_id=None)\n"
           "    c.trace_agent('c', force_new_trace=True)\n"
           "    c.trace_agent('d', trace_id='t')\n"
           "    c.trace_agent('e', force_new_trace=False)\n")
    res = check({"calls": ["*.trace_agent"],
                 "every_args": [{"trace_id": None}, {"force_new_trace": True}]},
                {"tracer.py": TRACER, "use.py": use})
    # lines 3-5 and 7 meet an alternative and count; line 6 meets none: a finding at the call
    assert [e.span.line for e in res.evidence] == [3, 4, 5, 7]
    assert res.status is Status.FAIL and lines(res) == [("use.py", 6)]


def test_every_args_on_an_unknown_callee_is_undecided_not_a_finding():
    # the callee's signature is unknown: 'd' might bind to trace_id, so no finding and no count
    use = "def f(c):\n    c.trace_agent('d', 't')\n"
    res = check({"calls": ["*.trace_agent"], "every_args": [{"trace_id": None}]},
                {"use.py": use})
    assert res.findings == () and res.status is Status.UNKNOWN


def test_every_args_are_validated():
    err = pack_error("require-call", {"calls": ["x"], "every_args": [{"a": [1]}]})
    assert "is not null" in err


# -- undecidable ------------------------------------------------------------------------------

def test_a_file_that_did_not_parse_makes_a_shortfall_unknown_not_a_pass():
    files = {"pkg/a.py": "def f(:\n    log()\n", "pkg/b.py": "pass\n"}
    res = check({"calls": ["log"]}, files)
    assert res.status is Status.UNKNOWN


def test_a_broken_file_without_the_pattern_does_not_make_it_unknown():
    rule = rule_of("require-call", {"calls": ["log"]})
    facts = facts_of({"pkg/a.py": "def f(:\n    pass\n", "pkg/b.py": "pass\n"})
    kind = REGISTRY["require-call"](rule)
    # the prefilter's argument: text without "log" (no hit) cannot hold a call to log
    facts[0] = replace(facts[0], hits=frozenset())
    ctx = RuleContext(rule=rule, files=facts, root=".", patterns=kind.patterns())
    assert kind.evaluate(ctx).status is Status.FAIL
