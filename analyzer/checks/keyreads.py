"""Which keys the code reads from a loaded config object, and whether that is all it does.

``config-contract`` reports sections of a config file the loading code never reads, and keys it
reads that the file does not define. Both start from the object a YAML parser returns for the
file (``data = yaml.safe_load(f)``, ``... or {}``, returned to the caller of a loader function
and bound there: ``cfg = load_config()``), tracked by name in one function:

* reads: ``cfg["a"]["b"]``, ``cfg.get("a")``, ``cfg.get("a", {}).get("b")``, ``"a" in cfg``,
  and through names bound to a part (``sub = cfg["a"]``, ``sub = cfg.get("a") or {}``);
* **complete** (every top-level key the code may read is known) only when every use of the
  loaded name — not of the names bound to its parts — is one of those (facts count every use of an
  identifier, ``NameFact.uses``), or a plain test of it (``if not cfg``, ``cfg is None``,
  ``isinstance(cfg, dict)``). A name passed on, iterated, merged, returned or read with a
  computed key makes the reads incomplete: its unread sections are then not judged (a key
  read that the file lacks still is).
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field

from ..facts.model import AssignFact, CallFact, CallValue, FunctionFact, PythonFacts, Ref, \
    Unknown, Value
from ..types import Span
from .loaders import YAML_PARSERS


@dataclass(frozen=True, slots=True)
class KeyRead:
    keys: tuple[str, ...]
    span: Span
    how: str  # "subscript" | "get" | "in"


@dataclass
class Reads:
    reads: list[KeyRead] = field(default_factory=list)
    complete: bool = True
    why: str = ""  # why not complete
    names: list[str] = field(default_factory=list)  # the names tracked ("data", "sub")
    path: str = ""  # the file the reads are in

    def incomplete(self, why: str) -> None:
        if self.complete:
            self.complete = False
            self.why = why


def _call_value(c: CallFact) -> CallValue:
    return CallValue(c.callee, c.qualname, c.args, c.kwargs, c.receiver)


def parser_of(facts: PythonFacts, reader: CallFact) -> CallFact | None:
    """The YAML parser call in the reader's function that consumes the reader's result."""
    mine = _call_value(reader)
    handles = {a.target for a in facts.assigns if a.scope == reader.scope
               and isinstance(a.value, CallValue) and a.value.callee == reader.callee
               and a.value.args == reader.args}
    for p in facts.calls:
        if p.scope != reader.scope or (p.qualname or p.callee) not in YAML_PARSERS:
            continue
        for arg in (*p.args, *(v for _, v in p.kwargs)):
            if arg == mine or (isinstance(arg, CallValue) and arg.receiver == mine):
                return p
            if isinstance(arg, Ref) and arg.name in handles:
                return p
            if isinstance(arg, CallValue) and isinstance(arg.receiver, Ref) and \
                    arg.receiver.name in handles:
                return p
    return None


def _is_value_of(v: Value, call: CallFact) -> bool:
    """Is ``v`` the call's result (``f(x)``, ``f(x) or {}``)?"""
    if isinstance(v, CallValue):
        return v.callee == call.callee and v.args == call.args and v.kwargs == call.kwargs
    if isinstance(v, Unknown):
        text = v.text
        return text.startswith(call.text) and text[len(call.text):].lstrip().startswith("or")
    return False


def bound_to(facts: PythonFacts, scope: str, call: CallFact) -> tuple[list[str], bool]:
    """Names in ``scope`` bound to the call's result, and whether the function returns it."""
    names = [a.target for a in facts.assigns if a.scope == scope and "." not in a.target
             and a.has_value and not a.augmented and _is_value_of(a.value, call)]
    fn = next((f for f in facts.functions if f.qualname == scope), None)
    returned = fn is not None and any(
        _is_value_of(r, call) or (isinstance(r, Ref) and r.name in names) for r in fn.returns)
    return names, returned


def track(facts: PythonFacts, scope: str, name: str, path: str = "") -> Reads:
    """The reads of the object bound to ``name`` in ``scope`` (see the module docstring)."""
    out = Reads(path=path)
    binds = [a for a in facts.assigns if a.scope == scope and a.target == name]
    if len(binds) != 1:
        out.incomplete(f"`{name}` is assigned more than once")
    todo: list[tuple[str, tuple[str, ...]]] = [(name, ())]
    seen: set[str] = set()
    fn = next((f for f in facts.functions if f.qualname == scope), None)
    while todo:
        n, prefix = todo.pop()
        if n in seen:
            continue
        seen.add(n)
        out.names.append(n)
        counted = _reads_of(facts, scope, n, prefix, out, todo)
        if prefix:
            continue  # a part's other uses read below it: the top-level sections are known
        counted += _benign_tests(fn, n)
        if fn is not None and any(isinstance(r, Ref) and r.name == n for r in fn.returns):
            out.incomplete(f"`{n}` is returned from `{scope}`")
        uses = next((x.uses for x in facts.names if x.name == n and x.kind == "name"
                     and x.scope == scope), 0)
        if uses > counted:
            out.incomplete(f"`{n}` is used in `{scope or 'the module'}` in ways the check does "
                           f"not follow (passed on, iterated or merged: {uses - counted} of "
                           f"{uses} uses)")
    return out


def _literal_keys(keys: tuple[Value, ...]) -> tuple[str, ...] | None:
    out = []
    for k in keys:
        if not isinstance(k, str):
            return None
        out.append(k)
    return tuple(out)


def _get_chain(v: Value, name: str) -> tuple[str, ...] | None:
    """``name.get("a").get("b")`` -> ("a", "b"); None if ``v`` is not such a chain."""
    keys: list[str] = []
    while isinstance(v, CallValue) and v.callee.endswith("get") and v.receiver is not None:
        if not v.args or not isinstance(v.args[0], str):
            return None
        keys.append(v.args[0])
        v = v.receiver
    if isinstance(v, Ref) and v.name == name and keys:
        return tuple(reversed(keys))
    return None


def _alias_keys(a: AssignFact, name: str) -> tuple[str, ...] | None:
    """``sub = name["a"]`` / ``name.get("a", {})`` / ``... or {}``: the keys of the part."""
    v = a.value
    got = _get_chain(v, name)
    if got is not None:
        return got
    if isinstance(v, Unknown) and v.text:
        try:
            node = ast.parse(v.text, mode="eval").body
        except (SyntaxError, ValueError, RecursionError):
            return None
        if isinstance(node, ast.BoolOp) and isinstance(node.op, ast.Or):
            node = node.values[0]
        keys: list[str] = []
        while True:
            if isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Constant) and \
                    isinstance(node.slice.value, str):
                keys.append(node.slice.value)
                node = node.value
            elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and \
                    node.func.attr == "get" and node.args and isinstance(
                        node.args[0], ast.Constant) and isinstance(node.args[0].value, str):
                keys.append(node.args[0].value)
                node = node.func.value
            else:
                break
        if isinstance(node, ast.Name) and node.id == name and keys:
            return tuple(reversed(keys))
    return None


def _reads_of(facts: PythonFacts, scope: str, n: str, prefix: tuple[str, ...], out: Reads,
              todo: list[tuple[str, tuple[str, ...]]]) -> int:
    """Record the reads on name ``n``; return how many of its uses they account for."""
    counted = 0
    starts: set[tuple[int, int]] = set()
    for r in facts.key_reads:
        if r.scope != scope or r.target != n:
            continue
        keys = _literal_keys(r.keys)
        if r.how == "in":
            if keys is None:
                out.incomplete(f"`{n}` is tested with a computed key")
                continue
            out.reads.append(KeyRead(prefix + keys, r.span, "in"))
            if len(r.keys) == 1:
                counted += 1
            continue
        if keys is None:
            lit = _literal_keys(r.keys[:1])
            if lit is None:
                out.incomplete(f"`{n}[...]` is read with a computed key (line {r.span.line})")
            else:
                out.reads.append(KeyRead(prefix + lit, r.span, "subscript"))
        else:
            out.reads.append(KeyRead(prefix + keys, r.span, "subscript"))
        starts.add((r.span.line, r.span.column))
    counted += len(starts)
    for c in facts.calls:
        if c.scope != scope or c.context != "call" or c.attr != "get":
            continue
        got = _get_chain(_call_value(c), n)
        if got is None:
            if isinstance(c.receiver, Ref) and c.receiver.name == n:
                counted += 1
                out.incomplete(f"`{n}.get(...)` with a computed key (line {c.span.line})")
            continue
        out.reads.append(KeyRead(prefix + got, c.span, "get"))
        if isinstance(c.receiver, Ref) and c.receiver.name == n:
            counted += 1
    for a in facts.assigns:
        if a.scope != scope or "." in a.target or a.target == n:
            continue
        keys = _alias_keys(a, n)
        if keys is not None:
            todo.append((a.target, prefix + keys))
    return counted


_BENIGN_PARENTS = (ast.UnaryOp, ast.BoolOp, ast.If, ast.IfExp, ast.While)


def _benign_tests(fn: FunctionFact | None, n: str) -> int:
    """Uses of ``n`` in the function's ``if`` tests that only test it: ``not n``, ``n``,
    ``n is None``, ``isinstance(n, dict)`` (``"k" in n`` is a read, counted there)."""
    if fn is None:
        return 0
    count = 0
    for text in fn.conditions:
        try:
            tree = ast.parse(text, mode="eval")
        except (SyntaxError, ValueError, RecursionError):
            continue
        parents: dict[int, ast.AST] = {}
        for node in ast.walk(tree):
            for child in ast.iter_child_nodes(node):
                parents[id(child)] = node
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Name) and node.id == n):
                continue
            p = parents.get(id(node))
            if isinstance(p, (ast.Expression, *_BENIGN_PARENTS)):
                count += 1
            elif isinstance(p, ast.Compare) and p.left is node and all(
                    isinstance(c, ast.Constant) and c.value is None for c in p.comparators):
                count += 1
            elif isinstance(p, ast.Call) and isinstance(p.func, ast.Name) and \
                    p.func.id == "isinstance" and p.args and p.args[0] is node:
                count += 1
    return count
