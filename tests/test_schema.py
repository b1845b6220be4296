"""``obs-lint schema``: the JSON Schema of pack files, generated from the check kinds' declared
parameters and the pack structure ``packs.py`` validates; the committed
``rules/pack.schema.json`` (what editors point at) is the generated one."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import jsonschema
import pytest
import yaml
from checkkit import pack_error

from obs_lint import packs
from obs_lint.checks import REGISTRY
from obs_lint.errors import PackError
from obs_lint.checks.base import Param
from obs_lint.schema import pack_schema, param_schema, schema_json
from obs_lint.yamlsafe import parse_yaml

ROOT = Path(__file__).resolve().parent.parent
SCHEMA = pack_schema()
VALIDATOR = jsonschema.Draft202012Validator(SCHEMA)

GOOD = {
    "pack": {"id": "t", "title": "t"},
    "phases": [{"id": 1, "title": "one", "tests": ["tests/test_a.py"], "min_tests": 1}],
    "rules": [{"code": "T101", "name": "no-raw-mlflow", "phase": 1, "severity": "error",
               "message": "m", "where": {"include": ["src/**"], "exclude": "src/x.py"},
               "tags": ["mlflow"], "example": {"violation": "a", "fix": "b"},
               "check": {"kind": "forbid-import", "modules": ["mlflow"]}}],
}


def errors(doc) -> list[str]:
    return [e.message for e in VALIDATOR.iter_errors(doc)]


def test_the_schema_is_a_valid_draft_2020_12_schema():
    jsonschema.Draft202012Validator.check_schema(SCHEMA)


@pytest.mark.parametrize("pack", ["e2i", "contracts"])
def test_the_bundled_packs_validate(pack):
    doc = yaml.safe_load((ROOT / "rules" / f"{pack}.yaml").read_text())
    assert errors(doc) == []


def test_a_good_pack_validates_and_obs_lint_accepts_it_too():
    assert errors(GOOD) == []
    packs.parse_pack(yaml.safe_dump(GOOD), "good.yaml")


def _bad(**check) -> dict:
    doc = copy.deepcopy(GOOD)
    doc["rules"][0]["check"] = check
    return doc


@pytest.mark.parametrize("check, why", [
    ({"kind": "forbid-imports", "modules": ["mlflow"]}, "is not one of"),  # unknown kind
    ({"kind": "forbid-import", "module": ["mlflow"]}, "'modules' is a required property"),
    ({"kind": "forbid-import", "modules": ["m"], "dynamik": True}, "Additional properties"),
    ({"kind": "forbid-import", "modules": "mlflow"}, "is not of type 'array'"),  # wrong type
    ({"kind": "forbid-import", "modules": [1]}, "is not of type 'string'"),  # wrong item type
    ({"kind": "forbid-import", "modules": ["m"], "dynamic": "yes"}, "is not of type 'boolean'"),
    ({"kind": "require-call", "calls": ["x"], "per": "module"}, "is not one of"),  # choices
    ({"kind": "require-call", "calls": ["x"], "min": 1.5}, "is not of type 'integer'"),
    ({"modules": ["mlflow"]}, "'kind' is a required property"),
])
def test_a_wrong_check_is_rejected_as_obs_lint_rejects_it(check, why):
    found = errors(_bad(**check))
    assert any(why in e for e in found), found
    params = {k: v for k, v in check.items() if k != "kind"}
    if "kind" in check:
        assert pack_error(check["kind"], params) != ""  # the engine agrees


@pytest.mark.parametrize("mutate, why", [
    (lambda d: d["rules"][0].update(severity="fatal"), "is not one of"),
    (lambda d: d["rules"][0].update(code="t101"), "does not match"),
    (lambda d: d["rules"][0].update(name="No Raw"), "does not match"),
    (lambda d: d["rules"][0].update(sevrity="error"), "Additional properties"),
    (lambda d: d["rules"][0].pop("message"), "'message' is a required property"),
    (lambda d: d["rules"][0]["where"].update(includes=["x"]), "Additional properties"),
    (lambda d: d["pack"].pop("title"), "'title' is a required property"),
    (lambda d: d.update(phase=[]), "Additional properties"),
])
def test_a_wrong_pack_or_rule_structure_is_rejected(mutate, why):
    doc = copy.deepcopy(GOOD)
    mutate(doc)
    found = errors(doc)
    assert any(why in e for e in found), found
    with pytest.raises(PackError):
        packs.parse_pack(yaml.safe_dump(doc), "bad.yaml")


def test_every_kind_and_every_parameter_is_in_the_schema():
    kinds = SCHEMA["$defs"]["kinds"]
    assert set(kinds) == set(REGISTRY)
    assert SCHEMA["$defs"]["check"]["properties"]["kind"]["enum"] == sorted(REGISTRY)
    for name, kind in REGISTRY.items():
        props = kinds[name]["properties"]
        assert set(props) == {"kind"} | {p.name for p in kind.params}, name
        assert set(kinds[name]["required"]) == {"kind"} | {
            p.name for p in kind.params if p.required}
        for p in kind.params:
            if p.doc:
                assert props[p.name]["description"] == p.doc


def test_the_structure_keys_are_the_validators():
    props = SCHEMA["properties"]
    assert set(props) == packs._TOP_KEYS
    assert set(props["pack"]["properties"]) == packs._PACK_KEYS
    assert set(props["phases"]["items"]["properties"]) == packs._PHASE_KEYS
    rule = SCHEMA["$defs"]["rule"]
    assert set(rule["properties"]) == packs._RULE_KEYS
    assert set(rule["properties"]["where"]["properties"]) == packs._WHERE_KEYS


def test_the_committed_schema_file_is_the_generated_one():
    committed = (ROOT / "rules" / "pack.schema.json").read_text()
    assert committed == schema_json(), "regenerate: obs-lint schema > rules/pack.schema.json"
    assert json.loads(committed) == SCHEMA


def test_obs_lint_schema_prints_it(cli):
    code, out, _err = cli("schema")
    assert code == 0
    assert json.loads(out) == SCHEMA


def test_a_list_of_choices_is_accepted_item_by_item():
    # A list parameter with choices: each item must be one of them (packs.py checked the list
    # itself against the choices, so no list ever passed); the schema says the same.
    spec = Param("modes", (list,), item_types=(str,), choices=("a", "b"))
    v = packs._Validator("p.yaml")
    good = parse_yaml("[a, b]")[0]
    assert v.param(spec, good) == ["a", "b"]
    with pytest.raises(PackError, match="items must be one of a, b; got 'c'"):
        v.param(spec, parse_yaml("[a, c]")[0])
    item = param_schema(spec)["items"]
    assert item == {"type": "string", "enum": ["a", "b"]}
    jsonschema.validate(["a", "b"], param_schema(spec))
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(["a", "c"], param_schema(spec))
