"""The programmatic entry point: the one engine entry of the CLI and the pytest plugin.

``run(RunRequest(...)) -> RunResult`` runs the whole pipeline and decides the exit status::

    configure -> load packs, baseline, JUnit files, git diff
      -> discover -> extract facts -> evaluate rules
      -> finish (suppress -> baseline -> tests -> select reported findings; ``finish.py``)
      -> Result, exit status

A request carries what the command line decides (paths, configuration file and overrides,
packs, baseline, JUnit files, ``--diff-base``, cache, jobs, ...); ``configure(request)`` gives
the configuration a front end needs before the run (report formats, notices). ``check(paths,
config)`` is the same pipeline for tests that hold a resolved configuration. Everything a front
end needs besides ``report`` and ``config`` is here (``exit_status``, the baseline file, the
rule list, the cache); nothing here prints or exits.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Callable, Mapping, Sequence

from .baseline import DEFAULT_FILE as DEFAULT_BASELINE, entries_of as baseline_entries
from .baseline import load as _load_baseline, prune as prune_baseline
from .baseline import write as write_baseline
from .builtin import BUILTINS
from .cache.keys import RunKey
from .cache.memo import ResultMemo
from .cache.store import RESULTS, FactCache, cache_dir
from .config import Config, load_config, locate_root
from .discover import discover, inside_root, kind_of
from .errors import ConfigError, ObsLintError, PackError, UsageError
from .evaluate import evaluate_cached, problem_findings
from .extract import extract_all, extract_on_demand
from .fileio import WriteRefused, write_atomic
from .finish import Evaluated, Finishing, finish
from .packs import (LOCAL_PACK, LOCAL_PHASE, bundled_packs, check_unique, load_pack,
                    pack_from_bytes, read_pack, rules_from_mappings)
from .plan import build_plan
from .select_findings import LineRanges, Selection, named_paths
from .types import BaselineEntry, Finding, Pack, Result, Rule, SourceFile
from .verdict import EXIT_ERROR, EXIT_FINDINGS, EXIT_OK
from .verdict import exit_status as _verdict_status

if TYPE_CHECKING:  # imported on use: a plain check must start fast
    from .testresults import TestCase

__all__ = [
    "RunRequest", "RunResult", "run", "configure", "check", "exit_status", "load_packs",
    "resolve_config", "all_rules", "check_kind", "read_baseline", "write_baseline",
    "baseline_entries", "prune_baseline", "DEFAULT_BASELINE", "bundled_packs", "clear_cache",
    "new_test_case", "worst_outcome", "write_atomic", "WriteRefused", "ObsLintError",
    "UsageError", "Result", "Rule", "EXIT_OK", "EXIT_FINDINGS", "EXIT_ERROR", "shown_path",
]


@dataclass(frozen=True)
class RunRequest:
    """One run, as the command line (or the pytest plugin) asks for it.

    ``paths``: files or directories named by the user; unless ``config`` is given the project
    root is found from the first (default: the current directory); rules are evaluated over
    the whole project and only findings concerning these paths are reported
    (``select_findings``); () = all. ``config_file`` / ``use_config``: ``--config`` /
    ``--no-config``; ``packs`` replace the configured packs, ``extend_packs`` are added to
    them; ``select`` / ``ignore`` / ``jobs`` override the configuration. ``baseline``: a
    baseline file (``strict_baseline``: its stale entries fail the run); ``junit_xml``: JUnit
    files or globs (read instead of ``test_cases`` when given); ``test_cases``: test outcomes
    collected otherwise (the pytest plugin); ``diff_base``: a git ref (report changed lines
    only). ``force_exclude``: excludes apply to named files too; ``prefilter``; ``use_cache``:
    read and write the cache (``--no-cache``: False).

    Already resolved values skip their step: ``config`` (from ``configure``), ``loaded_packs``
    (from ``load_packs``), ``baseline_entries`` (from ``read_baseline``). ``progress(done,
    total)`` hears how many files are extracted (never part of the result).
    """

    paths: tuple[str, ...] = ()
    config_file: str | None = None
    use_config: bool = True
    packs: tuple[str, ...] = ()
    extend_packs: tuple[str, ...] = ()
    select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    jobs: int | None = None
    baseline: str | None = None
    strict_baseline: bool = False
    junit_xml: tuple[str, ...] = ()
    test_cases: "tuple[TestCase, ...] | None" = None
    diff_base: str | None = None
    force_exclude: bool = True
    prefilter: bool = True
    use_cache: bool = True
    config: Config | None = None
    loaded_packs: tuple[Pack, ...] | None = None
    baseline_entries: tuple[BaselineEntry, ...] | None = None
    progress: Callable[[int, int], None] | None = field(default=None, compare=False)


@dataclass(frozen=True)
class RunResult:
    """What a run produced: the ``Result`` reporters render, the configuration it ran with,
    and its exit status (``exit_status``: 0 pass, 1 findings or failing tests or, with
    ``strict_baseline``, stale baseline entries; 2 internal errors)."""

    result: Result
    config: Config
    status: int


def configure(request: RunRequest) -> Config:
    """The run's configuration: the project's (found from the first path), with the request's
    overrides applied (``select``, ``ignore``, ``jobs``, then ``packs``, then
    ``extend_packs``). ``request.config``, when given, is returned as it is."""
    if request.config is not None:
        return request.config
    config = resolve_config(request.paths, request.config_file, request.use_config)
    config = config.with_overrides(select=tuple(request.select) or None,
                                   ignore=tuple(request.ignore) or None, jobs=request.jobs)
    if request.packs:
        config = config.with_overrides(packs=tuple(request.packs))
    if request.extend_packs:
        config = config.with_overrides(packs=tuple(config.packs) + tuple(
            p for p in request.extend_packs if p not in config.packs))
    return config


def run(request: RunRequest) -> RunResult:
    """Run the pipeline the request asks for (module docstring); errors are ``ObsLintError``s
    (a usage, configuration or pack error: exit status 2)."""
    config = configure(request)
    packs = request.loaded_packs
    if packs is None:
        packs = load_packs(config, use_cache=request.use_cache)
    entries = request.baseline_entries
    if entries is None and request.baseline:
        entries = tuple(read_baseline(request.baseline, config))
    cases = request.test_cases
    if request.junit_xml:  # imported on use: a plain check must start fast (warm runs)
        from .testresults import read_junit
        cases = tuple(read_junit(request.junit_xml, config.root, packs, config.max_file_bytes))
    changed = None
    if request.diff_base is not None:  # "" is a mistake (an unset CI variable), not "no filter"
        from .finish import changed_lines
        changed = changed_lines(config.root, request.diff_base)
    result = _pipeline(config, packs, prefilter=request.prefilter,
                       report_paths=list(request.paths) or None,
                       force_exclude=request.force_exclude, baseline=entries,
                       changed_lines=changed, test_cases=cases, use_cache=request.use_cache,
                       progress=request.progress)
    return RunResult(result=result, config=config,
                     status=exit_status(result, strict_baseline=request.strict_baseline))


def exit_status(result: Result, fail_on: str | None = None,
                strict_baseline: bool = False) -> int:
    """2 on internal errors; 1 on a reported finding at or above ``fail-on`` (``fail_on``
    overrides the Result's) or a phase whose tests failed, or (``strict_baseline``) on baseline
    entries that no longer occur; else 0 (``verdict.exit_status``)."""
    if fail_on is not None and fail_on != result.fail_on:
        result = replace(result, fail_on=fail_on)
    status = _verdict_status(result)
    if status == EXIT_OK and strict_baseline and result.stale_baseline:
        status = EXIT_FINDINGS
    return status


def read_baseline(path: str, config: Config) -> list[BaselineEntry]:
    """The entries of a baseline file (a UsageError naming the file on any problem)."""
    return _load_baseline(path, config.max_file_bytes)


def all_rules(config: Config) -> list[Rule]:
    """Every rule of the configured packs, then the built-in rules (``obs-lint rules``)."""
    loaded = load_packs(config)
    return [r for p in loaded for r in p.rules] + list(BUILTINS)


def check_kind(name: str):
    """The check kind class named ``name`` (None if there is none): its ``summary`` and
    parameters, for ``obs-lint explain``."""
    from .checks import REGISTRY

    return REGISTRY.get(name)


def kind_reference(kind) -> list[str]:
    """``explain``'s lines on a check kind's parameters (generated from its parameter
    dataclass, with its valid and invalid examples)."""
    if kind is None or kind.Params is None:
        return []
    from .checks.params import explain_lines

    return explain_lines(kind)


def clear_cache(config: Config):
    """Delete the project's cache (``obs-lint cache clear``): (what ``cache.clear`` did, the
    directory, its label for messages, its label with where the setting came from)."""
    from .cache.store import cache_label, clear

    directory = cache_dir(config.root, config.cache_dir)
    shown = cache_label(config.root, config.cache_dir)
    try:
        done = clear(directory)
    except UsageError as exc:
        label = cache_label(config.root, config.cache_dir, config.cache_dir_where)
        raise UsageError(exc.message.replace(directory, label, 1)) from None
    return done, directory, shown


def new_test_case(test_id: str, path: str, outcome: str) -> "TestCase":
    """One test's outcome, as the pytest plugin records it (``RunRequest.test_cases``)."""
    from .testresults import TestCase

    return TestCase(test_id=test_id, path=path, outcome=outcome)


def worst_outcome(a: str, b: str) -> str:
    """The worse of two test outcomes (error > failed > passed > xfailed > skipped)."""
    from .testresults import worst

    return worst(a, b)


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
        from .cache.store import cached_pack

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


def _cached_plans(directory: str | None):
    """``build_plan``'s ``rule_plans`` for a run with the cache in ``directory`` (None: plans
    are computed; the cache module is not even imported)."""
    if directory is None:
        return None
    from functools import partial

    from .cache.plans import cached_rule_plans
    return partial(cached_rule_plans, directory)


def _cache(config: Config) -> str | None:
    """The run's cache directory, checked before anything is read from or written to it
    (``cache.usable_cache_dir``): an existing directory obs-lint did not create is an error
    (exit 2); None: no cache this run (it could not be created)."""
    from .cache.store import usable_cache_dir

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
          test_cases: "Sequence[TestCase] | None" = None, use_cache: bool = True,
          progress: Callable[[int, int], None] | None = None) -> Result:
    """The pipeline of ``run`` for a resolved configuration (the tests' entry): discovery
    starts at ``paths`` (files or directories; () = the project root) unless ``report_paths``
    are given (then the whole project is checked and only their findings are reported).
    ``packs`` default to the configured ones; ``baseline`` entries, ``changed_lines`` and
    ``test_cases`` are the already-read inputs of the finishing stages (``finish.py``)."""
    if packs is None:
        if use_cache and _cache(config) is None:  # checked before the packs are read
            use_cache = False
        packs = load_packs(config)
    return _pipeline(config, packs, scan=paths, prefilter=prefilter, report_paths=report_paths,
                     force_exclude=force_exclude, baseline=baseline,
                     changed_lines=changed_lines, test_cases=test_cases, use_cache=use_cache,
                     progress=progress)


def _pipeline(config: Config, packs: tuple[Pack, ...], *, scan: Sequence[str] = (),
              prefilter: bool = True, report_paths: Sequence[str] | None = None,
              force_exclude: bool = True, baseline: Sequence[BaselineEntry] | None = None,
              changed_lines: Mapping[str, LineRanges] | None = None,
              test_cases: "Sequence[TestCase] | None" = None, use_cache: bool = True,
              progress: Callable[[int, int], None] | None = None) -> Result:
    """discover -> extract -> evaluate -> finish. ``use_cache=False`` neither reads nor writes
    the fact cache; worker processes: ``config.jobs``."""
    if use_cache and _cache(config) is None:
        use_cache = False  # cannot be created (read-only checkout): only costs speed
    if not packs:
        raise ConfigError("no rule packs configured (use --pack or `packs` in the config)")
    directory = cache_dir(config.root, config.cache_dir) if use_cache else None
    plan = build_plan(packs, config.select, config.extend_select, config.ignore,
                      prefilter=prefilter, rule_plans=_cached_plans(directory))
    named: tuple[str, ...] | None = None
    paths = list(scan)
    if report_paths:
        named = named_paths(config.root, report_paths)
        paths = [config.root]
    files = discover(config.root, paths or [config.root],
                     config.exclude + config.extend_exclude, config.respect_gitignore)
    whole = all(os.path.abspath(p) == os.path.abspath(config.root) for p in paths)
    discovered = tuple(files) if whole else None  # the test inventory's files
    if named is not None and not force_exclude:
        files = _with_named(files, config.root, named)
    _require_files(files, config.root, named, report_paths or ())
    # computed once, read by every stage below: rule -> files, and the cache's run key
    coverage = plan.coverage(files)
    run = RunKey.of(plan.digest, [p.digest for p in packs]) if use_cache else RunKey("")
    facts = extract_all(files, plan, config, packs=packs, use_cache=use_cache,
                        progress=progress, coverage=coverage, run=run)
    load = extract_on_demand(files, plan, config, packs=packs, use_cache=use_cache,
                             coverage=coverage, run=run)
    memo = (ResultMemo(FactCache(directory, RESULTS), plan, files, facts, config.root, run,
                       coverage, load.search) if directory is not None else None)
    results, engine_errors = evaluate_cached(plan, files, facts, config.root, memo, load,
                                             coverage)
    findings: list[Finding] = problem_findings(facts, plan) + engine_errors
    for r in results:
        findings.extend(r.findings)
    evaluated = Evaluated(packs=packs, rules=tuple(a.rule for a in plan.rules),
                          builtins=tuple(plan.builtins), files=tuple(files),
                          facts=tuple(facts), findings=tuple(findings),
                          results=tuple(results))
    how = Finishing(baseline=tuple(baseline) if baseline is not None else None,
                    test_cases=tuple(test_cases) if test_cases is not None else None,
                    selection=Selection(paths=named, changed=changed_lines),
                    inventory_files=discovered, load=load)
    return finish(evaluated, config, how)
