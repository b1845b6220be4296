"""The programmatic entry point shared by the CLI, the pytest plugin and the tests.

``check(paths, config)`` runs the whole pipeline and returns a ``Result``::

    discover -> extract facts -> evaluate rules -> suppress -> (phases) -> Result

Reporters turn the Result into text/JSON/...; nothing here prints or exits.
"""

from __future__ import annotations

import os
from typing import Sequence

from .config import Config, find_root, load_config
from .discover import discover
from .errors import ConfigError, PackError
from .evaluate import evaluate, problem_findings
from .extract import extract_all
from .packs import check_unique, load_pack, rules_from_mappings
from .plan import build_plan
from .suppress import apply as apply_suppressions
from .types import CheckResult, Finding, Pack, PhaseResult, Result, RunStats


def load_packs(config: Config, extra: Sequence[str] = ()) -> tuple[Pack, ...]:
    """Load the configured packs plus ``extra`` (command-line ``--pack``), then inline rules."""
    refs: list[str] = []
    for ref in (*config.packs, *extra):
        if ref not in refs:
            refs.append(ref)
    packs = [load_pack(ref, config.root) for ref in refs]
    if config.inline_rules:
        phase_ids = {ph.id for p in packs for ph in p.phases}
        rules = rules_from_mappings(list(config.inline_rules), config.config_file or "config",
                                    "local", phase_ids)
        packs.append(Pack(id="local", title="Rules from the project configuration",
                          phases=(), rules=tuple(rules), source=config.config_file))
    check_unique([r for p in packs for r in p.rules], "packs")
    ids = [p.id for p in packs]
    for pid in ids:
        if ids.count(pid) > 1:
            raise PackError(pid, 0, f"two packs share the id {pid!r}")
    return tuple(packs)


def resolve_config(paths: Sequence[str], config_file: str | None = None,
                   use_config: bool = True) -> Config:
    start = paths[0] if paths else os.getcwd()
    if not os.path.exists(start):
        start = os.getcwd()
    root = find_root(start)
    return load_config(root, config_file, use_config)


def phases_of(packs: Sequence[Pack], results: Sequence[CheckResult]) -> list[PhaseResult]:
    by_phase: dict[tuple[str, object], list[CheckResult]] = {}
    for r in results:
        by_phase.setdefault((r.rule.pack, r.rule.phase), []).append(r)
    out = []
    for pack in packs:
        for phase in pack.phases:
            checks = sorted(by_phase.get((pack.id, phase.id), []), key=lambda c: c.rule.code)
            out.append(PhaseResult(phase=phase, pack=pack.id, checks=tuple(checks)))
    return out


def check(paths: Sequence[str], config: Config, *, packs: tuple[Pack, ...] | None = None,
          prefilter: bool = True) -> Result:
    """Run the pipeline over ``paths`` (files or directories) with a resolved configuration."""
    if packs is None:
        packs = load_packs(config)
    if not packs:
        raise ConfigError("no rule packs configured (use --pack or `packs` in the config)")
    plan = build_plan(packs, config.select, config.extend_select, config.ignore,
                      prefilter=prefilter)
    files = discover(config.root, list(paths) or [config.root],
                     config.exclude + config.extend_exclude, config.respect_gitignore)
    facts = extract_all(files, plan, config)
    results, engine_errors = evaluate(plan, files, facts, config.root)
    findings: list[Finding] = problem_findings(facts, plan) + engine_errors
    for r in results:
        findings.extend(r.findings)
    all_rules = [r for p in packs for r in p.rules] + list(plan.builtins)
    report_unused = config.warn_unused_ignores and any(
        b.name == "unused-suppression" for b in plan.builtins)
    kept, suppressed, results = apply_suppressions(
        findings, results, facts, all_rules, config.per_file_ignores, report_unused)
    kept.sort(key=lambda f: f.sort_key)
    stats = RunStats(
        files_discovered=len(files), files_parsed=sum(1 for f in facts if f.parsed),
        lines_discovered=sum(f.lines for f in facts),
        lines_parsed=sum(f.lines for f in facts if f.parsed), rules=len(plan.rules))
    return Result(root=config.root, packs=packs, rules=tuple(a.rule for a in plan.rules),
                  findings=tuple(kept), checks=tuple(results),
                  phases=tuple(phases_of(packs, results)), suppressed=tuple(suppressed),
                  stats=stats)
