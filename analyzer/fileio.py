"""Every read of an input and every write of an output goes through here.

Reads (``read_regular``): packs, baselines, JUnit files, configuration files, cache entries and
the checked source files (``facts.read_bytes``) are opened non-blocking, checked with ``fstat``
on the open descriptor (no window for the path to be swapped) and read only if they are regular
files, never more than a byte budget: a FIFO named ``results.xml`` would otherwise hang the run
forever, and a link to ``/dev/zero`` would read without end.

Writes (``write_atomic``): reports, baselines, ``--add-ignore`` edits, ``obs-lint init`` and
cache entries are written to a temporary file in the target's own directory, flushed to disk
(``fsync``; cache entries skip it: a torn entry fails its checksum and is rebuilt), and moved
into place with ``os.replace``. A reader (or a crash, or a full disk) never sees half a file:
either the old bytes or the new ones. The target keeps its permission bits (and, where the
writer may set them, its owner and group). The target's directory must be writable: a
temporary file is created there. A symbolic link is
written through (its target is replaced, the link stays a link); anything at the path that is
not a regular file (a directory, a device, a FIFO) is refused, never replaced.
"""

from __future__ import annotations

import errno
import os
import stat
from typing import Callable

_O_BINARY = getattr(os, "O_BINARY", 0)
_O_NONBLOCK = getattr(os, "O_NONBLOCK", 0)
_O_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_O_DIRECTORY = getattr(os, "O_DIRECTORY", 0)
_CHUNK = 1 << 20
DEFAULT_MAX_BYTES = 10 * 1024 * 1024  # max-file-bytes: the byte budget of a source file
# Packs, baselines, JUnit and configuration files have their own natural sizes (a JUnit file
# of a large suite with captured output runs to tens of MB): their budget is max-file-bytes
# or this, whichever is larger (``input_budget``).
INPUT_FLOOR = 64 * 1024 * 1024


def input_budget(max_file_bytes: int = DEFAULT_MAX_BYTES) -> int:
    """The byte budget of a pack, baseline, JUnit or configuration file: ``max-file-bytes``
    (0: no limit) but never less than ``INPUT_FLOOR``."""
    return 0 if not max_file_bytes else max(max_file_bytes, INPUT_FLOOR)


class ReadRefused(Exception):
    """A file that was not read. ``message`` does not name the file (callers do); ``code`` is
    ``read-error`` or ``too-large`` (over the byte budget: ``size`` is its size)."""

    def __init__(self, message: str, code: str = "read-error", size: int = 0,
                 exc: OSError | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.size = size
        self.exc = exc


class WriteRefused(Exception):
    """A write that did not happen (the target is untouched). ``message`` does not name the
    file."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def file_type(mode: int) -> str:
    """What a non-regular file is, for messages ("a FIFO", "a character device", ...)."""
    for test, name in ((stat.S_ISDIR, "a directory"), (stat.S_ISLNK, "a symbolic link"),
                       (stat.S_ISFIFO, "a FIFO"), (stat.S_ISSOCK, "a socket"),
                       (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device")):
        if test(mode):
            return name
    return "not a regular file"


def _strerror(exc: OSError) -> str:
    if exc.errno == errno.ELOOP:
        return "symbolic link loop (or a link where none is allowed)"
    return exc.strerror or str(exc)


def read_regular(path: str, max_bytes: int, *, follow_symlinks: bool = True,
                 dir_fd: int | None = None) -> bytes:
    """The bytes of the regular file ``path``, at most ``max_bytes`` of them (0: no limit).

    Raises ReadRefused (never blocks): for a path that cannot be opened, anything but a regular
    file (FIFO, socket, device, directory: ``fstat`` of the open descriptor decides), and a file
    over ``max_bytes`` (``code="too-large"``). ``follow_symlinks=False``: a symbolic link is
    refused too (the cache never reads through one).
    """
    flags = os.O_RDONLY | _O_NONBLOCK | _O_BINARY | (0 if follow_symlinks else _O_NOFOLLOW)
    try:
        fd = os.open(path, flags, dir_fd=dir_fd)
    except OSError as exc:
        raise ReadRefused(_strerror(exc), exc=exc) from None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            what = file_type(st.st_mode)
            raise ReadRefused("is a directory, not a file" if what == "a directory" else
                              f"not a regular file ({what}); not read")
        if max_bytes and st.st_size > max_bytes:
            raise ReadRefused("over the byte budget", "too-large", st.st_size)
        chunks = []
        total = 0
        while True:
            want = _CHUNK if not max_bytes else min(_CHUNK, max_bytes + 1 - total)
            if want <= 0:
                break
            chunk = os.read(fd, want)
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
        data = b"".join(chunks)
        if max_bytes and len(data) > max_bytes:  # grew while being read
            raise ReadRefused("over the byte budget", "too-large", max(st.st_size, len(data)))
        return data
    except OSError as exc:
        raise ReadRefused(f"cannot read: {_strerror(exc)}", exc=exc) from None
    finally:
        os.close(fd)


def read_text(path: str, max_bytes: int, shown: str, error: Callable[[str], Exception],
              what: str = "file") -> str:
    """``read_regular`` + UTF-8 decoding (a BOM is accepted) for inputs named on the command
    line or in the configuration; any failure raises ``error(message)`` with one line naming
    ``shown``."""
    data = read_input(path, max_bytes, shown, error, what)
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise error(f"{shown}: {what} is not valid UTF-8 (byte {exc.start})") from None


def read_input(path: str, max_bytes: int, shown: str, error: Callable[[str], Exception],
               what: str = "file") -> bytes:
    """``read_regular`` for an input file: a refusal raises ``error("<shown>: ...")``."""
    try:
        return read_regular(path, max_bytes)
    except ReadRefused as exc:
        raise error(f"{shown}: {refusal(exc, max_bytes, what)}") from None


def refusal(exc: ReadRefused, max_bytes: int, what: str = "file") -> str:
    """The message for a refused read of an input (without the file name)."""
    if exc.code == "too-large":
        return (f"{what} is {exc.size:,} bytes, over the {max_bytes:,}-byte budget "
                f"(max-file-bytes, at least {INPUT_FLOOR:,} for inputs); not read")
    return f"cannot read {what}: {exc.message}"


# ---------------------------------------------------------------------------------------------
# Writes
# ---------------------------------------------------------------------------------------------

_UMASK: int | None = None


def _umask() -> int:
    global _UMASK
    if _UMASK is None:
        current = os.umask(0o022)
        os.umask(current)
        _UMASK = current
    return _UMASK


def default_mode() -> int:
    """The permission bits a new file gets (``0o666`` less the umask), like ``open(..., "w")``."""
    return 0o666 & ~_umask()


def default_dir_mode() -> int:
    """The permission bits a new directory gets (``0o777`` less the umask)."""
    return 0o777 & ~_umask()


def resolve_target(path: str) -> tuple[str, os.stat_result | None]:
    """Where writing ``path`` lands (a symbolic link's final target) and what is there now
    (None: nothing). Raises WriteRefused for anything but a regular file or nothing."""
    target = os.path.realpath(path) if os.path.islink(path) else path
    try:
        st = os.stat(target)
    except FileNotFoundError:
        if os.path.islink(target):  # realpath stopped at a loop
            raise WriteRefused("symbolic link loop; not written") from None
        return target, None
    except OSError as exc:
        raise WriteRefused(f"cannot write: {_strerror(exc)}") from None
    if not stat.S_ISREG(st.st_mode):
        raise WriteRefused(f"not a regular file ({file_type(st.st_mode)}); not replaced")
    return target, st


def write_atomic(path: str, data: bytes, *, mode: int | None = None,
                 durable: bool = True) -> str:
    """Replace the contents of ``path`` with ``data`` atomically; returns the file written.

    A temporary file in the target's directory receives the bytes (and ``fsync`` unless
    ``durable`` is False), takes the permission bits of the file it replaces (else ``mode``,
    else those of a new file), and is renamed over the target. A symbolic link is written
    through. On any failure the target is untouched, the temporary file removed, and
    WriteRefused says why.
    """
    target, st = resolve_target(path)
    parent = os.path.dirname(target) or "."
    bits = stat.S_IMODE(st.st_mode) if st is not None else (
        mode if mode is not None else default_mode())
    fd, tmp = _create_temp(parent, os.path.basename(target))
    try:
        try:
            _write_all(fd, data)
            if durable:
                os.fsync(fd)
            os.fchmod(fd, bits)
            if st is not None:
                _keep_owner(fd, st)
        finally:
            os.close(fd)
        os.replace(tmp, target)
    except OSError as exc:
        _unlink_quietly(tmp)
        raise WriteRefused(f"cannot write: {_strerror(exc)} (left unchanged)"
                           if st is not None else f"cannot write: {_strerror(exc)}") from None
    except BaseException:
        _unlink_quietly(tmp)
        raise
    if durable:
        _fsync_dir(parent)
    return target


def _keep_owner(fd: int, st: os.stat_result) -> None:
    """Give the new file the replaced file's owner and group when they differ from ours (only
    root may, e.g. ``--add-ignore`` run as root in a container on a user's checkout)."""
    if hasattr(os, "fchown") and (st.st_uid, st.st_gid) != (os.geteuid(), os.getegid()):
        try:
            os.fchown(fd, st.st_uid, st.st_gid)
        except OSError:
            pass  # not permitted: the file is ours now, as with any editor's atomic save


def write_in_dir(dir_fd: int, name: str, data: bytes, mode: int = 0o600,
                 durable: bool = False) -> None:
    """``write_atomic`` inside an open directory, never following a symbolic link (the cache:
    a link planted in it cannot redirect a write elsewhere). Raises OSError."""
    tmp = f".tmp-{os.getpid()}-{os.urandom(6).hex()}"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _O_NOFOLLOW | _O_BINARY, mode,
                 dir_fd=dir_fd)
    try:
        try:
            _write_all(fd, data)
            if durable:
                os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, name, src_dir_fd=dir_fd, dst_dir_fd=dir_fd)
    except BaseException:
        try:
            os.unlink(tmp, dir_fd=dir_fd)
        except OSError:
            pass
        raise


def open_dir(name: str, dir_fd: int | None = None, create: bool = False) -> int:
    """A descriptor of the directory ``name`` (relative to ``dir_fd``), refusing a symbolic
    link (OSError ELOOP/ENOTDIR); ``create``: make it first if missing."""
    flags = os.O_RDONLY | _O_DIRECTORY | _O_NOFOLLOW
    try:
        return os.open(name, flags, dir_fd=dir_fd)
    except FileNotFoundError:
        if not create:
            raise
    try:
        os.mkdir(name, 0o777, dir_fd=dir_fd)
    except FileExistsError:
        pass
    return os.open(name, flags, dir_fd=dir_fd)


def _create_temp(parent: str, base: str) -> tuple[int, str]:
    for _ in range(100):
        tmp = os.path.join(parent, f".{base}.{os.urandom(4).hex()}.tmp")
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _O_NOFOLLOW | _O_BINARY,
                         0o600)
        except FileExistsError:
            continue
        except OSError as exc:
            raise WriteRefused(f"cannot write: {_strerror(exc)}") from None
        return fd, tmp
    raise WriteRefused("cannot write: no free temporary file name")  # pragma: no cover


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        n = os.write(fd, view)
        view = view[n:]


def _fsync_dir(directory: str) -> None:
    """Make the rename itself durable (best effort: not every file system allows it)."""
    try:
        fd = os.open(directory, os.O_RDONLY | _O_DIRECTORY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _unlink_quietly(path: str) -> None:
    try:
        os.unlink(path)
    except OSError:
        pass
