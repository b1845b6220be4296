"""Test results beside the static checks: JUnit ingestion and the per-phase tally.

The audit runs pytest batches per phase and tabulates them; ``--junit-xml`` (and the pytest
plugin) merge those outcomes into the phase table, so a phase fails when its tests fail.

* **Reading** (``read_junit``): pytest JUnit XML of both families (xunit1 writes a ``file``
  attribute per test case, xunit2 does not), a ``<testsuites>`` or a bare ``<testsuite>`` root,
  several files. Parsed with ``defusedxml`` (DTDs, entities and external references are
  refused, so entity-expansion bombs are rejected, never expanded). A missing, unreadable or
  malformed file is a ``UsageError`` naming it (exit 2).
* **Outcome** of a test case: ``<error>`` -> error, ``<failure>`` -> failed,
  ``<skipped type="pytest.xfail">`` -> xfailed (not a skip), other ``<skipped>`` -> skipped,
  else passed (a non-strict XPASS is a pass, as pytest reports it).
* **Identity**: ``classname`` + ``name``. A test case written twice (pytest repeats it when the
  call failed *and* the teardown errored) or present in several files counts once, with its
  worst outcome (error > failed > passed > xfailed > skipped): a pass must be earned.
* **Phase**: the case's test file (the ``file`` attribute, else the dotted ``classname`` turned
  back into a path: ``tests.unit.test_x.TestA`` -> ``tests/unit/test_x.py``, the longest prefix
  that is a file of the project) matched against each phase's ``tests`` globs (gitignore-style,
  relative to the project root). A test may count in several phases, as in the audit's batches.
* **Expected** per phase: the static test inventory (``checks.test_inventory.count_tests``) of
  the phase's test files (pytest's default ``test_*.py`` / ``*_test.py`` names), extracted by
  the run's own loader (``finish.tests_stage``: fact cache, time and byte budgets).
"""

from __future__ import annotations

import glob
import io
import os
import posixpath
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Callable, Iterable, Mapping, Sequence
from xml.etree.ElementTree import ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import parse as safe_parse

from .checks.test_inventory import count_tests
from .discover import discover
from .errors import UsageError
from .globs import gitignore_spec
from .fileio import DEFAULT_MAX_BYTES, ReadRefused, input_budget, read_regular, refusal
from .facts import extract_file
from .types import Pack, PhaseResult, Result, SourceFile, TestCounts

if TYPE_CHECKING:
    from .facts.model import FileFacts

# worst first: a repeated test case keeps the outcome that appears earliest in this tuple
OUTCOMES = ("error", "failed", "passed", "xfailed", "skipped")
_RANK = {o: i for i, o in enumerate(OUTCOMES)}
_COUNT_FIELD = {"error": "errors", "failed": "failed", "passed": "passed",
                "xfailed": "xfailed", "skipped": "skipped"}
PhaseKey = tuple[str, object]  # (pack id, phase id)


@dataclass(frozen=True, slots=True)
class TestCase:
    """One test's outcome. ``path`` is the project-relative test file ("" if unknown)."""

    __test__ = False

    test_id: str
    path: str
    outcome: str


def worst(a: str, b: str) -> str:
    return a if _RANK[a] <= _RANK[b] else b


def dedupe(cases: Iterable[TestCase]) -> list[TestCase]:
    """One case per test id, keeping the worst outcome (first-seen order)."""
    out: dict[str, TestCase] = {}
    for c in cases:
        prev = out.get(c.test_id)
        if prev is None:
            out[c.test_id] = c
        elif worst(c.outcome, prev.outcome) != prev.outcome or (not prev.path and c.path):
            out[c.test_id] = replace(prev, outcome=worst(c.outcome, prev.outcome),
                                     path=prev.path or c.path)
    return list(out.values())


# ---------------------------------------------------------------------------------------------
# JUnit XML
# ---------------------------------------------------------------------------------------------

def expand(patterns: Sequence[str]) -> list[str]:
    """``--junit-xml`` values (paths or globs) -> files. A pattern matching nothing is an error."""
    files: list[str] = []
    for pat in patterns:
        if glob.has_magic(pat):
            hits = sorted(glob.glob(pat, recursive=True))
            if not hits:
                raise UsageError(f"--junit-xml {pat}: no file matches")
        else:
            hits = [pat]
        for h in hits:
            if h not in files:
                files.append(h)
    return files


def _outcome(case) -> str:
    tags = {child.tag: child for child in case}
    if "error" in tags:
        return "error"
    if "failure" in tags:
        return "failed"
    if "skipped" in tags:
        return "xfailed" if tags["skipped"].get("type") == "pytest.xfail" else "skipped"
    return "passed"


def _parse_file(path: str, max_bytes: int = DEFAULT_MAX_BYTES) -> list[tuple[str, str, str, str]]:
    """(classname, name, file attribute, outcome) for each test case of one JUnit file.

    Read with ``fileio.read_regular`` first (a FIFO or a link to ``/dev/zero`` is refused, never
    waited on or read without end), then parsed from the bytes."""
    budget = input_budget(max_bytes)
    try:
        data = read_regular(path, budget)
    except ReadRefused as exc:
        if isinstance(exc.exc, FileNotFoundError):
            raise UsageError(f"{path}: JUnit XML file not found") from None
        if exc.message == "is a directory, not a file" or isinstance(exc.exc,
                                                                     IsADirectoryError):
            raise UsageError(f"{path}: is a directory, not a JUnit XML file") from None
        raise UsageError(f"{path}: {refusal(exc, budget, 'JUnit XML')}") from None
    try:
        tree = safe_parse(io.BytesIO(data), forbid_dtd=True, forbid_entities=True,
                          forbid_external=True)
    except DefusedXmlException as exc:
        raise UsageError(f"{path}: refused unsafe XML ({type(exc).__name__}: DTDs, entities and "
                         "external references are not allowed in JUnit files)") from None
    except ParseError as exc:
        line = exc.position[0] if getattr(exc, "position", None) else 0
        where = f"{path}:{line}" if line else path
        raise UsageError(f"{where}: not well-formed JUnit XML: {exc}") from None
    root = tree.getroot()
    if root.tag not in ("testsuites", "testsuite"):
        raise UsageError(f"{path}: not a JUnit XML file (root element <{root.tag}>, expected "
                         "<testsuites> or <testsuite>)")
    out = []
    for case in root.iter("testcase"):
        name = case.get("name")
        if name is None:
            raise UsageError(f"{path}: a <testcase> has no name attribute")
        out.append((case.get("classname") or "", name, case.get("file") or "", _outcome(case)))
    return out


def _norm_file(root: str, file_attr: str) -> str:
    p = file_attr.replace("\\", "/")
    if os.path.isabs(p):
        p = os.path.relpath(p, root).replace(os.sep, "/")
    return posixpath.normpath(p)


MAX_PATH = 4096  # PATH_MAX: no longer dotted prefix can name a file


def classname_to_path(classname: str, root: str, matches=None) -> str:
    """``tests.unit.test_x.TestA.TestB`` -> ``tests/unit/test_x.py``.

    The longest dotted prefix that is a ``.py`` file under ``root``; failing that (results
    produced elsewhere), the longest one a phase glob matches (``matches(path)``); failing that,
    the prefix before the first capitalised part (a class name).

    Linear in the classname: the file system is walked down the prefixes only while they are
    directories, and only prefixes up to ``MAX_PATH`` characters are candidates (a classname
    of 40,000 dotted parts built every prefix: 1.6 GB for an 80 KB JUnit file).
    """
    parts = [p for p in classname.split(".") if p]
    usable: list[str] = []  # the parts a path can be made of, within MAX_PATH
    length = 0
    for p in parts:
        length += len(p) + 1
        if length + 2 > MAX_PATH or p in (".", "..") or "/" in p or "\\" in p:
            break
        usable.append(p)
    found = ""
    prefix = ""
    for p in usable:  # a deeper prefix can be a file only inside this one's directory
        prefix = f"{prefix}/{p}" if prefix else p
        if os.path.isfile(os.path.join(root, prefix + ".py")):
            found = prefix + ".py"
        if not os.path.isdir(os.path.join(root, prefix)):
            break
    if found:
        return found
    if matches is not None:
        joined = "/".join(usable)
        ends = []
        at = 0
        for p in usable:
            at += len(p)
            ends.append(at)
            at += 1
        for end in reversed(ends):
            if matches(joined[:end] + ".py"):
                return joined[:end] + ".py"
    mod = []
    length = 0
    for p in parts:
        if p[:1].isupper():
            break
        mod.append(p)
        length += len(p) + 1
        if length > MAX_PATH:
            return ""  # no module path is that long
    return "/".join(mod) + ".py" if mod else ""


def read_junit(patterns: Sequence[str], root: str, packs: Sequence[Pack] = (),
               max_bytes: int = DEFAULT_MAX_BYTES) -> list[TestCase]:
    """Read every JUnit file (``patterns`` may be globs) into de-duplicated test cases; each
    must be a regular file within ``fileio.input_budget(max_bytes)``."""
    # JUnit ``file``/classname paths come from outside: pathspec's own matching (it normalises
    # a leading ``./`` or ``/``), not the fast matcher
    specs = [gitignore_spec(ph.tests) for p in packs for ph in p.phases if ph.tests]

    def matches(path: str) -> bool:
        return any(s.match_file(path) for s in specs)

    cases = []
    for path in expand(patterns):
        for classname, name, file_attr, outcome in _parse_file(path, max_bytes):
            # a collection error is written with an empty classname and the module as name
            test_path = (_norm_file(root, file_attr) if file_attr
                         else classname_to_path(classname or name, root, matches))
            cases.append(TestCase(test_id=f"{classname}::{name}", path=test_path,
                                  outcome=outcome))
    return dedupe(cases)


# ---------------------------------------------------------------------------------------------
# Tally and merge
# ---------------------------------------------------------------------------------------------

def tally(cases: Iterable[TestCase], packs: Sequence[Pack]) -> dict[PhaseKey, dict[str, int]]:
    """Outcome counts per phase (a phase with test globs but no case gets zeros)."""
    phases = [((p.id, ph.id), gitignore_spec(ph.tests)) for p in packs for ph in p.phases]
    counts: dict[PhaseKey, dict[str, int]] = {
        key: {f: 0 for f in _COUNT_FIELD.values()} for key, _ in phases}
    for case in dedupe(cases):
        if not case.path:
            continue
        for key, spec in phases:
            if spec.match_file(case.path):
                counts[key][_COUNT_FIELD[case.outcome]] += 1
    return counts


def _is_test_file(path: str) -> bool:
    name = posixpath.basename(path)
    return name.endswith(".py") and (name.startswith("test_") or name.endswith("_test.py"))


def inventory(root: str, packs: Sequence[Pack], exclude: tuple[str, ...] = (),
              respect_gitignore: bool = True, files: Sequence[SourceFile] | None = None,
              load: "Callable[[Sequence[str]], list[FileFacts]] | None" = None
              ) -> dict[PhaseKey, tuple[int, bool]]:
    """Static test count per phase: (expected, exact) over the phase's test files.

    ``files``: the run's discovered files (None: discover them here); ``load``: the run's
    loader of full facts (``extract.extract_on_demand``: its fact cache and time budget), so
    the test files are extracted like every other file of the run. Without it each test file
    is extracted here, parsed whatever the prefilter says."""
    wanted = [((p.id, ph.id), gitignore_spec(ph.tests)) for p in packs for ph in p.phases if ph.tests]
    out: dict[PhaseKey, tuple[int, bool]] = {key: (0, True) for key, _ in wanted}
    if not wanted:
        return out
    if files is None:
        files = discover(root, [root], exclude, respect_gitignore)
    tests = [f for f in files
             if _is_test_file(f.path) and any(s.match_file(f.path) for _, s in wanted)]
    if load is not None:
        extracted = load([src.path for src in tests])
    else:
        extracted = [extract_file(src, None) for src in tests]
    per_file: dict[str, tuple[int, bool]] = {}
    for facts in extracted:
        per_file[facts.path] = count_tests(facts.python) if facts.python else (0, False)
    for key, spec in wanted:
        n, exact = 0, True
        for path, (k, e) in per_file.items():
            if spec.match_file(path):
                n += k
                exact = exact and e
        out[key] = (n, exact)
    return out


def merge(result: Result, counts: Mapping[PhaseKey, Mapping[str, int]],
          expected: Mapping[PhaseKey, tuple[int, bool]]) -> Result:
    """``result`` with every phase carrying its test counts (status derives from them)."""
    phases: list[PhaseResult] = []
    for ph in result.phases:
        key = (ph.pack, ph.phase.id)
        c = counts.get(key, {})
        exp, exact = expected.get(key, (0, True))
        phases.append(replace(ph, tests=TestCounts(
            passed=c.get("passed", 0), failed=c.get("failed", 0), skipped=c.get("skipped", 0),
            errors=c.get("errors", 0), xfailed=c.get("xfailed", 0), expected=exp,
            expected_exact=exact)))
    return replace(result, phases=tuple(phases))
