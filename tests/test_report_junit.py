"""JUnit XML output: every rule is a test case; failures carry the findings; parsed back."""

from __future__ import annotations

from defusedxml.ElementTree import fromstring

from obs_lint.api import check, resolve_config
from obs_lint.builtin import BUILTINS
from obs_lint.report import junit
from obs_lint.types import Status

from conftest import FIXTURES
from ecosystem_project import make_project, write


def _render(root):
    result = check([], resolve_config([str(root)]))
    return result, fromstring(junit.render(result).encode("utf-8"))


def _cases(tree):
    return {c.get("name"): c for c in tree.iter("testcase")}


def test_each_rule_is_a_test_case_and_counts_add_up():
    result, tree = _render(FIXTURES / "e2i_sample")
    cases = _cases(tree)
    assert tree.tag == "testsuites"
    assert set(cases) == {f"{c.rule.code} {c.rule.name}" for c in result.checks} | {
        f"{b.code} {b.name}" for b in BUILTINS}
    failed = [c for c in result.checks if c.status is Status.FAIL]
    assert failed, "the sample has deliberate violations"
    assert int(tree.get("failures")) == len(failed) == sum(
        1 for c in cases.values() if c.find("failure") is not None)
    assert int(tree.get("tests")) == len(cases)
    for suite in tree.iter("testsuite"):
        assert int(suite.get("tests")) == len(suite.findall("testcase"))
    for c in result.checks:
        case = cases[f"{c.rule.code} {c.rule.name}"]
        assert case.get("classname") == f"obs-lint.{c.rule.pack}.phase-{c.rule.phase}"
        if c.status is Status.PASS:
            assert list(case) == []


def test_failure_text_lists_every_finding_of_the_rule(tmp_path):
    root = make_project(tmp_path)
    write(root, "src/a.py", "import mlflow\n")
    write(root, "src/b.py", "\n\nfrom mlflow import log_param\n")
    result, tree = _render(root)
    failure = _cases(tree)["LOC201 no-raw-mlflow"].find("failure")
    assert failure.get("message").startswith("2 findings: raw mlflow import")
    lines = failure.text.splitlines()
    assert lines[0].startswith("src/a.py:1:1: LOC201 ") and lines[1].startswith("src/b.py:3:1: ")
    assert _cases(tree)["LOC101 obs-trace-agent"].find("failure") is None


def test_undecidable_rule_is_an_error_and_engine_findings_fail_their_builtin(tmp_path):
    root = make_project(tmp_path)
    # the agent no longer calls trace_agent in a parsable file, and the only file that
    # mentions it does not parse: the rule cannot decide
    write(root, "src/agents/obs/agent.py", "def run(c):\n    return c\n")
    write(root, "src/agents/obs/broken.py", "def f(:\n    c.trace_agent()\n")
    result, tree = _render(root)
    case = _cases(tree)["LOC101 obs-trace-agent"]
    assert case.find("error") is not None and case.find("failure") is None
    assert "broken.py" in case.find("error").get("message")
    unknown = [c for c in result.checks if c.status is Status.UNKNOWN]
    assert int(tree.get("errors")) == len(unknown) >= 1
    parse = _cases(tree)["OBS001 parse-error"].find("failure")
    assert parse is not None and parse.text.startswith("src/agents/obs/broken.py:")


def test_control_characters_from_source_do_not_break_the_xml(tmp_path):
    root = make_project(tmp_path)
    write(root, "src/ctl.py", "import mlflow  # \x1b[31m odd \x07\n")
    result = check([], resolve_config([str(root)]))
    text = junit.render(result)
    assert "\x1b" not in text and "\x07" not in text
    fromstring(text.encode("utf-8"))  # parses


def test_cli_writes_junit(cli, tmp_path):
    root = make_project(tmp_path)
    write(root, "src/a.py", "import mlflow\n")
    out = tmp_path / "obs.xml"
    code, stdout, _ = cli("check", "--format", f"junit:{out}", cwd=root)
    assert code == 1 and stdout == ""
    tree = fromstring(out.read_bytes())
    assert _cases(tree)["LOC201 no-raw-mlflow"].find("failure") is not None
