"""The pytest plugin, run for real in a subprocess (with and without pytest-xdist ``-n 2``).

The sample suite's outcomes are known by construction (see ``fixtures/ecosystem/README.md``):
phase 1: 5 passed, 2 failed, 1 skipped, 3 errors, 1 xfailed (12 tests); phase 2: 3 passed;
phase 3: 2 passed.
"""

from __future__ import annotations

import subprocess
import sys

import pytest

from ecosystem_project import clean_env, make_project, run_pytest, write

XDIST = [pytest.param((), id="serial"), pytest.param(("-n", "2"), id="xdist")]


def _rows(output: str) -> dict[str, list[str]]:
    """Per-phase table rows of the obs-lint section, keyed by phase id."""
    section = output.split(" obs-lint ", 1)[1]
    rows = {}
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if line.startswith("|") and cells[0].isdigit():
            rows[cells[0]] = cells[2:]
    return rows


@pytest.fixture
def project(tmp_path):
    return make_project(tmp_path)


def test_importing_the_plugin_loads_nothing_heavy():
    code = ("import sys, obs_lint.pytest_plugin; "
            "heavy = [m for m in ('libcst', 'obs_lint.api', 'obs_lint.cli', 'pglast') "
            "if m in sys.modules]; print(heavy)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env=clean_env(), timeout=120)
    assert out.returncode == 0 and out.stdout.strip() == "[]", out.stderr


def test_inert_without_the_option(project):
    write(project, "src/bad.py", "import mlflow\n")
    proc = run_pytest(project, "tests/unit/test_agents")
    assert proc.returncode == 0, proc.stdout
    assert "obs-lint" not in proc.stdout and "3 passed" in proc.stdout


def test_clean_project_and_passing_tests_pass(project):
    proc = run_pytest(project, "tests/unit/test_agents", "tests/e2e", "--obs-lint")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    rows = _rows(proc.stdout)
    #              checks  passed failed skipped errors xfailed expected status
    assert rows["2"] == ["1/1", "3", "0", "0", "0", "0", "3", "PASS"]
    assert rows["3"] == ["0/0", "2", "0", "0", "0", "0", "2", "PASS"]
    # phase 1's twelve tests were not part of this session: not a pass
    assert rows["1"] == ["1/1", "not run", "0", "0", "0", "0", "12", "NOT RUN"]
    assert "Found 0 findings" in proc.stdout
    assert "phase 1 has tests that did not run (0 of 12 expected)" in proc.stdout


@pytest.mark.slow
@pytest.mark.parametrize("xdist", XDIST)
def test_session_outcomes_are_merged_per_phase(project, xdist):
    proc = run_pytest(project, *xdist, "--obs-lint", "tests")
    assert proc.returncode == 1, proc.stdout + proc.stderr  # the sample has failing tests
    rows = _rows(proc.stdout)
    assert rows["1"] == ["1/1", "5", "2", "1", "3", "1", "12", "FAIL"]
    assert rows["2"] == ["1/1", "3", "0", "0", "0", "0", "3", "PASS"]
    assert rows["3"] == ["0/0", "2", "0", "0", "0", "0", "2", "PASS"]
    assert proc.stdout.count(" obs-lint ") == 1  # one section, from the controller only


@pytest.mark.slow
@pytest.mark.parametrize("xdist", XDIST)
def test_a_failing_static_check_fails_a_green_session(project, xdist):
    write(project, "src/bad.py", "import mlflow\n")
    proc = run_pytest(project, *xdist, "--obs-lint", "tests/unit/test_agents")
    assert "3 passed" in proc.stdout
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "src/bad.py:1:1: LOC201 [no-raw-mlflow] error:" in proc.stdout
    assert _rows(proc.stdout)["1"][0] == "0/1" and _rows(proc.stdout)["1"][-1] == "FAIL"


def test_a_module_that_fails_to_import_is_an_error_of_its_phase(project):
    write(project, "tests/e2e/test_broken.py", "import no_such_module_anywhere\n")
    proc = run_pytest(project, "--obs-lint", "tests/e2e")
    assert proc.returncode != 0
    assert _rows(proc.stdout)["3"][4] == "1" and _rows(proc.stdout)["3"][-1] == "FAIL"


def test_pack_option_and_configuration_errors(project):
    proc = run_pytest(project, "--obs-lint=rules/local.yaml", "tests/e2e")
    assert proc.returncode == 0 and _rows(proc.stdout)["3"][1] == "2"
    proc = run_pytest(project, "--obs-lint=e2j", "tests/e2e")
    assert proc.returncode == 4  # pytest's usage error
    assert "obs-lint: e2j: no bundled pack named 'e2j'" in proc.stderr
    assert "Traceback" not in proc.stdout + proc.stderr
