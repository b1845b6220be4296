"""A project-level view of the Python facts in one rule's scope, shared by the Python kinds.

Facts are per file; several checks need to look across files: "does class ``X`` (wherever it is
defined in scope) inherit ``start_run`` from a base class in another file", "which module
constant is called ``FAITHFULNESS_THRESHOLD``". This module answers those questions from
facts only, and says when it cannot (a base class that is not in scope is *unresolved*, so a
missing method may be inherited from it: checks report that as undecidable, never as absent).

It also holds the small helpers the kinds share: rendering a ``Value`` for a message, the
empty-scope finding, and literal conversion.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Iterable, Iterator, Sequence

from ..facts.model import (AssignFact, CallValue, ClassFact, DictValue, FileFacts, FStr,
                           FunctionFact, PythonFacts, Ref, Seq, Unknown, Value)
from ..types import Finding, Span
from .base import RuleContext, could_not_decide

if TYPE_CHECKING:
    from .resolve import ProjectView

# bases that never contribute methods or attributes a contract could ask for
NEUTRAL_BASES = frozenset({
    "object", "abc.ABC", "ABC", "typing.Generic", "typing.Protocol", "Generic", "Protocol",
    "typing_extensions.Protocol", "Exception", "BaseException", "dict", "list", "str", "int",
    "float", "tuple", "set",
})
ENUM_BASES = frozenset({
    "enum.Enum", "enum.StrEnum", "enum.IntEnum", "enum.Flag", "enum.IntFlag", "enum.ReprEnum",
    "strenum.StrEnum", "aenum.Enum", "aenum.StrEnum", "aenum.IntEnum",
})


class NotLiteral(Exception):
    """A Value that is not (entirely) a Python literal."""


def literal(v: Value) -> Any:
    """The Python value of a fully literal Value (str/number/bool/None, lists, dicts)."""
    if v is None or isinstance(v, (str, int, float, bool, bytes)):
        return v
    if isinstance(v, Seq) and not v.starred:
        items = [literal(i) for i in v.items]
        return tuple(items) if v.kind == "tuple" else items
    if isinstance(v, DictValue) and not v.spread and not v.comprehension:
        return {_hashable(literal(k)): literal(val) for k, val in v.items}
    raise NotLiteral(show(v))


def _hashable(v: Any) -> Any:
    if isinstance(v, (list, dict)):
        raise NotLiteral(repr(v))
    return v


def is_num(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def show(v: Value, limit: int = 60) -> str:
    """A short, unambiguous rendering of a Value for messages (strings quoted)."""
    out = _show(v)
    return out if len(out) <= limit else out[:limit - 3] + "..."


def _show(v: Value) -> str:
    if isinstance(v, str):
        return repr(v)
    if isinstance(v, float) and math.isfinite(v):
        return repr(v)
    if isinstance(v, (bool, int, float, bytes)) or v is None:
        return repr(v)
    if isinstance(v, FStr):
        return v.text or f'f"{v.prefix}..."'
    if isinstance(v, Unknown):
        return v.text or "<unknown>"
    if isinstance(v, Ref):
        return v.name
    if isinstance(v, Seq):
        inner = ", ".join(_show(i) for i in v.items[:6])
        if len(v.items) > 6 or v.starred:
            inner += ", ..."
        return {"list": f"[{inner}]", "tuple": f"({inner})", "set": f"{{{inner}}}"}[v.kind]
    if isinstance(v, DictValue):
        inner = ", ".join(f"{_show(k)}: {_show(x)}" for k, x in v.items[:4])
        if len(v.items) > 4 or v.spread:
            inner += ", ..."
        return f"{{{inner}}}"
    if isinstance(v, CallValue):
        return f"{v.callee}(...)"
    return repr(v)


def scope_words(ctx: RuleContext) -> str:
    """Where a rule looked, for messages: the literal folder of its include globs, else the
    globs themselves (``**/opik_connector.py`` has no literal folder), else "the rule's
    scope"."""
    if ctx.scope_hint:
        return ctx.scope_hint
    include = [g for g in ctx.rule.where.include if g not in ("**", "**/*")]
    if include:
        return ", ".join(f"`{g}`" for g in include)
    return "the rule's scope"


def empty_scope(ctx: RuleContext, expected: str) -> Finding:
    """The finding of a rule whose scope matched no file: nothing was proved."""
    where = scope_words(ctx)
    return ctx.finding(ctx.anchor_path(), None,
                       f"no files in scope ({where} does not exist or holds no matching files); "
                       f"expected {expected}", source=f"empty-scope:{where}")


def call_literals(patterns: Iterable[str]) -> tuple[str, ...] | None:
    """Prefilter text for call patterns: a matching call's source contains its last name.

    ``*.log_params`` -> ``log_params``; a glob in the last component keeps its literal part
    before the glob (``log_*`` -> ``log_``); None when some pattern has no literal text.
    """
    from .require_call import split_literal

    out = set()
    for pat in patterns:
        last = split_literal(pat)[0].rsplit(".", 1)[-1]
        cut = min([last.index(c) for c in "*?[" if c in last] or [len(last)])
        if not last[:cut]:
            return None
        out.add(last[:cut])
    return tuple(sorted(out))


def undecidable_note(ctx: RuleContext, what: str) -> str:
    bad = ", ".join(sorted(f.path for f in ctx.undecidable())[:3])
    return could_not_decide(f"{what}, and {bad} could not be analysed")


def word_in(name: str, text: str) -> bool:
    """True if identifier ``name`` occurs in ``text`` as a whole word."""
    return re.search(rf"(?<![\w]){re.escape(name)}(?![\w])", text) is not None


@dataclass(frozen=True, slots=True)
class Located:
    """A fact together with the file it came from."""

    path: str
    facts: PythonFacts


@dataclass(frozen=True, slots=True)
class ClassRef:
    path: str
    cls: ClassFact


class PyIndex:
    """Lookups across the parsed Python files of one rule's scope (in scope order).

    With a ``project`` view (rules with reach, ``CheckKind.reach``), a class the scope's files
    import is found where it is defined, and base classes are followed into the project files
    the rule may consult (``checks/resolve.py``)."""

    def __init__(self, files: Sequence[FileFacts], project: "ProjectView | None" = None) -> None:
        self.files: list[Located] = [Located(f.path, f.python) for f in files
                                     if f.python is not None]
        self._by_path = {x.path: x.facts for x in self.files}
        self._classes: dict[str, list[ClassRef]] = {}
        for x in self.files:
            for c in x.facts.classes:
                self._classes.setdefault(c.name, []).append(ClassRef(x.path, c))
        self.project = project

    def facts(self, path: str) -> PythonFacts:
        hit = self._by_path.get(path)
        if hit is None and self.project is not None:
            fi = self.project.file(path)
            if fi is not None:
                return fi.facts
        if hit is None:
            raise KeyError(path)
        return hit

    # -- classes ------------------------------------------------------------------------------
    def find_class(self, name: str, prefer_path: str = "") -> list[ClassRef]:
        """Classes called ``name`` (or with that qualname): same file first, module level first."""
        last = name.rsplit(".", 1)[-1]
        hits = [c for c in self._classes.get(last, ())
                if "." not in name or c.cls.qualname == name]
        return sorted(hits, key=lambda c: (c.path != prefer_path, c.cls.scope != "",
                                           "<locals>" in c.cls.qualname))

    def imported_class(self, name: str) -> tuple[ClassRef | None, str]:
        """A class the scope's files import under ``name``, at its definition (through
        re-exports); ("", reason) when an import of that name cannot be followed."""
        if self.project is None:
            return None, ""
        from .resolve import ClassDef, Unknown

        reasons = []
        for x in self.files:
            for bound in _bound_as(x.facts, name):
                hit = self.project.find_class(x.path, bound)
                if isinstance(hit, ClassDef):
                    return ClassRef(hit.path, hit.cls), ""
                if isinstance(hit, Unknown):
                    reasons.append(f"{x.path} imports `{name}`, but {hit.reason}")
                else:
                    reasons.append(f"{x.path} imports `{name}` from outside the project "
                                   f"(`{getattr(hit, 'qualname', name)}`)")
        return None, "; ".join(reasons[:2])

    def imported_function(self, name: str) -> tuple[tuple[str, FunctionFact] | None, str]:
        """A module-level function the scope's files import under ``name``, at its definition
        (through re-exports); (None, reason) when such an import cannot be followed."""
        if self.project is None:
            return None, ""
        from .resolve import External, FuncDef, Unknown

        reasons = []
        for x in self.files:
            for bound in _bound_as(x.facts, name):
                hit = self.project.resolve_name(x.path, bound)
                if isinstance(hit, FuncDef) and hit.fn.scope == "":
                    return (hit.path, hit.fn), ""
                if isinstance(hit, Unknown) and not hit.missing:
                    reasons.append(f"{x.path} imports `{name}`, but {hit.reason}")
                elif isinstance(hit, External):
                    reasons.append(f"{x.path} imports `{name}` from outside the project "
                                   f"(`{hit.qualname}`)")
        return None, "; ".join(reasons[:2])

    def resolve_base(self, base: str, path: str) -> ClassRef | None:
        """The class a base expression names (``Base``, ``pkg.mod.Base``): through the file's
        imports into the project when a view is given, else by name among the scope's files."""
        last = base.rsplit(".", 1)[-1]
        if not last.isidentifier():
            return None
        if self.project is not None:
            from .resolve import ClassDef

            text = base.split("[")[0]
            if re.fullmatch(r"[\w.]+", text) and self.project.file(path) is not None:
                hit = self.project.find_class(path, text)
                if not isinstance(hit, ClassDef) and "." in text:
                    # facts give a base imported by ``from m import Base`` as its absolute
                    # name (``m.Base``), which is no name in the file: look it up in ``m``
                    mod, _, name = text.rpartition(".")
                    alt = self.project.member(mod, name)
                    if isinstance(alt, ClassDef):
                        hit = alt
                if isinstance(hit, ClassDef):
                    return ClassRef(hit.path, hit.cls)
        hits = self.find_class(last, prefer_path=path)
        if not hits:
            return None
        if "." in base:
            # a qualified base: prefer a class whose file path matches the module path
            mod = base.rsplit(".", 1)[0].replace(".", "/")
            for h in hits:
                if h.path[:-3].endswith(mod) or h.path.endswith(f"{mod}/__init__.py"):
                    return h
        return hits[0]

    def lineage(self, ref: ClassRef) -> tuple[list[ClassRef], list[str]]:
        """``ref`` and its in-scope ancestors (breadth first), plus the bases not in scope."""
        out: list[ClassRef] = []
        unresolved: list[str] = []
        queue = [ref]
        seen: set[tuple[str, str]] = set()
        while queue:
            cur = queue.pop(0)
            key = (cur.path, cur.cls.qualname)
            if key in seen:
                continue
            seen.add(key)
            out.append(cur)
            for base in cur.cls.bases:
                hit = self.resolve_base(base, cur.path)
                if hit is not None and (hit.path, hit.cls.qualname) != key:
                    queue.append(hit)
                elif hit is None and base.split("[")[0] not in NEUTRAL_BASES:
                    unresolved.append(base)
        return out, unresolved

    def methods(self, ref: ClassRef) -> list[FunctionFact]:
        """Functions defined in the class body (also under ``if``/``try`` in the body)."""
        return [f for f in self.facts(ref.path).functions if f.scope == ref.cls.qualname]

    def class_assigns(self, ref: ClassRef) -> list[AssignFact]:
        """Class-level assignments and annotations (enum members, dataclass fields...)."""
        return [a for a in self.facts(ref.path).assigns
                if a.scope == ref.cls.qualname and "." not in a.target]

    # -- module level -------------------------------------------------------------------------
    def module_functions(self, name: str) -> Iterator[tuple[str, FunctionFact]]:
        for x in self.files:
            for f in x.facts.functions:
                if f.scope == "" and f.name == name:
                    yield x.path, f

    def module_assigns(self, path: str, name: str) -> list[AssignFact]:
        return [a for a in self.facts(path).assigns if a.scope == "" and a.target == name]


def _bound_as(facts: PythonFacts, name: str) -> list[str]:
    """Module-level names a file's ``from`` imports bind for ``name``: the name itself
    (``from m import X`` / ``from m import Y as X``) and an alias of it (``from m import X as
    Y`` still brings class ``X`` into the file)."""
    out: list[str] = []
    for imp in facts.imports:
        if imp.kind != "from":
            continue
        for n in imp.names:
            bound = n.asname or n.name
            if (bound == name or n.name == name) and bound not in out:
                out.append(bound)
    return out


def resolve_ref(v: Value, facts: PythonFacts, scope: str = "", depth: int = 0) -> Value:
    """Follow a bare-name Ref to the literal it is bound to in the same file (one binding only).

    Looks in ``scope`` first, then at module level. Several bindings of the name in that scope
    (reassigned, or assigned in branches) leave the Ref as it is: the value is not known.
    """
    if not isinstance(v, Ref) or "." in v.name or depth > 5:
        return v
    if scope and any(f.qualname == scope and v.name in f.params for f in facts.functions):
        return v  # a parameter: its value comes from the caller
    for sc in dict.fromkeys((scope, "")):
        hits = [a for a in facts.assigns if a.scope == sc and a.target == v.name]
        if len(hits) == 1 and hits[0].has_value and not hits[0].augmented:
            return resolve_ref(hits[0].value, facts, sc, depth + 1)
        if hits:
            return v
    return v


def spans_first(spans: Iterable[Span | None], default: Span) -> Span:
    for s in spans:
        if s is not None:
            return s
    return default
