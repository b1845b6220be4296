"""Reading a file's bytes and turning them into text, with every failure mode named.

Decoding follows Python's own rules for source files (PEP 263 coding cookie, UTF-8 BOM) so a
``# -*- coding: latin-1 -*-`` file is read correctly; config files (YAML, SQL) are UTF-8 (a BOM
is accepted). Invalid bytes are reported, never replaced, because a finding on mangled text
would not be true.
"""

from __future__ import annotations

import codecs
import hashlib
import io
import re
import tokenize

from .model import Problem, Suppression
from ..types import FileKind

# The line breaks of Python source as both parsers and the positions render count them
# (``str.splitlines`` also breaks at \f, \v, \x1c-\x1e, \x85, U+2028 and U+2029: never use it
# to find the text of a line number)
LINE_BREAK = re.compile(r"\r\n|\r|\n")

# One line-numbering rule per language: the line breaks its fact module's positions count, so
# that findings, suppression comments and ``--add-ignore`` edits agree on what "line N" is.
LINE_BREAKS: dict[FileKind, "re.Pattern[str]"] = {
    # libcst (``positions.py``) and CPython: CRLF, CR, LF; a form feed is whitespace
    FileKind.PYTHON: LINE_BREAK,
    # PyYAML's and libyaml's marks: CRLF, CR, LF, NEL, LS, PS (the YAML 1.1 line breaks)
    FileKind.YAML: re.compile("\r\n|\r|\n|\x85|\u2028|\u2029"),
    # ``facts/sql.py`` counts LF (psql's and PostgreSQL's error positions do); a CRLF line ends
    # at its LF, a lone CR or a form feed is inside a line
    FileKind.SQL: re.compile("\n"),
}


def split_lines(text: str, kind: FileKind, keepends: bool = False) -> list[str]:
    """``text`` cut into lines by ``kind``'s rule (``LINE_BREAKS``), never ``str.splitlines``:
    ``split_lines(text, kind)[n - 1]`` is the line a finding on line ``n`` points at. Like
    ``str.splitlines``, a final line break does not start an empty last line."""
    out: list[str] = []
    start = 0
    for m in LINE_BREAKS[kind].finditer(text):
        out.append(text[start:m.end() if keepends else m.start()])
        start = m.end()
    if start < len(text):
        out.append(text[start:])
    return out


def line_count(text: str, kind: FileKind) -> int:
    """How many lines ``text`` has by ``kind``'s rule (a final line break ends the last)."""
    rx = LINE_BREAKS[kind]
    return sum(1 for _ in rx.finditer(text)) + (1 if text and not rx.fullmatch(text[-1]) else 0)


def end_of_line(line: str, kind: FileKind) -> tuple[str, str]:
    """(body, line break) of one line from ``split_lines(..., keepends=True)``."""
    m = _EOL[kind].search(line)
    return (line[:m.start()], m.group()) if m else (line, "")


_EOL = {kind: re.compile(f"(?:{rx.pattern})\\Z") for kind, rx in LINE_BREAKS.items()}


class DecodeError(Exception):
    def __init__(self, message: str, line: int = 1) -> None:
        super().__init__(message)
        self.message = message
        self.line = line


def digest(data: bytes) -> str:
    return hashlib.blake2b(data, digest_size=16).hexdigest()


def _line_of_offset(data: bytes, offset: int, kind: FileKind = FileKind.PYTHON) -> int:
    """The line (by ``kind``'s rule) of the byte at ``offset`` of undecodable ``data``."""
    before = data[:offset].decode("utf-8", "replace")
    return sum(1 for _ in LINE_BREAKS[kind].finditer(before)) + 1


def decode(data: bytes, kind: FileKind) -> str:
    """Decode file bytes to text or raise DecodeError naming the line of the bad byte."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE, codecs.BOM_UTF32_LE,
                        codecs.BOM_UTF32_BE)) and not data.startswith(codecs.BOM_UTF8):
        raise DecodeError("file is UTF-16/UTF-32 encoded; source files must be UTF-8 "
                          "(or declare an 8-bit encoding)")
    nul = data.find(b"\x00")
    if nul != -1:
        raise DecodeError("file contains NUL bytes", _line_of_offset(data, nul, kind))
    encoding = "utf-8"
    if kind is FileKind.PYTHON:
        try:
            encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
        except SyntaxError as exc:
            raise DecodeError(str(exc)) from None
    elif data.startswith(codecs.BOM_UTF8):
        encoding = "utf-8-sig"
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as exc:
        raise DecodeError(f"invalid {exc.encoding} byte {data[exc.start:exc.start + 1]!r}",
                          _line_of_offset(data, exc.start, kind)) from None
    except LookupError:
        raise DecodeError(f"unknown encoding {encoding!r} in coding declaration") from None
    if text.startswith("\ufeff"):
        text = text[1:]
    return text


_SUPPRESS_RE = re.compile(r"#\s*obs-lint:\s*(ignore|skip-file)\b")
# the code list after ``ignore``: up to the closing bracket, never across another comment
_CODES_RE = re.compile(r"[ \t]*\[([^\]#]*)(\]?)")


def suppressions(text: str, kind: FileKind) -> tuple[tuple[Suppression, ...], bool, tuple[Problem, ...]]:
    """Find ``# obs-lint: ignore[...]`` and ``# obs-lint: skip-file`` comments.

    Lines are numbered by the language's rule (``LINE_BREAKS``), the one its findings use.
    For Python the candidates are confirmed with the tokenizer so that the marker inside a
    string literal or docstring is not taken as a suppression (only files whose text contains
    the marker pay for tokenizing; CR and CRLF breaks are given to it as LF, one for one, so
    its line numbers are libcst's). YAML and SQL use the same ``#`` / ``--`` comment forms.
    A ``[`` that is never closed, or an empty ``[]``, makes a *malformed* suppression: it
    silences nothing (it used to act as a bare ``ignore``, silencing every rule) and is
    reported. Returns (suppressions, skip_file, problems); problems are always empty (a
    malformed comment does not make the file undecidable).
    """
    if "obs-lint:" not in text:
        return (), False, ()
    comments: list[tuple[int, str]] = []
    if kind is FileKind.PYTHON:
        flat = LINE_BREAK.sub("\n", text) if "\r" in text else text
        try:
            for tok in tokenize.generate_tokens(io.StringIO(flat).readline):
                if tok.type == tokenize.COMMENT and "obs-lint:" in tok.string:
                    comments.append((tok.start[0], tok.string))
        except (tokenize.TokenError, SyntaxError, IndentationError, RecursionError):
            comments = _line_comments(text, "#", kind)
    elif kind is FileKind.SQL:
        comments = [(ln, c.replace("--", "#", 1))
                    for ln, c in _line_comments(text, "--", kind)]
    else:
        comments = _line_comments(text, "#", kind)
    found: list[Suppression] = []
    skip = False
    for line, comment in comments:
        for m in _SUPPRESS_RE.finditer(comment):
            if m.group(1) == "skip-file":
                skip = True
                continue
            found.append(_parse_ignore(line, comment, m.end()))
    return tuple(found), skip, ()


def _parse_ignore(line: int, comment: str, at: int) -> Suppression:
    """The suppression written at ``comment[at:]`` (just after ``ignore``)."""
    m = _CODES_RE.match(comment, at)
    if m is None:
        return Suppression(line=line, codes=())  # bare: every rule
    codes = tuple(c.strip() for c in m.group(1).split(",") if c.strip())
    shown = comment[comment.rfind("obs-lint:", 0, at):m.end()].strip()
    if not m.group(2):
        return Suppression(line=line, codes=codes,
                           malformed=f"`{shown}` has no closing `]`")
    if not codes:
        return Suppression(line=line, codes=(), malformed=f"`{shown}` names no rule")
    return Suppression(line=line, codes=codes)


def _line_comments(text: str, marker: str, kind: FileKind) -> list[tuple[int, str]]:
    out = []
    for i, line in enumerate(split_lines(text, kind), 1):
        pos = line.find(marker)
        if pos != -1 and "obs-lint:" in line[pos:]:
            out.append((i, line[pos:]))
    return out
