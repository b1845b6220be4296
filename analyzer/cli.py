"""Command-line interface (click): parse options, call the api, pick a reporter, set the exit.

Exit statuses (a contract, like ruff's):
  0  no findings at or above the fail-on severity
  1  findings
  2  usage, configuration or pack error, or an internal error in the engine
"""

from __future__ import annotations

import difflib
import json
import os
import sys
import textwrap
from typing import Sequence

import click

from . import __version__
from .api import check as run_check, load_packs, resolve_config
from .baseline import DEFAULT_FILE as DEFAULT_BASELINE, entries_of as baseline_entries
from .baseline import load as load_baseline, prune as prune_baseline
from .baseline import write as write_baseline
from .config import describe as describe_config
from .builtin import BUILTINS
from .checks import REGISTRY
from .errors import ObsLintError, UsageError
from .report import FORMATS
from .types import Result, Rule, Severity

EXIT_OK, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2


def _err(message: str) -> None:
    click.echo(f"obs-lint: error: {message}", err=True)


def _write(text: str, output: str | None) -> None:
    if output:
        try:
            parent = os.path.dirname(os.path.abspath(output))
            os.makedirs(parent, exist_ok=True)
            with open(output, "w", encoding="utf-8", errors="backslashreplace") as fh:
                fh.write(text)
        except OSError as exc:
            raise UsageError(f"{output}: cannot write report: {exc.strerror or exc}") from None
        return
    stream = sys.stdout
    try:
        stream.write(text)
    except UnicodeEncodeError:
        stream.write(text.encode(stream.encoding or "utf-8", "backslashreplace")
                     .decode(stream.encoding or "utf-8", "replace"))
    stream.flush()


def exit_status(result: Result, fail_on: str) -> int:
    """2 on internal errors; 1 on findings at/above ``fail_on`` or a phase whose tests failed
    (failed/errored tests, fewer than ``min_tests``: only when test results were given)."""
    if result.internal_errors:
        return EXIT_ERROR
    threshold = Severity(fail_on).rank
    if any(f.severity.rank >= threshold and f.severity.rank > 0 for f in result.findings):
        return EXIT_FINDINGS
    if any(ph.tests_failing for ph in result.phases):
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


def _format_name(name: str, where: str) -> str:
    if name not in FORMATS:
        raise UsageError(f"{where}: unknown format {name!r}{_suggest(name, FORMATS)} "
                         f"(formats: {', '.join(sorted(FORMATS))})")
    return name


def _suggest(word: str, options) -> str:
    close = difflib.get_close_matches(word, sorted(options), n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


def destinations(formats: Sequence[str], outputs: Sequence[str], default: str,
                 default_source: str = "default") -> list[tuple[str, str | None]]:
    """Pair ``--format`` and ``--output`` values into (format, file or None=stdout).

    ``--format NAME:FILE`` carries its own file. Plain ``--format NAME`` values are paired with
    the ``--output`` values by position (the first plain format with the first output...); a
    single plain format with no ``--output`` goes to stdout. Any other mismatch is an error
    rather than a guess, and at most one report may go to stdout.
    """
    plain: list[str] = []
    pairs: list[tuple[str, str | None]] = []
    for value in formats:
        name, sep, path = value.partition(":")
        if sep:
            if not path:
                raise UsageError(f"--format {value}: missing file name after ':'")
            pairs.append((_format_name(name, f"--format {value}"), path))
        else:
            plain.append(_format_name(name, f"--format {value}"))
    if not formats:
        plain = [_format_name(default, f"{default_source}: format")]
    if outputs:
        if len(outputs) != len(plain):
            raise UsageError(
                f"{len(outputs)} --output for {len(plain)} --format without a file: give one "
                "--output per --format, in the same order, or write --format NAME:FILE")
        pairs += list(zip(plain, outputs))
    elif len(plain) > 1:
        raise UsageError("only one report can go to stdout: give --output FILE for the others "
                         "or write --format NAME:FILE")
    else:
        pairs += [(name, None) for name in plain]
    files = [p for _, p in pairs if p]
    for p in files:
        if files.count(p) > 1:
            raise UsageError(f"{p}: two reports would be written to the same file")
    return pairs


def _report_stale(result: Result, baseline_file: str) -> None:
    if not result.stale_baseline:
        return
    n = len(result.stale_baseline)
    _note(f"{baseline_file}: {n} baseline entr{'ies' if n != 1 else 'y'} no longer occur "
          "(prune them with `obs-lint baseline update`):")
    for e in result.stale_baseline:
        _note(f"  {e.path}: {e.rule} [{e.name}] {e.fingerprint}")


def _note(message: str) -> None:
    click.echo(f"obs-lint: {message}", err=True)


@main.command()
@click.argument("paths", nargs=-1, type=click.Path())
@click.option("--pack", "packs", multiple=True, help="Rule pack (bundled name or path); repeatable.")
@click.option("--select", multiple=True, help="Only these rule codes/names/prefixes; repeatable.")
@click.option("--ignore", multiple=True, help="Skip these rule codes/names/prefixes; repeatable.")
@click.option("--format", "formats", multiple=True, metavar="NAME[:FILE]",
              help=f"Report format ({', '.join(sorted(FORMATS))}); repeatable. NAME:FILE writes "
                   "that report to FILE. Default: text, or the configured format.")
@click.option("--output", "-o", "outputs", multiple=True, type=click.Path(dir_okay=False),
              help="Write the report to FILE instead of stdout; repeatable, paired by position "
                   "with the --format options that have no :FILE.")
@click.option("--junit-xml", "junit_xml", multiple=True, metavar="PATH|GLOB",
              help="pytest JUnit XML results to merge into the phase table; repeatable, globs.")
@click.option("--baseline", "baseline_file", type=click.Path(dir_okay=False), default=None,
              help="Report only findings not recorded in this baseline file.")
@click.option("--strict-baseline", is_flag=True,
              help="With --baseline: fail when baseline entries no longer occur.")
@click.option("--diff-base", metavar="REF", default=None,
              help="Report only findings on lines changed since the git REF.")
@click.option("--force-exclude", is_flag=True,
              help="Apply excludes even to files named on the command line (pre-commit).")
@click.option("--add-ignore", is_flag=True,
              help="Write `# obs-lint: ignore[CODE]` comments on the reported findings.")
@click.option("--config", "config_file", type=click.Path(), default=None,
              help="Read configuration from this file.")
@click.option("--no-config", is_flag=True, help="Ignore configuration files.")
@click.option("--exit-zero", is_flag=True, help="Exit 0 even when there are findings.")
@click.option("--no-prefilter", is_flag=True,
              help="Parse every file in a rule's scope and extract every kind of fact (slower; for "
                   "debugging the prefilter).")
@click.option("--jobs", "-j", type=click.IntRange(min=0), default=None,
              help="Worker processes for parsing (default: the `jobs` setting; 0 = one per "
                   "core).")
@click.option("--no-cache", is_flag=True,
              help="Neither read nor write the fact cache (.obs-lint-cache/).")
def check(paths: Sequence[str], packs: Sequence[str], select: Sequence[str],
          ignore: Sequence[str], formats: Sequence[str], outputs: Sequence[str],
          junit_xml: Sequence[str], baseline_file: str | None, strict_baseline: bool,
          diff_base: str | None, force_exclude: bool, add_ignore: bool,
          config_file: str | None, no_config: bool, exit_zero: bool,
          no_prefilter: bool, jobs: int | None, no_cache: bool) -> None:
    """Check the project against the rule packs; report findings in PATHS (default: all).

    Rules are always evaluated over the whole project; PATHS (files or directories, e.g. the
    files pre-commit passes) only choose which findings are reported.
    """
    config = resolve_config(paths, config_file, not no_config)
    config = config.with_overrides(select=tuple(select) or None, ignore=tuple(ignore) or None,
                                   jobs=jobs)
    if packs:
        config = config.with_overrides(packs=tuple(packs))
    fmt_source = dict(config.sources).get("format", "default")
    dests = [] if add_ignore else destinations(formats, outputs, config.format, fmt_source)
    if strict_baseline and not baseline_file:
        raise UsageError("--strict-baseline needs --baseline FILE")
    loaded = load_packs(config, use_cache=not no_cache)
    entries = load_baseline(baseline_file) if baseline_file else None
    cases = changed = None
    if junit_xml:  # imported on use: a plain check must start fast (warm runs)
        from .testresults import read_junit
        cases = read_junit(junit_xml, config.root, loaded)
    if diff_base:
        from .gitdiff import changed_lines
        changed = changed_lines(config.root, diff_base)
    result = run_check([], config, packs=loaded, prefilter=not no_prefilter,
                       report_paths=list(paths) or None, force_exclude=force_exclude,
                       baseline=entries, changed_lines=changed, test_cases=cases,
                       use_cache=not no_cache)
    if add_ignore:
        sys.exit(_add_ignore(result))
    for fmt, output in dests:
        _write(FORMATS[fmt](result), output)
    for f in result.internal_errors:
        _err(f"{f.location.path}: {f.message}")
    if baseline_file:
        _report_stale(result, baseline_file)
    status = exit_status(result, config.fail_on)
    if status == EXIT_OK and strict_baseline and result.stale_baseline:
        status = EXIT_FINDINGS
    sys.exit(EXIT_OK if exit_zero and status == EXIT_FINDINGS else status)


def _add_ignore(result: Result) -> int:
    from .addignore import add_ignores

    done = add_ignores(result.root, result.findings)
    click.echo(f"Added {done.added} suppression comment{'s' if done.added != 1 else ''} "
               f"in {len(done.files)} file{'s' if len(done.files) != 1 else ''}.")
    for f, why in done.skipped:
        _note(f"cannot annotate {f.location.path}:{f.location.span.line} {f.code}: {why}")
    return EXIT_FINDINGS if done.skipped else EXIT_OK


@main.group()
def baseline() -> None:
    """Record today's findings so only new ones fail (legacy adoption)."""


def _baseline_path(root: str, file: str | None) -> str:
    return file if file else os.path.join(root, DEFAULT_BASELINE)


def _baseline_run(path: str | None, packs: Sequence[str], config_file: str | None,
                  no_config: bool, entries=None) -> Result:
    config = resolve_config([path] if path else [], config_file, not no_config)
    if packs:
        config = config.with_overrides(packs=tuple(packs))
    return run_check([], config, baseline=entries)


_baseline_options = [
    click.argument("path", required=False, type=click.Path(exists=True)),
    click.option("--file", "file", type=click.Path(dir_okay=False), default=None,
                 help=f"Baseline file (default: {DEFAULT_BASELINE} in the project root)."),
    click.option("--pack", "packs", multiple=True, help="Rule pack (bundled name or path)."),
    click.option("--config", "config_file", type=click.Path(), default=None),
    click.option("--no-config", is_flag=True),
]


def _with_baseline_options(fn):
    for opt in reversed(_baseline_options):
        fn = opt(fn)
    return fn


@baseline.command("create")
@_with_baseline_options
@click.option("--force", is_flag=True, help="Overwrite an existing baseline file.")
def baseline_create(path: str | None, file: str | None, packs: Sequence[str],
                    config_file: str | None, no_config: bool, force: bool) -> None:
    """Record every current finding of the project (PATH: a directory inside it)."""
    result = _baseline_run(path, packs, config_file, no_config)
    target = _baseline_path(result.root, file)
    if os.path.exists(target) and not force:
        raise UsageError(f"{target}: baseline already exists (use `obs-lint baseline update` "
                         "to prune it, or --force to record it anew)")
    entries = baseline_entries(result.findings)
    write_baseline(target, entries)
    click.echo(f"Recorded {len(entries)} finding{'s' if len(entries) != 1 else ''} in "
               f"{target}.")


@baseline.command("update")
@_with_baseline_options
def baseline_update(path: str | None, file: str | None, packs: Sequence[str],
                    config_file: str | None, no_config: bool) -> None:
    """Prune entries that no longer occur (never adds: new findings stay new)."""
    config = resolve_config([path] if path else [], config_file, not no_config)
    target = _baseline_path(config.root, file)
    entries = load_baseline(target)
    result = _baseline_run(path, packs, config_file, no_config, entries)
    kept = prune_baseline(entries, result)
    write_baseline(target, kept)
    removed = len(entries) - len(kept)
    click.echo(f"Removed {removed} entr{'ies' if removed != 1 else 'y'} that no longer "
               f"occur; {len(kept)} remain in {target}.")
    if result.findings:
        n = len(result.findings)
        _note(f"{n} finding{'s' if n != 1 else ''} not in the baseline (not added; fix "
              "them or suppress them explicitly)")


@main.command("config")
@click.argument("path", required=False, type=click.Path(exists=True))
@click.option("--config", "config_file", type=click.Path(), default=None,
              help="Read configuration from this file.")
@click.option("--no-config", is_flag=True, help="Ignore configuration files.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")
def config_cmd(path: str | None, config_file: str | None, no_config: bool, fmt: str) -> None:
    """Print the resolved configuration and where each value came from."""
    config = resolve_config([path] if path else [], config_file, not no_config)
    rows = describe_config(config)
    if fmt == "json":
        click.echo(json.dumps({"root": config.root, "config_file": config.config_file or None,
                               "settings": [{"key": k, "value": v, "source": src}
                                            for k, v, src in rows]}, indent=2))
        return
    click.echo(f"project root: {config.root}")
    click.echo(f"config file:  {config.config_file or '(none)'}")
    click.echo("")
    width = max(len(k) for k, _, _ in rows)
    for k, v, src in rows:
        where = src if src.startswith("default") else f"from {src}"
        click.echo(f"{k:<{width}} = {json.dumps(v)}    # {where}")


@main.group("cache")
def cache_group() -> None:
    """The cache of facts and results (.obs-lint-cache/ under the project root; setting
    cache-dir). Entries are keyed by content, so it never needs clearing for correctness."""


@cache_group.command("clear")
@click.argument("path", required=False, type=click.Path())
@click.option("--config", "config_file", type=click.Path(), default=None)
@click.option("--no-config", is_flag=True)
def cache_clear(path: str | None, config_file: str | None, no_config: bool) -> None:
    """Delete the fact cache of the project containing PATH (default: the current directory)."""
    from .cache import cache_dir, clear

    config = resolve_config([path] if path else [], config_file, not no_config)
    directory = cache_dir(config.root, config.cache_dir)
    try:
        removed = clear(directory)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    shown = os.path.relpath(directory) if not os.path.isabs(config.cache_dir) else directory
    click.echo(f"Removed {removed} cache entr{'y' if removed == 1 else 'ies'} ({shown}).")


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
    from tabulate import tabulate

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
