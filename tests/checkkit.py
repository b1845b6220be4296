"""Helpers for the unit tests of the Python check kinds: source snippets in, CheckResult out.

A rule is built through the real pack parser (``parse_pack``), so parameter defaults and
validation are exactly what a pack author gets; facts come from the real extractor.
"""

from __future__ import annotations

import textwrap
from typing import Any, Mapping

import yaml

from obs_lint.checks import REGISTRY
from obs_lint.checks.base import RuleContext
from obs_lint.errors import PackError
from obs_lint.facts.model import FileFacts
from obs_lint.facts.python import extract
from obs_lint.facts.sql_text_reader import SqlTextReader
from obs_lint.facts.text_search import matches as text_matches
from obs_lint.packs import parse_pack
from obs_lint.types import CheckResult, FileKind, Rule, Severity, Status


def rule_of(kind: str, params: Mapping[str, Any]) -> Rule:
    """A validated rule of ``kind`` with ``params`` (raises PackError like a real pack)."""
    doc = {"pack": {"id": "t", "title": "t"},
           "rules": [{"code": "T1", "name": "t-rule", "phase": None, "severity": "error",
                      "message": "msg", "check": {"kind": kind, **params}}]}
    return parse_pack(yaml.safe_dump(doc, sort_keys=False), "pack.yaml").rules[0]


def pack_error(kind: str, params: Mapping[str, Any]) -> str:
    """The PackError message for invalid params ("" if they are valid)."""
    try:
        rule_of(kind, params)
    except PackError as exc:
        return str(exc)
    return ""


def facts_of(files: Mapping[str, str]) -> list[FileFacts]:
    """FileFacts for snippets (dedented), sorted by path, as the pipeline hands them over."""
    out = []
    for path in sorted(files):
        text = textwrap.dedent(files[path])
        payload, problems = extract(path, text)
        out.append(FileFacts(path=path, kind=FileKind.PYTHON, digest="", parsed=True,
                             problems=tuple(problems), payload=payload,
                             lines=text.count("\n")))
    return out


def run(kind: str, params: Mapping[str, Any], files: Mapping[str, str],
        hint: str = "") -> CheckResult:
    rule = rule_of(kind, params)
    ctx = RuleContext(rule=rule, files=facts_of(files), root=".", scope_hint=hint)
    return REGISTRY[kind](rule).evaluate(ctx)


def messages(result: CheckResult, severity: Severity | None = None) -> list[str]:
    return [f.message for f in result.findings if severity is None or f.severity is severity]


def lines(result: CheckResult, severity: Severity | None = None) -> list[tuple[str, int]]:
    return sorted((f.location.path, f.location.span.line) for f in result.findings
                  if severity is None or f.severity is severity)


__all__ = ["rule_of", "pack_error", "facts_of", "run", "messages", "lines", "Status",
           "Severity"]


def example_rule(kind: str) -> Rule:
    """The kind's documented ``example`` (quoted by the README), parsed as a real pack."""
    text = "pack: {id: t, title: t}\nrules:\n" + "".join(
        f"  {line}\n" for line in REGISTRY[kind].example.splitlines())
    return parse_pack(text, "example.yaml").rules[0]


# -- config-file kinds (yaml, sql-schema): fixtures read from disk, rules built by hand -------

def file_facts(root, rel: str, kind: FileKind, extractor, text: str | None = None) -> FileFacts:
    """Facts of ``root/rel`` (or of ``text``) through the real extractor of its kind."""
    text = (root / rel).read_text(encoding="utf-8") if text is None else text
    payload, problems = extractor(rel, text)
    return FileFacts(path=rel, kind=kind, digest="-", parsed=True, problems=problems,
                     payload=payload)


def kind_params(kind_cls, **given: Any) -> dict[str, Any]:
    """Parameters as the pack loader hands them over: every omitted one at its default."""
    params = {p.name: p.default for p in kind_cls.params}
    params.update(given)
    return params


def evaluate_kind(kind_cls, scoped: list[FileFacts], root, all_paths: frozenset[str] | None,
                  code: str, phase: int, /, **given: Any) -> CheckResult:
    """Evaluate ``kind_cls`` with parameters as the pack loader hands them over (every
    omitted parameter at its default), after asserting they validate."""
    params = kind_params(kind_cls, **given)
    assert kind_cls.validate(params) == []
    rule = Rule(code=code, name="t", pack="test", phase=phase, severity=Severity.ERROR,
                message="R", check_kind=kind_cls.kind, params=params)
    paths = frozenset(f.path for f in scoped) if all_paths is None else all_paths
    return kind_cls(rule).evaluate(RuleContext(rule=rule, files=scoped, root=str(root),
                                               all_paths=paths, sql_reader=SqlTextReader()))


def finding_rows(res) -> list[tuple[str, int, str, str]]:
    return [(f.location.path, f.location.span.line, f.severity.value, f.message)
            for f in res.findings]


# -- cross-file kinds (call-contract, reachability): the project view the pipeline builds -----

def run_project(kind: str, params: Mapping[str, Any], files: Mapping[str, str],
                scope: Any = None, hint: str = "") -> CheckResult:
    """Evaluate ``kind`` as the pipeline does for a kind that resolves names across the
    project: the rule's scope is the files whose path matches a glob of ``scope`` (default:
    every file), every snippet is consultable, and "which files name ``word``" searches the
    snippets' text (``extract.OnDemand.search``)."""
    import fnmatch

    from obs_lint.checks.resolve import ProjectIndex, ProjectView

    rule = rule_of(kind, params)
    facts = facts_of(files)
    texts = {p: textwrap.dedent(t) for p, t in files.items()}
    globs = [scope] if isinstance(scope, str) else list(scope or ["*", "**"])
    scoped = [f for f in facts if any(fnmatch.fnmatchcase(f.path, g) for g in globs)]
    paths = frozenset(f.path for f in facts)
    index = ProjectIndex(facts, paths)
    index.searcher = lambda word: sorted(p for p, t in texts.items() if text_matches(word, t))
    view = ProjectView(index, paths)
    ctx = RuleContext(rule=rule, files=scoped, root=".", scope_hint=hint, all_paths=paths,
                      project=view)
    return REGISTRY[kind](rule).evaluate(ctx)


__all__ += ["run_project"]
