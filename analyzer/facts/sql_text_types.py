"""SQL text found in Python code, as values: what a query string uses, without its parser.

``db-contract`` checks query strings passed to ``execute`` / ``fetch`` ... against the DDL.
The text is parsed in the facts layer (``facts/sql_text.py``, pglast), on demand while the rule
evaluates: the text may be composed only then (resolved constants, ``+=`` appends), so it is
no per-literal fact. Check kinds receive the result through ``RuleContext.sql_uses`` and
import only this module: the values (``SqlUses`` of ``Source`` and ``ColumnUse``), the error
(``SqlTextError``) and the pure text helpers (placeholders, "does it look like DML").
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable, Iterable

LOOKS_LIKE_DML = re.compile(r"^\s*(?:\(\s*)*(select|insert|update|delete|with)\b", re.I)


@dataclass(frozen=True, slots=True)
class Source:
    """A FROM item. ``kind`` "table" (``schema``/``name`` as written) or "derived"."""

    kind: str
    name: str
    schema: str = ""
    alias: str = ""
    detail: str = ""  # for a derived source: what it is ("the WITH query x", "a sub-select")

    @property
    def label(self) -> str:
        return self.alias or self.name


@dataclass(frozen=True, slots=True)
class ColumnUse:
    """One column reference. ``candidates``: the sources it may belong to (one when the
    reference is qualified); ``value``: a string constant written to / compared with it."""

    column: str
    candidates: tuple[Source, ...]
    role: str
    qualifier: str = ""
    value: str | None = None
    location: int = -1  # offset in the (placeholder-normalised) text; -1 unknown


@dataclass(frozen=True, slots=True)
class SqlUses:
    """The uses of one SQL text: DML statements read, the relations they read or write (with
    the role: select, insert, update, delete) and every column reference. ``unknown``: names
    that could not be placed (a reference to no FROM item). Frozen: one parse is shared by
    every rule that reads the same text (``facts/sql_text_reader.py``)."""

    statements: int = 0  # DML statements read
    tables: tuple[tuple[Source, str], ...] = ()  # (table, role)
    columns: tuple[ColumnUse, ...] = ()
    unknown: tuple[str, ...] = ()


class SqlTextError(Exception):
    """The text does not parse as SQL."""


# The reader a rule context is given (``RuleContext.sql_uses``): text -> its uses, raising
# ``SqlTextError`` when the text does not parse.
SqlReader = Callable[[str], SqlUses]


# ---------------------------------------------------------------------------------------------
# Placeholders
# ---------------------------------------------------------------------------------------------

_PLACEHOLDER = re.compile(r"%\([A-Za-z_]\w*\)s|%s|(?<![:\w]):[A-Za-z_]\w*")


def normalise_placeholders(text: str) -> str:
    """``%s``, ``%(x)s`` and ``:x`` outside quotes -> ``$1`` (``::type`` casts are kept)."""
    out: list[str] = []
    i, n = 0, len(text)
    start = 0
    while i < n:
        ch = text[i]
        if ch in "'\"":
            out.append(_PLACEHOLDER.sub("$1", text[start:i]))
            j = i + 1
            while j < n:
                if text[j] == ch:
                    if j + 1 < n and text[j + 1] == ch:
                        j += 2
                        continue
                    break
                j += 1
            out.append(text[i:j + 1])
            i = start = j + 1
            continue
        if ch == "-" and text.startswith("--", i):
            j = text.find("\n", i)
            j = n if j < 0 else j
            out.append(_PLACEHOLDER.sub("$1", text[start:i]))
            out.append(text[i:j])
            i = start = j
            continue
        i += 1
    out.append(_PLACEHOLDER.sub("$1", text[start:]))
    return "".join(out)


# ---------------------------------------------------------------------------------------------
# Text helpers
# ---------------------------------------------------------------------------------------------


def looks_like_dml(text: str) -> bool:
    """Whether ``text`` starts like a query the rule is about (``SELECT``, ``INSERT``,
    ``UPDATE``, ``DELETE``, ``WITH``, after any opening parentheses): text that does not is
    not judged (DDL, Cypher, a shell command)."""
    return LOOKS_LIKE_DML.match(text) is not None


def tables_of(uses: SqlUses) -> Iterable[Source]:
    """The tables ``uses`` names, each (schema, name) once, in first-use order."""
    seen = set()
    for s, _ in uses.tables:
        key = (s.schema, s.name)
        if key not in seen:
            seen.add(key)
            yield s
