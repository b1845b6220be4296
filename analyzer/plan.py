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
import re
from dataclasses import dataclass, field
from typing import Callable, Iterable

import pathspec

from .builtin import BUILTINS
from .checks import REGISTRY
from .checks.base import CheckKind
from .errors import UsageError
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


_GROUP_RE = re.compile(r"\(\?P<[A-Za-z_][A-Za-z0-9_]*>")


def path_matcher(lines: Iterable[str]) -> Callable[[str], bool]:
    """A fast ``match(relative_posix_path) -> bool`` with gitignore semantics.

    ``pathspec`` tries each pattern in turn in Python (~4 us a pattern); with ~60 rules and
    ~1,500 files that alone was a tenth of a warm run. Without negated patterns a gitignore spec
    matches exactly when any of its patterns does, so the pattern regexes are joined into one
    alternation (their named groups only matter for negation priorities and are made plain).
    Specs with negations keep pathspec's own matcher.
    """
    spec = pathspec.GitIgnoreSpec.from_lines(list(lines))
    active = [p for p in spec.patterns if p.include is not None]
    if not active:
        return lambda path: False
    regexes = [getattr(p, "regex", None) for p in active]
    if all(p.include for p in active) and all(r is not None for r in regexes):
        sources = [r.pattern for r in regexes]  # type: ignore[union-attr]
        if any(src in (".", "^.") for src in sources):
            return lambda path: bool(path)  # "**" or "*": everything
        try:
            joined = re.compile("|".join(f"(?:{_GROUP_RE.sub('(?:', src)})" for src in sources))
        except re.error:  # pragma: no cover - a pattern form this rewrite does not know
            return spec.match_file
        match = joined.match
        return lambda path: match(path) is not None
    return spec.match_file


@dataclass(frozen=True)
class ActiveRule:
    rule: Rule
    check: CheckKind
    include: pathspec.PathSpec
    exclude: pathspec.PathSpec
    file_kinds: frozenset[FileKind]
    patterns: tuple[str, ...] | None
    hint: str
    # compiled include/exclude matchers and a per-path memo: the prefilter and the evaluation
    # both ask, for every file, which rules cover it
    _inc: Callable[[str], bool] = field(default=lambda path: True, compare=False, repr=False)
    _exc: Callable[[str], bool] = field(default=lambda path: False, compare=False, repr=False)
    _memo: dict[str, bool] = field(default_factory=dict, compare=False, repr=False)

    def covers(self, src: SourceFile) -> bool:
        hit = self._memo.get(src.path)
        if hit is None:
            hit = (src.kind in self.file_kinds and self._inc(src.path)
                   and not self._exc(src.path))
            self._memo[src.path] = hit
        return hit


@dataclass(frozen=True)
class Plan:
    rules: tuple[ActiveRule, ...]
    builtins: tuple[Rule, ...]
    digest: str  # identifies the active rule set (cache key component)
    prefilter: bool = True

    def covering(self, src: SourceFile) -> list[ActiveRule]:
        return [r for r in self.rules if r.covers(src)]

    def patterns_for(self, src: SourceFile) -> tuple[str, ...] | None:
        """None = parse whatever the text; () = nothing can react; else parse if any occurs."""
        pats: set[str] = set()
        for r in self.covering(src):
            if r.patterns is None or not self.prefilter:
                return None
            pats.update(r.patterns)
        return tuple(sorted(pats))


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
               prefilter: bool = True) -> Plan:
    rules = [r for p in packs for r in p.rules]
    chosen = select_rules(rules, select, extend_select, ignore)
    active = []
    for rule in chosen:
        kind = REGISTRY[rule.check_kind]
        check = kind(rule)
        active.append(ActiveRule(
            rule=rule, check=check,
            include=pathspec.GitIgnoreSpec.from_lines(rule.where.include),
            exclude=pathspec.GitIgnoreSpec.from_lines(rule.where.exclude),
            file_kinds=kind.file_kinds, patterns=check.patterns(),
            hint=scope_hint(rule.where.include),
            _inc=path_matcher(rule.where.include), _exc=path_matcher(rule.where.exclude)))
    builtins = tuple(b for b in BUILTINS if not _matches(b, ignore))
    blob = json.dumps([[r.pack, r.code, r.check_kind, repr(sorted(r.params.items())),
                        r.where.include, r.where.exclude] for r in chosen], sort_keys=True)
    digest = hashlib.sha256(blob.encode()).hexdigest()[:32]
    return Plan(rules=tuple(active), builtins=builtins, digest=digest, prefilter=prefilter)
