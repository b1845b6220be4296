"""What file path a Python expression names, followed the way a reader follows it.

``config-contract`` asks "which config files does the code load"; the paths are written as
``"config/x.yaml"``, ``Path(__file__).parent.parent / "config" / "x.yaml"``,
``os.path.join(os.path.dirname(__file__), "..", "config", "x.yaml")``, a module constant
holding one of those, a parameter default, ``path = config_path or DEFAULT_PATH``. This module
evaluates such expressions to *candidates* (``Cand``):

* ``path``: a path relative to the project root (``__file__`` is the file's own path; a relative
  literal is taken relative to the project root, the working directory the code is run from);
* ``pattern``: a path with unknown parts (an f-string's fields, a directory from an
  environment variable), as an ``fnmatch`` glob (``config/agents/*.yaml``, ``*/kpi.yaml``):
  *some* file matching it;
* ``glob``: *every* file matching a glob the code lists (``for f in d.glob("*.yaml")``);
* ``param``: the value of a parameter of the function being read (its callers decide), with
  ``suffix`` joined after it (``Path(config_dir) / "x.yaml"``);
* ``opaque``: anything that cannot be followed, with the reason.

A path or pattern that only applies when a parameter is not given carries ``default_of``: an
assignment to a parameter inside its function (``if config_path is None: config_path = ...``)
and the right-hand side of ``config_path or DEFAULT`` are the parameter's default, used only by
callers that omit it. Facts keep expressions they cannot represent as source text
(``Unknown``); that text is parsed again here with ``ast`` (an expression, never executed).

Supported operations: ``Path()``/``PurePath()``/``str()``/``os.fspath()``, ``/``,
``os.path.join``, ``.joinpath``, ``.parent``, ``.parents[n]``, ``os.path.dirname``,
``os.path.abspath``/``realpath``/``normpath``, ``.resolve()``/``.absolute()``,
``Path.cwd()``/``os.getcwd()``, ``os.getenv``/``os.environ.get`` (the default, if any, plus an
unknown value), ``a or b``, ``a if c else b``, f-strings, names bound in the function, at module
level or imported from a project module, class attributes, and calls of project functions
(their return values, a returned parameter replaced by the call's argument).
"""

from __future__ import annotations

import ast
import posixpath
from dataclasses import dataclass, replace
from typing import Any, Sequence

from ..facts.model import CallValue, FStr, Ref, Unknown, Value
from ..types import Span
from .resolve import ClassDef, FuncDef, ProjectView, VarDef

_MAX_DEPTH = 10
_MAX_CANDS = 24
_PATH_CTORS = frozenset({"Path", "pathlib.Path", "PurePath", "pathlib.PurePath", "PosixPath",
                         "pathlib.PosixPath", "str", "os.fspath", "os.path.abspath",
                         "os.path.realpath", "os.path.normpath", "os.path.expanduser"})
_IDENTITY_METHODS = frozenset({"resolve", "absolute", "expanduser", "as_posix"})
_CWD = frozenset({"os.getcwd", "Path.cwd", "pathlib.Path.cwd"})
_ENV = frozenset({"os.getenv", "os.environ.get", "getenv", "environ.get"})


@dataclass(frozen=True, slots=True)
class Cand:
    """One thing a path expression may evaluate to (see the module docstring)."""

    kind: str  # "path" | "pattern" | "glob" | "param" | "opaque"
    text: str  # the path / glob / parameter name / reason
    default_of: str = ""  # the parameter whose default this path is ("" = unconditional)
    suffix: str = ""  # for "param": joined after the parameter's value
    fn: str = ""  # for "param": the function (qualname) the parameter belongs to
    fn_path: str = ""  # for "param": the file of that function


def _opaque(why: str) -> list[Cand]:
    return [Cand("opaque", why)]


def _norm(p: str) -> str | None:
    """A root-relative POSIX path; None when it leaves the project (absolute, ``..``, ``~``)."""
    if p.startswith(("/", "~")) or (len(p) > 1 and p[1] == ":"):
        return None
    n = posixpath.normpath(p) if p else ""
    if n == ".":
        n = ""
    if n == ".." or n.startswith("../"):
        return None
    return n


def join(a: Cand, b: Cand) -> Cand:
    """``a / b``."""
    if b.kind == "path" and b.text.startswith(("/", "~")):
        return Cand("opaque", f"an absolute path {b.text!r} (outside the project)")
    if a.kind == "path" and not a.text and not a.default_of:
        return b  # the start of a product: ``Path(x)`` is ``x``
    if a.kind == "opaque":
        if b.kind in ("path", "pattern", "glob") and b.text:
            return Cand("pattern", "*/" + b.text.lstrip("/"), b.default_of or a.default_of)
        return a
    if b.kind in ("opaque", "param"):
        return Cand("opaque", b.text if b.kind == "opaque" else f"`{b.text}` joined after a path")
    if a.kind == "param":
        return replace(a, suffix=posixpath.join(a.suffix, b.text) if a.suffix else b.text,
                       default_of=a.default_of or b.default_of)
    text = posixpath.join(a.text, b.text) if a.text else b.text
    default = a.default_of or b.default_of
    if "glob" in (a.kind, b.kind):
        return Cand("glob" if "pattern" not in (a.kind, b.kind) else "pattern",
                    posixpath.normpath(text) if text else text, default)
    if a.kind == "pattern" or b.kind == "pattern":
        return Cand("pattern", posixpath.normpath(text) if text else text, default)
    n = _norm(text)
    if n is None:
        return Cand("opaque", f"`{text}` is outside the project")
    return Cand("path", n, default)


def suffix_cand(suffix: str) -> Cand:
    """A parameter's suffix as something to join: a glob when it lists files."""
    return Cand("glob" if any(ch in suffix for ch in "*?[") else "path", suffix)


def dirname(a: Cand) -> Cand:
    if a.kind == "path":
        if not a.text:
            return Cand("opaque", "a directory above the project root")
        return replace(a, text=posixpath.dirname(a.text))
    if a.kind == "pattern":
        head = posixpath.dirname(a.text)
        return replace(a, text=head) if head and "*" not in posixpath.basename(a.text) else \
            Cand("opaque", f"the directory of `{a.text}`")
    if a.kind == "param":
        return Cand("opaque", f"the directory of parameter `{a.text}`")
    return a


def _product(parts: Sequence[list[Cand]]) -> list[Cand]:
    out = [Cand("path", "")]
    for cands in parts:
        out = [join(a, b) for a in out for b in cands][:_MAX_CANDS]
    return out


class PathEval:
    """Evaluates path expressions of the project's Python files (see the module docstring)."""

    def __init__(self, view: ProjectView) -> None:
        self.view = view
        self._active: set[tuple[str, str, str]] = set()

    # -- entry points -------------------------------------------------------------------------
    def value(self, path: str, v: Any, scope: str, depth: int = 0,
              within: Span | None = None) -> list[Cand]:
        """Candidates of a facts ``Value`` (or an ``ast`` node) evaluated in ``scope``;
        ``within``: the span of the statement the value is written in, when known."""
        if depth > _MAX_DEPTH:
            return _opaque("the path is built through too many steps")
        out = self._value(path, v, scope, depth, within)
        return _dedupe(out)[:_MAX_CANDS]

    def _value(self, path: str, v: Any, scope: str, depth: int,
               within: Span | None = None) -> list[Cand]:
        if isinstance(v, str):
            return [Cand("path", v)] if not v.startswith(("/", "~")) else _opaque(
                f"{v!r} is outside the project")
        if isinstance(v, Ref):
            if "()" in v.name:
                return self._chain(path, v.name, scope, depth, within)
            return self.name(path, v.name, scope, depth)
        if isinstance(v, CallValue):
            return self.call(path, v.callee, v.qualname, v.receiver, list(v.args),
                             dict(v.kwargs), scope, depth)
        if isinstance(v, (FStr, Unknown)):
            return self._text(path, v.text, scope, depth)
        if isinstance(v, ast.AST):
            return self._ast(path, v, scope, depth)
        if isinstance(v, Cand):
            return [v]
        if v is None:
            return _opaque("None")
        return _opaque(f"a {type(v).__name__} value")

    def _chain(self, path: str, name: str, scope: str, depth: int,
               within: Span | None = None) -> list[Cand]:
        """``Path(__file__).parent.parent`` as a facts ``Ref`` (``Path().parent.parent``: the
        call's arguments are not in the text): the call is found among the scope's calls (all
        calls with that callee there must agree), then the attributes are applied."""
        cut = name.rfind("()")
        prefix, rest = name[:cut], name[cut + 2:].lstrip(".")
        fi = self.view.file(path)
        calls = {(c.args, c.kwargs, c.receiver) for c in (fi.facts.calls if fi else ())
                 if c.scope == scope and c.callee == prefix and c.context == "call"
                 and (within is None or within.line <= c.span.line <= within.end_line)}
        if len(calls) != 1:
            return _opaque(f"`{name}`")
        args, kwargs, receiver = next(iter(calls))
        cands = self.call(path, prefix, "", receiver, list(args), dict(kwargs), scope, depth + 1)
        for part in rest.split(".") if rest else ():
            if part != "parent":
                return _opaque(f"`{name}`")
            cands = [dirname(c) for c in cands]
        return cands

    def _text(self, path: str, text: str, scope: str, depth: int) -> list[Cand]:
        if not text or text.endswith("..."):
            return _opaque(f"`{text or 'expression'}`")
        try:
            node = ast.parse(text, mode="eval").body
        except (SyntaxError, ValueError, RecursionError):
            return _opaque(f"`{text}`")
        return self._ast(path, node, scope, depth)

    # -- names --------------------------------------------------------------------------------
    def name(self, path: str, name: str, scope: str, depth: int) -> list[Cand]:
        if name == "__file__":
            return [Cand("path", path)]
        key = (path, name, scope)
        if key in self._active:
            return []  # ``path = Path(path)``: the other assignments give its values
        self._active.add(key)
        try:
            return self._name(path, name, scope, depth)
        finally:
            self._active.discard(key)

    def _name(self, path: str, name: str, scope: str, depth: int) -> list[Cand]:
        fi = self.view.file(path)
        if fi is None:
            return _opaque(f"{path} was not analysed for this rule")
        head, _, rest = name.partition(".")
        if head in ("self", "cls") and rest and "." not in rest:
            return self._attribute(path, scope, rest, depth)
        if "." in name:
            sym = self.view.resolve_dotted(path, name, scope)
            if isinstance(sym, VarDef) and sym.assign.has_value:
                return self.value(sym.path, sym.assign.value, sym.assign.scope, depth + 1)
            return _opaque(f"`{name}`")
        fn = fi.functions.get(scope) if scope else None
        sc = scope
        while sc:
            f = fi.functions.get(sc)
            if f is not None and name in f.params:
                return self._param(path, f.qualname, name, depth)
            binds = [a for a in fi.assigns.get((sc, name), ()) if a.has_value and not a.via]
            if binds:
                out: list[Cand] = []
                for a in binds:
                    out.extend(self.value(path, a.value, sc, depth + 1, a.span))
                return out
            if fn is None:
                break
            sc = sc.rsplit(".<locals>.", 1)[0] if ".<locals>." in sc else ""
        binds = [a for a in fi.assigns.get(("", name), ()) if a.has_value and not a.via]
        if binds:
            out = []
            for a in binds:
                out.extend(self.value(path, a.value, "", depth + 1, a.span))
            return out
        loops = [lp for lp in fi.facts.loops if lp.target == name and lp.scope == scope]
        if loops:  # ``for candidate in [a, b]``: each item
            out = []
            for lp in loops:
                items = self.items(path, lp.iterable, scope, depth + 1)
                if items is None:
                    return _opaque(f"`{name}` iterates over something that cannot be followed")
                for it in items:
                    out.extend(self.value(path, it, scope, depth + 1))
            return out
        sym = self.view.resolve_name(path, name, scope)
        if isinstance(sym, VarDef) and sym.assign.has_value:
            return self.value(sym.path, sym.assign.value, sym.assign.scope, depth + 1,
                              sym.assign.span)
        return _opaque(f"`{name}` is not bound to a path here")

    def _param(self, path: str, fn_qual: str, name: str, depth: int) -> list[Cand]:
        """A parameter: its callers' value, plus the defaults the function substitutes
        (assignments to the parameter in its body)."""
        fi = self.view.file(path)
        out = [Cand("param", name, fn=fn_qual, fn_path=path)]
        for a in fi.assigns.get((fn_qual, name), ()) if fi is not None else ():
            if not a.has_value or a.via:
                continue
            for c in self.value(path, a.value, fn_qual, depth + 1, a.span):
                if c.kind in ("path", "pattern") and not c.default_of:
                    out.append(replace(c, default_of=name))
                elif c.kind == "param" and c.text == name:
                    continue
                else:
                    out.append(c)
        return out

    def items(self, path: str, v: Any, scope: str, depth: int) -> list[Any] | None:
        """The items a loop over ``v`` takes: a literal list/tuple/set, or a name bound (once)
        to one. None when they cannot be known."""
        from ..facts.model import Seq

        if isinstance(v, Seq):
            return None if v.starred else list(v.items)
        if isinstance(v, CallValue) and v.callee.rsplit(".", 1)[-1] in ("list", "sorted",
                                                                         "tuple") \
                and len(v.args) == 1 and v.receiver is None:
            return self.items(path, v.args[0], scope, depth + 1)
        if isinstance(v, CallValue) and v.callee.rsplit(".", 1)[-1] in ("glob", "rglob") \
                and v.receiver is not None and v.args and isinstance(v.args[0], str):
            pat = v.args[0] if v.callee.endswith(".glob") else "**/" + v.args[0]
            return [join(base, Cand("glob", pat))
                    for base in self.value(path, v.receiver, scope, depth + 1)]
        if isinstance(v, CallValue) and (v.qualname in ("glob.glob", "glob.iglob")) \
                and v.args:
            return [Cand("glob", c.text) if c.kind == "path" else c
                    for c in self.value(path, v.args[0], scope, depth + 1)]
        if isinstance(v, Ref) and "." not in v.name and depth <= _MAX_DEPTH:
            fi = self.view.file(path)
            for sc in dict.fromkeys((scope, "")):
                binds = fi.assigns.get((sc, v.name), ()) if fi is not None else ()
                if binds:
                    if len(binds) != 1 or not binds[0].has_value or binds[0].augmented:
                        return None
                    return self.items(path, binds[0].value, sc, depth + 1)
        return None

    def _attribute(self, path: str, scope: str, attr: str, depth: int) -> list[Cand]:
        fi = self.view.file(path)
        fn = fi.functions.get(scope) if fi is not None and scope else None
        cls = fi.classes.get(fn.scope) if fi is not None and fn is not None and fn.scope else None
        if cls is None:
            return _opaque(f"`self.{attr}` outside a method")
        c = ClassDef(path, cls)
        m = self.view.class_member(c, attr)
        if isinstance(m, VarDef) and m.assign.has_value:
            return self.value(m.path, m.assign.value, m.assign.scope, depth + 1)
        out: list[Cand] = []
        for anc in self.view.lineage(c)[0]:
            afi = self.view.file(anc.path)
            if afi is None:
                continue
            prefix = anc.cls.qualname + "."
            for (sc, target), assigns in afi.assigns.items():
                if target != f"self.{attr}" or not sc.startswith(prefix):
                    continue
                for a in assigns:
                    for cand in self.value(anc.path, a.value, sc, depth + 1):
                        if cand.kind == "param" and sc.endswith(".__init__"):
                            # set from the constructor: its callers give the path
                            out.append(replace(cand, fn=sc, fn_path=anc.path))
                        elif cand.kind == "param":
                            out.append(Cand("opaque", f"`self.{attr}` is set from parameter "
                                                      f"`{cand.text}` of `{sc}`"))
                        else:
                            out.append(cand)
        return out or _opaque(f"`self.{attr}` is not bound to a path in `{cls.name}`")

    # -- calls --------------------------------------------------------------------------------
    def call(self, path: str, callee: str, qualname: str, receiver: Any, args: list[Any],
             kwargs: dict[str, Any], scope: str, depth: int) -> list[Cand]:
        name = qualname or callee
        attr = callee.rsplit(".", 1)[-1]
        ev = lambda x: self.value(path, x, scope, depth + 1)  # noqa: E731
        if name in _CWD or callee in _CWD:
            return [Cand("path", "")]
        if name in _ENV or callee in _ENV:
            var = args[0] if args and isinstance(args[0], str) else "?"
            out = _opaque(f"environment variable {var}")
            default = args[1] if len(args) > 1 else kwargs.get("default")
            if default is not None or len(args) > 1:
                out = out + ev(default)
            return out
        if name in _PATH_CTORS or callee in _PATH_CTORS:
            if not args:
                return [Cand("path", "")]
            return _product([ev(a) for a in args])
        if name in ("os.path.join", "posixpath.join") or callee == "os.path.join":
            return _product([ev(a) for a in args]) if args else _opaque("os.path.join()")
        if name in ("os.path.dirname",) or callee == "os.path.dirname":
            return [dirname(c) for c in ev(args[0])] if args else _opaque("dirname()")
        if receiver is not None and attr in _IDENTITY_METHODS and not args:
            return ev(receiver)
        if receiver is not None and attr == "joinpath":
            return _product([ev(receiver), *[ev(a) for a in args]])
        return self._project_call(path, callee, args, kwargs, scope, depth)

    def _project_call(self, path: str, callee: str, args: list[Any], kwargs: dict[str, Any],
                      scope: str, depth: int) -> list[Cand]:
        target = resolve_callee(self.view, path, callee, scope)
        if not isinstance(target, FuncDef):
            return _opaque(f"`{callee}(...)`")
        fn = target.fn
        rets = [r for r in fn.returns if r is not None]
        if not rets:
            return _opaque(f"`{fn.qualname}` returns nothing that can be followed")
        out: list[Cand] = []
        offset = param_offset(self.view, target)
        for r in rets:
            for c in self.value(target.path, r, fn.qualname, depth + 1):
                if c.kind == "param" and c.fn == fn.qualname:
                    arg = argument(fn, c.text, args, kwargs, offset)
                    if arg is None:
                        continue  # the default applies: the function's own candidates
                    out.extend(join(a, suffix_cand(c.suffix)) if c.suffix else a
                               for a in self.value(path, arg, scope, depth + 1))
                else:
                    out.append(c)
        return out or _opaque(f"`{fn.qualname}(...)`")

    # -- ast ----------------------------------------------------------------------------------
    def _ast(self, path: str, node: ast.AST, scope: str, depth: int) -> list[Cand]:
        ev = lambda x: self.value(path, x, scope, depth + 1)  # noqa: E731
        if isinstance(node, ast.Constant):
            return ev(node.value) if isinstance(node.value, str) else _opaque(repr(node.value))
        if isinstance(node, ast.Name):
            return self.name(path, node.id, scope, depth)
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Div):
            return _product([ev(node.left), ev(node.right)])
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
            left, right = ev(node.left), ev(node.right)
            out = []
            for a in left:
                for b in right:
                    if a.kind == "path" and b.kind == "path":
                        n = _norm(a.text + b.text)
                        out.append(Cand("path", n, a.default_of or b.default_of)
                                   if n is not None else Cand("opaque", "outside the project"))
                    else:
                        out.append(Cand("opaque", f"`{ast.unparse(node)}`"))
            return out
        if isinstance(node, ast.BoolOp) and isinstance(node.op, ast.Or):
            first = ev(node.values[0])
            params = [c.text for c in first if c.kind == "param"]
            out = list(first)
            for rest in node.values[1:]:
                for c in ev(rest):
                    if params and c.kind in ("path", "pattern") and not c.default_of:
                        c = replace(c, default_of=params[0])
                    out.append(c)
            return out
        if isinstance(node, ast.IfExp):
            return ev(node.body) + ev(node.orelse)
        if isinstance(node, ast.JoinedStr):
            text: list[list[Cand]] = []
            for v in node.values:
                if isinstance(v, ast.Constant) and isinstance(v.value, str):
                    text.append([Cand("path", v.value)])
                elif isinstance(v, ast.FormattedValue):
                    got = ev(v.value)
                    paths = [c for c in got if c.kind == "path"]
                    text.append(paths if paths and len(paths) == len(got) else
                                [Cand("pattern", "*")])
            out = [Cand("path", "")]
            for cands in text:
                out = [Cand("pattern" if "pattern" in (a.kind, b.kind) else "path",
                            a.text + b.text) for a in out for b in cands][:_MAX_CANDS]
            return [c if c.kind == "pattern" or _norm(c.text) is not None
                    else Cand("opaque", f"`{c.text}` is outside the project") for c in out]
        if isinstance(node, ast.Attribute):
            if node.attr == "parent":
                return [dirname(c) for c in ev(node.value)]
            dotted = _dotted(node)
            if dotted:
                return self.name(path, dotted, scope, depth)
            return _opaque(f"`{ast.unparse(node)}`")
        if isinstance(node, ast.Subscript):
            base = node.value
            if isinstance(base, ast.Attribute) and base.attr == "parents" and isinstance(
                    node.slice, ast.Constant) and isinstance(node.slice.value, int):
                cands = ev(base.value)
                for _ in range(node.slice.value + 1):
                    cands = [dirname(c) for c in cands]
                return cands
            if _dotted(base) in ("os.environ", "environ"):
                return _opaque("an environment variable")
            return _opaque(f"`{ast.unparse(node)}`")
        if isinstance(node, ast.Call):
            func = node.func
            callee = _dotted(func) or ""
            receiver: Any = None
            if isinstance(func, ast.Attribute):
                receiver = func.value
                if not callee:  # ``Path(__file__).parent.joinpath(...)``
                    callee = "<expr>." + func.attr
            qual = ""
            fi = self.view.file(path)
            if callee and fi is not None:
                headq = dict(fi.facts.aliases).get(callee.split(".")[0])
                if headq:
                    qual = headq + callee[len(callee.split(".")[0]):]
            args = [a for a in node.args if not isinstance(a, ast.Starred)]
            kwargs = {k.arg: k.value for k in node.keywords if k.arg}
            return self.call(path, callee, qual, receiver, args, kwargs, scope, depth)
        return _opaque(f"`{ast.unparse(node)}`")


def _dotted(node: ast.AST) -> str:
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
        return ".".join(reversed(parts))
    return ""


def _dedupe(cands: list[Cand]) -> list[Cand]:
    return list(dict.fromkeys(cands))


# ---------------------------------------------------------------------------------------------
# Calls of project functions
# ---------------------------------------------------------------------------------------------


def resolve_callee(view: ProjectView, path: str, callee: str, scope: str) -> FuncDef | None:
    """The project function a call's dotted callee text names: a function, ``self.m``, an
    imported function, ``Cls.m``, ``Cls(...)`` (its ``__init__``), ``obj.m`` where the type of
    ``obj`` is known. None when it cannot be known (or is not a project function)."""
    from .resolve import Instance, ModuleRef, receiver_text

    if not callee or callee.startswith("<expr>"):
        return None
    recv = receiver_text(callee)
    attr = callee.rsplit(".", 1)[-1]
    if not recv:
        sym = view.resolve_name(path, callee, scope)
    else:
        t = view.type_of(path, recv, scope)
        if isinstance(t, (Instance, ClassDef)):
            m = view.class_member(t.cls if isinstance(t, Instance) else t, attr)
            return m if isinstance(m, FuncDef) else None
        if not isinstance(t, ModuleRef):
            return None
        sym = view.member(t.name, attr)
    if isinstance(sym, ClassDef):
        m = view.class_member(sym, "__init__")
        return m if isinstance(m, FuncDef) else None
    return sym if isinstance(sym, FuncDef) else None


def param_offset(view: ProjectView, fd: FuncDef) -> int:
    """How many leading parameters a call does not pass positionally (``self`` / ``cls``)."""
    fi = view.file(fd.path)
    is_method = fi is not None and bool(fd.fn.scope) and fd.fn.scope in fi.classes
    if not is_method or "staticmethod" in fd.fn.decorators:
        return 0
    return 1


def argument(fn: Any, name: str, args: Sequence[Value], kwargs: dict[str, Value],
             offset: int) -> Value | None:
    """The value a call passes for parameter ``name`` (None when it is not passed, or passed
    as a literal ``None``: the default applies)."""
    if name in kwargs:
        v = kwargs[name]
        return None if v is None else v
    if name in fn.params:
        idx = fn.params.index(name) - offset
        sig = fn.signature
        if sig and idx + offset < len(sig) and sig[idx + offset].kind in ("kwonly", "kwarg"):
            return None
        if 0 <= idx < len(args):
            v = args[idx]
            return None if v is None else v
    return None
