"""Suppression: inline ``# obs-lint: ignore[...]`` comments, file skips and per-file ignores.

A finding is silenced by a suppression comment on its first line or on the last line of the
offending statement (where a trailing comment after a closing parenthesis lands). Codes and
names both work; a bare ``# obs-lint: ignore`` silences everything on that line. Comments that
silence nothing, or name codes no pack defines, are reported by the built-in
``unused-suppression`` rule (when enabled), so stale suppressions do not pile up; a malformed
one (``ignore[E2I201`` without its ``]``, an empty ``ignore[]``) silences nothing and is
reported whenever the rule is enabled (``warn-unused-ignores = false`` does not hide it).
Suppression lines and finding lines are counted by the same per-language rule
(``facts.source.LINE_BREAKS``).

Rule statuses are NOT changed by suppression (nor by a baseline): a rule whose failures are
all silenced still failed — the code still violates it, and the phase table says so. The
silenced findings leave the rule's ``findings`` (they are not reported and do not fail the
run) and are counted in its ``suppressed`` / ``baselined`` fields, which the reports show
beside the FAIL.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Iterable, Sequence

from .builtin import UNUSED_SUPPRESSION
from .facts.model import FileFacts, Suppression
from .globs import gitignore_spec
from .types import CheckResult, Finding, Location, Rule, Span, Suppressed


def _names(finding: Finding) -> set[str]:
    return {finding.code, finding.name}


def apply(findings: Sequence[Finding], results: Sequence[CheckResult],
          facts: Sequence[FileFacts], rules: Iterable[Rule],
          per_file_ignores: tuple[tuple[str, tuple[str, ...]], ...] = (),
          report_unused: bool = True, report_malformed: bool | None = None,
          ) -> tuple[list[Finding], list[Suppressed], list[CheckResult]]:
    """Return (kept findings, suppressed findings, results with recomputed statuses)."""
    by_path = {f.path: f for f in facts}
    known = set()
    for r in rules:
        known.update((r.code, r.name))
    pfi = [(gitignore_spec([glob]), set(codes))
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
    if report_malformed is None:
        report_malformed = report_unused
    if report_unused or report_malformed:
        kept.extend(_unused(facts, used, known, report_unused, report_malformed))
    dropped_ids = {id(s.finding) for s in dropped}
    new_results = [_set_aside(r, dropped_ids, "suppressed") for r in results]
    return kept, dropped, new_results


def _matching(sups: Sequence[Suppression], finding: Finding, names: set[str]) -> Suppression | None:
    span = finding.location.span
    for s in sups:
        if s.line not in (span.line, span.end_line) or s.malformed:
            continue
        if not s.codes or names & set(s.codes):
            return s
    return None


def _unused(facts: Sequence[FileFacts], used: set[tuple[str, int]], known: set[str],
            stale: bool = True, malformed: bool = True) -> list[Finding]:
    out = []
    for f in facts:
        if f.skip_file:
            continue
        for s in f.suppressions:
            unknown = [c for c in s.codes if c not in known]
            if s.malformed:
                if not malformed:
                    continue
                msg = f"malformed suppression: {s.malformed}; it silences nothing"
            elif not stale:
                continue
            elif unknown:
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


def set_aside_baselined(results: Iterable[CheckResult],
                       dropped_ids: set[int]) -> list[CheckResult]:
    """Results after some findings (by ``id``) were accepted by a baseline: those findings
    leave ``findings`` and are counted in ``baselined``; statuses stay as evaluated."""
    return [_set_aside(r, dropped_ids, "baselined") for r in results]


def _set_aside(result: CheckResult, dropped_ids: set[int], counter: str) -> CheckResult:
    remaining = tuple(f for f in result.findings if id(f) not in dropped_ids)
    gone = len(result.findings) - len(remaining)
    if not gone:
        return result
    return replace(result, findings=remaining, **{counter: getattr(result, counter) + gone})
