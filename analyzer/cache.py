"""The content-addressed fact cache: per-file extraction results stored under the project root.

Why: parsing is the expensive part of a run (libcst manages ~10-20k lines a second per core), and
between two runs almost every file is unchanged. A file's facts are a pure function of its bytes,
its path and kind, the engine (obs-lint and Python versions, the parser libraries' versions) and
the active rule set, so an entry is keyed by exactly that::

    key = blake2b(run key, kind, path, content digest)
    run key = blake2b(cache format, obs-lint version, Python version + implementation,
                      libcst / pglast / PyYAML versions, digest of the fact-making source,
                      Plan.digest, every active pack's digest)

Layout: ``<root>/.obs-lint-cache/`` (``cache-dir``) holds a ``.gitignore`` containing ``*`` (so the
cache never shows up in ``git status``), a ``CACHEDIR.TAG`` (backup tools skip it) and one file
per entry under ``<kind>/<first two hex digits>/<key>``, kind ``f`` (per-file facts), ``r``
(rule results, ``analyzer.memo``), ``p`` (validated packs) or ``i`` (the stat index,
``analyzer.statindex``).

Trust: an entry is only used if its magic, its embedded key (the file name is not enough: a file
copied under another name is foreign) and the checksum of its body all match; anything else is
ignored (and overwritten by the fresh result), never trusted. Bodies are pickles, so they are
decoded with an allow-list unpickler (``codec``) that can build nothing but obs-lint's own fact
dataclasses and enums: a crafted cache file cannot run code.

Writes are atomic: the entry is written to a temporary file in the same directory and moved into
place with ``os.replace``, so two concurrent runs or a run killed mid-write never leave a torn
entry (at worst both write the same bytes; the last rename wins). Failures to write (read-only
checkout, full disk) only cost speed: the run's results do not depend on the cache.
"""

from __future__ import annotations

import functools
import hashlib
import os
import shutil
import sys
import tempfile
from typing import Callable, Iterable

from . import __version__
from .types import Pack

FORMAT = 1
MAGIC = b"obs-lint-cache\x00%d\n" % FORMAT
_KEY_LEN = 32  # hex characters of an entry key
_SUM_LEN = 16  # bytes of the body checksum
FACTS, RESULTS, PACKS, INDEX = "f", "r", "p", "i"  # entry namespaces (sub-directories)
GITIGNORE_TEXT = "# written by obs-lint: everything here is a cache\n*\n"
CACHEDIR_TAG = ("Signature: 8a477f597d28d172789f06886806bc55\n"
                "# This file is a cache directory tag created by obs-lint.\n")


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


@functools.lru_cache(maxsize=16)  # a process runs one version of its own source
def source_digest(folders: tuple[str, ...], modules: tuple[str, ...]) -> str:
    """Digest of the source of some of obs-lint's own modules (``folders``: every ``.py`` in
    them).

    The version string is the contract for releases; this also keeps a development checkout
    honest, where the code that makes cached values changes many times under one version.
    """
    here = os.path.dirname(os.path.abspath(__file__))
    h = hashlib.blake2b(digest_size=16)
    names = [os.path.join(folder, n) for folder in folders
             for n in sorted(os.listdir(os.path.join(here, folder))) if n.endswith(".py")]
    names += list(modules)
    for name in names:
        try:
            with open(os.path.join(here, name), "rb") as fh:
                h.update(name.encode() + b"\x00" + fh.read())
        except OSError:
            h.update(name.encode() + b"\x00-")
    return h.hexdigest()


def _engine_fingerprint() -> str:
    """The modules whose code decides what facts are (``facts/``, the codec, the YAML reader)."""
    return source_digest(("facts",), ("codec.py", "yamlsafe.py"))


def run_key(plan_digest: str, pack_digests: Iterable[str], extra: str = "") -> str:
    """The part of every entry key that identifies the engine and the active rules."""
    parts = [str(FORMAT), __version__, sys.version, sys.implementation.cache_tag or "",
             _library_versions(), _engine_fingerprint(), plan_digest, *sorted(pack_digests),
             extra]
    return hashlib.blake2b("\x00".join(parts).encode(), digest_size=16).hexdigest()


def entry_key(run: str, kind: str, path: str, content_digest: str) -> str:
    blob = "\x00".join((run, kind, path, content_digest)).encode("utf-8", "surrogateescape")
    return hashlib.blake2b(blob, digest_size=16).hexdigest()


def _checksum(body: bytes) -> bytes:
    return hashlib.blake2b(body, digest_size=_SUM_LEN).digest()


class FactCache:
    """Get/put raw entry bodies (bytes) by key. ``FactCache(None)`` is a disabled cache.

    ``namespace`` keeps kinds of entries apart on disk: per-file facts (``f``), rule results
    (``r``, ``analyzer.memo``) and validated packs (``p``).
    """

    def __init__(self, directory: str | None, namespace: str = FACTS) -> None:
        self.directory = directory
        self.namespace = namespace
        self._prepared = False
        self.hits = 0
        self.misses = 0
        self.rejected = 0  # entries present but corrupt or foreign
        self.write_errors = 0

    @property
    def enabled(self) -> bool:
        return self.directory is not None

    def _path(self, key: str) -> str:
        assert self.directory is not None
        return os.path.join(self.directory, self.namespace, key[:2], key)

    def get(self, key: str) -> bytes | None:
        """The entry body stored under ``key``, or None if absent, corrupt or foreign."""
        if self.directory is None:
            return None
        try:
            with open(self._path(key), "rb") as fh:
                data = fh.read()
        except OSError:
            self.misses += 1
            return None
        head = len(MAGIC) + _KEY_LEN + _SUM_LEN
        if (len(data) < head or not data.startswith(MAGIC)
                or data[len(MAGIC):len(MAGIC) + _KEY_LEN] != key.encode("ascii")
                or data[len(MAGIC) + _KEY_LEN:head] != _checksum(data[head:])):
            self.rejected += 1
            self.misses += 1
            return None
        self.hits += 1
        return data[head:]

    def put(self, key: str, body: bytes) -> None:
        """Store ``body`` under ``key`` atomically; a failure to write is not an error."""
        if self.directory is None:
            return
        path = self._path(key)
        try:
            self._prepare()
            os.makedirs(os.path.dirname(path), exist_ok=True)
            _write_atomic(path, MAGIC + key.encode("ascii") + _checksum(body) + body)
        except OSError:
            self.write_errors += 1

    def _prepare(self) -> None:
        """Create the directory with its .gitignore and CACHEDIR.TAG (once per run)."""
        if self._prepared or self.directory is None:
            return
        os.makedirs(self.directory, exist_ok=True)
        for name, text in ((".gitignore", GITIGNORE_TEXT), ("CACHEDIR.TAG", CACHEDIR_TAG)):
            target = os.path.join(self.directory, name)
            if not os.path.exists(target):
                _write_atomic(target, text.encode(), mode=0o644)
        self._prepared = True


def _write_atomic(path: str, data: bytes, mode: int = 0o600) -> None:
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=os.path.dirname(path))
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def pack_key(data: bytes, shown: str) -> str:
    """Key of a validated pack: its bytes, the name it is shown under (rule sources say
    "file:line"), and the code that validates packs (the check kinds' parameter specs)."""
    parts = [str(FORMAT), "pack", __version__, sys.version,
             source_digest(("checks",), ("packs.py", "yamlsafe.py", "types.py", "codec.py",
                                         "facts/sql_types.py", "facts/yaml_model.py")),
             shown, hashlib.sha256(data).hexdigest()]
    return hashlib.blake2b("\x00".join(parts).encode("utf-8", "surrogateescape"),
                           digest_size=16).hexdigest()


def cached_pack(directory: str, data: bytes, shown: str,
                parse: Callable[[bytes, str], Pack]) -> Pack:
    """``parse(data, shown)``, or the Pack it returned last time for the same bytes and engine.

    A pack that fails validation raises (PackError) as always and is never stored.
    """
    from .codec import DecodeError, decode_object, encode_object

    cache = FactCache(directory, PACKS)
    key = pack_key(data, shown)
    body = cache.get(key)
    if body is not None:
        try:
            pack = decode_object(body)
            if isinstance(pack, Pack):
                return pack
        except DecodeError:
            pass
    pack = parse(data, shown)
    cache.put(key, encode_object(pack))
    return pack


def cache_dir(root: str, configured: str) -> str:
    """Absolute cache directory: ``cache-dir`` is relative to the project root."""
    return configured if os.path.isabs(configured) else os.path.join(root, configured)


def looks_like_cache(directory: str) -> bool:
    """True if ``directory`` is an obs-lint cache (safe to delete wholesale)."""
    try:
        with open(os.path.join(directory, ".gitignore"), encoding="utf-8") as fh:
            return fh.read() == GITIGNORE_TEXT
    except OSError:
        return False


def clear(directory: str) -> int:
    """Delete the cache directory; returns the number of entries removed.

    Refuses (ValueError) a directory that exists but is not an obs-lint cache, so a mistyped
    ``cache-dir`` can never delete someone's files.
    """
    if not os.path.isdir(directory):
        return 0
    if not looks_like_cache(directory):
        raise ValueError(f"{directory} does not look like an obs-lint cache (no obs-lint "
                         ".gitignore inside); not deleting it")
    count = 0
    for namespace in (FACTS, RESULTS, PACKS, INDEX):
        for _dirpath, _dirs, files in os.walk(os.path.join(directory, namespace)):
            count += sum(1 for f in files if not f.startswith(".tmp-"))
    shutil.rmtree(directory, ignore_errors=True)
    return count
