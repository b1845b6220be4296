"""Type names written in rules are read without pglast (``facts/sql_types.py``), exactly as
PostgreSQL's grammar reads them (``facts/sql.py``'s ``parse_type_pglast``)."""

from __future__ import annotations

import pytest

from obs_lint.facts.sql import parse_type_pglast
from obs_lint.facts.sql_types import parse_type

SAME_AS_PGLAST = [
    # built-ins and their SQL-standard spellings
    "INT", "integer", "int4", "pg_catalog.int4", "smallint", "int2", "int8", "BIGINT",
    "real", "float", "float(1)", "float(24)", "float(25)", "float(53)", "double precision",
    "double  precision", "DOUBLE PRECISION", "decimal", "decimal(5,2)", "dec", "dec(3)",
    "numeric", "numeric(10)", "numeric(10, 2)", "boolean", "bool",
    "char", "character", "char(3)", "character(3)", "nchar", "national character",
    "national char varying(3)", "national character varying(3)", "varchar", "VARCHAR(64)",
    "character varying", "character varying(20)", "char varying(2)",
    "bit", "bit(3)", "bit varying", "bit varying(8)", "varbit",
    "timestamp", "timestamp(3)", "timestamp with time zone", "timestamp(3) with time zone",
    "timestamp without time zone", "TIMESTAMPTZ", "timestamptz(3)", "time", "time(3)",
    "time with time zone", "time(3) with time zone", "time without time zone", "timetz",
    "interval", "json", "JSONB", "uuid", "text", "text(3)", "serial", "serial8", "serial4",
    "serial2", "bigserial", "bytea", "inet",
    # arrays
    "text[]", "integer[][]", "int[3]", "int[3][4]", "int ARRAY", "int ARRAY[3]", "varchar(5)[]",
    "public.t[]",
    # user types, schemas, quoting
    "model_stage", "public.model_stage", "a.b.c", '"JSONB"', '"A""b"', '"int4"',
    '"pg_catalog".int4', "pg_catalog.varchar(3)", "x.y(3)", "Int4", "myschema.int4",
    "double", "timestamp_tz", "  text  ",
    # not types
    "", "   ", "not a type at all", "int; DROP TABLE x", "select", "user", "table", "int int",
    "varchar(", "varchar)", "float(0)", "float(54)", "text[", "a..b", "a.b.c.d", "a.b.c.d.e",
    "between", "int -- comment",
]


@pytest.mark.parametrize("written", SAME_AS_PGLAST)
def test_rule_types_read_as_postgresql_reads_them(written):
    assert parse_type(written) == parse_type_pglast(written)


@pytest.mark.parametrize("written", [
    "interval day to second", "interval(3)", "int %type", "setof int", "varchar(-1)",
    "numeric(1,-2)", "numeric(a)", "int /* c */",
])
def test_what_it_does_not_read_is_not_a_type(written):
    # Rarely written in a rule; refused (a pack validation error), never guessed.
    assert parse_type(written) is None


def test_check_kinds_get_the_fact_values_from_the_parser_free_module():
    from obs_lint.facts import sql, sql_types

    assert sql.SqlColumn is sql_types.SqlColumn and sql.SqlFacts is sql_types.SqlFacts
    assert sql.parse_type is sql_types.parse_type
