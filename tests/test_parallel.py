"""Worker processes: the same output as a serial run, and no file lost when a worker dies.

The crash tests replace the Python extractor with one that kills its own process on one file.
Workers are forked, so they inherit the replacement (on platforms without ``fork`` the pool uses
``spawn`` and these tests are skipped: a spawned worker re-imports the real extractor).
"""

from __future__ import annotations

import faulthandler
import json
import multiprocessing
import os
import signal
from pathlib import Path

import pytest

import obs_lint.extract as extract
from obs_lint import facts
from obs_lint.api import load_packs, resolve_config
from obs_lint.discover import discover
from obs_lint.plan import build_plan
from obs_lint.pool import Task, chunked
from obs_lint.types import FileKind

from annotations import fixture_roots
from conftest import FIXTURES
from pipeline_runs import SAMPLE, copy_project, extract_counts, run_json

ROOTS = fixture_roots(str(FIXTURES))
TARGET = "src/agents/feedback_learner/nodes/analyze.py"
needs_fork = pytest.mark.skipif("fork" not in multiprocessing.get_all_start_methods(),
                                reason="the crash tests inject faults through fork inheritance")


@pytest.fixture
def always_pool(monkeypatch):
    """Start the pool whatever the amount of work (fixture trees are tiny)."""
    monkeypatch.setattr(extract, "POOL_MIN_CHARS", 0)


@pytest.mark.parametrize("root", ROOTS, ids=[r[len(str(FIXTURES)) + 1:] for r in ROOTS])
def test_serial_and_parallel_runs_print_the_same_json(root, tmp_path, always_pool):
    project = copy_project(Path(root), tmp_path / "p")
    serial = run_json(project, use_cache=False, jobs=1)
    parallel = run_json(project, use_cache=False, jobs=2)
    assert parallel == serial
    assert run_json(project, jobs=2) == serial  # cold, filling the cache from workers
    assert run_json(project, jobs=2) == serial  # warm
    assert run_json(project, jobs=1) == serial  # warm, serial


def test_the_pool_really_ran(tmp_path, always_pool):
    project = copy_project(SAMPLE, tmp_path / "p")
    counts = extract_counts(project, use_cache=False, jobs=2)
    assert counts.workers == 2 and counts.extracted >= 5


def test_small_work_stays_in_process(tmp_path):
    project = copy_project(SAMPLE, tmp_path / "p")
    assert extract.POOL_MIN_CHARS > 10_000
    counts = extract_counts(project, use_cache=False, jobs=2)
    assert counts.extracted >= 5 and counts.workers == 0


def facts_by_path(project: Path, jobs: int) -> dict:
    config = resolve_config([str(project)]).with_overrides(jobs=jobs)
    packs = load_packs(config)
    files = discover(config.root, [config.root], config.exclude, config.respect_gitignore)
    out = extract.extract_all(files, build_plan(packs), config, packs=packs, use_cache=False)
    return {f.path: f for f in out}


def _with_fault(monkeypatch, fault):
    real = facts.EXTRACTORS[FileKind.PYTHON]

    def extractor(path, text, **options):
        if path == TARGET:
            fault()
        return real(path, text, **options)

    monkeypatch.setitem(facts.EXTRACTORS, FileKind.PYTHON, extractor)


@needs_fork
@pytest.mark.parametrize("how", ["sigkill", "os_exit", "segv"])
def test_a_worker_killed_mid_run_still_yields_every_result(tmp_path, monkeypatch, always_pool,
                                                           how):
    project = copy_project(SAMPLE, tmp_path / "p")
    expected = run_json(project, use_cache=False, jobs=1)
    marker = tmp_path / "crashed-once"

    def die_once():
        if not marker.exists():
            marker.touch()
            if how == "sigkill":
                os.kill(os.getpid(), signal.SIGKILL)
            elif how == "segv":
                faulthandler.disable()  # pytest's handler would print a traceback dump
                os.kill(os.getpid(), signal.SIGSEGV)
            os._exit(3)

    _with_fault(monkeypatch, die_once)
    assert run_json(project, use_cache=False, jobs=2) == expected
    assert marker.exists(), "the fault was never triggered"


@needs_fork
def test_a_file_that_kills_every_worker_is_an_internal_error(tmp_path, monkeypatch, always_pool):
    project = copy_project(SAMPLE, tmp_path / "p")
    normal = json.loads(run_json(project, use_cache=False, jobs=1))
    _with_fault(monkeypatch, lambda: os._exit(7))
    got = json.loads(run_json(project, use_cache=True, jobs=2))
    errors = [f for f in got["findings"] if f["name"] == "internal-error"]
    assert [f["path"] for f in errors] == [TARGET]
    assert "exited with status 7" in errors[0]["message"]
    assert "retried alone" in errors[0]["message"]
    # every other file's facts are intact
    crashed = facts_by_path(project, jobs=2)
    monkeypatch.undo()
    healthy = facts_by_path(project, jobs=1)
    assert crashed.keys() == healthy.keys()
    assert crashed.pop(TARGET).problems[0].code == "internal-error"
    healthy.pop(TARGET)
    assert crashed == healthy
    # and the crash was not cached: a healthy run afterwards is normal again
    monkeypatch.setattr(extract, "POOL_MIN_CHARS", 0)
    assert json.loads(run_json(project, jobs=2)) == normal


def test_chunks_cover_every_task_once_largest_first():
    tasks = [Task(i, f"f{i}.py", "python", "x" * ((i * 37) % 101 + 1)) for i in range(50)]
    chunks = chunked(tasks, 2)
    flat = [t.index for c in chunks for t in c]
    assert sorted(flat) == list(range(50))
    sizes = [len(t.text) for c in chunks for t in c]
    assert sizes == sorted(sizes, reverse=True)
    assert len(chunks) >= 8  # small enough pieces for two workers to finish together
    assert chunked(tasks, 2) == chunks
