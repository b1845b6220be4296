"""The programmatic entry point shared by the CLI, the pytest plugin and the tests.

``check(paths, config)`` runs the whole pipeline and returns a ``Result``::

    discover -> extract facts -> evaluate rules -> suppress -> (phases)
      -> baseline -> merge test results -> select reported findings -> Result

Reporters turn the Result into text/JSON/...; nothing here prints or exits.
"""

from __future__ import annotations

import os
from dataclasses import replace
from typing import TYPE_CHECKING, Callable, Mapping, Sequence

from .baseline import match as baseline_match
from .cache import cache_dir
from .config import Config, load_config, locate_root
from .discover import discover, inside_root, kind_of
from .errors import ConfigError, PackError, UsageError
from .evaluate import problem_findings
from .extract import extract_all, extract_on_demand
from .memo import evaluate_cached
from .packs import (LOCAL_PACK, LOCAL_PHASE, check_unique, load_pack, pack_from_bytes,
                    read_pack, rules_from_mappings)
from .plan import build_plan
from .select_findings import LineRanges, Selection, named_paths, select
from .suppress import apply as apply_suppressions, set_aside_baselined
from .types import (BaselineEntry, CheckResult, Finding, Pack, PhaseResult, Result, RunStats,
                    SourceFile)

if TYPE_CHECKING:  # imported on use in merge_tests: a plain check must start fast
    from .testresults import TestCase


def load_packs(config: Config, extra: Sequence[str] = (), use_cache: bool = False
               ) -> tuple[Pack, ...]:
    """Load the configured packs plus ``extra`` (command-line ``--pack``), then inline rules.

    ``use_cache``: reuse the validated pack from the cache directory when its bytes (and the
    engine) are unchanged; parsing a large pack's YAML is the biggest cost of a warm run.
    """
    refs: list[str] = []
    for ref in (*config.packs, *extra):
        if ref not in refs:
            refs.append(ref)
    where = _cache(config) if use_cache else None
    if where is not None:
        from .cache import cached_pack

        packs = [cached_pack(where, *read_pack(ref, config.root, config.max_file_bytes),
                             pack_from_bytes) for ref in refs]
    else:
        packs = [load_pack(ref, config.root, config.max_file_bytes) for ref in refs]
    if config.inline_rules:
        rules = rules_from_mappings(list(config.inline_rules), config.config_file or "config",
                                    LOCAL_PACK, packs, config.inline_rule_lines)
        local_phase = any(r.phase_key == (LOCAL_PACK, LOCAL_PHASE.id) for r in rules)
        packs.append(Pack(id=LOCAL_PACK, title="Rules from the project configuration",
                          phases=(LOCAL_PHASE,) if local_phase else (), rules=tuple(rules),
                          source=config.config_file))
    check_unique([r for p in packs for r in p.rules], "packs")
    ids = [p.id for p in packs]
    for pid in ids:
        if ids.count(pid) > 1:
            raise PackError(pid, 0, f"two packs share the id {pid!r}")
    return tuple(packs)


def _cache(config: Config) -> str | None:
    """The run's cache directory, checked before anything is read from or written to it
    (``cache.usable_cache_dir``): an existing directory obs-lint did not create is an error
    (exit 2); None: no cache this run (it could not be created)."""
    from .cache import usable_cache_dir

    return usable_cache_dir(config.root, config.cache_dir, config.cache_dir_where)


def resolve_config(paths: Sequence[str], config_file: str | None = None,
                   use_config: bool = True) -> Config:
    """The configuration of the project the first of ``paths`` (default: the current
    directory) lies in; the root is found from that path (``config.locate_root``)."""
    start = paths[0] if paths else os.getcwd()
    if not os.path.exists(start):
        start = os.getcwd()
    root, reason = locate_root(start)
    config = load_config(root, config_file, use_config)
    if config_file:
        return config
    return replace(config, root_reason=reason)


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


def _with_named(files: list[SourceFile], root: str, named: Sequence[str]) -> list[SourceFile]:
    """Add files named on the command line that the excludes dropped (no --force-exclude).

    A symbolic link whose target lies outside the project root is skipped, as discovery skips
    it: naming it does not make obs-lint read (or ``--add-ignore`` edit) a file elsewhere."""
    have = {f.path for f in files}
    for rel in named:
        kind = kind_of(rel)
        if rel.endswith("/") or rel in have or kind is None:
            continue
        path = os.path.join(root, rel)
        if os.path.islink(path) and not inside_root(root, path):
            continue
        files.append(SourceFile(rel, path, kind))
    return sorted(files, key=lambda f: f.path)


def shown_path(path: str) -> str:
    """A path as a message shows it: relative to the current directory when below it."""
    absolute = os.path.abspath(path)
    rel = os.path.relpath(absolute)
    return absolute if rel.startswith("..") else rel


def _require_files(files: Sequence[SourceFile], root: str, named: tuple[str, ...] | None,
                   given: Sequence[str]) -> None:
    """Nothing to check is an error, never a pass: an empty project (or a directory named on
    the command line holding no Python, YAML or SQL file after the excludes) exits 2 instead
    of reporting a verdict on nothing. Files named one by one that an exclude drops
    (``--force-exclude``, as pre-commit passes them) are a choice, not an accident: no error."""
    what = "(no Python, YAML or SQL file after excludes and .gitignore)"
    if not files:
        if named is None:
            shown = shown_path(root)
            raise UsageError(f"{shown}: nothing to check under {shown} {what}")
        if all(not n.endswith("/") and n != "" for n in named):
            return
    for entry, typed in zip(named or (), given):
        if entry.endswith("/") or entry == "":
            if not any(f.path.startswith(entry) for f in files):
                raise UsageError(f"{typed}: nothing to check under {typed} {what}")


def check(paths: Sequence[str], config: Config, *, packs: tuple[Pack, ...] | None = None,
          prefilter: bool = True, report_paths: Sequence[str] | None = None,
          force_exclude: bool = True, baseline: Sequence[BaselineEntry] | None = None,
          changed_lines: Mapping[str, LineRanges] | None = None,
          test_cases: Sequence[TestCase] | None = None, use_cache: bool = True,
          progress: Callable[[int, int], None] | None = None) -> Result:
    """Run the pipeline over ``paths`` (files or directories) with a resolved configuration.

    ``report_paths`` (the CLI and pre-commit pass the named files here): rules are evaluated
    over the whole project and only findings concerning these paths are reported (see
    ``select_findings``); files named there are checked even if excluded unless
    ``force_exclude``. ``baseline`` entries are accepted findings; ``changed_lines`` limits
    reporting to changed lines (``--diff-base``); ``test_cases`` merge test outcomes into the
    phases. ``use_cache=False`` neither reads nor writes the fact cache (``--no-cache``);
    worker processes: ``config.jobs``. ``progress(done, total)`` hears how many files are
    finished (the CLI's progress bar; never part of the Result).
    """
    if use_cache and _cache(config) is None:
        use_cache = False  # cannot be created (read-only checkout): only costs speed
    if packs is None:
        packs = load_packs(config)
    if not packs:
        raise ConfigError("no rule packs configured (use --pack or `packs` in the config)")
    plan = build_plan(packs, config.select, config.extend_select, config.ignore,
                      prefilter=prefilter,
                      cache_directory=cache_dir(config.root, config.cache_dir) if use_cache
                      else None)
    named: tuple[str, ...] | None = None
    if report_paths:
        named = named_paths(config.root, report_paths)
        paths = [config.root]
    files = discover(config.root, list(paths) or [config.root],
                     config.exclude + config.extend_exclude, config.respect_gitignore)
    if named is not None and not force_exclude:
        files = _with_named(files, config.root, named)
    _require_files(files, config.root, named, report_paths or ())
    facts = extract_all(files, plan, config, packs=packs, use_cache=use_cache,
                        progress=progress)
    load = extract_on_demand(files, plan, config, packs=packs, use_cache=use_cache)
    results, engine_errors = evaluate_cached(plan, files, facts, config, packs, use_cache, load)
    findings: list[Finding] = problem_findings(facts, plan) + engine_errors
    for r in results:
        findings.extend(r.findings)
    all_rules = [r for p in packs for r in p.rules] + list(plan.builtins)
    unused_rule = any(b.name == "unused-suppression" for b in plan.builtins)
    kept, suppressed, results = apply_suppressions(
        findings, results, facts, all_rules, config.per_file_ignores,
        report_unused=config.warn_unused_ignores and unused_rule, report_malformed=unused_rule)
    kept.sort(key=lambda f: f.sort_key)
    stats = RunStats(
        files_discovered=len(files), files_parsed=sum(1 for f in facts if f.parsed),
        lines_discovered=sum(f.lines for f in facts),
        lines_parsed=sum(f.lines for f in facts if f.parsed), rules=len(plan.rules))
    result = Result(root=config.root, packs=packs, rules=tuple(a.rule for a in plan.rules),
                    findings=tuple(kept), checks=tuple(results),
                    phases=tuple(phases_of(packs, results)), suppressed=tuple(suppressed),
                    stats=stats, fail_on=config.fail_on)
    if baseline is not None:
        result = apply_baseline(result, baseline, {b.code for b in plan.builtins})
    if test_cases is not None:
        result = merge_tests(result, test_cases, config)
    return select(result, Selection(paths=named, changed=changed_lines))


def apply_baseline(result: Result, entries: Sequence[BaselineEntry],
                   builtin_codes: set[str] = frozenset()) -> Result:
    """Move baselined findings aside, recompute rule and phase statuses, record stale entries."""
    active = {r.code for r in result.rules} | set(builtin_codes)
    new, accepted, stale = baseline_match(result.findings, entries, active)
    if not accepted and not stale:
        return result
    checks = set_aside_baselined(result.checks, {id(f) for f in accepted})
    return replace(result, findings=tuple(new), checks=tuple(checks),
                   phases=tuple(phases_of(result.packs, checks)),
                   baselined=tuple(accepted), stale_baseline=tuple(stale))


def merge_tests(result: Result, cases: Sequence[TestCase], config: Config) -> Result:
    """Merge test outcomes (JUnit files or a pytest session) into the phases."""
    from .testresults import inventory, merge, tally

    counts = tally(cases, result.packs)
    expected = inventory(config.root, result.packs, config.exclude + config.extend_exclude,
                         config.respect_gitignore)
    return merge(result, counts, expected)
