"""Files a rule asks for while evaluating (``extract.extract_on_demand``) are extracted in
worker processes when one request holds enough text, with the same facts as in this process."""

from __future__ import annotations

from pathlib import Path

import obs_lint.extract as extract
from obs_lint.api import load_packs, resolve_config
from obs_lint.discover import discover
from obs_lint.plan import build_plan
from obs_lint.types import FileKind

from pipeline_runs import SAMPLE, copy_project


def _loader(root: Path, jobs: int, use_cache: bool = False):
    config = resolve_config([str(root)])
    packs = load_packs(config)
    plan = build_plan(packs)
    files = discover(config.root, [config.root], config.exclude, config.respect_gitignore)
    paths = [f.path for f in files if f.kind is FileKind.PYTHON]
    return extract.extract_on_demand(files, plan, config, packs=packs, use_cache=use_cache,
                                     jobs=jobs), paths


def _spy(monkeypatch) -> list[int]:
    calls: list[int] = []
    real = extract.run_pool

    def run_pool(tasks, *args, **kwargs):
        calls.append(len(tasks))
        return real(tasks, *args, **kwargs)

    monkeypatch.setattr(extract, "run_pool", run_pool)
    return calls


def _facts(loaded):
    return [(f.path, f.digest, f.parsed, f.problems, f.python) for f in loaded]


def test_a_big_request_is_extracted_by_workers_with_the_same_facts(tmp_path, monkeypatch):
    project = copy_project(SAMPLE, tmp_path / "p")
    serial, paths = _loader(project, jobs=1)
    want = _facts(serial(paths))
    assert len(paths) >= 3
    monkeypatch.setattr(extract, "POOL_MIN_CHARS", 0)
    calls = _spy(monkeypatch)
    pooled, _ = _loader(project, jobs=2)
    got = _facts(pooled(paths + paths[:1]))  # a path asked twice comes back twice
    assert calls == [len(paths)]
    assert got == want + want[:1]
    assert _facts(pooled(paths[:2])) == want[:2]  # known now: no second extraction
    assert calls == [len(paths)]


def test_cached_facts_are_not_extracted_again(tmp_path, monkeypatch):
    project = copy_project(SAMPLE, tmp_path / "p")
    monkeypatch.setattr(extract, "POOL_MIN_CHARS", 0)
    calls = _spy(monkeypatch)
    first, paths = _loader(project, jobs=2, use_cache=True)
    want = _facts(first(paths))
    again, _ = _loader(project, jobs=2, use_cache=True)
    assert _facts(again(paths)) == want
    assert calls == [len(paths)]  # the second loader read every file from the cache


def test_little_work_stays_in_this_process(tmp_path, monkeypatch):
    project = copy_project(SAMPLE, tmp_path / "p")
    calls = _spy(monkeypatch)
    loader, paths = _loader(project, jobs=2)
    loader(paths[:1])
    assert calls == []
