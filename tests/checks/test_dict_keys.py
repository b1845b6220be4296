"""dict-keys: every key given to matching calls must match a pattern."""

from __future__ import annotations

import re

import pytest

from checkkit import Severity, Status, lines, messages, pack_error, run
from obs_lint.checks.dict_keys import literal_head, prefix_verdict

KIND = "dict-keys"
HP = {"calls": ["*.log_params"], "pattern": "^hp_"}


def one(source: str, **extra):
    return run(KIND, {**HP, **extra}, {"t.py": source})


@pytest.mark.parametrize("source", [
    "def f(c):\n    c.log_params({'hp_lr': 1})\n",
    "def f(c):\n    c.log_params(params={'hp_lr': 1})\n",
    "def f(c):\n    c.log_params(dict(hp_lr=1))\n",
    "def f(c, p):\n    c.log_params({f'hp_{k}': v for k, v in p.items()})\n",
    "K = 'hp_lr'\n\ndef f(c):\n    c.log_params({K: 1})\n",
    "def f(c, lr):\n    p = {}\n    p['hp_lr'] = lr\n    p.update({'hp_x': 1}, hp_y=2)\n"
    "    c.log_params(p)\n",
    "P = {'hp_a': 1}\n\ndef f(c):\n    c.log_params(P)\n",
    "def f(c):\n    c.log_params(\n        {\n            'hp_' 'a': 1,\n        }\n    )\n",
])
def test_passing_forms(source):
    res = one(source)
    assert res.status is Status.PASS, messages(res)
    assert res.evidence


def test_each_violating_key_is_one_finding_at_its_line():
    res = one("""\
        def f(c, extra):
            c.log_params({
                "hp_ok": 1,
                "lr": 2,
                "depth": 3,
            })
    """)
    assert res.status is Status.FAIL
    assert lines(res) == [("t.py", 4), ("t.py", 5)]
    assert "key 'lr' does not match `^hp_` (passed to `c.log_params()` at line 2)" \
        in messages(res)[0]


def test_fstring_prefix_judgement():
    res = one("""\
        def f(c, p):
            c.log_params({f"param_{k}": v for k, v in p.items()})
            c.log_params({f"{k}": v for k, v in p.items()})
    """)
    assert res.status is Status.FAIL  # param_ can never start with hp_
    got = {(f.location.span.line, f.severity) for f in res.findings}
    assert got == {(2, Severity.ERROR), (3, Severity.INFO)}


def test_unverifiable_keys_are_info_and_make_the_rule_unknown():
    res = one("""\
        def f(c, params, extra, cfg):
            c.log_params(params)
            c.log_params({"hp_a": 1, **extra})
            c.log_params(cfg.as_dict())
    """)
    assert res.status is Status.UNKNOWN
    assert all(f.severity is Severity.INFO for f in res.findings)
    assert [m.split(": ", 1)[1].split(" cannot")[0] for m in messages(res)] == [
        "key `params` (a parameter: its keys come from the caller)", "key **extra",
        "key `cfg.as_dict(...)`"]


def test_unverifiable_as_warning_fails():
    res = one("def f(c, params):\n    c.log_params(params)\n", unverifiable="warning")
    assert res.status is Status.FAIL
    assert res.findings[0].severity is Severity.WARNING


def test_parameter_shadowing_a_module_constant_is_not_resolved():
    res = one("K = 'hp_lr'\n\ndef f(c, K):\n    c.log_params({K: 1})\n")
    assert res.status is Status.UNKNOWN


def test_functions_filter_and_other_calls_are_ignored():
    src = """\
        def train(c):
            c.log_params({"hp_a": 1})

        def report(c):
            c.log_params({"summary": 1})
            c.log_metrics({"summary": 1})
            c.log_params_v2({"summary": 1})
    """
    assert one(src, functions=["train*"]).status is Status.PASS
    res = one(src)
    assert lines(res) == [("t.py", 5)]


def test_no_matching_call_fails_unless_min_calls_is_zero():
    src = "def f(c):\n    c.log_metrics({'x': 1})  # log_params only in a comment\n"
    res = run(KIND, HP, {"pkg/__init__.py": src}, hint="pkg")
    assert res.status is Status.FAIL
    assert "0 call(s) to `*.log_params` in pkg, at least 1 required" in messages(res)[0]
    assert run(KIND, {**HP, "min": 0}, {"pkg/__init__.py": src}).status is Status.PASS


def test_key_arg_single_key_calls():
    src = """\
        def f(c):
            c.log_param("hp_lr", 1)
            c.log_param(key="depth", value=2)
    """
    res = run(KIND, {"calls": ["*.log_param"], "pattern": "^hp_", "key_arg": [0, "key"]},
              {"t.py": src})
    assert res.status is Status.FAIL
    assert lines(res) == [("t.py", 3)]
    assert "key 'depth'" in messages(res)[0]


def test_empty_scope_and_parse_errors():
    assert run(KIND, HP, {}, hint="trainer").status is Status.FAIL
    res = run(KIND, HP, {"a.py": "def f(:\n    c.log_params({})\n"})
    assert res.status is Status.UNKNOWN


@pytest.mark.parametrize("pattern, prefix, verdict", [
    ("^hp_", "hp_", "yes"),
    ("^hp_", "hp_lr_", "yes"),
    ("^hp_", "h", "unknown"),  # could still become hp_...
    ("^hp_", "param_", "no"),
    ("^hp_\\w+$", "hp_", "unknown"),  # end-dependent: the rest decides
    ("^hp_\\w+$", "x", "no"),
    ("_score$", "f1_", "unknown"),
    ("^hp_?x", "hx", "no"),  # the optional '_' is not part of the literal head "hp"
    ("^hp_?x", "hp", "unknown"),
    ("^(hp|xp)_", "zz", "unknown"),  # a group: no literal head
    ("lr", "my_lr", "yes"),
])
def test_prefix_verdict(pattern, prefix, verdict):
    assert prefix_verdict(re.compile(pattern), prefix) == verdict


def test_literal_head():
    assert literal_head("^hp_") == "hp_"
    assert literal_head("^hp_?") == "hp"
    assert literal_head("hp_") is None
    assert literal_head("^a|b") is None


@pytest.mark.parametrize("params, error", [
    ({"calls": ["*.log_params"], "pattern": "^(hp"}, "not a valid regular expression"),
    ({"calls": [], "pattern": "^hp_"}, "must name at least one call pattern"),
    ({**HP, "unverifiable": "fatal"}, "must be one of info, warning, error"),
    ({**HP, "key_arg": -1}, "must be 0 or more"),
    ({**HP, "key_arg": ["not a name"]}, "is not a keyword argument name"),
    ({"calls": ["*.log_params"]}, "requires parameter 'pattern'"),
])
def test_invalid_parameters(params, error):
    assert error in pack_error(KIND, params)


def test_documented_example_is_a_valid_rule():
    from checkkit import example_rule

    rule = example_rule("dict-keys")
    assert rule.check_kind == "dict-keys" and rule.params
