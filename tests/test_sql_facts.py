"""SQL fact extraction with pglast: what PostgreSQL would create, robust to broken statements."""

from __future__ import annotations

import pickle
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from obs_lint.facts.sql import SqlFacts, extract, normalize_type, parse_type

FIX = Path(__file__).resolve().parent.parent / "fixtures" / "checks" / "sql-schema"
MLOPS = "database/ml/mlops_tables.sql"
SELF = "database/ml/022_self_improvement_tables.sql"


def _facts(rel: str):
    return extract(rel, (FIX / rel).read_text(encoding="utf-8"))


def _table(facts: SqlFacts, name: str):
    (t,) = [t for t in facts.tables if t.name == name]
    return t


def _cols(table) -> dict[str, str]:
    return {c.name: c.type for c in table.columns}


# --------------------------------------------------------------------------------------------
# The realistic fixtures
# --------------------------------------------------------------------------------------------


def test_mlops_tables_are_read_and_nothing_else():
    facts, problems = _facts(MLOPS)
    assert problems == ()
    # comments, string literals, function bodies and INSERT values that spell
    # "CREATE TABLE fake_table_..." create nothing; a DO block runs when the migration does,
    # so the table its `EXECUTE 'literal'` creates exists afterwards
    assert [t.name for t in facts.tables] == [
        "ml_experiments", "ml_training_runs", "ml_model_registry", "ml_observability_spans",
        "fake_table_in_do"]
    assert facts.skipped == 1  # the INSERT
    assert facts.statements == 19  # the DO block counts as the two statements it runs


def test_quoted_schema_qualified_name_is_normalised_with_schema_kept():
    facts, _ = _facts(MLOPS)
    t = _table(facts, "ml_experiments")
    assert (t.schema, t.name, t.span.line, t.if_not_exists) == ("public", "ml_experiments", 15,
                                                               True)
    assert t.rls_enabled is True


def test_column_types_are_normalised():
    facts, _ = _facts(MLOPS)
    assert _cols(_table(facts, "ml_experiments")) == {
        "id": "uuid", "experiment_name": "varchar", "mlflow_experiment_id": "text",
        "description": "text", "tags": "jsonb", "created_at": "timestamptz",
        "updated_at": "timestamptz"}
    runs = _table(facts, "ml_training_runs")
    assert _cols(runs)["metrics"] == "jsonb"
    assert _cols(runs)["duration_seconds"] == "integer"
    assert runs.column("run_name").type_text == "varchar(255)"
    assert runs.column("experiment_id").references == "ml_experiments(id)"
    assert runs.column("experiment_id").not_null is True
    assert runs.column("metrics").span.line == 31
    reg = _table(facts, "ml_model_registry")
    assert reg.column("id").type == "serial"  # strict: serial is not integer
    assert (reg.column("stage").type, reg.column("stage").type_schema) == ("model_stage",
                                                                          "public")
    spans = _table(facts, "ml_observability_spans")
    assert _cols(spans)["duration_ms"] == "double precision"
    assert _cols(spans)["agent_tier"] == "smallint"
    assert _cols(spans)["id"] == "bigserial"


def test_alter_table_add_column_is_merged():
    facts, _ = _facts(MLOPS)
    col = _table(facts, "ml_observability_spans").column("model_name")
    assert (col.type, col.span.line) == ("text", 68)
    facts, problems = _facts(SELF)
    assert problems == ()
    ls = _table(facts, "learning_signals")
    assert [c.name for c in ls.columns][-4:] == [
        "faithfulness_score", "answer_relevancy_score", "context_precision_score",
        "context_recall_score"]
    assert ls.column("context_recall_score").span.line == 40
    assert ls.column("id").type == "bigint"
    assert [s.line for s in ls.spans] == [28, 36]  # the CREATE, then the ALTER


def test_enums_views_indexes_and_other_objects():
    facts, _ = _facts(MLOPS)
    (enum,) = facts.enums
    assert (enum.name, enum.schema, enum.span.line) == ("model_stage", "", 13)
    assert enum.values == ("development", "staging", "shadow", "production", "archived")
    assert [(v.name, v.materialized, v.span.line) for v in facts.views] == [
        ("v_agent_latency_summary", False, 75), ("mv_daily_token_usage", True, 85)]
    explicit = [(i.name, i.table, i.columns, i.method, i.span.line)
                for i in facts.indexes if not i.implicit]
    assert explicit == [
        ("idx_spans_trace_id", "ml_observability_spans", ("trace_id",), "btree", 70),
        ("idx_spans_agent_name", "ml_observability_spans", ("agent_name", "started_at"),
         "btree", 71),
        ("idx_spans_started_at", "ml_observability_spans", ("started_at",), "btree", 72),
        ("idx_runs_metrics", "ml_training_runs", ("metrics",), "gin", 73),
    ]
    implicit = [(i.table, i.columns, i.implicit) for i in facts.indexes if i.implicit]
    assert ("ml_experiments", ("experiment_name",), "unique") in implicit
    assert ("ml_model_registry", ("model_name", "model_version"), "unique") in implicit
    assert ("ml_observability_spans", ("id",), "primary key") in implicit
    assert [(o.kind, o.name, o.table) for o in facts.objects] == [
        ("function", "set_updated_at", ""),
        ("trigger", "trg_ml_experiments_updated_at", "ml_experiments"),
        ("policy", "ml_experiments_read", "ml_experiments"),
    ]


def test_quoted_identifiers_keep_their_case_and_unquoted_ones_are_lowered():
    facts, _ = _facts(SELF)
    eks = _table(facts, "experiment_knowledge_store")
    assert "Insight" in _cols(eks)
    (enum,) = facts.enums
    assert (enum.schema, enum.name) == ("public", "improvement_status")
    assert _table(facts, "improvement_actions").column("status").type == "improvement_status"
    facts, _ = extract("m.sql", 'CREATE TABLE "MixedCase" (ID int, "Quoted" text);\n'
                                "CREATE TABLE Upper_T (x int);")
    assert [(t.name, [c.name for c in t.columns]) for t in facts.tables] == [
        ("MixedCase", ["id", "Quoted"]), ("upper_t", ["x"])]


# --------------------------------------------------------------------------------------------
# Type normalisation
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("written, expected", [
    ("INT", "integer"), ("integer", "integer"), ("int4", "integer"), ("pg_catalog.int4", "integer"),
    ("smallint", "smallint"), ("int8", "bigint"), ("BIGINT", "bigint"),
    ("timestamp with time zone", "timestamptz"), ("TIMESTAMPTZ", "timestamptz"),
    ("timestamp(3) with time zone", "timestamptz"), ("timestamp", "timestamp"),
    ("time with time zone", "timetz"), ("character varying(20)", "varchar"),
    ("VARCHAR", "varchar"), ("char(3)", "char"), ("JSONB", "jsonb"), ("json", "json"),
    ("uuid", "uuid"), ("serial", "serial"), ("serial8", "bigserial"), ("bool", "boolean"),
    ("double precision", "double precision"), ("float", "double precision"),
    ("float(10)", "real"), ("real", "real"), ("decimal(5,2)", "numeric"), ("text[]", "text[]"),
    ("integer[][]", "integer[][]"), ('"JSONB"', "JSONB"), ("model_stage", "model_stage"),
])
def test_parse_type_normalises(written, expected):
    assert parse_type(written)[0] == expected


def test_parse_type_keeps_modifiers_and_schema_apart():
    assert parse_type("varchar(255)") == ("varchar", "varchar(255)", "")
    assert parse_type("numeric(10, 2)") == ("numeric", "numeric(10,2)", "")
    assert parse_type("public.model_stage") == ("model_stage", "model_stage", "public")
    assert parse_type("not a type at all") is None
    assert parse_type("int; DROP TABLE x") is None
    assert parse_type("") is None
    assert normalize_type(["pg_catalog", "int8"]) == ("bigint", "")
    assert normalize_type(["myschema", "int4"]) == ("int4", "myschema")


# --------------------------------------------------------------------------------------------
# Broken and hostile input
# --------------------------------------------------------------------------------------------


def test_broken_statement_between_two_good_ones():
    facts, problems = _facts("database/broken_middle.sql")
    assert [t.name for t in facts.tables] == ["before_broken", "after_broken"]
    (p,) = problems
    assert p.rule == "parse-error"
    assert p.message == "SQL statement does not parse: syntax error at end of input (at line 6)"
    assert (p.span.line, p.span.end_line) == (3, 6)


def test_unterminated_dollar_quote_is_a_problem_and_swallows_the_rest():
    facts, problems = _facts("database/unterminated_dollar.sql")
    assert [t.name for t in facts.tables] == ["before_quote"]
    (p,) = problems
    assert p.rule == "parse-error"
    assert p.message.startswith("SQL statement does not parse: unterminated dollar-quoted string")
    assert "the rest of the file (to line 9) is inside it and was not read" in p.message
    assert p.span.line == 3


@pytest.mark.parametrize("text, tables, line, fragment", [
    # an unclosed "(" makes libpg_query's scanner split swallow the rest: the fallback recovers
    ("CREATE TABLE a (x int;\nCREATE TABLE b (y int);\nCREATE TABLE c (z int);",
     ["b", "c"], 1, "syntax error at end of input"),
    ("CREATE TABLE a (x int));\nCREATE TABLE b (y int);\n", ["b"], 1,
     'syntax error at or near ")"'),
    ("CREATE TABLE a (x int);\n/* never closed\nCREATE TABLE b (y int);\n", ["a"], 2,
     "unterminated /* comment"),
    ("CREATE TABLE a (x int);\nSELECT 'abc;\nCREATE TABLE b (y int);\n", ["a"], 2,
     "unterminated quoted string"),
    ("CREATE TABLE a (x int) ENGINE=InnoDB;\nCREATE TABLE b (y int);\n", ["b"], 1,
     'syntax error at or near "ENGINE"'),
    ("FROBNICATE everything;\nCREATE TABLE b (y int);\n", ["b"], 1,
     'syntax error at or near "FROBNICATE"'),
    ("CREATE TABLE a (x int);\x00\nCREATE TABLE b (y int);\n", ["a", "b"], 1, "NUL"),
])
def test_bad_input_is_a_problem_and_the_rest_is_read(text, tables, line, fragment):
    facts, problems = extract("bad.sql", text)
    assert [t.name for t in facts.tables] == tables
    assert len(problems) == 1
    assert problems[0].rule == "parse-error"
    assert fragment in problems[0].message
    assert problems[0].span.line == line


def test_copy_from_stdin_data_and_psql_meta_commands_are_skipped():
    text = ("\\set ON_ERROR_STOP on\n\\connect mydb\n"
            "CREATE TABLE a (x int, t text);\n"
            "COPY a (x, t) FROM stdin;\n1\tfoo; CREATE TABLE nope (q int)\n2\tbar\n\\.\n"
            "CREATE TABLE b (y int);\n")
    facts, problems = extract("dump.sql", text)
    assert problems == ()
    assert [t.name for t in facts.tables] == ["a", "b"]
    assert _table(facts, "b").span.line == 8
    assert facts.skipped == 1


def test_sql_standard_function_body_is_rejoined():
    facts, problems = extract("f.sql", "CREATE FUNCTION f() RETURNS int LANGUAGE sql\n"
                                       "BEGIN ATOMIC SELECT 1; SELECT 2; END;\n"
                                       "CREATE TABLE a (x int);")
    assert problems == ()
    assert [o.name for o in facts.objects] == ["f"]
    assert [t.name for t in facts.tables] == ["a"]


def test_statements_apply_in_order_drops_renames_and_enum_changes():
    text = ("DROP TABLE IF EXISTS old_t;\n"
            "CREATE TABLE a (x int);\nDROP TABLE a;\n"
            "DROP TYPE IF EXISTS st;\nCREATE TYPE st AS ENUM ('a');\n"
            "ALTER TYPE st ADD VALUE 'b' BEFORE 'a';\nALTER TYPE st ADD VALUE 'c';\n"
            "ALTER TYPE st RENAME VALUE 'a' TO 'z';\n"
            "ALTER TYPE other_e ADD VALUE 'q';\n"
            "CREATE TABLE r (x int, gone text);\nALTER TABLE r RENAME COLUMN x TO y;\n"
            "ALTER TABLE r DROP COLUMN gone;\nALTER TABLE r ALTER COLUMN y TYPE bigint;\n"
            "ALTER TABLE r RENAME TO s;\nCREATE INDEX i ON s (y);\n"
            "ALTER TABLE elsewhere ADD COLUMN q jsonb;\n"
            "CREATE TEMP TABLE tmp (x int);\nCREATE TABLE l (LIKE s);\n")
    facts, problems = extract("m.sql", text)
    assert problems == ()
    assert [(d.kind, d.name) for d in facts.drops] == [("table", "old_t")]
    assert [(e.name, e.values, e.created) for e in facts.enums] == [
        ("st", ("b", "z", "c"), True), ("other_e", ("q",), False)]
    assert [(t.name, t.created, t.complete, _cols(t)) for t in facts.tables] == [
        ("s", True, True, {"y": "bigint"}),
        ("elsewhere", False, True, {"q": "jsonb"}),
        ("l", True, False, {}),
    ]
    assert [(i.name, i.table, i.columns) for i in facts.indexes] == [("i", "s", ("y",))]


def test_alter_before_create_keeps_both_entries_in_order():
    facts, problems = extract("m.sql", "ALTER TABLE IF EXISTS runs ADD COLUMN metrics jsonb;\n"
                                       "CREATE TABLE IF NOT EXISTS runs (id int);\n"
                                       "ALTER TABLE runs ADD COLUMN status text;\n")
    assert problems == ()
    assert [(t.name, t.created, [(c.name, c.origin) for c in t.columns]) for t in facts.tables] \
        == [("runs", False, [("metrics", "alter")]),
            ("runs", True, [("id", "create"), ("status", "alter")])]
    facts, _ = extract("m.sql", "ALTER TABLE runs ADD COLUMN a int;\nCREATE TABLE runs (b int);\n"
                                "DROP TABLE runs;\n")
    assert facts.tables == () and facts.drops == ()


def test_five_megabytes_of_inserts_are_read_statement_by_statement(tmp_path):
    path = tmp_path / "seed.sql"
    with path.open("w", encoding="utf-8") as fh:
        fh.write("CREATE TABLE t (id int, name text, payload jsonb);\n")
        i = size = 0
        while size < 5_000_000:
            row = (f"INSERT INTO t (id, name, payload) VALUES ({i}, 'name {i}; it''s (', "
                   f"'{{\"k\": {i}}}');\n")
            fh.write(row)
            size += len(row)
            i += 1
        fh.write("CREATE TABLE after_inserts (id int);\n")
    text = path.read_text(encoding="utf-8")
    assert len(text) > 5_000_000
    facts, problems = extract("seed.sql", text)
    assert problems == ()
    assert [t.name for t in facts.tables] == ["t", "after_inserts"]
    assert facts.skipped == i
    # a broken statement at the top forces the fallback splitter over the whole file
    facts, problems = extract("seed.sql", "CREATE TABLE broken (id int,;\n" + text)
    assert [t.name for t in facts.tables] == ["t", "after_inserts"]
    assert len(problems) == 1


def test_empty_and_comment_only_files():
    assert extract("e.sql", "") == (SqlFacts(), ())
    assert extract("e.sql", "-- nothing\n/* here /* nested */ */\n") == (SqlFacts(), ())


def test_deeply_nested_expression_does_not_crash():
    facts, problems = extract("d.sql", "SELECT " + "(" * 5000 + "1" + ")" * 5000 +
                              ";\nCREATE TABLE b (y int);\n")
    assert [t.name for t in facts.tables] == ["b"]
    assert all(p.rule == "parse-error" for p in problems)


def test_facts_are_picklable():
    facts, _ = _facts(MLOPS)
    assert pickle.loads(pickle.dumps(facts)) == facts


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from([
    "CREATE TABLE t (a int", ")", ";", "$$", "$x$", "'", '"', "--", "/*", "*/", "\n",
    "CREATE TYPE e AS ENUM ('a'", "ALTER TABLE t ADD COLUMN b jsonb", "DO ", "BEGIN ATOMIC",
    "INSERT INTO t VALUES (1", "DROP TABLE t", "CREATE INDEX ON t (a", "COPY t FROM stdin",
    "\\.", "\\set x", "é", "\x00", " ",
]), max_size=30))
def test_extract_never_raises(parts):
    facts, problems = extract("f.sql", "".join(parts))
    assert isinstance(facts, SqlFacts)
    assert all(p.rule in ("parse-error", "internal-error") for p in problems)
    assert not [p for p in problems if p.rule == "internal-error"]


# -- cost: one statement's lookups cost the definitions of its name, not the whole file --------

def test_lookups_and_drops_touch_only_the_entries_of_that_name():
    """Each DDL statement finds, replaces or drops definitions by name; the definitions of
    other names are never looked at (with lists every statement scanned the whole file, and a
    generated 8,000-table schema took 4x as long per doubling). Counted, not timed: the key
    function is called for the entries touched only."""
    from obs_lint.facts.sql import _Ordered

    touched = []

    def key(item):
        touched.append(item)
        return item[0]

    ordered = _Ordered(key)
    for i in range(10_000):
        ordered.append((f"t{i}", i))
    ordered.append(("t5", "again"))
    touched.clear()
    assert ordered.named("t5") == [("t5", 5), ("t5", "again")]
    ordered.update("t5", lambda item: item[1] == 5, lambda item: ("renamed", 5))
    assert ordered.remove("t7") == 1 and ordered.remove("t7") == 0
    assert len(touched) <= 4, touched  # unlink + link of the renamed one, unlink of t7
    items = list(ordered)
    assert len(items) == 10_000 and items[5] == ("renamed", 5)  # replaced in its place
    assert items[-1] == ("t5", "again") and ("t7", 7) not in items


def test_a_large_generated_schema_keeps_every_definition_in_file_order():
    creates = [f"CREATE TABLE t{i} (id int);" for i in range(3000)]
    indexes = [f"CREATE INDEX ix{i} ON t{i} (id);" for i in range(3000)]
    rest = ["ALTER TABLE t0 RENAME TO first;", "DROP INDEX ix1;", "DROP TABLE t2;",
            "ALTER INDEX ix3 RENAME TO third;", "CREATE INDEX ix4 ON t4 (id);"]
    facts, problems = extract("big.sql", "\n".join(creates + indexes + rest) + "\n")
    assert problems == ()
    names = [t.name for t in facts.tables]
    assert names[:3] == ["first", "t1", "t3"] and len(names) == 2999
    index_names = [i.name for i in facts.indexes]
    assert index_names[:3] == ["ix0", "third", "ix4"] and len(index_names) == 2998  # - ix1, - ix2 (its table)
    assert facts.indexes[0].table == "first"  # the renamed table's index follows it
