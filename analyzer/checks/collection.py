"""collection: a literal collection (a dataset, a list of stages) has enough items and variety.

Automates checkboxes such as "10 pre-built evaluation samples", "3 pharmaceutical brands
covered", "multiple query categories".

Decisions (copied into the README):

* **Which collection.** ``name`` is a module constant (``DEFAULT_DATASET = [...]``), a
  module-level function whose ``return`` is a literal list/tuple/set/dict (``def
  get_default_dataset(): return [...]``, also ``samples = [...]; return samples``), or the
  class-qualified form of either (``RAGEvaluator.DEFAULT_SAMPLES``,
  ``RAGEvaluator.default_samples``). ``list([...])``/``tuple([...])`` are unwrapped. A dict
  counts its entries (its values are the elements). Not defined in scope: FAIL.
* **Counting.** Only statically known elements are counted. ``*spread`` items, a dict
  ``**spread``, ``X += [...]`` or ``X.append(...)``/``.extend(...)`` on the same name make the
  count a *lower bound*: enough known items pass; too few is UNKNOWN (said so in the note),
  never a guessed failure. A comprehension or a computed value is not statically known
  (UNKNOWN). A function with several ``return`` values passes only if every one passes.
* **key** names an element field: a dict key (``{"brand": "Kisqali"}``) or a constructor
  keyword (``EvaluationSample(brand="Kisqali")``); positional constructor arguments are mapped
  to fields when the class is a dataclass-style class (annotated class attributes, in order)
  defined in the same file. ``min_distinct`` counts distinct literal values of that field;
  elements whose field is not a literal make that count a lower bound.
* Findings point at the definition and say expected vs found (and which values were seen).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..facts.model import CallValue, DictValue, PythonFacts, Ref, Seq, Value
from ..types import CheckResult, Location, Severity, Span
from .params import opt, params
from .base import CheckKind, RuleContext
from .pyindex import ClassRef, NotLiteral, PyIndex, empty_scope, literal, resolve_ref, show

_WRAPPERS = ("list", "tuple", "set", "frozenset", "sorted")


@dataclass
class Count:
    """What is known about one collection value."""

    items: list[Value] = field(default_factory=list)
    lower_bound: bool = False
    reasons: list[str] = field(default_factory=list)
    known: bool = True  # False: the value itself is not a literal collection


@dataclass(frozen=True, slots=True)
class Site:
    """One definition of the collection: a binding or one return statement."""

    file: str
    span: Span
    value: Value
    scope: str  # where names in the value resolve
    binding: str  # the name that may be appended to ("" if none)
    what: str


@params
class CollectionParams:
    """The `check:` parameters of `collection`."""

    name: str = opt(
        doc="Module constant or function (class-qualified allowed) holding the collection.")
    min: int | None = opt(None, doc="Minimum number of elements.", was=("min_items",))
    max: int | None = opt(None, doc="Maximum number of elements.", was=("max_items",))
    key: str | None = opt(None, doc="Element field: dict key or constructor keyword (e.g. brand).")
    min_distinct: int | None = opt(None, doc="Minimum number of distinct literal values of `key`.")


class Collection(CheckKind):
    kind = "collection"
    summary = ("A literal collection (module constant or function return) must have enough "
               "items, or enough distinct values of a field.")
    Params = CollectionParams
    valid_examples = (
        '{kind: collection, name: get_default_evaluation_dataset, min: 10, key: brand, min_distinct: 3}',
    )
    invalid_examples = (
        ('{kind: collection, name: DATASET, min_items: 10}',
         "is now spelled 'min'"),
        ('{kind: collection, name: DATASET, min: 3, max: 2}',
         'min (3) is greater than max (2)'),
    )
    example = """\
- code: E2I541
  name: ragas-default-dataset-size
  phase: 5
  severity: error
  message: the default RAGAS dataset must have 10 samples over 3 brands
  where:
    include: [src/rag/evaluation.py]
  check:
    kind: collection
    name: get_default_evaluation_dataset
    min: 10
    key: brand
    min_distinct: 3
"""

    @classmethod
    def validate(cls, params):  # type: ignore[override]
        errs = []
        name = params.get("name") or ""
        if not all(p.isidentifier() for p in name.split(".")):
            errs.append(f"name: {name!r} is not a (dotted) identifier")
        if all(params.get(k) is None for k in ("min", "max", "min_distinct")):
            errs.append("give at least one of min, max, min_distinct")
        for k in ("min", "max", "min_distinct"):
            if params.get(k) is not None and params[k] < 0:
                errs.append(f"{k}: must be 0 or more")
        if params.get("min_distinct") is not None and not params.get("key"):
            errs.append("min_distinct: needs `key` (the field whose values are counted)")
        lo, hi = params.get("min"), params.get("max")
        if lo is not None and hi is not None and lo > hi:
            errs.append(f"min ({lo}) is greater than max ({hi})")
        return errs

    def patterns(self) -> tuple[str, ...]:
        # every definition of the collection contains its own (last) name
        return (self.p["name"].rsplit(".", 1)[-1],)

    # -- finding the collection ---------------------------------------------------------------
    def _sites(self, idx: PyIndex) -> list[Site]:
        name: str = self.p["name"]
        owner, _, attr = name.rpartition(".")
        for x in idx.files:
            facts = x.facts
            if owner:
                classes = [c for c in idx.find_class(owner) if c.path == x.path]
                if not classes:
                    continue
                scope = classes[0].cls.qualname
            else:
                scope = ""
            binds = [a for a in facts.assigns if a.scope == scope and a.target == attr
                     and a.has_value and not a.augmented]
            if binds:
                a = binds[-1]  # the last binding is the one in effect
                return [Site(x.path, a.span, a.value, scope, attr, "value")]
            funcs = [f for f in facts.functions if f.scope == scope and f.name == attr]
            if funcs:
                fn = funcs[-1]
                return [Site(x.path, fn.span, r, fn.qualname, "", "return value")
                        for r in fn.returns] or [Site(x.path, fn.span, None, fn.qualname, "",
                                                      "return value")]
        return []

    def _count(self, site: Site, facts: PythonFacts) -> Count:
        value = site.value
        binding = site.binding
        scope = site.scope
        if isinstance(value, Ref) and "." not in value.name:
            binding = value.name
            value = resolve_ref(value, facts, scope)
        if isinstance(value, CallValue) and value.callee in _WRAPPERS and not value.qualname \
                and len(value.args) == 1 and not value.kwargs:
            value = value.args[0]
        out = Count()
        if isinstance(value, Seq):
            out.items = list(value.items)
            if value.starred:
                out.lower_bound = True
                out.reasons.append("a `*spread` item")
        elif isinstance(value, DictValue) and not value.comprehension:
            out.items = [v for _, v in value.items]
            if value.spread:
                out.lower_bound = True
                out.reasons.append("a `**spread` entry")
        else:
            out.known = False
            out.reasons.append(f"`{show(value)}` is not a literal collection")
            return out
        if binding:
            # a function's local list is grown in that function; a module constant anywhere
            local = site.what == "return value"
            for a in facts.assigns:
                if a.target == binding and a.scope == scope and a.augmented:
                    out.lower_bound = True
                    out.reasons.append(f"`{binding} += ...` at line {a.span.line}")
            for c in facts.calls:
                if (c.scope == scope or not local) and c.callee in (
                        f"{binding}.append", f"{binding}.extend", f"{binding}.insert",
                        f"{binding}.update"):
                    out.lower_bound = True
                    out.reasons.append(f"`{c.callee}(...)` at line {c.span.line}")
        return out

    # -- element fields -----------------------------------------------------------------------
    def _field(self, element: Value, facts: PythonFacts, path: str, idx: PyIndex,
               key: str | None = None) -> tuple[bool, Any]:
        """(known, value) of the ``key`` field of one element; value None if absent.

        A dotted key (``metadata.brand``) is a path: the field ``metadata`` must hold a dict
        display or constructor call, in which ``brand`` is looked up the same way (E2I's
        samples carry ``EvaluationSample(..., metadata={"brand": ...})``).
        """
        key = self.p["key"] if key is None else key
        if "." in key:
            head, rest = key.split(".", 1)
            inner = self._raw_field(element, head)
            if inner is None:
                return self._field(element, facts, path, idx, head)[0], None
            return self._field(resolve_ref(inner, facts), facts, path, idx, rest)
        if isinstance(element, DictValue):
            for k, v in element.items:
                if k == key:
                    return self._lit(v, facts)
            return (not element.spread), None
        if isinstance(element, CallValue):
            for k, v in element.kwargs:
                if k == key:
                    return self._lit(v, facts)
            fields = self._positional_fields(element.callee, path, idx)
            if fields and key in fields:
                i = fields.index(key)
                if i < len(element.args):
                    return self._lit(element.args[i], facts)
                return True, None
            return fields is not None, None
        return False, None

    @staticmethod
    def _raw_field(element: Value, key: str) -> Value | None:
        """The unevaluated value of field ``key`` of a dict display or keyword call."""
        if isinstance(element, DictValue):
            return next((v for k, v in element.items if k == key), None)
        if isinstance(element, CallValue):
            return next((v for k, v in element.kwargs if k == key), None)
        return None

    @staticmethod
    def _lit(v: Value, facts: PythonFacts) -> tuple[bool, Any]:
        try:
            lit = literal(resolve_ref(v, facts))
        except NotLiteral:
            return False, None
        if isinstance(lit, (list, dict)):
            return False, None
        return True, lit

    @staticmethod
    def _positional_fields(callee: str, path: str, idx: PyIndex) -> list[str] | None:
        if "." in callee:
            return None
        hits: list[ClassRef] = [c for c in idx.find_class(callee, prefer_path=path)
                                if c.path == path]
        if not hits:
            return None
        return [a.target for a in idx.class_assigns(hits[0]) if a.annotated
                and not a.annotation.startswith(("ClassVar", "typing.ClassVar"))]

    # -- evaluation ---------------------------------------------------------------------------
    def evaluate(self, ctx: RuleContext) -> CheckResult:
        name = self.p["name"]
        if not ctx.files:
            return self.result(ctx, [empty_scope(ctx, f"a definition of `{name}`")])
        idx = PyIndex(ctx.files)
        sites = self._sites(idx)
        if not sites:
            if ctx.undecidable():
                return self.undecided_result(
                    ctx, f"`{name}` not found and {ctx.undecidable()[0].path} could not be "
                    "analysed")
            where = ctx.scope_hint or ctx.anchor_path()
            return self.result(ctx, [ctx.finding(
                ctx.anchor_path(), None, f"`{name}` is not defined in {where} (expected a "
                                         "module constant or a function returning a literal "
                                         "collection)", source=f"undefined:{name}")])
        findings = []
        evidence: list[Location] = []
        unknown = False
        notes = []
        for site in sites:
            facts = idx.facts(site.file)
            count = self._count(site, facts)
            where = f"`{name}` ({site.what})"
            if not count.known:
                unknown = True
                msg = f"{where} is not statically known: {'; '.join(count.reasons)}"
                findings.append(ctx.finding(site.file, site.span, msg, source=f"unknown:{name}",
                                            severity=Severity.INFO))
                notes.append(msg)
                continue
            fails, maybes = self._judge(count, facts, site.file, idx, where)
            for msg in fails:
                findings.append(ctx.finding(site.file, site.span, msg, source=msg))
                notes.append(msg)
            for msg in maybes:
                unknown = True
                findings.append(ctx.finding(site.file, site.span, msg, source=msg,
                                            severity=Severity.INFO))
                notes.append(msg)
            if not fails and not maybes:
                evidence.append(Location(site.file, site.span))
                notes.append(f"{where}: {'at least ' if count.lower_bound else ''}"
                             f"{len(count.items)} item(s)")
        return self.result(ctx, findings, evidence, note="; ".join(notes[:3]), undecided=unknown)

    def _judge(self, count: Count, facts: PythonFacts, path: str, idx: PyIndex,
               where: str) -> tuple[list[str], list[str]]:
        fails: list[str] = []
        maybes: list[str] = []
        n = len(count.items)
        bound = f" (a lower bound: {'; '.join(count.reasons)} cannot be counted)" \
            if count.lower_bound else ""
        lo, hi = self.p.get("min"), self.p.get("max")
        if lo is not None and n < lo:
            msg = f"{where} has {n} known item(s), at least {lo} required{bound}"
            (maybes if count.lower_bound else fails).append(msg)
        if hi is not None and n > hi:
            fails.append(f"{where} has {'at least ' if count.lower_bound else ''}{n} item(s), "
                         f"at most {hi} allowed")
        elif hi is not None and count.lower_bound:
            maybes.append(f"{where} has at least {n} item(s); at most {hi} allowed, but the "
                          f"total is not known{bound}")
        need = self.p.get("min_distinct")
        if need is not None:
            values: list[Any] = []
            partial = count.lower_bound
            for el in count.items:
                known, val = self._field(el, facts, path, idx)
                if not known:
                    partial = True
                elif val is not None and val not in values:
                    values.append(val)
            if len(values) < need:
                seen = ", ".join(repr(v) for v in values[:10]) or "none"
                msg = (f"{where} has {len(values)} distinct `{self.p['key']}` value(s) "
                       f"({seen}), at least {need} required")
                if partial:
                    maybes.append(msg + " (some elements' field is not statically known)")
                else:
                    fails.append(msg)
        return fails, maybes
