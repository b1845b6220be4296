"""Which files the project's Python code loads, and where: readers, loader functions, defaults.

``config-contract`` needs, for each config file, the places that load it. A file is *loaded*
where a path naming it (``checks/pathexpr.py``) reaches a **reader**:

* ``open(p)`` / ``io.open`` / ``codecs.open`` / ``aiofiles.open`` (not for writing: a literal
  mode with ``w``, ``a`` or ``x``), ``p.open()``, ``p.read_text()``, ``p.read_bytes()``;
* a call matching the rule's ``readers`` patterns (path-taking loaders such as
  ``OmegaConf.load(p)``);
* a **project function that does** — followed to a fixpoint: a function whose reader takes its
  parameter ``q`` loads whatever each caller passes for ``q``; a function that substitutes a
  path when ``q`` is not given (``if q is None: q = DEFAULT``, ``q or DEFAULT``, a default
  value ``q="config/x.yaml"``) loads that path *at each call that omits q* (or passes
  ``None``); a function passing its own parameter on is such a loader in turn (and inherits
  the callee's default when its parameter defaults to ``None``). ``self.x`` set from a
  constructor parameter makes the constructor's callers supply the path.

So a load is attributed to a **call site**: the reader itself when its path does not depend on
a parameter (a module constant, a literal), else the call that supplies (or omits) the path. A
loader function that nobody calls loads nothing. Whether the code around a load site runs is
not judged (no reachability): a reader in a function is a load wherever the function is.

Loads are also marked **parsed as YAML** when the reader's result goes to ``yaml.safe_load`` /
``yaml.load`` / ``full_load`` (nested, or through the ``with ... as f`` / assigned name), so an
unresolvable path can be told apart from reading a CSV.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Iterable, Sequence

from ..facts.model import CallFact, CallValue, FunctionFact, PythonFacts, Ref, Unknown, Value
from ..types import Span
from .pathexpr import Cand, PathEval, argument, join, param_offset, resolve_callee, \
    suffix_cand
from .resolve import FuncDef, ProjectView

OPENERS = frozenset({"open", "io.open", "codecs.open", "aiofiles.open", "builtins.open"})
METHOD_READERS = frozenset({"read_text", "read_bytes", "open"})
YAML_PARSERS = frozenset({"yaml.safe_load", "yaml.load", "yaml.full_load", "yaml.unsafe_load",
                          "yaml.safe_load_all", "yaml.load_all", "yaml.full_load_all"})
_ROUNDS = 8


@dataclass(frozen=True, slots=True)
class Load:
    """One place where the code loads the file(s) ``cand`` names.

    ``path``/``span``/``scope``: the call site (a reader, or a call of a loader function);
    ``chain``: the loader functions between it and the reader ("`load_cfg` (loader.py:30)");
    ``yaml``: the reader's result is parsed as YAML; ``maybe``: the call may not omit the
    parameter whose default this is (``*args``/``**kwargs``); ``call``: the call at the site;
    ``reader``: (path, scope, reader call) of the reader itself."""

    cand: Cand
    path: str
    span: Span
    scope: str
    chain: tuple[str, ...] = ()
    yaml: bool = False
    maybe: bool = False
    call: CallFact | None = None
    reader: tuple[str, str, CallFact] | None = None

    @property
    def main(self) -> bool:
        """The load happens in a script entry point (``if __name__ == "__main__":``)."""
        return self.call is not None and self.call.in_main


@dataclass
class Summary:
    """What calling a function loads: per parameter, the suffixes joined after its value
    (``by_param``), and the paths used when it is omitted (``defaults``)."""

    by_param: dict[str, list[tuple[str, bool, tuple[str, ...], tuple[str, str, CallFact]]]] = \
        field(default_factory=dict)
    defaults: dict[str, list[tuple[Cand, bool, tuple[str, ...], tuple[str, str, CallFact]]]] = \
        field(default_factory=dict)

    def size(self) -> int:
        return sum(len(v) for v in self.by_param.values()) + sum(
            len(v) for v in self.defaults.values())


def _call_value(c: CallFact) -> CallValue:
    return CallValue(c.callee, c.qualname, c.args, c.kwargs, c.receiver)


class LoadFinder:
    """Every load in the Python files a rule may consult (see the module docstring)."""

    def __init__(self, view: ProjectView, extra_readers: Callable[[CallFact], bool] | None = None
                 ) -> None:
        self.view = view
        self.ev = PathEval(view)
        self.extra = extra_readers
        self.summaries: dict[tuple[str, str], Summary] = {}
        self.loads: list[Load] = []
        self.opaque_readers = 0
        self._callee: dict[tuple[str, int, int], FuncDef | None] = {}

    # -- readers ------------------------------------------------------------------------------
    def reader_path(self, c: CallFact) -> Value | None:
        """The path argument of a reader call, None when the call is no reader."""
        if c.context != "call":
            return None
        name = c.qualname or c.callee
        if name in OPENERS or c.callee in OPENERS:
            mode = c.args[1] if len(c.args) > 1 else dict(c.kwargs).get("mode")
            if isinstance(mode, str) and any(ch in mode for ch in "wax"):
                return None
            return c.args[0] if c.args else dict(c.kwargs).get("file")
        if c.attr in METHOD_READERS and c.receiver is not None and "." in c.callee:
            if c.attr == "open":
                mode = c.args[0] if c.args else dict(c.kwargs).get("mode")
                if isinstance(mode, str) and any(ch in mode for ch in "wax"):
                    return None
            return c.receiver
        if self.extra is not None and self.extra(c):
            return c.args[0] if c.args else None
        return None

    @staticmethod
    def parsed_as_yaml(c: CallFact, facts: PythonFacts) -> bool:
        """Does the reader call's result go to a YAML parser in its function?"""
        mine = _call_value(c)
        handles = {a.target for a in facts.assigns if a.scope == c.scope
                   and isinstance(a.value, CallValue) and a.value.callee == c.callee
                   and a.value.args == c.args}
        for p in facts.calls:
            if p.scope != c.scope or (p.qualname or p.callee) not in YAML_PARSERS:
                continue
            for arg in (*p.args, *(v for _, v in p.kwargs)):
                if arg == mine or (isinstance(arg, CallValue) and arg.receiver == mine):
                    return True
                if isinstance(arg, Ref) and arg.name in handles:
                    return True
                if isinstance(arg, CallValue) and isinstance(arg.receiver, Ref) and \
                        arg.receiver.name in handles:  # ``yaml.safe_load(f.read())``
                    return True
        return False

    # -- the fixpoint -------------------------------------------------------------------------
    def run(self, files: Sequence[tuple[str, PythonFacts]]) -> None:
        """Summaries of every function, then the loads at every call site."""
        readers: list[tuple[str, PythonFacts, CallFact, Value, bool]] = []
        for path, facts in files:
            for c in facts.calls:
                arg = self.reader_path(c)
                if arg is not None:
                    readers.append((path, facts, c, arg, self.parsed_as_yaml(c, facts)))
        fixed: list[Load] = []
        for path, facts, c, arg, is_yaml in readers:
            cands = self.ev.value(path, arg, c.scope)
            if c.attr in METHOD_READERS and c.receiver is not None and "." in c.callee and \
                    all(x.kind == "opaque" for x in cands):
                continue  # ``zip.open(name)``, ``webbrowser.open(url)``: not a path
            site = (path, c.scope, c)
            for cand in cands:
                if cand.kind == "param" and cand.fn == c.scope:
                    self._summary(path, c.scope).by_param.setdefault(cand.text, []).append(
                        (cand.suffix, is_yaml, (), site))
                elif cand.kind == "param" and cand.fn.endswith(".__init__") and cand.fn_path:
                    # ``self.path`` set from a constructor parameter: the constructor's
                    # callers give it
                    self._summary(cand.fn_path, cand.fn).by_param.setdefault(
                        cand.text, []).append((cand.suffix, is_yaml, (), site))
                elif cand.default_of and _is_param(facts, c.scope, cand.default_of):
                    self._summary(path, c.scope).defaults.setdefault(cand.default_of, []).append(
                        (Cand(cand.kind, cand.text), is_yaml, (), site))
                elif cand.kind == "param":
                    fixed.append(Load(Cand("opaque", f"parameter `{cand.text}` of `{cand.fn}`"),
                                      path, c.span, c.scope, (), is_yaml, False, c, site))
                else:
                    fixed.append(Load(Cand(cand.kind, cand.text), path, c.span, c.scope, (),
                                      is_yaml, False, c, site))
        # signature defaults of the loader functions found so far (``def f(p="cfg.yaml")``)
        self._signature_defaults()
        calls = [(path, facts, c) for path, facts in files for c in facts.calls
                 if c.context == "call"]
        for _ in range(_ROUNDS):
            before = sum(s.size() for s in self.summaries.values())
            names = self._names()
            for path, facts, c in calls:
                if c.attr not in names:
                    continue
                g = self.callee(path, c)
                if g is None:
                    continue
                gs = self.summaries.get((g.path, g.fn.qualname))
                if gs is None or (g.path, g.fn.qualname) == (path, c.scope):
                    continue
                self._propagate(path, facts, c, g, gs, None)
            self._signature_defaults()
            if sum(s.size() for s in self.summaries.values()) == before:
                break
        loads: list[Load] = list(fixed)
        names = self._names()
        for path, facts, c in calls:
            if c.attr not in names:
                continue
            g = self.callee(path, c)
            if g is None:
                continue
            gs = self.summaries.get((g.path, g.fn.qualname))
            if gs is not None and (g.path, g.fn.qualname) != (path, c.scope):
                self._propagate(path, facts, c, g, gs, loads)
        self.loads = _unique(loads)

    def callee(self, path: str, c: CallFact) -> FuncDef | None:
        key = (path, c.span.line, c.span.column)
        if key not in self._callee:
            self._callee[key] = resolve_callee(self.view, path, c.callee, c.scope)
        return self._callee[key]

    def _names(self) -> set[str]:
        """Call names that may reach a summarised function (a class for its ``__init__``)."""
        out = set()
        for _, q in self.summaries:
            parts = q.split(".")
            out.add(parts[-1])
            if parts[-1] == "__init__" and len(parts) > 1:
                out.add(parts[-2])
        return out

    def _summary(self, path: str, qual: str) -> Summary:
        return self.summaries.setdefault((path, qual), Summary())

    def _signature_defaults(self) -> None:
        for (path, qual), s in list(self.summaries.items()):
            fi = self.view.file(path)
            fn = fi.functions.get(qual) if fi is not None else None
            if fn is None:
                continue
            for p in fn.signature:
                if p.name not in s.by_param or not p.has_default or p.default is None:
                    continue
                have = s.defaults.setdefault(p.name, [])
                for cand in self.ev.value(path, p.default, fn.scope):
                    if cand.kind in ("path", "pattern"):
                        for suffix, is_yaml, chain, site in s.by_param[p.name]:
                            item = (join(Cand(cand.kind, cand.text), suffix_cand(suffix))
                                    if suffix else Cand(cand.kind, cand.text), is_yaml, chain,
                                    site)
                            if item not in have:
                                have.append(item)

    def _propagate(self, path: str, facts: PythonFacts, c: CallFact, g: FuncDef, gs: Summary,
                   loads: list[Load] | None) -> None:
        """Apply what calling ``g`` loads at call ``c`` (in ``path``): to the caller's summary
        (``loads`` None: the fixpoint) or as loads at the call (``loads``)."""
        offset = param_offset(self.view, g)
        kwargs = dict(c.kwargs)
        here = f"`{g.fn.qualname}` ({g.path}:{g.fn.span.line})"
        for q in set(gs.by_param) | set(gs.defaults):
            arg = argument(g.fn, q, c.args, kwargs, offset)
            maybe = arg is None and (c.star_args or c.star_kwargs)
            if arg is None:
                if loads is None:
                    continue
                for cand, is_yaml, chain, site in gs.defaults.get(q, ()):
                    loads.append(Load(cand, path, c.span, c.scope, (here, *chain), is_yaml,
                                      maybe, c, site))
                continue
            cands = self.ev.value(path, arg, c.scope)
            for suffix, is_yaml, chain, site in gs.by_param.get(q, ()):
                for cand in cands:
                    got = join(cand, suffix_cand(suffix)) if suffix else cand
                    if got.kind == "param" and got.fn.endswith(".__init__") and got.fn_path \
                            and got.fn != c.scope:
                        if loads is None:  # ``self.dir`` set in the constructor
                            lst = self._summary(got.fn_path, got.fn).by_param.setdefault(
                                got.text, [])
                            item = (got.suffix, is_yaml, (here, *chain), site)
                            if item not in lst:
                                lst.append(item)
                        continue
                    if got.kind == "param" and got.fn == c.scope:
                        if loads is None:
                            lst = self._summary(path, c.scope).by_param.setdefault(got.text, [])
                            item = (got.suffix, is_yaml, (here, *chain), site)
                            if item not in lst:
                                lst.append(item)
                            for dcand, dy, dchain, dsite in (
                                    gs.defaults.get(q, ()) if _none_default(
                                        facts, c.scope, got.text) else ()):
                                dl = self._summary(path, c.scope).defaults.setdefault(
                                    got.text, [])
                                ditem = (dcand, dy, (here, *dchain), dsite)
                                if ditem not in dl:
                                    dl.append(ditem)
                        continue
                    if got.default_of and _is_param(facts, c.scope, got.default_of):
                        if loads is None:
                            dl = self._summary(path, c.scope).defaults.setdefault(
                                got.default_of, [])
                            ditem = (Cand(got.kind, got.text), is_yaml, (here, *chain), site)
                            if ditem not in dl:
                                dl.append(ditem)
                        continue
                    if loads is not None:
                        if got.kind == "param":
                            got = Cand("opaque", f"parameter `{got.text}` of `{got.fn}`")
                        loads.append(Load(Cand(got.kind, got.text), path, c.span, c.scope,
                                          (here, *chain), is_yaml, False, c, site))


def _none_default(facts: PythonFacts, scope: str, name: str) -> bool:
    """Is parameter ``name`` of ``scope`` optional with a ``None`` default (so a caller that
    omits it passes ``None`` on, and the callee's default applies)?"""
    fn = next((f for f in facts.functions if f.qualname == scope), None)
    p = next((x for x in fn.signature if x.name == name), None) if fn is not None else None
    return p is not None and p.has_default and p.default is None


def _is_param(facts: PythonFacts, scope: str, name: str) -> bool:
    return any(f.qualname == scope and name in f.params for f in facts.functions)


def _unique(loads: Iterable[Load]) -> list[Load]:
    seen = set()
    out = []
    for ld in loads:
        key = (ld.cand, ld.path, ld.span, ld.chain)
        if key not in seen:
            seen.add(key)
            out.append(ld)
    return out


def function_of(facts: PythonFacts, qual: str) -> FunctionFact | None:
    return next((f for f in facts.functions if f.qualname == qual), None)


__all__ = ["Load", "LoadFinder", "Summary", "function_of", "Unknown"]
