"""The merged schema of a set of SQL DDL files, shared by the kinds that read DDL.

``sql-schema`` asks "do the migrations define table T with columns C"; ``db-contract`` asks "do
the tables the code reads and writes have the columns it uses". Both need the same answer to
"what do these files define together", so the merge lives here, once:

* **Files** are named by paths or gitignore-style globs relative to the project root
  (``select_files``) and applied in path order (migrations are numbered so path order is
  execution order): the first ``CREATE`` of an object wins (later ``IF NOT EXISTS`` re-creations
  are no-ops, as in PostgreSQL), ``ALTER TABLE`` / ``ALTER TYPE`` from any file add to it (also
  when the altering file sorts before the creating one), and a ``DROP`` in a later file removes
  what earlier files created. ``DO`` blocks are already applied by the SQL facts.
* **Unread statements** (a statement that did not parse, a ``DO`` body that could not be read,
  an unreadable file, a file outside the rule's scope) are kept with the identifiers they
  mention (``Schema.blocking``): only a question about an object one of them names becomes
  undecidable; a statement that never names a table cannot create it or add its columns.
* **Names** follow SQL identifier rules (``parse_name``): unquoted parts are lower-cased, quoted
  parts keep their spelling; an unqualified definition counts as schema ``public``.
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass, field
from typing import Any, Iterable, Sequence

from ..facts.model import FileFacts
from ..facts.sql_types import SqlColumn, SqlFacts, SqlIndex, SqlView
from ..globs import path_matcher
from ..types import Finding, Location, Span
from .base import RuleContext

BLOCKING = frozenset({"parse-error", "read-error", "skipped", "internal-error"})
GLOB = set("*?[")
_IDENT = re.compile(r'\s*(?:"((?:[^"]|"")+)"|([^".\s]+))\s*')
_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


# --------------------------------------------------------------------------------------------
# Names
# --------------------------------------------------------------------------------------------


def parse_name(text: str) -> tuple[str, str] | None:
    """``public."ml_Experiments"`` -> ``("public", "ml_Experiments")``; ``T`` -> ``("", "t")``.

    SQL identifier rules: unquoted parts are lower-cased (ASCII only, as PostgreSQL does in a
    UTF-8 database), quoted parts are kept. None if ``text`` is not a (schema.)name.
    """
    if not isinstance(text, str):
        return None
    parts: list[str] = []
    pos = 0
    while True:
        m = _IDENT.match(text, pos)
        if m is None:
            return None
        parts.append(m.group(1).replace('""', '"') if m.group(1) is not None
                     else m.group(2).translate(_ASCII_LOWER))
        pos = m.end()
        if pos == len(text):
            break
        if text[pos] != ".":
            return None
        pos += 1
    if len(parts) > 2:
        return None
    return (parts[0], parts[1]) if len(parts) == 2 else ("", parts[0])


def compat(a: str, b: str) -> bool:
    return a == b or {a, b} == {"", "public"}


def wants(rule_schema: str, schema: str) -> bool:
    """Does an object in ``schema`` satisfy a rule naming ``rule_schema`` ("" = any)?"""
    return not rule_schema or compat(rule_schema, schema)


def quote(schema: str, name: str) -> str:
    """Display name: ``public.ml_experiments``, quoting parts that need it."""
    def part(p: str) -> str:
        return p if re.fullmatch(r"[a-z_][a-z0-9_$]*", p) else '"' + p.replace('"', '""') + '"'
    return f"{part(schema)}.{part(name)}" if schema else part(name)


# --------------------------------------------------------------------------------------------
# The merged schema of the files in scope
# --------------------------------------------------------------------------------------------


@dataclass
class Table:
    name: str
    schema: str
    created: Location | None = None  # the CREATE statement
    complete: bool = True
    columns: dict[str, tuple[SqlColumn, str]] = field(default_factory=dict)  # -> (col, path)
    evidence: list[Location] = field(default_factory=list)


@dataclass
class Enum:
    name: str
    schema: str
    created: Location | None = None
    values: list[str] = field(default_factory=list)
    evidence: list[Location] = field(default_factory=list)


@dataclass
class Schema:
    """What the files define together, applied in path order (see the module docstring)."""

    tables: list[Table] = field(default_factory=list)
    enums: list[Enum] = field(default_factory=list)
    views: list[tuple[SqlView, str]] = field(default_factory=list)
    indexes: list[tuple[SqlIndex, str]] = field(default_factory=list)
    unreadable: list[Location] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)
    # parallel to ``unreadable``: the identifiers the unread statement mentions (None: the
    # whole file, or a statement whose text is unknown); see ``blocking``
    words: list[frozenset[str] | None] = field(default_factory=list)

    def blocking(self, names: tuple[str, ...]) -> list[int]:
        """Indexes of the unread statements that could explain the absence of an object
        named by ``names``: those that mention one of the names, and unread whole files. A
        statement that does not name a table cannot create it or add its columns."""
        return [i for i, w in enumerate(self.words) if w is None or any(n in w for n in names)]

    def table(self, name: str, schema: str, exact: bool = True) -> Table | None:
        for t in self.tables:
            if t.name == name and (compat(t.schema, schema) if exact
                                   else wants(schema, t.schema)):
                return t
        return None

    def enum(self, name: str, schema: str, exact: bool = True) -> Enum | None:
        for e in self.enums:
            if e.name == name and (compat(e.schema, schema) if exact
                                   else wants(schema, e.schema)):
                return e
        return None

    def add(self, path: str, facts: SqlFacts) -> None:
        for d in facts.drops:
            if d.kind == "table":
                self.tables = [t for t in self.tables
                               if not (t.name == d.name and compat(t.schema, d.schema))]
                self.indexes = [(i, p) for i, p in self.indexes
                                if not (i.table == d.name and compat(i.table_schema, d.schema))]
            elif d.kind == "view":
                self.views = [(v, p) for v, p in self.views
                              if not (v.name == d.name and compat(v.schema, d.schema))]
            elif d.kind == "index":
                self.indexes = [(i, p) for i, p in self.indexes if i.name != d.name]
            elif d.kind == "type":
                self.enums = [e for e in self.enums
                              if not (e.name == d.name and compat(e.schema, d.schema))]
        for st in facts.tables:
            t = self.table(st.name, st.schema)
            if t is None:
                t = Table(st.name, st.schema)
                self.tables.append(t)
            if st.created:
                if t.created is not None:
                    # Created earlier: this CREATE (IF NOT EXISTS) is a no-op, but the ALTERs
                    # that follow it in this file did apply to the existing table.
                    altered = [c for c in st.columns if c.origin == "alter"]
                    t.columns.update({c.name: (c, path) for c in altered})
                    t.evidence.extend(Location(path, s) for s in st.spans[1:])
                    continue
                t.created = Location(path, st.span)
                t.complete = st.complete
                t.evidence.insert(0, t.created)
                old = t.columns
                t.columns = {c.name: (c, path) for c in st.columns}
                for k, v in old.items():  # ALTERs seen (in earlier paths) before the CREATE
                    t.columns.setdefault(k, v)
                t.evidence.extend(Location(path, s) for s in st.spans[1:])
            else:
                t.columns.update({c.name: (c, path) for c in st.columns})
                t.evidence.extend(Location(path, s) for s in st.spans)
        for se in facts.enums:
            e = self.enum(se.name, se.schema)
            if e is None:
                e = Enum(se.name, se.schema)
                self.enums.append(e)
            if se.created and e.created is None:
                e.created = Location(path, se.span)
                e.values = list(se.values) + [v for v in e.values if v not in se.values]
                e.evidence.insert(0, e.created)
                e.evidence.extend(Location(path, s) for s in se.spans[1:])
            elif not se.created:
                e.values.extend(v for v in se.values if v not in e.values)
                e.evidence.extend(Location(path, s) for s in se.spans)
        for v in facts.views:
            self.views = [(x, p) for x, p in self.views
                          if not (x.name == v.name and compat(x.schema, v.schema))]
            self.views.append((v, path))
        self.indexes.extend((i, path) for i in facts.indexes)


def read_schema(files: Sequence[FileFacts], outside: Iterable[str] = ()) -> Schema:
    """The merged schema of ``files`` (in the given order: sort them by path), recording every
    statement or file that could not be read; ``outside``: matched paths that are not in the
    rule's scope (not analysed for it, so they make absences undecidable)."""
    schema = Schema()
    for f in files:
        facts = f.payload if isinstance(f.payload, SqlFacts) else None
        opaque_spans = {o.span for o in facts.opaque} if facts is not None else set()
        for p in f.problems:
            if p.rule not in BLOCKING or p.span in opaque_spans:
                continue  # a statement that did not parse: its words are known (below)
            schema.unreadable.append(Location(f.path, p.span))
            schema.reasons.append(
                f"the statement at {f.path}:{p.span.line} did not parse: "
                + p.message.removeprefix("SQL statement does not parse: ")
                if p.rule == "parse-error" else f"{f.path} could not be read: {p.message}")
            schema.words.append(None)
        if facts is not None:
            schema.add(f.path, facts)
            for o in facts.opaque:
                problem = next((p for p in f.problems if p.span == o.span), None)
                schema.unreadable.append(Location(f.path, o.span))
                schema.reasons.append(
                    f"the statement at {f.path}:{o.span.line} did not parse: "
                    + problem.message.removeprefix("SQL statement does not parse: ")
                    if problem is not None else
                    f"the statement at {f.path}:{o.span.line} is {o.reason}"
                    if o.reason.startswith("a ") else
                    f"the statement at {f.path}:{o.span.line}: {o.reason}")
                schema.words.append(o.words)
        elif not any(p.rule in BLOCKING for p in f.problems):
            schema.unreadable.append(Location(f.path, Span.file_start()))
            schema.reasons.append(f"{f.path} was not analysed")
            schema.words.append(None)
    for path in outside:
        schema.unreadable.append(Location(path, Span.file_start()))
        schema.reasons.append(f"{path} exists but is outside the rule's `where:` paths, "
                              "so it was not analysed for this rule")
        schema.words.append(None)
    return schema


# --------------------------------------------------------------------------------------------
# Which files
# --------------------------------------------------------------------------------------------


def select_files(ctx: RuleContext, patterns: Any, exclude: Sequence[str] = ()
                 ) -> tuple[list[FileFacts], list[Finding], list[str]]:
    """The facts of the files named by ``patterns`` (paths or globs), sorted by path, minus
    those ``exclude`` (globs) matches; FAIL findings for names that match nothing; and the
    matched paths that exist outside the rule's scope."""
    pats = [patterns] if isinstance(patterns, str) else list(patterns)
    skip = path_matcher(exclude) if exclude else None
    chosen: dict[str, FileFacts] = {}
    findings: list[Finding] = []
    elsewhere: list[str] = []
    for pat in pats:
        pat = pat.strip()
        if GLOB & set(pat):
            match = path_matcher((pat,))  # project paths: the fast matcher equals pathspec
            hits = [f for f in ctx.files if match(f.path)
                    and not (skip is not None and skip(f.path))]
            if not hits:
                other = sorted(p for p in ctx.all_paths if match(p)
                               and not (skip is not None and skip(p)))
                if other:
                    elsewhere.extend(other)
                else:
                    msg = f"no file matches {pat}"
                    findings.append(ctx.finding(literal_prefix(pat) or ".", None, msg, msg))
            for f in hits:
                chosen[f.path] = f
        else:
            path = posixpath.normpath(pat)
            hit = next((f for f in ctx.files if f.path == path), None)
            if hit is not None:
                chosen[path] = hit
            elif path in ctx.all_paths:
                elsewhere.append(path)
            else:
                msg = f"{path}: file not found"
                findings.append(ctx.finding(path, None, msg, msg))
    return [chosen[k] for k in sorted(chosen)], findings, elsewhere


def first_pattern(files: Any) -> str:
    pat = files if isinstance(files, str) else (files[0] if files else ".")
    return posixpath.normpath(pat) if not (GLOB & set(pat)) else (literal_prefix(pat) or ".")


def literal_prefix(pat: str) -> str:
    parts = []
    for part in pat.strip("/").split("/"):
        if GLOB & set(part):
            break
        parts.append(part)
    return "/".join(parts)
