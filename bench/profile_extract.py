#!/usr/bin/env python3
"""Where extraction time goes, phase by phase, on the files obs-lint parses in a corpus.

    python bench/profile_extract.py CORPUS_ROOT [--every N] [--repeat 2] [--cprofile]

Run with the Python that has obs-lint installed. For each file obs-lint's prefilter selects
(``bench/parsed_paths.py``; ``--every N`` keeps every N-th), in one process with the cyclic GC
paused as the workers do, it times (CPU seconds, best of ``--repeat``): the CPython pre-parse
(``facts/guard.py``); ``libcst.parse_module``; the fact walk; the positions render (``facts.positions.spans_for``); the rest of ``finish``
(fact values, texts); and encoding the result for the cache / the parent process. The split is
what ``bench/RESULTS.md`` quotes; ``--cprofile`` adds the top functions of walk + finish.
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

    out = subprocess.run([sys.executable, str(BENCH / "parsed_paths.py"), args.root],
                         capture_output=True, text=True, check=True).stdout
    paths = [p for p in out.splitlines() if p.strip()][::args.every]
    texts = [Path(p).read_bytes().decode("utf-8") for p in paths]

    import libcst as cst

    from obs_lint.codec import encode
    from obs_lint.facts import python as py
    from obs_lint.facts.guard import cpython_verdict

    sys.setrecursionlimit(max(sys.getrecursionlimit(), 20_000))
    clock = time.process_time
    spent = {"positions": 0.0}
    real_spans = py.spans_for

    def timed_spans(module, nodes):
        t = clock()
        try:
            return real_spans(module, nodes)
        finally:
            spent["positions"] += clock() - t

    py.spans_for = timed_spans
    best: dict[str, float] = {}
    gc.disable()
    for _ in range(args.repeat):
        phase = dict.fromkeys(("guard", "parse", "walk", "finish", "encode"), 0.0)
        spent["positions"] = 0.0
        for text in texts:
            tg = clock()
            cpython_verdict(text)
            t0 = clock()
            phase["guard"] += t0 - tg
            module = cst.parse_module(text)
            t1 = clock()
            ex = py._Extractor(module, text)
            for stmt in module.body:
                ex.walk(stmt)
            t2 = clock()
            facts = ex.finish()
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
        prof = cProfile.Profile()
        prof.enable()
        for module, text in zip(modules, texts):
            ex = py._Extractor(module, text)
            for stmt in module.body:
                ex.walk(stmt)
            ex.finish()
            ex.handlers.clear()
        prof.disable()
        buf = io.StringIO()
        pstats.Stats(prof, stream=buf).sort_stats("tottime").print_stats(25)
        print(buf.getvalue())
    return 0


if __name__ == "__main__":
    sys.exit(main())
