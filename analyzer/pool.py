"""Running extraction jobs: in this process, or in a pool of worker processes that may die.

Why not ``concurrent.futures.ProcessPoolExecutor``: when one of its workers dies (a segfault in
a native parser, the OOM killer, ``os._exit``), the whole executor is broken and every pending
future fails with ``BrokenProcessPool`` without saying which file was running; and it cannot
stop one task that hangs inside native code. This pool is small and explicit instead:

* ``jobs`` worker processes, each with its own pipe; work is sent in chunks (largest files
  first, so the workers finish together), a new chunk only when a worker has answered every file
  of its previous one (a sender never blocks on a busy worker, so there is no pipe deadlock).
* A worker answers file by file, so the parent always knows which file a worker is on and since
  when. Each file has a *soft* time budget inside the worker (``signal.setitimer``: the extractor
  is interrupted between Python bytecodes and the file becomes a ``skipped`` result) and a *hard*
  one in the parent (``budget + grace``): a worker stuck in native code is killed and the file is
  reported as skipped. The hard deadline counts from the worker's ``STARTED`` notice (sent when
  its timer starts), not from when the file was sent: on a loaded machine a worker's start-up and
  parser import can take seconds, and they are not the file's time.
* A worker never outlives the parent: it closes the parent's socket ends it inherited (so the
  parent's death is EOF on its socket), dies with the parent (``PR_SET_PDEATHSIG`` on Linux, a
  ``getppid`` poll elsewhere) even while stuck in native code, and has /dev/null as stdin and
  stdout (``obs-lint ... | wc`` ends when the parent does).
* A worker that dies is noticed through its process sentinel; the file it was on is retried once,
  alone, in a fresh process after the pool is done (serially), and the rest of its chunk goes
  back in the queue. A file that kills its process twice is reported as an internal error. No
  file is ever lost and the parent never waits without a deadline.

The job itself (``job``: ``(path, kind, text) -> JobResult``) is given by the caller; with the
``fork`` start method it may be any callable (workers inherit it), with ``spawn`` it must be a
module-level function.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
import time
from collections import deque
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable, Sequence

if TYPE_CHECKING:  # multiprocessing is imported when a pool starts (not by serial/warm runs)
    import multiprocessing.context
    import multiprocessing.process
    from multiprocessing.connection import Connection

OK, SKIPPED, ERROR = "ok", "skipped", "error"
STARTED = "started"  # a worker's notice (index, STARTED): that file's timer has just started
STARTUP_SECONDS = 60.0  # a worker that never says STARTED is wedged in start-up: kill it then
clock: Callable[[], float] = time.monotonic  # the parent's clock for hard deadlines (patchable)


@dataclass(frozen=True, slots=True)
class Task:
    index: int
    path: str
    kind: str
    text: str
    needs: str = ""  # which facts the file's rules read ("": all; see ``Coverage.needs_for``)


@dataclass(frozen=True, slots=True)
class JobResult:
    """What one file's job produced: ``OK`` with a body, or ``SKIPPED``/``ERROR`` with a reason."""

    status: str
    body: object = None
    message: str = ""


Job = Callable[[str, str, str, str], object]  # (path, kind, text, needs) -> body (picklable)


class BudgetExceeded(BaseException):
    """Raised inside a job by the soft time budget (BaseException: ``except Exception`` in an
    extractor must not swallow it)."""


def default_jobs() -> int:
    """Cores this process may run on (``sched_getaffinity`` honours cgroups/taskset)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


def describe_seconds(seconds: float) -> str:
    return f"{seconds:g} s"


def run_with_budget(job: Job, task: Task, budget: float,
                    started: Callable[[], None] | None = None) -> JobResult:
    """Run one job with a soft time budget (when this is the main thread; else without).

    A job with a ``warm(task)`` attribute has it called before the timer starts: importing a
    parser is not the file's analysis time (a 0.5 s budget was spent on libcst's import by the
    first file of a busy machine). ``started()`` is called when the timer starts: the worker
    tells the parent, whose hard deadline then counts from the same moment."""
    use_timer = budget > 0 and hasattr(signal, "setitimer") and (
        threading.current_thread() is threading.main_thread())
    if not use_timer:
        return _run(job, task)
    warm = getattr(job, "warm", None)  # the job's one-time set-up stays out of the budget
    if warm is not None:
        try:
            warm(task)
        except Exception:  # noqa: BLE001 - the job itself will meet and report it
            pass

    def on_alarm(signum: int, frame: object) -> None:
        raise BudgetExceeded()

    previous = signal.signal(signal.SIGALRM, on_alarm)
    try:
        if started is not None:
            started()
        signal.setitimer(signal.ITIMER_REAL, budget)
        try:
            return _run(job, task)
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
    except BudgetExceeded:
        return over_budget(budget)
    finally:
        signal.signal(signal.SIGALRM, previous)


def over_budget(budget: float) -> JobResult:
    return JobResult(SKIPPED, message=f"analysis took longer than the {describe_seconds(budget)} "
                                      "per-file budget (max-file-seconds); not analysed")


def _run(job: Job, task: Task) -> JobResult:
    try:
        return JobResult(OK, body=job(task.path, task.kind, task.text, task.needs))
    except (BudgetExceeded, KeyboardInterrupt):
        raise
    except RecursionError:
        return JobResult(SKIPPED, message="nesting too deep to analyse (over the recursion "
                                          "limit); not analysed")
    except MemoryError:
        return JobResult(ERROR, message="ran out of memory while analysing this file")
    except Exception as exc:  # noqa: BLE001 - an engine bug on one file must not stop the run
        return JobResult(ERROR, message=f"{type(exc).__name__} while extracting facts: {exc}")


# ---------------------------------------------------------------------------------------------
# Worker side
# ---------------------------------------------------------------------------------------------


def _worker_main(conn: "Connection", job: Job, budget: float, inherited: tuple[int, ...] = (),
                 parent: int = 0) -> None:
    """Loop: receive a chunk of tasks, answer each one, until told to stop (None) or EOF.

    ``inherited``: descriptors a forked worker got from its parent and must not keep (the
    parent's end of this worker's socket and of every other worker's): holding them, a worker
    never saw EOF when the parent died, and lived on forever. ``parent``: the parent's pid
    (``_die_with_parent``)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent decides what Ctrl-C means
    signal.signal(signal.SIGTERM, signal.SIG_DFL)  # not the parent's handler (fork copies it)
    for fd in inherited:
        try:
            os.close(fd)
        except OSError:
            pass
    _detach_stdio()
    if parent:
        _die_with_parent(parent)
    while True:
        try:
            chunk = conn.recv()
        except (EOFError, OSError):
            return
        if chunk is None:
            return
        for task in chunk:
            def started(index: int = task.index) -> None:
                conn.send((index, STARTED))

            try:
                result = run_with_budget(job, task, budget, started if budget > 0 else None)
                conn.send((task.index, result))
            except (BrokenPipeError, OSError):
                return


def _detach_stdio() -> None:
    """A worker never reads stdin or prints: point both at /dev/null, so that not even a
    worker stuck in native code keeps ``obs-lint ... | wc`` waiting for the end of its input.
    (stderr stays: a native crash report there is worth having.)"""
    try:
        devnull = os.open(os.devnull, os.O_RDWR)
    except OSError:  # pragma: no cover
        return
    for fd in (0, 1):
        try:
            os.dup2(devnull, fd)
        except OSError:  # pragma: no cover - no such descriptor
            pass
    os.close(devnull)


PR_SET_PDEATHSIG = 1  # <linux/prctl.h>
PARENT_POLL_SECONDS = 0.5


def _die_with_parent(parent: int) -> None:
    """End this worker when its parent goes, however the parent goes (SIGKILL included).

    Linux: ``prctl(PR_SET_PDEATHSIG, SIGKILL)`` makes the kernel kill the worker the moment
    the parent exits. Elsewhere (or if that fails): a daemon thread polls ``getppid()``, which
    changes when the parent dies and the worker is re-parented. Either way, a parent that died
    before this ran (between fork and here) is noticed by the ``getppid`` check right after."""
    armed = False
    if sys.platform.startswith("linux"):
        try:
            import ctypes

            libc = ctypes.CDLL(None, use_errno=True)
            armed = libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) == 0
        except (OSError, AttributeError):  # pragma: no cover - no prctl in this libc
            armed = False
    if os.getppid() != parent:
        os._exit(0)
    if armed:
        return

    def watch() -> None:  # pragma: no cover - exercised where prctl is missing
        while os.getppid() == parent:
            time.sleep(PARENT_POLL_SECONDS)
        os._exit(0)

    threading.Thread(target=watch, name="obs-lint-parent-watch", daemon=True).start()


# ---------------------------------------------------------------------------------------------
# Parent side
# ---------------------------------------------------------------------------------------------

# the parent ends of every live worker's socket in this process: a forked worker closes them
_PARENT_ENDS: set[int] = set()


def _context() -> "multiprocessing.context.BaseContext":
    """``fork`` where it exists and is safe (no other threads): workers start in ~1 ms and
    inherit what the parent imported; ``spawn`` otherwise."""
    import multiprocessing

    methods = multiprocessing.get_all_start_methods()
    if "fork" in methods and threading.active_count() == 1:
        return multiprocessing.get_context("fork")
    return multiprocessing.get_context("spawn")


class _Worker:
    def __init__(self, ctx: "multiprocessing.context.BaseContext", job: Job,
                 budget: float) -> None:
        parent_end, child_end = ctx.Pipe(duplex=True)
        forked = ctx.get_start_method() == "fork"
        # a forked child inherits every descriptor: its own socket's parent end and the other
        # workers' (a spawned child inherits none, and those numbers would mean other files)
        inherited = tuple(sorted(_PARENT_ENDS | {parent_end.fileno()})) if forked else ()
        self.proc = ctx.Process(target=_worker_main, daemon=True,
                                args=(child_end, job, budget, inherited, os.getpid()))
        self.proc.start()
        child_end.close()
        self.conn: Any = parent_end
        self.fd = parent_end.fileno()
        _PARENT_ENDS.add(self.fd)
        self.inflight: deque[Task] = deque()
        self.since = 0.0  # when the file at the head of ``inflight`` was sent, or started
        self.running = False  # the worker said the head file's timer started (STARTED)
        self.killed_for_time = False
        self.dead = False

    def send(self, chunk: list[Task]) -> None:
        self.inflight.extend(chunk)
        self.since = clock()
        self.running = False
        self.conn.send(chunk)

    def deadline(self, hard: float) -> float:
        """When the head file is over the hard budget. It counts from the worker's STARTED
        notice, so a worker's start-up and parser import (slow on a loaded machine) are not the
        file's time; before that notice only a wedged start-up can pass ``STARTUP_SECONDS``."""
        return self.since + hard + (0.0 if self.running else STARTUP_SECONDS)

    def stop(self) -> None:
        try:
            self.conn.send(None)
        except (BrokenPipeError, OSError):
            pass

    def kill(self) -> None:
        if self.proc.is_alive():
            self.proc.kill()

    def close(self) -> None:
        _PARENT_ENDS.discard(self.fd)
        self.conn.close()
        self.proc.join(timeout=5)
        if self.proc.is_alive():  # pragma: no cover - a worker ignoring its stop message
            self.proc.kill()
            self.proc.join(timeout=5)


def _exit_reason(proc: "multiprocessing.process.BaseProcess") -> str:
    code = proc.exitcode
    if code is None:
        return "it stopped responding"
    if code < 0:
        try:
            return f"it was killed by {signal.Signals(-code).name}"
        except ValueError:
            return f"it was killed by signal {-code}"
    return f"it exited with status {code}"


def chunked(tasks: Sequence[Task], jobs: int) -> list[list[Task]]:
    """Largest files first, in chunks that shrink with the work left (guided scheduling).

    Each chunk is about 1/(3 x jobs) of the text not yet chunked (at least one file): few round
    trips while there is much to do, and single small files at the end, so that the workers
    finish together. Fixed chunks of 1/(4 x jobs) of the work left a worker idle for up to half
    a chunk at the end (measured: the two-worker pool ran 1.72x a serial extraction, not ~2x).
    """
    order = sorted(tasks, key=lambda t: (-len(t.text), t.index))
    remaining = sum(len(t.text) for t in order)
    target = max(1, remaining // (3 * jobs))
    chunks: list[list[Task]] = []
    current: list[Task] = []
    size = 0
    for t in order:
        current.append(t)
        size += len(t.text)
        if size >= target:
            chunks.append(current)
            remaining -= size
            target = max(1, remaining // (3 * jobs))
            current, size = [], 0
    if current:
        chunks.append(current)
    return chunks


def run_pool(tasks: Sequence[Task], job: Job, jobs: int, budget: float,
             grace: float | None = None, progress: Callable[[int], None] | None = None
             ) -> dict[int, JobResult]:
    """Run ``job`` over ``tasks`` in ``jobs`` worker processes; a result for every task.

    ``progress(n)`` is called with the number of results so far as they arrive (the CLI's
    progress bar); it must be cheap and must not raise."""
    from multiprocessing.connection import wait

    hard = budget + (grace if grace is not None else max(2.0, budget * 0.5)) if budget > 0 else 0.0
    ctx = _context()
    queue: deque[list[Task]] = deque(chunked(tasks, jobs))
    results: dict[int, JobResult] = {}
    suspects: list[tuple[Task, str]] = []  # (task, why its worker died)
    workers = [_Worker(ctx, job, budget) for _ in range(min(jobs, len(queue)))]
    try:
        while queue or any(w.inflight for w in workers):
            for w in workers:
                if not w.inflight and queue:
                    w.send(queue.popleft())
            busy = [w for w in workers if w.inflight]
            timeout = None
            if hard:
                now = clock()
                timeout = max(0.0, min(w.deadline(hard) - now for w in busy)) if busy else None
            ready = wait([w.conn for w in busy] + [w.proc.sentinel for w in busy],
                         timeout=timeout)
            for w in busy:
                if w.conn in ready or w.proc.sentinel in ready:
                    _drain(w, results)
            if progress is not None:
                progress(len(results))
            if hard:
                now = clock()
                for w in busy:
                    if not w.dead and w.inflight and now > w.deadline(hard):
                        w.killed_for_time = True
                        w.kill()
                        w.proc.join(timeout=5)
                        _drain(w, results)
            replaced = []
            for w in workers:
                if not w.dead:
                    replaced.append(w)
                    continue
                if w.inflight:
                    task = w.inflight.popleft()
                    if w.killed_for_time:
                        results[task.index] = over_budget(budget)
                    else:
                        suspects.append((task, _exit_reason(w.proc)))
                    if w.inflight:
                        queue.appendleft(list(w.inflight))
                        w.inflight.clear()
                w.close()
                if queue:
                    replaced.append(_Worker(ctx, job, budget))
            workers = replaced
    except BaseException:  # Ctrl-C or an error here: do not wait for busy workers
        for w in workers:
            w.kill()
        raise
    finally:
        for w in workers:
            w.stop()
        for w in workers:
            w.close()
    for task, why in sorted(suspects, key=lambda s: s[0].index):
        results[task.index] = _retry_alone(ctx, task, job, budget, hard, why)
    return results


def _receive(w: _Worker, results: dict[int, JobResult]) -> bool:
    """Read every answer waiting in the worker's pipe; False if the pipe is closed."""
    try:
        while w.conn.poll():
            index, result = w.conn.recv()
            w.since = clock()
            if result == STARTED:
                w.running = True
                continue
            w.running = False
            if w.inflight and w.inflight[0].index == index:
                w.inflight.popleft()
            results[index] = result
    except (EOFError, OSError):
        return False
    return True


def _drain(w: _Worker, results: dict[int, JobResult]) -> None:
    """Receive every answer the worker has sent; mark it dead if its pipe is closed."""
    if not _receive(w, results):
        w.dead = True
    if not w.proc.is_alive():
        # answers sent just before dying are still in the pipe: read them first
        _receive(w, results)
        w.dead = True


def _retry_alone(ctx: "multiprocessing.context.BaseContext", task: Task, job: Job, budget: float,
                 hard: float, why: str) -> JobResult:
    """Second and last attempt for a file whose worker died: alone, in a fresh process."""
    from multiprocessing.connection import wait

    w = _Worker(ctx, job, budget)
    results: dict[int, JobResult] = {}
    try:
        w.send([task])
        while task.index not in results and not w.dead:
            timeout = max(0.0, w.deadline(hard) - clock()) if hard else None
            wait([w.conn, w.proc.sentinel], timeout=timeout)
            _drain(w, results)
            if hard and clock() > w.deadline(hard) and task.index not in results:
                w.kill()
                w.proc.join(timeout=5)
                return over_budget(budget)
    finally:
        w.stop()
        w.close()
    if task.index in results:
        return results[task.index]
    again = _exit_reason(w.proc)
    return JobResult(ERROR, message=f"the worker process died while analysing this file "
                                    f"({why}; retried alone: {again}); not analysed")
