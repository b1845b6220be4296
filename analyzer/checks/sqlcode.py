"""SQL text passed to query calls in Python code, with where each piece of it is written.

``db-contract`` checks query strings against the DDL. This module finds them: the SQL argument
of a call matching ``sql_calls`` (``cur.execute(q)``, ``conn.fetchrow(q, x)``, ``session.execute(
text(q))``), followed the way a reader would:

* a string literal (implicitly concatenated literals are one literal in the facts);
* ``text("...")`` / ``sqlalchemy.text("...")`` around it;
* a name bound in the same function (or at module level) to a literal, plus every
  ``q += " AND ..."`` append of a literal in that function, in line order (a query extended under
  conditions is checked with every extension: each is SQL the code can send); several plain
  assignments are several alternative queries, each checked;
* a project function that passes one of its parameters on as the SQL of such a call is a query
  call itself (``def _run(self, sql): return self.conn.execute(sql)``): its callers' arguments
  are the SQL, found through the project (``self._run(...)``, an imported function, a method of
  an object whose type is known). Its own call site is not judged (the text is the callers').

What cannot be followed (an f-string, ``+`` with a non-literal, a call result, a parameter of a
function nobody is seen calling) is *undecidable* when its known text looks like DML (``SELECT``,
``INSERT``, ``UPDATE``, ``DELETE``, ``WITH``), and ignored otherwise (it is not a query the rule
is about: DDL, Cypher, a shell command).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Iterator, Sequence

from ..facts.model import CallFact, CallValue, FStr, PythonFacts, Ref, Unknown, Value
from ..facts.sql_text_types import looks_like_dml, normalise_placeholders
from ..types import Span
from .pyindex import show
from .resolve import ClassDef, FuncDef, Instance, ProjectView, receiver_text

SQL_KWARGS = ("query", "sql", "statement", "operation", "stmt", "command")
_TEXT_CALLS = ("text", "sqlalchemy.text", "sqlalchemy.sql.text", "sqlalchemy.sql.expression.text")


@dataclass(frozen=True, slots=True)
class Piece:
    """A literal part of a query and where it is written (its statement's span)."""

    text: str
    span: Span
    append: bool = False  # a ``+=`` extension


@dataclass(frozen=True, slots=True)
class Query:
    """One SQL text a call sends: its pieces, or why it cannot be known (``unknown``)."""

    path: str
    call: CallFact
    pieces: tuple[Piece, ...] = ()
    unknown: str = ""
    via: str = ""  # "through `_run` (db.py:12)" for a wrapper's caller

    @property
    def text(self) -> str:
        return "".join(p.text for p in self.pieces)

    def normalised(self) -> str:
        """The text with placeholders made parseable, piece by piece (so offsets in it map
        back to pieces: ``line_of``)."""
        return "".join(normalise_placeholders(p.text) for p in self.pieces)

    def line_of(self, offset: int) -> int:
        """The source line of ``offset`` in ``normalised()`` (the first piece's line when the
        offset is unknown). A piece's text starts on its statement's first line (``q = \"\"\"``,
        ``execute(\"\"\"``), or where the literal itself is recorded."""
        if offset < 0 or not self.pieces:
            return self.pieces[0].span.line if self.pieces else self.call.span.line
        for p in self.pieces:
            norm = normalise_placeholders(p.text)
            if offset < len(norm):
                return p.span.line + norm[:offset].count("\n")
            offset -= len(norm)
        return self.pieces[-1].span.end_line


def _sql_arg(call: CallFact, index: int = 0, name: str = "") -> Value | None:
    for k, v in call.kwargs:
        if k == name or (not name and k in SQL_KWARGS):
            return v
    if index < len(call.args):
        return call.args[index]
    return None


class QueryFinder:
    """The queries of the Python files a rule sees (see the module docstring)."""

    def __init__(self, view: ProjectView, matches: Callable[[CallFact], bool]) -> None:
        self.view = view
        self.matches = matches
        # wrapper functions: (path, qualname) -> (parameter index, parameter name, where)
        self.wrappers: dict[tuple[str, str], tuple[int, str, str]] = {}

    def find_wrappers(self, files: Sequence[tuple[str, PythonFacts]]) -> None:
        """Functions whose parameter becomes the SQL of a query call (to a fixpoint)."""
        for _ in range(4):
            grew = False
            for path, facts in files:
                fns = {f.qualname: f for f in facts.functions}
                for call in facts.calls:
                    got = self._sql_of_call(path, call, facts)
                    if got is None:
                        continue
                    arg, _ = got
                    fn = fns.get(call.scope)
                    if fn is None or not isinstance(arg, Ref) or arg.name not in fn.params:
                        continue
                    key = (path, fn.qualname)
                    if key in self.wrappers:
                        continue
                    idx = fn.params.index(arg.name)
                    self.wrappers[key] = (idx, arg.name, f"{path}:{fn.span.line}")
                    grew = True
            if not grew:
                break

    def _wrapper_of(self, path: str, call: CallFact) -> tuple[FuncDef, int, str] | None:
        """The wrapper function a call calls, resolved through the project."""
        if not self.wrappers or call.context != "call":
            return None
        names = {q.rsplit(".", 1)[-1] for _, q in self.wrappers}
        if call.attr not in names:
            return None
        recv = receiver_text(call.callee)
        target = None
        if not recv:
            sym = self.view.resolve_name(path, call.callee, call.scope)
            target = sym if isinstance(sym, FuncDef) else None
        elif "(" not in recv:
            t = self.view.type_of(path, recv, call.scope)
            if isinstance(t, (Instance, ClassDef)):
                m = self.view.class_member(t.cls if isinstance(t, Instance) else t, call.attr)
                target = m if isinstance(m, FuncDef) else None
        if target is None:
            return None
        hit = self.wrappers.get((target.path, target.fn.qualname))
        if hit is None:
            return None
        idx, pname, where = hit
        method = bool(target.fn.scope) and target.fn.scope in {
            c.qualname for c in (self.view.file(target.path).facts.classes
                                 if self.view.file(target.path) else ())}
        static = "staticmethod" in target.fn.decorators
        pos = idx - (1 if method and not static else 0)
        return target, pos, pname

    def _sql_of_call(self, path: str, call: CallFact, facts: PythonFacts
                     ) -> tuple[Value, str] | None:
        """(the SQL argument, via) of a query call; None if the call is none."""
        if call.context != "call":
            return None
        if self.matches(call):
            arg = _sql_arg(call)
            return (arg, "") if arg is not None else None
        w = self._wrapper_of(path, call)
        if w is None:
            return None
        target, pos, pname = w
        arg = _sql_arg(call, pos, pname)
        if arg is None:
            return None
        return arg, f"through `{target.fn.qualname}` ({target.path}:{target.fn.span.line})"

    def queries(self, path: str, facts: PythonFacts) -> Iterator[Query]:
        fns = {f.qualname: f for f in facts.functions}
        for call in facts.calls:
            got = self._sql_of_call(path, call, facts)
            if got is None:
                continue
            arg, via = got
            fn = fns.get(call.scope)
            if (fn is not None and isinstance(arg, Ref) and arg.name in fn.params
                    and (path, fn.qualname) in self.wrappers):
                continue  # a wrapper's own call: its callers' texts are judged
            yield from self._texts(path, call, facts, arg, via)

    def _texts(self, path: str, call: CallFact, facts: PythonFacts, arg: Value,
               via: str) -> Iterator[Query]:
        if isinstance(arg, CallValue) and (arg.callee in _TEXT_CALLS
                                           or arg.qualname in _TEXT_CALLS) and arg.args:
            arg = arg.args[0]
        if isinstance(arg, str):
            # a short literal is recorded with its own span: start the text there
            span = next((st.span for st in facts.strings if st.value == arg
                         and st.role == "argument" and st.scope == call.scope
                         and call.span.line <= st.span.line <= call.span.end_line), call.span)
            yield Query(path, call, (Piece(arg, span),), via=via)
            return
        if isinstance(arg, Ref) and "." not in arg.name:
            yield from self._named(path, call, facts, arg.name, via)
            return
        why = _dynamic(arg)
        if why:
            yield Query(path, call, unknown=why, via=via)

    def _named(self, path: str, call: CallFact, facts: PythonFacts, name: str,
               via: str) -> Iterator[Query]:
        for scope in dict.fromkeys((call.scope, "")):
            binds = [a for a in facts.assigns if a.scope == scope and a.target == name
                     and a.has_value and not a.via]
            if not binds:
                if scope and any(f.qualname == scope and name in f.params
                                 for f in facts.functions):
                    return  # a parameter of a function that is no wrapper: nothing to read
                continue
            bases = [a for a in binds if not a.augmented]
            appends = sorted((a for a in binds if a.augmented), key=lambda a: a.span.line)
            extra: list[Piece] = []
            for a in appends:
                if isinstance(a.value, str):
                    extra.append(Piece(a.value, a.span, append=True))
                else:
                    base_text = next((b.value for b in bases if isinstance(b.value, str)), "")
                    if looks_like_dml(base_text) or _dynamic(a.value):
                        yield Query(path, call, unknown=f"`{name} += {show(a.value)}` "
                                    f"(line {a.span.line}) is built at run time", via=via)
                    return
            for b in bases:
                if isinstance(b.value, str):
                    yield Query(path, call, (Piece(b.value, b.span), *extra), via=via)
                elif isinstance(b.value, CallValue) and b.value.callee in _TEXT_CALLS \
                        and b.value.args and isinstance(b.value.args[0], str):
                    yield Query(path, call, (Piece(b.value.args[0], b.span), *extra), via=via)
                else:
                    why = _dynamic(b.value)
                    if why:
                        yield Query(path, call, unknown=f"`{name}` (line {b.span.line}) {why}",
                                    via=via)
            return


def _dynamic(v: Value) -> str:
    """Why a non-literal SQL argument is undecidable ("" when its text does not look like
    DML, so it is not a query the rule is about)."""
    if isinstance(v, FStr):
        return "is an f-string built at run time" if looks_like_dml(v.prefix or v.text.lstrip(
            "fFrRbB").lstrip("'\"")) else ""
    if isinstance(v, Unknown):
        text = v.text.lstrip("(").lstrip("fFrRbBuU").lstrip("'\"")
        return "is built at run time" if looks_like_dml(text) else ""
    return ""
