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
