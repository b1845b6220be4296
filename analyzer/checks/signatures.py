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

Binding follows CPython: a positional-only name given by keyword is an error unless the callee
takes ``**kwargs`` (which then receives it); a method bound to its instance or class that
declares no positional parameter for it (``def m(*, a)``) gets one positional argument too many.
``__new__`` takes the constructor's arguments too: when it is annotated to return the class
(``-> "Cls"``, ``-> Self``) or returns what the resolver follows to an instance of it
(``cls._instance``), the arguments must bind to it and to ``__init__``.

An abstract class (an ``ABC`` lineage known in full, single inheritance, with an
``@abstractmethod`` its nearest definition leaves unimplemented) cannot be instantiated
whatever the arguments.

Whatever could change a signature and cannot be followed — a function decorator that is not
known to keep the signature, a class decorator that is not known to return the class
(``dataclass``/attrs, ``runtime_checkable``, ``total_ordering``, ``final``, ``enum.unique``
are), ``@overload``, a metaclass other than ``ABCMeta`` anywhere in the lineage, ``__init__``/
``__new__``/``__call__`` assigned in a class body, an external base class that supplies
``__init__`` (or, for a dataclass or attrs class, fields; builtin bases such as ``Exception``
have none), a ``__new__`` that may return something else than an instance — makes the
signature *unknown* (``Skip`` with the reason): the call is then not judged, never guessed. A call that unpacks
``*args``/``**mapping`` is judged only on what fails whatever they hold (``bind``).
"""

from __future__ import annotations

import ast
import builtins
from dataclasses import dataclass

from ..facts.model import AssignFact, CallValue, ParamFact, Ref
from .resolve import ClassDef, FuncDef, Instance, ProjectView

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
# metaclasses that do not change what calling the class does (beyond refusing abstract classes)
_ABC_META = frozenset({"abc.ABCMeta", "ABCMeta"})
# class decorators that return the class they are given, its constructor unchanged
_CLASS_TRANSPARENT = frozenset({
    "typing.runtime_checkable", "typing_extensions.runtime_checkable", "runtime_checkable",
    "typing.final", "typing_extensions.final", "final", "functools.total_ordering",
    "total_ordering", "enum.unique", "unique", "typing.type_check_only",
})


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
    # 1 for a method bound to its instance (or class) that declares no positional parameter
    # for it (``def m(*, a)``): the instance is one positional argument more than it takes
    bound_extra: int = 0
    # further signatures the same arguments must bind to (``__new__`` beside ``__init__``)
    also: tuple["Sig", ...] = ()
    # problems whatever the arguments (an abstract class instantiated)
    always: tuple[str, ...] = ()


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
    if len({p.name for p in out}) != len(out):
        return None  # ``(a, a)``: CPython rejects a duplicate parameter name
    return tuple(out)


def function_signature(fd: FuncDef, bound: bool) -> Sig | Skip:
    fn = fd.fn
    unknown = [d for d in fn.decorators if d not in TRANSPARENT]
    if unknown:
        return Skip(f"`{fn.qualname}` is decorated `@{unknown[0]}`, which may change its "
                    "signature")
    params = fn.signature
    extra = 0
    if bound and "staticmethod" not in fn.decorators:
        if params and params[0].kind in ("posonly", "pos"):
            params = params[1:]
        elif not any(p.kind == "vararg" for p in params):
            extra = 1  # ``def m(*, a)`` called on an instance: the instance has no parameter
    return Sig(params, f"`{fn.qualname}`", (fd.path, fn.span.line), bound_extra=extra)


def class_signature(view: ProjectView, cd: ClassDef) -> Sig | Skip:
    """The parameters ``Cls(...)`` takes: those of the nearest ``__init__`` (explicit, or the
    one a dataclass/attrs decorator generates), and of the nearest ``__new__`` if a class of
    the lineage defines one — ``type.__call__`` passes the arguments to both."""
    lineage, external, unresolved = view.lineage(cd)
    for anc in lineage:
        meta = [v for k, v in anc.cls.keywords if k == "metaclass"]
        if meta and meta[0] not in _ABC_META:
            return Skip(f"`{anc.cls.name}` has a metaclass (`{meta[0]}`), which may change "
                        "what calling the class does")
        odd = [d for d in anc.cls.decorators if d not in _CLASS_TRANSPARENT
               and d not in _DATACLASS and d not in _ATTRS]
        if odd:
            return Skip(f"`{anc.cls.name}` is decorated `@{odd[0]}`, which may replace the "
                        "class or its constructor")
        fi = view.file(anc.path)
        assigned = [n for n in ("__init__", "__new__", "__call__")
                    if fi is not None and (anc.cls.qualname, n) in fi.assigns]
        if assigned:
            return Skip(f"`{anc.cls.name}` assigns `{assigned[0]}` in its body (not a `def`)")
    sig = _constructor(view, cd, lineage, external, unresolved)
    abstract = _abstract_methods(view, cd, lineage, external, unresolved)
    if abstract and isinstance(sig, Sig):
        names = ", ".join(f"`{a}`" for a in abstract)
        return Sig(sig.params, sig.label, sig.where, sig.kwargs_ignored, sig.keyword_only_data,
                   sig.bound_extra, sig.also, always=(
                       f"`{cd.cls.name}` is abstract (abstract method{'s' * (len(abstract) > 1)}"
                       f" {names} not implemented): instantiating it raises TypeError",))
    return sig


def _abstract_methods(view: ProjectView, cd: ClassDef, lineage: list[ClassDef],
                      external: list[str], unresolved: list[str]) -> list[str]:
    """The abstract methods ``cd`` leaves unimplemented when its lineage is an ABC
    (``ABC`` base or ``ABCMeta`` metaclass) known in full ([] otherwise)."""
    if [e for e in external if e not in ("abc.ABC", "builtins.object")] or unresolved:
        return []
    if any(len(view.bases(anc)[0]) > 1 for anc in lineage):
        return []  # several project bases: the method resolution order is not followed here
    if not any(b.split("[")[0] in ("ABC", "abc.ABC") for anc in lineage for b in anc.cls.bases) \
            and not any(v in _ABC_META for anc in lineage for k, v in anc.cls.keywords
                        if k == "metaclass"):
        return []
    nearest: dict[str, bool] = {}
    for anc in lineage:  # nearest definition first (single inheritance order)
        fi = view.file(anc.path)
        if fi is None:
            return []
        prefix = anc.cls.qualname + "."
        for q, fn in fi.functions.items():
            if q.startswith(prefix) and "." not in q[len(prefix):]:
                nearest.setdefault(fn.name, any(d in ("abstractmethod", "abc.abstractmethod")
                                                for d in fn.decorators))
        for (sc, name), _ in fi.assigns.items():
            if sc == anc.cls.qualname:
                nearest.setdefault(name, False)
    return sorted(n for n, abstract in nearest.items() if abstract)


def _constructor(view: ProjectView, cd: ClassDef, lineage: list[ClassDef],
                 external: list[str], unresolved: list[str]) -> Sig | Skip:
    init: Sig | Skip | None = None
    new: FuncDef | None = None
    for anc in lineage:
        fi = view.file(anc.path)
        if fi is None:
            return Skip(f"{anc.path} was not analysed for this rule")
        own = {q.rsplit(".", 1)[-1]: f for q, f in fi.functions.items()
               if q.rsplit(".", 1)[0] == anc.cls.qualname}
        if new is None and "__new__" in own:
            new = FuncDef(anc.path, own["__new__"], cd)
        if init is None:
            if "__init__" in own:  # an explicit __init__ wins (dataclass leaves it alone)
                init = function_signature(FuncDef(anc.path, own["__init__"], cd), bound=True)
            else:
                generated = _generated_init(view, anc, lineage)
                if generated is not None and generated[1]:
                    init = generated[0]
        if init is not None and new is not None:
            break
    if new is not None:
        return _with_new(view, cd, new, init, bool(external or unresolved))
    if init is not None:
        return init
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


def _with_new(view: ProjectView, cd: ClassDef, new: FuncDef, init: Sig | Skip | None,
              beyond: bool) -> Sig | Skip:
    """The constructor of a class whose lineage defines ``__new__``: ``__init__`` runs (with
    the same arguments) only when ``__new__`` returns an instance of the class, which is known
    when it is annotated so (``-> "Cls"``, ``-> Self``) or returns ``cls._instance``-like
    values the resolver follows to the class; otherwise the signature is not known."""
    fn = new.fn
    ann = fn.return_annotation.strip("'\"")
    if ann in ("Self", "typing.Self", "typing_extensions.Self"):
        returns = True
    else:
        got = view.call_result(new)
        returns = got == Instance(cd)
    if not returns:
        return Skip(f"`{new.fn.qualname}` ({new.path}:{fn.span.line}) may return something "
                    "else than an instance of the class: whether `__init__` runs is not known")
    new_sig = function_signature(new, bound=True)  # ``cls`` is supplied
    if isinstance(new_sig, Skip):
        return new_sig
    if init is None:
        if beyond:
            return Skip(f"`{cd.cls.name}` may get `__init__` from a base outside the project")
        return new_sig  # ``object.__init__`` accepts whatever ``__new__`` accepted
    if isinstance(init, Skip):
        return init
    return Sig(init.params, init.label, init.where, init.kwargs_ignored,
               init.keyword_only_data, init.bound_extra, also=(new_sig,), always=init.always)


def _decorator(anc: ClassDef, names: tuple[str, ...]) -> CallValue | Ref | None:
    for d, v in zip(anc.cls.decorators, anc.cls.decorator_values or ()):
        if d in names:
            return v if isinstance(v, (CallValue, Ref)) else Ref(d)
    return None


def _generated_init(view: ProjectView, anc: ClassDef, lineage: list[ClassDef]
                    ) -> tuple[Sig | Skip, bool] | None:
    """(signature, generates?) when ``anc`` is a dataclass/attrs class; None otherwise
    (``init=False`` generates nothing: the lookup goes on to the bases)."""
    dec = _decorator(anc, _DATACLASS) or _decorator(anc, _ATTRS)
    if dec is not None:
        _, external, unresolved = view.lineage(anc)
        beyond = [b for b in [*external, *unresolved]
                  if b.split("[")[0] not in ("builtins.object",) and not _builtin(b)]
        if beyond:
            return Skip(f"`{anc.cls.name}` may inherit fields from `{beyond[0]}`, outside the "
                        "project"), True
    dec = _decorator(anc, _DATACLASS)
    if dec is not None:
        kw = dict(dec.kwargs) if isinstance(dec, CallValue) else {}
        if kw.get("init") is False:
            return Skip("init=False"), False
        idx = lineage.index(anc)
        return _model_fields(view, anc, lineage[idx:], only=_DATACLASS), True
    dec = _decorator(anc, _ATTRS)
    if dec is not None:
        kw = dict(dec.kwargs) if isinstance(dec, CallValue) else {}
        if kw.get("init") is False:
            return Skip("init=False"), False
        idx = lineage.index(anc)
        return _model_fields(view, anc, lineage[idx:], attrs=True, only=_ATTRS), True
    return None


def _builtin(base: str) -> bool:
    """A base class from ``builtins`` (``Exception``, ``dict``): it declares no fields."""
    name = base.split("[")[0]
    if name.startswith("builtins."):
        name = name[len("builtins."):]
    return "." not in name and isinstance(getattr(builtins, name, None), type)


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
        own_kw_only = kw_only
        if only:
            dec = _decorator(anc, only)
            if dec is None:
                continue  # a plain base class's annotations are not fields
            # ``kw_only`` of a decorator applies to the fields of its own class only
            own_kw_only = isinstance(dec, CallValue) and dict(dec.kwargs).get("kw_only") is True
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
            kind = "kwonly" if (own_kw_only or sentinel_seen or kw.get("kw_only") is True) \
                else "pos"
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
    """Why binding these arguments to ``sig`` raises TypeError (empty: it binds).

    With ``*args``/``**mapping`` at the call, only what fails whatever they hold is reported
    (too many positionals, an unknown keyword, a value given twice); whether the unpacked
    values fill the required parameters is not judged (``binds_whatever_unpacked``)."""
    problems: list[str] = list(sig.always)
    positional = [p for p in sig.params if p.kind in ("posonly", "pos")]
    has_var = any(p.kind == "vararg" for p in sig.params)
    has_kw = any(p.kind == "kwarg" for p in sig.params)
    if sig.keyword_only_data and npos:
        problems.append(f"{sig.label} takes keyword arguments only ({npos} positional given)")
        return problems
    if sig.bound_extra and not has_var:  # then it has no positional parameter at all
        problems.append(f"{sig.label} has no parameter for the instance or class it is bound "
                        f"to (`self`/`cls`): {npos + 1} positional argument"
                        f"{'s' * (npos != 0)} given with it, none taken")
    elif npos > len(positional) and not has_var:
        problems.append(f"{sig.label} takes {len(positional)} positional argument"
                        f"{'s' * (len(positional) != 1)}, {npos} given")
    filled = {p.name for p in positional[:npos]}
    by_name = {p.name: p for p in sig.params if p.kind in ("pos", "kwonly")}
    posonly = {p.name for p in positional if p.kind == "posonly"}
    unknown = []
    as_keyword = []
    for k in keywords:
        if k in by_name:
            if k in filled:
                problems.append(f"{sig.label} got multiple values for `{k}`")
            else:
                filled.add(k)
        elif has_kw or sig.kwargs_ignored:
            continue  # into ``**kwargs`` (a positional-only name too)
        elif k in posonly:
            as_keyword.append(k)
        else:
            unknown.append(k)
    if as_keyword:
        names = ", ".join(f"`{k}`" for k in as_keyword)
        problems.append(f"{sig.label} takes {names} positionally only (given by keyword)")
    if unknown:
        names = ", ".join(f"`{k}`" for k in unknown)
        problems.append(f"{sig.label} has no parameter{'s' * (len(unknown) > 1)} {names}")
    if not (star_args or star_kwargs):
        missing = [p.name for p in sig.params if p.kind in ("posonly", "pos", "kwonly")
                   and not p.has_default and p.name not in filled]
        if missing:
            names = ", ".join(f"`{m}`" for m in missing)
            problems.append(f"{sig.label} requires {names}, not given")
    for other in sig.also:
        problems.extend(p for p in bind(other, npos, keywords, star_args, star_kwargs)
                        if p not in problems)
    return problems


def binds_whatever_unpacked(sig: Sig, keywords: list[str], star_args: bool,
                            star_kwargs: bool) -> bool:
    """Does a call that unpacks ``*args``/``**mapping`` bind whatever they hold? Only when the
    callee takes nothing but ``*args``/``**kwargs`` (a ``**mapping`` beside explicit keywords
    may repeat one of them)."""
    if any(p.kind != "vararg" and p.kind != "kwarg" for p in sig.params) or sig.also \
            or sig.bound_extra or sig.keyword_only_data or sig.always:
        return False
    if star_args and not any(p.kind == "vararg" for p in sig.params):
        return False
    if star_kwargs and (keywords or not any(p.kind == "kwarg" for p in sig.params)):
        return False
    return True
