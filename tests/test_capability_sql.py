"""SQL: objects created inside DO blocks, IF NOT EXISTS, later ALTERs in path order, schema
qualified names, column requirements by role, enums through used_by, and broken statements
that only block rules about the objects they name."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from checkkit import evaluate_kind, file_facts, finding_rows
from obs_lint.checks.sql_schema import SqlSchemaCheck
from obs_lint.facts.sql import extract
from obs_lint.types import FileKind, Status

ROOT = Path(".")


def facts(files: dict[str, str]):
    return [file_facts(ROOT, rel, FileKind.SQL, extract, text) for rel, text in
            sorted(files.items())]


def run(files: dict[str, str], **given: Any):
    return evaluate_kind(SqlSchemaCheck, facts(files), ROOT, None, "T7", 7,
                         files=sorted(files), **given)


def evidence(res):
    return [(e.path, e.span.line) for e in res.evidence]


DO_BLOCKS = """\
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_type WHERE typname = 'model_stage') THEN
        CREATE TYPE model_stage AS ENUM ('staging', 'production');
    END IF;
END
$$;

DO $$ BEGIN
    CREATE TYPE signal_kind AS ENUM ('ragas', 'rubric');
EXCEPTION
    WHEN duplicate_object THEN null;
END $$;

CREATE TABLE IF NOT EXISTS ml_model_registry (
    id uuid PRIMARY KEY,
    stage model_stage NOT NULL,
    kind signal_kind
);

DO $$
BEGIN
    EXECUTE 'CREATE INDEX IF NOT EXISTS idx_registry_stage ON ml_model_registry (stage)';
END
$$;
"""


# -- DO blocks ---------------------------------------------------------------------------------

def test_enum_created_under_if_not_exists_in_do_block():
    res = run({"m.sql": DO_BLOCKS}, enum="model_stage", values=["staging", "production"],
              used_by={"table": "ml_model_registry", "column": "stage"})
    assert res.status is Status.PASS, finding_rows(res)
    assert evidence(res)[0] == ("m.sql", 4)


def test_enum_created_with_duplicate_object_handler():
    res = run({"m.sql": DO_BLOCKS}, enum="signal_kind", values=["ragas"])
    assert res.status is Status.PASS, finding_rows(res)
    assert evidence(res) == [("m.sql", 10)]


def test_index_created_by_execute_literal():
    res = run({"m.sql": DO_BLOCKS}, index={"table": "ml_model_registry", "columns": ["stage"]})
    assert res.status is Status.PASS, finding_rows(res)
    res = run({"m.sql": DO_BLOCKS}, index={"table": "ml_model_registry", "columns": ["kind"]})
    assert res.status is Status.FAIL
    assert "kind" in finding_rows(res)[0][3]


def test_enum_found_through_used_by_alone():
    res = run({"m.sql": DO_BLOCKS}, used_by={"table": "ml_model_registry", "column": "stage"},
              values=["production"])
    assert res.status is Status.PASS, finding_rows(res)
    res = run({"m.sql": DO_BLOCKS}, used_by={"table": "ml_model_registry", "column": "stage"},
              values=["archived"])
    assert res.status is Status.FAIL
    assert finding_rows(res)[0][2:] == (
        "error", "R: enum model_stage lacks label 'archived' (its labels: 'staging', "
                 "'production')")


def test_used_by_column_that_is_not_an_enum():
    res = run({"m.sql": "CREATE TABLE t (stage text);\n"},
              used_by={"table": "t", "column": "stage"}, values=["a"])
    assert res.status is Status.FAIL
    assert finding_rows(res)[0][:2] == ("m.sql", 1)


# -- IF NOT EXISTS, later ALTERs, path order ---------------------------------------------------

MIGRATIONS = {
    "db/001_init.sql": "CREATE TABLE IF NOT EXISTS learning_signals (id bigint, note text);\n",
    "db/002_ragas.sql": "\n\nALTER TABLE learning_signals ADD COLUMN IF NOT EXISTS "
                        "ragas_faithfulness double precision;\n"
                        "ALTER TABLE learning_signals ADD COLUMN eval_metrics jsonb;\n",
    "db/003_again.sql": "CREATE TABLE IF NOT EXISTS learning_signals (id bigint);\n",
}


def test_columns_added_in_later_migration_count_with_alter_as_evidence():
    res = run(MIGRATIONS, table="learning_signals",
              columns={"ragas_faithfulness": "float8", "note": "text"})
    assert res.status is Status.PASS, finding_rows(res)
    assert ("db/002_ragas.sql", 3) in evidence(res)
    assert evidence(res)[0] == ("db/001_init.sql", 1)


def test_later_if_not_exists_recreation_is_a_noop():
    res = run(MIGRATIONS, table="learning_signals", columns=["note", "eval_metrics"])
    assert res.status is Status.PASS, finding_rows(res)


def test_missing_column_lists_the_known_ones():
    res = run(MIGRATIONS, table="learning_signals", columns=["rubric_score"])
    assert res.status is Status.FAIL
    assert finding_rows(res) == [("db/001_init.sql", 1, "error",
                                  "R: table learning_signals has no column rubric_score (its "
                                  "columns: id, note, ragas_faithfulness, eval_metrics)")]


# -- schema-qualified names ------------------------------------------------------------------

def test_schema_qualified_names():
    files = {"s.sql": "CREATE SCHEMA analytics;\nCREATE TABLE analytics.spans (id int);\n"
                      "CREATE TABLE runs (id int);\n"}
    assert run(files, table="analytics.spans").status is Status.PASS
    assert run(files, table="spans").status is Status.PASS
    assert run(files, table="public.runs").status is Status.PASS
    res = run(files, table="public.spans")
    assert res.status is Status.FAIL
    assert "public.spans" in finding_rows(res)[0][3]


# -- columns by role -------------------------------------------------------------------------

RUNS = """\
CREATE TABLE ml_training_runs (
    id uuid,
    train_metrics jsonb,
    test_metrics json,
    started_at timestamptz
);
"""


def test_column_glob_requires_a_match_and_every_match_typed():
    res = run({"r.sql": RUNS}, table="ml_training_runs", columns={"train_*": "jsonb"})
    assert res.status is Status.PASS, finding_rows(res)
    res = run({"r.sql": RUNS}, table="ml_training_runs", columns={"*metrics": "jsonb"})
    assert res.status is Status.FAIL
    assert "test_metrics" in finding_rows(res)[0][3] and "json" in finding_rows(res)[0][3]
    res = run({"r.sql": RUNS}, table="ml_training_runs", columns={"*params": "jsonb"})
    assert res.status is Status.FAIL
    assert "*params" in finding_rows(res)[0][3]


def test_columns_any_of():
    res = run({"r.sql": RUNS}, table="ml_training_runs",
              columns_any_of=[["metrics"], ["train_metrics", "test_metrics"]])
    assert res.status is Status.PASS, finding_rows(res)
    res = run({"r.sql": RUNS}, table="ml_training_runs",
              columns_any_of=[["metrics"], ["*_score"]])
    assert res.status is Status.FAIL
    msg = finding_rows(res)[0][3]
    assert "metrics" in msg and "*_score" in msg


# -- a broken statement blocks only the objects it names -------------------------------------

BROKEN = """\
CREATE TABLE good (id int);
CREATE TABLE agent_spans (id int, trace_id text,, bad);
CREATE TABLE other (id int);
"""


def test_broken_statement_blocks_rules_about_the_objects_it_names():
    res = run({"b.sql": BROKEN}, table="agent_spans")
    assert res.status is Status.UNKNOWN
    assert "b.sql:2 did not parse" in finding_rows(res)[0][3]
    res = run({"b.sql": BROKEN}, table="good", columns=["trace_id"])
    assert res.status is Status.FAIL, finding_rows(res)
    res = run({"b.sql": BROKEN}, table="missing_table")
    assert res.status is Status.FAIL, finding_rows(res)
    assert finding_rows(res)[0][3] == "R: table missing_table is not created in b.sql"
    res = run({"b.sql": BROKEN}, index={"table": "other", "columns": ["id"]})
    assert res.status is Status.FAIL, finding_rows(res)


def test_broken_statement_naming_a_table_blocks_its_columns():
    broken = "CREATE TABLE t (id int);\nALTER TABLE t ADD COLUMN score float8 DEFAULT (;\n"
    res = run({"b.sql": broken}, table="t", columns=["score"])
    assert res.status is Status.UNKNOWN, finding_rows(res)


# -- the facts themselves (facts/sql.py) ------------------------------------------------------

def test_do_block_facts():
    f, problems = extract("m.sql", DO_BLOCKS)
    assert problems == ()
    assert [(e.name, e.values, e.span.line) for e in f.enums] == [
        ("model_stage", ("staging", "production"), 4), ("signal_kind", ("ragas", "rubric"), 10)]
    (t,) = f.tables
    assert (t.name, t.schema, t.if_not_exists, t.span.line) == ("ml_model_registry", "", True, 15)
    assert [(i.name, i.table, i.columns) for i in f.indexes if not i.implicit] == [
        ("idx_registry_stage", "ml_model_registry", ("stage",))]
    assert f.opaque == ()


def test_alter_add_column_facts_keep_their_origin():
    f, _ = extract("db/002_ragas.sql", MIGRATIONS["db/002_ragas.sql"])
    (t,) = f.tables
    assert t.created is False
    assert [(c.name, c.type, c.origin, c.span.line) for c in t.columns] == [
        ("ragas_faithfulness", "double precision", "alter", 3),
        ("eval_metrics", "jsonb", "alter", 4)]


def test_opaque_statement_words_name_its_objects():
    f, problems = extract("b.sql", BROKEN)
    assert [t.name for t in f.tables] == ["good", "other"]
    (op,) = f.opaque
    assert op.span.line == 2
    assert "agent_spans" in op.words and "trace_id" in op.words
    assert "good" not in op.words and "other" not in op.words
    assert len(problems) == 1


def test_qualified_alter_in_later_file_adds_to_unqualified_table():
    files = {"db/001.sql": "CREATE TABLE t (id int);\n",
             "db/002.sql": "ALTER TABLE public.t ADD COLUMN IF NOT EXISTS score float8;\n"}
    res = run(files, table="t", columns=["score"])
    assert res.status is Status.PASS, finding_rows(res)
    assert evidence(res)[0] == ("db/001.sql", 1)
    assert set(evidence(res)) == {("db/001.sql", 1), ("db/002.sql", 1)}


def test_alter_in_do_block_with_duplicate_column_handler():
    files = {"db/001.sql": "CREATE TABLE t (id int);\n",
             "db/002.sql": "DO $$ BEGIN\n  ALTER TABLE t ADD COLUMN c jsonb;\n"
                           "EXCEPTION WHEN duplicate_column THEN null;\nEND $$;\n"}
    assert run(files, table="t", columns={"c": "jsonb"}).status is Status.PASS


def test_execute_of_a_built_string_is_undecidable():
    files = {"m.sql": "CREATE TABLE t (id int);\nDO $$ BEGIN EXECUTE format('CREATE INDEX %I "
                      "ON t (id)', 'idx'); END $$;\n"}
    res = run(files, index={"table": "t", "columns": ["id"]})
    assert res.status is Status.UNKNOWN
    assert finding_rows(res) == [("m.sql", 1, "info", "R: could not decide: no index on t has id "
                                  "as its first column (its indexes: none), and the statement at "
                                  "m.sql:2: EXECUTE of a string built at run time")]


def test_enum_value_added_by_alter_type():
    files = {"m.sql": "CREATE TYPE s AS ENUM ('a');\nALTER TYPE s ADD VALUE IF NOT EXISTS 'b';\n"
                      "CREATE TABLE t (st s);\n"}
    assert run(files, enum="s", values=["a", "b"],
               used_by={"table": "t", "column": "st"}).status is Status.PASS


def test_table_created_inside_a_function_body_does_not_exist():
    files = {"m.sql": "CREATE TABLE t (id int);\nCREATE FUNCTION f() RETURNS void AS $$ BEGIN "
                      "CREATE TABLE q(id int); END $$ LANGUAGE plpgsql;\n"}
    res = run(files, table="q")
    assert res.status is Status.FAIL
    assert finding_rows(res) == [("m.sql", 1, "error", "R: table q is not created in m.sql")]


def test_columns_any_of_blocked_only_by_a_statement_naming_the_table():
    ok = {"m.sql": "CREATE TABLE t (id int, m jsonb);\nCREATE TABLE u (id int) garbage here;\n"}
    res = run(ok, table="t", columns_any_of=[["metrics"]])
    assert res.status is Status.FAIL
    assert finding_rows(res) == [("m.sql", 1, "error", "R: table t has none of the column sets "
                                  "(metrics) (its columns: id, m)")]
    blocked = {"m.sql": "CREATE TABLE t (id int, m jsonb);\n"
                        "ALTER TABLE t ADD COLUMN metrics jsonb DEFAULT (;\n"}
    assert run(blocked, table="t", columns_any_of=[["metrics"]]).status is Status.UNKNOWN


def test_used_by_alone_with_schema_qualified_enum_and_later_retype():
    files = {"m.sql": "CREATE SCHEMA ml;\nCREATE TYPE ml.stage_t AS ENUM ('a', 'b');\n"
                      "CREATE TABLE ml.reg (st ml.stage_t);\n"}
    assert run(files, used_by={"table": "ml.reg", "column": "st"},
               values=["a"]).status is Status.PASS
    files = {"db/001.sql": "CREATE TABLE reg (st text);\n",
             "db/002.sql": "CREATE TYPE stage_t AS ENUM ('a');\n"
                           "ALTER TABLE reg ALTER COLUMN st TYPE stage_t USING st::stage_t;\n"}
    assert run(files, used_by={"table": "reg", "column": "st"},
               values=["a"]).status is Status.PASS


def test_used_by_alone_with_a_type_not_created_in_the_files():
    res = run({"m.sql": "CREATE TABLE reg (st stage_t);\n"},
              used_by={"table": "reg", "column": "st"}, values=["a"])
    assert res.status is Status.FAIL
    assert finding_rows(res) == [("m.sql", 1, "error", "R: column reg.st has type stage_t, which "
                                  "is not an enum type created in m.sql")]
