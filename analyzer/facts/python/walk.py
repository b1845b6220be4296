"""The pruned walk: which fields of a libcst node hold child nodes worth visiting.

Why a hand-written walk instead of ``CSTVisitor``: libcst's visitor rebuilds every node it
passes (``_visit_and_replace_children``) and visits all whitespace and punctuation nodes; on
the stdlib that costs ~75% of the parse itself. This walker follows a per-type table of
child fields that excludes whitespace, comments and punctuation, and dispatches only the node
types facts are made from (``Walker.handlers``, filled by the extractor).
"""

from __future__ import annotations

import dataclasses
import functools
from typing import Any, Callable

import libcst as cst

_SKIP_FIELD_PREFIXES = ("whitespace", "lpar", "rpar", "leading_lines", "lines_after")
_SKIP_FIELDS = {
    "comma", "semicolon", "header", "footer", "trailing_whitespace", "equal", "colon", "dot",
    "operator", "newline", "default_indent", "default_newline", "encoding",
    "has_trailing_newline", "star", "asynchronous", "lbracket", "rbracket", "lbrace", "rbrace",
    "first_line", "last_line", "quote", "prefix", "start", "end", "arrow", "walrus",
    "star_tok", "indent",
}
_LEAF_TYPES: tuple[type, ...] = (
    cst.SimpleWhitespace, cst.ParenthesizedWhitespace, cst.TrailingWhitespace, cst.EmptyLine,
    cst.Newline, cst.Comment, cst.Comma, cst.Semicolon, cst.Colon, cst.Dot, cst.AssignEqual,
    cst.LeftParen, cst.RightParen, cst.LeftSquareBracket, cst.RightSquareBracket,
    cst.LeftCurlyBrace, cst.RightCurlyBrace, cst.Integer, cst.Float, cst.Imaginary,
    cst.SimpleString, cst.Ellipsis, cst.Pass, cst.Break, cst.Continue,
)
_STRING_TYPES = (cst.SimpleString, cst.ConcatenatedString)
_NOT_NAME_HOLDERS = frozenset((cst.SimpleString, cst.ConcatenatedString, cst.FormattedString)
                              + _LEAF_TYPES)
# Node types are tested with ``type(x) is C`` rather than ``isinstance``: libcst's node classes
# have ABCMeta as metaclass, so every isinstance call goes through ``ABCMeta.__instancecheck__``
# (a tenth of extraction, measured); the concrete classes tested here have no subclasses.
_FIELDS: dict[type, tuple[str, ...]] = {}
_SKIP, _NODE, _SEQ = 0, 1, 2
_VALUE_KIND: dict[type, int] = {}  # type of a field value -> how walk_children treats it


def _value_kind(cls: type) -> int:
    """_SEQ for tuples/lists, _NODE for CST nodes worth walking, _SKIP for leaves and data.

    Decided once per type (``isinstance`` against an ABC and a 25-type tuple per value was a
    fifth of the walk)."""
    kind = _VALUE_KIND.get(cls)
    if kind is None:
        if cls is tuple or cls is list:
            kind = _SEQ
        elif issubclass(cls, cst.CSTNode) and not issubclass(cls, _LEAF_TYPES):
            kind = _NODE
        else:
            kind = _SKIP
        _VALUE_KIND[cls] = kind
    return kind


@functools.lru_cache(maxsize=1)
def _expression_types() -> tuple[type, ...]:
    """Every libcst expression class (what the imports-only walk never enters)."""
    out: list[type] = []
    stack: list[type] = [cst.BaseExpression]
    while stack:
        for sub in stack.pop().__subclasses__():
            if sub not in out:
                out.append(sub)
                stack.append(sub)
    return tuple(out)


def child_nodes(node: cst.CSTNode) -> list[cst.CSTNode]:
    """The walkable child nodes of ``node`` (what ``walk_children`` visits), in order.

    Use this, not libcst's ``node.children``: that property runs a full ``CSTVisitor`` pass
    over the node (it rebuilds every child), which made one handler a quarter of extraction.
    """
    out: list[cst.CSTNode] = []
    for name in _FIELDS.get(type(node)) or _child_fields(type(node)):
        value = getattr(node, name)
        kind = _VALUE_KIND.get(type(value))
        if kind is None:
            kind = _value_kind(type(value))
        if kind == _NODE:
            out.append(value)
        elif kind == _SEQ:
            for item in value:
                ikind = _VALUE_KIND.get(type(item))
                if ikind is None:
                    ikind = _value_kind(type(item))
                if ikind == _NODE:
                    out.append(item)
    return out


def _child_fields(cls: type) -> tuple[str, ...]:
    fields = _FIELDS.get(cls)
    if fields is None:
        fields = tuple(
            f.name for f in dataclasses.fields(cls)
            if f.name not in _SKIP_FIELDS and not f.name.startswith(_SKIP_FIELD_PREFIXES)
        )
        _FIELDS[cls] = fields
    return fields


def _is_docstring_stmt(stmt: cst.CSTNode) -> bool:
    return (type(stmt) is cst.SimpleStatementLine and len(stmt.body) == 1
            and type(stmt.body[0]) is cst.Expr
            and type(stmt.body[0].value) in _STRING_TYPES)


class Walker:
    """The traversal half of the extractor: one walk of the module, dispatching each node to
    its handler in ``handlers`` (a handler returns True when it walked the children itself).

    The extractor (``extractor.py``) fills ``handlers``; the other mixins' handlers call
    ``walk`` / ``walk_body`` on the parts they want visited."""

    handlers: dict[type, Callable[[Any], bool]]

    def walk(self, node: cst.CSTNode) -> None:
        handler = self.handlers.get(type(node))
        if handler is not None and handler(node):
            return  # the handler walked the children itself
        self.walk_children(node)

    def walk_children(self, node: cst.CSTNode) -> None:
        # ``walk`` inlined for each child: this loop runs once per node of every parsed file
        handlers = self.handlers
        kinds = _VALUE_KIND
        for name in _FIELDS.get(type(node)) or _child_fields(type(node)):
            value = getattr(node, name)
            cls = type(value)
            kind = kinds.get(cls)
            if kind is None:
                kind = _value_kind(cls)
            if kind == _NODE:
                handler = handlers.get(cls)
                if handler is None or not handler(value):
                    self.walk_children(value)
            elif kind == _SEQ:
                for item in value:
                    icls = type(item)
                    ikind = kinds.get(icls)
                    if ikind is None:
                        ikind = _value_kind(icls)
                    if ikind == _NODE:
                        handler = handlers.get(icls)
                        if handler is None or not handler(item):
                            self.walk_children(item)

    def walk_body(self, body: cst.BaseSuite) -> None:
        """Walk a suite, skipping a leading docstring."""
        stmts = getattr(body, "body", ())
        for i, stmt in enumerate(stmts):
            if i == 0 and _is_docstring_stmt(stmt):
                continue
            if isinstance(stmt, cst.CSTNode):
                self.walk(stmt)
