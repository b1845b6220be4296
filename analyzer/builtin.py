"""Built-in rules: how the engine reports files it could not analyse, and stale suppressions.

They have codes like pack rules (select/ignore/suppress them the same way) but no phase and no
check kind: the engine itself emits them. A parse failure is never a silent pass, so these are
on unless explicitly ignored.
"""

from __future__ import annotations

from .types import Rule, Severity

BUILTIN_PACK = "obs-lint"


def _rule(code: str, name: str, severity: Severity, message: str, description: str) -> Rule:
    return Rule(code=code, name=name, pack=BUILTIN_PACK, phase=None, severity=severity,
                message=message, check_kind="builtin", params={}, description=description)


PARSE_ERROR = _rule(
    "OBS001", "parse-error", Severity.ERROR, "file could not be parsed",
    "The file is not valid Python/YAML/SQL (or not decodable), so no rule could inspect it. "
    "Rules whose scope includes it report UNKNOWN instead of passing.")
READ_ERROR = _rule(
    "OBS002", "read-error", Severity.ERROR, "file could not be read",
    "The file vanished, is unreadable (permissions) or is not a regular file.")
INTERNAL_ERROR = _rule(
    "OBS003", "internal-error", Severity.ERROR, "internal error",
    "obs-lint itself failed on this file (a bug: please report it). Other files are still "
    "checked and the run exits with status 2.")
SKIPPED = _rule(
    "OBS004", "skipped", Severity.ERROR, "file skipped",
    "The file exceeded a resource budget (size, time or nesting depth) and was not analysed; "
    "the reason is in the message. Raise the budget in the configuration to check it.")
UNUSED_SUPPRESSION = _rule(
    "OBS005", "unused-suppression", Severity.WARNING, "suppression comment silences nothing",
    "An `# obs-lint: ignore[...]` comment that matched no finding, or that names an unknown "
    "rule code. Remove it (or fix the code) so suppressions stay meaningful.")

BUILTINS: tuple[Rule, ...] = (PARSE_ERROR, READ_ERROR, INTERNAL_ERROR, SKIPPED,
                              UNUSED_SUPPRESSION)
BY_NAME = {r.name: r for r in BUILTINS}
