"""Where a node is: the conditions, loops, handlers, ``with`` blocks and ``finally`` blocks
around it, and the returns and yields of the function it is in.

The walk keeps this as state while it descends (``type_checking``, ``in_main``,
``in_finally``, ``within``; a function's ``guards``), so each fact recorded below carries it
(``CallFact.in_finally``, ``ReturnPath.guards`` ...) without another pass.
"""

from __future__ import annotations

from typing import Any, Iterable

import libcst as cst

from .scopes import _Scope
from .values import dotted
from .walk import Walker


class Flow(Walker):
    """Control-flow handlers (a mixin of ``extractor._Extractor``). ``on_if`` resolves
    ``TYPE_CHECKING`` through ``scopes.Scopes.resolve``; ``on_with`` binds ``as`` names with
    ``bindings.Bindings._assign_target``."""

    scope: _Scope
    type_checking: int
    in_finally: int
    within: list[str]
    in_main: int
    call_ctx: dict[int, dict[str, Any]]
    pending_loops: list[tuple[cst.For, str, str]]

    def on_await(self, node: cst.Await) -> bool:
        if type(node.expression) is cst.Call:
            self.call_ctx.setdefault(id(node.expression), {})["awaited"] = True
        return False

    def on_with(self, node: cst.With) -> bool:
        kind = "async with" if node.asynchronous is not None else "with"
        for item in node.items:
            expr = item.item
            if type(expr) is cst.Await:
                expr = expr.expression
            if type(expr) is cst.Call:
                self.call_ctx.setdefault(id(expr), {})["with_item"] = kind
            if item.asname is not None and type(item.asname.name) is cst.Name:
                # ``with cm as name``: the name is bound to what ``cm`` enters (a receiver)
                self._assign_target(item.asname.name, item.item, item, annotated=False,
                                    annotation="", augmented=False, via=kind)
        entered = []
        for item in node.items:
            self.walk(item)
            expr = item.item.expression if type(item.item) is cst.Await else item.item
            if type(expr) is cst.Call:
                entered.append(dotted(expr.func))
        self.within.extend(entered)
        self.walk(node.body)
        del self.within[len(self.within) - len(entered):]
        return True

    def on_if(self, node: cst.If) -> bool:
        test = dotted(node.test) if type(node.test) in (cst.Name, cst.Attribute) else ""
        is_tc = bool(test) and (test == "TYPE_CHECKING" or test.endswith(".TYPE_CHECKING")) and (
            self.resolve(test) in ("typing.TYPE_CHECKING", "typing_extensions.TYPE_CHECKING")
            or test in ("typing.TYPE_CHECKING", "TYPE_CHECKING"))
        func = self.scope.func
        if func is not None:
            func.conditions.append(node.test)
        self.walk(node.test)
        is_main = self.scope.kind == "module" and _is_main_test(node.test)
        if func is not None:
            func.guards.append((node.test, False))
        if is_tc:
            self.type_checking += 1
            self.walk(node.body)
            self.type_checking -= 1
        elif is_main:
            self.in_main += 1
            self.walk(node.body)
            self.in_main -= 1
        else:
            self.walk(node.body)
        if func is not None:
            func.guards[-1] = (node.test, True)
        if node.orelse is not None:
            self.walk(node.orelse)
        if func is not None:
            func.guards.pop()
        return True

    def _opaque(self, node: cst.CSTNode, body: Iterable[cst.CSTNode | None]) -> None:
        """Walk ``body`` under a condition facts do not model (returns there are guarded)."""
        func = self.scope.func
        if func is not None:
            func.guards.append((node, None))
        for b in body:
            if b is not None:
                self.walk(b)
        if func is not None:
            func.guards.pop()

    def on_loop(self, node: cst.For | cst.While) -> bool:
        if type(node) is cst.For and type(node.target) in (cst.Name, cst.Attribute):
            self.pending_loops.append((node, dotted(node.target), self.scope.qualname))
        if type(node) is cst.For:
            self.walk(node.target)
            self.walk(node.iter)
            head = node.iter
        else:
            self.walk(node.test)
            head = node.test
        self._opaque(head, (node.body, node.orelse))
        return True

    def on_return(self, node: cst.Return) -> bool:
        func = self.scope.func
        if func is not None:
            func.returns.append(node.value)
            func.return_paths.append((node, node.value, tuple(func.guards)))
        if type(node.value) is cst.SimpleString:
            self._string(node.value, "value")
            return True
        return False

    def on_yield(self, node: cst.Yield) -> bool:
        if self.scope.func is not None:
            self.scope.func.yields = True
            if type(node.value) is not cst.From and node.value is not None:
                self.scope.func.yield_values.append(node.value)
        return False

    def on_try(self, node: cst.Try) -> bool:
        self.walk(node.body)
        for h in node.handlers:
            self._opaque(h, (h,))
        if node.orelse is not None:
            self.walk(node.orelse)
        if node.finalbody is not None:
            self.in_finally += 1
            self.walk(node.finalbody)
            self.in_finally -= 1
        return True


def _is_main_test(test: cst.BaseExpression) -> bool:
    """``__name__ == "__main__"`` (either way round)."""
    if type(test) is not cst.Comparison or len(test.comparisons) != 1 or type(
            test.comparisons[0].operator) is not cst.Equal:
        return False
    sides = (test.left, test.comparisons[0].comparator)
    names = [s for s in sides if type(s) is cst.Name and s.value == "__name__"]
    strings = [s for s in sides if type(s) is cst.SimpleString
               and s.value.strip("'\"") == "__main__"]
    return len(names) == 1 and len(strings) == 1
