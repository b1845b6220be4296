"""test-inventory: the test files in scope define at least ``min`` tests (counted statically).

Automates the audit's "expected ~N tests" column: a phase's test files must hold at least that
many tests, counted without running (or importing) anything. ``count_tests`` is also the
"expected" figure when test results are merged into the phase report.

Counting follows pytest's default collection (copied into the README):

* module-level ``def test*`` / ``async def test*`` (a later definition with the same name
  replaces the earlier one, as at runtime); functions decorated ``@pytest.fixture`` are not
  tests;
* methods ``test*`` of classes ``Test*`` defined at module level (or nested in such a class)
  that have no ``__init__``; methods inherited from base classes in the same file count; a
  class with ``__test__ = False`` is skipped;
* ``unittest.TestCase`` subclasses, whatever their name (``IsolatedAsyncioTestCase`` too);
* ``@pytest.mark.parametrize(names, [..literal..])`` multiplies by the number of parameter
  sets; stacked parametrize decorators multiply; class-level parametrize and a module/class
  ``pytestmark = pytest.mark.parametrize(...)`` apply to every test under them; an empty list
  still collects one (skipped) test. ``@pytest.fixture(params=[...])`` in the same file
  multiplies every test (and fixture) that requests it.

The count is a *lower bound* (``exact`` False) when a parameter list is not a literal (counted
as 1), a ``*spread`` sits in it, a test class inherits from a class outside the file, or a
file in scope could not be parsed. Fixtures with ``params`` defined in other files (conftest)
are not visible to a per-file count. With fewer tests than ``min`` the rule fails if the count
is exact, and is UNKNOWN if it is a lower bound.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Callable, Iterable

from ..facts.model import CallValue, ClassFact, FunctionFact, PythonFacts, Ref, Seq, Value
from ..types import CheckResult, Location, Span
from .params import opt, params
from .base import CheckKind, RuleContext
from .pyindex import empty_scope

_TESTCASE = ("unittest.TestCase", "unittest.IsolatedAsyncioTestCase", "unittest.case.TestCase",
             "twisted.trial.unittest.TestCase")
_NEUTRAL = ("object", "abc.ABC", "ABC", "typing.Generic", "Generic")


@dataclass
class Inventory:
    count: int = 0
    exact: bool = True
    reasons: list[str] = field(default_factory=list)
    first: Span | None = None
    # (names pytest's -k matches the test against: its class chain and function name; the
    # module's path parts are added by the caller, the number of tests it stands for, where)
    tests: list[tuple[tuple[str, ...], int, Span]] = field(default_factory=list)
    # per entry of ``tests``: the parametrize ids of its instances (None: not all known) and
    # the names of the marks applied to it (``-k`` matches both, as pytest's keywords do)
    ids: list[list[str] | None] = field(default_factory=list)
    marks: list[tuple[str, ...]] = field(default_factory=list)

    def inexact(self, why: str) -> None:
        self.exact = False
        if why not in self.reasons:
            self.reasons.append(why)


def _is_mark(v: Value, mark: str) -> bool:
    if not isinstance(v, CallValue):
        return False
    return v.qualname == f"pytest.mark.{mark}" or v.callee.endswith(f"mark.{mark}") and (
        not v.qualname or v.qualname.startswith("pytest."))


def _is_fixture(fn: FunctionFact) -> CallValue | Ref | None:
    for v in fn.decorator_values:
        if isinstance(v, CallValue):
            target = v.qualname or v.callee
        elif isinstance(v, Ref):
            target = v.qualname or v.name
        else:
            continue
        if target in ("pytest.fixture", "pytest_asyncio.fixture"):
            return v
    return None


def _param_sets(v: CallValue, inv: Inventory, where: str) -> int:
    """Number of parameter sets of one ``parametrize`` mark."""
    values: Value = v.args[1] if len(v.args) > 1 else dict(v.kwargs).get("argvalues")
    if isinstance(values, Seq):
        if values.starred:
            inv.inexact(f"a `*spread` in the parameters of {where}")
        return max(1, len(values.items))
    inv.inexact(f"non-literal parameters of {where}")
    return 1


def _value_id(v: Value, argname: str, idx: int) -> str:
    """pytest's id of one parameter value: literals as text, anything else ``argname<idx>``."""
    if isinstance(v, bool) or v is None or isinstance(v, (int, float, str)):
        return str(v)
    return f"{argname}{idx}"


def _param_ids(v: CallValue) -> list[str] | None:
    """The ids pytest gives the parameter sets of one ``parametrize`` mark (None: unknown)."""
    kw = dict(v.kwargs)
    names: Value = v.args[0] if v.args else kw.get("argnames")
    values: Value = v.args[1] if len(v.args) > 1 else kw.get("argvalues")
    if isinstance(names, str):
        argnames = [n.strip() for n in names.split(",") if n.strip()]
    elif isinstance(names, Seq) and all(isinstance(n, str) for n in names.items):
        argnames = list(names.items)  # type: ignore[arg-type]
    else:
        return None
    if not isinstance(values, Seq) or values.starred or not argnames:
        return None
    given = kw.get("ids")
    if given is not None and not (isinstance(given, Seq) and not given.starred):
        return None  # a callable or computed ids
    out: list[str] = []
    for idx, item in enumerate(values.items):
        explicit = given.items[idx] if isinstance(given, Seq) and idx < len(given.items) \
            else None
        if isinstance(item, CallValue) and (item.qualname == "pytest.param"
                                            or item.callee.endswith("param")):
            pid = dict(item.kwargs).get("id")
            explicit = pid if isinstance(pid, str) else explicit
            elems = list(item.args)
        elif len(argnames) > 1:
            if not isinstance(item, Seq) or item.starred:
                return None
            elems = list(item.items)
        else:
            elems = [item]
        if isinstance(explicit, str):
            out.append(explicit)
            continue
        out.append("-".join(_value_id(e, argnames[min(i, len(argnames) - 1)], idx)
                            for i, e in enumerate(elems)))
    return out or [""]


def _mark_ids(values: tuple[Value, ...] | list[Value]) -> list[str] | None:
    """Ids of the instances stacked ``parametrize`` marks make (the one nearest the ``def``
    first, joined with ``-``, as pytest writes ``test_x[a-1]``); [""] for no parametrize."""
    ids = [""]
    for v in reversed(list(values)):
        if _is_mark(v, "parametrize"):
            mine = _param_ids(v)  # type: ignore[arg-type]
            if mine is None:
                return None
            ids = [f"{a}-{b}" if a and b else a or b for a in ids for b in mine]
    return ids


def _mark_names(values: tuple[Value, ...] | list[Value]) -> tuple[str, ...]:
    """Names of the ``pytest.mark.X`` marks among decorator or ``pytestmark`` values."""
    out = []
    for v in values:
        text = v.qualname or v.callee if isinstance(v, CallValue) else (
            v.qualname or v.name if isinstance(v, Ref) else "")
        if "mark." in text:
            out.append(text.rsplit("mark.", 1)[1].split(".")[0])
    return tuple(out)


def _pytestmark_values(facts: PythonFacts, scope: str) -> list[Value]:
    out: list[Value] = []
    for a in facts.assigns:
        if a.target == "pytestmark" and a.scope == scope and a.has_value:
            out.extend(a.value.items if isinstance(a.value, Seq) else (a.value,))
    return out


def _marks(values: tuple[Value, ...] | list[Value], inv: Inventory, where: str) -> int:
    mult = 1
    for v in values:
        if _is_mark(v, "parametrize"):
            mult *= _param_sets(v, inv, where)  # type: ignore[arg-type]
    return mult


def _pytestmark(facts: PythonFacts, scope: str, inv: Inventory) -> int:
    mult = 1
    for a in facts.assigns:
        if a.target == "pytestmark" and a.scope == scope and a.has_value:
            vals = a.value.items if isinstance(a.value, Seq) else (a.value,)
            mult *= _marks(list(vals), inv, "pytestmark")
    return mult


class _Counter:
    def __init__(self, facts: PythonFacts) -> None:
        self.facts = facts
        self.inv = Inventory()
        self.by_scope: dict[str, list[FunctionFact]] = {}
        for fn in facts.functions:
            self.by_scope.setdefault(fn.scope, []).append(fn)
        self.classes = {c.qualname: c for c in facts.classes}
        self.fixtures: dict[str, FunctionFact] = {}
        for fn in facts.functions:
            dec = _is_fixture(fn)
            if dec is not None and "<locals>" not in fn.qualname:
                name = fn.name
                if isinstance(dec, CallValue):
                    given = dict(dec.kwargs).get("name")
                    name = given if isinstance(given, str) else name
                self.fixtures[name] = fn
        self._fixture_mult: dict[str, int] = {}

    # -- fixtures -----------------------------------------------------------------------------
    def fixture_mult(self, name: str, stack: tuple[str, ...] = ()) -> int:
        if name in self._fixture_mult:
            return self._fixture_mult[name]
        fn = self.fixtures.get(name)
        if fn is None or name in stack:
            return 1
        dec = _is_fixture(fn)
        mult = 1
        if isinstance(dec, CallValue):
            params = dict(dec.kwargs).get("params")
            if isinstance(params, Seq):
                if params.starred:
                    self.inv.inexact(f"a `*spread` in the params of fixture `{name}`")
                mult = max(1, len(params.items))
            elif "params" in dict(dec.kwargs):
                self.inv.inexact(f"non-literal params of fixture `{name}`")
        for dep in fn.params:
            if dep not in ("self", "request", "cls"):
                mult *= self.fixture_mult(dep, stack + (name,))
        self._fixture_mult[name] = mult
        return mult

    def uses(self, fn: FunctionFact) -> int:
        mult = 1
        for p in fn.params:
            if p in self.fixtures and p not in ("self", "cls"):
                mult *= self.fixture_mult(p)
        return mult

    # -- tests ---------------------------------------------------------------------------------
    @staticmethod
    def _tests(fns: list[FunctionFact]) -> list[FunctionFact]:
        """Test functions among definitions in one scope; a redefinition replaces the earlier."""
        last: dict[str, FunctionFact] = {}
        for fn in fns:
            if fn.name.startswith("test"):
                last.pop(fn.name, None)
                last[fn.name] = fn
        return [fn for fn in last.values() if _is_fixture(fn) is None
                and "classmethod" not in fn.decorators]

    def record(self, fn: FunctionFact, n: int, cls: ClassFact | None = None) -> None:
        names = tuple(cls.qualname.split(".")) if cls is not None else ()
        self.inv.tests.append((names + (fn.name,), n, fn.span))
        # what pytest's -k also matches: the marks on the test, its classes and module, and
        # the parametrize ids of each instance
        values: list[Value] = list(_pytestmark_values(self.facts, ""))
        chain = []
        scope = cls.qualname if cls is not None else ""
        while scope:
            c = self.classes.get(scope)
            if c is None:
                break
            chain.append(c)
            scope = c.scope
        for c in reversed(chain):
            values.extend(c.decorator_values)
            values.extend(_pytestmark_values(self.facts, c.qualname))
        values.extend(fn.decorator_values)
        ids = _mark_ids(values)
        if ids is not None and len(ids) != n:
            ids = None  # fixture params (or a count this reading does not reproduce)
        self.inv.ids.append(ids)
        self.inv.marks.append(_mark_names(values))
        self.inv.count += n
        if self.inv.first is None or (fn.span.line, fn.span.column) < (
                self.inv.first.line, self.inv.first.column):
            self.inv.first = fn.span

    def lineage(self, cls: ClassFact) -> list[ClassFact]:
        out, queue, seen = [], [cls], set()
        while queue:
            c = queue.pop(0)
            if c.qualname in seen:
                continue
            seen.add(c.qualname)
            out.append(c)
            for b in c.bases:
                base = self._local_class(b, c)
                if base is not None:
                    queue.append(base)
                elif b not in _NEUTRAL and b not in _TESTCASE and b.split("[")[0] not in _NEUTRAL:
                    self.inv.inexact(f"`{cls.name}` inherits from `{b}`, outside the file")
        return out

    def _local_class(self, base: str, cls: ClassFact) -> ClassFact | None:
        if "." in base:
            return None
        for qual in (f"{cls.scope}.{base}" if cls.scope else base, base):
            hit = self.classes.get(qual)
            if hit is not None and hit is not cls:
                return hit
        return None

    def is_testcase(self, cls: ClassFact, seen: frozenset = frozenset()) -> bool:
        for b in cls.bases:
            if b in _TESTCASE:
                return True
            base = self._local_class(b, cls)
            if base is not None and base.qualname not in seen and self.is_testcase(
                    base, seen | {cls.qualname}):
                return True
        return False

    def collected(self, cls: ClassFact) -> str:
        """"pytest" / "unittest" / "" (not collected)."""
        if cls.scope and (cls.scope not in self.classes or not self.collected(
                self.classes[cls.scope])):
            return ""
        if any(a.target == "__test__" and a.scope == cls.qualname and a.value is False
               for a in self.facts.assigns):
            return ""
        if self.is_testcase(cls):
            return "unittest"
        if not cls.name.startswith("Test"):
            return ""
        if any(fn.name in ("__init__", "__new__") for c in self.lineage(cls)
               for fn in self.by_scope.get(c.qualname, ())):
            return ""
        return "pytest"

    def run(self) -> Inventory:
        module_mult = _pytestmark(self.facts, "", self.inv)
        for fn in self._tests(self.by_scope.get("", [])):
            n = _marks(fn.decorator_values, self.inv, f"`{fn.name}`") * self.uses(fn)
            self.record(fn, n * module_mult)
        for cls in self.facts.classes:
            style = self.collected(cls)
            if not style:
                continue
            methods: dict[str, FunctionFact] = {}
            for c in reversed(self.lineage(cls)):  # the class's own definitions win
                for fn in self._tests(self.by_scope.get(c.qualname, [])):
                    methods[fn.name] = fn
            if style == "unittest":
                for fn in methods.values():
                    self.record(fn, 1, cls)
                continue
            class_mult = module_mult * _marks(cls.decorator_values, self.inv, f"`{cls.name}`")
            class_mult *= _pytestmark(self.facts, cls.qualname, self.inv)
            for fn in methods.values():
                n = _marks(fn.decorator_values, self.inv, f"`{cls.name}.{fn.name}`")
                self.record(fn, n * self.uses(fn) * class_mult, cls)
        return self.inv


def inventory(facts: PythonFacts) -> Inventory:
    """The tests one file defines, with the reasons the count may be a lower bound."""
    return _Counter(facts).run()


def count_tests(facts: PythonFacts) -> tuple[int, bool]:
    """(number of tests pytest would collect from one file, whether the count is exact)."""
    inv = inventory(facts)
    return inv.count, inv.exact


_TOKEN = re.compile(r"\s*(?:(\()|(\))|([^\s()]+))")


def keyword_matcher(expr: str) -> Callable[[Iterable[str]], bool]:
    """pytest's ``-k`` expression as a predicate over a test's names (``and``/``or``/``not``,
    parentheses; a word matches when it is a case-insensitive substring of one of the names).
    Raises ValueError for an expression pytest would reject."""
    tokens: list[str] = []
    pos = 0
    while pos < len(expr):
        m = _TOKEN.match(expr, pos)
        if m is None or m.end() == pos:
            break
        tokens.append(m.group(1) or m.group(2) or m.group(3))
        pos = m.end()
    if expr[pos:].strip():
        raise ValueError(f"cannot read {expr[pos:]!r}")
    i = 0

    def peek() -> str | None:
        return tokens[i] if i < len(tokens) else None

    def take() -> str:
        nonlocal i
        i += 1
        return tokens[i - 1]

    def parse_or() -> Callable[[list[str]], bool]:
        left = parse_and()
        while peek() == "or":
            take()
            right = parse_and()
            left = (lambda a, b: lambda n: a(n) or b(n))(left, right)
        return left

    def parse_and() -> Callable[[list[str]], bool]:
        left = parse_not()
        while peek() == "and":
            take()
            right = parse_not()
            left = (lambda a, b: lambda n: a(n) and b(n))(left, right)
        return left

    def parse_not() -> Callable[[list[str]], bool]:
        if peek() == "not":
            take()
            inner = parse_not()
            return lambda n: not inner(n)
        tok = peek()
        if tok is None or tok in (")", "and", "or"):
            raise ValueError(f"expected a word or '(' at {tok or 'the end'!r}")
        take()
        if tok == "(":
            inner = parse_or()
            if peek() != ")":
                raise ValueError("missing ')'")
            take()
            return inner
        word = tok.lower()
        return lambda n: any(word in x for x in n)

    pred = parse_or()
    if i != len(tokens):
        raise ValueError(f"unexpected {tokens[i]!r}")
    return lambda names: pred([x.lower() for x in names])


@params
class TestInventoryParams:
    """The `check:` parameters of `test-inventory`."""

    min: int = opt(doc="Minimum number of tests in scope.")
    keyword: str | None = opt(
        None,
        doc="Count only the tests a pytest `-k` expression selects (`graph or "
            "pipeline`): matched, case-insensitively, against each test's function "
            "name, its class names and the parts of its file's path, as pytest does.")


class TestInventory(CheckKind):
    __test__ = False  # not a pytest test class, despite its name

    kind = "test-inventory"
    summary = "The test files in scope must define at least `min` tests (counted statically)."
    Params = TestInventoryParams
    valid_examples = (
        '{kind: test-inventory, min: 10, keyword: "graph or pipeline"}',
    )
    invalid_examples = (
        ('{kind: test-inventory, keyword: graph}',
         "requires parameter 'min'"),
        ('{kind: test-inventory, min: many}',
         'check.min must be int'),
    )
    example = """\
- code: E2I101
  name: mlflow-connector-test-inventory
  phase: 1
  severity: warning
  message: the MLflow connector test suite is smaller than the audit expects
  where:
    include: [tests/unit/test_mlops/test_mlflow_connector.py]
  check:
    kind: test-inventory
    min: 38
"""

    @classmethod
    def validate(cls, params):  # type: ignore[override]
        errs = ["min: must be at least 1"] if (params.get("min") or 0) < 1 else []
        if params.get("keyword") is not None:
            try:
                keyword_matcher(params["keyword"])
            except ValueError as exc:
                errs.append(f"keyword: not a pytest -k expression: {exc}")
        return errs

    def patterns(self) -> tuple[str, ...]:
        # tests are functions/methods whose names start with "test"
        return ("test",)

    def evaluate(self, ctx: RuleContext) -> CheckResult:
        need = self.p["min"]
        if not ctx.files:
            return self.result(ctx, [empty_scope(ctx, f"test files with at least {need} tests")])
        total = 0
        exact = True
        reasons: list[str] = []
        evidence: list[Location] = []
        files_with_tests = 0
        for f in ctx.files:
            if f.python is None:
                if f.problems:
                    exact = False
                    reasons.append(f"{f.path} could not be analysed")
                continue
            inv = inventory(f.python)
            if self.p.get("keyword"):
                selects = keyword_matcher(self.p["keyword"])
                negated = re.search(r"(?<![\w.])not(?![\w.])", self.p["keyword"]) is not None
                parts = tuple(f.path.split("/")) + (f.path.rsplit("/", 1)[-1][:-3],)
                chosen = []
                for (names, n, span), ids, marks in zip(inv.tests, inv.ids, inv.marks):
                    base = parts + names[:-1] + marks
                    if ids is None:
                        # instances' ids unknown: the test's own names decide when ids cannot
                        # change the answer (one instance, or an expression without `not`,
                        # which more names only select more of); otherwise what is counted is
                        # a lower bound
                        picked = selects(base + names[-1:])
                        if picked and (n == 1 or not negated):
                            chosen.append((n, span))
                        elif n > 1:
                            inv.inexact(f"the parametrize ids of `{names[-1]}` are not known")
                        continue
                    k = sum(1 for i in ids if selects(
                        base + (f"{names[-1]}[{i}]" if i else names[-1],)))
                    if k:
                        chosen.append((k, span))
                inv = Inventory(count=sum(n for n, _ in chosen), exact=inv.exact,
                                reasons=inv.reasons,
                                first=min((sp for _, sp in chosen),
                                          key=lambda sp: (sp.line, sp.column), default=None))
            total += inv.count
            if not inv.exact:
                exact = False
                reasons.extend(f"{f.path}: {r}" for r in inv.reasons)
            if inv.count:
                files_with_tests += 1
                evidence.append(Location(f.path, inv.first or Span.file_start()))
        counted = f"{'' if exact else 'at least '}{total} test(s) in {files_with_tests} file(s)"
        if self.p.get("keyword"):
            counted += f" selected by -k {self.p['keyword']!r}"
        why = f" (lower bound: {'; '.join(reasons[:3])})" if reasons else ""
        if total >= need:
            return self.result(ctx, [], evidence, note=counted + why)
        if not exact:
            return self.undecided_result(ctx, f"{counted}, {need} required{why}", evidence)
        where = ctx.scope_hint or ctx.anchor_path()
        return self.result(ctx, [ctx.finding(
            ctx.anchor_path(), None, f"{counted} in {where}, at least {need} required",
            source=f"tests:{where}")], evidence, note=counted)
