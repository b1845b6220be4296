#!/usr/bin/env python3
"""Prove an optimisation changed nothing: obs-lint's JSON findings on real trees, before/after.

    # once, before the change (or on main): store the reference reports
    python bench/compare_outputs.py --save /tmp/ref TREE [TREE ...]
    # after the change: run again and compare with the reference (exit 1 on any difference)
    python bench/compare_outputs.py --against /tmp/ref TREE [TREE ...]

For each tree it runs, as a user would, ``obs-lint check TREE --format json --no-cache
--exit-zero`` with each pack combination (default: ``--pack e2i`` and ``--pack e2i
--extend-pack contracts``; ``--packs`` overrides). ``--no-cache`` writes nothing into the tree.
``--cached`` adds, per combination, a cold run and a warm run through a fresh cache directory
under the system temporary folder (``cache-dir`` in a generated ``--config`` file), each
compared with the ``--no-cache`` report: the fact cache and the rule-result memo must not
change a verdict either.

The code that runs is a snapshot taken when the script starts: the working tree's ``analyzer/``
and ``rules/`` copied to a temporary folder (``--code REV``: those of a git revision, exported
with ``git archive``; nothing in the repository changes), imported through ``PYTHONPATH``
ahead of the editable install. Editing files while the comparison runs cannot mix versions.

Compared: the whole report except ``stats`` (counts of files discovered/parsed and the like,
which are how much work was done, not what was found) — findings, phases, per-rule statuses,
evidence, notes. The first difference is printed as a JSON path.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

DEFAULT_COMBOS = ("e2i", "e2i+contracts")
REPO = Path(__file__).resolve().parent.parent
ENV = dict(os.environ)


def snapshot(rev: str | None, where: Path) -> Path:
    """``where/obs_lint`` (+ ``obs_lint/rules``): the package as of ``rev`` (None: the working
    tree now)."""
    pkg = where / "obs_lint"
    if rev is None:
        shutil.copytree(REPO / "analyzer", pkg, ignore=shutil.ignore_patterns("__pycache__"))
        shutil.copytree(REPO / "rules", pkg / "rules", ignore=shutil.ignore_patterns("__pycache__"))
        return where
    where.mkdir(parents=True, exist_ok=True)
    archive = subprocess.run(["git", "-C", str(REPO), "archive", rev, "analyzer", "rules"],
                             check=True, capture_output=True).stdout
    subprocess.run(["tar", "-x", "-C", str(where)], input=archive, check=True)
    (where / "analyzer").rename(pkg)
    (where / "rules").rename(pkg / "rules")
    return where


def obs_lint_cmd() -> list[str]:
    return [sys.executable, "-m", "obs_lint"]


def combo_args(combo: str) -> list[str]:
    first, *rest = combo.split("+")
    out = ["--pack", first]
    for p in rest:
        out += ["--extend-pack", p]
    return out


def run(tree: Path, combo: str, extra: list[str], config: Path | None = None) -> dict:
    cmd = obs_lint_cmd() + ["check", ".", *combo_args(combo), "--format", "json",
                            "--exit-zero", *extra]
    if config is not None:
        cmd += ["--config", str(config)]
    done = subprocess.run(cmd, cwd=tree, capture_output=True, text=True, env=ENV)
    if done.returncode != 0:
        raise SystemExit(f"obs-lint failed on {tree} ({combo}, exit {done.returncode}):\n"
                         f"{done.stderr[-2000:]}")
    return json.loads(done.stdout)


def comparable(report: dict) -> dict:
    return {k: v for k, v in report.items() if k != "stats"}


def first_difference(a: object, b: object, path: str = "$") -> str | None:
    if type(a) is not type(b):
        return f"{path}: {type(a).__name__} != {type(b).__name__}"
    if isinstance(a, dict):
        for k in sorted(set(a) | set(b)):  # type: ignore[arg-type]
            if k not in a or k not in b:  # type: ignore[operator]
                return f"{path}.{k}: only in {'after' if k not in a else 'before'}"
            d = first_difference(a[k], b[k], f"{path}.{k}")  # type: ignore[index]
            if d:
                return d
        return None
    if isinstance(a, list):
        for i, (x, y) in enumerate(zip(a, b)):  # type: ignore[arg-type]
            d = first_difference(x, y, f"{path}[{i}]")
            if d:
                return d
        if len(a) != len(b):  # type: ignore[arg-type]
            return f"{path}: {len(a)} items != {len(b)} items"  # type: ignore[arg-type]
        return None
    return None if a == b else f"{path}: {json.dumps(a)[:200]} != {json.dumps(b)[:200]}"


def label(tree: Path, combo: str) -> str:
    return f"{tree.name}--{combo}.json"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("trees", nargs="+", type=Path)
    g = ap.add_mutually_exclusive_group(required=True)
    g.add_argument("--save", type=Path, help="store the reports here (the reference)")
    g.add_argument("--against", type=Path, help="compare with the reports stored here")
    ap.add_argument("--packs", default=",".join(DEFAULT_COMBOS),
                    help="comma-separated pack combinations, e.g. 'e2i,e2i+contracts'")
    ap.add_argument("--code", metavar="REV", default=None,
                    help="run the code of this git revision (default: the working tree as it "
                         "is when the script starts)")
    ap.add_argument("--cached", action="store_true",
                    help="also compare cold and warm runs through a fresh cache directory")
    args = ap.parse_args(argv)
    combos = [c for c in args.packs.split(",") if c]
    failed = 0
    code = Path(tempfile.mkdtemp(prefix="obs-lint-code-"))
    try:
        snapshot(args.code, code)
        ENV["PYTHONPATH"] = str(code) + os.pathsep + ENV.get("PYTHONPATH", "")
        ENV.pop("PYTHONDONTWRITEBYTECODE", None)
        check = subprocess.run([sys.executable, "-c", "import obs_lint; print(obs_lint.__file__)"],
                               capture_output=True, text=True, env=ENV).stdout.strip()
        if not check.startswith(str(code)):
            raise SystemExit(f"the snapshot is not the obs_lint imported ({check})")
        print(f"code: {args.code or 'working tree'} (snapshot {code})")
        return _compare(args, combos)
    finally:
        shutil.rmtree(code, ignore_errors=True)


def _compare(args: argparse.Namespace, combos: list[str]) -> int:
    failed = 0
    for tree in args.trees:
        tree = tree.resolve()
        for combo in combos:
            report = run(tree, combo, ["--no-cache"])
            name = label(tree, combo)
            if args.save:
                args.save.mkdir(parents=True, exist_ok=True)
                (args.save / name).write_text(json.dumps(report, indent=1, sort_keys=True))
                print(f"saved  {name}: {len(report['findings'])} findings")
            else:
                ref = json.loads((args.against / name).read_text())
                diff = first_difference(comparable(ref), comparable(report))
                status = "EQUAL " if diff is None else "DIFFER"
                failed += diff is not None
                print(f"{status} {name}: {len(report['findings'])} findings"
                      + (f"\n    first difference: {diff}" if diff else ""))
            if args.cached:
                tmp = Path(tempfile.mkdtemp(prefix="obs-lint-compare-"))
                try:
                    cfg = tmp / "config.yaml"
                    cfg.write_text(f"cache-dir: {json.dumps(str(tmp / 'cache'))}\n")
                    for when in ("cold", "warm"):
                        got = run(tree, combo, [], cfg)
                        diff = first_difference(comparable(report), comparable(got))
                        failed += diff is not None
                        print(f"{'EQUAL ' if diff is None else 'DIFFER'} {name} {when} "
                              f"(cache) vs --no-cache" + (f": {diff}" if diff else ""))
                finally:
                    shutil.rmtree(tmp, ignore_errors=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
