"""state-flow: every state key a LangGraph-style graph's nodes read is written by some node or
given by the graph's input.

Automates "the rubric node's input is provided by the pipeline", "the logger logs what the
evaluator computed": a node reading ``state.get("evaluation_metrics", {})`` that no node writes
(the evaluator returns ``train_metrics``/``test_metrics`` at top level) always gets the default,
and the code that needs the key is dead.

For each graph built in scope (``graph_read.build_graphs``: one per builder function; ``graph``
picks builders by name), this kind

1. resolves each ``add_node`` action to its definition (``node_resolve``) and reads what it
   writes and reads (``state_access``: returned dict displays, ``Command(update=...)``, stores
   into the state, helpers it passes the state to; through ``ctx.project`` for functions and
   classes imported from other modules);
2. reads the keys the routers of ``add_conditional_edges`` read (they are readers too);
3. finds the calls that invoke the compiled graph and the initial state they pass, and the
   states ``update_state``/``Send`` hand over (``graph_inputs``);
4. reports each key read that no node writes and no input sets, at the read, with the reader,
   the nodes searched (``name (graph.py:88 → nodes/x.py:40)``) and the input calls — a read
   with a default (``state.get("k", d)``) too, saying that the default then always applies.
   Several reads of a key in one function are one finding (at the first; the others listed);
5. with ``declared_only`` (the default) and a state schema whose fields are all known
   (``StateGraph(S)``, plus ``input=``/``output=`` schemas; ``S`` a ``TypedDict`` or another
   class of annotated fields, resolved through imports, fields of project bases included), a
   key that is not a field never reaches the state — LangGraph keeps only the schema's fields
   and drops the rest of an update — so a read of it is a finding whoever writes it ("node
   `tune` sets it, but `hpo_study_name` is not a field of the state schema ...");
6. reports, as ``info`` (never failing the rule), each schema field that nothing writes or
   reads (only when every writer and the input are known).

Undecidable, never guessed: when a node's action or something it returns cannot be followed
(a callable defined outside the files the rule may consult, a return value that is not a dict
display, a ``**x`` spread of something that is not a local dict), what it writes is unknown; a
declared key read that is otherwise unwritten is then *could not decide*, as it is when no call
invoking the graph is found, when an invoke call with an untraceable receiver passes the key,
or when a file in scope could not be analysed. The rule is UNKNOWN and one ``info`` finding per
graph and reason lists the keys (at the first read).

Parameters: ``graph`` (builder function names or qualnames, globs; default: every graph in
scope), ``ignore_keys`` (keys a framework or a caller outside the project sets, e.g.
``messages``), ``report_settings`` (default true; false: a read whose default is a setting — a literal,
a name or a computed fallback: ``state.get("cv_folds", 3)``, ``state.get("cols",
detect(df))`` — is an optional parameter of the graph, not a finding; empty defaults such as
``{}`` or ``None`` stand for missing data and are always reported),
``shared_reader_graphs`` (default 3: a function whose reads occur in that many graphs or more
is generic — an audit-trail initializer every agent shares — and its tolerant reads
(``.get``, with or without a default) are optional inputs, not findings; 0 turns this off), ``ignore_readers`` (globs of the reading
functions' qualnames, nested functions
written ``outer.inner``, whose reads are not checked: a generic node shared by many graphs that
reads optional keys), ``min_nodes`` (graphs with fewer nodes are not checked; default 1),
``keys`` (globs: only these keys are checked — a rule about one data flow, "the metrics reach
the logger", is not failed by unrelated reads; default: every key), ``schema_fields`` (report
unused schema fields, default true), ``declared_only`` (default
true), ``undeclared_writes`` (also report each key a node writes that the schema does not
declare — it is dropped, whoever reads the graph's result; default false), ``ignore_callers`` (globs of files whose invoke calls do not count as the graph's input;
default: tests, which inject keys a real run never sets), ``consult`` (texts marking the files
outside the scope the rule may read: node modules, helpers, callers; default none — a rule
whose scope is the whole source tree, ``src/**`` with ``graph:`` naming the builder, needs
none; a rule scoped to one package may name e.g. ``[state]``).
"""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass, field

from ..globs import path_matcher
from ..types import CheckResult, Finding, Location, Severity, Span
from .params import opt, params
from .base import CheckKind, RuleContext, could_not_decide
from .graph_inputs import GraphCalls, Inputs, InputSearch
from .graph_read import Graph, build_graphs
from .pyindex import empty_scope
from .resolve import ClassDef, ProjectView, Unknown
from .node_resolve import Impl, at, base_dir, describe_impl, unique, view_of
from .state_access import TYPED_DICTS, Analyzer, Read

DEFAULT_IGNORE_CALLERS = ["tests/**", "**/tests/**", "**/test_*.py", "**/*_test.py",
                          "**/conftest.py"]


@dataclass
class Reader:
    """A node or router whose reads are checked."""

    what: str  # "node `rubric`" / "router of `collect`"
    impl: Impl


@dataclass
class GraphFlow:
    """What one graph's nodes write and read, and what its input gives."""

    graph: Graph
    base: str
    writers: list[tuple[str, str]] = field(default_factory=list)  # (node, description)
    writer_defs: list[tuple[str, str, Span]] = field(default_factory=list)  # node, its def
    written: dict[str, list[str]] = field(default_factory=dict)  # key -> nodes
    places: dict[str, list[tuple[str, str, Span]]] = field(default_factory=dict)  # node, where
    unknown: list[str] = field(default_factory=list)  # why some node may write more
    readers: list[Reader] = field(default_factory=list)
    reads: list[tuple[Reader, Read]] = field(default_factory=list)
    unfollowed: list[str] = field(default_factory=list)


def schema_fields(view: ProjectView, path: str, schema, scope: str
                  ) -> tuple[ClassDef | None, list[tuple[str, str, Span]], str]:
    """The class ``StateGraph(S)`` names and its annotated fields (with those of its project
    bases): (class, [(field, path, span)], reason when not known)."""
    from ..facts.model import Ref

    if not isinstance(schema, Ref):
        return None, [], "the state schema is not a class name"
    cls = view.find_class(path, schema.name)
    if not isinstance(cls, ClassDef):
        reason = cls.reason if isinstance(cls, Unknown) else f"`{schema.name}` is not a " \
                                                            "project class"
        return None, [], reason
    lineage, external, unresolved = view.lineage(cls)
    fields: list[tuple[str, str, Span]] = []
    seen: set[str] = set()
    for anc in lineage:
        fi = view.file(anc.path)
        if fi is None:
            return cls, [], f"{anc.path} was not analysed for this rule"
        for a in fi.facts.assigns:
            if a.scope == anc.cls.qualname and a.annotated and "." not in a.target \
                    and a.target not in seen:
                seen.add(a.target)
                fields.append((a.target, anc.path, a.span))
    # A base from outside the project (``lib.Base``) may declare fields of its own: the
    # schema's field list is then not known, so the filter is off (never a guess).
    other = [b for b in external + unresolved if b.split("[")[0] not in TYPED_DICTS]
    if other:
        return cls, fields, f"base `{other[0]}` of `{cls.cls.name}` cannot be followed"
    return cls, fields, ""


@dataclass
class Channels:
    """The keys a graph's state can hold: the fields of its ``StateGraph(S, input=I,
    output=O)`` schemas, when every one of them is known."""

    names: set[str]
    schema: str  # "`S` (state.py:10)"


_SCHEMA_KWARGS = ("input", "output", "input_schema", "output_schema")


def channels_of(view: ProjectView, g: Graph, base: str) -> Channels | None:
    if not g.schema_calls:
        return None
    path, scope = g.builder
    call = g.schema_calls[0]
    values = [g.schemas[0][0]] + [v for k, v in call.kwargs if k in _SCHEMA_KWARGS]
    names: set[str] = set()
    shown = []
    for v in values:
        cls, fields, reason = schema_fields(view, path, v, scope)
        if cls is None or reason or not fields:
            return None
        names.update(f for f, _, _ in fields)
        shown.append(f"`{cls.cls.name}` ({at(cls.path, cls.cls.span, base)})")
    return Channels(names, " / ".join(shown))


@params
class StateFlowParams:
    """The `check:` parameters of `state-flow`."""

    graph: list[str] | None = opt(
        None,
        doc="Builder functions (names or qualnames, globs) whose graphs are checked "
            "(default: every graph built in scope).")
    ignore_keys: list[str] = opt(
        [],
        doc="State keys never reported (set by a framework or an outside caller).")
    keys: list[str] | None = opt(
        None,
        doc="Only these state keys (globs) are checked: a rule about one data flow "
            "(\"the metrics reach the logger\") is not failed by unrelated reads.")
    ignore_readers: list[str] = opt(
        [],
        doc="Functions (qualname globs) whose reads are not checked, e.g. a generic "
            "node shared by every graph that reads optional keys.")
    shared_reader_graphs: int = opt(
        3,
        doc="A function whose reads occur in this many graphs or more is generic; its "
            ".get reads are optional inputs, not findings (0: off).")
    report_settings: bool = opt(
        True,
        doc="Report reads whose default is a literal setting (`state.get(\"cv_folds\", "
            "3)`); false treats such keys as optional parameters of the graph.")
    min_nodes: int = opt(1, doc="Graphs with fewer nodes are not checked.")
    schema_fields: bool = opt(
        True,
        doc="Report (info) state-schema fields nothing writes or reads.")
    declared_only: bool = opt(
        True,
        doc="With a state schema whose fields are all known, a key that is not one of "
            "them never reaches the state (LangGraph keeps only the schema's fields).")
    undeclared_writes: bool = opt(
        False,
        doc="Also report each key a node writes that the state schema does not declare "
            "(LangGraph drops it, whoever reads the result).")
    ignore_callers: list[str] = opt(
        DEFAULT_IGNORE_CALLERS,
        doc="Globs of files whose invoke calls do not count as the graph's input.")
    consult: list[str] = opt(
        [],
        doc="Texts marking files outside the scope the rule may read (node modules, "
            "helpers, callers of the graph).")


class StateFlow(CheckKind):
    kind = "state-flow"
    summary = ("Every state key a LangGraph-style graph's nodes (and routers) read must be "
               "written by a node or set by the graph's input; unused schema fields are info.")
    Params = StateFlowParams
    valid_examples = (
        '{kind: state-flow, graph: [build_feedback_graph], ignore_keys: [messages], keys: ["*metrics*"]}',
    )
    invalid_examples = (
        ('{kind: state-flow, min_nodes: two}',
         'check.min_nodes must be int'),
        ('{kind: state-flow, ignore_key: [messages]}',
         "did you mean 'ignore_keys'?"),
    )
    example = """\
- code: CON101
  name: feedback-learner-state-flow
  phase: null
  severity: error
  message: a feedback_learner node reads a state key nothing provides
  where:
    include: [src/agents/feedback_learner/**]
  check:
    kind: state-flow
    graph: [build_feedback_learner_graph]
    ignore_keys: [errors, warnings, status]
"""

    @classmethod
    def validate(cls, params):  # type: ignore[override]
        errs = []
        if (params.get("min_nodes") or 0) < 0:
            errs.append("min_nodes must be >= 0")
        if any(not t for t in params.get("consult") or ()):
            errs.append("consult: empty text")
        return errs

    def reach(self) -> tuple[str, ...]:
        return tuple(sorted(set(self.p.get("consult") or ())))

    def patterns(self) -> None:
        # node modules, helpers and the callers that build the initial state are read
        # wherever they are in scope, whatever their text: every file in scope is parsed
        return None

    # -- evaluation -------------------------------------------------------------------------
    def evaluate(self, ctx: RuleContext) -> CheckResult:
        if not ctx.files:
            return self.result(ctx, [empty_scope(ctx, "a graph built with add_node")])
        view = view_of(ctx)
        an = Analyzer(view)
        every = build_graphs((f.path, f.python) for f in ctx.files if f.python is not None)
        graphs = [g for g in every if self._selected(g)
                  and len(g.nodes) >= (self.p.get("min_nodes") or 0)]
        broken = ctx.undecidable()
        if not graphs:
            if broken:
                return self.undecided_result(
                    ctx, f"no graph found and {broken[0].path} could not be analysed")
            where = ctx.scope_hint or ctx.anchor_path()
            which = f" by {', '.join(self.p['graph'])}" if self.p.get("graph") else ""
            return self.result(ctx, [ctx.finding(
                ctx.anchor_path(), None, f"no graph is built{which} in {where} (no add_node "
                                         "calls)", source=f"nograph:{where}")])
        # matched against project paths, as the rule's own ``where`` globs (``globs.path_matcher``)
        ignore = path_matcher(self.p.get("ignore_callers") or ())
        search = GraphCalls(an, {g.builder for g in every},
                            {g.builder: set(g.nodes) for g in every}).search(ignore)
        findings: list[Finding] = []
        evidence: list[Location] = []
        notes: list[str] = []
        undecided = False
        generic = self._generic_readers(an, graphs)
        for g in graphs:
            fs, ev, note, und = self._check(ctx, an, g, search, bool(broken), generic)
            findings.extend(fs)
            evidence.extend(ev)
            notes.append(note)
            undecided = undecided or und
        if search.ignored:
            more = f" (and {len(search.ignored) - 1} more)" if len(search.ignored) > 1 else ""
            notes.insert(0, f"invoke calls not counted (receiver and input unknown): "
                            f"{search.ignored[0]}{more}")
        if broken:
            notes.insert(0, f"{broken[0].path} could not be analysed")
        return self.result(ctx, findings, evidence, note="; ".join(notes)[:2000],
                           undecided=undecided)

    def _generic_readers(self, an: Analyzer, graphs: list[Graph]) -> frozenset[tuple[str, str]]:
        """Functions whose reads occur in ``shared_reader_graphs`` graphs or more: a generic
        node (an audit-trail initializer shared by every agent) reading optional keys with a
        default is not each graph's missing input."""
        need = self.p.get("shared_reader_graphs") or 0
        if not need or len(graphs) < need:
            return frozenset()
        count: dict[tuple[str, str], int] = {}
        for g in graphs:
            for site in {(rd.path, rd.reader) for _, rd in self._flow(an, g).reads}:
                count[site] = count.get(site, 0) + 1
        return frozenset(site for site, n in count.items() if n >= need)

    def _selected(self, g: Graph) -> bool:
        pats = self.p.get("graph")
        if not pats:
            return True
        scope = g.builder[1]
        last = scope.rsplit(".", 1)[-1]
        return any(fnmatch.fnmatchcase(scope, p) or fnmatch.fnmatchcase(last, p) for p in pats)

    def _flow(self, an: Analyzer, g: Graph) -> GraphFlow:
        path, scope = g.builder
        flow = GraphFlow(g, base_dir(path))
        for nd in g.node_defs:
            name = nd.name or "?"
            if not nd.has_action:
                flow.unknown.append(f"node `{name}` ({at(path, nd.loc.span, flow.base)}) has "
                                    "no action")
                continue
            impl = an.resolve(path, nd.action, scope, nd.call.span)
            if isinstance(impl, Unknown):
                flow.unknown.append(f"node `{name}` ({at(path, nd.loc.span, flow.base)}): "
                                    f"{impl.reason}")
                flow.writers.append((name, f"{at(path, nd.loc.span, flow.base)} → ?"))
                continue
            if nd.name is None:
                flow.unknown.append(f"a node whose name is not statically known "
                                    f"({at(path, nd.loc.span, flow.base)})")
            param = an.state_param(impl)
            w = an.writes(impl, param)
            for key, where in w.keys.items():
                flow.written.setdefault(key, []).append(name)
                flow.places.setdefault(key, []).extend((name, p, sp) for p, sp in where[:1])
            flow.unknown.extend(f"node `{name}` ({describe_impl(impl, flow.base)}) may write "
                                f"other keys: {u}" for u in w.unknown)
            flow.writers.append((name, f"{at(path, nd.loc.span, flow.base)} → "
                                       f"{at(impl.path, impl.span, flow.base)}"))
            flow.writer_defs.append((name, impl.path, impl.span))
            flow.readers.append(Reader(f"node `{name}`", impl))
        for r in g.routes:
            impl = an.resolve(path, r.router, scope, r.call.span)
            if isinstance(impl, Unknown):
                flow.unfollowed.append(f"router of `{r.src}` ({at(path, r.loc.span, flow.base)}):"
                                       f" {impl.reason}")
                continue
            flow.readers.append(Reader(f"router of `{r.src or '?'}`", impl))
        for reader in flow.readers:
            reads, more = an.reads(reader.impl)
            flow.reads.extend((reader, rd) for rd in reads)
            flow.unfollowed.extend(more)
        return flow

    def _check(self, ctx: RuleContext, an: Analyzer, g: Graph, search: InputSearch,
               broken: bool, generic: frozenset[tuple[str, str]] = frozenset()
               ) -> tuple[list[Finding], list[Location], str, bool]:
        flow = self._flow(an, g)
        inputs = search.by_graph.get(g.builder) or Inputs()
        ignore = set(self.p.get("ignore_keys") or ())
        only = self.p.get("keys")
        if only:
            # keys outside the rule's subject are as good as ignored (reads, drops, fields)
            every = {rd.key for _, rd in flow.reads} | set(flow.places) | set(flow.written)
            every |= {name for name, *_ in schema_fields(an.view, g.builder[0],
                                                        g.schemas[0][0], g.builder[1])[1]} \
                if g.schemas else set()
            ignore |= {k for k in every if not any(fnmatch.fnmatchcase(k, pat) for pat in only)}
        base = flow.base
        path, scope = g.builder
        gname = scope or path
        findings: list[Finding] = []
        undecided = False
        searched = ", ".join(f"{n} ({d})" for n, d in flow.writers) or "no nodes"
        sites = ", ".join(unique(at(p, s, base) for p, s in inputs.sites))
        # one finding per (reader function, key): its first read, the others listed
        groups: dict[tuple[str, str, str], list[tuple[Reader, Read]]] = {}
        # undecidable reads, by reason: one info finding per reason, at the first read
        pending: dict[str, list[tuple[str, str, Read]]] = {}
        skip_readers = self.p.get("ignore_readers") or ()
        chans = channels_of(an.view, g, base) if self.p.get("declared_only", True) else None

        def kept(key: str) -> bool:
            return chans is None or key in chans.names

        for reader, rd in flow.reads:
            if rd.key in ignore or (kept(rd.key) and (rd.key in flow.written
                                                      or rd.key in inputs.keys)):
                continue
            if any(fnmatch.fnmatchcase(rd.reader, pat) for pat in skip_readers):
                continue
            if rd.tolerant and (rd.path, rd.reader) in generic:
                continue
            if rd.knob and not self.p.get("report_settings", True):
                continue
            groups.setdefault((rd.path, rd.reader, rd.key), []).append((reader, rd))
        for (_rpath, fn, key), hits in groups.items():
            hits.sort(key=lambda h: (h[1].span.line, h[1].span.column))
            reader, rd = hits[0]
            more = unique(at(h[1].path, h[1].span, base) for h in hits[1:])
            also = f"; also read at {', '.join(more[:4])}" if more else ""
            via = f", through {' → '.join(f'`{v}`' for v in rd.via)}" if rd.via else ""
            who = f"`{fn}` ({', '.join(unique(h[0].what for h in hits))}{via})"
            if not kept(key):
                findings.append(self._undeclared(ctx, gname, who, key, rd, also, flow, inputs,
                                                 chans, base, searched, sites))
                continue
            why_unknown = self._why_unknown(flow, inputs, key, broken)
            if why_unknown:
                undecided = True
                pending.setdefault(why_unknown, []).append((key, who, rd))
                continue
            given = (f"the graph's input does not set it ({sites})" if sites else
                     "the graph's input does not set it")
            msg = (f"{who} reads state key `{key}` ({at(rd.path, rd.span, base)}){also}; no "
                   f"node of `{gname}` writes it (searched: {searched}) and {given}")
            if rd.default:
                msg += (f"; it is read with a default (`{rd.text[:80]}`), which therefore "
                        "always applies: the code that needs the key never sees it")
            # the evidence chain: the graph's input first, then each node searched
            chain = [(p, sp, f"the graph's input, which does not set `{key}`")
                     for p, sp in inputs.sites[:2]]
            chain += [(p, sp, f"node `{n}` was searched: it does not write `{key}`")
                      for n, p, sp in flow.writer_defs]
            findings.append(ctx.finding(rd.path, rd.span, msg,
                                        source=f"unwritten:{gname}:{fn}:{key}", related=chain))
        for why, reads in pending.items():
            key, who, rd = reads[0]
            listed = ", ".join(f"`{k}` ({at(r.path, r.span, base)})" for k, _, r in reads[:8])
            more = f" and {len(reads) - 8} more" if len(reads) > 8 else ""
            what = (f"state key `{key}`, read by {who} at {at(rd.path, rd.span, base)}, is"
                    if len(reads) == 1 else
                    f"{len(reads)} state keys read in `{gname}` that no node writes are")
            msg = could_not_decide(f"whether {what} ever set", why)
            if len(reads) > 1:
                msg += f"; the keys: {listed}{more}"
            findings.append(ctx.finding(rd.path, rd.span, msg, severity=Severity.INFO,
                                        source=f"undecided:{gname}:{why[:60]}"))
        if chans is not None and self.p.get("undeclared_writes"):
            for key, places in flow.places.items():
                if key in chans.names or key in ignore:
                    continue
                for node, wpath, wspan in places:
                    msg = (f"node `{node}` writes state key `{key}` ({at(wpath, wspan, base)}), "
                           f"which is not a field of the state schema {chans.schema} of "
                           f"`{gname}`: LangGraph drops it from the update")
                    findings.append(ctx.finding(wpath, wspan, msg,
                                                source=f"dropped-write:{gname}:{node}:{key}"))
        if self.p.get("schema_fields", True):
            findings.extend(self._schema(ctx, an, g, flow, inputs, ignore))
        evidence = [Location(path, g.node_defs[0].loc.span)] if g.node_defs else []
        written = len(flow.written)
        read = len({r.key for _, r in flow.reads})
        note = (f"`{gname}`: {len(g.nodes)} node(s), {written} key(s) written, {read} read; "
                f"input from {sites or 'no call found'}")
        if flow.unknown:
            note += f"; writes not fully known: {flow.unknown[0]}"
        return findings, evidence, note, undecided

    def _undeclared(self, ctx: RuleContext, gname: str, who: str, key: str, rd: Read,
                    also: str, flow: GraphFlow, inputs: Inputs, chans: Channels, base: str,
                    searched: str, sites: str) -> Finding:
        """A read of a key the state cannot hold: whoever sets it, LangGraph drops it."""
        set_by = [f"node `{n}` ({at(p, sp, base)})" for n, p, sp in flow.places.get(key, [])]
        set_by += [f"the graph's input ({at(p, sp, base)})"
                   for p, sp in inputs.keys.get(key, [])[:1]]
        where = f"{who} reads state key `{key}` ({at(rd.path, rd.span, base)}){also}"
        schema = f"the state schema {chans.schema} of `{gname}`"
        if set_by:
            msg = (f"{where}; {', '.join(set_by[:4])} set(s) it, but `{key}` is not a field of "
                   f"{schema}: LangGraph keeps only the schema's fields and drops the update")
        else:
            given = (f"the graph's input does not set it ({sites})" if sites else
                     "the graph's input does not set it")
            msg = (f"{where}; no node of `{gname}` writes it (searched: {searched}) and {given}"
                   f"; nor could anything: `{key}` is not a field of {schema}")
        if rd.default:
            msg += (f"; it is read with a default (`{rd.text[:80]}`), which therefore always "
                    "applies: the code that needs the key never sees it")
        return ctx.finding(rd.path, rd.span, msg, source=f"undeclared:{gname}:{rd.reader}:{key}")

    @staticmethod
    def _why_unknown(flow: GraphFlow, inputs: Inputs, key: str, broken: bool) -> str:
        if flow.unknown:
            extra = f" (and {len(flow.unknown) - 1} more)" if len(flow.unknown) > 1 else ""
            return f"what some node writes is not known: {flow.unknown[0]}{extra}"
        if key in inputs.maybe:
            return f"it may be given by {inputs.maybe[key][0]}"
        if inputs.unknown:
            return f"the graph's input is not fully known: {inputs.unknown[0]}"
        if not inputs.sites:
            return "no call invoking the graph was found in the files the rule may read"
        if broken:
            return "a file in scope could not be analysed"
        return ""

    def _schema(self, ctx: RuleContext, an: Analyzer, g: Graph, flow: GraphFlow,
                inputs: Inputs, ignore: set[str]) -> list[Finding]:
        if not g.schemas or flow.unknown or inputs.unknown or not inputs.sites:
            return []
        path, scope = g.builder
        cls, fields, reason = schema_fields(an.view, path, g.schemas[0][0], scope)
        if cls is None or reason:
            return []
        read = {r.key for _, r in flow.reads}
        out = []
        for name, fpath, span in fields:
            if name in ignore or name in flow.written or name in inputs.keys or name in read \
                    or name in inputs.maybe:
                continue
            msg = (f"state field `{name}` of `{cls.cls.name}` ({at(fpath, span, flow.base)}) is "
                   f"declared but no node of `{scope or path}` writes or reads it and the "
                   "graph's input does not set it")
            out.append(ctx.finding(fpath, span, msg, severity=Severity.INFO,
                                   source=f"unused-field:{cls.cls.qualname}:{name}"))
        return out
