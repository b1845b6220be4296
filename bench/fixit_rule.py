"""fixit 2.x rule equivalent to obs-lint's ``no-raw-mlflow`` check (benchmark peer only).

Flags ``import mlflow`` / ``import mlflow.x`` / ``from mlflow[.x] import ...`` anywhere in a
module (including function bodies and ``if TYPE_CHECKING:`` blocks). fixit rules do not see
the file path, so there is no per-file exemption here; ``bench/ruff.toml`` has none either, so
both peers answer the same question on the same files. The cost being compared is the full
parse + metadata + visit of every file, which any exemption would not change.

Loaded by ``bench/fixit.toml`` (``enable = [".fixit_rule"]``, ``disable = ["fixit.rules"]``),
so a run executes this one rule and none of fixit's built-in rules. Self-test:
``bench/.peers/bin/fixit test .fixit_rule`` from inside ``bench/``.
"""

from __future__ import annotations

from typing import Optional

import libcst as cst
from libcst.helpers import get_full_name_for_node

from fixit import Invalid, LintRule, Valid

_BANNED = "mlflow"


def _is_banned(dotted: Optional[str]) -> bool:
    return bool(dotted) and (dotted == _BANNED or dotted.startswith(_BANNED + "."))


class NoRawMlflowImport(LintRule):
    """Use ``MLflowConnector`` instead of importing ``mlflow`` directly."""

    MESSAGE = "raw `mlflow` import: go through src.mlops.mlflow_connector.MLflowConnector"

    VALID = [
        Valid("from src.mlops.mlflow_connector import MLflowConnector"),
        Valid("import mlflowish"),
        Valid("from .mlflow import helper"),
        Valid("x = 'import mlflow'  # import mlflow"),
    ]
    INVALID = [
        Invalid("import mlflow"),
        Invalid("import mlflow.sklearn as mls"),
        Invalid("import os, mlflow"),
        Invalid("from mlflow import log_metric"),
        Invalid("from mlflow.tracking import MlflowClient"),
        Invalid(
            """
            def f():
                import mlflow
                mlflow.log_metric("a", 1)
            """
        ),
    ]

    def visit_Import(self, node: cst.Import) -> None:
        for alias in node.names:
            if _is_banned(get_full_name_for_node(alias.name)):
                self.report(node)
                return

    def visit_ImportFrom(self, node: cst.ImportFrom) -> None:
        if node.relative or node.module is None:
            return
        if _is_banned(get_full_name_for_node(node.module)):
            self.report(node)
