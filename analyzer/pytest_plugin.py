"""pytest plugin: ``pytest --obs-lint[=PACK]`` runs the static audit beside the tests.

``--obs-lint`` alone uses the project's configured packs; ``--obs-lint=PACK`` (with ``=``: a
bare ``--obs-lint`` never consumes the next argument, which is a test path) uses PACK.

Registered through the ``pytest11`` entry point, so pytest loads this module in *every* run
of anyone who installs obs-lint. It is therefore inert unless ``--obs-lint`` is given: the
module imports nothing of obs-lint at import time (no libcst), and without the option it
registers no hook implementation that does work.

With the option, on the controlling process only (never on ``pytest-xdist`` workers, which send
their reports to the controller anyway):

* every test report of the session is recorded (outcome per test: error > failed > passed >
  xfailed > skipped, the same rules as for JUnit files; a module that fails to import counts
  as an error of its file);
* after the tests, obs-lint checks the project that contains pytest's rootdir (its own
  configuration; ``=PACK`` replaces the configured packs), merges the session's outcomes into
  the phases, and prints the findings and the per-phase table in an ``obs-lint`` section;
* the same gate as ``obs-lint check``: a finding at or above ``fail-on``, or a phase whose
  tests failed or fell short of ``min_tests``, makes the session's exit status non-zero (1)
  even when every test passed; a configuration error is a usage error (4).
"""

from __future__ import annotations

import os
from typing import Any

import pytest


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("obs-lint", "obs-lint static observability audit")
    group.addoption("--obs-lint", dest="obs_lint", nargs="?", const="", default=None,
                    metavar="PACK",
                    help="run the obs-lint audit after the tests and merge the test outcomes "
                         "into its per-phase table (optionally with this rule pack instead "
                         "of the configured ones)")


@pytest.hookimpl(tryfirst=True)
def pytest_load_initial_conftests(early_config: pytest.Config, parser: pytest.Parser,
                                  args: list[str]) -> None:
    """Make a bare ``--obs-lint`` take no value: ``pytest --obs-lint tests/`` must not read
    ``tests/`` as the pack (an optional option value is given as ``--obs-lint=PACK``)."""
    for i, arg in enumerate(args):
        if arg == "--":
            break
        if arg == "--obs-lint":
            args[i] = "--obs-lint="


def pytest_configure(config: pytest.Config) -> None:
    if config.getoption("obs_lint", None) is None:
        return
    if hasattr(config, "workerinput"):  # an xdist worker: the controller does the work
        return
    config.pluginmanager.register(ObsLintSession(config), "obs-lint-session")


class ObsLintSession:
    """The work of one ``--obs-lint`` session (controller side)."""

    def __init__(self, config: pytest.Config) -> None:
        from .api import ObsLintError, RunRequest, configure, load_packs

        self.config = config
        self.rootpath = str(config.rootpath)
        try:
            pack = config.getoption("obs_lint")
            cfg = configure(RunRequest(paths=(self.rootpath,), packs=(pack,) if pack else ()))
            self.obs_config = cfg
            self.packs = load_packs(cfg)
        except ObsLintError as exc:
            raise pytest.UsageError(f"obs-lint: {exc}") from None
        self.outcomes: dict[str, tuple[str, str]] = {}  # nodeid -> (path, outcome)
        self.result: Any = None
        self.error = ""

    # -- collecting the session's outcomes ------------------------------------------------
    def _record(self, nodeid: str, outcome: str) -> None:
        from .api import worst_outcome as worst

        path_part = nodeid.split("::", 1)[0]
        abs_path = os.path.normpath(os.path.join(self.rootpath, path_part))
        rel = os.path.relpath(abs_path, self.obs_config.root).replace(os.sep, "/")
        prev = self.outcomes.get(nodeid)
        self.outcomes[nodeid] = (rel, worst(outcome, prev[1]) if prev else outcome)

    @pytest.hookimpl
    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        xfail = hasattr(report, "wasxfail")
        if report.when == "call":
            if report.passed:
                outcome = "passed"  # including a non-strict XPASS, as pytest counts it
            elif report.skipped:
                outcome = "xfailed" if xfail else "skipped"
            else:
                outcome = "failed"
        elif report.failed:  # setup or teardown error
            outcome = "error"
        elif report.skipped and report.when == "setup":
            outcome = "xfailed" if xfail else "skipped"
        else:
            return
        self._record(report.nodeid, outcome)

    @pytest.hookimpl
    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        if report.failed and report.nodeid:
            self._record(report.nodeid, "error")

    # -- the audit ----------------------------------------------------------------------------
    @pytest.hookimpl(tryfirst=True)
    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        from .api import EXIT_OK, ObsLintError, RunRequest, exit_status, new_test_case, run

        cases = tuple(new_test_case(nodeid, path, outcome)
                      for nodeid, (path, outcome) in self.outcomes.items())
        try:
            self.result = run(RunRequest(config=self.obs_config, loaded_packs=self.packs,
                                         test_cases=cases)).result
        except ObsLintError as exc:
            self.error = str(exc)
            session.exitstatus = pytest.ExitCode.USAGE_ERROR
            return
        failing = exit_status(self.result, fail_on=self.obs_config.fail_on) != EXIT_OK
        if failing and session.exitstatus == pytest.ExitCode.OK:
            session.exitstatus = pytest.ExitCode.TESTS_FAILED

    @pytest.hookimpl
    def pytest_terminal_summary(self, terminalreporter) -> None:
        from .report.text import finding_lines, phase_table, summary_line

        tr = terminalreporter
        tr.section("obs-lint")
        if self.error:
            tr.write_line(f"obs-lint: error: {self.error}", red=True)
            return
        if self.result is None:
            return
        for line in finding_lines(self.result):
            tr.write_line(line)
        table = phase_table(self.result)
        if table:
            tr.write_line("")
            for line in table.splitlines():
                tr.write_line(line)
        tr.write_line("")
        tr.write_line(summary_line(self.result))
