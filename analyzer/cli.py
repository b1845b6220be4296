"""Command-line interface (click): parse options, call the api, pick a reporter, set the exit.

Exit statuses (a contract, like ruff's):
  0  no findings at or above the fail-on severity
  1  findings
  2  usage, configuration or pack error, an internal error in the engine, or SIGTERM
  130  interrupted by SIGINT (Ctrl-C); 141  the reader of a non-``check`` output left early
"""

from __future__ import annotations

import difflib
import json
from dataclasses import replace
from glob import has_magic as glob_has_magic
import os
import signal
import sys
import textwrap
import time
from typing import Sequence

import click

from . import __version__
from . import api
from .api import (DEFAULT_BASELINE, EXIT_ERROR, EXIT_FINDINGS, EXIT_OK, ObsLintError, Result,
                  Rule, RunRequest, UsageError, bundled_packs, configure, resolve_config)
from .config import MAX_JOBS, Config, describe as describe_config
from .progress import Progress
from .report.text import TextOptions
from .report import FORMATS
from .report.safe import visible


def _err(message: str) -> None:
    """One line on stderr; file names and quoted content in it are shown with their control
    characters escaped (``report.safe.visible``), never sent to the terminal raw."""
    click.echo(f"obs-lint: error: {visible(message)}", err=True)


def _write(text: str, output: str | None) -> None:
    """Print a report, or write it to ``output`` atomically (``fileio.write_atomic``: a
    temporary file in the same directory, fsync, rename; a reader never sees half a report, a
    symlink is written through, a FIFO or device at the path is refused). The directory must
    exist: a typo in ``-o reprots/x.json`` is an error, not a new directory tree."""
    if output:
        from .api import WriteRefused, write_atomic

        parent = os.path.dirname(os.path.abspath(output))
        if not os.path.isdir(parent):
            raise UsageError(f"{output}: cannot write report: directory "
                             f"{os.path.dirname(output) or parent} does not exist")
        try:
            write_atomic(output, text.encode("utf-8", "backslashreplace"))
        except WriteRefused as exc:
            raise UsageError(f"{output}: cannot write report: "
                             f"{exc.message.removeprefix('cannot write: ')}") from None
        return
    stream = sys.stdout
    try:
        try:
            stream.write(text)
        except UnicodeEncodeError:
            stream.write(text.encode(stream.encoding or "utf-8", "backslashreplace")
                         .decode(stream.encoding or "utf-8", "replace"))
        stream.flush()
    except BrokenPipeError:
        # the reader went away (`| head`, `| grep -q`): the rest of this report is not wanted,
        # but the run is still complete — reports to files are written and the exit status
        # is the verdict, as without the pipe
        _discard_closed_streams()


EXIT_PIPE = 141  # 128 + SIGPIPE: what a shell reports for a command a closed pipe ended


def _discard_closed_streams() -> None:
    """Point stdout (and stderr, if its reader left too) at /dev/null, so nothing else, not
    even the interpreter's flush at exit, fails on the closed pipe."""
    for stream in (sys.stdout, sys.stderr):
        try:
            fd = stream.fileno()
        except (AttributeError, OSError, ValueError):
            continue  # not a real file (tests' capture)
        try:
            os.write(fd, b"")
            if stream is sys.stderr:
                continue  # still open
        except BrokenPipeError:
            pass
        except OSError:
            continue
        try:
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, fd)
            os.close(devnull)
        except OSError:
            pass


def use_color(stream) -> bool:
    """ANSI colour on a terminal only: ``NO_COLOR`` (any value) turns it off, ``FORCE_COLOR``
    (any value but 0/false) on; never in CI logs (``CI`` set) unless forced."""
    if os.environ.get("NO_COLOR"):
        return False
    force = os.environ.get("FORCE_COLOR", "")
    if force and force.lower() not in ("0", "false", "no"):
        return True
    if os.environ.get("CI") or os.environ.get("TERM") == "dumb":
        return False
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False


EXIT_INTERRUPTED = 130  # 128 + SIGINT, as shells report Ctrl-C


class Terminated(BaseException):
    """SIGTERM arrived (a CI job cancelled, ``kill``): raised in the main thread so the run
    unwinds like Ctrl-C does, stopping the worker processes on the way (``pool.run_pool``)."""


def _on_sigterm(signum: int, frame: object) -> None:
    raise Terminated()


def _catch_sigterm() -> None:
    import threading

    if threading.current_thread() is threading.main_thread():
        try:
            signal.signal(signal.SIGTERM, _on_sigterm)
        except (ValueError, OSError):  # pragma: no cover - not allowed here
            pass


def _stopped(what: str, status: int) -> None:
    """The end of a run stopped by a signal: one line, the status, no traceback. (Further
    signals are ignored meanwhile: the workers are already stopped.)"""
    for sig in (signal.SIGINT, signal.SIGTERM):
        try:
            signal.signal(sig, signal.SIG_IGN)
        except (ValueError, OSError):  # pragma: no cover
            pass
    try:
        _err(f"{what}; the worker processes were stopped and the run did not finish")
    except (OSError, ValueError):
        pass
    sys.exit(status)


class _Group(click.Group):
    """Turns every ObsLintError into a one-line message and exit 2; never a traceback.

    Signals: SIGTERM ends a run with exit status 2 and SIGINT (Ctrl-C) with 130, each with one
    line on stderr, after the worker processes are stopped (``--watch`` ends on Ctrl-C with 0).
    """

    def invoke(self, ctx: click.Context):  # type: ignore[override]
        _catch_sigterm()
        try:
            return self._invoke(ctx)
        except Terminated:
            _stopped("terminated by SIGTERM", EXIT_ERROR)
        except KeyboardInterrupt:
            _stopped("interrupted by SIGINT (Ctrl-C)", EXIT_INTERRUPTED)
        except MemoryError:
            if os.environ.get("OBS_LINT_TRACEBACK"):
                raise
            # (leaving the except clause frees the frames the traceback held)
        except BrokenPipeError:
            # output other than a check's report (rules, explain, config, a message) hit a
            # closed pipe: stop quietly, as `cat` or `seq` do when killed by SIGPIPE
            _discard_closed_streams()
            sys.exit(EXIT_PIPE)
        _out_of_memory()

    def _invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except ObsLintError as exc:
            for message in exc.messages:
                _err(message)
            sys.exit(EXIT_ERROR)
        except (click.exceptions.Exit, click.ClickException, SystemExit, KeyboardInterrupt,
                MemoryError, BrokenPipeError, Terminated):
            raise
        except Exception as exc:  # noqa: BLE001 - a bug: one line, exit 2, no traceback
            _err(f"internal error: {type(exc).__name__}: {exc} (please report this; "
                 "set OBS_LINT_TRACEBACK=1 for details)")
            if os.environ.get("OBS_LINT_TRACEBACK"):
                raise
            sys.exit(EXIT_ERROR)


def _out_of_memory() -> None:
    """A MemoryError (a huge input, a memory limit): one line and exit 2, never a traceback.
    The memory the run held is released first, or printing the message fails again."""
    import gc

    gc.collect()
    try:
        try:
            sys.stdout.flush()
        except (OSError, ValueError, MemoryError):
            pass
        _err("out of memory (an input too large for the memory this process may use; set "
             "OBS_LINT_TRACEBACK=1 for details)")
        sys.stderr.flush()
    finally:
        os._exit(EXIT_ERROR)


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
    seen: dict[str, str] = {}
    for _, p in pairs:
        if not p:
            continue
        key = same_file_key(p)
        if key in seen:
            other = seen[key]
            also = f" (as {other})" if other != p else ""
            raise UsageError(f"{p}: two reports would be written to the same file{also}")
        seen[key] = p
    return pairs


def same_file_key(path: str) -> str:
    """What every spelling of one file has in common (``out.json``, ``./out.json``, its
    absolute path, ``../here/out.json``, a symlink to it): its real path."""
    return os.path.realpath(os.path.abspath(path))


def _no_output_over_an_input(dests: Sequence[tuple[str, str | None]],
                             inputs: Sequence[tuple[str, str]]) -> None:
    """A report must not overwrite a file the run reads (``--baseline``, ``--junit-xml``)."""
    read = {same_file_key(path): (path, what) for path, what in inputs}
    for _, output in dests:
        if output and same_file_key(output) in read:
            path, what = read[same_file_key(output)]
            raise UsageError(f"{output}: a report would overwrite the {what} {path}")


def _report_stale(result: Result, baseline_file: str) -> None:
    if not result.stale_baseline:
        return
    n = len(result.stale_baseline)
    _note(f"{baseline_file}: {n} baseline entr{'ies' if n != 1 else 'y'} no longer "
          f"occur{'s' if n == 1 else ''} (prune them with `obs-lint baseline update`):")
    for e in result.stale_baseline:
        _note(f"  {e.path}: {e.rule} [{e.name}] {e.fingerprint}")


def _note(message: str) -> None:
    click.echo(f"obs-lint: {visible(message)}", err=True)


def _config_notices(config: Config) -> None:
    """What a user must know about how the configuration was found, on stderr, one line each:
    no configuration at all (the first run), or two of them in one root. (``-q`` leaves them
    out, as ruff's does: the findings and nothing else.)"""
    if config.shadowed_config:
        _note(f"warning: {config.config_file} and [tool.obs-lint] in "
              f"{config.shadowed_config} both configure {config.root}; using "
              f"{config.config_file} (it takes precedence; [tool.obs-lint] is ignored — "
              "keep one of them)")
    if config.config_file or dict(config.sources).get("*", "").endswith("(--no-config)"):
        return
    names = list(config.packs)
    bundled = set(bundled_packs())
    what = " and ".join((f"the bundled {n} pack" if n in bundled else f"the pack {n}")
                        for n in names) or "no pack"
    _note(f"no obs-lint configuration found; checking {config.root} with {what} "
          "— run obs-lint init")


def _default_paths(paths: Sequence[str], root: str) -> list[str]:
    """PATHS, or (none given) the current directory when it lies below the root: like ruff,
    ``obs-lint check`` in ``src/agents`` reports that directory's findings (rules are still
    decided over the whole project); at the root it reports everything."""
    if paths:
        return list(paths)
    here = os.path.realpath(os.getcwd())
    top = os.path.realpath(root)
    if here != top and here.startswith(top + os.sep):
        return ["."]
    return []


@main.command()
@click.argument("paths", nargs=-1, type=click.Path())
@click.option("--pack", "packs", multiple=True,
              help="Rule pack (bundled name or path) replacing the configured ones; repeatable.")
@click.option("--extend-pack", "extend_packs", multiple=True,
              help="Rule pack added to the configured ones (or to --pack); repeatable.")
@click.option("--select", multiple=True, help="Only these rule codes/names/prefixes; repeatable.")
@click.option("--ignore", multiple=True, help="Skip these rule codes/names/prefixes; repeatable.")
@click.option("--format", "formats", multiple=True, metavar="NAME[:FILE]",
              help=f"Report format ({', '.join(sorted(FORMATS))}); repeatable. NAME:FILE writes "
                   "that report to FILE. Default: text, or the configured format.")
@click.option("--output", "-o", "outputs", multiple=True, type=click.Path(dir_okay=False),
              help="Write the report to FILE instead of stdout; repeatable, paired by position "
                   "with the --format options that have no :FILE.")
@click.option("--quiet", "-q", is_flag=True,
              help="Text report: print the findings only (no phase table, no summary).")
@click.option("--statistics", is_flag=True,
              help="Text report: one line per rule with its number of findings instead of one "
                   "line per finding.")
@click.option("--phase-table/--no-phase-table", "phase_table", default=True,
              help="Text report: print the per-phase table (default) or only the findings and "
                   "the summary line (the pre-commit hook on changed files).")
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
@click.option("--watch", "-w", is_flag=True,
              help="Check again whenever a file changes (with the warm cache); Ctrl-C ends.")
@click.option("--no-prefilter", is_flag=True,
              help="Parse every file in a rule's scope and extract every kind of fact (slower; for "
                   "debugging the prefilter).")
@click.option("--jobs", "-j", type=click.IntRange(min=0, max=MAX_JOBS), default=None,
              help="Worker processes for parsing (default: the `jobs` setting; 0 = one per "
                   "core).")
@click.option("--no-cache", is_flag=True,
              help="Neither read nor write the fact cache (.obs-lint-cache/).")
def check(paths: Sequence[str], packs: Sequence[str], extend_packs: Sequence[str],
          select: Sequence[str], ignore: Sequence[str], formats: Sequence[str],
          outputs: Sequence[str], quiet: bool, statistics: bool, phase_table: bool,
          junit_xml: Sequence[str], baseline_file: str | None, strict_baseline: bool,
          diff_base: str | None, force_exclude: bool, add_ignore: bool,
          config_file: str | None, no_config: bool, exit_zero: bool, watch: bool,
          no_prefilter: bool, jobs: int | None, no_cache: bool) -> None:
    """Check the project against the rule packs; report findings in PATHS.

    Rules are always evaluated over the whole project; PATHS (files or directories, e.g. the
    files pre-commit passes; default: the current directory) only choose which findings are
    reported. The project root is the nearest ancestor of the first PATH with obs-lint
    configuration, else with a pyproject.toml or .git, else the checked directory.
    """
    request = RunRequest(paths=tuple(paths), config_file=config_file,
                         use_config=not no_config, packs=tuple(packs),
                         extend_packs=tuple(extend_packs), select=tuple(select),
                         ignore=tuple(ignore), jobs=jobs, baseline=baseline_file,
                         strict_baseline=strict_baseline, junit_xml=tuple(junit_xml),
                         diff_base=diff_base, force_exclude=force_exclude,
                         prefilter=not no_prefilter, use_cache=not no_cache)
    config = configure(request)
    fmt_source = dict(config.sources).get("format", "default")
    dests = [] if add_ignore else destinations(formats, outputs, config.format, fmt_source)
    inputs = [(j, "JUnit file") for j in junit_xml if not glob_has_magic(j)]
    if baseline_file:
        inputs.append((baseline_file, "baseline"))
    _no_output_over_an_input(dests, inputs)
    if strict_baseline and not baseline_file:
        raise UsageError("--strict-baseline needs --baseline FILE")
    if watch and add_ignore:
        raise UsageError("--watch cannot be combined with --add-ignore (it writes into the "
                         "checked files, which would trigger the next run)")
    if not quiet:
        _config_notices(config)
    report_paths = _default_paths(paths, config.root)
    text_opts = TextOptions(cwd=os.getcwd(), color=use_color(sys.stdout), quiet=quiet,
                            statistics=statistics, phase_table=phase_table)

    def run_once(fresh: bool = False) -> int:
        """One check; ``fresh``: read the configuration again (--watch: it may have been
        edited since the last run)."""
        config_now = configure(request) if fresh else config
        return _run_check(replace(request, paths=tuple(report_paths), config=config_now),
                          dests, text_opts, add_ignore)

    if watch:
        sys.exit(_watch(run_once, config, baseline_file))
    status = run_once()
    sys.exit(EXIT_OK if exit_zero and status == EXIT_FINDINGS else status)


def _run_check(request: RunRequest, dests, text_opts: TextOptions, add_ignore: bool) -> int:
    """Run, report: the body of ``check`` (run once, or again and again by --watch)."""
    progress = Progress(sys.stderr)
    try:
        done = api.run(replace(request, progress=progress))
    finally:
        progress.close()
    result = done.result
    if add_ignore:
        return _add_ignore(result, done.config.max_file_bytes)
    for fmt, output in dests:
        render = FORMATS[fmt]
        _write(render(result, text_opts) if fmt == "text" else render(result), output)
    for f in result.internal_errors:
        _err(f"{f.location.path}: {f.message}")
    if request.baseline:
        _report_stale(result, request.baseline)
    return done.status


def _watch(run_once, config: Config, baseline_file: str | None) -> int:
    """``--watch``: run, then run again on every change, until Ctrl-C (exit 0). An error in a
    run (a half-edited configuration or pack) is printed and the watch goes on."""
    from . import watch as watcher

    extra = [os.path.join(config.root, n) for n in (".obs-lint.yaml", "pyproject.toml",
                                                    ".gitignore")]
    extra += [p if os.path.isabs(p) else os.path.join(config.root, p) for p in config.packs
              if p.endswith((".yaml", ".yml")) or "/" in p]
    if baseline_file:
        extra.append(os.path.abspath(baseline_file))

    take = watcher.Poller(config.root, config.exclude + config.extend_exclude,
                          config.respect_gitignore, extra).take

    def run(changed_paths: list[str]) -> None:
        if changed_paths:
            shown = ", ".join(changed_paths[:3]) + (
                f" and {len(changed_paths) - 3} more" if len(changed_paths) > 3 else "")
            click.echo(f"\n[{time.strftime('%H:%M:%S')}] changed: {visible(shown)}; checking again")
        try:
            run_once(fresh=bool(changed_paths))
        except ObsLintError as exc:
            for message in exc.messages:
                _err(message)
        click.echo(f"[{time.strftime('%H:%M:%S')}] watching {visible(config.root)} for changes "
                   "(Ctrl-C to stop)")

    try:
        watcher.loop(run, take)
    except KeyboardInterrupt:
        pass
    return EXIT_OK


def _add_ignore(result: Result, max_bytes: int) -> int:
    from .addignore import add_ignores

    done = add_ignores(result.root, result.findings, max_bytes)
    click.echo(f"Added {done.added} suppression comment{'s' if done.added != 1 else ''} "
               f"in {len(done.files)} file{'s' if len(done.files) != 1 else ''}.")
    for f, why in done.skipped:
        _note(f"cannot annotate {f.location.path}:{f.location.span.line} {f.code}: {why}")
    for message in done.errors:
        _err(message)
    if done.errors:
        return EXIT_ERROR
    return EXIT_FINDINGS if done.skipped else EXIT_OK


@main.group()
def baseline() -> None:
    """Record today's findings so only new ones fail (legacy adoption)."""


def _baseline_path(root: str, file: str | None) -> str:
    return file if file else os.path.join(root, DEFAULT_BASELINE)


def _baseline_run(path: str | None, packs: Sequence[str], config_file: str | None,
                  no_config: bool, entries=None) -> Result:
    config = configure(RunRequest(paths=(path,) if path else (), config_file=config_file,
                                  use_config=not no_config, packs=tuple(packs)))
    _config_notices(config)
    return api.run(RunRequest(config=config, baseline_entries=entries,
                              loaded_packs=api.load_packs(config))).result


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
    entries = api.baseline_entries(result.findings)
    api.write_baseline(target, entries)
    click.echo(f"Recorded {len(entries)} finding{'s' if len(entries) != 1 else ''} in "
               f"{visible(target)}.")


@baseline.command("update")
@_with_baseline_options
def baseline_update(path: str | None, file: str | None, packs: Sequence[str],
                    config_file: str | None, no_config: bool) -> None:
    """Prune entries that no longer occur (never adds: new findings stay new)."""
    config = resolve_config([path] if path else [], config_file, not no_config)
    target = _baseline_path(config.root, file)
    entries = api.read_baseline(target, config)
    result = _baseline_run(path, packs, config_file, no_config, tuple(entries))
    kept = api.prune_baseline(entries, result)
    api.write_baseline(target, kept)
    removed = len(entries) - len(kept)
    click.echo(f"Removed {removed} entr{'ies' if removed != 1 else 'y'} that no longer "
               f"occur; {len(kept)} remain in {visible(target)}.")
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
                               "ignored_config": config.shadowed_config or None,
                               "settings": [{"key": k, "value": v, "source": src}
                                            for k, v, src in rows]}, indent=2))
        return
    lines = [f"project root: {config.root}", f"config file:  {config.config_file or '(none)'}"]
    if config.shadowed_config:
        lines.append(f"ignored:      [tool.obs-lint] in {config.shadowed_config} "
                     f"({config.config_file} takes precedence)")
    click.echo(printable_lines([*lines, "", *config_lines(rows)]))


COMMENT_COLUMN_MAX = 48  # values longer than this do not push every comment to the right


def config_lines(rows: Sequence[tuple[str, object, str]]) -> list[str]:
    """``key = value  # source`` lines with the comments in one column (values too long for
    it keep their comment two spaces after them)."""
    width = max(len(k) for k, _, _ in rows)
    lefts = [f"{k:<{width}} = {json.dumps(v)}" for k, v, _ in rows]
    column = max((len(left) for left in lefts if len(left) <= COMMENT_COLUMN_MAX), default=0)
    out = []
    for left, (_, _, src) in zip(lefts, rows):
        where = src if src.startswith("default") else f"from {src}"
        out.append(f"{left:<{column}}  # {where}")
    return out


@main.command("init")
@click.argument("path", required=False, type=click.Path(exists=True, file_okay=False))
@click.option("--yaml", "use_yaml", is_flag=True,
              help="Write .obs-lint.yaml (default: a [tool.obs-lint] section appended to "
                   "pyproject.toml; .obs-lint.yaml when there is none).")
@click.option("--pack", "packs", multiple=True,
              help="Packs to configure (default: the bundled e2i); repeatable.")
@click.option("--pack-file", default=None, metavar="FILE",
              help="Also write a starter pack FILE (one commented example per check kind) "
                   "and add it to the packs.")
@click.option("--dry-run", is_flag=True, help="Print what would be written; write nothing.")
def init_cmd(path: str | None, use_yaml: bool, packs: Sequence[str], pack_file: str | None,
             dry_run: bool) -> None:
    """Write a starter configuration for the project containing PATH (default: the current
    directory): packs, the source folders found, excludes. Never overwrites."""
    from .config import locate_root
    from .init import plan_init, write as write_init

    root, reason = locate_root(path or os.getcwd())
    if reason == "checked" and path:
        root = os.path.abspath(path)
    plan = plan_init(root, packs=tuple(packs) or ("e2i",), yaml=use_yaml, pack_file=pack_file)
    shown = os.path.relpath(plan.target)
    if dry_run:
        if plan.pack_file:
            click.echo(printable_lines([f"# would write {os.path.relpath(plan.pack_file)}:",
                                        plan.pack_text.rstrip("\n")]))
        click.echo(printable_lines([f"# would {'append to' if plan.append else 'write'} {shown}:",
                                    plan.text.rstrip("\n")]))
        return
    for done in write_init(plan):
        verb = "Appended [tool.obs-lint] to" if done == plan.target and plan.append \
            else "Wrote"
        click.echo(visible(f"{verb} {os.path.relpath(done)}"))
    click.echo(f"Project root: {visible(root)}. Next: `obs-lint check` (and `obs-lint config` to see "
               "every resolved setting).")


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
    config = resolve_config([path] if path else [], config_file, not no_config)
    done, directory, shown = api.clear_cache(config)
    n = done.removed
    line = f"Removed {n} cache entr{'y' if n == 1 else 'ies'} ({shown})"
    if done.kept:
        k = len(done.kept)
        line += (f"; kept {k} file{'s' if k != 1 else ''} obs-lint did not write "
                 f"({', '.join(os.path.relpath(p, directory) for p in done.kept[:3])}"
                 f"{', ...' if k > 3 else ''}) and the directory")
    click.echo(visible(line + "."))
    for p, why in done.errors:
        _err(f"{p}: cannot remove: {why}")
    if done.errors:
        sys.exit(EXIT_ERROR)


def _all_rules(packs: Sequence[str], config_file: str | None, no_config: bool) -> list[Rule]:
    config = resolve_config([], config_file, not no_config)
    if packs:
        config = config.with_overrides(packs=tuple(packs))
    return api.all_rules(config)


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

    click.echo(tabulate([[visible(r["code"]), visible(r["name"]),
                          r["phase"] if r["phase"] is not None else "-",
                          r["severity"], visible(r["summary"])] for r in rows],
                        headers=["Code", "Name", "Phase", "Severity", "Summary"],
                        tablefmt="github"))


@main.command("schema")
def schema_cmd() -> None:
    """Print the JSON Schema of pack files (editors: `# yaml-language-server: $schema=...`)."""
    from .schema import schema_json

    click.echo(schema_json(), nl=False)


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
    kind = api.check_kind(r.check_kind)
    # one-line fields are escaped whole (a newline in them is not a line break); the blocks
    # (description, examples) keep their lines, indented, and each line is escaped on output
    lines = [visible(f"{r.code} ({r.name})"), "",
             visible(f"Pack: {r.pack}    Phase: {r.phase if r.phase is not None else '-'}    "
                     f"Severity: {r.severity.value}    Check kind: {r.check_kind}"), "",
             visible(f"Message: {r.message}")]
    if r.checklist:
        lines += ["", visible(f"Audit checkbox: {r.checklist}")]
    if r.description:
        lines += ["", "What it checks:", textwrap.indent(r.description.strip(), "  ")]
    if r.where.include != ("**",) or r.where.exclude:
        lines += ["", visible(f"Applies to: {', '.join(r.where.include)}" + (
            f" (except {', '.join(r.where.exclude)})" if r.where.exclude else ""))]
    if r.params:
        lines += ["", "Parameters:"] + [visible(f"  {k}: {v!r}") for k, v in r.params.items()
                                         if v is not None]
    if kind is not None and kind.summary:
        lines += ["", f"Check kind `{kind.kind}`: {kind.summary}"]
    lines += api.kind_reference(kind)
    if r.example.violation:
        lines += ["", "Example violation:", textwrap.indent(r.example.violation.rstrip(), "    ")]
    if r.example.fix:
        lines += ["", "Example fix:", textwrap.indent(r.example.fix.rstrip(), "    ")]
    click.echo(printable_lines(lines))


def printable_lines(lines: Sequence[str]) -> str:
    """``lines`` joined by newlines, each with its control characters escaped (``visible``):
    pack texts, configuration values and paths are content a pull request can change, and a
    raw ESC or newline in them would rewrite the terminal or forge a line (a CI command)."""
    return "\n".join(visible(line) for text in lines for line in text.split("\n"))


if __name__ == "__main__":  # pragma: no cover
    main()
