"""Every cross-file finding carries its evidence chain (call site → definition, code → DDL
statement, reader → the writers searched) in each output format."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from checkkit import Severity, run
from conftest import FIXTURES
from test_report_sarif import SCHEMA_FILE, _assert_valid, validator  # noqa: F401 (fixture)

TREE = FIXTURES / "evidence"


def _cli(*args: str, cwd: Path = TREE) -> str:
    proc = subprocess.run([sys.executable, "-m", "obs_lint", "check", ".", "--no-cache", *args],
                          cwd=cwd, capture_output=True, text=True)
    assert proc.returncode == 1, proc.stderr
    return proc.stdout


def test_json_lists_the_definition_and_the_ddl_statement():
    doc = json.loads(_cli("--format", "json"))
    chains = {f["rule"]: (f["path"], f["line"], f["related"]) for f in doc["findings"]}
    assert chains["EV101"] == ("src/shop/checkout.py", 7, [
        {"path": "src/shop/orders.py", "line": 7, "column": 1,
         "message": "the definition the call was checked against"}])
    assert chains["EV201"] == ("src/shop/orders.py", 17, [
        {"path": "database/001_orders.sql", "line": 2, "column": 1,
         "message": "table orders created here"}])


def test_text_prints_one_note_line_per_link_under_its_finding():
    out = _cli("-q").splitlines()
    i = next(n for n, line in enumerate(out) if " EV101 " in line)
    assert out[i + 1] == "    note: src/shop/orders.py:7: the definition the call was checked against"
    j = next(n for n, line in enumerate(out) if " EV201 " in line)
    assert out[j + 1] == "    note: database/001_orders.sql:2: table orders created here"


def test_sarif_related_locations_validate(validator, tmp_path):  # noqa: F811
    out = tmp_path / "r.sarif"
    _cli("--format", f"sarif:{out}")
    doc = json.loads(out.read_text(encoding="utf-8"))
    _assert_valid(validator, doc)
    results = {r["ruleId"]: r for r in doc["runs"][0]["results"]}
    (rel,) = results["EV201"]["relatedLocations"]
    assert rel["message"]["text"] == "table orders created here"
    assert rel["physicalLocation"]["artifactLocation"]["uri"] == "database/001_orders.sql"
    assert rel["physicalLocation"]["region"]["startLine"] == 2


def test_markdown_links_the_chain_after_the_finding(tmp_path):
    out = tmp_path / "r.md"
    _cli("--format", f"markdown:{out}")
    text = out.read_text(encoding="utf-8")
    assert ("(see [src/shop/orders.py:7](src/shop/orders.py#L7): the definition the call was "
            "checked against)") in text
    assert ("(see [database/001_orders.sql:2](database/001_orders.sql#L2): table orders "
            "created here)") in text


# -- the chains of the other cross-file kinds ------------------------------------------------

GRAPH = {
    "g.py": """\
        from langgraph.graph import StateGraph

        def make(state):
            return {"made": 1}

        def use(state):
            return {"out": state.get("metrics", {})}

        def build():
            g = StateGraph(dict)
            g.add_node("make", make)
            g.add_node("use", use)
            g.add_edge("make", "use")
            return g.compile()

        def run():
            return build().invoke({"query": 1})
        """,
}


def test_state_flow_lists_the_input_and_every_node_searched():
    res = run("state-flow", {}, GRAPH)
    (f,) = [f for f in res.findings if f.severity is Severity.ERROR]
    assert [(r.location.path, r.location.span.line, r.message) for r in f.related] == [
        ("g.py", 17, "the graph's input, which does not set `metrics`"),
        ("g.py", 3, "node `make` was searched: it does not write `metrics`"),
        ("g.py", 6, "node `use` was searched: it does not write `metrics`")]


def test_routing_points_at_the_router_and_what_it_reads():
    files = {"g.py": """\
        from langgraph.graph import StateGraph

        def rubric(state):
            return {"decision": "ok"}

        def build():
            g = StateGraph(dict)
            g.add_node("rubric", rubric)
            g.add_node("fix", rubric)
            g.add_conditional_edges("rubric", lambda s: "fix" if s.get("status") else "fix",
                                    {"fix": "fix"})
            return g.compile()
        """}
    res = run("routing", {"from": "rubric", "reads_any": ["decision"]}, files)
    (f,) = [f for f in res.findings if f.severity is Severity.ERROR]
    msgs = [r.message for r in f.related]
    assert msgs[0] == "the router, which reads `status`" and "reads `status`" in msgs


@pytest.mark.parametrize("fmt", ["json", "text"])
def test_findings_without_a_chain_print_as_before(fmt, tmp_path):
    (tmp_path / "pyproject.toml").write_text("[tool.obs-lint]\npacks = ['e2i']\n")
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "a.py").write_text("import mlflow\n")
    proc = subprocess.run([sys.executable, "-m", "obs_lint", "check", ".", "--no-cache", "-q",
                           "--format", fmt], cwd=tmp_path, capture_output=True, text=True)
    assert proc.returncode == 1, proc.stderr
    if fmt == "json":
        assert all(f["related"] == [] for f in json.loads(proc.stdout)["findings"]
                   if f["rule"] == "E2I201")
    else:
        assert not any(line.startswith("    note:") for line in proc.stdout.splitlines())
