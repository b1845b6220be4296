"""JUnit XML output: the audit as test cases, for CI dashboards that read JUnit.

One ``<testsuite>`` per pack (plus ``obs-lint.builtin`` for the engine's own rules); each rule is a
``<testcase classname="obs-lint.<pack>.phase-<id>" name="<CODE> <name>">``:

* a rule that failed carries one ``<failure>`` whose text lists every finding
  (``path:line:col: message``);
* a rule that could not decide carries an ``<error>`` with the reason;
* a rule that failed only on findings that are not reported — accepted by the baseline or
  silenced by a suppression — is ``<skipped>`` with that count as its message: the violation
  is still there (it is not a pass), but it does not fail the run, and a dashboard showing
  it red beside a green run would contradict the exit status;
* a rule that passed is an empty test case.

Built-in rules (parse errors, stale suppressions...) have no check result; they fail when they
have findings. Characters XML 1.0 cannot carry (control characters from odd source files) are
replaced, so the output always parses.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from typing import Iterable, Sequence

from ..builtin import BUILTIN_PACK, BUILTINS
from ..types import CheckResult, Finding, Result, Rule, Status
from ..verdict import UNDECIDED

_INVALID_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def clean(text: str) -> str:
    return _INVALID_XML.sub("\ufffd", text)


def _classname(rule: Rule) -> str:
    if rule.pack == BUILTIN_PACK:
        return "obs-lint.builtin"
    phase = f".phase-{rule.phase}" if rule.phase is not None else ""
    return clean(f"obs-lint.{rule.pack}{phase}")


def _finding_lines(findings: Iterable[Finding]) -> str:
    return "\n".join(f"{f.location.path}:{f.location.span.line}:{f.location.span.column}: "
                     f"{f.code} {f.message}" for f in findings)


def _accepted_message(c: CheckResult) -> str:
    kinds = []
    if c.baselined:
        kinds.append(f"{c.baselined} accepted by the baseline")
    if c.suppressed:
        kinds.append(f"{c.suppressed} suppressed")
    return f"fails only on findings not reported ({', '.join(kinds)}): {c.rule.message}"


def _case(suite: ET.Element, rule: Rule, status: Status, findings: Sequence[Finding],
          note: str = "", accepted: CheckResult | None = None) -> tuple[int, int, int]:
    case = ET.SubElement(suite, "testcase", classname=_classname(rule),
                         name=clean(f"{rule.code} {rule.name}"), time="0")
    if status is Status.FAIL and not findings and accepted is not None and accepted.accepted:
        ET.SubElement(case, "skipped", type="accepted",
                      message=clean(_accepted_message(accepted)))
        return 0, 0, 1
    if status is Status.FAIL:
        n = len(findings)
        el = ET.SubElement(case, "failure", type=rule.severity.value,
                           message=clean(f"{n} finding{'s' if n != 1 else ''}: {rule.message}"))
        el.text = clean(_finding_lines(findings))
        return 1, 0, 0
    if status is Status.UNKNOWN:
        el = ET.SubElement(case, "error", type="undecided",
                           message=clean(note or UNDECIDED))
        el.text = clean(_finding_lines(findings) or note)
        return 0, 1, 0
    return 0, 0, 0


def _suite(parent: ET.Element, name: str) -> ET.Element:
    return ET.SubElement(parent, "testsuite", name=clean(name))


def _close(suite: ET.Element, tests: int, failures: int, errors: int, skipped: int = 0) -> None:
    suite.set("tests", str(tests))
    suite.set("failures", str(failures))
    suite.set("errors", str(errors))
    suite.set("skipped", str(skipped))
    suite.set("time", "0")


def to_element(result: Result) -> ET.Element:
    root = ET.Element("testsuites", name="obs-lint")
    totals = [0, 0, 0]
    by_pack: dict[str, list[CheckResult]] = {}
    for c in result.checks:
        by_pack.setdefault(c.rule.pack, []).append(c)
    for pack in [p.id for p in result.packs]:
        checks = sorted(by_pack.get(pack, []), key=lambda c: c.rule.code)
        if not checks:
            continue
        suite = _suite(root, f"obs-lint.{pack}")
        fails = errs = skips = 0
        for c in checks:
            f, e, k = _case(suite, c.rule, c.status, c.findings, c.note, c)
            fails, errs, skips = fails + f, errs + e, skips + k
        _close(suite, len(checks), fails, errs, skips)
        totals = [totals[0] + len(checks), totals[1] + fails, totals[2] + errs]
    suite = _suite(root, "obs-lint.builtin")
    fails = 0
    reported = {r.code for r in result.rules}
    builtin_rules = [b for b in BUILTINS if b.code not in reported]
    for b in builtin_rules:
        mine = [f for f in result.findings if f.code == b.code]
        failing = any(f.severity.rank > 0 for f in mine)
        f, _, _ = _case(suite, b, Status.FAIL if failing else Status.PASS, mine)
        fails += f
    _close(suite, len(builtin_rules), fails, 0)
    totals = [totals[0] + len(builtin_rules), totals[1] + fails, totals[2]]
    root.set("tests", str(totals[0]))
    root.set("failures", str(totals[1]))
    root.set("errors", str(totals[2]))
    return root


def render(result: Result) -> str:
    root = to_element(result)
    ET.indent(root)
    return ('<?xml version="1.0" encoding="utf-8"?>\n'
            + ET.tostring(root, encoding="unicode") + "\n")
