"""Rule results reused across runs: a rule whose inputs did not change is not evaluated again.

Why: with the fact cache warm, evaluating ~170 rules still decoded every fact of every parsed
file (checks look at most fact kinds) and ran every check: most of a warm run. A check kind is a
pure function of its rule and of the facts of the files in its scope (``checks/base.py``: check
kinds never read files), so its ``CheckResult`` can be keyed by exactly that:

    key = blake2b(fact-cache run key (engine, Python, libraries, Plan.digest, pack digests),
                  source of the check kinds and of evaluation, the project root,
                  the set of all discovered paths (``RuleContext.all_paths``),
                  the rule's pack and code, its scope hint,
                  for each file in its scope: path, content digest, parsed?, skip-file?, problems,
                  and for a rule with reach (``CheckKind.reach``) the same of every parsed file
                  marked with one of its reach patterns: what it may consult beyond its scope)

A rule that resolved names also depends on the files it consulted beyond its scope (recorded
with their digests next to its result), and a rule that searched the project's text ("who
calls X?") on which files hold each word it searched for: while no Python file changed that is
known at once; after an edit the words are searched again (one read of the tree) and the result
is reused if they are still in exactly the same files.

A warm run then decodes one small entry per rule and no facts at all; after an edit only the
rules whose scope holds the edited file run again (and decode only the facts they read). A rule
that crashed (an internal error) is never stored, so it is retried next time. Entries live in the
fact cache's directory, with its integrity checks and atomic writes (``analyzer.cache``).
"""

from __future__ import annotations

import hashlib
from dataclasses import replace
from typing import Sequence

from .cache import RESULTS, FactCache, cache_dir, run_key, source_digest
from .codec import DecodeError, decode_object, encode_object
from .config import Config
from .evaluate import SEARCH, SEARCHED, Loader, evaluate
from .facts.model import FileFacts
from .plan import Coverage, Plan
from .types import CheckResult, Finding, Pack, SourceFile


def _engine() -> str:
    return source_digest(("checks",), ("evaluate.py", "plan.py", "types.py", "codec.py"))


def rule_keys(plan: Plan, files: Sequence[SourceFile], facts: Sequence[FileFacts], root: str,
              run: str, coverage: Coverage | None = None) -> dict[int, str]:
    """id(ActiveRule) -> memo key (see the module docstring)."""
    by_path = {f.path: f for f in facts}
    base = hashlib.blake2b(digest_size=16)
    for part in (run, _engine(), root):
        base.update(part.encode("utf-8", "surrogateescape") + b"\x00")
    for path in sorted(by_path):
        base.update(path.encode("utf-8", "surrogateescape") + b"\x00")
    per_file: dict[str, bytes] = {}
    for f in facts:
        per_file[f.path] = "\x00".join(
            (f.path, f.digest, "p" if f.parsed else "-", "s" if f.skip_file else "-",
             repr(f.problems))).encode("utf-8", "surrogateescape") + b"\x01"
    coverage = coverage if coverage is not None else plan.coverage(files)
    marked = [f for f in facts if f.marks and f.parsed]
    keys = {}
    for active in plan.rules:
        h = base.copy()
        h.update(f"{active.rule.pack}\x00{active.rule.code}\x00{active.hint}\x00".encode())
        for src in coverage.files(active):
            h.update(per_file.get(src.path, b"?\x01"))
        if active.reach:
            h.update(b"\x02reach\x02")
            for f in marked:
                if not f.marks.isdisjoint(active.reach):
                    h.update(per_file[f.path])
        consulted = coverage.consulted_by.get(id(active))
        if consulted:
            h.update(b"\x02consult\x02")
            for src in consulted:
                h.update(per_file.get(src.path, b"?\x01"))
        keys[id(active)] = h.hexdigest()
    return keys


def evaluate_cached(plan: Plan, files: Sequence[SourceFile], facts: Sequence[FileFacts],
                    config: Config, packs: Sequence[Pack], use_cache: bool,
                    load: Loader | None = None, coverage: Coverage | None = None
                    ) -> tuple[list[CheckResult], list[Finding]]:
    """``evaluate`` through the project's cache (unless ``use_cache`` is False)."""
    if not use_cache:
        return evaluate(plan, files, facts, config.root, load, coverage=coverage)
    store = FactCache(cache_dir(config.root, config.cache_dir), RESULTS)
    run = run_key(plan.digest, [p.digest for p in packs])
    return evaluate_memo(plan, files, facts, config.root, store, run, load, coverage)


def evaluate_memo(plan: Plan, files: Sequence[SourceFile], facts: Sequence[FileFacts],
                  root: str, cache: FactCache, run: str, load: Loader | None = None,
                  coverage: Coverage | None = None) -> tuple[list[CheckResult], list[Finding]]:
    """``evaluate``, reusing stored results of rules whose inputs are unchanged.

    An entry is ``(result, consulted)``: the files beyond its scope a rule read while resolving
    names (loaded on demand, ``evaluate.py``) with their content digests; the entry is reused
    only while each of them still has that digest (like a build system's discovered
    dependencies)."""
    coverage = coverage if coverage is not None else plan.coverage(files)
    keys = rule_keys(plan, files, facts, root, run, coverage)
    digests = {f.path: f.digest for f in facts}
    everything = hashlib.blake2b(digest_size=16)
    for f in facts:
        if f.kind.value == "python":
            everything.update(f"{f.path}\x00{f.digest}\x01".encode("utf-8", "surrogateescape"))
    digests[SEARCHED] = everything.hexdigest()
    search = getattr(load, "search", None)

    def digest_of(path: str) -> str | None:
        """A dependency's digest now: a file's content digest, or for ``SEARCH + word`` the
        digest of the files (in order) whose text holds the word."""
        if path.startswith(SEARCH):
            if path not in digests:
                if search is None:
                    return None
                hits = search(path[len(SEARCH):])
                digests[path] = hashlib.blake2b("\x00".join(hits).encode(
                    "utf-8", "surrogateescape"), digest_size=16).hexdigest()
            return digests[path]
        return digests.get(path)

    def still_valid(deps: tuple) -> bool:
        """Every file the rule consulted is unchanged; a rule that searched the project's text
        is valid while no Python file changed, or else while each word it searched for is in
        exactly the same files (an edit elsewhere cannot change its answer)."""
        searched_ok = True
        words = []
        for path, digest in deps:
            if path == SEARCHED:
                searched_ok = digests[SEARCHED] == digest
            elif path.startswith(SEARCH):
                words.append((path, digest))
            elif digests.get(path) != digest:
                return False
        if searched_ok:
            return True
        return bool(words) and all(digest_of(p) == d for p, d in words)

    known: dict[int, CheckResult] = {}
    for active in plan.rules:
        body = cache.get(keys[id(active)])
        if body is None:
            continue
        try:
            entry = decode_object(body)
        except DecodeError:
            continue
        if not (isinstance(entry, tuple) and len(entry) == 2):
            continue
        result, deps = entry
        if isinstance(result, CheckResult) and result.rule == active.rule and isinstance(
                deps, tuple) and all(isinstance(d, tuple) and len(d) == 2 for d in deps) \
                and still_valid(deps):
            known[id(active)] = result
    missing = tuple(a for a in plan.rules if id(a) not in known)
    fresh: dict[int, CheckResult] = {}
    errors: list[Finding] = []
    consulted: dict[int, tuple[str, ...]] = {}
    if missing:
        computed, errors = evaluate(replace(plan, rules=missing), files, facts, root, load,
                                    consulted, coverage)
        fresh = {id(a): r for a, r in zip(missing, computed)}  # evaluate keeps the order
    results = []
    for active in plan.rules:
        hit = known.get(id(active))
        if hit is not None:
            results.append(hit)
            continue
        result = fresh[id(active)]
        results.append(result)
        if not result.crashed:  # a crash is retried next time
            deps = tuple((p, digest_of(p) or "") for p in consulted.get(id(active), ()))
            cache.put(keys[id(active)], encode_object((result, deps)))
    return results, errors
