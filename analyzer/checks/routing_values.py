"""Following the values of a routed state key through a router (routing).

A router's return paths (``ReturnPath`` facts: each returned value with the ``if``/``elif`` and
conditional-expression tests on the way) are evaluated for one value of the key at a time:
a test of the key (``s["k"]``, ``s.get("k")``, or a local bound to one of them; ``==``, ``!=``,
``in``, ``not in``, ``is``, ``is not``, truth) is decided for the value; a test of anything else
may go either way; the first path whose tests all hold is taken, and the labels of the paths
that may be taken before it are reachable too. A path returning the key's value itself routes
the value by its own label. The values are an Enum's members (with their literal values), or
the literal values the graph's nodes write to the key.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..facts.model import CallValue, Guard, Ref, ReturnPath, Seq, Value
from .graph_read import END, Graph
from .node_resolve import Impl, at, base_dir
from .pyindex import resolve_ref, show
from .resolve import ClassDef, Unknown
from .state_access import Analyzer

END_NAMES = ("END", "langgraph.graph.END", "langgraph.graph.state.END", "langgraph.constants.END")


@dataclass(frozen=True, slots=True)
class Member:
    """A value the routed key can take: an enum member (name) and/or a literal value."""

    name: str | None
    value: object  # the literal (str/int/...) or None when not known

    def show(self) -> str:
        return self.name if self.name else repr(self.value)


NOT_DECIDED = object()  # a test of the key the rule cannot evaluate
VALUE = object()  # a return path that returns the routed key's value itself


def label_of(an: Analyzer, impl: Impl, rp: ReturnPath, param: str, keys: list[str]):
    """A return path's label: a string, END, ``VALUE`` (the routed key's own value), or
    None (not known)."""
    v = rp.value
    if isinstance(v, str):
        return v
    if isinstance(v, Ref):
        if v.name in END_NAMES or v.qualname in END_NAMES:
            return END
        facts = an.facts(impl.path)
        if facts is not None:
            got = resolve_ref(v, facts, impl.scope)
            if isinstance(got, str):
                return got
    if rp.subject and subject_key(an, impl, rp.subject, param) in keys:
        return VALUE
    return None


def subject_key(an: Analyzer, impl: Impl, subject: str, param: str) -> str | None:
    """The state key a guard or return subject reads (``s['k']``, a local bound to
    ``s.get('k')`` / ``s['k']``), else None."""
    if subject.endswith(".value"):
        subject = subject[: -len(".value")]
    prefix = f"{param}["
    if param and subject.startswith(prefix) and subject.endswith("]"):
        inner = subject[len(prefix):-1]
        if len(inner) >= 2 and inner[0] == inner[-1] and inner[0] in "'\"":
            return inner[1:-1]
        return None
    if not subject.isidentifier() or impl.fn is None:
        return None
    fi = an.view.file(impl.path)
    if fi is None:
        return None
    assigns = fi.assigns.get((impl.fn.qualname, subject)) or []
    if len(assigns) != 1:
        return None
    a = assigns[0]
    v = a.value
    if isinstance(v, CallValue) and v.callee == f"{param}.get" and v.args and isinstance(
            v.args[0], str):
        return v.args[0]
    for s in fi.facts.subscript_loads:
        if s.target == param and s.scope == impl.fn.qualname and s.span.line == a.span.line \
                and isinstance(s.key, str):
            return s.key
    return None


def domain(an: Analyzer, g: Graph, keys: list[str], values_from: str | None
           ) -> tuple[list[Member] | None, str]:
    """The values the routed key takes: ``values_from``'s members, else the literal values
    the graph's nodes write to it (None: not knowable, with why)."""
    cname = values_from
    if cname:
        return members_of(an, g, cname)
    key = keys[0]
    vals: list[Member] = []
    path, scope = g.builder
    wrote = False
    for nd in g.node_defs:
        if not nd.has_action:
            continue
        impl = an.resolve(path, nd.action, scope, nd.call.span)
        if isinstance(impl, Unknown):
            return None, f"values of `{key}` not knowable: node `{nd.name}`: {impl.reason}"
        w = an.writes(impl, an.state_param(impl))
        for (wpath, wspan), v in zip(w.keys.get(key, ()), w.values.get(key, ())):
            wrote = True
            m = member_of(an, wpath, v)
            if m is None:
                return None, (f"values of `{key}` not knowable: `{show(v)}` is written at "
                              f"{at(wpath, wspan, base_dir(path))}")
            if m not in vals:
                vals.append(m)
    if not wrote:
        return None, f"no node writes `{key}` with a literal value"
    return vals, "written by the graph's nodes"


def member_of(an: Analyzer, path: str, v: Value) -> Member | None:
    """The value a write assigns: a literal, or a member ``E.M`` / ``E.M.value`` of a project
    class; None when it is neither."""
    if isinstance(v, (str, int, bool)):
        return Member(None, v)
    if isinstance(v, Ref):
        name = v.name[:-len(".value")] if v.name.endswith(".value") else v.name
        head, _, member = name.rpartition(".")
        if head:
            cls = an.view.find_class(path, head)
            if isinstance(cls, ClassDef):
                for m in class_members(an, cls):
                    if m.name == member:
                        return m
    return None


def members_of(an: Analyzer, g: Graph, cname: str) -> tuple[list[Member] | None, str]:
    """The members of class ``cname`` (found from the builder's file, else by name among the
    files the rule may read)."""
    cls = an.view.find_class(g.builder[0], cname)
    if not isinstance(cls, ClassDef):
        found = []
        last = cname.rsplit(".", 1)[-1]
        for p in sorted(an.view.allowed):
            facts = an.facts(p)
            for c in facts.classes if facts is not None else ():
                if c.name == last and (c.qualname == cname or "." not in cname
                                       or c.qualname == last):
                    found.append(ClassDef(p, c))
        if len(found) != 1:
            why = ("is defined in several files" if found else
                   "is not found in the files the rule may read")
            return None, f"class `{cname}` {why}"
        cls = found[0]
    members = class_members(an, cls)
    if not members:
        return None, f"class `{cname}` has no members"
    return members, f"members of `{cls.cls.name}`"


def class_members(an: Analyzer, cls: ClassDef) -> list[Member]:
    """Public class-level assignments (an Enum's members) with their literal values."""
    fi = an.view.file(cls.path)
    if fi is None:
        return []
    out = []
    for a in fi.facts.assigns:
        if a.scope != cls.cls.qualname or "." in a.target or a.target.startswith("_") \
                or not a.has_value:
            continue
        v = a.value
        out.append(Member(a.target, v if isinstance(v, (str, int)) and not isinstance(
            v, bool) else None))
    return out


# -- following one value ----------------------------------------------------------------


def route(an: Analyzer, impl: Impl, paths: tuple[ReturnPath, ...], param: str,
          keys: list[str], m: Member, targets: dict[str, str] | None) -> set[str] | None:
    """The targets value ``m`` can reach through the router's return paths (first match
    wins); None when a condition cannot be evaluated for it."""
    out: set[str] = set()
    for rp in paths:
        verdicts = [guard(an, impl, gd, param, keys, m) for gd in rp.guards]
        if any(v is False for v in verdicts):
            continue
        if any(v is NOT_DECIDED for v in verdicts):
            return None
        lab = label_of(an, impl, rp, param, keys)
        if lab is VALUE:
            labels = [x for x in (m.value, m.name) if isinstance(x, str)]
            hit = next((x for x in labels if targets is None or x in targets), None)
            if hit is not None:
                out.add(targets[hit] if targets is not None else hit)
        elif isinstance(lab, str):
            if targets is None:
                out.add(lab)
            elif lab in targets:
                out.add(targets[lab])
        else:
            return None
        if all(v is True for v in verdicts):
            return out  # this path is taken for the value: later ones are not reached
    return out


def guard(an: Analyzer, impl: Impl, gd: Guard, param: str, keys: list[str], m: Member):
    """True/False when the guard's outcome for the routed key = ``m`` is known; None when
    it does not depend on the key (another condition: either side may be taken);
    ``NOT_DECIDED`` when it tests the key in a way the rule cannot evaluate."""
    if not gd.subject:
        return None
    key = subject_key(an, impl, gd.subject, param)
    if key not in keys:
        return None
    result: bool | None
    if gd.op == "truthy":
        # an enum member is a true object; a literal value is as true as it is
        result = True if m.name is not None else (
            bool(m.value) if m.value is not None else None)
        if result is None:
            return NOT_DECIDED
    elif gd.op in ("==", "is", "!=", "is not"):
        eq = equals(an, impl, gd.value, m)
        if eq is None:
            return NOT_DECIDED
        result = eq if gd.op in ("==", "is") else not eq
    elif gd.op in ("in", "not in") and isinstance(gd.value, Seq) and not gd.value.starred:
        eqs = [equals(an, impl, x, m) for x in gd.value.items]
        if any(e is True for e in eqs):
            hit = True
        elif all(e is False for e in eqs):
            hit = False
        else:
            return NOT_DECIDED
        result = hit if gd.op == "in" else not hit
    else:
        return NOT_DECIDED
    return (not result) if gd.negated else result


def equals(an: Analyzer, impl: Impl, other: Value, m: Member) -> bool | None:
    """Is the value ``m`` equal to ``other`` (a literal, a constant, ``E.M``/``E.M.value``)?
    None when that cannot be told."""
    if other is None:
        return False
    if isinstance(other, (str, int, bool)):
        if m.value is None:
            return None
        return type(other) is type(m.value) and other == m.value
    if isinstance(other, Ref):
        facts = an.facts(impl.path)
        got = resolve_ref(other, facts, impl.scope) if facts is not None else other
        if isinstance(got, (str, int, bool)):
            return None if m.value is None else (type(got) is type(m.value)
                                                 and got == m.value)
        name = other.name[:-len(".value")] if other.name.endswith(".value") else other.name
        head, _, member = name.rpartition(".")
        if head:
            cls = an.view.find_class(impl.path, head)
            if isinstance(cls, ClassDef):
                mem = next((x for x in class_members(an, cls) if x.name == member),
                           None)
                if mem is None:
                    return None
                if m.name is not None:
                    return mem.name == m.name
                return None if mem.value is None else mem.value == m.value
    return None
