"""The cache's keys: what a stored value is a function of, computed in one place.

Every entry of the cache (``store.py``) is keyed by everything its value depends on, so a stale
entry is never found rather than found and doubted:

    fact entry  = blake2b(run key, kind (+ facts extracted), path, content digest)
    run key     = blake2b(cache format, obs-lint version, Python version + implementation,
                          libcst / pglast / PyYAML versions, digest of the fact-making source,
                          Plan.digest, every active pack's digest)
    rule result = blake2b(run key, source of the check kinds and evaluation, ...)  (``memo.py``)
    pack        = blake2b(format, version, Python, source of the pack validator, name, bytes)

The run key is computed **once per run** (``RunKey.of``, by ``api``) and handed to extraction,
the stat index and the results memo, which all derive their keys from it: one value, never
recomputed (and never recomputed differently) by each stage.

``source_digest`` hashes obs-lint's own source by path (folders recursively): the version string
is the contract for releases; this also keeps a development checkout honest, where the code that
makes cached values changes many times under one version.
"""

from __future__ import annotations

import functools
import hashlib
import os
import sys
from dataclasses import dataclass
from typing import Iterable

from .. import __version__

FORMAT = 1  # of entries and keys; bump on any layout change

# obs-lint's source that decides what facts are (paths relative to the package; folders are
# hashed recursively): the extractors, the codec that stores them, the YAML reader
FACT_SOURCE = (("facts",), ("cache/codec.py", "yamlsafe.py"))
# ... what a rule's result is, given the facts (``memo``): the check kinds, evaluation, the plan
# (scopes, coverage), the glob matcher the scopes use, the result types, the codec
RESULT_SOURCE = (("checks",), ("evaluate.py", "plan.py", "globs.py", "types.py",
                               "cache/codec.py", "cache/memo.py"))
# ... what a rule's plan is (``plans``): the check kinds' patterns and facts, the plan module
PLAN_SOURCE = (("checks",), ("plan.py", "globs.py", "types.py", "cache/codec.py"))
# ... what a validated pack is (``store.cached_pack``): the validator and the kinds' parameters
PACK_SOURCE = (("checks",), ("packs.py", "yamlsafe.py", "types.py", "cache/codec.py",
                             "facts/sql_types.py", "facts/yaml_model.py"))

_PACKAGE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@dataclass(frozen=True)
class RunKey:
    """The part of every entry key that identifies the engine and the active rules, for one run.

    ``value`` is "" when the run has no cache (nothing derives a key from it then)."""

    value: str

    @staticmethod
    def of(plan_digest: str, pack_digests: Iterable[str], extra: str = "") -> "RunKey":
        return RunKey(run_key(plan_digest, pack_digests, extra))


def _library_versions() -> str:
    """Versions of the parsers whose output the facts are made of (a parser upgrade may change
    facts without any obs-lint change), read from the ``*.dist-info`` directory names on
    ``sys.path``: ``importlib.metadata`` took ~20 ms of every (warm) run for the same answer."""
    wanted = {"libcst": "", "pglast": "", "pyyaml": ""}
    for entry in sys.path:
        try:
            names = os.listdir(entry or ".")
        except OSError:
            continue
        for name in names:
            if not name.endswith(".dist-info"):
                continue
            dist, _, version = name[:-len(".dist-info")].partition("-")
            key = dist.lower().replace("_", "-")
            if key in wanted and not wanted[key]:
                wanted[key] = version
        if all(wanted.values()):
            break
    return ",".join(f"{k}={v or '-'}" for k, v in sorted(wanted.items()))


def _python_files(folder: str) -> list[str]:
    """``folder``'s ``.py`` files, recursively (a package such as ``facts/python/`` included),
    as sorted paths relative to the package."""
    out = []
    for dirpath, dirnames, filenames in os.walk(os.path.join(_PACKAGE, folder)):
        dirnames[:] = sorted(d for d in dirnames if d != "__pycache__")
        rel = os.path.relpath(dirpath, _PACKAGE)
        out.extend(os.path.join(rel, n) for n in sorted(filenames) if n.endswith(".py"))
    return out


@functools.lru_cache(maxsize=16)  # a process runs one version of its own source
def source_digest(folders: tuple[str, ...], modules: tuple[str, ...]) -> str:
    """Digest of the source of some of obs-lint's own modules (``folders``: every ``.py`` in
    them, sub-packages included; ``modules``: paths relative to the package)."""
    h = hashlib.blake2b(digest_size=16)
    names = [n for folder in folders for n in _python_files(folder)] + list(modules)
    for name in names:
        try:
            with open(os.path.join(_PACKAGE, name), "rb") as fh:
                h.update(name.encode() + b"\x00" + fh.read())
        except OSError:
            h.update(name.encode() + b"\x00-")
    return h.hexdigest()


def run_key(plan_digest: str, pack_digests: Iterable[str], extra: str = "") -> str:
    """See ``RunKey``; callers outside a run's pipeline (tests, tools) may call it directly."""
    parts = [str(FORMAT), __version__, sys.version, sys.implementation.cache_tag or "",
             _library_versions(), source_digest(*FACT_SOURCE), plan_digest,
             *sorted(pack_digests), extra]
    return hashlib.blake2b("\x00".join(parts).encode(), digest_size=16).hexdigest()


def entry_key(run: str, kind: str, path: str, content_digest: str) -> str:
    """One file's fact entry: the run, what was extracted (``kind``), its path and content."""
    blob = "\x00".join((run, kind, path, content_digest)).encode("utf-8", "surrogateescape")
    return hashlib.blake2b(blob, digest_size=16).hexdigest()


def pack_key(data: bytes, shown: str) -> str:
    """Key of a validated pack: its bytes, the name it is shown under (rule sources say
    "file:line"), and the code that validates packs (the check kinds' parameter specs)."""
    parts = [str(FORMAT), "pack", __version__, sys.version, source_digest(*PACK_SOURCE),
             shown, hashlib.sha256(data).hexdigest()]
    return hashlib.blake2b("\x00".join(parts).encode("utf-8", "surrogateescape"),
                           digest_size=16).hexdigest()


def plan_key(plan_digest: str) -> str:
    """Key of the rules' ``RulePlan`` values: the rule set and the code that plans it."""
    return hashlib.blake2b("\x00".join(("plan", plan_digest, source_digest(*PLAN_SOURCE))
                                       ).encode(), digest_size=16).hexdigest()
