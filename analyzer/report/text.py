"""Human-readable output: one line per finding, then the per-phase table and a summary.

A finding line is ``path:line:col: CODE [name] severity: message`` — the code first, as ruff
prints it, and the severity where compilers put it (editors' problem matchers read both).

``TextOptions`` carries what only the terminal knows (the CLI decides it; the report stays a
pure function of the Result and the options):

* ``cwd``: paths are shown relative to the current directory when it lies inside the project
  root, or the root inside it (what a terminal or editor clicks through); otherwise absolute.
  Without it (the default, and in the ``github`` report) they are root-relative, like JSON and
  SARIF.
* ``color``: ANSI colours (the CLI turns them on for a terminal only, honouring ``NO_COLOR`` /
  ``FORCE_COLOR``).
* Text from checked content (paths, messages, pack titles) is printed through
  ``safe.visible``: control characters (ESC, newlines, OSC sequences) and bidi marks are shown
  escaped (``\\x1b``), never sent to the terminal; every finding is exactly one line.
* ``quiet``: the findings only (``-q``); ``statistics``: one line per rule with its count
  instead of one per finding (``--statistics``); ``phase_table``: False leaves out the table
  (the pre-commit hook on changed files prints findings and the summary line only).
"""

from __future__ import annotations

import os
import posixpath
from dataclasses import dataclass


from ..types import Finding, PhaseResult, Result, Severity
from ..verdict import explain
from .safe import visible

_SEVERITY_COLOR = {Severity.ERROR: "red", Severity.WARNING: "yellow", Severity.INFO: "blue"}
_STATUS_COLOR = {"pass": "green", "fail": "red", "not-run": "yellow", "incomplete": "yellow"}
_ANSI = {"red": 31, "green": 32, "yellow": 33, "blue": 34, "cyan": 36}


@dataclass(frozen=True)
class TextOptions:
    cwd: str | None = None
    color: bool = False
    quiet: bool = False
    statistics: bool = False
    phase_table: bool = True


DEFAULT = TextOptions()


def _style(text: str, opts: TextOptions, color: str | None = None, bold: bool = False) -> str:
    if not opts.color or (color is None and not bold):
        return text
    codes = ([str(_ANSI[color])] if color else []) + (["1"] if bold else [])
    return f"\x1b[{';'.join(codes)}m{text}\x1b[0m"


def display_path(root: str, path: str, cwd: str | None) -> str:
    """``path`` (root-relative, POSIX) as the text report shows it (see the module doc)."""
    if cwd is None:
        return path
    full = posixpath.join(root.replace(os.sep, "/"), path)
    here = cwd.replace(os.sep, "/")
    root_p = root.replace(os.sep, "/")
    if _within(here, root_p) or _within(root_p, here):
        return posixpath.relpath(full, here)
    return full


def _within(path: str, top: str) -> bool:
    top = top.rstrip("/")
    return path == top or path.startswith(top + "/") or top == ""


def _plural(n: int, word: str, plural: str | None = None) -> str:
    return f"{n} {word if n == 1 else (plural or word + 's')}"


def finding_line(f: Finding, result: Result, opts: TextOptions = DEFAULT) -> str:
    s = f.location.span
    shown = visible(display_path(result.root, f.location.path, opts.cwd))
    where = f"{shown}:{s.line}:{s.column}:"
    color = _SEVERITY_COLOR.get(f.severity)
    code = _style(visible(f.code), opts, color, bold=True)
    return (f"{_style(where, opts, bold=True)} {code} [{visible(f.name)}] "
            f"{_style(f.severity.value + ':', opts, color)} {visible(f.message)}")


def related_lines(f: Finding, result: Result, opts: TextOptions = DEFAULT) -> list[str]:
    """The finding's evidence chain, one indented ``note:`` line per link (ruff and rustc
    print secondary locations the same way), so a reader can jump to the definition, the DDL
    statement or the node that was searched."""
    return [f"    {_style('note:', opts, bold=True)} "
            f"{display_path(result.root, r.location.path, opts.cwd)}:{r.location.span.line}: "
            f"{r.message}" for r in f.related]


def finding_lines(result: Result, opts: TextOptions = DEFAULT) -> list[str]:
    out: list[str] = []
    for f in result.findings:
        out.append(finding_line(f, result, opts))
        out.extend(related_lines(f, result, opts))
    return out


def statistics(result: Result, opts: TextOptions = DEFAULT) -> str:
    """One row per rule with findings: count, code, name, severity (most frequent first)."""
    counts: dict[str, list] = {}
    for f in result.findings:
        row = counts.setdefault(f.code, [0, f.code, f.name, f.severity])
        row[0] += 1
    rows = sorted(counts.values(), key=lambda r: (-r[0], r[1]))
    if not rows:
        return ""
    from tabulate import tabulate  # imported on use: a JSON run never needs it

    return tabulate([[n, _style(visible(code), opts, _SEVERITY_COLOR.get(sev), bold=True),
                      visible(name), sev.value] for n, code, name, sev in rows],
                    headers=["Count", "Code", "Name", "Severity"], tablefmt="plain",
                    colalign=("right", "left", "left", "left"))


TEST_HEADERS = ["Tests passed", "Failed", "Skipped", "Errors", "Xfailed", "Expected"]


def _test_cells(ph: PhaseResult) -> list[object]:
    """The test columns (shown when test results were given); ``>=n``: inexact inventory;
    a phase whose mapped tests did not run says so in its first cell."""
    t = ph.tests
    if t is None or ph.tests_state == "":
        return ["-"] + [""] * (len(TEST_HEADERS) - 1)
    expected = f"{t.expected}" if t.expected_exact else f">={t.expected}"
    if ph.phase.min_tests:
        expected += f" (min {ph.phase.min_tests})"
    passed: object = t.passed
    if t.ran == 0:
        passed = "not run"
    return [passed, t.failed, t.skipped, t.errors, t.xfailed, expected]


def status_cell(ph: PhaseResult, opts: TextOptions = DEFAULT) -> str:
    """``FAIL``, ``NOT RUN``...; a phase with accepted findings says how many beside it."""
    word = ph.status.upper().replace("-", " ")
    cell = _style(word, opts, _STATUS_COLOR.get(ph.status), bold=ph.status == "fail")
    extra = []
    if ph.baselined:
        extra.append(f"{ph.baselined} baselined")
    if ph.suppressed:
        extra.append(f"{ph.suppressed} suppressed")
    return cell + (f" ({', '.join(extra)})" if extra else "")


def phase_table(result: Result, opts: TextOptions = DEFAULT) -> str:
    with_tests = any(ph.tests is not None for ph in result.phases)
    multi = len({ph.pack for ph in result.phases}) > 1
    rows = []
    for ph in result.phases:
        phase_id = ph.phase.id if isinstance(ph.phase.id, int) else visible(ph.phase.id)
        row = ([visible(ph.pack)] if multi else []) + [phase_id, visible(ph.phase.title),
                                                       f"{ph.passed}/{len(ph.checks)}"]
        if with_tests:
            row += _test_cells(ph)
        rows.append(row + [status_cell(ph, opts)])
    unphased = result.unphased
    if unphased and rows:
        passed = sum(1 for c in unphased if c.status.value == "pass")
        row = (["-"] if multi else []) + ["-", "(checks in no phase)",
                                          f"{passed}/{len(unphased)}"]
        rows.append(row + ([""] * len(TEST_HEADERS) if with_tests else []) + [""])
    if not rows:
        return ""
    headers = (["Pack"] if multi else []) + ["Phase", "Title", "Checks passed"] + (
        TEST_HEADERS if with_tests else [])
    from tabulate import tabulate

    return tabulate(rows, headers=headers + ["Status"], tablefmt="github")


def summary_line(result: Result) -> str:
    """``Found N findings (...); ... Checked F files (P parsed) with R rules.`` then, when the
    run passes although a phase does not, the sentence saying why (``verdict.explain``)."""
    n = len(result.findings)
    by_sev: dict[str, int] = {}
    for f in result.findings:
        by_sev[f.severity.value] = by_sev.get(f.severity.value, 0) + 1
    parts = ", ".join(f"{v} {k}" if k == "info" else _plural(v, k)
                      for k, v in sorted(by_sev.items()))
    s = f"Found {_plural(n, 'finding')}" + (f" ({parts})" if parts else "")
    if result.suppressed:
        s += f"; {len(result.suppressed)} suppressed"
    if result.baselined:
        s += f"; {len(result.baselined)} in the baseline"
    if result.stale_baseline:
        k = len(result.stale_baseline)
        s += f"; {_plural(k, 'baseline entry', 'baseline entries')} no longer " + (
            "occurs" if k == 1 else "occur")
    if result.not_selected:
        s += (f"; {result.not_selected} outside the selected paths/lines not shown (the phase "
              "table covers the whole project)")
    st = result.stats
    s += (f". Checked {_plural(st.files_discovered, 'file')} ({st.files_parsed} parsed) with "
          f"{_plural(st.rules, 'rule')}.")
    why = explain(result)
    return visible(s + (f" {why}" if why else ""))


def render(result: Result, opts: TextOptions = DEFAULT) -> str:
    out = statistics(result, opts).splitlines() if opts.statistics else \
        finding_lines(result, opts)
    if opts.quiet:
        return "\n".join(out) + "\n" if out else ""
    table = phase_table(result, opts) if opts.phase_table else ""
    if table:
        if out:
            out.append("")
        out.append(table)
    if out:
        out.append("")
    out.append(summary_line(result))
    return "\n".join(out) + "\n"
