"""End-to-end CLI behaviour on the realistic sample tree: output formats and exit statuses."""

from __future__ import annotations

import json
import re

from conftest import FIXTURES, run_obs_lint

SAMPLE = FIXTURES / "e2i_sample"
# The foundation slice of the e2i pack; the sample tree may gain findings as the pack grows,
# so these end-to-end tests select exactly the rules they are about.
SLICE = [a for code in ("E2I201", "E2I402", "E2I412", "E2I413", "E2I422", "E2I423", "E2I432",
                        "E2I433", "E2I442", "E2I443") for a in ("--select", code)]
LINE_RE = re.compile(r"^(?P<path>[^:]+):(?P<line>\d+):(?P<col>\d+): (?P<code>[A-Z0-9]+) "
                     r"\[(?P<name>[a-z0-9-]+)\] (?P<severity>error|warning|info): (?P<msg>.+)$")


def test_text_output_lines_sorted_then_phase_table(cli):
    code, out, err = cli("check", ".", *SLICE, cwd=SAMPLE)
    assert code == 1, err
    finding_lines = [l for l in out.splitlines() if LINE_RE.match(l)]
    assert len(finding_lines) == 3
    keys = [(LINE_RE.match(l)["path"], int(LINE_RE.match(l)["line"])) for l in finding_lines]
    assert keys == sorted(keys)
    raw = [l for l in finding_lines if "[no-raw-mlflow]" in l]
    assert raw == ["src/agents/ml_foundation/model_trainer/nodes/mlflow_logger.py:3:1: E2I201 "
                   "[no-raw-mlflow] error: raw mlflow import outside MLflowConnector: `import "
                   "mlflow` imports `mlflow`"]
    # the per-phase table lists all ten phases of the e2i pack
    table_rows = [l for l in out.splitlines() if re.match(r"^\|\s+\d+ \|", l)]
    assert [int(r.split("|")[1]) for r in table_rows] == list(range(1, 11))
    assert "| FAIL" in table_rows[1] and "| FAIL" in table_rows[3]
    assert out.rstrip().splitlines()[-1].startswith("Found 3 findings")


def test_json_contract(cli):
    code, out, _ = cli("check", str(SAMPLE), "--format", "json", *SLICE)
    assert code == 1
    data = json.loads(out)
    assert {"findings", "phases"} <= set(data)
    f = next(x for x in data["findings"] if x["name"] == "no-raw-mlflow")
    assert f == {
        "rule": "E2I201", "name": "no-raw-mlflow", "phase": 2, "severity": "error",
        "path": "src/agents/ml_foundation/model_trainer/nodes/mlflow_logger.py",
        "line": 3, "column": 1, "end_line": 3, "end_column": 14,
        "message": "raw mlflow import outside MLflowConnector: `import mlflow` imports `mlflow`",
        "related": []}
    missing = next(x for x in data["findings"] if x["name"] == "feedback-learner-trace-agent")
    assert missing["path"] == "src/agents/feedback_learner/__init__.py"
    assert missing["line"] == 1 and "trace_agent" in missing["message"]
    assert "src/agents/feedback_learner" in missing["message"]
    ids = [p["id"] for p in data["phases"]]
    assert ids == list(range(1, 11)) and all(isinstance(i, int) for i in ids)
    ph2 = data["phases"][1]
    assert ph2["status"] == "fail" and ph2["checks_failed"] >= 1
    assert all(p["status"] in ("pass", "fail", "n/a") for p in data["phases"])
    for p in data["phases"]:
        assert p["checks_passed"] + p["checks_failed"] == p["checks_total"]


def test_exit_statuses(cli, tmp_path):
    clean = tmp_path / "clean"
    clean.mkdir()
    (clean / ".obs-lint.yaml").write_text("packs: [e2i]\n")
    (clean / "ok.py").write_text("import os\n")
    code, out, _ = cli("check", str(clean), "--select", "E2I201")
    assert code == 0, out
    code, _, _ = cli("check", str(SAMPLE), *SLICE)
    assert code == 1
    code, _, _ = cli("check", str(SAMPLE), "--exit-zero", *SLICE)
    assert code == 0
    code, _, err = cli("check", str(tmp_path / "nope"))
    assert code == 2 and "nope: no such file or directory" in err
    assert "Traceback" not in err
    code, _, err = cli("check", str(SAMPLE), "--select", "E2I2O1")
    assert code == 2 and "unknown rule code or name 'E2I2O1'" in err and "did you mean" in err
    code, _, err = cli("check", str(SAMPLE), "--pack", "nosuchpack")
    assert code == 2 and "no bundled pack named 'nosuchpack'" in err


def test_select_and_ignore(cli):
    code, out, _ = cli("check", str(SAMPLE), "--format", "json", "--select", "no-raw-mlflow")
    names = {f["name"] for f in json.loads(out)["findings"]}
    assert names == {"no-raw-mlflow"}
    code, out, _ = cli("check", str(SAMPLE), "--format", "json", *SLICE, "--ignore", "E2I4")
    names = {f["name"] for f in json.loads(out)["findings"]}
    assert names == {"no-raw-mlflow"}


def test_rules_command_text_and_json(cli):
    code, out, _ = cli("rules", "--pack", "e2i", "--no-config")
    assert code == 0
    assert "E2I201" in out and "no-raw-mlflow" in out and "Severity" in out
    code, out, _ = cli("rules", "--pack", "e2i", "--no-config", "--format", "json")
    rows = json.loads(out)
    raw = next(r for r in rows if r["code"] == "E2I201")
    assert {"code", "name", "phase", "severity", "summary"} <= set(raw)
    assert raw["phase"] == 2 and raw["severity"] == "error"
    assert any(r["name"] == "parse-error" for r in rows)


def test_explain_by_code_and_name(cli):
    code, by_code, _ = cli("explain", "E2I201", "--pack", "e2i", "--no-config")
    code2, by_name, _ = cli("explain", "no-raw-mlflow", "--pack", "e2i", "--no-config")
    assert code == code2 == 0 and by_code == by_name
    assert "Example violation:" in by_code and "Example fix:" in by_code
    assert "src/mlops/mlflow_connector.py" in by_code
    code, _, err = cli("explain", "no-raw-mlflw", "--pack", "e2i", "--no-config")
    assert code == 2 and "did you mean 'no-raw-mlflow'" in err


def test_python_dash_m_entry_point():
    code, out, err = run_obs_lint("check", str(SAMPLE), "--format", "json", *SLICE)
    assert code == 1, err
    assert len(json.loads(out)["findings"]) == 3


def test_findings_outside_named_paths_are_counted_not_hidden(cli):
    graph = SAMPLE / "src" / "agents" / "causal_impact" / "graph.py"
    code, out, _ = cli("check", str(graph), *SLICE)
    assert code == 0, out  # the slice's findings are all in other files
    assert re.search(r"^Found 0 findings; 3 outside the selected paths/lines not shown "
                     r"\(the phase table covers the whole project\)", out, re.M), out
    assert "| FAIL" in out  # the table is still the whole project's


def test_inline_rules_without_a_loaded_phase_go_to_the_local_section(cli, tmp_path):
    """A project's inline rules are never silently unphased: with no phase (and no pack to
    place them in) they get the table's `local` row, in every report."""
    (tmp_path / ".obs-lint.yaml").write_text(
        "packs: []\nrules:\n"
        "  - {code: L1, name: no-requests, severity: warning,\n"
        "     message: use the shared client, check: {kind: forbid-import, modules: [requests]}}\n")
    (tmp_path / "a.py").write_text("import requests\n")
    code, out, _ = cli("check", str(tmp_path), "--format", "json")
    doc = json.loads(out)
    assert code == 1 and doc["unphased_checks"] == []
    assert [(p["pack"], p["id"], p["status"], [c["code"] for c in p["checks"]])
            for p in doc["phases"]] == [("local", "local", "fail", ["L1"])]
    code, text, _ = cli("check", str(tmp_path))
    row = next(l for l in text.splitlines() if "Rules from the project configuration" in l)
    assert [c.strip() for c in row.strip("|").split("|")] == [
        "local", "Rules from the project configuration", "0/1", "FAIL"]
    code, md, _ = cli("check", str(tmp_path), "--format", "markdown")
    assert "Phase local: Rules from the project configuration" in md and "no-requests" in md


def test_an_inline_rule_naming_a_phase_of_a_loaded_pack_joins_that_phase(cli, tmp_path):
    (tmp_path / ".obs-lint.yaml").write_text(
        "packs: [e2i]\nselect: [E2I201, L1]\nrules:\n"
        "  - {code: L1, name: no-requests, phase: 'e2i:9', severity: warning,\n"
        "     message: use the shared client, check: {kind: forbid-import, modules: [requests]}}\n")
    (tmp_path / "a.py").write_text("import requests\n")
    code, out, _ = cli("check", str(tmp_path), "--format", "json")
    doc = json.loads(out)
    nine = next(p for p in doc["phases"] if p["id"] == 9)
    assert [c["code"] for c in nine["checks"]] == ["L1"] and nine["status"] == "fail"
    assert doc["unphased_checks"] == []
    # a bare phase number is the only loaded pack's phase of that id
    (tmp_path / ".obs-lint.yaml").write_text(
        (tmp_path / ".obs-lint.yaml").read_text().replace("'e2i:9'", "9"))
    doc = json.loads(cli("check", str(tmp_path), "--format", "json")[1])
    assert [c["code"] for c in next(p for p in doc["phases"] if p["id"] == 9)["checks"]] == ["L1"]


def test_an_inline_rule_naming_no_loaded_phase_is_an_error_at_its_line(cli, tmp_path):
    (tmp_path / "pyproject.toml").write_text(
        '[tool.obs-lint]\npacks = ["e2i"]\n\n[[tool.obs-lint.rules]]\ncode = "L1"\n'
        'name = "no-requests"\nphase = 11\nseverity = "warning"\nmessage = "m"\n'
        'check = { kind = "forbid-import", modules = ["requests"] }\n\n'
        '[[tool.obs-lint.rules]]\ncode = "L2"\nname = "no-httpx"\nphase = "e2x:1"\n'
        'severity = "warning"\nmessage = "m"\n'
        'check = { kind = "forbid-import", modules = ["httpx"] }\n')
    (tmp_path / "a.py").write_text("import requests\n")
    code, _, err = cli("check", str(tmp_path))
    lines = err.splitlines()
    assert code == 2, err
    assert lines[0].startswith("obs-lint: error: ")
    assert "pyproject.toml:4: rule L1 (no-requests): phase 11 is not a phase of any loaded " \
        "pack" in lines[0]
    assert "pyproject.toml:12: rule L2 (no-httpx): phase 'e2x:1': no loaded pack 'e2x'" in lines[1]
    assert "did you mean 'e2i'?" in lines[1]
    assert "Traceback" not in err
