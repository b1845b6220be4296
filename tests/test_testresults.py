"""JUnit ingestion of real pytest output (both families), merged per phase; bad files.

The JUnit files are produced here, by running pytest on the sample suite of
``fixtures/ecosystem/project`` (one test of every outcome, see its README). The expected
counts below are derived from that suite by hand, not from this code's output:
phase 1 (tests/unit/test_mlops/**): 5 passed (pass, xpass, 2 params, nested), 2 failed (fail,
strict xpass), 1 skipped, 1 xfailed, 3 errors (setup error, teardown error, failure *and*
teardown error — written twice by pytest, counted once); phase 2: 3 passed; phase 3: 2 passed.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from obs_lint.errors import UsageError
from obs_lint.testresults import TestCase, classname_to_path, dedupe, read_junit, tally

from conftest import run_obs_lint
from ecosystem_project import make_project, run_pytest

PHASE1 = {"passed": 5, "failed": 2, "skipped": 1, "errors": 3, "xfailed": 1}
PHASE2 = {"passed": 3, "failed": 0, "skipped": 0, "errors": 0, "xfailed": 0}
PHASE3 = {"passed": 2, "failed": 0, "skipped": 0, "errors": 0, "xfailed": 0}


@pytest.fixture(scope="module")
def suite(tmp_path_factory):
    """The sample project plus real pytest JUnit files of both families."""
    root = make_project(tmp_path_factory.mktemp("junit"))
    for family in ("xunit1", "xunit2"):
        proc = run_pytest(root, "-o", f"junit_family={family}",
                          f"--junitxml=results/{family}.xml", "tests")
        assert proc.returncode == 1, proc.stdout + proc.stderr  # the suite has failures
    # `-q -q --collect-only` prints "path: count" per test file
    collected = run_pytest(root, "-q", "--collect-only", "tests").stdout.splitlines()
    per_file = dict(line.rsplit(": ", 1) for line in collected if line.endswith(
        tuple("0123456789")) and ".py: " in line)
    per_phase = {1: "tests/unit/test_mlops/", 2: "tests/unit/test_agents/", 3: "tests/e2e/"}
    return root, {ph: sum(int(n) for f, n in per_file.items() if f.startswith(prefix))
                  for ph, prefix in per_phase.items()}


def _counts(root: Path, *files: str) -> dict:
    from obs_lint.api import load_packs, resolve_config

    packs = load_packs(resolve_config([str(root)]))
    cases = read_junit([str(root / f) for f in files], str(root), packs)
    return {k[1]: v for k, v in tally(cases, packs).items()}


def test_pytest_wrote_what_this_test_relies_on(suite):
    root, _ = suite
    x1 = (root / "results/xunit1.xml").read_text(encoding="utf-8")
    x2 = (root / "results/xunit2.xml").read_text(encoding="utf-8")
    assert ' file="tests/unit/test_mlops/test_outcomes.py"' in x1 and " file=" not in x2
    assert x1.count('name="test_fail_and_teardown_error"') == 2  # the repeated test case
    assert 'type="pytest.xfail"' in x2


@pytest.mark.parametrize("family", ["xunit1", "xunit2"])
def test_counts_per_phase_for_both_families(suite, family):
    root, _ = suite
    counts = _counts(root, f"results/{family}.xml")
    assert counts == {1: PHASE1, 2: PHASE2, 3: PHASE3}


def test_several_files_and_repeated_cases_count_once(suite):
    root, _ = suite
    counts = _counts(root, "results/xunit1.xml", "results/xunit2.xml")
    assert counts == {1: PHASE1, 2: PHASE2, 3: PHASE3}


def test_a_test_failing_in_one_file_and_passing_in_another_counts_as_failed():
    cases = [TestCase("t::a", "tests/x.py", "passed"), TestCase("t::a", "tests/x.py", "failed"),
             TestCase("t::b", "tests/x.py", "skipped"), TestCase("t::b", "tests/x.py", "passed")]
    assert sorted((c.test_id, c.outcome) for c in dedupe(cases)) == [("t::a", "failed"),
                                                                     ("t::b", "passed")]


def test_bare_testsuite_root(suite, tmp_path):
    root, _ = suite
    text = (root / "results/xunit2.xml").read_text(encoding="utf-8")
    start, end = text.index("<testsuite "), text.index("</testsuites>")
    bare = tmp_path / "bare.xml"
    bare.write_text('<?xml version="1.0" encoding="utf-8"?>\n' + text[start:end],
                    encoding="utf-8")
    counts = _counts(root, str(bare))
    assert counts == {1: PHASE1, 2: PHASE2, 3: PHASE3}


def test_classname_back_to_path(tmp_path):
    (tmp_path / "tests/unit/test_mlops").mkdir(parents=True)
    (tmp_path / "tests/unit/test_mlops/test_mlflow_connector.py").write_text("")
    assert classname_to_path("tests.unit.test_mlops.test_mlflow_connector.TestX",
                             str(tmp_path)) == "tests/unit/test_mlops/test_mlflow_connector.py"
    # results produced elsewhere (file absent): a phase glob decides, then the class heuristic
    assert classname_to_path("tests.rag.test_ragas.TestA.TestB", str(tmp_path),
                             lambda p: p == "tests/rag/test_ragas.py") == "tests/rag/test_ragas.py"
    assert classname_to_path("tests.e2e.test_x.TestA", str(tmp_path)) == "tests/e2e/test_x.py"
    assert classname_to_path("test_top", str(tmp_path)) == "test_top.py"


def test_cli_json_phases_gain_tests_and_fail_on_failed_tests(cli, suite):
    root, collected = suite
    code, out, err = cli("check", "--junit-xml", "results/xunit2.xml", "--format",
                                  "json", cwd=root)
    assert code == 1, err  # no finding, but phase 1's tests failed
    doc = json.loads(out)
    assert doc["findings"] == []
    phases = {p["id"]: p for p in doc["phases"]}
    # ran: every test that was not skipped (5 passed + 2 failed + 3 errors + 1 xfailed)
    assert phases[1]["tests"] == {**PHASE1, "ran": 11, "expected": 12}
    assert phases[2]["tests"] == {**PHASE2, "ran": 3, "expected": 3}
    assert phases[3]["tests"] == {**PHASE3, "ran": 2, "expected": 2}
    assert (phases[1]["status"], phases[2]["status"], phases[3]["status"]) == (
        "fail", "pass", "pass")


def test_expected_is_what_pytest_collects_from_the_same_files(cli, suite):
    root, collected = suite
    code, out, _ = cli("check", "--junit-xml", "results/*.xml", "--format", "json",
                                cwd=root)
    expected = {p["id"]: p["tests"]["expected"] for p in json.loads(out)["phases"]}
    assert expected == collected == {1: 12, 2: 3, 3: 2}


def test_text_table_gains_test_columns(cli, suite):
    root, _ = suite
    code, out, _ = cli("check", "--junit-xml", "results/xunit1.xml", cwd=root)
    header = next(line for line in out.splitlines() if "Phase" in line)
    cells = [c.strip() for c in header.strip("|").split("|")]
    assert cells == ["Phase", "Title", "Checks passed", "Tests passed", "Failed", "Skipped",
                     "Errors", "Xfailed", "Expected", "Status"]
    row1 = next(line for line in out.splitlines() if "Connector core" in line)
    assert [c.strip() for c in row1.strip("|").split("|")][3:] == [
        "5", "2", "1", "3", "1", "12", "FAIL"]
    code, out, _ = cli("check", cwd=root)
    assert "Tests passed" not in out and code == 0  # no test results given: no columns


def test_min_tests_fails_a_phase_that_ran_fewer(cli, suite, tmp_path):
    root, _ = suite
    pack = (root / "rules/local.yaml").read_text(encoding="utf-8")
    strict = tmp_path / "strict.yaml"
    strict.write_text(pack.replace("    title: Smoke\n", "    title: Smoke\n    min_tests: 3\n"),
                      encoding="utf-8")
    code, out, _ = cli("check", "--pack", str(strict), "--no-config", "--junit-xml",
                                "results/xunit1.xml", "--format", "json", "--select", "LOC101",
                                cwd=root)
    phases = {p["id"]: p for p in json.loads(out)["phases"]}
    assert phases[3]["tests"]["passed"] == 2 and phases[3]["status"] == "fail"
    assert code == 1


# -- bad input ----------------------------------------------------------------------------------

@pytest.mark.parametrize("content, message", [
    ('<?xml version="1.0"?>\n<testsuites>\n<testsuite name="x">\n<testcase name="a"',
     "bad.xml:4: not well-formed JUnit XML"),
    ("<html><body>hi</body></html>", "not a JUnit XML file (root element <html>"),
    ('<testsuite><testcase classname="x"/></testsuite>', "has no name attribute"),
    ("", "not well-formed JUnit XML"),
])
def test_malformed_files_are_clear_errors(suite, tmp_path, content, message):
    root, _ = suite
    bad = tmp_path / "bad.xml"
    bad.write_text(content, encoding="utf-8")
    with pytest.raises(UsageError, match="bad.xml") as exc:
        read_junit([str(bad)], str(root))
    assert message in str(exc.value)
    code, out, err = run_obs_lint("check", "--junit-xml", str(bad), cwd=root)
    assert code == 2 and out == "" and "Traceback" not in err
    assert err.startswith("obs-lint: error: ") and message in err
    assert len(err.strip().splitlines()) == 1


def test_entity_expansion_is_refused_quickly(suite, tmp_path):
    root, _ = suite
    bomb = tmp_path / "bomb.xml"
    entities = ['<!ENTITY a0 "lol">'] + [
        f'<!ENTITY a{i} "{("&a" + str(i - 1) + ";") * 10}">' for i in range(1, 10)]
    bomb.write_text('<?xml version="1.0"?>\n<!DOCTYPE testsuites [\n' + "\n".join(entities)
                    + '\n]>\n<testsuites><testsuite><testcase name="&a9;"/></testsuite>'
                    "</testsuites>\n", encoding="utf-8")
    code, out, err = run_obs_lint("check", "--junit-xml", str(bomb), cwd=root)
    assert code == 2 and "refused unsafe XML" in err and "bomb.xml" in err


def test_external_entities_are_refused(suite, tmp_path):
    root, _ = suite
    xxe = tmp_path / "xxe.xml"
    xxe.write_text('<?xml version="1.0"?>\n<!DOCTYPE t [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
                   '\n<testsuite><testcase name="&x;"/></testsuite>\n', encoding="utf-8")
    with pytest.raises(UsageError, match="refused unsafe XML"):
        read_junit([str(xxe)], str(root))


def test_missing_file_and_empty_glob(cli, suite):
    root, _ = suite
    code, _, err = cli("check", "--junit-xml", "results/nope.xml", cwd=root)
    assert code == 2 and "results/nope.xml: JUnit XML file not found" in err
    code, _, err = cli("check", "--junit-xml", "nothing/*.xml", cwd=root)
    assert code == 2 and "--junit-xml nothing/*.xml: no file matches" in err


def test_an_unquoted_glob_that_the_shell_expanded_is_caught(cli, suite):
    root, _ = suite
    # `--junit-xml results/*.xml` unquoted: the second file would become a path to report on
    code, out, err = cli("check", "--junit-xml", "results/xunit1.xml", "results/xunit2.xml",
                         cwd=root)
    assert code == 2 and "results/xunit2.xml: not a Python, YAML or SQL file" in err
    assert "quote it" in err


def test_a_classname_of_40000_dotted_parts_is_mapped_in_linear_memory(tmp_path):
    """80 KB of classname built every dotted prefix (1.6 GB); memory is measured (traced
    allocations), not time."""
    import tracemalloc

    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "test_x.py").write_text("def test_a(): pass\n")
    deep = "tests.test_x." + ".".join(["a"] * 40_000)
    absent = ".".join(["b"] * 40_000)
    xml = tmp_path / "deep.xml"
    xml.write_text('<?xml version="1.0"?>\n<testsuites><testsuite name="s">'
                   f'<testcase classname="{deep}" name="test_a"/>'
                   f'<testcase classname="{absent}" name="test_b"/>'
                   "</testsuite></testsuites>\n", encoding="utf-8")
    tracemalloc.start()
    try:
        cases = read_junit([str(xml)], str(tmp_path))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert [c.path for c in cases] == ["tests/test_x.py", ""]
    assert peak < 20 * 2**20, f"peak {peak / 2**20:.0f} MB"
    # results produced elsewhere: a phase glob decides among prefixes a path can have
    assert classname_to_path("tests.rag.test_r." + ".".join(["C"] * 40_000), str(tmp_path),
                             lambda p: p == "tests/rag/test_r.py") == "tests/rag/test_r.py"
