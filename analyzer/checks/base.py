"""The contract every check kind implements.

A check kind is engine code parameterised by pack data: the pack says *what* (``kind`` plus
parameters); the kind says *how* to decide it from facts. Check kinds never read or parse files:
they only look at ``FileFacts`` handed to them in a ``RuleContext``.

To add a check kind: write one module in ``analyzer/checks/`` with a ``CheckKind`` subclass
(declare ``kind``, ``file_kinds``, ``Params`` (a parameter dataclass, ``checks/params.py``),
``summary``, ``example``, ``valid_examples`` and ``invalid_examples``; implement
``evaluate`` and, for speed, ``patterns``) — the registry finds it, nothing is registered — and
add positive and negative fixtures under ``fixtures/checks/<kind>/``.
"""

from __future__ import annotations

import posixpath
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar, Iterable, Mapping, Sequence

from ..facts.model import FileFacts
from ..types import CheckResult, FileKind, Finding, Location, Related, Rule, Span
from ..verdict import UNDECIDED, check_status

if TYPE_CHECKING:
    from ..facts.sql_text_types import SqlReader, SqlUses
    from .resolve import ProjectView


@dataclass(frozen=True, slots=True)
class Param:
    """One parameter of a check kind, as written in a pack's ``check:`` mapping.

    ``types`` are the accepted Python types after YAML loading (``list`` means a list whose items
    are ``item_types``). ``choices`` restricts string values. ``globs``: the value is
    gitignore-style globs, each checked when the pack loads (a pack error at its line).
    """

    name: str
    types: tuple[type, ...]
    required: bool = False
    default: Any = None
    doc: str = ""
    item_types: tuple[type, ...] = ()
    choices: tuple[str, ...] = ()
    globs: bool = False
    type_hint: str = ""  # appended to a wrong-type error (``min: 0.5``: "a value bound is ...")


MAX_RELATED = 12


def related_of(items: Iterable[Any]) -> tuple[Related, ...]:
    """Normalise an evidence chain: ``Related`` items or ``(path, span | line | None, text)``."""
    out: list[Related] = []
    for it in items:
        if len(out) >= MAX_RELATED:
            break
        if isinstance(it, Related):
            out.append(it)
            continue
        path, where, text = it
        if isinstance(where, int):
            where = Span(where, 1, where, 1)
        out.append(Related(Location(path, where or Span.file_start()), text))
    return tuple(out)


@dataclass(slots=True)
class RuleContext:
    """What a check sees: the rule and the facts of the files in its scope (sorted by path)."""

    rule: Rule
    files: Sequence[FileFacts]
    root: str
    scope_hint: str = ""  # literal directory/file prefix of the rule's include globs
    all_paths: frozenset[str] = field(default_factory=frozenset)
    # the rule's text patterns (``CheckKind.patterns``; None: it may react to any text)
    patterns: tuple[str, ...] | None = None
    # patterns that count only in files under a path prefix (``CheckKind.path_patterns``)
    path_patterns: tuple[tuple[str, tuple[str, ...]], ...] = ()
    # the project beyond the scope (``CheckKind.reach``): every parsed file's facts, of which
    # the rule may consult its scope and the files marked with one of its reach patterns
    project: "ProjectView | None" = None
    # reads SQL text found in code (``facts/sql_text_reader.py``, wired by ``evaluate.py``)
    sql_reader: "SqlReader | None" = None

    # -- helpers shared by check kinds ------------------------------------------------------
    def sql_uses(self, text: str) -> "SqlUses":
        """The tables and columns SQL ``text`` uses (``facts/sql_text_types.py`` values);
        raises ``SqlTextError`` when it does not parse. Check kinds read SQL text through the
        context, never a parser: the evaluate stage gives it a memoised reader."""
        if self.sql_reader is None:
            raise RuntimeError("this rule context has no SQL text reader (sql_reader): "
                               "evaluate.py wires facts/sql_text_reader.SqlTextReader")
        return self.sql_reader(text)

    def finding(self, path: str, span: Span | None, message: str, source: str = "",
                severity: Any = None, related: Iterable[Any] = ()) -> Finding:
        """A finding of this rule; ``message`` is the specific detail appended to the rule's.

        ``related`` is the evidence chain: ``Related`` items or ``(path, span-or-line,
        message)`` triples (at most ``MAX_RELATED`` are kept, the first ones)."""
        r = self.rule
        text = f"{r.message}: {message}" if message else r.message
        return Finding(code=r.code, name=r.name, severity=severity or r.severity,
                       message=text, location=Location(path, span or Span.file_start()),
                       phase=r.phase, fingerprint_source=source or message,
                       related=related_of(related))

    def undecidable(self) -> list[FileFacts]:
        """Files in scope that could not be analysed and whose text could hold what the rule
        looks for. A broken file none of the rule's patterns occurs in cannot (the prefilter's
        own argument), so the rule decides without it: the verdict does not depend on whether
        some other rule had the file parsed, or on ``--no-prefilter``."""
        pats = self.patterns
        return [f for f in self.files if f.problems and (
            pats is None or f.hits is None or any(p in f.hits for p in pats)
            or any(f.path.startswith(prefix) and any(p in f.hits for p in more)
                   for prefix, more in self.path_patterns))]

    def anchor_path(self) -> str:
        """Where a project-level finding ("nothing in scope calls X") is reported.

        The package's ``__init__.py`` if it is in scope, else the first file in scope, else the
        literal prefix of the rule's include glob (the folder or file that should exist).
        """
        hint = self.scope_hint.rstrip("/")
        if hint:
            init = posixpath.join(hint, "__init__.py")
            if any(f.path == init for f in self.files):
                return init
        if self.files:
            return self.files[0].path
        return hint or "."


class CheckKind:
    """Base class of check kinds. One instance per rule; instances must be cheap to build."""

    kind: ClassVar[str] = ""
    file_kinds: ClassVar[frozenset[FileKind]] = frozenset({FileKind.PYTHON})
    # The parameter dataclass (``checks/params.py``); ``params`` is derived from it.
    Params: ClassVar[type | None] = None
    params: ClassVar[tuple[Param, ...]] = ()
    summary: ClassVar[str] = ""
    example: ClassVar[str] = ""
    # ``check:`` mappings (YAML) the pack validator accepts, and (mapping, the error's text)
    # pairs it rejects: run by tests/checks/test_examples.py, shown by ``obs-lint explain``
    # and the README's check-kind reference.
    valid_examples: ClassVar[tuple[str, ...]] = ()
    invalid_examples: ClassVar[tuple[tuple[str, str], ...]] = ()
    # The Python facts ``evaluate`` reads (``PythonFacts`` field names); None = all of them.
    # A file covered only by rules that read ``imports`` is extracted without entering a single
    # expression (``facts/python/``): declare it only if that is all the kind ever reads.
    facts: ClassVar[frozenset[str] | None] = None
    # True: the kind resolves names across files and always gets ``RuleContext.project`` (its
    # scope, ``where.consult`` files and the files marked with its ``reach`` names)
    uses_project: ClassVar[bool] = False

    def __init_subclass__(cls, **kw: Any) -> None:
        super().__init_subclass__(**kw)
        if cls.__dict__.get("Params") is not None:
            from .params import params_of

            cls.params = params_of(cls.Params)  # type: ignore[arg-type]

    def __init__(self, rule: Rule) -> None:
        self.rule = rule
        self.p: Mapping[str, Any] = rule.params

    @classmethod
    def validate(cls, params: Mapping[str, Any]) -> list[str]:
        """Semantic checks beyond types (e.g. a regex compiles). Return error messages."""
        return []

    def patterns(self) -> tuple[str, ...] | None:
        """Text whose absence from a file proves this rule cannot react to it.

        A file in the rule's scope is parsed for this rule only if one of these strings occurs
        in its text. ``None`` means "every file in scope must be parsed" (the safe default).
        """
        return None

    def path_patterns(self) -> tuple[tuple[str, tuple[str, ...]], ...]:
        """More text patterns that count only in files whose path (relative to the project
        root) starts with a prefix: ``(("mlflow/", ("from",)),)`` = a file under ``mlflow/``
        holding ``from`` can make the rule react too. Only meaningful beside a tuple of
        ``patterns`` (None already parses every file in scope)."""
        return ()

    def reach(self) -> tuple[str, ...]:
        """Names this rule resolves *outside* its scope: a class required in module M that M
        imports from elsewhere, the accessor a receiver comes from. Any Python file whose text
        holds one of them is parsed (with every fact) and offered to the rule through
        ``RuleContext.project``; its content is part of the rule's cached inputs. () = the
        rule reads its scope only (the default)."""
        return ()

    def evaluate(self, ctx: RuleContext) -> CheckResult:
        raise NotImplementedError

    # -- helpers ------------------------------------------------------------------------------
    def result(self, ctx: RuleContext, findings: Iterable[Finding],
               evidence: Iterable[Location] = (), note: str = "",
               undecided: bool = False) -> CheckResult:
        """The rule's result. ``undecided``: the rule could not decide (a file in scope was not
        analysed, a name could not be followed); it is handed to ``verdict.check_status``, which
        makes the status UNKNOWN unless a finding above ``info`` already fails the rule. That
        status is the one encoding of "undecided" in a result: nothing else records it, and
        ``note`` (a ``could_not_decide`` message) says why."""
        fs = tuple(sorted(findings, key=lambda f: f.sort_key))
        return CheckResult(rule=self.rule, status=check_status(fs, undecided), findings=fs,
                           evidence=tuple(evidence), note=note)

    def undecided_result(self, ctx: RuleContext, why: str,
                         evidence: Iterable[Location] = ()) -> CheckResult:
        """The UNKNOWN result of a rule that found nothing to judge and could not decide:
        no findings, ``note`` = ``could_not_decide(why)``."""
        return self.result(ctx, [], evidence, note=could_not_decide(why), undecided=True)


def could_not_decide(what: str, why: str | None = None) -> str:
    """The one wording of an undecided verdict, for notes and ``info`` findings alike.

    ``could_not_decide("x is not followed")`` -> "could not decide: x is not followed";
    ``could_not_decide("whether x is set", "y")`` -> "could not decide whether x is set: y"
    (``what`` is then the question: "whether ...", "where ...", a key). The reporters read
    the prefix through ``verdict.UNDECIDED``, so the words are written in one place; the
    texts are in every report and in baselines' fingerprints: they must not drift."""
    if why is None:
        return f"{UNDECIDED}: {what}"
    return f"{UNDECIDED} {what}: {why}"
