"""The one run API: ``api.run(RunRequest) -> RunResult``, the entry of the CLI and the pytest
plugin, on the fixture projects — the request decides the run, the result carries the exit
status, and a run through the API reports exactly what ``obs-lint check`` does."""

from __future__ import annotations

import dataclasses
import json

import pytest

from obs_lint import api
from obs_lint.api import EXIT_FINDINGS, EXIT_OK, RunRequest, RunResult
from obs_lint.report import json_report

from conftest import FIXTURES
from pipeline_runs import copy_project


@pytest.fixture
def sample(tmp_path):
    """e2i_sample: deliberate violations (error findings), exit 1."""
    return copy_project(FIXTURES / "e2i_sample", tmp_path / "sample")


@pytest.fixture
def conformant(tmp_path):
    """e2i_conformant: keeps every rule, exit 0."""
    return copy_project(FIXTURES / "e2i_conformant", tmp_path / "conformant")


def test_request_and_result_are_frozen_values():
    request = RunRequest(paths=("src",))
    with pytest.raises(dataclasses.FrozenInstanceError):
        request.paths = ()  # type: ignore[misc]
    assert dataclasses.replace(request, jobs=1) == RunRequest(paths=("src",), jobs=1)
    assert dataclasses.is_dataclass(RunResult)
    assert RunResult.__dataclass_params__.frozen  # type: ignore[attr-defined]


def test_a_run_reports_what_the_cli_reports(cli, sample):
    done = api.run(RunRequest(paths=(str(sample),), jobs=1))
    assert isinstance(done, RunResult)
    assert done.config.root == str(sample)
    assert done.status == EXIT_FINDINGS == api.exit_status(done.result)
    assert done.result.findings and all(f.location.path for f in done.result.findings)
    code, out, _ = cli("check", str(sample), "--format", "json", "--jobs", "1")
    assert code == done.status
    assert json.loads(out) == json.loads(json_report.render(done.result))


def test_a_conformant_project_exits_0(conformant):
    done = api.run(RunRequest(paths=(str(conformant),), use_cache=False))
    assert done.status == EXIT_OK
    assert not [f for f in done.result.findings if f.severity.rank > 0]


def test_the_request_overrides_the_configuration(sample):
    request = RunRequest(paths=(str(sample),), select=("E2I201",), jobs=1)
    config = api.configure(request)
    assert config.select == ("E2I201",) and config.jobs == 1
    assert dict(config.sources)["select"] == "command line"
    done = api.run(dataclasses.replace(request, config=config))
    assert {r.code for r in done.result.rules} == {"E2I201"}
    assert {f.code for f in done.result.findings} <= {"E2I201"}


def test_named_paths_choose_the_reported_findings(sample):
    whole = api.run(RunRequest(paths=(str(sample),)))
    path = whole.result.findings[0].location.path
    named = api.run(RunRequest(paths=(str(sample / path),)))
    assert named.result.findings
    assert {f.location.path for f in named.result.findings} == {path}
    assert named.result.not_selected == len(whole.result.findings) - len(
        named.result.findings)
    # the rules were still decided over the whole project
    assert [c.status for c in named.result.checks] == [c.status for c in whole.result.checks]


def test_a_baseline_accepts_findings_and_strict_fails_on_stale_entries(sample, tmp_path):
    first = api.run(RunRequest(paths=(str(sample),)))
    entries = api.baseline_entries(first.result.findings)
    target = str(tmp_path / "baseline.json")
    api.write_baseline(target, entries)
    accepted = api.run(RunRequest(paths=(str(sample),), baseline=target))
    assert accepted.status == EXIT_OK
    assert len(accepted.result.baselined) == len(entries) and not accepted.result.findings
    assert [c.status for c in accepted.result.checks] == [c.status for c in first.result.checks]
    stale = dataclasses.replace(entries[0], fingerprint="0" * 16 + ":0")
    api.write_baseline(target, [*entries, stale])
    lenient = api.run(RunRequest(paths=(str(sample),), baseline=target))
    assert lenient.status == EXIT_OK and lenient.result.stale_baseline == (stale,)
    strict = api.run(RunRequest(paths=(str(sample),), baseline=target, strict_baseline=True))
    assert strict.status == EXIT_FINDINGS


def test_test_outcomes_are_merged_and_a_failed_test_fails_the_run(conformant):
    config = api.configure(RunRequest(paths=(str(conformant),)))
    test_file = "tests/unit/test_mlops/test_mlflow_connector.py"
    assert (conformant / test_file).is_file()
    cases = (api.new_test_case(f"{test_file}::test_x", test_file, "failed"),)
    done = api.run(RunRequest(config=config, test_cases=cases))
    failing = [ph for ph in done.result.phases if ph.tests_failing]
    assert failing and all(ph.tests.failed == 1 for ph in failing)
    assert done.status == EXIT_FINDINGS
    assert api.run(RunRequest(config=config)).status == EXIT_OK


def test_exit_status_follows_fail_on(sample):
    done = api.run(RunRequest(paths=(str(sample),)))
    result = done.result
    assert api.exit_status(result) == EXIT_FINDINGS
    only_warnings = dataclasses.replace(result, findings=tuple(
        dataclasses.replace(f, severity=f.severity.WARNING) for f in result.findings))
    assert api.exit_status(only_warnings) == EXIT_FINDINGS
    assert api.exit_status(only_warnings, fail_on="error") == EXIT_OK


def test_the_test_inventory_reads_the_runs_own_extraction(conformant, monkeypatch):
    """The expected test counts come from the run's extraction (its cache and budgets), not
    from a second pass over the test files; they are the counts that pass would give."""
    import obs_lint.testresults as testresults

    config = api.configure(RunRequest(paths=(str(conformant),)))
    packs = api.load_packs(config)
    separate = testresults.inventory(config.root, packs, config.exclude + config.extend_exclude,
                                     config.respect_gitignore)
    assert any(n for n, _ in separate.values())  # control: the fixture has mapped tests

    def second_pass(*args, **kwargs):
        raise AssertionError("the inventory extracted a test file outside the run")

    monkeypatch.setattr(testresults, "extract_file", second_pass)
    done = api.run(RunRequest(config=config, loaded_packs=packs, test_cases=()))
    got = {(ph.pack, ph.phase.id): (ph.tests.expected, ph.tests.expected_exact)
           for ph in done.result.phases if (ph.pack, ph.phase.id) in separate}
    assert got == separate
