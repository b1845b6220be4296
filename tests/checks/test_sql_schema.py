"""Check kind ``sql-schema``: exact statuses, messages and lines on the fixtures under
``fixtures/checks/sql-schema/`` (facts are extracted directly; no pipeline involved)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from obs_lint.checks import REGISTRY
from obs_lint.checks.sql_schema import SqlSchemaCheck, parse_name
from obs_lint.facts.model import FileFacts
from obs_lint.facts.sql import extract
from checkkit import evaluate_kind, file_facts, finding_rows, kind_params
from obs_lint.types import FileKind, Location, Status

ROOT = Path(__file__).resolve().parents[2] / "fixtures" / "checks" / "sql-schema"
MLOPS = "database/ml/mlops_tables.sql"
SELF = "database/ml/022_self_improvement_tables.sql"
ML = ["database/ml/*.sql"]
BROKEN = "database/broken_middle.sql"


def _facts_of(rel: str, text: str | None = None) -> FileFacts:
    return file_facts(ROOT, rel, FileKind.SQL, extract, text)


FILES = [_facts_of(p.relative_to(ROOT).as_posix()) for p in sorted(ROOT.rglob("*.sql"))]


def run(facts: list[FileFacts] | None = None, all_paths: frozenset[str] | None = None,
        **given: Any):
    return evaluate_kind(SqlSchemaCheck, FILES if facts is None else facts, ROOT, all_paths,
                         "T701", 7, **given)


findings = finding_rows


def _params(**given: Any) -> dict[str, Any]:
    return kind_params(SqlSchemaCheck, **given)


def lines(res) -> list[tuple[str, int]]:
    return [(e.path, e.span.line) for e in res.evidence]


def test_registered_under_its_kind():
    assert REGISTRY["sql-schema"] is SqlSchemaCheck
    assert SqlSchemaCheck.file_kinds == frozenset({FileKind.SQL})


@pytest.mark.parametrize("text, expected", [
    ("ml_experiments", ("", "ml_experiments")), ("ML_Experiments", ("", "ml_experiments")),
    ("public.ml_experiments", ("public", "ml_experiments")),
    ('public."MixedCase"', ("public", "MixedCase")), ('"a""b"', ("", 'a"b')),
    ("a.b.c", None), ("a b", None), ("", None), ("a.", None),
])
def test_rule_names_follow_sql_identifier_rules(text, expected):
    assert parse_name(text) == expected


# --------------------------------------------------------------------------------------------
# table
# --------------------------------------------------------------------------------------------


def test_table_with_typed_columns_passes_with_evidence():
    res = run(files=[MLOPS], table="ml_training_runs",
              columns={"metrics": "JSONB", "started_at": "timestamp with time zone",
                       "run_name": "varchar", "duration_seconds": "int", "hyperparameters": None})
    assert res.status is Status.PASS
    assert res.findings == ()
    assert lines(res) == [(MLOPS, 25), (MLOPS, 31), (MLOPS, 34), (MLOPS, 29), (MLOPS, 33),
                          (MLOPS, 30)]
    assert res.note == f"table ml_training_runs created at {MLOPS}:25"


def test_table_columns_as_a_list_and_qualified_names():
    res = run(files=ML, table="public.ml_experiments", columns=["id", "experiment_name"])
    assert res.status is Status.PASS
    assert lines(res)[0] == (MLOPS, 15)
    # an unqualified definition counts as public
    assert run(files=ML, table="public.ml_training_runs").status is Status.PASS
    res = run(files=ML, table="analytics.ml_experiments")
    assert findings(res) == [(SELF, 1, "error", "R: table analytics.ml_experiments is not "
                              f"created in {SELF}, {MLOPS}")]


def test_wrong_and_missing_columns_are_reported_exactly():
    res = run(files=[MLOPS], table="ml_training_runs",
              columns={"metrics": "json", "run_name": "varchar(100)", "cost_usd": "numeric"})
    assert res.status is Status.FAIL
    assert findings(res) == [
        (MLOPS, 25, "error", "R: table ml_training_runs has no column cost_usd (its columns: id, "
                             "experiment_id, mlflow_run_id, run_name, hyperparameters, metrics, "
                             "status, duration_seconds, started_at, finished_at)"),
        (MLOPS, 29, "error", "R: column ml_training_runs.run_name has type varchar(255), "
                             "expected varchar(100)"),
        (MLOPS, 31, "error", "R: column ml_training_runs.metrics has type jsonb, expected json"),
    ]


def test_serial_is_not_integer():
    res = run(files=[MLOPS], table="ml_model_registry", columns={"id": "integer"})
    assert findings(res) == [(MLOPS, 39, "error", "R: column ml_model_registry.id has type "
                              "serial, expected integer")]
    assert run(files=[MLOPS], table="ml_model_registry",
               columns={"id": "serial4"}).status is Status.PASS


def test_names_in_comments_strings_and_function_bodies_do_not_count():
    for fake in ("fake_table_in_comment", "fake_table_in_block", "fake_table_in_string",
                 "fake_table_in_function", "fake_table_in_insert"):
        res = run(files=[MLOPS], table=fake)
        assert findings(res) == [(MLOPS, 1, "error",
                                  f"R: table {fake} is not created in {MLOPS}")], fake


def test_quoted_column_names():
    res = run(files=ML, table="experiment_knowledge_store", columns=['"Insight"'])
    assert res.status is Status.PASS
    res = run(files=ML, table="experiment_knowledge_store", columns=["Insight"])
    assert res.status is Status.FAIL
    assert "has no column insight" in res.findings[0].message


def test_columns_added_by_alter_table_count_with_their_statement_as_evidence():
    ragas = ["faithfulness_score", "answer_relevancy_score", "context_precision_score",
             "context_recall_score"]
    res = run(files=ML, table="learning_signals", columns={c: "double precision" for c in ragas})
    assert res.status is Status.PASS
    assert lines(res) == [(SELF, 28), (SELF, 36), (SELF, 37), (SELF, 38), (SELF, 39), (SELF, 40)]


# --------------------------------------------------------------------------------------------
# enum
# --------------------------------------------------------------------------------------------


def test_enum_with_labels_used_by_a_column():
    res = run(files=ML, enum="model_stage", values=["staging", "shadow", "production"],
              used_by={"table": "ml_model_registry", "column": "stage"})
    assert res.status is Status.PASS
    assert lines(res) == [(MLOPS, 13), (MLOPS, 42)]
    res = run(files=ML, enum="public.improvement_status", values=["proposed"],
              used_by={"table": "improvement_actions", "column": "status"})
    assert res.status is Status.PASS


def test_enum_missing_labels_and_wrong_column_type():
    res = run(files=ML, enum="model_stage", values=["dev", "production", "retired"],
              used_by={"table": "ml_training_runs", "column": "status"})
    assert findings(res) == [
        (MLOPS, 13, "error", "R: enum model_stage lacks labels 'dev', 'retired' (its labels: "
                             "'development', 'staging', 'shadow', 'production', 'archived')"),
        (MLOPS, 32, "error", "R: column ml_training_runs.status has type text, expected enum "
                             "model_stage"),
    ]
    res = run(files=ML, enum="model_stage", used_by={"table": "ml_model_registry",
                                                     "column": "lifecycle"})
    assert findings(res)[0][3] == ("R: table ml_model_registry has no column lifecycle "
                                   "(expected it to use enum model_stage)")


def test_enum_missing():
    res = run(files=ML, enum="deployment_stage")
    assert res.status is Status.FAIL
    assert findings(res) == [(SELF, 1, "error", "R: enum type deployment_stage is not created "
                              f"in {SELF}, {MLOPS}")]


# --------------------------------------------------------------------------------------------
# view
# --------------------------------------------------------------------------------------------


def test_view():
    res = run(files=ML, view="v_agent_latency_summary")
    assert res.status is Status.PASS
    assert res.evidence == (Location(MLOPS, res.evidence[0].span),)
    assert res.evidence[0].span.line == 75
    assert run(files=ML, view="mv_daily_token_usage", materialized=True).status is Status.PASS
    res = run(files=ML, view="v_agent_latency_summary", materialized=True)
    assert findings(res) == [(MLOPS, 75, "error", "R: v_agent_latency_summary is a plain view, "
                              "expected a materialized view")]
    res = run(files=ML, view="v_missing")
    assert res.status is Status.FAIL
    assert "view v_missing is not created in" in res.findings[0].message


# --------------------------------------------------------------------------------------------
# index
# --------------------------------------------------------------------------------------------


SPANS = "ml_observability_spans"


def test_index_each_column_leads_some_index():
    res = run(files=ML, index={"table": SPANS, "columns": ["trace_id", "agent_name",
                                                             "started_at"]})
    assert res.status is Status.PASS
    assert lines(res) == [(MLOPS, 70), (MLOPS, 71), (MLOPS, 72)]


def test_index_column_only_second_in_a_composite_does_not_count():
    files = [_facts_of("i.sql", "CREATE TABLE s (trace_id text, agent_name text, t timestamptz);\n"
                                "CREATE INDEX ix ON s (agent_name, t);\n"
                                "CREATE INDEX ix2 ON s (lower(trace_id));\n")]
    res = run(files, files=["i.sql"], index={"table": "s", "columns": ["agent_name", "t",
                                                                       "trace_id"]})
    assert findings(res) == [("i.sql", 1, "error", "R: no index on s has t, trace_id as its "
                              "first column (its indexes: ix(agent_name, t), "
                              "ix2((lower(trace_id))))")]


def test_index_missing_lists_the_existing_ones():
    res = run(files=ML, index={"table": SPANS, "columns": ["trace_id", "span_id"]})
    assert findings(res) == [(MLOPS, 49, "error", "R: no index on ml_observability_spans has "
                              "span_id as its first column (its indexes: <primary key>(id), "
                              "idx_spans_trace_id(trace_id), idx_spans_agent_name(agent_name, "
                              "started_at), idx_spans_started_at(started_at))")]


def test_index_prefix_unique_name_and_implicit_indexes():
    assert run(files=ML, index={"table": SPANS, "columns": ["agent_name", "started_at"],
                                "match": "prefix"}).status is Status.PASS
    res = run(files=ML, index={"table": SPANS, "columns": ["started_at", "agent_name"],
                               "match": "prefix"})
    assert res.status is Status.FAIL
    assert "no index on ml_observability_spans starts with (started_at, agent_name)" in \
        res.findings[0].message
    # PRIMARY KEY / UNIQUE constraints create indexes
    assert run(files=ML, index={"table": "ml_model_registry",
                                "columns": ["model_name", "model_version"], "match": "prefix",
                                "unique": True}).status is Status.PASS
    res = run(files=ML, index={"table": SPANS, "columns": ["trace_id"], "unique": True})
    assert res.status is Status.FAIL
    assert res.findings[0].message.startswith("R: no unique index on ml_observability_spans has "
                                              "trace_id as its first column")
    assert run(files=ML, index={"table": SPANS, "name": "idx_spans_trace_id"}).status \
        is Status.PASS
    res = run(files=ML, index={"table": SPANS, "name": "idx_nope"})
    assert findings(res) == [(MLOPS, 49, "error", "R: no index named idx_nope on "
                              "ml_observability_spans")]


# --------------------------------------------------------------------------------------------
# files, unparsed statements, cross-file order
# --------------------------------------------------------------------------------------------


def test_missing_files_are_failures():
    res = run(files=["database/ml/mlops.sql", MLOPS], table="ml_experiments")
    assert res.status is Status.FAIL
    assert findings(res) == [("database/ml/mlops.sql", 1, "error",
                              "R: database/ml/mlops.sql: file not found")]
    res = run(files=["db/**/*.sql"], table="ml_experiments")
    assert res.status is Status.FAIL
    assert findings(res) == [("db", 1, "error", "R: no file matches db/**/*.sql")]


def test_a_statement_that_did_not_parse_makes_an_absence_unknown():
    res = run(files=[BROKEN], table="broken_table")
    assert res.status is Status.UNKNOWN
    msg = ("could not decide: table broken_table is not created in database/broken_middle.sql, "
           "and the statement at database/broken_middle.sql:3 did not parse: syntax error at "
           "end of input (at line 6)")
    assert findings(res) == [(BROKEN, 1, "info", f"R: {msg}")]
    assert res.note == f"R: {msg}"
    # what was read is still decided
    assert run(files=[BROKEN], table="after_broken", columns={"note": "text"}).status \
        is Status.PASS
    res = run(files=[BROKEN], table="after_broken", columns={"note": "jsonb"})
    assert res.status is Status.FAIL
    # the broken statement names broken_table (and its columns), not after_broken: it cannot
    # add a column to after_broken, so that absence is decided
    res = run(files=[BROKEN], table="after_broken", columns=["missing_col"])
    assert res.status is Status.FAIL
    assert findings(res) == [(BROKEN, 8, "error", "R: table after_broken has no column "
                              "missing_col (its columns: id, note)")]


def test_unterminated_dollar_quote_makes_later_objects_unknown():
    res = run(files=["database/unterminated_dollar.sql"], table="swallowed")
    assert res.status is Status.UNKNOWN
    assert "did not parse: unterminated dollar-quoted string" in res.findings[0].message


def test_file_outside_the_rules_scope_is_unknown_not_missing():
    res = run([], all_paths=frozenset({MLOPS}), files=[MLOPS], table="ml_experiments")
    assert res.status is Status.UNKNOWN
    assert "database/ml/mlops_tables.sql exists but is outside the rule's `where:` paths" in \
        res.findings[0].message


def test_columns_of_a_table_built_from_like_are_not_all_known():
    files = [_facts_of("l.sql", "CREATE TABLE base (a int);\nCREATE TABLE copy (LIKE base);\n")]
    res = run(files, files=["l.sql"], table="copy", columns=["a"])
    assert res.status is Status.UNKNOWN
    assert "the column list of copy is not fully known (l.sql:2 uses LIKE" in \
        res.findings[0].message


def test_files_apply_in_path_order():
    files = [
        _facts_of("m/001_init.sql", "CREATE TABLE runs (id int, legacy text);\n"
                                    "CREATE TABLE old_spans (id int);\n"
                                    "CREATE VIEW v AS SELECT 1;\n"),
        _facts_of("m/002_more.sql", "ALTER TABLE runs ADD COLUMN metrics jsonb;\n"
                                    "CREATE TABLE IF NOT EXISTS runs (id bigint);\n"
                                    "DROP TABLE old_spans;\nDROP VIEW v;\n"
                                    "ALTER TABLE ghost ADD COLUMN x int;\n"),
    ]
    res = run(files, files=["m/*.sql"], table="runs", columns={"id": "integer",
                                                               "metrics": "jsonb"})
    assert res.status is Status.PASS
    assert lines(res) == [("m/001_init.sql", 1), ("m/002_more.sql", 1), ("m/001_init.sql", 1),
                          ("m/002_more.sql", 1)]
    assert run(files, files=["m/*.sql"], table="old_spans").status is Status.FAIL
    assert run(files, files=["m/*.sql"], view="v").status is Status.FAIL
    res = run(files, files=["m/*.sql"], table="ghost")
    assert findings(res) == [("m/002_more.sql", 5, "error", "R: table ghost is altered at "
                              "m/002_more.sql:5 but never created")]


# --------------------------------------------------------------------------------------------
# Parameter validation
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("given, error", [
    ({}, "give exactly one of table, enum, view, index"),
    ({"table": "t", "view": "v"}, "give exactly one of table, enum, view, index (got table, view)"),
    ({"files": []}, "files: list at least one SQL file or glob"),
    ({"files": ["/abs.sql"], "table": "t"},
     "files: '/abs.sql' must be relative to the project root"),
    ({"table": "a.b.c"}, "table: 'a.b.c' is not a (schema.)name"),
    ({"table": "t", "columns": {"c": "not a type at all"}},
     "columns.c: 'not a type at all' is not a SQL type"),
    ({"table": "t", "columns": ["a.b"]}, "columns: 'a.b' is not a column name"),
    ({"view": "v", "columns": ["a"]}, "columns only applies with table"),
    ({"enum": "e", "used_by": {"table": "t"}}, "used_by: must be {table: <name>, column: <name>}"),
    ({"table": "t", "values": ["a"]}, "values only applies with enum"),
    ({"index": {"columns": ["a"]}}, "index.table: required, a (schema.)name"),
    ({"index": {"table": "t"}}, "index: give columns (a list) and/or name"),
    ({"index": {"table": "t", "columns": ["a"], "match": "any"}},
     "index.match: must be leading or prefix, got 'any'"),
    ({"index": {"table": "t", "columns": ["a"], "cols": 1}},
     "index: unknown key(s) cols (allowed: columns, match, name, table, unique)"),
])
def test_validate_rejects(given, error):
    params = _params(files=ML)
    params.update(given)
    assert error in SqlSchemaCheck.validate(params)


def test_validate_accepts_the_spec_rules():
    for given in ({"table": "ml_training_runs", "columns": {"metrics": "jsonb"}},
                  {"enum": "model_stage", "values": ["dev"], "used_by": {
                      "table": "ml_model_registry", "column": "stage"}},
                  {"view": "v_agent_latency_summary"},
                  {"index": {"table": SPANS, "columns": ["trace_id", "agent_name"]}}):
        assert SqlSchemaCheck.validate(_params(files=ML, **given)) == []
    assert SqlSchemaCheck.validate(_params(files=MLOPS, table="t")) == []  # a single string


def test_only_reading_problems_block_a_decision():
    from dataclasses import replace

    from obs_lint.facts.model import Problem
    base = next(f for f in FILES if f.path == MLOPS)
    noted = replace(base, problems=(Problem("bad-suppression", "malformed marker"),))
    assert run([noted], files=[MLOPS], table="nope").status is Status.FAIL
    skipped = FileFacts(path=MLOPS, kind=FileKind.SQL, digest="",
                        problems=(Problem("skipped", "file is over the byte budget"),))
    res = run([skipped], files=[MLOPS], table="ml_experiments")
    assert res.status is Status.UNKNOWN
    assert findings(res) == [(MLOPS, 1, "info", "R: could not decide: table ml_experiments is "
                              f"not created in {MLOPS}, and {MLOPS} could not be read: file is "
                              "over the byte budget")]
