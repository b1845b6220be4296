"""What a call must look like: the signature of a project callable, as CPython would bind it.

``call-contract`` asks "would this call raise ``TypeError`` when it runs?" for calls whose
callee the project defines. This module answers the first half — the parameters the callee
takes — from facts only:

* a function or method: its ``def`` signature (positional-only, positional-or-keyword,
  ``*args``, keyword-only, ``**kwargs``, which ones have defaults); a method looked up on an
  instance or through ``self``/``cls`` is bound (its first parameter is supplied), a
  ``staticmethod`` is not;
* a class: the ``__init__`` nearest in its project lineage, or the ``__init__`` that
  ``@dataclass`` (``dataclasses``, ``pydantic.dataclasses``), ``attrs`` (``@define``,
  ``@attr.s(auto_attribs=True)``, ``attr.ib()`` fields, leading underscores stripped from init
  names), ``typing.NamedTuple`` and pydantic ``BaseModel`` generate from the class's fields and
  its bases' (in MRO order): field defaults (``x: int = 0``, ``field(default=...)``,
  ``field(default_factory=...)``), ``field(init=False)``, ``kw_only`` (decorator argument,
  ``field(kw_only=True)``, the ``KW_ONLY`` sentinel), ``InitVar[...]`` and ``ClassVar[...]``;
* an external callable the pack describes (``signatures:``, e.g.
  ``{"mlflow.set_experiment_tag": "(key, value)"}``).

Whatever could change a signature and cannot be followed — a decorator that is not known to
keep the signature, ``@overload``, a metaclass, an external base class that supplies
``__init__``, ``__new__`` — makes the signature *unknown* (``Skip`` with the reason): the call
is then not judged, never guessed.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass

from ..facts.model import AssignFact, CallValue, ParamFact, Ref
from .resolve import ClassDef, FuncDef, ProjectView

# decorators that return the function with its signature (or are not about calling it)
TRANSPARENT = frozenset({
    "staticmethod", "classmethod", "abc.abstractmethod", "abstractmethod",
    "functools.lru_cache", "functools.cache", "lru_cache", "cache", "typing.override",
    "typing_extensions.override", "override", "contextlib.contextmanager",
    "contextlib.asynccontextmanager", "contextmanager", "asynccontextmanager",
    "functools.wraps", "typing.final", "final",
})
_DATACLASS = ("dataclasses.dataclass", "dataclass", "pydantic.dataclasses.dataclass")
_ATTRS = ("attr.s", "attr.attrs", "attrs.define", "attrs.frozen", "attrs.mutable",
          "attr.define", "attr.frozen", "attr.mutable", "define", "frozen", "mutable")
_PYDANTIC = ("pydantic.BaseModel", "pydantic.main.BaseModel", "pydantic.v1.BaseModel",
             "BaseModel", "pydantic_settings.BaseSettings")
_NAMEDTUPLE = ("typing.NamedTuple", "NamedTuple", "typing_extensions.NamedTuple")


@dataclass(frozen=True, slots=True)
class Sig:
    """Parameters a call binds to, after the bound ``self``/``cls`` (if any) is taken off.

    ``label`` says what the signature is of (for messages); ``where`` is its definition
    (path, line); ``kwargs_ignored`` is True for pydantic models, which drop unknown keywords
    instead of raising (``extra="ignore"``, their default)."""

    params: tuple[ParamFact, ...]
    label: str
    where: tuple[str, int]
    kwargs_ignored: bool = False
    keyword_only_data: bool = False  # pydantic: the generated __init__ takes keywords only


@dataclass(frozen=True, slots=True)
class Skip:
    """The signature is not known; why."""

    reason: str


def parse_signature(text: str) -> tuple[ParamFact, ...] | None:
    """A pack-written signature ``(a, b=1, *args, c, **kw)`` as parameters (None if invalid)."""
    try:
        tree = ast.parse(f"def _{text.strip()}: pass")
    except SyntaxError:
        return None
    fn = tree.body[0]
    if not isinstance(fn, ast.FunctionDef):
        return None
    a = fn.args
    out: list[ParamFact] = []
    positional = [*a.posonlyargs, *a.args]
    defaults = [False] * (len(positional) - len(a.defaults)) + [True] * len(a.defaults)
    for i, p in enumerate(positional):
        out.append(ParamFact(p.arg, "posonly" if i < len(a.posonlyargs) else "pos",
                             defaults[i]))
    if a.vararg is not None:
        out.append(ParamFact(a.vararg.arg, "vararg"))
    for p, d in zip(a.kwonlyargs, a.kw_defaults):
        out.append(ParamFact(p.arg, "kwonly", d is not None))
    if a.kwarg is not None:
        out.append(ParamFact(a.kwarg.arg, "kwarg"))
    return tuple(out)


def function_signature(fd: FuncDef, bound: bool) -> Sig | Skip:
    fn = fd.fn
    unknown = [d for d in fn.decorators if d not in TRANSPARENT]
    if unknown:
        return Skip(f"`{fn.qualname}` is decorated `@{unknown[0]}`, which may change its "
                    "signature")
    params = fn.signature
    if bound and "staticmethod" not in fn.decorators:
        params = params[1:] if params and params[0].kind in ("posonly", "pos") else params
    return Sig(params, f"`{fn.qualname}`", (fd.path, fn.span.line))


def class_signature(view: ProjectView, cd: ClassDef) -> Sig | Skip:
    """The parameters ``Cls(...)`` takes."""
    lineage, external, unresolved = view.lineage(cd)
    if any(k == "metaclass" for k, _ in cd.cls.keywords):
        return Skip(f"`{cd.cls.name}` has a metaclass")
    for anc in lineage:
        fi = view.file(anc.path)
        if fi is None:
            return Skip(f"{anc.path} was not analysed for this rule")
        own = {q.rsplit(".", 1)[-1]: f for q, f in fi.functions.items()
               if q.rsplit(".", 1)[0] == anc.cls.qualname}
        if "__init__" in own:  # an explicit __init__ wins (dataclass leaves it alone)
            return function_signature(FuncDef(anc.path, own["__init__"], cd), bound=True)
        if "__new__" in own:
            return Skip(f"`{anc.cls.name}` defines `__new__`")
        generated = _generated_init(view, anc, lineage)
        if generated is not None and generated[1]:
            return generated[0]
    if unresolved:
        return Skip(f"`{cd.cls.name}` inherits from `{unresolved[0]}`, which cannot be followed")
    real = [e for e in external if e not in ("builtins.object",)]
    if real:
        pyd = [e for e in real if e in _PYDANTIC or e.endswith(".BaseModel")]
        if pyd:
            return _model_fields(view, cd, lineage, pydantic=True)
        if any(e in _NAMEDTUPLE for e in real):
            return _model_fields(view, cd, lineage, namedtuple=True)
        return Skip(f"`{cd.cls.name}` gets `__init__` from `{real[0]}`, outside the project")
    if any(b.split("[")[0] in _PYDANTIC for anc in lineage for b in anc.cls.bases):
        return _model_fields(view, cd, lineage, pydantic=True)
    if any(b.split("[")[0] in _NAMEDTUPLE for anc in lineage for b in anc.cls.bases):
        return _model_fields(view, cd, lineage, namedtuple=True)
    return Sig((), f"`{cd.cls.name}` (no `__init__`: `object()` takes no arguments)",
               (cd.path, cd.cls.span.line))


def _decorator(anc: ClassDef, names: tuple[str, ...]) -> CallValue | Ref | None:
    for d, v in zip(anc.cls.decorators, anc.cls.decorator_values or ()):
        if d in names:
            return v if isinstance(v, (CallValue, Ref)) else Ref(d)
    return None


def _generated_init(view: ProjectView, anc: ClassDef, lineage: list[ClassDef]
                    ) -> tuple[Sig | Skip, bool] | None:
    """(signature, generates?) when ``anc`` is a dataclass/attrs class; None otherwise
    (``init=False`` generates nothing: the lookup goes on to the bases)."""
    dec = _decorator(anc, _DATACLASS)
    if dec is not None:
        kw = dict(dec.kwargs) if isinstance(dec, CallValue) else {}
        if kw.get("init") is False:
            return Skip("init=False"), False
        idx = lineage.index(anc)
        return _model_fields(view, anc, lineage[idx:], kw_only=kw.get("kw_only") is True,
                             only=_DATACLASS), True
    dec = _decorator(anc, _ATTRS)
    if dec is not None:
        kw = dict(dec.kwargs) if isinstance(dec, CallValue) else {}
        if kw.get("init") is False:
            return Skip("init=False"), False
        idx = lineage.index(anc)
        return _model_fields(view, anc, lineage[idx:], attrs=True,
                             kw_only=kw.get("kw_only") is True, only=_ATTRS), True
    return None


def _field_call(a: AssignFact) -> CallValue | None:
    v = a.value
    if isinstance(v, CallValue) and v.callee.rsplit(".", 1)[-1] in (
            "field", "Field", "ib", "attrib", "attr.ib"):
        return v
    return None


def _model_fields(view: ProjectView, cd: ClassDef, lineage: list[ClassDef], *,
                  kw_only: bool = False, attrs: bool = False, pydantic: bool = False,
                  namedtuple: bool = False, only: tuple[str, ...] = ()) -> Sig | Skip:
    """The generated ``__init__`` of a field-declaring class: its fields and its bases' (base
    fields first, a redefinition keeps the base's position)."""
    fields: dict[str, ParamFact] = {}
    for anc in reversed(lineage):
        if only and _decorator(anc, only) is None:
            continue  # a plain base class's annotations are not fields
        fi = view.file(anc.path)
        if fi is None:
            return Skip(f"{anc.path} was not analysed for this rule")
        sentinel_seen = False
        assigns = sorted((a for (sc, _), lst in fi.assigns.items() if sc == anc.cls.qualname
                          for a in lst if "." not in a.target),
                         key=lambda a: (a.span.line, a.span.column))
        for a in assigns:
            ann = a.annotation.replace(" ", "")
            fc = _field_call(a)
            if not a.annotated and not (attrs and fc is not None):
                continue
            if ann.startswith(("ClassVar", "typing.ClassVar")):
                continue
            if ann in ("KW_ONLY", "dataclasses.KW_ONLY"):
                sentinel_seen = True
                continue
            name = a.target
            kw = dict(fc.kwargs) if fc is not None else {}
            if kw.get("init") is False:
                fields.pop(name, None)
                continue
            if fc is not None:
                has_default = "default" in kw or "default_factory" in kw or "factory" in kw \
                    or (fc.callee.rsplit(".", 1)[-1] == "Field" and bool(fc.args))
            else:
                has_default = a.has_value
            if pydantic and ann.startswith(("Optional[", "typing.Optional[")) and not a.has_value:
                has_default = False  # pydantic v2: Optional without a default is required
            init_name = name.lstrip("_") if attrs else name
            kind = "kwonly" if (kw_only or sentinel_seen or kw.get("kw_only") is True) else "pos"
            fields[name] = ParamFact(init_name, kind, has_default)
    params = list(fields.values())
    # positional parameters first (kw_only fields move to the end, as dataclasses do)
    params = [p for p in params if p.kind == "pos"] + [p for p in params if p.kind == "kwonly"]
    what = "a pydantic model" if pydantic else "a NamedTuple" if namedtuple else (
        "an attrs class" if attrs else "a dataclass")
    label = f"`{cd.cls.name}` ({what})"
    if pydantic:
        return Sig(tuple(ParamFact(p.name, "kwonly", p.has_default) for p in params), label,
                   (cd.path, cd.cls.span.line), kwargs_ignored=True, keyword_only_data=True)
    return Sig(tuple(params), label, (cd.path, cd.cls.span.line))


def bind(sig: Sig, npos: int, keywords: list[str], star_args: bool, star_kwargs: bool
         ) -> list[str]:
    """Why binding these arguments to ``sig`` raises TypeError (empty: it binds)."""
    problems: list[str] = []
    positional = [p for p in sig.params if p.kind in ("posonly", "pos")]
    has_var = any(p.kind == "vararg" for p in sig.params)
    has_kw = any(p.kind == "kwarg" for p in sig.params)
    if sig.keyword_only_data and npos:
        problems.append(f"{sig.label} takes keyword arguments only ({npos} positional given)")
        return problems
    if npos > len(positional) and not has_var:
        problems.append(f"{sig.label} takes {len(positional)} positional argument"
                        f"{'s' * (len(positional) != 1)}, {npos} given")
    filled = {p.name for p in positional[:npos]}
    by_name = {p.name: p for p in sig.params if p.kind in ("pos", "kwonly")}
    unknown = []
    for k in keywords:
        if k in filled:
            problems.append(f"{sig.label} got multiple values for `{k}`")
        elif k in by_name:
            filled.add(k)
        elif not has_kw and not sig.kwargs_ignored:
            unknown.append(k)
    if unknown:
        names = ", ".join(f"`{k}`" for k in unknown)
        problems.append(f"{sig.label} has no parameter{'s' * (len(unknown) > 1)} {names}")
    if not (star_args or star_kwargs):
        missing = [p.name for p in sig.params if p.kind in ("posonly", "pos", "kwonly")
                   and not p.has_default and p.name not in filled]
        if missing:
            names = ", ".join(f"`{m}`" for m in missing)
            problems.append(f"{sig.label} requires {names}, not given")
    return problems
