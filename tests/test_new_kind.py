"""Adding a check kind touches one module (issue 12): a copy of the package gets one new file,
``checks/no_call.py`` (``fixtures/new_kind/no_call.py.txt``), and nothing else; the copy then
runs the kind from a pack, validates it, explains it and lists it in the pack schema."""

from __future__ import annotations

import filecmp
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from conftest import FIXTURES, REPO

PACK = """\
pack: {id: demo, title: A pack using a kind added as one module}
phases:
  - {id: 1, title: Calls}
rules:
  - code: D101
    name: no-print
    phase: 1
    severity: error
    message: print() is not logging
    check: {kind: no-call, names: [print]}
"""


def _package_copy(tmp_path: Path) -> Path:
    """site/obs_lint = analyzer/ + rules/ (as the wheel lays them out) + the new module."""
    site = tmp_path / "site"
    target = site / "obs_lint"
    ignore = shutil.ignore_patterns("__pycache__")
    shutil.copytree(REPO / "analyzer", target, ignore=ignore)
    shutil.copytree(REPO / "rules", target / "rules", ignore=ignore)
    shutil.copy(FIXTURES / "new_kind" / "no_call.py.txt", target / "checks" / "no_call.py")
    return site


def _run(site: Path, cwd: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(site)}
    return subprocess.run([sys.executable, "-m", "obs_lint", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=300)


def _differences(a: Path, b: Path) -> list[str]:
    """Paths under ``b`` that are new or differ from ``a`` (``__pycache__`` aside)."""
    out: list[str] = []

    def walk(cmp: filecmp.dircmp, prefix: str) -> None:
        out.extend(prefix + n for n in cmp.right_only + cmp.diff_files if n != "__pycache__")
        for name, sub in cmp.subdirs.items():
            if name != "__pycache__":
                walk(sub, f"{prefix}{name}/")

    walk(filecmp.dircmp(a, b), "")
    return sorted(out)


def test_a_new_check_kind_is_one_new_module(tmp_path):
    site = _package_copy(tmp_path)
    assert _differences(REPO / "analyzer", site / "obs_lint") == ["checks/no_call.py", "rules"]
    project = tmp_path / "project"
    (project / "src").mkdir(parents=True)
    (project / "pack.yaml").write_text(PACK)
    (project / ".obs-lint.yaml").write_text("packs: [pack.yaml]\n")
    (project / "src" / "a.py").write_text("x = 1\nprint(x)\n")
    (project / "src" / "b.py").write_text("import logging\nlogging.info('x')\n")

    done = _run(site, project, "check", "--no-cache", "--format", "json")
    assert done.returncode == 1, done.stderr
    found = [(f["path"], f["line"], f["rule"]) for f in json.loads(done.stdout)["findings"]]
    assert found == [("src/a.py", 2, "D101")]

    explained = _run(site, project, "explain", "D101")
    assert explained.returncode == 0, explained.stderr
    assert "Check kind `no-call`: The listed functions must not be called in scope." in \
        explained.stdout
    assert "names" in explained.stdout and "Callee names that must not be called" in \
        explained.stdout

    schema = json.loads(_run(site, project, "schema").stdout)
    assert "no-call" in json.dumps(schema)

    (project / "pack.yaml").write_text(PACK.replace("names: [print]", "names: print"))
    broken = _run(site, project, "check", "--no-cache")
    assert broken.returncode == 2
    assert "pack.yaml:10: rule D101 (no-print)" in broken.stderr and "names must be list" in broken.stderr, \
        broken.stderr
