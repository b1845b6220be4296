"""require-call: calls to a function or method must be present, per file or in a set of files.

Call patterns (``calls``), matched against every call and decorator in scope:

* ``name`` (no dot): any call whose last name component is ``name`` — ``name(...)``,
  ``x.name(...)``, ``self.c.name(...)``, ``get_c().name(...)``.
* ``*.name``: the same (kept for readability: "any receiver").
* ``pkg.mod.func``: the call's qualified name, resolved through the file's imports
  (``import pkg.mod as m; m.func()`` and ``from pkg.mod import func; func()`` both match), or
  its literal dotted text.
* other globs (``mlflow.log_*``): ``fnmatch`` over the qualified name and the dotted text.

A call counts wherever it sits: ``async with c.trace_agent(...)``, ``await c.trace_llm_call()``,
nested functions and methods, and decorators whether applied with ``@`` (``@traced_node`` or
``@traced_node("x")``) or by an explicit call (``traced_node("x")(fn)``). ``usage`` can demand a
form (e.g. ``async-with``), and ``every`` demands it of *every* matching call (each other use is
a finding at the call: e.g. a ``trace_agent()`` span opened without ``async with`` is never
closed). A missing call is a finding at the file (``per: file``) or at the
package (``per: set``: its ``__init__.py``, else its first file), line 1. An empty scope fails:
the folder or file the rule is about does not exist, so nothing was proved.
"""

from __future__ import annotations

import fnmatch
import functools
import re
from fnmatch import fnmatchcase
from typing import Any, Callable, Literal

from ..facts.model import CallFact
from ..types import CheckResult, Location
from .params import opt, params
from .base import CheckKind, RuleContext, could_not_decide
from .pyindex import scope_words

USAGES = ("any", "call", "async-with", "with", "await", "decorator")


_LITERAL_ARG = re.compile(r"""^(?P<base>.+)\((?P<q>["'])(?P<lit>.*)(?P=q)\)$""")


def split_literal(pattern: str) -> tuple[str, str | None]:
    """``importlib.util.find_spec("ragas")`` -> (``importlib.util.find_spec``, ``"ragas"``):
    a call pattern may end with one literal string argument the call's first argument must
    equal. Other patterns come back unchanged with None."""
    m = _LITERAL_ARG.match(pattern)
    if m is None:
        return pattern, None
    return m.group("base"), m.group("lit")


@functools.lru_cache(maxsize=4096)
def call_matcher(patterns: tuple[str, ...]) -> Callable[[CallFact], bool]:
    """A predicate: does a call match any of ``patterns`` (see module docstring)?

    Compiled once per pattern list: the patterns fall into last names (``name``, ``*.name``),
    exact dotted names (qualified name or dotted text) and one regex of the globs (fnmatch over
    both). Parsing each pattern again for every call was half of evaluating the e2i pack.
    Patterns with a literal argument (``find_spec("ragas")``) add that test to their own."""
    plain = []
    literal: list[tuple[Callable[[CallFact], bool], str]] = []
    for p in patterns:
        base, lit = split_literal(p)
        if lit is None:
            plain.append(p)
        else:
            literal.append((call_matcher((base,)), lit))
    attrs: set[str] = set()
    names: set[str] = set()
    globs: list[str] = []
    for p in plain:
        if p.startswith("*.") and not any(c in p[2:] for c in "*?[."):
            attrs.add(p[2:])
        elif "." not in p and not any(c in p for c in "*?["):
            attrs.add(p)
        elif any(c in p for c in "*?["):
            globs.append(p)
        else:
            names.add(p)
    rx = re.compile("|".join(f"(?:{fnmatch.translate(g)})" for g in globs)).match \
        if globs else None

    def match(call: CallFact) -> bool:
        if call.attr in attrs or call.qualname in names or call.callee in names:
            return True
        if rx is not None and (rx(call.qualname) is not None or rx(call.callee) is not None):
            return True
        for base, lit in literal:
            if call.args and call.args[0] == lit and base(call):
                return True
        return False

    return match


def call_matches(call: CallFact, pattern: str) -> bool:
    """True when ``call`` matches one call pattern (see module docstring)."""
    return call_matcher((pattern,))(call)


def usage_matches(call: CallFact, usage: str) -> bool:
    if usage == "any":
        return True
    if usage == "call":
        return call.context == "call"
    if usage == "async-with":
        return call.with_item == "async with"
    if usage == "with":
        return call.with_item in ("with", "async with")
    if usage == "await":
        return call.awaited
    return call.context in ("decorator", "decorator-ref")


def last_name(pattern: str) -> str:
    return split_literal(pattern)[0].rsplit(".", 1)[-1]


@params
class RequireCallParams:
    """The `check:` parameters of `require-call`."""

    calls: list[str] = opt(doc="Call patterns; any of them counts (see matching rules).")
    min: int = opt(1, doc="Minimum number of matching calls.")
    per: Literal['set', 'file'] = opt(
        "set",
        doc="`set`: across all files in scope together; `file`: in each file.")
    usage: Literal['any', 'call', 'async-with', 'with', 'await', 'decorator'] = opt(
        "any",
        doc="Only count calls used this way (e.g. `async-with`).")
    functions: list[str] | None = opt(
        None,
        doc="Only count calls inside functions whose qualified name matches a glob.")
    every: Literal['call', 'async-with', 'with', 'await', 'decorator'] | None = opt(
        None,
        doc="Every matching call must be used this way (e.g. `async-with`): each other "
            "use is a finding at the call.")
    receivers: list[str] | None = opt(
        None,
        doc="Only count calls whose receiver resolves to one of these: a project class "
            "(subclasses too) or `module.Class`, an external class (`opik.Opik`), a "
            "module (`mlflow`), or an accessor function returning one. A receiver that "
            "cannot be resolved makes the count undecided, never a match.")
    every_args: list[dict[str, Any]] | None = opt(
        None,
        doc="Argument alternatives every matching call must meet one of: a mapping "
            "keyword -> null (absent or None), `\"*\"` (given, not None) or a literal "
            "(e.g. `[{trace_id: null}, {force_new_trace: true}]`). Calls meeting none "
            "are findings and do not count.")
    callee_takes_input: bool = opt(
        False,
        doc="Only count calls whose callee resolves to a project function declaring a "
            "parameter besides `self`/`cls` (a heuristic works on its input; a "
            "constant does not).")


class RequireCall(CheckKind):
    kind = "require-call"
    summary = "Calls matching a pattern must be present (in every file, or in the set as a whole)."
    Params = RequireCallParams
    valid_examples = (
        '{kind: require-call, calls: ["*.trace_agent"], per: set, min: 1}',
        '{kind: require-call, calls: ["*.log_metric"], receivers: [OpikConnector], every_args: [{trace_id: "*"}]}',
    )
    invalid_examples = (
        ('{kind: require-call, calls: ["*.trace_agent"], per: files}',
         'check.per must be one of set, file'),
        ('{kind: require-call, calls: ["*.f"], min: 0}',
         'min: must be at least 1'),
    )
    example = """\
- code: E2I410
  name: observability-connector-trace-agent
  phase: 4
  severity: error
  message: observability_connector must call trace_agent()
  where:
    include: [src/agents/ml_foundation/observability_connector/**]
  check:
    kind: require-call
    calls: ["*.trace_agent"]
    per: set
"""

    @classmethod
    def validate(cls, params):  # type: ignore[override]
        errs = []
        if params.get("min", 1) < 1:
            errs.append("min: must be at least 1")
        if not params.get("calls"):
            errs.append("calls: must name at least one call pattern")
        for alt in params.get("every_args") or ():
            if not alt or not all(isinstance(k, str) and k.isidentifier() for k in alt):
                errs.append("every_args: each alternative maps keyword names to a requirement")
            for v in alt.values():
                if isinstance(v, (list, dict)):
                    errs.append(f"every_args: requirement {v!r} is not null, \"*\" or a literal")
        for r in params.get("receivers") or ():
            # external names may be globs (``langfuse.*``), as type_matches reads them
            plain = r.replace("*", "x").replace("?", "x")
            if not all(p.isidentifier() for p in plain.split(".")):
                errs.append(f"receivers: {r!r} is not a (dotted) name or glob")
        return errs

    @property
    def uses_project(self) -> bool:  # type: ignore[override]
        # receivers, argument binding and callees are resolved across the project, on demand
        return bool(self.p.get("receivers") or self.p.get("every_args")
                    or self.p.get("callee_takes_input"))

    def patterns(self) -> tuple[str, ...] | None:
        out = set()
        for pat in self.p["calls"]:
            name = last_name(pat)
            pat = split_literal(pat)[0]
            if any(c in name for c in "*?["):
                # a glob in the last component (``*uuid7*``): a file holding a matching call
                # contains every literal run of one dotted component (aliases rename whole
                # components only), so the longest such run is a safe prefilter text
                runs = [r for r in re.split(r"\[[^\]]*\]|[*?.]", pat) if r]
                if not runs:
                    return None
                name = max(runs, key=len)
            out.add(name)
        return tuple(sorted(out))

    def _count(self, facts_calls: tuple[CallFact, ...], usage: str | None = None
               ) -> list[CallFact]:
        matches = call_matcher(tuple(self.p["calls"]))
        usage = usage or self.p.get("usage", "any")
        funcs = self.p.get("functions")
        hits = []
        for call in facts_calls:
            if not matches(call):
                continue
            if not usage_matches(call, usage):
                continue
            if funcs and not any(fnmatchcase(call.scope, g) for g in funcs):
                continue
            hits.append(call)
        return hits

    def describe(self) -> str:
        pats = " or ".join(f"`{p}`" for p in self.p["calls"])
        usage = self.p.get("usage", "any")
        return pats + ("" if usage == "any" else f" (used as {usage})")

    def _screen(self, ctx: RuleContext, path: str, calls: list[CallFact],
                screened: "_Screened") -> list[CallFact]:
        """The calls that count, after the receiver, argument and callee conditions; the rest
        are recorded in ``screened`` (other receivers, undecided ones, argument findings)."""
        receivers = self.p.get("receivers")
        alternatives = self.p.get("every_args")
        takes_input = self.p.get("callee_takes_input")
        if not (receivers or alternatives or takes_input):
            return calls
        view = ctx.project
        kept = []
        for call in calls:
            if receivers:
                verdict, why = _receiver_verdict(view, path, call, receivers)
                if verdict is False:
                    screened.other.append((path, call, why))
                    continue
                if verdict is None:
                    screened.maybe.append((path, call, why))
                    continue
            if alternatives:
                verdict, why = _args_verdict(view, path, call, alternatives)
                if verdict is False:
                    screened.bad_args.append((path, call, why))
                    continue
                if verdict is None:
                    screened.maybe.append((path, call, why))
                    continue
            if takes_input:
                verdict, why = _takes_input(view, path, call)
                if verdict is False:
                    screened.other.append((path, call, why))
                    continue
                if verdict is None:
                    screened.maybe.append((path, call, why))
                    continue
            kept.append(call)
        return kept

    def evaluate(self, ctx: RuleContext) -> CheckResult:
        need = self.p.get("min", 1)
        per = self.p.get("per", "set")
        every = self.p.get("every")
        findings = []
        evidence: list[Location] = []
        undecidable = {f.path for f in ctx.undecidable()}
        if not ctx.files:
            where = scope_words(ctx)
            findings.append(ctx.finding(
                ctx.anchor_path(), None,
                f"no files in scope ({where} does not exist or holds no matching files); "
                f"expected a call to {self.describe()}", source=f"empty-scope:{where}"))
            return self.result(ctx, findings)
        total = 0
        maybe_total = 0
        unknown = False
        screened_all = _Screened()
        for f in ctx.files:
            screened = _Screened()
            hits = self._count(f.python.calls) if f.python else []
            hits = self._screen(ctx, f.path, hits, screened)
            if every and f.python:
                for call in self._count(f.python.calls, "any"):
                    if not usage_matches(call, every) and not _entered_explicitly(
                            f.python, call, every):
                        findings.append(ctx.finding(
                            f.path, call.span, f"`{call.text}` is not used as {every}",
                            source=call.text))
            for path, call, why in screened.bad_args:
                findings.append(ctx.finding(path, call.span, f"`{call.text}`: {why}",
                                            source=call.text))
            screened_all.merge(screened)
            total += len(hits)
            maybe_total += len(screened.maybe)
            evidence.extend(Location(f.path, h.span) for h in hits)
            if per == "file" and len(hits) < need:
                if f.path in undecidable or len(hits) + len(screened.maybe) >= need:
                    unknown = True
                    continue
                findings.append(ctx.finding(
                    f.path, None, f"{len(hits)} call(s) to {self.describe()} in {f.path}, "
                                  f"at least {need} required{screened.explain()}",
                    source=f"missing:{f.path}"))
        note = ""
        if per == "set" and total < need:
            if undecidable or total + maybe_total >= need:
                unknown = True
                why = (f"{sorted(undecidable)[0]} could not be analysed" if undecidable else
                       screened_all.maybe_reason())
                note = could_not_decide(f"{total} call(s) found, {need} required, and {why}")
            else:
                where = ctx.scope_hint or ctx.anchor_path()
                findings.append(ctx.finding(
                    ctx.anchor_path(), None,
                    f"{total} call(s) to {self.describe()} in {where}, at least {need} "
                    f"required{screened_all.explain()}", source=f"missing:{where}"))
        if not note:
            note = f"{total} matching call(s)"
        return self.result(ctx, findings, evidence[:20], note=note, undecided=unknown)


class _Screened:
    """Calls that matched a pattern but were not counted, and why."""

    def __init__(self) -> None:
        self.other: list[tuple[str, CallFact, str]] = []  # decided: not the wanted receiver
        self.maybe: list[tuple[str, CallFact, str]] = []  # undecided
        self.bad_args: list[tuple[str, CallFact, str]] = []  # arguments meet no alternative

    def merge(self, other: "_Screened") -> None:
        self.other.extend(other.other)
        self.maybe.extend(other.maybe)
        self.bad_args.extend(other.bad_args)

    def explain(self) -> str:
        parts = []
        for label, items in (("not counted", self.other), ("with arguments that cannot work",
                                                            self.bad_args)):
            if items:
                shown = "; ".join(f"`{c.text}` at {p}:{c.span.line} ({why})"
                                  for p, c, why in items[:3])
                more = f" and {len(items) - 3} more" if len(items) > 3 else ""
                parts.append(f"{label}: {shown}{more}")
        return f" ({'; '.join(parts)})" if parts else ""

    def maybe_reason(self) -> str:
        p, c, why = self.maybe[0]
        more = f" ({len(self.maybe) - 1} more)" if len(self.maybe) > 1 else ""
        return f"`{c.text}` at {p}:{c.span.line} may count: {why}{more}"


def _receiver_verdict(view, path: str, call: CallFact, receivers: list[str]
                      ) -> tuple[bool | None, str]:
    """Does the call's receiver resolve to one of ``receivers``?"""
    from .resolve import describe, receiver_text, type_matches

    recv = receiver_text(call.callee)
    if not recv:
        return False, "a plain function call, not a method of the receiver"
    # an accessor named in ``receivers``: ``get_opik_connector().trace_agent(...)``
    head = recv.split(".")[-1]
    if head.endswith("()") and head[:-2] in receivers:
        return True, ""
    if view is None:
        return None, "the receiver cannot be resolved without the project"
    t = view.type_of(path, recv, call.scope)
    verdict = type_matches(view, t, receivers)
    if verdict is False and _made_by_accessor(view, path, t, receivers):
        return True, ""
    if verdict is None:
        return None, f"the receiver `{recv}` cannot be resolved: {describe(t)}"
    if not verdict:
        return False, f"`{recv}` is {describe(t)}"
    return True, ""


def _made_by_accessor(view, path: str, t, receivers: list[str]) -> bool:
    """Is ``t`` what an accessor named in ``receivers`` returns (``c = get_opik_connector();
    c.log(...)``, ``self.c = goc()`` with ``goc`` an alias)? Accessors are resolved in the
    call's file, else found by name among the project files that mention them."""
    from .resolve import ExternalInstance, FuncDef, Instance

    if not isinstance(t, (Instance, ExternalInstance)):
        return False
    for r in receivers:
        if not r.isidentifier():
            continue
        sym = view.resolve_name(path, r)
        if not isinstance(sym, FuncDef):
            sym = None
            for p in view.search(r) or ():
                fi = view.file(p)
                fn = fi.functions.get(r) if fi is not None else None
                if fn is not None:
                    sym = FuncDef(p, fn)
                    break
        if sym is not None and sym.fn.scope == "" and view.call_result(sym) == t:
            return True
    return False


def _bound_argument(view, path: str, call: CallFact, name: str) -> tuple[str, object]:
    """How the call binds parameter ``name``: ("absent"|"value"|"unknown", value)."""
    for k, v in call.kwargs:
        if k == name:
            return "value", v
    if not call.args and not call.star_args and not call.star_kwargs:
        return "absent", None
    # positional arguments or unpacking: the callee's signature says where ``name`` sits
    from .resolve import FuncDef, ClassDef

    if view is None:
        return "unknown", None
    callee = view.type_of(path, call.callee, call.scope)
    fn = callee if isinstance(callee, FuncDef) else None
    if isinstance(callee, ClassDef):
        init = view.class_member(callee, "__init__")
        fn = init if isinstance(init, FuncDef) else None
    if fn is None:
        return "unknown", None
    params = [p for p in fn.fn.signature if p.kind in ("posonly", "pos")]
    if fn.owner is not None or isinstance(callee, ClassDef):
        params = params[1:]  # bound: self / cls
    for i, p in enumerate(params):
        if p.name == name:
            if i < len(call.args):
                return "value", call.args[i]
            break
    if call.star_args or call.star_kwargs:
        return "unknown", None
    return "absent", None


def _args_verdict(view, path: str, call: CallFact, alternatives: list[dict]
                  ) -> tuple[bool | None, str]:
    """Does the call meet one of the argument alternatives?"""
    undecided = False
    for alt in alternatives:
        ok = True
        for name, want in alt.items():
            how, value = _bound_argument(view, path, call, name)
            if how == "unknown":
                undecided, ok = True, False
                break
            present = how == "value" and value is not None
            if want is None:
                ok = not present
            elif want == "*":
                ok = present
            else:
                ok = present and value == want and type(value) is type(want)
            if not ok:
                break
        if ok:
            return True, ""
    if undecided:
        return None, "its arguments cannot be bound to the callee's parameters"
    wanted = " or ".join(", ".join(f"{k}={_show_req(v)}" for k, v in alt.items())
                         for alt in alternatives)
    return False, f"expected {wanted}"


def _show_req(v: object) -> str:
    if v is None:
        return "absent"
    if v == "*":
        return "given"
    return repr(v)


def _takes_input(view, path: str, call: CallFact) -> tuple[bool | None, str]:
    from .resolve import FuncDef

    if view is None:
        return None, "the callee cannot be resolved without the project"
    callee = view.type_of(path, call.callee, call.scope)
    if not isinstance(callee, FuncDef):
        return None, f"the callee `{call.callee}` is not a project function that can be followed"
    params = [p for p in callee.fn.signature if p.name not in ("self", "cls")]
    if not params:
        return False, (f"`{callee.fn.qualname}` ({callee.path}:{callee.fn.span.line}) takes no "
                       "input: it returns the same thing whatever is evaluated")
    return True, ""


def _entered_explicitly(facts, call: CallFact, usage: str) -> bool:
    """A context manager entered by hand and always left: ``cm = x.trace()`` then
    ``await cm.__aenter__()`` and ``await cm.__aexit__(...)`` in a ``finally:`` of the same
    function, or handed to ``AsyncExitStack.enter_async_context(...)`` (directly or by the
    name it was bound to)."""
    if usage not in ("async-with", "with"):
        return False
    enter, leave = ("__aenter__", "__aexit__") if usage == "async-with" else (
        "__enter__", "__exit__")
    for c in facts.calls:
        if c.scope == call.scope and c.attr in ("enter_async_context", "enter_context") and any(
                getattr(a, "callee", None) == call.callee for a in c.args):
            return True
    names = [a.target for a in facts.assigns if a.scope == call.scope and a.has_value
             and getattr(a.value, "callee", None) == call.callee
             and a.span.line <= call.span.line <= a.span.end_line]
    from ..facts.model import Ref

    for c in facts.calls:  # ``cm = x.trace(); await stack.enter_async_context(cm)``
        if c.scope == call.scope and c.attr in ("enter_async_context", "enter_context") and any(
                isinstance(a, Ref) and a.name in names for a in c.args):
            return True
    for name in names:
        entered = any(c.scope == call.scope and c.callee == f"{name}.{enter}"
                      for c in facts.calls)
        left = any(c.scope == call.scope and c.callee == f"{name}.{leave}" and c.in_finally
                   for c in facts.calls)
        if entered and left:
            return True
    return False
