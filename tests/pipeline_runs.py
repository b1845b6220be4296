"""Helpers for the cache / parallelism / budget tests: copy a project, run it, compare JSON.

The JSON report is the contract these tests compare (byte for byte): serial and parallel, cold
and warm, cached and ``--no-cache`` runs must all print the same thing.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from obs_lint.api import check, load_packs, resolve_config
from obs_lint.discover import discover
from obs_lint.extract import ExtractReport, extract_all
from obs_lint.plan import build_plan
from obs_lint.report import json_report

from conftest import FIXTURES

SAMPLE = FIXTURES / "e2i_sample"
CACHE = ".obs-lint-cache"


def copy_project(src: Path, dst: Path) -> Path:
    """A private copy of a fixture project (without any cache a previous run left in it)."""
    shutil.copytree(src, dst, ignore=shutil.ignore_patterns(CACHE, "__pycache__"))
    return dst


def run_json(root: Path, *, use_cache: bool = True, jobs: int | None = None,
             max_file_seconds: float | None = None) -> str:
    """JSON report of a whole-project check of ``root`` (through the public API)."""
    config = resolve_config([str(root)])
    config = config.with_overrides(jobs=jobs, max_file_seconds=max_file_seconds)
    packs = load_packs(config, use_cache=use_cache)
    result = check([str(root)], config, packs=packs, use_cache=use_cache)
    return json_report.render(result)


def extract_counts(root: Path, *, use_cache: bool = True, jobs: int | None = 1) -> ExtractReport:
    """Run only discovery + extraction and return the scheduler's counters (cache hits...)."""
    config = resolve_config([str(root)]).with_overrides(jobs=jobs)
    packs = load_packs(config)
    plan = build_plan(packs)
    files = discover(config.root, [config.root], config.exclude, config.respect_gitignore)
    report = ExtractReport()
    extract_all(files, plan, config, packs=packs, use_cache=use_cache, report=report)
    return report


def cache_entries(root: Path, kind: str = "f") -> list[Path]:
    """Entry files of one kind: ``f`` facts, ``r`` rule results, ``p`` packs."""
    base = root / CACHE / kind
    return sorted(p for p in base.rglob("*") if p.is_file()) if base.exists() else []


def tree_files(root: Path) -> set[str]:
    out = set()
    for dirpath, _dirs, files in os.walk(root):
        for f in files:
            out.add(os.path.relpath(os.path.join(dirpath, f), root))
    return out
