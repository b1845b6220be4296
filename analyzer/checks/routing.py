"""routing: a conditional edge routes on the state key it is meant to, and every value of that
key leads somewhere.

Automates "conditional routing based on the rubric decision": the router of
``add_conditional_edges("rubric", router, mapping)`` must read the decision (``reads_any``),
not only ``status`` — a router ``lambda s: "error" if s.get("status") == "failed" else
"extract"`` is the common shape that looks like routing and ignores the decision.

For each conditional edge from node ``from`` in the graphs built in scope (``graph`` picks
builders by name), the router — a lambda, a function of the file, a method, an imported
function (through ``ctx.project``) — is resolved (``state_access``) and:

1. **reads**: the state keys it reads (``s["k"]``, ``s.get("k")``, also in the project
   functions it passes the state to) must include one of ``reads_any``; else a finding
   "router `lambda s: ...` at graph.py:125 reads only `status`";
2. **labels**: the literal labels it returns (``return "x"``, both branches of ``a if t else
   b``, string constants, ``END``) must be keys of the path map (or, without a map, nodes of the
   graph); a label that is not is a finding (LangGraph raises at run time);
3. **values** (when knowable): the values of the key it routes on are the members of
   ``values_from`` (an Enum or class: its members with their literal values), else the literal
   values the graph's nodes write to the key (each write a string, or a member ``E.M`` /
   ``E.M.value``). Each value is followed through the router's return paths — ``if``/``elif``
   chains and conditional expressions comparing the key (directly, or a local bound to
   ``s.get("k")``) with ``==``, ``!=``, ``in``, ``not in``, ``is``, truth; a router returning the
   value itself uses it as the label — to the targets it can reach. Each value must reach a
   target of the path map; with ``distinct: true`` (the default) values must reach pairwise
   different targets (``ACCEPTABLE`` and ``SUGGESTION`` both leading to ``extract`` is a
   finding).

Undecidable, never guessed: a router that cannot be resolved, a label or comparison the rule
cannot evaluate (a call, a computed label, a condition on something else that decides the
branch), a values class that cannot be found: the rule is UNKNOWN and the reason is an info
finding. A router that passes the state to a function the rule cannot follow may read the key
there: then "reads only" is undecidable too. Values written by nodes that are not all literal
leave the values check out (said in the note); ``values_from`` is then the way to name them.
"""

from __future__ import annotations

import fnmatch

from ..facts.model import DictValue, Ref, ReturnPath, Seq
from ..types import CheckResult, Finding, Location, Severity
from .params import opt, params
from .base import CheckKind, RuleContext, could_not_decide
from .graph_read import END, START, Graph, Route, build_graphs, label as node_label
from .node_resolve import Impl, at, base_dir, unique, view_of
from .pyindex import empty_scope, resolve_ref, show
from .resolve import Unknown
from .routing_values import END_NAMES, VALUE, Member, domain, label_of, route
from .state_access import Analyzer



@params
class RoutingParams:
    """The `check:` parameters of `routing`."""

    from_: str | None = opt(
        None, key="from",
        doc="The node whose conditional edges are checked (with `reads_any`).")
    reads_any: list[str] | None = opt(None, doc="State keys the router must read (at least one).")
    decision_keys: list[str] | None = opt(
        None,
        doc="Instead of `from`/`reads_any`: globs of decision keys (`*decision*`). Every "
            "node that writes such a key and has conditional edges must route on it.")
    failure_keys: list[str] = opt(
        ["status", "error", "errors", "warnings", "error_message"],
        doc="With `decision_keys`: keys that say only whether the node failed; a router "
            "reading only these does not route on the decision.")
    values_from: str | None = opt(
        None,
        doc="A class (Enum) whose members are the key's values; each must reach a "
            "target (distinct ones with `distinct`).")
    distinct: bool = opt(True, doc="Different values must reach different targets.")
    graph: list[str] | None = opt(
        None,
        doc="Builder functions (names or qualnames, globs) whose graphs are checked.")
    consult: list[str] = opt(
        [],
        doc="Texts marking files outside the scope the rule may read (routers, the "
            "values class, node modules).")


class Routing(CheckKind):
    kind = "routing"
    summary = ("A conditional edge's router must read a given state key, return only labels "
               "of its path map, and send each value of the key to a (distinct) target.")
    Params = RoutingParams
    valid_examples = (
        '{kind: routing, from: rubric, reads_any: [decision, improvement_decision]}',
        '{kind: routing, decision_keys: ["*decision*"], values_from: ImprovementDecision, distinct: true}',
    )
    invalid_examples = (
        ('{kind: routing, from: rubric, reads_any: decision}',
         'check.reads_any must be list'),
        ('{kind: routing, form: rubric}',
         "did you mean 'from'?"),
    )
    example = """\
- code: CON201
  name: rubric-decision-routing
  phase: null
  severity: error
  message: the rubric node must route on its decision
  where:
    include: [src/agents/feedback_learner/**]
  check:
    kind: routing
    from: rubric
    reads_any: [rubric_decision, rubric_weighted_score]
    values_from: ImprovementDecision
"""

    @classmethod
    def validate(cls, params):  # type: ignore[override]
        errs = []
        if params.get("decision_keys") is not None:
            if params.get("from") or params.get("reads_any"):
                errs.append("decision_keys: give either decision_keys or from + reads_any")
            if not params["decision_keys"] or any(not k for k in params["decision_keys"]):
                errs.append("decision_keys: give at least one key glob")
            return errs
        if not params.get("from"):
            errs.append("from: give the source node of the conditional edge")
        if not params.get("reads_any") or any(not k for k in params.get("reads_any") or ()):
            errs.append("reads_any: give at least one state key")
        return errs

    def reach(self) -> tuple[str, ...]:
        names = set(self.p.get("consult") or ())
        if self.p.get("values_from"):
            names.add(self.p["values_from"].rsplit(".", 1)[-1])
        return tuple(sorted(names))

    def patterns(self) -> None:
        return None  # routers, node modules and the values class may be anywhere in scope

    # -- evaluation -------------------------------------------------------------------------
    def evaluate(self, ctx: RuleContext) -> CheckResult:
        if not ctx.files:
            return self.result(ctx, [empty_scope(ctx, "a graph built with add_conditional_edges")])
        view = view_of(ctx)
        an = Analyzer(view)
        graphs = [g for g in build_graphs((f.path, f.python) for f in ctx.files
                                          if f.python is not None) if self._selected(g)]
        if self.p.get("decision_keys"):
            return self._decisions(ctx, an, graphs)
        src = self.p["from"]
        graphs = [g for g in graphs if src in g.nodes or None in g.cond_sources]
        broken = ctx.undecidable()
        if not graphs:
            if broken:
                return self.undecided_result(
                    ctx, f"no graph with node `{src}` found and {broken[0].path} could not be "
                    "analysed")
            where = ctx.scope_hint or ctx.anchor_path()
            return self.result(ctx, [ctx.finding(
                ctx.anchor_path(), None, f"no graph with a node `{src}` is built in {where}",
                source=f"nograph:{where}:{src}")])
        findings: list[Finding] = []
        evidence: list[Location] = []
        notes: list[str] = []
        undecided = False
        for g in graphs:
            fs, ev, note, und = self._check_graph(ctx, an, g)
            findings.extend(fs)
            evidence.extend(ev)
            notes.append(note)
            undecided = undecided or und
        return self.result(ctx, findings, evidence, note="; ".join(notes)[:1500],
                           undecided=undecided)

    def _selected(self, g: Graph) -> bool:
        pats = self.p.get("graph")
        if not pats:
            return True
        scope = g.builder[1]
        last = scope.rsplit(".", 1)[-1]
        return any(fnmatch.fnmatchcase(scope, p) or fnmatch.fnmatchcase(last, p) for p in pats)

    def _decisions(self, ctx: RuleContext, an: Analyzer, graphs: list[Graph]) -> CheckResult:
        """``decision_keys`` mode: each node that writes a decision key and has conditional
        edges is checked as if named by ``from``, with the decision keys it writes as
        ``reads_any``. A node whose writes cannot be followed is skipped with a note: it may or
        may not decide anything (the rule does not guess)."""
        pats = tuple(self.p["decision_keys"])
        findings: list[Finding] = []
        evidence: list[Location] = []
        notes: list[str] = []
        undecided = False
        checked = 0
        for g in graphs:
            path, scope = g.builder
            sources = {r.src for r in g.routes if r.src}
            for nd in g.node_defs:
                if nd.name not in sources or not nd.has_action:
                    continue
                impl = an.resolve(path, nd.action, scope, nd.call.span)
                if isinstance(impl, Unknown):
                    notes.append(f"node `{nd.name}` of `{scope or path}` not followed: "
                                 f"{impl.reason}")
                    continue
                written = an.writes(impl, an.state_param(impl)).keys
                keys = sorted(k for k in written
                              if any(fnmatch.fnmatchcase(k, p) for p in pats))
                if not keys:
                    continue
                checked += 1
                # routing on any other output of the node counts too (a router reading
                # `results["gate_decision"]` reads `results`); failure flags do not
                generic = set(self.p.get("failure_keys") or ())
                others = sorted(k for k in written if k not in keys and k not in generic)
                fs, ev, note, und = self._check_graph(ctx, an, g, nd.name, keys + others)
                findings.extend(fs)
                evidence.extend(ev)
                notes.append(note)
                undecided = undecided or und
        if not checked:
            notes.insert(0, "no node that writes a decision key ("
                         + ", ".join(f"`{p}`" for p in pats) + ") has conditional edges")
        return self.result(ctx, findings, evidence, note="; ".join(notes)[:1500],
                           undecided=undecided)

    def _check_graph(self, ctx: RuleContext, an: Analyzer, g: Graph, src: str | None = None,
                     wanted_keys: list[str] | None = None
                     ) -> tuple[list[Finding], list[Location], str, bool]:
        src = src or self.p["from"]
        wanted_all = wanted_keys or list(self.p["reads_any"])
        path, scope = g.builder
        base = base_dir(path)
        gname = scope or path
        routes = [r for r in g.routes if r.src == src]
        if not routes:
            loc = g.nodes.get(src) or (g.node_defs[0].loc if g.node_defs else Location(path))
            if None in g.cond_sources:
                msg = could_not_decide(f"node `{src}` of `{gname}` has no conditional edge unless "
                                       "through a call whose source is not statically known")
                return [ctx.finding(loc.path, loc.span, msg, severity=Severity.INFO,
                                    source=f"undecided:{gname}:{src}")], [], msg, True
            msg = f"node `{src}` of `{gname}` has no conditional edge (add_conditional_edges)"
            return [ctx.finding(loc.path, loc.span, msg, source=f"noroute:{gname}:{src}")], \
                [], msg, False
        findings: list[Finding] = []
        evidence: list[Location] = []
        undecided = False
        notes: list[str] = []
        for r in routes:
            impl = an.resolve(path, r.router, scope, r.call.span)
            if isinstance(impl, Unknown):
                undecided = True
                msg = could_not_decide(f"the router of the conditional edge from `{src}` "
                                       f"({at(path, r.loc.span, base)}) cannot be followed: "
                                       f"{impl.reason}")
                findings.append(ctx.finding(path, r.loc.span, msg, severity=Severity.INFO,
                                            source=f"undecided-router:{gname}:{src}"))
                continue
            rdesc = f"router `{impl.label}` at {at(impl.path, impl.span, base)}"
            reads, unfollowed = an.reads(impl)
            keys = unique(rd.key for rd in reads)
            wanted = list(wanted_all)
            hit = [k for k in keys if k in wanted]
            if not hit:
                only = (f"reads only {', '.join(f'`{k}`' for k in keys)}" if keys
                        else "reads no state key")
                need = ", ".join(f"`{k}`" for k in wanted[:4]) + (
                    f" (or another of the {len(wanted) - 4} keys its source node writes)"
                    if len(wanted) > 4 else "")
                if unfollowed:
                    undecided = True
                    msg = could_not_decide(f"{rdesc} {only} itself, and passes the state to "
                                           f"{unfollowed[0]}; the conditional edge from "
                                           f"`{src}` must route on {need}")
                    findings.append(ctx.finding(path, r.loc.span, msg, severity=Severity.INFO,
                                                source=f"undecided-reads:{gname}:{src}"))
                else:
                    msg = (f"{rdesc} {only}: the conditional edge from `{src}` "
                           f"({at(path, r.loc.span, base)}) must route on {need}")
                    source = f"reads-only:{gname}:{src}:{','.join(keys)}"
                    chain = [(impl.path, impl.span, "the router, which reads "
                              + (", ".join(f"`{k}`" for k in keys) or "no state key"))]
                    chain += [(rd.path, rd.span, f"reads `{rd.key}`") for rd in reads[:6]]
                    findings.append(ctx.finding(path, r.loc.span, msg, source=source,
                                                related=chain))
                continue
            evidence.append(Location(impl.path, impl.span))
            fs, und, note = self._labels_and_values(ctx, an, g, r, impl, hit, rdesc, base, src)
            findings.extend(fs)
            undecided = undecided or und
            if note:
                notes.append(note)
        note = f"`{gname}`: {len(routes)} conditional edge(s) from `{src}`"
        if notes:
            note += "; " + "; ".join(unique(notes))
        return findings, evidence, note, undecided

    # -- labels and values ------------------------------------------------------------------
    def _paths(self, impl: Impl) -> tuple[ReturnPath, ...]:
        return impl.fn.return_paths if impl.fn is not None else impl.lam.results  # type: ignore

    def _labels_and_values(self, ctx: RuleContext, an: Analyzer, g: Graph, r: Route,
                           impl: Impl, keys: list[str], rdesc: str, base: str,
                           src: str | None = None) -> tuple[list[Finding], bool, str]:
        path = g.builder[0]
        src = src or self.p["from"]
        findings: list[Finding] = []
        undecided = False
        param = an.state_param(impl) or ""
        targets = self._targets(an, g, r)  # label -> node; None: labels are node names
        if isinstance(targets, str):
            msg = could_not_decide(f"whether {rdesc} returns labels of the conditional edge from "
                                   f"`{src}` ({at(path, r.loc.span, base)})", targets)
            return [ctx.finding(path, r.loc.span, msg, severity=Severity.INFO,
                                source=f"undecided-map:{src}")], True, targets
        paths = self._paths(impl)
        value_paths: list[ReturnPath] = []
        for rp in paths:
            lab = label_of(an, impl, rp, param, keys)
            if lab is VALUE:
                value_paths.append(rp)
                continue
            if lab is None:
                if rp.value is None and impl.fn is not None and not rp.awaited:
                    msg = (f"{rdesc} returns None ({at(impl.path, rp.span, base)}), which is not "
                           f"a label of the conditional edge from `{src}`")
                    findings.append(ctx.finding(path, r.loc.span, msg,
                                                source=f"none-label:{src}:{impl.label}"))
                    continue
                undecided = True
                msg = could_not_decide(f"{rdesc} returns `{show(rp.value)}` "
                                       f"({at(impl.path, rp.span, base)}), not a literal label")
                findings.append(ctx.finding(path, r.loc.span, msg, severity=Severity.INFO,
                                            source=f"undecided-label:{src}:{show(rp.value)}"))
                continue
            if not self._known_target(g, targets, lab):
                have = ", ".join(f"`{k}`" for k in (targets or sorted(g.nodes)))
                msg = (f"{rdesc} returns `{node_label(lab)}` ({at(impl.path, rp.span, base)}), "
                       f"which is not a label of the conditional edge from `{src}` "
                       f"({at(path, r.loc.span, base)}; labels: {have})")
                findings.append(ctx.finding(path, r.loc.span, msg,
                                            source=f"bad-label:{src}:{lab}"))
        members, why = domain(an, g, keys, self.p.get("values_from"))
        if members is None:
            if self.p.get("values_from"):  # asked for, and not found: not a pass
                msg = could_not_decide(f"where {rdesc} sends the values of `{keys[0]}`", why)
                findings.append(ctx.finding(path, r.loc.span, msg, severity=Severity.INFO,
                                            source=f"undecided-values:{src}"))
                return findings, True, why
            return findings, undecided, why
        reach: dict[Member, set[str] | None] = {}
        for m in members:
            reach[m] = route(an, impl, paths, param, keys, m, targets)
        bad_value = []
        for m, got in reach.items():
            if got is None:
                undecided = True
                msg = could_not_decide(f"where {rdesc} sends `{keys[0]}` = `{m.show()}`",
                                       "a condition on the way cannot be evaluated for it")
                findings.append(ctx.finding(path, r.loc.span, msg, severity=Severity.INFO,
                                            source=f"undecided-value:{src}:{m.show()}"))
            elif not got:
                bad_value.append(m)
        for m in bad_value:
            have = ", ".join(f"`{k}`" for k in (targets or sorted(g.nodes)))
            msg = (f"{rdesc} sends `{keys[0]}` = `{m.show()}` nowhere: it returns no label of "
                   f"the conditional edge from `{src}` for it (labels: {have})")
            findings.append(ctx.finding(path, r.loc.span, msg,
                                        source=f"no-target:{src}:{m.show()}"))
        if self.p.get("distinct", True):
            seen: dict[frozenset[str], list[Member]] = {}
            for m, got in reach.items():
                if got:
                    seen.setdefault(frozenset(got), []).append(m)
            for tgt, ms in seen.items():
                if len(ms) > 1:
                    names = ", ".join(f"`{m.show()}`" for m in ms)
                    to = ", ".join(f"`{node_label(t)}`" for t in sorted(tgt, key=str))
                    msg = (f"{rdesc} sends {names} (values of `{keys[0]}`{why and ', ' + why}) "
                           f"to the same target(s) {to}: each value must lead to a distinct "
                           f"target from `{src}`")
                    findings.append(ctx.finding(path, r.loc.span, msg,
                                                source=f"same-target:{src}:{names}"))
        return findings, undecided, why

    def _targets(self, an: Analyzer, g: Graph, r: Route) -> dict[str, str] | None | str:
        """Label -> target node of the edge's path map; None without a map (labels are node
        names); a reason string when the map cannot be read (a computed key, a name bound
        to something other than a literal dict or list)."""
        if not r.has_map:
            return None
        path, scope = g.builder
        facts = an.facts(path)
        m = resolve_ref(r.path_map, facts, scope) if facts is not None else r.path_map
        if isinstance(m, Seq) and not m.starred:
            if not all(isinstance(x, str) for x in m.items):
                return f"the path map `{show(m)}` holds names that are not literal"
            return {x: x for x in m.items}
        if not isinstance(m, DictValue) or m.spread or m.comprehension:
            return f"the path map `{show(r.path_map)}` is not a literal dict or list"
        out: dict[str, str] = {}
        for k, v in m.items:
            k = resolve_ref(k, facts, scope) if facts is not None else k
            if isinstance(k, Ref) and (k.name in END_NAMES or k.qualname in END_NAMES):
                k = END
            if not isinstance(k, str):
                return f"the path map has a key that is not a literal (`{show(k)}`)"
            v = resolve_ref(v, facts, scope) if facts is not None else v
            if isinstance(v, Ref) and (v.name in END_NAMES or v.qualname in END_NAMES):
                out[k] = END
            elif isinstance(v, str):
                out[k] = v
            else:
                out[k] = show(v)
        return out

    @staticmethod
    def _known_target(g: Graph, targets: dict[str, str] | None, lab: str) -> bool:
        if targets is not None:
            return lab in targets
        return lab in g.nodes or lab in (END, START)
