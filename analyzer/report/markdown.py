"""Markdown output: the audit checklist as a document, ticked by the analyzer.

Why a document and not a findings list: the hand-written audit this tool replaces is a Markdown
checklist (phases, sections, ``- [x]`` checkboxes, a phase summary table). This reporter
reproduces that shape from the pack's own data, so a reader can use the report *instead of*
the hand-written audit: every checkbox appears with the rule(s) that decide it, their status,
and the evidence (``path:line``) beside it.

Layout (a pure function of ``Result``):

* title and summary (overall verdict, finding counts, files and rules);
* the phase summary table (phase, title, checks passed/total, status);
* per phase, per checklist section, one checkbox per distinct checklist text. Several rules
  may automate one checkbox (e.g. a config value *and* the code default): the box is ticked
  only when every one of them passed, and each rule is listed under it with its own status;
* a phase without static checks is shown as such (its tests decide it);
* rules that belong to no phase, and findings that belong to no rule of the checklist (parse
  errors, internal errors, stale suppressions), at the end — nothing is dropped.

Checkbox texts are the spec's own Markdown (backticks, bold) and are kept as written; text that
comes from analysed code (messages, notes) is escaped so it cannot break the document.
"""

from __future__ import annotations

import os
import re
from typing import Iterable, Sequence
from urllib.parse import quote

from ..types import CheckResult, Finding, Location, PhaseResult, Result, Status
from ..verdict import UNDECIDED, explain
from .safe import visible

MAX_EVIDENCE = 5  # evidence locations shown per rule (the JSON report has them all)
MAX_FINDINGS = 8  # findings shown per failing rule

_STATUS_BADGE = {"pass": "✅ PASS", "fail": "❌ FAIL", "n/a": "➖ N/A",
                 "not-run": "⚠️ TESTS NOT RUN", "incomplete": "⚠️ INCOMPLETE"}
_CHECK_WORD = {Status.PASS: "pass", Status.FAIL: "**fail**", Status.UNKNOWN: "**unknown**"}


def _escape(text: str) -> str:
    """Make text from analysed code safe inside Markdown (one line, no HTML, no tables).

    Code spans (`...`, as messages write names) are kept verbatim: Markdown shows them
    literally, so escaping there would print the entities. Outside them ``&<>`` become
    entities and ``[`` ``]`` are backslash-escaped (no link or image of the author's choosing);
    ``|`` is escaped everywhere (GitHub tables split on it even in code spans). Line breaks
    become spaces; other control characters are shown escaped (``\\x1b``).
    """
    text = visible(" ".join(str(text).split()))
    parts = text.split("`")
    if len(parts) % 2 == 0:  # an unpaired backtick: no code spans at all
        parts = [text.replace("`", "\\`")]
    out = []
    for i, part in enumerate(parts):
        if i % 2 == 0:
            part = (part.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
                    .replace("[", "\\[").replace("]", "\\]"))
        out.append(part.replace("|", "\\|"))
    return "`".join(out)


def _cell(text: str) -> str:
    return _escape(text)


_MD_PUNCT = re.compile(r"([\\`\[\]<>&|])")


def _literal(text: str) -> str:
    """Text shown as written (a file name): the characters that could start a code span,
    HTML, a link or an image, or end the link or a table cell, backslash-escaped (``_`` and
    ``*`` are left: at most they emphasise); one line, control characters visible."""
    return _MD_PUNCT.sub(r"\\\1", visible(" ".join(str(text).split())))


def _link(loc: Location) -> str:
    """``[path:line](path#Lline)``: clickable when the report sits at the project root.

    The target is percent-encoded (every byte but letters, digits, ``/`` and ``-._~``; the
    original bytes of a non-UTF-8 name), so a space, parenthesis, newline or ``<img ...>`` in
    a file name cannot end the link or start markup."""
    line = loc.span.line
    shown = _literal(f"{loc.path}:{line}")
    target = quote(loc.path.encode("utf-8", "surrogateescape"), safe="/")
    return f"[{shown}]({target}#L{line})"


def _chain(f: Finding, most: int = 4) -> str:
    """The finding's evidence chain, inline: "(see [a.py:3](a.py#L3): the definition ...)"."""
    if not f.related:
        return ""
    links = "; ".join(f"{_link(r.location)}: {_escape(r.message)}" for r in f.related[:most])
    more = f"; and {len(f.related) - most} more" if len(f.related) > most else ""
    return f" (see {links}{more})"


def _unique(locs: Iterable[Location]) -> list[Location]:
    seen: set[tuple[str, int]] = set()
    out = []
    for loc in locs:
        key = (loc.path, loc.span.line)
        if key not in seen:
            seen.add(key)
            out.append(loc)
    return out


# --------------------------------------------------------------------------------------------
# Sections
# --------------------------------------------------------------------------------------------


def _title(result: Result) -> list[str]:
    titles = [p.title for p in result.packs]
    head = titles[0] if len(titles) == 1 else "obs-lint audit report"
    project = os.path.basename(os.path.normpath(result.root)) or result.root
    packs = ", ".join(f"`{p.id}`" for p in result.packs)
    return [f"# {_escape(head)}", "",
            f"**Project**: `{_escape(project)}`  ", f"**Rule packs**: {packs}", ""]


def _summary(result: Result) -> list[str]:
    errors = sum(1 for f in result.findings if f.severity.value == "error")
    warnings = sum(1 for f in result.findings if f.severity.value == "warning")
    infos = sum(1 for f in result.findings if f.severity.value == "info")
    checks = [c for p in result.phases for c in p.checks]
    passed = sum(1 for c in checks if c.status is Status.PASS)
    failed_phases = [p for p in result.phases if p.status == "fail"]
    untested = [p for p in result.phases if p.status in ("not-run", "incomplete")]
    verdict = "✅ ALL CHECKS PASS" if not failed_phases and not errors and not warnings \
        else "❌ NOT CONFORMANT"
    if verdict.startswith("✅") and untested:
        verdict = "⚠️ CHECKS PASS, NOT ALL MAPPED TESTS RAN"
    st = result.stats
    lines = ["## Summary", "", f"**Status**: {verdict}", "",
             f"- Checklist items decided by rules: {passed}/{len(checks)} passed",
             f"- Phases passing: {sum(1 for p in result.phases if p.status == 'pass')}"
             f"/{sum(1 for p in result.phases if p.status != 'n/a')}"
             f" (phases without static checks: "
             f"{sum(1 for p in result.phases if p.status == 'n/a')})",
             f"- Findings: {len(result.findings)} ({errors} error, {warnings} warning, "
             f"{infos} info)" + (f"; {len(result.suppressed)} suppressed"
                                 if result.suppressed else ""),
             f"- Checked {st.files_discovered} file{'s' if st.files_discovered != 1 else ''} "
             f"({st.files_parsed} parsed) with {st.rules} rule{'s' if st.rules != 1 else ''}",
             ""]
    if result.baselined:
        lines.insert(-1, f"- Accepted by the baseline (not reported): {len(result.baselined)}")
    why = explain(result)
    if why:
        lines += [f"> {_escape(why)}", ""]
    return lines


def _badge(ph: PhaseResult) -> str:
    """The status, with the findings accepted by the baseline or suppressed beside a FAIL."""
    badge = _STATUS_BADGE.get(ph.status, ph.status)
    extra = []
    if ph.baselined:
        extra.append(f"{ph.baselined} baselined")
    if ph.suppressed:
        extra.append(f"{ph.suppressed} suppressed")
    return badge + (f" ({', '.join(extra)})" if extra else "")


def _tests_cell(ph: PhaseResult) -> str:
    t = ph.tests
    if t is None or ph.tests_state == "":
        return "–"
    if t.ran == 0:
        return f"not run (0/{t.expected})"
    parts = [f"{t.passed} passed"]
    for n, word in ((t.failed, "failed"), (t.errors, "errors"), (t.skipped, "skipped"),
                    (t.xfailed, "xfailed")):
        if n:
            parts.append(f"{n} {word}")
    exp = f"{t.expected}" if t.expected_exact else f"≥{t.expected}"
    return f"{t.ran}/{exp} ran: " + ", ".join(parts)


def _phase_table(phases: Sequence[PhaseResult]) -> list[str]:
    if not phases:
        return []
    multi = len({p.pack for p in phases}) > 1
    with_tests = any(p.tests is not None for p in phases)
    head = (["Pack"] if multi else []) + ["Phase", "Title", "Checks passed"] + (
        ["Tests"] if with_tests else []) + ["Status"]
    rows = ["| " + " | ".join(head) + " |", "|" + "|".join("---" for _ in head) + "|"]
    for ph in phases:
        cells = [str(ph.phase.id), _cell(ph.phase.title), f"{ph.passed}/{len(ph.checks)}"]
        if with_tests:
            cells.append(_tests_cell(ph))
        cells.append(_badge(ph))
        if multi:
            cells.insert(0, ph.pack)
        rows.append("| " + " | ".join(cells) + " |")
    return ["## Phase Summary", "", *rows, ""]


def _rule_detail(c: CheckResult) -> list[str]:
    """Sub-bullets of one rule: evidence when it passed, what is wrong when it did not."""
    out = []
    failing = [f for f in c.findings if f.severity.rank > 0]
    infos = [f for f in c.findings if f.severity.rank == 0]
    if c.status is Status.PASS:
        ev = _unique(c.evidence)
        if ev:
            shown = ", ".join(_link(e) for e in ev[:MAX_EVIDENCE])
            more = f" (+{len(ev) - MAX_EVIDENCE} more)" if len(ev) > MAX_EVIDENCE else ""
            out.append(f"evidence: {shown}{more}")
        elif c.note:
            out.append(f"evidence: {_escape(c.note)}")
        return out
    if c.accepted:
        kinds = [f"{c.baselined} accepted by the baseline"] if c.baselined else []
        kinds += [f"{c.suppressed} suppressed"] if c.suppressed else []
        out.append(f"findings not reported: {', '.join(kinds)} (the violation is still "
                   "there)")
    for f in failing[:MAX_FINDINGS]:
        out.append(f"{_link(f.location)}: {_escape(f.message)}{_chain(f)}")
    if len(failing) > MAX_FINDINGS:
        out.append(f"... and {len(failing) - MAX_FINDINGS} more finding(s)")
    if c.status is Status.UNKNOWN:
        if c.note:
            why = c.note.removeprefix(f"{UNDECIDED}: ")  # one prefix, not two
            out.append(f"{UNDECIDED}: {_escape(why)}")
        for f in infos[:MAX_FINDINGS]:
            if not c.note or f.message not in c.note:
                out.append(f"{_link(f.location)}: {_escape(f.message)}")
    elif not failing and not c.accepted and c.note:  # pragma: no cover - a FAIL carries one
        out.append(_escape(c.note))
    return out


def _checkbox(text: str, checks: Sequence[CheckResult]) -> list[str]:
    ticked = all(c.status is Status.PASS for c in checks)
    box = "[x]" if ticked else "[ ]"
    if len(checks) == 1:
        c = checks[0]
        lines = [f"- {box} {text} — `{c.rule.code}` {c.rule.name}: {_CHECK_WORD[c.status]}"]
        lines += [f"  - {d}" for d in _rule_detail(c)]
        return lines
    lines = [f"- {box} {text}"]
    for c in checks:
        lines.append(f"  - `{c.rule.code}` {c.rule.name}: {_CHECK_WORD[c.status]}"
                     f" — {_escape(c.rule.message)}")
        lines += [f"    - {d}" for d in _rule_detail(c)]
    return lines


Boxes = list[tuple[str, list[CheckResult]]]  # (checkbox text, the checks deciding it)


def _grouped(checks: Sequence[CheckResult]) -> list[tuple[str, Boxes]]:
    """[(section, boxes)]: numbered sections in order, boxes in rule-code order."""
    sections: dict[str, dict[str, list[CheckResult]]] = {}
    for c in sorted(checks, key=lambda c: _code_key(c.rule.code)):
        section = c.rule.section or "Other checks"
        text = c.rule.checklist or _escape(c.rule.message)
        sections.setdefault(section, {}).setdefault(text, []).append(c)
    order = list(sections)

    def key(section: str) -> tuple:
        # numbered sections ("1.2 Core Methods") in number order, the rest ("Success
        # Criteria") after them in first-seen order: the spec's own layout
        m = re.match(r"^(\d+(?:\.\d+)*)\b", section)
        if m:
            return (0, tuple(int(x) for x in m.group(1).split(".")), 0)
        return (1, (), order.index(section))

    return [(s, list(sections[s].items())) for s in sorted(order, key=key)]


def _code_key(code: str) -> tuple:
    """Sort codes by their letter prefix, then their digits as written (E2I101 < E2I111)."""
    head = code.rstrip("0123456789")
    return (head, code[len(head):])


def _phase(ph: PhaseResult, multi: bool) -> list[str]:
    prefix = f"{ph.pack} " if multi else ""
    counts = (f"({ph.passed}/{len(ph.checks)} checks passed)" if ph.checks
              else "(no static checks)")
    lines = [f"## {prefix}Phase {ph.phase.id}: {_escape(ph.phase.title)}", "",
             f"**Status**: {_badge(ph)} {counts}", ""]
    if ph.phase.tests:
        tests = ", ".join(f"`{t}`" for t in ph.phase.tests)
        lines += [f"Tests: {tests}", ""]
    if not ph.checks:
        lines += ["_No static checks: every checkbox of this phase is decided by running its "
                  "tests._", ""]
        return lines
    for section, boxes in _grouped(ph.checks):
        lines += [f"### {_escape(section)}", ""]
        for text, checks in boxes:
            lines += _checkbox(text, checks)
        lines.append("")
    return lines


def _unphased(result: Result) -> list[str]:
    checks = list(result.unphased)
    if not checks:
        return []
    lines = ["## Rules outside the phases", ""]
    for text, group in [(t, g) for _, boxes in _grouped(checks) for t, g in boxes]:
        lines += _checkbox(text, group)
    return lines + [""]


def _orphans(result: Result) -> list[str]:
    """Findings no rule of a phase owns (parse errors, internal errors, stale suppressions)."""
    phase_codes = {c.rule.code for ph in result.phases for c in ph.checks}
    phase_codes |= {c.rule.code for c in result.unphased}
    rest: list[Finding] = [f for f in result.findings if f.code not in phase_codes]
    if not rest:
        return []
    lines = ["## Findings outside the checklist", "",
             "Files or comments the analyzer could not use; rules whose scope they touch are "
             "reported as undecided above.", ""]
    for f in rest:
        lines.append(f"- {_link(f.location)}: `{f.code}` {f.name} "
                     f"({f.severity.value}): {_escape(f.message)}")
    return lines + [""]


def render(result: Result) -> str:
    multi = len({p.pack for p in result.phases}) > 1
    out: list[str] = []
    out += _title(result)
    out += _summary(result)
    out += _phase_table(result.phases)
    for ph in result.phases:
        out += _phase(ph, multi)
    out += _unphased(result)
    out += _orphans(result)
    while out and out[-1] == "":
        out.pop()
    return "\n".join(out) + "\n"
