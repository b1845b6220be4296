"""call-contract: calls to what the project defines must be able to run.

A presence rule asks "is ``log_rubric_scores`` defined and called?"; the hand audit asked the
same and ticked the box while every call raised ``TypeError``. This kind asks what CPython would
do when the call runs, from the project's source alone (nothing of its environment installed):

* **Which calls.** Every call in scope whose callee resolves (``checks/resolve.py``) to a
  function, method or class the project defines — through imports, aliases, re-exports and
  relative imports, and methods through their receiver (``self.x = Cls(...)``, locals assigned
  from ``Cls(...)`` or from an accessor whose return is annotated, parameters annotated with a
  project class) — plus calls of external callables the rule describes in ``signatures``
  (``{"mlflow.set_experiment_tag": "(key, value)"}``; a method of an external class is written
  ``"mlflow.tracking.MlflowClient.set_experiment_tag": "(self, experiment_id, key, value)"``).
  ``callees`` (globs over the callee's name, ``Class.method`` or ``module.name``) narrows the
  rule to some callees; ``functions`` to calls inside some functions.
* **The callee must exist**: an attribute called on an instance of a project class must be a
  method or attribute of the class or a project base (unless a base cannot be followed or the
  class defines ``__getattr__``); a name imported from a project module must be defined (or
  re-exported) there.
* **The arguments must bind** to the callee's signature (``checks/signatures.py``): no unknown
  keyword unless it takes ``**kwargs``, no positional-only parameter given by keyword, no more
  positional arguments than it takes, no value given twice, every required parameter given.
  A call that unpacks ``*args`` or ``**mapping`` is a finding only for what fails whatever they
  hold (an unknown keyword, too many positionals, a value given twice); otherwise it is
  undecided (unless the callee takes nothing but ``*args``/``**kwargs``). Constructors of
  dataclasses, attrs classes, NamedTuples and pydantic models are checked against their
  fields; a class's ``__new__`` as well as its ``__init__``.
* **Coroutines**: ``await`` of a synchronous function whose result is not awaitable, and a call
  of an ``async def`` whose coroutine is dropped (a bare expression statement, never awaited),
  are findings.
* **Never a guess.** A callee that cannot be followed is not judged; when it matches a
  ``callees`` pattern by name, the rule says it could not decide and why. A signature that a
  decorator may change is not judged either, nor a callee its module binds by several
  statements (a conditional ``def``, a ``try: from lib import f`` / ``except ImportError: def
  f(...)`` fallback, a redefinition), nor a call unpacking ``*``/``**`` arguments that would
  bind or not depending on what they hold: with ``callees`` these make the rule undecided
  (with the reason), without it they are left out.
* **Names.** ``callees`` patterns match the callee as defined (``Class.method`` also for a
  method a class inherits from a project base, looked up on it) and the call's own name; a
  call through an import alias (``from m import f as g``), a module alias (``Alias = Cls``)
  or ``cls(...)`` in a classmethod is matched by the name it stands for.

Each finding is at the call and names the definition it was checked against (path:line).
``min`` asks for at least that many checked calls matching ``callees`` (default 0).
"""

from __future__ import annotations

import fnmatch
import re
from dataclasses import dataclass
from typing import Any, ClassVar, Mapping

from ..facts.model import CallFact, FileFacts, ImportFact, Ref
from ..types import CheckResult, FileKind, Location, Severity
from .params import opt, params
from .base import CheckKind, Param, RuleContext, could_not_decide
from .pyindex import empty_scope
from .resolve import (ClassDef, External, ExternalInstance, FuncDef, Instance, ModuleRef,
                      ProjectView, Unknown, absolute_from, module_names, receiver_text)
from .signatures import (Sig, Skip, bind, binds_whatever_unpacked, class_signature,
                         function_signature, parse_signature)

CHECKS = ("exists", "arguments", "await")
# results that are awaitable: a sync function annotated to return one of these may be awaited
_AWAITABLE = ("Awaitable", "Coroutine", "Future", "Task", "asyncio.Future", "asyncio.Task",
              "typing.Awaitable", "typing.Coroutine", "collections.abc.Awaitable",
              "collections.abc.Coroutine")
_GLOB = set("*?[")


@dataclass(frozen=True, slots=True)
class _Outcome:
    kind: str  # "ignore" | "ok" | "bad" | "unknown"
    problems: tuple[str, ...] = ()
    where: tuple[str, int] | None = None  # the definition checked against
    reason: str = ""


@params
class CallContractParams:
    """The `check:` parameters of `call-contract`."""

    callees: list[str] | None = opt(
        None,
        doc="Only calls whose resolved callee matches a glob (`name`, `Class.method`, "
            "`module.name`); a call with that name whose callee cannot be followed "
            "makes the rule undecided.")
    functions: list[str] | None = opt(
        None,
        doc="Only calls inside functions whose qualified name matches a glob.")
    follow_calls: bool = opt(
        False,
        doc="With `functions`: also check the calls inside the project functions they "
            "call, transitively (what `log_ragas_scores()` runs, not only its own "
            "body).")
    via_receivers_of: list[str] | None = opt(
        None,
        doc="Check the calls matching these patterns and the calls inside the functions "
            "that produce their receivers (`repo = get_repository(); repo.insert(...)`: "
            "the construction in `get_repository` must work).")
    signatures: dict[str, str] | None = opt(
        None,
        doc="Signatures of external callables, by dotted name: "
            "`{\"mlflow.set_experiment_tag\": \"(key, value)\"}`.")
    min: int = opt(0, doc="At least this many checked calls (matching `callees`) must exist.")
    checks: list[str] | None = opt(
        None, doc=f"Which checks to run (default all: {', '.join(CHECKS)}).")


class CallContract(CheckKind):
    kind: ClassVar[str] = "call-contract"
    file_kinds: ClassVar[frozenset[FileKind]] = frozenset({FileKind.PYTHON})
    uses_project: ClassVar[bool] = True
    summary: ClassVar[str] = ("Calls to functions, methods and classes the project defines must "
                              "be able to run: the callee exists, the arguments bind to its "
                              "signature, coroutines are awaited.")
    Params = CallContractParams
    valid_examples = (
        '{kind: call-contract, functions: ["MLflowConnector.get_or_create_experiment"], signatures: {mlflow.set_experiment_tag: "(key, value)"}}',
    )
    invalid_examples = (
        ('{kind: call-contract, signatures: {mlflow.log: "a, b"}}',
         'is not a parameter list'),
        ('{kind: call-contract, checks: [exists, speed]}',
         "'speed' is not one of exists, arguments, await"),
    )
    example: ClassVar[str] = """\
check:
  kind: call-contract
  callees: [CombinedEvaluationResult]
  min: 1
"""

    @classmethod
    def validate(cls, params: Mapping[str, Any]) -> list[str]:
        errs = []
        for key, text in (params.get("signatures") or {}).items():
            if not isinstance(key, str) or not all(p.isidentifier() for p in key.split(".")):
                errs.append(f"signatures: {key!r} is not a dotted name")
            elif not isinstance(text, str) or parse_signature(text) is None:
                errs.append(f"signatures.{key}: {text!r} is not a parameter list such as "
                            "\"(key, value, *, step=None)\"")
        for c in params.get("checks") or ():
            if c not in CHECKS:
                errs.append(f"checks: {c!r} is not one of {', '.join(CHECKS)}")
        if (params.get("min") or 0) < 0:
            errs.append("min: must not be negative")
        return errs

    def _wanted(self) -> set[str]:
        return set(self.p.get("checks") or CHECKS)

    def patterns(self) -> tuple[str, ...] | None:
        callees = self.p.get("callees")
        if not callees:
            return None
        out = set()
        for pat in callees:
            last = pat.rsplit(".", 1)[-1]
            runs = [r for r in re.split(r"\[[^\]]*\]|[*?]", last) if r]
            if not runs:
                return None
            out.add(max(runs, key=len))
        return tuple(sorted(out))

    # -- evaluation ---------------------------------------------------------------------------
    def evaluate(self, ctx: RuleContext) -> CheckResult:
        if not ctx.files:
            return self.result(ctx, [empty_scope(ctx, "calls to check")])
        view = ctx.project
        assert view is not None, "call-contract always gets the project view"
        sigs = {k: parse_signature(v) for k, v in (self.p.get("signatures") or {}).items()}
        findings = []
        evidence: list[Location] = []
        unknowns: list[str] = []
        checked = 0
        selected = self._selected_calls(ctx, view)
        for f in ctx.files:
            facts = f.python
            if facts is None:
                continue
            if "exists" in self._wanted():
                for imp in facts.imports:
                    for msg, span in self._missing_imports(view, f.path, imp):
                        findings.append(ctx.finding(f.path, span, msg, source=msg))
        seen: set[tuple[str, int, int, int, int]] = set()
        for path, call in selected:
            # the whole span: ``a().b()`` and its receiver call ``a()`` start at the same column
            key = (path, call.span.line, call.span.column, call.span.end_line,
                   call.span.end_column)
            if key in seen:
                continue
            seen.add(key)
            out = self._judge(view, path, call, sigs)
            if out.kind == "ignore":
                continue
            if out.kind == "unknown":
                unknowns.append(f"`{call.text}` at {path}:{call.span.line}: {out.reason}")
                continue
            checked += 1
            if out.kind == "ok":
                evidence.append(Location(path, call.span))
                continue
            where = f" (defined at {out.where[0]}:{out.where[1]})" if out.where else ""
            msg = f"`{call.text}`: {'; '.join(out.problems)}{where}"
            chain = [(out.where[0], out.where[1], "the definition the call was checked "
                      "against")] if out.where else []
            findings.append(ctx.finding(path, call.span, msg, source=msg, related=chain))
        need = self.p.get("min") or 0
        if checked < need and not unknowns:
            what = " or ".join(f"`{c}`" for c in self.p.get("callees") or ()) or "project code"
            where = ctx.scope_hint or ctx.anchor_path()
            findings.append(ctx.finding(
                ctx.anchor_path(), None, f"{checked} call(s) to {what} found in {where}, at "
                f"least {need} required", source=f"min:{where}"))
        undecidable = [f.path for f in ctx.undecidable()]
        unknown = bool(unknowns) or bool(undecidable)
        if unknowns and not any(x.severity is not Severity.INFO for x in findings):
            for u in unknowns[:5]:
                findings.append(ctx.finding(ctx.anchor_path(), None, could_not_decide(u),
                                            source=u, severity=Severity.INFO))
        note = (f"{checked} call(s) checked" + (f"; {could_not_decide(unknowns[0])}"
                                                 if unknowns else "")
                + (f"; {undecidable[0]} could not be analysed" if undecidable else ""))
        return self.result(ctx, findings, evidence[:20], note=note, undecided=unknown)

    def _selected_calls(self, ctx: RuleContext, view: ProjectView
                        ) -> list[tuple[str, CallFact]]:
        """The calls the rule judges: in scope (inside ``functions``), plus what
        ``follow_calls`` / ``via_receivers_of`` reach."""
        funcs = self.p.get("functions")
        out: list[tuple[str, CallFact]] = []
        for f in ctx.files:
            if f.python is None:
                continue
            for call in f.python.calls:
                if call.context != "call":
                    continue
                if funcs and not any(fnmatch.fnmatchcase(call.scope, g) for g in funcs):
                    continue
                out.append((f.path, call))
        if funcs and self.p.get("follow_calls"):
            roots = [(path, call.scope) for path, call in out]
            for path, qual in view.reachable_functions(roots):
                fi = view.file(path)
                if fi is not None:
                    out.extend((path, c) for c in fi.facts.calls
                               if c.scope == qual and c.context == "call")
        via = self.p.get("via_receivers_of")
        if via:
            from .require_call import call_matcher

            matches = call_matcher(tuple(via))
            picked = [(p, c) for p, c in out if matches(c)]
            out = list(picked)
            for path, call in picked:
                for ppath, qual in view.receiver_producers(path, call):
                    fi = view.file(ppath)
                    if fi is not None:
                        out.extend((ppath, c) for c in fi.facts.calls
                                   if c.scope == qual and c.context == "call")
        return out

    # -- one call -----------------------------------------------------------------------------
    def _matches_callee(self, view: ProjectView, path: str, call: CallFact
                        ) -> tuple[bool, bool]:
        """(may match, by a literal name) — whether the call's name, or the name it aliases in
        its file (``from m import f as g``, ``Alias = Cls``), can match ``callees``."""
        callees = self.p.get("callees")
        if not callees:
            return True, False
        names = [call.attr, *_aliased(view, path, call)]
        for pat in callees:
            last = pat.rsplit(".", 1)[-1]
            for name in names:
                if fnmatch.fnmatchcase(name, last):
                    return True, not (_GLOB & set(last))
        return False, False

    def _callee_ok(self, names: list[str]) -> bool:
        callees = self.p.get("callees")
        if not callees:
            return True
        return any(fnmatch.fnmatchcase(n, pat) for pat in callees for n in names)

    def _judge(self, view: ProjectView, path: str, call: CallFact,
               sigs: dict[str, Any]) -> _Outcome:
        may, literal = self._matches_callee(view, path, call)
        if not may:
            return _Outcome("ignore")
        recv = receiver_text(call.callee)
        rtype = view.type_of(path, recv, call.scope) if recv else None
        # a method of an external object the rule describes
        if isinstance(rtype, ExternalInstance):
            key = _signature_key(sigs, f"{rtype.qualname}.{call.attr}")
            if key is None:
                return _Outcome("ignore")
            params = sigs[key][1:] if sigs[key] and sigs[key][0].name == "self" else sigs[key]
            return self._bind(Sig(params, f"`{key}`", ("", 0)), call, None)
        t = view.type_of(path, call.callee, call.scope)
        if isinstance(t, Unknown):
            if t.missing and "exists" in self._wanted() and isinstance(rtype, (
                    Instance, ClassDef, ModuleRef)):
                names = [call.attr]
                if self.p.get("callees") and not self._callee_ok(names + _owner_names(rtype,
                                                                                   call.attr)):
                    return _Outcome("ignore")
                return _Outcome("bad", (t.reason,), _defined_at(rtype))
            if literal:
                return _Outcome("unknown", reason=t.reason)
            return _Outcome("ignore")
        if isinstance(t, External):
            key = _signature_key(sigs, t.qualname)
            if key is None:
                return _Outcome("ignore")
            return self._bind(Sig(sigs[key], f"`{key}`", ("", 0)), call, None)
        if isinstance(t, FuncDef):
            names = _qualified(t.path, t.fn.qualname)
            if t.owner is not None and t.owner.cls.qualname != t.fn.scope:
                # a method inherited from a base, looked up on ``t.owner``: ``Owner.method``
                names += _qualified(t.owner.path, f"{t.owner.cls.qualname}.{t.fn.name}")
            if not self._callee_ok(names):
                return _Outcome("ignore")
            twice = _rebound(view, t.path, t.fn.scope, t.fn.name)
            if twice:
                return self._undecided(f"`{t.fn.qualname}` is {twice}")
            bound = isinstance(rtype, Instance) or (
                isinstance(rtype, ClassDef) and "classmethod" in t.fn.decorators)
            if isinstance(rtype, ClassDef) and "staticmethod" not in t.fn.decorators \
                    and "classmethod" not in t.fn.decorators and t.owner is not None:
                bound = False  # ``Cls.method(obj, ...)``: self is passed explicitly
            sig = function_signature(t, bound)
            return self._bind(sig, call, t)
        if isinstance(t, ClassDef):
            if not self._callee_ok(_qualified(t.path, t.cls.qualname)):
                return _Outcome("ignore")
            twice = _rebound(view, t.path, t.cls.scope, t.cls.name)
            if twice:
                return self._undecided(f"`{t.cls.qualname}` is {twice}")
            return self._bind(class_signature(view, t), call, None)
        return _Outcome("ignore")

    def _bind(self, sig: Sig | Skip, call: CallFact, fd: FuncDef | None) -> _Outcome:
        if isinstance(sig, Skip):
            return self._undecided(sig.reason)
        problems: list[str] = []
        keywords = [k for k, _ in call.kwargs]
        arguments = "arguments" in self._wanted()
        if arguments:
            problems.extend(bind(sig, len(call.args), keywords, call.star_args,
                                 call.star_kwargs))
        if fd is not None and "await" in self._wanted():
            problems.extend(_await_problems(fd, call))
        where = sig.where if sig.where[0] else None
        if not problems and arguments and (call.star_args or call.star_kwargs) and \
                not binds_whatever_unpacked(sig, keywords, call.star_args, call.star_kwargs):
            what = " and ".join(w for w, on in (("`*args`", call.star_args),
                                                ("`**mapping`", call.star_kwargs)) if on)
            return self._undecided(f"the call unpacks {what}: whether what they hold binds to "
                                   f"{sig.label} is not known")
        return _Outcome("bad" if problems else "ok", tuple(problems), where)

    def _undecided(self, reason: str) -> _Outcome:
        """A call to a project callee that cannot be judged: undecided when the rule names
        its callees, else left out (a rule over all calls judges what it can)."""
        if not self.p.get("callees"):
            return _Outcome("ignore")
        return _Outcome("unknown", reason=reason)

    def _missing_imports(self, view: ProjectView, path: str, imp: ImportFact):
        """Names a ``from project_module import name`` asks for that the module lacks."""
        if imp.kind != "from":
            return
        module = absolute_from(imp, path)
        hit = view.module_file(module) if module else None
        if hit is None or hit[1] is None:
            return
        for n in imp.names:
            if n.name == "*":
                continue
            if self.p.get("callees") and not self._callee_ok([n.name, f"{module}.{n.name}"]):
                continue
            sym = view.member(module, n.name)
            if isinstance(sym, Unknown) and sym.missing:
                yield (f"`{imp.text}`: module `{module}` ({hit[0]}) defines no `{n.name}`",
                       imp.span)


def _signature_key(sigs: dict[str, Any], qualname: str) -> str | None:
    if qualname in sigs:
        return qualname
    for k in sigs:
        if qualname.endswith("." + k) or k.endswith("." + qualname):
            return k
    # ``mlflow.tracking.MlflowClient`` imported as ``mlflow.MlflowClient``: match the tail
    tail = ".".join(qualname.split(".")[-2:])
    for k in sigs:
        if k.endswith("." + tail) or k == tail:
            return k
    return None


def _rebound(view: ProjectView, path: str, scope: str, name: str) -> str:
    """Why the definition found for ``name`` may not be the one that runs ("" if it is)."""
    fi = view.file(path)
    lines = fi.rebound(scope, name) if fi is not None else []
    if not lines:
        return ""
    return (f"bound by {len(lines)} statements in {path} (lines "
            f"{', '.join(map(str, lines))}): which one the call reaches depends on the code path")


def _aliased(view: ProjectView, path: str, call: CallFact) -> list[str]:
    """The names a plain-name call stands for in its file: the imported name of an import
    alias (``from m import f as g``: ``f``), the class of a module alias (``Alias = Cls``), the
    class ``cls`` is in a classmethod."""
    if "." in call.callee or not call.callee.isidentifier():
        return []
    if call.callee == "cls":  # ``cls(...)`` in a classmethod constructs the class
        t = view.type_of(path, "cls", call.scope)
        return [t.cls.name] if isinstance(t, ClassDef) else []
    fi = view.file(path)
    if fi is None:
        return []
    out: list[str] = []
    name = call.callee
    for _ in range(3):
        hit = fi.imports.get(("", name)) or fi.imports.get((call.scope, name))
        if hit is not None:
            imp, target = hit
            if imp.kind == "from":
                out.append(target)
            break
        assigns = fi.assigns.get(("", name)) or ()
        refs = [a.value.name for a in assigns if isinstance(a.value, Ref)]
        if len(refs) != 1 or len(assigns) != 1:
            break
        name = refs[0].rsplit(".", 1)[-1]
        out.append(name)
    return out


def _qualified(path: str, qualname: str) -> list[str]:
    names = [qualname, qualname.rsplit(".", 1)[-1]]
    names += [f"{m}.{qualname}" for m in module_names(path, False) + module_names(path, True)]
    return names


def _owner_names(rtype: Any, attr: str) -> list[str]:
    if isinstance(rtype, Instance):
        return [f"{rtype.cls.cls.name}.{attr}"]
    if isinstance(rtype, ClassDef):
        return [f"{rtype.cls.name}.{attr}"]
    if isinstance(rtype, ModuleRef):
        return [f"{rtype.name}.{attr}"]
    return []


def _defined_at(rtype: Any) -> tuple[str, int] | None:
    if isinstance(rtype, Instance):
        return rtype.cls.path, rtype.cls.cls.span.line
    if isinstance(rtype, ClassDef):
        return rtype.path, rtype.cls.span.line
    if isinstance(rtype, ModuleRef) and rtype.path:
        return rtype.path, 1
    return None


def _await_problems(fd: FuncDef, call: CallFact) -> list[str]:
    fn = fd.fn
    if any(d.endswith("contextmanager") for d in fn.decorators):
        return []
    if call.awaited and not fn.is_async:
        ann = fn.return_annotation.strip("'\"")
        head = ann.split("[")[0]
        awaitable = head in _AWAITABLE or head.rsplit(".", 1)[-1] in _AWAITABLE
        if ann and not awaitable:
            return [f"awaits `{fn.qualname}`, a synchronous function returning `{ann}` (not "
                    "awaitable: TypeError when the call runs)"]
        if not ann and fn.returns and all(_plain_value(r) for r in fn.returns):
            return [f"awaits `{fn.qualname}`, a synchronous function that returns a plain "
                    "value (not awaitable: TypeError when the call runs)"]
    if fn.is_async and not fn.yields and call.discarded and not call.awaited:
        return [f"calls `async def {fn.qualname}` without awaiting it: the coroutine is dropped "
                "and its body never runs"]
    return []


def _plain_value(v: Any) -> bool:
    from ..facts.model import DictValue, Seq

    return v is None or isinstance(v, (str, int, float, bool, DictValue, Seq))
