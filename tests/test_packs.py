"""Pack validation: every kind of mistake is exit 2 with a message naming file, line and rule."""

from __future__ import annotations

import textwrap

import pytest

from obs_lint.errors import PackError
from obs_lint.packs import bundled_packs, load_pack, parse_pack

GOOD_RULE = """\
  - code: X101
    name: no-raw-mlflow
    phase: 1
    severity: error
    message: raw mlflow
    check:
      kind: forbid-import
      modules: [mlflow]
"""


def pack_text(rules: str = GOOD_RULE) -> str:
    return "pack: {id: t, title: T}\nphases:\n  - {id: 1, title: One}\nrules:\n" + rules


def test_good_pack_loads():
    pack = parse_pack(pack_text(), "p.yaml")
    rule = pack.rules[0]
    assert (rule.code, rule.name, rule.phase, rule.check_kind) == ("X101", "no-raw-mlflow", 1,
                                                                  "forbid-import")
    assert rule.params["modules"] == ["mlflow"] and rule.params["dynamic"] is True
    assert rule.source == "p.yaml:5"


@pytest.mark.parametrize("mutation, line, fragment", [
    (("severity: error", "sevrity: error"), 8, "unknown key 'sevrity' (did you mean 'severity'?)"),
    (("severity: error", "severity: fatal"), 8, "severity must be error or warning"),
    (("    message: raw mlflow\n", ""), 5, "missing required key 'message'"),
    (("phase: 1", "phase: 7"), 7, "phase 7 is not declared"),
    (("modules: [mlflow]", "modules: mlflow"), 12, "check.modules must be list, got str"),
    (("modules: [mlflow]", "modules: [1]"), 12, "items must be str"),
    (("modules: [mlflow]", "modulez: [mlflow]"), 12, "unknown parameter 'modulez' for kind "
                                                    "forbid-import (did you mean 'modules'?)"),
    (("kind: forbid-import", "kind: forbid-imports"), 11, "(did you mean 'forbid-import'?)"),
    (("code: X101", "code: x-101"), 5, "must be capital letters followed by digits"),
    (("name: no-raw-mlflow", "name: No Raw"), 6, "must be a lower-case slug"),
    (("modules: [mlflow]", "modules: ['not a module']"), 12, "is not a dotted module name"),
])
def test_each_mistake_names_file_line_and_rule(mutation, line, fragment):
    old, new = mutation
    text = pack_text(GOOD_RULE.replace(old, new))
    with pytest.raises(PackError) as exc:
        parse_pack(text, "my-pack.yaml")
    msg = str(exc.value)
    assert msg.startswith(f"my-pack.yaml:{line}:"), msg
    label = "rule x-101" if new == "code: x-101" else "rule X101"
    assert label in msg, msg
    assert fragment in msg, msg


def test_duplicate_codes_and_names_are_errors():
    second = GOOD_RULE.replace("no-raw-mlflow", "other")
    with pytest.raises(PackError, match=r"p.yaml:\d+: rule X101 \(other\): duplicate rule code"):
        parse_pack(pack_text(GOOD_RULE + second), "p.yaml")
    third = GOOD_RULE.replace("X101", "X102")
    with pytest.raises(PackError, match="duplicate rule name"):
        parse_pack(pack_text(GOOD_RULE + third), "p.yaml")


def test_yaml_syntax_and_unsafe_tags_are_pack_errors():
    with pytest.raises(PackError, match=r"p.yaml:\d+: invalid YAML"):
        parse_pack("pack: {id: t\n", "p.yaml")
    with pytest.raises(PackError, match="is not allowed"):
        parse_pack("pack: !!python/object/apply:os.system ['true']\nrules: []\n", "p.yaml")
    with pytest.raises(PackError, match="duplicate key 'pack'"):
        parse_pack("pack: {id: t, title: T}\npack: {id: u, title: U}\nrules: []\n", "p.yaml")


def test_top_level_shape_errors():
    with pytest.raises(PackError, match="missing required key 'rules'"):
        parse_pack("pack: {id: t, title: T}\n", "p.yaml")
    with pytest.raises(PackError, match="unknown key 'rulez'"):
        parse_pack("pack: {id: t, title: T}\nrules: []\nrulez: []\n", "p.yaml")
    with pytest.raises(PackError, match="exactly one YAML document"):
        parse_pack("pack: {id: t, title: T}\nrules: []\n---\nx: 1\n", "p.yaml")


def test_bundled_pack_loads_and_is_valid():
    assert "e2i" in bundled_packs()
    pack = load_pack("e2i")
    assert pack.id == "e2i" and len(pack.phases) == 10
    assert [p.id for p in pack.phases] == list(range(1, 11))
    raw = next(r for r in pack.rules if r.name == "no-raw-mlflow")
    assert raw.code == "E2I201" and raw.where.exclude == ("src/mlops/mlflow_connector.py",)


def test_cli_reports_pack_errors_with_exit_2(cli, tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text(pack_text(GOOD_RULE.replace("severity: error", "severity: 3")))
    (tmp_path / "a.py").write_text("import mlflow\n")
    code, out, err = cli("check", str(tmp_path), "--no-config", "--pack", str(bad))
    assert code == 2
    assert err.strip().count("\n") == 0, "one line"
    assert "bad.yaml:8: rule X101 (no-raw-mlflow): severity must be str, got int" in err
    assert "Traceback" not in err and out == ""


def test_pack_from_pyproject_inline_rules(cli, tmp_path):
    (tmp_path / "pyproject.toml").write_text(textwrap.dedent("""
        [tool.obs-lint]
        packs = []

        [[tool.obs-lint.rules]]
        code = "LOC1"
        name = "no-requests"
        severity = "warning"
        message = "use the http client wrapper"
        check = { kind = "forbid-import", modules = ["requests"] }
    """))
    (tmp_path / "a.py").write_text("import requests\n")
    code, out, err = cli("check", str(tmp_path), "--format", "json")
    import json
    data = json.loads(out)
    assert code == 1, err
    assert [(f["rule"], f["path"], f["line"]) for f in data["findings"]] == [("LOC1", "a.py", 1)]


# catastrophic backtracking: refused at load (obs_lint.regexsafe), never run for minutes
EXPONENTIAL = [r"^hp_([a-z]+_?)+$", r"(x+)+", r"(x*)*", r"(a|a)*", r"(a|aa)+", r"(\w+|\d)+",
               r"(a{1,3})*", r"^(\w+\s?)+$", r"((ab)*c?)+", r"(?:a+)+b", r"(x+x+)+y",
               r"((x+)y?)+", r"(.*a)+", r"(?:\d+\.?)+$"]
LINEAR = [r"^hp_", r"^hp_[a-z_]+$", r"(foo|bar)+", r"(\w|-)+", r"(ab)+", r"(a{2})+",
          r"^(hp|param)_", r"\d+\d+", r"^[a-z]+(_[a-z]+)*$", r"(a|b)*c",
          r"^(?:[a-z0-9]+-)*[a-z0-9]+$", r"(a|ab)+", r"(\w|\d)+", r"^(?!tmp_)[a-z_]+$",
          r"^\d+(\.\d+)*$", r"(_[a-z]+)*[a-z]", r"(?:a++)+", r"(?>a+)+"]


@pytest.mark.parametrize("pattern", EXPONENTIAL)
def test_regexes_that_backtrack_exponentially_are_refused(pattern):
    from obs_lint.regexsafe import backtracking_problem

    assert backtracking_problem(pattern), pattern


@pytest.mark.parametrize("pattern", LINEAR)
def test_ordinary_regexes_are_accepted(pattern):
    import re
    import sys

    from obs_lint.regexsafe import backtracking_problem

    if "++" in pattern or "(?>" in pattern:
        if sys.version_info < (3, 11):
            pytest.skip("possessive quantifiers and atomic groups need Python 3.11")
    re.compile(pattern)
    assert backtracking_problem(pattern) is None, pattern


@pytest.mark.parametrize("kind, param", [("dict-keys", "pattern"), ("yaml", "matches")])
def test_a_pack_regex_that_backtracks_is_a_pack_error_at_its_line(kind, param):
    check = ({"kind": "dict-keys", "calls": ["*.log_params"]} if kind == "dict-keys"
             else {"kind": "yaml", "file": "c.yaml", "key": "a"})
    text = textwrap.dedent(f"""\
        pack: {{id: t, title: T}}
        phases: [{{id: 1, title: One}}]
        rules:
          - code: T101
            name: keys
            phase: 1
            severity: error
            message: keys
            check:
              kind: {check['kind']}
              {'calls: ["*.log_params"]' if kind == 'dict-keys' else 'file: c.yaml'}
              {'' if kind == 'dict-keys' else 'key: a'}
              {param}: "^hp_([a-z]+_?)+$"
        """)
    with pytest.raises(PackError) as info:
        parse_pack(text, "p.yaml")
    msg = str(info.value)
    assert msg.startswith(f"p.yaml:13: rule T101 (keys): check: {param}: '^hp_([a-z]+_?)+$' "
                          "can take exponential time"), msg
    assert "\n" not in msg
