"""graph-pipeline: a LangGraph-style graph built in scope has the required shape.

Automates checkboxes such as "7-phase pipeline: enrich→collect→analyze→rubric→extract→update→
finalize", "rubric node integrated correctly", "conditional routing based on decision".

The graph is read from the calls in the files in scope, all merged into one graph, as
``graph_read.py`` describes (``add_node``, ``add_edge``, ``add_conditional_edges``,
``add_sequence``, entry/finish points, ``START``/``END``; node names must be string literals or
names bound to a string in the same file, anything else is unverifiable). A required edge that is missing while some edge has an unverifiable end (or a
router whose targets are unknown) could be that edge: the rule is then UNKNOWN and the
unverifiable calls are reported as info findings — never a guessed pass or failure.

Parameters: ``path`` (consecutive nodes must be joined by a plain or conditional edge),
``entry`` (the first node to run: a successor of START, or reached from START through a linear
prefix of nodes that each have exactly one, plain, outgoing edge — bookkeeping steps such as an
audit initializer that always hand over to it, none of them named elsewhere in the rule), ``conditional_from`` (nodes with conditional edges),
``conditional_to`` (node → targets its routing must be able to reach), ``finish`` (a node with
an edge to END). Findings name the missing edge (``analyze → rubric``) and point at the call that
declares the source node's edges (else its ``add_node``, else the builder file's first graph
call).
"""

from __future__ import annotations

from ..types import CheckResult, Location, Severity

from .params import opt, params
from .base import CheckKind, RuleContext
from .graph_read import ALIASES, END, GRAPH_CALLS, START, Edge, Graph, build_graph, label
from .pyindex import empty_scope

__all__ = ["GraphPipeline", "START", "END", "Edge", "Graph", "build_graph", "label"]


@params
class GraphPipelineParams:
    """The `check:` parameters of `graph-pipeline`."""

    path: list[str] | None = opt(
        None,
        doc="Node sequence that must be joined by consecutive edges (plain or conditional).")
    entry: str | None = opt(None, doc="Node that must follow START.")
    conditional_from: list[str] | None = opt(None, doc="Nodes that must have conditional edges.")
    conditional_to: dict[str, list[str]] | None = opt(
        None,
        doc="Mapping node -> targets its conditional routing must be able to reach.")
    finish: str | None = opt(None, doc="Node that must have an edge to END.")


class GraphPipeline(CheckKind):
    kind = "graph-pipeline"
    summary = ("The LangGraph-style graph built in scope must contain a node path, an entry, "
               "conditional routing and a finish node.")
    Params = GraphPipelineParams
    valid_examples = (
        '{kind: graph-pipeline, path: [enrich, collect, analyze], entry: enrich, conditional_from: [rubric], conditional_to: {rubric: [extract, finalize]}, finish: finalize}',
    )
    invalid_examples = (
        ('{kind: graph-pipeline, conditional_to: {rubric: finalize}}',
         'must map to a list of node names'),
        ('{kind: graph-pipeline}',
         'give at least one of path, entry'),
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
        return GRAPH_CALLS

    # -- evaluation ---------------------------------------------------------------------------
    def evaluate(self, ctx: RuleContext) -> CheckResult:
        if not ctx.files:
            return self.result(ctx, [empty_scope(ctx, "a graph built with add_node/add_edge")])
        g = build_graph((f.path, f.python) for f in ctx.files if f.python is not None)
        if not g.calls_per_file:
            if ctx.undecidable():
                return self.undecided_result(
                    ctx, f"no graph found and {ctx.undecidable()[0].path} could not be "
                    "analysed")
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

        path = [ALIASES.get(n, n) for n in self.p.get("path") or ()]
        for n in path:
            need_node(n)
        for a, b in zip(path, path[1:]):
            need_edge(a, b)
        entry = self.p.get("entry")
        if entry:
            entry = ALIASES.get(entry, entry)
            need_node(entry)
            named = set(path) | {ALIASES.get(n, n) for n in (
                *(self.p.get("conditional_from") or ()), *(self.p.get("conditional_to") or {}),
                self.p.get("finish") or "")}
            prefix = g.linear_prefix(entry, named - {entry})
            if prefix is not None:
                evidence.extend(e.loc for e in prefix)
            else:
                need_edge(START, entry, "entry edge")
        for n in self.p.get("conditional_from") or ():
            n = ALIASES.get(n, n)
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
            n = ALIASES.get(n, n)
            if not need_node(n):
                continue
            known = {e.dst for e in g.edges if e.src == n and e.conditional}
            for t in targets:
                t = ALIASES.get(t, t)
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
            finish = ALIASES.get(finish, finish)
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
        return self.result(ctx, findings, evidence, note=note, undecided=bool(maybes))

