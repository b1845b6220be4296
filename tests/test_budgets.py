"""The per-file time budget (``max-file-seconds``): a file over it is reported, never dropped.

No test here measures speed: the slow "extractor" sleeps for two minutes (or blocks signals and
sleeps, imitating a native parser stuck in C code) against a budget of a few seconds — so large
that the sample's other files (a few KB each, parsed in milliseconds) stay far below it even on
a machine loaded many times over (a 0.3 s budget skipped ordinary files under load) — and the
outcome does not depend on how busy the machine is.
"""

from __future__ import annotations

import json
import multiprocessing
import signal
import threading
import time

import pytest

import obs_lint.extract as extract
from obs_lint import facts
from obs_lint.pool import OK, SKIPPED, Task, run_pool, run_with_budget
from obs_lint.types import FileKind

from pipeline_runs import SAMPLE, copy_project, run_json

TARGET = "src/agents/feedback_learner/nodes/analyze.py"
BUDGET = 4.0  # seconds: far above any sample file's parse, far below the target's sleep
needs_fork = pytest.mark.skipif("fork" not in multiprocessing.get_all_start_methods(),
                                reason="fault injection reaches workers through fork")


def _slow(monkeypatch, block_signals: bool = False) -> None:
    real = facts.EXTRACTORS[FileKind.PYTHON]

    def extractor(path, text, **options):
        if path == TARGET:
            if block_signals:  # like native code: the soft budget cannot interrupt it
                signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGALRM})
            time.sleep(120)
        return real(path, text, **options)

    monkeypatch.setitem(facts.EXTRACTORS, FileKind.PYTHON, extractor)


def _skipped(report: str) -> list[dict]:
    return [f for f in json.loads(report)["findings"] if f["name"] == "skipped"]


@pytest.mark.parametrize("jobs", [1, 2])
def test_a_file_over_the_time_budget_is_reported_as_skipped(tmp_path, monkeypatch, jobs):
    monkeypatch.setattr(extract, "POOL_MIN_CHARS", 0)
    project = copy_project(SAMPLE, tmp_path / "p")
    _slow(monkeypatch)
    report = run_json(project, use_cache=False, jobs=jobs, max_file_seconds=BUDGET)
    skipped = _skipped(report)
    assert [(f["path"], f["rule"]) for f in skipped] == [(TARGET, "OBS004")]
    assert f"{BUDGET:g} s per-file budget (max-file-seconds)" in skipped[0]["message"]


@pytest.mark.skipif(not hasattr(signal, "pthread_sigmask"), reason="needs pthread_sigmask")
@needs_fork
def test_a_worker_stuck_in_native_code_is_killed_and_the_file_skipped(tmp_path, monkeypatch):
    monkeypatch.setattr(extract, "POOL_MIN_CHARS", 0)
    project = copy_project(SAMPLE, tmp_path / "p")
    expected_others = [f for f in json.loads(run_json(project, use_cache=False, jobs=1))
                       ["findings"] if f["path"] != TARGET]
    _slow(monkeypatch, block_signals=True)
    report = run_json(project, use_cache=False, jobs=2, max_file_seconds=BUDGET)
    assert [f["path"] for f in _skipped(report)] == [TARGET]
    others = [f for f in json.loads(report)["findings"] if f["path"] != TARGET]
    # files outside the skipped file's rules are unaffected (rules covering it become unknown)
    assert {f["path"] for f in others} <= {f["path"] for f in expected_others} | {
        "src/agents/feedback_learner/__init__.py"}


def test_a_skipped_file_is_not_cached(tmp_path, monkeypatch):
    project = copy_project(SAMPLE, tmp_path / "p")
    _slow(monkeypatch)
    assert _skipped(run_json(project, jobs=1, max_file_seconds=BUDGET))
    monkeypatch.undo()
    assert run_json(project, jobs=1) == run_json(project, use_cache=False, jobs=1)
    assert not _skipped(run_json(project, jobs=1))


def _sleepy(path: str, kind: str, text: str, needs: str = "") -> str:
    time.sleep(0.3)
    return "done"


def test_budget_zero_means_no_limit():
    result = run_with_budget(_sleepy, Task(0, "a.py", "python", ""), 0)
    assert (result.status, result.body) == (OK, "done")


def test_the_budget_restores_the_previous_alarm_handler():
    def mine(signum, frame):  # pragma: no cover - never fires
        pass

    previous = signal.signal(signal.SIGALRM, mine)
    try:
        assert run_with_budget(_sleepy, Task(0, "a.py", "python", ""), 0.05).status == SKIPPED
        assert signal.getsignal(signal.SIGALRM) is mine
        assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)
    finally:
        signal.signal(signal.SIGALRM, previous)


def test_outside_the_main_thread_the_job_runs_without_a_timer():
    out = []
    thread = threading.Thread(
        target=lambda: out.append(run_with_budget(_sleepy, Task(0, "a.py", "python", ""), 0.05)))
    thread.start()
    thread.join()
    assert out[0].status == OK


def _boom(path: str, kind: str, text: str, needs: str = "") -> str:
    if path == "bad.py":
        raise ValueError("engine bug")
    return path


def test_an_extractor_exception_is_an_error_result_not_a_crash():
    tasks = [Task(i, p, "python", "x" * 10) for i, p in enumerate(["a.py", "bad.py", "c.py"])]
    results = run_pool(tasks, _boom, 2, budget=5)
    assert results[0].body == "a.py" and results[2].body == "c.py"
    assert results[1].status == "error" and "ValueError" in results[1].message


class _SlowStart:
    """A job whose one-time set-up (``warm``) blocks for 4 s, longer than the whole hard budget
    (2 s + 1 s grace), and whose file takes no time at all."""

    def warm(self, task):
        time.sleep(4)

    def __call__(self, path, kind, text, needs=""):
        return f"parsed {path}"


@needs_fork
def test_a_workers_start_up_is_not_charged_to_its_first_file(monkeypatch):
    """The hard deadline counts from the worker's STARTED notice: a start-up slower than the
    whole budget (a parser import on a loaded machine) does not make the first file "skipped".
    Nothing is timed: the set-up always blocks longer than the budget, and the file's own work
    is an f-string, far inside 2 s however busy the machine is."""
    import obs_lint.pool as pool

    monkeypatch.setattr(pool, "_context", lambda: multiprocessing.get_context("fork"))
    results = run_pool([Task(0, "a.py", "python", "x = 1\n")], _SlowStart(), 1, budget=2.0,
                       grace=1.0)
    assert (results[0].status, results[0].body) == (OK, "parsed a.py")
