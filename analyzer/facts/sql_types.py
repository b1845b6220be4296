"""SQL fact values and type names, without the parser.

Check kinds read SQL facts (``SqlFacts``, ``SqlTable``, ``SqlColumn``, ...) and compare column
types with the types a pack names; both live here so that a check kind never imports the
parser (``facts/sql.py``, pglast): see the layer contract in ``ARCHITECTURE.md``.

``parse_type`` reads a type name written in a rule (``timestamp with time zone``, ``INT``,
``varchar(64)``, ``public.model_stage``, ``text[]``) with a small tokenizer that follows
PostgreSQL's grammar for type names (``SimpleTypename``: generic names with integer modifiers,
the SQL-standard spellings ``double precision``, ``character varying``, ``bit varying``,
``national character``, ``timestamp/time [(p)] with[out] time zone``, ``float(p)``, and array
bounds ``[]`` / ``[n]`` / ``ARRAY[n]``). It gives exactly what pglast gives for the same text
(``facts.sql.parse_type_pglast``, compared in ``tests/test_sql_types.py``), so a rule and a
schema file spell types alike. What it does not read (``interval day to second``,
``%TYPE``, ``SETOF``, reserved words, non-integer modifiers) is "not a type": ``None``, an
error when the pack is validated, never a guess.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Iterable

from ..types import Span

# --------------------------------------------------------------------------------------------
# Fact values
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SqlColumn:
    """One column. ``type`` is the normalised type name (see ``normalize_type``)."""

    name: str
    type: str
    type_text: str  # with modifiers, e.g. "varchar(255)", "numeric(10,2)"
    type_schema: str = ""  # schema of a user type ("" for built-ins and unqualified names)
    not_null: bool = False
    primary_key: bool = False
    references: str = ""  # "table(col)" of an inline REFERENCES
    span: Span = field(default_factory=Span.file_start)
    origin: str = "create"  # "alter": added/retyped by ALTER TABLE (so it also applies to a
    #                          table that an earlier file created)


@dataclass(frozen=True, slots=True)
class SqlTable:
    """A table as this file leaves it.

    ``created`` is False for a placeholder: this file alters a table it does not create.
    ``complete`` is False when the column list is not fully known here (``LIKE``, ``INHERITS``,
    ``PARTITION OF``, ``CREATE TABLE AS``): absence of a column then proves nothing.
    ``spans`` are the statements that contributed (the CREATE first, then ALTERs).
    """

    name: str
    schema: str
    columns: tuple[SqlColumn, ...]
    span: Span
    created: bool = True
    complete: bool = True
    if_not_exists: bool = False
    rls_enabled: bool = False
    spans: tuple[Span, ...] = ()

    def column(self, name: str) -> SqlColumn | None:
        for c in self.columns:
            if c.name == name:
                return c
        return None


@dataclass(frozen=True, slots=True)
class SqlEnum:
    """An enum type. ``created`` False: values added by ALTER TYPE to an enum defined elsewhere."""

    name: str
    schema: str
    values: tuple[str, ...]
    span: Span
    created: bool = True
    spans: tuple[Span, ...] = ()


@dataclass(frozen=True, slots=True)
class SqlView:
    name: str
    schema: str
    materialized: bool
    span: Span


@dataclass(frozen=True, slots=True)
class SqlIndex:
    """An index. ``columns`` are column names; an expression element is ``"(expr)"``.

    ``implicit`` is "" for ``CREATE INDEX``, or "primary key" / "unique" for the index PostgreSQL
    creates for such a constraint. ``name`` is "" when PostgreSQL would generate it.
    ``table_schema`` is the schema written on the indexed table ("" when unqualified).
    """

    name: str
    table: str
    table_schema: str
    columns: tuple[str, ...]
    unique: bool
    method: str
    partial: bool
    span: Span
    implicit: str = ""


@dataclass(frozen=True, slots=True)
class SqlObject:
    """Other named objects, recorded by name only: kind "function", "trigger", "policy"."""

    kind: str
    name: str
    schema: str
    table: str  # the table a trigger or policy is on ("" otherwise)
    span: Span


@dataclass(frozen=True, slots=True)
class SqlDrop:
    """``DROP`` of an object this file did not create: kind "table", "view", "index", "type"."""

    kind: str
    name: str
    schema: str
    span: Span


@dataclass(frozen=True, slots=True)
class SqlOpaque:
    """A statement whose effect is not known: it did not parse (also a ``parse-error``
    problem), or it is a ``DO`` block whose PL/pgSQL body could not be read.

    ``words`` are the identifiers its text mentions (lower-cased; quoted ones as written): only
    requirements about an object named there can be explained by it, so only those become
    undecidable (``sql-schema``)."""

    span: Span
    words: frozenset[str]
    reason: str


@dataclass(frozen=True, slots=True)
class SqlFacts:
    """What one SQL file defines, after applying its statements in order."""

    tables: tuple[SqlTable, ...] = ()
    enums: tuple[SqlEnum, ...] = ()
    views: tuple[SqlView, ...] = ()
    indexes: tuple[SqlIndex, ...] = ()
    objects: tuple[SqlObject, ...] = ()
    drops: tuple[SqlDrop, ...] = ()
    statements: int = 0  # statements parsed
    skipped: int = 0  # data statements not parsed (INSERT/COPY/UPDATE/DELETE)
    opaque: tuple[SqlOpaque, ...] = ()


# --------------------------------------------------------------------------------------------
# Type normalisation
# --------------------------------------------------------------------------------------------

_TYPE_ALIASES = {
    "int2": "smallint",
    "int4": "integer",
    "int": "integer",
    "int8": "bigint",
    "float4": "real",
    "float8": "double precision",
    "bool": "boolean",
    "bpchar": "char",
    "timestamp with time zone": "timestamptz",
    "timestamp without time zone": "timestamp",
    "time with time zone": "timetz",
    "time without time zone": "time",
    "character varying": "varchar",
    "decimal": "numeric",
    "serial4": "serial",
    "serial8": "bigserial",
    "serial2": "smallserial",
}


def normalize_type(names: Iterable[str], array_dims: int = 0) -> tuple[str, str]:
    """(normalised name, schema) of a type given as the parser's name parts.

    ``("pg_catalog", "int4")`` -> ``("integer", "")``; ``("public", "model_stage")`` ->
    ``("model_stage", "public")``. Array dimensions append ``[]`` each.
    """
    parts = [p for p in names]
    schema = ""
    if len(parts) > 1:
        schema = parts[-2]
    name = parts[-1] if parts else ""
    if schema in ("", "pg_catalog"):
        name = _TYPE_ALIASES.get(name, name)
        schema = ""
    return name + "[]" * array_dims, schema


# --------------------------------------------------------------------------------------------
# Type names written in rules
# --------------------------------------------------------------------------------------------

_TOKEN = re.compile(r'\s*(?:"((?:[^"]|"")+)"|([A-Za-z_\u0080-\U0010ffff][\w$\u0080-\U0010ffff]*)'
                    r"|(\d+)|([().,\[\]]))")

# Words that cannot be a generic type name (PostgreSQL's reserved and column-name keywords,
# less those spelled as types below): ``select``, ``user``, ``between`` ... are not types.
_NOT_TYPE_NAMES = frozenset("""
all analyse analyze and any array as asc asymmetric both case cast check collate column
constraint create current_catalog current_date current_role current_time current_timestamp
current_user default deferrable desc distinct do else end except false fetch for foreign from
grant group having in initially intersect into lateral leading limit localtime localtimestamp
not null offset on only or order placing primary references returning select session_user some
symmetric system_user table then to trailing true union unique user using variadic when where
window with authorization binary collation concurrently cross current_schema freeze full ilike
inner is isnull join left like natural notnull outer overlaps right similar tablesample verbose
between coalesce exists extract greatest grouping inout least merge_action none normalize
nullif out overlay position precision row setof substring treat trim values xmlattributes
xmlconcat xmlelement xmlexists xmlforest xmlnamespaces xmlparse xmlpi xmlroot xmlserialize
xmltable json_array json_arrayagg json_exists json_object json_objectagg json_query
json_scalar json_serialize json_table json_value interval varying zone national nchar
""".split())

_KEYWORD_TYPES = frozenset({
    "int", "integer", "smallint", "bigint", "real", "float", "double", "decimal", "dec",
    "numeric", "boolean", "bit", "character", "char", "varchar", "national", "nchar",
    "timestamp", "time", "interval", "json",
})


class _NotAType(Exception):
    pass


class _Tokens:
    def __init__(self, text: str) -> None:
        self.items: list[tuple[str, str]] = []  # (kind, value): word | quoted | int | punct
        pos, end = 0, len(text)
        while pos < end:
            if text[pos:].strip() == "":
                break
            m = _TOKEN.match(text, pos)
            if m is None:
                raise _NotAType
            quoted, word, num, punct = m.groups()
            if quoted is not None:
                self.items.append(("quoted", quoted.replace('""', '"')))
            elif word is not None:
                self.items.append(("word", word.lower()))
            elif num is not None:
                self.items.append(("int", num))
            else:
                self.items.append(("punct", punct))
            pos = m.end()
        self.i = 0

    def peek(self, value: str | None = None, kind: str = "word") -> bool:
        if self.i >= len(self.items):
            return False
        k, v = self.items[self.i]
        return k == kind and (value is None or v == value)

    def take(self, value: str | None = None, kind: str = "word") -> str:
        if not self.peek(value, kind):
            raise _NotAType
        self.i += 1
        return self.items[self.i - 1][1]

    def maybe(self, value: str, kind: str = "word") -> bool:
        if self.peek(value, kind):
            self.i += 1
            return True
        return False

    def done(self) -> bool:
        return self.i >= len(self.items)


def _mods(t: _Tokens, at_most: int | None = None) -> list[str]:
    """``(n, m, ...)`` -> ["n", "m"]; none -> []. Integers only."""
    if not t.maybe("(", "punct"):
        return []
    out = [str(int(t.take(kind="int")))]
    while t.maybe(",", "punct"):
        out.append(str(int(t.take(kind="int"))))
    t.take(")", "punct")
    if at_most is not None and len(out) > at_most:
        raise _NotAType
    return out


def _time_zone(t: _Tokens) -> bool | None:
    """``with time zone`` -> True, ``without time zone`` -> False, nothing -> None."""
    if t.maybe("with"):
        tz = True
    elif t.maybe("without"):
        tz = False
    else:
        return None
    t.take("time")
    t.take("zone")
    return tz


def _keyword_type(t: _Tokens, word: str) -> tuple[list[str], list[str]]:
    """(name parts, modifiers) of a type spelled with SQL keywords (``double precision``)."""
    simple = {"int": "int4", "integer": "int4", "smallint": "int2", "bigint": "int8",
              "real": "float4", "boolean": "bool", "json": "json"}
    if word in simple:
        return ["pg_catalog", simple[word]] if word != "json" else ["json"], []
    if word == "double":
        if not t.maybe("precision"):
            return _generic(t, word, False)  # a type named "double"
        return ["pg_catalog", "float8"], []
    if word == "float":
        mods = _mods(t, 1)
        if not mods:
            return ["pg_catalog", "float8"], []
        p = int(mods[0])
        if p < 1 or p > 53:
            raise _NotAType
        return ["pg_catalog", "float4" if p <= 24 else "float8"], []
    if word in ("decimal", "dec", "numeric"):
        return ["pg_catalog", "numeric"], _mods(t)
    if word == "bit":
        varying = t.maybe("varying")
        mods = _mods(t, 1)
        if varying:
            return ["pg_catalog", "varbit"], mods
        return ["pg_catalog", "bit"], mods or ["1"]
    if word in ("character", "char", "varchar", "national", "nchar"):
        if word == "national":
            if not (t.maybe("character") or t.maybe("char")):
                raise _NotAType
        varying = word == "varchar" or t.maybe("varying")
        mods = _mods(t, 1)
        if varying:
            return ["pg_catalog", "varchar"], mods
        return ["pg_catalog", "bpchar"], mods or ["1"]
    if word in ("timestamp", "time"):
        mods = _mods(t, 1)
        tz = _time_zone(t)
        name = word + ("tz" if tz else "")
        return ["pg_catalog", name], mods
    if word == "interval":
        if t.peek("(", "punct"):
            raise _NotAType  # interval(p) carries a field mask pglast spells oddly
        return ["pg_catalog", "interval"], []
    raise _NotAType


def _generic(t: _Tokens, first: str, quoted: bool) -> tuple[list[str], list[str]]:
    if not quoted and first in _NOT_TYPE_NAMES:
        raise _NotAType
    names = [first]
    while t.maybe(".", "punct"):
        if t.peek(kind="quoted"):
            names.append(t.take(kind="quoted"))
        else:
            names.append(t.take())
    return names, _mods(t)


def _dims(t: _Tokens) -> int:
    dims = 0
    if t.maybe("array"):
        if t.maybe("[", "punct"):
            t.take(kind="int")
            t.take("]", "punct")
        return 1
    while t.maybe("[", "punct"):
        if t.peek(kind="int"):
            t.take(kind="int")
        t.take("]", "punct")
        dims += 1
    return dims


def parse_type(text: str) -> tuple[str, str, str] | None:
    """Normalise a type written in a rule (``timestamp with time zone``, ``INT``, ``varchar(64)``).

    Returns (type, type_text, type_schema) — the values ``SqlColumn`` records for a column of
    that type — or None when ``text`` is not a type name this reads.
    """
    if not isinstance(text, str) or not text.strip() or ";" in text or "--" in text \
            or "/*" in text:
        return None
    try:
        t = _Tokens(text)
        if t.peek(kind="quoted"):
            names, mods = _generic(t, t.take(kind="quoted"), True)
        else:
            first = t.take()
            if first in _KEYWORD_TYPES and not t.peek(".", "punct"):
                names, mods = _keyword_type(t, first)
            else:
                names, mods = _generic(t, first, False)
        dims = _dims(t)
        if not t.done():
            return None
    except (_NotAType, ValueError):
        return None
    base, schema = normalize_type(names, 0)
    text_out = base + (f"({','.join(mods)})" if mods else "")
    return base + "[]" * dims, text_out + "[]" * dims, schema
