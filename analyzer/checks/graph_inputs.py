"""Which calls invoke a graph, and with what initial state (state-flow).

A graph's input is the dict given to ``invoke``/``ainvoke``/``stream``/``astream`` on the
compiled graph. A call counts for a graph when its receiver *traces back to the graph's
builder* (the function that makes its ``add_node`` calls):

* a call of the builder (``build_graph()``), or of a project function whose returns trace back
  (``build_simple_graph()`` returning ``build_graph(...)``), ``.compile()`` of a
  ``StateGraph(...)`` made in the builder, and ``.compile()`` / ``.with_config(...)`` of any
  of those;
* a local or module variable bound to one (each assignment, each branch of ``a if t else b``);
* ``self.x``, where the class assigns ``self.x = ...`` in its methods or defines a property
  ``x`` returning such a value (``self._graph = build_graph(...)`` behind ``@property graph``).

``graph.update_state(config, values)`` sets keys too (``values``), and so does
``Send("node", state)``, which hands ``state`` to a node (of every graph in scope with a node of
that name).

The initial state is read like a node's return value (``state_access``): a dict display, a
name bound to one plus ``name["k"] = v`` / ``name.update(...)`` in the same function, or the dict
a project function returns (``build_initial_state(...)``).

Calls whose receiver cannot be traced (a parameter, an untyped attribute) may invoke any graph:
when their input is readable, the keys it sets count as *possibly* given (a read of such a key
is undecidable, not a finding); when neither receiver nor input can be read, the call is not
counted and is listed in the rule's note (counting it would make every key of every graph
undecidable). Calls in files matching ``ignore_callers`` (tests, by default: they inject state
keys a real run never sets) are not counted.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

from ..facts.model import CallFact, CallValue, Ref, Value
from ..types import Span
from .resolve import ClassDef, External, FuncDef, Instance, Unknown, VarDef
from .node_resolve import at
from .state_access import Analyzer, Writes

INVOKE_ATTRS = ("invoke", "ainvoke", "stream", "astream")
UPDATE_ATTRS = ("update_state", "aupdate_state")  # graph.update_state(config, values)
_PASS_THROUGH = ("compile", "with_config", "with_retry", "with_listeners", "with_types")
MAX_DEPTH = 10

Builder = tuple[str, str]  # (path, scope) of a graph's builder


@dataclass
class Inputs:
    """What the calls invoking one graph give it."""

    keys: dict[str, list[tuple[str, Span]]] = field(default_factory=dict)
    unknown: list[str] = field(default_factory=list)  # an input the rule cannot read fully
    sites: list[tuple[str, Span]] = field(default_factory=list)
    maybe: dict[str, list[str]] = field(default_factory=dict)  # key -> untraced calls


@dataclass
class InputSearch:
    by_graph: dict[Builder, Inputs]
    ignored: list[str]  # untraced calls whose input cannot be read either
    searched: int  # files searched


class GraphCalls:
    """Traces invoke receivers back to builders over one rule's project view."""

    def __init__(self, an: Analyzer, builders: set[Builder],
                 node_names: dict[Builder, set[str]] | None = None) -> None:
        self.an = an
        self.view = an.view
        self.builders = builders
        self.node_names = node_names or {}
        self._memo: dict[tuple[str, str, Value], set[Builder] | Unknown] = {}

    # -- origins --------------------------------------------------------------------------------
    def origin(self, path: str, scope: str, v: Value, depth: int = 0) -> set[Builder] | Unknown:
        """The builders whose graph ``v`` may be (empty: something else), or why unknown."""
        if depth > MAX_DEPTH:
            return Unknown("the value goes through too many assignments")
        key = (path, scope, v)
        try:
            hit = self._memo.get(key)
        except TypeError:  # an unhashable value cannot be a receiver we follow
            return Unknown("not a plain value")
        if hit is not None:
            return hit
        self._memo[key] = Unknown("the value depends on itself")
        out = self._origin(path, scope, v, depth)
        self._memo[key] = out
        return out

    def _origin(self, path: str, scope: str, v: Value, depth: int) -> set[Builder] | Unknown:
        if isinstance(v, CallValue):
            last = v.callee.rsplit(".", 1)[-1]
            if last in _PASS_THROUGH and v.receiver is not None:
                return self.origin(path, scope, v.receiver, depth + 1)
            if last == "StateGraph":
                return {(path, scope)} & self.builders
            if v.callee.endswith("()"):
                return Unknown(f"`{v.callee}(...)` calls what a call returns")
            t = self.view.type_of(path, v.callee, scope)
            if isinstance(t, FuncDef):
                b = (t.path, t.fn.qualname)
                if b in self.builders:
                    return {b}
                rets = [r for r in t.fn.returns if r is not None]
                if not rets:
                    return set()
                return _combine([self.origin(t.path, t.fn.qualname, r, depth + 1)
                                 for r in rets])
            if isinstance(t, (ClassDef, External, Instance)):
                return set()
            return t if isinstance(t, Unknown) else Unknown(f"`{v.callee}` cannot be followed")
        if isinstance(v, Ref):
            name = v.name
            head, _, rest = name.partition(".")
            if head in ("self", "cls") and rest and "." not in rest:
                return self._attribute(path, scope, rest, depth)
            if "." not in name:
                return self._name(path, scope, name, depth)
            return Unknown(f"`{name}` cannot be followed")
        return Unknown("not a name or a call")

    def _name(self, path: str, scope: str, name: str, depth: int) -> set[Builder] | Unknown:
        fi = self.view.file(path)
        if fi is None:
            return Unknown(f"{path} was not analysed for this rule")
        cur = scope
        while True:
            fn = fi.functions.get(cur) if cur else None
            if fn is not None and name in fn.params:
                return Unknown(f"`{name}` is a parameter of `{fn.qualname}`")
            assigns = fi.assigns.get((cur, name))
            if assigns:
                results = []
                for a in assigns:
                    for val in a.alternatives or ((a.value,) if a.has_value else ()):
                        if val is not None:
                            results.append(self.origin(path, a.scope, val, depth + 1))
                return _combine(results) if results else Unknown(f"`{name}` has no value")
            if not cur:
                break
            cur = cur.rsplit(".<locals>.", 1)[0] if ".<locals>." in cur else (
                cur.rsplit(".", 1)[0] if "." in cur else "")
        # not assigned in this file: imported (a module variable elsewhere), or a definition
        sym = self.view.resolve_name(path, name, scope)
        if isinstance(sym, VarDef):
            a = sym.assign
            fi2 = self.view.file(sym.path)
            assigns = (fi2.assigns.get((a.scope, a.target)) if fi2 else None) or [a]
            return _combine([self.origin(sym.path, x.scope, val, depth + 1) for x in assigns
                             for val in x.alternatives or ((x.value,) if x.has_value else ())
                             if val is not None] or [Unknown(f"`{name}` has no value")])
        if isinstance(sym, (FuncDef, ClassDef, External)):
            return set()  # a function, a class, something from a library: not our graph
        if isinstance(sym, Unknown):
            return sym
        return Unknown(f"`{name}` is not assigned in {path}")

    def _class_of(self, path: str, scope: str) -> str | None:
        fi = self.view.file(path)
        if fi is None:
            return None
        cur = scope
        while cur:
            fn = fi.functions.get(cur)
            if fn is not None and fn.scope in fi.classes:
                return fn.scope
            cur = cur.rsplit(".<locals>.", 1)[0] if ".<locals>." in cur else ""
        return None

    def _attribute(self, path: str, scope: str, attr: str, depth: int
                   ) -> set[Builder] | Unknown:
        cls = self._class_of(path, scope)
        fi = self.view.file(path)
        if cls is None or fi is None:
            return Unknown(f"`self.{attr}` outside a class method")
        results: list[set[Builder] | Unknown] = []
        prop = fi.functions.get(f"{cls}.{attr}")
        if prop is not None and any(d.endswith(("property", "cached_property"))
                                    for d in prop.decorators):
            results.extend(self.origin(path, prop.qualname, r, depth + 1)
                           for r in prop.returns if r is not None)
        prefix = cls + "."
        for (sc, target), assigns in fi.assigns.items():
            if target != f"self.{attr}" or not sc.startswith(prefix):
                continue
            for a in assigns:
                for val in a.alternatives or ((a.value,) if a.has_value else ()):
                    if val is not None:
                        results.append(self.origin(path, sc, val, depth + 1))
        if not results:
            return Unknown(f"no assignment to `self.{attr}` in `{cls}` ({path})")
        return _combine(results)

    # -- inputs ---------------------------------------------------------------------------------
    def search(self, ignore: Callable[[str], bool]) -> InputSearch:
        by_graph: dict[Builder, Inputs] = {b: Inputs() for b in self.builders}
        ignored: list[str] = []
        searched = 0
        for path in sorted(self.view.allowed):
            if ignore(path):
                continue
            facts = self.an.facts(path)
            if facts is None:
                continue
            searched += 1
            for c in facts.calls:
                if c.context != "call":
                    continue
                if c.attr == "Send" and (c.qualname.startswith("langgraph") or c.callee == "Send"):
                    self._send(path, c, by_graph)
                    continue
                if c.attr not in INVOKE_ATTRS + UPDATE_ATTRS or c.receiver is None:
                    continue
                arg = _input_arg(c)
                if arg is _MISSING:
                    continue
                self._site(path, c, arg, by_graph, ignored)
        return InputSearch(by_graph, ignored, searched)

    def _send(self, path: str, c: CallFact, by_graph: dict[Builder, Inputs]) -> None:
        """``Send("node", state)`` hands ``state`` to a node of a graph that has one of that
        name: its keys are that graph's input too (a map-reduce fan-out)."""
        node = c.args[0] if c.args else next((v for k, v in c.kwargs if k == "node"), None)
        arg = c.args[1] if len(c.args) > 1 else next((v for k, v in c.kwargs if k == "arg"),
                                                     None)
        if not isinstance(node, str):
            return
        targets = [b for b, names in self.node_names.items() if node in names]
        if not targets:
            return
        w = Writes()
        self.an._value_keys(w, path, c.scope, arg, None, c.span, 0, set())
        for b in targets:
            inp = by_graph[b]
            inp.sites.append((path, c.span))
            for k, places in w.keys.items():
                inp.keys.setdefault(k, []).extend(places)
            inp.unknown.extend(f"the state `{c.text[:60]}` ({at(path, c.span)}) sends: {u}"
                               for u in w.unknown)

    def _site(self, path: str, c: CallFact, arg: Value, by_graph: dict[Builder, Inputs],
              ignored: list[str]) -> None:
        where = at(path, c.span)
        o = self.origin(path, c.scope, c.receiver)
        w = Writes()
        self.an._value_keys(w, path, c.scope, arg, None, c.span, 0, set())
        if isinstance(o, set):
            for b in o:
                inp = by_graph[b]
                inp.sites.append((path, c.span))
                for k, places in w.keys.items():
                    inp.keys.setdefault(k, []).extend(places)
                inp.unknown.extend(f"the input of `{c.text[:60]}` ({where}): {u}"
                                   for u in w.unknown)
            return
        if not w.keys:
            ignored.append(f"`{c.text[:60]}` ({where}): {o.reason}")
            return
        for inp in by_graph.values():
            for k in w.keys:
                inp.maybe.setdefault(k, []).append(
                    f"`{c.text[:60]}` ({where}), whose receiver cannot be traced: {o.reason}")


_MISSING = object()


def _input_arg(c: CallFact) -> Value | object:
    if c.attr in UPDATE_ATTRS:
        for k, v in c.kwargs:
            if k == "values":
                return v
        return c.args[1] if len(c.args) > 1 else _MISSING
    for k, v in c.kwargs:
        if k == "input":
            return v
    if c.args:
        return c.args[0]
    return _MISSING


def _combine(results: list[set[Builder] | Unknown]) -> set[Builder] | Unknown:
    """Some branch traces to a graph: it is that graph's call (the other branches too may
    be); else the first reason a branch is unknown; else nothing."""
    found: set[Builder] = set()
    for r in results:
        if isinstance(r, set):
            found |= r
    if found:
        return found
    for r in results:
        if isinstance(r, Unknown):
            return r
    return set()
