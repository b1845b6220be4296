"""Project-wide name resolution over Python facts: modules, symbols through imports, receivers.

Checks see facts per file; an auditor reads a project. "``CircuitState`` in the connector
module" is met when the connector imports it from a shared module that defines it; "calls
``trace_agent`` on the Opik connector" is met by ``self.opik.trace_agent(...)`` where
``self.opik = get_opik_connector()`` and the accessor is annotated ``-> OpikConnector`` — and not
met by a local feedback store that happens to have a method of that name. This module answers
those questions from facts only, the way a reader follows the code:

* **Modules.** Every discovered ``.py`` file is a module named by its path (``src/a/b.py`` is
  ``src.a.b``; a package is its ``__init__.py``). In a ``src`` layout (``src/`` without an
  ``__init__.py``) the name without ``src.`` is registered too.
* **Symbols** (``resolve_name``): a name in a file is a class or function defined there, an
  import (absolute or relative, ``from . import x``, ``import a.b as c``, aliases), or a module
  level assignment; imports are followed into the project module that defines the name, through
  re-exports in ``__init__.py`` files, up to ``MAX_DEPTH`` hops. A name a ``from m import *``
  brings is looked up in project module ``m`` (its literal ``__all__``, else its public
  names); from a module outside the project it is unknown.
* **Types of receivers** (``type_of``): ``Cls(...)`` is an instance of ``Cls``; a call of a
  project function has the type of its return annotation (``Optional[X]``, ``X | None`` and
  string annotations unwrapped), or else of the values it returns when they all agree; a
  parameter has the type of its annotation; ``self``/``cls`` the enclosing class; ``self.x`` the
  type every assignment ``self.x = ...`` in the class (and its project bases) and its class-level
  annotation agree on; a local or module name the type all its assignments agree on (``None``
  defaults ignored); ``with cm as x`` binds what ``cm`` enters (an ``@asynccontextmanager``
  annotated ``-> AsyncIterator[X]``, or a class whose ``__aenter__`` returns ``self``).
* **Never a guess.** Whatever cannot be followed (an unannotated parameter, a subscript, a
  module the rule may not consult, assignments that disagree, recursion) is ``Unknown`` with
  the reason, which checks report as *could not decide* — never as a match or a mismatch.

What a rule may consult (``ProjectView``): its own scope plus the parsed files whose text holds
one of its reach patterns (``CheckKind.reach``, ``FileFacts.marks``). Both depend only on file
contents, so the answer is the same with or without the prefilter and cold or warm; a module
outside that set is ``Unknown`` ("not analysed for this rule").
"""

from __future__ import annotations

import posixpath
import re
from fnmatch import fnmatchcase
from dataclasses import dataclass
from typing import Callable, Iterable, Sequence, Union

from ..facts.model import (AssignFact, CallFact, CallValue, ClassFact, FileFacts, FunctionFact,
                           ImportFact, PythonFacts, Ref, Seq, Value)
from ..facts.model import Unknown as ModelUnknown
from ..types import FileKind, Span

MAX_DEPTH = 12

# ---------------------------------------------------------------------------------------------
# Results
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ClassDef:
    """A class defined in the project: the file and its fact."""

    path: str
    cls: ClassFact

    @property
    def qualname(self) -> str:
        return self.cls.qualname


@dataclass(frozen=True, slots=True)
class FuncDef:
    path: str
    fn: FunctionFact
    owner: ClassDef | None = None  # the class a method is looked up on


@dataclass(frozen=True, slots=True)
class VarDef:
    """A module-level (or class-level) assignment."""

    path: str
    assign: AssignFact


@dataclass(frozen=True, slots=True)
class ModuleRef:
    name: str
    path: str  # "" for a package directory without __init__.py


@dataclass(frozen=True, slots=True)
class External:
    """Something imported from outside the project: its dotted name as imported."""

    qualname: str


@dataclass(frozen=True, slots=True)
class Unknown:
    """Could not be followed; ``reason`` says why (for "could not decide" messages).
    ``missing`` is True when the reason is a definite absence (the class has no such
    attribute, the module no such name): not a guess, a fact about the code."""

    reason: str
    missing: bool = False


Symbol = Union[ClassDef, FuncDef, VarDef, ModuleRef, External, Unknown]


@dataclass(frozen=True, slots=True)
class Instance:
    """A value known to be an instance of a project class."""

    cls: ClassDef


@dataclass(frozen=True, slots=True)
class ExternalInstance:
    """A value returned by calling something from outside the project (``opik.Opik()``)."""

    qualname: str


Type = Union[Instance, ExternalInstance, ClassDef, FuncDef, ModuleRef, External, Unknown]

_NONE = "None"
# annotations that say nothing about the value
_UNTYPED = frozenset({"Any", "typing.Any", "typing_extensions.Any", "object", "builtins.object"})
# bases that give a class nothing a rule asks about
_NEUTRAL = frozenset({"object", "abc.ABC", "ABC", "typing.Generic", "Generic", "typing.Protocol",
                      "Protocol", "typing_extensions.Protocol"})


def class_matches(c: "ClassDef", patterns: Sequence[str]) -> bool:
    """``c`` itself is named by a pattern: its name, nested qualname, or ``module.Class``."""
    quals = {f"{m}.{c.cls.qualname}" for m in
             module_names(c.path, False) + module_names(c.path, True)}
    return any(pat == c.cls.name or pat == c.cls.qualname or pat in quals
               or any(q.endswith("." + pat) for q in quals) for pat in patterns)

# ---------------------------------------------------------------------------------------------
# Modules
# ---------------------------------------------------------------------------------------------


def module_names(path: str, src_layout: bool) -> list[str]:
    """Dotted module names of a ``.py`` path (``pkg/__init__.py`` is ``pkg``)."""
    if not path.endswith(".py"):
        return []
    stem = path[:-3]
    if stem.endswith("/__init__"):
        stem = stem[: -len("/__init__")]
    elif stem == "__init__":
        return []
    parts = stem.split("/")
    if not all(p.isidentifier() for p in parts):
        return []
    names = [".".join(parts)]
    if src_layout and parts[0] == "src" and len(parts) > 1:
        names.insert(0, ".".join(parts[1:]))
    return names


def package_of(path: str) -> list[str]:
    """The package of a file as parts (``src/a/b.py`` -> [src, a]; an ``__init__.py`` is its
    own package)."""
    d = posixpath.dirname(path)
    return d.split("/") if d else []


def absolute_from(imp: ImportFact, path: str) -> str:
    """The absolute module of a ``from`` import (relative ones resolved against ``path``)."""
    if imp.level == 0:
        return imp.module
    pkg = package_of(path)
    if imp.level - 1 > len(pkg):
        return ""
    base = pkg[:len(pkg) - (imp.level - 1)]
    return ".".join([*base, imp.module] if imp.module else base)


class _FileIndex:
    """Per-file lookups built once: definitions and assignments by scope and name."""

    __slots__ = ("path", "facts", "classes", "functions", "assigns", "imports", "bindings")

    def __init__(self, path: str, facts: PythonFacts) -> None:
        self.path = path
        self.facts = facts
        self.classes: dict[str, ClassFact] = {}
        for c in facts.classes:
            self.classes.setdefault(c.qualname, c)
        self.functions: dict[str, FunctionFact] = {}
        for f in facts.functions:
            self.functions.setdefault(f.qualname, f)
        self.assigns: dict[tuple[str, str], list[AssignFact]] = {}
        for a in facts.assigns:
            self.assigns.setdefault((a.scope, a.target), []).append(a)
        # names an import binds, per scope: name -> (import, imported name or module)
        self.imports: dict[tuple[str, str], tuple[ImportFact, str]] = {}
        for imp in facts.imports:
            if imp.kind == "dynamic":
                continue
            for n in imp.names:
                if n.name == "*":
                    continue
                if imp.kind == "import":
                    bound = n.asname or n.name.split(".")[0]
                    target = n.name if n.asname else n.name.split(".")[0]
                else:
                    bound = n.asname or n.name
                    target = n.name
                self.imports.setdefault((imp.scope, bound), (imp, target))
        # what binds each (scope, name) by a definition or an import: line -> what it binds
        self.bindings: dict[tuple[str, str], dict[str, int]] = {}
        for c in facts.classes:
            self.bindings.setdefault((c.scope, c.name), {})[f"class:{c.span.line}"] = c.span.line
        for f in facts.functions:
            if any(d == "property" or d.endswith((".setter", ".getter", ".deleter"))
                   for d in f.decorators):
                continue  # a property and its setter share a name: one attribute
            self.bindings.setdefault((f.scope, f.name), {})[f"def:{f.span.line}"] = f.span.line
        for imp in facts.imports:
            if imp.kind == "dynamic" or imp.type_checking:
                continue
            for n in imp.names:
                if n.name == "*":
                    continue
                if imp.kind == "import":  # ``import a.b`` and ``import a.c`` both bind ``a``
                    bound = n.asname or n.name.split(".")[0]
                    what = n.name if n.asname else bound
                else:
                    bound, what = n.asname or n.name, f"{absolute_from(imp, path)}.{n.name}"
                self.bindings.setdefault((imp.scope, bound), {}).setdefault(
                    f"import:{what}", imp.span.line)

    def rebound(self, scope: str, name: str) -> list[int]:
        """Lines of the definitions and imports binding ``name`` in ``scope`` when there are
        several different ones (a conditional ``def``, a ``try: from lib import f`` / ``except
        ImportError: def f(...)`` fallback, a redefinition): which one a call reaches depends
        on the code path. Empty when one statement binds it."""
        found = self.bindings.get((scope, name), {})
        return sorted(found.values()) if len(found) > 1 else []


class ProjectIndex:
    """Every parsed Python file's facts, indexed once per run and shared by the rules."""

    def __init__(self, facts: Sequence[FileFacts], all_paths: Iterable[str]) -> None:
        paths = sorted(p for p in all_paths if p.endswith(".py"))
        src_layout = any(p.startswith("src/") for p in paths) and "src/__init__.py" not in paths
        self.modules: dict[str, str] = {}
        for p in paths:
            for name in module_names(p, src_layout):
                self.modules.setdefault(name, p)
        self.packages: set[str] = set()
        for name in self.modules:
            parts = name.split(".")
            for i in range(1, len(parts)):
                self.packages.add(".".join(parts[:i]))
        self.facts: dict[str, FileFacts] = {f.path: f for f in facts
                                            if f.kind is FileKind.PYTHON}
        self.python_paths = frozenset(paths)
        self._files: dict[str, _FileIndex] = {}
        # which Python files' text holds a word (``extract.OnDemand.search``); None: no search
        self.searcher: Callable[[str], list[str]] | None = None

    def add(self, facts: Iterable[FileFacts]) -> None:
        """Facts loaded on demand (``extract.extract_on_demand``) replace what was known."""
        for f in facts:
            self.facts[f.path] = f
            self._files.pop(f.path, None)

    def file(self, path: str) -> _FileIndex | None:
        hit = self._files.get(path)
        if hit is None:
            ff = self.facts.get(path)
            if ff is None or ff.python is None:
                return None
            hit = self._files[path] = _FileIndex(path, ff.python)
        return hit


# ---------------------------------------------------------------------------------------------
# One rule's view
# ---------------------------------------------------------------------------------------------


_WRAPPERS = ("Optional", "typing.Optional", "typing_extensions.Optional")
_ITERATORS = ("AsyncIterator", "AsyncGenerator", "Iterator", "Generator", "AsyncIterable",
              "Iterable")


_OBJECT_ATTRS = frozenset(dir(object)) | {"__dict__", "__module__", "__qualname__", "__name__",
                                           "__mro__", "__bases__", "__weakref__",
                                           "__annotations__", "__slots__"}


class ProjectView:
    """What one rule may consult: its scope plus the files marked with its reach patterns."""

    def __init__(self, index: ProjectIndex, allowed: frozenset[str]) -> None:
        self.index = index
        self.allowed = allowed
        # project files the resolution needed but may not consult (yet): the evaluation stage
        # loads them and asks again (``evaluate.py``), so nothing depends on the prefilter
        self.wanted: set[str] = set()
        self.searched = False  # a search ran: the answer depends on every file's text
        # the words searched for: the answer depends on which files' text holds them (memo)
        self.search_words: set[str] = set()
        self._types: dict[tuple[str, str, str], Type] = {}
        self._active: set[tuple[str, str, str]] = set()
        # attr -> candidate ``obj.attr = v`` stores of the consultable files (_outside_stores)
        self._stores: dict[str, list[tuple[str, str, str, list[AssignFact]]]] | None = None

    # -- files ------------------------------------------------------------------------------
    def file(self, path: str) -> _FileIndex | None:
        if path in self.allowed:
            hit = self.index.file(path)
            known = self.index.facts.get(path)
            if hit is None and path in self.index.python_paths and (
                    known is None or not (known.parsed or known.problems)):
                self.wanted.add(path)  # in view but not parsed yet: load it and ask again
            return hit
        if path in self.index.python_paths:
            self.wanted.add(path)
        return None

    def search(self, word: str) -> list[str] | None:
        """The project's Python files whose text names ``word`` (a caller of ``word`` must);
        the ones not consultable yet are asked for (``wanted``). None: searching is not
        available (the rule then says it could not decide)."""
        if self.index.searcher is None:
            return None
        self.searched = True
        self.search_words.add(word)
        hits = self.index.searcher(word)
        for p in hits:
            known = self.index.facts.get(p)
            loaded = known is not None and (known.parsed or bool(known.problems))
            if p not in self.allowed or not loaded:
                self.wanted.add(p)
        return hits

    def peek(self, path: str) -> _FileIndex | None:
        """A consultable file's facts if it was parsed, without asking for it to be loaded:
        for searches over many files (who calls X?), where a file the prefilter did not parse
        cannot hold what is searched for (its text lacks the name)."""
        return self.index.file(path) if path in self.allowed else None

    def module_file(self, module: str) -> tuple[str, _FileIndex | None] | None:
        """(path, facts) of a project module; facts None when the rule may not consult it (or
        it did not parse). None: not a module of this project."""
        path = self.index.modules.get(module)
        if path is None:
            return None
        return path, self.file(path)

    # -- symbols ----------------------------------------------------------------------------
    def resolve_name(self, path: str, name: str, scope: str = "", depth: int = 0) -> Symbol:
        """What ``name`` means in file ``path`` at ``scope`` (a function's qualname or "")."""
        fi = self.file(path)
        if fi is None:
            return Unknown(f"{path} was not analysed for this rule")
        if depth > MAX_DEPTH:
            return Unknown(f"import chain for `{name}` too long")
        for sc in _scope_chain(scope, fi):
            qual = f"{sc}.{name}" if sc else name
            if sc and sc in fi.functions:
                qual = f"{sc}.<locals>.{name}"
            c = fi.classes.get(qual)
            if c is not None:
                return ClassDef(path, c)
            f = fi.functions.get(qual)
            if f is not None:
                return FuncDef(path, f)
            imp = fi.imports.get((sc, name))
            if imp is not None:
                return self._follow_import(path, imp[0], imp[1], name, depth)
            assigns = fi.assigns.get((sc, name))
            if assigns:
                return VarDef(path, assigns[-1])
        star = self._star_import(path, fi, name, scope, depth)
        if star is not None:
            return star
        return Unknown(f"`{name}` is not defined or imported in {path}", missing=True)

    def _star_import(self, path: str, fi: _FileIndex, name: str, scope: str, depth: int
                     ) -> Symbol | None:
        """``name`` brought by a ``from m import *`` visible at ``scope`` (None: no star
        import). A project module gives the names its ``__all__`` lists (when it is a literal
        list) or else its public names; a module outside the project, anything."""
        visible = set(_scope_chain(scope, fi))
        stars = [i for i in fi.facts.imports if i.kind == "from" and i.scope in visible
                 and any(n.name == "*" for n in i.names)]
        for imp in stars:
            module = absolute_from(imp, path)
            hit = self.module_file(module) if module else None
            if hit is None:
                if module and module not in self.index.packages:
                    return Unknown(f"`{name}` may come from `from {module} import *` "
                                   "(outside the project)")
                continue
            mpath, mfi = hit
            if mfi is None:
                return Unknown(f"`{name}` may come from `from {module} import *` ({mpath} was "
                               "not analysed for this rule)")
            listed = _all_names(mfi)
            if listed is None and name.startswith("_"):
                continue
            if listed is not None and name not in listed:
                continue
            sym = self.resolve_name(mpath, name, "", depth + 1)
            if not (isinstance(sym, Unknown) and sym.missing):
                return sym
        return None

    def _follow_import(self, path: str, imp: ImportFact, target: str, bound: str,
                       depth: int) -> Symbol:
        if imp.kind == "import":
            return self._module_symbol(target, depth)
        module = absolute_from(imp, path)
        if not module:
            return Unknown(f"relative import in {path} goes above the project")
        return self.member(module, target, depth + 1)

    def _module_symbol(self, module: str, depth: int) -> Symbol:
        hit = self.module_file(module)
        if hit is not None:
            return ModuleRef(module, hit[0])
        if module in self.index.packages:
            return ModuleRef(module, "")
        return External(module)

    def member(self, module: str, name: str, depth: int = 0) -> Symbol:
        """Symbol ``name`` of ``module`` (``from module import name``)."""
        if depth > MAX_DEPTH:
            return Unknown(f"import chain for `{module}.{name}` too long")
        hit = self.module_file(module)
        if hit is None:
            sub = f"{module}.{name}"
            if sub in self.index.modules or sub in self.index.packages:
                return self._module_symbol(sub, depth)
            if module in self.index.packages:
                return Unknown(f"`{name}` is not in package {module}", missing=True)
            return External(sub)
        path, fi = hit
        if fi is None:
            return Unknown(f"{path} (module {module}) was not analysed for this rule")
        sym = self.resolve_name(path, name, "", depth + 1)
        if isinstance(sym, Unknown) and sym.missing:
            sub = f"{module}.{name}"
            if sub in self.index.modules or sub in self.index.packages:
                return self._module_symbol(sub, depth)
            if name != "__getattr__" and isinstance(
                    self.resolve_name(path, "__getattr__", "", depth + 1), FuncDef):
                # PEP 562: the module answers any name at run time; not a definite absence
                return Unknown(f"`{name}` is not defined in {path}, whose module-level "
                               "__getattr__ may provide it")
        return sym

    def resolve_dotted(self, path: str, text: str, scope: str = "") -> Symbol:
        """``a.b.C`` in a file: the head resolved there, then members of modules."""
        parts = text.split(".")
        sym = self.resolve_name(path, parts[0], scope)
        for part in parts[1:]:
            if isinstance(sym, ModuleRef):
                sym = self.member(sym.name, part)
            elif isinstance(sym, External):
                sym = External(f"{sym.qualname}.{part}")
            elif isinstance(sym, ClassDef):
                found = self.class_member(sym, part)
                sym = found if not isinstance(found, tuple) else found[0]
            else:
                return sym if isinstance(sym, Unknown) else Unknown(
                    f"`{text}` is not a module member")
        return sym

    # -- classes ----------------------------------------------------------------------------
    def find_class(self, path: str, name: str) -> ClassDef | Unknown | External:
        """The class ``name`` means in ``path`` (defined there or imported)."""
        sym = self.resolve_dotted(path, name)
        if isinstance(sym, (ClassDef, External, Unknown)):
            return sym
        if isinstance(sym, VarDef):
            v = sym.assign.value
            if isinstance(v, Ref):  # ``Alias = OtherClass``
                return self.find_class(sym.path, v.name) if v.name != name else Unknown(
                    f"`{name}` is assigned to itself")
            return Unknown(f"`{name}` in {sym.path} is a variable, not a class")
        return Unknown(f"`{name}` in {path} is not a class")

    def bases(self, c: ClassDef) -> tuple[list[ClassDef], list[str], list[str]]:
        """Direct project bases of ``c``; dotted names of its bases from outside the project;
        base expressions that could not be followed."""
        out: list[ClassDef] = []
        external: list[str] = []
        unresolved: list[str] = []
        for b in c.cls.bases:
            text = b.split("[")[0]
            if text in _NEUTRAL:
                continue
            hit = self.find_class(c.path, text) if re.fullmatch(r"[\w.]+", text) else None
            if not isinstance(hit, (ClassDef, External)) and hit is not None and "." in text:
                # facts give a base imported by ``from m import Base`` as its absolute name
                # (``m.Base``), which is no name in the file: look it up in module ``m``
                mod, _, name = text.rpartition(".")
                alt = self.member(mod, name)
                if isinstance(alt, (ClassDef, External)):
                    hit = alt
            if isinstance(hit, ClassDef) and hit != c:
                out.append(hit)
            elif isinstance(hit, External):
                external.append(hit.qualname)
            else:
                unresolved.append(b)
        return out, external, unresolved

    def lineage(self, c: ClassDef) -> tuple[list[ClassDef], list[str], list[str]]:
        """``c`` and its project ancestors (breadth first), plus the external and unresolved
        bases met on the way."""
        seen: set[tuple[str, str]] = set()
        out: list[ClassDef] = []
        external: list[str] = []
        unresolved: list[str] = []
        queue = [c]
        while queue:
            cur = queue.pop(0)
            key = (cur.path, cur.cls.qualname)
            if key in seen:
                continue
            seen.add(key)
            out.append(cur)
            direct, ext, unres = self.bases(cur)
            queue.extend(direct)
            external.extend(ext)
            unresolved.extend(unres)
        return out, external, unresolved

    def class_member(self, c: ClassDef, name: str
                     ) -> FuncDef | VarDef | Unknown | tuple[Unknown, None]:
        """A method or class-level attribute of ``c`` or its project ancestors."""
        lineage, external, unresolved = self.lineage(c)
        other = [o for o in external + unresolved if o not in _NEUTRAL]
        for anc in lineage:
            fi = self.file(anc.path)
            if fi is None:
                continue
            fn = fi.functions.get(f"{anc.cls.qualname}.{name}")
            if fn is not None:
                return FuncDef(anc.path, fn, c)
            assigns = fi.assigns.get((anc.cls.qualname, name))
            if assigns:
                return VarDef(anc.path, assigns[-1])
        if other:
            return Unknown(f"`{c.cls.name}` has no attribute `{name}` in the project; it may "
                           f"inherit one from {', '.join(f'`{o}`' for o in other[:3])}")
        if name in _OBJECT_ATTRS:
            # every class has them (``self.__class__(...)`` builds the *runtime* class, maybe a
            # subclass): not missing, and not a signature the rule can bind against
            return Unknown(f"`{name}` is inherited from `object`; what it refers to at run time "
                           "is not known statically")
        for anc in lineage:
            fi = self.file(anc.path)
            if fi is not None and any(f"{anc.cls.qualname}.{d}" in fi.functions
                                      for d in ("__getattr__", "__getattribute__")):
                return Unknown(f"`{c.cls.name}` has no attribute `{name}`, but `{anc.cls.name}` "
                               "defines `__getattr__`")
        return Unknown(f"`{c.cls.name}` ({c.path}) has no attribute `{name}`", missing=True)

    def subclass_of(self, c: ClassDef, patterns: Sequence[str]) -> bool | None:
        """Is ``c`` (or a project ancestor, or an external base by dotted name) one of
        ``patterns`` (a class name, or a dotted ``module.Class``)? None: nothing matched and a
        base could not be followed."""
        lineage, external, unresolved = self.lineage(c)
        for anc in lineage:
            if class_matches(anc, patterns):
                return True
        for o in external:
            if any(o == pat or o.endswith("." + pat) for pat in patterns):
                return True
        return None if unresolved else False

    # -- types ------------------------------------------------------------------------------
    def type_of(self, path: str, text: str, scope: str = "") -> Type:
        """The type of the expression ``text`` (dotted text as facts render it: ``a.b``,
        ``f().g``, ``self.x``) evaluated in ``scope`` of ``path``."""
        key = (path, text, scope)
        hit = self._types.get(key)
        if hit is not None:
            return hit
        if key in self._active or len(self._active) > 40:
            return Unknown(f"`{text}` depends on itself")
        self._active.add(key)
        try:
            out = self._type_of(path, text, scope)
        finally:
            self._active.discard(key)
        self._types[key] = out
        return out

    def _type_of(self, path: str, text: str, scope: str) -> Type:
        if not text or "?" in text or "[]" in text:
            return Unknown(f"`{text or 'expression'}` is not a plain name or call chain")
        parts = _split_parts(text)
        if parts is None:
            return Unknown(f"`{text}` is not a plain name or call chain")
        head, calls = parts[0]
        cur = self._name_type(path, head, scope)
        cur = self._called(cur, calls, text)
        for name, ncalls in parts[1:]:
            cur = self.attribute(cur, name)
            cur = self._called(cur, ncalls, text)
        return cur

    def _called(self, t: Type, calls: int, text: str) -> Type:
        for _ in range(calls):
            t = self.call_result(t)
        return t

    def _name_type(self, path: str, name: str, scope: str) -> Type:
        fi = self.file(path)
        if fi is None:
            return Unknown(f"{path} was not analysed for this rule")
        for sc in _scope_chain(scope, fi):
            fn = fi.functions.get(sc) if sc else None
            if fn is not None:
                for i, p in enumerate(fn.signature):
                    if p.name != name:
                        continue
                    owner = _owner_class(fi, fn)
                    if i == 0 and owner is not None and "staticmethod" not in fn.decorators:
                        cd = ClassDef(path, owner)
                        return cd if "classmethod" in fn.decorators else Instance(cd)
                    got: Type = Unknown(f"parameter `{name}` of `{fn.qualname}` ({path}) has "
                                        "no type annotation")
                    if p.annotation:
                        got = self.from_annotation(path, p.annotation, fn.scope)
                    if isinstance(got, Unknown) and _private(fn.name):
                        # a module-private function is called from its own file only: the
                        # arguments its callers pass there are its parameter's values
                        return self._from_callers(path, fi, fn, i, p.name, got)
                    return got
            assigns = fi.assigns.get((sc, name))
            defined = (sc, name) in fi.imports or (
                sc and f"{sc}.<locals>.{name}" in fi.functions) or (
                not sc and (name in fi.classes or name in fi.functions))
            if assigns and not (defined and all(
                    not a.has_value or a.value is None for a in assigns)):
                # ``X = None`` fallbacks beside ``import X`` (``try: from m import X`` /
                # ``except ImportError: X = None``) do not hide the import
                return self._agree(path, assigns, sc, f"`{name}`")
            if defined:
                return self.symbol_type(self.resolve_name(path, name, sc))
        # a function assigning a module global it declares (``global _x; _x = Cls()``)
        glob = [a for f in fi.facts.functions if name in f.globals_declared
                for a in fi.assigns.get((f.qualname, name), ())]
        if glob:
            return self._agree(path, glob, "", f"`{name}`")
        star = self._star_import(path, fi, name, scope, 0)
        if star is not None:
            return self.symbol_type(star)
        return Unknown(f"`{name}` is not defined in {path}")

    def symbol_type(self, sym: Symbol) -> Type:
        """A symbol as a value: a module variable has the type its assignments agree on."""
        if isinstance(sym, VarDef):
            fi = self.file(sym.path)
            assigns = fi.assigns.get((sym.assign.scope, sym.assign.target), ()) if fi else ()
            return self._agree(sym.path, assigns or (sym.assign,), sym.assign.scope,
                               f"`{sym.assign.target}`")
        return sym

    def _from_callers(self, path: str, fi: _FileIndex, fn: FunctionFact, index: int,
                      name: str, fallback: Unknown) -> Type:
        """The type every call of a private function in its own file passes for parameter
        ``name`` (position ``index`` of its signature), else ``fallback``."""
        method = _owner_class(fi, fn) is not None
        types: list[Type] = []
        for c in fi.facts.calls:
            if c.attr != fn.name or c.context != "call":
                continue
            head = receiver_text(c.callee)
            if method != bool(head) or (method and head not in ("self", "cls")):
                continue
            if not method and c.scope and c.callee != fn.name:
                continue
            value = None
            for k, v in c.kwargs:
                if k == name:
                    value = v
            pos = index - (1 if method else 0)
            if value is None and 0 <= pos < len(c.args):
                value = c.args[pos]
            if value is None:
                if c.star_args or c.star_kwargs:
                    return fallback
                continue  # the default applies
            types.append(self.value_type(path, value, c.scope))
        if not types:
            return fallback
        first = types[0]
        if any(t != first for t in types[1:]) or isinstance(first, Unknown):
            return fallback
        return first

    def _agree(self, path: str, assigns: Sequence[AssignFact], scope: str, what: str) -> Type:
        """The type every assignment (None defaults aside) gives, else Unknown."""
        fi = self.file(path)
        extra: list[AssignFact] = []
        if fi is not None and not scope:  # module global also assigned inside functions
            name = assigns[0].target
            for f in fi.facts.functions:
                if name in f.globals_declared:
                    extra.extend(fi.assigns.get((f.qualname, name), ()))
        types: list[Type] = []
        for a in [*assigns, *extra]:
            if a.augmented:
                return Unknown(f"{what} is updated in place ({path}:{a.span.line})")
            if a.annotated and a.annotation and not types:
                t = self.from_annotation(path, a.annotation, a.scope)
                if not isinstance(t, Unknown):
                    types.append(t)
                    continue
            if not a.has_value or a.value is None:
                continue
            t = self.value_type(path, a.value, a.scope, a.via)
            types.append(t)
        if not types:
            return Unknown(f"{what} is never given a value that can be followed")
        first = types[0]
        for t in types[1:]:
            if t != first:
                if isinstance(t, Unknown):
                    return t
                if isinstance(first, Unknown):
                    return first
                return Unknown(f"{what} is assigned values of different types")
        return first

    def value_type(self, path: str, v: Value, scope: str, via: str = "") -> Type:
        """The type of an assigned value (``via``: "with"/"async with" binds what it enters)."""
        if isinstance(v, CallValue):
            if via:
                return self.entered(self.type_of(path, v.callee, scope), via)
            return self.type_of(path, v.callee + "()", scope)
        if isinstance(v, Ref):
            t = self.type_of(path, v.name, scope)
            return self.entered(t, via, called=False) if via else t
        if isinstance(v, ModelUnknown):  # an expression: a conditional, an operator, ...
            shown = f"`{v.text}`" if v.text else "an expression"
            return Unknown(f"{shown} is not a call or a name whose type can be followed")
        return Unknown("a literal value")

    def entered(self, callee: Type, via: str, called: bool = True) -> Type:
        """What ``with callee(...) as x`` (``called``) or ``with obj as x`` binds ``x`` to."""
        if called and isinstance(callee, FuncDef) and any(
                d.endswith("contextmanager") for d in callee.fn.decorators):
            return self.yielded(callee)
        cm = self.call_result(callee) if called else callee
        if isinstance(cm, Instance):
            method = "__aenter__" if via == "async with" else "__enter__"
            m = self.class_member(cm.cls, method)
            if isinstance(m, FuncDef):
                ann = m.fn.return_annotation.strip("'\"")
                if ann in ("Self", "typing.Self", "typing_extensions.Self", cm.cls.cls.name):
                    return cm
                if ann:
                    return self.from_annotation(m.path, m.fn.return_annotation, m.fn.scope)
                if any(isinstance(r, Ref) and r.name == "self" for r in m.fn.returns):
                    return cm
                return Unknown(f"`{m.fn.qualname}` does not say what it returns")
            return m if isinstance(m, Unknown) and not m.missing else Unknown(
                f"`{cm.cls.cls.name}` is not a context manager")
        if isinstance(cm, Unknown):
            return cm
        return Unknown("what the `with` statement enters cannot be followed")

    def yielded(self, fn: FuncDef) -> Type:
        """What a generator function (an ``@asynccontextmanager``) yields: the item type of its
        return annotation (``AsyncIterator[X]``), else the type all its ``yield`` values agree
        on."""
        inner = _iterator_item(fn.fn.return_annotation)
        if inner:
            return self.from_annotation(fn.path, inner, fn.fn.scope)
        values = [v for v in fn.fn.yield_values if v is not None]
        if not values:
            return Unknown(f"`{fn.fn.qualname}` yields nothing that can be followed")
        types = [self.value_type(fn.path, v, fn.fn.qualname) for v in values]
        first = types[0]
        for t in types[1:]:
            if t != first:
                return t if isinstance(t, Unknown) else Unknown(
                    f"`{fn.fn.qualname}` yields values of different types")
        return first

    def methods_of(self, c: ClassDef) -> dict[str, FuncDef]:
        """Every method of ``c`` and its project ancestors (nearest definition wins)."""
        out: dict[str, FuncDef] = {}
        for anc in self.lineage(c)[0]:
            fi = self.file(anc.path)
            if fi is None:
                continue
            prefix = anc.cls.qualname + "."
            for q, fn in fi.functions.items():
                if q.startswith(prefix) and "." not in q[len(prefix):]:
                    out.setdefault(fn.name, FuncDef(anc.path, fn, c))
        return out

    def yielded_classes(self, c: ClassDef) -> list[tuple[FuncDef, ClassDef]]:
        """The project classes whose instances ``c``'s context-manager methods yield
        (``async with tracer.trace_composition() as ctx``: the class of ``ctx``)."""
        out = []
        for fd in self.methods_of(c).values():
            if not any(d.endswith("contextmanager") for d in fd.fn.decorators):
                continue
            t = self.yielded(fd)
            if isinstance(t, Instance) and t.cls != c:
                out.append((fd, t.cls))
        return out

    def reachable_functions(self, roots: Iterable[tuple[str, str]], limit: int = 400
                            ) -> list[tuple[str, str]]:
        """(path, function qualname) of the project functions the ``roots`` call,
        transitively (calls resolved as ``type_of`` resolves them; the roots excluded)."""
        seen = set(roots)
        queue = list(seen)
        out: list[tuple[str, str]] = []
        while queue and len(out) < limit:
            path, qual = queue.pop(0)
            fi = self.file(path)
            if fi is None:
                continue
            for c in fi.facts.calls:
                if c.scope != qual or c.context != "call":
                    continue
                t = self.type_of(path, c.callee, c.scope)
                if isinstance(t, FuncDef):
                    key = (t.path, t.fn.qualname)
                    if key not in seen:
                        seen.add(key)
                        queue.append(key)
                        out.append(key)
        return out

    def receiver_producers(self, path: str, call: CallFact) -> list[tuple[str, str]]:
        """(path, function qualname) of the functions whose return value is the call's
        receiver: ``repo = get_repo(); repo.insert(...)`` -> ``get_repo``; ``self.repo`` a
        property -> the property; ``self._repo`` assigned in methods -> those methods."""
        recv = receiver_text(call.callee)
        if not recv:
            return []
        fi = self.file(path)
        if fi is None:
            return []
        out: list[tuple[str, str]] = []

        def producer_of(value: Value, scope: str) -> None:
            if isinstance(value, CallValue):
                t = self.type_of(path, value.callee, scope)
                if isinstance(t, FuncDef):
                    out.append((t.path, t.fn.qualname))

        if "." not in recv:
            for sc in _scope_chain(call.scope, fi):
                for a in fi.assigns.get((sc, recv), ()):
                    if a.has_value:
                        producer_of(a.value, a.scope)
                if (sc, recv) in fi.assigns:
                    break
            return out
        head, _, attr = recv.partition(".")
        if head == "self" and "." not in attr:
            t = self.type_of(path, "self", call.scope)
            if isinstance(t, Instance):
                m = self.class_member(t.cls, attr)
                if isinstance(m, FuncDef):  # a property
                    out.append((m.path, m.fn.qualname))
                lineage = self.lineage(t.cls)[0]
                for anc in lineage:
                    afi = self.file(anc.path)
                    if afi is None:
                        continue
                    prefix = anc.cls.qualname + "."
                    for (sc, target) in afi.assigns:
                        if target == f"self.{attr}" and sc.startswith(prefix):
                            out.append((anc.path, sc))
        return out

    def attribute(self, t: Type, name: str) -> Type:
        if isinstance(t, Unknown):
            return t
        if isinstance(t, ModuleRef):
            return self.symbol_type(self.member(t.name, name))
        if isinstance(t, External):
            return External(f"{t.qualname}.{name}")
        if isinstance(t, ExternalInstance):
            return Unknown(f"attribute `{name}` of a `{t.qualname}` object (outside the project)")
        if isinstance(t, (Instance, ClassDef)):
            c = t.cls if isinstance(t, Instance) else t
            m = self.class_member(c, name)
            if isinstance(m, FuncDef):
                if any(d in ("property", "functools.cached_property", "cached_property")
                       for d in m.fn.decorators) and isinstance(t, Instance):
                    return self.call_result(m)
                return m
            if isinstance(m, VarDef):
                a = m.assign
                if a.annotation:
                    got = self.from_annotation(m.path, a.annotation, "")
                    if not isinstance(got, Unknown):
                        return got
                if isinstance(t, Instance):
                    inst = self._instance_attr(t.cls, name)
                    if not isinstance(inst, Unknown) or not a.has_value or a.value is None:
                        return inst
                return self.value_type(m.path, a.value, a.scope) if a.has_value else Unknown(
                    f"`{c.cls.name}.{name}` has no value")
            if isinstance(t, Instance):
                inst = self._instance_attr(t.cls, name)
                if not (isinstance(inst, Unknown) and inst.reason.startswith("no assignment")):
                    return inst
            return m if isinstance(m, Unknown) else Unknown(str(m))
        return Unknown(f"attribute `{name}` of a function")

    def _instance_attr(self, c: ClassDef, name: str) -> Type:
        """``self.name`` assigned in the methods of ``c`` and its project ancestors."""
        lineage = self.lineage(c)[0]
        found: list[tuple[str, AssignFact]] = []
        for anc in lineage:
            fi = self.file(anc.path)
            if fi is None:
                continue
            prefix = anc.cls.qualname + "."
            for (sc, target), assigns in fi.assigns.items():
                if target == f"self.{name}" and sc.startswith(prefix) \
                        and "." not in sc[len(prefix):]:
                    found.extend((anc.path, a) for a in assigns)
        found.extend(self._outside_stores(c, name))
        if not found:
            return Unknown(f"no assignment to `self.{name}` in `{c.cls.name}`")
        types: list[Type] = []
        for p, a in found:
            if a.annotated and a.annotation:
                t = self.from_annotation(p, a.annotation, a.scope)
                if not isinstance(t, Unknown):
                    types.append(t)
                    continue
            if a.augmented:
                return Unknown(f"`self.{name}` is updated in place ({p}:{a.span.line})")
            if not a.has_value or a.value is None:
                continue
            types.append(self.value_type(p, a.value, a.scope))
        if not types:
            return Unknown(f"`self.{name}` is only ever None")
        first = types[0]
        for t in types[1:]:
            if t != first:
                return t if isinstance(t, Unknown) else (
                    first if isinstance(first, Unknown) else
                    Unknown(f"`self.{name}` is assigned values of different types"))
        return first

    def _outside_stores(self, c: ClassDef, name: str) -> list[tuple[str, AssignFact]]:
        """``obj.name = v`` outside the class's methods, where ``obj`` is an instance of ``c``
        (a tracer filling in the context object it yields), in the files the rule consults.

        The candidate stores (``head.attr = ...``, ``head`` a plain name other than
        ``self``/``cls``) of every consultable file are indexed by ``attr`` on first use, in the
        order the files and their assignments come (sorted paths, then as recorded): a rule
        over a whole ``src/`` asked this ~8,000 times, each a scan of every assignment of
        every file (most of a cold run's evaluation, profiled)."""
        stores = self._stores
        if stores is None:
            stores = self._stores = {}
            for path in sorted(self.allowed):
                fi = self.file(path)
                if fi is None:
                    continue
                for (sc, target), assigns in fi.assigns.items():
                    if target.startswith(("self.", "cls.")):
                        continue
                    head, dot, attr = target.rpartition(".")
                    if not dot or "." in head or "(" in head:
                        continue
                    stores.setdefault(attr, []).append((path, sc, head, assigns))
        if "." in name:  # never an attribute name; scanned as a store of ``head.a.b``
            suffix = "." + name
            found = []
            for path in sorted(self.allowed):
                fi = self.file(path)
                for (sc, target), assigns in (fi.assigns.items() if fi else ()):
                    head = target[: -len(suffix)]
                    if target.endswith(suffix) and not target.startswith(("self.", "cls.")) \
                            and "." not in head and "(" not in head:
                        found.append((path, sc, head, assigns))
        else:
            found = stores.get(name, [])
        out: list[tuple[str, AssignFact]] = []
        for path, sc, head, assigns in found:
            t = self.type_of(path, head, sc)
            if isinstance(t, Instance) and t.cls == c:
                out.extend((path, a) for a in assigns)
        return out

    def call_result(self, t: Type) -> Type:
        if isinstance(t, Unknown):
            return t
        if isinstance(t, ClassDef):
            return Instance(t)
        if isinstance(t, External):
            return ExternalInstance(t.qualname)
        if isinstance(t, FuncDef):
            fn = t.fn
            if fn.return_annotation:
                # ``async def f() -> X``: the call is a coroutine of X; receivers are typed
                # after ``await``, which facts do not separate from the call: X either way
                return self.from_annotation(t.path, fn.return_annotation, fn.scope)
            if fn.yields:
                return Unknown(f"`{fn.qualname}` is a generator without a return annotation")
            rets = [r for r in fn.returns if r is not None]
            if not rets:
                return Unknown(f"`{fn.qualname}` returns nothing that can be followed")
            types = []
            for r in rets:
                if isinstance(r, Ref) and t.owner is not None and r.name in ("self", "cls"):
                    types.append(Instance(t.owner))
                    continue
                if isinstance(r, Ref) and t.owner is not None and r.name.startswith("cls."):
                    types.append(self._agree_class_attr(t.owner, r.name[4:]))
                    continue
                types.append(self.value_type(t.path, r, fn.qualname))
            first = types[0]
            for x in types[1:]:
                if x != first:
                    return x if isinstance(x, Unknown) else Unknown(
                        f"`{fn.qualname}` returns values of different types")
            return first
        if isinstance(t, (Instance, ExternalInstance)):
            return Unknown("calling an object")
        return Unknown("calling a module")

    def _agree_class_attr(self, c: ClassDef, name: str) -> Type:
        """``cls._instance``: what is assigned to it anywhere in the class (``cls._instance =
        cls()``/``super().__new__(cls)``) — an instance of the class when it is one of those."""
        fi = self.file(c.path)
        if fi is None:
            return Unknown(f"{c.path} was not analysed for this rule")
        for (sc, target), assigns in fi.assigns.items():
            if target in (f"cls.{name}", f"{c.cls.name}.{name}") and sc.startswith(
                    c.cls.qualname + "."):
                for a in assigns:
                    v = a.value
                    if isinstance(v, CallValue) and (v.callee in ("cls", c.cls.name) or
                                                     v.callee.endswith("__new__")):
                        return Instance(c)
        return Unknown(f"what `cls.{name}` holds in `{c.cls.name}` cannot be followed")

    def from_annotation(self, path: str, text: str, scope: str) -> Type:
        """The type an annotation names (``Optional[X]``, ``X | None``, ``"X"`` unwrapped)."""
        inner = unwrap_annotation(text)
        if inner is None:
            return Unknown(f"annotation `{text}` is not a single class")
        if inner in _UNTYPED:
            return Unknown(f"annotated `{inner}`")
        sym = self.resolve_dotted(path, inner, scope)
        if isinstance(sym, ClassDef):
            return Instance(sym)
        if isinstance(sym, External):
            if sym.qualname in _UNTYPED:
                return Unknown(f"annotated `{inner}`")
            return ExternalInstance(sym.qualname)
        if isinstance(sym, VarDef) and isinstance(sym.assign.value, Ref):
            cls = self.find_class(sym.path, sym.assign.value.name)
            if isinstance(cls, ClassDef):
                return Instance(cls)
        if isinstance(sym, Unknown):
            return sym
        return Unknown(f"annotation `{text}` does not name a class")


def _all_names(fi: _FileIndex) -> set[str] | None:
    """The names a module's literal ``__all__`` lists (None: it has none, or not a literal)."""
    assigns = fi.assigns.get(("", "__all__"))
    if not assigns or len(assigns) != 1 or assigns[0].augmented:
        return None
    v = assigns[0].value
    if isinstance(v, Seq) and not v.starred and all(isinstance(x, str) for x in v.items):
        return set(v.items)
    return None


def _private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def _owner_class(fi: _FileIndex, fn: FunctionFact) -> ClassFact | None:
    return fi.classes.get(fn.scope) if fn.scope else None


def _scope_chain(scope: str, fi: _FileIndex) -> list[str]:
    """``scope`` and the enclosing scopes whose names are visible from it (class bodies are not
    visible from the functions inside them), ending with the module ("")."""
    out: list[str] = []
    first = True
    cur = scope
    while cur:
        if first or cur not in fi.classes:
            out.append(cur)
        first = False
        if ".<locals>." in cur:
            cur = cur.rsplit(".<locals>.", 1)[0]
        elif "." in cur:
            cur = cur.rsplit(".", 1)[0]
        else:
            cur = ""
    out.append("")
    return out


def _split_parts(text: str) -> list[tuple[str, int]] | None:
    """``get_c().x.y()`` -> [("get_c", 1), ("x", 0), ("y", 1)]."""
    out = []
    for part in text.split("."):
        calls = 0
        while part.endswith("()"):
            part = part[:-2]
            calls += 1
        if not part.isidentifier():
            return None
        out.append((part, calls))
    return out


_OPTIONAL = re.compile(r"^(?:typing\.|typing_extensions\.)?Optional\[(.*)\]$")
_UNION = re.compile(r"^(?:typing\.|typing_extensions\.)?Union\[(.*)\]$")


def unwrap_annotation(text: str) -> str | None:
    """The one class an annotation names: strips quotes, ``Optional[...]``, ``Union[X, None]``,
    ``X | None``. None when it names several types or is not a dotted name."""
    t = text.strip()
    for _ in range(6):
        if len(t) >= 2 and t[0] == t[-1] and t[0] in "'\"":
            t = t[1:-1].strip()
            continue
        m = _OPTIONAL.match(t)
        if m:
            t = m.group(1).strip()
            continue
        m = _UNION.match(t)
        parts = _top_split(m.group(1), ",") if m else _top_split(t, "|")
        if len(parts) > 1:
            rest = [p.strip() for p in parts if p.strip() not in ("None", "NoneType")]
            if len(rest) != 1:
                return None
            t = rest[0]
            continue
        break
    return t if re.fullmatch(r"[A-Za-z_][\w]*(?:\.[A-Za-z_]\w*)*", t) else None


def _iterator_item(text: str) -> str:
    """``AsyncIterator[X]`` / ``AsyncGenerator[X, None]`` -> ``X`` ("" otherwise)."""
    t = text.strip().strip("'\"")
    m = re.fullmatch(r"(?:[\w.]*\.)?(\w+)\[(.*)\]", t)
    if not m or m.group(1) not in _ITERATORS:
        return ""
    parts = _top_split(m.group(2), ",")
    return parts[0].strip() if parts else ""


def _top_split(text: str, sep: str) -> list[str]:
    out, depth, cur = [], 0, []
    for ch in text:
        if ch in "[(":
            depth += 1
        elif ch in "])":
            depth -= 1
        if ch == sep and depth == 0:
            out.append("".join(cur))
            cur = []
        else:
            cur.append(ch)
    out.append("".join(cur))
    return out


def describe(t: Type) -> str:
    """A short rendering of a type for messages."""
    if isinstance(t, Instance):
        return f"a `{t.cls.cls.name}` ({t.cls.path})"
    if isinstance(t, ExternalInstance):
        return f"a `{t.qualname}` object"
    if isinstance(t, ClassDef):
        return f"the class `{t.cls.name}`"
    if isinstance(t, FuncDef):
        return f"the function `{t.fn.qualname}`"
    if isinstance(t, ModuleRef):
        return f"the module `{t.name}`"
    if isinstance(t, External):
        return f"`{t.qualname}`"
    return t.reason


def span_of(sym: Symbol | Type) -> tuple[str, Span] | None:
    """Where a definition is (evidence)."""
    if isinstance(sym, Instance):
        sym = sym.cls
    if isinstance(sym, ClassDef):
        return sym.path, sym.cls.span
    if isinstance(sym, FuncDef):
        return sym.path, sym.fn.span
    if isinstance(sym, VarDef):
        return sym.path, sym.assign.span
    return None


# ---------------------------------------------------------------------------------------------
# Calls
# ---------------------------------------------------------------------------------------------


def receiver_text(callee: str) -> str:
    """The receiver part of a callee's dotted text (``self.opik.trace_agent`` -> ``self.opik``;
    "" for a plain name)."""
    return callee.rsplit(".", 1)[0] if "." in callee else ""


def type_matches(view: ProjectView, t: Type, patterns: Sequence[str]) -> bool | None:
    """Is a value of type ``t`` one of ``patterns`` (project class names or dotted
    ``module.Class``, subclasses included; external dotted names such as ``opik.Opik``; module
    names such as ``mlflow``)? None: the type is not known."""
    if isinstance(t, Unknown):
        return None
    if isinstance(t, Instance):
        return view.subclass_of(t.cls, patterns)
    if isinstance(t, ClassDef):
        return view.subclass_of(t, patterns)
    if isinstance(t, (ExternalInstance, External)):
        q = t.qualname
        return any(q == p or q.endswith("." + p) or (set(p) & set("*?[") and fnmatchcase(q, p))
                   for p in patterns)
    if isinstance(t, ModuleRef):
        return any(t.name == p or t.name.endswith("." + p) for p in patterns)
    return False
