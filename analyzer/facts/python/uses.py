"""Uses: calls, decorators, lambdas, string literals, dict and sequence literals, names and
attributes, subscript reads, key reads and ``in`` tests.

Nothing inside comments, strings or docstrings is ever a fact: comments are never visited,
and strings only become ``StringFact`` values (never imports or calls). Annotations and bare
decorators give names only (``_names_only``): calls or strings inside them are types, not
behaviour.
"""

from __future__ import annotations

from typing import Any

import libcst as cst

from .scopes import _Scope
from .values import dotted, string_value
from .walk import _NOT_NAME_HOLDERS, _STRING_TYPES, Walker, child_nodes

MAX_STRING_FACT = 200  # longer strings are data, not keys or names
# names never worth a NameFact: constants, and the receiver names present in every method
_NOT_REFERENCES = frozenset({"None", "True", "False", "self", "cls"})


class Uses(Walker):
    """The handlers that record what code uses (a mixin of ``extractor._Extractor``)."""

    scope: _Scope
    type_checking: int
    in_finally: int
    within: list[str]
    in_main: int
    call_ctx: dict[int, dict[str, Any]]
    store_targets: set[int]
    pending_calls: list[tuple[cst.CSTNode, cst.BaseExpression, dict[str, Any], _Scope]]
    pending_strings: list[tuple[cst.CSTNode, str, str, str]]
    pending_reads: list[tuple[cst.CSTNode, str, list[cst.BaseExpression], str, str]]
    pending_loads: list[tuple[cst.Subscript, str, cst.BaseExpression, _Scope]]
    pending_lambdas: list[tuple[cst.Lambda, _Scope]]
    pending_names: dict[tuple[str, str, str], cst.CSTNode]
    name_uses: dict[tuple[str, str, str], int]
    pending_keys: list[cst.CSTNode]

    # -- calls ----------------------------------------------------------------------------------
    def on_simple_line(self, node: cst.SimpleStatementLine) -> bool:
        for stmt in node.body:
            if type(stmt) is cst.Expr:
                if type(stmt.value) in _STRING_TYPES:
                    continue  # a bare string statement is documentation, never a fact
                if type(stmt.value) is cst.Call:
                    self.call_ctx.setdefault(id(stmt.value), {})["discarded"] = True
            self.walk(stmt)
        return True

    def on_call(self, node: cst.Call) -> bool:
        ctx = self.call_ctx.pop(id(node), None) or {}
        if self.type_checking:
            ctx["type_checking"] = True
        if self.in_finally:
            ctx["in_finally"] = True
        if self.within:
            ctx["within"] = tuple(self.within)
        if self.in_main:
            ctx["in_main"] = True
        self.pending_calls.append((node, node.func, ctx, self.scope))
        if type(node.func) is cst.Name and node.func.value == "dict":
            for arg in node.args:  # dict(a=1, **kw): keys and spreads become DictValue items
                self.pending_keys.append(arg.keyword if arg.keyword is not None else arg)
        # walk the callee (it may contain calls: f()(x), a.b().c()) and the arguments
        self.walk(node.func)
        for arg in node.args:
            if type(arg.value) is cst.SimpleString:
                self._string(arg.value, "argument")
            else:
                self.walk(arg.value)
        return True

    def on_decorator(self, node: cst.Decorator) -> bool:
        expr = node.decorator
        if type(expr) is cst.Call:
            self.call_ctx[id(expr)] = {"context": "decorator"}
            self.walk(expr)
        else:
            self.pending_calls.append((expr, expr, {"context": "decorator-ref"}, self.scope))
            self._names_only(expr)
        return True

    def on_lambda(self, node: cst.Lambda) -> bool:
        self.pending_lambdas.append((node, self.scope))
        self.walk(node.body)
        return True

    # -- literals -------------------------------------------------------------------------------
    def _string(self, node: cst.BaseExpression, role: str) -> None:
        if type(node) is cst.SimpleString:
            try:
                val = string_value(node.value)
            except Exception:
                return
            if isinstance(val, str) and len(val) <= MAX_STRING_FACT:
                self.pending_strings.append((node, val, role, self.scope.qualname))

    def on_dict(self, node: cst.Dict) -> bool:
        for el in node.elements:
            self.pending_keys.append(el.key if type(el) is cst.DictElement else el)
            if type(el) is cst.DictElement:
                if type(el.key) is cst.SimpleString:
                    self._string(el.key, "dict-key")
                else:
                    self.walk(el.key)
                if type(el.value) is cst.SimpleString:
                    self._string(el.value, "value")
                else:
                    self.walk(el.value)
            else:
                self.walk(el.value)
        return True

    def on_dict_comp(self, node: cst.DictComp) -> bool:
        self.pending_keys.append(node.key)
        return False

    def on_sequence(self, node: cst.List | cst.Tuple | cst.Set) -> bool:
        for el in node.elements:
            if type(el.value) is cst.SimpleString:
                self._string(el.value, "value")
            else:
                self.walk(el.value)
        return True

    # -- names --------------------------------------------------------------------------------
    def _use(self, node: cst.CSTNode, name: str, kind: str) -> None:
        key = (name, kind, self.scope.qualname)
        if key not in self.pending_names:
            self.pending_names[key] = node
            self.name_uses[key] = 1
        else:
            self.name_uses[key] += 1

    def on_name(self, node: cst.Name) -> bool:
        if node.value not in _NOT_REFERENCES:
            self._use(node, node.value, "name")
        return True

    def on_attribute(self, node: cst.Attribute) -> bool:
        self._use(node.attr, node.attr.value, "attribute")
        self.walk(node.value)
        return True

    def _names_only(self, expr: cst.CSTNode) -> None:
        """Record the identifiers of an annotation or bare decorator, and nothing else.

        Annotations are not walked for other facts (calls or strings inside them are types,
        not behaviour); string annotations (forward references) are text, never names.
        """
        stack = [expr]
        while stack:
            node = stack.pop()
            if type(node) is cst.Name:
                self._use(node, node.value, "name")
            elif type(node) is cst.Attribute:
                self._use(node.attr, node.attr.value, "attribute")
                stack.append(node.value)
            elif type(node) not in _NOT_NAME_HOLDERS:
                stack.extend(child_nodes(node))

    # -- reads --------------------------------------------------------------------------------
    def _key_chain(self, node: cst.BaseExpression) -> tuple[str, list[cst.BaseExpression]] | None:
        """``cfg["a"]["b"]`` -> ("cfg", [a, b]); None unless a name or attribute is
        subscripted with one index at each step."""
        keys: list[cst.BaseExpression] = []
        while type(node) is cst.Subscript:
            if len(node.slice) != 1 or type(node.slice[0].slice) is not cst.Index:
                return None
            keys.append(node.slice[0].slice.value)
            node = node.value
        if type(node) not in (cst.Name, cst.Attribute) or not keys:
            return None
        keys.reverse()
        return dotted(node), keys

    def _load(self, node: cst.Subscript) -> None:
        if len(node.slice) != 1 or type(node.slice[0].slice) is not cst.Index \
                or type(node.value) not in (cst.Name, cst.Attribute):
            return
        key = node.slice[0].slice.value
        if type(key) in (cst.SimpleString, cst.Name, cst.Attribute):
            self.pending_loads.append((node, dotted(node.value), key, self.scope))

    def on_subscript(self, node: cst.Subscript) -> bool:
        if id(node) not in self.store_targets:
            chain = self._key_chain(node)
            if chain is not None:
                self.pending_reads.append((node, chain[0], chain[1], self.scope.qualname,
                                           "subscript"))
            self._load(node)
        self.walk(node.value)
        for el in node.slice:
            if type(el.slice) is cst.Index and type(el.slice.value) is cst.SimpleString:
                self._string(el.slice.value, "subscript")
            else:
                self.walk(el.slice)
        return True

    def on_comparison(self, node: cst.Comparison) -> bool:
        if len(node.comparisons) == 1 and type(node.comparisons[0].operator) in (
                cst.In, cst.NotIn) and type(node.left) is cst.SimpleString:
            target = node.comparisons[0].comparator
            chain = ((dotted(target), []) if type(target) in (cst.Name, cst.Attribute)
                     else self._key_chain(target))
            if chain is not None:  # ``"k" in cfg``: the key chain of cfg, then k
                self.pending_reads.append((node, chain[0], [*chain[1], node.left],
                                           self.scope.qualname, "in"))
        for part in (node.left, *(c.comparator for c in node.comparisons)):
            if type(part) is cst.SimpleString:
                self._string(part, "compare")
            else:
                self.walk(part)
        return True
