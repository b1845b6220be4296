"""Check kinds: one module per kind, registered here by its ``kind`` name.

A new check kind is one module in this folder (a ``CheckKind`` subclass) plus one line in
``_KINDS`` below, plus positive and negative fixtures under ``fixtures/checks/<kind>/``.

``REGISTRY`` maps kind names to classes and imports a kind's module on first use: a run imports
only the kinds it runs (a warm run, whose rule results all come from the memo, imports none:
``sql-schema``/``db-contract`` alone pull in pglast, and all of them were a third of a warm
run's start-up). Iterating over it lists the names without importing anything.
"""

from __future__ import annotations

from importlib import import_module
from typing import Iterator, Mapping

from .base import CheckKind, Param, RuleContext

# kind name -> (module in this package, class): the order is the documented one
_KINDS: dict[str, tuple[str, str]] = {
    "forbid-import": ("forbid_import", "ForbidImport"),
    "require-call": ("require_call", "RequireCall"),
    "class-contract": ("class_contract", "ClassContract"),
    "require-reference": ("require_reference", "RequireReference"),
    "dict-keys": ("dict_keys", "DictKeys"),
    "required-keys": ("required_keys", "RequiredKeys"),
    "constant-value": ("constant_value", "ConstantValue"),
    "collection": ("collection", "Collection"),
    "graph-pipeline": ("graph_pipeline", "GraphPipeline"),
    "test-inventory": ("test_inventory", "TestInventory"),
    "yaml": ("yaml_value", "YamlCheck"),
    "sql-schema": ("sql_schema", "SqlSchemaCheck"),
    "call-contract": ("call_contract", "CallContract"),
    "reachability": ("reachability", "Reachability"),
    "db-contract": ("db_contract", "DbContract"),
    "config-contract": ("config_contract", "ConfigContract"),
    "state-flow": ("state_flow", "StateFlow"),
    "routing": ("routing", "Routing"),
}


class _Registry(Mapping[str, "type[CheckKind]"]):
    """``kind name -> CheckKind subclass``, each imported when first asked for."""

    def __init__(self, kinds: Mapping[str, tuple[str, str]]) -> None:
        self._kinds = dict(kinds)
        self._loaded: dict[str, type[CheckKind]] = {}

    def __getitem__(self, name: str) -> type[CheckKind]:
        hit = self._loaded.get(name)
        if hit is None:
            module, cls = self._kinds[name]  # KeyError: not a kind
            hit = getattr(import_module(f".{module}", __name__), cls)
            self._loaded[name] = hit
        return hit

    def __contains__(self, name: object) -> bool:
        return name in self._kinds

    def __iter__(self) -> Iterator[str]:
        return iter(self._kinds)

    def __len__(self) -> int:
        return len(self._kinds)

    def loaded(self) -> frozenset[str]:
        """The kinds imported so far in this process (tests: what a run imported)."""
        return frozenset(self._loaded)


REGISTRY = _Registry(_KINDS)

__all__ = ["CheckKind", "Param", "RuleContext", "REGISTRY"]
