"""Tables and columns a SQL text (a query string in Python code) uses, read with pglast.

``db-contract`` checks query strings passed to ``execute`` / ``fetch`` ... against the DDL. This
module is the parser of that text, in the facts layer: check kinds never import it (contract
``checks-read-facts``); they call ``RuleContext.sql_uses``, which the evaluate stage wires to
``facts/sql_text_reader.py`` (on demand, memoised), and read the values of
``facts/sql_text_types.py``. It parses the text with libpg_query (PostgreSQL's own grammar) and
lists, per statement, the relations it reads or writes and every column reference, resolved
through the statement's own names:

* **FROM items** (also in ``JOIN``, ``UPDATE ... FROM``, ``DELETE ... USING``): a table (with its
  alias), or a *derived* source whose columns this module does not compute (a ``WITH`` query, a
  sub-select, a function, ``VALUES``). A qualified reference ``tr.algorithm_name`` belongs to
  the item whose alias (or unaliased name) is ``tr``; an unqualified one to any item in scope
  (innermost query first, then the enclosing ones: correlated sub-queries), so the check asks
  "is it a column of at least one of them".
* **Roles**: select-list, ``WHERE``/``JOIN ... ON``/``HAVING``, ``GROUP BY``/``ORDER BY`` (where a
  name may also be a select-list alias: such names are not column references), ``INSERT (cols)``,
  ``UPDATE SET col``, ``ON CONFLICT (cols)`` and ``EXCLUDED.col``, ``RETURNING``.
* **Literal values** written to or compared with a column: ``INSERT ... VALUES ('x', ...)``
  aligned with the column list, ``SET col = 'x'``, ``col = 'x'``, ``col <> 'x'``,
  ``col IN ('a', 'b')`` (string constants only: the check tests enum labels and uuids).

Placeholders are made parseable first, outside string literals: ``%s``, ``%(name)s`` (psycopg),
``:name`` (SQLAlchemy ``text()``) become ``$1``. Text that does not parse, or parses but holds no
``SELECT``/``INSERT``/``UPDATE``/``DELETE``, is reported as such (the caller decides whether it
was SQL at all).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

try:
    from pglast import ast as pg_ast
    from pglast import parse_sql
    from pglast.enums import A_Expr_Kind, SetOperation
    from pglast.parser import ParseError
except Exception:  # pragma: no cover - pglast is a hard dependency
    pg_ast = None  # type: ignore[assignment]

from .sql_text_types import ColumnUse, Source, SqlTextError, SqlUses, normalise_placeholders

# ---------------------------------------------------------------------------------------------
# The walk
# ---------------------------------------------------------------------------------------------


@dataclass
class _Scope:
    sources: list[Source]
    aliases: set[str] = field(default_factory=set)  # select-list output names


def analyze(text: str) -> SqlUses:
    """The uses of ``text``; raises SqlTextError when it does not parse."""
    if pg_ast is None:  # pragma: no cover
        raise SqlTextError("pglast is not available")
    try:
        stmts = parse_sql(normalise_placeholders(text))
    except ParseError as exc:
        raise SqlTextError(str(exc).splitlines()[0] if str(exc) else "syntax error") from None
    except Exception as exc:  # noqa: BLE001 - a parser corner: report, never crash
        raise SqlTextError(f"{type(exc).__name__}: {exc}") from None
    walker = _Walker()
    statements = 0
    for raw in stmts:
        st = raw.stmt
        if isinstance(st, (pg_ast.SelectStmt, pg_ast.InsertStmt, pg_ast.UpdateStmt,
                           pg_ast.DeleteStmt)):
            statements += 1
            walker.statement(st, [], frozenset())
    return SqlUses(statements, tuple(walker.tables), tuple(walker.columns),
                   tuple(walker.unknown))


class _Walker:
    """One SQL text's statements, walked: the uses found, in the order met."""

    def __init__(self) -> None:
        self.tables: list[tuple[Source, str]] = []
        self.columns: list[ColumnUse] = []
        self.unknown: list[str] = []

    # -- statements -------------------------------------------------------------------------
    def statement(self, st: Any, outer: list[_Scope], ctes: frozenset[str]) -> None:
        ctes = self._with(getattr(st, "withClause", None), outer, ctes)
        if isinstance(st, pg_ast.SelectStmt):
            self.select(st, outer, ctes)
        elif isinstance(st, pg_ast.InsertStmt):
            self.insert(st, outer, ctes)
        elif isinstance(st, pg_ast.UpdateStmt):
            self.update(st, outer, ctes)
        elif isinstance(st, pg_ast.DeleteStmt):
            self.delete(st, outer, ctes)

    def _with(self, w: Any, outer: list[_Scope], ctes: frozenset[str]) -> frozenset[str]:
        if w is None:
            return ctes
        names = set(ctes)
        for cte in w.ctes or ():
            if not isinstance(cte, pg_ast.CommonTableExpr):
                continue
            if w.recursive:
                names.add(cte.ctename)
            if cte.ctequery is not None:
                self.statement(cte.ctequery, outer, frozenset(names))
            names.add(cte.ctename)
        return frozenset(names)

    def select(self, st: Any, outer: list[_Scope], ctes: frozenset[str]) -> None:
        if st.op is not None and st.op != SetOperation.SETOP_NONE:
            ctes = self._with(st.withClause, outer, ctes)
            for part in (st.larg, st.rarg):
                if part is not None:
                    self.statement(part, outer, ctes)
            return
        for row in st.valuesLists or ():
            self.expr(row, outer, "values")
        scope = _Scope([])
        scopes = [scope, *outer]
        for item in st.fromClause or ():
            self.from_item(item, scope, outer, ctes)
        for t in st.targetList or ():
            if isinstance(t, pg_ast.ResTarget) and t.name:
                scope.aliases.add(t.name)
        self.expr(st.targetList, scopes, "select")
        self.expr(st.whereClause, scopes, "where")
        self.expr(st.havingClause, scopes, "where")
        self.expr(st.groupClause, scopes, "group")
        self.expr(st.sortClause, scopes, "order")
        self.expr(st.distinctClause, scopes, "order")
        self.expr(st.windowClause, scopes, "order")

    def insert(self, st: Any, outer: list[_Scope], ctes: frozenset[str]) -> None:
        target = self.relation(st.relation, ctes, "insert")
        cols: list[tuple[str, int]] = []
        for c in st.cols or ():
            if isinstance(c, pg_ast.ResTarget) and c.name:
                cols.append((c.name, _loc(c)))
        values: list[list[str | None]] = []
        sel = st.selectStmt
        if isinstance(sel, pg_ast.SelectStmt) and sel.valuesLists:
            for row in sel.valuesLists:
                values.append([_const_str(v) for v in row])
            self.expr(sel.valuesLists, outer, "values")
        elif sel is not None:
            self.statement(sel, outer, ctes)
        for i, (c, loc) in enumerate(cols):
            vals = [row[i] for row in values if i < len(row) and row[i] is not None]
            if vals:
                for v in vals:
                    self.columns.append(ColumnUse(c, (target,), "insert", value=v,
                                                      location=loc))
            else:
                self.columns.append(ColumnUse(c, (target,), "insert", location=loc))
        scope = _Scope([target])
        occ = st.onConflictClause
        if occ is not None:
            excluded = Source(target.kind, target.name, target.schema, "excluded",
                              target.detail)
            oscope = _Scope([target, excluded])
            infer = occ.infer
            if infer is not None:
                for el in infer.indexElems or ():
                    if isinstance(el, pg_ast.IndexElem) and el.name:
                        self.columns.append(ColumnUse(el.name, (target,), "on_conflict",
                                                          location=_loc(infer)))
                self.expr(infer.whereClause, [oscope, *outer], "where")
            for t in occ.targetList or ():
                if isinstance(t, pg_ast.ResTarget) and t.name:
                    self.columns.append(ColumnUse(t.name, (target,), "update",
                                                      value=_const_str(t.val),
                                                      location=_loc(t)))
                    self.expr(t.val, [oscope, *outer], "update")
            self.expr(occ.whereClause, [oscope, *outer], "where")
        self._returning(st, [scope, *outer])

    def update(self, st: Any, outer: list[_Scope], ctes: frozenset[str]) -> None:
        target = self.relation(st.relation, ctes, "update")
        scope = _Scope([target])
        for item in st.fromClause or ():
            self.from_item(item, scope, outer, ctes)
        scopes = [scope, *outer]
        for t in st.targetList or ():
            if isinstance(t, pg_ast.ResTarget) and t.name:
                self.columns.append(ColumnUse(t.name, (target,), "update",
                                                  value=_const_str(t.val), location=_loc(t)))
                self.expr(t.val, scopes, "update")
        self.expr(st.whereClause, scopes, "where")
        self._returning(st, scopes)

    def delete(self, st: Any, outer: list[_Scope], ctes: frozenset[str]) -> None:
        target = self.relation(st.relation, ctes, "delete")
        scope = _Scope([target])
        for item in st.usingClause or ():
            self.from_item(item, scope, outer, ctes)
        scopes = [scope, *outer]
        self.expr(st.whereClause, scopes, "where")
        self._returning(st, scopes)

    def _returning(self, st: Any, scopes: list[_Scope]) -> None:
        ret = getattr(st, "returningList", None)
        if ret is None:
            rc = getattr(st, "returningClause", None)
            ret = getattr(rc, "exprs", None) if rc is not None else None
        self.expr(ret, scopes, "returning")

    # -- FROM -------------------------------------------------------------------------------
    def relation(self, rv: Any, ctes: frozenset[str], role: str) -> Source:
        alias = rv.alias.aliasname if getattr(rv, "alias", None) is not None else ""
        if not rv.schemaname and rv.relname in ctes:
            return Source("derived", rv.relname, "", alias, f"the WITH query `{rv.relname}`")
        src = Source("table", rv.relname, rv.schemaname or "", alias)
        self.tables.append((src, role))
        return src

    def from_item(self, item: Any, scope: _Scope, outer: list[_Scope],
                  ctes: frozenset[str]) -> None:
        if isinstance(item, pg_ast.RangeVar):
            scope.sources.append(self.relation(item, ctes, "select"))
        elif isinstance(item, pg_ast.JoinExpr):
            self.from_item(item.larg, scope, outer, ctes)
            self.from_item(item.rarg, scope, outer, ctes)
            for name in item.usingClause or ():
                col = getattr(name, "sval", None)
                if col:
                    self.columns.append(ColumnUse(col, tuple(scope.sources), "where",
                                                      location=_loc(item)))
            self.expr(item.quals, [scope, *outer], "where")
        elif isinstance(item, pg_ast.RangeSubselect):
            alias = item.alias.aliasname if item.alias is not None else ""
            sub_outer = [scope, *outer] if item.lateral else outer
            if item.subquery is not None:
                self.statement(item.subquery, sub_outer, ctes)
            scope.sources.append(Source("derived", alias, "", alias, "a sub-select"))
        elif isinstance(item, pg_ast.RangeFunction):
            alias = item.alias.aliasname if item.alias is not None else ""
            self.expr(item.functions, [scope, *outer], "select")
            scope.sources.append(Source("derived", alias, "", alias, "a function"))
        else:
            scope.sources.append(Source("derived", "", "", "", type(item).__name__))

    # -- expressions ------------------------------------------------------------------------
    def expr(self, node: Any, scopes: list[_Scope], role: str) -> None:
        if node is None:
            return
        if isinstance(node, (list, tuple)):
            for n in node:
                self.expr(n, scopes, role)
            return
        if not isinstance(node, pg_ast.Node):
            return
        if isinstance(node, pg_ast.ColumnRef):
            self.column_ref(node, scopes, role)
            return
        if isinstance(node, pg_ast.SubLink):
            self.expr(node.testexpr, scopes, role)
            if node.subselect is not None:
                self.statement(node.subselect, scopes, frozenset())
            return
        if isinstance(node, (pg_ast.SelectStmt, pg_ast.InsertStmt, pg_ast.UpdateStmt,
                             pg_ast.DeleteStmt)):
            self.statement(node, scopes, frozenset())
            return
        if isinstance(node, pg_ast.A_Expr):
            self._compare(node, scopes, role)
        for name in type(node).__slots__:
            child = getattr(node, name, None)
            if isinstance(child, (pg_ast.Node, list, tuple)):
                self.expr(child, scopes, role)

    def _compare(self, node: Any, scopes: list[_Scope], role: str) -> None:
        """``col = 'x'``, ``col <> 'x'``, ``col IN ('a', 'b')``: the constants are values
        compared with the column (recorded in addition to the plain reference)."""
        op = node.name[0].sval if node.name and hasattr(node.name[0], "sval") else ""
        pairs: list[tuple[Any, list[str]]] = []
        if node.kind == A_Expr_Kind.AEXPR_OP and op in ("=", "<>", "!="):
            for col, other in ((node.lexpr, node.rexpr), (node.rexpr, node.lexpr)):
                v = _const_str(other)
                if isinstance(col, pg_ast.ColumnRef) and v is not None:
                    pairs.append((col, [v]))
        elif node.kind == A_Expr_Kind.AEXPR_IN and isinstance(node.lexpr, pg_ast.ColumnRef) \
                and isinstance(node.rexpr, (list, tuple)):
            vals = [_const_str(v) for v in node.rexpr]
            pairs.append((node.lexpr, [v for v in vals if v is not None]))
        for col, vals in pairs:
            for v in vals:
                self.column_ref(col, scopes, role, value=v)

    def column_ref(self, node: Any, scopes: list[_Scope], role: str,
                   value: str | None = None) -> None:
        fields = node.fields or ()
        if not fields or isinstance(fields[-1], pg_ast.A_Star):
            return
        names = [getattr(f, "sval", None) for f in fields]
        if any(n is None for n in names):
            return
        if len(names) == 1:
            col = names[0]
            if role in ("order", "group") and scopes and col in scopes[0].aliases:
                return  # an output column's name
            cands = tuple(s for sc in scopes for s in sc.sources)
            if not cands:
                return  # no FROM: ``SELECT now()``, a VALUES row
            self.columns.append(ColumnUse(col, cands, role, value=value,
                                              location=_loc(node)))
            return
        col = names[-1]
        qual = names[-2]
        qschema = names[-3] if len(names) >= 3 else ""
        for sc in scopes:
            for s in sc.sources:
                if (s.alias == qual if s.alias else s.name == qual) and (
                        not qschema or s.schema == qschema):
                    self.columns.append(ColumnUse(col, (s,), role, qual, value,
                                                      _loc(node)))
                    return
        # a composite-typed column (``(rec).field``) or a name we cannot place
        self.unknown.append(f"`{'.'.join(names)}` does not name a FROM item")


def _loc(node: Any) -> int:
    loc = getattr(node, "location", None)
    return loc if isinstance(loc, int) else -1


def _const_str(node: Any) -> str | None:
    if isinstance(node, pg_ast.A_Const) and not node.isnull:
        v = node.val
        if isinstance(v, pg_ast.String):
            return v.sval
    return None
