"""Check kind ``db-contract``: the tables and columns code reads and writes exist in the DDL.

Automates the cross-artifact half of the audit's phase 7: "the schema has the columns" is
only half a contract; the other half is that the code that writes ``learning_signals`` writes
columns the table has, and values its enum columns accept.

Decisions (copied into the README):

* **The DDL** is every file ``files`` names (paths or globs, as ``sql-schema``), minus
  ``exclude_files`` (by default rollback / down migrations: applied in path order they would
  drop what the forward migrations created), merged in path order by the same code as
  ``sql-schema`` (``checks/ddl.py``: ``CREATE``, ``ALTER TABLE``, ``DO``-block DDL, ``DROP``).
* **Code** is every Python file in scope. Two kinds of access are read:
  (1) supabase-py / PostgREST chains (``checks/postgrest.py``: ``.table("t").insert({...})``,
  ``upsert``, ``update``, ``select("a, b")``, filters, ``order``; the table from a literal, a
  constant or a class attribute resolved through the class, its project bases and subclasses;
  payload dicts built in the same function); (2) SQL text passed to ``sql_calls``
  (``checks/sqlcode.py`` finds it, ``facts/sql_text.py`` parses it with pglast, asked through
  ``RuleContext.sql_uses``: ``INSERT`` column lists, ``SELECT`` columns through table aliases,
  ``UPDATE SET``, ``WHERE``).
* **What is a finding**: a column the table does not have; a string literal written to (or
  compared with) an enum-typed column that is not one of the enum's labels; a string literal
  that cannot be a uuid written to / compared with a ``uuid`` column; with
  ``missing_tables: error`` (the default), a table no DDL file creates (system catalogs —
  ``pg_*``, ``information_schema`` — and tables in schemas the DDL never mentions are not
  judged). Each finding names the code site and the DDL statements that define the table
  (``table created at a.sql:497, altered at b.sql:69-158``).
* **Undecidable** (status UNKNOWN, one ``unverifiable``-severity finding per code site, never a
  guess): a query or a payload built at run time (f-strings, concatenation with non-literals,
  ``**row`` spreads, a parameter, a call result), a table name that cannot be known, a column
  of a view or of a derived source (``WITH``, sub-select), a table whose column list is not
  fully known (``LIKE``/``INHERITS``), and an absence that an unread DDL statement naming the
  table could explain. Values that are not literals are not judged (the rule is about
  literals).
* ``tables`` limits the check to some tables (accesses to others are ignored, as are accesses
  whose table cannot be known to be one of them only when it is known to be another).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, ClassVar, Iterable, Literal, Mapping

from ..facts.model import FileFacts
from ..facts.sql_text_types import SqlTextError, looks_like_dml
from ..types import CheckResult, FileKind, Finding, Location, Severity, Span
from .params import opt, params
from .base import CheckKind, RuleContext, could_not_decide
from .ddl import Schema, Table, compat, parse_name, quote, read_schema, \
    select_files
from .postgrest import TABLE_CALLS, Access, Chains, Target, literal_str
from .pyindex import call_literals, show
from .require_call import call_matcher
from .resolve import ProjectIndex, ProjectView
from .sqlcode import Query, QueryFinder

DEFAULT_SQL_CALLS = ["*.execute", "*.executemany", "*.execute_query", "*.fetch", "*.fetchrow",
                     "*.fetchval", "*.fetch_all", "*.fetch_one"]
DEFAULT_EXCLUDE = ["**/rollback*.sql", "**/*_rollback.sql", "**/*.down.sql", "**/*_down.sql"]
_SYSTEM_SCHEMAS = frozenset({"pg_catalog", "information_schema", "pg_toast"})
_UUID = re.compile(r"^\{?[0-9a-fA-F]{4}(?:-?[0-9a-fA-F]{4}){7}\}?$")
# DDL keywords in the spellings migrations use: a SQL file holding none defines no schema
_DDL_WORDS = ("CREATE", "create", "Create", "ALTER", "alter", "Alter", "DROP", "drop", "Drop")


def is_uuid_text(text: str) -> bool:
    """Would PostgreSQL's uuid input accept ``text``? (32 hex digits, optionally in braces,
    optionally with a hyphen after any group of four.)"""
    return _UUID.match(text.strip()) is not None


@dataclass(frozen=True, slots=True)
class _Site:
    """One access to judge: where, what, and through which table (for messages)."""

    path: str
    span: Span
    what: str  # "insert at src/x.py:12" ...
    table: str
    schema: str
    via: str = ""
    through: str = ""  # the subclass an inherited method reaches the table through


@params
class DbContractParams:
    """The `check:` parameters of `db-contract`."""

    files: list[str] | str = opt(
        doc="DDL files (paths or gitignore-style globs relative to the root), applied "
            "together in path order.", globs=True)
    exclude_files: list[str] = opt(
        DEFAULT_EXCLUDE,
        doc="Globs of DDL files not applied (rollback / down migrations).", globs=True)
    tables: list[str] | None = opt(
        None,
        doc="Only accesses to these tables are checked ((schema.)name).")
    sql_calls: list[str] = opt(
        DEFAULT_SQL_CALLS,
        doc="Calls whose first argument (or query=/sql= keyword) is SQL text.")
    table_calls: list[str] = opt(
        list(TABLE_CALLS),
        doc="Methods that start a PostgREST chain on a table.")
    inherited: bool = opt(
        True,
        doc="Judge a base-class method's accesses through `self.<attr>` for each project "
            "subclass that sets the attribute and does not override the method.")
    missing_tables: Literal['error', 'info'] = opt(
        "error",
        doc="A table no DDL file creates: a finding (error), or undecidable (info).")
    unverifiable: Literal['info', 'warning', 'error'] = opt(
        "info",
        doc="Severity of code sites that cannot be checked statically.")


class DbContract(CheckKind):
    """Table access in code (PostgREST chains, SQL strings) agrees with the DDL."""

    kind: ClassVar[str] = "db-contract"
    file_kinds: ClassVar[frozenset[FileKind]] = frozenset({FileKind.PYTHON, FileKind.SQL})
    summary: ClassVar[str] = ("Tables and columns the code reads and writes (supabase/PostgREST "
                              "chains, SQL strings) exist in the DDL; enum and uuid literals "
                              "are valid.")
    example: ClassVar[str] = """\
- code: C701
  name: db-contract
  phase: 7
  severity: error
  message: code and DDL disagree
  where: {include: ["src/**", "database/**"]}
  check:
    kind: db-contract
    files: ["database/**/*.sql"]
"""
    Params = DbContractParams
    valid_examples = (
        '{kind: db-contract, files: ["database/**/*.sql"], tables: [ml_experiments], missing_tables: info}',
    )
    invalid_examples = (
        ('{kind: db-contract, files: ["database/**/*.sql"], missing_tables: warning}',
         'check.missing_tables must be one of error, info'),
        ('{kind: db-contract, tables: [t]}',
         "requires parameter 'files'"),
    )

    @classmethod
    def validate(cls, params: Mapping[str, Any]) -> list[str]:
        errors: list[str] = []
        files = params.get("files")
        files = [files] if isinstance(files, str) else files
        if not files:
            errors.append("files: list at least one SQL file or glob")
        for f in files or ():
            if isinstance(f, str) and (f.startswith("/") or ".." in f.split("/")):
                errors.append(f"files: {f!r} must be relative to the project root")
        for t in params.get("tables") or ():
            if parse_name(t) is None:
                errors.append(f"tables: {t!r} is not a (schema.)name")
        if params.get("sql_calls") is not None and call_literals(params["sql_calls"]) is None:
            errors.append("sql_calls: every pattern needs a literal method name")
        return errors

    def patterns(self) -> tuple[str, ...] | None:
        # Python: a chain names its table method, a query call its method, a class attribute
        # holding a table name is written ``*table*``; SQL: DDL keywords (see _DDL_WORDS)
        sql = call_literals(self.p.get("sql_calls") or DEFAULT_SQL_CALLS) or ()
        chains = tuple(self.p.get("table_calls") or TABLE_CALLS)
        return tuple(sorted({*sql, *chains, "table", *_DDL_WORDS}))

    def reach(self) -> tuple[str, ...]:
        # base classes and subclasses of repositories defined beyond the scope
        return ("table_name",)

    # -- evaluation ---------------------------------------------------------------------------
    def evaluate(self, ctx: RuleContext) -> CheckResult:
        ddl = [f for f in ctx.files if f.kind is FileKind.SQL]
        files, findings, outside = select_files(
            _ScopeOf(ctx, ddl), self.p["files"], self.p.get("exclude_files") or ())
        schema = read_schema(files, outside)
        py = [f for f in ctx.files if f.kind is FileKind.PYTHON and f.python is not None]
        view = ctx.project or _local_view(ctx.files)
        judge = _Judge(self, ctx, schema, [f.path for f in files])
        chains = Chains(view, self.p.get("table_calls") or TABLE_CALLS,
                        inherited=self.p.get("inherited") is not False)
        finder = QueryFinder(view, call_matcher(tuple(self.p.get("sql_calls")
                                                      or DEFAULT_SQL_CALLS)))
        finder.find_wrappers([(f.path, f.python) for f in py])  # type: ignore[misc]
        for f in py:
            facts = f.python
            for acc in chains.accesses(f.path, facts):  # type: ignore[arg-type]
                judge.access(acc, view, facts)
            for q in finder.queries(f.path, facts):  # type: ignore[arg-type]
                judge.query(q)
        judge.flush()
        findings.extend(judge.findings)
        for f in ctx.undecidable():
            if f.kind is FileKind.PYTHON:
                judge.undecided(Location(f.path), f"{f.path} could not be analysed")
        findings.extend(judge.infos)
        unknown = bool(judge.infos) and judge.sev_unv is Severity.INFO
        note = (f"{judge.checked} access(es) checked against {len(files)} DDL file(s)"
                + (f", {len(judge.infos)} code site(s) could not be decided"
                   if judge.infos else ""))
        return self.result(ctx, findings, judge.evidence[:50], note, undecided=unknown)


class _ScopeOf:
    """A RuleContext restricted to some files (the DDL), for ``select_files``."""

    def __init__(self, ctx: RuleContext, files: list[FileFacts]) -> None:
        self.files = files
        self.all_paths = frozenset(p for p in ctx.all_paths if not p.endswith(".py"))
        self.finding = ctx.finding


def _local_view(files: Iterable[FileFacts]) -> ProjectView:
    """A project view over the scope alone (a rule evaluated without the engine's view)."""
    files = list(files)
    paths = [f.path for f in files]
    return ProjectView(ProjectIndex(files, paths), frozenset(paths))


# ---------------------------------------------------------------------------------------------
# Judging accesses against the schema
# ---------------------------------------------------------------------------------------------


def _spans(locs: list[Location]) -> str:
    """``a.sql:497, b.sql:69-158`` — several statements in one file as its first-last lines
    and their count."""
    by_path: dict[str, list[Span]] = {}
    for loc in locs:
        by_path.setdefault(loc.path, []).append(loc.span)
    out: list[str] = []
    for path, spans in by_path.items():
        first = min(sp.line for sp in spans)
        last = max(sp.end_line for sp in spans)
        n = len(set(spans))
        out.append(f"{path}:{first}" + (f"-{last}" if last > first else "")
                   + (f" ({n} statements)" if n > 1 else ""))
    return ", ".join(out)


class _Judge:
    def __init__(self, check: DbContract, ctx: RuleContext, schema: Schema,
                 ddl_paths: list[str]) -> None:
        self.ctx = ctx
        self.s = schema
        self.ddl_paths = ddl_paths
        self.findings: list[Finding] = []
        self.infos: list[Finding] = []
        self.evidence: list[Location] = []
        self.checked = 0
        self.sev_unv = Severity(check.p.get("unverifiable") or "info")
        self.missing_tables = check.p.get("missing_tables") or "error"
        wanted = [parse_name(t) for t in check.p.get("tables") or ()]
        self.wanted = [w for w in wanted if w is not None]
        self._seen: set[tuple[Any, ...]] = set()
        self._info_sites: set[tuple[str, int]] = set()
        # missing columns per code site and column: [(table, where the column is used, site)]
        self.missing: dict[tuple[str, int, str], list[tuple[Table, Location, _Site]]] = {}
        self.schemas = {t.schema for t in schema.tables} | {"", "public"}

    # -- reporting ----------------------------------------------------------------------------
    def fail(self, loc: Location, message: str, key: tuple[Any, ...],
             ddl: Any = ()) -> None:
        """Report ``message`` once per ``key``; ``ddl`` (tables, enums or locations) become
        the finding's evidence chain: the DDL statements the code was checked against."""
        if key in self._seen:
            return
        self._seen.add(key)
        self.findings.append(self.ctx.finding(loc.path, loc.span, message, "|".join(
            str(k) for k in key[1:]), related=_chain(ddl)))

    def undecided(self, loc: Location, message: str) -> None:
        site = (loc.path, loc.span.line)
        if site in self._info_sites:
            return
        self._info_sites.add(site)
        self.infos.append(self.ctx.finding(loc.path, loc.span, could_not_decide(message),
                                           f"unverifiable:{message}", severity=self.sev_unv))

    def flush(self) -> None:
        """Report the missing columns: one finding per code site, column and table; a site
        that reaches several tables through subclasses (a base-class method) is one finding
        listing them."""
        for (path, line, column), hits in self.missing.items():
            tables: dict[str, tuple[Table, Location, _Site]] = {}
            for t, loc, site in hits:
                tables.setdefault(t.name, (t, loc, site))
            via = [h for h in tables.values() if h[2].through]
            if len(tables) > 1 and len(via) == len(tables):
                t, loc, site = next(iter(tables.values()))
                listing = ", ".join(f"{quote(h[0].schema, h[0].name)} ({h[2].through})"
                                    for h in tables.values())
                defs = "; ".join(f"{quote(h[0].schema, h[0].name)}: {self._defined(h[0])}"
                                 for h in list(tables.values())[:3])
                more = "; ..." if len(tables) > 3 else ""
                self.fail(loc, f"{len(tables)} tables this inherited method reaches through "
                          f"subclasses that do not override it have no column `{column}` "
                          f"({site.what}): {listing} ({defs}{more})",
                          ("column", path, line, column), [h[0] for h in tables.values()])
                continue
            for t, loc, site in tables.values():
                where = f"{site.what}{'; ' + site.via if site.via else ''}"
                self.fail(loc, f"{quote(t.schema, t.name)} has no column `{column}` ({where}; "
                          f"{self._defined(t)})", ("column", path, line, t.name, column), [t])

    def _wants(self, name: str, schema: str) -> bool:
        if not self.wanted:
            return True
        return any(n == name and (not s or compat(s, schema)) for s, n in self.wanted)

    def _defined(self, t: Table) -> str:
        created = t.evidence[0] if t.evidence else t.created
        rest = [e for e in t.evidence[1:]]
        text = f"table created at {_spans([created])}" if created else "table"
        if rest:
            text += f", altered at {_spans(rest)}"
        return text

    # -- the table ----------------------------------------------------------------------------
    def _table(self, name: str, schema: str, site: _Site,
               probe: bool = False) -> Table | None | str:
        """The created table, or "" when the question is settled (a finding / undecidable
        was reported, or the table is not judged), or None for a view / skipped table."""
        if schema in _SYSTEM_SCHEMAS or name.startswith("pg_") or (
                schema and schema not in self.schemas):
            return ""
        t = self.s.table(name, schema)
        if t is not None and t.created is not None:
            return t
        view = next((v for v, p in self.s.views if v.name == name
                     and compat(v.schema, schema or "")), None)
        if view is not None:
            return None
        if probe:
            return ""  # ``.limit(0)``: a probe of whether the table exists
        qt = quote(schema, name)
        blocking = self.s.blocking((name,))
        where = f"{site.what}{'; ' + site.via if site.via else ''}"
        if blocking:
            self.undecided(Location(site.path, site.span),
                           f"table {qt} ({where}) is not created in the DDL files, and "
                           f"{self.s.reasons[blocking[0]]}")
        elif self.missing_tables == "info":
            self.undecided(Location(site.path, site.span),
                           f"table {qt} ({where}) is not created in the DDL files")
        else:
            files = ", ".join(self.ddl_paths[:3]) + (", ..." if len(self.ddl_paths) > 3 else "")
            altered = (f"; it is only altered at {_spans(t.evidence)}"
                       if t is not None and t.evidence else "")
            self.fail(Location(site.path, site.span),
                      f"table {qt} is not created by any DDL file ({where}; searched "
                      f"{len(self.ddl_paths)} file(s): {files or 'none'}{altered})",
                      ("table", site.path, site.span.line, name),
                      [t] if t is not None else [])
        return ""

    # -- columns and values -------------------------------------------------------------------
    def column(self, t: Table, column: str, site: _Site, loc: Location,
               value: Any = None, has_value: bool = False) -> None:
        self.checked += 1
        qt = quote(t.schema, t.name)
        hit = t.columns.get(column)
        where = f"{site.what}{'; ' + site.via if site.via else ''}"
        if hit is None:
            blocking = self.s.blocking((t.name,))
            if blocking or not t.complete:
                why = (self.s.reasons[blocking[0]] if blocking else
                       f"the column list of {qt} is not fully known (LIKE, INHERITS, "
                       "PARTITION OF or AS)")
                self.undecided(loc, f"{qt} has no column `{column}` ({where}), but {why}")
                return
            self.missing.setdefault((site.path, site.span.line, column), []).append(
                (t, loc, site))
            return
        col, path = hit
        self.evidence.append(Location(path, col.span))
        if not has_value or not isinstance(value, str):
            return
        if col.type == "uuid" and not col.type_text.endswith("]"):
            if not is_uuid_text(value):
                self.fail(loc, f"{value!r} is not a uuid, but {qt}.`{column}` is uuid "
                          f"({where}; column at {path}:{col.span.line})",
                          ("uuid", site.path, site.span.line, t.name, column, value),
                          [Location(path, col.span)])
            return
        e = self.s.enum(col.type, col.type_schema or t.schema) or self.s.enum(col.type, "")
        if e is None or e.created is None or col.type_text.endswith("]"):
            return
        if value not in e.values:
            if self.s.blocking((e.name,)):
                self.undecided(loc, f"{value!r} is not a label of enum {quote(e.schema, e.name)}"
                               f" ({where}), but {self.s.reasons[self.s.blocking((e.name,))[0]]}")
                return
            labels = ", ".join(repr(v) for v in e.values)
            self.fail(loc, f"{value!r} is not a label of enum {quote(e.schema, e.name)}, the "
                      f"type of {qt}.`{column}` (its labels: {labels}; {where}; type created at "
                      f"{_spans([e.created])}{', extended at ' + _spans(e.evidence[1:]) if e.evidence[1:] else ''})",
                      ("enum", site.path, site.span.line, t.name, column, value), [e])

    # -- PostgREST accesses -------------------------------------------------------------------
    def access(self, acc: Access, view: ProjectView, facts: Any) -> None:
        what = f"{acc.op} at {acc.path}:{acc.span.line}"
        loc = Location(acc.path, acc.span)
        known = [t for t in acc.targets if t.name]
        unknown_t = [t for t in acc.targets if not t.name]
        has_work = bool(acc.uses) or acc.op in ("select", "insert", "upsert", "update",
                                                  "delete")
        if unknown_t and has_work and (not self.wanted or not known):
            self.undecided(loc, f"the table of the {acc.op} at {acc.path}:{acc.span.line} "
                                f"cannot be known: {unknown_t[0].reason}")
        for tgt in known:
            schema, name = _split_target(tgt)
            if not self._wants(name, schema):
                continue
            site = _Site(acc.path, acc.span, what, name, schema, tgt.via, tgt.through)
            t = self._table(name, schema, site, probe=acc.probe) if (
                acc.op in ("select", "insert", "upsert", "update", "delete") or acc.uses) \
                else ""
            if t == "":
                continue
            if t is None:
                if acc.uses:
                    self.undecided(loc, f"`{name}` is a view ({what}): its columns are not "
                                        "read from its definition")
                continue
            for u in acc.uses:
                value = u.value
                if u.has_value and not isinstance(value, str):
                    lit = literal_str(view, acc.path, value, acc.scope, facts)
                    value = lit if isinstance(lit, str) else None
                self.column(t, u.column, site, Location(acc.path, u.span), value,
                            u.has_value and value is not None)
            if acc.unknown:
                text, sp = acc.unknown[0]
                more = f" (and {len(acc.unknown) - 1} more)" if len(acc.unknown) > 1 else ""
                self.undecided(Location(acc.path, sp), f"{text}{more} ({what}, table `{name}`)")

    # -- SQL text -----------------------------------------------------------------------------
    def query(self, q: Query) -> None:
        call = q.call
        where = f"`{call.callee}` at {q.path}:{call.span.line}"
        if q.via:
            where += f" {q.via}"
        if q.unknown:
            self.undecided(Location(q.path, call.span), f"the SQL passed to {where} {q.unknown}")
            return
        text = q.normalised()
        if not looks_like_dml(text):
            return
        try:
            uses = self.ctx.sql_uses(text)
        except SqlTextError as exc:
            self.undecided(Location(q.path, q.pieces[0].span),
                           f"the SQL passed to {where} does not parse: {exc}")
            return
        site_loc = Location(q.path, q.pieces[0].span)
        kinds = {"select": "SELECT", "insert": "INSERT", "update": "UPDATE", "delete": "DELETE"}
        parts = {"select": "select list", "where": "WHERE/JOIN condition", "group": "GROUP BY",
                 "order": "ORDER BY", "insert": "INSERT column list", "update": "SET list",
                 "on_conflict": "ON CONFLICT target", "returning": "RETURNING list",
                 "values": "VALUES list"}
        seen_tables: dict[tuple[str, str], Table | None | str] = {}
        for src, role in uses.tables:
            key = (src.schema, src.name)
            if key in seen_tables:
                continue
            if not self._wants(src.name, src.schema):
                seen_tables[key] = ""
                continue
            site = _Site(q.path, site_loc.span, f"{kinds.get(role, 'SQL')} passed to {where}",
                         src.name, src.schema)
            seen_tables[key] = self._table(src.name, src.schema, site)
        for cu in uses.columns:
            tables = [s for s in cu.candidates if s.kind == "table"]
            if not tables:
                continue  # a derived source's column
            targets = [seen_tables.get((s.schema, s.name), "") for s in tables]
            if any(t == "" for t in targets) and len(tables) == 1:
                continue
            known = [t for t in targets if isinstance(t, Table)]
            site = _Site(q.path, site_loc.span,
                         f"{parts.get(cu.role, 'text')} of the SQL passed to {where}",
                         tables[0].name, tables[0].schema)
            loc = Location(q.path, _line_span(q.line_of(cu.location)))
            if len(cu.candidates) == 1:
                t = known[0] if known else None
                if t is None:
                    if targets and targets[0] is None:
                        self.undecided(loc, f"`{tables[0].name}` is a view ({site.what}): its "
                                            "columns are not read from its definition")
                    continue
                if cu.qualifier:
                    site = _Site(site.path, site.span,
                                 f"`{cu.qualifier}.{cu.column}` in the {site.what}", t.name,
                                 t.schema)
                self.column(t, cu.column, site, loc, cu.value, cu.value is not None)
                continue
            # unqualified, several FROM items: a column of at least one of them
            owners = [t for t in known if cu.column in t.columns]
            if owners:
                for t in owners:
                    self.column(t, cu.column, site, loc, cu.value, cu.value is not None)
                continue
            if len(known) < len(cu.candidates) or any(not t.complete for t in known) or any(
                    self.s.blocking((t.name,)) for t in known):
                self.undecided(loc, f"column `{cu.column}` ({site.what}) is in none of "
                               f"{', '.join(t.name for t in known) or 'the known tables'}, and "
                               "other FROM items' columns are not known")
                continue
            self.checked += 1
            defs = "; ".join(f"`{t.name}`: {self._defined(t)}" for t in known)
            self.fail(loc, f"none of {', '.join(f'`{t.name}`' for t in known)} has a column "
                      f"`{cu.column}` ({site.what}; {defs})",
                      ("column", loc.path, loc.span.line, "|".join(t.name for t in known),
                       cu.column), known)
        if uses.unknown:
            self.undecided(site_loc, f"in the SQL passed to {where}: {uses.unknown[0]}")


def _split_target(t: Target) -> tuple[str, str]:
    """PostgREST names a table exactly as written (it quotes it): no case folding."""
    return t.schema, t.name


def _line_span(line: int) -> Span:
    return Span(line, 1, line, 1)


__all__ = ["DbContract", "is_uuid_text", "show"]


def _chain(items: Any) -> list[tuple[str, Any, str]]:
    """The DDL statements behind a finding: each table's or enum's CREATE and ALTERs."""
    out: list[tuple[str, Any, str]] = []
    for it in items:
        if isinstance(it, Location):
            out.append((it.path, it.span, "the column's definition"))
            continue
        what = "table" if isinstance(it, Table) else "type"
        locs = list(it.evidence) or ([it.created] if it.created else [])
        for i, loc in enumerate(locs):
            verb = "created" if i == 0 else "altered"
            out.append((loc.path, loc.span, f"{what} {it.name} {verb} here"))
    return out
