"""Positions: where each recorded node is, and the source text of the nodes facts quote.

libcst gives positions only through a render of the whole module (``facts/positions.py``:
``ranges_for``, one render for every node at once), so the walk records nodes and this
module places them all after it, in one go: the nodes facts are made of (``wanted``) and the
nodes whose text ``Unknown`` values and guards quote (``_text_nodes``), whose ranges let
``text`` slice the source instead of generating code. An imports-only walk reads its import
positions from CPython's tree when the two parsers agree (``facts/ast_positions.py``), else
renders.
"""

from __future__ import annotations

import ast
from typing import Any, Iterable

import libcst as cst

from ..ast_positions import _TEXT_LIMIT, import_spans, span_text
from ..positions import code_of, ranges_for, spans_for
from ..source import LINE_BREAK
from ...types import Span
from .scopes import _FuncInfo, _Scope, _all_params
from .values import _branches, _text_nodes, _unawait


class Locating:
    """Positions and source text (a mixin of ``extractor._Extractor``)."""

    module: cst.Module
    source: str
    pending_imports: list[tuple[cst.CSTNode, dict[str, Any], _Scope]]
    pending_calls: list[tuple[cst.CSTNode, cst.BaseExpression, dict[str, Any], _Scope]]
    pending_funcs: list[_FuncInfo]
    pending_classes: list[tuple[cst.ClassDef, str, _Scope]]
    pending_assigns: list[tuple[cst.CSTNode, dict[str, Any]]]
    pending_subs: list[tuple[cst.CSTNode, dict[str, Any]]]
    pending_strings: list[tuple[cst.CSTNode, str, str, str]]
    pending_reads: list[tuple[cst.CSTNode, str, list[cst.BaseExpression], str, str]]
    pending_loops: list[tuple[cst.For, str, str]]
    pending_loads: list[tuple[cst.Subscript, str, cst.BaseExpression, _Scope]]
    pending_lambdas: list[tuple[cst.Lambda, _Scope]]
    pending_names: dict[tuple[str, str, str], cst.CSTNode]
    pending_keys: list[cst.CSTNode]

    def _start_positions(self, source: str) -> None:
        """The positions state of a new walk (nothing is placed until ``locate``)."""
        self._lines: list[str] | None = None
        self.spans: dict[int, Span] = {}
        self.outer: dict[int, tuple[int, int, int, int]] = {}  # see ``text``
        self._line_starts: list[int] | None = None
        # the render's columns are the source's, except after a byte-order mark and where libcst
        # drops a form feed from a statement's indentation (its code then differs from the
        # source by that character): there ``text`` renders instead of slicing
        self._sliceable = not source.startswith("\ufeff") and "\f" not in source

    def locate(self) -> dict[int, Span]:
        """Place every recorded node with one render (``ranges_for``); also records the ranges
        of the nodes ``text`` will be asked for. Returns (and keeps, for ``_value``'s dict
        keys) the spans by node id."""
        wanted: list[cst.CSTNode] = [n for n, *_ in self.pending_imports]
        wanted += [n for n, *_ in self.pending_calls]
        wanted += [f.node for f in self.pending_funcs]
        wanted += [n for n, *_ in self.pending_classes]
        wanted += [n for n, _ in self.pending_assigns]
        wanted += [n for n, _ in self.pending_subs]
        wanted += [n for n, *_ in self.pending_strings]
        wanted += [n for n, *_ in self.pending_reads]
        wanted += [n for n, *_ in self.pending_loops]
        wanted += self.pending_names.values()
        wanted += self.pending_keys
        wanted += [c for f in self.pending_funcs for c in f.conditions]
        wanted += [n for n, *_ in self.pending_loads]
        wanted += [n for n, _ in self.pending_lambdas]
        wanted += [r for f in self.pending_funcs for r, *_ in f.return_paths]
        texts: list[cst.CSTNode] = []
        for root in self._value_roots():
            _text_nodes(root, texts)
        texts += self._guard_text_nodes()
        spans, self.outer = ranges_for(self.module, wanted, texts)
        self.spans = spans  # _value reads the places of dict keys from here
        return spans

    def import_places(self, tree: "ast.Module | None") -> dict[int, Span]:
        """The spans of an imports-only walk's imports: from CPython's ``tree`` when the two
        parsers agree on the file's imports, else rendered."""
        nodes = [n for n, *_ in self.pending_imports]
        spans = import_spans(tree, self.pending_imports, self.source) if tree is not None \
            else None
        if spans is None:
            spans = spans_for(self.module, nodes)
        return spans

    def text(self, node: cst.CSTNode) -> str:
        """Source text of a node, whitespace-normalised (for Unknowns).

        A slice of the source when the positions render recorded the node's whole range
        (``finish`` asks for the nodes ``_value`` will want text of: ``_text_nodes``), else
        one code generation of the node (``code_for_node``, which that slice equals)."""
        r = self.outer.get(id(node)) if self._sliceable else None
        if r is not None:
            starts = self._line_starts
            if starts is None:
                starts = self._line_starts = [0] + [
                    m.end() for m in LINE_BREAK.finditer(self.source)]
            code = self.source[starts[r[0] - 1] + r[1]:starts[r[2] - 1] + r[3]]
        else:
            try:
                code = code_of(self.module, node)  # = module.code_for_node(node), leaner
            except Exception:  # pragma: no cover - defensive; codegen of a parsed node
                return ""
        code = " ".join(code.split())
        return code if len(code) <= _TEXT_LIMIT else code[:_TEXT_LIMIT] + "..."

    def span_text(self, span: Span) -> str:
        """Source text under a span, whitespace-normalised (fingerprints; no codegen)."""
        if self._lines is None:
            self._lines = LINE_BREAK.split(self.source)  # not str.splitlines: see LINE_BREAK
        return span_text(self._lines, span)

    def _guard_text_nodes(self) -> list[cst.CSTNode]:
        """Tests and operands whose text the return paths and lambdas record."""
        out: list[cst.CSTNode] = []

        def test(node: cst.CSTNode) -> None:
            out.append(node)
            if type(node) is cst.Comparison:
                for c in node.comparisons:
                    _text_nodes(c.comparator, out)
                _text_nodes(node.left, out)

        def expr(node: cst.CSTNode | None) -> None:
            while type(node) is cst.IfExp:
                test(node.test)
                expr(node.body)
                node = node.orelse
            _text_nodes(_unawait(node) if node is not None else None, out)

        for f in self.pending_funcs:
            for _, value, guards in f.return_paths:
                for node, _neg in guards:
                    test(node)
                expr(value)
        for node, _ in self.pending_lambdas:
            out.append(node)
            expr(node.body)
        return out

    def _value_roots(self) -> Iterable[cst.CSTNode | None]:
        """Every expression ``finish`` turns into a Value (or whose text it records)."""
        for node, *_ in self.pending_calls:
            if type(node) is cst.Call:
                for a in node.args:
                    yield a.value
                if type(node.func) is cst.Attribute:
                    yield node.func.value
        for f in self.pending_funcs:
            yield from f.returns
            yield from f.yield_values
            yield from f.decorators
            for p in _all_params(f.node.params):
                if p.annotation is not None:
                    yield p.annotation.annotation
                if p.default is not None:
                    yield p.default
            if f.node.returns is not None:
                yield f.node.returns.annotation
        for node, *_ in self.pending_classes:
            for d in node.decorators:
                yield d.decorator
        for _, d in self.pending_assigns:
            yield d["value_node"]
            vn = d["value_node"]
            if type(vn) in (cst.IfExp, cst.Await):
                yield from (_unawait(b) for b in _branches(vn))
            if not isinstance(d["annotation"], str):
                yield d["annotation"]
        for _, d in self.pending_subs:
            yield d["key_node"]
            yield d["value_node"]
        for _, _, keys, *_ in self.pending_reads:
            yield from keys
        for n, *_ in self.pending_loops:
            yield n.iter
