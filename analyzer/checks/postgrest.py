"""Table access through supabase-py / PostgREST query chains, read from Python facts.

``client.table("t").insert({...}).execute()`` is one expression, but facts record each link of
the chain as its own call whose ``receiver`` value keeps the links before it, with their
arguments (``CallFact.receiver`` / ``CallValue.receiver``). So every link is judged once, at its
own call: a ``.select("a, b")``, ``.eq("col", v)`` or ``.insert(row)`` call is an access to the
table named by the nearest ``.table(...)`` / ``.from_(...)`` link before it.

What is followed, the way a reader would:

* **The chain** through receivers, and through a local name the chain was stored in
  (``q = client.table("t").select("*")``; ``q = q.eq("a", 1)``; ``q.order("b")``): every
  assignment of the name in the same function must lead to the same table (assignments that
  extend the name itself, ``q = q.eq(...)``, keep it).
* **The table name**: a literal, a name bound to one in the same file, or a class attribute
  (``self.client.table(self.table_name)``): the attribute's literal value in the method's class
  or its project bases (``ProjectView.class_member``), and, for a method of a base class, the
  value in each project subclass that does not override the method — each such subclass is one
  access, reported "through" it.
* **Payloads** of ``insert``/``upsert``/``update``: a dict display, a list of them, or a name
  bound in the same function to a dict display plus every ``row["k"] = v`` store and
  ``row.update(...)`` call on it. Keys are columns; values are kept for the enum / uuid checks.
* **Columns** of ``select(...)`` (PostgREST syntax: ``alias:col``, ``col::cast``,
  ``col->json``; embedded resources ``other(...)`` belong to another table and are skipped),
  of filters (``eq``, ``neq``, ``in_``, ``gt`` ... first argument; a dotted ``other.col`` filters
  an embedded resource and is skipped), ``order``, ``match({...})`` and ``on_conflict``.

A chain that asks for no rows (``.limit(0)``) is a probe: the table's existence is not judged
(a health check may probe a table that does not exist on purpose); its columns still are.

Whatever cannot be followed (an f-string, a ``**spread``, a parameter, a call result, a table
name computed at run time) is recorded in ``Access.unknown`` with the reason: the check reports
it as undecidable, never as a mismatch. A ``.table(...)`` whose argument is not a name-like value
(a dict, a list: ``pyarrow.table({...})``) is not a PostgREST chain and is ignored.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterator, Sequence

from ..facts.model import (AssignFact, CallFact, CallValue, DictValue, FStr, PythonFacts, Ref,
                           Seq, Unknown, Value)
from ..types import Span
from .pyindex import show
from .resolve import ClassDef, FuncDef, ProjectView, VarDef

TABLE_CALLS = ("table", "from_")
PAYLOAD_OPS = frozenset({"insert", "upsert", "update"})
OPS = frozenset({"select", "insert", "upsert", "update", "delete"})
# filters whose first argument is a column (postgrest-py's BaseFilterRequestBuilder)
COLUMN_FILTERS = frozenset({
    "eq", "neq", "gt", "gte", "lt", "lte", "like", "ilike", "is_", "in_", "contains",
    "contained_by", "cs", "cd", "ov", "overlaps", "sl", "sr", "nxl", "nxr", "adj",
    "range_gt", "range_gte", "range_lt", "range_lte", "range_adjacent", "text_search", "fts",
    "plfts", "phfts", "wfts", "filter", "like_all_of", "like_any_of", "ilike_all_of",
    "ilike_any_of", "order",
})
# filters whose value must be a valid value of the column's type (compared for equality)
VALUE_FILTERS = frozenset({"eq", "neq", "in_"})
_MAX_FOLLOW = 8


@dataclass(frozen=True, slots=True)
class Target:
    """The table one access acts on. ``name`` "" when unknown (``reason`` says why).
    ``via``: how the name was found when it is not written at the call ("`self.table_name` =
    'x' in `Repo` (repo.py:12)")."""

    name: str
    schema: str = ""
    via: str = ""
    reason: str = ""
    through: str = ""  # the subclass a base-class method reaches the table through


@dataclass(frozen=True, slots=True)
class Use:
    """A column one access names. ``has_value``: a value is written to / compared with it."""

    column: str
    span: Span
    role: str  # "insert" | "upsert" | "update" | "select" | "filter" | "order" | "on_conflict"
    value: Value = None
    has_value: bool = False


@dataclass(frozen=True, slots=True)
class Access:
    """One link of a chain that touches columns of a table."""

    path: str
    span: Span  # the call
    op: str  # the link's method: insert, select, eq, order, ...
    scope: str
    targets: tuple[Target, ...]
    uses: tuple[Use, ...]
    unknown: tuple[tuple[str, Span], ...] = ()  # (what could not be known, where)
    # the chain asks for no rows (``.limit(0)``): a probe whose point is whether the table
    # exists (a health check may probe a table on purpose), so its existence is not judged
    probe: bool = False


def _attr(callee: str) -> str:
    return callee.rsplit(".", 1)[-1]


# ---------------------------------------------------------------------------------------------
# Chains
# ---------------------------------------------------------------------------------------------


class Chains:
    """PostgREST accesses of the Python files a rule sees (see the module docstring)."""

    def __init__(self, view: ProjectView, table_calls: Sequence[str] = TABLE_CALLS,
                 inherited: bool = True) -> None:
        self.view = view
        self.inherited = inherited
        self.table_calls = frozenset(table_calls)
        self._subclasses: dict[tuple[str, str], list[ClassDef]] | None = None

    # -- the table link ---------------------------------------------------------------------
    def _root(self, value: Value, facts: PythonFacts, scope: str, depth: int = 0
              ) -> tuple[list[CallValue], str]:
        """The ``table(...)`` links a receiver value leads back to ([] and a reason when the
        chain cannot be followed, [] and "" when it is not a PostgREST chain)."""
        while isinstance(value, CallValue):
            if _attr(value.callee) in self.table_calls:
                return [value], ""
            value = value.receiver
        if isinstance(value, Ref) and "." not in value.name and depth < _MAX_FOLLOW:
            binds = [a for a in facts.assigns if a.scope == scope and a.target == value.name
                     and a.has_value and not a.via]
            roots: list[CallValue] = []
            for a in binds:
                if _self_extension(a, value.name):
                    continue  # ``q = q.eq(...)``: the same chain, extended
                found, why = self._root(a.value, facts, scope, depth + 1)
                if not found:
                    return [], why or ""
                roots.extend(found)
            return roots, ""
        return [], ""

    def root_of(self, call: CallFact, facts: PythonFacts) -> list[CallValue]:
        found, _ = self._root(call.receiver, facts, call.scope)
        # several assignments may repeat one link: keep one per distinct table argument
        out: list[CallValue] = []
        for r in found:
            if all(r.args != o.args for o in out):
                out.append(r)
        return out

    # -- table names ------------------------------------------------------------------------
    def targets(self, path: str, link: CallValue, facts: PythonFacts, scope: str
                ) -> list[Target] | None:
        """What the table link names; None when its argument is no table name at all."""
        arg: Value = link.args[0] if link.args else next(
            (v for k, v in link.kwargs if k in ("table_name", "table", "name")), Unknown(""))
        if isinstance(arg, (DictValue, Seq, int, float, bytes)) or arg is None \
                or isinstance(arg, bool):
            return None
        if isinstance(arg, str):
            return [Target(arg)]
        if isinstance(arg, FStr):
            return [Target("", reason=f"the table name {show(arg)} is built at run time")]
        if isinstance(arg, Ref):
            head, _, rest = arg.name.partition(".")
            if head in ("self", "cls") and rest and "." not in rest:
                return self._class_targets(path, scope, rest)
            lit = literal_str(self.view, path, arg, scope, facts)
            if isinstance(lit, str):
                return [Target(lit)]
            return [Target("", reason=f"the table name `{arg.name}` {lit.reason}")]
        return [Target("", reason=f"the table name `{show(arg)}` is computed")]

    def _class_targets(self, path: str, scope: str, attr: str) -> list[Target]:
        fi = self.view.file(path)
        fn = fi.functions.get(scope) if fi is not None else None
        cls = fi.classes.get(fn.scope) if fi is not None and fn is not None and fn.scope else None
        if cls is None:
            return [Target("", reason=f"`self.{attr}` is used outside a method")]
        c = ClassDef(path, cls)
        out: list[Target] = []
        own = self._attr_value(c, attr)
        reasons: list[str] = []
        if isinstance(own, tuple):
            out.append(Target(own[0], via=f"`{cls.name}.{attr}` = {own[0]!r} ({own[1]})"))
        elif own:
            reasons.append(own)
        for sub in (self.subclasses(c) if self.inherited else ()):
            m = self.view.class_member(sub, fn.name)
            if isinstance(m, FuncDef) and (m.path, m.fn.qualname) != (path, fn.qualname):
                continue  # the subclass overrides the method: this access is not its
            v = self._attr_value(sub, attr)
            if isinstance(v, tuple):
                if isinstance(own, tuple) and v[0] == own[0]:
                    continue
                through = f"`{sub.cls.name}` ({sub.path}:{sub.cls.span.line})"
                out.append(Target(v[0], via=f"through {through}, whose `{attr}` = {v[0]!r} "
                                            f"({v[1]})", through=through))
            elif v:
                reasons.append(f"in subclass `{sub.cls.name}` ({sub.path}), {v}")
        for r in reasons[:1]:
            out.append(Target("", reason=r))
        if not out and not self.inherited and not isinstance(own, tuple) and not reasons:
            return []  # an abstract base's method, judged only through subclasses
        if not out:
            out.append(Target("", reason=f"`self.{attr}` has no literal value in `{cls.name}` "
                                          "or a project subclass"))
        return out

    def _attr_value(self, c: ClassDef, attr: str) -> tuple[str, str] | str:
        """(literal, where) of a class attribute as ``c`` sees it; else the reason ("" when the
        class (and its bases) give it no value at all: an abstract declaration)."""
        m = self.view.class_member(c, attr)
        if isinstance(m, VarDef) and m.assign.has_value:
            lit = literal_str(self.view, m.path, m.assign.value, m.assign.scope)
            if isinstance(lit, str):
                return lit, f"{m.path}:{m.assign.span.line}"
            return f"`{attr}` = `{show(m.assign.value)}` {lit.reason}"
        # ``self.table_name = ...`` in a method of the class or a base
        for anc in self.view.lineage(c)[0]:
            fi = self.view.file(anc.path)
            if fi is None:
                continue
            prefix = anc.cls.qualname + "."
            for (sc, target), assigns in fi.assigns.items():
                if target != f"self.{attr}" or not sc.startswith(prefix):
                    continue
                vals = [literal_str(self.view, anc.path, a.value, sc) for a in assigns]
                if vals and all(isinstance(v, str) for v in vals) and len(set(vals)) == 1:
                    return vals[0], f"{anc.path}:{assigns[0].span.line}"  # type: ignore[return-value]
                return f"`self.{attr}` is assigned `{show(assigns[0].value)}` in " \
                       f"`{sc}` ({anc.path}:{assigns[0].span.line})"
        return ""

    def subclasses(self, c: ClassDef) -> list[ClassDef]:
        """Project classes (that the rule may consult) with ``c`` among their ancestors."""
        if self._subclasses is None:
            index: dict[tuple[str, str], list[ClassDef]] = {}
            for p in sorted(self.view.allowed):
                fi = self.view.file(p)
                if fi is None:
                    continue
                for cf in fi.facts.classes:
                    cd = ClassDef(p, cf)
                    for anc in self.view.lineage(cd)[0][1:]:
                        index.setdefault((anc.path, anc.cls.qualname), []).append(cd)
            self._subclasses = index
        return self._subclasses.get((c.path, c.cls.qualname), [])

    # -- one file ---------------------------------------------------------------------------
    def accesses(self, path: str, facts: PythonFacts) -> Iterator[Access]:
        # links of one chain start where the chain starts: a ``limit(0)`` link marks it
        probes = {(c.span.line, c.span.column) for c in facts.calls
                  if c.attr == "limit" and c.args[:1] == (0,) and c.receiver is not None}
        for call in facts.calls:
            if call.context != "call":
                continue
            op = call.attr
            if op not in OPS and op not in COLUMN_FILTERS and op != "match":
                continue
            links = self.root_of(call, facts)
            if not links:
                continue
            targets: list[Target] = []
            for link in links:
                got = self.targets(path, link, facts, call.scope)
                if got is None:
                    targets = []
                    break
                targets.extend(got)
            if not targets:
                continue
            uses, unknown = self._uses(path, call, facts)
            yield Access(path, call.span, op, call.scope, tuple(targets), tuple(uses),
                         tuple(unknown), (call.span.line, call.span.column) in probes)

    def _uses(self, path: str, call: CallFact, facts: PythonFacts
              ) -> tuple[list[Use], list[tuple[str, Span]]]:
        op = call.attr
        uses: list[Use] = []
        unknown: list[tuple[str, Span]] = []
        kw = dict(call.kwargs)
        if op == "select":
            for a in call.args:
                lit = literal_str(self.view, path, a, call.scope, facts)
                if isinstance(lit, str):
                    cols, embedded_unknown = select_columns(lit)
                    where = arg_span(facts, call, a)
                    uses.extend(Use(c, where, "select") for c in cols)
                    if embedded_unknown:
                        unknown.append((f"select item {embedded_unknown!r}", call.span))
                else:
                    unknown.append((f"the selected columns `{show(a)}` {lit.reason}", call.span))
            if call.star_args:
                unknown.append(("the selected columns (`*args`)", call.span))
        elif op in PAYLOAD_OPS:
            payload = call.args[0] if call.args else kw.get("json", kw.get("values"))
            if payload is None and not call.args:
                unknown.append(("the payload is not passed positionally", call.span))
            else:
                self._payload(payload, op, call, facts, uses, unknown)
            oc = kw.get("on_conflict")
            if isinstance(oc, str):
                uses.extend(Use(c.strip(), call.span, "on_conflict")
                            for c in oc.split(",") if c.strip())
        elif op == "match":
            if call.args:
                self._payload(call.args[0], "filter", call, facts, uses, unknown, values=True)
        elif op in COLUMN_FILTERS:
            col = call.args[0] if call.args else kw.get("column")
            if "foreign_table" in kw or "reference_table" in kw:
                return uses, unknown  # ``order("x", foreign_table="other")``
            lit = literal_str(self.view, path, col, call.scope, facts) if col is not None else None
            if isinstance(lit, str):
                name = filter_column(lit)
                if name is not None:
                    role = "order" if op == "order" else "filter"
                    where = arg_span(facts, call, col)
                    if op in VALUE_FILTERS and len(call.args) > 1:
                        val = call.args[1]
                        if op == "in_" and isinstance(val, Seq):
                            for item in val.items:
                                uses.append(Use(name, arg_span(facts, call, item), role, item,
                                                True))
                            if not val.items:
                                uses.append(Use(name, where, role))
                        else:
                            uses.append(Use(name, arg_span(facts, call, val)
                                            if isinstance(val, str) else where, role, val,
                                            op != "in_"))
                    else:
                        uses.append(Use(name, where, role))
            elif col is not None:
                unknown.append((f"the column `{show(col)}` {lit.reason}", call.span))  # type: ignore[union-attr]
        return uses, unknown

    def _payload(self, payload: Value, op: str, call: CallFact, facts: PythonFacts,
                 uses: list[Use], unknown: list[tuple[str, Span]], values: bool = True) -> None:
        role = op if op in PAYLOAD_OPS else "filter"
        if isinstance(payload, DictValue):
            self._dict(payload, role, call.span, uses, unknown)
        elif isinstance(payload, Seq):
            for item in payload.items:
                if isinstance(item, DictValue):
                    self._dict(item, role, call.span, uses, unknown)
                else:
                    self._payload(item, op, call, facts, uses, unknown)
            if payload.starred:
                unknown.append((f"rows from a `*` spread in `{show(payload)}`", call.span))
        elif isinstance(payload, Ref) and "." not in payload.name:
            self._named_dict(payload.name, role, call, facts, uses, unknown)
        else:
            unknown.append((f"the {role} payload `{show(payload)}` is computed", call.span))

    def _dict(self, d: DictValue, role: str, fallback: Span, uses: list[Use],
              unknown: list[tuple[str, Span]]) -> None:
        if d.comprehension:
            unknown.append((f"the keys of a dict comprehension `{show(d)}`", fallback))
            return
        spans = d.key_spans or (None,) * len(d.items)
        for (k, v), sp in zip(d.items, spans):
            if isinstance(k, str):
                uses.append(Use(k, sp or fallback, role, v, True))
            else:
                unknown.append((f"the key `{show(k)}`", sp or fallback))
        for text, sp in d.spreads:
            unknown.append((f"the columns of the spread `{text}`", sp))
        if d.spread and not d.spreads:
            unknown.append(("the columns of a `**` spread", fallback))

    def _named_dict(self, name: str, role: str, call: CallFact, facts: PythonFacts,
                    uses: list[Use], unknown: list[tuple[str, Span]]) -> None:
        scope = call.scope
        binds = [a for a in facts.assigns if a.target == name and a.scope == scope]
        is_param = any(f.qualname == scope and name in f.params for f in facts.functions)
        if not binds:
            why = "a parameter: its keys come from the caller" if is_param else "not bound here"
            unknown.append((f"the {role} payload `{name}` ({why})", call.span))
            return
        for a in binds:
            if isinstance(a.value, DictValue) and not a.augmented:
                self._dict(a.value, role, a.span, uses, unknown)
            elif isinstance(a.value, Seq) and not a.augmented:
                for item in a.value.items:
                    if isinstance(item, DictValue):
                        self._dict(item, role, a.span, uses, unknown)
                    else:
                        unknown.append((f"a row `{show(item)}` of `{name}`", a.span))
            else:
                unknown.append((f"the {role} payload `{name} = {show(a.value)}`", a.span))
        for s in facts.subscript_stores:
            if s.target == name and s.scope == scope:
                if isinstance(s.key, str):
                    uses.append(Use(s.key, s.span, role, s.value, True))
                else:
                    unknown.append((f"the key `{name}[{show(s.key)}]`", s.span))
        for c in facts.calls:
            if c.scope != scope or c.callee != f"{name}.update" or c.context != "call":
                continue
            for arg in c.args:
                if isinstance(arg, DictValue):
                    self._dict(arg, role, c.span, uses, unknown)
                else:
                    unknown.append((f"`{name}.update({show(arg)})`", c.span))
            for k, v in c.kwargs:
                uses.append(Use(k, c.span, role, v, True))
            if c.star_kwargs:
                unknown.append((f"`{name}.update(**...)`", c.span))


def arg_span(facts: PythonFacts, call: CallFact, value: Value) -> Span:
    """Where a string argument of a link is written: a link's own arguments are the last text
    of its call (the links before it come first), so the last matching string literal inside
    the call; the call itself when the literal is not recorded."""
    if not isinstance(value, str):
        return call.span
    sp = call.span
    best: Span | None = None
    for st in facts.strings:
        if st.value != value or st.role != "argument" or st.scope != call.scope:
            continue
        s = st.span
        if (s.line, s.column) < (sp.line, sp.column) or (s.end_line, s.end_column) > (
                sp.end_line, sp.end_column):
            continue
        if best is None or (s.line, s.column) > (best.line, best.column):
            best = s
    return best or call.span


def _self_extension(a: AssignFact, name: str) -> bool:
    """``q = q.eq(...)``: the chain stored in ``name`` extended with more links."""
    v = a.value
    while isinstance(v, CallValue):
        v = v.receiver
    return isinstance(v, Ref) and v.name == name


# ---------------------------------------------------------------------------------------------
# Literals
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class NotKnown:
    reason: str


def literal_str(view: ProjectView, path: str, v: Value, scope: str,
                facts: PythonFacts | None = None, depth: int = 0) -> str | NotKnown:
    """The string a value is known to be: a literal, a name bound once to one in the same
    function or at module level, a module constant imported from a project module, an enum
    member's ``.value`` or a class constant (``Cfg.TABLE``). Else why not."""
    if isinstance(v, str):
        return v
    if isinstance(v, FStr):
        return NotKnown("is built at run time")
    if not isinstance(v, Ref):
        return NotKnown("is computed" if not isinstance(v, Unknown) else "cannot be known")
    if depth > _MAX_FOLLOW:
        return NotKnown("is bound through too many names")
    name = v.name
    fi = view.file(path) if path else None
    pf = facts if facts is not None else (fi.facts if fi is not None else None)
    if "." not in name and pf is not None:
        if scope and any(f.qualname == scope and name in f.params for f in pf.functions):
            return NotKnown("is a parameter: its value comes from the caller")
        for sc in dict.fromkeys((scope, "")):
            hits = [a for a in pf.assigns if a.scope == sc and a.target == name]
            if len(hits) == 1 and hits[0].has_value and not hits[0].augmented \
                    and not hits[0].via:
                return literal_str(view, path, hits[0].value, sc, pf, depth + 1)
            if hits:
                return NotKnown("is assigned more than once")
    if not path or view.file(path) is None:
        return NotKnown("is not a literal")
    text = name[:-len(".value")] if name.endswith(".value") else name
    sym = view.resolve_dotted(path, text, scope)
    if isinstance(sym, VarDef) and sym.assign.has_value and not sym.assign.augmented:
        return literal_str(view, sym.path, sym.assign.value, sym.assign.scope, None, depth + 1)
    return NotKnown("is not a literal")


# ---------------------------------------------------------------------------------------------
# PostgREST column syntax
# ---------------------------------------------------------------------------------------------

_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_$]*$")


def _split_top(text: str) -> list[str]:
    out, depth, cur = [], 0, []
    for ch in text:
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        if ch == "," and depth == 0:
            out.append("".join(cur))
            cur = []
        else:
            cur.append(ch)
    out.append("".join(cur))
    return out


def select_columns(text: str) -> tuple[list[str], str]:
    """Column names a PostgREST ``select`` string names on its own table, and the first item
    that could not be read ("" when all could). ``*``, embedded resources (``other(a, b)``,
    ``alias:other!fk(*)``), aggregates (``count()``) and spreads (``...other(a)``) name no
    column of the table itself."""
    cols: list[str] = []
    bad = ""
    for raw in _split_top(text):
        item = raw.strip()
        if not item or item == "*":
            continue
        if "(" in item or item.startswith("..."):
            continue  # an embedded resource or an aggregate
        if ":" in item.replace("::", "\0"):  # ``alias:column``
            item = item.replace("::", "\0").split(":", 1)[1].replace("\0", "::").strip()
        item = item.split("::", 1)[0]
        item = re.split(r"->>?", item, maxsplit=1)[0].strip()
        if item.startswith('"') and item.endswith('"') and len(item) > 1:
            cols.append(item[1:-1])
        elif _IDENT.match(item):
            cols.append(item)
        elif not bad:
            bad = raw.strip()
    return cols, bad


def filter_column(text: str) -> str | None:
    """The column of a filter / order argument: ``col``, ``col->>key`` (JSON path), ``"Col"``;
    None for ``other.col`` (an embedded resource's column) and anything unreadable."""
    t = re.split(r"->>?", text.strip(), maxsplit=1)[0].strip()
    if t.startswith('"') and t.endswith('"') and len(t) > 1:
        return t[1:-1]
    if "." in t or not _IDENT.match(t):
        return None
    return t
