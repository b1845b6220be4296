"""Check kinds: one module per kind, registered here by its ``kind`` name.

A new check kind is one module in this folder (a ``CheckKind`` subclass) plus one line in
``_KINDS`` below, plus positive and negative fixtures under ``fixtures/checks/<kind>/``.
"""

from __future__ import annotations

from .base import CheckKind, Param, RuleContext
from .forbid_import import ForbidImport
from .require_call import RequireCall
from .sql_schema import SqlSchemaCheck
from .yaml_value import YamlCheck

_KINDS: tuple[type[CheckKind], ...] = (
    ForbidImport,
    RequireCall,
    YamlCheck,
    SqlSchemaCheck,
)

REGISTRY: dict[str, type[CheckKind]] = {k.kind: k for k in _KINDS}

__all__ = ["CheckKind", "Param", "RuleContext", "REGISTRY"]
