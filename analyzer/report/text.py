"""Human-readable output: one line per finding, then the per-phase table and a summary."""

from __future__ import annotations

from tabulate import tabulate

from ..types import Result


def finding_lines(result: Result) -> list[str]:
    return [f"{f.location.path}:{f.location.span.line}:{f.location.span.column}: "
            f"{f.code} [{f.name}] {f.message}" for f in result.findings]


def phase_table(result: Result) -> str:
    rows = []
    for ph in result.phases:
        rows.append([ph.phase.id, ph.phase.title, f"{ph.passed}/{len(ph.checks)}",
                     ph.status.upper()])
    if not rows:
        return ""
    return tabulate(rows, headers=["Phase", "Title", "Checks passed", "Status"],
                    tablefmt="github")


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
