"""Check kind ``yaml``: a value in a YAML config file exists and satisfies assertions.

Automates checkboxes such as "``mlflow.yaml`` has tracking.uri", "circuit breaker thresholds
(failure: 5, reset: 30s)", "registry stages defined (dev/staging/shadow/production)" and "5
criteria with weights" (weights summing to 1.0).

Decisions (copied into the README):

* **File.** ``file`` is one path relative to the project root (no globs). A file that does not
  exist is a FAIL ("file not found"), never a silent pass. A file that exists but could not be
  read safely (syntax error, duplicate key, forbidden tag, alias bomb) makes the rule UNKNOWN
  with the parse message: the value cannot be decided, and the file's ``parse-error`` finding
  already fails the run.
* **Key path.** ``key`` is a dotted path, ``tracking.uri``; a part that is an integer indexes a
  list (``stages.0``, ``stages.-1`` for the last item). To reach a key that itself contains a
  dot, give the path as a list: ``key: [models, "gpt-4.1", temperature]``. Key parts are compared
  as text (the YAML key ``5`` matches part ``"5"``; ``true`` matches ``"true"``).
* **Documents.** In a multi-document file the first document where the whole path exists is
  used; ``document: N`` (0-based) pins one.
* **Assertions** may be combined; all must hold and each failing one is its own finding. With no
  assertion the key must exist and not be null. A parameter written as ``null`` counts as not
  given (the pack loader fills omitted parameters with null), so ``equals: null`` is not an
  assertion.

  - ``equals``: deep equality; ``true`` never equals ``1``; ``1`` equals ``1.0``.
  - ``matches``: ``re.search`` on the value's text (booleans ``true``/``false``, null ``null``);
    anchor with ``^...$`` to match the whole value. Only scalars match.
  - ``at_least`` / ``at_most``: inclusive numeric bounds of the value; booleans and numeric strings are not numbers.
  - ``one_of``: the value equals one of the listed values.
  - ``contains``: every listed item is in a list value, or every listed key is in a mapping
    value; the finding names exactly the missing ones.
  - ``min`` / ``max``: number of items of a list (or keys of a mapping); equal, exactly that
    many (the counts were ``count`` / ``min_count`` / ``max_count``: pack errors now).
  - ``type``: ``str``, ``int``, ``float``, ``number`` (int or float), ``bool``, ``list``,
    ``map``. ``int`` excludes booleans; ``float`` requires a float literal (``1.0``, not ``1``).
  - ``sum_field`` + ``sum`` (+ ``tolerance``, default 1e-6): the value is a list of mappings
    (or a mapping whose values are mappings, items named by their keys)
    whose numeric field ``sum_field`` (a dotted path inside each item) adds up to ``sum``
    within ``tolerance``. Items without the field, or with a non-number, are reported one by one.
* **Locations.** A finding points at the offending value (for a list or mapping: at its key);
  a missing key points at the deepest parent key that exists (the document start if none).
  A value written through an alias points at its anchor, where it is written.
"""

from __future__ import annotations

import math
import posixpath
import re
from typing import Any, ClassVar, Literal, Mapping, Sequence

from ..facts.yaml_model import YamlFacts, YNode
from ..regexsafe import refusal
from ..types import CheckResult, FileKind, Location, Severity, Span
from .params import opt, params
from .base import CheckKind, RuleContext, could_not_decide

_ANY = (str, int, float, bool, list, dict, type(None))
_NUM = (int, float)
_TYPES = ("str", "int", "float", "number", "bool", "list", "map")
DEFAULT_TOLERANCE = 1e-6
_BLOCKING = frozenset({"parse-error", "read-error", "skipped", "internal-error"})
_ASSERTIONS = ("equals", "matches", "at_least", "at_most", "one_of", "contains", "min", "max",
               "type", "sum")


# --------------------------------------------------------------------------------------------
# Value helpers
# --------------------------------------------------------------------------------------------


def _given(params: Mapping[str, Any], name: str) -> bool:
    """A parameter counts as given when present and not null: the pack loader fills every
    parameter the rule omits with its default (None), so presence alone means nothing."""
    return params.get(name) is not None


def _is_num(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def _text(v: Any) -> str:
    """A scalar as YAML would write it (``true``, ``null``), for matching and key comparison."""
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "true" if v else "false"
    return str(v)


def show(v: Any, limit: int = 60) -> str:
    """A short, unambiguous rendering of a value for messages (strings quoted)."""
    if isinstance(v, YNode):
        v = v.to_python()
    if isinstance(v, str):
        s = repr(v)
    elif isinstance(v, list):
        s = "[" + ", ".join(show(x, limit) for x in v) + "]"
    elif isinstance(v, dict):
        s = "{" + ", ".join(f"{show(k, limit)}: {show(x, limit)}" for k, x in v.items()) + "}"
    elif isinstance(v, float):
        s = f"{v:.10g}"
    else:
        s = _text(v)
    return s if len(s) <= limit else s[:limit - 3] + "..."


def _type_name(node: YNode) -> str:
    if node.kind == "map":
        return "map"
    if node.kind == "seq":
        return "list"
    v = node.value
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "bool"
    if isinstance(v, (int, float, str)):
        return type(v).__name__
    return type(v).__name__  # date, datetime, bytes


def _found(node: YNode) -> str:
    """``found <type> <value>`` text for messages."""
    if node.kind == "scalar" and node.value is None:
        return "found null"
    return f"found {_type_name(node)} {show(node)}"


def same(a: Any, b: Any) -> bool:
    """YAML-aware equality: booleans only equal booleans; ints equal floats; deep for lists/maps."""
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    if _is_num(a) and _is_num(b):
        return a == b
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    if isinstance(a, dict) and isinstance(b, dict):
        if len(a) != len(b):
            return False
        bk = {_text(k): v for k, v in b.items()}
        return all(_text(k) in bk and same(v, bk[_text(k)]) for k, v in a.items())
    return type(a) is type(b) and a == b


def _matches_type(node: YNode, want: str) -> bool:
    v = node.value
    return {
        "map": node.kind == "map",
        "list": node.kind == "seq",
        "str": node.kind == "scalar" and isinstance(v, str),
        "bool": node.kind == "scalar" and isinstance(v, bool),
        "int": node.kind == "scalar" and isinstance(v, int) and not isinstance(v, bool),
        "float": node.kind == "scalar" and isinstance(v, float),
        "number": node.kind == "scalar" and _is_num(v),
    }.get(want, False)


# --------------------------------------------------------------------------------------------
# Key paths
# --------------------------------------------------------------------------------------------


def key_parts(key: Any) -> tuple[Any, ...]:
    """``"a.b.0"`` -> ``("a", "b", "0")``; a list is taken part by part (for keys with dots)."""
    if isinstance(key, (list, tuple)):
        return tuple(key)
    return tuple(str(key).split("."))


def _label(parts: Sequence[Any]) -> str:
    return ".".join(str(p) for p in parts)


class _Walk:
    """Result of following a key path: ``node`` when found, else why and where it stopped."""

    __slots__ = ("node", "key_node", "depth", "reason", "anchor")

    def __init__(self, node: YNode | None, key_node: YNode | None, depth: int,
                 reason: str = "", anchor: Span | None = None) -> None:
        self.node, self.key_node, self.depth = node, key_node, depth
        self.reason, self.anchor = reason, anchor


def walk(doc: YNode, parts: Sequence[Any]) -> _Walk:
    """Follow ``parts`` from ``doc``, remembering the deepest existing parent for messages."""
    node, key_node = doc, None
    for depth, part in enumerate(parts):
        here = _label(parts[:depth]) or "the top level"
        anchor = key_node.span if key_node is not None else node.span
        if node.kind == "map":
            hit = None
            for k, v in node.value:
                if k.kind == "scalar" and (_text(k.value) == _text(part) or k.value == part):
                    hit = (k, v)
                    break
            if hit is None:
                keys = [show(k.value, 30) for k, _ in node.value]
                listed = ", ".join(keys[:12]) + (", ..." if len(keys) > 12 else "")
                reason = (f"{here} has no key {show(part)}"
                          + (f" (its keys: {listed})" if keys else " (it is empty)"))
                return _Walk(None, None, depth, reason, anchor)
            key_node, node = hit
        elif node.kind == "seq":
            idx: int | None = None
            if isinstance(part, int) and not isinstance(part, bool):
                idx = part
            elif isinstance(part, str) and re.fullmatch(r"-?\d+", part):
                idx = int(part)
            n = len(node.value)
            if idx is None:
                return _Walk(None, None, depth,
                             f"{here} is a list, not a map (index it with a number)", anchor)
            if not -n <= idx < n:
                return _Walk(None, None, depth, f"{here} has {n} item{'s' * (n != 1)}, "
                             f"so there is no item {idx}", anchor)
            key_node, node = None, node.value[idx]
        else:
            what = "null" if node.value is None else f"{_type_name(node)} {show(node)}"
            return _Walk(None, None, depth, f"{here} is {what}, not a map or list", anchor)
    return _Walk(node, key_node, len(parts))


def _at(node: YNode, key_node: YNode | None) -> Span:
    """Where a finding about ``node`` points: the value itself, or the key of a collection."""
    if node.kind != "scalar" and key_node is not None:
        return key_node.span
    return node.span


# --------------------------------------------------------------------------------------------
# The check kind
# --------------------------------------------------------------------------------------------


@params
class YamlCheckParams:
    """The `check:` parameters of `yaml`."""

    file: str = opt(doc="YAML file the rule concerns, relative to the project root (no globs).")
    key: str | list[str | int] = opt(
        doc="Dotted key path (integer parts index lists), or a list of parts.")
    document: int | None = opt(None, doc="0-based document to read in a multi-document file.")
    equals: Any = opt(None, doc="The value must equal this (deep, type-aware).")
    matches: str | None = opt(None, doc="Regex searched in the scalar value's text.")
    at_least: int | float | None = opt(None, doc="Inclusive numeric lower bound of the value.")
    at_most: int | float | None = opt(None, doc="Inclusive numeric upper bound of the value.")
    one_of: list[Any] | None = opt(None, doc="The value must equal one of these.")
    contains: list[Any] | None = opt(
        None,
        doc="Items a list value must contain, or keys a mapping value must have.")
    min: int | None = opt(None, doc="Minimum number of list items (or mapping keys); `min` "
                          "and `max` equal: exactly that many. (A bound on the value itself "
                          "is `at_least`.)",
                          was={"min_count": "", "count": " and 'max', both equal (an exact count)"},
                          type_hint=" (min counts items; a bound on the value is at_least)")
    max: int | None = opt(None, doc="Maximum number of list items (or mapping keys).",
                          was=("max_count",),
                          type_hint=" (max counts items; a bound on the value is at_most)")
    type: Literal['str', 'int', 'float', 'number', 'bool', 'list', 'map'] | None = opt(
        None,
        doc="Required type of the value.")
    sum_field: str | None = opt(None, doc="Field of each list item to add up (with `sum`).")
    sum: int | float | None = opt(None, doc="Required total of `sum_field` over the list items.")
    tolerance: int | float | None = opt(None, doc="Allowed |total - sum| (default 1e-6).")


class YamlCheck(CheckKind):
    """A YAML key exists in a given file and its value satisfies the listed assertions."""

    kind: ClassVar[str] = "yaml"
    file_kinds: ClassVar[frozenset[FileKind]] = frozenset({FileKind.YAML})
    summary: ClassVar[str] = ("A key in a YAML config file exists and its value satisfies "
                              "equals / matches / min / max / one_of / contains / count / type "
                              "/ sum assertions.")
    example: ClassVar[str] = """\
check:
  kind: yaml
  file: config/mlflow/mlflow.yaml
  key: circuit_breaker.failure_threshold
  equals: 5
"""
    Params = YamlCheckParams
    valid_examples = (
        '{kind: yaml, file: config/mlflow/mlflow.yaml, key: registry.stages, contains: [staging, production]}',
        '{kind: yaml, file: config/self_improvement.yaml, key: rubric.criteria, min: 5, max: 5, sum_field: weight, sum: 1.0}',
        '{kind: yaml, file: config/observability.yaml, key: sampling.default_rate, at_least: 0, at_most: 1}',
    )
    invalid_examples = (
        ('{kind: yaml, file: config/x.yaml, key: rubric.criteria, count: 5}',
         "is now spelled 'min' and 'max'"),
        ('{kind: yaml, file: config/x.yaml, key: sampling.rate, min: 0.5}',
         "min counts items; a bound on the value is at_least"),
        ('{kind: yaml, file: config/x.yaml, key: a.b, min_count: 1}',
         "is now spelled 'min'"),
    )

    @classmethod
    def validate(cls, params: Mapping[str, Any]) -> list[str]:
        errors: list[str] = []
        f = params.get("file")
        if isinstance(f, str):
            if not f.strip():
                errors.append("file: must not be empty")
            elif f.startswith("/") or ".." in f.split("/") or re.match(r"^[A-Za-z]:", f):
                errors.append(f"file: {f!r} must be a path relative to the project root")
            elif any(c in f for c in "*?["):
                errors.append(f"file: {f!r} must name one file (globs are not allowed)")
        key = params.get("key")
        if isinstance(key, str) and (not key or any(p == "" for p in key.split("."))):
            errors.append(f"key: {key!r} is not a dotted key path (empty part)")
        if isinstance(key, list) and (not key or any(
                isinstance(p, bool) or not isinstance(p, (str, int)) for p in key)):
            errors.append("key: a list key must be a non-empty list of strings and integers")
        if isinstance(params.get("matches"), str):
            try:
                re.compile(params["matches"])
            except re.error as exc:
                errors.append(f"matches: invalid regex {params['matches']!r}: {exc}")
            else:
                refused = refusal("matches", params["matches"])
                if refused:
                    errors.append(refused)
        for name in ("at_least", "at_most", "sum", "tolerance"):
            v = params.get(name)
            if _given(params, name) and (not _is_num(v) or math.isnan(v)):
                errors.append(f"{name}: must be a number, got {show(v)}")
        if _is_num(params.get("at_least")) and _is_num(params.get("at_most")) \
                and params["at_least"] > params["at_most"]:
            errors.append(f"at_least ({params['at_least']}) is greater than at_most "
                          f"({params['at_most']})")
        for name in ("min", "max", "document"):
            v = params.get(name)
            if _given(params, name) and (isinstance(v, bool) or not isinstance(v, int) or v < 0):
                errors.append(f"{name}: must be a non-negative integer, got {show(v)}")
        if isinstance(params.get("min"), int) and isinstance(params.get("max"), int) \
                and params["min"] > params["max"]:
            errors.append("min is greater than max")
        if _given(params, "sum") != _given(params, "sum_field"):
            errors.append("sum and sum_field must be given together")
        if _given(params, "tolerance") and not _given(params, "sum"):
            errors.append("tolerance only applies to sum")
        if _is_num(params.get("tolerance")) and params["tolerance"] < 0:
            errors.append("tolerance: must not be negative")
        if isinstance(params.get("sum_field"), str) and (
                not params["sum_field"] or "" in params["sum_field"].split(".")):
            errors.append(f"sum_field: {params['sum_field']!r} is not a dotted key path")
        for name in ("one_of", "contains"):
            if _given(params, name) and params[name] == []:
                errors.append(f"{name}: must list at least one item")
        if _given(params, "type") and params["type"] not in _TYPES:
            errors.append(f"type: must be one of {', '.join(_TYPES)}")
        return errors

    def patterns(self) -> tuple[str, ...] | None:
        return None  # YAML files are few; the rule names its file

    # -- evaluation ---------------------------------------------------------------------------
    def evaluate(self, ctx: RuleContext) -> CheckResult:
        path = posixpath.normpath(str(self.p["file"]).strip())  # "./a/b.yaml" -> "a/b.yaml"
        parts = key_parts(self.p["key"])
        key = _label(parts)
        ff = next((f for f in ctx.files if f.path == path), None)
        if ff is None:
            if path in ctx.all_paths:
                return self._unknown(ctx, path, Span.file_start(),
                                     f"{path} exists but was not analysed for this rule "
                                     "(is it inside the rule's `where:` paths?)")
            msg = f"{path}: file not found (expected it to define {key})"
            return self.result(ctx, [ctx.finding(path, None, msg, f"{path}: file not found")])
        facts = ff.payload
        blocking = [p for p in ff.problems if p.rule in _BLOCKING]
        if blocking and not (isinstance(facts, YamlFacts) and facts.documents):
            p = blocking[0]
            return self._unknown(ctx, path, p.span,
                                 could_not_decide(
                                     key, f"{path}:{p.span.line} could not be read: "
                                     f"{p.message.removeprefix('YAML not read: ')}"))
        if not isinstance(facts, YamlFacts):
            return self._unknown(ctx, path, Span.file_start(),
                                 could_not_decide(key, f"{path} was not analysed as YAML"))
        docs = facts.documents
        if not docs:
            return self.result(ctx, [ctx.finding(path, None, f"{key} not found (the file has "
                                                 "no YAML document)",
                                                 f"{path}: {key}: empty file")])
        pin = self.p.get("document")
        if pin is not None:
            if pin >= len(docs):
                msg = (f"the file has {len(docs)} document{'s' * (len(docs) != 1)}, "
                       f"so there is no document {pin} to read {key} from")
                return self.result(ctx, [ctx.finding(path, None, msg, msg)])
            docs = (docs[pin],)
        best: _Walk | None = None
        for doc in docs:
            w = walk(doc, parts)
            if w.node is not None:
                best = w
                break
            if best is None or w.depth > best.depth:
                best = w
        assert best is not None
        if best.node is None:
            msg = f"{key} not found: {best.reason}"
            return self.result(ctx, [ctx.finding(path, best.anchor, msg,
                                                 f"{path}: {key}: missing")])
        node, key_node = best.node, best.key_node
        problems = self._assert(node, key_node, key)
        where = _at(node, key_node)
        findings = [ctx.finding(path, span, text, f"{path}: {key}: {tag}")
                    for span, text, tag in problems]
        evidence = [Location(path, where)]
        note = f"{key} = {show(node)} ({path}:{where.line})"
        return self.result(ctx, findings, evidence, note if not findings else "")

    def _unknown(self, ctx: RuleContext, path: str, span: Span, message: str) -> CheckResult:
        f = ctx.finding(path, span, message, message, severity=Severity.INFO)
        return self.result(ctx, [f], note=message, undecided=True)

    def _assert(self, node: YNode, key_node: YNode | None,
                key: str) -> list[tuple[Span, str, str]]:
        """Every failing assertion as (span, message, stable tag)."""
        p = self.p
        at = _at(node, key_node)
        val = node.to_python()
        out: list[tuple[Span, str, str]] = []

        def fail(message: str, tag: str, span: Span | None = None) -> None:
            out.append((span or at, f"{key}: {message}", tag))

        if not any(_given(p, a) for a in _ASSERTIONS):
            if node.kind == "scalar" and node.value is None:
                fail("is null (expected a value)", "null")
            return out
        if _given(p, "equals") and not same(val, p["equals"]):
            fail(f"expected {show(p['equals'])}, {_found(node)}", "equals")
        if _given(p, "matches"):
            if node.kind != "scalar":
                fail(f"expected a scalar matching {p['matches']!r}, {_found(node)}", "matches")
            elif re.search(p["matches"], _text(node.value)) is None:
                fail(f"expected a value matching {p['matches']!r}, {_found(node)}", "matches")
        if _given(p, "at_least") or _given(p, "at_most"):
            lo, hi = p.get("at_least"), p.get("at_most")
            want = (f"between {show(lo)} and {show(hi)}" if lo is not None and hi is not None
                    else f">= {show(lo)}" if lo is not None else f"<= {show(hi)}")
            if node.kind != "scalar" or not _is_num(node.value):
                fail(f"expected a number {want}, {_found(node)}", "range")
            elif (lo is not None and node.value < lo) or (hi is not None and node.value > hi):
                fail(f"expected {want}, found {show(node.value)}", "range")
        if _given(p, "one_of") and not any(same(val, o) for o in p["one_of"]):
            fail(f"expected one of {', '.join(show(o) for o in p['one_of'])}, {_found(node)}",
                 "one_of")
        if _given(p, "contains"):
            self._contains(node, val, fail)
        # the counts: ``min`` and ``max`` (equal: exactly). The finding's tag (its fingerprint)
        # is the one the count had before the vocabulary was unified, so baselines still hold.
        exact = _given(p, "min") and _given(p, "max") and p["min"] == p["max"]
        counts = [("count", "exactly", p.get("min"), lambda n, w: n == w)] if exact else [
            (tag, word, p.get(name), test) for name, tag, word, test in (
                ("min", "min_count", "at least", lambda n, w: n >= w),
                ("max", "max_count", "at most", lambda n, w: n <= w)) if _given(p, name)]
        for tag, word, want, test in counts:
            if node.kind == "scalar":
                fail(f"expected a list with {word} {want} items, {_found(node)}", tag)
                continue
            n = len(node.value)
            noun = "items" if node.kind == "seq" else "keys"
            if not test(n, want):
                fail(f"expected {word} {want} {noun}, found {n}", tag)
        if _given(p, "type") and not _matches_type(node, p["type"]):
            fail(f"expected type {p['type']}, {_found(node)}", "type")
        if _given(p, "sum"):
            self._sum(node, key, fail)
        return out

    def _contains(self, node: YNode, val: Any, fail: Any) -> None:
        want = self.p["contains"]
        if node.kind == "seq":
            missing = [w for w in want if not any(same(w, x) for x in val)]
            if missing:
                have = ", ".join(show(x, 30) for x in val[:12]) + (", ..." if len(val) > 12
                                                                   else "")
                fail(f"missing {', '.join(show(m) for m in missing)} (found {have or 'none'})",
                     "contains")
        elif node.kind == "map":
            keys = {_text(k.value) for k, _ in node.value if k.kind == "scalar"}
            missing = [w for w in want if _text(w) not in keys]
            if missing:
                have = ", ".join(sorted(keys)[:12]) + (", ..." if len(keys) > 12 else "")
                fail(f"missing key{'s' * (len(missing) != 1)} "
                     f"{', '.join(show(m) for m in missing)} (found {have or 'none'})",
                     "contains")
        else:
            fail(f"expected a list or map containing "
                 f"{', '.join(show(w) for w in want)}, {_found(node)}", "contains")

    def _sum(self, node: YNode, key: str, fail: Any) -> None:
        field, want = self.p["sum_field"], self.p["sum"]
        tol = self.p.get("tolerance")
        tol = DEFAULT_TOLERANCE if tol is None else tol
        if node.kind == "seq":
            items = [(str(i), item, item.span) for i, item in enumerate(node.value)]
        elif node.kind == "map":
            # a mapping of named items (``criteria: {causal_validity: {weight: 0.25}, ...}``):
            # its values are the items, named by their keys
            items = [(_text(k.value), v, k.span) for k, v in node.value]
        else:
            fail(f"expected a list (or mapping) of mappings with {field!r} to sum, "
                 f"{_found(node)}", "sum")
            return
        total, bad = 0.0, False
        for i, item, span in items:
            w = walk(item, key_parts(field))
            if w.node is None:
                fail_item = (f"item {i} has no {field!r}" if item.kind == "map"
                             else f"item {i} is {_type_name(item)}, not a map with {field!r}")
                fail(fail_item, f"sum:item:{i}", span)
                bad = True
            elif w.node.kind != "scalar" or not _is_num(w.node.value):
                fail(f"item {i} {field} is not a number ({_found(w.node)})", f"sum:item:{i}",
                     w.node.span)
                bad = True
            else:
                total += w.node.value
        if not bad and abs(total - want) > tol:
            fail(f"{field} of the {len(node.value)} items sums to {show(float(total))}, "
                 f"expected {show(want)} (tolerance {show(tol)})", "sum")
