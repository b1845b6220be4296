#!/usr/bin/env python3
"""Which files a cold run parses, because of which rule, and where the run's time goes.

    python bench/why_parsed.py ROOT [--pack e2i] [--extend-pack contracts] [--select CODE]
                               [--top 25] [--json OUT]

Run with the Python that has obs-lint installed. It runs a cold check through obs-lint's API
(``--no-cache``, this process only: ``--jobs 1``) with each stage timed, and says:

* per stage: wall seconds of pack loading, planning, discovery, extraction, evaluation;
* why each parsed file was parsed: the rules whose scope covers it and whose text patterns
  occur in it (or which need every file in scope parsed), the reach names it holds
  (``FileFacts.marks``), ``where.consult``; and files no rule's prefilter asked for that a rule
  loaded on demand while resolving names (``extract.extract_on_demand``), with that rule;
* per rule: files it alone made the run parse, files it loaded on demand, evaluation seconds.

Counts are of Python files (what libcst parses); lines are the files' line counts.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import Counter, defaultdict


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("root")
    ap.add_argument("--pack", action="append", default=None)
    ap.add_argument("--extend-pack", action="append", default=[])
    ap.add_argument("--select", action="append", default=[])
    ap.add_argument("--top", type=int, default=25)
    ap.add_argument("--json", help="write the per-file and per-rule tables here")
    args = ap.parse_args(argv)

    t_start = time.perf_counter()  # the CPU clock starts with the process
    from obs_lint import extract as ex
    from obs_lint.api import load_packs, resolve_config
    from obs_lint.discover import discover
    from obs_lint.evaluate import evaluate
    from obs_lint.facts import Prepared, prepare_file
    from obs_lint.plan import build_plan
    from obs_lint.types import FileKind

    timings: dict[str, float] = {}

    cpu = [time.process_time()]

    def lap(name: str, t0: float) -> float:
        t1, c1 = time.perf_counter(), time.process_time()
        timings[name] = (round(t1 - t0, 3), round(c1 - cpu[0], 3))
        cpu[0] = c1
        return t1

    t = lap("imports", t_start)
    config = resolve_config([args.root])
    over = {}
    if args.pack:
        over["packs"] = tuple(args.pack) + tuple(args.extend_pack)
    elif args.extend_pack:
        over["packs"] = tuple(config.packs) + tuple(args.extend_pack)
    if args.select:
        over["select"] = tuple(args.select)
    config = config.with_overrides(**over)
    packs = load_packs(config)
    t = lap("packs", t)
    plan = build_plan(packs, config.select, config.extend_select, config.ignore)
    files = discover(config.root, [config.root], config.exclude + config.extend_exclude,
                     config.respect_gitignore)
    coverage = plan.coverage(files)
    t = lap("plan+discover", t)

    # -- why each file is parsed (the prefilter's reasons, no parsing) -------------------------
    why: dict[str, list[str]] = {}
    lines: dict[str, int] = {}
    for src in files:
        prep = prepare_file(src, coverage.patterns_for(src), max_bytes=config.max_file_bytes,
                            reach=coverage.reach_for(src))
        lines[src.path] = prep.lines
        if not isinstance(prep, Prepared) or src.kind is not FileKind.PYTHON:
            continue
        reasons = []
        for r in coverage.rules_of.get(src.path, ()):
            if r.patterns is None or any(p in prep.text for p in r.patterns):
                reasons.append(r.rule.code)
        if prep.marks:
            reasons += [f"reach:{m}" for m in sorted(prep.marks)]
        if src.path in coverage.consulted:
            reasons.append("consult")
        why[src.path] = reasons
    t = lap("prefilter (again, for the reasons)", t)

    facts = ex.extract_all(files, plan, config, use_cache=False, jobs=1)
    t = lap("extract", t)

    # -- evaluation, with demand loads attributed to the rule that asked -----------------------
    loader = ex.extract_on_demand(files, plan, config, use_cache=False)
    current = [""]
    loaded_by: dict[str, list[str]] = defaultdict(list)
    first_loader: dict[str, str] = {}
    real_load = loader.load

    def load(paths):
        for p in paths:
            loaded_by[current[0]].append(p)
            first_loader.setdefault(p, current[0])
        return real_load(paths)

    loader.load = load
    spent: Counter[str] = Counter()
    for a in plan.rules:
        real = a.check.evaluate

        def timed(ctx, real=real, code=a.rule.code):
            current[0] = code
            t0 = time.process_time()
            try:
                return real(ctx)
            finally:
                spent[code] += time.process_time() - t0

        a.check.evaluate = timed  # type: ignore[method-assign]
    evaluate(plan, files, facts, config.root, loader)
    t = lap("evaluate (demand loads included)", t)
    demand = {p: r for p, r in first_loader.items() if p not in why}

    sole: Counter[str] = Counter()
    sole_lines: Counter[str] = Counter()
    any_: Counter[str] = Counter()
    for p, rs in why.items():
        codes = [r for r in rs]
        for r in codes:
            any_[r] += 1
        if len(codes) == 1:
            sole[codes[0]] += 1
            sole_lines[codes[0]] += lines.get(p, 0)
    dem_n: Counter[str] = Counter()
    dem_lines: Counter[str] = Counter()
    for p, r in demand.items():
        dem_n[r] += 1
        dem_lines[r] += lines.get(p, 0)

    print(f"root {config.root}: {len(files)} files discovered, rules {len(plan.rules)}")
    print("stage timings (wall s, CPU s; this process, --jobs 1):", json.dumps(timings))
    pl = sum(lines[p] for p in why)
    print(f"parsed by the prefilter's choice: {len(why)} Python files, {pl:,} lines; "
          f"loaded on demand in evaluation: {len(demand)} files, "
          f"{sum(lines.get(p, 0) for p in demand):,} lines")
    print(f"\n{'rule':<18} {'covers':>6} {'sole':>5} {'sole lines':>10} {'demand':>6} "
          f"{'dem lines':>9} {'eval CPU s':>10}")
    codes = sorted({a.rule.code for a in plan.rules},
                   key=lambda c: -(sole_lines[c] + dem_lines[c] + 1000 * spent[c]))
    for c in codes[:args.top]:
        print(f"{c:<18} {any_[c]:>6} {sole[c]:>5} {sole_lines[c]:>10,} {dem_n[c]:>6} "
              f"{dem_lines[c]:>9,} {spent[c]:>10.2f}")
    reach_only = Counter(r for rs in why.values() if len(rs) == 1 for r in rs
                         if r.startswith(("reach:", "consult")))
    if reach_only:
        print("\nfiles parsed only for reach names / consult:", dict(reach_only))
    if args.json:
        with open(args.json, "w") as fh:
            json.dump({"timings": timings, "why": why, "demand": demand,
                       "eval_s": dict(spent), "lines": {p: lines[p] for p in
                                                         list(why) + list(demand)}},
                      fh, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
