"""GitHub Actions workflow commands: one annotation per finding, then the plain report.

``::error file=PATH,line=L,endLine=L2,col=C,endColumn=C2,title=CODE::message`` (``::warning``
for warnings, ``::notice`` for info). GitHub's escaping rules: in the message, ``%`` ``\\r``
``\\n`` become ``%25`` ``%0D`` ``%0A``; property values additionally escape ``:`` and ``,``
(``%3A``, ``%2C``). GitHub shows only the first 10 annotations of each kind per step, so the
plain text report (every finding, the per-phase table, the summary) follows the commands.
Paths are relative to the project root, which should be the repository root for the
annotations to land on the pull request's files.
"""

from __future__ import annotations

from ..types import Finding, Result, Severity
from . import text

_COMMAND = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "notice"}


def escape_data(value: str) -> str:
    return value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(value: str) -> str:
    return escape_data(value).replace(":", "%3A").replace(",", "%2C")


def annotation(f: Finding) -> str:
    s = f.location.span
    props = [("file", f.location.path), ("line", str(s.line)),
             ("endLine", str(max(s.end_line, s.line))), ("col", str(s.column)),
             ("endColumn", str(s.end_column)), ("title", f.code)]
    rendered = ",".join(f"{k}={escape_property(v)}" for k, v in props)
    return f"::{_COMMAND[f.severity]} {rendered}::{escape_data(f'{f.name}: {f.message}')}"


def render(result: Result) -> str:
    commands = "".join(annotation(f) + "\n" for f in result.findings)
    return commands + ("\n" if commands else "") + text.render(result)
