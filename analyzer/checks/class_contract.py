"""class-contract: a class (and/or module-level functions) in scope must have a given shape.

Automates checkboxes such as "singleton pattern via ``get_opik_connector()``", "async context
manager (``async with connector.start_run()``)", "circuit breaker states CLOSED / OPEN /
HALF_OPEN", "``log_params()`` ... ``transition_model_stage()`` present".

Decisions (copied into the README):

* **Which class.** ``class`` is a class name (or a dotted qualname for a nested class) looked up
  in every file in scope; a module-level definition wins over a nested one, and the first file
  in path order wins over later ones. Not defined anywhere in scope: FAIL.
* **Inheritance.** Methods and attributes inherited from base classes *defined in scope* count
  (``class MLflowConnector(BaseConnector)`` with ``BaseConnector.log_params`` in another file in
  scope). A base that is not in scope (an SDK class, a module outside the rule's include) may
  provide anything, so a missing method or attribute is then UNKNOWN, never a guess.
* **methods** must be defined with ``def`` or ``async def`` in the class body (also under
  ``if``/``try`` in the body) or an in-scope ancestor.
* **async_context_managers**: each named method must be usable as ``async with obj.m(...)``:
  decorated ``@asynccontextmanager`` (``contextlib``, resolved through imports and aliases) and
  an ``async def`` that yields; or a plain ``def`` returning an instance of an in-scope class
  that defines (or inherits) ``__aenter__`` and ``__aexit__``, or returning ``self`` when the
  class itself does. An ``async def`` without the decorator returns a coroutine: not a context
  manager. A return value that cannot be followed (``return self._client.span()``) is UNKNOWN.
* **singleton** is proved by one of: ``__new__`` (or a classmethod accessor) that returns a
  cached class attribute (``return cls._instance``) after testing it (``if cls._instance is
  None``) and assigning it in the same method; a module-level accessor that declares
  ``global _x``, tests ``_x``, assigns ``_x = Cls(...)`` and returns ``_x``; or a module-level
  function decorated ``functools.lru_cache``/``functools.cache`` that returns ``Cls(...)``.
  A class with a metaclass or class decorator that is not proven otherwise is UNKNOWN (a
  singleton metaclass cannot be verified statically).
* **accessor**: a module-level function with that name must exist in scope and be one of the
  caching accessors above (for ``class`` when given), or return ``Cls()`` / ``Cls.m()`` where the
  class is itself a proven singleton.
* **enum_members**: the class must subclass ``enum.Enum``/``StrEnum``/``IntEnum``/``Flag``/
  ``IntFlag`` (resolved through imports, or through an in-scope enum base) and assign each member
  at class level (exact names).
* **bases**: each entry must be a direct or in-scope indirect base, by written name, last
  component or resolved qualified name (``Enum`` matches ``enum.Enum``).
* **attributes**: class-level assignments and annotations (dataclass/pydantic fields, with or
  without default), properties, in the class or an in-scope ancestor.
* **module_functions**: module-level functions (``def``/``async def``) defined in some file in
  scope, or imported into it from the project (checked, with the evidence, where they are
  defined; an import that cannot be followed is UNKNOWN). The same holds for the ``accessor``.

Every missing item is named in the finding, which points at the class definition (or, for
module-level functions and the class itself, at the package). Evidence: where each required
item was found.
"""

from __future__ import annotations

import re
from fnmatch import fnmatchcase
from typing import Any

from ..facts.model import CallValue, FunctionFact, Ref
from ..types import CheckResult, Location, Severity
from .params import opt, params
from .base import CheckKind, RuleContext
from .pyindex import ENUM_BASES, ClassRef, PyIndex, empty_scope, undecidable_note, word_in

_ACM_DECORATORS = ("contextlib.asynccontextmanager", "contextlib2.asynccontextmanager",
                   "async_generator.asynccontextmanager")
_ACM_BASES = ("contextlib.AbstractAsyncContextManager", "typing.AsyncContextManager")
_CACHE_DECORATORS = ("functools.lru_cache", "functools.cache")
_PROPERTY_DECORATORS = ("property", "functools.cached_property", "cached_property")
_LIST_PARAMS = ("methods", "async_context_managers", "enum_members", "bases", "module_functions",
                "attributes")
_GLOB = set("*?[")


def _literal_run(name: str) -> str:
    """The longest literal run of a (possibly globbed) name: what its source text must hold."""
    runs = [r for r in re.split(r"\[[^\]]*\]|[*?]", name) if r]
    return max(runs, key=len) if runs else name


class _Verdict:
    """Accumulates the outcome of one evaluation: findings, evidence, undecidable reasons."""

    def __init__(self, ctx: RuleContext) -> None:
        self.ctx = ctx
        self.findings: list = []
        self.evidence: list[Location] = []
        self.unknown: list[str] = []

    def fail(self, path: str, span: Any, message: str) -> None:
        self.findings.append(self.ctx.finding(path, span, message, source=message))

    def maybe(self, path: str, span: Any, message: str) -> None:
        self.unknown.append(message)
        self.findings.append(self.ctx.finding(path, span, message, source=message,
                                              severity=Severity.INFO))

    def ok(self, path: str, span: Any) -> None:
        self.evidence.append(Location(path, span))


@params
class ClassContractParams:
    """The `check:` parameters of `class-contract`."""

    class_: str | None = opt(
        None, key="class",
        doc="The class name (or dotted qualname of a nested class).")
    methods: list[str] | None = opt(
        None,
        doc="Methods that must be defined (sync or async), inherited ones count.")
    async_context_managers: list[str] | None = opt(
        None,
        doc="Methods that must be usable as `async with obj.m()`.")
    singleton: bool = opt(
        False,
        doc="The class must be a singleton (cached `__new__`/classmethod, caching "
            "module accessor, or lru_cache accessor).")
    accessor: str | None = opt(
        None,
        doc="Module-level function that must exist and return the cached instance.")
    enum_members: list[str] | None = opt(
        None,
        doc="The class must be an Enum defining these members.")
    bases: list[str] | None = opt(
        None,
        doc="Base classes the class must have (direct or in-scope indirect).")
    module_functions: list[str] | None = opt(
        None, was=("functions",),
        doc="Module-level functions that must be defined somewhere in scope (`functions` is a "
            "filter in the other kinds, hence the name).")
    attributes: list[str] | None = opt(
        None,
        doc="Class-level attributes / dataclass fields / properties that must exist "
            "(a glob such as `ragas_*` asks for at least one matching attribute).")
    through_yield: bool = opt(
        False,
        doc="`methods` and `async_context_managers` may also be defined on the class of "
            "the object one of the class's context managers yields (`async with "
            "tracer.trace() as ctx: ctx.trace_phase(...)`).")


class ClassContract(CheckKind):
    kind = "class-contract"
    # the class may be defined where the scope imports it from: resolved on demand
    uses_project = True
    summary = ("A class (methods, async context managers, singleton, enum members, bases, "
               "attributes) and module-level functions/accessor must be defined in scope.")
    Params = ClassContractParams
    valid_examples = (
        '{kind: class-contract, class: OpikConnector, methods: [trace_agent, log_metric], singleton: true, accessor: get_opik_connector}',
        '{kind: class-contract, module_functions: [get_opik_connector, reset_connectors]}',
    )
    invalid_examples = (
        ('{kind: class-contract, functions: [get_opik_connector]}',
         "is now spelled 'module_functions'"),
        ('{kind: class-contract, class: C, methods: trace_agent}',
         'check.methods must be list'),
    )
    example = """\
- code: E2I301
  name: opik-connector-contract
  phase: 3
  severity: error
  message: OpikConnector does not honour its contract
  where:
    include: [src/mlops/opik_connector.py]
  check:
    kind: class-contract
    class: OpikConnector
    methods: [trace_agent, trace_llm_call, log_metric, log_feedback, get_status]
    async_context_managers: [trace_agent]
    singleton: true
    accessor: get_opik_connector
"""

    @classmethod
    def validate(cls, params):  # type: ignore[override]
        errs = []
        has_list = {k: bool(params.get(k)) for k in _LIST_PARAMS}
        if not params.get("class") and not params.get("accessor") and \
                not has_list["module_functions"]:
            errs.append("give `class`, `accessor` or `module_functions` (nothing to check)")
        needs_class = [k for k in ("methods", "async_context_managers", "enum_members", "bases",
                                   "attributes") if has_list[k]]
        if needs_class and not params.get("class"):
            errs.append(f"{', '.join(needs_class)}: need `class`")
        if params.get("singleton") and not params.get("class"):
            errs.append("singleton: needs `class`")
        if params.get("class") and not (params.get("singleton") or params.get("accessor")
                                        or any(has_list.values())):
            errs.append("class: give at least one assertion (methods, async_context_managers, "
                        "singleton, accessor, enum_members, bases, attributes or module_functions)")
        for key in ("class", "accessor"):
            val = params.get(key)
            globbed = key == "class" and val and _GLOB & set(val)
            if val and not all(p.isidentifier() for p in (
                    val.replace("*", "x").replace("?", "x") if globbed else val).split(".")):
                errs.append(f"{key}: {val!r} is not a (dotted) identifier or class-name glob")
        for key in _LIST_PARAMS:
            for item in params.get(key) or ():
                text = item.replace("*", "x").replace("?", "x") if key == "attributes" else item
                if not all(p.isidentifier() for p in text.split(".")):
                    errs.append(f"{key}: {item!r} is not an identifier")
        return errs

    def patterns(self) -> tuple[str, ...]:
        # A class (and any in-scope base or returned context-manager class) is defined with
        # the word `class`; a caching accessor in another file instantiates the class by name;
        # module-level functions/accessors contain their own names.
        pats = set(self.p.get("module_functions") or ())
        if self.p.get("accessor"):
            pats.add(self.p["accessor"])
        if self.p.get("class"):
            pats.update(("class", _literal_run(self.p["class"].rsplit(".", 1)[-1])))
        return tuple(sorted(pats))

    # -- evaluation ---------------------------------------------------------------------------
    def evaluate(self, ctx: RuleContext) -> CheckResult:
        if not ctx.files:
            return self.result(ctx, [empty_scope(ctx, self._expected())])
        idx = PyIndex(ctx.files, ctx.project)
        v = _Verdict(ctx)
        partial = bool(ctx.undecidable())
        name = self.p.get("class")
        target: ClassRef | None = None
        if name:
            candidates, why = self._candidates(idx, name)
            if candidates:
                # several classes may match a glob: the first that meets the contract decides,
                # else the first one is reported
                trials = []
                for cand in candidates:
                    trial = _Verdict(ctx)
                    trial.ok(cand.path, cand.cls.span)
                    self._check_class(idx, cand, trial)
                    trials.append((cand, trial))
                    if not any(f.severity is not Severity.INFO for f in trial.findings):
                        break
                target, chosen = next(((c, t) for c, t in trials if not any(
                    f.severity is not Severity.INFO for f in t.findings)), trials[0])
                v.findings.extend(chosen.findings)
                v.evidence.extend(chosen.evidence)
                v.unknown.extend(chosen.unknown)
            elif partial:
                v.unknown.append(undecidable_note(ctx, f"class `{name}` not found"))
            elif why:
                v.maybe(ctx.anchor_path(), None, f"class `{name}` could not be followed: {why}")
            else:
                where = ctx.scope_hint or ctx.anchor_path()
                looked = " or imported" if ctx.project is not None else ""
                v.fail(ctx.anchor_path(), None,
                       f"class `{name}` is not defined{looked} in {where}")
        self._check_functions(ctx, idx, v, partial)
        if self.p.get("accessor"):
            self._check_accessor(ctx, idx, v, target, partial)
        failing = sum(1 for f in v.findings if f.severity is not Severity.INFO)
        note = "; ".join(v.unknown[:3]) if v.unknown and not failing else (
            f"{failing} problem(s), {len(v.evidence)} item(s) verified" if failing
            else f"{len(v.evidence)} item(s) verified")
        return self.result(ctx, v.findings, v.evidence, note=note, undecided=bool(v.unknown))

    @staticmethod
    def _candidates(idx: PyIndex, name: str) -> tuple[list[ClassRef], str]:
        """Classes ``name`` (a name, dotted qualname or glob) means in scope: defined in the
        scope's files (module level first), else imported there (at their definition)."""
        if _GLOB & set(name):
            found = [c for cs in idx._classes.values() for c in cs
                     if fnmatchcase(c.cls.name, name) and "<locals>" not in c.cls.qualname]
            found.sort(key=lambda c: (c.cls.scope != "", c.path, c.cls.span.line))
            if idx.project is not None:
                bound = sorted({n.asname or n.name for x in idx.files for imp in x.facts.imports
                                if imp.kind == "from" for n in imp.names
                                if fnmatchcase(n.asname or n.name, name)})
                for b in bound:
                    hit, _ = idx.imported_class(b)
                    if hit is not None and hit not in found:
                        found.append(hit)
            return found, ""
        found = [c for c in idx.find_class(name) if "<locals>" not in c.cls.qualname]
        if found:
            return found[:1], ""
        hit, why = idx.imported_class(name) if "." not in name else (None, "")
        return ([hit] if hit is not None else []), why

    def _expected(self) -> str:
        if self.p.get("class"):
            return f"class `{self.p['class']}`"
        names = list(self.p.get("module_functions") or ()) + ([self.p["accessor"]]
                                                      if self.p.get("accessor") else [])
        return ", ".join(f"`{n}()`" for n in names)

    def _check_class(self, idx: PyIndex, ref: ClassRef, v: _Verdict) -> None:
        lineage, unresolved = idx.lineage(ref)
        methods: dict[str, tuple[ClassRef, FunctionFact]] = {}
        for anc in lineage:
            for fn in idx.methods(anc):
                methods.setdefault(fn.name, (anc, fn))
        if self.p.get("through_yield") and idx.project is not None:
            from .resolve import ClassDef

            for _cm, yc in idx.project.yielded_classes(ClassDef(ref.path, ref.cls)):
                ycref = ClassRef(yc.path, yc.cls)
                for anc in idx.lineage(ycref)[0]:
                    for fn in idx.methods(anc):
                        methods.setdefault(fn.name, (anc, fn))
        cname = ref.cls.name
        maybe_inherited = (f"; it may be inherited from {', '.join(f'`{b}`' for b in unresolved)}"
                           f" (not in scope)") if unresolved else ""

        def missing(kind: str, names: list[str]) -> None:
            if not names:
                return
            listed = ", ".join(f"`{n}`" for n in names)
            msg = f"class `{cname}` is missing {kind}: {listed}"
            if unresolved:
                v.maybe(ref.path, ref.cls.span, msg + maybe_inherited)
            else:
                v.fail(ref.path, ref.cls.span, msg)

        # methods
        gone = []
        for m in self.p.get("methods") or ():
            if m in methods:
                anc, fn = methods[m]
                v.ok(anc.path, fn.span)
            else:
                gone.append(m)
        missing("method(s)", gone)
        # async context managers
        gone = []
        for m in self.p.get("async_context_managers") or ():
            if m not in methods:
                gone.append(m)
                continue
            anc, fn = methods[m]
            verdict, why = self._acm(idx, ref, fn)
            if verdict == "yes":
                v.ok(anc.path, fn.span)
            elif verdict == "unknown":
                v.maybe(anc.path, fn.span, f"`{cname}.{m}` may not be an async context "
                                           f"manager: {why}")
            else:
                v.fail(anc.path, fn.span, f"`{cname}.{m}` is not an async context manager: "
                                          f"{why}")
        missing("async context manager method(s)", gone)
        # singleton
        if self.p.get("singleton"):
            self._check_singleton(idx, ref, lineage, v)
        # enum members
        if self.p.get("enum_members"):
            self._check_enum(idx, ref, v)
        # bases
        gone = []
        for b in self.p.get("bases") or ():
            hit = self._find_base(lineage, b)
            if hit is not None:
                v.ok(hit.path, hit.cls.span)
            else:
                gone.append(b)
        if gone:
            listed = ", ".join(f"`{b}`" for b in gone)
            msg = f"class `{cname}` does not subclass {listed}"
            if unresolved:
                v.maybe(ref.path, ref.cls.span, msg + f" (unless through "
                        f"{', '.join(f'`{b}`' for b in unresolved)}, not in scope)")
            else:
                have = ", ".join(ref.cls.bases) or "none"
                v.fail(ref.path, ref.cls.span, msg + f" (bases: {have})")
        # attributes
        gone = []
        for a in self.p.get("attributes") or ():
            loc = self._attribute(idx, lineage, a)
            if loc is not None:
                v.ok(*loc)
            else:
                gone.append(a)
        missing("attribute(s)", gone)

    @staticmethod
    def _find_base(lineage: list[ClassRef], want: str) -> ClassRef | None:
        for anc in lineage:
            for base in anc.cls.bases:
                base = base.split("[")[0]
                if base == want or base.endswith("." + want) or (
                        "." not in want and base.rsplit(".", 1)[-1] == want):
                    return anc
        return None

    @staticmethod
    def _attribute(idx: PyIndex, lineage: list[ClassRef], name: str) -> tuple[str, Any] | None:
        """Where the attribute (or, for a glob, the first matching one) is defined."""
        same = fnmatchcase if _GLOB & set(name) else str.__eq__
        for anc in lineage:
            for a in idx.class_assigns(anc):
                if same(a.target, name):
                    return anc.path, a.span
            for fn in idx.methods(anc):
                if same(fn.name, name) and any(d in _PROPERTY_DECORATORS or d.endswith(
                        ".setter") for d in fn.decorators):
                    return anc.path, fn.span
        return None

    # -- async context managers -----------------------------------------------------------------
    def _is_acm_class(self, idx: PyIndex, ref: ClassRef) -> str:
        """"yes" / "no" / "unknown": does the class define (or inherit) __aenter__/__aexit__?"""
        lineage, unresolved = idx.lineage(ref)
        names = {fn.name for anc in lineage for fn in idx.methods(anc)}
        bases = {b for anc in lineage for b in anc.cls.bases}
        if any(b in _ACM_BASES for b in bases):
            names.add("__aenter__")
        if {"__aenter__", "__aexit__"} <= names:
            return "yes"
        return "unknown" if unresolved else "no"

    def _acm(self, idx: PyIndex, owner: ClassRef, fn: FunctionFact) -> tuple[str, str]:
        decorated = [d for d in fn.decorators if d in _ACM_DECORATORS]
        if decorated:
            if fn.is_async and fn.yields:
                return "yes", ""
            shape = "an async def without yield" if fn.is_async else "not an async def"
            return "no", f"decorated `@{decorated[0]}` but {shape} (must be an async generator)"
        if fn.is_async:
            if fn.yields:
                return "no", ("an async generator without `@asynccontextmanager` (supports "
                              "`async for`, not `async with`)")
            return "no", ("`async def` without `@asynccontextmanager` returns a coroutine, "
                          "not an async context manager")
        unknown = []
        checked = []
        for r in fn.returns:
            if isinstance(r, Ref) and r.name == "self":
                verdict = self._is_acm_class(idx, owner)
                if verdict == "yes":
                    return "yes", ""
                checked.append(f"returns `self`, and `{owner.cls.name}` does not define "
                               "`__aenter__`/`__aexit__`")
                if verdict == "unknown":
                    unknown.append(f"`{owner.cls.name}` inherits from classes not in scope")
                continue
            if isinstance(r, CallValue):
                cname = r.callee if "." not in r.callee else ""
                hits = idx.find_class(cname, prefer_path=owner.path) if cname else []
                if hits:
                    verdict = self._is_acm_class(idx, hits[0])
                    if verdict == "yes":
                        return "yes", ""
                    if verdict == "unknown":
                        unknown.append(f"returns `{r.callee}(...)`, whose bases are not in scope")
                    else:
                        checked.append(f"returns `{r.callee}(...)`, which has no "
                                       "`__aenter__`/`__aexit__`")
                    continue
                unknown.append(f"returns `{r.callee}(...)`, which cannot be followed statically")
                continue
            if isinstance(r, Ref):
                unknown.append(f"returns `{r.name}`, which cannot be followed statically")
                continue
            checked.append("returns a literal value")
        if unknown:
            return "unknown", "; ".join(unknown)
        if checked:
            return "no", "; ".join(checked)
        extra = f" (decorators: {', '.join(fn.decorators)})" if fn.decorators else ""
        return "no", ("a plain method without `@asynccontextmanager` that returns no context "
                      f"manager{extra}")

    # -- singleton -----------------------------------------------------------------------------
    def _cached_in_class(self, idx: PyIndex, lineage: list[ClassRef],
                         cname: str) -> tuple[ClassRef, FunctionFact] | None:
        """A method returning a class attribute it tests and assigns (``__new__``/accessor)."""
        for anc in lineage:
            for fn in idx.methods(anc):
                if fn.name != "__new__" and not any(
                        d in ("classmethod", "staticmethod") for d in fn.decorators):
                    continue
                assigns = {a.target for a in idx.facts(anc.path).assigns
                           if a.scope == fn.qualname and a.has_value}
                for r in fn.returns:
                    if not isinstance(r, Ref) or r.name.count(".") != 1:
                        continue
                    head, attr = r.name.split(".")
                    if head not in ("cls", cname, anc.cls.name):
                        continue
                    if r.name in assigns and any(word_in(attr, c) for c in fn.conditions):
                        return anc, fn
        return None

    def _caching_accessor(self, idx: PyIndex, path: str, fn: FunctionFact,
                          cname: str | None) -> bool:
        """Module-level ``global X; if X is None: X = Cls(); return X``, or an lru_cache."""
        def makes(value: Any) -> bool:
            return isinstance(value, CallValue) and (
                cname is None or value.callee.rsplit(".", 1)[-1] == cname)

        if any(d in _CACHE_DECORATORS for d in fn.decorators):
            return any(makes(r) for r in fn.returns)
        facts = idx.facts(path)
        for r in fn.returns:
            if not isinstance(r, Ref) or r.name not in fn.globals_declared:
                continue
            made = any(a.target == r.name and a.scope == fn.qualname and makes(a.value)
                       for a in facts.assigns)
            if made and any(word_in(r.name, c) for c in fn.conditions):
                return True
        return False

    def _check_singleton(self, idx: PyIndex, ref: ClassRef, lineage: list[ClassRef],
                         v: _Verdict) -> None:
        cname = ref.cls.name
        hit = self._cached_in_class(idx, lineage, cname)
        if hit is not None:
            v.ok(hit[0].path, hit[1].span)
            return
        for x in idx.files:
            for fn in x.facts.functions:
                if fn.scope == "" and self._caching_accessor(idx, x.path, fn, cname):
                    v.ok(x.path, fn.span)
                    return
        special = [f"metaclass {val}" for k, val in ref.cls.keywords if k == "metaclass"]
        special += [f"decorator @{d}" for d in ref.cls.decorators
                    if d not in ("dataclasses.dataclass", "dataclass")]
        special += [f"base {b} (not in scope)" for b in idx.lineage(ref)[1]]
        if special:
            v.maybe(ref.path, ref.cls.span, f"class `{cname}` uses {', '.join(special)}; "
                                            "whether it makes a singleton cannot be verified")
            return
        v.fail(ref.path, ref.cls.span, (
            f"class `{cname}` is not a singleton: found no `__new__` or classmethod returning a "
            "cached class attribute it tests, no module-level accessor caching an instance in "
            "a global (`global _x; if _x is None: _x = Cls(); return _x`), and no "
            "`@lru_cache`/`@cache` accessor returning `Cls()`"))

    def _check_accessor(self, ctx: RuleContext, idx: PyIndex, v: _Verdict,
                        target: ClassRef | None, partial: bool) -> None:
        name = self.p["accessor"]
        cname = target.cls.name if target is not None else self.p.get("class")
        if cname and "." in cname:
            cname = cname.rsplit(".", 1)[-1]
        found = list(idx.module_functions(name))
        why = ""
        if not found:
            # imported into the scope: checked where it is defined
            hit, why = idx.imported_function(name)
            found = [hit] if hit is not None else []
        if not found:
            msg = f"accessor `{name}()` is not defined at module level"
            if why:
                v.maybe(ctx.anchor_path(), None, f"{msg} in scope and its import could not be "
                                                 f"followed: {why}")
            elif partial:
                v.unknown.append(undecidable_note(ctx, msg))
            else:
                v.fail(ctx.anchor_path(), None, msg + f" in {ctx.scope_hint or ctx.anchor_path()}")
            return
        path, fn = found[0]
        if self._caching_accessor(idx, path, fn, cname):
            v.ok(path, fn.span)
            return
        if target is not None:
            lineage, _ = idx.lineage(target)
            cached = self._cached_in_class(idx, lineage, target.cls.name)
            for r in fn.returns:
                if not isinstance(r, CallValue) or cached is None:
                    continue
                parts = r.callee.split(".")
                if parts == [cname] or parts == [cname, cached[1].name]:
                    v.ok(path, fn.span)
                    return
        what = f"`{cname}`" if cname else "an instance"
        returns = ", ".join(sorted({_ret(r) for r in fn.returns})) or "nothing"
        v.fail(path, fn.span, (
            f"accessor `{name}()` does not cache {what}: expected `global _x; if _x is None: "
            f"_x = {cname or 'Cls'}(); return _x` or `@lru_cache` returning "
            f"`{cname or 'Cls'}()`; it returns {returns}"))

    def _check_functions(self, ctx: RuleContext, idx: PyIndex, v: _Verdict,
                         partial: bool) -> None:
        gone = []
        for name in self.p.get("module_functions") or ():
            hits = list(idx.module_functions(name))
            if not hits:
                hit, why = idx.imported_function(name)
                if hit is None and why:
                    v.maybe(ctx.anchor_path(), None,
                            f"module-level function `{name}` could not be followed: {why}")
                    continue
                hits = [hit] if hit is not None else []
            if hits:
                v.ok(hits[0][0], hits[0][1].span)
            else:
                gone.append(name)
        if not gone:
            return
        msg = (f"module-level function(s) not defined in {ctx.scope_hint or ctx.anchor_path()}: "
               + ", ".join(f"`{g}`" for g in gone))
        if partial:
            v.unknown.append(undecidable_note(ctx, msg))
        else:
            v.fail(ctx.anchor_path(), None, msg)

    def _check_enum(self, idx: PyIndex, ref: ClassRef, v: _Verdict) -> None:
        cname = ref.cls.name
        verdict = self._is_enum(idx, ref, set())
        if verdict != "yes":
            bases = ", ".join(ref.cls.bases) or "none"
            msg = f"class `{cname}` is not an Enum (bases: {bases})"
            if verdict == "unknown":
                v.maybe(ref.path, ref.cls.span, msg.replace("is not", "is not known to be")
                        + "; a base is not in scope")
            else:
                v.fail(ref.path, ref.cls.span, msg)
            return
        members = {a.target: a for a in idx.class_assigns(ref)
                   if a.has_value and not a.target.startswith("_")}
        gone = []
        for m in self.p["enum_members"]:
            if m in members:
                v.ok(ref.path, members[m].span)
            else:
                gone.append(m)
        if gone:
            have = ", ".join(sorted(members)) or "none"
            v.fail(ref.path, ref.cls.span, f"enum `{cname}` is missing member(s): "
                                           f"{', '.join(f'`{g}`' for g in gone)} (has: {have})")

    def _is_enum(self, idx: PyIndex, ref: ClassRef, seen: set) -> str:
        key = (ref.path, ref.cls.qualname)
        if key in seen:
            return "no"
        seen.add(key)
        unknown = False
        for base in ref.cls.bases:
            if base in ENUM_BASES:
                return "yes"
            hit = idx.resolve_base(base, ref.path)
            if hit is not None:
                sub = self._is_enum(idx, hit, seen)
                if sub == "yes":
                    return "yes"
                unknown = unknown or sub == "unknown"
            elif "." in base and base.rsplit(".", 1)[-1].endswith(("Enum", "Flag")):
                return "yes"  # an imported enum base (e.g. a StrEnum backport)
            elif base not in ("str", "int", "object"):
                unknown = True
        return "unknown" if unknown else "no"


def _ret(r: Any) -> str:
    if isinstance(r, CallValue):
        return f"`{r.callee}(...)`"
    if isinstance(r, Ref):
        return f"`{r.name}`"
    return f"`{r!r}`"
