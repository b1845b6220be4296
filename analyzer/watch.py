"""``obs-lint check --watch``: check, then check again whenever a file changes.

A stat poll, not an OS notification API (the ``watchfiles`` package): no new dependency (the
project keeps its runtime dependencies to the ones in the README), the same behaviour on every
platform, network file system and container mount (inotify misses changes made from outside a
container), and nothing to go wrong with limits on watches. What it costs is small: every
``interval`` it lists the project the way a run discovers it (excludes and ``.gitignore``
honoured, so a changing cache or virtualenv never triggers a run) and compares each file's
modification time and size, plus the configuration and pack files (``Poller``: the listing is
redone only when a directory changed). A run itself uses the warm cache: only the changed
files are parsed again.

Everything that waits or reads the clock is injected (``sleep``), so tests drive the loop
without real time.
"""

from __future__ import annotations

import os
import time
from typing import Callable, Iterable, Mapping

from .discover import discover

Snapshot = Mapping[str, tuple[int, int]]  # path -> (mtime_ns, size)
INTERVAL = 0.5  # seconds between polls


def sleep(seconds: float) -> None:
    """Wait between polls (module-level so a test can replace it)."""
    time.sleep(seconds)


def _stat(path: str) -> tuple[int, int] | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_mtime_ns, st.st_size)


def snapshot(root: str, exclude: tuple[str, ...], respect_gitignore: bool,
             extra: Iterable[str] = ()) -> dict[str, tuple[int, int]]:
    """Every checked file's (mtime, size), and those of ``extra`` files (configuration, packs,
    ``.gitignore``) — a change to any of them can change the report. (A full listing; the
    watch loop uses ``Poller``, which lists again only when a directory changed.)"""
    return Poller(root, exclude, respect_gitignore, extra).take()


class Poller:
    """Snapshots for the watch loop, cheap enough to take twice a second.

    Listing the project the way a run discovers it (excludes, ``.gitignore``) costs ~85 ms on
    the 1,400-file repository; stat-ing the files it found and their directories costs a few.
    So a poll stats the known files and directories, and lists the project again only when a
    directory's own mtime changed (a file was added, removed or renamed in it) or every
    ``relist_every`` polls (a new file in a directory that held nothing checked before).
    """

    def __init__(self, root: str, exclude: tuple[str, ...], respect_gitignore: bool,
                 extra: Iterable[str] = (), relist_every: int = 10) -> None:
        self.root = root
        self.exclude = exclude
        self.respect_gitignore = respect_gitignore
        self.extra = tuple(extra)
        self.relist_every = relist_every
        self.polls = 0
        self.files: list[tuple[str, str]] = []
        self.dirs: dict[str, tuple[int, int] | None] = {}

    def _relist(self) -> None:
        found = discover(self.root, [self.root], self.exclude, self.respect_gitignore)
        self.files = [(f.path, f.abs_path) for f in found]
        dirs = {os.path.abspath(self.root)}
        for _, abs_path in self.files:
            d = os.path.dirname(abs_path)
            while d not in dirs and d.startswith(os.path.abspath(self.root)):
                dirs.add(d)
                d = os.path.dirname(d)
        self.dirs = {d: _stat(d) for d in sorted(dirs)}

    def take(self) -> dict[str, tuple[int, int]]:
        stale = not self.files and not self.dirs
        stale = stale or self.polls % self.relist_every == 0
        stale = stale or any(_stat(d) != st for d, st in self.dirs.items())
        if stale:
            self._relist()
        self.polls += 1
        out: dict[str, tuple[int, int]] = {}
        for rel, abs_path in self.files:
            st = _stat(abs_path)
            if st is not None:
                out[rel] = st
        for path in self.extra:
            st = _stat(path)
            out[f"\x00{path}"] = st if st is not None else (-1, -1)
        return out


def changed(before: Snapshot, after: Snapshot) -> list[str]:
    """Paths added, removed or modified between two snapshots (sorted)."""
    keys = set(before) | set(after)
    return sorted(k.lstrip("\x00") for k in keys if before.get(k) != after.get(k))


def loop(run: Callable[[list[str]], None], take: Callable[[], Snapshot], *,
         interval: float = INTERVAL, max_runs: int | None = None) -> int:
    """Run once, then again after every change; returns the number of runs made.

    ``run(changed_paths)`` gets the changed paths ([] the first time). Ends when ``max_runs``
    runs were made (tests) or on KeyboardInterrupt, which the caller turns into a quiet exit.
    """
    last = take()
    run([])
    runs = 1
    while max_runs is None or runs < max_runs:
        sleep(interval)
        now = take()
        diff = changed(last, now)
        if not diff:
            continue
        last = now
        run(diff)
        runs += 1
    return runs
