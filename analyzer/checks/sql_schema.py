"""Check kind ``sql-schema``: SQL DDL files define a table / enum / view / index as required.

Automates the audit's phase 7 ("``ml_training_runs`` table with JSONB metrics",
"``ml_model_registry`` table with stage enum", "``v_agent_latency_summary`` view", "indexes on
trace_id, agent_name, started_at", "``learning_signals`` RAGAS columns") from what PostgreSQL's
own grammar reads, so comments, string literals and function bodies that mention ``CREATE TABLE``
do not count.

Decisions (copied into the README):

* **Files.** ``files`` lists paths or gitignore-style globs relative to the project root; all
  matched files are evaluated together, in path order (migrations are numbered so path order is
  execution order): the first ``CREATE`` of an object wins (later ``IF NOT EXISTS`` re-creations
  are no-ops, as in PostgreSQL), ``ALTER TABLE`` / ``ALTER TYPE`` from any file add to it, and a
  ``DROP`` in a later file removes what earlier files created. A listed path that does not exist,
  or a glob that matches nothing, is a FAIL finding. (The merge is ``checks/ddl.py``, shared
  with ``db-contract``.)
* **Names** in rules follow SQL identifier rules: unquoted parts are lower-cased (ASCII), double
  quoted parts keep their spelling (``'"MixedCase"'``). An unqualified name matches the object in
  any schema; a qualified name (``public.ml_experiments``) requires that schema, where an
  unqualified definition counts as ``public`` (the default ``search_path``).
* **Column types** are compared strictly after normalising both sides through the same parser
  (see ``facts/sql_types.py``): ``timestamp with time zone`` = ``timestamptz``, ``INT`` = ``integer``,
  but ``serial`` != ``integer`` and ``json`` != ``jsonb``. A rule type without modifiers ignores
  the column's modifiers (``varchar`` matches ``varchar(255)``); with modifiers they must match.
* **Indexes** (``match: leading``, the default and the strictest defensible reading of "indexes
  on trace_id, agent_name, started_at"): *each* listed column must be the **first** column of at
  least one index on the table, because a B-tree helps lookups on a column only when it leads.
  Indexes PostgreSQL creates for ``PRIMARY KEY`` and ``UNIQUE`` constraints count; partial
  indexes count; expression indexes (``lower(agent_name)``) do not cover the column.
  ``match: prefix``: one index whose leading columns are exactly the listed columns, in order
  (a composite index). ``unique: true`` requires the index to be unique; ``name`` requires an
  index of that name on the table.
* **Enums.** ``values`` must all be labels of the enum (a subset: extra labels are fine; order is
  not checked). ``used_by: {table: t, column: c}``: that column exists and its type is the enum.
* **Undecidable.** If some statement in the files did not parse (or a file could not be read),
  an *absence* (object, column, label or index not found) may be explained by that statement,
  so the rule is UNKNOWN ("could not decide: statement at file:line did not parse") instead of
  FAIL. Likewise a column missing from a table whose column list is not fully known (``LIKE``,
  ``INHERITS``, ``PARTITION OF``, ``CREATE TABLE AS``). What was found is still judged: a wrong
  type is a FAIL.
* **Evidence** of a pass: the location of the ``CREATE`` statement (and of the ``ALTER`` /
  ``CREATE INDEX`` statements) that prove it.
"""

from __future__ import annotations

import re
from fnmatch import fnmatchcase
from typing import Any, ClassVar, Literal, Mapping

from ..facts.sql_types import SqlColumn, SqlIndex, parse_type
from ..types import CheckResult, FileKind, Finding, Location, Severity
from .params import opt, params
from .base import CheckKind, RuleContext, could_not_decide
from .ddl import GLOB as _GLOB
from .ddl import Schema as _Schema
from .ddl import Table as _Table
from .ddl import compat as _compat
from .ddl import first_pattern as _first_pattern
from .ddl import parse_name
from .ddl import quote as _q
from .ddl import read_schema, select_files
from .ddl import wants as _wants

_MODES = ("table", "enum", "view", "index")


# --------------------------------------------------------------------------------------------
# The check kind
# --------------------------------------------------------------------------------------------


@params
class UsedBy:
    """`used_by`: the column whose type is the enum."""

    table: str = opt(doc="The table ((schema.)name).")
    column: str = opt(doc="The column.")


@params
class IndexSpec:
    """`index`: an index the table must have."""

    table: str = opt(doc="The table ((schema.)name).")
    columns: list[str] | None = opt(None, doc="The indexed columns, in order.")
    match: Literal["leading", "prefix"] = opt("leading",
                                              doc="`leading`: the index starts with the "
                                                  "columns; `prefix`: its columns start "
                                                  "with them.")
    unique: bool | None = opt(None, doc="Require (true) or forbid (false) a unique index.")
    name: str | None = opt(None, doc="The index's name.")


@params
class SqlSchemaCheckParams:
    """The `check:` parameters of `sql-schema`."""

    files: list[str] | str = opt(
        doc="SQL files (paths or gitignore-style globs relative to the root), read "
            "together in path order.", globs=True)
    table: str | None = opt(None, doc="Table that must be created ((schema.)name).")
    columns: dict[str, str | None] | list[str] | None = opt(
        None,
        doc="With `table`: column names, or a mapping column -> expected type "
            "(null = any type).")
    enum: str | None = opt(None, doc="Enum type that must be created ((schema.)name).")
    values: list[str] | None = opt(None, doc="With `enum`: labels the enum must have (a subset).")
    used_by: UsedBy | None = opt(
        None,
        doc="With `enum`: {table: t, column: c} whose type must be the enum. Without "
            "`enum`: the enum is whatever type that column has (it must be an enum "
            "created in the files, with `values`).")
    columns_any_of: list[list[str]] | None = opt(
        None,
        doc="With `table`: alternatives, each a list of column names or globs; the "
            "table must have all the columns of at least one alternative.")
    view: str | None = opt(None, doc="View (or materialized view) that must be created.")
    materialized: bool | None = opt(None, doc="With `view`: require (true) or forbid (false) "
                                           "a materialized view.")
    index: IndexSpec | None = opt(
        None,
        doc="{table: t, columns: [..], match: leading|prefix, unique: bool, name: n}: "
            "indexes the table must have.")


class SqlSchemaCheck(CheckKind):
    """SQL DDL files (evaluated together) define a table, enum, view or index as required."""

    kind: ClassVar[str] = "sql-schema"
    file_kinds: ClassVar[frozenset[FileKind]] = frozenset({FileKind.SQL})
    summary: ClassVar[str] = ("SQL DDL files define a table (with columns and types), an enum "
                              "(with labels, used by a column), a view, or indexes.")
    example: ClassVar[str] = """\
check:
  kind: sql-schema
  files: [database/ml/mlops_tables.sql]
  table: ml_training_runs
  columns: {metrics: jsonb, started_at: timestamptz}
"""
    Params = SqlSchemaCheckParams
    valid_examples = (
        '{kind: sql-schema, files: [database/schema.sql], table: ml_experiments, columns: {id: uuid, name: null}}',
        '{kind: sql-schema, files: [database/schema.sql], index: {table: ml_experiments, columns: [name], unique: true}}',
    )
    invalid_examples = (
        ('{kind: sql-schema, files: [database/schema.sql], enum: e, used_by: {table: t}}',
         'used_by: must be {table: <name>, column: <name>}'),
        ('{kind: sql-schema, files: [database/schema.sql], table: t, columns: [id], view: v}',
         'give exactly one of table, enum, view, index'),
    )

    # -- validation ---------------------------------------------------------------------------
    @classmethod
    def validate(cls, params: Mapping[str, Any]) -> list[str]:
        errors: list[str] = []
        g = {k for k, v in params.items() if v is not None}
        files = params.get("files")
        files = [files] if isinstance(files, str) else files
        if not files:
            errors.append("files: list at least one SQL file or glob")
        for f in files or ():
            if isinstance(f, str) and (f.startswith("/") or ".." in f.split("/")):
                errors.append(f"files: {f!r} must be relative to the project root")
        modes = [m for m in _MODES if m in g]
        if "used_by" in g and "enum" not in g and not modes:
            modes = ["enum"]  # the enum named by its column's type
        if len(modes) != 1:
            errors.append("give exactly one of table, enum, view, index"
                          + (f" (got {', '.join(modes)})" if modes else ""))
        for name, owner in (("columns", "table"), ("columns_any_of", "table"),
                            ("values", "enum"), ("materialized", "view")):
            if name in g and owner not in g and not (owner == "enum" and "used_by" in g):
                errors.append(f"{name} only applies with {owner}")
        for name in ("table", "enum", "view"):
            if name in g and parse_name(params[name]) is None:
                errors.append(f"{name}: {params[name]!r} is not a (schema.)name")
        cols = params.get("columns")
        if isinstance(cols, list):
            for c in cols:
                if not isinstance(c, str) or parse_name(c) is None or "." in c.strip('"'):
                    errors.append(f"columns: {c!r} is not a column name")
        elif isinstance(cols, dict):
            for c, t in cols.items():
                if not isinstance(c, str) or (parse_name(c) is None and not (
                        _GLOB & set(c) and re.fullmatch(r"[A-Za-z0-9_$*?\[\]!-]+", c))):
                    errors.append(f"columns: {c!r} is not a column name")
                if t is not None and (not isinstance(t, str) or parse_type(t) is None):
                    errors.append(f"columns.{c}: {t!r} is not a SQL type")
        if "used_by" in g:
            ub = params["used_by"]
            if set(ub) != {"table", "column"} or not all(
                    isinstance(ub[k], str) and parse_name(ub[k]) for k in ub):
                errors.append("used_by: must be {table: <name>, column: <name>}")
        if "index" in g:
            errors.extend(_validate_index(params["index"]))
        return errors

    def patterns(self) -> tuple[str, ...] | None:
        return None  # SQL files are few, and a file that does not parse must still be seen

    # -- evaluation ---------------------------------------------------------------------------
    def evaluate(self, ctx: RuleContext) -> CheckResult:
        files, findings, unknown_files = self._select(ctx)
        if not files and not unknown_files:  # nothing to read: "file not found" says it all
            return self.result(ctx, findings)
        schema = read_schema(files, unknown_files)
        anchor = files[0].path if files else _first_pattern(self.p["files"])
        ev = _Eval(self, ctx, schema, anchor, [f.path for f in files])
        p = self.p
        if p.get("table") is not None:
            ev.table()
        elif p.get("enum") is not None or p.get("used_by") is not None:
            ev.enum()
        elif p.get("view") is not None:
            ev.view()
        elif p.get("index") is not None:
            ev.index()
        findings.extend(ev.findings)
        undecided = [f.message for f in ev.findings if f.severity == Severity.INFO]
        note = ev.note if not findings else "; ".join(undecided)
        return self.result(ctx, findings, ev.evidence, note, undecided=bool(undecided))

    def _select(self, ctx: RuleContext) -> tuple[list, list[Finding], list[str]]:
        """The facts of the files named by ``files``; findings for names that match nothing."""
        return select_files(ctx, self.p["files"])


def _validate_index(spec: Any) -> list[str]:
    errors = []
    allowed = {"table", "columns", "match", "unique", "name"}
    if not isinstance(spec, dict):
        return ["index: must be a mapping {table: ..., columns: [...]}"]
    extra = set(spec) - allowed
    if extra:
        errors.append(f"index: unknown key(s) {', '.join(sorted(map(str, extra)))} "
                      f"(allowed: {', '.join(sorted(allowed))})")
    if not isinstance(spec.get("table"), str) or parse_name(spec["table"]) is None:
        errors.append("index.table: required, a (schema.)name")
    cols = spec.get("columns")
    if cols is None and spec.get("name") is None:
        errors.append("index: give columns (a list) and/or name")
    if cols is not None and (not isinstance(cols, list) or not cols or not all(
            isinstance(c, str) and parse_name(c) for c in cols)):
        errors.append("index.columns: must be a non-empty list of column names")
    if spec.get("match", "leading") not in ("leading", "prefix"):
        errors.append(f"index.match: must be leading or prefix, got {spec.get('match')!r}")
    if "unique" in spec and not isinstance(spec["unique"], bool):
        errors.append("index.unique: must be true or false")
    if "name" in spec and (not isinstance(spec["name"], str) or not parse_name(spec["name"])):
        errors.append("index.name: must be an index name")
    return errors


class _Eval:
    """Evaluation of one rule over the merged schema; collects findings and evidence."""

    def __init__(self, check: SqlSchemaCheck, ctx: RuleContext, schema: _Schema,
                 anchor: str, paths: list[str]) -> None:
        self.p = check.p
        self.paths = paths
        self.ctx = ctx
        self.s = schema
        self.anchor = anchor
        self.findings: list[Finding] = []
        self.evidence: list[Location] = []
        self.note = ""
        self.names = _object_names(self.p)

    # -- reporting ----------------------------------------------------------------------------
    def fail(self, loc: Location | None, message: str, tag: str) -> None:
        loc = loc or Location(self.anchor)
        self.findings.append(self.ctx.finding(loc.path, loc.span, message, tag))

    def absent(self, loc: Location | None, message: str, tag: str,
               incomplete: str = "", names: tuple[str, ...] = ()) -> None:
        """Something required was not found: FAIL, or UNKNOWN if it may be in what we could
        not read (a statement that did not parse and names one of ``names``, an unreadable
        file, a table whose columns are not all known)."""
        loc = loc or Location(self.anchor)
        why = ""
        blocking = self.s.blocking(names or self.names)
        if blocking:
            r = self.s.reasons[blocking[0]]
            more = len(blocking) - 1
            why = (r
                   + (f" ({more} more unread statement{'s' * (more > 1)} naming it)"
                      if more else ""))
        elif incomplete:
            why = incomplete
        if why:
            msg = could_not_decide(f"{message}, and {why}")
            self.findings.append(self.ctx.finding(loc.path, loc.span, msg, tag,
                                                  severity=Severity.INFO))
        else:
            self.findings.append(self.ctx.finding(loc.path, loc.span, message, tag))

    def _missing_object(self, what: str, schema: str, name: str) -> None:
        files = self.paths
        where = (", ".join(files[:3]) + (", ..." if len(files) > 3 else "")
                 or "any file (none of the listed files exists)")
        self.absent(None, f"{what} {_q(schema, name)} is not created in {where}",
                    f"{what} {_q(schema, name)} missing")

    # -- modes --------------------------------------------------------------------------------
    def _find_table(self) -> tuple[_Table | None, str, str]:
        schema, name = parse_name(self.p["table"])  # type: ignore[misc]
        cands = [t for t in self.s.tables if t.name == name and _wants(schema, t.schema)]
        created = [t for t in cands if t.created is not None]
        if not created:
            alt = cands[0] if cands else None
            if alt is not None and alt.evidence:
                e = alt.evidence[0]
                self.absent(e, f"table {_q(schema, name)} is altered at {e.path}:{e.span.line} "
                            "but never created", f"table {_q(schema, name)} missing")
            else:
                self._missing_object("table", schema, name)
            return None, schema, name
        return created[0], schema, name

    def table(self) -> None:
        t, schema, name = self._find_table()
        if t is None:
            return
        self.evidence.extend(t.evidence)
        cols = self.p.get("columns")
        wanted: dict[str, Any] = {}
        if isinstance(cols, list):
            wanted = {c: None for c in cols}
        elif isinstance(cols, dict):
            wanted = dict(cols)
        tname = _q(t.schema, t.name)
        incomplete = ("" if t.complete else
                      f"the column list of {tname} is not fully known "
                      f"({t.created.path}:{t.created.span.line} uses LIKE, INHERITS, "
                      "PARTITION OF or AS)")
        missing = []
        for raw, want in wanted.items():
            if _GLOB & set(raw):
                self._role(t, tname, raw, want, incomplete)
                continue
            cname = parse_name(raw)[1]  # type: ignore[index]
            hit = t.columns.get(cname)
            if hit is None:
                missing.append(cname)
                continue
            col, path = hit
            self.evidence.append(Location(path, col.span))
            if want is None:
                continue
            exp = parse_type(want)
            if exp is None:
                continue  # rejected by validate
            if not _type_ok(col, exp):
                shown = col.type_text or col.type
                self.fail(Location(path, col.span),
                          f"column {tname}.{_q('', cname)} has type {shown}, expected "
                          f"{exp[1]}", f"{tname}.{cname} type")
        if missing:
            names = ", ".join(_q("", m) for m in missing)
            have = ", ".join(_q("", c) for c in t.columns) or "none"
            self.absent(t.created, f"table {tname} has no column{'s' * (len(missing) > 1)} "
                        f"{names} (its columns: {have})", f"{tname} missing columns {names}",
                        incomplete)
        alts = self.p.get("columns_any_of")
        if alts:
            self._any_of(t, tname, alts, incomplete)
        self.note = f"table {tname} created at {t.created}"

    def _any_of(self, t: _Table, tname: str, alts: list, incomplete: str) -> None:
        """At least one alternative's columns (names or globs) all exist."""
        def has(col: str) -> list[tuple[SqlColumn, str]]:
            if _GLOB & set(col):
                return [v for k, v in t.columns.items() if fnmatchcase(k, col)]
            hit = t.columns.get(parse_name(col)[1])  # type: ignore[index]
            return [hit] if hit else []

        for alt in alts:
            found = [has(c) for c in alt]
            if all(found):
                self.evidence.extend(Location(p, c.span) for hits in found for c, p in hits)
                return
        shown = " or ".join("(" + ", ".join(alt) + ")" for alt in alts)
        have = ", ".join(_q("", c) for c in t.columns) or "none"
        self.absent(t.created, f"table {tname} has none of the column sets {shown} (its "
                    f"columns: {have})", f"{tname} no column set", incomplete)

    def _role(self, t: _Table, tname: str, glob: str, want: Any, incomplete: str) -> None:
        """A column requirement by role (``"*metrics": jsonb``): at least one column's name
        matches the glob (fnmatch, case-sensitive on the folded name), and every matching
        column has the type (when one is given). What the checkbox names is a role ("the
        metrics columns are JSONB"), not a spelling: ``metrics``, ``train_metrics`` and
        ``validation_metrics`` all play it."""
        hits = [(c, p) for name, (c, p) in t.columns.items() if fnmatchcase(name, glob)]
        if not hits:
            have = ", ".join(_q("", c) for c in t.columns) or "none"
            self.absent(t.created, f"table {tname} has no column matching {glob} (its "
                        f"columns: {have})", f"{tname} no column {glob}", incomplete)
            return
        exp = parse_type(want) if want is not None else None
        for col, path in hits:
            self.evidence.append(Location(path, col.span))
            if exp is not None and not _type_ok(col, exp):
                self.fail(Location(path, col.span),
                          f"column {tname}.{_q('', col.name)} (matching {glob}) has type "
                          f"{col.type_text or col.type}, expected {exp[1]}",
                          f"{tname}.{col.name} type")

    def _enum_of_column(self) -> tuple[str, str] | None:
        """(schema, name) of the type of the ``used_by`` column, when no ``enum`` is named."""
        ub = self.p["used_by"]
        tschema, tname = parse_name(ub["table"])  # type: ignore[misc]
        cname = parse_name(ub["column"])[1]  # type: ignore[index]
        t = next((t for t in self.s.tables if t.name == tname and _wants(tschema, t.schema)
                  and t.created is not None), None)
        if t is None:
            self._missing_object("table", tschema, tname)
            return None
        hit = t.columns.get(cname)
        if hit is None:
            qt = _q(t.schema, t.name)
            inc = "" if t.complete else f"the column list of {qt} is not fully known"
            self.absent(t.created, f"table {qt} has no column {_q('', cname)} (expected an "
                        "enum-typed column)", f"{qt}.{cname} missing", inc)
            return None
        col, path = hit
        self.evidence.append(Location(path, col.span))
        return col.type_schema, col.type

    def enum(self) -> None:
        if self.p.get("enum") is None:
            found = self._enum_of_column()
            if found is None:
                return
            schema, name = found
            if not any(e.name == name and _wants(schema, e.schema) for e in self.s.enums):
                ub = self.p["used_by"]
                col = f"{ub['table']}.{ub['column']}"
                self.absent(None, f"column {col} has type {name}, which is not an enum type "
                            f"created in {', '.join(self.paths[:3]) or 'the files'}",
                            f"{col} not an enum", names=(name, parse_name(ub["table"])[1]))
                return
        else:
            schema, name = parse_name(self.p["enum"])  # type: ignore[misc]
        cands = [e for e in self.s.enums if e.name == name and _wants(schema, e.schema)
                 and e.created is not None]
        if not cands:
            self._missing_object("enum type", schema, name)
            return
        e = cands[0]
        ename = _q(e.schema, e.name)
        self.evidence.extend(e.evidence)
        want = self.p.get("values") or []
        missing = [v for v in want if v not in e.values]
        if missing:
            self.absent(e.created, f"enum {ename} lacks label{'s' * (len(missing) > 1)} "
                        f"{', '.join(repr(v) for v in missing)} (its labels: "
                        f"{', '.join(repr(v) for v in e.values) or 'none'})",
                        f"enum {ename} missing {missing}")
        ub = self.p.get("used_by")
        if ub:
            tschema, tname = parse_name(ub["table"])  # type: ignore[misc]
            cname = parse_name(ub["column"])[1]  # type: ignore[index]
            tables = [t for t in self.s.tables if t.name == tname and _wants(tschema, t.schema)
                      and t.created is not None]
            if not tables:
                self._missing_object("table", tschema, tname)
            else:
                t = tables[0]
                qt = _q(t.schema, t.name)
                hit = t.columns.get(cname)
                if hit is None:
                    inc = "" if t.complete else f"the column list of {qt} is not fully known"
                    self.absent(t.created, f"table {qt} has no column {_q('', cname)} "
                                f"(expected it to use enum {ename})",
                                f"{qt}.{cname} missing", inc)
                else:
                    col, path = hit
                    self.evidence.append(Location(path, col.span))
                    if not (col.type == e.name and (not col.type_schema
                                                    or _compat(col.type_schema, e.schema))):
                        self.fail(Location(path, col.span),
                                  f"column {qt}.{_q('', cname)} has type "
                                  f"{col.type_text or col.type}, expected enum {ename}",
                                  f"{qt}.{cname} not {ename}")
        self.note = f"enum {ename} created at {e.created}"

    def view(self) -> None:
        schema, name = parse_name(self.p["view"])  # type: ignore[misc]
        cands = [(v, p) for v, p in self.s.views if v.name == name and _wants(schema, v.schema)]
        if not cands:
            self._missing_object("view", schema, name)
            return
        v, path = cands[0]
        loc = Location(path, v.span)
        self.evidence.append(loc)
        want = self.p.get("materialized")
        if want is not None and v.materialized != want:
            kind = "a materialized view" if v.materialized else "a plain view"
            self.fail(loc, f"{_q(v.schema, v.name)} is {kind}, expected "
                      f"{'a materialized' if want else 'a plain (not materialized)'} view",
                      f"view {v.name} materialized")
        self.note = f"view {_q(v.schema, v.name)} created at {loc}"

    def index(self) -> None:
        spec = self.p["index"]
        schema, tname = parse_name(spec["table"])  # type: ignore[misc]
        cols = [parse_name(c)[1] for c in spec.get("columns") or ()]  # type: ignore[index]
        mode = spec.get("match", "leading")
        unique = spec.get("unique")
        iname = parse_name(spec["name"])[1] if spec.get("name") else None  # type: ignore[index]
        table = next((t for t in self.s.tables if t.name == tname and _wants(schema, t.schema)
                      and t.created is not None), None)
        tq = _q(schema, tname)
        where = table.created if table is not None else None
        idx = [(i, p) for i, p in self.s.indexes
               if i.table == tname and _wants(schema, i.table_schema)
               and (unique is None or i.unique == unique)]
        if iname is not None:
            idx = [(i, p) for i, p in idx if i.name == iname]
        listing = ", ".join(_show_index(i) for i, _ in idx[:8]) or "none"
        uq = "unique " if unique else ""
        if iname is not None and not idx:
            self.absent(where, f"no {uq}index named {_q('', iname)} on {tq}",
                        f"index {iname} on {tname} missing")
            return
        if not cols:
            self.evidence.extend(Location(p, i.span) for i, p in idx)
            self.note = f"index {iname} on {tq} at {self.evidence[0]}"
            return
        if mode == "prefix":
            hit = next(((i, p) for i, p in idx if list(i.columns[:len(cols)]) == cols), None)
            if hit is None:
                self.absent(where, f"no {uq}index on {tq} starts with ({', '.join(cols)}) "
                            f"(its indexes: {listing})", f"index on {tname} {cols} missing")
                return
            self.evidence.append(Location(hit[1], hit[0].span))
        else:
            uncovered = []
            for c in cols:
                hit = next(((i, p) for i, p in idx if i.columns and i.columns[0] == c), None)
                if hit is None:
                    uncovered.append(c)
                else:
                    self.evidence.append(Location(hit[1], hit[0].span))
            if uncovered:
                self.absent(where, f"no {uq}index on {tq} has "
                            f"{', '.join(_q('', c) for c in uncovered)} as its first column "
                            f"(its indexes: {listing})",
                            f"index on {tname} leading {uncovered} missing")
                return
        self.note = f"indexes on {tq}: " + ", ".join(str(e) for e in self.evidence)


def _object_names(p: Mapping[str, Any]) -> tuple[str, ...]:
    """The SQL object names a rule is about (what an unread statement must mention to matter)."""
    out = []
    for key in ("table", "enum", "view"):
        if isinstance(p.get(key), str):
            parsed = parse_name(p[key])
            if parsed:
                out.append(parsed[1])
    ub = p.get("used_by")
    if isinstance(ub, dict) and isinstance(ub.get("table"), str) and parse_name(ub["table"]):
        out.append(parse_name(ub["table"])[1])  # type: ignore[index]
    idx = p.get("index")
    if isinstance(idx, dict):
        for key in ("table", "name"):
            if isinstance(idx.get(key), str) and parse_name(idx[key]):
                out.append(parse_name(idx[key])[1])  # type: ignore[index]
    return tuple(out)


def _show_index(i: SqlIndex) -> str:
    name = i.name or (f"<{i.implicit}>" if i.implicit else "<unnamed>")
    return f"{name}({', '.join(i.columns)})"


def _type_ok(col: SqlColumn, exp: tuple[str, str, str]) -> bool:
    """Strict comparison of normalised types; modifiers only when the rule gives them."""
    typ, text, tschema = exp
    if tschema and col.type_schema and not _compat(tschema, col.type_schema):
        return False
    if text != typ:  # the rule wrote modifiers: compare the full text
        return col.type_text == text
    return col.type == typ
