"""Typed check-kind parameters: each kind declares a frozen dataclass, everything else is read
from it.

A kind's parameters are one ``@params`` dataclass (frozen, keyword-only), each field written
with ``opt(...)``::

    @params
    class RequireCallParams:
        calls: list[str] = opt(doc="Call patterns; any of them counts.")      # no default: required
        min: int = opt(1, doc="Minimum number of matching calls.")
        per: Literal["set", "file"] = opt("set", doc="...")

and the kind names it: ``Params = RequireCallParams``. From the annotations and ``p``'s
metadata come the ``Param`` tuple the pack validator reads (``CheckKind.params``), the nested
validation of mappings and lists (``check_nested``: each wrong key or value is an error at its
own YAML line), the JSON Schema (``schema.py``), ``obs-lint explain``'s parameter list and the
README's check-kind reference (``reference_markdown``). Nested mappings with fixed keys are
nested ``@params`` dataclasses; mappings keyed by the user's names are ``dict[str, X]``.

Annotations understood: ``str``, ``int``, ``float`` (an int is accepted and made a float),
``bool``, ``Any``, ``None`` in a union (null allowed), ``Literal[...]`` (choices),
``list[X]``, ``dict[str, X]``, a nested ``@params`` dataclass, and unions of those.

Vocabulary (the same in every kind): ``min``/``max`` are *counts* (calls, items, tests);
``at_least``/``at_most`` are bounds on a *value*; ``functions`` is always a *filter* (only what
lies inside functions whose qualified name matches); names that must exist are named for what
they are (``methods``, ``module_functions``, ``symbols``). A renamed parameter is declared with
``was=`` and its old spelling is a pack error naming the new one.

The pack values handed to ``evaluate`` stay the plain YAML data (``rule.params``, a dict with
every parameter, defaults filled): the dataclass is the declaration and the validator, so a
parameter's value is exactly what the pack wrote.
"""

from __future__ import annotations

import dataclasses
import sys
import types as _pytypes
import typing
from dataclasses import MISSING, dataclass, field
from typing import Any, Callable, Literal, Mapping, Union

from ..facts.yaml_model import YNode
from .base import Param

_META = "obs_lint"


def opt(default: Any = MISSING, *, doc: str = "", globs: bool = False,
      was: Mapping[str, str] | tuple[str, ...] = (), key: str = "", type_hint: str = "") -> Any:
    """A parameter field. No ``default``: the parameter is required.

    ``globs``: the value is gitignore-style globs (checked when the pack loads). ``was``: old
    spellings (a tuple of names, or ``{old: hint}`` where the hint replaces "write NEW").
    ``key``: the name packs write when it is a Python keyword (``class_`` is ``class``).
    ``type_hint``: appended to the pack error of a value of the wrong type."""
    if isinstance(was, tuple):
        was = {name: "" for name in was}
    md = {_META: {"doc": doc, "globs": globs, "was": dict(was), "key": key,
                  "type_hint": type_hint}}
    if isinstance(default, (list, dict)):
        frozen = default
        return field(default_factory=lambda: type(frozen)(frozen), metadata=md)
    return field(default=default, metadata=md)


def params(cls: type) -> type:
    """Make ``cls`` a parameter dataclass (frozen, keyword-only)."""
    return dataclass(frozen=True, kw_only=True)(cls)


def _hints(cls: type) -> dict[str, Any]:
    mod = sys.modules.get(cls.__module__)
    return typing.get_type_hints(cls, vars(mod) if mod else None, include_extras=False)


def _meta(f: dataclasses.Field) -> dict[str, Any]:
    return f.metadata.get(_META, {"doc": "", "globs": False, "was": {}, "key": "",
                                  "type_hint": ""})


def key_of(f: dataclasses.Field) -> str:
    """The name a pack writes for the field."""
    return _meta(f)["key"] or f.name


def _by_key(cls: type) -> dict[str, dataclasses.Field]:
    return {key_of(f): f for f in dataclasses.fields(cls)}


def _default(f: dataclasses.Field) -> Any:
    if f.default is not MISSING:
        return f.default
    if f.default_factory is not MISSING:  # type: ignore[misc]
        return f.default_factory()  # type: ignore[misc]
    return None


def is_params(tp: Any) -> bool:
    return isinstance(tp, type) and dataclasses.is_dataclass(tp)


def _args(tp: Any) -> tuple[Any, ...]:
    return typing.get_args(tp)


def _is_union(tp: Any) -> bool:
    return typing.get_origin(tp) in (Union, _pytypes.UnionType)


def _alternatives(tp: Any) -> list[Any]:
    """The members of a union (``None`` removed), or ``[tp]``."""
    if _is_union(tp):
        return [a for a in _args(tp) if a is not type(None)]
    return [tp]


def nullable(tp: Any) -> bool:
    return _is_union(tp) and type(None) in _args(tp)


def _python_types(tp: Any) -> tuple[tuple[type, ...], tuple[type, ...], tuple[str, ...]]:
    """(accepted top-level types, list item types, choices) of an annotation, as ``Param``
    records them."""
    tops: list[type] = []
    items: list[type] = []
    choices: list[str] = []
    for alt in _alternatives(tp):
        origin = typing.get_origin(alt)
        if alt is Any:
            tops += [str, int, float, bool, list, dict, type(None)]
        elif origin is Literal:
            tops.append(str)
            choices += [str(a) for a in _args(alt)]
        elif origin is list:
            tops.append(list)
            (item,) = _args(alt) or (Any,)
            if item is not Any:
                it, _, ch = _python_types(item)
                items += it
                choices += ch
        elif origin is dict or alt is dict or is_params(alt):
            tops.append(dict)
        elif alt in (str, int, float, bool):
            tops.append(alt)
        else:  # pragma: no cover - a declaration mistake, caught by the generic test
            raise TypeError(f"unsupported parameter annotation {alt!r}")
    dedup = tuple(dict.fromkeys(tops))
    return dedup, tuple(dict.fromkeys(items)), tuple(dict.fromkeys(choices))


def params_of(cls: type) -> tuple[Param, ...]:
    """The ``Param`` records of a parameter dataclass (what ``packs.py`` validates against)."""
    hints = _hints(cls)
    out = []
    for f in dataclasses.fields(cls):
        tp = hints[f.name]
        tops, items, choices = _python_types(tp)
        m = _meta(f)
        required = f.default is MISSING and f.default_factory is MISSING  # type: ignore[misc]
        out.append(Param(key_of(f), tops, required=required, default=_default(f), doc=m["doc"],
                         item_types=items if list in tops else (), choices=choices,
                         globs=m["globs"], type_hint=m.get("type_hint", "")))
    return tuple(out)


def field_types(cls: type) -> dict[str, Any]:
    """pack key -> annotation of a parameter dataclass."""
    hints = _hints(cls)
    return {k: hints[f.name] for k, f in _by_key(cls).items()}


def renamed(cls: type) -> dict[str, tuple[str, str]]:
    """old spelling -> (new name, hint) of every field's ``was``."""
    out: dict[str, tuple[str, str]] = {}
    for f in dataclasses.fields(cls):
        for old, hint in _meta(f)["was"].items():
            out[old] = (key_of(f), hint)
    return out


# -- nested validation ------------------------------------------------------------------------

class NestedError(Exception):
    """A wrong nested key or value: ``node`` is where it is written."""

    def __init__(self, node: YNode, message: str) -> None:
        super().__init__(message)
        self.node = node
        self.message = message


def _needs_nested(tp: Any) -> bool:
    """Does the annotation say anything the top-level ``Param`` check does not?"""
    for alt in _alternatives(tp):
        origin = typing.get_origin(alt)
        if is_params(alt) or origin is dict:
            return True
        if origin is list and _needs_nested((_args(alt) or (Any,))[0]):
            return True
    return False


def _type_name(tp: Any, top: bool = False) -> str:
    """How an annotation reads in a message or the README (``list of str``, ``true/false``)."""
    names = []
    for alt in _alternatives(tp):
        origin = typing.get_origin(alt)
        if alt is Any:
            names.append("any value")
        elif origin is Literal:
            names.append(" | ".join(str(a) for a in _args(alt)))
        elif origin is list:
            names.append(f"list of {_type_name((_args(alt) or (Any,))[0])}")
        elif origin is dict:
            k, v = _args(alt) or (str, Any)
            names.append(f"mapping of {_type_name(k)} to {_type_name(v)}")
        elif is_params(alt):
            names.append("{" + ", ".join(key_of(f) for f in dataclasses.fields(alt)) + "}")
        elif alt is bool:
            names.append("true/false")
        else:
            names.append(getattr(alt, "__name__", str(alt)))
    if nullable(tp) and not top:  # a top-level ``X | None``: optional, not null
        names.append("null")
    return " or ".join(names)


def _scalar_ok(tp: Any, value: Any) -> bool:
    if tp is Any:
        return True
    if tp is bool:
        return isinstance(value, bool)
    if tp is float:
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if tp in (int, str):
        return isinstance(value, tp) and not isinstance(value, bool)
    return False


def _matches(tp: Any, node: YNode, what: str) -> bool:
    """Whether ``node`` has the shape of ``tp`` (raising a NestedError for a wrong part of a
    value whose outer shape fits, so the error is at the innermost line)."""
    if tp is type(None):
        return node.kind == "scalar" and node.value is None
    if _is_union(tp):
        alts = _args(tp)
        fits = [a for a in alts if _shape_fits(a, node)]
        if not fits:
            return False
        _matches(fits[0], node, what)
        return True
    origin = typing.get_origin(tp)
    if tp is Any:
        return True
    if origin is Literal:
        return node.kind == "scalar" and node.value in _args(tp)
    if origin is list:
        if node.kind != "seq":
            return False
        (item,) = _args(tp) or (Any,)
        for i, n in enumerate(node.value):
            check(item, n, f"{what}[{i}]")
        return True
    if origin is dict:
        if node.kind != "map":
            return False
        _, vt = _args(tp) or (str, Any)
        for k, v in node.value:
            if k.kind != "scalar" or not isinstance(k.value, str):
                raise NestedError(k, f"{what}: keys must be strings, got {k.to_python()!r}")
            check(vt, v, f"{what}.{k.value}")
        return True
    if is_params(tp):
        if node.kind != "map":
            return False
        check_mapping(tp, node, what)
        return True
    return node.kind == "scalar" and _scalar_ok(tp, node.value)


def _shape_fits(tp: Any, node: YNode) -> bool:
    """The outer shape only (a list for a list type, a mapping for a mapping type...)."""
    origin = typing.get_origin(tp)
    if tp is Any:
        return True
    if tp is type(None):
        return node.kind == "scalar" and node.value is None
    if origin is list:
        return node.kind == "seq"
    if origin is dict or is_params(tp):
        return node.kind == "map"
    if origin is Literal:
        return node.kind == "scalar" and node.value in _args(tp)
    if _is_union(tp):
        return any(_shape_fits(a, node) for a in _args(tp))
    return node.kind == "scalar" and _scalar_ok(tp, node.value)


def check(tp: Any, node: YNode, what: str) -> None:
    """Raise NestedError (at the offending node) unless ``node`` is a ``tp``."""
    if not _matches(tp, node, what):
        got = node.kind if node.kind != "scalar" else (
            "null" if node.value is None else type(node.value).__name__)
        if typing.get_origin(tp) is Literal and node.kind == "scalar":
            got = repr(node.value)
        raise NestedError(node, f"{what} must be {_type_name(tp)}, got {got}")


def check_mapping(cls: type, node: YNode, what: str) -> None:
    """A nested parameter mapping: known keys only (did-you-mean), required keys present,
    each value of its declared type."""
    import difflib

    hints = field_types(cls)
    fields = _by_key(cls)
    seen = set()
    for k, v in node.value:
        key = k.value if k.kind == "scalar" else None
        if not isinstance(key, str) or key not in fields:
            close = difflib.get_close_matches(str(key), sorted(fields), n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise NestedError(k, f"{what}: unknown key {key!r}{hint}; known: "
                                 f"{', '.join(fields)}")
        seen.add(key)
        check(hints[key], v, f"{what}.{key}")
    for name, f in fields.items():
        if name not in seen and f.default is MISSING and \
                f.default_factory is MISSING:  # type: ignore[misc]
            raise NestedError(node, f"{what}: missing required key {name!r}")


def check_nested(cls: type, name: str, node: YNode) -> None:
    """The nested part of one top-level parameter (after ``packs.py``'s top-level check)."""
    tp = field_types(cls)[name]
    if _needs_nested(tp):
        check(tp, node, f"check.{name}")


# -- documentation --------------------------------------------------------------------------

def type_text(cls: type, name: str) -> str:
    return _type_name(field_types(cls)[name], top=True)


def _show_default(value: Any) -> str:
    import json

    if value is None:
        return ""
    try:
        return f"`{json.dumps(value)}`"
    except TypeError:  # pragma: no cover
        return f"`{value!r}`"


def nested_types(cls: type) -> list[type]:
    """The nested parameter dataclasses reachable from ``cls`` (documented beneath it)."""
    out: list[type] = []

    def walk(tp: Any) -> None:
        for a in (_args(tp) if _args(tp) else ()):
            walk(a)
        if is_params(tp) and tp not in out:
            out.append(tp)
            for t in _hints(tp).values():
                walk(t)

    for t in _hints(cls).values():
        walk(t)
    return out


def param_lines(cls: type) -> list[str]:
    """``explain``'s parameter list: one line per parameter (type, default or required, doc)."""
    lines = []
    for f in dataclasses.fields(cls):
        required = f.default is MISSING and f.default_factory is MISSING  # type: ignore[misc]
        d = "required" if required else (f"default {_show_default(_default(f))}"
                                         if _default(f) is not None else "optional")
        k = key_of(f)
        lines.append(f"  {k} ({type_text(cls, k)}; {d}): {_meta(f)['doc']}")
        for old, (new, _hint) in renamed(cls).items():
            if new == k:
                lines.append(f"      (formerly `{old}`)")
    return lines


def explain_lines(kind: type) -> list[str]:
    """What ``obs-lint explain`` adds for a rule's kind: its parameters (from the dataclass)
    and the kind's valid and invalid example ``check:`` mappings."""
    out = ["", f"Parameters of `{kind.kind}`:"] + param_lines(kind.Params)  # type: ignore
    valid = getattr(kind, "valid_examples", ())
    invalid = getattr(kind, "invalid_examples", ())
    if valid:
        out += ["", "Valid check:"] + [f"    {v}" for v in valid]
    if invalid:
        out += ["", "Invalid check (and why):"] + [f"    {s}\n      -> {why}"
                                                    for s, why in invalid]
    return out


def _table(cls: type) -> list[str]:
    rows = ["| Parameter | Type | Default | Meaning |", "|---|---|---|---|"]
    olds = renamed(cls)
    for f in dataclasses.fields(cls):
        required = f.default is MISSING and f.default_factory is MISSING  # type: ignore[misc]
        d = "**required**" if required else (_show_default(_default(f)) or "—")
        doc = _meta(f)["doc"].replace("|", "\\|").replace("\n", " ")
        k = key_of(f)
        was = [o for o, (n, _) in olds.items() if n == k]
        if was:
            doc += " (Formerly " + ", ".join(f"`{o}`" for o in was) + ".)"
        typ = type_text(cls, k).replace("|", "\\|")
        rows.append(f"| `{k}` | {typ} | {d} | {doc} |")
    return rows


def kind_reference(kind: type) -> list[str]:
    """One kind's part of the README reference: summary, parameters, examples."""
    cls = kind.Params  # type: ignore[attr-defined]
    out = [f"#### `{kind.kind}`", ""]
    if kind.summary:
        out += [kind.summary, ""]
    out += _table(cls)
    for sub in nested_types(cls):
        out += ["", f"`{sub.__name__}` (a nested mapping):", ""] + _table(sub)
    valid = getattr(kind, "valid_examples", ())
    invalid = getattr(kind, "invalid_examples", ())
    if valid:
        out += ["", "Valid:", "", "```yaml", *[v.rstrip() for v in valid], "```"]
    if invalid:
        out += ["", "Invalid (the pack error says why):", "", "```yaml",
                *[f"{snippet.rstrip()}  # {why}" for snippet, why in invalid], "```"]
    return out + [""]


def reference_markdown(kinds: Mapping[str, type] | None = None,
                       load: Callable[[str], type] | None = None) -> str:
    """The README's check-kind reference (between its ``check-kind-reference`` markers)."""
    from . import REGISTRY

    reg = REGISTRY if kinds is None else kinds
    out = ["<!-- Generated from each kind's parameter dataclass (analyzer/checks/<kind>.py); "
           "regenerate with `python -m obs_lint.schema --readme`. -->", ""]
    for name in reg:
        out += kind_reference(reg[name])
    return "\n".join(out).rstrip() + "\n"
