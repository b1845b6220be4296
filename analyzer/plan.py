"""The run plan: which rules are active, which files each one covers, and which files must be
parsed at all (the prefilter).

Each rule's check kind declares the text it can react to (``CheckKind.patterns``); a file is
parsed only if some active rule covers its path and kind and one of that rule's patterns occurs
in the file's text (or the rule needs every file parsed). Files nothing can react to are never
parsed; presence rules still get the right answer for them, because absent text implies an
absent construct.
"""

from __future__ import annotations

import difflib
import hashlib
import json
from dataclasses import dataclass, field
from typing import Callable, Iterable, Sequence

import pathspec

from .builtin import BUILTINS
from .checks import REGISTRY
from .checks.base import CheckKind
from .errors import UsageError
from .facts.model import IMPORTS_ONLY
from .globs import gitignore_spec, literal_prefixes, path_matcher
from .types import FileKind, Pack, Rule, SourceFile

_GLOB_CHARS = set("*?[")


def scope_hint(include: Iterable[str]) -> str:
    """Literal path prefix of the first include glob: ``src/agents/x/**`` -> ``src/agents/x``."""
    for pattern in include:
        parts = []
        for part in pattern.strip("/").split("/"):
            if _GLOB_CHARS & set(part):
                break
            parts.append(part)
        return "/".join(parts)
    return ""


@dataclass(frozen=True, slots=True)
class RulePlan:
    """What planning needs of a rule's check kind, computed from an instance of it
    (``CheckKind.patterns``/``reach``/``facts``/``uses_project``/``file_kinds``) and kept in the
    cache with the rule set (``build_plan``): a run whose results all come from the memo never
    imports a check kind."""

    file_kinds: frozenset[FileKind]
    patterns: tuple[str, ...] | None
    reach: tuple[str, ...]
    facts: frozenset[str] | None
    uses_project: bool
    # ``CheckKind.path_patterns``: (path prefix, patterns that count only in files under it)
    path_patterns: tuple[tuple[str, tuple[str, ...]], ...] = ()


def rule_plan(rule: Rule) -> RulePlan:
    check = REGISTRY[rule.check_kind](rule)
    kind = type(check)
    facts = kind.facts
    return RulePlan(file_kinds=frozenset(kind.file_kinds), patterns=check.patterns(),
                    reach=tuple(check.reach()),
                    facts=frozenset(facts) if facts is not None else None,
                    uses_project=bool(check.uses_project),
                    path_patterns=tuple((str(prefix), tuple(more))
                                        for prefix, more in check.path_patterns()))


@dataclass(frozen=True)
class ActiveRule:
    rule: Rule
    include: pathspec.PathSpec
    exclude: pathspec.PathSpec
    file_kinds: frozenset[FileKind]
    patterns: tuple[str, ...] | None
    hint: str
    # patterns that count only in files under a path prefix (``CheckKind.path_patterns``)
    path_patterns: tuple[tuple[str, tuple[str, ...]], ...] = ()
    # names the rule resolves beyond its scope (``CheckKind.reach``): parsed files whose text
    # holds one of them are consulted too (``FileFacts.marks``)
    reach: tuple[str, ...] = ()
    # the Python facts the check kind reads (``CheckKind.facts``; None: all of them)
    facts: frozenset[str] | None = None
    # ``CheckKind.uses_project``: the rule always gets the project view
    uses_project: bool = False
    # ``where.consult``: files the rule may read beyond its scope (parsed with every fact)
    _con: Callable[[str], bool] | None = field(default=None, compare=False, repr=False)
    # compiled include/exclude matchers (``Coverage.build`` asks them once per file and scope)
    _inc: Callable[[str], bool] = field(default=lambda path: True, compare=False, repr=False)
    _exc: Callable[[str], bool] = field(default=lambda path: False, compare=False, repr=False)
    _check: list = field(default_factory=list, compare=False, repr=False)

    @property
    def check(self) -> CheckKind:
        """The rule's check kind instance, built (and its module imported) on first use."""
        if not self._check:
            self._check.append(REGISTRY[self.rule.check_kind](self.rule))
        return self._check[0]


@dataclass(frozen=True)
class Plan:
    rules: tuple[ActiveRule, ...]
    builtins: tuple[Rule, ...]
    digest: str  # identifies the active rule set (cache key component)
    prefilter: bool = True
    # every active rule's reach patterns: a Python file holding one is parsed (with all its
    # facts) wherever it is, since some rule may resolve a name defined or re-exported there
    reach: tuple[str, ...] = ()

    def patterns_key(self) -> str:
        """A digest of what the prefilter asks of a file's text (every rule's patterns, their
        path-scoped ones, the reach names): a file's recorded "nothing wants it" verdict
        (``statindex``) holds only under the same questions."""
        blob = repr([(r.patterns, r.path_patterns) for r in self.rules] + [self.reach])
        return hashlib.blake2b(blob.encode(), digest_size=8).hexdigest()

    def coverage(self, files: Sequence[SourceFile]) -> "Coverage":
        """Which rules cover which of ``files``: a new value on each call (the plan keeps
        nothing). It costs ~60-170 rules x ~1,500 files, so the run computes it once where it
        starts (``api._pipeline``) and hands the value to extraction, the on-demand loader and
        evaluation (their ``coverage`` argument; without one each computes its own)."""
        return Coverage.build(self, files)


@dataclass(frozen=True)
class Coverage:
    """The rules covering each file, and the files (in discovery order) of each rule."""

    rules_of: dict[str, tuple[ActiveRule, ...]]
    files_of: dict[int, list[SourceFile]]  # id(ActiveRule) -> its files
    prefilter: bool
    reach: tuple[str, ...] = ()  # Plan.reach
    # ``where.consult``: id(ActiveRule) -> the Python files it consults; paths consulted by any
    consulted_by: dict[int, list[SourceFile]] = field(default_factory=dict)
    consulted: frozenset[str] = frozenset()

    @staticmethod
    def build(plan: "Plan", files: Sequence[SourceFile]) -> "Coverage":
        # rules that share a scope (same globs and file kinds) are matched once
        scopes: dict[tuple, list[ActiveRule]] = {}
        for r in plan.rules:
            key = (r.rule.where.include, r.rule.where.exclude, r.file_kinds)
            scopes.setdefault(key, []).append(r)
        files_of: dict[int, list[SourceFile]] = {}
        rules_of: dict[str, list[ActiveRule]] = {f.path: [] for f in files}
        for (include, _exclude, kinds), rules in scopes.items():
            first = rules[0]
            prefixes = literal_prefixes(include)
            inc, exc = first._inc, first._exc
            hit = [f for f in files if f.kind in kinds
                   and (prefixes is None or f.path.startswith(prefixes))
                   and inc(f.path) and not exc(f.path)]
            for r in rules:
                files_of[id(r)] = hit
            for f in hit:
                rules_of[f.path].extend(rules)
        order = {id(r): i for i, r in enumerate(plan.rules)}
        consulted_by: dict[int, list[SourceFile]] = {}
        for r in plan.rules:
            if r._con is not None:
                consulted_by[id(r)] = [f for f in files if f.kind is FileKind.PYTHON
                                       and r._con(f.path)]
        return Coverage(
            rules_of={p: tuple(sorted(rs, key=lambda r: order[id(r)]))
                      for p, rs in rules_of.items()},
            files_of=files_of, prefilter=plan.prefilter, reach=plan.reach,
            consulted_by=consulted_by,
            consulted=frozenset(f.path for fs in consulted_by.values() for f in fs))

    def files(self, rule: ActiveRule) -> list[SourceFile]:
        return self.files_of[id(rule)]

    def rule_patterns(self, src: SourceFile) -> frozenset[str]:
        """Every text pattern of the rules covering ``src`` (a rule without any adds none),
        with the path-scoped ones (``ActiveRule.path_patterns``) whose prefix ``src`` is under."""
        out = {p for r in self.rules_of.get(src.path, ()) if r.patterns for p in r.patterns}
        for r in self.rules_of.get(src.path, ()):
            for prefix, more in r.path_patterns:
                if src.path.startswith(prefix):
                    out.update(more)
        return frozenset(out)

    def reach_for(self, src: SourceFile) -> tuple[str, ...]:
        """The reach patterns to look for in ``src``'s text (``FileFacts.marks``)."""
        return self.reach if src.kind is FileKind.PYTHON else ()

    def needs_for(self, src: SourceFile, marks: frozenset[str] = frozenset()) -> str:
        """Which Python facts the rules covering ``src`` read: ``IMPORTS_ONLY`` when none of
        them reads anything but imports, else "" (all). ``--no-prefilter`` extracts everything
        (it is the do-all-the-work reference the prefilter and this are tested against). A file
        ``marks`` says some rule may resolve a name in gets every fact (definitions)."""
        if not self.prefilter or src.kind is not FileKind.PYTHON or marks \
                or src.path in self.consulted:
            return ""
        wanted: set[str] = set()
        for r in self.rules_of.get(src.path, ()):
            facts = r.facts
            if facts is None:
                return ""
            wanted |= facts
        return IMPORTS_ONLY if wanted == {IMPORTS_ONLY} else ""

    def patterns_for(self, src: SourceFile) -> tuple[str, ...] | None:
        """The prefilter's question for ``src``: None = parse whatever the text; () = nothing
        can react; else parse if one of these occurs."""
        rules = self.rules_of.get(src.path, ())
        if not self.prefilter or any(r.patterns is None for r in rules) \
                or src.path in self.consulted:
            return None
        return tuple(sorted(self.rule_patterns(src) | set(self.reach_for(src))))


def _matches(rule: Rule, selectors: Iterable[str]) -> bool:
    return any(s == rule.name or rule.code.startswith(s) for s in selectors)


def select_rules(rules: list[Rule], select: tuple[str, ...], extend_select: tuple[str, ...],
                 ignore: tuple[str, ...]) -> list[Rule]:
    """Apply select / extend-select / ignore (codes, code prefixes, or names)."""
    known_codes = {r.code for r in rules} | {r.code for r in BUILTINS}
    known_names = {r.name for r in rules} | {r.name for r in BUILTINS}
    for sel in (*select, *extend_select, *ignore):
        if sel in known_names or any(c.startswith(sel) for c in known_codes):
            continue
        close = difflib.get_close_matches(sel, sorted(known_codes | known_names), n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise UsageError(f"unknown rule code or name {sel!r}{hint}")
    chosen = [r for r in rules if (not select or _matches(r, select) or
                                   _matches(r, extend_select))]
    return [r for r in chosen if not _matches(r, ignore)]


def build_plan(packs: tuple[Pack, ...], select: tuple[str, ...] = (),
               extend_select: tuple[str, ...] = (), ignore: tuple[str, ...] = (),
               prefilter: bool = True,
               rule_plans: "Callable[[Sequence[Rule], str], list[RulePlan]] | None" = None
               ) -> Plan:
    """The run plan. ``rule_plans(rules, digest)``: the rules' ``RulePlan`` values (default:
    ``rule_plan`` of each); a run with a cache passes ``cache.plans.cached_rule_plans``, which
    keeps them keyed by the rule set (``digest``) and the check kinds' source, so that planning
    a warm run imports no check kind."""
    rules = [r for p in packs for r in p.rules]
    chosen = select_rules(rules, select, extend_select, ignore)
    blob = json.dumps([[r.pack, r.code, r.check_kind, repr(sorted(r.params.items())),
                        r.where.include, r.where.exclude, r.where.consult] for r in chosen],
                      sort_keys=True)
    digest = hashlib.sha256(blob.encode()).hexdigest()[:32]
    infos = (rule_plans or rule_plans_of)(chosen, digest)
    active = []
    for rule, info in zip(chosen, infos):
        active.append(ActiveRule(
            rule=rule,
            include=gitignore_spec(rule.where.include),
            exclude=gitignore_spec(rule.where.exclude),
            file_kinds=info.file_kinds, patterns=info.patterns,
            path_patterns=info.path_patterns if info.patterns is not None else (),
            hint=scope_hint(rule.where.include), reach=info.reach, facts=info.facts,
            uses_project=info.uses_project,
            _inc=path_matcher(rule.where.include), _exc=path_matcher(rule.where.exclude),
            _con=path_matcher(rule.where.consult) if rule.where.consult else None))
    builtins = tuple(b for b in BUILTINS if not _matches(b, ignore))
    reach = tuple(sorted({p for a in active for p in a.reach}))
    return Plan(rules=tuple(active), builtins=builtins, digest=digest, prefilter=prefilter,
                reach=reach)


def rule_plans_of(chosen: Sequence[Rule], digest: str = "") -> list[RulePlan]:
    """``rule_plan`` of each rule (``digest`` is the rule set's, unused: the signature is
    ``build_plan``'s ``rule_plans``)."""
    return [rule_plan(r) for r in chosen]
