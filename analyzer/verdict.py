"""The run's verdict: its exit status, and why it passes when a phase does not.

The phase table describes the code (a rule whose findings are all baselined still FAILs: the
violation is there); the exit status describes the *change* — it follows the findings that are
reported (new, selected, at or above ``fail-on``) and the tests that failed. Both are right,
and they disagree exactly when a phase fails only on accepted findings, on findings outside
the selected paths or lines, on findings below ``fail-on``, on checks that could not be
decided, or has tests that did not run. ``explain`` says which, in one sentence, so a green
run beside a FAIL row is never a mystery.

Pure functions of the ``Result`` (the reporters and the CLI share them).
"""

from __future__ import annotations

from dataclasses import dataclass

from .types import PhaseResult, Result, Severity, Status

EXIT_OK, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2


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


def _plural(n: int, word: str, plural: str | None = None) -> str:
    return f"{n} {word if n == 1 else (plural or word + 's')}"


def _phase_name(ph: PhaseResult, multi: bool) -> str:
    return f"{ph.pack} phase {ph.phase.id}" if multi else f"phase {ph.phase.id}"


def _why_phase(ph: PhaseResult, result: Result, reported: set[int], multi: bool) -> str:
    """Why a phase is not PASS although nothing in it fails the run."""
    name = _phase_name(ph, multi)
    if ph.status in ("not-run", "incomplete"):
        t = ph.tests
        assert t is not None
        if ph.status == "not-run":
            return f"{name}'s tests did not run (0 of {t.expected} expected)"
        return f"{name} ran {t.ran} of its {t.expected} expected tests"
    accepted = outside = below = undecided = 0
    for c in ph.checks:
        if c.status is Status.PASS:
            continue
        if c.status is Status.UNKNOWN:
            undecided += 1
        for f in c.findings:
            if id(f) not in reported:
                outside += 1
            elif f.severity.rank > 0:
                below += 1
        accepted += c.accepted
    causes = []
    if accepted:
        kinds = []
        if ph.baselined:
            kinds.append(f"{ph.baselined} accepted by the baseline")
        if ph.suppressed:
            kinds.append(f"{ph.suppressed} suppressed")
        causes.append("findings " + " and ".join(kinds))
    if outside:
        causes.append(f"{_plural(outside, 'finding')} outside the selected paths or lines")
    if below:
        causes.append(f"{_plural(below, 'finding')} below fail-on = {result.fail_on}")
    if undecided:
        causes.append(f"{_plural(undecided, 'check')} that could not be decided")
    tail = ""
    if ph.tests_state in ("not-run", "incomplete"):
        tail = " (and its tests did not all run)"
    return f"{name} fails on " + ", ".join(causes or ["checks without a reported finding"]) \
        + tail


def explain(result: Result) -> str:
    """One sentence when the run passes (exit 0) although a phase is not PASS; else ""."""
    if exit_status(result) != EXIT_OK:
        return ""
    odd = [ph for ph in result.phases if ph.status not in ("pass", "n/a")]
    if not odd:
        return ""
    multi = len({ph.pack for ph in result.phases}) > 1
    reported = {id(f) for f in result.findings}
    parts = [_why_phase(ph, result, reported, multi) for ph in odd]
    return ("The run passes (no new finding fails it) although " + "; ".join(parts) + ".")


def verdict(result: Result) -> Verdict:
    return Verdict(exit_status(result), explain(result))
