"""The phase table never lies (issue 15, item 5).

Every combination of findings (new / only baselined / none) and test results (passed / failed
/ not run), in the text, JSON and Markdown reports. The expected values are written out below
from the rules, not computed by the code under test:

* a phase whose rule is violated FAILs, whether or not the baseline accepts the finding; the
  accepted count is shown beside the FAIL;
* a phase passes only when its checks pass and its mapped tests ran and passed; tests that did
  not run show as "not run" (status NOT RUN), never as a pass;
* the exit status follows the new findings and the failed tests; when it is 0 beside a phase
  that is not PASS, the summary says why in one sentence.
"""

from __future__ import annotations

import json

import pytest

PACK = """\
pack: {id: demo, title: Demo audit}
phases:
  - {id: 1, title: Core, tests: ["tests/test_core.py"]}
rules:
  - code: DEM101
    name: no-requests
    phase: 1
    severity: error
    message: requests is not used directly
    where: {include: ["src/**"]}
    check: {kind: forbid-import, modules: [requests]}
"""

TESTS = "def test_one():\n    pass\n\n\ndef test_two():\n    pass\n"

JUNIT = {
    "passed": ('<testcase classname="tests.test_core" name="test_one" file="tests/test_core.py"/>'
               '<testcase classname="tests.test_core" name="test_two" file="tests/test_core.py"/>'),
    "failed": ('<testcase classname="tests.test_core" name="test_one" file="tests/test_core.py"/>'
               '<testcase classname="tests.test_core" name="test_two" file="tests/test_core.py">'
               '<failure message="boom">boom</failure></testcase>'),
    # the run produced results, but none for this phase's test file
    "not-run": ('<testcase classname="tests.test_other" name="test_x" '
                'file="tests/test_other.py"/>'),
}

# (findings, tests) -> (phase status, baselined count, exit status, explanation must contain)
EXPECTED = {
    ("new", "passed"): ("fail", 0, 1, None),
    ("new", "failed"): ("fail", 0, 1, None),
    ("new", "not-run"): ("fail", 0, 1, None),
    ("baselined", "passed"): ("fail", 1, 0, "phase 1 fails on findings accepted by the "
                                            "baseline (1)."),
    ("baselined", "failed"): ("fail", 1, 1, None),
    ("baselined", "not-run"): ("fail", 1, 0, "phase 1 fails on findings accepted by the "
                                             "baseline (1), with tests that did not run (0 of "
                                             "2 expected)."),
    ("none", "passed"): ("pass", 0, 0, None),
    ("none", "failed"): ("fail", 0, 1, None),
    ("none", "not-run"): ("not-run", 0, 0, "phase 1 has tests that did not run (0 of 2 "
                                           "expected)."),
}
TEXT_STATUS = {"fail": "FAIL", "pass": "PASS", "not-run": "NOT RUN"}
MD_STATUS = {"fail": "❌ FAIL", "pass": "✅ PASS", "not-run": "⚠️ TESTS NOT RUN"}


def _project(tmp_path, findings: str, tests: str):
    root = tmp_path / "proj"
    (root / "src").mkdir(parents=True)
    (root / "tests").mkdir()
    (root / "results").mkdir()
    (root / ".obs-lint.yaml").write_text("packs: [rules.yaml]\n")
    (root / "rules.yaml").write_text(PACK)
    (root / "tests" / "test_core.py").write_text(TESTS)
    (root / "src" / "a.py").write_text("import requests\n" if findings != "none" else "x = 1\n")
    (root / "results" / "junit.xml").write_text(
        f'<?xml version="1.0"?><testsuites><testsuite name="pytest">{JUNIT[tests]}'
        "</testsuite></testsuites>\n")
    return root


def _run(cli, root, findings: str, fmt: str):
    args = ["check", "--junit-xml", "results/junit.xml", "--format", fmt]
    if findings == "baselined":
        code, _, err = cli("baseline", "create", cwd=root)
        assert code == 0, err
        args += ["--baseline", ".obs-lint-baseline.json"]
    return cli(*args, cwd=root)


CASES = sorted(EXPECTED)


@pytest.mark.parametrize("findings, tests", CASES)
def test_json(cli, tmp_path, findings, tests):
    status, baselined, exit_code, why = EXPECTED[(findings, tests)]
    code, out, err = _run(cli, _project(tmp_path, findings, tests), findings, "json")
    assert code == exit_code, err
    doc = json.loads(out)
    (phase,) = doc["phases"]
    assert (phase["status"], phase["baselined"]) == (status, baselined)
    assert doc["summary"]["exit_status"] == exit_code
    assert [c["status"] for c in phase["checks"]] == ["pass" if findings == "none" else "fail"]
    if tests == "not-run":
        assert phase["tests"]["ran"] == 0 and phase["tests_state"] == "not-run"
    if why:
        assert why in doc["summary"]["explanation"]
    else:
        assert doc["summary"]["explanation"] == ""


@pytest.mark.parametrize("findings, tests", CASES)
def test_text(cli, tmp_path, findings, tests):
    status, baselined, exit_code, why = EXPECTED[(findings, tests)]
    code, out, err = _run(cli, _project(tmp_path, findings, tests), findings, "text")
    assert code == exit_code, err
    row = next(line for line in out.splitlines() if line.startswith("|") and "Core" in line)
    cells = [c.strip() for c in row.strip().strip("|").split("|")]
    want = TEXT_STATUS[status] + (f" ({baselined} baselined)" if baselined else "")
    assert cells[-1] == want
    assert cells[3] == ("not run" if tests == "not-run" else
                        {"passed": "2", "failed": "1"}[tests])
    summary = out.rstrip().splitlines()[-1]
    assert summary.startswith("Found ")
    if why:
        assert why in summary
    else:
        assert "The run passes" not in summary
    new_lines = [line for line in out.splitlines() if "DEM101 [no-requests]" in line]
    assert len(new_lines) == (1 if findings == "new" else 0)


@pytest.mark.parametrize("findings, tests", CASES)
def test_markdown(cli, tmp_path, findings, tests):
    status, baselined, exit_code, why = EXPECTED[(findings, tests)]
    code, out, err = _run(cli, _project(tmp_path, findings, tests), findings, "markdown")
    assert code == exit_code, err
    row = next(line for line in out.splitlines() if line.startswith("| 1 |"))
    cells = [c.strip() for c in row.strip().strip("|").split("|")]
    assert cells[-1] == MD_STATUS[status] + (f" ({baselined} baselined)" if baselined else "")
    assert cells[3] == {"passed": "2/2 ran: 2 passed", "failed": "2/2 ran: 1 passed, 1 failed",
                        "not-run": "not run (0/2)"}[tests]
    if why:
        assert why in out
    if findings == "baselined":
        assert "findings not reported: 1 accepted by the baseline" in out


def test_suppressed_findings_keep_the_phase_failing(cli, tmp_path):
    """An ignore comment silences the finding, not the violation: FAIL (1 suppressed)."""
    root = _project(tmp_path, "new", "passed")
    (root / "src" / "a.py").write_text("import requests  # obs-lint: ignore[DEM101]\n")
    code, out, err = cli("check", "--junit-xml", "results/junit.xml", cwd=root)
    assert code == 0, err
    row = next(line for line in out.splitlines() if line.startswith("|") and "Core" in line)
    assert row.rstrip("| ").endswith("FAIL (1 suppressed)")
    assert "phase 1 fails on suppressed findings (1)." in out


def test_a_junit_suite_of_accepted_rules_skips_instead_of_failing(cli, tmp_path):
    root = _project(tmp_path, "baselined", "passed")
    code, out, _ = _run(cli, root, "baselined", "junit")
    assert code == 0
    assert 'failures="0"' in out and '<skipped type="accepted"' in out
    assert "1 accepted by the baseline" in out


def test_phases_with_the_same_cause_are_named_together(cli, tmp_path):
    root = tmp_path / "p"
    (root / "src").mkdir(parents=True)
    rules = "".join(
        f"  - {{code: DEM{i}01, name: no-mod{i}, phase: {i}, severity: error, message: m,\n"
        f"     check: {{kind: forbid-import, modules: [mod{i}]}}}}\n" for i in (1, 2, 3, 5))
    (root / "rules.yaml").write_text(
        "pack: {id: demo, title: Demo}\nphases:\n" +
        "".join(f"  - {{id: {i}, title: P{i}}}\n" for i in (1, 2, 3, 4, 5)) + "rules:\n" + rules)
    (root / ".obs-lint.yaml").write_text("packs: [rules.yaml]\n")
    (root / "src" / "a.py").write_text("import mod1\nimport mod2\nimport mod3\n")
    (root / "src" / "b.py").write_text("import mod5  # obs-lint: ignore[DEM501]\n")
    cli("baseline", "create", cwd=root)
    code, out, _ = cli("check", "--baseline", ".obs-lint-baseline.json", cwd=root)
    assert code == 0
    assert out.rstrip().endswith(
        "The run passes (no new finding fails it) although phases 1-3 fail on findings "
        "accepted by the baseline (3); phase 5 fails on suppressed findings (1).")
