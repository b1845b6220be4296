"""The built wheel installs into a fresh virtualenv and works from any directory.

Slow (builds a wheel and creates a venv, installing dependencies from the package index) but
run by .ci/run: it is the only test that proves a non-editable install ships the bundled packs
and does not leak a generic top-level package such as ``analyzer`` into site-packages.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import venv
import zipfile
from pathlib import Path

import pytest

from conftest import FIXTURES, REPO


@pytest.mark.slow
def test_wheel_installs_and_runs_outside_the_repo(tmp_path):
    dist = tmp_path / "dist"
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
                    "-q", "-w", str(dist), str(REPO)], check=True, timeout=300)
    wheels = list(dist.glob("obs_lint-*.whl"))
    assert len(wheels) == 1
    names = zipfile.ZipFile(wheels[0]).namelist()
    assert "obs_lint/rules/e2i.yaml" in names
    assert "obs_lint/cli.py" in names
    assert not any(n.startswith("analyzer/") for n in names), "generic top-level name leaked"
    assert not any(n.startswith(("tests/", "fixtures/")) for n in names)

    env_dir = tmp_path / "venv"
    venv.EnvBuilder(with_pip=True).create(env_dir)
    py = env_dir / "bin" / "python"
    subprocess.run([str(py), "-m", "pip", "install", "-q", str(wheels[0])], check=True,
                   timeout=600)
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH",)}
    exe = env_dir / "bin" / "obs-lint"
    proc = subprocess.run([str(exe), "rules", "--pack", "e2i", "--format", "json"],
                          cwd=outside, capture_output=True, text=True, env=env, timeout=120)
    assert proc.returncode == 0, proc.stderr
    rows = json.loads(proc.stdout)
    assert any(r["code"] == "E2I201" for r in rows)

    sample = tmp_path / "sample"
    shutil.copytree(FIXTURES / "e2i_sample", sample)
    proc = subprocess.run([str(py), "-m", "obs_lint", "check", str(sample), "--format", "json",
                           "--select", "E2I201"], cwd=outside, capture_output=True, text=True,
                          env=env, timeout=120)
    assert proc.returncode == 1, proc.stderr
    found = json.loads(proc.stdout)["findings"]
    assert [(f["rule"], f["line"]) for f in found] == [("E2I201", 3)]
    site = subprocess.run([str(py), "-c", "import sysconfig;print(sysconfig.get_paths()['purelib'])"],
                          capture_output=True, text=True, check=True).stdout.strip()
    assert not (Path(site) / "analyzer").exists()
