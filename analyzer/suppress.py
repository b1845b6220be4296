"""Suppression: inline ``# obs-lint: ignore[...]`` comments, file skips and per-file ignores.

A finding is silenced by a suppression comment on its first line or on the last line of the
offending statement (where a trailing comment after a closing parenthesis lands). Codes and
names both work; a bare ``# obs-lint: ignore`` silences everything on that line. Comments that
silence nothing, or name codes no pack defines, are reported by the built-in
``unused-suppression`` rule (when enabled), so stale suppressions do not pile up.

Rule statuses are recomputed after suppression: a rule whose only failures were suppressed
passes; a rule that could not decide stays UNKNOWN.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Iterable, Sequence

import pathspec

from .builtin import UNUSED_SUPPRESSION
from .facts.model import FileFacts, Suppression
from .types import CheckResult, Finding, Location, Rule, Span, Status, Suppressed


def _names(finding: Finding) -> set[str]:
    return {finding.code, finding.name}


def apply(findings: Sequence[Finding], results: Sequence[CheckResult],
          facts: Sequence[FileFacts], rules: Iterable[Rule],
          per_file_ignores: tuple[tuple[str, tuple[str, ...]], ...] = (),
          report_unused: bool = True,
          ) -> tuple[list[Finding], list[Suppressed], list[CheckResult]]:
    """Return (kept findings, suppressed findings, results with recomputed statuses)."""
    by_path = {f.path: f for f in facts}
    known = set()
    for r in rules:
        known.update((r.code, r.name))
    pfi = [(pathspec.GitIgnoreSpec.from_lines([glob]), set(codes))
           for glob, codes in per_file_ignores]
    used: set[tuple[str, int]] = set()
    kept: list[Finding] = []
    dropped: list[Suppressed] = []
    for finding in findings:
        path = finding.location.path
        ff = by_path.get(path)
        if ff is not None and ff.skip_file:
            dropped.append(Suppressed(finding, "skip-file"))
            continue
        names = _names(finding)
        if any(spec.match_file(path) and (codes & names or any(
                finding.code.startswith(c) for c in codes)) for spec, codes in pfi):
            dropped.append(Suppressed(finding, "config"))
            continue
        sup = _matching(ff.suppressions if ff else (), finding, names)
        if sup is not None:
            used.add((path, sup.line))
            dropped.append(Suppressed(finding, "comment"))
            continue
        kept.append(finding)
    if report_unused:
        kept.extend(_unused(facts, used, known))
    dropped_ids = {id(s.finding) for s in dropped}
    new_results = [_recompute(r, dropped_ids) for r in results]
    return kept, dropped, new_results


def _matching(sups: Sequence[Suppression], finding: Finding, names: set[str]) -> Suppression | None:
    span = finding.location.span
    for s in sups:
        if s.line not in (span.line, span.end_line):
            continue
        if not s.codes or names & set(s.codes):
            return s
    return None


def _unused(facts: Sequence[FileFacts], used: set[tuple[str, int]], known: set[str]) -> list[Finding]:
    out = []
    for f in facts:
        if f.skip_file:
            continue
        for s in f.suppressions:
            unknown = [c for c in s.codes if c not in known]
            if unknown:
                msg = f"suppression names unknown rule(s): {', '.join(unknown)}"
            elif (f.path, s.line) not in used:
                what = ", ".join(s.codes) if s.codes else "all rules"
                msg = f"suppression ({what}) silences no finding on this line"
            else:
                continue
            out.append(Finding(code=UNUSED_SUPPRESSION.code, name=UNUSED_SUPPRESSION.name,
                               severity=UNUSED_SUPPRESSION.severity, message=msg,
                               location=Location(f.path, Span(s.line, 1, s.line, 1)),
                               fingerprint_source=msg))
    return out


def recompute_statuses(results: Iterable[CheckResult],
                       dropped_ids: set[int]) -> list[CheckResult]:
    """Statuses after some findings (by ``id``) were accepted elsewhere (e.g. a baseline)."""
    return [_recompute(r, dropped_ids) for r in results]


def _recompute(result: CheckResult, dropped_ids: set[int]) -> CheckResult:
    remaining = tuple(f for f in result.findings if id(f) not in dropped_ids)
    if len(remaining) == len(result.findings):
        return result
    if any(f.severity.rank > 0 for f in remaining):
        status = Status.FAIL
    elif result.status is Status.UNKNOWN:
        status = Status.UNKNOWN
    else:
        status = Status.PASS
    return replace(result, findings=remaining, status=status)
