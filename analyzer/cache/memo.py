"""Rule results reused across runs: a rule whose inputs did not change is not evaluated again.

Why: with the fact cache warm, evaluating ~170 rules still decoded every fact of every parsed
file (checks look at most fact kinds) and ran every check: most of a warm run. A check kind is a
pure function of its rule and of the facts of the files in its scope (``checks/base.py``: check
kinds never read files), so its ``CheckResult`` can be keyed by exactly that:

    key = blake2b(fact-cache run key (engine, Python, libraries, Plan.digest, pack digests),
                  source of the check kinds and of evaluation, the project root,
                  the set of all discovered paths (``RuleContext.all_paths``),
                  the rule's pack and code, its scope hint,
                  for each file in its scope: path, facts digest (a file not parsed: content
                  digest), parsed?, skip-file?, problems, pattern hits, reach marks
                  (``_file_part``), and for a rule with reach (``CheckKind.reach``) the same of every parsed file
                  marked with one of its reach patterns: what it may consult beyond its scope)

A rule that resolved names also depends on the files it consulted beyond its scope (recorded
with their digests next to its result), and a rule that searched the project's text ("who
calls X?") on which files hold each word it searched for: while no Python file changed that is
known at once; after an edit the words are searched again (one read of the tree) and the result
is reused if they are still in exactly the same files.

A warm run then decodes one small entry per rule and no facts at all; after an edit only the
rules whose scope holds the edited file run again (and decode only the facts they read). A rule
that crashed (an internal error) is never stored, so it is retried next time. Entries live in the
fact cache's directory, with its integrity checks and atomic writes (``cache/store.py``).

This module keeps results; it never evaluates. The evaluation stage (``evaluate.py``
``evaluate_cached``) asks it what is still valid (``ResultMemo.known``), evaluates the rest and
hands the fresh results back (``ResultMemo.store``): the cache sits below the stages that use it.
"""

from __future__ import annotations

import hashlib
from typing import Callable, Sequence

from ..facts.model import FileFacts
from ..plan import ActiveRule, Coverage, Plan
from ..types import CheckResult, SourceFile
from .codec import CorruptEntry, decode_object, encode_object
from .keys import RESULT_SOURCE, RunKey, source_digest
from .store import FactCache

SEARCHED = "*"  # in a rule's consulted files: it searched the text of every Python file
# in a rule's consulted files, after SEARCHED: one word it searched for (``SEARCH + word``); its
# answer depends on which files' text holds the word, not on every file's digest
SEARCH = "*search\x00"


def rule_keys(plan: Plan, files: Sequence[SourceFile], facts: Sequence[FileFacts], root: str,
              run: RunKey, coverage: Coverage | None = None) -> dict[int, str]:
    """id(ActiveRule) -> memo key (see the module docstring)."""
    by_path = {f.path: f for f in facts}
    base = hashlib.blake2b(digest_size=16)
    for part in (run.value, source_digest(*RESULT_SOURCE), root):
        base.update(part.encode("utf-8", "surrogateescape") + b"\x00")
    for path in sorted(by_path):
        base.update(path.encode("utf-8", "surrogateescape") + b"\x00")
    per_file: dict[str, bytes] = {}
    for f in facts:
        per_file[f.path] = _file_part(f)
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


def _file_part(f: FileFacts) -> bytes:
    """One file's share of a rule's key: what a check can see of it.

    Checks read facts, never text (``checks/base.py``), so a parsed file whose facts went
    through the cache counts by the digest of those facts (``FileFacts.facts_digest``), not of
    its text: after an edit that changes no fact (a comment, trailing blank lines) every rule's
    result is reused. What else a check sees of the file is part of it too: parsed or not,
    skipped, its problems, which rule patterns a broken file holds (``hits``,
    ``RuleContext.undecidable``) and its reach marks. A file without a facts digest (not parsed:
    its text decided that no rule reacts to it) counts by its content digest."""
    if f.parsed and f.facts_digest:
        ident = "F" + f.facts_digest
    else:
        ident = f.digest
    hits = "" if f.hits is None else "\x02".join(sorted(f.hits))
    return "\x00".join(
        (f.path, ident, "p" if f.parsed else "-", "s" if f.skip_file else "-",
         repr(f.problems), "-" if f.hits is None else "h" + hits,
         "\x02".join(sorted(f.marks)))).encode("utf-8", "surrogateescape") + b"\x01"


def _dependency_id(f: FileFacts) -> str:
    """What a file a rule *consulted* (loaded on demand, with every fact) is recorded as: the
    digest of its full facts when this run has them (it was parsed with every fact), so an edit
    that changes no fact keeps the rule's result; else its content digest. Never the digest of
    partial facts (``imports:...``): equal imports say nothing about the calls it consulted."""
    if f.parsed and f.facts_digest and ":" not in f.facts_digest:
        return "F" + f.facts_digest
    return f.digest


class ResultMemo:
    """The stored results of one run's rules: which are still valid, and storing fresh ones.

    An entry is ``(result, consulted)``: the files beyond its scope a rule read while resolving
    names (loaded on demand, ``evaluate.py``) with their content digests; the entry is reused
    only while each of them still has that digest (like a build system's discovered
    dependencies). ``search(word)``: the Python files whose text holds ``word`` (the on-demand
    loader's), to revalidate a rule that searched the project's text."""

    def __init__(self, cache: FactCache, plan: Plan, files: Sequence[SourceFile],
                 facts: Sequence[FileFacts], root: str, run: RunKey,
                 coverage: Coverage | None = None,
                 search: Callable[[str], list[str]] | None = None) -> None:
        self.cache = cache
        self.plan = plan
        coverage = coverage if coverage is not None else plan.coverage(files)
        self.keys = rule_keys(plan, files, facts, root, run, coverage)
        self.digests = {f.path: _dependency_id(f) for f in facts}
        everything = hashlib.blake2b(digest_size=16)
        for f in facts:
            if f.kind.value == "python":
                everything.update(f"{f.path}\x00{f.digest}\x01".encode("utf-8",
                                                                         "surrogateescape"))
        self.digests[SEARCHED] = everything.hexdigest()
        self.search = search

    def digest_of(self, path: str) -> str | None:
        """A dependency's digest now: a file's ``_dependency_id``, or for ``SEARCH + word`` the
        digest of the files (in order) whose text holds the word."""
        digests = self.digests
        if path.startswith(SEARCH):
            if path not in digests:
                if self.search is None:
                    return None
                hits = self.search(path[len(SEARCH):])
                digests[path] = hashlib.blake2b("\x00".join(hits).encode(
                    "utf-8", "surrogateescape"), digest_size=16).hexdigest()
            return digests[path]
        return digests.get(path)

    def _still_valid(self, deps: tuple) -> bool:
        """Every file the rule consulted is unchanged; a rule that searched the project's text
        is valid while no Python file changed, or else while each word it searched for is in
        exactly the same files (an edit elsewhere cannot change its answer)."""
        searched_ok = True
        words = []
        for path, digest in deps:
            if path == SEARCHED:
                searched_ok = self.digests[SEARCHED] == digest
            elif path.startswith(SEARCH):
                words.append((path, digest))
            elif self.digests.get(path) != digest:
                return False
        if searched_ok:
            return True
        return bool(words) and all(self.digest_of(p) == d for p, d in words)

    def known(self) -> dict[int, CheckResult]:
        """id(ActiveRule) -> its stored result, for the rules whose inputs are unchanged."""
        known: dict[int, CheckResult] = {}
        for active in self.plan.rules:
            body = self.cache.get(self.keys[id(active)])
            if body is None:
                continue
            try:
                entry = decode_object(body)
            except CorruptEntry:
                continue
            if not (isinstance(entry, tuple) and len(entry) == 2):
                continue
            result, deps = entry
            if isinstance(result, CheckResult) and result.rule == active.rule and isinstance(
                    deps, tuple) and all(isinstance(d, tuple) and len(d) == 2 for d in deps) \
                    and self._still_valid(deps):
                known[id(active)] = result
        return known

    def store(self, active: ActiveRule, result: CheckResult, consulted: Sequence[str]) -> None:
        """Keep a freshly evaluated result; a crash is never stored (it is retried next
        time)."""
        if result.crashed:
            return
        deps = tuple((p, self.digest_of(p) or "") for p in consulted)
        self.cache.put(self.keys[id(active)], encode_object((result, deps)))
