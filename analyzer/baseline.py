"""Baselines: accept today's findings so a legacy codebase can adopt the gate, then shrink.

``obs-lint baseline create`` records every current finding by its fingerprint (see
``fingerprint``: rule + path + hash of the normalised offending source + occurrence index, never
a line number) in a sorted, diff-friendly JSON file meant to be committed::

    {
      "version": 1,
      "tool": "obs-lint",
      "entries": [
        {"rule": "E2I201", "name": "no-raw-mlflow", "path": "src/a.py",
         "fingerprint": "3f2a...:0", "message": "raw mlflow import outside MLflowConnector: ..."}
      ]
    }

``obs-lint check --baseline FILE`` reports only findings whose fingerprint is not in the file
(baselined findings are not reported and do not fail the run, but the rule keeps its FAIL:
the phase table shows it with the baselined count, because the violation is still there), and
lists the entries that no longer occur so the baseline can be pruned with
``obs-lint baseline update`` (``--strict-baseline`` makes them fail the run). ``update`` never
adds entries: a new finding stays new.

Internal errors (``OBS003``) are never recorded: they are bugs, not debt.
"""

from __future__ import annotations

import json
from typing import Iterable, Sequence

from .builtin import INTERNAL_ERROR
from .errors import UsageError
from .fileio import (DEFAULT_MAX_BYTES, ReadRefused, WriteRefused, input_budget,
                     read_regular, refusal, write_atomic)
from .fingerprint import fingerprints
from .types import BaselineEntry, Finding, Result

VERSION = 1
DEFAULT_FILE = ".obs-lint-baseline.json"
_ENTRY_KEYS = ("rule", "name", "path", "fingerprint", "message")


def entries_of(findings: Sequence[Finding]) -> list[BaselineEntry]:
    """Baseline entries for ``findings`` (internal errors excluded), sorted."""
    out = [BaselineEntry(rule=f.code, name=f.name, path=f.location.path, fingerprint=fp,
                         message=f.message)
           for f, fp in zip(findings, fingerprints(findings)) if f.code != INTERNAL_ERROR.code]
    return sorted(out, key=_key)


def _key(e: BaselineEntry) -> tuple[str, str, str]:
    return (e.path, e.rule, e.fingerprint)


def dumps(entries: Iterable[BaselineEntry]) -> str:
    """The file's text: stable key order, one entry per block, sorted, trailing newline."""
    items = [{k: getattr(e, k) for k in _ENTRY_KEYS} for e in sorted(entries, key=_key)]
    return json.dumps({"version": VERSION, "tool": "obs-lint", "entries": items}, indent=2,
                      ensure_ascii=False) + "\n"


def write(path: str, entries: Iterable[BaselineEntry]) -> None:
    """Write the baseline atomically (``fileio.write_atomic``): a symlinked baseline is written
    through (the link stays a link), its mode is kept, and anything at the path that is not a
    regular file (a FIFO, a device, a directory) is refused, never replaced."""
    try:
        write_atomic(path, dumps(entries).encode("utf-8"))
    except WriteRefused as exc:
        raise UsageError(f"{path}: cannot write baseline: "
                         f"{exc.message.removeprefix('cannot write: ')}") from None


def load(path: str, max_bytes: int = DEFAULT_MAX_BYTES) -> list[BaselineEntry]:
    """Read a baseline file; any problem is a UsageError naming the file (exit 2). Only a
    regular file within ``fileio.input_budget(max_bytes)`` (``max-file-bytes``) is read: a FIFO or a link to
    ``/dev/zero`` is refused, never waited on (``fileio.read_regular``)."""
    budget = input_budget(max_bytes)
    try:
        data = read_regular(path, budget)
    except ReadRefused as exc:
        if isinstance(exc.exc, FileNotFoundError):
            raise UsageError(f"{path}: baseline file not found (create it with "
                             f"`obs-lint baseline create --file {path}`)") from None
        raise UsageError(f"{path}: {refusal(exc, budget, 'baseline')}") from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise UsageError(f"{path}: cannot read baseline: not valid UTF-8 (byte {exc.start})"
                         ) from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise UsageError(f"{path}:{exc.lineno}: baseline is not valid JSON: {exc.msg}") from None
    if not isinstance(data, dict) or not isinstance(data.get("entries"), list):
        raise UsageError(f"{path}: not an obs-lint baseline (expected an object with "
                         "\"entries\")")
    if data.get("version") != VERSION:
        raise UsageError(f"{path}: unsupported baseline version {data.get('version')!r} "
                         f"(this obs-lint reads version {VERSION})")
    out = []
    for i, item in enumerate(data["entries"]):
        if not isinstance(item, dict) or not all(
                isinstance(item.get(k), str) for k in ("rule", "path", "fingerprint")):
            raise UsageError(f"{path}: entries[{i}] needs string fields rule, path and "
                             "fingerprint")
        out.append(BaselineEntry(rule=item["rule"], name=str(item.get("name", "")),
                                 path=item["path"], fingerprint=item["fingerprint"],
                                 message=str(item.get("message", ""))))
    return out


def match(findings: Sequence[Finding], entries: Sequence[BaselineEntry],
          active_codes: set[str]) -> tuple[list[Finding], list[Finding], list[BaselineEntry]]:
    """Split findings into (new, baselined) and list the stale entries.

    Must see the whole project's findings (before any path/diff selection), otherwise entries
    for files outside the selection would look stale. Entries of rules that are not active in
    this run (``--select``/``ignore``) are neither matched nor stale.
    """
    known = {(e.rule, e.path, e.fingerprint) for e in entries}
    new: list[Finding] = []
    accepted: list[Finding] = []
    matched: set[tuple[str, str, str]] = set()
    for f, fp in zip(findings, fingerprints(findings)):
        key = (f.code, f.location.path, fp)
        if key in known and f.code != INTERNAL_ERROR.code:
            accepted.append(f)
            matched.add(key)
        else:
            new.append(f)
    stale = sorted((e for e in entries if e.rule in active_codes
                    and (e.rule, e.path, e.fingerprint) not in matched), key=_key)
    return new, accepted, stale


def prune(entries: Sequence[BaselineEntry], result: Result) -> list[BaselineEntry]:
    """``baseline update``: the entries that still occur (``result`` ran with the baseline)."""
    stale = {(e.rule, e.path, e.fingerprint) for e in result.stale_baseline}
    return [e for e in entries if (e.rule, e.path, e.fingerprint) not in stale]
