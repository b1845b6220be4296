"""Lowering expressions to fact values: literals become Python values, the rest ``Ref``,
``CallValue``, ``FStr``, ``DictValue``, ``Seq`` or ``Unknown`` (with its source text).

Called by the assembly after the walk (``assemble.py``), when the positions render has
recorded the places of dict keys and the ranges of the nodes whose text an ``Unknown`` needs
(``_text_nodes`` lists them beforehand, following ``_value``'s own recursion). The extractor is
passed in as a ``ValueReader``: the import tables that resolve names, and the source text.
"""

from __future__ import annotations

from ast import literal_eval
from typing import Protocol

import libcst as cst

from ..ast_positions import _TEXT_LIMIT
from ..model import CallValue, DictValue, FStr, Ref, Seq, Unknown, Value
from ...types import Span

MAX_SEQ_ITEMS = 10_000  # literal containers are summarised beyond this


class ValueReader(Protocol):
    """What lowering a value reads of the extractor (``extractor._Extractor``)."""

    spans: dict[int, Span]

    def resolve(self, text: str) -> str: ...

    def text(self, node: cst.CSTNode) -> str: ...

    def span_text(self, span: Span) -> str: ...


def string_value(raw: str) -> str | bytes:
    """The value of a string literal's source text (libcst's ``evaluated_value``, which calls
    ``ast.literal_eval``: a compile per string, a twentieth of extraction). A literal with no
    backslash, no carriage return and no ``b`` prefix is its text between the quotes."""
    if "\\" not in raw and "\r" not in raw:
        body = raw[1:] if raw[0] in "rRuU" else raw
        q = body[0]
        if q == '"' or q == "'":
            if len(body) >= 6 and body[1] == q and body[2] == q:
                return body[3:-3]
            return body[1:-1]
    return literal_eval(raw)


def dotted(expr: cst.BaseExpression) -> str:
    """Render a callee/reference as dotted text: ``a.b.c``, ``f().g``, ``x[...].y``."""
    parts: list[str] = []
    node: cst.CSTNode = expr
    while True:
        if type(node) is cst.Name:
            parts.append(node.value)
            break
        if type(node) is cst.Attribute:
            parts.append(node.attr.value)
            node = node.value
            continue
        if type(node) is cst.Call:
            inner = dotted(node.func)
            parts.append(f"{inner}()" if inner else "()")
            break
        if type(node) is cst.Subscript:
            inner = dotted(node.value)
            parts.append(f"{inner}[]" if inner else "[]")
            break
        parts.append("?")
        break
    return ".".join(reversed(parts))


def access_subject(expr: cst.BaseExpression) -> str:
    """Canonical text of a plain access (``Guard.subject``): a dotted name, ``x['k']`` for
    ``x["k"]`` and ``x.get("k", ...)``, any of them followed by ``.value``; "" otherwise."""
    cls = type(expr)
    if cls is cst.Attribute and expr.attr.value == "value" and type(expr.value) in (
            cst.Subscript, cst.Call):
        inner = access_subject(expr.value)
        return f"{inner}.value" if inner else ""
    if cls is cst.Name or cls is cst.Attribute:
        text = dotted(expr)
        return text if "?" not in text and "(" not in text and "[" not in text else ""
    key: cst.BaseExpression | None = None
    base: cst.BaseExpression | None = None
    if cls is cst.Subscript and len(expr.slice) == 1 and type(expr.slice[0].slice) is cst.Index:
        base, key = expr.value, expr.slice[0].slice.value
    elif cls is cst.Call and type(expr.func) is cst.Attribute and expr.func.attr.value == "get" \
            and expr.args and expr.args[0].keyword is None and not expr.args[0].star:
        base, key = expr.func.value, expr.args[0].value
    if base is None or type(key) is not cst.SimpleString or type(base) not in (
            cst.Name, cst.Attribute):
        return ""
    try:
        k = string_value(key.value)
    except Exception:
        return ""
    head = dotted(base)
    if not isinstance(k, str) or "(" in head or "[" in head or "?" in head:
        return ""
    return f"{head}[{k!r}]"


def _unawait(expr: cst.BaseExpression) -> cst.BaseExpression:
    return expr.expression if type(expr) is cst.Await else expr


def _branches(expr: cst.BaseExpression) -> list[cst.BaseExpression]:
    """The branches of a (nested) conditional expression."""
    if type(expr) is cst.IfExp:
        return _branches(expr.body) + _branches(expr.orelse)
    return [expr]


def _value(expr: cst.BaseExpression | None, ex: ValueReader, depth: int = 0) -> Value:
    """Convert a literal expression to a Value; anything dynamic becomes Unknown/Ref."""
    if expr is None:
        return None
    if depth > 50:
        return Unknown("<deep>")
    if type(expr) is cst.SimpleString:
        try:
            return string_value(expr.value)
        except Exception:
            return Unknown(expr.value[:_TEXT_LIMIT])
    if type(expr) is cst.ConcatenatedString:
        left, right = _value(expr.left, ex, depth + 1), _value(expr.right, ex, depth + 1)
        if isinstance(left, str) and isinstance(right, str):
            return left + right
        if isinstance(left, str) and isinstance(right, FStr):
            return FStr(left + right.prefix, ex.text(expr))
        if isinstance(left, FStr):
            return FStr(left.prefix, ex.text(expr))
        return Unknown(ex.text(expr))
    if type(expr) is cst.FormattedString:
        prefix = []
        for part in expr.parts:
            if type(part) is cst.FormattedStringText:
                prefix.append(part.value)
            else:
                break
        if len(prefix) == len(expr.parts):
            return "".join(prefix).replace("{{", "{").replace("}}", "}")
        return FStr("".join(prefix).replace("{{", "{").replace("}}", "}"), ex.text(expr))
    if type(expr) is cst.Integer:
        try:
            return int(expr.value.replace("_", ""), 0)
        except ValueError:
            return int(expr.value.replace("_", "").lstrip("0") or "0")
    if type(expr) is cst.Float:
        try:
            return float(expr.value.replace("_", ""))
        except ValueError:
            return Unknown(expr.value)
    if type(expr) is cst.UnaryOperation and type(expr.operator) in (cst.Minus, cst.Plus):
        inner = _value(expr.expression, ex, depth + 1)
        if isinstance(inner, (int, float)) and not isinstance(inner, bool):
            return -inner if type(expr.operator) is cst.Minus else inner
        return Unknown(ex.text(expr))
    if type(expr) is cst.Name:
        if expr.value in ("True", "False"):
            return expr.value == "True"
        if expr.value == "None":
            return None
        return Ref(expr.value, ex.resolve(expr.value))
    if type(expr) is cst.Attribute:
        text = dotted(expr)
        return Ref(text, ex.resolve(text))
    if type(expr) in (cst.List, cst.Tuple, cst.Set):
        kind = {cst.List: "list", cst.Tuple: "tuple", cst.Set: "set"}[type(expr)]
        items: list[Value] = []
        starred = False
        for el in expr.elements:
            if type(el) is cst.StarredElement:
                starred = True
                continue
            if len(items) >= MAX_SEQ_ITEMS:
                starred = True
                break
            items.append(_value(el.value, ex, depth + 1))
        return Seq(kind, tuple(items), starred)
    if type(expr) is cst.Dict:
        pairs: list[tuple[Value, Value]] = []
        key_spans: list[Span | None] = []
        spreads: list[tuple[str, Span]] = []
        spread = False
        for el in expr.elements:
            if type(el) is cst.StarredDictElement:
                spread = True
                spreads.append(_spread(el, ex))
                continue
            if len(pairs) >= MAX_SEQ_ITEMS:
                spread = True
                break
            pairs.append((_value(el.key, ex, depth + 1), _value(el.value, ex, depth + 1)))
            key_spans.append(ex.spans.get(id(el.key)))
        return DictValue(tuple(pairs), spread, tuple(key_spans), tuple(spreads))
    if type(expr) is cst.DictComp:
        return DictValue(((_value(expr.key, ex, depth + 1), _value(expr.value, ex, depth + 1)),),
                         key_spans=(ex.spans.get(id(expr.key)),), comprehension=True)
    if (type(expr) is cst.Call and type(expr.func) is cst.Name
            and expr.func.value == "dict" and not ex.resolve("dict")):
        return _dict_call(expr, ex, depth)
    if type(expr) is cst.Call:
        callee = dotted(expr.func)
        return CallValue(
            callee=callee, qualname=ex.resolve(callee),
            args=tuple(_value(a.value, ex, depth + 1) for a in expr.args
                       if a.keyword is None and not a.star),
            kwargs=tuple((a.keyword.value, _value(a.value, ex, depth + 1)) for a in expr.args
                         if a.keyword is not None),
            receiver=_value(expr.func.value, ex, depth + 1)
            if type(expr.func) is cst.Attribute else None)
    return Unknown(ex.text(expr))


_NO_TEXT = frozenset({cst.SimpleString, cst.Integer, cst.Float, cst.Name, cst.Attribute})


def _text_nodes(expr: cst.CSTNode | None, out: list[cst.CSTNode], depth: int = 0) -> None:
    """The nodes under ``expr`` whose source text ``_value`` asks for (``ex.text``), following
    its recursion: the positions render then records their ranges. Listing a node it does not
    ask for costs one record; missing one costs a code generation in ``text``: never a wrong
    text."""
    while expr is not None and depth <= 50:
        cls = type(expr)
        if cls in _NO_TEXT:
            return
        if cls is cst.ConcatenatedString:
            out.append(expr)
            _text_nodes(expr.left, out, depth + 1)
            expr, depth = expr.right, depth + 1
            continue
        if cls is cst.UnaryOperation:
            out.append(expr)
            expr, depth = expr.expression, depth + 1
            continue
        if cls is cst.List or cls is cst.Tuple or cls is cst.Set:
            for el in expr.elements[:MAX_SEQ_ITEMS]:
                if type(el) is not cst.StarredElement:
                    _text_nodes(el.value, out, depth + 1)
            return
        if cls is cst.Dict:
            for el in expr.elements[:MAX_SEQ_ITEMS]:
                if type(el) is cst.DictElement:
                    _text_nodes(el.key, out, depth + 1)
                    _text_nodes(el.value, out, depth + 1)
            return
        if cls is cst.DictComp:
            _text_nodes(expr.key, out, depth + 1)
            expr, depth = expr.value, depth + 1
            continue
        if cls is cst.Call:
            for a in expr.args:
                _text_nodes(a.value, out, depth + 1)
            if type(expr.func) is cst.Attribute:
                expr, depth = expr.func.value, depth + 1
                continue
            return
        out.append(expr)  # FormattedString, and every other expression: an Unknown's text
        return


def _spread(node: cst.CSTNode, ex: ValueReader) -> tuple[str, Span]:
    """Source text and place of a ``**x`` dict entry or a non-literal ``dict(x)`` argument."""
    span = ex.spans.get(id(node)) or Span.file_start()
    text = ex.span_text(span) if id(node) in ex.spans else ex.text(node)
    if type(node) is cst.StarredDictElement and not text.startswith("**"):
        text = "**" + text
    return text, span


def _dict_call(expr: cst.Call, ex: ValueReader, depth: int) -> DictValue:
    """``dict(a=1, **kw)`` / ``dict({...}, b=2)`` as a DictValue (keys are the keywords)."""
    pairs: list[tuple[Value, Value]] = []
    key_spans: list[Span | None] = []
    spreads: list[tuple[str, Span]] = []
    for arg in expr.args:
        if arg.keyword is not None:
            pairs.append((arg.keyword.value, _value(arg.value, ex, depth + 1)))
            key_spans.append(ex.spans.get(id(arg.keyword)))
            continue
        inner = _value(arg.value, ex, depth + 1) if not arg.star else None
        if isinstance(inner, DictValue):
            pairs.extend(inner.items)
            key_spans.extend(inner.key_spans or (None,) * len(inner.items))
            spreads.extend(inner.spreads)
            if inner.spread and not inner.spreads:
                spreads.append(_spread(arg, ex))
            continue
        text, span = _spread(arg, ex)
        spreads.append((text if arg.star else f"dict({text})", span))
    return DictValue(tuple(pairs), bool(spreads), tuple(key_spans), tuple(spreads))
