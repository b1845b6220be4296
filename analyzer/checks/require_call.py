"""require-call: calls to a function or method must be present, per file or in a set of files.

Call patterns (``calls``), matched against every call and decorator in scope:

* ``name`` (no dot): any call whose last name component is ``name`` — ``name(...)``,
  ``x.name(...)``, ``self.c.name(...)``, ``get_c().name(...)``.
* ``*.name``: the same (kept for readability: "any receiver").
* ``pkg.mod.func``: the call's qualified name, resolved through the file's imports
  (``import pkg.mod as m; m.func()`` and ``from pkg.mod import func; func()`` both match), or
  its literal dotted text.
* other globs (``mlflow.log_*``): ``fnmatch`` over the qualified name and the dotted text.

A call counts wherever it sits: ``async with c.trace_agent(...)``, ``await c.trace_llm_call()``,
nested functions and methods, and decorators whether applied with ``@`` (``@traced_node`` or
``@traced_node("x")``) or by an explicit call (``traced_node("x")(fn)``). ``usage`` can demand a
form (e.g. ``async-with``), and ``every`` demands it of *every* matching call (each other use is
a finding at the call: e.g. a ``trace_agent()`` span opened without ``async with`` is never
closed). A missing call is a finding at the file (``per: file``) or at the
package (``per: set``: its ``__init__.py``, else its first file), line 1. An empty scope fails:
the folder or file the rule is about does not exist, so nothing was proved.
"""

from __future__ import annotations

import fnmatch
import functools
import re
from fnmatch import fnmatchcase
from typing import Callable

from ..facts.model import CallFact
from ..types import CheckResult, Location
from .base import CheckKind, Param, RuleContext

USAGES = ("any", "call", "async-with", "with", "await", "decorator")


@functools.lru_cache(maxsize=4096)
def call_matcher(patterns: tuple[str, ...]) -> Callable[[CallFact], bool]:
    """A predicate: does a call match any of ``patterns`` (see module docstring)?

    Compiled once per pattern list: the patterns fall into last names (``name``, ``*.name``),
    exact dotted names (qualified name or dotted text) and one regex of the globs (fnmatch over
    both). Parsing each pattern again for every call was half of evaluating the e2i pack."""
    attrs: set[str] = set()
    names: set[str] = set()
    globs: list[str] = []
    for p in patterns:
        if p.startswith("*.") and not any(c in p[2:] for c in "*?[."):
            attrs.add(p[2:])
        elif "." not in p and not any(c in p for c in "*?["):
            attrs.add(p)
        elif any(c in p for c in "*?["):
            globs.append(p)
        else:
            names.add(p)
    rx = re.compile("|".join(f"(?:{fnmatch.translate(g)})" for g in globs)).match \
        if globs else None

    def match(call: CallFact) -> bool:
        if call.attr in attrs or call.qualname in names or call.callee in names:
            return True
        return rx is not None and (rx(call.qualname) is not None or rx(call.callee) is not None)

    return match


def call_matches(call: CallFact, pattern: str) -> bool:
    """True when ``call`` matches one call pattern (see module docstring)."""
    return call_matcher((pattern,))(call)


def usage_matches(call: CallFact, usage: str) -> bool:
    if usage == "any":
        return True
    if usage == "call":
        return call.context == "call"
    if usage == "async-with":
        return call.with_item == "async with"
    if usage == "with":
        return call.with_item in ("with", "async with")
    if usage == "await":
        return call.awaited
    return call.context in ("decorator", "decorator-ref")


def last_name(pattern: str) -> str:
    return pattern.rsplit(".", 1)[-1]


class RequireCall(CheckKind):
    kind = "require-call"
    summary = "Calls matching a pattern must be present (in every file, or in the set as a whole)."
    params = (
        Param("calls", (list,), required=True, item_types=(str,),
              doc="Call patterns; any of them counts (see matching rules)."),
        Param("min", (int,), default=1, doc="Minimum number of matching calls."),
        Param("per", (str,), default="set", choices=("set", "file"),
              doc="`set`: across all files in scope together; `file`: in each file."),
        Param("usage", (str,), default="any", choices=USAGES,
              doc="Only count calls used this way (e.g. `async-with`)."),
        Param("functions", (list,), item_types=(str,), default=None,
              doc="Only count calls inside functions whose qualified name matches a glob."),
        Param("every", (str,), default=None, choices=USAGES[1:],
              doc="Every matching call must be used this way (e.g. `async-with`): each other "
                  "use is a finding at the call."),
    )
    example = """\
- code: E2I410
  name: observability-connector-trace-agent
  phase: 4
  severity: error
  message: observability_connector must call trace_agent()
  where:
    include: [src/agents/ml_foundation/observability_connector/**]
  check:
    kind: require-call
    calls: ["*.trace_agent"]
    per: set
"""

    @classmethod
    def validate(cls, params):  # type: ignore[override]
        errs = []
        if params.get("min", 1) < 1:
            errs.append("min: must be at least 1")
        if not params.get("calls"):
            errs.append("calls: must name at least one call pattern")
        return errs

    def patterns(self) -> tuple[str, ...] | None:
        out = set()
        for pat in self.p["calls"]:
            name = last_name(pat)
            if any(c in name for c in "*?["):
                # a glob in the last component (``*uuid7*``): a file holding a matching call
                # contains every literal run of one dotted component (aliases rename whole
                # components only), so the longest such run is a safe prefilter text
                runs = [r for r in re.split(r"\[[^\]]*\]|[*?.]", pat) if r]
                if not runs:
                    return None
                name = max(runs, key=len)
            out.add(name)
        return tuple(sorted(out))

    def _count(self, facts_calls: tuple[CallFact, ...], usage: str | None = None
               ) -> list[CallFact]:
        matches = call_matcher(tuple(self.p["calls"]))
        usage = usage or self.p.get("usage", "any")
        funcs = self.p.get("functions")
        hits = []
        for call in facts_calls:
            if not matches(call):
                continue
            if not usage_matches(call, usage):
                continue
            if funcs and not any(fnmatchcase(call.scope, g) for g in funcs):
                continue
            hits.append(call)
        return hits

    def describe(self) -> str:
        pats = " or ".join(f"`{p}`" for p in self.p["calls"])
        usage = self.p.get("usage", "any")
        return pats + ("" if usage == "any" else f" (used as {usage})")

    def evaluate(self, ctx: RuleContext) -> CheckResult:
        need = self.p.get("min", 1)
        per = self.p.get("per", "set")
        every = self.p.get("every")
        findings = []
        evidence: list[Location] = []
        undecidable = {f.path for f in ctx.undecidable()}
        if not ctx.files:
            where = ctx.scope_hint or "the rule's scope"
            findings.append(ctx.finding(
                ctx.anchor_path(), None,
                f"no files in scope ({where} does not exist or holds no matching files); "
                f"expected a call to {self.describe()}", source=f"empty-scope:{where}"))
            return self.result(ctx, findings)
        total = 0
        unknown = False
        for f in ctx.files:
            hits = self._count(f.python.calls) if f.python else []
            if every and f.python:
                for call in self._count(f.python.calls, "any"):
                    if not usage_matches(call, every):
                        findings.append(ctx.finding(
                            f.path, call.span, f"`{call.text}` is not used as {every}",
                            source=call.text))
            total += len(hits)
            evidence.extend(Location(f.path, h.span) for h in hits)
            if per == "file" and len(hits) < need:
                if f.path in undecidable:
                    unknown = True
                    continue
                findings.append(ctx.finding(
                    f.path, None, f"{len(hits)} call(s) to {self.describe()} in {f.path}, "
                                  f"at least {need} required", source=f"missing:{f.path}"))
        note = ""
        if per == "set" and total < need:
            if undecidable:
                unknown = True
                note = (f"could not decide: {total} call(s) found, {need} required, and "
                        f"{sorted(undecidable)[0]} could not be analysed")
            else:
                where = ctx.scope_hint or ctx.anchor_path()
                findings.append(ctx.finding(
                    ctx.anchor_path(), None,
                    f"{total} call(s) to {self.describe()} in {where}, at least {need} required",
                    source=f"missing:{where}"))
        if not note:
            note = f"{total} matching call(s)"
        return self.result(ctx, findings, evidence[:20], note=note, unknown=unknown)
