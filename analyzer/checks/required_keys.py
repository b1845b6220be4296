"""required-keys: some keys (metric names, fields) must all appear in code, in given roles.

Automates checkboxes such as "logs metrics: ROC-AUC, PR-AUC, F1, precision, recall", "logs
calibration: brier_score, calibration_slope", "tokens: input_tokens, output_tokens", "W3C trace
context: trace_id, span_id, parent_span_id".

A key is present when it occurs as one of the ``roles`` (default ``dict-key``, ``subscript``,
``argument``):

* ``dict-key``: ``{"roc_auc": x}``, and the keywords of ``dict(roc_auc=x)``;
* ``subscript``: ``metrics["roc_auc"]`` (read or store);
* ``argument``: ``log_metric("roc_auc", x)``, ``f(name="roc_auc")``;
* ``value``: a string value: dict value, list/tuple/set item, right-hand side of an assignment,
  a returned string (``METRICS = ["roc_auc", ...]``);
* ``compare``: ``if name == "roc_auc"``;
* ``attribute``: an attribute name, ``metrics.roc_auc`` / ``result.roc_auc = x``;
* ``kwarg``: a keyword argument name, ``log_metrics(roc_auc=x)``.

``calls`` (call patterns, as in require-call) narrows the search to the arguments of matching
calls: a key then counts only as one of their literal positional arguments, a keyword argument
name or literal value, or a key of a dict display passed to them, directly or through a name
bound once to it in the same function (``log_metric("gap", x)``, ``log_metrics({"gap": x})``,
``m = {"gap": x}; log_metrics(m)``, ``trace_phase(phase_name="plan")``) — "the metric is
*logged*", not merely mentioned somewhere.

Only exact string literals and identifiers count (never comments, docstrings, or text inside a
longer string; f-strings and concatenations are not keys). ``case_insensitive: true`` compares
case-folded text. ``functions`` globs restrict to code inside matching functions. With ``per:
set`` (default) the keys may be spread over the files in scope; with ``per: file`` each file
needs all of them. The finding lists exactly which keys are missing; evidence shows where each
present key was first found.
"""

from __future__ import annotations

from fnmatch import fnmatchcase
from typing import Iterator, Literal

from ..facts.model import DictValue, PythonFacts, Ref
from ..types import CheckResult, Location, Span
from .params import opt, params
from .base import CheckKind, RuleContext, could_not_decide
from .pyindex import empty_scope, resolve_ref
from .require_call import call_matcher

ROLES = ("dict-key", "subscript", "argument", "value", "compare", "attribute", "kwarg")
DEFAULT_ROLES = ["dict-key", "subscript", "argument"]


def occurrences(facts: PythonFacts, roles: set[str]) -> Iterator[tuple[str, str, Span]]:
    """(text, scope, span) of every string/identifier occurrence in the given roles."""
    for s in facts.strings:
        if s.role in roles:
            yield s.value, s.scope, s.span
    if "attribute" in roles:
        for n in facts.names:
            if n.kind == "attribute":
                yield n.name, n.scope, n.span
    if "kwarg" in roles or "dict-key" in roles:
        for c in facts.calls:
            is_dict = c.callee == "dict" and not c.qualname
            if "kwarg" in roles or is_dict:
                for name, _ in c.kwargs:
                    yield name, c.scope, c.span


def call_arguments(facts: PythonFacts, patterns: tuple[str, ...]
                   ) -> Iterator[tuple[str, str, Span]]:
    """Keys handed to calls matching ``patterns``: literal arguments, keyword names and literal
    keyword values, and the keys of dict displays among the arguments."""
    matches = call_matcher(patterns)
    for c in facts.calls:
        if not matches(c):
            continue
        values = list(c.args) + [v for _, v in c.kwargs]
        for name, _ in c.kwargs:
            yield name, c.scope, c.span
        for v in values:
            if isinstance(v, Ref):
                # ``report = {...}; log_metrics(report)``: the dict bound to the name (one
                # binding in the function or module; otherwise it is not known)
                v = resolve_ref(v, facts, c.scope)
            if isinstance(v, str):
                yield v, c.scope, c.span
            elif isinstance(v, DictValue) and not v.comprehension:
                for i, (k, _) in enumerate(v.items):
                    if isinstance(k, str):
                        span = v.key_spans[i] if i < len(v.key_spans) and v.key_spans[i] \
                            else c.span
                        yield k, c.scope, span


@params
class RequiredKeysParams:
    """The `check:` parameters of `required-keys`."""

    keys: list[str] = opt(doc="Keys that must all be present.")
    roles: list[str] | None = opt(None, doc=f"Where a key counts: {', '.join(ROLES)} "
                  f"(default {', '.join(DEFAULT_ROLES)}).")
    per: Literal['set', 'file'] = opt(
        "set",
        doc="`set`: across all files in scope together; `file`: in each file.")
    functions: list[str] | None = opt(
        None,
        doc="Only count occurrences inside functions whose qualified name matches a glob.")
    case_insensitive: bool = opt(False, doc="Compare keys ignoring case.")
    calls: list[str] | None = opt(
        None,
        doc="Only count keys given to calls matching these patterns (literal "
            "arguments, keyword names and values, keys of dicts passed).")


class RequiredKeys(CheckKind):
    kind = "required-keys"
    summary = "Every listed key must appear in code (as a dict key, subscript, argument...)."
    Params = RequiredKeysParams
    valid_examples = (
        '{kind: required-keys, keys: [roc_auc, pr_auc, f1], roles: [dict-key, subscript, argument, kwarg]}',
    )
    invalid_examples = (
        ('{kind: required-keys, keys: [roc_auc], per: everywhere}',
         'check.per must be one of set, file'),
        ('{kind: required-keys}',
         "requires parameter 'keys'"),
    )
    example = """\
- code: E2I213
  name: trainer-logs-metrics
  phase: 2
  severity: error
  message: model_trainer must log the classification metrics
  where:
    include: [src/agents/ml_foundation/model_trainer/**]
  check:
    kind: required-keys
    keys: [roc_auc, pr_auc, f1, precision, recall]
    roles: [dict-key, subscript, argument, kwarg]
"""

    @classmethod
    def validate(cls, params):  # type: ignore[override]
        errs = []
        if not params.get("keys"):
            errs.append("keys: must list at least one key")
        if any(not k for k in params.get("keys") or ()):
            errs.append("keys: empty key")
        roles = params.get("roles")
        if roles is not None:
            bad = [r for r in roles if r not in ROLES]
            if bad:
                errs.append(f"roles: unknown role(s) {', '.join(map(repr, bad))}; "
                            f"known: {', '.join(ROLES)}")
            if not roles:
                errs.append("roles: must list at least one role")
        return errs

    def _roles(self) -> set[str]:
        return set(self.p.get("roles") or DEFAULT_ROLES)

    def patterns(self) -> tuple[str, ...] | None:
        if self.p.get("case_insensitive"):
            return None
        # a key written as a literal contains its own text unless spelled with escapes
        # ("roc\x5fauc"): any backslash makes a file worth parsing
        return tuple(sorted({*self.p["keys"], "\\"}))

    def _fold(self, text: str) -> str:
        return text.casefold() if self.p.get("case_insensitive") else text

    def _find(self, path: str, facts: PythonFacts, want: dict[str, str],
              found: dict[str, Location]) -> None:
        funcs = self.p.get("functions")
        source = occurrences(facts, self._roles()) if not self.p.get("calls") else \
            call_arguments(facts, tuple(self.p["calls"]))
        for text, scope, span in source:
            key = want.get(self._fold(text))
            if key is None or key in found:
                continue
            if funcs and not any(fnmatchcase(scope, g) for g in funcs):
                continue
            found[key] = Location(path, span)

    def evaluate(self, ctx: RuleContext) -> CheckResult:
        keys: list[str] = self.p["keys"]
        if not ctx.files:
            return self.result(ctx, [empty_scope(ctx, "keys " + ", ".join(keys))])
        want = {self._fold(k): k for k in keys}
        undecidable = {f.path for f in ctx.undecidable()}
        per_file = self.p.get("per", "set") == "file"
        groups = ([(f.path, [f]) for f in ctx.files] if per_file
                  else [(ctx.anchor_path(), list(ctx.files))])
        findings = []
        evidence: list[Location] = []
        unknown = False
        notes = []
        for anchor, files in groups:
            found: dict[str, Location] = {}
            for f in files:
                if f.python is not None:
                    self._find(f.path, f.python, want, found)
            evidence.extend(found[k] for k in keys if k in found)
            missing = [k for k in keys if k not in found]
            if not missing:
                continue
            listed = ", ".join(f"`{k}`" for k in missing)
            blocked = sorted(undecidable & {f.path for f in files})
            if blocked:
                unknown = True
                notes.append(could_not_decide(f"{listed} not found and {blocked[0]} could not be "
                                              "analysed"))
                continue
            where = anchor if per_file else (ctx.scope_hint or anchor)
            roles = ", ".join(sorted(self._roles())) if not self.p.get("calls") else \
                "arguments of " + " or ".join(f"`{c}`" for c in self.p["calls"])
            findings.append(ctx.finding(
                anchor, None, f"missing key(s) {listed} in {where} (looked for them as: {roles}"
                              f"; found {len(keys) - len(missing)} of {len(keys)})",
                source=f"missing:{','.join(missing)}:{where}"))
        note = "; ".join(notes[:3]) if notes else f"{len(evidence)} key occurrence(s) found"
        return self.result(ctx, findings, evidence, note=note, undecided=unknown)
