"""Values shared by every stage of the pipeline.

All values are frozen dataclasses (plain, picklable data) so that facts can be cached on disk and
shipped between worker processes without a redesign. Keeping every shared type in this one module
keeps imports acyclic: stages import ``types``; ``types`` imports no stage.

Pipeline (data flows one way)::

    discover (paths -> SourceFile) -> facts (SourceFile -> FileFacts)
      -> checks (FileFacts -> CheckResult/Finding) -> suppress -> report
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import Any, Mapping


class Severity(str, Enum):
    """How serious a finding is. ``info`` never fails a run (used for "cannot decide")."""

    ERROR = "error"
    WARNING = "warning"
    INFO = "info"

    @property
    def rank(self) -> int:
        return {"error": 2, "warning": 1, "info": 0}[self.value]


class Status(str, Enum):
    """Outcome of one rule (one audit checkbox)."""

    PASS = "pass"
    FAIL = "fail"
    UNKNOWN = "unknown"  # the engine could not decide (e.g. a file in scope did not parse)


class FileKind(str, Enum):
    PYTHON = "python"
    YAML = "yaml"
    SQL = "sql"
    OTHER = "other"


@dataclass(frozen=True, slots=True)
class Span:
    """A source range. Lines and columns are 1-based (libcst's 0-based columns are converted)."""

    line: int
    column: int
    end_line: int
    end_column: int

    @staticmethod
    def file_start() -> "Span":
        return Span(1, 1, 1, 1)


@dataclass(frozen=True, slots=True)
class Location:
    """A place in the project: POSIX path relative to the project root plus a span."""

    path: str
    span: Span = field(default_factory=Span.file_start)

    def __str__(self) -> str:
        return f"{self.path}:{self.span.line}"


@dataclass(frozen=True, slots=True)
class Related:
    """One link of a finding's evidence chain: the other place that proves it — the definition
    a call was checked against, the DDL statement that lacks a column, a node that was searched
    for a writer, the config file nobody loads. Reported as SARIF ``relatedLocations``, as
    indented ``note:`` lines in text, a ``related`` list in JSON and sub-items in Markdown."""

    location: Location
    message: str


@dataclass(frozen=True, slots=True)
class SourceFile:
    """A file chosen by discovery. ``path`` is relative to the project root, POSIX style."""

    path: str
    abs_path: str
    kind: FileKind


@dataclass(frozen=True, slots=True)
class Suppressed:
    """A finding a suppression silenced, and which kind: ``comment`` (an
    ``# obs-lint: ignore[...]`` on its line), ``skip-file`` (a ``# obs-lint: skip-file``
    comment) or ``config`` (``per-file-ignores``). Not reported, but counted and, in SARIF,
    listed with a ``suppressions`` entry."""

    finding: "Finding"
    how: str


@dataclass(frozen=True, slots=True)
class Finding:
    """One reported problem.

    ``fingerprint_source`` is the normalised offending source text (or, for whole-file and
    project-level findings, a stable description). Baselines and SARIF fingerprints hash it
    together with the rule and path, never the line number, so identities survive code moving.
    """

    code: str
    name: str
    severity: Severity
    message: str
    location: Location
    phase: int | str | None = None
    fingerprint_source: str = ""
    related: tuple[Related, ...] = ()

    @property
    def sort_key(self) -> tuple:
        s = self.location.span
        return (self.location.path, s.line, s.column, self.code, self.message)


@dataclass(frozen=True, slots=True)
class Example:
    """A rule's documented violation and fix (shown by ``obs-lint explain``)."""

    violation: str = ""
    fix: str = ""


@dataclass(frozen=True, slots=True)
class Where:
    """Path selector of a rule, gitignore-style globs relative to the project root."""

    include: tuple[str, ...] = ("**",)
    exclude: tuple[str, ...] = ()
    # files the rule may read to resolve names (definitions its scope imports or calls) but
    # does not judge: parsed with every fact and offered through ``RuleContext.project``
    consult: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Rule:
    """One rule of a pack: a stable code, a slug, a phase, and exactly one check."""

    code: str
    name: str
    pack: str
    phase: int | str | None
    severity: Severity
    message: str
    check_kind: str
    params: Mapping[str, Any]
    where: Where = field(default_factory=Where)
    description: str = ""
    checklist: str = ""  # the audit checkbox text this rule automates (markdown report)
    section: str = ""  # checklist section heading, e.g. "1.1 Architecture"
    example: Example = field(default_factory=Example)
    tags: tuple[str, ...] = ()
    source: str = ""  # "file:line" where the rule was declared (for error messages)
    # the pack whose phase the rule belongs to when that is not its own pack ("" = its own):
    # a rule declared inline in the configuration (pack "local") can sit in phase 9 of e2i
    phase_pack: str = ""

    @property
    def phase_key(self) -> tuple[str, int | str | None]:
        """(pack id, phase id) of the phase table row this rule is counted in."""
        return (self.phase_pack or self.pack, self.phase)

    def __hash__(self) -> int:  # params is a dict; rules are identified by pack + code
        return hash((self.pack, self.code))


@dataclass(frozen=True, slots=True)
class Phase:
    """A group of rules (the audit's phases). ``tests`` maps test files to the phase."""

    id: int | str
    title: str
    tests: tuple[str, ...] = ()
    min_tests: int = 0


@dataclass(frozen=True, slots=True)
class Pack:
    """A loaded, validated rule pack."""

    id: str
    title: str
    phases: tuple[Phase, ...]
    rules: tuple[Rule, ...]
    source: str = ""  # path of the pack file
    digest: str = ""  # sha256 of the pack file's bytes (cache key component)


@dataclass(frozen=True, slots=True)
class CheckResult:
    """The outcome of one rule over the project: status, findings, and evidence.

    ``evidence`` are the locations that proved a pass (or that a failure concerns), so the
    per-phase report can say *where* each audit checkbox was decided.
    """

    rule: Rule
    status: Status
    findings: tuple[Finding, ...] = ()
    evidence: tuple[Location, ...] = ()
    note: str = ""  # why UNKNOWN, or a one-line summary of the evidence
    # findings of this rule that were evaluated but are not reported: accepted by the baseline,
    # or silenced by a suppression (comment, skip-file, per-file-ignores). They leave
    # ``findings`` but never change ``status``: the violation is still in the code, so the
    # checkbox stays failed (the phase table never lies); only the exit status ignores them
    baselined: int = 0
    suppressed: int = 0
    # the check kind raised (an engine bug, ``evaluate.py``): the status is UNKNOWN, an
    # ``internal-error`` finding says why, and the result is never cached (``memo.py``)
    crashed: bool = False

    @property
    def accepted(self) -> int:
        return self.baselined + self.suppressed


@dataclass(frozen=True, slots=True)
class TestCounts:
    """Test outcomes merged into one phase (from JUnit files or the pytest plugin's session).

    ``expected`` is the static test inventory of the phase's test files (``expected_exact`` is
    False when a count could only be bounded from below, e.g. a non-literal parametrize).
    A test that ran is one that was not skipped: passed, failed, errored or xfailed.
    """

    __test__ = False  # not a pytest test class, whatever its name says

    passed: int = 0
    failed: int = 0
    skipped: int = 0
    errors: int = 0
    xfailed: int = 0
    expected: int = 0
    expected_exact: bool = True

    @property
    def ran(self) -> int:
        return self.passed + self.failed + self.errors + self.xfailed


@dataclass(frozen=True, slots=True)
class PhaseResult:
    """One phase of the report: its checks' results, its tests' outcomes, the derived status.

    status:
      * ``fail``: a check failed or could not be decided (whether or not its findings are
        baselined or suppressed: the code still violates it), or (test results given) a test
        of the phase failed or errored, or fewer than ``min_tests`` ran;
      * ``not-run``: the checks pass but none of the phase's mapped tests ran (test results
        were given: a phase cannot pass on tests that never ran);
      * ``incomplete``: the checks pass, the tests that ran passed, but fewer ran than the
        phase's test files define (skipped, deselected or not collected);
      * ``n/a``: nothing to judge (no static checks, no mapped tests);
      * ``pass``: every check passed, and every mapped test (if results were given) ran and
        passed.
    """

    phase: Phase
    pack: str
    checks: tuple[CheckResult, ...]
    tests: TestCounts | None = None  # None: no test results were given for this run

    @property
    def passed(self) -> int:
        return sum(1 for c in self.checks if c.status is Status.PASS)

    @property
    def failed(self) -> int:
        return len(self.checks) - self.passed

    @property
    def baselined(self) -> int:
        """Findings of this phase's checks the baseline accepted (not reported)."""
        return sum(c.baselined for c in self.checks)

    @property
    def suppressed(self) -> int:
        """Findings of this phase's checks a suppression silenced (not reported)."""
        return sum(c.suppressed for c in self.checks)

    @property
    def new_findings(self) -> int:
        """Reported findings of this phase's checks (those not accepted)."""
        return sum(len(c.findings) for c in self.checks)

    @property
    def tests_state(self) -> str:
        """What the merged test results say: "" (none given, or no test mapped to the
        phase), "failed", "not-run", "incomplete" or "passed" (see ``status``)."""
        t = self.tests
        if t is None:
            return ""
        if t.failed > 0 or t.errors > 0 or t.ran < self.phase.min_tests:
            return "failed"
        if not self.phase.tests and t.expected == 0 and t.ran == 0:
            return ""
        if t.ran == 0:
            return "not-run"
        if t.ran < t.expected:
            return "incomplete"
        return "passed"

    @property
    def tests_failing(self) -> bool:
        return self.tests_state == "failed"

    @property
    def status(self) -> str:
        state = self.tests_state
        if self.failed or state == "failed":
            return "fail"
        if state in ("not-run", "incomplete"):
            return state
        if not self.checks and state != "passed":
            return "n/a"
        return "pass"


@dataclass(frozen=True, slots=True)
class RunStats:
    """Deterministic counters (same for serial/parallel and cold/warm runs)."""

    files_discovered: int = 0
    files_parsed: int = 0
    lines_discovered: int = 0
    lines_parsed: int = 0
    rules: int = 0


@dataclass(frozen=True, slots=True)
class BaselineEntry:
    """One accepted finding recorded in a baseline file (identified by its fingerprint)."""

    rule: str
    name: str
    path: str
    fingerprint: str
    message: str = ""


@dataclass(frozen=True, slots=True)
class Result:
    """Everything one run produced; reporters are pure functions of this value."""

    root: str
    packs: tuple[Pack, ...]
    rules: tuple[Rule, ...]
    findings: tuple[Finding, ...]
    checks: tuple[CheckResult, ...]
    phases: tuple[PhaseResult, ...]
    suppressed: tuple[Suppressed, ...] = ()
    stats: RunStats = field(default_factory=RunStats)
    baselined: tuple[Finding, ...] = ()  # findings accepted by --baseline (not reported)
    # findings left out because they lie outside the given PATHS / changed lines; the phase
    # table still covers the whole project, so it can fail while the run exits 0
    not_selected: int = 0
    stale_baseline: tuple[BaselineEntry, ...] = ()  # baseline entries that no longer occur
    fail_on: str = "warning"  # the configured threshold the exit status uses (verdict.py)

    @property
    def unphased(self) -> tuple[CheckResult, ...]:
        """Checks in no phase of a loaded pack: rules without a phase, and rules naming a phase
        their pack does not define (a project's inline rules, whose ``local`` pack has none)."""
        placed = {id(c) for ph in self.phases for c in ph.checks}
        return tuple(c for c in self.checks if id(c) not in placed)

    @property
    def internal_errors(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.name == "internal-error")
