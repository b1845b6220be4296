#!/usr/bin/env python3
"""Run one command and report its wall time, CPU time and peak memory as one JSON line.

    python bench/_measure.py --cwd DIR --stdout FILE --stderr FILE [--timeout S] -- CMD ARGS...

``bench/run.py`` starts a fresh copy of this wrapper for every timed command, because
``getrusage(RUSAGE_CHILDREN).ru_maxrss`` is a maximum over *all* children a process ever
waited for: only a wrapper with exactly one child reports that child's peak.

Reported fields:

* ``wall_s`` - perf_counter around spawn..exit (the wrapper's own start-up is not included);
* ``user_s``/``sys_s`` - CPU time of the command and every descendant it waited for;
* ``maxrss_kb`` - ``ru_maxrss`` of RUSAGE_CHILDREN: the peak RSS of the largest single
  process in the tree (what ``/usr/bin/time -v`` calls "Maximum resident set size");
* ``tree_peak_kb`` - the largest *sum* of RSS over the whole process tree, sampled every
  ``--interval`` seconds from /proc (worker pools: several processes are alive at once);
  a sampled lower bound of the true peak, 0 where /proc is unavailable;
* ``rc`` - exit status (negative: killed by that signal), ``timed_out``.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import threading
import time
from typing import List, Set

_PAGE_KB = os.sysconf("SC_PAGE_SIZE") // 1024 if hasattr(os, "sysconf") else 4


def _children(pid: int) -> List[int]:
    out: List[int] = []
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return out
    for tid in tasks:
        try:
            with open(f"/proc/{pid}/task/{tid}/children") as fh:
                out.extend(int(x) for x in fh.read().split())
        except OSError:
            pass
    return out


def _tree_rss_kb(root: int) -> int:
    total = 0
    seen: Set[int] = set()
    stack = [root]
    while stack:
        pid = stack.pop()
        if pid in seen:
            continue
        seen.add(pid)
        try:
            with open(f"/proc/{pid}/statm") as fh:
                total += int(fh.read().split()[1]) * _PAGE_KB
        except (OSError, ValueError, IndexError):
            continue
        stack.extend(_children(pid))
    return total


def main(argv: List[str] | None = None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--cwd", default=".")
    ap.add_argument("--stdout", required=True)
    ap.add_argument("--stderr", required=True)
    ap.add_argument("--timeout", type=float, default=1800.0)
    ap.add_argument("--interval", type=float, default=0.01)
    ap.add_argument("cmd", nargs=argparse.REMAINDER)
    args = ap.parse_args(argv)
    cmd = args.cmd[1:] if args.cmd and args.cmd[0] == "--" else args.cmd
    if not cmd:
        ap.error("no command")

    peak = 0
    done = threading.Event()
    timed_out = False
    with open(args.stdout, "wb") as out, open(args.stderr, "wb") as err:
        t0 = time.perf_counter()
        try:
            proc = subprocess.Popen(cmd, cwd=args.cwd, stdout=out, stderr=err, stdin=subprocess.DEVNULL)
        except OSError as exc:
            err.write(f"cannot start {cmd[0]!r}: {exc}\n".encode())
            print(json.dumps({"rc": 127, "wall_s": 0.0, "user_s": 0.0, "sys_s": 0.0, "maxrss_kb": 0,
                              "tree_peak_kb": 0, "timed_out": False, "start_error": str(exc)}))
            return 0

        def sample() -> None:
            nonlocal peak
            while not done.is_set():
                peak = max(peak, _tree_rss_kb(proc.pid))
                done.wait(args.interval)

        th = threading.Thread(target=sample, daemon=True)
        th.start()
        try:
            rc = proc.wait(timeout=args.timeout)
        except subprocess.TimeoutExpired:
            timed_out = True
            proc.kill()
            rc = proc.wait()
        wall = time.perf_counter() - t0
        done.set()
        th.join()
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    print(json.dumps({"rc": rc, "wall_s": round(wall, 4), "user_s": round(ru.ru_utime, 3),
                      "sys_s": round(ru.ru_stime, 3), "maxrss_kb": ru.ru_maxrss,
                      "tree_peak_kb": peak, "timed_out": timed_out}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
