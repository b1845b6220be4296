"""The fact values of SQL files (``facts/sql.py`` makes them with pglast).

Kept apart from the extractor so that decoding cached SQL facts (``analyzer.codec``), and the
checks that read them, never import pglast: only extracting a SQL file does.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..types import Span


@dataclass(frozen=True, slots=True)
class SqlColumn:
    """One column. ``type`` is the normalised type name (see the module docstring)."""

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
