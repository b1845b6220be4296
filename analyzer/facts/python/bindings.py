"""Bindings: assignments (plain, annotated, augmented, ``with ... as``), subscript stores and
``del`` targets.

A subscript that is assigned or deleted is marked (``store_targets``) so the walk that later
reaches it does not take it for a read (``uses.Uses.on_subscript``).
"""

from __future__ import annotations

from typing import Any

import libcst as cst

from .scopes import _Scope
from .values import dotted
from .walk import Walker


class Bindings(Walker):
    """Assignment handlers (a mixin of ``extractor._Extractor``). String values are recorded
    with ``uses.Uses._string``, annotation names with ``uses.Uses._names_only``."""

    scope: _Scope
    pending_assigns: list[tuple[cst.CSTNode, dict[str, Any]]]
    pending_subs: list[tuple[cst.CSTNode, dict[str, Any]]]
    store_targets: set[int]

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
