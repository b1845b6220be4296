"""reachability: what is built must be used, and spans must have a parent.

Two questions a presence rule cannot answer:

* **Used** (``symbols``): a tracer, callback or tracker class (or function) defined in scope is
  *used* — called (a class constructed or a class/static method called on it, a function or
  method called, resolved through imports and receivers, ``checks/resolve.py``) by non-test
  code outside its own module; a class is used too when a project subclass of it is. An import in a
  package ``__init__.py`` (a re-export), a mention in a test, a type annotation or a docstring
  is not a use. With ``mode: any`` one of the symbols being used is enough (a class and the
  accessor that builds it). A call with the symbol's name whose callee cannot be followed makes
  the rule undecided, never a match; so does the symbol passed or stored as a value outside its
  definition (a callback, a registry entry, ``default_factory=``, a value returned — what calls
  it later is not followed; ``isinstance``/``issubclass``/``type``/``super`` arguments are not
  values of that kind), and ``getattr`` on the module that defines or re-exports it (or, for a
  method, on an instance of its class) with a computed name or the symbol's own name. A
  finding lists the test calls it saw, which do not count.
* **Inside a parent span** (``calls_within``): every call matching ``calls`` runs inside an
  active parent span — lexically within ``with``/``async with <span>(...)`` of one of
  ``spans`` in the same function, in a function decorated ``@<span>(...)``, or in a project
  function every caller of which does so (callers are searched in the text of every project
  file and followed up to ``MAX_CALLER_DEPTH`` levels). A call with no enclosing span opens a
  span with no parent; a function nothing in scope calls has no span around it. Undecided: a
  function used as a value (a callback, a graph node) or nested in another, a caller whose
  callee cannot be followed, and a function that assigns a span call to a name
  (``ctx = tracer.trace_agent(...)``; entered later as ``async with ctx:``, which facts do not
  record as enclosing its body).

Findings point at the definition of an unused symbol (listing the files that were searched
and what they held) and at each orphaned call (with the caller chain that was followed).
"""

from __future__ import annotations

import fnmatch
import posixpath
import re
from typing import Any, ClassVar, Literal, Mapping

from ..facts.model import CallFact, CallValue, DictValue, FileFacts, Ref, Seq
from ..facts.text_search import lookup_query
from ..types import CheckResult, FileKind, Location, Severity
from .params import opt, params
from .base import CheckKind, Param, RuleContext, could_not_decide
from .pyindex import empty_scope
from .require_call import call_matcher
from .resolve import (ClassDef, External, ExternalInstance, FuncDef, Instance, ModuleRef,
                      ProjectView, Unknown, receiver_text)

MAX_CALLER_DEPTH = 4
_TEST_GLOBS = ("tests/**", "test/**", "**/test_*.py", "**/*_test.py", "**/conftest.py",
               "test_*.py", "conftest.py")
_GLOB = set("*?[")


def is_test(path: str) -> bool:
    return any(fnmatch.fnmatchcase(path, g) for g in _TEST_GLOBS) or \
        "/tests/" in f"/{path}" or "/test/" in f"/{path}"


@params
class CallsWithin:
    """`calls_within`: calls that must run inside a span."""

    calls: list[str] = opt(doc="Call patterns whose every call must run inside a span.")
    spans: list[str] = opt(doc="Call patterns of the spans (`with`/`async with` blocks).")


@params
class ReachabilityParams:
    """The `check:` parameters of `reachability`."""

    symbols: list[str] | None = opt(
        None,
        doc="Classes/functions defined in scope that must be used (names, `Class.method`"
            ", globs).")
    mode: Literal['all', 'any'] = opt(
        "all",
        doc="`all`: every symbol must be used; `any`: one is enough.")
    include_tests: bool = opt(False, doc="Count uses in test code too.")
    calls_within: CallsWithin | None = opt(
        None,
        doc="{calls: [patterns], spans: [patterns]}: every matching call must run "
            "inside `with`/`async with` of a span call (lexically, or in a function "
            "only called from such a block).")


class Reachability(CheckKind):
    kind: ClassVar[str] = "reachability"
    file_kinds: ClassVar[frozenset[FileKind]] = frozenset({FileKind.PYTHON})
    uses_project: ClassVar[bool] = True
    summary: ClassVar[str] = ("Classes and functions in scope must be used by non-test code "
                              "outside their module; calls such as `trace_llm_call` must run "
                              "inside an active parent span.")
    Params = ReachabilityParams
    valid_examples = (
        '{kind: reachability, symbols: [RAGASEvaluator, "RAGASEvaluator.evaluate"], mode: all}',
        '{kind: reachability, calls_within: {calls: ["*.log_metric"], spans: ["*.trace_agent"]}}',
    )
    invalid_examples = (
        ('{kind: reachability, calls_within: {calls: ["*.log_metric"]}}',
         'calls_within: must be'),
        ('{kind: reachability}',
         'give `symbols` and/or `calls_within`'),
    )
    example: ClassVar[str] = """\
check:
  kind: reachability
  symbols: [ToolComposerOpikTracer, get_tool_composer_tracer]
  mode: any
"""

    @classmethod
    def validate(cls, params: Mapping[str, Any]) -> list[str]:
        errs = []
        if not params.get("symbols") and not params.get("calls_within"):
            errs.append("give `symbols` and/or `calls_within`")
        cw = params.get("calls_within")
        if cw is not None:
            if set(cw) - {"calls", "spans"} or not cw.get("calls") or not cw.get("spans") \
                    or not all(isinstance(x, str) for k in ("calls", "spans")
                               for x in cw.get(k) or ()):
                errs.append("calls_within: must be {calls: [patterns], spans: [patterns]}")
        return errs

    def reach(self) -> tuple[str, ...]:
        return ()  # uses and callers are searched in the text of every project file

    def patterns(self) -> tuple[str, ...] | None:
        out = set()
        for sym in self.p.get("symbols") or ():
            last = sym.rsplit(".", 1)[-1]
            runs = [r for r in re.split(r"\[[^\]]*\]|[*?]", last) if r]
            if not runs:
                return None
            out.add(max(runs, key=len))
        cw = self.p.get("calls_within")
        for pat in (cw or {}).get("calls") or ():
            last = pat.rsplit(".", 1)[-1]
            runs = [r for r in re.split(r"\[[^\]]*\]|[*?]", last) if r]
            if not runs:
                return None
            out.add(max(runs, key=len))
        return tuple(sorted(out)) or None

    def evaluate(self, ctx: RuleContext) -> CheckResult:
        if not ctx.files:
            return self.result(ctx, [empty_scope(ctx, "definitions to check")])
        view = ctx.project
        assert view is not None
        findings: list = []
        evidence: list[Location] = []
        unknown: list[str] = []
        if self.p.get("symbols"):
            self._used(ctx, view, findings, evidence, unknown)
        if self.p.get("calls_within"):
            self._within(ctx, view, findings, evidence, unknown)
        if ctx.undecidable():
            unknown.append(f"{ctx.undecidable()[0].path} could not be analysed")
        failing = [f for f in findings if f.severity is not Severity.INFO]
        if unknown and not failing:
            findings.extend(ctx.finding(ctx.anchor_path(), None, could_not_decide(u),
                                        source=u, severity=Severity.INFO) for u in unknown[:5])
        note = ("; ".join(unknown[:2]) if unknown and not failing
                else f"{len(evidence)} use(s) verified")
        return self.result(ctx, findings, evidence[:20], note=note, undecided=bool(unknown))

    # -- used ---------------------------------------------------------------------------------
    def _definitions(self, ctx: RuleContext) -> list[tuple[str, Any, str]]:
        """(path, fact, label) of the scope's definitions the symbols name."""
        out = []
        for f in ctx.files:
            if f.python is None:
                continue
            for sym in self.p["symbols"]:
                for c in f.python.classes:
                    if "<locals>" not in c.qualname and _named(c.qualname, sym):
                        out.append((f.path, ClassDef(f.path, c), c.qualname))
                for fn in f.python.functions:
                    if "<locals>" not in fn.qualname and _named(fn.qualname, sym):
                        out.append((f.path, FuncDef(f.path, fn), fn.qualname))
        return out

    def _used(self, ctx: RuleContext, view: ProjectView, findings: list,
              evidence: list[Location], unknown: list[str]) -> None:
        defs = self._definitions(ctx)
        if not defs:
            listed = ", ".join(f"`{s}`" for s in self.p["symbols"])
            where = ctx.scope_hint or ctx.anchor_path()
            findings.append(ctx.finding(ctx.anchor_path(), None,
                                        f"{listed} not defined in {where}",
                                        source=f"undefined:{listed}"))
            return
        results = []
        for path, d, label in defs:
            verdict, info = self._is_used(view, path, d, label, 0, set())
            results.append((path, d, label, verdict, info))
        used = [r for r in results if r[3] is True]
        for r in used:
            evidence.extend(r[4][:5])
        if self.p.get("mode", "all") == "any" and used:
            return
        for path, d, label, verdict, info in results:
            if verdict is True:
                continue
            if verdict is None:
                unknown.append(f"`{label}` may be used: {info[0]}")
                continue
            span = d.cls.span if isinstance(d, ClassDef) else d.fn.span
            where = "non-test code" if not self.p.get("include_tests") else "code"
            looked, notes = info
            seen = f": {'; '.join(notes[:3])}" if notes else ""
            msg = (f"`{label}` ({path}:{span.line}) is not called by any {where} outside its "
                   f"module, nor by code of its module that is itself used (searched "
                   f"{looked} other file(s) naming it{seen})")
            findings.append(ctx.finding(path, span, msg, source=f"unused:{label}"))

    def _is_used(self, view: ProjectView, path: str, d: Any, label: str, depth: int,
                 seen: set) -> tuple[bool | None, Any]:
        """(True, [use locations]) | (None, [reason]) | (False, (files looked at, notes))."""
        key = (path, label)
        if key in seen or depth > MAX_CALLER_DEPTH:
            return False, (0, [])
        seen = seen | {key}
        tests = self.p.get("include_tests")
        name = label.rsplit(".", 1)[-1]
        uses: list[Location] = []
        inner: list[tuple[str, str]] = []  # same-module callers: (path, enclosing function)
        maybes: list[str] = []
        notes: list[str] = []
        looked = 0
        found = view.search(name)
        candidates = sorted(view.allowed) if found is None else found
        test_uses: list[str] = []
        is_class = isinstance(d, ClassDef)
        subclasses: list[ClassDef] = []  # project classes deriving from ``d``
        for other in candidates:
            fi = view.peek(other)
            if fi is None:
                continue
            # calls of it, and (a class) calls of its class or static methods: ``Cls.get()``
            mentions = [c for c in fi.facts.calls if c.context == "call" and (
                c.attr == name or (is_class and _names_class(c.callee, name)))]
            if is_test(other) and not tests:
                test_uses.extend(f"{other}:{c.span.line}" for c in mentions
                                 if _is(view.type_of(other, _called(c, name), c.scope), d))
                continue
            if is_class:
                subclasses.extend(_subclasses(view, other, fi, name, d))
            if other != path:
                looked += 1
            maybes.extend(_value_uses(view, other, fi, name, d, label))
            if not mentions:
                if other != path and (any(n.name == name for n in fi.facts.names) or any(
                        n.name == name or n.asname == name for i in fi.facts.imports
                        for n in i.names)):
                    notes.append(f"{other} (imports or names it, never calls it)")
                continue
            for c in mentions:
                t = view.type_of(other, _called(c, name), c.scope)
                if _is(t, d):
                    if other != path:
                        uses.append(Location(other, c.span))
                    elif not _inside(c.scope, label):
                        if not c.scope:
                            uses.append(Location(other, c.span))  # runs on import
                        else:
                            # a nested function (a decorator's wrapper) is used when the
                            # function it is defined in is
                            inner.append((other, c.scope.split(".<locals>.")[0]))
                elif isinstance(t, Unknown) and not t.missing:
                    maybes.append(f"`{c.text}` at {other}:{c.span.line}: {t.reason}")
        if uses:
            return True, uses
        for sub in subclasses:  # a base class is used when a subclass is
            verdict, info = self._is_used(view, sub.path, sub, sub.cls.qualname, depth + 1,
                                          seen)
            if verdict is True:
                return True, info
            if verdict is None:
                maybes.extend(info)
            else:
                notes.append(f"subclassed by `{sub.cls.qualname}` ({sub.path}:"
                             f"{sub.cls.span.line}), which is not used either")
        maybes.extend(self._dynamic_lookups(view, path, d, label))
        fi = view.peek(path)
        for ipath, scope in inner:
            caller = fi.functions.get(scope) if fi is not None else None
            if caller is None:
                continue
            owner = fi.classes.get(caller.scope) if caller.scope else None
            target: Any = ClassDef(ipath, owner) if owner is not None else FuncDef(ipath, caller)
            tlabel = owner.qualname if owner is not None else caller.qualname
            verdict, info = self._is_used(view, ipath, target, tlabel, depth + 1, seen)
            if verdict is True:
                return True, info
            if verdict is None:
                maybes.extend(info)
        if maybes:
            return None, maybes
        if test_uses:
            notes.insert(0, f"called only by tests: {', '.join(test_uses[:3])}")
        return False, (looked, notes)

    def _dynamic_lookups(self, view: ProjectView, path: str, d: Any, label: str) -> list[str]:
        """``getattr(module, name)`` on the module that defines (or re-exports) ``d``, or
        ``getattr(obj, name)`` on an instance of the class of a method ``d``, in non-test code:
        the attribute looked up may be ``d`` (a computed name, or ``d``'s own name)."""
        name = label.rsplit(".", 1)[-1]
        # only files that may look up ``name`` (or a computed name) with getattr: a file whose
        # every getattr names another attribute by a literal is not loaded (text_search)
        found = view.search(lookup_query("getattr", name))
        out = []
        for other in (sorted(view.allowed) if found is None else found):
            if is_test(other) and not self.p.get("include_tests"):
                continue
            fi = view.peek(other)
            if fi is None:
                continue
            for c in fi.facts.calls:
                if c.callee not in ("getattr", "builtins.getattr") or len(c.args) < 2 \
                        or not isinstance(c.args[0], Ref):
                    continue
                key = c.args[1]
                if isinstance(key, str) and key != name:
                    continue  # ``getattr(m, "other")``: another attribute
                t = view.type_of(other, c.args[0].name, c.scope)
                hit = False
                if isinstance(t, ModuleRef) and "." not in label:
                    hit = _is(view.symbol_type(view.member(t.name, name)), d)
                elif isinstance(t, (Instance, ClassDef)) and isinstance(d, FuncDef):
                    hit = _is(view.attribute(t, name), d)
                if hit:
                    how = f"`{name}` by name" if isinstance(key, str) else "a computed name"
                    out.append(f"`{c.text}` at {other}:{c.span.line} looks up {how}: whether "
                               f"`{label}` is then called is not followed")
        return out

    # -- within -------------------------------------------------------------------------------
    def _within(self, ctx: RuleContext, view: ProjectView, findings: list,
                evidence: list[Location], unknown: list[str]) -> None:
        cw = self.p["calls_within"]
        matches = call_matcher(tuple(cw["calls"]))
        spans = call_matcher(tuple(cw["spans"]))
        span_pats = tuple(cw["spans"])
        for f in ctx.files:
            if f.python is None:
                continue
            for call in f.python.calls:
                if call.context != "call" or not matches(call):
                    continue
                verdict, chain = self._inside(view, f.path, call, span_pats, spans, 0)
                if verdict is True:
                    evidence.append(Location(f.path, call.span))
                elif verdict is None:
                    unknown.append(f"`{call.text}` at {f.path}:{call.span.line}: {chain}")
                else:
                    fn = _enclosing(f.python, call)
                    findings.append(ctx.finding(
                        f.path, call.span, f"`{call.text}` runs outside any "
                        f"{' / '.join(f'`{s}`' for s in span_pats)} span: {chain}",
                        source=call.text,
                        related=[(f.path, fn.span, f"`{fn.qualname}`, the function it runs "
                                  "in, opens no such span")] if fn is not None else []))

    def _inside(self, view: ProjectView, path: str, call: CallFact, span_pats: tuple[str, ...],
                spans: Any, depth: int) -> tuple[bool | None, str]:
        if any(_span_text(w, span_pats) for w in call.within):
            return True, ""
        fn_qual = call.scope
        if not fn_qual:
            return False, "it is at module level"
        fi = view.file(path)
        fn = fi.functions.get(fn_qual) if fi is not None else None
        if fn is not None and any(_span_text(d, span_pats) for d in fn.decorators):
            return True, ""  # ``@tracer.trace_agent(...)``: the whole body runs in the span
        held = _span_held_by_name(fi, fn_qual, span_pats) if fi is not None else ""
        if held:
            return None, (f"`{fn_qual}` holds a span in `{held}` (entered by name, e.g. "
                          f"`async with {held}:`): whether the call runs inside it is not known")
        if depth >= MAX_CALLER_DEPTH:
            return None, f"callers followed {MAX_CALLER_DEPTH} levels deep"
        callers, why_not = self._callers(view, path, fn_qual)
        if callers is None:
            return None, why_not
        if not callers:
            return False, f"no enclosing span in `{fn_qual}`, which no project code calls"
        chain = []
        for cpath, ccall in callers:
            verdict, why = self._inside(view, cpath, ccall, span_pats, spans, depth + 1)
            if verdict is None:
                return None, why
            if verdict is False:
                return False, (f"no enclosing span in `{fn_qual}`, called without one at "
                               f"{cpath}:{ccall.span.line} ({why})")
            chain.append(f"{cpath}:{ccall.span.line}")
        return True, ""

    def _callers(self, view: ProjectView, path: str, qual: str
                 ) -> tuple[list[tuple[str, CallFact]] | None, str]:
        """Project calls of the function ``qual`` of ``path`` in the files the rule consults
        (None, and why, when some caller cannot be followed)."""
        name = qual.rsplit(".", 1)[-1]
        if name.startswith("<") or ".<locals>." in qual:
            # a nested function or lambda: called through values we do not follow
            return None, f"`{qual}` is a nested function: what calls it is not followed"
        out = []
        unfollowed = ""  # a call that may reach it; reported unless it is used as a value
        found = view.search(name)
        for other in (sorted(view.allowed) if found is None else found):
            fi = view.peek(other)
            if fi is None:
                continue
            called_here = set()
            for c in fi.facts.calls:
                if c.attr != name or c.context != "call":
                    continue
                called_here.add(c.scope)
                t = view.type_of(other, c.callee, c.scope)
                if isinstance(t, FuncDef) and t.path == path and t.fn.qualname == qual:
                    out.append((other, c))
                elif isinstance(t, Unknown) and not t.missing:
                    recv = receiver_text(c.callee)
                    rt = view.type_of(other, recv, c.scope) if recv else None
                    if isinstance(rt, (ExternalInstance, External, ModuleRef)) or (
                            isinstance(rt, (Instance, ClassDef)) and not _related(view, rt, path,
                                                                                 qual)):
                        continue  # ``cursor.execute(...)``: another object's method
                    unfollowed = unfollowed or (f"`{c.text}` at {other}:{c.span.line} may call "
                                                f"`{qual}`: {t.reason}")
            # the function passed as a value (``add_node("x", node.execute)``, a callback):
            # whatever calls it later is not followed
            for n in fi.facts.names:
                if n.name == name and n.scope not in called_here:
                    return None, (f"`{qual}` is used as a value at {other}:{n.span.line} (a "
                                  "callback, a graph node): what calls it is not followed")
        if unfollowed:
            return None, unfollowed
        return out, ""


def _span_held_by_name(fi: Any, scope: str, patterns: tuple[str, ...]) -> str:
    """A name the function assigns a span call to (``ctx = tracer.trace_agent(...)``), which
    it may enter later by name (``async with ctx:``, which facts do not record as enclosing
    the calls in its body)."""
    for (sc, target), assigns in fi.assigns.items():
        if sc != scope:
            continue
        for a in assigns:
            v = a.value
            if not a.via and isinstance(v, CallValue) and _span_text(v.callee, patterns):
                return target
    return ""


def _related(view: ProjectView, t: Any, path: str, qual: str) -> bool:
    """Could a receiver of type ``t`` have the method ``qual`` of ``path`` (its class, a
    subclass or a base of it)?"""
    cls = t.cls if isinstance(t, Instance) else t
    owner = qual.rsplit(".", 1)[0]
    names = [c.cls.qualname for c in view.lineage(cls)[0] if c.path == path]
    if owner in names:
        return True
    fi = view.peek(path)
    oc = fi.classes.get(owner) if fi is not None else None
    if oc is None:
        return True
    return cls in view.lineage(ClassDef(path, oc))[0]


def _names_class(callee: str, name: str) -> bool:
    """``Cls.method`` / ``mod.Cls.method``: a call on the class ``name`` itself."""
    recv = receiver_text(callee)
    return bool(recv) and recv.rsplit(".", 1)[-1] == name


def _called(c: CallFact, name: str) -> str:
    """What a mention of ``name`` calls: the callee, or the class a method is called on."""
    return c.callee if c.attr == name else receiver_text(c.callee)


def _subclasses(view: ProjectView, path: str, fi: Any, name: str, d: ClassDef
                ) -> list[ClassDef]:
    out = []
    for c in fi.facts.classes:
        if "<locals>" in c.qualname or not any(
                b.split("[")[0].rsplit(".", 1)[-1] == name for b in c.bases):
            continue
        sub = ClassDef(path, c)
        if sub != d and any(_is(b, d) for b in view.bases(sub)[0]):
            out.append(sub)
    return out


# calls that take a class or function as a value without calling it
_NOT_A_USE = frozenset({"isinstance", "issubclass", "type", "super", "cast", "typing.cast",
                        "id", "repr", "str", "hasattr", "getattr", "callable", "print"})


def _value_uses(view: ProjectView, path: str, fi: Any, name: str, d: Any, label: str
                ) -> list[str]:
    """Places in ``path`` where ``d`` is passed or stored as a value (a callback, a registry
    entry, ``default_factory=``, a value returned) outside its own definition: whatever calls
    it later is not followed."""
    out: list[str] = []

    def refs(v: Any):
        if isinstance(v, Ref):
            yield v
        elif isinstance(v, Seq):
            for x in v.items:
                yield from refs(x)
        elif isinstance(v, DictValue):
            for k, x in v.items:
                yield from refs(k)
                yield from refs(x)
        elif isinstance(v, CallValue):
            if v.callee in _NOT_A_USE:
                return
            for x in v.args:
                yield from refs(x)
            for _, x in v.kwargs:
                yield from refs(x)

    def check(v: Any, scope: str, line: int, text: str) -> None:
        if scope and _inside(scope, label):
            return
        for r in refs(v):
            if r.name != name and not r.name.endswith("." + name):
                continue
            if _is(view.type_of(path, r.name, scope), d):
                out.append(f"`{label}` is passed as a value at {path}:{line}{text}: what "
                           "calls it is not followed")
                return

    for c in fi.facts.calls:
        if c.context == "call" and c.callee not in _NOT_A_USE:
            check(CallValue(c.callee, "", c.args, c.kwargs), c.scope, c.span.line,
                  f" (`{c.text}`)" if len(c.text) <= 60 else "")
    for (scope, _target), assigns in fi.assigns.items():
        for a in assigns:
            if a.has_value and not a.via:
                check(a.value, scope, a.span.line, "")
    for fn in fi.facts.functions:
        for r in fn.returns:
            check(r, fn.qualname, fn.span.line, f" (returned by `{fn.qualname}`)")
    return out


def _inside(scope: str, label: str) -> bool:
    """Is ``scope`` the definition ``label`` itself (its body, or a method of the class)?"""
    return scope == label or scope.startswith(label + ".")


def _span_text(text: str, patterns: tuple[str, ...]) -> bool:
    last = text.rsplit(".", 1)[-1]
    for pat in patterns:
        plast = pat.rsplit(".", 1)[-1]
        if fnmatch.fnmatchcase(last, plast) or fnmatch.fnmatchcase(text, pat):
            return True
    return False


def _named(qualname: str, pattern: str) -> bool:
    if _GLOB & set(pattern):
        return fnmatch.fnmatchcase(qualname, pattern) or fnmatch.fnmatchcase(
            qualname.rsplit(".", 1)[-1], pattern)
    return qualname == pattern or qualname.rsplit(".", 1)[-1] == pattern


def _is(t: Any, d: Any) -> bool:
    """Is the resolved callee ``t`` the definition ``d``?"""
    if isinstance(d, ClassDef):
        return isinstance(t, ClassDef) and t.path == d.path and t.cls.qualname == d.cls.qualname
    return isinstance(t, FuncDef) and t.path == d.path and t.fn.qualname == d.fn.qualname


def _enclosing(facts: Any, call: CallFact) -> Any:
    """The innermost function of ``facts`` whose span holds ``call`` (None at module level)."""
    best = None
    for fn in facts.functions:
        s = fn.span
        if (s.line, s.column) <= (call.span.line, call.span.column) and \
                (call.span.end_line, call.span.end_column) <= (s.end_line, s.end_column):
            if best is None or (s.line, s.column) >= (best.span.line, best.span.column):
                best = fn
    return best
