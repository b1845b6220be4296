"""Human-readable output: one line per finding, then the per-phase table and a summary."""

from __future__ import annotations

from tabulate import tabulate

from ..types import PhaseResult, Result


def finding_lines(result: Result) -> list[str]:
    return [f"{f.location.path}:{f.location.span.line}:{f.location.span.column}: "
            f"{f.code} [{f.name}] {f.message}" for f in result.findings]


TEST_HEADERS = ["Tests passed", "Failed", "Skipped", "Errors", "Xfailed", "Expected"]


def _test_cells(ph: PhaseResult) -> list[object]:
    """The test columns (shown when test results were given); ``>=n``: inexact inventory."""
    t = ph.tests
    if t is None:
        return [""] * len(TEST_HEADERS)
    expected = f"{t.expected}" if t.expected_exact else f">={t.expected}"
    if ph.phase.min_tests:
        expected += f" (min {ph.phase.min_tests})"
    return [t.passed, t.failed, t.skipped, t.errors, t.xfailed, expected]


def phase_table(result: Result) -> str:
    with_tests = any(ph.tests is not None for ph in result.phases)
    rows = []
    for ph in result.phases:
        row = [ph.phase.id, ph.phase.title, f"{ph.passed}/{len(ph.checks)}"]
        if with_tests:
            row += _test_cells(ph)
        rows.append(row + [ph.status.upper()])
    if not rows:
        return ""
    headers = ["Phase", "Title", "Checks passed"] + (TEST_HEADERS if with_tests else [])
    return tabulate(rows, headers=headers + ["Status"], tablefmt="github")


def summary_line(result: Result) -> str:
    n = len(result.findings)
    sup = len(result.suppressed)
    by_sev: dict[str, int] = {}
    for f in result.findings:
        by_sev[f.severity.value] = by_sev.get(f.severity.value, 0) + 1
    parts = ", ".join(f"{v} {k}" for k, v in sorted(by_sev.items()))
    s = f"Found {n} finding{'s' if n != 1 else ''}" + (f" ({parts})" if parts else "")
    if sup:
        s += f"; {sup} suppressed"
    if result.baselined:
        s += f"; {len(result.baselined)} in the baseline"
    if result.stale_baseline:
        n = len(result.stale_baseline)
        s += f"; {n} baseline entr{'ies' if n != 1 else 'y'} no longer occur"
    if result.not_selected:
        s += (f"; {result.not_selected} outside the selected paths/lines not shown (the phase "
              "table covers the whole project)")
    st = result.stats
    s += (f". Checked {st.files_discovered} files ({st.files_parsed} parsed) with "
          f"{st.rules} rules.")
    return s


def render(result: Result) -> str:
    out = finding_lines(result)
    table = phase_table(result)
    if table:
        if out:
            out.append("")
        out.append(table)
    out.append("")
    out.append(summary_line(result))
    return "\n".join(out) + "\n"
