"""graph-pipeline: a LangGraph-style graph built in scope has the required shape.

Automates checkboxes such as "7-phase pipeline: enrich→collect→analyze→rubric→extract→update→
finalize", "rubric node integrated correctly", "conditional routing based on decision".

How the graph is read (copied into the README): from calls in the files in scope, whatever the
receiver (``workflow.add_node(...)``, ``self.graph.add_edge(...)``, chained builders):

* ``add_node("name", fn)``, ``add_node(fn)`` (the node is named after the function, as LangGraph
  does), ``add_node(node="name", action=fn)``;
* ``add_edge("a", "b")``, ``add_edge(["a", "b"], "c")`` (a join), ``start_key=``/``end_key=``;
* ``add_conditional_edges("src", router, {"label": "dst", ...})`` (the dict's values are the
  targets), ``add_conditional_edges("src", router, ["x", "y"])``, and without a map: the literal
  strings returned by ``router`` when it is a function in the same file;
* ``add_sequence(["a", "b", ("c", fn)])`` (consecutive edges);
* ``set_entry_point("x")`` (= ``START → x``), ``set_conditional_entry_point(router, map)``,
  ``set_finish_point("x")`` (= ``x → END``);
* ``START``/``END`` (imported from langgraph, or bare) and ``"__start__"``/``"__end__"``.

Node names must be string literals or names bound to a string in the same file; anything else
is unverifiable. A required edge that is missing while some edge has an unverifiable end (or a
router whose targets are unknown) could be that edge: the rule is then UNKNOWN and the
unverifiable calls are reported as info findings — never a guessed pass or failure.

Parameters: ``path`` (consecutive nodes must be joined by a plain or conditional edge),
``entry`` (a successor of START), ``conditional_from`` (nodes with conditional edges),
``conditional_to`` (node → targets its routing must be able to reach), ``finish`` (a node with
an edge to END). Findings name the missing edge (``analyze → rubric``) and point at the call that
declares the source node's edges (else its ``add_node``, else the builder file's first graph
call).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable

from ..facts.model import CallFact, DictValue, PythonFacts, Ref, Seq, Value
from ..types import CheckResult, Location, Severity
from .base import CheckKind, Param, RuleContext
from .pyindex import empty_scope, resolve_ref, show

START, END = "__start__", "__end__"
_ALIASES = {"START": START, "END": END, START: START, END: END}
_GRAPH_CALLS = ("add_node", "add_edge", "add_conditional_edges", "add_sequence",
                "set_entry_point", "set_conditional_entry_point", "set_finish_point")


def label(node: str | None) -> str:
    return {START: "START", END: "END", None: "?"}.get(node, node)  # type: ignore[arg-type]


@dataclass(frozen=True, slots=True)
class Edge:
    src: str | None  # None: not statically known
    dst: str | None
    conditional: bool
    loc: Location


@dataclass
class Graph:
    """The graph as far as it can be known statically."""

    nodes: dict[str, Location] = field(default_factory=dict)
    edges: list[Edge] = field(default_factory=list)
    # conditional sources whose targets could not all be known
    open_routes: dict[str | None, Location] = field(default_factory=dict)
    cond_sources: dict[str | None, Location] = field(default_factory=dict)
    unverifiable: list[tuple[Location, str]] = field(default_factory=list)
    unknown_nodes: list[Location] = field(default_factory=list)
    calls_per_file: dict[str, list[Location]] = field(default_factory=dict)

    def successors(self, node: str) -> set[str | None]:
        return {e.dst for e in self.edges if e.src == node}

    def has_edge(self, a: str, b: str) -> Edge | None:
        for e in self.edges:
            if e.src == a and e.dst == b:
                return e
        return None

    def maybe_edge(self, a: str, b: str) -> bool:
        """Could an unverifiable edge or route be ``a -> b``?"""
        if any((e.src in (a, None)) and (e.dst in (b, None)) for e in self.edges):
            return True
        return a in self.open_routes or None in self.open_routes


class _Reader:
    """Turns the graph-building calls of one file into nodes and edges."""

    def __init__(self, path: str, facts: PythonFacts, graph: Graph) -> None:
        self.path = path
        self.facts = facts
        self.g = graph

    def name(self, v: Value, call: CallFact) -> str | None:
        if isinstance(v, Ref):
            for cand in (v.qualname, v.name):
                last = cand.rsplit(".", 1)[-1] if cand else ""
                if last in ("START", "END") and (cand == last or cand.startswith("langgraph")):
                    return _ALIASES[last]
            v = resolve_ref(v, self.facts, call.scope)
        if isinstance(v, str) and v:
            return v
        return None

    def arg(self, call: CallFact, i: int, kw: str) -> tuple[bool, Value]:
        for k, v in call.kwargs:
            if k == kw:
                return True, v
        if i < len(call.args):
            return True, call.args[i]
        return False, None

    def loc(self, call: CallFact) -> Location:
        return Location(self.path, call.span)

    def unverifiable(self, call: CallFact, what: Value) -> None:
        self.g.unverifiable.append((self.loc(call), f"`{show(what)}` in `{call.text[:80]}`"))

    def add_edge(self, call: CallFact, a: Value, b: Value, conditional: bool = False) -> None:
        srcs = list(a.items) if isinstance(a, Seq) else [a]
        dst = self.name(b, call)
        if dst is None:
            self.unverifiable(call, b)
        for s in srcs:
            src = self.name(s, call)
            if src is None:
                self.unverifiable(call, s)
            self.g.edges.append(Edge(src, dst, conditional, self.loc(call)))

    def add_node(self, call: CallFact, v: Value) -> None:
        name = self.name(v, call)
        if name is None:
            self.unverifiable(call, v)
            self.g.unknown_nodes.append(self.loc(call))
            return
        self.g.nodes.setdefault(name, self.loc(call))

    def router_targets(self, router: Value, call: CallFact) -> list[Value] | None:
        """Literal return values of a router function in the same file (None if unknown)."""
        if not isinstance(router, Ref):
            return None
        last = router.name.rsplit(".", 1)[-1]
        fns = [f for f in self.facts.functions if f.name == last and (
            "." not in router.name or router.name.startswith(("self.", "cls.")))]
        if len(fns) != 1 or not fns[0].returns:
            return None
        return list(fns[0].returns)

    def conditional(self, call: CallFact, src_v: Value, router: Value, has_map: bool,
                    path_map: Value) -> None:
        src = self.name(src_v, call)
        if src is None:
            self.unverifiable(call, src_v)
        self.g.cond_sources.setdefault(src, self.loc(call))
        targets: list[Value] | None
        if has_map and isinstance(path_map, DictValue) and not path_map.spread:
            targets = [v for _, v in path_map.items]
        elif has_map and isinstance(path_map, Seq) and not path_map.starred:
            targets = list(path_map.items)
        elif has_map:
            targets = None
        else:
            targets = self.router_targets(router, call)
        if targets is None:
            self.g.open_routes.setdefault(src, self.loc(call))
            self.unverifiable(call, path_map if has_map else router)
            return
        for t in targets:
            dst = self.name(t, call)
            if dst is None:
                self.g.open_routes.setdefault(src, self.loc(call))
                self.unverifiable(call, t)
                continue
            self.g.edges.append(Edge(src, dst, True, self.loc(call)))

    def read(self) -> None:
        for call in self.facts.calls:
            if call.context != "call" or call.attr not in _GRAPH_CALLS or "." not in call.callee:
                continue
            self.g.calls_per_file.setdefault(self.path, []).append(self.loc(call))
            getattr(self, "on_" + call.attr)(call)

    def on_add_node(self, call: CallFact) -> None:
        ok, first = self.arg(call, 0, "node")
        if not ok:
            return
        has_action, _ = self.arg(call, 1, "action")
        if not has_action and isinstance(first, Ref) and self.name(first, call) is None:
            first = first.name.rsplit(".", 1)[-1]  # add_node(fn): named after the function
        self.add_node(call, first)

    def on_add_edge(self, call: CallFact) -> None:
        ok_a, a = self.arg(call, 0, "start_key")
        ok_b, b = self.arg(call, 1, "end_key")
        if ok_a and ok_b:
            self.add_edge(call, a, b)

    def on_add_conditional_edges(self, call: CallFact) -> None:
        ok, src = self.arg(call, 0, "source")
        _, router = self.arg(call, 1, "path")
        has_map, path_map = self.arg(call, 2, "path_map")
        if ok:
            self.conditional(call, src, router, has_map, path_map)

    def on_set_conditional_entry_point(self, call: CallFact) -> None:
        _, router = self.arg(call, 0, "path")
        has_map, path_map = self.arg(call, 1, "path_map")
        self.conditional(call, START, router, has_map, path_map)

    def on_set_entry_point(self, call: CallFact) -> None:
        ok, x = self.arg(call, 0, "key")
        if ok:
            self.add_edge(call, START, x)

    def on_set_finish_point(self, call: CallFact) -> None:
        ok, x = self.arg(call, 0, "key")
        if ok:
            self.add_edge(call, x, END)

    def on_add_sequence(self, call: CallFact) -> None:
        ok, seq = self.arg(call, 0, "nodes")
        if not ok or not isinstance(seq, Seq) or seq.starred:
            self.unverifiable(call, seq)
            self.g.unknown_nodes.append(self.loc(call))
            self.g.edges.append(Edge(None, None, False, self.loc(call)))
            return
        names: list[Value] = []
        for item in seq.items:
            if isinstance(item, Seq) and item.items:
                names.append(item.items[0])
            elif isinstance(item, Ref) and self.name(item, call) is None:
                names.append(item.name.rsplit(".", 1)[-1])
            else:
                names.append(item)
        for n in names:
            self.add_node(call, n)
        for a, b in zip(names, names[1:]):
            self.add_edge(call, a, b)


def build_graph(files: Iterable[tuple[str, PythonFacts]]) -> Graph:
    g = Graph()
    for path, facts in files:
        _Reader(path, facts, g).read()
    return g


class GraphPipeline(CheckKind):
    kind = "graph-pipeline"
    summary = ("The LangGraph-style graph built in scope must contain a node path, an entry, "
               "conditional routing and a finish node.")
    params = (
        Param("path", (list,), item_types=(str,), default=None,
              doc="Node sequence that must be joined by consecutive edges (plain or conditional)."),
        Param("entry", (str,), default=None, doc="Node that must follow START."),
        Param("conditional_from", (list,), item_types=(str,), default=None,
              doc="Nodes that must have conditional edges."),
        Param("conditional_to", (dict,), default=None,
              doc="Mapping node -> targets its conditional routing must be able to reach."),
        Param("finish", (str,), default=None, doc="Node that must have an edge to END."),
    )
    example = """\
- code: E2I801
  name: feedback-learner-pipeline
  phase: 8
  severity: error
  message: the feedback_learner graph must run the 7-phase pipeline with the rubric node
  where:
    include: [src/agents/feedback_learner/graph.py]
  check:
    kind: graph-pipeline
    path: [enrich, collect, analyze, rubric, extract, update, finalize]
    entry: enrich
    conditional_from: [rubric]
    finish: finalize
"""

    @classmethod
    def validate(cls, params):  # type: ignore[override]
        errs = []
        if not any(params.get(k) for k in ("path", "entry", "conditional_from",
                                           "conditional_to", "finish")):
            errs.append("give at least one of path, entry, conditional_from, conditional_to, "
                        "finish")
        ct = params.get("conditional_to")
        if ct is not None:
            for k, v in ct.items():
                if not isinstance(k, str) or not isinstance(v, list) or not all(
                        isinstance(x, str) for x in v):
                    errs.append(f"conditional_to: {k!r} must map to a list of node names")
        for key in ("path", "conditional_from"):
            if any(not n for n in params.get(key) or ()):
                errs.append(f"{key}: empty node name")
        return errs

    def patterns(self) -> tuple[str, ...]:
        # every graph fact comes from one of these calls; node constants and routers that
        # the calls name are resolved in the same file
        return _GRAPH_CALLS

    # -- evaluation ---------------------------------------------------------------------------
    def evaluate(self, ctx: RuleContext) -> CheckResult:
        if not ctx.files:
            return self.result(ctx, [empty_scope(ctx, "a graph built with add_node/add_edge")])
        g = build_graph((f.path, f.python) for f in ctx.files if f.python is not None)
        if not g.calls_per_file:
            if ctx.undecidable():
                return self.result(ctx, [], unknown=True, note=(
                    f"could not decide: no graph found and {ctx.undecidable()[0].path} could "
                    "not be analysed"))
            where = ctx.scope_hint or ctx.anchor_path()
            return self.result(ctx, [ctx.finding(
                ctx.anchor_path(), None, f"no graph is built in {where} (no add_node/add_edge/"
                                         "add_conditional_edges calls)", source=f"nograph:{where}")])
        builder = max(sorted(g.calls_per_file), key=lambda p: len(g.calls_per_file[p]))
        first = g.calls_per_file[builder][0]
        fails: list[tuple[Location, str]] = []
        maybes: list[str] = []
        evidence: list[Location] = []

        def at(node: str | None) -> Location:
            for e in g.edges:
                if e.src == node:
                    return e.loc
            if node in g.cond_sources:
                return g.cond_sources[node]
            return g.nodes.get(node or "", first)

        def need_node(n: str) -> bool:
            if n in (START, END) or n in g.nodes:
                return True
            msg = f"node `{n}` is never added to the graph (add_node)"
            if g.unknown_nodes:
                maybes.append(msg + " (some node names are not statically known)")
            else:
                fails.append((first, msg))
            return False

        def need_edge(a: str, b: str, what: str = "edge") -> None:
            e = g.has_edge(a, b)
            if e is not None:
                evidence.append(e.loc)
                return
            have = ", ".join(sorted(label(x) for x in g.successors(a) if x)) or "none"
            msg = f"missing {what} `{label(a)} → {label(b)}` (edges from `{label(a)}`: {have})"
            if g.maybe_edge(a, b):
                maybes.append(msg + "; an edge with a node name that is not statically known "
                                    "could be it")
            else:
                fails.append((at(a), msg))

        path = [_ALIASES.get(n, n) for n in self.p.get("path") or ()]
        for n in path:
            need_node(n)
        for a, b in zip(path, path[1:]):
            need_edge(a, b)
        entry = self.p.get("entry")
        if entry:
            entry = _ALIASES.get(entry, entry)
            need_node(entry)
            need_edge(START, entry, "entry edge")
        for n in self.p.get("conditional_from") or ():
            n = _ALIASES.get(n, n)
            if not need_node(n):
                continue
            if n in g.cond_sources:
                evidence.append(g.cond_sources[n])
            elif None in g.cond_sources:
                maybes.append(f"node `{n}` has no conditional edges, unless through a call "
                              "whose source is not statically known")
            else:
                fails.append((at(n), f"node `{n}` has no conditional edges "
                                      "(add_conditional_edges)"))
        for n, targets in (self.p.get("conditional_to") or {}).items():
            n = _ALIASES.get(n, n)
            if not need_node(n):
                continue
            known = {e.dst for e in g.edges if e.src == n and e.conditional}
            for t in targets:
                t = _ALIASES.get(t, t)
                hit = next((e for e in g.edges if e.src == n and e.dst == t and e.conditional),
                           None)
                if hit is not None:
                    evidence.append(hit.loc)
                    continue
                have = ", ".join(sorted(label(x) for x in known if x)) or "none"
                msg = (f"conditional routing from `{label(n)}` cannot reach `{label(t)}` "
                       f"(conditional targets: {have})")
                if n in g.open_routes or None in g.open_routes or None in g.cond_sources:
                    maybes.append(msg + "; some targets are not statically known")
                else:
                    fails.append((g.cond_sources.get(n) or at(n), msg))
        finish = self.p.get("finish")
        if finish:
            finish = _ALIASES.get(finish, finish)
            need_node(finish)
            need_edge(finish, END, "finish edge")
        # a node named by several parameters (in ``path`` and ``conditional_to``, say) is
        # required once: one finding per distinct problem
        fails = list(dict.fromkeys(fails))
        maybes = list(dict.fromkeys(maybes))
        findings = [ctx.finding(loc.path, loc.span, msg, source=msg) for loc, msg in fails]
        if maybes and not fails:
            seen = set()
            for loc, what in g.unverifiable:
                if (loc.path, loc.span.line, what) in seen:
                    continue
                seen.add((loc.path, loc.span.line, what))
                findings.append(ctx.finding(loc.path, loc.span, f"node name {what} is not "
                                            "statically known", source=f"unverifiable:{what}",
                                            severity=Severity.INFO))
        note = ("; ".join(maybes[:3]) if maybes else
                f"{len(g.nodes)} node(s), {len(g.edges)} edge(s) in {builder}")
        return self.result(ctx, findings, evidence, note=note, unknown=bool(maybes))

