"""The extractor: one object per file, walked once over the module, then finished.

``_Extractor`` is composed of one mixin per concern, sharing the walk's state (created in
``__init__``): ``walk.Walker`` (traversal), ``scopes.Scopes`` (scopes, imports, definitions),
``flow.Flow`` (conditions, loops, ``with``/``try``, returns), ``bindings.Bindings``
(assignments), ``uses.Uses`` (calls, literals, names, reads), ``locate.Locating`` (positions
and source text), ``paths.ReturnPaths`` and ``assemble.Assembly`` (the facts). The handler
table maps node types straight to bound methods, so the split costs the hot loop nothing.
"""

from __future__ import annotations

import ast
import re
import sys
from typing import Any, Callable

import libcst as cst

from ..ast_positions import DYNAMIC_IMPORT_WORDS as _DYNAMIC_IMPORT_WORDS
from ..model import IMPORTS_ONLY, Problem, PythonFacts, Value
from ...types import Span
from .assemble import Assembly
from .bindings import Bindings
from .flow import Flow
from .locate import Locating
from .paths import ReturnPaths
from .scopes import Scopes, _FuncInfo, _Scope
from .uses import Uses
from .values import _value
from .walk import _expression_types, _is_docstring_stmt


class _Extractor(Scopes, Flow, Bindings, Uses, Locating, ReturnPaths, Assembly):
    """Walks one module once; records pending facts with their nodes; positions come last."""

    def __init__(self, module: cst.Module, source: str, imports_only: bool = False) -> None:
        self.module = module
        self.source = source
        self.scope = _Scope("", "module", None)
        self.type_checking = 0
        self.in_finally = 0  # depth of ``finally:`` blocks around the node being walked
        self.within: list[str] = []  # callee texts of the with-items around the node
        self.in_main = 0  # inside a module-level ``if __name__ == "__main__":`` body
        self.pending_imports: list[tuple[cst.CSTNode, dict[str, Any], _Scope]] = []
        self.pending_calls: list[tuple[cst.CSTNode, cst.BaseExpression, dict[str, Any], _Scope]] = []
        self.pending_funcs: list[_FuncInfo] = []
        self.pending_classes: list[tuple[cst.ClassDef, str, _Scope]] = []
        self.pending_assigns: list[tuple[cst.CSTNode, dict[str, Any]]] = []
        self.pending_subs: list[tuple[cst.CSTNode, dict[str, Any]]] = []
        self.pending_strings: list[tuple[cst.CSTNode, str, str, str]] = []
        # key reads: (node, target text, key nodes (outermost last), scope, how)
        self.pending_reads: list[tuple[cst.CSTNode, str, list[cst.BaseExpression], str, str]] = []
        self.pending_loops: list[tuple[cst.For, str, str]] = []  # (node, target, scope)
        # ``x[k]`` reads: (subscript node, target text, key node, scope)
        self.pending_loads: list[tuple[cst.Subscript, str, cst.BaseExpression, _Scope]] = []
        self.pending_lambdas: list[tuple[cst.Lambda, _Scope]] = []
        self.store_targets: set[int] = set()  # ids of subscripts that are assigned/deleted
        self.call_ctx: dict[int, dict[str, Any]] = {}  # id(Call) -> overrides
        # first use of each identifier per (name, kind, scope) -> its node (NameFact)
        self.pending_names: dict[tuple[str, str, str], cst.CSTNode] = {}
        self.name_uses: dict[tuple[str, str, str], int] = {}
        # nodes whose place a Value needs (dict keys, `**spread` entries): located in finish()
        self.pending_keys: list[cst.CSTNode] = []
        self._start_positions(source)
        self.scopes: list[_Scope] = [self.scope]
        self.handlers: dict[type, Callable[[Any], bool]] = {
            cst.Import: self.on_import,
            cst.ImportFrom: self.on_import_from,
            cst.Call: self.on_call,
            cst.FunctionDef: self.on_function,
            cst.ClassDef: self.on_class,
            cst.If: self.on_if,
            cst.Await: self.on_await,
            cst.With: self.on_with,
            cst.Decorator: self.on_decorator,
            cst.Assign: self.on_assign,
            cst.AnnAssign: self.on_ann_assign,
            cst.AugAssign: self.on_aug_assign,
            cst.Return: self.on_return,
            cst.Yield: self.on_yield,
            cst.Try: self.on_try,
            cst.TryStar: self.on_try,
            cst.Global: self.on_global,
            cst.Dict: self.on_dict,
            cst.Subscript: self.on_subscript,
            cst.Comparison: self.on_comparison,
            cst.SimpleStatementLine: self.on_simple_line,
            cst.Lambda: self.on_lambda,
            cst.For: self.on_loop,
            cst.While: self.on_loop,
            cst.Del: self.on_del,
            cst.Name: self.on_name,
            cst.Attribute: self.on_attribute,
            cst.DictComp: self.on_dict_comp,
            cst.List: self.on_sequence,
            cst.Tuple: self.on_sequence,
            cst.Set: self.on_sequence,
        }
        if imports_only:
            # statements only: expressions cannot hold an import statement (dynamic imports
            # are calls: a file that may contain one is never extracted in this mode)
            skip = self.skip
            self.handlers = dict.fromkeys(_expression_types(), skip)
            self.handlers.update({
                cst.Import: self.on_import, cst.ImportFrom: self.on_import_from,
                cst.FunctionDef: self.on_function_scope, cst.ClassDef: self.on_class_scope,
                cst.If: self.on_if, cst.SimpleStatementLine: self.on_import_line,
                cst.Decorator: skip, cst.Annotation: skip,
            })

    def value(self, expr: cst.BaseExpression | None, depth: int = 0) -> Value:
        """``expr`` as a fact value (``values._value``, through this file's imports)."""
        return _value(expr, self, depth)


def imports_only(needs: str, text: str) -> bool:
    """Whether a file with these ``needs`` is extracted imports-only: a text that may import
    dynamically (``import_module``/``__import__`` occurs in it) gets the full walk, since those
    imports are calls."""
    return needs == IMPORTS_ONLY and not any(w in text for w in _DYNAMIC_IMPORT_WORDS)


_ERROR_AT = re.compile(r"error at (\d+):(\d+)")


def _error_position(exc: "cst.ParserSyntaxError") -> tuple[int, int]:
    """Where libcst's parse failed (1-based line and column). Its ``raw_line`` is where the
    token it could not take *begins with its leading trivia*: comments and blank lines after
    the mistake push it down (``def f(:`` then ``pass`` was reported on line 3, or on line 4
    once a comment followed). The token's own position, in the message's "error at L:C"
    (column 0-based), does not move with them: the earlier of the two is used."""
    line, column = max(1, exc.raw_line), exc.raw_column + 1
    found = _ERROR_AT.search(exc.message or "")
    if found:
        at_line, at_column = int(found.group(1)), int(found.group(2)) + 1
        if 1 <= at_line < line:
            return at_line, at_column
    return line, column


def extract(path: str, text: str, needs: str = "", tree: "ast.Module | None" = None
            ) -> tuple[PythonFacts | None, tuple[Problem, ...]]:
    """Parse ``text`` once and extract facts. Never raises for bad input: returns problems.

    ``needs`` = ``"imports"``: only import statements are wanted (every rule covering the file
    reads nothing else), so the walk never enters an expression and, given CPython's ``tree``
    of the same text, no libcst render is needed for positions. A file that may import
    dynamically (``import_module``/``__import__`` occurs in it) still gets the full walk, since
    those imports are calls.
    """
    try:
        module = cst.parse_module(text)
    except cst.ParserSyntaxError as exc:
        msg = exc.message.splitlines()[0] if exc.message else "syntax error"
        line, column = _error_position(exc)
        return None, (Problem("parse-error", f"cannot parse: {msg}",
                              Span(line, column, line, column)),)
    except RecursionError:
        return None, (Problem("skipped", "nesting too deep to parse (over the parser's "
                                         "recursion limit); file not analysed"),)
    except (ValueError, TypeError, MemoryError) as exc:
        return None, (Problem("parse-error", f"cannot parse: {type(exc).__name__}: "
                                             f"{str(exc).splitlines()[0] if str(exc) else ''}"),)
    light = imports_only(needs, text)
    ex = _Extractor(module, text, imports_only=light)
    old = sys.getrecursionlimit()
    try:
        sys.setrecursionlimit(max(old, 20_000))
        for i, stmt in enumerate(module.body):
            if i == 0 and _is_docstring_stmt(stmt):
                continue
            ex.walk(stmt)
        return (ex.finish_imports(tree) if light else ex.finish()), ()
    except RecursionError:
        return None, (Problem("skipped", "nesting too deep to analyse (over the recursion "
                                         "limit); file not analysed"),)
    finally:
        sys.setrecursionlimit(old)
        # the handler table holds bound methods of ``ex``: a reference cycle that would keep
        # the whole tree alive until the cyclic GC runs; broken here, the tree is freed at once
        # (extraction runs with the cyclic GC paused: see analyzer/extract.py)
        ex.handlers.clear()
