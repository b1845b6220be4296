"""Check kinds: one module per kind, registered here by its ``kind`` name.

A new check kind is one module in this folder (a ``CheckKind`` subclass) plus one line in
``_KINDS`` below, plus positive and negative fixtures under ``fixtures/checks/<kind>/``.
"""

from __future__ import annotations

from .base import CheckKind, Param, RuleContext
from .call_contract import CallContract
from .reachability import Reachability
from .class_contract import ClassContract
from .collection import Collection
from .config_contract import ConfigContract
from .constant_value import ConstantValue
from .db_contract import DbContract
from .dict_keys import DictKeys
from .forbid_import import ForbidImport
from .graph_pipeline import GraphPipeline
from .require_call import RequireCall
from .require_reference import RequireReference
from .required_keys import RequiredKeys
from .routing import Routing
from .sql_schema import SqlSchemaCheck
from .state_flow import StateFlow
from .test_inventory import TestInventory
from .yaml_value import YamlCheck

_KINDS: tuple[type[CheckKind], ...] = (
    ForbidImport,
    RequireCall,
    ClassContract,
    RequireReference,
    DictKeys,
    RequiredKeys,
    ConstantValue,
    Collection,
    GraphPipeline,
    TestInventory,
    YamlCheck,
    SqlSchemaCheck,
    CallContract,
    Reachability,
    DbContract,
    ConfigContract,
    StateFlow,
    Routing,
)

REGISTRY: dict[str, type[CheckKind]] = {k.kind: k for k in _KINDS}

__all__ = ["CheckKind", "Param", "RuleContext", "REGISTRY"]
