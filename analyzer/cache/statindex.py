"""What each file looked like last run, by its ``stat``: unchanged files are not even read.

Why: a warm run over ~1,500 files spent a fifth of its time reading 27 MB, hashing it, decoding
it, counting lines and scanning for suppression comments and rule patterns, only to learn that
nothing changed. Like git's index, this records per path the ``stat`` signature (size, mtime,
ctime, inode, device) next to what those steps produced (content digest, line count,
suppressions, skip-file, whether a rule can react to the file). A file whose signature is the
same is taken from here; its facts then come from the content-addressed fact cache by the
recorded digest, exactly as if it had been read.

Safety:

* ctime is part of the signature and cannot be set by ``os.utime``, so an edit that restores the
  mtime (or keeps the size) is still seen.
* "Racily clean" files (modified less than two seconds before this run looked at them) are not
  recorded: an edit made within the same timestamp tick as our read could not be told apart.
* The index is keyed by everything that decides its content: the fact-cache run key (engine,
  Python, packs, active rules), the prefilter switch and the size budget. A missing, corrupt or
  foreign index is simply empty (entries go through the cache's integrity checks).
"""

from __future__ import annotations

import hashlib
import os
import time
from dataclasses import dataclass
from typing import Any

from ..facts.model import Problem, Suppression
from ..types import SourceFile
from .codec import CorruptEntry, decode_object, encode_object
from .keys import RunKey
from .store import INDEX, FactCache

RACY_NS = 2_000_000_000


@dataclass(frozen=True, slots=True)
class Seen:
    """What preparing one file produced last time (see ``facts.prepare_file``)."""

    digest: str
    lines: int
    suppressions: tuple[Suppression, ...]
    problems: tuple[Problem, ...]
    skip_file: bool
    wanted: bool  # some active rule can react to the text: it was (or must be) parsed
    marks: frozenset[str] = frozenset()  # the reach patterns its text holds (FileFacts.marks)


Signature = tuple[int, int, int, int, int]


def signature(path: str) -> Signature | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino, st.st_dev)


class StatIndex:
    """path -> (signature, Seen), loaded once per run and saved if anything changed."""

    def __init__(self, cache: FactCache | None, run: RunKey, settings: str) -> None:
        self.store = FactCache(cache.directory, INDEX) if cache and cache.enabled else None
        self.key = hashlib.blake2b(f"{run.value}\x00{settings}".encode(),
                                   digest_size=16).hexdigest()
        self.started = time.time_ns()
        self.entries: dict[str, tuple[Signature, Seen]] = {}
        self.changed = False
        self.hits = 0
        if self.store is not None:
            body = self.store.get(self.key)
            if body is not None:
                try:
                    loaded: Any = decode_object(body)
                    if isinstance(loaded, dict):
                        self.entries = loaded
                except CorruptEntry:
                    pass

    def lookup(self, src: SourceFile) -> tuple[Signature | None, Seen | None]:
        """The file's current signature, and what it was like if the signature is unchanged."""
        if self.store is None:
            return None, None
        sig = signature(src.abs_path)
        old = self.entries.get(src.path)
        if sig is not None and old is not None and old[0] == sig and isinstance(old[1], Seen):
            self.hits += 1
            return sig, old[1]
        return sig, None

    def record(self, src: SourceFile, sig: Signature | None, seen: Seen) -> None:
        """Remember ``seen`` for ``src`` unless the file changed too recently to be trusted."""
        if self.store is None or sig is None:
            return
        if self.started - max(sig[1], sig[2]) < RACY_NS:
            return  # racily clean: read it again next time
        old = self.entries.get(src.path)
        if old is None or old != (sig, seen):
            self.entries[src.path] = (sig, seen)
            self.changed = True

    def forget_missing(self, present: set[str]) -> None:
        gone = [p for p in self.entries if p not in present]
        for p in gone:
            del self.entries[p]
        self.changed = self.changed or bool(gone)

    def save(self) -> None:
        if self.store is not None and self.changed:
            self.store.put(self.key, encode_object(self.entries))
            self.changed = False
