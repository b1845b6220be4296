"""Fact values: what extraction learns about one file, as plain picklable data.

Facts are the only thing checks see. They are generic (what the file contains), not answers to a
particular rule, so one parse and one walk serve every rule, and facts can be cached by content
hash and computed in worker processes.

Literal values found in source are represented by ``Value``: ``str``/``int``/``float``/``bool``/
``None`` for literals, and the small dataclasses below for the rest. Anything the extractor cannot
know statically is an ``Unknown`` carrying its source text: checks report it as unverifiable
instead of guessing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Union

from ..types import FileKind, Span


# --------------------------------------------------------------------------------------------
# Literal values
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Unknown:
    """An expression whose value cannot be known statically (its source text, shortened)."""

    text: str = ""


@dataclass(frozen=True, slots=True)
class Ref:
    """A name or dotted attribute reference, e.g. ``END`` or ``self.enrich``.

    ``qualname`` is the name resolved through the file's imports ("" when it is local).
    """

    name: str
    qualname: str = ""


@dataclass(frozen=True, slots=True)
class FStr:
    """An f-string: only its literal prefix (before the first ``{``) is known."""

    prefix: str
    text: str = ""


@dataclass(frozen=True, slots=True)
class Seq:
    """A list, tuple or set display. ``starred`` is True if it contains ``*x`` (not all known)."""

    kind: str  # "list" | "tuple" | "set"
    items: tuple["Value", ...]
    starred: bool = False


@dataclass(frozen=True, slots=True)
class DictValue:
    """A dict display, a ``dict(k=v)`` call, or a dict comprehension.

    ``spread`` is True if it contains ``**x`` (or ``dict(x)``): keys not all known; ``spreads``
    holds the source text and place of each such entry. ``key_spans`` parallels ``items``: where
    each key is written (``None`` if unknown), so a check can point at the exact key. A
    comprehension (``comprehension=True``) has exactly one item: the key/value templates
    (e.g. ``(FStr("hp_"), Unknown("v"))`` for ``{f"hp_{k}": v for k, v in p.items()}``).
    """

    items: tuple[tuple["Value", "Value"], ...]
    spread: bool = False
    key_spans: tuple["Span | None", ...] = ()
    spreads: tuple[tuple[str, Span], ...] = ()
    comprehension: bool = False


@dataclass(frozen=True, slots=True)
class CallValue:
    """A call expression used as a value, e.g. ``field(default=0.8)`` or ``dict(a=1)``.

    ``receiver`` is the value of the object a method is called on (``client.table("t")`` ->
    ``Ref("client")``; None for a plain function call), so chains such as
    ``client.table("t").insert({...})`` keep every link's arguments."""

    callee: str
    qualname: str
    args: tuple["Value", ...] = ()
    kwargs: tuple[tuple[str, "Value"], ...] = ()
    receiver: "Value" = None


Value = Union[str, int, float, bool, None, bytes, Unknown, Ref, FStr, Seq, DictValue, CallValue]


# --------------------------------------------------------------------------------------------
# Python facts
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ImportedName:
    name: str  # dotted module for ``import``; member name for ``from``; "*" for a star import
    asname: str | None = None


@dataclass(frozen=True, slots=True)
class ImportFact:
    """One import statement (or one literal dynamic import call).

    kind: "import" (``import a.b as c, d``), "from" (``from m import x``), or "dynamic"
    (``importlib.import_module("m")`` / ``__import__("m")``; ``module`` is the literal).
    """

    kind: str
    module: str
    names: tuple[ImportedName, ...]
    level: int
    type_checking: bool
    scope: str
    span: Span
    text: str


@dataclass(frozen=True, slots=True)
class CallFact:
    """One call, or one decorator application.

    ``callee`` is the callee expression as dotted text (calls inside it are rendered ``f()``,
    e.g. ``get_opik_connector().trace_agent``); ``qualname`` is the callee resolved through the
    file's imports (``mf.start_run`` with ``import mlflow as mf`` -> ``mlflow.start_run``), or
    "" when the head name is not imported. ``attr`` is the last name component.

    ``context``: "call" (an ordinary call), "decorator" (``@d(...)``: the call is the decorator
    factory), or "decorator-ref" (bare ``@d``: applying the decorator is the call).
    """

    callee: str
    qualname: str
    attr: str
    args: tuple[Value, ...]
    kwargs: tuple[tuple[str, Value], ...]
    context: str
    awaited: bool
    with_item: str  # "" | "with" | "async with"
    scope: str
    span: Span
    text: str
    # the value of the object a method is called on (see ``CallValue.receiver``); None for a
    # plain function call or a decorator
    receiver: Value = None
    star_args: bool = False  # the call unpacks ``*x`` (positional arguments not all known)
    star_kwargs: bool = False  # the call unpacks ``**x`` (keyword arguments not all known)
    in_finally: bool = False  # the call sits in a ``finally:`` block of its function
    discarded: bool = False  # the call is a whole expression statement: its value is dropped
    # callee texts of the ``with``/``async with`` items whose body holds the call, innermost
    # last, within its function (``("opik.trace_agent",)``): what span it runs under
    within: tuple[str, ...] = ()
    in_main: bool = False  # the call sits under a module-level ``if __name__ == "__main__":``


@dataclass(frozen=True, slots=True)
class ParamFact:
    """One parameter of a ``def``, as the signature declares it.

    ``kind``: "posonly" (before ``/``), "pos" (positional or keyword), "vararg" (``*args``),
    "kwonly" (after ``*``/``*args``) or "kwarg" (``**kwargs``). ``annotation`` is dotted text
    resolved through the file's imports when it is a plain (dotted) name, else its source text
    (``Optional[OpikConnector]``, ``"OpikConnector"``); "" when there is none.
    """

    name: str
    kind: str
    has_default: bool = False
    annotation: str = ""
    default: "Value" = None  # the default's value (``has_default`` tells None from no default)


@dataclass(frozen=True, slots=True)
class Guard:
    """One condition on the way to a ``return`` (or a branch of a conditional expression).

    ``subject`` is the tested operand as canonical text when it is a plain access: a dotted
    name (``decision``, ``self.mode``), a literal-key subscript or ``.get`` of one
    (``state['status']`` for both ``state["status"]`` and ``state.get("status")``), optionally
    followed by ``.value``; "" when the test is anything else (a call, ``a or b``, a loop).
    ``op`` is ``==``, ``!=``, ``in``, ``not in``, ``is``, ``is not`` (``value`` is the other
    operand, a ``Seq`` for ``in``), ``truthy`` (``if x:``), or "" (opaque: the condition of a
    ``for``/``while`` body, an ``except`` handler, a ``match`` case, a compound test).
    ``negated``: the return lies on the false side of the test (``else``/``elif``, the branch
    after ``else`` of ``a if t else b``, ``if not x``).
    """

    subject: str
    op: str
    value: "Value" = None
    negated: bool = False
    text: str = ""


@dataclass(frozen=True, slots=True)
class ReturnPath:
    """A value a function returns (or a lambda evaluates to), with the conditions that lead to
    it, in source order. ``a if t else b`` is split into its two branches. ``subject`` is the
    returned expression as a canonical access (see ``Guard.subject``) when it is one, else "".
    ``span`` is the ``return`` statement's (the lambda's, for a lambda). ``await e`` and
    ``typing.cast(T, e)`` (imported from typing or typing_extensions) are ``e``.
    """

    value: "Value"
    guards: tuple[Guard, ...] = ()
    subject: str = ""
    span: Span | None = None
    awaited: bool = False  # ``return await e``: ``value`` is e's


@dataclass(frozen=True, slots=True)
class FunctionFact:
    """A function or method definition."""

    name: str
    qualname: str  # e.g. "MLflowConnector.start_run" or "outer.<locals>.inner"
    is_async: bool
    decorators: tuple[str, ...]  # decorator callee text, resolved qualname when imported
    params: tuple[str, ...]
    globals_declared: tuple[str, ...]
    returns: tuple[Value, ...]  # values of its ``return`` statements (not nested defs)
    yields: bool
    scope: str  # enclosing scope qualname ("" = module)
    span: Span
    # the value of each decorator expression, parallel to ``decorators``: a CallValue for
    # ``@d(...)`` (e.g. ``pytest.mark.parametrize("x", [1, 2])``), a Ref for a bare ``@d``
    decorator_values: tuple[Value, ...] = ()
    # source text of the ``if``/``elif`` tests directly in this function (not nested defs),
    # whitespace-normalised, e.g. "_connector is None" (a caching accessor's guard)
    conditions: tuple[str, ...] = ()
    # the full signature (names, kinds, defaults, annotations), parallel to ``params``
    signature: tuple[ParamFact, ...] = ()
    # the return annotation as ``ParamFact.annotation`` ("" when there is none)
    return_annotation: str = ""
    yield_values: tuple[Value, ...] = ()  # values of its ``yield`` expressions (not nested defs)
    # its ``return`` statements with the ``if``/loop/handler conditions around each (not nested
    # defs), conditional expressions split: what a router returns under which condition
    return_paths: tuple[ReturnPath, ...] = ()


@dataclass(frozen=True, slots=True)
class LambdaFact:
    """A ``lambda`` expression: its parameters, where it is, and what it evaluates to.

    Its body's calls, subscripts and strings are facts of the enclosing ``scope`` (a lambda is
    not a scope of its own); they lie within ``span``.
    """

    params: tuple[str, ...]
    scope: str
    span: Span
    results: tuple[ReturnPath, ...]
    text: str = ""


@dataclass(frozen=True, slots=True)
class ClassFact:
    name: str
    qualname: str
    bases: tuple[str, ...]  # base expressions as dotted text, resolved when imported
    decorators: tuple[str, ...]
    methods: tuple[str, ...]  # method names defined directly in the class body
    scope: str
    span: Span
    decorator_values: tuple[Value, ...] = ()  # as FunctionFact.decorator_values
    keywords: tuple[tuple[str, str], ...] = ()  # class keywords, e.g. (("metaclass", "abc.ABCMeta"),)


@dataclass(frozen=True, slots=True)
class AssignFact:
    """An assignment whose target is a name or attribute: ``X = v``, ``self.x: T = v``.

    ``target`` is dotted text (``RAGAS_THRESHOLDS``, ``self._instance``, ``cls._instance``);
    ``scope`` tells where it happened (a class body's scope is the class qualname).
    ``annotated`` is True for ``x: T = v`` (dataclass fields); ``value`` is None-literal when
    absent (``x: T``) and ``has_value`` False.

    ``via`` is "" for an assignment statement, or "with" / "async with" for the name a
    ``with ... as name`` binds (``value`` is then the context manager expression, e.g.
    ``CallValue("connector.start_run")``): receivers are typed from both.
    """

    target: str
    value: Value
    has_value: bool
    annotation: str
    annotated: bool
    augmented: bool
    scope: str
    span: Span
    via: str = ""
    # the values the right-hand side may take when it is a conditional expression (``a if t
    # else b``: each branch, nested ones flattened), an ``await e`` or a ``typing.cast(T, e)``
    # (e's value; inside branches too); () otherwise
    alternatives: tuple[Value, ...] = ()


@dataclass(frozen=True, slots=True)
class SubscriptStoreFact:
    """``target[key] = value`` (e.g. ``params["hp_lr"] = lr``)."""

    target: str
    key: Value
    value: Value
    scope: str
    span: Span


@dataclass(frozen=True, slots=True)
class KeyReadFact:
    """A key read from a mapping: ``cfg["a"]["b"]`` (a load, not a store target) or
    ``"a" in cfg`` (``how`` "subscript" | "in").

    ``target`` is the dotted text of the subscripted name (``cfg``, ``self.config``); ``keys``
    the chain of subscripts, outermost last (``("a", "b")``; a non-literal key is its Value).
    Every subscript of a chain is recorded (``cfg["a"]`` and ``cfg["a"]["b"]``)."""

    target: str
    keys: tuple[Value, ...]
    scope: str
    span: Span
    how: str = "subscript"


@dataclass(frozen=True, slots=True)
class LoopFact:
    """``for target in iterable:`` (also ``async for``) with a name (or attribute) target: the
    loop variable takes the iterable's items (``Seq`` items when it is a literal display)."""

    target: str
    iterable: Value
    scope: str
    span: Span


@dataclass(frozen=True, slots=True)
class SubscriptLoadFact:
    """``target[key]`` read (not assigned or deleted; ``x[k] += 1`` is both), where ``target``
    is a dotted name and ``key`` a string literal or a name (e.g. ``state["status"]``)."""

    target: str
    key: Value
    scope: str
    span: Span


@dataclass(frozen=True, slots=True)
class StringFact:
    """A string literal used as a value outside docstrings (dict key, argument, comparison...).

    Only recorded for short strings; used by presence checks such as required-keys.
    Roles: "dict-key" (``{"k": ...}``), "subscript" (``x["k"]``), "argument" (``f("k")``,
    ``f(a="k")``), "compare" (``x == "k"``), "value" (a dict value, a list/tuple/set item, the
    right-hand side of an assignment, a returned string).
    """

    value: str
    role: str  # "dict-key" | "subscript" | "argument" | "value" | "compare"
    scope: str
    span: Span


@dataclass(frozen=True, slots=True)
class NameFact:
    """An identifier used in code (never in strings, comments or docstrings).

    kind "name": a bare name in an expression or annotation (``OpikConnector()``,
    ``x: OpikConnector``, ``except OpikError``); kind "attribute": an attribute name
    (``metrics.roc_auc`` gives "roc_auc"; its head ``metrics`` is a "name"). Definitions
    (def/class names, parameters, imported names) are not uses. Only the first use per
    (name, kind, scope) is recorded: a compact "is it referenced here" index, not every use;
    ``uses`` counts them all (a check can tell whether the uses it understood are all there are).
    """

    name: str
    kind: str  # "name" | "attribute"
    scope: str
    span: Span
    uses: int = 1  # how many times the identifier is used in that scope (all uses, not the first)


@dataclass(frozen=True, slots=True)
class PythonFacts:
    imports: tuple[ImportFact, ...] = ()
    calls: tuple[CallFact, ...] = ()
    functions: tuple[FunctionFact, ...] = ()
    classes: tuple[ClassFact, ...] = ()
    assigns: tuple[AssignFact, ...] = ()
    subscript_stores: tuple[SubscriptStoreFact, ...] = ()
    strings: tuple[StringFact, ...] = ()
    aliases: tuple[tuple[str, str], ...] = ()  # module-scope import table: local name -> qualname
    names: tuple[NameFact, ...] = ()  # identifiers used in code (first use per scope)
    key_reads: tuple[KeyReadFact, ...] = ()  # ``x["k"]`` loads and ``"k" in x`` tests
    loops: tuple[LoopFact, ...] = ()  # ``for x in ...`` with a name target
    subscript_loads: tuple[SubscriptLoadFact, ...] = ()
    lambdas: tuple[LambdaFact, ...] = ()
    # which facts were extracted: "" = all of the above; "imports" = only ``imports`` and
    # ``aliases`` (every rule covering the file reads nothing else: see ``CheckKind.facts``)
    extracted: str = ""


IMPORTS_ONLY = "imports"  # the ``needs`` of a file whose rules read only its imports


# --------------------------------------------------------------------------------------------
# Whole-file facts
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Problem:
    """Why a file could not be (fully) analysed: becomes a finding of a built-in rule.

    ``rule`` is the *name* of that built-in rule (``builtin.py``): "parse-error",
    "read-error", "internal-error" or "skipped" (over a size/time/depth budget). It is a name,
    not a code: ``evaluate.problem_findings`` looks the rule up by name and the finding it
    makes carries the rule's code (``Finding.code``) and name (``Finding.name``), so a Problem
    and a Finding each name their rule the way the rest of the engine does.
    """

    rule: str
    message: str
    span: Span = field(default_factory=Span.file_start)


@dataclass(frozen=True, slots=True)
class Suppression:
    """An inline ``# obs-lint: ignore[...]`` comment. Empty ``codes`` = bare (ignore all).

    ``malformed``: why the comment is not a valid suppression (an unclosed ``[``, an empty
    list); such a comment silences nothing and is reported (``unused-suppression``)."""

    line: int
    codes: tuple[str, ...]
    malformed: str = ""


@dataclass(frozen=True, slots=True)
class FileFacts:
    """Everything later stages need about one file.

    ``parsed`` is False when no active rule could react to the file's bytes, so it was not
    parsed at all (absent text implies absent construct, so presence rules stay correct).
    ``payload`` holds the kind-specific facts: PythonFacts, or the YAML / SQL fact values.
    ``hits``, for a file with problems whose text was read: which of its rules' text patterns
    occur in it (a rule none of whose patterns does cannot react to the file, broken or not:
    ``RuleContext.undecidable``); None when the text is unknown.
    """

    path: str
    kind: FileKind
    digest: str
    parsed: bool = False
    problems: tuple[Problem, ...] = ()
    suppressions: tuple[Suppression, ...] = ()
    skip_file: bool = False
    payload: object = None
    lines: int = 0
    hits: frozenset[str] | None = None
    # for a parsed Python file: which of the plan's *reach* patterns (``CheckKind.reach``: names
    # rules resolve across the project) its text holds; a rule consults, beyond its own scope,
    # exactly the parsed files marked with one of its reach patterns
    marks: frozenset[str] = frozenset()
    # for a parsed file whose facts went through the cache's encoding: the digest of those
    # bytes (``cache.store.body_digest``; prefixed ``needs:`` when only some facts were
    # extracted, e.g. ``imports:``), "" otherwise. Checks read facts, never text, so a
    # rule's result depends on this rather than on ``digest``: the result memo keys on it, and
    # an edit that changes no fact (a comment, a blank line at the end) re-runs no rule
    facts_digest: str = ""

    @property
    def python(self) -> PythonFacts | None:
        return self.payload if isinstance(self.payload, PythonFacts) else None
