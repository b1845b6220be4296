"""The cache's store: entry bodies (bytes) by key, in a directory obs-lint owns.

Why: parsing is the expensive part of a run (libcst manages ~10-20k lines a second per core), and
between two runs almost every file is unchanged. Values are stored under keys that cover
everything they depend on (``keys.py``: the run key, computed once per run), so this module only
has to keep bytes safe: confined, checked and written atomically.

Layout: ``<root>/.obs-lint-cache/`` (``cache-dir``) holds a ``.gitignore`` containing ``*`` (so the
cache never shows up in ``git status``), a ``CACHEDIR.TAG`` (backup tools skip it) and one file
per entry under ``<kind>/<first two hex digits>/<key>``, kind ``f`` (per-file facts), ``r``
(rule results, ``cache/memo.py``), ``p`` (validated packs), ``i`` (the stat index,
``cache/statindex.py``) or ``l`` (rule plans, ``cache/plans.py``).

Confinement: the cache is a directory obs-lint created, never someone else's. A missing
directory is created with its two marker files in one step (built under a temporary name
beside it, then renamed into place); an existing one is used only if it carries obs-lint's
``CACHEDIR.TAG`` (or the ``.gitignore`` obs-lint writes). Anything else (``cache-dir`` set to
``src``, ``.``, ``""`` or ``..``; a symbolic link) is refused with an error (``CacheDirError``):
writing the markers there would hide the directory's files from discovery, and ``cache clear``
would then delete them. Inside the cache nothing follows a symbolic link: directories are
opened with ``O_NOFOLLOW`` and entries written relative to them, entries read with
``O_NOFOLLOW`` (a link, FIFO or device planted there is a miss, never read). ``clear`` removes
only entry files (by their names, in their namespace folders), then the markers and the
directory if nothing else is left in it.

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

import hashlib
import os
import re
import shutil
import stat
import tempfile
from dataclasses import dataclass, field
from typing import Callable

from ..errors import UsageError
from ..fileio import ReadRefused, default_dir_mode, open_dir, read_regular, write_in_dir
from ..types import Pack
from .keys import FORMAT, pack_key

MAGIC = b"obs-lint-cache\x00%d\n" % FORMAT
_KEY_LEN = 32  # hex characters of an entry key
_SUM_LEN = 16  # bytes of the body checksum
FACTS, RESULTS, PACKS, INDEX = "f", "r", "p", "i"  # entry namespaces (sub-directories)
PLANS = "l"  # the rules' RulePlan values (``cache/plans.py``)
GITIGNORE_TEXT = "# written by obs-lint: everything here is a cache\n*\n"
CACHEDIR_TAG = ("Signature: 8a477f597d28d172789f06886806bc55\n"
                "# This file is a cache directory tag created by obs-lint.\n")
MARKERS = ((".gitignore", GITIGNORE_TEXT), ("CACHEDIR.TAG", CACHEDIR_TAG))
NAMESPACES = (FACTS, RESULTS, PACKS, INDEX, PLANS)
# the largest entry file read (a stat index of ~100,000 files, the facts of a file at the
# 10 MiB source budget: far below); anything bigger is not one of ours: a miss
MAX_ENTRY_BYTES = 1 << 30
_ENTRY_NAME = re.compile(r"[0-9a-f]{%d}" % _KEY_LEN)


def _checksum(body: bytes) -> bytes:
    return hashlib.blake2b(body, digest_size=_SUM_LEN).digest()


def body_digest(body: bytes) -> str:
    """The digest of an entry body, as ``FactCache.get_summed`` reports it: for a facts entry,
    the digest of a file's *facts* (``FileFacts.facts_digest``; the rule memo keys on it, so an
    edit that leaves the facts as they were, such as a comment, re-runs no rule)."""
    return _checksum(body).hex()


class FactCache:
    """Get/put raw entry bodies (bytes) by key. ``FactCache(None)`` is a disabled cache.

    ``namespace`` keeps kinds of entries apart on disk: per-file facts (``f``), rule results
    (``r``, ``analyzer.memo``) and validated packs (``p``).
    """

    def __init__(self, directory: str | None, namespace: str = FACTS) -> None:
        self.directory = directory
        self.namespace = namespace
        self._usable: bool | None = None  # _prepare
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
        got = self.get_summed(key)
        return None if got is None else got[0]

    def get_summed(self, key: str) -> tuple[bytes, str] | None:
        """``(body, body_digest(body))`` for the entry under ``key`` (the digest is the integrity
        checksum just verified: no second hash of the body), or None as for ``get``."""
        if self.directory is None:
            return None
        try:
            # never through a link, never a FIFO or device (read_regular: O_NONBLOCK + fstat)
            data = read_regular(self._path(key), MAX_ENTRY_BYTES, follow_symlinks=False)
        except ReadRefused:
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
        return data[head:], data[len(MAGIC) + _KEY_LEN:head].hex()

    def put(self, key: str, body: bytes, digest: str | None = None) -> None:
        """Store ``body`` under ``key`` atomically; a failure to write is not an error.
        (``digest``: ``body_digest(body)`` if the caller has it, so it is not computed twice.)

        The namespace and prefix folders are opened without following links and the entry is
        written relative to them (``fileio.write_in_dir``): a symbolic link planted anywhere in
        the cache cannot redirect a write out of it."""
        if self.directory is None:
            return
        if not self._prepare():
            self.write_errors += 1
            return
        fds: list[int] = []
        try:
            fds.append(open_dir(self.directory))
            fds.append(open_dir(self.namespace, fds[-1], create=True))
            fds.append(open_dir(key[:2], fds[-1], create=True))
            checksum = bytes.fromhex(digest) if digest is not None else _checksum(body)
            write_in_dir(fds[-1], key, MAGIC + key.encode("ascii") + checksum + body)
        except OSError:
            self.write_errors += 1
        finally:
            for fd in fds:
                os.close(fd)

    def _prepare(self) -> bool:
        """Whether the directory is an obs-lint cache one can write into, creating it if
        missing (decided once per instance: a run checks it up front, ``usable_cache_dir``)."""
        if self._usable is None:
            try:
                self._usable = ensure_cache_dir(self.directory or "") is not None
            except CacheDirError:
                self._usable = False
        return self._usable


class CacheDirError(UsageError):
    """``cache-dir`` names something obs-lint must not write its cache into (exit 2)."""


def is_cache_dir(directory: str) -> bool:
    """True if ``directory`` carries obs-lint's marker: its ``CACHEDIR.TAG`` or its
    ``.gitignore`` (byte for byte what obs-lint writes; either is enough: an older obs-lint
    wrote both, and a user may have deleted one)."""
    for name, text in MARKERS:
        try:
            if read_regular(os.path.join(directory, name), 4096,
                            follow_symlinks=False) == text.encode():
                return True
        except ReadRefused:
            continue
    return False


def ensure_cache_dir(directory: str, label: str = "") -> str | None:
    """The cache directory, ready to write into: ``directory`` if it is an obs-lint cache,
    created (with its markers) if it did not exist. None when it cannot be made (a read-only
    checkout, a regular file in its place): the cache is then off, which only costs speed.

    Raises CacheDirError for an existing directory obs-lint did not create (no marker), or a
    symbolic link; its message starts with ``label`` (default: the directory).
    """
    label = label or directory
    try:
        st = os.lstat(directory)
    except FileNotFoundError:
        return _create(directory, label)
    except OSError:
        return None
    if stat.S_ISLNK(st.st_mode):
        raise CacheDirError(f"{label} is a symbolic link; obs-lint never writes its cache "
                            "through a link (set cache-dir to the directory it points to)")
    if not stat.S_ISDIR(st.st_mode):
        return None
    if not is_cache_dir(directory):
        raise CacheDirError(f"{label} is an existing directory that obs-lint did not create "
                            "(no obs-lint CACHEDIR.TAG in it); refusing to use it as the cache "
                            "(set cache-dir to a new directory, e.g. the default "
                            ".obs-lint-cache)")
    return directory


def _create(directory: str, label: str) -> str | None:
    """Create the cache directory with its markers in one step: built under a temporary name
    in the same parent and renamed into place, so no run ever sees it without its markers (a
    concurrent run that created it first wins; its directory is then checked as usual)."""
    parent = os.path.dirname(os.path.abspath(directory))
    try:
        os.makedirs(parent, exist_ok=True)
        tmp = tempfile.mkdtemp(prefix=f".{os.path.basename(os.path.abspath(directory))}.new-",
                               dir=parent)
    except OSError:
        return None
    try:
        os.chmod(tmp, default_dir_mode())  # mkdtemp makes it private; a cache is not
        fd = open_dir(tmp)
        try:
            for name, text in MARKERS:
                write_in_dir(fd, name, text.encode(), mode=0o644)
        finally:
            os.close(fd)
        os.rename(tmp, directory)
        return directory
    except OSError:
        shutil.rmtree(tmp, ignore_errors=True)
        if os.path.isdir(directory) and not os.path.islink(directory):
            return ensure_cache_dir(directory, label)  # created meanwhile by another run
        return None


def cached_pack(directory: str, data: bytes, shown: str,
                parse: Callable[[bytes, str], Pack]) -> Pack:
    """``parse(data, shown)``, or the Pack it returned last time for the same bytes and engine.

    A pack that fails validation raises (PackError) as always and is never stored.
    """
    from .codec import CorruptEntry, decode_object, encode_object

    cache = FactCache(directory, PACKS)
    key = pack_key(data, shown)
    body = cache.get(key)
    if body is not None:
        try:
            pack = decode_object(body)
            if isinstance(pack, Pack):
                return pack
        except CorruptEntry:
            pass
    pack = parse(data, shown)
    cache.put(key, encode_object(pack))
    return pack


def cache_dir(root: str, configured: str) -> str:
    """Absolute cache directory: ``cache-dir`` is relative to the project root."""
    return configured if os.path.isabs(configured) else os.path.join(root, configured)


def cache_label(root: str, configured: str, where: str = "") -> str:
    """How messages name the cache directory: the path (relative to the current directory when
    below it), with where ``cache-dir`` was set and its value when it was configured."""
    path = os.path.abspath(cache_dir(root, configured))
    rel = os.path.relpath(path)
    shown = path if rel.startswith("..") else rel
    return f"{where}: cache-dir {configured!r} ({shown})" if where else shown


def usable_cache_dir(root: str, configured: str, where: str = "") -> str | None:
    """The run's cache directory (``ensure_cache_dir``), checked before anything is read or
    written: CacheDirError (exit 2) if it is not obs-lint's; None: no cache this run."""
    return ensure_cache_dir(cache_dir(root, configured), cache_label(root, configured, where))


@dataclass
class Cleared:
    """What ``clear`` did: entries removed, files left because obs-lint did not write them,
    and the errors (path, reason) of entries it could not remove."""

    removed: int = 0
    kept: list[str] = field(default_factory=list)
    errors: list[tuple[str, str]] = field(default_factory=list)
    removed_dir: bool = False


def clear(directory: str) -> Cleared:
    """Delete the cache's entries: the files obs-lint wrote (entry files in their namespace and
    prefix folders, temporary files of interrupted writes), then the markers and the directory
    itself when nothing else is left in it. Never follows a symbolic link, never deletes a file
    it did not write.

    Raises CacheDirError for a directory that is not an obs-lint cache (no marker), a symbolic
    link or a non-directory, so a mistyped ``cache-dir`` can never delete someone's files.
    """
    done = Cleared()
    try:
        st = os.lstat(directory)
    except FileNotFoundError:
        return done
    if stat.S_ISLNK(st.st_mode):
        raise CacheDirError(f"{directory} is a symbolic link; not clearing a cache through "
                            "a link (run it with cache-dir set to the directory it points to)")
    if not stat.S_ISDIR(st.st_mode) or not is_cache_dir(directory):
        raise CacheDirError(f"{directory} does not look like an obs-lint cache (no obs-lint "
                            "CACHEDIR.TAG or .gitignore inside); not deleting it")
    top = open_dir(directory)
    try:
        for ns in NAMESPACES:
            _clear_namespace(top, directory, ns, done)
        left = sorted(os.listdir(top))
        marker_names = {name for name, _ in MARKERS}
        others = [n for n in left if n not in marker_names]
        # a namespace folder still there holds files reported above
        done.kept.extend(os.path.join(directory, n) for n in others if n not in NAMESPACES)
        if not others and not done.errors:
            for name in left:
                try:
                    os.unlink(name, dir_fd=top)
                except OSError as exc:
                    done.errors.append((os.path.join(directory, name), exc.strerror or str(exc)))
    finally:
        os.close(top)
    if not done.kept and not done.errors:
        try:
            os.rmdir(directory)
            done.removed_dir = True
        except OSError as exc:
            done.errors.append((directory, exc.strerror or str(exc)))
    return done


def _clear_namespace(top: int, directory: str, ns: str, done: Cleared) -> None:
    where = os.path.join(directory, ns)
    try:
        ns_fd = open_dir(ns, top)
    except FileNotFoundError:
        return
    except OSError:
        done.kept.append(where)  # a link or a file under our folder's name: not ours
        return
    try:
        for prefix in sorted(os.listdir(ns_fd)):
            sub = os.path.join(where, prefix)
            if not re.fullmatch(r"[0-9a-f]{2}", prefix):
                done.kept.append(sub)
                continue
            try:
                p_fd = open_dir(prefix, ns_fd)
            except OSError:
                done.kept.append(sub)
                continue
            try:
                for name in sorted(os.listdir(p_fd)):
                    ours = name.startswith(".tmp-") or (
                        _ENTRY_NAME.fullmatch(name) is not None and name[:2] == prefix)
                    if not ours:
                        done.kept.append(os.path.join(sub, name))
                        continue
                    try:
                        os.unlink(name, dir_fd=p_fd)
                    except IsADirectoryError:
                        done.kept.append(os.path.join(sub, name))
                        continue
                    except OSError as exc:
                        done.errors.append((os.path.join(sub, name), exc.strerror or str(exc)))
                        continue
                    if not name.startswith(".tmp-"):
                        done.removed += 1
            finally:
                os.close(p_fd)
            try:
                os.rmdir(prefix, dir_fd=ns_fd)
            except OSError:
                pass  # not empty: what is left was reported above
    finally:
        os.close(ns_fd)
    try:
        os.rmdir(ns, dir_fd=top)
    except OSError:
        pass
