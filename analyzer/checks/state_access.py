"""How LangGraph-style nodes read and write their state, from facts (state-flow, routing).

A node is the callable given to ``add_node`` (resolved by ``node_resolve``); what it *writes*
is the keys of the dicts it returns (LangGraph merges them into the state), what it *reads* is
``state["k"]`` / ``state.get("k")`` on its state parameter, in its own body and in the project
functions it passes the state to. This module follows both, and says why wherever it cannot
(``Unknown`` with a reason: never a guess).

**Writes** (``Analyzer.writes``), per ``return``: a dict display (literal keys; ``**state``
adds nothing; ``**d`` of a local dict adds its keys); a local name (of the function or, for a
closure, of the functions it is nested in) bound to a dict display, with ``name["k"] = v``,
``name.update({...})`` / ``name.update(k=v)`` and ``name.setdefault("k", v)`` in the same
function; a copy of the state (``{**state}``, ``dict(state)``, ``state.copy()``,
``copy.deepcopy(state)``) with those stores; ``Command(update={...})``; a call of a project
``TypedDict`` class (``State(k=v)``, without ``**`` unpacking); ``typing.cast(T, value)`` (the
value); the result of a project function it passes the state to (followed); ``None``. Stores
into the state parameter itself (``state["k"] = v``, ``state.update(...)``) count as writes too
(whether LangGraph keeps an in-place change or not, counting it can only hide a finding, never
invent one). Anything else a node returns — a call the rule cannot follow, an object, a
parameter, a computed key, a ``**x`` spread of something that is not a local dict — makes what
the node writes unknown.

**Reads** (``Analyzer.reads``): ``state.get("k")`` (``.get("k", d)``, ``.pop("k", d)`` and
``.setdefault("k", d)`` are reads *with a default*), ``state["k"]`` (also ``state["k"] += 1``),
with string-literal keys or names bound to one; in nested functions of the node that do not
rebind the name; and, through every call that passes the state (positionally or by keyword, or
as ``cast(T, state)``) to a project function or method, in that function under its own
parameter name (depth-limited). Calls whose callee cannot be resolved are listed, not
followed: a read the rule does not see cannot produce a finding.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..facts.model import CallFact, CallValue, DictValue, PythonFacts, Ref, Seq, Value
from ..facts.model import Unknown as UnknownValue
from ..types import Span
from .node_resolve import CASTS, MAX_DEPTH, Impl, Resolver, at, positional_params, uncast, within
from .pyindex import resolve_ref, show
from .resolve import ClassDef, FuncDef, ProjectView, Unknown

NO_VALUE = UnknownValue("<not recorded>")  # a write whose value is not known
_COPIES = ("copy.copy", "copy.deepcopy", "deepcopy", "dict")


@dataclass(frozen=True, slots=True)
class Read:
    key: str
    path: str
    span: Span
    reader: str  # the function (or lambda) the read is written in
    default: bool  # .get("k", d) and the like: the default applies when the key is absent
    text: str  # the read as written, for messages
    via: tuple[str, ...] = ()  # functions the state was passed through to get here
    tolerant: bool = False  # .get/.pop/.setdefault: absence is expected (None or the default)
    knob: bool = False  # the default is a literal setting (3, True, "auto"), not empty data


@dataclass
class Writes:
    """The keys a callable's returned dicts (and in-place stores) write, with where; and why
    it may write more (``unknown``)."""

    keys: dict[str, list[tuple[str, Span]]] = field(default_factory=dict)
    unknown: list[str] = field(default_factory=list)
    # key -> the values written (parallel to ``keys``; ``NO_VALUE`` where not recorded)
    values: dict[str, list[Value]] = field(default_factory=dict)

    def add(self, key: str, path: str, span: Span, value: Value = None) -> None:
        self.keys.setdefault(key, []).append((path, span))
        self.values.setdefault(key, []).append(value)

    def merge(self, other: "Writes") -> None:
        for k, places in other.keys.items():
            self.keys.setdefault(k, []).extend(places)
            self.values.setdefault(k, []).extend(other.values.get(k, [NO_VALUE] * len(places)))
        self.unknown.extend(other.unknown)


class Analyzer(Resolver):
    """State reads and writes over one rule's project view (memoised per evaluation)."""

    def __init__(self, view: ProjectView) -> None:
        super().__init__(view)
        self._reads: dict[tuple, tuple[list[Read], list[str]]] = {}
        self._writes: dict[tuple, Writes] = {}
        self._active: set[tuple] = set()

    def scopes(self, impl: Impl, param: str) -> set[str]:
        """The function's scope and those of its nested functions that see ``param``."""
        if impl.fn is None:
            return {impl.lam.scope}  # type: ignore[union-attr]
        q = impl.fn.qualname
        out = {q}
        facts = self.facts(impl.path)
        if facts is None:
            return out
        prefix = q + ".<locals>."
        for f in facts.functions:
            if f.qualname.startswith(prefix) and param not in f.params:
                out.add(f.qualname)
        return out

    def _in(self, impl: Impl, scopes: set[str], scope: str, span: Span) -> bool:
        if scope not in scopes:
            return False
        return impl.lam is None or within(span, impl.lam.span)

    # -- reads ----------------------------------------------------------------------------------
    def reads(self, impl: Impl, param: str | None = None, depth: int = 0,
              via: tuple[str, ...] = ()) -> tuple[list[Read], list[str]]:
        """The state keys ``impl`` reads through ``param`` (its state parameter by default),
        and the calls passing the state on that could not be followed."""
        param = param or self.state_param(impl)
        if param is None:
            return [], []
        memo = (impl.key, param)
        hit = self._reads.get(memo)
        if hit is not None:
            return ([Read(r.key, r.path, r.span, r.reader, r.default, r.text, via + r.via,
                          r.tolerant, r.knob)
                     for r in hit[0]], hit[1])
        if memo in self._active or depth > MAX_DEPTH:
            return [], []
        self._active.add(memo)
        try:
            out = self._reads_of(impl, param, depth)
        finally:
            self._active.discard(memo)
        self._reads[memo] = out
        return ([Read(r.key, r.path, r.span, r.reader, r.default, r.text, via + r.via,
                      r.tolerant, r.knob)
                 for r in out[0]], out[1])

    def _reads_of(self, impl: Impl, param: str, depth: int) -> tuple[list[Read], list[str]]:
        facts = self.facts(impl.path)
        if facts is None:
            return [], [f"{impl.path} was not analysed for this rule"]
        scopes = self.scopes(impl, param)
        reads: list[Read] = []
        unfollowed: list[str] = []
        label = impl.label
        for c in facts.calls:
            if c.context != "call" or not self._in(impl, scopes, c.scope, c.span):
                continue
            if c.callee in (f"{param}.get", f"{param}.pop", f"{param}.setdefault"):
                key = _key(c.args[0], facts, c.scope) if c.args else None
                if key is not None:
                    given = c.args[1:2] or [v for k, v in c.kwargs if k == "default"]
                    reads.append(Read(key, impl.path, c.span, label, bool(given), c.text,
                                      tolerant=True, knob=bool(given) and _is_knob(given[0])))
                continue
            passed = _passes(c, param)
            if passed is None:
                continue
            target = self.callee(impl.path, c)
            if isinstance(target, Unknown):
                unfollowed.append(f"`{c.callee}` ({at(impl.path, c.span)}): {target.reason}")
                continue
            name = self._param_for(target, c, passed)
            if name is None:
                continue
            sub = Impl(target.path, target.fn)
            got, more = self.reads(sub, name, depth + 1, (label,))
            reads.extend(got)
            unfollowed.extend(more)
        for s in facts.subscript_loads:
            if s.target == param and self._in(impl, scopes, s.scope, s.span):
                key = _key(s.key, facts, s.scope)
                if key is not None:
                    reads.append(Read(key, impl.path, s.span, label, False,
                                      f'{param}["{key}"]'))
        return reads, unfollowed

    def _param_for(self, target: FuncDef, call: CallFact, passed: int | str) -> str | None:
        """The parameter of ``target`` that receives argument ``passed`` of ``call``."""
        if isinstance(passed, str):
            names = [p.name for p in target.fn.signature] or list(target.fn.params)
            return passed if passed in names else None
        if call.star_args:
            return None
        names = positional_params(target.fn)
        if self.is_method(target.path, target.fn) and "." in call.callee:
            names = names[1:]
        return names[passed] if passed < len(names) else None

    # -- writes ---------------------------------------------------------------------------------
    def writes(self, impl: Impl, param: str | None, depth: int = 0) -> Writes:
        """What ``impl`` writes into the state (``param``: the name the state has in it, None
        when it is not given the state; ``state_param`` for a node)."""
        memo = (impl.key, param)
        hit = self._writes.get(memo)
        if hit is not None:
            return hit
        if memo in self._active or depth > MAX_DEPTH:
            w = Writes()
            w.unknown.append(f"`{impl.label}` is reached recursively")
            return w
        self._active.add(memo)
        try:
            out = self._writes_of(impl, param, depth)
        finally:
            self._active.discard(memo)
        self._writes[memo] = out
        return out

    def _writes_of(self, impl: Impl, param: str | None, depth: int) -> Writes:
        w = Writes()
        facts = self.facts(impl.path)
        if facts is None:
            w.unknown.append(f"{impl.path} was not analysed for this rule")
            return w
        if impl.fn is not None and impl.fn.yields:
            w.unknown.append(f"`{impl.label}` is a generator")
            return w
        paths = impl.fn.return_paths if impl.fn is not None else impl.lam.results  # type: ignore
        for rp in paths:
            self._value_keys(w, impl.path, impl.scope, rp.value, param, rp.span or impl.span,
                             depth, set())
        if param:
            self._stores(w, facts, impl.path, self.scopes(impl, param), param, impl)
        return w

    def _stores(self, w: Writes, facts: PythonFacts, path: str, scopes: set[str], name: str,
                impl: Impl | None = None) -> None:
        """``name["k"] = v``, ``name.update(...)``, ``name.setdefault("k", ...)`` in scopes."""
        for s in facts.subscript_stores:
            if s.target == name and s.scope in scopes and (
                    impl is None or impl.lam is None or within(s.span, impl.lam.span)):
                key = _key(s.key, facts, s.scope)
                if key is None:
                    w.unknown.append(f"`{name}[{show(s.key)}] = ...` ({at(path, s.span)}) "
                                     "stores a computed key")
                else:
                    w.add(key, path, s.span, s.value)
        for c in facts.calls:
            if c.context != "call" or c.scope not in scopes or c.receiver is None:
                continue
            if impl is not None and impl.lam is not None and not within(c.span, impl.lam.span):
                continue
            if c.callee == f"{name}.update":
                if c.star_args or c.star_kwargs:
                    w.unknown.append(f"`{c.text[:60]}` ({at(path, c.span)}) unpacks arguments")
                for k, val in c.kwargs:
                    w.add(k, path, c.span, val)
                for a in c.args[:1]:
                    self._value_keys(w, path, c.scope, a, None, c.span, MAX_DEPTH - 1, set())
            elif c.callee == f"{name}.setdefault" and c.args:
                key = _key(c.args[0], facts, c.scope)
                if key is not None:
                    w.add(key, path, c.span, c.args[1] if len(c.args) > 1 else None)

    def _value_keys(self, w: Writes, path: str, scope: str, v: Value, state: str | None,
                    span: Span, depth: int, seen: set[str]) -> None:
        """The keys of a value a function returns (or an initial state): added to ``w``."""
        if v is None:
            return
        facts = self.facts(path)
        where = at(path, span)
        if isinstance(v, DictValue):
            if v.comprehension:
                w.unknown.append(f"a dict comprehension ({where})")
                return
            for (k, val), ks in zip(v.items, v.key_spans or (None,) * len(v.items)):
                key = _key(k, facts, scope) if facts is not None else None
                if key is None:
                    w.unknown.append(f"computed key `{show(k)}` ({where})")
                else:
                    w.add(key, path, ks or span, val)
            for text, sspan in v.spreads:
                name = _spread_name(text)
                if name is not None and name == state:
                    continue
                if name is not None and name.isidentifier():
                    self._value_keys(w, path, scope, Ref(name), state, sspan, depth, seen)
                else:
                    w.unknown.append(f"`{text}` ({at(path, sspan)})")
            return
        if isinstance(v, Ref):
            self._name_keys(w, path, scope, v.name, state, span, depth, seen)
            return
        if isinstance(v, CallValue):
            self._call_keys(w, path, scope, v, state, span, depth, seen)
            return
        w.unknown.append(f"returns `{show(v)}` ({where}), not a dict display")

    def _name_keys(self, w: Writes, path: str, scope: str, name: str, state: str | None,
                   span: Span, depth: int, seen: set[str]) -> None:
        where = at(path, span)
        if name == state:
            return  # the state itself: its in-place stores are counted separately
        if "." in name or name in seen:
            w.unknown.append(f"`{name}` ({where})")
            return
        fi = self.view.file(path)
        if fi is None:
            w.unknown.append(f"{path} was not analysed for this rule")
            return
        # the name in this function, else in the functions it is nested in (a closure)
        cur = scope
        while True:
            assigns = fi.assigns.get((cur, name)) or []
            fn = fi.functions.get(cur)
            if assigns or fn is None or name in fn.params or ".<locals>." not in cur:
                break
            cur = cur.rsplit(".<locals>.", 1)[0]
        if not assigns:
            what = "a parameter" if fn is not None and name in fn.params else \
                f"not assigned in `{scope or 'the module'}`"
            w.unknown.append(f"`{name}` ({where}) is {what}")
            return
        seen = seen | {name}
        for a in assigns:
            values = a.alternatives or ((a.value,) if a.has_value else ())
            for val in values:
                if val is None or _is_copy_of(val, state):
                    continue
                self._value_keys(w, path, cur, val, state, a.span, depth, seen)
        self._stores(w, fi.facts, path, {cur}, name)

    def _call_keys(self, w: Writes, path: str, scope: str, c: CallValue, state: str | None,
                   span: Span, depth: int, seen: set[str]) -> None:
        where = at(path, span)
        if _is_copy_of(c, state):
            return
        if c.qualname in CASTS and len(c.args) == 2:  # cast(T, value) is value
            self._value_keys(w, path, scope, c.args[1], state, span, depth, seen)
            return
        if c.callee.rsplit(".", 1)[-1] == "Command":
            for k, val in c.kwargs:
                if k == "update":
                    self._value_keys(w, path, scope, val, state, span, depth, seen)
            return
        if depth >= MAX_DEPTH:
            w.unknown.append(f"`{c.callee}(...)` ({where}) is too deep to follow")
            return
        t = self.view.type_of(path, c.callee, scope) if not c.callee.endswith("()") else \
            Unknown(f"`{c.callee}` is not a plain callee")
        if isinstance(t, FuncDef):
            passed = _passes(c, state)
            name = None
            if passed is not None:
                names = [p.name for p in t.fn.signature] or list(t.fn.params)
                if isinstance(passed, str):
                    name = passed if passed in names else None
                else:
                    pos = positional_params(t.fn)
                    if self.is_method(t.path, t.fn) and "." in c.callee:
                        pos = pos[1:]
                    name = pos[passed] if passed < len(pos) else None
            w.merge(self.writes(Impl(t.path, t.fn), name, depth + 1))
            return
        if isinstance(t, ClassDef):
            if is_typed_dict(self.view, t):
                self._typed_dict_keys(w, path, scope, c, t, span)
                return
            w.unknown.append(f"returns a `{t.cls.name}(...)` object ({where}), not a dict")
            return
        reason = t.reason if isinstance(t, Unknown) else "not a project function"
        w.unknown.append(f"returns `{c.callee}(...)` ({where}): {reason}")


    def _typed_dict_keys(self, w: Writes, path: str, scope: str, c: CallValue, cls: ClassDef,
                         span: Span) -> None:
        """``State(k=v, ...)`` of a TypedDict class: its keyword names (and the keys of a
        positional dict display); unknown when the call unpacks ``**x``/``*x`` (the call's
        own fact, found within the statement, says)."""
        facts = self.facts(path)
        calls = [f for f in (facts.calls if facts else ()) if f.scope == scope
                 and f.callee == c.callee and f.context == "call" and within(f.span, span)]
        where = at(path, span)
        if len(calls) != 1 or calls[0].star_args or calls[0].star_kwargs:
            w.unknown.append(f"`{cls.cls.name}(...)` ({where}) unpacks arguments or cannot be "
                             "told apart from another call")
            return
        for k, val in c.kwargs:
            w.add(k, path, calls[0].span, val)
        for a in c.args[:1]:
            self._value_keys(w, path, scope, a, None, span, MAX_DEPTH - 1, set())


TYPED_DICTS = ("typing.TypedDict", "typing_extensions.TypedDict", "TypedDict")


def is_typed_dict(view: ProjectView, cls: ClassDef) -> bool:
    """``cls`` or a project ancestor lists ``TypedDict`` among its bases (base texts are
    resolved through imports by the extractor: ``typing.TypedDict``)."""
    lineage, _external, _unresolved = view.lineage(cls)
    return any(b.split("[")[0] in TYPED_DICTS for c in lineage for b in c.cls.bases)


def _key(v: Value, facts: PythonFacts | None, scope: str) -> str | None:
    if isinstance(v, str):
        return v
    if isinstance(v, Ref) and facts is not None:
        got = resolve_ref(v, facts, scope)
        return got if isinstance(got, str) else None
    return None


def _is_name(v: Value, name: str | None) -> bool:
    v = uncast(v)
    return name is not None and isinstance(v, Ref) and v.name == name


def _passes(c: CallFact | CallValue, param: str | None) -> int | str | None:
    """Where ``c`` passes the name ``param`` (argument index or keyword; ``cast(T, param)``
    too), if it does."""
    if param is None or c.callee.split(".", 1)[0] == param or c.qualname in CASTS:
        return None  # a method of the state itself; a cast is not a call that reads
    for i, a in enumerate(c.args):
        if _is_name(a, param):
            return i
    for k, a in c.kwargs:
        if _is_name(a, param):
            return k
    return None


def _spread_name(text: str) -> str | None:
    t = text[2:] if text.startswith("**") else text
    if t.startswith("dict(") and t.endswith(")"):
        t = t[5:-1]
    t = t.strip()
    return t or None


def _is_copy_of(v: Value, state: str | None) -> bool:
    """``{**state}``, ``dict(state)``, ``state.copy()``, ``copy.deepcopy(state)``."""
    if not state:
        return False
    if isinstance(v, DictValue):
        return not v.items and len(v.spreads) == 1 and _spread_name(v.spreads[0][0]) == state
    if isinstance(v, CallValue):
        if v.callee == f"{state}.copy" and not v.args:
            return True
        if (v.callee in _COPIES or v.qualname in _COPIES) and len(v.args) == 1 and isinstance(
                v.args[0], Ref) and v.args[0].name == state:
            return True
    return False


def _is_knob(value: object) -> bool:
    """A default that is a setting — a literal (``3``, ``True``, ``"auto"``), a name or a
    computed fallback (``f"run_{id}"``, ``detect(df)``, ``total * 0.5``): the key is an
    optional parameter of the graph, not data an earlier node must produce. ``None``, ``""``
    and empty containers (``{}``, ``[]``, ``dict()``) stand for missing data."""
    if value is None or value == "" or value == b"":
        return False
    if isinstance(value, DictValue):
        return bool(value.items) or value.spread
    if isinstance(value, Seq):
        return bool(value.items) or value.starred
    if isinstance(value, CallValue) and value.callee in ("dict", "list", "set", "tuple") \
            and not value.args and not value.kwargs:
        return False
    return True
