"""constant-value: a named constant, class attribute, field default or dict entry has a value.

Automates checkboxes such as "faithfulness metric (threshold: 0.80)", "answer relevancy
(threshold: 0.85)", "circuit breaker thresholds (failure: 5, reset: 30s)" where the value lives
in Python code rather than in YAML.

Decisions (copied into the README):

* **Candidates.** ``names`` lists dotted paths tried in order; the first one defined anywhere in
  scope decides (every definition it matches is checked). A path is:

  - a module constant: ``FAITHFULNESS_THRESHOLD`` (``X = 0.8``, ``X: float = 0.8``);
  - a class attribute or dataclass/pydantic/attrs field default: ``RAGASConfig.
    faithfulness_threshold`` (``= 0.8``, ``= field(default=0.8)``, ``= Field(0.8)``,
    ``= Field(default=0.8)``, ``= attr.ib(default=0.8)``), also inherited from an in-scope
    base class, also nested classes (``Outer.Inner.x``);
  - a dict entry, at any depth: ``RAGAS_THRESHOLDS.faithfulness``,
    ``METRICS.faithfulness.threshold``, ``Config.THRESHOLDS.faithfulness`` (dict displays and
    ``dict(k=v)``; string keys);
  - a glob over those paths: ``*.faithfulness`` is "an entry or attribute named faithfulness in
    any module/class-level dict display or class" (a glob never matches a path whose value is
    itself a dict display: ``METRICS.faithfulness = {"threshold": ...}`` is a container).

* **Value.** Literals (numbers, strings, booleans, None, lists), ``-1``, and names bound to a
  literal in the same file (``X = DEFAULT``) are known. Anything else (a call, an expression,
  ``default_factory``, an annotation without a default) is *not statically known*: the rule is
  UNKNOWN with an info finding at the definition, never a guess.
* **Assertions**, all inclusive: ``equals`` (numbers compare within ``tolerance``, default
  1e-9; ``True`` never equals ``1``), ``at_least``, ``at_most`` (numbers only), ``one_of``.
* Not defined: FAIL "not defined (looked for: ...)" at the package. Each failing assertion is a
  finding at the definition (for a dict entry: at its key) with the expected and found value.
"""

from __future__ import annotations

from dataclasses import dataclass
from fnmatch import fnmatchcase
from typing import Any, Iterator

from ..facts.model import CallValue, DictValue, PythonFacts, Unknown, Value
from ..types import CheckResult, Location, Severity, Span
from .params import opt, params
from .base import CheckKind, RuleContext
from .pyindex import (ClassRef, NotLiteral, PyIndex, empty_scope, is_num, literal, resolve_ref,
                      show, undecidable_note)

_GLOB = "*?["
_FIELD_CALLS = ("field", "Field", "ib", "attrib")
_ABSENT = Unknown("<no default>")


@dataclass(frozen=True, slots=True)
class Definition:
    """One place a dotted path gets a value."""

    path: str  # dotted path, e.g. "RAGAS_THRESHOLDS.faithfulness"
    value: Value
    file: str
    span: Span
    scope: str  # where names in the value resolve ("" = module)


def field_default(v: Value) -> Value:
    """``field(default=x)`` / ``Field(x)`` / ``attr.ib(default=x)`` -> x (else ``v``)."""
    if not isinstance(v, CallValue) or v.callee.rsplit(".", 1)[-1] not in _FIELD_CALLS:
        return v
    kwargs = dict(v.kwargs)
    if "default" in kwargs:
        return kwargs["default"]
    if "default_factory" in kwargs or "factory" in kwargs:
        return Unknown(f"{v.callee}(default_factory=...)")
    if v.callee.rsplit(".", 1)[-1] == "Field" and v.args:
        return v.args[0]
    return _ABSENT


def _entries(prefix: str, value: Value, file: str, span: Span, scope: str) -> Iterator[Definition]:
    yield Definition(prefix, value, file, span, scope)
    if isinstance(value, DictValue) and not value.comprehension:
        spans = value.key_spans or (None,) * len(value.items)
        for (k, v), ks in zip(value.items, spans):
            if isinstance(k, str) and k:
                yield from _entries(f"{prefix}.{k}", v, file, ks or span, scope)


def definitions(idx: PyIndex) -> list[Definition]:
    """Every module constant, class attribute and dict entry in scope, as dotted paths."""
    out: list[Definition] = []
    own: dict[tuple[str, str], list[Definition]] = {}
    for x in idx.files:
        for a in x.facts.assigns:
            if "." in a.target or a.augmented:
                continue
            if a.scope == "":
                value = a.value if a.has_value else _ABSENT
                out.extend(_entries(a.target, value, x.path, a.span, ""))
        for c in x.facts.classes:
            ref = ClassRef(x.path, c)
            defs = []
            for a in idx.class_assigns(ref):
                if a.augmented:
                    continue
                value = field_default(a.value) if a.has_value else _ABSENT
                defs.extend(_entries(f"{c.qualname}.{a.target}", value, x.path, a.span,
                                     c.qualname))
            own[(x.path, c.qualname)] = defs
    for x in idx.files:
        for c in x.facts.classes:
            ref = ClassRef(x.path, c)
            mine = own[(x.path, c.qualname)]
            out.extend(mine)
            have = {d.path for d in mine}
            lineage, _ = idx.lineage(ref)
            for anc in lineage[1:]:
                for d in own.get((anc.path, anc.cls.qualname), ()):
                    alias = c.qualname + d.path[len(anc.cls.qualname):]
                    if alias not in have:
                        have.add(alias)
                        out.append(Definition(alias, d.value, d.file, d.span, d.scope))
    return out


def same(a: Any, b: Any, tolerance: float) -> bool:
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if is_num(a) and is_num(b):
        return abs(a - b) <= tolerance
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return len(a) == len(b) and all(same(x, y, tolerance) for x, y in zip(a, b))
    return type(a) is type(b) and a == b


@params
class ConstantValueParams:
    """The `check:` parameters of `constant-value`."""

    names: list[str] = opt(
        doc="Candidate dotted paths (globs allowed); the first one defined decides.")
    equals: str | int | float | bool | list[Any] | None = opt(
        None,
        doc="The value must equal this (numbers within `tolerance`).")
    at_least: int | float | None = opt(None, doc="Inclusive lower bound (numbers).",
                                       was={"min": ""})
    at_most: int | float | None = opt(None, doc="Inclusive upper bound (numbers).",
                                      was={"max": ""})
    one_of: list[Any] | None = opt(None, doc="The value must equal one of these.")
    tolerance: float = opt(1e-9, doc="Absolute tolerance when comparing numbers.")


class ConstantValue(CheckKind):
    kind = "constant-value"
    summary = ("A module constant, class attribute/field default or dict entry must have a "
               "given value (equals / at_least / at_most / one_of).")
    Params = ConstantValueParams
    valid_examples = (
        '{kind: constant-value, names: [FAITHFULNESS_THRESHOLD, "*THRESHOLDS.faithfulness"], equals: 0.8}',
        '{kind: constant-value, names: [RESET_TIMEOUT], at_least: 30, at_most: 300}',
    )
    invalid_examples = (
        ('{kind: constant-value, names: [RESET_TIMEOUT], min: 30}',
         "is now spelled 'at_least'"),
        ('{kind: constant-value, names: [X], at_least: 2, at_most: 1}',
         'at_least (2) is greater than at_most (1)'),
    )
    example = """\
- code: E2I501
  name: ragas-faithfulness-threshold
  phase: 5
  severity: error
  message: the RAGAS faithfulness threshold must be 0.80
  where:
    include: [src/rag/**]
  check:
    kind: constant-value
    names: [FAITHFULNESS_THRESHOLD, RAGASConfig.faithfulness_threshold, "*.faithfulness"]
    equals: 0.8
"""

    @classmethod
    def validate(cls, params):  # type: ignore[override]
        errs = []
        if not params.get("names"):
            errs.append("names: must list at least one dotted path")
        for n in params.get("names") or ():
            if not all(part.strip() for part in n.split(".")):
                errs.append(f"names: {n!r} is not a dotted path (empty component)")
        if all(params.get(k) is None for k in ("equals", "at_least", "at_most", "one_of")):
            errs.append("give at least one of equals, at_least, at_most, one_of")
        lo, hi = params.get("at_least"), params.get("at_most")
        if lo is not None and hi is not None and lo > hi:
            errs.append(f"at_least ({lo}) is greater than at_most ({hi})")
        if (params.get("tolerance") or 0) < 0:
            errs.append("tolerance: must be 0 or more")
        return errs

    def patterns(self) -> tuple[str, ...] | None:
        # a definition's source contains each literal part of its path (a name, a class, an
        # attribute, a dict key - the latter possibly escaped, hence the backslash)
        out = set()
        for name in self.p["names"]:
            lits = []
            for part in name.split("."):
                cut = min([part.index(c) for c in _GLOB if c in part] or [len(part)])
                if part[:cut]:
                    lits.append(part[:cut])
            if not lits:
                return None
            out.update(lits)
            if "." in name:
                out.add("\\")
        return tuple(sorted(out))

    def _matches(self, defs: list[Definition]) -> tuple[str, list[Definition]]:
        for cand in self.p["names"]:
            if any(c in cand for c in _GLOB):
                # a glob names values, not the dicts that hold them (those are traversed)
                hits = [d for d in defs if fnmatchcase(d.path, cand)
                        and not isinstance(d.value, DictValue)]
            else:
                hits = [d for d in defs if d.path == cand]
            if hits:
                return cand, hits
        return "", []

    def _expected(self) -> str:
        parts = []
        if self.p.get("equals") is not None:
            parts.append(f"== {self.p['equals']!r}")
        if self.p.get("at_least") is not None:
            parts.append(f">= {self.p['at_least']!r}")
        if self.p.get("at_most") is not None:
            parts.append(f"<= {self.p['at_most']!r}")
        if self.p.get("one_of") is not None:
            parts.append(f"one of {self.p['one_of']!r}")
        return " and ".join(parts)

    def _problems(self, value: Any) -> list[str]:
        tol = self.p.get("tolerance")
        tol = 1e-9 if tol is None else tol
        out = []
        if self.p.get("equals") is not None and not same(value, self.p["equals"], tol):
            out.append(f"expected {self.p['equals']!r}")
        for key, op in (("at_least", ">="), ("at_most", "<=")):
            bound = self.p.get(key)
            if bound is None:
                continue
            if not is_num(value):
                out.append(f"expected a number {op} {bound!r}")
            elif (value < bound - tol) if key == "at_least" else (value > bound + tol):
                out.append(f"expected {op} {bound!r}")
        one_of = self.p.get("one_of")
        if one_of is not None and not any(same(value, o, tol) for o in one_of):
            out.append(f"expected one of {one_of!r}")
        return out

    def evaluate(self, ctx: RuleContext) -> CheckResult:
        looked = ", ".join(f"`{n}`" for n in self.p["names"])
        if not ctx.files:
            return self.result(ctx, [empty_scope(ctx, f"a definition of {looked}")])
        idx = PyIndex(ctx.files)
        cand, hits = self._matches(definitions(idx))
        if not hits:
            if ctx.undecidable():
                return self.result(ctx, [], note=undecidable_note(
                    ctx, f"{looked} not found"), undecided=True)
            where = ctx.scope_hint or ctx.anchor_path()
            return self.result(ctx, [ctx.finding(
                ctx.anchor_path(), None, f"not defined in {where} (looked for: {looked}); "
                                         f"expected {self._expected()}",
                source=f"undefined:{looked}")])
        findings = []
        evidence: list[Location] = []
        unknown = False
        for d in hits:
            facts: PythonFacts = idx.facts(d.file)
            value = resolve_ref(d.value, facts, d.scope)
            try:
                if value is _ABSENT:
                    raise NotLiteral("declared without a default value")
                lit = literal(value)
            except NotLiteral as exc:
                unknown = True
                why = str(exc) if value is _ABSENT else f"`{show(value)}`"
                findings.append(ctx.finding(
                    d.file, d.span, f"`{d.path}` value not statically known ({why}); "
                                    f"expected {self._expected()}",
                    source=f"unknown:{d.path}", severity=Severity.INFO))
                continue
            problems = self._problems(lit)
            if problems:
                findings.append(ctx.finding(
                    d.file, d.span, f"`{d.path}` is {lit!r}, {' and '.join(problems)}",
                    source=f"value:{d.path}"))
            else:
                evidence.append(Location(d.file, d.span))
        note = f"`{cand}`: {len(hits)} definition(s) checked"
        return self.result(ctx, findings, evidence, note=note, undecided=unknown)
