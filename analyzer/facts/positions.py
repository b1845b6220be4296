"""Source positions for a chosen set of libcst nodes, in one cheap code-generation pass.

libcst has no positions on its nodes; ``PositionProvider`` computes a ``CodeRange`` for *every*
node through a generator-based context manager per node, which measured 2.4x the cost of
parsing itself on the stdlib (5.8 s vs 2.4 s for 50k lines). Facts need positions only for the
handful of nodes they record, so this state tracks line/column with plain counters and records
ranges only for the wanted nodes (by ``id``). Cost is about a plain ``Module.code`` render
(~0.2x parse), and it runs only for files that recorded at least one located fact.

Only ~1 node in 10 is wanted, so everything per node is kept lean: ``add_token`` does its own
line counting (one call per token), and a wanted node's range is recorded by a plain context
manager (``_Record``) rather than a generator-based one. When the process is single-threaded
(the CLI, worker processes), the render also swaps two libcst internals for leaner versions with
the same output while it runs (``_render``): ``CSTNode._codegen`` skips the no-op hook calls for
unwanted nodes and counts whitespace and bare names without any call, and ``_parenthesize`` is a
plain context manager. Measured on 80 benchmark files: 0.59 s -> 0.43 s (a plain
``Module.code`` is ~0.6 s). tests/test_positions.py compares both renders with libcst's
``PositionProvider`` on the fixtures and large stdlib modules. Rejected: ``ast.parse`` for
positions costs about as much and would need a libcst-to-ast node matching.

Ranges follow ``PositionProvider`` semantics (syntactic positions, compound statements end at
their body's end). Lines are 1-based, columns are converted to 1-based here.
"""

from __future__ import annotations

import threading
from contextlib import nullcontext
from typing import Any, Callable, Sequence

import libcst as cst
from libcst._nodes.base import CSTNode
from libcst._nodes.expression import _BaseParenthesizedNode
from libcst._nodes.internal import CodegenState

from ..types import Span

_NULL = nullcontext()
_WHITESPACE = cst.SimpleWhitespace
_NAME = cst.Name
# libcst's own methods, for the swapped-in versions to fall back on: should a render's
# ``finally`` be interrupted between its two restoring assignments (an alarm signal, the time
# budget), any other render still behaves exactly as libcst's
_ORIGINAL_PARENTHESIZE = _BaseParenthesizedNode.__dict__["_parenthesize"]


class _State(CodegenState):
    """A CodegenState that renders nothing and counts lines/columns."""

    def __init__(self, module: cst.Module, wanted: set[int]) -> None:
        super().__init__(default_indent=module.default_indent,
                         default_newline=module.default_newline)
        self.line = 1
        self.col = 0
        self.wanted = wanted
        self.starts: dict[int, tuple[int, int]] = {}
        self.ranges: dict[int, tuple[int, int, int, int]] = {}
        # nodes whose whole text is wanted (parentheses included, as ``code_for_node``): their
        # range from before their first token to after their last (0-based columns)
        self.outer_ids: set[int] = set()
        self.outer: dict[int, tuple[int, int, int, int]] = {}

    def add_indent_tokens(self) -> None:
        for tok in self.indent_tokens:
            self.add_token(tok)

    def add_token(self, value: str) -> None:
        # the hottest function of the pass (one call per token): no helper calls
        if "\n" in value or "\r" in value:
            if "\r" in value:
                value = value.replace("\r\n", "\n").replace("\r", "\n")
            self.line += value.count("\n")
            self.col = len(value) - value.rfind("\n") - 1
        else:
            self.col += len(value)

    def pop_trailing_newline(self) -> None:  # we keep no tokens; positions are already final
        pass

    def before_codegen(self, node: cst.CSTNode) -> None:
        if id(node) in self.wanted:
            self.starts[id(node)] = (self.line, self.col)

    def after_codegen(self, node: cst.CSTNode) -> None:
        key = id(node)
        if key in self.wanted:
            sl, sc = self.starts.get(key, (self.line, self.col))
            if key not in self.ranges:
                self.ranges[key] = (sl, sc, self.line, self.col)
            if key in self.outer_ids:
                self.outer[key] = (sl, sc, self.line, self.col)

    def record_syntactic_position(self, node: cst.CSTNode, *, start_node: cst.CSTNode | None = None,
                                  end_node: cst.CSTNode | None = None):  # type: ignore[override]
        if id(node) not in self.wanted:
            return _NULL
        return self._record(node, start_node, end_node)

    def _record(self, node: cst.CSTNode, start_node: cst.CSTNode | None,
                end_node: cst.CSTNode | None) -> "_Record":
        for extra in (start_node, end_node):
            if extra is not None:
                self.wanted.add(id(extra))
        return _Record(self, node, start_node, end_node)


class _Record:
    """Records one wanted node's range (a plain context manager: ~40k per 20k lines)."""

    __slots__ = ("state", "node", "start_node", "end_node", "start")

    def __init__(self, state: _State, node: cst.CSTNode, start_node: cst.CSTNode | None,
                 end_node: cst.CSTNode | None) -> None:
        self.state = state
        self.node = node
        self.start_node = start_node
        self.end_node = end_node
        self.start = (0, 0)

    def __enter__(self) -> None:
        self.start = (self.state.line, self.state.col)

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> bool:
        state = self.state
        start = self.start
        end = (state.line, state.col)
        ranges = state.ranges
        if self.start_node is not None and id(self.start_node) in ranges:
            start = ranges[id(self.start_node)][:2]
        if self.end_node is not None and id(self.end_node) in ranges:
            end = ranges[id(self.end_node)][2:]
        ranges[id(self.node)] = (start[0], start[1], end[0], end[1])
        return False


class _Parenthesize:
    """``_parenthesize`` as a plain context manager (no generator frames); lean pass only."""

    __slots__ = ("node", "state", "record")

    def __init__(self, node: Any, state: _State) -> None:
        self.node = node
        self.state = state
        self.record: _Record | None = None

    def __enter__(self) -> None:
        node, state = self.node, self.state
        for lpar in node.lpar:
            lpar._codegen(state)
        if id(node) in state.wanted:
            self.record = state._record(node, None, None)
            self.record.__enter__()

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> bool:
        if self.record is not None:
            self.record.__exit__(exc_type, exc, tb)
        if exc_type is None:  # as the generator it replaces: an error skips the ")"
            for rpar in self.node.rpar:
                rpar._codegen(self.state)
        return False


def _lean_parenthesize(self: Any, state: Any) -> Any:
    if type(state) is not _State:  # not our pass (see _render): libcst's own behaviour
        return _ORIGINAL_PARENTHESIZE(self, state)
    return _Parenthesize(self, state)


def _space(ws: Any, st: Any) -> None:
    """Count a whitespace child (a SimpleWhitespace without a line break) without a call."""
    if type(ws) is _WHITESPACE:
        value = ws.value
        if "\n" not in value and "\r" not in value:
            st.col += len(value)
            return
    ws._codegen(st)


def _one_token(node: Any, st: Any) -> None:  # Comma, Dot, Colon, AssignEqual: "<ws>,<ws>"
    _space(node.whitespace_before, st)
    st.col += len(node._get_token())
    _space(node.whitespace_after, st)


def _newline(node: Any, st: Any) -> None:  # "\n", "\r\n" or "\r": always one line break
    st.line += 1
    st.col = 0


def _trailing(node: Any, st: Any) -> None:  # [whitespace] [comment] newline
    _space(node.whitespace, st)
    if node.comment is not None:
        st.col += len(node.comment.value)
    st.line += 1
    st.col = 0


def _empty_line(node: Any, st: Any) -> None:  # [indent] [whitespace] [comment] newline
    if node.indent:
        st.add_indent_tokens()
    _trailing(node, st)


def _open(node: Any, st: Any) -> None:  # "(" or "[" or "{" then whitespace
    st.col += 1
    _space(node.whitespace_after, st)


def _close(node: Any, st: Any) -> None:  # whitespace then ")" or "]" or "}"
    _space(node.whitespace_before, st)
    st.col += 1


_LEAVES: dict[type, Callable[[Any, Any], None]] = {
    cst.Comma: _one_token, cst.Dot: _one_token, cst.Colon: _one_token,
    cst.AssignEqual: _one_token, cst.Newline: _newline, cst.TrailingWhitespace: _trailing,
    cst.EmptyLine: _empty_line, cst.LeftParen: _open, cst.LeftSquareBracket: _open,
    cst.LeftCurlyBrace: _open, cst.RightParen: _close, cst.RightSquareBracket: _close,
    cst.RightCurlyBrace: _close,
}


def _lean_codegen(state: _State) -> Callable[..., None]:
    """A ``CSTNode._codegen`` for one pass: no hook calls for unwanted nodes; whitespace (4
    nodes in 10), bare names, newlines, commas, dots and brackets counted without a call."""
    wanted = state.wanted
    leaves = _LEAVES

    def codegen(self: Any, st: Any, **kwargs: Any) -> None:
        if st is not state:  # not this pass (see _render): libcst's own behaviour
            st.before_codegen(self)
            self._codegen_impl(st, **kwargs)
            st.after_codegen(self)
            return
        cls = type(self)
        if cls is _WHITESPACE:
            value = self.value
            if "\n" in value or "\r" in value:  # a backslash continuation
                st.add_token(value)
            else:
                st.col += len(value)
            return
        key = id(self)
        if key in wanted:
            st.before_codegen(self)
            self._codegen_impl(st, **kwargs)
            st.after_codegen(self)
            return
        if cls is _NAME:
            if not self.lpar:
                st.col += len(self.value)
                return
        else:
            leaf = leaves.get(cls)
            if leaf is not None:
                leaf(self, st)
                return
        self._codegen_impl(st, **kwargs)

    return codegen


def _render(module: cst.Module, state: _State) -> None:
    """``module._codegen(state)``, through the lean internals when it is safe.

    Safe means this process has one thread: libcst's classes are patched for the duration of
    the render and restored in ``finally`` (also when the time budget's alarm interrupts it),
    so no other code can be rendering with libcst meanwhile. CLI runs and worker processes are
    single-threaded; a host with threads (an IDE, a threaded test runner) gets the plain render.
    """
    if threading.active_count() != 1:
        module._codegen(state)
        return
    paren = _BaseParenthesizedNode
    saved = CSTNode.__dict__["_codegen"], paren.__dict__["_parenthesize"]
    CSTNode._codegen = _lean_codegen(state)  # type: ignore[method-assign]
    paren._parenthesize = _lean_parenthesize  # type: ignore[method-assign,assignment]
    try:
        module._codegen(state)
    finally:
        CSTNode._codegen, paren._parenthesize = saved  # type: ignore[method-assign]


class _TextState(CodegenState):
    """Collects tokens (like ``Module.code_for_node``) without recording any position."""

    wanted: frozenset[int] = frozenset()

    def record_syntactic_position(self, node: cst.CSTNode, *, start_node: cst.CSTNode | None = None,
                                  end_node: cst.CSTNode | None = None):  # type: ignore[override]
        return _NULL


class _TextCodegen:
    """``CSTNode._codegen`` for a text render: no hooks, whitespace and names appended directly."""

    @staticmethod
    def codegen(self: Any, st: Any, **kwargs: Any) -> None:
        if type(st) is not _TextState:  # not a text render (see code_of): libcst's own
            st.before_codegen(self)
            self._codegen_impl(st, **kwargs)
            st.after_codegen(self)
            return
        cls = type(self)
        if cls is _WHITESPACE or (cls is _NAME and not self.lpar):
            st.tokens.append(self.value)
            return
        self._codegen_impl(st, **kwargs)


class _TextParenthesize:
    __slots__ = ("node", "state")

    def __init__(self, node: Any, state: Any) -> None:
        self.node = node
        self.state = state

    def __enter__(self) -> None:
        for lpar in self.node.lpar:
            lpar._codegen(self.state)

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> bool:
        if exc_type is None:
            for rpar in self.node.rpar:
                rpar._codegen(self.state)
        return False


def _text_parenthesize(self: Any, state: Any) -> Any:
    if type(state) is not _TextState:
        return _ORIGINAL_PARENTHESIZE(self, state)
    return _TextParenthesize(self, state)


def code_of(module: cst.Module, node: cst.CSTNode) -> str:
    """``module.code_for_node(node)``, rendered through the lean internals when safe (see
    ``_render``): facts ask for the source text of every non-literal argument."""
    state = _TextState(default_indent=module.default_indent,
                       default_newline=module.default_newline)
    if threading.active_count() != 1:
        node._codegen(state)
        return "".join(state.tokens)
    paren = _BaseParenthesizedNode
    saved = CSTNode.__dict__["_codegen"], paren.__dict__["_parenthesize"]
    CSTNode._codegen = _TextCodegen.codegen  # type: ignore[method-assign]
    paren._parenthesize = _text_parenthesize  # type: ignore[method-assign,assignment]
    try:
        node._codegen(state)
    finally:
        CSTNode._codegen, paren._parenthesize = saved  # type: ignore[method-assign]
    return "".join(state.tokens)


def spans_for(module: cst.Module, nodes: list[cst.CSTNode]) -> dict[int, Span]:
    """Map ``id(node)`` -> Span for each node in ``nodes`` (one render of the module)."""
    return ranges_for(module, nodes)[0]


def ranges_for(module: cst.Module, nodes: list[cst.CSTNode], texts: Sequence[cst.CSTNode] = ()
               ) -> tuple[dict[int, Span], dict[int, tuple[int, int, int, int]]]:
    """``spans_for``, plus for each node of ``texts`` the range of its whole source text
    (``(line, col, end_line, end_col)``, 1-based lines, 0-based columns): a slice of the
    source is then its ``code_for_node`` text, for the price of a record in the same render
    instead of one code generation per node."""
    if not nodes and not texts:
        return {}, {}
    wanted = {id(n) for n in nodes}
    state = _State(module, wanted | {id(n) for n in texts})
    state.outer_ids = {id(n) for n in texts}
    _render(module, state)
    out: dict[int, Span] = {}
    for key in wanted:
        r = state.ranges.get(key)
        if r is not None:
            out[key] = Span(r[0], r[1] + 1, r[2], r[3] + 1)
    return out, state.outer
