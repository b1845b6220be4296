"""Resolving the callables a LangGraph-style graph is made of, from facts (state-flow, routing).

A node is the callable given to ``add_node``, a router the one given to
``add_conditional_edges``. ``Resolver.resolve`` finds its definition the way a reader does, and
says why wherever it cannot (``Unknown`` with a reason: never a guess):

a function (defined in the file, nested in the builder, or imported: through ``ProjectView``),
a bound method (``obj.execute`` with ``obj = RubricNode(...)`` — also when ``obj`` is
``RubricNode(...) if flag else None`` —, ``RubricNode(...).execute``, ``self.method``), a
callable instance (``__call__``), a lambda, a factory's product (``create_initializer("x")``
returning a nested function), and a callable wrapped by a decorator applied explicitly
(``traced_node("x")(fn)``, ``functools.partial(fn, ...)``, a library decorator called on a
project function). Wrappers are looked through: a decorator is taken to pass the state to the
function it wraps and to return its result, as tracing decorators do (the same reading as a
decorated ``def``).

``Impl`` is what a callable resolves to; the helpers at the top render places for messages.
"""

from __future__ import annotations

import posixpath
from dataclasses import dataclass
from typing import Iterable

from ..facts.model import CallFact, CallValue, FunctionFact, LambdaFact, PythonFacts, Ref, Value
from ..facts.model import Unknown as UnknownValue
from ..types import Span
from .base import RuleContext
from .pyindex import show
from .resolve import (ClassDef, External, FuncDef, Instance, ProjectIndex, ProjectView, Unknown,
                      VarDef)

MAX_DEPTH = 6
_WRAPPER_QUALNAMES = ("functools.partial", "functools.wraps")
CASTS = ("typing.cast", "typing_extensions.cast")


def view_of(ctx: RuleContext) -> ProjectView:
    """The rule's project view; a view over its scope when the engine gave none (tests)."""
    if ctx.project is not None:
        return ctx.project
    paths = frozenset(f.path for f in ctx.files)
    index = ProjectIndex(ctx.files, ctx.all_paths or paths)
    return ProjectView(index, paths)


def short(path: str, base: str = "") -> str:
    """``path`` relative to the directory ``base`` when it lies under it (messages)."""
    if base and path.startswith(base.rstrip("/") + "/"):
        return path[len(base.rstrip("/")) + 1:]
    return path


def at(path: str, span: Span | None, base: str = "") -> str:
    return f"{short(path, base)}:{span.line}" if span is not None else short(path, base)


def within(inner: Span, outer: Span) -> bool:
    return ((inner.line, inner.column) >= (outer.line, outer.column)
            and (inner.end_line, inner.end_column) <= (outer.end_line, outer.end_column))


# ---------------------------------------------------------------------------------------------
# Implementations
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Impl:
    """A callable the rule can read: a project function or method, or a lambda."""

    path: str
    fn: FunctionFact | None = None
    lam: LambdaFact | None = None
    wrapped_by: str = ""  # "traced_node(...)" when a wrapper was looked through

    @property
    def key(self) -> tuple[str, str]:
        if self.fn is not None:
            return self.path, self.fn.qualname
        s = self.lam.span  # type: ignore[union-attr]
        return self.path, f"<lambda {s.line}:{s.column}>"

    @property
    def span(self) -> Span:
        return self.fn.span if self.fn is not None else self.lam.span  # type: ignore[union-attr]

    @property
    def label(self) -> str:
        if self.fn is not None:
            return self.fn.qualname.replace(".<locals>.", ".")
        text = self.lam.text if self.lam is not None else "lambda"
        return text if len(text) <= 70 else text[:67] + "..."

    @property
    def scope(self) -> str:
        """The scope whose facts are this callable's own."""
        return self.fn.qualname if self.fn is not None else self.lam.scope  # type: ignore


def positional_params(fn: FunctionFact) -> list[str]:
    sig = fn.signature
    if sig:
        return [p.name for p in sig if p.kind in ("posonly", "pos")]
    return list(fn.params)


class Resolver:
    """Callable resolution over one rule's project view."""

    def __init__(self, view: ProjectView) -> None:
        self.view = view

    def facts(self, path: str) -> PythonFacts | None:
        fi = self.view.file(path)
        return fi.facts if fi is not None else None

    def is_method(self, path: str, fn: FunctionFact) -> bool:
        fi = self.view.file(path)
        return bool(fi and fn.scope and fn.scope in fi.classes
                    and "staticmethod" not in fn.decorators)

    def state_param(self, impl: Impl) -> str | None:
        """The parameter a node receives the state in: the first positional one (after
        ``self``/``cls`` of a method)."""
        if impl.lam is not None:
            return impl.lam.params[0] if impl.lam.params else None
        names = positional_params(impl.fn)  # type: ignore[arg-type]
        if self.is_method(impl.path, impl.fn):  # type: ignore[arg-type]
            names = names[1:]
        return names[0] if names else None

    # -- resolving callables --------------------------------------------------------------------
    def resolve(self, path: str, v: Value, scope: str, within_span: Span | None = None,
                depth: int = 0) -> Impl | Unknown:
        """The callable a value (an ``add_node`` action, a router) is, or why not known."""
        if depth > MAX_DEPTH:
            return Unknown(f"`{show(v)}` goes through too many indirections")
        if isinstance(v, UnknownValue) and v.text.startswith("lambda"):
            lam = self._lambda(path, v.text, scope, within_span)
            return lam if lam is not None else Unknown(f"lambda `{v.text[:40]}` not found")
        if isinstance(v, Ref):
            return self._resolve_ref(path, v.name, scope, depth)
        if isinstance(v, CallValue):
            return self._resolve_call(path, v, scope, within_span, depth)
        return Unknown(f"`{show(v)}` is not a function the rule can follow")

    def _lambda(self, path: str, text: str, scope: str, span: Span | None) -> Impl | None:
        facts = self.facts(path)
        if facts is None:
            return None
        for lam in facts.lambdas:
            if lam.scope == scope and lam.text == text and (
                    span is None or within(lam.span, span)):
                return Impl(path, lam=lam)
        return None

    def _resolve_ref(self, path: str, name: str, scope: str, depth: int) -> Impl | Unknown:
        if "." not in name:
            sym = self.view.resolve_name(path, name, scope)
            return self._from_symbol(sym, name, depth)
        t = self.view.type_of(path, name, scope)
        if isinstance(t, FuncDef):
            return Impl(t.path, t.fn)
        if isinstance(t, Instance):
            return self._callable_instance(t.cls, name)
        if isinstance(t, Unknown):
            # ``obj.method`` where ``obj = Cls(...) if flag else None``: the branches agree
            alt = self._via_alternatives(path, name, scope)
            if alt is not None:
                return alt
            return t
        if isinstance(t, External):
            return Unknown(f"`{name}` comes from outside the project (`{t.qualname}`)")
        return Unknown(f"`{name}` is not a function")

    def _via_alternatives(self, path: str, name: str, scope: str) -> Impl | Unknown | None:
        head, _, rest = name.partition(".")
        if not rest or "(" in head:
            return None
        fi = self.view.file(path)
        if fi is None:
            return None
        assigns = fi.assigns.get((scope, head)) or []
        alts = [v for a in assigns for v in a.alternatives if v is not None]
        if not alts or any(not a.alternatives for a in assigns if a.value is not None):
            return None
        found: list[Impl] = []
        for v in alts:
            t = self.view.value_type(path, v, scope)
            for part in rest.split("."):
                t = self.view.attribute(t, part)
            if not isinstance(t, FuncDef):
                return Unknown(f"`{head}` may be `{show(v)}`, whose `{rest}` cannot be followed")
            found.append(Impl(t.path, t.fn))
        if any(f.key != found[0].key for f in found[1:]):
            return Unknown(f"`{name}` may be one of several functions")
        return found[0]

    def _callable_instance(self, cls: ClassDef, what: str) -> Impl | Unknown:
        m = self.view.class_member(cls, "__call__")
        if isinstance(m, FuncDef):
            return Impl(m.path, m.fn)
        return Unknown(f"`{what}` is a `{cls.cls.name}` object without a `__call__` the rule "
                       "can read")

    def _from_symbol(self, sym, name: str, depth: int) -> Impl | Unknown:
        if isinstance(sym, FuncDef):
            return Impl(sym.path, sym.fn)
        if isinstance(sym, VarDef):
            return self._from_variable(sym, depth)
        if isinstance(sym, External):
            return Unknown(f"`{name}` is imported from outside the project (`{sym.qualname}`)")
        if isinstance(sym, ClassDef):
            return Unknown(f"`{name}` is a class: calling it builds an object, not a state "
                           "update")
        if isinstance(sym, Unknown):
            return sym
        return Unknown(f"`{name}` is not a function")

    def _from_variable(self, var: VarDef, depth: int) -> Impl | Unknown:
        fi = self.view.file(var.path)
        assigns = fi.assigns.get((var.assign.scope, var.assign.target), ()) if fi else ()
        found: list[Impl] = []
        for a in assigns or (var.assign,):
            values = a.alternatives or ((a.value,) if a.has_value else ())
            for v in values:
                if v is None:
                    continue
                got = self.resolve(var.path, v, a.scope, a.span, depth + 1)
                if isinstance(got, Unknown):
                    return got
                found.append(got)
        if not found:
            return Unknown(f"`{var.assign.target}` is never bound to a function")
        if any(f.key != found[0].key for f in found[1:]):
            return Unknown(f"`{var.assign.target}` is bound to different functions")
        return found[0]

    def _resolve_call(self, path: str, c: CallValue, scope: str, span: Span | None,
                      depth: int) -> Impl | Unknown:
        # a wrapper applied explicitly: traced_node("x")(fn), functools.partial(fn, ...)
        wrapper = c.callee.endswith("()") or c.qualname in _WRAPPER_QUALNAMES or \
            c.callee in ("partial", "wraps")
        callee_t = None if c.callee.endswith("()") else self.view.type_of(path, c.callee, scope)
        if not wrapper and isinstance(callee_t, External):
            wrapper = True  # a library decorator applied by a call: lib.trace(fn)
        if wrapper:
            inner = [self.resolve(path, a, scope, span, depth + 1) for a in c.args[:1]]
            if inner and isinstance(inner[0], Impl):
                i = inner[0]
                return Impl(i.path, i.fn, i.lam, wrapped_by=f"{c.callee.rstrip('()')}(...)")
            return inner[0] if inner else Unknown(f"`{c.callee}(...)` wraps nothing")
        if isinstance(callee_t, FuncDef):
            # a decorator applied by a call (its argument is a project function), else a
            # factory: the node is the function it returns
            for a in c.args[:1]:
                got = self.resolve(path, a, scope, span, depth + 1)
                if isinstance(got, Impl):
                    return Impl(got.path, got.fn, got.lam, wrapped_by=f"{c.callee}(...)")
            return self._product(callee_t, depth)
        if isinstance(callee_t, (Instance, ClassDef)):
            cls = callee_t.cls if isinstance(callee_t, Instance) else callee_t
            if isinstance(callee_t, ClassDef):
                return self._callable_instance(cls, f"{c.callee}(...)")
            return Unknown(f"`{c.callee}(...)` calls an object")
        if isinstance(callee_t, Unknown):
            return callee_t
        return Unknown(f"`{c.callee}(...)` cannot be followed")

    def _product(self, factory: FuncDef, depth: int) -> Impl | Unknown:
        """The function a factory returns (all its returns must agree)."""
        found: list[Impl] = []
        for r in factory.fn.returns:
            if r is None:
                continue
            got = self.resolve(factory.path, r, factory.fn.qualname, None, depth + 1)
            if isinstance(got, Unknown):
                return Unknown(f"what `{factory.fn.qualname}` returns cannot be followed "
                               f"({got.reason})")
            found.append(got)
        if not found:
            return Unknown(f"`{factory.fn.qualname}` returns no function")
        if any(f.key != found[0].key for f in found[1:]):
            return Unknown(f"`{factory.fn.qualname}` returns different functions")
        return found[0]

    def callee(self, path: str, call: CallFact) -> FuncDef | Unknown:
        """The project function a call in ``path`` calls."""
        if call.callee.startswith("(") or "[]" in call.callee:
            return Unknown(f"`{call.callee}` is not a plain callee")
        t = self.view.type_of(path, call.callee, call.scope)
        if isinstance(t, FuncDef):
            return t
        if isinstance(t, Unknown):
            return t
        return Unknown(f"`{call.callee}` is not a project function")


def uncast(v: Value) -> Value:
    """``typing.cast(T, x)`` is ``x``."""
    if isinstance(v, CallValue) and v.qualname in CASTS and len(v.args) == 2:
        return v.args[1]
    return v


def describe_impl(impl: Impl, base: str = "") -> str:
    wrapped = f", wrapped by `{impl.wrapped_by}`" if impl.wrapped_by else ""
    return f"`{impl.label}` ({at(impl.path, impl.span, base)}{wrapped})"


def unique(items: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(items))


def base_dir(path: str) -> str:
    return posixpath.dirname(path)
