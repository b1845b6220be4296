"""Assembly: the pending records of the walk made fact values, one ``PythonFacts`` per file.

The walk only records nodes (``pending_*``); positions come last, for all of them at once
(``locate.Locating``), and only then are values lowered (``values._value``) and facts built,
in the order the walk met them.
"""

from __future__ import annotations

import ast
from typing import Any

import libcst as cst

from ..model import (IMPORTS_ONLY, AssignFact, CallFact, ClassFact, FunctionFact, ImportFact,
                     KeyReadFact, LambdaFact, LoopFact, NameFact, ParamFact, PythonFacts,
                     StringFact, SubscriptLoadFact, SubscriptStoreFact)
from ...types import Span
from .scopes import _FuncInfo, _Scope, _all_params
from .values import _branches, dotted


class Assembly:
    """``finish`` / ``finish_imports`` (a mixin of ``extractor._Extractor``: the walk's state,
    ``value``, ``text``, ``resolve``, ``locate`` and the return paths are the extractor's)."""

    scope: _Scope
    scopes: list[_Scope]
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
    name_uses: dict[tuple[str, str, str], int]

    def finish_imports(self, tree: "ast.Module | None") -> PythonFacts:
        """The facts of an imports-only walk: import positions from CPython's tree when the two
        parsers agree on the file's imports (``facts/ast_positions.py``), else rendered."""
        spans = self.import_places(tree)
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
        """The facts of a full walk: every node placed with one render, then each pending
        record made a fact value."""
        spans = self.locate()
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
