"""Scopes and imports: which names a scope binds to which modules, and the scopes themselves.

Names are resolved through the file's own import table (scoped: module, class, function)
instead of libcst's ``QualifiedNameProvider`` (another full pass). A ``def`` or ``class``
opens a scope (``_Scope``) for the walk of its body; a function's facts are gathered in its
``_FuncInfo`` while the walk is inside it (returns, yields, conditions, the guards around
each ``return``), and turned into a ``FunctionFact`` by the assembly.
"""

from __future__ import annotations

from typing import Any, Iterable

import libcst as cst

from ..model import ImportedName
from .values import dotted
from .walk import Walker


class _Scope:
    """A module, class or function body: its qualified name and the names its imports bind
    (``aliases``: local name -> dotted module path)."""

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
    """What the walk gathers about one function while it is inside it (the assembly makes it a
    ``FunctionFact``)."""

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


class Scopes(Walker):
    """The extractor's scope and import handlers (a mixin of ``extractor._Extractor``, whose
    ``__init__`` creates the state below). ``on_function`` records annotations through
    ``uses.Uses._names_only``."""

    scope: _Scope
    scopes: list[_Scope]
    type_checking: int
    in_finally: int
    within: list[str]
    pending_imports: list[tuple[cst.CSTNode, dict[str, Any], _Scope]]
    pending_funcs: list[_FuncInfo]
    pending_classes: list[tuple[cst.ClassDef, str, _Scope]]

    # -- resolution ---------------------------------------------------------------------------
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

    def _qualname(self, name: str) -> tuple[_Scope, str]:
        parent = self.scope
        base = parent.qualname
        if parent.kind == "function":
            base = f"{base}.<locals>"
        return parent, (f"{base}.{name}" if base else name)

    def _enter(self, scope: _Scope) -> None:
        self.scopes.append(scope)
        self.scope = scope

    def _leave(self) -> None:
        self.scopes.pop()
        self.scope = self.scopes[-1]

    # -- imports ------------------------------------------------------------------------------
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

    # -- definitions --------------------------------------------------------------------------
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

    def on_global(self, node: cst.Global) -> bool:
        if self.scope.func is not None:
            self.scope.func.globals.extend(n.name.value for n in node.names)
        return True

    # -- the imports-only walk ------------------------------------------------------------------
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
