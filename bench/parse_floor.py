#!/usr/bin/env python3
"""The libcst parse floor: parse a list of files with ``libcst.parse_module`` and nothing else.

    python bench/parse_floor.py --jobs 2 --paths-file LIST      # one path per line
    python bench/parse_floor.py --jobs 2 --root DIR [--grep REGEX]

No analysis, no metadata, no output beyond a one-line JSON summary: this is the least any
libcst-based tool must spend on the files it parses, so ``bench/run.py`` times it as a
floor for obs-lint's cold run. Files are read as bytes (as a tool with a byte prefilter would)
and split across ``--jobs`` worker processes by size, largest first, so the processes finish
together. With ``--jobs 1`` everything runs in this process.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import List, Sequence, Tuple


def _parse_all(paths: Sequence[str]) -> Tuple[int, int, int]:
    import libcst

    ok = errors = nbytes = 0
    for p in paths:
        try:
            data = Path(p).read_bytes()
        except OSError:
            errors += 1
            continue
        nbytes += len(data)
        try:
            libcst.parse_module(data)
            ok += 1
        except Exception:  # ParserSyntaxError, or a file libcst cannot handle
            errors += 1
    return ok, errors, nbytes


def _split(paths: List[str], jobs: int) -> List[List[str]]:
    sized = sorted(((os.path.getsize(p) if os.path.exists(p) else 0, p) for p in paths), reverse=True)
    buckets: List[List[str]] = [[] for _ in range(jobs)]
    loads = [0] * jobs
    for size, p in sized:
        i = loads.index(min(loads))
        buckets[i].append(p)
        loads[i] += size
    return [b for b in buckets if b]


def collect(root: Path, grep: str | None) -> List[str]:
    rx = re.compile(grep.encode()) if grep else None
    out = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith(".") and d != "__pycache__")
        for fn in sorted(filenames):
            if fn.endswith(".py"):
                p = os.path.join(dirpath, fn)
                if rx is None or rx.search(Path(p).read_bytes()):
                    out.append(p)
    return out


def main(argv: List[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="libcst parse floor")
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    src = ap.add_mutually_exclusive_group(required=True)
    src.add_argument("--paths-file", type=Path)
    src.add_argument("--root", type=Path)
    ap.add_argument("--grep", help="with --root: only files whose bytes match this regex")
    args = ap.parse_args(argv)

    t0 = time.perf_counter()
    if args.paths_file:
        paths = [ln.strip() for ln in args.paths_file.read_text().splitlines() if ln.strip()]
    else:
        paths = collect(args.root, args.grep)
    t1 = time.perf_counter()
    jobs = max(1, min(args.jobs, len(paths) or 1))
    if jobs == 1:
        results = [_parse_all(paths)]
    else:
        with ProcessPoolExecutor(jobs) as ex:
            results = list(ex.map(_parse_all, _split(paths, jobs)))
    t2 = time.perf_counter()
    ok = sum(r[0] for r in results)
    errors = sum(r[1] for r in results)
    nbytes = sum(r[2] for r in results)
    print(json.dumps({"files": len(paths), "parsed": ok, "errors": errors, "bytes": nbytes,
                      "jobs": jobs, "collect_s": round(t1 - t0, 4), "parse_s": round(t2 - t1, 4)}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
