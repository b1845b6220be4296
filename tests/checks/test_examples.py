"""Every check kind's declared VALID/INVALID ``check:`` examples (``valid_examples``,
``invalid_examples`` on the kind; shown by ``obs-lint explain`` and in the README's check-kind
reference) go through the real pack validator: a valid one loads and the JSON Schema accepts
it; an invalid one is a ``PackError`` whose message says what the kind declares, at a line of
the example (the offending key or value)."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
import yaml

from obs_lint import packs
from obs_lint.checks import REGISTRY
from obs_lint.errors import PackError, PackErrors

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = json.loads((ROOT / "rules" / "pack.schema.json").read_text())

HEAD = "pack: {id: t, title: T}\nrules:\n  - code: T1\n    name: t-rule\n    phase: null\n" \
       "    severity: error\n    message: m\n    check: "
CHECK_LINE = HEAD.count("\n") + 1


def _pack(snippet: str) -> str:
    return HEAD + snippet + "\n"


VALID = [(k, s) for k in REGISTRY for s in REGISTRY[k].valid_examples]
INVALID = [(k, s, why) for k in REGISTRY for s, why in REGISTRY[k].invalid_examples]


def test_every_kind_declares_valid_and_invalid_examples():
    for name in REGISTRY:
        kind = REGISTRY[name]
        assert kind.valid_examples, name
        assert kind.invalid_examples, name
        for snippet in (*kind.valid_examples, *(s for s, _ in kind.invalid_examples)):
            assert yaml.safe_load(snippet)["kind"] == name, snippet


@pytest.mark.parametrize(("kind", "snippet"), VALID)
def test_a_valid_example_loads_and_the_schema_accepts_it(kind, snippet):
    text = _pack(snippet)
    pack = packs.parse_pack(text, "pack.yaml")
    assert pack.rules[0].check_kind == kind
    jsonschema.validate(yaml.safe_load(text), SCHEMA)


@pytest.mark.parametrize(("kind", "snippet", "why"), INVALID)
def test_an_invalid_example_is_a_pack_error_saying_why(kind, snippet, why):
    with pytest.raises(PackError) as info:
        packs.parse_pack(_pack(snippet), "pack.yaml")
    err = info.value
    assert not isinstance(err, PackErrors)
    assert why in str(err), str(err)
    assert err.line == CHECK_LINE, str(err)  # a flow mapping: every key is on that line


def _renames():
    from obs_lint.checks.params import renamed

    return [(k, old, new) for k in REGISTRY for old, (new, _hint) in
            renamed(REGISTRY[k].Params).items()]


def test_the_vocabulary_renames_are_declared():
    assert {(k, old) for k, old, _ in _renames()} == {
        ("class-contract", "functions"), ("dict-keys", "min_calls"),
        ("constant-value", "min"), ("constant-value", "max"),
        ("collection", "min_items"), ("collection", "max_items"),
        ("yaml", "count"), ("yaml", "min_count"), ("yaml", "max_count")}


@pytest.mark.parametrize(("kind", "old", "new"), _renames())
def test_an_old_spelling_is_a_pack_error_naming_the_new_one(kind, old, new):
    snippet = f"\n      kind: {kind}\n      {old}: 1\n"
    with pytest.raises(PackError) as info:
        packs.parse_pack(_pack(snippet), "pack.yaml")
    assert f"parameter {old!r} of kind {kind} is now spelled {new!r}" in str(info.value)
    assert f"(did you mean {new!r}?)" in str(info.value)
    assert info.value.line == CHECK_LINE + 2  # the old key's own line


@pytest.mark.parametrize(("snippet", "line", "why"), [
    # each nested mistake is reported at its own line (block style: one key per line)
    ("\n      kind: require-reference\n      groups:\n        - calls: [a]\n"
     "        - names: b\n", 5, "check.groups[1].names must be list of str or null, got str"),
    ("\n      kind: sql-schema\n      files: [s.sql]\n      index:\n        table: t\n"
     "        columns: [a]\n        match: exact\n", 7, "index.match: must be leading or prefix"),
    # a kind's semantic message (validate) lands on the value its path names
    ("\n      kind: reachability\n      calls_within:\n        calls: [a]\n"
     "        spans: [1]\n", 4, "calls_within: must be"),
    ("\n      kind: call-contract\n      signatures:\n        mlflow.log: 3\n", 4,
     "signatures.mlflow.log: 3 is not a parameter list"),
])
def test_nested_errors_are_at_the_offending_line(snippet, line, why):
    with pytest.raises(PackError) as info:
        packs.parse_pack(_pack(snippet), "pack.yaml")
    assert why in str(info.value), str(info.value)
    assert info.value.line == CHECK_LINE + line - 1, str(info.value)


def test_the_schema_rejects_a_nested_mistake_an_editor_would_underline():
    doc = yaml.safe_load(_pack("{kind: reachability, calls_within: {calls: [a], spams: [b]}}"))
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(doc, SCHEMA)
    jsonschema.validate(yaml.safe_load((ROOT / "rules" / "e2i.yaml").read_text()), SCHEMA)
    jsonschema.validate(yaml.safe_load((ROOT / "rules" / "contracts.yaml").read_text()), SCHEMA)


def test_explain_shows_the_kind_parameters_and_its_examples(cli):
    code, out, _err = cli("explain", "E2I531", "--pack", "e2i", "--no-config")
    assert code == 0, out
    kind = REGISTRY["collection"]
    assert "Parameters of `collection`:" in out
    for p in kind.params:
        assert f"  {p.name} (" in out
    assert "(formerly `min_items`)" in out
    for snippet in kind.valid_examples:
        assert snippet in out
    for snippet, why in kind.invalid_examples:
        assert snippet in out and why in out
