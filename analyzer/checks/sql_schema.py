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
  or a glob that matches nothing, is a FAIL finding.
* **Names** in rules follow SQL identifier rules: unquoted parts are lower-cased (ASCII), double
  quoted parts keep their spelling (``'"MixedCase"'``). An unqualified name matches the object in
  any schema; a qualified name (``public.ml_experiments``) requires that schema, where an
  unqualified definition counts as ``public`` (the default ``search_path``).
* **Column types** are compared strictly after normalising both sides through the same parser
  (see ``facts/sql.py``): ``timestamp with time zone`` = ``timestamptz``, ``INT`` = ``integer``,
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

import posixpath
import re
from dataclasses import dataclass, field
from typing import Any, ClassVar, Mapping

import pathspec

from ..facts.model import FileFacts
from ..facts.sql import SqlColumn, SqlFacts, SqlIndex, SqlView, parse_type
from ..types import CheckResult, FileKind, Finding, Location, Severity, Span
from .base import CheckKind, Param, RuleContext

_MODES = ("table", "enum", "view", "index")
_BLOCKING = frozenset({"parse-error", "read-error", "skipped", "internal-error"})
_GLOB = set("*?[")
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


def _compat(a: str, b: str) -> bool:
    return a == b or {a, b} == {"", "public"}


def _wants(rule_schema: str, schema: str) -> bool:
    """Does an object in ``schema`` satisfy a rule naming ``rule_schema`` ("" = any)?"""
    return not rule_schema or _compat(rule_schema, schema)


def _q(schema: str, name: str) -> str:
    """Display name: ``public.ml_experiments``, quoting parts that need it."""
    def part(p: str) -> str:
        return p if re.fullmatch(r"[a-z_][a-z0-9_$]*", p) else '"' + p.replace('"', '""') + '"'
    return f"{part(schema)}.{part(name)}" if schema else part(name)


# --------------------------------------------------------------------------------------------
# The merged schema of the files in scope
# --------------------------------------------------------------------------------------------


@dataclass
class _Table:
    name: str
    schema: str
    created: Location | None = None  # the CREATE statement
    complete: bool = True
    columns: dict[str, tuple[SqlColumn, str]] = field(default_factory=dict)  # -> (col, path)
    evidence: list[Location] = field(default_factory=list)


@dataclass
class _Enum:
    name: str
    schema: str
    created: Location | None = None
    values: list[str] = field(default_factory=list)
    evidence: list[Location] = field(default_factory=list)


@dataclass
class _Schema:
    """What the files define together, applied in path order (see the module docstring)."""

    tables: list[_Table] = field(default_factory=list)
    enums: list[_Enum] = field(default_factory=list)
    views: list[tuple[SqlView, str]] = field(default_factory=list)
    indexes: list[tuple[SqlIndex, str]] = field(default_factory=list)
    unreadable: list[Location] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)

    def table(self, name: str, schema: str, exact: bool = True) -> _Table | None:
        for t in self.tables:
            if t.name == name and (_compat(t.schema, schema) if exact
                                   else _wants(schema, t.schema)):
                return t
        return None

    def enum(self, name: str, schema: str, exact: bool = True) -> _Enum | None:
        for e in self.enums:
            if e.name == name and (_compat(e.schema, schema) if exact
                                   else _wants(schema, e.schema)):
                return e
        return None

    def add(self, path: str, facts: SqlFacts) -> None:
        for d in facts.drops:
            if d.kind == "table":
                self.tables = [t for t in self.tables
                               if not (t.name == d.name and _compat(t.schema, d.schema))]
                self.indexes = [(i, p) for i, p in self.indexes
                                if not (i.table == d.name and _compat(i.table_schema, d.schema))]
            elif d.kind == "view":
                self.views = [(v, p) for v, p in self.views
                              if not (v.name == d.name and _compat(v.schema, d.schema))]
            elif d.kind == "index":
                self.indexes = [(i, p) for i, p in self.indexes if i.name != d.name]
            elif d.kind == "type":
                self.enums = [e for e in self.enums
                              if not (e.name == d.name and _compat(e.schema, d.schema))]
        for st in facts.tables:
            t = self.table(st.name, st.schema)
            if t is None:
                t = _Table(st.name, st.schema)
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
                e = _Enum(se.name, se.schema)
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
                          if not (x.name == v.name and _compat(x.schema, v.schema))]
            self.views.append((v, path))
        self.indexes.extend((i, path) for i in facts.indexes)


# --------------------------------------------------------------------------------------------
# The check kind
# --------------------------------------------------------------------------------------------


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
    params: ClassVar[tuple[Param, ...]] = (
        Param("files", (list, str), required=True, item_types=(str,),
              doc="SQL files (paths or gitignore-style globs relative to the root), read "
                  "together in path order."),
        Param("table", (str,), doc="Table that must be created ((schema.)name)."),
        Param("columns", (dict, list),
              doc="With `table`: column names, or a mapping column -> expected type "
                  "(null = any type)."),
        Param("enum", (str,), doc="Enum type that must be created ((schema.)name)."),
        Param("values", (list,), item_types=(str,),
              doc="With `enum`: labels the enum must have (a subset)."),
        Param("used_by", (dict,),
              doc="With `enum`: {table: t, column: c} whose type must be the enum."),
        Param("view", (str,), doc="View (or materialized view) that must be created."),
        Param("materialized", (bool,), doc="With `view`: require (true) or forbid (false) "
                                           "a materialized view."),
        Param("index", (dict,),
              doc="{table: t, columns: [..], match: leading|prefix, unique: bool, name: n}: "
                  "indexes the table must have."),
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
        if len(modes) != 1:
            errors.append("give exactly one of table, enum, view, index"
                          + (f" (got {', '.join(modes)})" if modes else ""))
        for name, owner in (("columns", "table"), ("values", "enum"), ("used_by", "enum"),
                            ("materialized", "view")):
            if name in g and owner not in g:
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
                if not isinstance(c, str) or parse_name(c) is None:
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
        schema = _Schema()
        for f in files:
            for p in f.problems:
                if p.code not in _BLOCKING:
                    continue
                schema.unreadable.append(Location(f.path, p.span))
                schema.reasons.append(
                    f"the statement at {f.path}:{p.span.line} did not parse: "
                    + p.message.removeprefix("SQL statement does not parse: ")
                    if p.code == "parse-error" else f"{f.path} could not be read: {p.message}")
            if isinstance(f.payload, SqlFacts):
                schema.add(f.path, f.payload)
            elif not any(p.code in _BLOCKING for p in f.problems):
                schema.unreadable.append(Location(f.path, Span.file_start()))
                schema.reasons.append(f"{f.path} was not analysed")
        for path in unknown_files:
            schema.unreadable.append(Location(path, Span.file_start()))
            schema.reasons.append(f"{path} exists but is outside the rule's `where:` paths, "
                                  "so it was not analysed for this rule")
        anchor = files[0].path if files else _first_pattern(self.p["files"])
        ev = _Eval(self, ctx, schema, anchor, [f.path for f in files])
        p = self.p
        if p.get("table") is not None:
            ev.table()
        elif p.get("enum") is not None:
            ev.enum()
        elif p.get("view") is not None:
            ev.view()
        elif p.get("index") is not None:
            ev.index()
        findings.extend(ev.findings)
        undecided = [f.message for f in ev.findings if f.severity == Severity.INFO]
        note = ev.note if not findings else "; ".join(undecided)
        return self.result(ctx, findings, ev.evidence, note, unknown=bool(undecided))

    def _select(self, ctx: RuleContext) -> tuple[list[FileFacts], list[Finding], list[str]]:
        """The facts of the files named by ``files``; findings for names that match nothing."""
        pats = self.p["files"]
        pats = [pats] if isinstance(pats, str) else list(pats)
        chosen: dict[str, FileFacts] = {}
        findings: list[Finding] = []
        elsewhere: list[str] = []
        for pat in pats:
            pat = pat.strip()
            if _GLOB & set(pat):
                spec = pathspec.GitIgnoreSpec.from_lines([pat])
                hits = [f for f in ctx.files if spec.match_file(f.path)]
                if not hits:
                    other = sorted(p for p in ctx.all_paths if spec.match_file(p))
                    if other:
                        elsewhere.extend(other)
                    else:
                        msg = f"no file matches {pat}"
                        findings.append(ctx.finding(_literal_prefix(pat) or ".", None, msg, msg))
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


def _first_pattern(files: Any) -> str:
    pat = files if isinstance(files, str) else (files[0] if files else ".")
    return posixpath.normpath(pat) if not (_GLOB & set(pat)) else (_literal_prefix(pat) or ".")


def _literal_prefix(pat: str) -> str:
    parts = []
    for part in pat.strip("/").split("/"):
        if _GLOB & set(part):
            break
        parts.append(part)
    return "/".join(parts)


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

    # -- reporting ----------------------------------------------------------------------------
    def fail(self, loc: Location | None, message: str, tag: str) -> None:
        loc = loc or Location(self.anchor)
        self.findings.append(self.ctx.finding(loc.path, loc.span, message, tag))

    def absent(self, loc: Location | None, message: str, tag: str,
               incomplete: str = "") -> None:
        """Something required was not found: FAIL, or UNKNOWN if it may be in what we could
        not read (a statement that did not parse, a table whose columns are not all known)."""
        loc = loc or Location(self.anchor)
        why = ""
        if self.s.unreadable:
            r = self.s.reasons[0]
            more = len(self.s.unreadable) - 1
            why = (r
                   + (f" ({more} more problem{'s' * (more > 1)} in scope)" if more else ""))
        elif incomplete:
            why = incomplete
        if why:
            msg = f"could not decide: {message}, and {why}"
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
        self.note = f"table {tname} created at {t.created}"

    def enum(self) -> None:
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
