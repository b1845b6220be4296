"""collection: size and variety of a literal collection."""

from __future__ import annotations

import pytest

from checkkit import Severity, Status, lines, messages, pack_error, run

KIND = "collection"

DATASET = """\
from dataclasses import dataclass


@dataclass
class Sample:
    query: str
    brand: str
    category: str = "general"


def get_dataset():
    items = [
        Sample("q1", "Kisqali"),
        Sample(query="q2", brand="Fabhalta"),
        Sample("q3", brand="Remibrutinib", category="safety"),
        Sample(
            query="q4",
            brand="Kisqali",
        ),
    ]
    return items
"""


def test_function_return_through_a_name_with_positional_and_keyword_fields():
    res = run(KIND, {"name": "get_dataset", "min": 4, "key": "brand", "min_distinct": 3},
              {"d.py": DATASET})
    assert res.status is Status.PASS, messages(res)
    assert res.evidence[0].span.line == 11


def test_too_few_items_and_too_few_distinct_values_say_expected_and_found():
    res = run(KIND, {"name": "get_dataset", "min": 10, "key": "brand", "min_distinct": 4},
              {"d.py": DATASET})
    assert res.status is Status.FAIL
    got = " | ".join(messages(res))
    assert "`get_dataset` (return value) has 4 known item(s), at least 10 required" in got
    assert "has 3 distinct `brand` value(s) ('Kisqali', 'Fabhalta', 'Remibrutinib'), at " \
           "least 4 required" in got
    assert lines(res) == [("d.py", 11), ("d.py", 11)]


def test_positional_fields_need_a_class_in_the_same_file():
    src = "from models import Sample\n\nS = [Sample('q', 'A'), Sample('q', 'B')]\n"
    res = run(KIND, {"name": "S", "key": "brand", "min_distinct": 2}, {"d.py": src})
    assert res.status is Status.UNKNOWN  # Sample's fields are not known here


@pytest.mark.parametrize("src, n", [
    ("X = [1, 2, 3]\n", 3),
    ("X = (1, 2, 3)\n", 3),
    ("X = {1, 2, 3}\n", 3),
    ("X = tuple([1, 2, 3])\n", 3),
    ("X = {'a': 1, 'b': 2, 'c': 3}\n", 3),
    ("X = dict(a=1, b=2, c=3)\n", 3),
    ("class C:\n    X = [1, 2, 3]\n", 3),
])
def test_literal_forms_count(src, n):
    name = "C.X" if src.startswith("class") else "X"
    assert run(KIND, {"name": name, "min": n, "max": n},
               {"d.py": src}).status is Status.PASS
    over = run(KIND, {"name": name, "max": n - 1}, {"d.py": src})
    assert over.status is Status.FAIL
    assert f"has {n} item(s), at most {n - 1} allowed" in messages(over)[0]


@pytest.mark.parametrize("src, reason", [
    ("B = [1]\nX = [*B, 2]\n", "a `*spread` item"),
    ("B = {}\nX = {**B, 'a': 1}\n", "a `**spread` entry"),
    ("X = [1]\nX += [2]\n", "`X += ...` at line 2"),
    ("X = [1]\n\ndef f():\n    X.append(2)\n", "`X.append(...)` at line 4"),
])
def test_lower_bounds_are_unknown_when_too_few_and_pass_when_enough(src, reason):
    res = run(KIND, {"name": "X", "min": 5}, {"d.py": src})
    assert res.status is Status.UNKNOWN
    assert res.findings[0].severity is Severity.INFO
    assert reason in messages(res)[0] and "lower bound" in messages(res)[0]
    assert run(KIND, {"name": "X", "min": 1}, {"d.py": src}).status is Status.PASS


def test_comprehension_and_computed_values_are_unknown():
    for src in ("X = [i for i in range(10)]\n", "X = load()\n", "X = A + B\n"):
        res = run(KIND, {"name": "X", "min": 1}, {"d.py": src})
        assert res.status is Status.UNKNOWN, src
        assert "is not statically known" in messages(res)[0]


def test_every_return_must_pass():
    src = "def f(x):\n    if x:\n        return []\n    return [1, 2]\n"
    res = run(KIND, {"name": "f", "min": 2}, {"d.py": src})
    assert res.status is Status.FAIL
    assert "has 0 known item(s)" in messages(res)[0]


def test_undefined_local_and_empty_scope():
    src = "def make():\n    DATA = [1, 2, 3]\n    return DATA\n"
    res = run(KIND, {"name": "DATA", "min": 1}, {"pkg/d.py": src}, hint="pkg")
    assert res.status is Status.FAIL
    assert "`DATA` is not defined in pkg" in messages(res)[0]
    assert run(KIND, {"name": "DATA", "min": 1}, {}).status is Status.FAIL
    broken = run(KIND, {"name": "DATA", "min": 1}, {"a.py": "DATA = [\n"})
    assert broken.status is Status.UNKNOWN


@pytest.mark.parametrize("params, error", [
    ({"name": "X"}, "give at least one of min, max, min_distinct"),
    ({"name": "X", "min_distinct": 2}, "min_distinct: needs `key`"),
    ({"name": "X", "min": -1}, "must be 0 or more"),
    ({"name": "X", "min": 3, "max": 2}, "greater than max"),
    ({"name": "a-b", "min": 1}, "is not a (dotted) identifier"),
])
def test_invalid_parameters(params, error):
    assert error in pack_error(KIND, params)


def test_documented_example_is_a_valid_rule():
    from checkkit import example_rule

    rule = example_rule("collection")
    assert rule.check_kind == "collection" and rule.params
