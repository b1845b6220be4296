"""Return paths: the values a function's ``return`` (or a lambda's body) may give, each with
the conditions under which it does (``ReturnPath``, ``Guard``).

The walk records each ``return`` with the guards around it (``flow.Flow``); here, at
assembly, a test becomes guards (``not`` flips; ``a and b`` / ``a or b`` split into one
guard per operand) and a conditional expression becomes one path per branch.
"""

from __future__ import annotations

import libcst as cst

from ..model import Guard, ReturnPath
from ...types import Span
from .values import access_subject, dotted

_CASTS = ("typing.cast", "typing_extensions.cast")
_COMPARE_OPS: dict[type, str] = {
    cst.Equal: "==", cst.NotEqual: "!=", cst.In: "in", cst.NotIn: "not in", cst.Is: "is",
    cst.IsNot: "is not",
}


class ReturnPaths:
    """Guards and return paths (a mixin of ``extractor._Extractor``: ``value``, ``text`` and
    ``resolve`` are the extractor's)."""

    def _guard_list(self, entries: tuple[tuple[cst.CSTNode, bool | None], ...]
                    ) -> tuple[Guard, ...]:
        out: list[Guard] = []
        for node, negated in entries:
            if negated is None:
                out.append(Guard("", "", None, False, self.text(node)))
            else:
                out.extend(self._guards(node, negated))
        return tuple(out)

    def _guards(self, test: cst.BaseExpression, negated: bool) -> list[Guard]:
        """A test as guards: ``not`` flips, ``a and b`` (true side) / ``a or b`` (false side)
        split into one guard per operand; a single comparison of a plain access is
        structured, anything else opaque."""
        cls = type(test)
        if cls is cst.UnaryOperation and type(test.operator) is cst.Not:
            return self._guards(test.expression, not negated)
        if cls is cst.BooleanOperation and (
                (type(test.operator) is cst.And and not negated)
                or (type(test.operator) is cst.Or and negated)):
            return self._guards(test.left, negated) + self._guards(test.right, negated)
        text = self.text(test)
        if cls is cst.Comparison and len(test.comparisons) == 1:
            op = _COMPARE_OPS.get(type(test.comparisons[0].operator), "")
            left, right = test.left, test.comparisons[0].comparator
            subject, other = access_subject(left), right
            if not subject and op in ("==", "!=", "is", "is not"):
                subject, other = access_subject(right), left
            if subject and op:
                return [Guard(subject, op, self.value(other), negated, text)]
            return [Guard("", "", None, negated, text)]
        subject = access_subject(test)
        return [Guard(subject, "truthy" if subject else "", None, negated, text)]

    def _unwrap(self, expr: cst.BaseExpression | None
                ) -> tuple[cst.BaseExpression | None, bool, bool]:
        """``await e`` and ``typing.cast(T, e)`` are ``e`` as a value: (e, awaited, changed)."""
        awaited = changed = False
        for _ in range(8):
            if type(expr) is cst.Await:
                expr, awaited, changed = expr.expression, True, True
            elif (type(expr) is cst.Call and len(expr.args) == 2
                  and all(a.keyword is None and not a.star for a in expr.args)
                  and self.resolve(dotted(expr.func)) in _CASTS):
                expr, changed = expr.args[1].value, True
            else:
                break
        return expr, awaited, changed

    def _paths(self, expr: cst.BaseExpression | None, guards: tuple[Guard, ...],
               span: Span | None, awaited: bool = False) -> list[ReturnPath]:
        """The values ``expr`` may evaluate to, each with its guards (``a if t else b``)."""
        expr, aw, _changed = self._unwrap(expr)
        awaited = awaited or aw
        if type(expr) is cst.IfExp:
            return (self._paths(expr.body, guards + tuple(self._guards(expr.test, False)), span,
                                awaited)
                    + self._paths(expr.orelse, guards + tuple(self._guards(expr.test, True)),
                                  span, awaited))
        subject = access_subject(expr) if expr is not None else ""
        return [ReturnPath(self.value(expr), guards, subject, span, awaited)]
