"""Check kind ``db-contract``: table access in code judged against the merged DDL (facts are
extracted directly from snippets; the fixture tree ``fixtures/checks/db-contract/`` runs the
whole pipeline)."""

from __future__ import annotations

import textwrap
from typing import Any

import pytest

from obs_lint.checks import REGISTRY
from obs_lint.checks.db_contract import DbContract, is_uuid_text
from obs_lint.checks.postgrest import filter_column, select_columns
from obs_lint.facts.model import FileFacts
from obs_lint.facts.python import extract as py_extract
from obs_lint.facts.sql import extract as sql_extract
from obs_lint.facts.sql_text import analyze
from obs_lint.facts.sql_text_types import SqlTextError, normalise_placeholders
from obs_lint.types import FileKind, Severity, Status
from checkkit import evaluate_kind, kind_params, pack_error

DDL = {
    "database/001_core.sql": """
        CREATE TYPE signal_kind AS ENUM ('thumbs_up', 'thumbs_down', 'rating');
        CREATE TABLE learning_signals (
            signal_id UUID PRIMARY KEY,
            signal_type signal_kind NOT NULL,
            session_id TEXT,
            created_at TIMESTAMPTZ
        );
        CREATE TABLE ml_experiments (id UUID PRIMARY KEY, experiment_name TEXT, created_at TIMESTAMPTZ);
        CREATE TABLE ml_training_runs (id UUID PRIMARY KEY, experiment_id UUID, status TEXT);
        CREATE VIEW v_runs AS SELECT id, status FROM ml_training_runs;
    """,
    "database/002_alter.sql": """
        DO $$ BEGIN
            ALTER TABLE learning_signals ADD COLUMN rubric_total FLOAT;
        EXCEPTION WHEN duplicate_column THEN NULL; END $$;
        ALTER TABLE learning_signals ADD COLUMN processed_at TIMESTAMPTZ;
    """,
    "database/rollback_002.sql": "DROP TABLE ml_training_runs;\n",
}


def _facts(py: dict[str, str], sql: dict[str, str] | None = None) -> list[FileFacts]:
    out = []
    for path, text in sorted({**DDL, **(sql or {})}.items()):
        payload, problems = sql_extract(path, textwrap.dedent(text))
        out.append(FileFacts(path=path, kind=FileKind.SQL, digest="-", parsed=True,
                             problems=tuple(problems), payload=payload))
    for path, text in sorted(py.items()):
        payload, problems = py_extract(path, textwrap.dedent(text))
        out.append(FileFacts(path=path, kind=FileKind.PYTHON, digest="-", parsed=True,
                             problems=tuple(problems), payload=payload))
    return out


def run(py: dict[str, str], sql: dict[str, str] | None = None, **given: Any):
    given.setdefault("files", ["database/*.sql"])
    return evaluate_kind(DbContract, _facts(py, sql), ".", None, "T711", 7, **given)


def errors(res) -> list[tuple[str, int, str]]:
    return [(f.location.path, f.location.span.line, f.message) for f in res.findings
            if f.severity is Severity.ERROR]


def infos(res) -> list[tuple[str, int, str]]:
    return [(f.location.path, f.location.span.line, f.message) for f in res.findings
            if f.severity is Severity.INFO]


# --------------------------------------------------------------------------------------------
# the kind and its parameters
# --------------------------------------------------------------------------------------------


def test_registered_reading_python_and_sql():
    assert REGISTRY["db-contract"] is DbContract
    assert DbContract.file_kinds == frozenset({FileKind.PYTHON, FileKind.SQL})


@pytest.mark.parametrize("params, error", [
    ({}, "files"),
    ({"files": ["/abs/x.sql"]}, "relative"),
    ({"files": ["db/*.sql"], "tables": ["a.b.c"]}, "tables"),
    ({"files": ["db/*.sql"], "sql_calls": ["*"]}, "sql_calls"),
    ({"files": ["db/*.sql"], "missing_tables": "warn"}, "missing_tables"),
])
def test_invalid_parameters_are_pack_errors(params, error):
    assert error in pack_error("db-contract", params)


def test_prefilter_patterns_cover_chains_query_calls_and_ddl():
    kind = DbContract.__new__(DbContract)
    kind.p = kind_params(DbContract, files=["db/*.sql"])
    pats = kind.patterns()
    for word in ("table", "from_", "execute", "fetch", "CREATE", "alter", "Drop"):
        assert word in pats


# --------------------------------------------------------------------------------------------
# PostgREST syntax, uuids, SQL text
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("text, cols, bad", [
    ("a, b,c", ["a", "b", "c"], ""),
    ("*", [], ""),
    ("id, exp:ml_experiments(experiment_name), other!fk(*)", ["id"], ""),
    ("alias:col, data->>key, n::text, \"Mixed\"", ["col", "data", "n", "Mixed"], ""),
    ("count(), ...spread(a)", [], ""),
    ("a b", [], "a b"),
])
def test_select_strings_name_the_tables_own_columns(text, cols, bad):
    assert select_columns(text) == (cols, bad)


@pytest.mark.parametrize("text, col", [
    ("status", "status"), ("metadata->>model_id", "metadata"), ("other.col", None),
    ('"Col"', "Col"), ("a b", None),
])
def test_filter_columns(text, col):
    assert filter_column(text) == col


@pytest.mark.parametrize("text, ok", [
    ("a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11", True), ("A0EEBC999C0B4EF8BB6D6BB9BD380A11", True),
    ("{a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11}", True), ("a0ee-bc99-9c0b-4ef8-bb6d-6bb9-bd38-0a11", True),
    ("latest", False), ("a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a1", False), ("", False),
])
def test_uuid_text_as_postgresql_reads_it(text, ok):
    assert is_uuid_text(text) is ok


def test_placeholders_outside_quotes_become_parameters():
    assert normalise_placeholders("select ':a', %(b)s, %s, :c, x::int -- :d") == \
        "select ':a', $1, $1, $1, x::int -- :d"


def test_sql_columns_are_resolved_through_aliases_and_scopes():
    uses = analyze("""
        WITH recent AS (SELECT id FROM ml_experiments)
        SELECT tr.status, name AS n, r.id FROM ml_training_runs tr
        JOIN recent r ON r.id = tr.experiment_id
        WHERE tr.status = 'done' AND EXISTS (SELECT 1 FROM learning_signals s WHERE s.session_id = tr.id)
        ORDER BY n
    """)
    got = {(c.column, tuple(s.label for s in c.candidates), c.role, c.value) for c in uses.columns}
    assert ("status", ("tr",), "select", None) in got
    assert ("status", ("tr",), "where", "done") in got
    assert ("name", ("tr", "r"), "select", None) in got  # unqualified: any FROM item
    assert ("session_id", ("s",), "where", None) in got  # correlated sub-query
    assert not any(c[0] == "n" for c in got)  # an output name in ORDER BY
    assert {(s.name, s.kind) for s, _ in uses.tables} == {
        ("ml_experiments", "table"), ("ml_training_runs", "table"), ("learning_signals", "table")}


def test_sql_insert_values_and_on_conflict():
    uses = analyze("INSERT INTO t (a, b) VALUES ('x', $1) ON CONFLICT (a) DO UPDATE SET b = "
                   "EXCLUDED.b RETURNING id")
    got = [(c.column, c.role, c.value) for c in uses.columns]
    assert ("a", "insert", "x") in got and ("b", "insert", None) in got
    assert ("a", "on_conflict", None) in got and ("b", "update", None) in got
    assert ("id", "returning", None) in got


def test_sql_that_does_not_parse_raises():
    with pytest.raises(SqlTextError):
        analyze("SELECT FROM WHERE (")


# --------------------------------------------------------------------------------------------
# PostgREST chains
# --------------------------------------------------------------------------------------------

RUBRIC = """
    class RubricNode:
        async def store(self, ctx):
            data = {
                "signal_type": "rubric_evaluation",
                "source_agent": "feedback_learner",
                "session_id": ctx.session_id,
            }
            data["context_summary"] = {"q": ctx.q}
            await self.db.table("learning_signals").insert(data).execute()
"""


def test_insert_payload_columns_and_enum_labels_are_findings_with_ddl_evidence():
    res = run({"src/rubric.py": RUBRIC})
    assert res.status is Status.FAIL
    rows = errors(res)
    assert [r[:2] for r in rows] == [("src/rubric.py", 5), ("src/rubric.py", 6),
                                     ("src/rubric.py", 9)]
    assert rows[1][2] == (
        "R: learning_signals has no column `source_agent` (insert at src/rubric.py:10; table "
        "created at database/001_core.sql:3-8, altered at database/002_alter.sql:3-5 "
        "(2 statements))")
    assert "'rubric_evaluation' is not a label of enum signal_kind" in rows[0][2]
    assert "its labels: 'thumbs_up', 'thumbs_down', 'rating'" in rows[0][2]
    assert "type created at database/001_core.sql:2" in rows[0][2]
    assert "`context_summary`" in rows[2][2]


def test_columns_added_by_do_blocks_and_alters_exist():
    res = run({"src/ok.py": """
        async def ok(db, total):
            row = {"signal_type": "rating", "rubric_total": total}
            row.update(processed_at=None)
            await db.table("learning_signals").insert(row).execute()
            q = db.table("learning_signals").select("signal_id, created_at")
            q = q.eq("signal_type", "thumbs_up").eq("signal_id", "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11")
            return await q.order("created_at", desc=True).execute()
    """})
    assert res.status is Status.PASS, res.findings
    assert res.evidence


def test_filter_values_must_be_valid_for_uuid_and_enum_columns():
    res = run({"src/f.py": """
        def f(db, kind):
            db.table("learning_signals").select("*").eq("signal_id", "latest").execute()
            db.table("learning_signals").select("*").in_("signal_type", ["rating", "meh"]).execute()
            db.table("learning_signals").select("*").eq("signal_type", kind).execute()
    """})
    msgs = [m for _, _, m in errors(res)]
    assert len(msgs) == 2
    assert "'latest' is not a uuid, but learning_signals.`signal_id` is uuid" in msgs[0]
    assert "'meh' is not a label of enum signal_kind" in msgs[1]


def test_table_name_from_a_constant_and_a_class_attribute():
    res = run({"src/r.py": """
        TABLE = "ml_experiments"

        class Repo:
            table_name = "ml_training_runs"

            def a(self):
                return self.client.table(self.table_name).select("id, algorithm").execute()

        def b(db):
            return db.table(TABLE).select("experiment_name, owner").execute()
    """})
    assert [(r[1], r[2].split(" (")[0]) for r in errors(res)] == [
        (8, "R: ml_training_runs has no column `algorithm`"),
        (11, "R: ml_experiments has no column `owner`")]
    assert "`Repo.table_name` = 'ml_training_runs' (src/r.py:5)" in errors(res)[0][2]


BASE = {
    "src/base.py": """
        class BaseRepository:
            table_name: str

            async def get(self, id, split=None):
                q = self.client.table(self.table_name).select("*").eq("id", id)
                if split:
                    q = q.eq("split_assignment", split)
                return await q.execute()
    """,
    "src/repos.py": """
        from src.base import BaseRepository

        class Experiments(BaseRepository):
            table_name = "ml_experiments"

        class Runs(BaseRepository):
            table_name = "ml_training_runs"

        class Signals(BaseRepository):
            table_name = "learning_signals"

            async def get(self, id, split=None):
                return await self.client.table(self.table_name).select("*").eq("signal_id", id).execute()
    """,
}


def test_a_base_class_method_is_judged_through_each_subclass_that_does_not_override_it():
    res = run(BASE)
    rows = errors(res)
    assert len(rows) == 1
    path, line, msg = rows[0]
    assert (path, line) == ("src/base.py", 8)
    assert msg.startswith("R: 2 tables this inherited method reaches through subclasses that "
                          "do not override it have no column `split_assignment`")
    assert "ml_experiments (`Experiments` (src/repos.py:4))" in msg
    assert "ml_training_runs (`Runs` (src/repos.py:7))" in msg
    assert "learning_signals" not in msg  # Signals overrides `get`


def test_inherited_false_leaves_an_abstract_base_alone():
    res = run(BASE, inherited=False)
    assert res.status is Status.PASS and res.findings == ()


def test_one_subclass_gives_the_usual_message_through_it():
    files = dict(BASE)
    files["src/repos.py"] = files["src/repos.py"].replace(
        'class Runs(BaseRepository):\n            table_name = "ml_training_runs"\n', "")
    rows = errors(run(files))
    assert len(rows) == 1
    assert "ml_experiments has no column `split_assignment` (eq at src/base.py:8; through " \
           "`Experiments` (src/repos.py:4), whose `table_name` = 'ml_experiments'" in rows[0][2]


def test_a_table_no_ddl_creates_is_a_finding_or_undecidable():
    src = {"src/m.py": 'def f(db):\n    return db.table("procedural_memory").select("*").execute()\n'}
    res = run(src)
    assert res.status is Status.FAIL
    assert "table procedural_memory is not created by any DDL file (select at src/m.py:2; " \
           "searched 2 file(s): database/001_core.sql, database/002_alter.sql)" in errors(res)[0][2]
    res = run(src, missing_tables="info")
    assert res.status is Status.UNKNOWN and errors(res) == []


def test_a_probe_that_fetches_no_rows_is_not_judged_for_existence():
    res = run({"src/h.py": 'def f(db):\n    db.table("_noop").select("*").limit(0).execute()\n'})
    assert res.status is Status.PASS


def test_rollback_scripts_are_not_applied_unless_asked():
    src = {"src/m.py": 'def f(db):\n    return db.table("ml_training_runs").select("status").execute()\n'}
    assert run(src).status is Status.PASS
    res = run(src, exclude_files=[])
    assert res.status is Status.FAIL
    assert "table ml_training_runs is not created by any DDL file" in errors(res)[0][2]


def test_tables_limits_the_check():
    res = run({"src/rubric.py": RUBRIC}, tables=["ml_experiments"])
    assert res.status is Status.PASS


def test_what_cannot_be_known_is_undecidable_never_a_finding():
    res = run({"src/d.py": """
        class L:
            async def load(self, table_name):
                return await self.client.table(table_name).select("a").execute()

            async def save(self, extra, data):
                row = {"signal_type": "rating", **extra}
                await self.client.table("learning_signals").insert(row).execute()
                await self.client.table("learning_signals").insert(data).execute()
                await self.client.table("v_runs").select("status").execute()
                await self.client.table("ml_experiments").select(f"{extra}").execute()
    """})
    assert res.status is Status.UNKNOWN
    assert errors(res) == []
    got = [(line, msg.split(": ", 1)[1]) for _, line, msg in infos(res)]
    assert [line for line, _ in got] == [4, 7, 9, 10, 11]
    assert "the table name `table_name` is a parameter" in got[0][1]
    assert "the columns of the spread `**extra`" in got[1][1]
    assert "`data` (a parameter: its keys come from the caller)" in got[2][1]
    assert "`v_runs` is a view" in got[3][1]
    assert "is built at run time" in got[4][1]
    res = run({"src/d.py": 'def f(db, d):\n    db.table("ml_experiments").insert(d).execute()\n'},
              unverifiable="error")
    assert res.status is Status.FAIL


def test_an_unread_ddl_statement_naming_the_table_makes_an_absence_undecidable():
    sql = {"database/003_broken.sql": "ALTER TABLE ml_experiments ADD COLUMN owner TEXT,,;\n"}
    src = {"src/m.py": 'def f(db):\n    return db.table("ml_experiments").select("owner").execute()\n'}
    res = run(src, sql)
    assert res.status is Status.UNKNOWN
    assert "the statement at database/003_broken.sql:1 did not parse" in infos(res)[0][2]


def test_pyarrow_and_other_table_apis_are_not_postgrest():
    res = run({"src/a.py": 'import pyarrow as pa\n\ndef f():\n    return pa.table({"a": [1]}).select(["b"])\n'})
    assert res.status is Status.PASS and res.findings == ()


# --------------------------------------------------------------------------------------------
# SQL text
# --------------------------------------------------------------------------------------------


def test_sql_text_with_appended_literals_is_checked_at_the_written_lines():
    res = run({"src/h.py": '''
        async def hist(loader, kpi=None):
            query = """
                SELECT tr.algorithm_name, ex.created_at
                FROM ml_training_runs tr JOIN ml_experiments ex ON tr.experiment_id = ex.id
                WHERE tr.status = 'completed'
            """
            if kpi:
                query += " AND ex.kpi_category = :kpi"
            return await loader.execute_query(query, {"kpi": kpi})
    '''})
    rows = errors(res)
    assert [(r[1], r[2].split(" (")[0]) for r in rows] == [
        (4, "R: ml_training_runs has no column `algorithm_name`"),
        (9, "R: ml_experiments has no column `kpi_category`")]
    assert "`tr.algorithm_name` in the select list of the SQL passed to `loader.execute_query` " \
           "at src/h.py:10" in rows[0][2]


def test_sql_insert_values_and_update_set_literals_are_judged():
    res = run({"src/s.py": """
        from sqlalchemy import text

        async def f(cur, session):
            await cur.execute("INSERT INTO learning_signals (signal_type, session_id) VALUES ('meh', %s)", ("s",))
            session.execute(text("UPDATE learning_signals SET signal_type = 'rating' WHERE signal_id = :i"))
            await cur.fetch("SELECT status FROM ml_training_runs WHERE id = 'nope'")
    """})
    msgs = [m for _, _, m in errors(res)]
    assert len(msgs) == 2
    assert "'meh' is not a label of enum signal_kind" in msgs[0]
    assert "INSERT column list of the SQL passed to `cur.execute`" in msgs[0]
    assert "'nope' is not a uuid, but ml_training_runs.`id` is uuid" in msgs[1]


def test_unqualified_columns_may_belong_to_any_from_item():
    res = run({"src/s.py": """
        async def f(conn):
            await conn.fetch("SELECT status, experiment_name FROM ml_training_runs r JOIN ml_experiments e ON e.id = r.experiment_id")
            await conn.fetch("SELECT owner FROM ml_training_runs r JOIN ml_experiments e ON e.id = r.experiment_id")
    """})
    rows = errors(res)
    assert len(rows) == 1
    assert rows[0][2].startswith("R: none of `ml_training_runs`, `ml_experiments` has a column `owner`")


def test_a_function_passing_its_parameter_on_as_sql_is_a_query_call():
    res = run({"src/s.py": """
        class Store:
            async def _run(self, sql, *args):
                return await self.conn.fetchrow(sql, *args)

            async def get(self):
                return await self._run("SELECT owner FROM ml_experiments WHERE id = $1", 1)
    """})
    rows = errors(res)
    assert len(rows) == 1 and rows[0][1] == 7
    assert "through `Store._run` (src/s.py:3)" in rows[0][2]


def test_sql_built_at_run_time_is_undecidable_and_other_text_is_ignored():
    res = run({"src/s.py": """
        async def f(conn, graph, table):
            await conn.fetch(f"SELECT * FROM {table}")
            await conn.execute("CREATE TABLE IF NOT EXISTS x (id int)")
            graph.execute("MATCH (n:Node) RETURN n")
            await conn.fetch("SELECT table_name FROM information_schema.tables")
            await conn.fetch("SELECT FROM WHERE (")
    """})
    assert errors(res) == []
    assert [(line, "built at run time" in m or "does not parse" in m) for _, line, m in infos(res)] \
        == [(3, True), (7, True)]


def test_the_documented_example_is_a_valid_rule():
    from checkkit import example_rule

    rule = example_rule("db-contract")
    assert rule.check_kind == "db-contract" and rule.params["files"] == ["database/**/*.sql"]
