"""Shared helpers of the ecosystem tests: a temporary copy of ``fixtures/ecosystem/project``.

The template has no ``.obs-lint.yaml`` (see ``fixtures/ecosystem/README.md``); ``make_project``
copies it into a temporary directory and writes the configuration there, so tests can edit
files, create git repositories and run pytest / pre-commit without touching the repository.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from conftest import FIXTURES, REPO

TEMPLATE = FIXTURES / "ecosystem" / "project"
CONFIG = "packs: [rules/local.yaml]\n"
SCHEMA = Path(__file__).resolve().parents[2] / "shared" / "schemas" / "sarif-schema-2.1.0.json"


def make_project(dest: Path, config: str = CONFIG, pytest_ini: bool = True) -> Path:
    """Copy the template to ``dest/project`` with ``config`` as its ``.obs-lint.yaml``."""
    root = dest / "project"
    shutil.copytree(TEMPLATE, root, ignore=shutil.ignore_patterns("__pycache__"))
    (root / ".obs-lint.yaml").write_text(config, encoding="utf-8")
    if pytest_ini:
        (root / "pytest.ini").write_text("[pytest]\naddopts = -p no:cacheprovider\n",
                                         encoding="utf-8")
    return root


def write(root: Path, rel: str, text: str) -> Path:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def clean_env(**extra: str) -> dict[str, str]:
    """The environment for a nested pytest / pre-commit: none of the outer run's settings."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("PYTEST_", "PRE_COMMIT", "GIT_"))}
    env.update(extra)
    return env


def run_pytest(root: Path, *args: str, timeout: int = 300) -> subprocess.CompletedProcess:
    """A nested pytest in ``root`` (the installed obs-lint plugin is loaded by entry point)."""
    return subprocess.run([sys.executable, "-m", "pytest", "-q", *args], cwd=root,
                          capture_output=True, text=True, timeout=timeout, env=clean_env())


def git(root: Path, *args: str) -> str:
    proc = subprocess.run(["git", "-c", "user.name=obs-lint tests", "-c",
                           "user.email=tests@obs-lint.invalid", "-c", "commit.gpgsign=false",
                           "-c", "init.defaultBranch=main", *args],
                          cwd=root, capture_output=True, text=True, env=clean_env(),
                          timeout=120)
    assert proc.returncode == 0, f"git {' '.join(args)} failed: {proc.stderr}"
    return proc.stdout


def git_repo(root: Path) -> Path:
    git(root, "init", "-q")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "initial")
    return root


__all__ = ["REPO", "TEMPLATE", "SCHEMA", "make_project", "write", "clean_env", "run_pytest",
           "git", "git_repo"]
