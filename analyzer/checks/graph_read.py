"""Reading LangGraph-style graphs from facts: shared by graph-pipeline, state-flow and routing.

How a graph is read, from calls in the files given, whatever the receiver
(``workflow.add_node(...)``, ``self.graph.add_edge(...)``, chained builders):

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
is unverifiable. Besides the shape (nodes, edges), the reader keeps what the later kinds need:
each node's *action* (the callable given to ``add_node``), each conditional edge's router and
path map, and the ``StateGraph(Schema)`` constructions. ``build_graph`` merges every call in the
files into one graph (graph-pipeline); ``build_graphs`` keeps one graph per *builder* — the
function (or module) whose body makes the calls — so that two graphs built in one file stay
apart (state-flow, routing); a builder counts when it constructs a ``StateGraph``, or gives some
node an action that may be a callable and does not make its calls on an object another library
built (``dag = nx.DiGraph(); dag.add_node(name)`` is no state graph).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable

from ..facts.model import CallFact, CallValue, DictValue, PythonFacts, Ref, Seq, Unknown, Value
from ..types import Location
from .pyindex import resolve_ref, show

START, END = "__start__", "__end__"
ALIASES = {"START": START, "END": END, START: START, END: END}
GRAPH_CALLS = ("add_node", "add_edge", "add_conditional_edges", "add_sequence",
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
    # what state-flow and routing read beyond the shape
    node_defs: list["NodeDef"] = field(default_factory=list)
    routes: list["Route"] = field(default_factory=list)
    schemas: list[tuple[Value, Location]] = field(default_factory=list)  # StateGraph(S)
    schema_calls: list[CallFact] = field(default_factory=list)  # the StateGraph(...) calls
    builder: tuple[str, str] = ("", "")  # (path, scope) for a graph of build_graphs

    def successors(self, node: str) -> set[str | None]:
        return {e.dst for e in self.edges if e.src == node}

    def has_edge(self, a: str, b: str) -> Edge | None:
        for e in self.edges:
            if e.src == a and e.dst == b:
                return e
        return None

    def linear_prefix(self, entry: str, named: set[str], limit: int = 8) -> list[Edge] | None:
        """The plain edges ``START → n1 → ... → entry`` when every node before ``entry`` has
        exactly one outgoing edge, a plain one, and is not one of the rule's ``named`` nodes
        (bookkeeping nodes such as an audit-chain initializer that always hand over to the
        pipeline's first phase); None otherwise."""
        chain: list[Edge] = []
        cur = START
        for _ in range(limit):
            out = [e for e in self.edges if e.src == cur]
            if len(out) != 1 or out[0].conditional or out[0].dst is None \
                    or cur in self.open_routes or cur in self.cond_sources:
                return None
            chain.append(out[0])
            if out[0].dst == entry:
                return chain
            cur = out[0].dst
            if cur in (START, END) or cur in named:
                return None
        return None

    def maybe_edge(self, a: str, b: str) -> bool:
        """Could an unverifiable edge or route be ``a -> b``?"""
        if any((e.src in (a, None)) and (e.dst in (b, None)) for e in self.edges):
            return True
        return a in self.open_routes or None in self.open_routes


@dataclass(frozen=True, slots=True)
class NodeDef:
    """One ``add_node`` call: the node's name (None: not statically known) and its action,
    the callable value given (``fn``, ``obj.method``, ``factory(...)``, a lambda's Unknown)."""

    name: str | None
    action: Value
    has_action: bool
    call: CallFact
    loc: Location


@dataclass(frozen=True, slots=True)
class Route:
    """One conditional edge: its source, router value, and path map (if given)."""

    src: str | None
    router: Value
    has_map: bool
    path_map: Value
    call: CallFact
    loc: Location

    def mapping(self) -> dict[str, Value] | None:
        """Label -> target value of a literal dict path map (keys as literal strings; None
        when there is no literal dict map or a key is not a literal)."""
        m = self.path_map
        if not self.has_map or not isinstance(m, DictValue) or m.spread or m.comprehension:
            return None
        out: dict[str, Value] = {}
        for k, v in m.items:
            if not isinstance(k, str):
                return None
            out[k] = v
        return out


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
                    return ALIASES[last]
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

    def add_node(self, call: CallFact, v: Value, action: Value = None,
                 has_action: bool = False) -> None:
        name = self.name(v, call)
        self.g.node_defs.append(NodeDef(name, action, has_action, call, self.loc(call)))
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
        self.g.routes.append(Route(src, router, has_map, path_map, call, self.loc(call)))
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

    def read(self, calls: Iterable[CallFact] | None = None) -> None:
        for call in self.facts.calls if calls is None else calls:
            if call.context != "call":
                continue
            if call.attr == "StateGraph" and (call.callee == "StateGraph"
                                              or call.qualname.startswith("langgraph")):
                ok, schema = self.arg(call, 0, "state_schema")
                if ok:
                    self.g.schemas.append((schema, self.loc(call)))
                    self.g.schema_calls.append(call)
                continue
            if call.attr not in GRAPH_CALLS or "." not in call.callee:
                continue
            self.g.calls_per_file.setdefault(self.path, []).append(self.loc(call))
            getattr(self, "on_" + call.attr)(call)

    def on_add_node(self, call: CallFact) -> None:
        ok, first = self.arg(call, 0, "node")
        if not ok:
            return
        has_action, action = self.arg(call, 1, "action")
        if not has_action and isinstance(first, Ref) and self.name(first, call) is None:
            # add_node(fn): named after the function, which is the action
            action, has_action = first, True
            first = first.name.rsplit(".", 1)[-1]
        self.add_node(call, first, action, has_action)

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
        actions: list[tuple[Value, bool]] = []
        for item in seq.items:
            if isinstance(item, Seq) and item.items:
                names.append(item.items[0])
                actions.append((item.items[1], True) if len(item.items) > 1 else (None, False))
            elif isinstance(item, Ref) and self.name(item, call) is None:
                names.append(item.name.rsplit(".", 1)[-1])
                actions.append((item, True))
            else:
                names.append(item)
                actions.append((None, False))
        for n, (act, has) in zip(names, actions):
            self.add_node(call, n, act, has)
        for a, b in zip(names, names[1:]):
            self.add_edge(call, a, b)


def build_graph(files: Iterable[tuple[str, PythonFacts]]) -> Graph:
    """Every graph call in ``files`` read into one graph."""
    g = Graph()
    for path, facts in files:
        _Reader(path, facts, g).read()
    return g


def is_graph_call(call: CallFact) -> bool:
    return call.context == "call" and call.attr in GRAPH_CALLS and "." in call.callee


def build_graphs(files: Iterable[tuple[str, PythonFacts]]) -> list[Graph]:
    """One graph per builder: the function (qualname; "" = module level) of a file whose body
    makes graph calls, with the ``StateGraph(...)`` constructions made there. In file order,
    then by the builder's first call."""
    out: list[Graph] = []
    for path, facts in files:
        groups: dict[str, list[CallFact]] = {}
        for call in facts.calls:
            if is_graph_call(call) or (call.context == "call" and call.attr == "StateGraph"):
                groups.setdefault(call.scope, []).append(call)
        for scope, calls in groups.items():
            if not any(is_graph_call(c) for c in calls):
                continue
            g = Graph(builder=(path, scope))
            _Reader(path, facts, g).read(calls)
            if g.schemas or (not _foreign(facts, scope, calls) and any(
                    n.has_action and _callable_like(n.action) for n in g.node_defs)):
                out.append(g)
    return out


def _foreign(facts: PythonFacts, scope: str, calls: list[CallFact]) -> bool:
    """The graph calls are made on an object built here by another library than langgraph
    (``dag = nx.DiGraph()``): not a state graph, whatever its ``add_node`` arguments."""
    for c in calls:
        if not is_graph_call(c) or not isinstance(c.receiver, Ref):
            continue
        for a in facts.assigns:
            if a.scope == scope and a.target == c.receiver.name and isinstance(
                    a.value, CallValue) and a.value.qualname and not a.value.qualname.startswith(
                    "langgraph"):
                return True
    return False


def _callable_like(v: Value) -> bool:
    """A node action that may be a callable (not a literal): ``networkx`` graphs also have
    ``add_node``/``add_edge``, with attribute keywords instead of an action, and a builder
    without a ``StateGraph(...)`` construction counts only when some node has an action."""
    return isinstance(v, (Ref, CallValue)) or (
        isinstance(v, Unknown) and v.text.startswith("lambda"))


