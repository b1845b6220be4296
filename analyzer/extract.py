"""Fact extraction for a whole run: decide per file what to parse, then get its facts from the
cache, from this process, or from a pool of worker processes.

This is the stage's scheduler (the per-file work is ``facts.prepare_file`` + an extractor +
``facts.finish_file``). The rest of the pipeline only ever sees a list of ``FileFacts`` in
discovery order, and that list is the same value whichever way it was made: serial or parallel,
cold or warm (the JSON report is byte-identical).

Per run:

1. Every discovered file is read, hashed and prefiltered here (cheap: no parsing), unless its
   ``stat`` signature is the one recorded last run (``cache/statindex.py``): then it is not read
   at all. Files no rule can react to are finished at once.
2. The others are looked up in the content-addressed cache (``cache/store.py``); a hit is decoded
   lazily (``cache/codec.py``), and a warm run never imports libcst.
3. The misses are extracted: in this process when there is little work or ``jobs`` is 1, else
   in ``jobs`` worker processes (``analyzer.pool``), which also enforce the per-file time budget
   and survive crashing workers. Files over ``ISOLATE_CHARS`` always go to a worker process,
   even in a serial run: a parser crash or memory exhaustion on one big file cannot end the
   run. Clean results are written back to the cache.
"""

from __future__ import annotations

import gc
from dataclasses import dataclass, field
from typing import Callable, Sequence

from .cache.codec import CorruptEntry, decode, encode
from .cache.keys import RunKey, entry_key
from .cache.statindex import Seen, StatIndex
from .cache.store import FactCache, body_digest, cache_dir
from .config import Config
from .facts import (EXTRACTORS, FileFacts, Prepared, finish_file, prepare_file, preload,
                    read_bytes)
from .facts.model import Problem
from .facts.text_search import matches as text_matches
from .plan import Coverage, Plan
from .pool import OK, JobResult, Task, default_jobs, run_pool, run_with_budget
from .types import FileKind, Pack, SourceFile

# Below this much uncached text (characters; ~0.25 s of libcst parsing) the pool's start-up and
# transfer costs more than it saves, so extraction stays in this process.
POOL_MIN_CHARS = 120_000

# A file larger than this (characters) is extracted in a worker process even in a serial run
# (``-j 1``, little work, an on-demand load): libcst needs ~1 KB of memory per byte of dense
# source and aborts the whole process (a Rust panic, exit 134, no report) when it runs out, and
# the memory of a big parse is returned to the system only when that process ends. In a worker,
# a crash is that file's internal-error finding (retried once, alone) and the run goes on.
ISOLATE_CHARS = 64_000


@dataclass
class ExtractReport:
    """Counters for diagnostics and the benchmark (never part of a report: they differ between
    cold and warm runs, which must print the same thing)."""

    cache_hits: int = 0
    cache_misses: int = 0
    cache_rejected: int = 0
    extracted: int = 0
    workers: int = 0  # 0: extraction ran in this process
    index_hits: int = 0  # files not even read: their stat signature was unchanged
    parsed_paths: list[str] = field(default_factory=list)


def _extract_objects(path: str, kind: str, text: str, needs: str = ""
                     ) -> tuple[object, tuple[Problem, ...]]:
    """One file's extractor, with the cyclic garbage collector paused for Python files.

    A libcst parse allocates ~100k container objects per 1,000 lines; with the collector on,
    its generation scans over the growing tree (and over every fact already kept) took 40% of
    the extraction time (measured: 178 files, 11.5 s with, 7.2 s without). Trees hold no
    reference cycles (the extractor breaks its own), so reference counting frees them; the few
    small cycles made meanwhile (``ast.literal_eval`` closures, via libcst) are collected by
    the collector's next young-generation pass once it is back on. YAML and SQL readers keep
    the collector: a refused alias bomb must not leave its garbage around until the end.
    """
    paused = kind == "python" and gc.isenabled()  # YAML/SQL readers: bounded memory first
    if paused:
        gc.disable()
    try:
        extractor = EXTRACTORS[FileKind(kind)]
        payload, problems = extractor(path, text, needs=needs) if needs else extractor(path, text)
    finally:
        if paused:
            gc.enable()
    return payload, tuple(problems)


def extract_encoded(path: str, kind: str, text: str, needs: str = "") -> bytes:
    """The job a worker runs: extract, then encode (the parent decodes lazily)."""
    return encode(*_extract_objects(path, kind, text, needs))


def _warm(task: Task) -> None:
    preload(FileKind(task.kind), task.needs)


# set-up run before a job's time budget starts (pool.run_with_budget)
_extract_objects.warm = _warm  # type: ignore[attr-defined]
extract_encoded.warm = _warm  # type: ignore[attr-defined]


def _entry_key(run: RunKey, src: SourceFile, needs: str, digest: str) -> str:
    """The cache key of one file's facts: what was extracted is part of it (``needs``)."""
    kind = f"{src.kind.value}/{needs}" if needs else src.kind.value
    return entry_key(run.value, kind, src.path, digest)


def _run_key(run: RunKey | None, plan: Plan, packs: Sequence[Pack], cache: FactCache) -> RunKey:
    """The run key the pipeline computed (``api``), or, for a direct caller that passed none,
    the one of ``plan`` and ``packs``; "" without a cache."""
    if not cache.enabled:
        return RunKey("")
    return run if run is not None else RunKey.of(plan.digest, [p.digest for p in packs])


def _from_index(src: SourceFile, seen: Seen, run: RunKey, cache: FactCache, needs: str,
                missed: set[str]) -> FileFacts | None:
    """The FileFacts of an unchanged file without reading it (None: it must be read). A cache
    key that gave nothing usable goes into ``missed``, so the file's second look-up (after it is
    read) neither reads that entry again nor counts its rejection twice."""
    if not seen.wanted:
        return FileFacts(path=src.path, kind=src.kind, digest=seen.digest,
                         suppressions=seen.suppressions, problems=seen.problems,
                         skip_file=seen.skip_file, lines=seen.lines)
    key = _entry_key(run, src, needs, seen.digest)
    got = cache.get_summed(key)
    if got is None:
        missed.add(key)
        return None
    body, facts_digest = got
    try:
        payload, problems = decode(body)
    except CorruptEntry:
        cache.rejected += 1
        missed.add(key)
        return None
    if problems or seen.problems:
        return None  # a broken file is read again: which rule texts it holds (FileFacts.hits)
    return FileFacts(path=src.path, kind=src.kind, digest=seen.digest, parsed=True,
                     problems=seen.problems + tuple(problems), suppressions=seen.suppressions,
                     payload=payload, lines=seen.lines, marks=seen.marks,
                     facts_digest=_facts_id(needs, facts_digest))


def _through_cache(payload: object, problems: tuple[Problem, ...], cache: FactCache,
                   key: str) -> tuple[object, tuple[Problem, ...], str]:
    """Encode a fresh extraction result, store it, and return the lazily decoded form (the
    bytes are needed for the cache anyway, and ~1,000 files' fact objects would be ~200 MB).
    A result that does not survive the round trip (a value the codec's allow-list does not
    know) is kept as it is and not stored: the cache costs speed, never a run. The third item
    is the encoding's digest (``FileFacts.facts_digest``; "" when it was not stored)."""
    body = encode(payload, problems)
    try:
        decoded = decode(body)
    except CorruptEntry:
        cache.write_errors += 1
        return payload, problems, ""
    digest = body_digest(body)
    cache.put(key, body, digest)
    return decoded[0], decoded[1], digest


def _problem_result(prep: Prepared, result: JobResult, coverage: Coverage) -> FileFacts:
    code = "skipped" if result.status == "skipped" else "internal-error"
    return _finish(prep, None, (Problem(code, result.message),), coverage)


def _finish(prep: Prepared, payload: object, problems: tuple[Problem, ...],
            coverage: Coverage, facts_digest: str = "", needs: str = "") -> FileFacts:
    return finish_file(prep, payload, problems, lambda: coverage.rule_patterns(prep.src),
                       _facts_id(needs, facts_digest))


def _facts_id(needs: str, digest: str) -> str:
    """``FileFacts.facts_digest``: the encoding's digest, prefixed with ``needs`` when only some
    facts were extracted (equal imports-only facts say nothing about the calls)."""
    return f"{needs}:{digest}" if needs and digest else digest


def _stored(cache: FactCache, key: str, body: bytes) -> str:
    """Store a worker's encoded result; its digest ("" without a cache: nothing keys on it)."""
    if not cache.enabled:
        return ""
    digest = body_digest(body)
    cache.put(key, body, digest)
    return digest


def extract_all(files: Sequence[SourceFile], plan: Plan, config: Config, *,
                packs: Sequence[Pack] = (), use_cache: bool = True, jobs: int | None = None,
                report: ExtractReport | None = None,
                progress: Callable[[int, int], None] | None = None,
                coverage: Coverage | None = None, run: RunKey | None = None
                ) -> list[FileFacts]:
    """FileFacts for every discovered file, in the same order.

    ``jobs``: worker processes (None: ``config.jobs``; 0: one per core). ``use_cache=False``
    neither reads nor writes the cache (nothing is created on disk). ``run``: the run's cache
    key (``api`` computes it once for every stage; default: that of ``plan`` and ``packs``). ``progress(done,
    total)`` is told how many files are finished as extraction goes (the CLI's progress bar;
    it never changes what is computed).
    """
    report = report if report is not None else ExtractReport()
    out: list[FileFacts | None] = [None] * len(files)
    pending: list[tuple[int, Prepared, str, str]] = []  # (index, file, cache key, needs)
    cache = FactCache(cache_dir(config.root, config.cache_dir) if use_cache else None)
    run = _run_key(run, plan, packs, cache)
    index = StatIndex(cache, run, f"{plan.prefilter}\x00{config.byte_budgets()}\x00"
                                  f"{plan.patterns_key()}")
    coverage = coverage if coverage is not None else plan.coverage(files)
    missed: set[str] = set()  # keys _from_index found absent or unusable
    for i, src in enumerate(files):
        sig, seen = index.lookup(src)
        if seen is not None:
            known = _from_index(src, seen, run, cache, coverage.needs_for(src, seen.marks),
                                missed)
            if known is not None:
                out[i] = known
                if known.parsed:
                    report.parsed_paths.append(src.path)
                continue
        prep = prepare_file(src, coverage.patterns_for(src),
                            max_bytes=config.byte_budget(src.kind),
                            reach=coverage.reach_for(src))
        if isinstance(prep, FileFacts):
            out[i] = prep
            if not prep.problems and prep.digest:
                index.record(src, sig, Seen(prep.digest, prep.lines, prep.suppressions, (),
                                            prep.skip_file, False))
            continue
        index.record(src, sig, Seen(prep.digest, prep.lines, prep.suppressions, prep.problems,
                                    False, True, prep.marks))
        report.parsed_paths.append(src.path)
        needs = coverage.needs_for(src, prep.marks)
        key = _entry_key(run, src, needs, prep.digest) if cache.enabled else ""
        got = cache.get_summed(key) if cache.enabled and key not in missed else None
        if got is not None:
            try:
                payload, problems = decode(got[0])
                out[i] = _finish(prep, payload, problems, coverage, got[1], needs)
                continue
            except CorruptEntry:
                cache.rejected += 1  # a foreign or outdated entry: rebuilt below
        pending.append((i, prep, key, needs))
    if len(index.entries) > 2 * len(files) + 100:
        index.forget_missing({f.path for f in files})
    index.save()
    report.index_hits = index.hits
    report.cache_hits, report.cache_misses = cache.hits, len(pending)
    report.cache_rejected = cache.rejected
    report.extracted = len(pending)
    total = len(files)
    done_before = total - len(pending)
    if progress is not None:
        progress(done_before, total)

    budget = float(config.max_file_seconds or 0)
    n_jobs = jobs if jobs is not None else config.jobs
    n_jobs = n_jobs if n_jobs and n_jobs > 0 else default_jobs()
    work = sum(len(prep.text) for _, prep, _, _ in pending)
    if n_jobs > 1 and len(pending) > 1 and work >= POOL_MIN_CHARS:
        pooled, local, n_workers = pending, [], n_jobs
    else:  # a serial run; only files too big to risk the run on go to a worker process
        pooled = [p for p in pending if len(p[1].text) > ISOLATE_CHARS]
        local = [p for p in pending if len(p[1].text) <= ISOLATE_CHARS]
        n_workers = 1
    if pooled:
        report.workers = min(n_workers, len(pooled))
        tasks = [Task(i, prep.src.path, prep.src.kind.value, prep.text, needs)
                 for i, prep, _, needs in pooled]
        results = run_pool(tasks, extract_encoded, n_workers, budget, progress=None if progress
                           is None else (lambda n: progress(done_before + n, total)))
        for i, prep, key, needs in pooled:
            result = results[i]
            if result.status != OK:
                out[i] = _problem_result(prep, result, coverage)
                continue
            body = result.body
            assert isinstance(body, bytes)
            try:
                payload, problems = decode(body)
            except CorruptEntry:  # not decodable here: extract it again in this process
                task = Task(i, prep.src.path, prep.src.kind.value, prep.text, needs)
                again = run_with_budget(_extract_objects, task, budget)
                if again.status != OK:
                    out[i] = _problem_result(prep, again, coverage)
                    continue
                payload, problems = again.body  # type: ignore[misc]
                cache.write_errors += 1
                out[i] = _finish(prep, payload, problems, coverage)
                continue
            out[i] = _finish(prep, payload, problems, coverage, _stored(cache, key, body),
                             needs)
    if local:
        done_before += len(pooled)
        for n, (i, prep, key, needs) in enumerate(local):
            if progress is not None:
                progress(done_before + n, total)
            task = Task(i, prep.src.path, prep.src.kind.value, prep.text, needs)
            result = run_with_budget(_extract_objects, task, budget)
            if result.status != OK:
                out[i] = _problem_result(prep, result, coverage)
                continue
            payload, problems = result.body  # type: ignore[misc]
            digest = ""
            if cache.enabled:
                # keep the encoded form (decoded lazily, as from a worker)
                payload, problems, digest = _through_cache(payload, problems, cache, key)
            out[i] = _finish(prep, payload, problems, coverage, digest, needs)
    if progress is not None:
        progress(total, total)
    return [f for f in out if f is not None]


def _isolated(task: Task, budget: float) -> JobResult:
    """``_extract_objects`` for one big file, run in a worker process (see ISOLATE_CHARS); the
    result as this process would have produced it (decoded objects)."""
    result = run_pool([task], extract_encoded, 1, budget)[task.index]
    if result.status != OK:
        return result
    assert isinstance(result.body, bytes)
    return JobResult(OK, body=decode(result.body))


class OnDemand:
    """What the evaluation stage may ask of extraction while a rule resolves names: the full
    facts of some project files (``load``), and which Python files' text holds a word
    (``search``: who calls ``X``? — a file that does not name ``X`` cannot). Both never raise."""

    def __init__(self, load: "Callable[[Sequence[str]], list[FileFacts]]",
                 search: "Callable[[str], list[str]]") -> None:
        self.load = load
        self.search = search

    def __call__(self, paths: Sequence[str]) -> list[FileFacts]:
        return self.load(paths)


def extract_on_demand(files: Sequence[SourceFile], plan: Plan, config: Config, *,
                      packs: Sequence[Pack] = (), use_cache: bool = True,
                      jobs: int | None = None, coverage: Coverage | None = None,
                      run: RunKey | None = None) -> OnDemand:
    """A loader for the evaluation stage: the full facts of project files a rule asks for
    while resolving a name (``checks.resolve.ProjectView.wanted``) — a base class or an
    imported module that the prefilter had no reason to parse.

    Files are read, prepared and extracted exactly as ``extract_all`` does for a file some rule
    reacts to (every fact, the content-addressed cache shared with normal runs), with the
    per-file time budget. One request's uncached files are extracted the way ``extract_all``
    would: in ``jobs`` worker processes (None: ``config.jobs``; 0: one per core) when there are
    several and enough text to pay for the pool (a text search can ask for a hundred callers at
    once), else in this process (big files in a worker, ``ISOLATE_CHARS``); the facts are the
    same either way. What the rule consulted is recorded with its cached result (``memo``), so
    a warm run does not load anything."""
    by_path = {f.path: f for f in files}
    cache = FactCache(cache_dir(config.root, config.cache_dir) if use_cache else None)
    run = _run_key(run, plan, packs, cache)
    coverage = coverage if coverage is not None else plan.coverage(files)
    budget = float(config.max_file_seconds or 0)
    n_jobs = jobs if jobs is not None else config.jobs
    n_jobs = n_jobs if n_jobs and n_jobs > 0 else default_jobs()
    done: dict[str, FileFacts] = {}

    def prepared(src: SourceFile) -> "tuple[FileFacts | None, Prepared | None, str]":
        """(facts known without extracting, or the prepared file to extract and its key)"""
        prep = prepare_file(src, None, max_bytes=config.byte_budget(src.kind),
                            reach=coverage.reach_for(src))
        if isinstance(prep, FileFacts):
            return prep, None, ""
        key = _entry_key(run, src, "", prep.digest) if cache.enabled else ""
        got = cache.get_summed(key) if cache.enabled else None
        if got is not None:
            try:
                payload, problems = decode(got[0])
                return _finish(prep, payload, problems, coverage, got[1]), None, key
            except CorruptEntry:
                cache.rejected += 1
        return None, prep, key

    def extract_here(prep: Prepared, key: str) -> FileFacts:
        task = Task(0, prep.src.path, prep.src.kind.value, prep.text, "")
        result = _isolated(task, budget) if len(prep.text) > ISOLATE_CHARS \
            else run_with_budget(_extract_objects, task, budget)
        if result.status != OK:
            return _problem_result(prep, result, coverage)
        payload, problems = result.body  # type: ignore[misc]
        digest = ""
        if cache.enabled:
            payload, problems, digest = _through_cache(payload, problems, cache, key)
        return _finish(prep, payload, problems, coverage, digest)

    def extract_pooled(misses: "list[tuple[str, Prepared, str]]") -> None:
        tasks = [Task(i, prep.src.path, prep.src.kind.value, prep.text, "")
                 for i, (_, prep, _) in enumerate(misses)]
        results = run_pool(tasks, extract_encoded, n_jobs, budget)
        for i, (path, prep, key) in enumerate(misses):
            result = results[i]
            if result.status != OK:
                done[path] = _problem_result(prep, result, coverage)
                continue
            assert isinstance(result.body, bytes)
            try:
                payload, problems = decode(result.body)
            except CorruptEntry:  # not decodable here: extract it again in this process
                done[path] = extract_here(prep, key)
                continue
            done[path] = _finish(prep, payload, problems, coverage,
                                 _stored(cache, key, result.body))

    def load(paths: Sequence[str]) -> list[FileFacts]:
        misses: list[tuple[str, Prepared, str]] = []
        for path in paths:
            src = by_path.get(path)
            if path in done or src is None or src.kind is not FileKind.PYTHON \
                    or any(m[0] == path for m in misses):
                continue
            known, prep, key = prepared(src)
            if known is not None:
                done[path] = known
            elif prep is not None:
                misses.append((path, prep, key))
        work = sum(len(prep.text) for _, prep, _ in misses)
        if n_jobs > 1 and len(misses) > 1 and work >= POOL_MIN_CHARS:
            extract_pooled(misses)
        else:
            for path, prep, key in misses:
                done[path] = extract_here(prep, key)
        out = []
        for path in paths:
            if path in done:
                out.append(done[path])
        return out

    texts: dict[str, str] = {}

    def search(word: str) -> list[str]:
        """Python files (in discovery order) whose text holds ``word``, or that may hold what
        a query asks for (``facts.text_search``); each text is read once a run."""
        hits = []
        for src in files:
            if src.kind is not FileKind.PYTHON:
                continue
            text = texts.get(src.path)
            if text is None:
                data, _problem = read_bytes(src, config.byte_budget(src.kind))
                text = texts[src.path] = data.decode("utf-8", "replace") if data else ""
            if text_matches(word, text):
                hits.append(src.path)
        return hits

    return OnDemand(load, search)
