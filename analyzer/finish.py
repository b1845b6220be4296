"""The finishing stages: what evaluation produced in, the run's ``Result`` out.

One module, four stages, always in this order (``finish``)::

    suppress (inline comments, skip-file, per-file-ignores; ``suppress.py``)
      -> baseline (accepted findings set aside, stale entries listed; ``baseline.py``)
      -> tests (JUnit / pytest outcomes merged into the phases; ``testresults.py``)
      -> selection (named paths, ``--diff-base`` lines; ``select_findings.py``)

Each stage moves findings aside or adds test counts; none of them decides a rule's status
again. The pass/fail/unknown decision is made once, at evaluation, by
``verdict.check_status``: a rule whose failures are all suppressed or baselined still FAILs
(the phase table never lies); only the exit status (``verdict.exit_status``) follows the
findings that are reported.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Callable, Mapping, Sequence

from .baseline import match as baseline_match
from .config import Config
from .facts.model import FileFacts
from .select_findings import Selection, select
from .suppress import apply as apply_suppressions, set_aside_baselined
from .types import (BaselineEntry, CheckResult, Finding, Pack, PhaseResult, Result, Rule,
                    RunStats, SourceFile)

if TYPE_CHECKING:  # imported on use in the tests stage: a plain check must start fast
    from .testresults import TestCase

# the full facts of some project files (``extract.extract_on_demand``): the test inventory
# reads the phases' test files through the run's own extraction (its cache and time budget)
Loader = Callable[[Sequence[str]], "list[FileFacts]"]


@dataclass(frozen=True)
class Evaluated:
    """What the stages before finishing produced: the packs, the active rules (and the enabled
    built-in rules), the discovered files, their facts, every finding and every rule's result
    as evaluated."""

    packs: tuple[Pack, ...]
    rules: tuple[Rule, ...]
    builtins: tuple[Rule, ...]
    files: tuple[SourceFile, ...]
    facts: tuple[FileFacts, ...]
    findings: tuple[Finding, ...]
    results: tuple[CheckResult, ...]


@dataclass(frozen=True)
class Finishing:
    """What the finishing stages are asked to do. ``baseline``: accepted entries (None: no
    baseline); ``test_cases``: test outcomes to merge (None: none given); ``selection``: which
    findings are reported. The test inventory counts the tests of ``inventory_files`` (the
    whole project's discovered files; None: discovered again) through ``load``, the run's
    loader of full facts (None: extracted one by one, without the cache)."""

    baseline: tuple[BaselineEntry, ...] | None = None
    test_cases: tuple["TestCase", ...] | None = None
    selection: Selection = Selection()
    inventory_files: tuple[SourceFile, ...] | None = None
    load: Loader | None = None


def finish(evaluated: Evaluated, config: Config, how: Finishing = Finishing()) -> Result:
    """Run the finishing stages in order; see the module docstring."""
    result = suppress_stage(evaluated, config)
    if how.baseline is not None:
        result = baseline_stage(result, how.baseline, {b.code for b in evaluated.builtins})
    if how.test_cases is not None:
        result = tests_stage(result, how.test_cases, config, how.inventory_files, how.load)
    return select(result, how.selection)


def phases_of(packs: Sequence[Pack], results: Sequence[CheckResult]) -> list[PhaseResult]:
    by_phase: dict[tuple[str, object], list[CheckResult]] = {}
    for r in results:
        by_phase.setdefault(r.rule.phase_key, []).append(r)
    out = []
    for pack in packs:
        for phase in pack.phases:
            checks = sorted(by_phase.get((pack.id, phase.id), []), key=lambda c: c.rule.code)
            out.append(PhaseResult(phase=phase, pack=pack.id, checks=tuple(checks)))
    return out


def suppress_stage(evaluated: Evaluated, config: Config) -> Result:
    """Suppressions applied, findings sorted, phases formed: the run's first ``Result``."""
    packs, facts = evaluated.packs, evaluated.facts
    all_rules = [r for p in packs for r in p.rules] + list(evaluated.builtins)
    unused_rule = any(b.name == "unused-suppression" for b in evaluated.builtins)
    kept, suppressed, results = apply_suppressions(
        evaluated.findings, evaluated.results, facts, all_rules, config.per_file_ignores,
        report_unused=config.warn_unused_ignores and unused_rule, report_malformed=unused_rule)
    kept.sort(key=lambda f: f.sort_key)
    stats = RunStats(
        files_discovered=len(evaluated.files), files_parsed=sum(1 for f in facts if f.parsed),
        lines_discovered=sum(f.lines for f in facts),
        lines_parsed=sum(f.lines for f in facts if f.parsed), rules=len(evaluated.rules))
    return Result(root=config.root, packs=packs, rules=evaluated.rules,
                  findings=tuple(kept), checks=tuple(results),
                  phases=tuple(phases_of(packs, results)), suppressed=tuple(suppressed),
                  stats=stats, fail_on=config.fail_on)


def baseline_stage(result: Result, entries: Sequence[BaselineEntry],
                   builtin_codes: set[str] = frozenset()) -> Result:
    """Move baselined findings aside, record stale entries (statuses stay as evaluated)."""
    active = {r.code for r in result.rules} | set(builtin_codes)
    new, accepted, stale = baseline_match(result.findings, entries, active)
    if not accepted and not stale:
        return result
    checks = set_aside_baselined(result.checks, {id(f) for f in accepted})
    return replace(result, findings=tuple(new), checks=tuple(checks),
                   phases=tuple(phases_of(result.packs, checks)),
                   baselined=tuple(accepted), stale_baseline=tuple(stale))


def tests_stage(result: Result, cases: Sequence["TestCase"], config: Config,
                files: Sequence[SourceFile] | None = None, load: Loader | None = None
                ) -> Result:
    """Merge test outcomes (JUnit files or a pytest session) into the phases."""
    from .testresults import inventory, merge, tally

    counts = tally(cases, result.packs)
    expected = inventory(config.root, result.packs, config.exclude + config.extend_exclude,
                         config.respect_gitignore, files, load)
    return merge(result, counts, expected)


def changed_lines(root: str, base: str) -> Mapping[str, tuple[tuple[int, int], ...]]:
    """The lines changed since the git ref ``base`` (``--diff-base``), per project file."""
    from .gitdiff import changed_lines as read_changed

    return read_changed(root, base)
