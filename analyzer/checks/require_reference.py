"""require-reference: imports, calls, decorators, ``async with`` uses or names must be present.

Automates checkboxes such as "imports ``OpikConnector``", "imports ``get_opik_connector``",
"``traced_node()`` decorator applied", "uses ``MLflowConnector``" — several kinds of reference
in one rule, with ``mode: all`` (every listed reference) or ``mode: any`` (at least one).

Matching (copied into the README):

* ``imports``: ``from m import Name``, ``from m import Name as N``, ``import m.Name``,
  ``import m.Name as x``, relative imports (``from ..mlops.opik_connector import Name`` is
  resolved against the file's path), imports nested in functions or under
  ``if TYPE_CHECKING:``, and literal ``importlib.import_module("m")``. A bare entry (``Name``)
  matches the last component of what is imported, or a module with its members (``anthropic``
  matches ``from anthropic import Anthropic`` and ``import anthropic.types``); a dotted entry
  (``src.mlops.opik_connector.OpikConnector``) the resolved qualified name; globs
  (``*.opik_connector.*``) are matched with fnmatch over the qualified name, and a trailing
  ``.*`` also matches the module itself (``anthropic.*`` matches ``import anthropic``, ``from
  anthropic import Anthropic`` and ``import anthropic.types``). A star import (``from m import
  *``) can only *maybe* provide a name: when the name is then used in that file and not
  imported otherwise, the rule is UNKNOWN.
* ``calls``: the require-call patterns (``name``, ``*.name``, ``pkg.mod.func``, globs), for
  calls and decorators alike.
* ``decorators``: the same patterns, applied as ``@d``, ``@d(...)``, or ``d(...)(fn)``.
* ``async_with``: call patterns used as ``async with x(...)`` (also ``async with await x()``).
* ``names``: identifiers used in code as a name or attribute (``OpikConnector()``,
  ``x: OpikConnector``, ``except OpikError``, ``m.OpikConnector``). Never from strings, string
  annotations, comments or docstrings; imports, definitions and parameters are not uses.

``per: set`` (default) asks the files in scope together; ``per: file`` asks each file. The
finding lists exactly the references that are missing; evidence shows where each present one
was found. A file in scope that could not be analysed makes a missing reference UNKNOWN.
"""

from __future__ import annotations

import posixpath
from dataclasses import dataclass
from fnmatch import fnmatchcase
from typing import Iterable, Literal

from ..facts.model import CallFact, ImportFact, PythonFacts
from ..types import CheckResult, Location, Severity, Span
from .params import opt, params
from .base import CheckKind, RuleContext, could_not_decide
from .pyindex import call_literals, empty_scope
from .require_call import call_matcher, call_matches, split_literal

_GLOB = "*?["
_CATEGORIES = (("imports", "import"), ("calls", "call"), ("decorators", "decorator"),
               ("async_with", "async with"), ("names", "name"))


@dataclass(frozen=True, slots=True)
class _Req:
    category: str  # the parameter name: imports | calls | decorators | async_with | names
    pattern: str

    def __str__(self) -> str:
        if self.category == "group":
            return f"one of: {self.pattern}"
        label = dict(_CATEGORIES)[self.category]
        return f"{label} `{self.pattern}`"


def module_of(path: str) -> list[str]:
    """The package of a file as dotted parts: ``src/a/b.py`` -> [src, a]."""
    return posixpath.dirname(path).split("/") if posixpath.dirname(path) else []


def absolute_module(imp: ImportFact, path: str) -> str:
    """The absolute module of a ``from`` import (relative ones resolved against ``path``)."""
    if imp.level == 0:
        return imp.module
    pkg = module_of(path)
    if imp.level - 1 > len(pkg):
        return ""
    base = pkg[:len(pkg) - (imp.level - 1)]
    return ".".join([*base, imp.module] if imp.module else base)


def imported_names(imp: ImportFact, path: str) -> Iterable[str]:
    """Qualified names an import statement brings in ("*" entries excluded)."""
    if imp.kind == "dynamic":
        yield imp.module
        return
    if imp.kind == "import":
        for n in imp.names:
            yield n.name
        return
    mod = absolute_module(imp, path)
    for n in imp.names:
        if n.name != "*":
            yield f"{mod}.{n.name}" if mod else n.name


def import_matches(qualified: str, entry: str, kind: str) -> bool:
    if entry.endswith(".*") and qualified == entry[:-2]:
        return True  # ``m.*`` is the module and its members, as users read it
    if any(c in entry for c in _GLOB):
        return fnmatchcase(qualified, entry)
    if "." not in entry:
        # ``Name`` is the last component of what is imported; a bare ``m`` is also the module
        # itself with its members, as users read it (``from m import X``, ``import m.sub``)
        return qualified.rsplit(".", 1)[-1] == entry or qualified == entry or \
            qualified.startswith(entry + ".")
    return qualified == entry or (kind == "import" and qualified.startswith(entry + "."))


def decorator_applied(calls: tuple[CallFact, ...], pattern: str) -> CallFact | None:
    """A call of the decorator pattern as ``@d``, ``@d(...)`` or ``d(...)(fn)``."""
    applied = {(c.span.line, c.span.column, c.callee) for c in calls if c.callee.endswith("()")}
    for c in calls:
        if not call_matches(c, pattern):
            continue
        if c.context in ("decorator", "decorator-ref"):
            return c
        if (c.span.line, c.span.column, c.callee + "()") in applied:
            return c
    return None


@params
class ReferenceGroup:
    """One item of `groups`: met by any one of its references."""

    imports: list[str] | None = opt(None, doc="Names imported.")
    calls: list[str] | None = opt(None, doc="Call patterns called.")
    decorators: list[str] | None = opt(None, doc="Decorator patterns applied.")
    async_with: list[str] | None = opt(None, doc="Call patterns used as `async with x(...)`.")
    names: list[str] | None = opt(None, doc="Identifiers used in code.")


@params
class RequireReferenceParams:
    """The `check:` parameters of `require-reference`."""

    imports: list[str] | None = opt(
        None,
        doc="Names that must be imported (bare `Name` or dotted `pkg.mod.Name`, globs).")
    calls: list[str] | None = opt(
        None,
        doc="Call patterns that must be called (as in require-call).")
    decorators: list[str] | None = opt(
        None,
        doc="Decorator patterns that must be applied (`@d`, `@d(...)`, `d(...)(fn)`).")
    async_with: list[str] | None = opt(
        None,
        doc="Call patterns that must be used as `async with x(...)`.")
    names: list[str] | None = opt(
        None,
        doc="Identifiers that must be used in code (not in strings/comments).")
    mode: Literal['all', 'any'] = opt(
        "all",
        doc="`all`: every reference must be present; `any`: at least one.")
    functions: list[str] | None = opt(
        None,
        doc="Only count calls, decorators, `async with` uses and names inside functions "
            "whose qualified name matches a glob (imports count wherever they are).")
    groups: list[ReferenceGroup] | None = opt(
        None,
        doc="Alternatives per requirement: a list of mappings with the same keys "
            "(imports, calls, decorators, async_with, names); every group must be met, "
            "a group by any one of its references (`[{calls: [mlflow.*.load_model, "
            "'*.load_model']}, {imports: [shap]}]`).")
    per: Literal['set', 'file'] = opt(
        "set",
        doc="`set`: across all files in scope together; `file`: in each file.")


class RequireReference(CheckKind):
    kind = "require-reference"
    summary = ("Imports, calls, decorators, `async with` uses and names must be referenced "
               "(all or any; in the set of files or in each file).")
    Params = RequireReferenceParams
    valid_examples = (
        '{kind: require-reference, imports: [get_opik_connector], names: [get_opik_connector], mode: all}',
        '{kind: require-reference, functions: ["OpikConnector.*"], groups: [{calls: ["*.allow_request"]}, {imports: [shap]}]}',
    )
    invalid_examples = (
        ('{kind: require-reference, groups: [{calls: [a], imprts: [b]}]}',
         'groups[0]: a mapping of imports/calls/decorators/async_with/names lists'),
        ('{kind: require-reference, names: [not-an-identifier]}',
         'is not an identifier'),
    )
    example = """\
- code: E2I411
  name: feature-analyzer-imports-opik
  phase: 4
  severity: error
  message: feature_analyzer must import get_opik_connector
  where:
    include: [src/agents/ml_foundation/feature_analyzer/**]
  check:
    kind: require-reference
    imports: [get_opik_connector]
    names: [get_opik_connector]
    mode: all
"""

    @classmethod
    def validate(cls, params):  # type: ignore[override]
        errs = []
        for i, g in enumerate(params.get("groups") or ()):
            extra = set(g) - {k for k, _ in _CATEGORIES}
            if extra or not any(g.get(k) for k, _ in _CATEGORIES):
                errs.append(f"groups[{i}]: a mapping of imports/calls/decorators/async_with/"
                            "names lists" + (f" (unknown: {', '.join(sorted(extra))})"
                                             if extra else ""))
            else:
                errs.extend(f"groups[{i}]: {e}" for e in cls.validate(dict(g)))
        if params.get("groups"):
            return errs
        if not any(params.get(k) for k, _ in _CATEGORIES):
            errs.append("give at least one of imports, calls, decorators, async_with, names")
        for n in params.get("names") or ():
            if not n.isidentifier():
                errs.append(f"names: {n!r} is not an identifier")
        for key in ("imports", "calls", "decorators", "async_with"):
            for pat in params.get(key) or ():
                if key != "imports":
                    pat = split_literal(pat)[0]
                stripped = pat.replace("*", "x").replace("?", "x")
                if not pat or "[" in pat or not all(p.isidentifier() or p.endswith("()")
                                                    for p in stripped.split(".")):
                    errs.append(f"{key}: {pat!r} is not a dotted name or glob")
        return errs

    def _reqs(self, source: object = None) -> list[_Req]:
        source = self.p if source is None else source
        return [_Req(key, pat) for key, _ in _CATEGORIES
                for pat in (source.get(key) or ())]  # type: ignore[union-attr]

    def _all_reqs(self) -> list[_Req]:
        groups = self.p.get("groups") or ()
        return self._reqs() + [r for g in groups for r in self._reqs(g)]

    def patterns(self) -> tuple[str, ...] | None:
        # each reference's source text contains the last name of its pattern (an import of
        # `pkg.mod.Name`, a call of `*.name`, a use of `Name`); star imports only matter when
        # the name is used in that file
        return call_literals(r.pattern for r in self._all_reqs())

    # -- one file -----------------------------------------------------------------------------
    def _in_functions(self, scope: str) -> bool:
        funcs = self.p.get("functions")
        return not funcs or any(fnmatchcase(scope, g) for g in funcs)

    def _find(self, req: _Req, path: str, facts: PythonFacts) -> tuple[str, Span | None]:
        """("yes", where) | ("maybe", where) | ("no", None) for one requirement in one file."""
        if req.category == "imports":
            for imp in facts.imports:
                if any(import_matches(q, req.pattern, imp.kind) for q in imported_names(imp, path)):
                    return "yes", imp.span
            last = req.pattern.rsplit(".", 1)[-1]
            for imp in facts.imports:
                if imp.kind != "from" or not any(n.name == "*" for n in imp.names):
                    continue
                mod = absolute_module(imp, path)
                if "." in req.pattern and not any(c in req.pattern for c in _GLOB) and \
                        mod and req.pattern.rsplit(".", 1)[0] != mod:
                    continue
                if any(n.name == last for n in facts.names):
                    return "maybe", imp.span
            return "no", None
        if req.category == "names":
            for n in facts.names:
                if n.name == req.pattern and self._in_functions(n.scope):
                    return "yes", n.span
            return "no", None
        if req.category == "decorators":
            calls = tuple(c for c in facts.calls if self._in_functions(c.scope))
            hit = decorator_applied(calls, req.pattern)
            return ("yes", hit.span) if hit else ("no", None)
        matches = call_matcher((req.pattern,))
        for call in facts.calls:
            if matches(call) and self._in_functions(call.scope) and (
                    req.category == "calls" or call.with_item == "async with"):
                return "yes", call.span
        return "no", None

    def _scan(self, files: list[tuple[str, PythonFacts]], reqs: list[_Req] | None = None
              ) -> dict[_Req, tuple[str, Location | None]]:
        out: dict[_Req, tuple[str, Location | None]] = {}
        for req in (self._reqs() if reqs is None else reqs):
            best: tuple[str, Location | None] = ("no", None)
            for path, facts in files:
                status, span = self._find(req, path, facts)
                if status == "yes":
                    best = ("yes", Location(path, span or Span.file_start()))
                    break
                if status == "maybe" and best[0] == "no":
                    best = ("maybe", Location(path, span or Span.file_start()))
            out[req] = best
        return out

    def _judge(self, found: dict[_Req, tuple[str, Location | None]], mode: str = ""
               ) -> tuple[str, list[_Req], list[_Req]]:
        """Overall "yes"/"maybe"/"no", the missing references, and the maybe-present ones."""
        yes = [r for r, (s, _) in found.items() if s == "yes"]
        maybe = [r for r, (s, _) in found.items() if s == "maybe"]
        missing = [r for r, (s, _) in found.items() if s != "yes"]
        if (mode or self.p.get("mode", "all")) == "any":
            if yes:
                return "yes", [], []
            return ("maybe" if maybe else "no"), missing, maybe
        if not missing:
            return "yes", [], []
        return ("maybe" if len(maybe) == len(missing) else "no"), missing, maybe

    def _describe(self, missing: list[_Req], maybe: list[_Req]) -> str:
        mode = self.p.get("mode", "all")
        gone = [str(r) for r in missing if r not in maybe]
        parts = []
        if gone:
            head = "missing" if mode == "all" else "none of the references is present; missing"
            parts.append(f"{head}: {', '.join(gone)}")
        if maybe:
            parts.append("possibly provided only by a star import: "
                         + ", ".join(str(r) for r in maybe))
        return "; ".join(parts)

    # -- evaluation ---------------------------------------------------------------------------
    def evaluate(self, ctx: RuleContext) -> CheckResult:
        reqs = self._all_reqs()
        if not ctx.files:
            return self.result(ctx, [empty_scope(ctx, ", ".join(str(r) for r in reqs))])
        undecidable = {f.path for f in ctx.undecidable()}
        parsed = [(f.path, f.python) for f in ctx.files if f.python is not None]
        findings = []
        evidence: list[Location] = []
        unknown = False
        notes = []
        groups = ([(ctx.anchor_path(), parsed)] if self.p.get("per", "set") == "set"
                  else [(f.path, [(f.path, f.python)] if f.python is not None else [])
                        for f in ctx.files])
        for anchor, files in groups:
            found = self._scan(files) if self._reqs() else {}
            evidence.extend(loc for s, loc in found.values() if s == "yes" and loc)
            verdict, missing, maybe = self._judge(found) if found else ("yes", [], [])
            for g in self.p.get("groups") or ():
                gfound = self._scan(files, self._reqs(g))
                gv, gmissing, gmaybe = self._judge(gfound, "any")
                evidence.extend(loc for s, loc in gfound.values() if s == "yes" and loc)
                if gv == "yes":
                    continue
                missing.append(_Req("group", " or ".join(str(r) for r in gmissing)))
                if gv == "maybe":
                    maybe.append(missing[-1])
                verdict = "no" if gv == "no" or verdict == "no" else "maybe"
            if verdict == "yes":
                continue
            blocked = undecidable if self.p.get("per", "set") == "set" else (
                {anchor} & undecidable)
            detail = self._describe(missing, maybe)
            if verdict == "maybe" or blocked:
                unknown = True
                maybe = [r for r in maybe if r.category != "group"]
                why = f"{sorted(blocked)[0]} could not be analysed" if blocked else \
                    "a star import may provide the name"
                notes.append(could_not_decide(f"({anchor})", f"{detail}; {why}"))
                for r in maybe:
                    loc = found[r][1]
                    if loc is not None:
                        msg = (f"{r} may come from a star import (the name is used, and "
                               "`import *` hides what it provides)")
                        findings.append(ctx.finding(loc.path, loc.span, msg, source=msg,
                                                    severity=Severity.INFO))
                continue
            where = ctx.scope_hint or anchor if self.p.get("per", "set") == "set" else anchor
            findings.append(ctx.finding(anchor, None, f"{detail} (in {where})",
                                        source=f"{detail}:{where}"))
        note = "; ".join(notes[:3]) if notes else f"{len(evidence)} reference(s) found"
        return self.result(ctx, findings, evidence, note=note, undecided=unknown)
