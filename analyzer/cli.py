"""Command-line interface (click): parse options, call the api, pick a reporter, set the exit.

Exit statuses (a contract, like ruff's):
  0  no findings at or above the fail-on severity
  1  findings
  2  usage, configuration or pack error, or an internal error in the engine
"""

from __future__ import annotations

import json
import os
import sys
import textwrap
from typing import Sequence

import click
from tabulate import tabulate

from . import __version__
from .api import check as run_check, load_packs, resolve_config
from .builtin import BUILTINS
from .checks import REGISTRY
from .errors import ObsLintError
from .report import FORMATS
from .types import Result, Rule, Severity

EXIT_OK, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2


def _err(message: str) -> None:
    click.echo(f"obs-lint: error: {message}", err=True)


def _write(text: str, output: str | None) -> None:
    if output:
        with open(output, "w", encoding="utf-8", errors="backslashreplace") as fh:
            fh.write(text)
        return
    stream = sys.stdout
    try:
        stream.write(text)
    except UnicodeEncodeError:
        stream.write(text.encode(stream.encoding or "utf-8", "backslashreplace")
                     .decode(stream.encoding or "utf-8", "replace"))
    stream.flush()


def exit_status(result: Result, fail_on: str) -> int:
    if result.internal_errors:
        return EXIT_ERROR
    threshold = Severity(fail_on).rank
    if any(f.severity.rank >= threshold and f.severity.rank > 0 for f in result.findings):
        return EXIT_FINDINGS
    return EXIT_OK


class _Group(click.Group):
    """Turns every ObsLintError into a one-line message and exit 2; never a traceback."""

    def invoke(self, ctx: click.Context):  # type: ignore[override]
        try:
            return super().invoke(ctx)
        except ObsLintError as exc:
            _err(str(exc))
            sys.exit(EXIT_ERROR)
        except (click.exceptions.Exit, click.ClickException, SystemExit, KeyboardInterrupt):
            raise
        except Exception as exc:  # noqa: BLE001 - a bug: one line, exit 2, no traceback
            _err(f"internal error: {type(exc).__name__}: {exc} (please report this; "
                 "set OBS_LINT_TRACEBACK=1 for details)")
            if os.environ.get("OBS_LINT_TRACEBACK"):
                raise
            sys.exit(EXIT_ERROR)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="obs-lint")
def main() -> None:
    """obs-lint: prove observability conventions (MLflow, Opik, RAGAS) from source."""


@main.command()
@click.argument("paths", nargs=-1, type=click.Path())
@click.option("--pack", "packs", multiple=True, help="Rule pack (bundled name or path); repeatable.")
@click.option("--select", multiple=True, help="Only these rule codes/names/prefixes; repeatable.")
@click.option("--ignore", multiple=True, help="Skip these rule codes/names/prefixes; repeatable.")
@click.option("--format", "fmt", type=click.Choice(sorted(FORMATS)), default=None,
              help="Output format (default: text, or the configured format).")
@click.option("--output", "-o", type=click.Path(dir_okay=False), default=None,
              help="Write the report to this file instead of stdout.")
@click.option("--config", "config_file", type=click.Path(), default=None,
              help="Read configuration from this file.")
@click.option("--no-config", is_flag=True, help="Ignore configuration files.")
@click.option("--exit-zero", is_flag=True, help="Exit 0 even when there are findings.")
@click.option("--no-prefilter", is_flag=True,
              help="Parse every file in a rule's scope (slower; for debugging the prefilter).")
def check(paths: Sequence[str], packs: Sequence[str], select: Sequence[str],
          ignore: Sequence[str], fmt: str | None, output: str | None, config_file: str | None,
          no_config: bool, exit_zero: bool, no_prefilter: bool) -> None:
    """Check PATHS (default: the project root) against the rule packs."""
    config = resolve_config(paths, config_file, not no_config)
    config = config.with_overrides(select=tuple(select) or None, ignore=tuple(ignore) or None)
    if packs:
        config = config.with_overrides(packs=tuple(packs))
    fmt = fmt or config.format
    if fmt not in FORMATS:
        raise click.BadParameter(f"unknown format {fmt!r}", param_hint="--format")
    result = run_check(list(paths), config, prefilter=not no_prefilter)
    _write(FORMATS[fmt](result), output)
    for f in result.internal_errors:
        _err(f"{f.location.path}: {f.message}")
    status = exit_status(result, config.fail_on)
    sys.exit(EXIT_OK if exit_zero and status == EXIT_FINDINGS else status)


def _all_rules(packs: Sequence[str], config_file: str | None, no_config: bool) -> list[Rule]:
    config = resolve_config([], config_file, not no_config)
    if packs:
        config = config.with_overrides(packs=tuple(packs))
    loaded = load_packs(config)
    return [r for p in loaded for r in p.rules] + list(BUILTINS)


@main.command()
@click.option("--pack", "packs", multiple=True, help="Rule pack (bundled name or path).")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")
@click.option("--config", "config_file", type=click.Path(), default=None)
@click.option("--no-config", is_flag=True)
def rules(packs: Sequence[str], fmt: str, config_file: str | None, no_config: bool) -> None:
    """List every rule: code, name, phase, severity, summary."""
    all_rules = _all_rules(packs, config_file, no_config)
    rows = [{"code": r.code, "name": r.name, "pack": r.pack, "phase": r.phase,
             "severity": r.severity.value, "kind": r.check_kind, "summary": r.message}
            for r in all_rules]
    if fmt == "json":
        click.echo(json.dumps(rows, indent=2))
        return
    click.echo(tabulate([[r["code"], r["name"], r["phase"] if r["phase"] is not None else "-",
                          r["severity"], r["summary"]] for r in rows],
                        headers=["Code", "Name", "Phase", "Severity", "Summary"],
                        tablefmt="github"))


@main.command()
@click.argument("rule")
@click.option("--pack", "packs", multiple=True, help="Rule pack (bundled name or path).")
@click.option("--config", "config_file", type=click.Path(), default=None)
@click.option("--no-config", is_flag=True)
def explain(rule: str, packs: Sequence[str], config_file: str | None, no_config: bool) -> None:
    """Explain a rule (by code or name): what it checks, why, and an example."""
    all_rules = _all_rules(packs, config_file, no_config)
    match = [r for r in all_rules if rule in (r.code, r.name)]
    if not match:
        import difflib
        close = difflib.get_close_matches(rule, [r.code for r in all_rules] +
                                          [r.name for r in all_rules], n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        _err(f"unknown rule {rule!r}{hint}")
        sys.exit(EXIT_ERROR)
    r = match[0]
    kind = REGISTRY.get(r.check_kind)
    lines = [f"{r.code} ({r.name})", "",
             f"Pack: {r.pack}    Phase: {r.phase if r.phase is not None else '-'}    "
             f"Severity: {r.severity.value}    Check kind: {r.check_kind}", "",
             f"Message: {r.message}"]
    if r.checklist:
        lines += ["", f"Audit checkbox: {r.checklist}"]
    if r.description:
        lines += ["", "What it checks:", textwrap.indent(r.description.strip(), "  ")]
    if r.where.include != ("**",) or r.where.exclude:
        lines += ["", f"Applies to: {', '.join(r.where.include)}" +
                  (f" (except {', '.join(r.where.exclude)})" if r.where.exclude else "")]
    if r.params:
        lines += ["", "Parameters:"] + [f"  {k}: {v!r}" for k, v in r.params.items()
                                         if v is not None]
    if kind is not None and kind.summary:
        lines += ["", f"Check kind `{kind.kind}`: {kind.summary}"]
    if r.example.violation:
        lines += ["", "Example violation:", textwrap.indent(r.example.violation.rstrip(), "    ")]
    if r.example.fix:
        lines += ["", "Example fix:", textwrap.indent(r.example.fix.rstrip(), "    ")]
    click.echo("\n".join(lines))


if __name__ == "__main__":  # pragma: no cover
    main()
