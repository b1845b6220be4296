"""SARIF 2.1.0 output, in the shape GitHub code scanning accepts.

* One run; ``tool.driver.rules`` lists every active rule plus the built-in ones, each with
  ``shortDescription``, ``fullDescription`` and ``help`` (GitHub requires the last two),
  ``defaultConfiguration.level`` and ``properties`` (pack, phase, tags).
* Each result has ``ruleId``/``ruleIndex``, ``level``, ``message.text`` and exactly one location
  whose ``artifactLocation.uri`` is relative to the project root with ``uriBaseId``
  ``%SRCROOT%``, never an absolute path. ``originalUriBaseIds`` describes ``%SRCROOT%`` as
  the project root without naming a local directory: the consumer (code scanning: the
  checkout) resolves it, and the file stays the same on every machine — an absolute path
  there leaked the author's home directory and made two runs of one commit differ.
  Regions are 1-based (``endColumn`` is the column after the last character, as SARIF
  defines it, which is what our spans hold). A project-level or whole-file finding is at line 1
  of the file it concerns.
* ``partialFingerprints["obsLint/v1"]`` is the same fingerprint a baseline records (rule + path
  + hash of the normalised offending source + occurrence index; no line number), so alerts
  survive edits elsewhere in the file.
* Silenced findings are not dropped: each is a result with a ``suppressions`` entry, so a code
  scanning service shows the alert as suppressed (and keeps its identity) instead of closing it
  as fixed. ``inSource`` for an ``# obs-lint: ignore[...]`` or ``skip-file`` comment,
  ``external`` (status ``accepted``) for ``per-file-ignores`` and for findings the
  ``--baseline`` file accepts. A suppressed finding's fingerprint is counted among all
  findings, so it is the one it had before it was silenced.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote

from .. import __version__
from ..builtin import BUILTINS
from ..fingerprint import fingerprints
from ..types import Finding, Related, Result, Rule, Severity

SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json"
INFORMATION_URI = "https://pypi.org/project/obs-lint/"
FINGERPRINT_KEY = "obsLint/v1"
SRCROOT = "%SRCROOT%"
_LEVEL = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}


def _help_text(rule: Rule) -> str:
    parts = [rule.message + "."]
    if rule.description:
        parts.append(rule.description.strip())
    if rule.checklist:
        parts.append(f"Audit checkbox: {rule.checklist}")
    if rule.example.fix:
        parts.append("Example fix:\n" + rule.example.fix.rstrip())
    parts.append(f"Run `obs-lint explain {rule.code}` for details.")
    return "\n\n".join(parts)


def _help_markdown(rule: Rule) -> str:
    parts = [f"**{rule.code} ({rule.name})**: {rule.message}."]
    if rule.description:
        parts.append(rule.description.strip())
    if rule.example.violation:
        parts.append("Violation:\n\n```\n" + rule.example.violation.rstrip() + "\n```")
    if rule.example.fix:
        parts.append("Fix:\n\n```\n" + rule.example.fix.rstrip() + "\n```")
    return "\n\n".join(parts)


def rule_descriptor(rule: Rule) -> dict[str, Any]:
    props: dict[str, Any] = {"pack": rule.pack, "tags": sorted({*rule.tags, rule.pack})}
    if rule.phase is not None:
        props["phase"] = str(rule.phase)
    if rule.section:
        props["section"] = rule.section
    return {
        "id": rule.code,
        "name": rule.name,
        "shortDescription": {"text": rule.message},
        "fullDescription": {"text": (rule.description or rule.message).strip()},
        "help": {"text": _help_text(rule), "markdown": _help_markdown(rule)},
        "defaultConfiguration": {"level": _LEVEL[rule.severity]},
        "properties": props,
    }


def artifact_uri(path: str) -> str:
    """A project-relative POSIX path as a relative URI reference (percent-encoded). A file name
    that is not valid UTF-8 (surrogate-escaped by the OS layer) is encoded as its raw bytes."""
    return quote(path.encode("utf-8", "surrogateescape"), safe="/-._~!$&'()*+,;=@")


_SUPPRESSIONS = {
    "comment": {"kind": "inSource", "justification": "an `# obs-lint: ignore` comment"},
    "skip-file": {"kind": "inSource", "justification": "an `# obs-lint: skip-file` comment"},
    "config": {"kind": "external", "status": "accepted",
               "justification": "per-file-ignores in the configuration"},
    "baseline": {"kind": "external", "status": "accepted",
                 "justification": "accepted by the baseline file"},
}


def _result(f: Finding, index: int, fp: str) -> dict[str, Any]:
    s = f.location.span
    region = {"startLine": max(s.line, 1), "startColumn": max(s.column, 1),
              "endLine": max(s.end_line, s.line, 1),
              "endColumn": max(s.end_column, 1)}
    return {
        "ruleId": f.code,
        "ruleIndex": index,
        "level": _LEVEL[f.severity],
        "message": {"text": f.message},
        "locations": [{"physicalLocation": {
            "artifactLocation": {"uri": artifact_uri(f.location.path), "uriBaseId": SRCROOT},
            "region": region}}],
        "partialFingerprints": {FINGERPRINT_KEY: fp},
        **({"relatedLocations": [_related(r, i) for i, r in enumerate(f.related)]}
           if f.related else {}),
    }


def _related(r: Related, index: int) -> dict[str, Any]:
    """A link of the evidence chain as a SARIF ``location`` (with an id, so that a message
    could cite it as ``[text](id)``)."""
    s = r.location.span
    return {"id": index, "message": {"text": r.message}, "physicalLocation": {
        "artifactLocation": {"uri": artifact_uri(r.location.path), "uriBaseId": SRCROOT},
        "region": {"startLine": max(s.line, 1), "startColumn": max(s.column, 1)}}}


def to_dict(result: Result) -> dict[str, Any]:
    rules: list[Rule] = list(result.rules)
    seen = {r.code for r in rules}
    rules += [b for b in BUILTINS if b.code not in seen]
    index = {r.code: i for i, r in enumerate(rules)}
    results = []

    def add(f: Finding, fp: str, extra: dict[str, Any]) -> None:
        if f.code not in index:  # a finding of a rule not in the run's list: describe it
            index[f.code] = len(rules)
            rules.append(Rule(code=f.code, name=f.name, pack="", phase=f.phase,
                              severity=f.severity, message=f.name, check_kind="",
                              params={}))
        results.append({**_result(f, index[f.code], fp), **extra})

    # reported + baselined findings: fingerprinted together, as the baseline file was
    reported = list(result.findings) + list(result.baselined)
    fps = fingerprints(reported)
    n = len(result.findings)
    for i, (f, fp) in enumerate(zip(reported, fps)):
        add(f, fp, {} if i < n else {"suppressions": [_SUPPRESSIONS["baseline"]]})
    if result.suppressed:
        silenced = [s.finding for s in result.suppressed]
        every = fingerprints(reported + silenced)[len(reported):]
        for s, fp in zip(result.suppressed, every):
            add(s.finding, fp, {"suppressions": [_SUPPRESSIONS[s.how]]})
    return {
        "$schema": SCHEMA_URI,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "obs-lint",
                "semanticVersion": __version__,
                "version": __version__,
                "informationUri": INFORMATION_URI,
                "rules": [rule_descriptor(r) for r in rules],
            }},
            "originalUriBaseIds": {SRCROOT: {"description": {
                "text": "The project root (the directory holding the obs-lint configuration); "
                        "every artifact URI is relative to it."}}},
            "invocations": [{"executionSuccessful": not result.internal_errors}],
            "columnKind": "unicodeCodePoints",
            "results": results,
        }],
    }


def render(result: Result) -> str:
    return json.dumps(to_dict(result), indent=2, ensure_ascii=False) + "\n"
