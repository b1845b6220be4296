"""Check kind ``yaml``: exact statuses, messages and lines on the fixtures under
``fixtures/checks/yaml/`` (facts are extracted directly; no pipeline involved)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from obs_lint.checks import REGISTRY
from obs_lint.checks.yaml_value import YamlCheck
from obs_lint.facts.model import FileFacts
from obs_lint.facts.yaml_doc import extract
from checkkit import evaluate_kind, file_facts, finding_rows, kind_params
from obs_lint.types import FileKind, Location, Rule, Severity, Span, Status

ROOT = Path(__file__).resolve().parents[2] / "fixtures" / "checks" / "yaml"
MLFLOW = "config/mlflow/mlflow.yaml"
OBS = "config/observability.yaml"
SELF = "config/self_improvement.yaml"
WRONG = "bad/mlflow_wrong.yaml"


def _facts_of(rel: str, text: str | None = None) -> FileFacts:
    return file_facts(ROOT, rel, FileKind.YAML, extract, text)


FILES = [_facts_of(p.relative_to(ROOT).as_posix()) for p in sorted(ROOT.rglob("*.yaml"))]


def run(files: list[FileFacts] | None = None, all_paths: frozenset[str] | None = None,
        **given: Any):
    return evaluate_kind(YamlCheck, FILES if files is None else files, ROOT, all_paths,
                         "T101", 1, **given)


findings = finding_rows


def _params(**given: Any) -> dict[str, Any]:
    return kind_params(YamlCheck, **given)


def test_registered_under_its_kind():
    assert REGISTRY["yaml"] is YamlCheck
    assert YamlCheck.file_kinds == frozenset({FileKind.YAML})
    assert YamlCheck(Rule("T1", "t", "p", 1, Severity.ERROR, "m", "yaml",
                          _params(file=MLFLOW, key="a"))).patterns() is None


# --------------------------------------------------------------------------------------------
# Presence (no assertion)
# --------------------------------------------------------------------------------------------


def test_key_present_passes_with_evidence_at_the_value():
    res = run(file=MLFLOW, key="tracking.uri")
    assert res.status is Status.PASS
    assert res.findings == ()
    assert res.evidence == (Location(MLFLOW, Span(7, 8, 7, 37)),)
    assert res.note == "tracking.uri = 'http://mlflow.internal:5000' (config/mlflow/mlflow.yaml:7)"


def test_key_missing_points_at_the_deepest_existing_parent():
    res = run(file=WRONG, key="tracking.uri")
    assert res.status is Status.FAIL
    assert findings(res) == [(WRONG, 1, "error", "R: tracking.uri not found: tracking has no "
                                                 "key 'uri' (its keys: 'artifact_root')")]


def test_top_level_key_missing_points_at_the_document():
    res = run(file=OBS, key="opik_settings.project_name")
    assert findings(res) == [(OBS, 2, "error", "R: opik_settings.project_name not found: the "
                              "top level has no key 'opik_settings' (its keys: 'opik', "
                              "'sampling', 'batching', 'circuit_breaker')")]


def test_descending_into_a_scalar_or_a_list_by_name_is_reported():
    res = run(file=MLFLOW, key="tracking.uri.host")
    assert findings(res) == [(MLFLOW, 7, "error", "R: tracking.uri.host not found: tracking.uri "
                              "is str 'http://mlflow.internal:5000', not a map or list")]
    res = run(file=MLFLOW, key="registry.stages.first")
    assert findings(res) == [(MLFLOW, 24, "error", "R: registry.stages.first not found: "
                              "registry.stages is a list, not a map (index it with a number)")]
    res = run(file=MLFLOW, key="registry.stages.7")
    assert findings(res) == [(MLFLOW, 24, "error", "R: registry.stages.7 not found: "
                              "registry.stages has 4 items, so there is no item 7")]


def test_null_value_fails_without_assertion():
    f = _facts_of("n.yaml", "tracking:\n  uri:\n")
    res = run([f], file="n.yaml", key="tracking.uri")
    assert findings(res) == [("n.yaml", 2, "error", "R: tracking.uri: is null (expected a value)")]


def test_list_indexes_and_list_form_keys():
    assert run(file=MLFLOW, key="registry.stages.0", equals="dev").status is Status.PASS
    assert run(file=MLFLOW, key="registry.stages.-1", equals="production").status is Status.PASS
    res = run(file=MLFLOW, key=["experiments", "naming.scheme"], matches=r"^\{prefix\}")
    assert res.status is Status.PASS
    assert res.evidence[0].span.line == 13


def test_alias_value_is_read_and_located_at_its_anchor():
    res = run(file=MLFLOW, key="tracking.retry.max_retries", equals=3)
    assert res.status is Status.PASS
    assert res.evidence[0].span.line == 3


# --------------------------------------------------------------------------------------------
# Assertions: positive and negative
# --------------------------------------------------------------------------------------------


def test_equals():
    assert run(file=MLFLOW, key="experiments.prefix", equals="e2i_").status is Status.PASS
    assert run(file=MLFLOW, key="circuit_breaker.failure_threshold", equals=5).status is Status.PASS
    assert run(file=MLFLOW, key="circuit_breaker.failure_threshold",
               equals=5.0).status is Status.PASS
    res = run(file=WRONG, key="experiments.prefix", equals="e2i_")
    assert findings(res) == [(WRONG, 4, "error",
                              "R: experiments.prefix: expected 'e2i_', found str 'exp-'")]


def test_equals_is_type_aware_and_deep():
    res = run(file=OBS, key="opik.enabled", equals=1)
    assert findings(res) == [(OBS, 5, "error", "R: opik.enabled: expected 1, found bool true")]
    res = run(file=OBS, key="batching", equals={"max_batch_size": 100, "max_wait_seconds": 5})
    assert res.status is Status.PASS
    res = run(file=OBS, key="batching", equals={"max_batch_size": 50, "max_wait_seconds": 5})
    assert res.status is Status.FAIL
    assert res.findings[0].location.span.line == 15  # a mapping value: at its key


def test_matches():
    assert run(file=MLFLOW, key="tracking.uri", matches=r"^https?://").status is Status.PASS
    res = run(file=OBS, key="opik.project_name", matches=r"^e2i-causal-analytics$")
    assert res.status is Status.PASS
    assert run(file=OBS, key="opik.enabled", matches="^true$").status is Status.PASS
    res = run(file=WRONG, key="experiments.prefix", matches="^e2i_")
    assert findings(res) == [(WRONG, 4, "error", "R: experiments.prefix: expected a value "
                              "matching '^e2i_', found str 'exp-'")]
    res = run(file=MLFLOW, key="registry.stages", matches="dev")
    assert findings(res) == [(MLFLOW, 24, "error", "R: registry.stages: expected a scalar "
                              "matching 'dev', found list ['dev', 'staging', 'shadow', "
                              "'production']")]


def test_min_max():
    assert run(file=OBS, key="sampling.default_rate", at_least=0, at_most=1).status is Status.PASS
    assert run(file=OBS, key="batching.max_batch_size", at_least=100).status is Status.PASS
    assert run(file=OBS, key="batching.max_batch_size", at_most=100).status is Status.PASS
    res = run(file=OBS, key="batching.max_batch_size", at_least=1, at_most=50)
    assert findings(res) == [(OBS, 16, "error", "R: batching.max_batch_size: expected between 1 "
                              "and 50, found 100")]
    res = run(file=WRONG, key="circuit_breaker.reset_timeout", at_least=1)
    assert findings(res) == [(WRONG, 7, "error", "R: circuit_breaker.reset_timeout: expected a "
                              "number >= 1, found str '30s'")]
    res = run(file=OBS, key="opik.enabled", at_most=5)
    assert findings(res)[0][3] == "R: opik.enabled: expected a number <= 5, found bool true"


def test_one_of():
    assert run(file=OBS, key="opik.workspace", one_of=["default", "e2i"]).status is Status.PASS
    res = run(file=OBS, key="opik.workspace", one_of=["prod", "e2i"])
    assert findings(res) == [(OBS, 4, "error", "R: opik.workspace: expected one of 'prod', "
                              "'e2i', found str 'default'")]


def test_contains_list_reports_exactly_what_is_missing():
    stages = ["dev", "staging", "shadow", "production"]
    assert run(file=MLFLOW, key="registry.stages", contains=stages).status is Status.PASS
    res = run(file=WRONG, key="registry.stages", contains=stages)
    assert findings(res) == [(WRONG, 9, "error", "R: registry.stages: missing 'shadow', "
                              "'production' (found 'dev', 'staging')")]


def test_contains_mapping_keys():
    res = run(file=OBS, key="sampling.rates", contains=["production", "staging"])
    assert res.status is Status.PASS
    res = run(file=OBS, key="sampling.rates", contains=["production", "canary", "shadow"])
    assert findings(res) == [(OBS, 9, "error", "R: sampling.rates: missing keys 'canary', "
                              "'shadow' (found development, production, staging)")]
    res = run(file=OBS, key="opik.workspace", contains=["x"])
    assert findings(res)[0][3] == ("R: opik.workspace: expected a list or map containing 'x', "
                                   "found str 'default'")


def test_counts():
    assert run(file=MLFLOW, key="registry.stages", min=4, max=4).status is Status.PASS
    assert run(file=MLFLOW, key="registry.stages", min=2, max=4).status is Status.PASS
    assert run(file=SELF, key="rubric.criteria", min=5, max=5).status is Status.PASS
    res = run(file=WRONG, key="registry.stages", min=4, max=4)
    assert findings(res) == [(WRONG, 9, "error", "R: registry.stages: expected exactly 4 items, "
                              "found 2")]
    res = run(file=MLFLOW, key="registry.transitions", max=2)
    assert findings(res) == [(MLFLOW, 29, "error", "R: registry.transitions: expected at most 2 "
                              "keys, found 3")]
    res = run(file=MLFLOW, key="tracking.uri", min=1)
    assert findings(res)[0][3].startswith("R: tracking.uri: expected a list with at least 1 items")


@pytest.mark.parametrize("key, type_, ok", [
    ("tracking.uri", "str", True), ("circuit_breaker.failure_threshold", "int", True),
    ("circuit_breaker.failure_threshold", "number", True),
    ("circuit_breaker.failure_threshold", "float", False),
    ("circuit_breaker.failure_threshold", "bool", False),
    ("registry.stages", "list", True), ("registry", "map", True), ("registry", "list", False),
])
def test_type(key, type_, ok):
    res = run(file=MLFLOW, key=key, type=type_)
    assert (res.status is Status.PASS) is ok


def test_type_bool_is_not_int():
    res = run(file=OBS, key="opik.enabled", type="int")
    assert findings(res) == [(OBS, 5, "error", "R: opik.enabled: expected type int, "
                              "found bool true")]
    assert run(file=OBS, key="sampling.rates.staging", type="float").status is Status.PASS


def test_sum_of_weights():
    res = run(file=SELF, key="rubric.criteria", sum_field="weight", sum=1.0, min=5, max=5)
    assert res.status is Status.PASS
    res = run(file=SELF, key="rubric.criteria", sum_field="weight", sum=0.9)
    assert findings(res) == [(SELF, 2, "error", "R: rubric.criteria: weight of the 5 items sums "
                              "to 1, expected 0.9 (tolerance 1e-06)")]
    res = run(file=SELF, key="rubric.criteria", sum_field="weight", sum=0.9, tolerance=0.2)
    assert res.status is Status.PASS


def test_sum_reports_each_bad_item():
    bad = "bad/self_improvement_bad_weights.yaml"
    res = run(file=bad, key="rubric.criteria", sum_field="weight", sum=1.0)
    assert findings(res) == [
        (bad, 8, "error", "R: rubric.criteria: item 2 weight is not a number (found str 'high')"),
        (bad, 9, "error", "R: rubric.criteria: item 3 has no 'weight'"),
    ]
    res = run(file=MLFLOW, key="registry.stages", sum_field="weight", sum=1)
    assert findings(res)[0][3] == "R: registry.stages: item 0 is str, not a map with 'weight'"


def test_every_failing_assertion_is_its_own_finding():
    res = run(file=WRONG, key="circuit_breaker.reset_timeout", equals=30, type="int", at_least=1)
    assert [m for *_, m in findings(res)] == [
        "R: circuit_breaker.reset_timeout: expected 30, found str '30s'",
        "R: circuit_breaker.reset_timeout: expected a number >= 1, found str '30s'",
        "R: circuit_breaker.reset_timeout: expected type int, found str '30s'",
    ]
    assert res.status is Status.FAIL


# --------------------------------------------------------------------------------------------
# Files and documents
# --------------------------------------------------------------------------------------------


def test_missing_file_is_a_failure_never_a_silent_pass():
    res = run(file="config/opik.yaml", key="opik.project_name")
    assert res.status is Status.FAIL
    assert findings(res) == [("config/opik.yaml", 1, "error", "R: config/opik.yaml: file not "
                              "found (expected it to define opik.project_name)")]


def test_path_is_normalised():
    assert run(file="./config/mlflow/mlflow.yaml", key="tracking.uri").status is Status.PASS


def test_file_outside_the_rules_scope_is_unknown():
    res = run([], all_paths=frozenset({MLFLOW}), file=MLFLOW, key="tracking.uri")
    assert res.status is Status.UNKNOWN
    assert res.findings[0].severity is Severity.INFO
    assert "exists but was not analysed for this rule" in res.note


@pytest.mark.parametrize("rel, line, fragment", [
    ("bad/billion_laughs.yaml", 1, "alias expansion bomb"),
    ("bad/duplicate_keys.yaml", 5, "duplicate key 'tracking'"),
    ("bad/python_object.yaml", 2, "python/object/apply:os.system"),
])
def test_unreadable_file_makes_the_rule_unknown_with_the_parse_message(rel, line, fragment):
    res = run(file=rel, key="tracking.uri")
    assert res.status is Status.UNKNOWN
    (f,) = res.findings
    assert (f.location.path, f.location.span.line, f.severity) == (rel, line, Severity.INFO)
    assert f.message.startswith(f"R: could not decide tracking.uri: {rel}:{line} could not be "
                                "read: ")
    assert fragment in f.message
    assert res.note == f.message[3:]


def test_empty_file_fails():
    res = run([_facts_of("e.yaml", "# nothing yet\n")], file="e.yaml", key="a")
    assert findings(res) == [("e.yaml", 1, "error", "R: a not found (the file has no YAML "
                              "document)")]


def test_first_document_that_has_the_key_is_used():
    res = run(file=OBS, key="tiers.0.sample_rate", equals=1.0)
    assert res.status is Status.PASS
    assert res.evidence[0].span.line == 26
    assert run(file=OBS, key="tiers", document=1, min=2, max=2).status is Status.PASS
    res = run(file=OBS, key="tiers", document=0)
    assert findings(res)[0][3] == ("R: tiers not found: the top level has no key 'tiers' (its "
                                   "keys: 'opik', 'sampling', 'batching', 'circuit_breaker')")
    res = run(file=OBS, key="tiers", document=5)
    assert findings(res)[0][3] == ("R: the file has 2 documents, so there is no document 5 to "
                                   "read tiers from")


def test_payload_of_another_kind_is_unknown():
    odd = FileFacts(path="x.yaml", kind=FileKind.YAML, digest="-", parsed=False)
    res = run([odd], file="x.yaml", key="a")
    assert res.status is Status.UNKNOWN
    assert res.note == "could not decide a: x.yaml was not analysed as YAML"


# --------------------------------------------------------------------------------------------
# Parameter validation
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("given, error", [
    ({"key": "a..b"}, "key: 'a..b' is not a dotted key path (empty part)"),
    ({"key": []}, "key: a list key must be a non-empty list of strings and integers"),
    ({"file": "/etc/passwd"}, "file: '/etc/passwd' must be a path relative to the project root"),
    ({"file": "../x.yaml"}, "file: '../x.yaml' must be a path relative to the project root"),
    ({"file": "config/*.yaml"}, "file: 'config/*.yaml' must name one file (globs are not allowed)"),
    ({"matches": "("}, "matches: invalid regex '(': missing ), unterminated subpattern at "
                       "position 0"),
    ({"at_least": 5, "at_most": 1}, "at_least (5) is greater than at_most (1)"),
    ({"at_least": True}, "at_least: must be a number, got true"),
    ({"min": -1}, "min: must be a non-negative integer, got -1"),
    ({"min": 3, "max": 1}, "min is greater than max"),
    ({"sum": 1.0}, "sum and sum_field must be given together"),
    ({"sum_field": "w"}, "sum and sum_field must be given together"),
    ({"tolerance": 0.1}, "tolerance only applies to sum"),
    ({"sum_field": "w", "sum": 1, "tolerance": -1}, "tolerance: must not be negative"),
    ({"one_of": []}, "one_of: must list at least one item"),
    ({"type": "dict"}, "type: must be one of str, int, float, number, bool, list, map"),
])
def test_validate_rejects(given, error):
    params = _params(file=MLFLOW, key="a.b")
    params.update(given)
    assert error in YamlCheck.validate(params)


def test_validate_accepts_a_full_rule():
    params = _params(file=SELF, key=["rubric", "criteria"], sum_field="weight", sum=1.0,
                     tolerance=0.001, min=5, max=5, type="list")
    assert YamlCheck.validate(params) == []


def test_only_reading_problems_block_a_decision():
    from dataclasses import replace

    from obs_lint.facts.model import Problem
    base = next(f for f in FILES if f.path == MLFLOW)
    noted = replace(base, problems=(Problem("bad-suppression", "malformed marker"),))
    assert run([noted], file=MLFLOW, key="tracking.uri").status is Status.PASS
    unread = FileFacts(path=MLFLOW, kind=FileKind.YAML, digest="",
                       problems=(Problem("read-error", "permission denied"),))
    res = run([unread], file=MLFLOW, key="tracking.uri")
    assert res.status is Status.UNKNOWN
    assert res.note == ("could not decide tracking.uri: config/mlflow/mlflow.yaml:1 could not "
                        "be read: permission denied")
