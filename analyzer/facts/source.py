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


class DecodeError(Exception):
    def __init__(self, message: str, line: int = 1) -> None:
        super().__init__(message)
        self.message = message
        self.line = line


def digest(data: bytes) -> str:
    return hashlib.blake2b(data, digest_size=16).hexdigest()


def _line_of_offset(data: bytes, offset: int) -> int:
    return data.count(b"\n", 0, offset) + 1


def decode(data: bytes, kind: FileKind) -> str:
    """Decode file bytes to text or raise DecodeError naming the line of the bad byte."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE, codecs.BOM_UTF32_LE,
                        codecs.BOM_UTF32_BE)) and not data.startswith(codecs.BOM_UTF8):
        raise DecodeError("file is UTF-16/UTF-32 encoded; source files must be UTF-8 "
                          "(or declare an 8-bit encoding)")
    nul = data.find(b"\x00")
    if nul != -1:
        raise DecodeError("file contains NUL bytes", _line_of_offset(data, nul))
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
                          _line_of_offset(data, exc.start)) from None
    except LookupError:
        raise DecodeError(f"unknown encoding {encoding!r} in coding declaration") from None
    if text.startswith("\ufeff"):
        text = text[1:]
    return text


_SUPPRESS_RE = re.compile(r"#\s*obs-lint:\s*(ignore|skip-file)\b(?:\[([^\]]*)\])?")


def suppressions(text: str, kind: FileKind) -> tuple[tuple[Suppression, ...], bool, tuple[Problem, ...]]:
    """Find ``# obs-lint: ignore[...]`` and ``# obs-lint: skip-file`` comments.

    For Python the candidates are confirmed with the tokenizer so that the marker inside a
    string literal or docstring is not taken as a suppression (only files whose text contains
    the marker pay for tokenizing). YAML and SQL use the same ``#`` / ``--`` comment forms.
    Returns (suppressions, skip_file, problems) where problems report malformed markers.
    """
    if "obs-lint:" not in text:
        return (), False, ()
    comments: list[tuple[int, str]] = []
    if kind is FileKind.PYTHON:
        try:
            for tok in tokenize.generate_tokens(io.StringIO(text).readline):
                if tok.type == tokenize.COMMENT and "obs-lint:" in tok.string:
                    comments.append((tok.start[0], tok.string))
        except (tokenize.TokenError, SyntaxError, IndentationError, RecursionError):
            comments = _line_comments(text, "#")
    elif kind is FileKind.SQL:
        comments = [(ln, c.replace("--", "#", 1)) for ln, c in _line_comments(text, "--")]
    else:
        comments = _line_comments(text, "#")
    found: list[Suppression] = []
    skip = False
    for line, comment in comments:
        for m in _SUPPRESS_RE.finditer(comment):
            if m.group(1) == "skip-file":
                skip = True
                continue
            codes = tuple(c.strip() for c in (m.group(2) or "").split(",") if c.strip())
            found.append(Suppression(line=line, codes=codes))
    return tuple(found), skip, ()


def _line_comments(text: str, marker: str) -> list[tuple[int, str]]:
    out = []
    for i, line in enumerate(text.splitlines(), 1):
        pos = line.find(marker)
        if pos != -1 and "obs-lint:" in line[pos:]:
            out.append((i, line[pos:]))
    return out
