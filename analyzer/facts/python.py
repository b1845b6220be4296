"""Python fact extraction: one libcst parse and one pruned walk serve every rule.

Why a hand-written walk instead of ``CSTVisitor``: libcst's visitor rebuilds every node it
passes (``_visit_and_replace_children``) and visits all whitespace and punctuation nodes; on
the stdlib that costs ~75% of the parse itself. This walker follows a per-type table of
child fields that excludes whitespace, comments and punctuation, and dispatches only the node
types facts are made from. Names are resolved through the file's own import table (scoped:
module, class, function) instead of ``QualifiedNameProvider`` (another full pass).

Nothing inside comments, strings or docstrings is ever a fact: comments are never visited,
and strings only become ``StringFact`` values (never imports or calls).
"""

from __future__ import annotations

import ast
import dataclasses
import functools
import sys
from ast import literal_eval
from typing import Any, Callable, Iterable

import libcst as cst

from .model import (IMPORTS_ONLY, AssignFact, CallFact, CallValue, ClassFact, DictValue, FStr,
                    FunctionFact, Guard, ImportedName, ImportFact, KeyReadFact, LambdaFact,
                    LoopFact, NameFact, ParamFact, Problem, PythonFacts, Ref, ReturnPath, Seq,
                    StringFact, SubscriptLoadFact, SubscriptStoreFact, Unknown, Value)
from .ast_positions import DYNAMIC_IMPORT_WORDS as _DYNAMIC_IMPORT_WORDS
from .ast_positions import _TEXT_LIMIT, _strip_comment, import_spans, span_text  # noqa: F401
from .positions import code_of, ranges_for, spans_for
from .source import LINE_BREAK
from ..types import Span

MAX_STRING_FACT = 200  # longer strings are data, not keys or names
MAX_SEQ_ITEMS = 10_000  # literal containers are summarised beyond this
# names never worth a NameFact: constants, and the receiver names present in every method
_NOT_REFERENCES = frozenset({"None", "True", "False", "self", "cls"})

# ---------------------------------------------------------------------------------------------
# The pruned walk
# ---------------------------------------------------------------------------------------------

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


def _is_docstring_stmt(stmt: cst.CSTNode) -> bool:
    return (type(stmt) is cst.SimpleStatementLine and len(stmt.body) == 1
            and type(stmt.body[0]) is cst.Expr
            and type(stmt.body[0].value) in _STRING_TYPES)


class _Scope:
    __slots__ = ("qualname", "kind", "aliases", "parent", "func")

    def __init__(self, qualname: str, kind: str, parent: "_Scope | None",
                 func: "_FuncInfo | None" = None) -> None:
        self.qualname = qualname
        self.kind = kind  # module | class | function
        self.aliases: dict[str, str] = {}
        self.parent = parent
        self.func = func

    def resolve_head(self, name: str) -> str | None:
        scope: _Scope | None = self
        first = True
        while scope is not None:
            # class bodies are not visible from nested functions (Python scoping)
            if first or scope.kind != "class":
                hit = scope.aliases.get(name)
                if hit is not None:
                    return hit
            first = False
            scope = scope.parent
        return None


class _FuncInfo:
    __slots__ = ("node", "name", "qualname", "is_async", "decorators", "params", "globals",
                 "returns", "yields", "scope", "conditions", "yield_values", "guards",
                 "return_paths")

    def __init__(self, node: cst.FunctionDef, qualname: str, scope: str) -> None:
        self.node = node
        self.name = node.name.value
        self.qualname = qualname
        self.is_async = node.asynchronous is not None
        self.decorators: list[cst.BaseExpression] = [d.decorator for d in node.decorators]
        self.params = tuple(p.name.value for p in _all_params(node.params))
        self.globals: list[str] = []
        self.returns: list[cst.BaseExpression | None] = []
        self.yields = False
        self.yield_values: list[cst.BaseExpression] = []
        self.scope = scope
        self.conditions: list[cst.BaseExpression] = []  # `if` tests directly in the body
        # the conditions around the statement being walked: (test node, negated), or
        # (node, None) for an opaque one (a loop body, an except handler, a match case)
        self.guards: list[tuple[cst.CSTNode, bool | None]] = []
        # each ``return``: (statement, value, the guards around it)
        self.return_paths: list[tuple[cst.Return, cst.BaseExpression | None,
                                      tuple[tuple[cst.CSTNode, bool | None], ...]]] = []


def _all_params(params: cst.Parameters) -> Iterable[cst.Param]:
    yield from params.posonly_params
    yield from params.params
    if type(params.star_arg) is cst.Param:
        yield params.star_arg
    yield from params.kwonly_params
    if params.star_kwarg is not None:
        yield params.star_kwarg


class _Extractor:
    """Walks one module once; records pending facts with their nodes; positions come last."""

    def __init__(self, module: cst.Module, source: str, imports_only: bool = False) -> None:
        self.module = module
        self.source = source
        self._lines: list[str] | None = None
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
        self.spans: dict[int, Span] = {}
        self.outer: dict[int, tuple[int, int, int, int]] = {}  # see ``text``
        self._line_starts: list[int] | None = None
        # the render's columns are the source's, except after a byte-order mark and where libcst
        # drops a form feed from a statement's indentation (its code then differs from the
        # source by that character): there ``text`` renders instead of slicing
        self._sliceable = not source.startswith("\ufeff") and "\f" not in source
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

    # -- traversal ------------------------------------------------------------------------------
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

    # -- helpers --------------------------------------------------------------------------------
    def resolve(self, text: str) -> str:
        """Resolve dotted text through the import tables of the enclosing scopes."""
        if not text or text[0] in "(?[":
            return ""
        head, _, rest = text.partition(".")
        if head.endswith("()") or head.endswith("[]"):
            return ""
        target = self.scope.resolve_head(head)
        if target is None:
            return ""
        return f"{target}.{rest}" if rest else target

    def value(self, expr: cst.BaseExpression | None, depth: int = 0) -> Value:
        return _value(expr, self, depth)

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

    # -- handlers (return True when children were walked here) ----------------------------------
    def skip(self, node: cst.CSTNode) -> bool:
        return True  # imports-only mode: nothing below this node can be an import statement

    def on_import_line(self, node: cst.SimpleStatementLine) -> bool:
        for stmt in node.body:
            cls = type(stmt)
            if cls is cst.Import:
                self.on_import(stmt)
            elif cls is cst.ImportFrom:
                self.on_import_from(stmt)
        return True

    def _qualname(self, name: str) -> tuple[_Scope, str]:
        parent = self.scope
        base = parent.qualname
        if parent.kind == "function":
            base = f"{base}.<locals>"
        return parent, (f"{base}.{name}" if base else name)

    def _scope_only(self, node: cst.FunctionDef | cst.ClassDef, kind: str) -> bool:
        """Imports-only mode: a def or class is a scope for the imports in its body, nothing
        more (decorators, defaults, annotations and bases are expressions)."""
        parent, qual = self._qualname(node.name.value)
        self._enter(_Scope(qual, kind, parent))
        self.walk_body(node.body)
        self._leave()
        return True

    def on_function_scope(self, node: cst.FunctionDef) -> bool:
        return self._scope_only(node, "function")

    def on_class_scope(self, node: cst.ClassDef) -> bool:
        return self._scope_only(node, "class")

    def on_simple_line(self, node: cst.SimpleStatementLine) -> bool:
        for stmt in node.body:
            if type(stmt) is cst.Expr:
                if type(stmt.value) in _STRING_TYPES:
                    continue  # a bare string statement is documentation, never a fact
                if type(stmt.value) is cst.Call:
                    self.call_ctx.setdefault(id(stmt.value), {})["discarded"] = True
            self.walk(stmt)
        return True

    def on_import(self, node: cst.Import) -> bool:
        names = []
        for alias in node.names:
            mod = dotted(alias.name)
            asname = alias.asname.name.value if alias.asname and type(
                alias.asname.name) is cst.Name else None
            names.append(ImportedName(mod, asname))
            if asname:
                self.scope.aliases[asname] = mod
            else:
                head = mod.split(".")[0]
                self.scope.aliases[head] = head
        self.pending_imports.append((node, {
            "kind": "import", "module": "", "names": tuple(names), "level": 0,
            "type_checking": self.type_checking > 0}, self.scope))
        return True

    def on_import_from(self, node: cst.ImportFrom) -> bool:
        module = dotted(node.module) if node.module is not None else ""
        level = len(node.relative)
        names: list[ImportedName] = []
        if type(node.names) is cst.ImportStar:
            names.append(ImportedName("*"))
        else:
            for alias in node.names:
                name = dotted(alias.name)
                asname = alias.asname.name.value if alias.asname and type(
                    alias.asname.name) is cst.Name else None
                names.append(ImportedName(name, asname))
                if level == 0 and module:
                    self.scope.aliases[asname or name] = f"{module}.{name}"
                else:
                    self.scope.aliases.pop(asname or name, None)  # local module, not an SDK
        self.pending_imports.append((node, {
            "kind": "from", "module": module, "names": tuple(names), "level": level,
            "type_checking": self.type_checking > 0}, self.scope))
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

    def on_del(self, node: cst.Del) -> bool:
        self._mark_stores(node.target)
        self.walk(node.target)
        return True

    def _mark_stores(self, target: cst.CSTNode) -> None:
        """Subscripts assigned or deleted through ``target`` are not reads."""
        cls = type(target)
        if cls is cst.Subscript:
            self.store_targets.add(id(target))
        elif cls in (cst.Tuple, cst.List):
            for el in target.elements:
                self._mark_stores(el.value)
        elif cls is cst.StarredElement:
            self._mark_stores(target.value)

    def _enter(self, scope: _Scope) -> None:
        self.scopes.append(scope)
        self.scope = scope

    def _leave(self) -> None:
        self.scopes.pop()
        self.scope = self.scopes[-1]

    def on_function(self, node: cst.FunctionDef) -> bool:
        for dec in node.decorators:
            self.walk(dec)
        parent, qual = self._qualname(node.name.value)
        info = _FuncInfo(node, qual, parent.qualname)
        self.pending_funcs.append(info)
        for p in _all_params(node.params):
            if p.default is not None:
                self.walk(p.default)
            if p.annotation is not None:
                self._names_only(p.annotation.annotation)
        if node.returns is not None:
            self._names_only(node.returns.annotation)
        self._enter(_Scope(qual, "function", parent, info))
        outer_finally, self.in_finally = self.in_finally, 0
        outer_within, self.within = self.within, []
        self.walk_body(node.body)
        self.in_finally, self.within = outer_finally, outer_within
        self._leave()
        return True

    def on_lambda(self, node: cst.Lambda) -> bool:
        self.pending_lambdas.append((node, self.scope))
        self.walk(node.body)
        return True

    def on_class(self, node: cst.ClassDef) -> bool:
        for dec in node.decorators:
            self.walk(dec)
        for arg in node.bases:
            self.walk(arg.value)
        for arg in node.keywords:
            self.walk(arg.value)
        parent, qual = self._qualname(node.name.value)
        self.pending_classes.append((node, qual, parent))
        self._enter(_Scope(qual, "class", parent))
        self.walk_body(node.body)
        self._leave()
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

    def on_global(self, node: cst.Global) -> bool:
        if self.scope.func is not None:
            self.scope.func.globals.extend(n.name.value for n in node.names)
        return True

    def _assign_target(self, target: cst.BaseExpression, value: cst.BaseExpression | None,
                       node: cst.CSTNode, **extra: Any) -> None:
        if type(target) in (cst.Name, cst.Attribute):
            self.pending_assigns.append((node, {
                "target": dotted(target), "value_node": value, "scope": self.scope.qualname,
                **extra}))
        elif type(target) is cst.Subscript and len(target.slice) == 1 and type(
                target.slice[0].slice) is cst.Index:
            self.store_targets.add(id(target))
            key = target.slice[0].slice.value
            self.pending_subs.append((node, {
                "target": dotted(target.value), "key_node": key, "value_node": value,
                "scope": self.scope.qualname}))
        elif type(target) in (cst.Tuple, cst.List):
            for el in target.elements:
                self._assign_target(el.value, None, node, **extra)

    def on_assign(self, node: cst.Assign) -> bool:
        for t in node.targets:
            self._assign_target(t.target, node.value, node, annotated=False, annotation="",
                                augmented=False)
            if type(t.target) is not cst.Name:
                self._mark_stores(t.target)
                self.walk(t.target)
        if type(node.value) is cst.SimpleString:
            self._string(node.value, "value")
        else:
            self.walk(node.value)
        return True

    def on_ann_assign(self, node: cst.AnnAssign) -> bool:
        self._assign_target(node.target, node.value, node, annotated=True,
                            annotation=dotted(node.annotation.annotation)
                            if type(node.annotation.annotation) in (cst.Name, cst.Attribute)
                            else node.annotation.annotation,  # its text, in finish()
                            augmented=False)
        if type(node.target) is not cst.Name:
            self._mark_stores(node.target)
            self.walk(node.target)
        self._names_only(node.annotation.annotation)
        if type(node.value) is cst.SimpleString:
            self._string(node.value, "value")
        elif node.value is not None:
            self.walk(node.value)
        return True

    def on_aug_assign(self, node: cst.AugAssign) -> bool:
        self._assign_target(node.target, node.value, node, annotated=False, annotation="",
                            augmented=True)
        if type(node.target) is cst.Subscript:
            self._load(node.target)  # ``x[k] += v`` reads x[k] first
        self.walk(node.value)
        return True

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

    # -- finishing ----------------------------------------------------------------------------
    def finish_imports(self, tree: "ast.Module | None") -> PythonFacts:
        """The facts of an imports-only walk: import positions from CPython's tree when the two
        parsers agree on the file's imports (``facts/ast_positions.py``), else rendered."""
        nodes = [n for n, *_ in self.pending_imports]
        spans = import_spans(tree, self.pending_imports, self.source) if tree is not None \
            else None
        if spans is None:
            spans = spans_for(self.module, nodes)
        default = Span.file_start()
        imports = []
        for n, d, s in self.pending_imports:
            span = spans.get(id(n), default)
            imports.append(ImportFact(span=span, scope=s.qualname, text=self.span_text(span), **d))
        imports.sort(key=lambda i: (i.span.line, i.span.column))
        return PythonFacts(imports=tuple(imports),
                           aliases=tuple(sorted(self.scopes[0].aliases.items())),
                           extracted=IMPORTS_ONLY)

    def finish(self) -> PythonFacts:
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
        default = Span.file_start()

        def sp(node: cst.CSTNode) -> Span:
            return spans.get(id(node), default)

        imports = tuple(ImportFact(span=sp(n), scope=s.qualname, text=self.span_text(sp(n)), **d)
                        for n, d, s in self.pending_imports)
        calls: list[CallFact] = []
        dyn: list[ImportFact] = []
        for node, func, ctx, scope in self.pending_calls:
            self.scope = scope
            callee = dotted(func)
            qual = self.resolve(callee)
            if not qual and "." not in callee and callee == "__import__":
                qual = "__import__"
            is_call = type(node) is cst.Call
            receiver = self.value(func.value) if is_call and type(func) is cst.Attribute \
                else None
            args = tuple(self.value(a.value) for a in node.args
                         if a.keyword is None and not a.star) if is_call else ()
            kwargs = tuple((a.keyword.value, self.value(a.value)) for a in node.args
                           if a.keyword is not None) if is_call else ()
            attr = callee.rsplit(".", 1)[-1]
            text = self.span_text(sp(node))
            calls.append(CallFact(
                callee=callee, qualname=qual, attr=attr, args=args, kwargs=kwargs,
                context=ctx.get("context", "call"), awaited=ctx.get("awaited", False),
                with_item=ctx.get("with_item", ""), scope=scope.qualname, span=sp(node),
                text=text, receiver=receiver,
                star_args=is_call and any(a.star == "*" for a in node.args),
                star_kwargs=is_call and any(a.star == "**" for a in node.args),
                in_finally=ctx.get("in_finally", False),
                discarded=ctx.get("discarded", False), within=ctx.get("within", ()),
                in_main=ctx.get("in_main", False)))
            if qual in ("importlib.import_module", "__import__", "importlib.__import__") \
                    and args and isinstance(args[0], str):
                dyn.append(ImportFact(kind="dynamic", module=args[0], names=(), level=0,
                                      type_checking=ctx.get("type_checking", False),
                                      scope=scope.qualname, span=sp(node), text=text))
        self.scope = self.scopes[0]
        functions = []
        for f in self.pending_funcs:
            functions.append(FunctionFact(
                name=f.name, qualname=f.qualname, is_async=f.is_async,
                decorators=tuple(self._ref_name(d, f.scope) for d in f.decorators),
                params=f.params, globals_declared=tuple(f.globals),
                returns=tuple(self.value(r) if r is not None else None for r in f.returns),
                yields=f.yields, scope=f.scope, span=sp(f.node),
                decorator_values=tuple(self.value(d) for d in f.decorators),
                conditions=tuple(self.span_text(sp(c)) for c in f.conditions),
                signature=self._signature(f.node.params),
                return_annotation=self._annotation(f.node.returns),
                yield_values=tuple(self.value(y) for y in f.yield_values),
                return_paths=tuple(p for r, v, g in f.return_paths
                                   for p in self._paths(v, self._guard_list(g), sp(r)))))
        classes = []
        for node, qual, scope in self.pending_classes:
            methods = tuple(s.name.value for s in getattr(node.body, "body", ())
                            if type(s) is cst.FunctionDef)
            classes.append(ClassFact(
                name=node.name.value, qualname=qual,
                bases=tuple(self._ref_name(a.value, scope.qualname) for a in node.bases),
                decorators=tuple(self._ref_name(d.decorator, scope.qualname)
                                 for d in node.decorators),
                methods=methods, scope=scope.qualname, span=sp(node),
                decorator_values=tuple(self.value(d.decorator) for d in node.decorators),
                keywords=tuple((a.keyword.value, self._ref_name(a.value, scope.qualname))
                               for a in node.keywords if a.keyword is not None)))
        assigns = []
        for node, d in self.pending_assigns:
            vn = d.pop("value_node")
            if not isinstance(d["annotation"], str):
                d["annotation"] = self.text(d["annotation"])
            core, _awaited, changed = self._unwrap(vn)
            alts = tuple(self.value(self._unwrap(b)[0]) for b in _branches(core)) \
                if type(core) is cst.IfExp or changed else ()
            assigns.append(AssignFact(value=self.value(vn) if vn is not None else None,
                                      has_value=vn is not None, span=sp(node),
                                      alternatives=alts, **d))
        subs = []
        for node, d in self.pending_subs:
            subs.append(SubscriptStoreFact(
                target=d["target"], key=self.value(d["key_node"]),
                value=self.value(d["value_node"]) if d["value_node"] is not None else None,
                scope=d["scope"], span=sp(node)))
        strings = tuple(StringFact(value=v, role=r, scope=s, span=sp(n))
                        for n, v, r, s in self.pending_strings)
        names = tuple(NameFact(name=k[0], kind=k[1], scope=k[2], span=sp(n),
                               uses=self.name_uses.get(k, 1))
                      for k, n in self.pending_names.items())
        reads = tuple(KeyReadFact(target=t, keys=tuple(self.value(k) for k in keys), scope=sc,
                                  span=sp(n), how=how)
                      for n, t, keys, sc, how in self.pending_reads)
        loops = tuple(LoopFact(target=t, iterable=self.value(n.iter), scope=sc, span=sp(n))
                      for n, t, sc in self.pending_loops)
        loads = []
        for node, target, key, scope in self.pending_loads:
            self.scope = scope
            loads.append(SubscriptLoadFact(target=target, key=self.value(key),
                                           scope=scope.qualname, span=sp(node)))
        lambdas = []
        for node, scope in self.pending_lambdas:
            self.scope = scope
            lambdas.append(LambdaFact(
                params=tuple(p.name.value for p in _all_params(node.params)),
                scope=scope.qualname, span=sp(node),
                results=tuple(self._paths(node.body, (), sp(node))), text=self.text(node)))
        self.scope = self.scopes[0]
        return PythonFacts(
            imports=tuple(sorted(imports + tuple(dyn), key=lambda i: (i.span.line, i.span.column))),
            calls=tuple(calls), functions=tuple(functions), classes=tuple(classes),
            assigns=tuple(assigns), subscript_stores=tuple(subs), strings=strings,
            aliases=tuple(sorted(self.scopes[0].aliases.items())), names=names,
            key_reads=reads, loops=loops, subscript_loads=tuple(loads), lambdas=tuple(lambdas))

    # -- return paths -------------------------------------------------------------------------
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

    def _signature(self, params: cst.Parameters) -> tuple[ParamFact, ...]:
        out = []
        for kind, group in (("posonly", params.posonly_params), ("pos", params.params)):
            out.extend(ParamFact(p.name.value, kind, p.default is not None,
                                 self._annotation(p.annotation), self.value(p.default))
                       for p in group)
        if type(params.star_arg) is cst.Param:
            out.append(ParamFact(params.star_arg.name.value, "vararg", False,
                                 self._annotation(params.star_arg.annotation)))
        out.extend(ParamFact(p.name.value, "kwonly", p.default is not None,
                             self._annotation(p.annotation), self.value(p.default))
                   for p in params.kwonly_params)
        if params.star_kwarg is not None:
            out.append(ParamFact(params.star_kwarg.name.value, "kwarg", False,
                                 self._annotation(params.star_kwarg.annotation)))
        return tuple(out)

    def _annotation(self, ann: cst.Annotation | None) -> str:
        """An annotation's text as written (dotted text for a plain name; resolution through
        the file's imports, relative ones included, is the resolver's job)."""
        if ann is None:
            return ""
        expr = ann.annotation
        if type(expr) in (cst.Name, cst.Attribute):
            return dotted(expr)
        return self.text(expr)

    def _ref_name(self, expr: cst.BaseExpression, scope_qual: str) -> str:
        target = expr.func if type(expr) is cst.Call else expr
        text = dotted(target)
        return self.resolve(text) or text


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


_CASTS = ("typing.cast", "typing_extensions.cast")
_COMPARE_OPS: dict[type, str] = {
    cst.Equal: "==", cst.NotEqual: "!=", cst.In: "in", cst.NotIn: "not in", cst.Is: "is",
    cst.IsNot: "is not",
}


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


def _value(expr: cst.BaseExpression | None, ex: _Extractor, depth: int = 0) -> Value:
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


def _spread(node: cst.CSTNode, ex: _Extractor) -> tuple[str, Span]:
    """Source text and place of a ``**x`` dict entry or a non-literal ``dict(x)`` argument."""
    span = ex.spans.get(id(node)) or Span.file_start()
    text = ex.span_text(span) if id(node) in ex.spans else ex.text(node)
    if type(node) is cst.StarredDictElement and not text.startswith("**"):
        text = "**" + text
    return text, span


def _dict_call(expr: cst.Call, ex: _Extractor, depth: int) -> DictValue:
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


def imports_only(needs: str, text: str) -> bool:
    """Whether a file with these ``needs`` is extracted imports-only: a text that may import
    dynamically (``import_module``/``__import__`` occurs in it) gets the full walk, since those
    imports are calls."""
    return needs == IMPORTS_ONLY and not any(w in text for w in _DYNAMIC_IMPORT_WORDS)


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
        line = max(1, exc.raw_line)
        return None, (Problem("parse-error", f"cannot parse: {msg}",
                              Span(line, exc.raw_column + 1, line, exc.raw_column + 1)),)
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
