"""The SQL text reader the evaluate stage gives each rule context (``facts/sql_text_reader.py``):
check kinds read SQL strings through ``RuleContext.sql_uses``, never a parser; one text is
parsed once per run, a failure is the same ``SqlTextError`` every time, and pglast is imported
by the first text read, not by importing the engine."""

from __future__ import annotations

import dataclasses
import subprocess
import sys

import pytest

from obs_lint.checks.base import RuleContext
from obs_lint.facts.sql_text import analyze
from obs_lint.facts.sql_text_reader import SqlTextReader
from obs_lint.facts.sql_text_types import SqlTextError, SqlUses
from obs_lint.types import Rule, Severity

QUERY = "SELECT a, t.b FROM t WHERE c = 'x'"


def _context(reader=None) -> RuleContext:
    rule = Rule(code="T1", name="t", pack="test", phase=None, severity=Severity.ERROR,
                message="m", check_kind="db-contract", params={})
    return RuleContext(rule=rule, files=[], root=".", sql_reader=reader)


def test_the_reader_gives_what_the_parser_gives_once_per_text():
    reader = SqlTextReader()
    first = reader(QUERY)
    assert first == analyze(QUERY)
    assert reader(QUERY) is first  # memoised: shared by every rule that reads the text
    assert first.statements == 1 and {s.name for s, _ in first.tables} == {"t"}


def test_the_uses_are_frozen_values():
    uses = SqlTextReader()(QUERY)
    assert isinstance(uses, SqlUses) and isinstance(uses.columns, tuple)
    with pytest.raises(dataclasses.FrozenInstanceError):
        uses.statements = 2  # type: ignore[misc]


def test_a_text_that_does_not_parse_fails_the_same_way_every_time():
    reader = SqlTextReader()
    with pytest.raises(SqlTextError) as first:
        reader("SELECT FROM WHERE (")
    with pytest.raises(SqlTextError) as again:
        reader("SELECT FROM WHERE (")
    with pytest.raises(SqlTextError) as direct:
        analyze("SELECT FROM WHERE (")
    assert str(first.value) == str(again.value) == str(direct.value) != ""


def test_the_context_reads_through_its_reader_and_says_when_it_has_none():
    assert _context(SqlTextReader()).sql_uses(QUERY) == analyze(QUERY)
    with pytest.raises(RuntimeError, match="sql_reader"):
        _context().sql_uses(QUERY)


def test_pglast_is_imported_by_the_first_text_read_not_by_the_engine():
    code = ("import sys\nimport obs_lint.evaluate, obs_lint.checks.db_contract\n"
            "from obs_lint.facts.sql_text_reader import SqlTextReader\n"
            "reader = SqlTextReader()\nbefore = 'pglast' in sys.modules\n"
            "reader('SELECT 1')\nprint(before, 'pglast' in sys.modules)\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=300)
    assert done.stdout.split() == ["False", "True"], done.stderr[-2000:]
