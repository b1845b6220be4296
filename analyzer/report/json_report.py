"""JSON output: the machine-readable contract (see README "JSON output").

Deterministic by construction (sorted findings, no timings or cache counters), so serial and
parallel, cold and warm runs produce byte-identical output.
"""

from __future__ import annotations

import json
from typing import Any

from .. import __version__
from ..types import CheckResult, Finding, Result, TestCounts
from ..verdict import exit_status, explain


def finding_dict(f: Finding) -> dict[str, Any]:
    s = f.location.span
    return {"rule": f.code, "name": f.name, "phase": f.phase, "severity": f.severity.value,
            "path": f.location.path, "line": s.line, "column": s.column,
            "end_line": s.end_line, "end_column": s.end_column, "message": f.message,
            "related": [{"path": r.location.path, "line": r.location.span.line,
                         "column": r.location.span.column, "message": r.message}
                        for r in f.related]}


def check_dict(c: CheckResult) -> dict[str, Any]:
    return {"code": c.rule.code, "name": c.rule.name, "status": c.status.value,
            "severity": c.rule.severity.value, "checklist": c.rule.checklist,
            "findings": len(c.findings),
            "baselined": c.baselined, "suppressed": c.suppressed,
            "evidence": [f"{e.path}:{e.span.line}" for e in c.evidence], "note": c.note}


def tests_dict(t: TestCounts | None) -> dict[str, int] | None:
    """A phase's test outcomes; null when the run was given no test results."""
    if t is None:
        return None
    return {"passed": t.passed, "failed": t.failed, "skipped": t.skipped, "errors": t.errors,
            "xfailed": t.xfailed, "ran": t.ran, "expected": t.expected}


def to_dict(result: Result) -> dict[str, Any]:
    phases = []
    for ph in result.phases:
        phases.append({"id": ph.phase.id, "pack": ph.pack, "title": ph.phase.title,
                       "status": ph.status, "checks_passed": ph.passed,
                       "checks_failed": ph.failed, "checks_total": len(ph.checks),
                       "baselined": ph.baselined, "suppressed": ph.suppressed,
                       "tests": tests_dict(ph.tests),
                       "tests_state": ph.tests_state or None,
                       "checks": [check_dict(c) for c in ph.checks]})
    unphased = [check_dict(c) for c in result.unphased]
    st = result.stats
    return {
        "tool": {"name": "obs-lint", "version": __version__},
        "packs": [{"id": p.id, "title": p.title} for p in result.packs],
        "findings": [finding_dict(f) for f in result.findings],
        "phases": phases,
        "unphased_checks": unphased,
        "summary": {"findings": len(result.findings), "suppressed": len(result.suppressed),
                    "baselined": len(result.baselined),
                    "errors": sum(1 for f in result.findings if f.severity.value == "error"),
                    "warnings": sum(1 for f in result.findings
                                    if f.severity.value == "warning"),
                    "exit_status": exit_status(result),
                    "explanation": explain(result)},
        "stale_baseline": [{"rule": e.rule, "name": e.name, "path": e.path,
                            "fingerprint": e.fingerprint, "message": e.message}
                           for e in result.stale_baseline],
        "stats": {"files_discovered": st.files_discovered, "files_parsed": st.files_parsed,
                  "lines_discovered": st.lines_discovered, "lines_parsed": st.lines_parsed,
                  "rules": st.rules},
    }


def render(result: Result) -> str:
    return json.dumps(to_dict(result), indent=2, sort_keys=False) + "\n"
