"""Import facts read from CPython's AST instead of libcst: their positions, or all of them.

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

``imports_from_ast`` goes one step further for such a file: its whole facts (imports, their
scopes, ``TYPE_CHECKING`` flags and texts, the module's import table) from CPython's tree
alone, so the file is never parsed by libcst at all (and a run whose parsed files are all
imports-only never imports libcst). It replays the imports-only libcst walk
(``facts/python/``, ``imports_only=True``) statement for statement; where CPython's tree
could say something else than libcst's would (an identifier CPython normalises, a byte-order
mark or form feed shifting columns) it returns None and the caller parses with libcst as
before. tests/test_positions.py proves the two give equal facts on every fixture file, the
standard library, the benchmark corpora and hypothesmith-generated programs.
"""

from __future__ import annotations

import ast
from typing import Any, Sequence

from ..types import Span
from .model import IMPORTS_ONLY, ImportedName, ImportFact, PythonFacts
from .source import LINE_BREAK

_TEXT_LIMIT = 240  # longest text of a fact (longer ones end with "...")
# a text holding one of these may import dynamically: such imports are calls, which only the
# full libcst walk records (``facts/python/``: ``imports_only``)
DYNAMIC_IMPORT_WORDS = ("import_module", "__import__")

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


# -- texts (shared with facts/python/) ----------------------------------------------------------


def _strip_comment(line: str) -> str:
    """Drop a trailing ``# comment`` from one source line (quotes respected)."""
    if "#" not in line:
        return line
    quote = ""
    i = 0
    while i < len(line):
        ch = line[i]
        if quote:
            if ch == "\\":
                i += 1
            elif line.startswith(quote, i):
                i += len(quote) - 1
                quote = ""
        elif ch in "'\"":
            quote = line[i:i + 3] if line[i:i + 3] in ("\'\'\'", '\"\"\"') else ch
            i += len(quote) - 1
        elif ch == "#":
            return line[:i]
        i += 1
    return line


def span_text(lines: Sequence[str], span: Span) -> str:
    """Source text under a span (``lines``: the source split at ``LINE_BREAK``),
    whitespace-normalised (fingerprints; no codegen)."""
    chunk_lines = lines[span.line - 1:span.end_line]
    if not chunk_lines:
        return ""
    if len(chunk_lines) == 1:
        chunk = chunk_lines[0][span.column - 1:span.end_column - 1]
    else:
        parts = [chunk_lines[0][span.column - 1:], *chunk_lines[1:-1],
                 chunk_lines[-1][:span.end_column - 1]]
        chunk = "\n".join(_strip_comment(p) for p in parts)
    chunk = " ".join(chunk.split())
    return chunk if len(chunk) <= _TEXT_LIMIT else chunk[:_TEXT_LIMIT] + "..."


# -- the whole imports-only extraction ------------------------------------------------------------


class _NotSure(Exception):
    """CPython's tree may not say what libcst's would: parse with libcst instead."""


class _Scope:
    """facts/python/scopes.py's ``_Scope`` as the imports-only walk uses it (no function info)."""

    __slots__ = ("qualname", "kind", "aliases", "parent")

    def __init__(self, qualname: str, kind: str, parent: "_Scope | None") -> None:
        self.qualname = qualname
        self.kind = kind  # module | class | function
        self.aliases: dict[str, str] = {}
        self.parent = parent

    def resolve_head(self, name: str) -> str | None:
        scope: _Scope | None = self
        first = True
        while scope is not None:
            if first or scope.kind != "class":  # class bodies are invisible from functions
                hit = scope.aliases.get(name)
                if hit is not None:
                    return hit
            first = False
            scope = scope.parent
        return None


def _dotted(node: ast.expr) -> str:
    """facts/python/values.py's ``dotted`` over CPython's expression nodes."""
    parts: list[str] = []
    while True:
        cls = type(node)
        if cls is ast.Name:
            parts.append(node.id)  # type: ignore[attr-defined]
            break
        if cls is ast.Attribute:
            parts.append(node.attr)  # type: ignore[attr-defined]
            node = node.value  # type: ignore[attr-defined]
            continue
        if cls is ast.Call:
            inner = _dotted(node.func)  # type: ignore[attr-defined]
            parts.append(f"{inner}()" if inner else "()")
            break
        if cls is ast.Subscript:
            inner = _dotted(node.value)  # type: ignore[attr-defined]
            parts.append(f"{inner}[]" if inner else "[]")
            break
        parts.append("?")
        break
    return ".".join(reversed(parts))


_TC = ("typing.TYPE_CHECKING", "typing_extensions.TYPE_CHECKING")


class _Walk:
    def __init__(self, source: str) -> None:
        self.lines = LINE_BREAK.split(source)
        self.scope = _Scope("", "module", None)
        self.module_scope = self.scope
        self.type_checking = 0
        self.imports: list[ImportFact] = []

    def _resolve(self, text: str) -> str:
        if not text or text[0] in "(?[":
            return ""
        head, _, rest = text.partition(".")
        if head.endswith("()") or head.endswith("[]"):
            return ""
        target = self.scope.resolve_head(head)
        if target is None:
            return ""
        return f"{target}.{rest}" if rest else target

    def body(self, stmts: list[ast.stmt]) -> None:
        for stmt in stmts:
            self.stmt(stmt)

    def stmt(self, node: ast.stmt) -> None:
        cls = type(node)
        if cls is ast.Import or cls is ast.ImportFrom:
            self.on_import(node)  # type: ignore[arg-type]
        elif cls is ast.FunctionDef or cls is ast.AsyncFunctionDef or cls is ast.ClassDef:
            parent = self.scope
            base = parent.qualname
            if parent.kind == "function":
                base = f"{base}.<locals>"
            name = node.name  # type: ignore[attr-defined]
            self.scope = _Scope(f"{base}.{name}" if base else name,
                                "class" if cls is ast.ClassDef else "function", parent)
            self.body(node.body)  # type: ignore[attr-defined]
            self.scope = parent
        elif cls is ast.If:
            test = node.test  # type: ignore[attr-defined]
            text = _dotted(test) if type(test) in (ast.Name, ast.Attribute) else ""
            is_tc = bool(text) and (text == "TYPE_CHECKING" or text.endswith(".TYPE_CHECKING")) \
                and (self._resolve(text) in _TC or text in ("typing.TYPE_CHECKING",
                                                             "TYPE_CHECKING"))
            if is_tc:
                self.type_checking += 1
            self.body(node.body)  # type: ignore[attr-defined]
            if is_tc:
                self.type_checking -= 1
            self.body(node.orelse)  # type: ignore[attr-defined]
        elif cls is ast.AnnAssign:
            target = node.target  # type: ignore[attr-defined]
            if (target.lineno, target.col_offset) != (node.lineno, node.col_offset):
                # a parenthesised annotated target, ``(x): int``: valid Python that libcst's
                # parser rejects; the parse error it reports is libcst's to give
                raise _NotSure
        elif cls is ast.Match:
            for case in node.cases:  # type: ignore[attr-defined]
                self.body(case.body)
        else:  # with, for, while, try: their blocks in source order
            body = getattr(node, "body", None)
            if body and type(body) is list:
                self.body(body)
                for holder in getattr(node, "handlers", ()) or ():  # try/except
                    self.body(holder.body)
                for name in ("orelse", "finalbody"):
                    sub = getattr(node, name, None)
                    if sub and type(sub) is list:
                        self.body(sub)

    def _span(self, node: ast.Import | ast.ImportFrom) -> Span:
        if node.end_lineno is None or node.end_col_offset is None:
            raise _NotSure
        line, end_line = node.lineno, node.end_lineno
        if not all(part.isascii() for part in self.lines[line - 1:end_line]):
            # CPython normalises identifiers (NFKC) where libcst keeps their source text,
            # and its columns are UTF-8 offsets: leave such a statement to libcst
            raise _NotSure
        return Span(line, node.col_offset + 1, end_line, node.end_col_offset + 1)

    def on_import(self, node: ast.Import | ast.ImportFrom) -> None:
        span = self._span(node)
        scope = self.scope
        names: list[ImportedName] = []
        if type(node) is ast.Import:
            for alias in node.names:
                mod, asname = alias.name, alias.asname
                names.append(ImportedName(mod, asname))
                if asname:
                    scope.aliases[asname] = mod
                else:
                    head = mod.split(".")[0]
                    scope.aliases[head] = head
            kind, module, level = "import", "", 0
        else:
            module = node.module or ""
            level = node.level or 0
            for alias in node.names:
                name, asname = alias.name, alias.asname
                names.append(ImportedName(name, asname if name != "*" else None))
                if name == "*":
                    continue
                if level == 0 and module:
                    scope.aliases[asname or name] = f"{module}.{name}"
                else:
                    scope.aliases.pop(asname or name, None)  # local module, not an SDK
            kind = "from"
        self.imports.append(ImportFact(
            kind=kind, module=module, names=tuple(names), level=level,
            type_checking=self.type_checking > 0, scope=scope.qualname, span=span,
            text=span_text(self.lines, span)))


def imports_from_ast(tree: ast.Module, source: str) -> PythonFacts | None:
    """The imports-only facts of ``source`` from CPython's ``tree`` of it, equal to what the
    imports-only libcst walk extracts; None when that cannot be vouched for (then parse with
    libcst): a byte-order mark, a form feed, a non-ASCII import statement, a text that may
    import dynamically (those imports are calls), or a construct CPython accepts and libcst
    does not parse (a parenthesised annotated target): libcst's parse error stays the answer
    there, whichever rules cover the file."""
    if source.startswith("\ufeff") or "\f" in source or any(
            w in source for w in DYNAMIC_IMPORT_WORDS):
        return None
    walk = _Walk(source)
    try:
        walk.body(tree.body)
    except (_NotSure, IndexError, RecursionError):
        return None
    imports = sorted(walk.imports, key=lambda i: (i.span.line, i.span.column))
    return PythonFacts(imports=tuple(imports),
                       aliases=tuple(sorted(walk.module_scope.aliases.items())),
                       extracted=IMPORTS_ONLY)
