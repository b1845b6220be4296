"""Fact extraction: the only stage that reads and parses file contents.

``extract_file`` turns one discovered file into ``FileFacts``: read bytes, hash them, decode,
find suppression comments, decide (from the active rules' text patterns) whether anything can
react to the file, and if so parse it with the extractor of its kind. Every failure becomes a
``Problem`` on the facts, never an exception, so one bad file cannot stop a run.
"""

from __future__ import annotations

import errno
import os
from dataclasses import dataclass
from typing import Callable, Iterable

from ..fileio import DEFAULT_MAX_BYTES, ReadRefused, read_regular
from .model import IMPORTS_ONLY, FileFacts, Problem, Suppression
from .source import DecodeError, decode, digest, line_count, suppressions
from ..types import FileKind, SourceFile, Span

# ``extractor(path, text)``; the Python extractor also takes ``needs=`` (see ``_python``)
Extractor = Callable[..., "tuple[object, tuple[Problem, ...]]"]


def _lazy(module: str) -> Extractor:
    """The ``extract`` function of ``module``, imported on first use: a run whose files are all
    cached never imports libcst or pglast (their import is a large part of a warm run)."""
    def extract(path: str, text: str, **options: object) -> "tuple[object, tuple[Problem, ...]]":
        from importlib import import_module

        return import_module(module, __name__).extract(path, text, **options)

    extract.__qualname__ = f"extract[{module}]"
    return extract


def _python(path: str, text: str, needs: str = "") -> "tuple[object, tuple[Problem, ...]]":
    """Python facts, after CPython's parser has ruled out nesting that would crash libcst's
    native parser (a SIGSEGV no ``except`` can catch), with CPython's message and position for
    a syntax error both parsers agree on (see ``facts/guard.py``).

    ``needs``: the kinds of facts the rules covering this file can read ("" = all of them;
    ``"imports"`` = only imports, which CPython's tree then gives without any libcst parse,
    unless ``facts/ast_positions.imports_from_ast`` cannot vouch for them).
    """
    from .guard import cpython_verdict, reconcile

    verdict = cpython_verdict(text)
    if verdict.refuse is not None:
        return None, (verdict.refuse,)
    if needs == IMPORTS_ONLY and verdict.tree is not None:
        # every rule covering the file reads only its imports: CPython's tree, which the guard
        # has just built, holds them all (no libcst parse; see facts/ast_positions.py)
        from .ast_positions import imports_from_ast

        facts = imports_from_ast(verdict.tree, text)
        if facts is not None:
            return facts, ()
    payload, problems = _parse_python(path, text, needs=needs, tree=verdict.tree)
    return payload, reconcile(tuple(problems), verdict)


_parse_python = _lazy(".python")

# One extractor per file kind. A new file kind is one module in facts/ plus one line here.
EXTRACTORS: dict[FileKind, Extractor] = {
    FileKind.PYTHON: _python,
    FileKind.YAML: _lazy(".yaml_doc"),
    FileKind.SQL: _lazy(".sql"),
}

# The modules each kind's extractor imports on first use (``preload``).
_MODULES: dict[FileKind, tuple[str, ...]] = {
    FileKind.PYTHON: (".guard", ".python"),
    FileKind.YAML: (".yaml_doc",),
    FileKind.SQL: (".sql",),
}


def preload(kind: FileKind, needs: str = "") -> None:
    """Import a kind's extractor modules now (libcst, pglast: ~0.3-0.7 s), so that the first
    file of a run does not spend its per-file time budget on the parser's import. A Python
    file wanted for its imports only (``needs`` "imports") is read from CPython's tree: libcst
    is imported only if that declines (``facts/ast_positions.py``)."""
    from importlib import import_module

    modules = _MODULES.get(kind, ())
    if kind is FileKind.PYTHON and needs == IMPORTS_ONLY:
        modules = (".guard", ".ast_positions")
    for module in modules:
        import_module(module, __name__)


def read_bytes(src: SourceFile, max_bytes: int = DEFAULT_MAX_BYTES) -> tuple[bytes | None, Problem | None]:
    """Read a file; a vanished/unreadable/oversized/non-regular file is a Problem, not an exception.

    ``fileio.read_regular`` (shared with every other input): the file is opened non-blocking
    and checked with ``fstat`` before anything is read, so a FIFO named ``x.py`` cannot block
    the run and a device cannot stream without end; checking the open descriptor, not the path,
    leaves no window for the file to be swapped. At most ``max_bytes`` are read.
    """
    try:
        return read_regular(src.abs_path, max_bytes), None
    except ReadRefused as exc:
        if exc.code == "too-large":
            return None, Problem("skipped", f"file is {exc.size:,} bytes, over the "
                                            f"{max_bytes:,}-byte budget (max-file-bytes); "
                                            "not analysed")
        if exc.exc is not None and not exc.message.startswith("cannot read:"):
            return None, Problem("read-error", _open_failure(src.abs_path, exc.exc))
        return None, Problem("read-error", exc.message)


def _open_failure(path: str, exc: OSError) -> str:
    """The read-error message for a file that could not be opened, naming the actual cause."""
    if exc.errno == errno.ELOOP:
        return "symbolic link loop; not read"
    if isinstance(exc, FileNotFoundError):
        if os.path.islink(path):
            try:
                target = os.readlink(path)
            except OSError:
                target = "?"
            return f"broken symbolic link (its target {target} does not exist); not read"
        return "file vanished before it could be read"
    if isinstance(exc, IsADirectoryError):
        return "is a directory, not a file"
    if isinstance(exc, PermissionError):
        return "permission denied"
    return f"cannot read: {exc.strerror or exc}"


@dataclass(frozen=True, slots=True)
class Prepared:
    """A file some active rule can react to: everything about it except the extractor's result.

    ``extract_file`` is ``prepare_file`` + extractor + ``finish_file``; the run scheduler
    (``analyzer.extract``) calls the halves itself so the middle can come from the cache or a
    worker process.
    """

    src: SourceFile
    digest: str
    text: str
    suppressions: tuple[Suppression, ...]
    problems: tuple[Problem, ...]  # malformed suppression markers
    lines: int
    marks: frozenset[str] = frozenset()  # FileFacts.marks


def prepare_file(src: SourceFile, patterns: tuple[str, ...] | None, data: bytes | None = None,
                 max_bytes: int = DEFAULT_MAX_BYTES, reach: tuple[str, ...] = ()
                 ) -> FileFacts | Prepared:
    """Read, hash, decode and prefilter one file: its final FileFacts if nothing needs parsing
    (unreadable, undecodable, skip-file, or no rule can react to its text), else ``Prepared``.
    ``reach``: the plan's reach patterns; those the text holds become ``marks``."""
    problem: Problem | None = None
    if data is None:
        data, problem = read_bytes(src, max_bytes)
    if data is None:
        return FileFacts(path=src.path, kind=src.kind, digest="", problems=(problem,) if problem else ())
    dig = digest(data)
    try:
        text = decode(data, src.kind)
    except DecodeError as exc:
        return FileFacts(path=src.path, kind=src.kind, digest=dig,
                         problems=(Problem("parse-error", f"cannot decode: {exc.message}",
                                           Span(exc.line, 1, exc.line, 1)),))
    sups, skip, sup_problems = suppressions(text, src.kind)
    lines = line_count(text, src.kind)
    if skip:
        return FileFacts(path=src.path, kind=src.kind, digest=dig, suppressions=sups,
                         skip_file=True, lines=lines)
    extractor = EXTRACTORS.get(src.kind)
    wanted = extractor is not None and (patterns is None or any(p in text for p in patterns))
    if not wanted:
        return FileFacts(path=src.path, kind=src.kind, digest=dig, suppressions=sups,
                         problems=sup_problems, lines=lines)
    marks = frozenset(p for p in reach if p in text)
    return Prepared(src=src, digest=dig, text=text, suppressions=sups, problems=sup_problems,
                    lines=lines, marks=marks)


def finish_file(prep: Prepared, payload: object, problems: tuple[Problem, ...],
                patterns: "Callable[[], Iterable[str]] | None" = None,
                facts_digest: str = "") -> FileFacts:
    """The FileFacts of a prepared file, given its extractor's result.

    ``patterns``: the text patterns of the rules covering the file, asked for only when the file
    has problems, to record which of them its text holds (``FileFacts.hits``).
    ``facts_digest``: the digest of the result's encoding, when it was encoded (the cache)."""
    src = prep.src
    every = prep.problems + tuple(problems)
    hits = None
    if every and patterns is not None:
        hits = frozenset(p for p in patterns() if p in prep.text)
    return FileFacts(path=src.path, kind=src.kind, digest=prep.digest, parsed=True,
                     problems=every, suppressions=prep.suppressions, payload=payload,
                     lines=prep.lines, hits=hits, marks=prep.marks, facts_digest=facts_digest)


def extract_file(src: SourceFile, patterns: tuple[str, ...] | None,
                 data: bytes | None = None, max_bytes: int = DEFAULT_MAX_BYTES) -> FileFacts:
    """Facts of one file.

    ``patterns``: None = some rule needs this file parsed whatever it contains; a tuple = parse
    only if one of these strings occurs in the text (an empty tuple = no rule covers the file).
    ``data`` may be passed when the caller already read the bytes (cache lookup hashed them).
    """
    prep = prepare_file(src, patterns, data, max_bytes)
    if isinstance(prep, FileFacts):
        return prep
    try:
        payload, problems = EXTRACTORS[src.kind](src.path, prep.text)
    except Exception as exc:  # noqa: BLE001 - an engine bug must not stop the run
        payload, problems = None, (Problem(
            "internal-error", f"{type(exc).__name__} while extracting facts: {exc}"),)
    return finish_file(prep, payload, problems)
