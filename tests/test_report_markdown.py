"""The Markdown report: the audit checklist as a document, ticked by the analyzer.

Real runs (the conformant and broken E2I imitations) check that every checkbox of the pack is
rendered with its status and evidence; small hand-built results check the rendering rules
(composite checkboxes, undecided rules, escaping, findings outside the checklist).
"""

from __future__ import annotations

import re

import pytest

from obs_lint.api import check, load_packs, resolve_config
from obs_lint.report import FORMATS
from obs_lint.report.markdown import render
from obs_lint.types import (CheckResult, Finding, Location, Pack, Phase, PhaseResult, Result,
                            Rule, Severity, Span, Status)

from conftest import FIXTURES, run_obs_lint


def _run(root):
    config = resolve_config([str(root)])
    return check([str(root)], config, packs=load_packs(config))


@pytest.fixture(scope="module")
def conformant():
    result = _run(FIXTURES / "e2i_conformant")
    return result, render(result)


@pytest.fixture(scope="module")
def broken():
    result = _run(FIXTURES / "e2i_broken")
    return result, render(result)


def _box_lines(md: str) -> list[str]:
    return [line for line in md.splitlines() if re.match(r"^- \[[x ]\] ", line)]


# ------------------------------------------------------------------------------ real runs
def test_markdown_is_a_registered_format():
    assert FORMATS["markdown"] is render


def test_conformant_report_ticks_every_checkbox_with_evidence(conformant):
    result, md = conformant
    texts = {(r.phase, r.section, r.checklist) for r in result.rules}
    boxes = _box_lines(md)
    assert len(boxes) == len(texts) == 145  # one box per checkbox of phases 1-9 with rules
    assert all(b.startswith("- [x] ") for b in boxes)
    for _, _, text in texts:
        assert f"- [x] {text}" in md, text
    assert "**Status**: ✅ ALL CHECKS PASS" in md
    assert "evidence: [src/mlops/mlflow_connector.py:" in md
    # links point at the line: [path:line](path#Lline)
    m = re.search(r"\[(src/mlops/opik_connector\.py):(\d+)\]\(([^)#]+)#L(\d+)\)", md)
    assert m and m.group(1) == m.group(3) and m.group(2) == m.group(4)


def test_report_has_the_phase_summary_table_with_all_ten_phases(conformant):
    _, md = conformant
    rows = re.findall(r"^\| (\d+) \| ([^|]+) \| (\d+)/(\d+) \| ([^|]+) \|$", md, re.M)
    assert [int(r[0]) for r in rows] == list(range(1, 11))
    assert all(r[4].strip() == "✅ PASS" for r in rows[:9])
    assert rows[9][2:] == ("0", "0", "➖ N/A")
    assert "## Phase 10: End-to-End Smoke Tests" in md
    assert "_No static checks" in md.split("## Phase 10:")[1]


def test_numbered_sections_come_before_success_criteria(conformant):
    _, md = conformant
    phase2 = md.split("## Phase 2:")[1].split("## Phase 3:")[0]
    heads = re.findall(r"^### (.+)$", phase2, re.M)
    assert heads == ["2.1 model_trainer", "2.2 model_selector", "2.3 model_deployer",
                     "Success Criteria"]


def test_broken_report_unticks_and_points_at_the_finding(broken):
    result, md = broken
    boxes = _box_lines(md)
    assert boxes and all(b.startswith("- [ ] ") for b in boxes)
    assert "❌ NOT CONFORMANT" in md
    f = next(f for f in result.findings if f.name == "model-trainer-hp-prefix")
    loc = f"{f.location.path}:{f.location.span.line}"
    assert f"[{loc}]({f.location.path}#L{f.location.span.line}): " in md
    # the composite checkbox of 1.3 lists each of its four rules under one box
    block = md.split("- [ ] Circuit breaker thresholds (failure: 5, reset: 30s)")[1]
    block = block.split("\n- ")[0]
    assert [c for c in ("E2I124", "E2I125", "E2I126", "E2I127") if f"`{c}`" in block] == [
        "E2I124", "E2I125", "E2I126", "E2I127"]


def test_cli_writes_the_markdown_report(tmp_path):
    out = tmp_path / "audit.md"
    tree = str(FIXTURES / "e2i_conformant")
    code, _, err = run_obs_lint("check", "--no-cache", tree, "--format", "markdown", "-o",
                                str(out))
    assert code == 0, err
    text = out.read_text(encoding="utf-8")
    assert text.startswith("# E2I MLflow / Opik / RAGAS observability audit\n")
    run_obs_lint("check", "--no-cache", tree, "--format", "markdown", "-o",
                 str(tmp_path / "again.md"))
    assert (tmp_path / "again.md").read_text(encoding="utf-8") == text  # deterministic


# ------------------------------------------------------------------------------ hand-built
def _rule(code: str, checklist: str, section: str = "1.1 Architecture", phase=1,
          message: str = "msg") -> Rule:
    return Rule(code=code, name=f"rule-{code.lower()}", pack="t", phase=phase,
                severity=Severity.ERROR, message=message, check_kind="require-call",
                params={}, checklist=checklist, section=section)


def _finding(rule: Rule, path: str, line: int, message: str,
             severity: Severity = Severity.ERROR) -> Finding:
    return Finding(code=rule.code, name=rule.name, severity=severity, message=message,
                   location=Location(path, Span(line, 1, line, 1)), phase=rule.phase)


def _result(checks: list[CheckResult], findings: tuple[Finding, ...] = (),
            phases: tuple[Phase, ...] = (Phase(1, "One"),)) -> Result:
    rules = tuple(c.rule for c in checks)
    pack = Pack(id="t", title="Test pack", phases=phases, rules=rules)
    by = [PhaseResult(ph, "t", tuple(c for c in checks if c.rule.phase == ph.id))
          for ph in phases]
    allf = findings + tuple(f for c in checks for f in c.findings)
    return Result(root="/x/project", packs=(pack,), rules=rules, findings=allf,
                  checks=tuple(checks), phases=tuple(by))


def test_composite_checkbox_is_ticked_only_when_all_its_rules_pass():
    a, b = _rule("T101", "Thresholds (5, 30s)"), _rule("T102", "Thresholds (5, 30s)")
    ok = CheckResult(a, Status.PASS, evidence=(Location("c.yaml", Span(3, 1, 3, 1)),))
    bad = CheckResult(b, Status.FAIL, findings=(_finding(b, "m.py", 9, "msg: is 3"),))
    md = render(_result([ok, bad]))
    assert "- [ ] Thresholds (5, 30s)\n" in md
    assert "  - `T101` rule-t101: pass" in md and "    - evidence: [c.yaml:3](c.yaml#L3)" in md
    assert "  - `T102` rule-t102: **fail**" in md and "    - [m.py:9](m.py#L9): msg: is 3" in md
    md2 = render(_result([ok, CheckResult(b, Status.PASS, evidence=(Location("d.py"),))]))
    assert "- [x] Thresholds (5, 30s)\n" in md2


def test_undecided_rule_is_not_ticked_and_says_why():
    r = _rule("T101", "Singleton")
    info = _finding(r, "a.py", 1, "a.py could not be analysed", Severity.INFO)
    c = CheckResult(r, Status.UNKNOWN, findings=(info,),
                    note="could not decide: a.py:1 did not parse")
    md = render(_result([c]))
    assert "- [ ] Singleton — `T101` rule-t101: **unknown**" in md
    assert "  - could not decide: a.py:1 did not parse" in md
    assert "| 1 | One | 0/1 | ❌ FAIL |" in md


def test_text_from_code_is_escaped_but_checklist_markdown_is_kept():
    r = _rule("T101", "`trace_agent()` for **SHAP**")
    f = _finding(r, "a|b.py", 2, "bad <locals>.fn | x\nsecond line in `Outer.<locals>.f`")
    md = render(_result([CheckResult(r, Status.FAIL, findings=(f,))]))
    assert "- [ ] `trace_agent()` for **SHAP**" in md
    assert "bad &lt;locals&gt;.fn \\| x second line in `Outer.<locals>.f`" in md
    assert "[a\\|b.py:2]" in md
    assert md.count("<locals>") == 1  # only inside the code span, where Markdown shows it as is


def test_findings_outside_the_checklist_are_listed_at_the_end():
    r = _rule("T101", "Present")
    parse = Finding(code="OBS001", name="parse-error", severity=Severity.ERROR,
                    message="invalid syntax", location=Location("src/x.py", Span(4, 1, 4, 1)))
    md = render(_result([CheckResult(r, Status.PASS, evidence=(Location("y.py"),))], (parse,)))
    tail = md.split("## Findings outside the checklist")[1]
    assert "- [src/x.py:4](src/x.py#L4): `OBS001` parse-error (error): invalid syntax" in tail
    assert "❌ NOT CONFORMANT" in md  # an error anywhere means not conformant


def test_rule_without_phase_and_phase_without_rules():
    r = _rule("T900", "", phase=None, message="local rule")
    md = render(_result([CheckResult(r, Status.PASS, note="3 matching call(s)")],
                        phases=(Phase(1, "One", tests=("tests/test_one.py",)),)))
    assert "## Rules outside the phases" in md
    assert "- [x] local rule — `T900` rule-t900: pass" in md
    assert "  - evidence: 3 matching call(s)" in md
    assert "Tests: `tests/test_one.py`" in md
    assert "**Status**: ➖ N/A (no static checks)" in md
