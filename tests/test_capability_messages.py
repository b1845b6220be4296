"""Findings say where they looked: empty scopes name the folder or glob, missing items name
the symbol or pattern searched for."""

from __future__ import annotations

import dataclasses

import pytest

from checkkit import Status, example_rule, messages, rule_of, run
from obs_lint.checks import REGISTRY
from obs_lint.checks.base import RuleContext
from obs_lint.types import Where

# kinds whose empty scope is a finding of its own (forbid-import passes: nothing imported;
# config-contract / db-contract report the config or DDL glob that matched nothing)
PYTHON_KINDS = sorted(k for k, c in REGISTRY.items() if c.example and k not in (
    "forbid-import", "config-contract", "db-contract"))


def _example(kind):
    try:
        return example_rule(kind)
    except Exception:  # noqa: BLE001 - kinds whose example is a whole rules list
        return None


@pytest.mark.parametrize("kind", [k for k in PYTHON_KINDS if _example(k) is not None])
def test_empty_scope_names_the_folder(kind):
    rule = _example(kind)
    ctx = RuleContext(rule=rule, files=[], root=".", scope_hint="src/agents/nowhere")
    res = REGISTRY[kind](rule).evaluate(ctx)
    assert res.status is Status.FAIL
    (msg,) = messages(res)
    assert "no files in scope (src/agents/nowhere does not exist or holds no matching " \
           "files); expected " in msg
    assert res.findings[0].location.path == "src/agents/nowhere"


@pytest.mark.parametrize("kind,params,expected", [
    ("require-call", {"calls": ["*.trace_agent"]}, "a call to `*.trace_agent`"),
    ("class-contract", {"class": "OpikConnector", "methods": ["x"]}, "class `OpikConnector`"),
    ("require-reference", {"imports": ["get_opik_connector"]}, "import `get_opik_connector`"),
    ("required-keys", {"keys": ["roc_auc"]}, "keys roc_auc"),
])
def test_empty_scope_without_literal_folder_names_the_glob(kind, params, expected):
    rule = dataclasses.replace(rule_of(kind, params),
                               where=Where(include=("**/opik_connector.py",)))
    res = REGISTRY[kind](rule).evaluate(RuleContext(rule=rule, files=[], root="."))
    assert res.status is Status.FAIL
    assert messages(res) == [f"msg: no files in scope (`**/opik_connector.py` does not exist "
                             f"or holds no matching files); expected {expected}"]


def test_missing_call_names_pattern_and_folder():
    res = run("require-call", {"calls": ["*.trace_agent"]},
              {"src/a/__init__.py": "", "src/a/m.py": "x = 1\n"}, hint="src/a")
    assert messages(res) == ["msg: 0 call(s) to `*.trace_agent` in src/a, at least 1 required"]
    assert res.findings[0].location.path == "src/a/__init__.py"


def test_missing_call_per_file_names_the_file():
    res = run("require-call", {"calls": ["log_metric"], "per": "file", "min": 2},
              {"a.py": "log_metric(1)\n", "b.py": "log_metric(1)\nlog_metric(2)\n"})
    assert messages(res) == ["msg: 1 call(s) to `log_metric` in a.py, at least 2 required"]


def test_missing_reference_names_what_and_where():
    res = run("require-reference", {"imports": ["get_opik_connector"], "names": ["Foo"]},
              {"src/a/m.py": "import os\n"}, hint="src/a")
    assert messages(res) == ["msg: missing: import `get_opik_connector`, name `Foo` (in src/a)"]


def test_missing_class_names_class_and_folder():
    res = run("class-contract", {"class": "OpikConnector", "methods": ["x"]},
              {"src/a/m.py": "class Other:\n    pass\n"}, hint="src/a")
    assert messages(res) == ["msg: class `OpikConnector` is not defined in src/a"]


def test_missing_keys_are_named():
    res = run("required-keys", {"keys": ["roc_auc", "f1"]},
              {"m.py": "metrics = {'f1': 1}\n"}, hint="m.py")
    assert messages(res) == ["msg: missing key(s) `roc_auc` in m.py (looked for them as: "
                             "argument, dict-key, subscript; found 1 of 2)"]


def test_missing_constant_names_candidates():
    res = run("constant-value", {"names": ["FAITHFULNESS_THRESHOLD", "Cfg.threshold"],
                                 "equals": 0.8}, {"m.py": "OTHER = 1\n"}, hint="m.py")
    assert messages(res) == ["msg: not defined in m.py (looked for: `FAITHFULNESS_THRESHOLD`, "
                             "`Cfg.threshold`); expected == 0.8"]


def test_missing_collection_names_it():
    res = run("collection", {"name": "DATASET", "min": 3}, {"m.py": "OTHER = []\n"},
              hint="m.py")
    assert messages(res) == ["msg: `DATASET` is not defined in m.py (expected a module constant "
                             "or a function returning a literal collection)"]


def test_test_inventory_shortfall_names_the_count():
    res = run("test-inventory", {"min": 3}, {"tests/test_a.py": "def test_x():\n    pass\n"},
              hint="tests")
    assert messages(res) == ["msg: 1 test(s) in 1 file(s) in tests, at least 3 required"]


# -- config-file kinds: a file or glob that matches nothing is named --------------------------

@pytest.mark.parametrize("kind,params,expected", [
    ("config-contract", None, "no file matches config/**/*.yaml"),
    ("db-contract", None, "no file matches database/**/*.sql"),
    ("sql-schema", {"files": ["db/**/*.sql"], "table": "ml_experiments"},
     "no file matches db/**/*.sql"),
    ("yaml", {"file": "config/mlflow/mlflow.yaml", "key": "a.b", "equals": 5},
     "config/mlflow/mlflow.yaml"),
])
def test_missing_config_files_are_named(kind, params, expected):
    from checkkit import evaluate_kind

    cls = REGISTRY[kind]
    if params is None:
        rule = example_rule(kind)
        res = cls(rule).evaluate(RuleContext(rule=rule, files=[], root="."))
    else:
        res = evaluate_kind(cls, [], ".", frozenset(), "T9", 1, **params)
    assert res.status is Status.FAIL
    assert any(expected in m for m in messages(res)), messages(res)
