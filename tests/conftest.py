"""Shared test helpers: paths, running the CLI in-process and as a subprocess."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

REPO = Path(__file__).resolve().parent.parent
FIXTURES = REPO / "fixtures"
SHARED = REPO.parent / "shared"


def pytest_collection_modifyitems(config, items):
    """Tests marked ``slow`` run first (a stable sort: otherwise collection order). With
    ``-n 2`` xdist hands tests out in collection order, and the 200 s real-code test, collected
    near the end, kept one worker busy minutes after the other had finished everything else."""
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)


@pytest.fixture
def cli():
    """Run ``obs-lint`` in-process; returns (exit_code, stdout, stderr)."""
    from obs_lint.cli import main

    def run(*args: str, cwd: str | os.PathLike | None = None):
        runner = CliRunner()
        old = os.getcwd()
        try:
            if cwd:
                os.chdir(cwd)
            res = runner.invoke(main, list(args), catch_exceptions=False)
        finally:
            os.chdir(old)
        return res.exit_code, res.stdout, res.stderr

    return run


def run_obs_lint(*args: str, cwd: str | os.PathLike | None = None, timeout: int = 300):
    """Run obs-lint as a real subprocess (``python -m obs_lint``)."""
    proc = subprocess.run([sys.executable, "-m", "obs_lint", *args], cwd=cwd,
                          capture_output=True, text=True, timeout=timeout)
    return proc.returncode, proc.stdout, proc.stderr


def json_of(text: str) -> dict:
    return json.loads(text)
