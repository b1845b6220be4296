#!/usr/bin/env python3
"""Where extraction time goes, phase by phase, on the files obs-lint parses in a corpus.

    python bench/profile_extract.py CORPUS_ROOT [--every N] [--repeat 2] [--cprofile]

Run with the Python that has obs-lint installed. For each file obs-lint's prefilter selects
(``bench/parsed_paths.py``; ``--every N`` keeps every N-th), in one process with the cyclic GC
paused as the workers do, it times (CPU seconds, best of ``--repeat``): the CPython pre-parse
(``facts/guard.py``); ``libcst.parse_module``; the fact walk; positions (the render of
``facts/positions.py``, or for imports-only files ``facts/ast_positions.py``); the rest of
``finish`` (fact values, texts); and encoding the result for the cache / the parent process.
Each file is extracted as a run would: with the facts its rules read (``parsed_paths
--needs``). The split is what ``bench/RESULTS.md`` quotes; ``--cprofile`` adds the top
functions of walk + finish.
"""

from __future__ import annotations

import argparse
import gc
import io
import json
import subprocess
import sys
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("root")
    ap.add_argument("--every", type=int, default=1)
    ap.add_argument("--repeat", type=int, default=2)
    ap.add_argument("--cprofile", action="store_true")
    args = ap.parse_args(argv)

    out = subprocess.run([sys.executable, str(BENCH / "parsed_paths.py"), args.root, "--needs"],
                         capture_output=True, text=True, check=True).stdout
    rows = [line.split("\t") for line in out.splitlines() if line.strip()][::args.every]
    paths = [p for p, _ in rows]
    needs = ["" if n == "all" else n for _, n in rows]
    texts = [Path(p).read_bytes().decode("utf-8") for p in paths]

    import libcst as cst

    from obs_lint.cache.codec import encode
    from obs_lint.facts import python as py
    from obs_lint.facts.python import locate
    from obs_lint.facts.guard import cpython_verdict

    sys.setrecursionlimit(max(sys.getrecursionlimit(), 20_000))
    clock = time.process_time
    spent = {"positions": 0.0}

    def timed(real):
        def wrapper(*a, **k):
            t = clock()
            try:
                return real(*a, **k)
            finally:
                spent["positions"] += clock() - t
        return wrapper

    # the positions render (and, for imports-only files, the positions read from CPython's AST)
    locate.spans_for, locate.ranges_for = timed(locate.spans_for), timed(locate.ranges_for)
    locate.import_spans = timed(locate.import_spans)
    best: dict[str, float] = {}
    gc.disable()
    for _ in range(args.repeat):
        phase = dict.fromkeys(("guard", "parse", "walk", "finish", "encode"), 0.0)
        spent["positions"] = 0.0
        for text, need in zip(texts, needs):
            tg = clock()
            verdict = cpython_verdict(text)
            t0 = clock()
            phase["guard"] += t0 - tg
            module = cst.parse_module(text)
            t1 = clock()
            light = py.imports_only(need, text)
            ex = py._Extractor(module, text, imports_only=light)
            for stmt in module.body:
                ex.walk(stmt)
            t2 = clock()
            facts = ex.finish_imports(verdict.tree) if light else ex.finish()
            t3 = clock()
            encode(facts, ())
            t4 = clock()
            ex.handlers.clear()
            phase["parse"] += t1 - t0
            phase["walk"] += t2 - t1
            phase["finish"] += t3 - t2
            phase["encode"] += t4 - t3
            gc.collect(0)
        phase["positions"] = spent["positions"]
        phase["finish"] -= spent["positions"]
        for k, v in phase.items():
            best[k] = min(best.get(k, float("inf")), v)
    total = sum(best.values())
    report = {"files": len(paths), "lines": sum(t.count("\n") for t in texts),
              "cpu_s": {k: round(v, 3) for k, v in best.items()},
              "share_of_parse_pct": {k: round(100 * v / best["parse"]) for k, v in best.items()},
              "total_over_parse": round(total / best["parse"], 2)}
    print(json.dumps(report, indent=1))
    if args.cprofile:
        import cProfile
        import pstats

        modules = [cst.parse_module(t) for t in texts]
        trees = [cpython_verdict(t).tree for t in texts]
        prof = cProfile.Profile()
        prof.enable()
        for module, text, need, tree in zip(modules, texts, needs, trees):
            light = py.imports_only(need, text)
            ex = py._Extractor(module, text, imports_only=light)
            for stmt in module.body:
                ex.walk(stmt)
            ex.finish_imports(tree) if light else ex.finish()
            ex.handlers.clear()
        prof.disable()
        buf = io.StringIO()
        pstats.Stats(prof, stream=buf).sort_stats("tottime").print_stats(25)
        print(buf.getvalue())
    return 0


if __name__ == "__main__":
    sys.exit(main())
