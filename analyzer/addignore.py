"""``--add-ignore``: write ``# obs-lint: ignore[CODE]`` comments on today's findings.

The one feature that writes into checked files, and only when asked (like ruff's
``--add-noqa``): a way to adopt obs-lint on a legacy codebase one suppression at a time.

A suppression works on a finding's first or last line (see ``suppress``), so the comment goes
at the end of one of those lines (``-- obs-lint: ignore[...]`` in SQL); an existing
``obs-lint: ignore[...]`` comment on the line is extended instead. Every edit is verified
before it is kept:

* the file must mean the same thing afterwards: same Python AST, same YAML token stream, same
  SQL tokens (comments aside), so a comment never lands inside a multi-line string, a block
  scalar, a dollar-quoted body or after a line continuation;
* the suppression must actually be recognised on that line;
* line 1 starting with ``#!`` is never touched (a shebang cannot carry a comment).

Findings that cannot be annotated that way, and findings of the engine's own rules (parse,
read, budget and internal errors, stale suppressions: silencing them would hide a problem
rather than accept a debt), are reported back, never guessed at. The file's encoding
(PEP 263 cookie, BOM), line endings (a file without a final line break gets none) and
permission bits are preserved; lines are the ones findings are numbered by
(``facts.source.LINE_BREAKS``).

Each edited file is replaced atomically (``fileio.write_atomic``: a temporary file in the same
directory, fsync, ``os.replace``): on a full disk or any other failure the original bytes are
untouched and the error names the file. A symbolic link is edited through (it stays a link)
only if its target lies inside the project root; files are read as discovery reads them (regular
files only, within the byte budget).
"""

from __future__ import annotations

import ast
import codecs
import io
import os
import re
import tokenize
from dataclasses import dataclass, field
from typing import Callable, Sequence

import yaml

from .builtin import BUILTINS
from .discover import inside_root, kind_of
from .fileio import DEFAULT_MAX_BYTES, ReadRefused, WriteRefused, read_regular, write_atomic
from .facts.source import (LINE_BREAKS, DecodeError, decode, end_of_line, split_lines,
                           suppressions)
from .types import FileKind, Finding

_ENGINE_CODES = {b.code for b in BUILTINS}
_EXISTING = re.compile(r"(#|--)\s*obs-lint:\s*ignore\[([^\]]*)\]")


@dataclass
class AddIgnoreResult:
    added: int = 0
    files: set[str] = field(default_factory=set)
    skipped: list[tuple[Finding, str]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)  # "path: why" of files left unchanged


def _encoding(data: bytes, kind: FileKind) -> str:
    if kind is FileKind.PYTHON:
        enc, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
        return enc
    return "utf-8-sig" if data.startswith(codecs.BOM_UTF8) else "utf-8"


# -- meaning-preservation checks, one per file kind -------------------------------------------

def _python_meaning(text: str) -> object:
    return ast.dump(ast.parse(text))


def _yaml_meaning(text: str) -> object:
    return [(type(t).__name__, getattr(t, "value", None), getattr(t, "style", None))
            for t in yaml.scan(text, Loader=yaml.SafeLoader)]


def _sql_meaning(text: str) -> object:
    from pglast.parser import scan

    raw = text.encode("utf-8")
    return [(t.name, raw[t.start:t.end + 1]) for t in scan(text)
            if t.name not in ("SQL_COMMENT", "C_COMMENT")]


_MEANING: dict[FileKind, Callable[[str], object]] = {
    FileKind.PYTHON: _python_meaning, FileKind.YAML: _yaml_meaning, FileKind.SQL: _sql_meaning}


def _meaning(kind: FileKind, text: str) -> object | None:
    try:
        return _MEANING[kind](text)
    except Exception:  # noqa: BLE001 - any parser failure means "cannot verify"
        return None


# -- editing ------------------------------------------------------------------------------------

def _split_eol(line: str, kind: FileKind) -> tuple[str, str]:
    """(body, line break) by the language's rule; a CR before an SQL line's LF stays with the
    break (the comment goes before it, not between CR and LF)."""
    body, eol = end_of_line(line, kind)
    if eol == "\n" and body.endswith("\r"):
        body, eol = body[:-1], "\r\n"
    return body, eol


def _edit_line(line: str, code: str, marker: str, kind: FileKind = FileKind.PYTHON) -> str:
    """``line`` with the suppression added; its line break (none on a last line without one)
    is kept as it was."""
    body, eol = _split_eol(line, kind)
    m = _EXISTING.search(body)
    if m:
        codes = [c.strip() for c in m.group(2).split(",") if c.strip()]
        if code not in codes:
            codes.append(code)
        new = f"{m.group(1)} obs-lint: ignore[{', '.join(codes)}]"
        body = body[:m.start()] + new + body[m.end():]
    elif body.strip():
        body = f"{body.rstrip()}  {marker} obs-lint: ignore[{code}]"
    else:
        body = f"{body}{marker} obs-lint: ignore[{code}]"
    return body + eol


def _recognised(text: str, kind: FileKind, line: int, code: str) -> bool:
    sups, _, _ = suppressions(text, kind)
    return any(s.line == line and code in s.codes for s in sups)


class _FileEditor:
    def __init__(self, path: str, kind: FileKind, text: str) -> None:
        self.path = path
        self.kind = kind
        # the lines its findings are numbered by (facts.source.LINE_BREAKS), never
        # str.splitlines: a form feed or U+2028 must not shift the comment a line
        self.lines = split_lines(text, kind, keepends=True)
        first = LINE_BREAKS[kind].search(text)
        self.newline = "\r\n" if "\r\n" in text else (
            "\r" if first is not None and first.group() == "\r" else "\n")
        self.marker = "--" if kind is FileKind.SQL else "#"
        self.meaning = _meaning(kind, text)
        self.changed = False

    @property
    def text(self) -> str:
        return "".join(self.lines)

    def try_add(self, f: Finding) -> str:
        """Annotate one finding; return "" on success, else why not."""
        if self.meaning is None:
            return f"{self.path} does not parse, so an edit could not be verified"
        s = f.location.span
        why = "no line of the finding can carry a comment without changing the code"
        for line in dict.fromkeys((s.line, max(s.end_line, s.line))):
            if line == 1 and self.lines and self.lines[0].startswith("#!"):
                why = "line 1 is a shebang"
                continue
            candidate = list(self.lines)
            new_line = ""
            if line > len(candidate):
                if line != len(candidate) + 1:
                    continue
                if candidate and not _split_eol(candidate[-1], self.kind)[1]:
                    candidate[-1] += self.newline  # the comment starts a line of its own...
                else:  # ...which ends as the file's last line did (an empty file: with one)
                    new_line = self.newline
                candidate.append("")
            candidate[line - 1] = _edit_line(candidate[line - 1], f.code, self.marker,
                                             self.kind) + new_line
            new_text = "".join(candidate)
            if _meaning(self.kind, new_text) != self.meaning:
                continue
            if not _recognised(new_text, self.kind, line, f.code):
                continue
            self.lines = candidate
            self.changed = True
            return ""
        return why


def add_ignores(root: str, findings: Sequence[Finding],
                max_bytes: int = DEFAULT_MAX_BYTES) -> AddIgnoreResult:
    """Annotate ``findings`` in place; returns what was added, what could not be, and the files
    that could not be written (left unchanged)."""
    out = AddIgnoreResult()
    by_path: dict[str, list[Finding]] = {}
    for f in findings:
        if f.code in _ENGINE_CODES:
            out.skipped.append((f, "findings of the engine's own rules are not suppressed "
                                   "automatically; fix the cause"))
            continue
        by_path.setdefault(f.location.path, []).append(f)
    for path, items in sorted(by_path.items()):
        abs_path = os.path.join(root, path)
        kind = kind_of(path)
        if kind not in _MEANING or not os.path.isfile(abs_path):
            out.skipped.extend((f, f"{path} is not a Python, YAML or SQL file") for f in items)
            continue
        if not inside_root(root, abs_path):
            out.skipped.extend((f, f"{path} is a link to a file outside the project root; "
                                   "not edited") for f in items)
            continue
        try:
            data = read_regular(abs_path, max_bytes)
            encoding = _encoding(data, kind)
            text = decode(data, kind)
        except ReadRefused as exc:
            out.skipped.extend((f, f"cannot read {path}: {exc.message}") for f in items)
            continue
        except (SyntaxError, DecodeError, LookupError) as exc:
            out.skipped.extend((f, f"cannot read {path}: {exc}") for f in items)
            continue
        editor = _FileEditor(path, kind, text)
        added = 0
        for f in sorted(items, key=lambda x: x.sort_key):
            why = editor.try_add(f)
            if why:
                out.skipped.append((f, why))
            else:
                added += 1
        if editor.changed:
            new_data = editor.text.encode(encoding)
            if encoding == "utf-8-sig" and not new_data.startswith(codecs.BOM_UTF8):
                new_data = codecs.BOM_UTF8 + new_data  # pragma: no cover - codec adds it
            try:
                write_atomic(abs_path, new_data)
            except WriteRefused as exc:
                out.errors.append(f"{path}: {exc.message}")
                continue
            out.files.add(path)
            out.added += added
    return out
