"""required-keys: every listed key must appear in code in one of the given roles."""

from __future__ import annotations

import pytest

from checkkit import Status, lines, messages, pack_error, run

KIND = "required-keys"


@pytest.mark.parametrize("source, role", [
    ("m = {'roc_auc': 1}\n", "dict-key"),
    ("m = dict(roc_auc=1)\n", "dict-key"),
    ("m['roc_auc'] = 1\n", "subscript"),
    ("x = m['roc_auc']\n", "subscript"),
    ("log('roc_auc', 1)\n", "argument"),
    ("log(name='roc_auc')\n", "argument"),
    ("M = ['roc_auc']\n", "value"),
    ("M = ('x', 'roc_auc')\n", "value"),
    ("name = 'roc_auc'\n", "value"),
    ("def f():\n    return 'roc_auc'\n", "value"),
    ("d = {'k': 'roc_auc'}\n", "value"),
    ("ok = name == 'roc_auc'\n", "compare"),
    ("x = metrics.roc_auc\n", "attribute"),
    ("result.roc_auc = 1\n", "attribute"),
    ("log_metrics(roc_auc=1)\n", "kwarg"),
])
def test_each_role_finds_the_key_and_only_that_role(source, role):
    ok = run(KIND, {"keys": ["roc_auc"], "roles": [role]}, {"a.py": source})
    assert ok.status is Status.PASS, (source, role)
    assert ok.evidence[0].span.line >= 1
    others = [r for r in ("dict-key", "subscript", "argument", "value", "compare", "attribute",
                          "kwarg") if r != role]
    if source.startswith("m = dict("):
        others.remove("kwarg")  # dict(roc_auc=1) is a dict key *and* a keyword argument
    res = run(KIND, {"keys": ["roc_auc"], "roles": others}, {"a.py": source})
    assert res.status is Status.FAIL, (source, role)


@pytest.mark.parametrize("source", [
    "# roc_auc\n",
    '"""roc_auc"""\n',
    "x = 'roc_auc score'\n",
    "x = f'roc_auc={v}'\n",
    "x = {'roc_auc_ci': 1}\n",
    "x = {'ROC_AUC': 1}\n",
    "def roc_auc():\n    pass\n",
])
def test_text_and_lookalikes_do_not_count(source):
    roles = ["dict-key", "subscript", "argument", "value", "compare", "attribute", "kwarg"]
    res = run(KIND, {"keys": ["roc_auc"], "roles": roles}, {"a.py": source})
    assert res.status is Status.FAIL


def test_missing_keys_are_listed_and_present_ones_are_evidence():
    res = run(KIND, {"keys": ["roc_auc", "pr_auc", "f1"]}, {
        "pkg/__init__.py": "",
        "pkg/a.py": "m = {'roc_auc': 1}\n",
        "pkg/b.py": "\n\nlog('f1', 2)\n",
    }, hint="pkg")
    assert res.status is Status.FAIL
    assert lines(res) == [("pkg/__init__.py", 1)]
    assert "missing key(s) `pr_auc` in pkg" in messages(res)[0]
    assert "found 2 of 3" in messages(res)[0]
    assert {(e.path, e.span.line) for e in res.evidence} == {("pkg/a.py", 1), ("pkg/b.py", 3)}


def test_case_insensitive():
    src = "h = {'Trace_ID': 1}\n"
    assert run(KIND, {"keys": ["trace_id"]}, {"a.py": src}).status is Status.FAIL
    assert run(KIND, {"keys": ["trace_id"], "case_insensitive": True},
               {"a.py": src}).status is Status.PASS


def test_per_file_and_functions_filter():
    files = {"a.py": "def log(s):\n    return {'status': 1, 'error_type': 2}\n",
             "b.py": "def other(s):\n    return {'status': 1}\n"}
    res = run(KIND, {"keys": ["status", "error_type"], "per": "file"}, files)
    assert lines(res) == [("b.py", 1)]
    assert run(KIND, {"keys": ["status", "error_type"]}, files).status is Status.PASS
    scoped = run(KIND, {"keys": ["status"], "functions": ["other"]}, files)
    assert scoped.status is Status.PASS
    assert [e.path for e in scoped.evidence] == ["b.py"]


def test_unknown_and_empty_scope():
    res = run(KIND, {"keys": ["x"]}, {"a.py": "def (:\n", "b.py": "y = 1\n"})
    assert res.status is Status.UNKNOWN and not res.findings
    empty = run(KIND, {"keys": ["x"]}, {}, hint="src/mlops")
    assert empty.status is Status.FAIL


@pytest.mark.parametrize("params, error", [
    ({"keys": []}, "must list at least one key"),
    ({"keys": ["a"], "roles": ["dict-key", "docstring"]}, "unknown role(s) 'docstring'"),
    ({"keys": ["a"], "roles": []}, "must list at least one role"),
    ({"keys": ["a"], "per": "module"}, "must be one of set, file"),
])
def test_invalid_parameters(params, error):
    assert error in pack_error(KIND, params)


def test_patterns_include_a_backslash_for_escaped_keys():
    """A key spelled with escapes ("roc\\x5fauc") lacks its own text: still found."""
    from checkkit import rule_of
    from obs_lint.checks.required_keys import RequiredKeys

    rule = rule_of(KIND, {"keys": ["roc_auc"]})
    assert RequiredKeys(rule).patterns() == ("\\", "roc_auc")
    res = run(KIND, {"keys": ["roc_auc"]}, {"a.py": "m = {'roc\\x5fauc': 1}\n"})
    assert res.status is Status.PASS
    ci = rule_of(KIND, {"keys": ["roc_auc"], "case_insensitive": True})
    assert RequiredKeys(ci).patterns() is None


def test_documented_example_is_a_valid_rule():
    from checkkit import example_rule

    rule = example_rule("required-keys")
    assert rule.check_kind == "required-keys" and rule.params
