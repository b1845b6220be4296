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

    @property
    def messages(self) -> tuple[str, ...]:
        """One line per error (the CLI prints each as ``obs-lint: error: <line>``)."""
        return (self.message,)

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
        self.detail = message  # the message without the place
        self.path = path
        self.line = line
        self.rule = rule


MAX_REPORTED = 20  # errors of one input reported at once; the rest are counted


class ErrorList(ObsLintError):
    """Several errors found in one pass over one input (a broken pack): the user fixes them
    all in one round instead of one per run. Reports the first ``MAX_REPORTED`` and counts
    the rest."""

    def __init__(self, errors: "list[ObsLintError]", what: str) -> None:
        self.errors = tuple(errors)
        shown = [m for e in errors[:MAX_REPORTED] for m in e.messages]
        if len(errors) > MAX_REPORTED:
            shown.append(f"{what}: ... and {len(errors) - MAX_REPORTED} more errors "
                         f"({len(errors)} in all)")
        elif len(errors) > 1:
            shown.append(f"{what}: {len(errors)} errors")
        self._messages = tuple(shown)
        ObsLintError.__init__(self, "\n".join(shown))

    @property
    def messages(self) -> tuple[str, ...]:
        return self._messages


class PackErrors(ErrorList, PackError):
    """Every error of one broken pack file (see ErrorList)."""

    def __init__(self, errors: "list[PackError]", path: str) -> None:
        ErrorList.__init__(self, list(errors), path)
        self.path = path
        first = errors[0]
        self.line = first.line
        self.rule = first.rule
        self.detail = first.detail
