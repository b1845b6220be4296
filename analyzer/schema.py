"""The JSON Schema (draft 2020-12) of pack files, generated from what ``packs.py`` validates.

The pack and rule structure comes from ``packs.py``'s key sets and patterns; each check kind's
parameters from its parameter dataclass (``checks/params.py``: the annotations give the types,
nested mappings included, ``opt`` the doc and default). So a kind added to the registry, or a
parameter added to a kind, is in the schema without editing it. ``obs-lint schema`` prints it;
``rules/pack.schema.json`` is the committed copy editors point at with a
``# yaml-language-server: $schema=...`` line (a test keeps it equal to the generated one).

The schema is the structural part of validation (keys, types, choices, required parameters);
the semantic checks a kind makes (``CheckKind.validate``: a regex compiles, a SQL type name is
a type) and cross-rule ones (duplicate codes, undeclared phases) remain ``obs-lint``'s.
"""

from __future__ import annotations

import json
from typing import Any

from .checks import REGISTRY
from .checks.base import Param
from .checks.params import field_types, is_params, key_of, nullable
from .packs import (
    _EXAMPLE_KEYS,
    _RULE_REQUIRED,
    _WHERE_KEYS,
    CODE_RE,
    NAME_RE,
    PACK_ID_RE,
)


_JSON_TYPES = {str: "string", int: "integer", float: "number", bool: "boolean", list: "array",
               dict: "object", type(None): "null"}

_STR_OR_LIST = {"anyOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}]}


def _types(types: tuple[type, ...]) -> list[str]:
    out = [_JSON_TYPES[t] for t in types]
    if "number" in out and "integer" in out:
        out.remove("integer")  # "number" holds the integers
    return out


def param_schema(p: Param) -> dict[str, Any]:
    """One parameter: its JSON types, list item types, choices, doc and default."""
    types = _types(p.types)
    s: dict[str, Any] = {"type": types[0] if len(types) == 1 else types}
    if list in p.types and p.item_types:
        items: dict[str, Any] = {}
        it = _types(p.item_types)
        items["type"] = it[0] if len(it) == 1 else it
        if p.choices:
            items["enum"] = list(p.choices)
        s["items"] = items
    elif p.choices:
        s["enum"] = list(p.choices)
    if p.doc:
        s["description"] = p.doc
    if p.default is not None:
        try:
            json.dumps(p.default)
            s["default"] = p.default
        except TypeError:  # pragma: no cover - every default today is JSON data
            pass
    return s


def type_schema(tp: Any, top: bool = False) -> dict[str, Any]:
    """The JSON Schema of a parameter annotation (``checks/params.py``), nested types included.
    ``top``: a top-level ``X | None`` means "optional", not "may be null"."""
    import dataclasses
    import typing
    from typing import Literal

    if tp is Any:
        return {}
    if tp is type(None):
        return {"type": "null"}
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if nullable(tp) or (origin is not None and type(None) not in args and len(args) > 1
                        and origin not in (list, dict, Literal)):
        alts = [a for a in args if not (top and a is type(None))]
        if len(alts) == 1:
            return type_schema(alts[0])
        return {"anyOf": [type_schema(a) for a in alts]}
    if origin is Literal:
        return {"enum": list(args)}
    if origin is list:
        item = type_schema(args[0]) if args else {}
        return {"type": "array", "items": item} if item else {"type": "array"}
    if origin is dict or tp is dict:
        value = type_schema(args[1]) if len(args) == 2 else {}
        return {"type": "object", "additionalProperties": value} if value else {"type": "object"}
    if is_params(tp):
        hints = field_types(tp)
        props = {}
        for f in dataclasses.fields(tp):
            k = key_of(f)
            props[k] = type_schema(hints[k], top=True)
            doc = f.metadata.get("obs_lint", {}).get("doc")
            if doc:
                props[k]["description"] = doc
        req = [key_of(f) for f in dataclasses.fields(tp)
               if f.default is dataclasses.MISSING
               and f.default_factory is dataclasses.MISSING]  # type: ignore[misc]
        out: dict[str, Any] = {"type": "object", "properties": props,
                               "additionalProperties": False}
        if req:
            out["required"] = req
        return out
    return {"type": _JSON_TYPES[tp]}


def _typed_param_schema(p: Param, tp: Any) -> dict[str, Any]:
    s = type_schema(tp, top=True)
    if "anyOf" in s and all(set(a) == {"type"} for a in s["anyOf"]):
        s = {"type": _types(tuple(t for t in p.types))}  # plain scalars: one "type" list
        if len(s["type"]) == 1:
            s["type"] = s["type"][0]
    if p.doc:
        s["description"] = p.doc
    if p.default is not None:
        try:
            json.dumps(p.default)
            s["default"] = p.default
        except TypeError:  # pragma: no cover - every default today is JSON data
            pass
    return s


def kind_schema(name: str) -> dict[str, Any]:
    """The ``check:`` mapping of one kind: ``kind`` and exactly its parameters."""
    kind = REGISTRY[name]
    props: dict[str, Any] = {"kind": {"const": name}}
    hints = field_types(kind.Params) if kind.Params is not None else {}
    for p in kind.params:
        props[p.name] = (_typed_param_schema(p, hints[p.name]) if p.name in hints
                         else param_schema(p))
    s: dict[str, Any] = {"type": "object", "properties": props,
                         "required": ["kind", *(p.name for p in kind.params if p.required)],
                         "additionalProperties": False}
    if kind.summary:
        s["description"] = kind.summary
    return s


def _pattern(rx: Any) -> str:
    return rx.pattern


def pack_schema() -> dict[str, Any]:
    """The whole schema, as a JSON-ready dict."""
    kinds = sorted(REGISTRY)
    phase_id = {"type": ["integer", "string"]}
    rule_props: dict[str, Any] = {
        "code": {"type": "string", "pattern": _pattern(CODE_RE),
                 "description": "Stable code: capitals then digits (E2I201)."},
        "name": {"type": "string", "pattern": _pattern(NAME_RE),
                 "description": "Lower-case slug (no-raw-mlflow)."},
        "phase": {"type": ["integer", "string", "null"],
                  "description": "A phase id declared in `phases`, or null."},
        "severity": {"enum": ["error", "warning"]},
        "message": {"type": "string"},
        "description": {"type": "string"},
        "checklist": {"type": "string"},
        "section": {"type": "string"},
        "example": {"type": "object", "additionalProperties": False,
                    "properties": {k: {"type": "string"} for k in sorted(_EXAMPLE_KEYS)}},
        "tags": _STR_OR_LIST,
        "where": {"type": "object", "additionalProperties": False,
                  "properties": {k: _STR_OR_LIST for k in sorted(_WHERE_KEYS)},
                  "description": "gitignore-style globs relative to the project root."},
        "check": {"$ref": "#/$defs/check"},
    }
    phase_props: dict[str, Any] = {
        "id": phase_id, "title": {"type": "string"}, "tests": _STR_OR_LIST,
        "min_tests": {"type": "integer"}, "description": {"type": "string"},
    }
    pack_props: dict[str, Any] = {
        "id": {"type": "string", "pattern": _pattern(PACK_ID_RE)},
        "title": {"type": "string"}, "description": {"type": "string"},
        "version": {"description": "Free-form (not interpreted)."},
    }
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "obs-lint rule pack",
        "description": "A pack file: `pack`, optional `phases`, `rules` (README: Rule packs).",
        "type": "object",
        "required": ["pack", "rules"],
        "additionalProperties": False,
        "properties": {
            "pack": {"type": "object", "required": ["id", "title"],
                     "additionalProperties": False, "properties": pack_props},
            "phases": {"type": "array", "items": {
                "type": "object", "required": ["id", "title"], "additionalProperties": False,
                "properties": phase_props}},
            "rules": {"type": "array", "items": {"$ref": "#/$defs/rule"}},
        },
        "$defs": {
            "rule": {"type": "object", "required": list(_RULE_REQUIRED),
                     "additionalProperties": False, "properties": rule_props},
            "check": {
                "type": "object", "required": ["kind"],
                "properties": {"kind": {"enum": kinds}},
                "allOf": [{"if": {"properties": {"kind": {"const": k}}, "required": ["kind"]},
                           "then": {"$ref": f"#/$defs/kinds/{k}"}} for k in kinds],
            },
            "kinds": {k: kind_schema(k) for k in kinds},
        },
    }


def schema_json() -> str:
    """The schema as the text ``obs-lint schema`` prints and ``rules/pack.schema.json`` holds."""
    return json.dumps(pack_schema(), indent=2, sort_keys=False) + "\n"


README_BEGIN = "<!-- check-kind-reference:begin -->"
README_END = "<!-- check-kind-reference:end -->"


def readme_reference() -> str:
    """The README's check-kind reference (between ``README_BEGIN`` and ``README_END``),
    generated from each kind's parameter dataclass: what ``tests/test_readme.py`` compares."""
    from .checks.params import reference_markdown

    return reference_markdown()


def update_readme(text: str) -> str:
    """``text`` (README.md) with the generated reference between its markers."""
    head, sep, rest = text.partition(README_BEGIN)
    _, sep2, tail = rest.partition(README_END)
    if not sep or not sep2:
        raise ValueError(f"README has no {README_BEGIN} ... {README_END} markers")
    return f"{head}{README_BEGIN}\n{readme_reference()}{README_END}{tail}"


if __name__ == "__main__":  # pragma: no cover - the maintainers' regeneration commands
    import sys

    if sys.argv[1:] == ["--readme"]:  # python -m obs_lint.schema --readme (rewrites README.md)
        from pathlib import Path

        path = Path("README.md")
        path.write_text(update_readme(path.read_text()))
    else:
        sys.stdout.write(schema_json())
