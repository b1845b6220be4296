"""constant-value: constants, class attributes / field defaults and dict entries."""

from __future__ import annotations

import pytest

from checkkit import Severity, Status, lines, messages, pack_error, run

KIND = "constant-value"

SRC = """\
from dataclasses import dataclass, field
import attr
from pydantic import BaseModel, Field

FAITHFULNESS_THRESHOLD = 0.80
NEGATIVE = -1
RECALL = FAITHFULNESS_THRESHOLD
THRESHOLDS = {
    "faithfulness": 0.8,
    "nested": {"recall": 0.7},
    "via_name": RECALL,
}
BREAKER = dict(failure_threshold=5, reset_timeout=30)


@dataclass
class Config:
    a: float = field(default=0.85)
    b: float = 0.7
    c: list = field(default_factory=list)
    d: str = field(init=False)
    LIMITS = {"max_batch_size": 100}


class Settings(BaseModel):
    p: float = Field(0.8, ge=0)
    q: float = Field(default=0.75)
    r: int = Field(...)


@attr.s
class Old:
    x = attr.ib(default=3)


class Child(Config):
    b = 0.9
"""


@pytest.mark.parametrize("name, value", [
    ("FAITHFULNESS_THRESHOLD", 0.8),
    ("NEGATIVE", -1),
    ("RECALL", 0.8),
    ("THRESHOLDS.faithfulness", 0.8),
    ("THRESHOLDS.nested.recall", 0.7),
    ("THRESHOLDS.via_name", 0.8),
    ("BREAKER.reset_timeout", 30),
    ("Config.a", 0.85),
    ("Config.b", 0.7),
    ("Config.LIMITS.max_batch_size", 100),
    ("Settings.p", 0.8),
    ("Settings.q", 0.75),
    ("Old.x", 3),
    ("Child.a", 0.85),  # inherited
    ("Child.b", 0.9),  # overridden
])
def test_paths_resolve_to_values(name, value):
    ok = run(KIND, {"names": [name], "equals": value}, {"m.py": SRC})
    assert ok.status is Status.PASS, messages(ok)
    bad = run(KIND, {"names": [name], "equals": value + 1}, {"m.py": SRC})
    assert bad.status is Status.FAIL
    assert f"`{name}` is {value!r}, expected {value + 1!r}" in messages(bad)[0]


@pytest.mark.parametrize("name, why", [
    ("Config.c", "field(default_factory=...)"),
    ("Config.d", "declared without a default value"),
    ("Settings.r", "`...`"),
])
def test_values_not_statically_known_are_unknown(name, why):
    res = run(KIND, {"names": [name], "equals": 1}, {"m.py": SRC})
    assert res.status is Status.UNKNOWN
    assert [f.severity for f in res.findings] == [Severity.INFO]
    assert why in messages(res)[0]


def test_finding_points_at_the_dict_key_line():
    res = run(KIND, {"names": ["THRESHOLDS.nested.recall"], "at_least": 0.75}, {"m.py": SRC})
    assert lines(res) == [("m.py", 10)]
    assert "is 0.7, expected >= 0.75" in messages(res)[0]


def test_first_existing_candidate_decides():
    res = run(KIND, {"names": ["MISSING", "Config.b", "FAITHFULNESS_THRESHOLD"], "equals": 0.7},
              {"m.py": SRC})
    assert res.status is Status.PASS
    assert "`Config.b`" in res.note


def test_glob_skips_containers_and_checks_every_match():
    src = "A = {'faithfulness': 0.8}\nB = {'faithfulness': 0.6}\n" \
          "C = {'faithfulness': {'threshold': 0.1}}\n"
    res = run(KIND, {"names": ["*.faithfulness"], "equals": 0.8}, {"m.py": src})
    assert res.status is Status.FAIL
    assert lines(res) == [("m.py", 2)]


@pytest.mark.parametrize("value, params, ok", [
    (0.8, {"equals": 0.8000000001, "tolerance": 1e-6}, True),
    (0.8, {"equals": 0.81}, False),
    (5, {"at_least": 5, "at_most": 5}, True),
    (5, {"at_least": 6}, False),
    ("'30s'", {"at_least": 1}, False),  # not a number
    (True, {"equals": 1}, False),  # a bool never equals an int
    (1, {"equals": True}, False),
    ("'staging'", {"one_of": ["dev", "staging"]}, True),
    ("'canary'", {"one_of": ["dev", "staging"]}, False),
    ("['a', 'b']", {"equals": ["a", "b"]}, True),
    ("None", {"equals": "x"}, False),
])
def test_assertions(value, params, ok):
    res = run(KIND, {"names": ["X"], **params}, {"m.py": f"X = {value}\n"})
    assert (res.status is Status.PASS) is ok, messages(res)


def test_every_definition_of_a_reassigned_constant_is_checked():
    res = run(KIND, {"names": ["X"], "equals": 1}, {"m.py": "X = 1\nX = 2\n"})
    assert lines(res) == [("m.py", 2)]


def test_local_and_instance_bindings_are_not_definitions():
    src = "def f():\n    X = 1\n\nclass C:\n    def __init__(self):\n        self.X = 1\n"
    res = run(KIND, {"names": ["X", "C.X"], "equals": 1}, {"pkg/m.py": src}, hint="pkg")
    assert res.status is Status.FAIL
    assert "not defined in pkg (looked for: `X`, `C.X`); expected == 1" in messages(res)[0]


def test_unknown_and_empty_scope():
    res = run(KIND, {"names": ["X"], "equals": 1}, {"a.py": "X = (\n"})
    assert res.status is Status.UNKNOWN
    assert run(KIND, {"names": ["X"], "equals": 1}, {}).status is Status.FAIL


@pytest.mark.parametrize("params, error", [
    ({"names": ["X"]}, "give at least one of equals, at_least, at_most, one_of"),
    ({"names": ["X."], "equals": 1}, "empty component"),
    ({"names": ["X"], "at_least": 2, "at_most": 1}, "at_least (2) is greater than at_most (1)"),
    ({"names": ["X"], "equals": {"a": 1}}, "must be str or int or float or bool or list"),
    ({"names": [], "equals": 1}, "must list at least one dotted path"),
])
def test_invalid_parameters(params, error):
    assert error in pack_error(KIND, params)


def test_patterns():
    from checkkit import rule_of
    from obs_lint.checks.constant_value import ConstantValue

    rule = rule_of(KIND, {"names": ["FAITH", "Cfg.t", "*.faith*"], "equals": 1})
    assert ConstantValue(rule).patterns() == ("Cfg", "FAITH", "\\", "faith", "t")
    assert ConstantValue(rule_of(KIND, {"names": ["*"], "equals": 1})).patterns() is None


def test_documented_example_is_a_valid_rule():
    from checkkit import example_rule

    rule = example_rule("constant-value")
    assert rule.check_kind == "constant-value" and rule.params
