"""Rule evaluation: facts in, check results and findings out. No file is read or parsed here.

Each active rule sees the facts of the files it covers (project-wide: a presence rule decides
over the whole package, whichever files a run was asked to report on). A check kind that raises
is an engine bug: it becomes an ``internal-error`` finding and the rule is UNKNOWN, and the other
rules still run.
"""

from __future__ import annotations

from typing import Sequence

from .builtin import BY_NAME, INTERNAL_ERROR
from .checks.base import RuleContext
from .facts.model import FileFacts
from .plan import Plan
from .types import CheckResult, Finding, Location, SourceFile, Status


def problem_findings(facts: Sequence[FileFacts], plan: Plan) -> list[Finding]:
    """Turn per-file problems (parse/read/skip/internal errors) into built-in findings."""
    enabled = {b.name for b in plan.builtins}
    out = []
    for f in facts:
        for p in f.problems:
            rule = BY_NAME.get(p.code, INTERNAL_ERROR)
            if rule.name not in enabled:
                continue
            out.append(Finding(code=rule.code, name=rule.name, severity=rule.severity,
                               message=p.message, location=Location(f.path, p.span),
                               phase=None, fingerprint_source=p.message))
    return out


def evaluate(plan: Plan, files: Sequence[SourceFile], facts: Sequence[FileFacts],
             root: str) -> tuple[list[CheckResult], list[Finding]]:
    """Run every active rule over the facts of the files it covers."""
    by_path = {f.path: f for f in facts}
    all_paths = frozenset(by_path)
    results: list[CheckResult] = []
    errors: list[Finding] = []
    coverage = plan.coverage(files)  # rule -> files, computed once (the prefilter built it)
    for active in plan.rules:
        scoped = [by_path[s.path] for s in coverage.files(active) if s.path in by_path
                  and not by_path[s.path].skip_file]
        ctx = RuleContext(rule=active.rule, files=scoped, root=root, scope_hint=active.hint,
                          all_paths=all_paths, patterns=active.patterns)
        try:
            results.append(active.check.evaluate(ctx))
        except Exception as exc:  # noqa: BLE001 - one broken rule must not stop the run
            msg = (f"rule {active.rule.code} ({active.rule.name}) crashed: "
                   f"{type(exc).__name__}: {exc}")
            where = active.rule.source or active.rule.pack
            errors.append(Finding(code=INTERNAL_ERROR.code, name=INTERNAL_ERROR.name,
                                  severity=INTERNAL_ERROR.severity, message=msg,
                                  location=Location(ctx.anchor_path()), fingerprint_source=msg))
            results.append(CheckResult(rule=active.rule, status=Status.UNKNOWN,
                                       note=f"could not decide: {msg} ({where})"))
    return results, errors
