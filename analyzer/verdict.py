"""The run's verdict: its exit status, and why it passes when a phase does not.

The phase table describes the code (a rule whose findings are all baselined still FAILs: the
violation is there); the exit status describes the *change* — it follows the findings that are
reported (new, selected, at or above ``fail-on``) and the tests that failed. Both are right,
and they disagree exactly when a phase fails only on accepted findings, on findings outside
the selected paths or lines, on findings below ``fail-on``, on checks that could not be
decided, or has tests that did not run. ``explain`` says which, in one sentence, so a green
run beside a FAIL row is never a mystery.

Pure functions of the ``Result`` (the reporters and the API share them), and the one
pass/fail/unknown decision of a rule (``check_status``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

from .types import Finding, PhaseResult, Result, Severity, Status

EXIT_OK, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2
# The words that open every undecided message (``checks.base.could_not_decide`` writes them;
# the Markdown and JUnit reporters read them): a rule's note or ``info`` finding says
# "could not decide: <why>" or "could not decide whether <...>: <why>".
UNDECIDED = "could not decide"


def check_status(findings: Iterable[Finding], undecided: bool = False) -> Status:
    """The one pass/fail/unknown decision of a rule: FAIL on a finding above ``info``, else
    UNKNOWN when the rule could not decide (a file in scope did not parse, the rule crashed),
    else PASS. Decided once, at evaluation (``CheckKind.result`` in ``checks/base.py``, the
    crash result in ``evaluate.py``); the finishing stages (``finish.py``: suppression,
    baseline, tests, selection) never recompute it.

    "Undecided" has one encoding in results: ``CheckResult.status is Status.UNKNOWN``, set
    here. The inputs are the check kind's ``undecided`` flag and its findings (``info``
    findings that say why never fail the rule); the reason is the result's ``note``, worded by
    ``checks.base.could_not_decide`` (prefix ``UNDECIDED``). ``CheckResult.crashed`` is not a
    second encoding: it marks an engine bug (never cached) on top of the UNKNOWN status."""
    if any(f.severity.rank > 0 for f in findings):
        return Status.FAIL
    return Status.UNKNOWN if undecided else Status.PASS


@dataclass(frozen=True)
class Verdict:
    """``status``: the exit status (0, 1 or 2) before ``--exit-zero``; ``explanation``: one
    sentence when the run passes although some phase does not ("" otherwise)."""

    status: int
    explanation: str = ""


def gating(result: Result) -> list:
    """Reported findings that fail the run (at or above ``fail-on``; never ``info``)."""
    threshold = Severity(result.fail_on).rank
    return [f for f in result.findings if f.severity.rank >= threshold and f.severity.rank > 0]


def exit_status(result: Result) -> int:
    """2 on internal errors; 1 on a reported finding at or above ``fail-on`` or a phase whose
    tests failed (failed/errored tests, fewer than ``min_tests``); else 0. Baselined and
    suppressed findings, tests that did not run and undecided checks never fail the run
    (they are shown, and ``explain`` says so)."""
    if result.internal_errors:
        return EXIT_ERROR
    if gating(result) or any(ph.tests_failing for ph in result.phases):
        return EXIT_FINDINGS
    return EXIT_OK


_CHECK_CAUSES = ("baselined", "suppressed", "outside", "below", "undecided")
_CAUSE_TEXT = {
    "baselined": "findings accepted by the baseline ({n})",
    "suppressed": "suppressed findings ({n})",
    "outside": "findings outside the selected paths or lines ({n})",
    "below": "findings below fail-on = {fail_on} ({n})",
    "undecided": "checks that could not be decided ({n})",
}


def _causes(ph: PhaseResult, reported: set[int]) -> dict[str, list[int]]:
    """Why a phase is not PASS although nothing in it fails the run: cause -> counts
    (``not-run``/``incomplete``: [tests that ran, tests expected])."""
    out: dict[str, list[int]] = {}

    def add(cause: str, n: int) -> None:
        if n:
            out.setdefault(cause, [0])[0] += n

    for c in ph.checks:
        if c.status is Status.PASS:
            continue
        add("undecided", int(c.status is Status.UNKNOWN))
        add("baselined", c.baselined)
        add("suppressed", c.suppressed)
        add("outside", sum(1 for f in c.findings if id(f) not in reported))
        add("below", sum(1 for f in c.findings if id(f) in reported and f.severity.rank > 0))
    if ph.tests_state in ("not-run", "incomplete") and ph.tests is not None:
        out[ph.tests_state] = [ph.tests.ran, ph.tests.expected]
    return out


def _names(phases: list[PhaseResult], multi: bool) -> str:
    """``phase 2``, ``phases 2-9``, ``phases 1, 3 and 5`` (with the pack when several)."""
    if multi:
        labels = [f"{ph.pack} phase {ph.phase.id}" for ph in phases]
        return labels[0] if len(labels) == 1 else ", ".join(labels[:-1]) + " and " + labels[-1]
    ids = [ph.phase.id for ph in phases]
    if len(ids) == 1:
        return f"phase {ids[0]}"
    if all(isinstance(i, int) for i in ids) and ids == list(range(ids[0], ids[0] + len(ids))) \
            and len(ids) > 2:
        return f"phases {ids[0]}-{ids[-1]}"
    return "phases " + ", ".join(str(i) for i in ids[:-1]) + f" and {ids[-1]}"


def explain(result: Result) -> str:
    """One sentence when the run passes (exit 0) although a phase is not PASS; else "".

    Phases with the same causes are named together (``phases 2-9 fail on findings accepted
    by the baseline (97)``), so the sentence stays one line's worth on a 10-phase audit."""
    if exit_status(result) != EXIT_OK:
        return ""
    odd = [ph for ph in result.phases if ph.status not in ("pass", "n/a")]
    if not odd:
        return ""
    multi = len({ph.pack for ph in result.phases}) > 1
    reported = {id(f) for f in result.findings}
    groups: dict[tuple[str, ...], list[tuple[PhaseResult, dict[str, list[int]]]]] = {}
    for ph in odd:
        causes = _causes(ph, reported)
        groups.setdefault(tuple(sorted(causes)), []).append((ph, causes))
    parts = []
    for kinds, members in groups.items():
        total = {k: [sum(c[k][i] for _, c in members) for i in range(len(members[0][1][k]))]
                 for k in kinds}
        checks = [_CAUSE_TEXT[k].format(n=total[k][0], fail_on=result.fail_on)
                  for k in _CHECK_CAUSES if k in total]
        tests = ""
        if "not-run" in total:
            tests = f"tests that did not run (0 of {total['not-run'][1]} expected)"
        elif "incomplete" in total:
            ran, expected = total["incomplete"]
            tests = f"tests that did not all run ({ran} of {expected} expected ran)"
        names = _names([ph for ph, _ in members], multi)
        plural = len(members) > 1
        if checks:
            text = f"{names} fail{'' if plural else 's'} on " + ", ".join(checks)
            if tests:
                text += f", with {tests}"
        elif tests:
            text = f"{names} ha{'ve' if plural else 's'} {tests}"
        else:
            text = f"{names} fail{'' if plural else 's'} on checks without a reported finding"
        parts.append(text)
    return "The run passes (no new finding fails it) although " + "; ".join(parts) + "."


def verdict(result: Result) -> Verdict:
    return Verdict(exit_status(result), explain(result))
