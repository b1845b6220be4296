"""dict-keys: every key passed to some calls (e.g. ``log_params``) must match a pattern.

Automates checkboxes such as "logs hyperparameters with ``hp_`` prefix": every key of every
dictionary given to ``*.log_params`` must match ``^hp_``.

Where keys come from (copied into the README):

* a dict display passed as an argument, positional or keyword (``log_params({"hp_lr": lr})``,
  ``log_params(params={...})``), ``dict(hp_lr=lr)``, ``dict({...}, hp_x=1)``, and dict
  comprehensions (``{f"hp_{k}": v for k, v in p.items()}``: its key template is checked);
* a name bound in the same function (or at module level) to such a dict: ``params = {...}``,
  plus every ``params["k"] = v`` store and every ``params.update({...})`` /
  ``params.update(k=v)`` call on that name in the same function;
* with ``key_arg`` (an argument index or keyword name), the call takes one key per call
  instead (``log_param("hp_lr", 0.1)`` with ``key_arg: 0``).

Which argument: every argument that is (or names) a dict is checked; when none is, the first
positional argument (or keyword argument) is the dict, and if its value cannot be known
(``log_params(self.params)``, a function parameter, a call result) its keys are *unverifiable*.

Keys: string literals are matched with ``re.search``; an f-string is judged by its literal
prefix (``f"hp_{k}"`` passes ``^hp_`` — the prefix alone matches and the pattern has no
end-dependent part — while ``f"param_{k}"`` fails because ``param_`` can never start with
``hp_``; ``f"{k}"`` is unverifiable); a name bound to a string constant in the same file is
followed; ``**spread`` entries and computed keys are unverifiable. Each violating key is one
finding at the key. Unverifiable keys are findings with the ``unverifiable`` severity: ``info``
(default) makes the rule UNKNOWN (the engine cannot decide), ``warning``/``error`` make it fail.
With fewer than ``min`` (default 1) matching calls in scope the rule fails: nothing was
logged, so nothing was proved.
"""

from __future__ import annotations

import re
from fnmatch import fnmatchcase
from typing import Any, Iterator, Literal

from ..facts.model import CallFact, DictValue, FStr, PythonFacts, Ref, Value
from ..regexsafe import refusal
from ..types import CheckResult, Location, Severity, Span
from .params import opt, params
from .base import CheckKind, RuleContext, could_not_decide
from .pyindex import call_literals, empty_scope, resolve_ref, show
from .require_call import call_matcher

_END_DEPENDENT = ("$", "\\Z", "\\b", "\\B", "(?=", "(?!")
_META = set(".^$*+?{}[]\\|()")
_QUANT = set("*+?{")


def literal_head(pattern: str) -> str | None:
    """The literal text every match of a start-anchored pattern begins with (None if not anchored)."""
    if pattern.startswith("^"):
        body = pattern[1:]
    elif pattern.startswith("\\A"):
        body = pattern[2:]
    else:
        return None
    if "|" in body:
        return None  # alternation at top level may escape the anchor
    out = []
    for ch in body:
        if ch in _META:
            if ch in _QUANT and out:
                out.pop()  # the previous char is optional/repeated
            break
        out.append(ch)
    return "".join(out)


def prefix_verdict(regex: re.Pattern[str], prefix: str) -> str:
    """Does every string starting with ``prefix`` match? "yes" / "no" / "unknown"."""
    pat = regex.pattern
    if not any(tok in pat for tok in _END_DEPENDENT) and regex.search(prefix):
        return "yes"  # the match lies inside the prefix and never looks past it
    head = literal_head(pat)
    if head is not None and not (prefix.startswith(head) or head.startswith(prefix)):
        return "no"
    return "unknown"


class _Key:
    __slots__ = ("value", "span", "origin")

    def __init__(self, value: Value, span: Span, origin: str) -> None:
        self.value = value
        self.span = span
        self.origin = origin  # "key" | "spread" | "opaque"


@params
class DictKeysParams:
    """The `check:` parameters of `dict-keys`."""

    calls: list[str] = opt(
        doc='Call patterns whose dict arguments are checked, e.g. ["*.log_params"].')
    pattern: str = opt(doc="Regular expression every key must match (re.search), e.g. ^hp_.")
    functions: list[str] | None = opt(
        None,
        doc="Only calls inside functions whose qualified name matches a glob.")
    unverifiable: Literal['info', 'warning', 'error'] = opt(
        "info",
        doc="Severity for keys that cannot be known statically.")
    key_arg: int | str | list[Any] | None = opt(
        None,
        doc="The call takes one key: its positional index and/or keyword name "
            "(e.g. [0, key]).")
    min: int = opt(
        1, was=("min_calls",),
        doc="Fewer matching calls than this in scope is a failure (0 allows none).")


class DictKeys(CheckKind):
    kind = "dict-keys"
    summary = "Every key of the dicts passed to some calls must match a regular expression."
    Params = DictKeysParams
    valid_examples = (
        '{kind: dict-keys, calls: ["*.log_params"], pattern: "^hp_", functions: ["*"], min: 1}',
    )
    invalid_examples = (
        ('{kind: dict-keys, calls: ["*.log_params"], pattern: "^hp_", min_calls: 0}',
         "is now spelled 'min'"),
        ('{kind: dict-keys, calls: ["*.log_params"]}',
         "requires parameter 'pattern'"),
    )
    example = """\
- code: E2I212
  name: trainer-hp-prefix
  phase: 2
  severity: error
  message: hyperparameters must be logged with the hp_ prefix
  where:
    include: [src/agents/ml_foundation/model_trainer/**]
  check:
    kind: dict-keys
    calls: ["*.log_params"]
    pattern: "^hp_"
"""

    @classmethod
    def validate(cls, params):  # type: ignore[override]
        errs = []
        try:
            re.compile(params.get("pattern") or "")
        except re.error as exc:
            errs.append(f"pattern: not a valid regular expression: {exc}")
        else:
            refused = refusal("pattern", params.get("pattern") or "")
            if refused:
                errs.append(refused)
        if not params.get("calls"):
            errs.append("calls: must name at least one call pattern")
        if (params.get("min") or 0) < 0:
            errs.append("min: must be 0 or more")
        ka = params.get("key_arg")
        for item in (ka if isinstance(ka, list) else [] if ka is None else [ka]):
            if isinstance(item, bool) or not isinstance(item, (int, str)):
                errs.append(f"key_arg: {item!r} is neither a positional index nor a keyword")
            elif isinstance(item, int) and item < 0:
                errs.append("key_arg: a positional index must be 0 or more")
            elif isinstance(item, str) and not item.isidentifier():
                errs.append(f"key_arg: {item!r} is not a keyword argument name")
        return errs

    def patterns(self) -> tuple[str, ...] | None:
        # every matching call (and every key source: same file) contains the call's name
        return call_literals(self.p["calls"])

    # -- key sources --------------------------------------------------------------------------
    def _keys_of_dict(self, d: DictValue, fallback: Span) -> Iterator[_Key]:
        spans = d.key_spans or (None,) * len(d.items)
        for (k, _), sp in zip(d.items, spans):
            yield _Key(k, sp or fallback, "key")
        for text, sp in d.spreads:
            yield _Key(text, sp, "spread")
        if d.spread and not d.spreads:
            yield _Key("**...", fallback, "spread")

    def _keys_of_name(self, name: str, call: CallFact, facts: PythonFacts) -> Iterator[_Key]:
        scope = call.scope
        binds = [a for a in facts.assigns if a.target == name and a.scope == scope]
        is_param = any(f.qualname == scope and name in f.params for f in facts.functions)
        if not binds and not is_param and scope:
            binds = [a for a in facts.assigns if a.target == name and a.scope == ""]
            scope = "" if binds else scope
        if not binds:
            why = "a parameter: its keys come from the caller" if is_param else "not bound here"
            yield _Key(f"`{name}` ({why})", call.span, "opaque")
            return
        for a in binds:
            if isinstance(a.value, DictValue) and not a.augmented:
                yield from self._keys_of_dict(a.value, a.span)
            else:
                yield _Key(f"`{name} = {show(a.value)}`", a.span, "opaque")
        for s in facts.subscript_stores:
            if s.target == name and s.scope == scope:
                yield _Key(s.key, s.span, "key")
        for c in facts.calls:
            if c.scope != scope or c.callee != f"{name}.update" or c.context != "call":
                continue
            for arg in c.args:
                yield from self._keys_of_value(arg, c, facts)
            for kw, _ in c.kwargs:
                yield _Key(kw, c.span, "key")

    def _keys_of_value(self, value: Value, call: CallFact, facts: PythonFacts) -> Iterator[_Key]:
        if isinstance(value, DictValue):
            yield from self._keys_of_dict(value, call.span)
        elif isinstance(value, Ref) and "." not in value.name:
            yield from self._keys_of_name(value.name, call, facts)
        else:
            yield _Key(f"`{show(value)}`", call.span, "opaque")

    def _keys(self, call: CallFact, facts: PythonFacts) -> Iterator[_Key]:
        ka = self.p.get("key_arg")
        if ka is not None:
            for where in (ka if isinstance(ka, list) else [ka]):
                if isinstance(where, int) and where < len(call.args):
                    yield _Key(call.args[where], call.span, "key")
                    return
                for name, val in call.kwargs:
                    if name == where:
                        yield _Key(val, call.span, "key")
                        return
            yield _Key(f"`{call.text}` (key argument not found)", call.span, "opaque")
            return
        values = list(call.args) + [v for _, v in call.kwargs]
        dictish = [v for v in values if isinstance(v, DictValue) or (
            isinstance(v, Ref) and "." not in v.name and self._names_dict(v.name, call, facts))]
        if dictish:
            for v in dictish:
                yield from self._keys_of_value(v, call, facts)
        elif values:
            yield from self._keys_of_value(values[0], call, facts)

    @staticmethod
    def _names_dict(name: str, call: CallFact, facts: PythonFacts) -> bool:
        for scope in (call.scope, ""):
            binds = [a for a in facts.assigns if a.target == name and a.scope == scope]
            if binds:
                return any(isinstance(a.value, DictValue) for a in binds)
        return False

    # -- judging ------------------------------------------------------------------------------
    def _verdict(self, key: _Key, facts: PythonFacts, scope: str,
                 regex: re.Pattern[str]) -> tuple[str, str]:
        """("yes"|"no"|"unknown", rendering of the key)."""
        if key.origin != "key":
            return "unknown", str(key.value)
        v = resolve_ref(key.value, facts, scope) if isinstance(key.value, Ref) else key.value
        if isinstance(v, FStr):
            return prefix_verdict(regex, v.prefix), show(v)
        if isinstance(v, (str, int, float)) and v is not None:
            text = v if isinstance(v, str) else str(v)
            return ("yes" if regex.search(text) else "no"), repr(text)
        return "unknown", f"`{show(key.value)}`"

    def evaluate(self, ctx: RuleContext) -> CheckResult:
        calls_txt = " or ".join(f"`{c}`" for c in self.p["calls"])
        if not ctx.files:
            return self.result(ctx, [empty_scope(ctx, f"a call to {calls_txt}")])
        regex = re.compile(self.p["pattern"])
        funcs = self.p.get("functions")
        sev_unv = Severity(self.p.get("unverifiable") or "info")
        findings = []
        evidence: list[Location] = []
        seen: set[tuple[str, int, int, str]] = set()
        ncalls = 0
        unverifiable = 0
        for f in ctx.files:
            facts = f.python
            if facts is None:
                continue
            matches = call_matcher(tuple(self.p["calls"]))
            for call in facts.calls:
                if call.context != "call" or not matches(call):
                    continue
                if funcs and not any(fnmatchcase(call.scope, g) for g in funcs):
                    continue
                ncalls += 1
                for key in self._keys(call, facts):
                    verdict, shown = self._verdict(key, facts, call.scope, regex)
                    ident = (f.path, key.span.line, key.span.column, shown)
                    if ident in seen:
                        continue
                    seen.add(ident)
                    where = f"passed to `{call.callee}()` at line {call.span.line}"
                    if verdict == "yes":
                        evidence.append(Location(f.path, key.span))
                    elif verdict == "no":
                        findings.append(ctx.finding(
                            f.path, key.span, f"key {shown} does not match "
                                              f"`{self.p['pattern']}` ({where})",
                            source=f"key:{shown}"))
                    else:
                        unverifiable += 1
                        findings.append(ctx.finding(
                            f.path, key.span, f"key {shown} cannot be verified statically "
                                              f"against `{self.p['pattern']}` ({where})",
                            source=f"unverifiable:{shown}", severity=sev_unv))
        need = self.p.get("min", 1)
        unknown = bool(unverifiable) and sev_unv is Severity.INFO
        note = (f"{ncalls} matching call(s), {len(evidence)} key(s) verified"
                + (f", {unverifiable} unverifiable" if unverifiable else ""))
        if ncalls < need:
            if ctx.undecidable():
                unknown = True
                note = could_not_decide(f"{ncalls} call(s) to {calls_txt} found and "
                                        f"{ctx.undecidable()[0].path} could not be analysed")
            else:
                where = ctx.scope_hint or ctx.anchor_path()
                findings.append(ctx.finding(
                    ctx.anchor_path(), None,
                    f"{ncalls} call(s) to {calls_txt} in {where}, at least {need} required "
                    f"(no keys were logged, nothing was checked)", source=f"missing:{where}"))
        return self.result(ctx, findings, evidence[:50], note=note, undecided=unknown)

