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
    assert crashed.pop(TARGET).problems[0].rule == "internal-error"
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


# --------------------------------------------------------------------------------------------
# Worker lifetime: no worker outlives its parent, however the parent ends
# --------------------------------------------------------------------------------------------

_BLOCKED_RUN = r"""
import os, signal, sys
# Ctrl-C as a terminal delivers it: a shell starts background jobs with SIGINT ignored, and a
# Python started so keeps it ignored (the run would never see the test's SIGINT)
signal.signal(signal.SIGINT, signal.default_int_handler)
import obs_lint.facts as facts
from obs_lint.cli import main
from obs_lint.types import FileKind
real = facts.EXTRACTORS[FileKind.PYTHON]
started, gate = sys.argv[1], sys.argv[2]
def extractor(path, text, **options):
    # a file that blocks its worker in a system call until the test opens the FIFO: a worker
    # stuck where no Python code runs (like a parser in native code)
    with open(os.path.join(started, str(os.getpid())), "w"):
        pass
    with open(gate):
        pass
    return real(path, text, **options)
facts.EXTRACTORS[FileKind.PYTHON] = extractor
sys.argv = ["obs-lint", "check", "--no-cache", "--jobs", "2", "--format", "json"]
main()
"""

LIFETIME_PACK = """\
pack: {id: life, title: Lifetime}
phases: [{id: 1, title: One}]
rules:
  - {code: L101, name: no-mlflow, phase: 1, severity: error, message: raw mlflow import,
     check: {kind: forbid-import, modules: [mlflow]}}
"""


def _generated_project(root: Path) -> Path:
    """Eight 20 KB modules: more text than POOL_MIN_CHARS, so a -j 2 run starts workers."""
    (root / "src").mkdir(parents=True)
    (root / ".obs-lint.yaml").write_text("packs: [pack.yaml]\n")
    (root / "pack.yaml").write_text(LIFETIME_PACK)
    body = "".join(f"def f{i}(x):\n    return x + {i}\n" for i in range(800))
    for n in range(8):
        (root / "src" / f"m{n}.py").write_text("import mlflow\n" + body)
    assert 8 * len(body) >= extract.POOL_MIN_CHARS
    return root


def _children(pid: int) -> set[int]:
    out = set()
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat", encoding="ascii", errors="replace") as fh:
                    fields = fh.read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                out.add(int(entry))
    return out


def _alive(pid: int) -> bool:
    """Running (a zombie waiting to be reaped by whoever adopted it is not)."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as fh:
            state = fh.read().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state not in ("Z", "X")


def _poll(condition, what: str, tries: int = 3000) -> None:
    """Wait for a state (bounded: a generous number of short waits; the assertion is on the
    state reached, never on how long it took)."""
    import time

    for _ in range(tries):
        if condition():
            return
        time.sleep(0.02)
    raise AssertionError(f"never happened: {what}")


@pytest.fixture
def blocked_run(tmp_path):
    """A real `obs-lint check --jobs 2` whose two workers are blocked in their jobs; at the end
    every process it made that is still there is killed, by its pid (a failing test must not
    leave blocked processes behind)."""
    import subprocess
    import sys

    root = _generated_project(tmp_path / "p")
    started = tmp_path / "started"
    started.mkdir()
    gate = tmp_path / "gate"
    os.mkfifo(gate)
    proc = subprocess.Popen([sys.executable, "-c", _BLOCKED_RUN, str(started), str(gate)],
                            cwd=root, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    workers: set[int] = set()
    try:
        # both workers are inside a file's job, blocked
        _poll(lambda: len(os.listdir(started)) >= 2 or proc.poll() is not None,
              "two workers blocked in their jobs")
        assert proc.poll() is None, proc.communicate()
        workers = {int(p) for p in os.listdir(started)}
        assert workers <= _children(proc.pid), "the blocked jobs run in worker processes"
        yield proc, workers
    finally:
        for pid in {proc.pid} | workers:
            if _alive(pid):
                os.kill(pid, signal.SIGKILL)
        proc.wait(timeout=120)


needs_proc = pytest.mark.skipif(not os.path.isdir("/proc/self"), reason="reads /proc")


@needs_fork
@needs_proc
def test_workers_die_when_the_parent_is_killed_with_sigkill(blocked_run):
    proc, workers = blocked_run
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=120)
    _poll(lambda: not any(_alive(w) for w in workers), f"workers {sorted(workers)} gone")
    # nothing holds the parent's stdout any more: a reader (`| wc`) sees its end
    assert proc.stdout is not None and proc.stdout.read() == b""


@needs_fork
@needs_proc
@pytest.mark.parametrize("sig, status, said", [
    (signal.SIGTERM, 2, "obs-lint: error: terminated by SIGTERM; the worker processes were "
                        "stopped and the run did not finish\n"),
    (signal.SIGINT, 130, "obs-lint: error: interrupted by SIGINT (Ctrl-C); the worker "
                         "processes were stopped and the run did not finish\n"),
], ids=["sigterm", "sigint"])
def test_sigterm_and_sigint_stop_the_pool_with_one_line(blocked_run, sig, status, said):
    proc, workers = blocked_run
    os.kill(proc.pid, sig)
    out, err = proc.communicate(timeout=300)
    assert proc.returncode == status, (err.decode()[-2000:], out[-300:])
    assert err.decode() == said and out == b""
    _poll(lambda: not any(_alive(w) for w in workers), f"workers {sorted(workers)} gone")


def test_a_forked_worker_closes_every_parent_end_it_inherited(monkeypatch, tmp_path):
    """What made workers immortal: each held the parent's end of its own socket (and of the
    workers started before it), so the parent's death was never EOF on its socket."""
    if "fork" not in multiprocessing.get_all_start_methods():
        pytest.skip("inherited descriptors are a fork matter")
    from obs_lint import pool

    def spy(conn, job, budget, inherited=(), parent=0):  # runs in the forked child
        (tmp_path / f"w{os.getpid()}").write_text(json.dumps(
            {"inherited": list(inherited), "parent": parent}))
        os._exit(0)

    monkeypatch.setattr(pool, "_worker_main", spy)
    ctx = multiprocessing.get_context("fork")
    first = pool._Worker(ctx, _square, 0)
    second = pool._Worker(ctx, _square, 0)
    try:
        assert pool._PARENT_ENDS == {first.fd, second.fd}
        first.proc.join(60)
        second.proc.join(60)
        told = {int(p.name[1:]): json.loads(p.read_text()) for p in tmp_path.glob("w*")}
    finally:
        first.close()
        second.close()
    assert pool._PARENT_ENDS == set()
    assert told[first.proc.pid] == {"inherited": [first.fd], "parent": os.getpid()}
    assert told[second.proc.pid] == {"inherited": sorted([first.fd, second.fd]),
                                     "parent": os.getpid()}


def _square(path, kind, text, needs=""):
    return len(text) ** 2
