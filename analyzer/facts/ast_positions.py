"""Positions of import statements read from CPython's AST instead of a libcst render.

Why: libcst nodes carry no positions, and computing them means rendering the whole module
(``facts/positions.py``, about a quarter of a libcst parse). When the rules covering a file only
read its imports (``forbid-import``: the commonest rule there is, and on a codebase like
MLflow's the only one that reacts to most files), the facts are a handful of import statements,
and CPython's parser, which the guard (``facts/guard.py``) runs over every file anyway, has
already put exact positions on them. Reading them from that tree costs a statement-level walk.

Trust: the two parsers must agree. The AST's import statements are collected in source order
and matched one-to-one, in order, with the ones the libcst walk found; kind, module, relative
level and every ``name as alias`` must be equal, or ``import_spans`` returns None and the caller
renders the libcst tree as usual. Columns are converted from CPython's UTF-8 byte offsets to
characters. Spans follow libcst's ``PositionProvider`` semantics, as the render's do (from the
``import``/``from`` keyword to the last name or the closing parenthesis);
tests/test_positions.py checks both ways agree on the fixtures, the standard library and the
benchmark corpora.
"""

from __future__ import annotations

import ast
from typing import Any, Sequence

from ..types import Span
from .source import LINE_BREAK

_COMPOUND_FIELDS = ("body", "orelse", "finalbody")


def _collect(stmts: Sequence[ast.stmt], out: list[ast.Import | ast.ImportFrom]) -> None:
    """Every import statement under ``stmts`` (statements only: expressions hold none)."""
    for stmt in stmts:
        cls = type(stmt)
        if cls is ast.Import or cls is ast.ImportFrom:
            out.append(stmt)  # type: ignore[arg-type]
            continue
        for name in _COMPOUND_FIELDS:
            sub = getattr(stmt, name, None)
            if sub and type(sub) is list:
                _collect(sub, out)
        for holder in getattr(stmt, "handlers", ()) or ():  # try/except
            _collect(holder.body, out)
        for case in getattr(stmt, "cases", ()) or ():  # match
            _collect(case.body, out)


def _same(fact: dict[str, Any], node: ast.Import | ast.ImportFrom) -> bool:
    """Whether a libcst import (its pending fact fields) and an AST import are one statement."""
    names = tuple((n.name, n.asname) for n in fact["names"])
    if fact["kind"] == "import":
        return type(node) is ast.Import and names == tuple((a.name, a.asname) for a in node.names)
    return (type(node) is ast.ImportFrom and fact["module"] == (node.module or "")
            and fact["level"] == node.level
            and names == tuple((a.name, a.asname) for a in node.names))


def _char_column(line: str, offset: int) -> int:
    """CPython's UTF-8 byte offset in ``line`` as a character offset."""
    if line.isascii():
        return offset
    return len(line.encode("utf-8")[:offset].decode("utf-8"))


def import_spans(tree: ast.Module, pending: Sequence[tuple[Any, dict[str, Any], Any]],
                 source: str) -> dict[int, Span] | None:
    """``id(libcst node) -> Span`` for each pending import ``(node, fields, scope)``, or None
    when the two parsers do not agree on the file's import statements."""
    found: list[ast.Import | ast.ImportFrom] = []
    _collect(tree.body, found)
    if len(found) != len(pending):
        return None
    if not found:
        return {}
    if source.startswith("\ufeff") or "\f" in source:
        # CPython skips a byte-order mark (columns of line 1 would be off by one), and libcst
        # drops a form feed from some statements' indentation where CPython counts it: the
        # render's columns are the ones every other fact has, so the render decides
        return None
    found.sort(key=lambda n: (n.lineno, n.col_offset))
    lines = LINE_BREAK.split(source)
    out: dict[int, Span] = {}
    try:
        for (node, fact, _scope), imp in zip(pending, found):
            if not _same(fact, imp) or imp.end_lineno is None or imp.end_col_offset is None:
                return None
            line, end_line = imp.lineno, imp.end_lineno
            col = _char_column(lines[line - 1], imp.col_offset)
            end_col = _char_column(lines[end_line - 1], imp.end_col_offset)
            out[id(node)] = Span(line, col + 1, end_line, end_col + 1)
    except (IndexError, UnicodeError):  # the tree does not describe this text
        return None
    return out
