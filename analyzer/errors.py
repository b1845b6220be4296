"""Errors that end a run with exit status 2 (usage, configuration, rule packs).

Each carries a one-line message that names the file (and line, and rule) at fault; the CLI
prints it as ``obs-lint: error: <message>`` and never shows a traceback.
"""

from __future__ import annotations


class ObsLintError(Exception):
    """Base class: a user-facing problem with the invocation or its inputs (exit 2)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class UsageError(ObsLintError):
    """Bad command line: a missing path, an unknown rule code, conflicting options."""


class ConfigError(ObsLintError):
    """Bad configuration in pyproject.toml / .obs-lint.yaml."""


class PackError(ObsLintError):
    """A rule pack that does not validate; the message names file, line and rule."""

    def __init__(self, path: str, line: int, message: str, rule: str = "") -> None:
        where = f"{path}:{line}" if line else path
        who = f" rule {rule}:" if rule else ""
        super().__init__(f"{where}:{who} {message}")
        self.path = path
        self.line = line
        self.rule = rule
