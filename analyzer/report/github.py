"""GitHub Actions workflow commands: one annotation per finding, then the plain report.

``::error file=PATH,line=L,endLine=L2,col=C,endColumn=C2,title=CODE::message`` (``::warning``
for warnings, ``::notice`` for info). GitHub's escaping rules: in the message, ``%`` ``\\r``
``\\n`` become ``%25`` ``%0D`` ``%0A``; property values additionally escape ``:`` and ``,``
(``%3A``, ``%2C``). GitHub shows only the first 10 annotations of each kind per step, so the
plain text report (every finding, the per-phase table, the summary) follows the commands.
Paths are relative to the project root, which should be the repository root for the
annotations to land on the pull request's files.

No line of this output can be a command that checked content wrote. Every annotation is one
line (its fields escaped as GitHub defines, other control characters shown as ``\\x1b`` by
``safe.visible``). The plain report quotes file names and source text (a top-level directory
named ``::notice title=x::y`` starts a line with it), so it is printed between
``::stop-commands::TOKEN`` and ``::TOKEN::``: the runner executes no workflow command in
between. ``TOKEN`` is the SHA-256 of the guarded text, so the text cannot contain its own end
marker (it would have to hold its own hash), and the output stays deterministic.
"""

from __future__ import annotations

import hashlib

from ..types import Finding, Result, Severity
from . import text
from .safe import visible

_COMMAND = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "notice"}


def escape_data(value: str) -> str:
    return value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(value: str) -> str:
    return escape_data(value).replace(":", "%3A").replace(",", "%2C")


def _visible_but_breaks(value: str) -> str:
    """Control and bidi characters shown escaped, except CR and LF: GitHub's own escapes
    (``%0D``, ``%0A``) carry those into the annotation, so a file name with a newline still
    lands on its file and a multi-line message keeps its lines."""
    return "\n".join("\r".join(visible(p) for p in line.split("\r"))
                     for line in value.split("\n"))


def annotation(f: Finding) -> str:
    s = f.location.span
    props = [("file", f.location.path), ("line", str(s.line)),
             ("endLine", str(max(s.end_line, s.line))), ("col", str(s.column)),
             ("endColumn", str(s.end_column)), ("title", f.code)]
    rendered = ",".join(f"{k}={escape_property(_visible_but_breaks(v))}" for k, v in props)
    message = escape_data(_visible_but_breaks(f"{f.name}: {f.message}"))
    return f"::{_COMMAND[f.severity]} {rendered}::{message}"


def stop_token(guarded: str) -> str:
    """The token of ``::stop-commands::`` for ``guarded`` (see the module docstring)."""
    salt = 0
    while True:
        token = hashlib.sha256(f"{salt}\x00{guarded}".encode("utf-8", "surrogatepass")
                               ).hexdigest()
        if f"::{token}::" not in guarded:  # always true; the loop makes it a certainty
            return token
        salt += 1  # pragma: no cover


def guarded(body: str) -> str:
    """``body`` between ``::stop-commands::TOKEN`` and ``::TOKEN::`` (ends with a newline)."""
    if not body.endswith("\n"):
        body += "\n"
    token = stop_token(body)
    return f"::stop-commands::{token}\n{body}::{token}::\n"


def render(result: Result) -> str:
    commands = "".join(annotation(f) + "\n" for f in result.findings)
    return commands + ("\n" if commands else "") + guarded(text.render(result))
