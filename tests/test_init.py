"""``obs-lint init`` (issue 15, item 3): a starter configuration, written only when asked,
never over an existing one, atomically."""

from __future__ import annotations

import os
import stat
import sys

import pytest

from obs_lint.checks import REGISTRY
from obs_lint.init import KIND_EXAMPLES
from obs_lint.packs import parse_pack

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

PYPROJECT = '[project]\nname = "demo"\n\n[tool.ruff]\nline-length = 100\n'


def _tree(root, files):
    for rel, text in files.items():
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text, encoding="utf-8")
    return root


@pytest.fixture
def repo(tmp_path):
    root = _tree(tmp_path / "repo", {
        "pyproject.toml": PYPROJECT,
        "src/app/__init__.py": "", "src/app/main.py": "import os\n",
        "tests/test_main.py": "def test_x():\n    pass\n",
        "config/app.yaml": "a: 1\n",
        "env311/lib/python3.11/site/mod.py": "import mlflow\n",
        "env311/pyvenv.cfg": "home = /usr/bin\n",
        "third_party/lib.py": "import mlflow\n",
        ".venv/lib/x.py": "import mlflow\n",  # excluded by default: not proposed
        "docs/readme.md": "# docs\n",
    })
    (root / ".git").mkdir()
    return root


def test_init_appends_a_section_to_pyproject_and_keeps_every_byte(cli, repo):
    os.chmod(repo / "pyproject.toml", 0o640)
    code, out, err = cli("init", cwd=repo)
    assert code == 0, err
    text = (repo / "pyproject.toml").read_text(encoding="utf-8")
    assert text.startswith(PYPROJECT)  # appended, nothing rewritten
    assert stat.S_IMODE(os.stat(repo / "pyproject.toml").st_mode) == 0o640
    table = tomllib.loads(text)["tool"]["obs-lint"]
    assert table == {"packs": ["e2i"], "extend-exclude": ["env311/", "third_party/"]}
    assert "#   src/ (2), config/ (1), tests/ (1)" in text  # the source folders, counted
    assert "Appended [tool.obs-lint] to pyproject.toml" in out
    # the configuration it wrote is the one a check then reads
    code, out, err = cli("config", "--format", "json", cwd=repo)
    assert code == 0 and '"config_file": "pyproject.toml"' in out


def test_init_refuses_to_overwrite(cli, repo):
    assert cli("init", cwd=repo)[0] == 0
    before = (repo / "pyproject.toml").read_bytes()
    code, _, err = cli("init", cwd=repo)
    assert code == 2 and err.startswith("obs-lint: error: pyproject.toml: already has a "
                                        "[tool.obs-lint] section")
    assert (repo / "pyproject.toml").read_bytes() == before
    code, _, err = cli("init", "--yaml", cwd=repo)
    assert code == 2 and not (repo / ".obs-lint.yaml").exists()


def test_init_writes_yaml_when_asked_or_when_there_is_no_pyproject(cli, tmp_path, repo):
    code, _, err = cli("init", "--yaml", cwd=repo)
    assert code == 0, err
    assert (repo / "pyproject.toml").read_text(encoding="utf-8") == PYPROJECT
    import yaml
    assert yaml.safe_load((repo / ".obs-lint.yaml").read_text()) == {
        "packs": ["e2i"], "extend-exclude": ["env311/", "third_party/"]}
    code, _, err = cli("init", cwd=repo)
    assert code == 2 and ".obs-lint.yaml: already exists" in err
    bare = _tree(tmp_path / "bare", {"a.py": "x = 1\n"})
    assert cli("init", str(bare))[0] == 0
    assert (bare / ".obs-lint.yaml").is_file() and not (bare / "pyproject.toml").exists()


def test_dry_run_writes_nothing(cli, repo):
    before = (repo / "pyproject.toml").read_bytes()
    code, out, _ = cli("init", "--dry-run", "--pack-file", "lint.yaml", cwd=repo)
    assert code == 0 and "would append to pyproject.toml" in out and "would write lint.yaml" in out
    assert (repo / "pyproject.toml").read_bytes() == before and not (repo / "lint.yaml").exists()


def test_the_starter_pack_loads_and_its_examples_cover_every_check_kind(cli, repo):
    code, out, err = cli("init", "--pack-file", "lint.yaml", cwd=repo)
    assert code == 0, err
    text = (repo / "lint.yaml").read_text(encoding="utf-8")
    pack = parse_pack(text, "lint.yaml")
    assert pack.rules == () and [p.id for p in pack.phases] == [1]
    assert set(KIND_EXAMPLES) == set(REGISTRY)
    # uncommented as the file tells the user to: every example is a valid rule
    head, _, tail = text.partition("rules: []\n")
    uncommented = head + "rules:\n" + "".join(line[1:] + "\n" for line in tail.splitlines())
    full = parse_pack(uncommented, "lint.yaml")
    assert sorted(r.check_kind for r in full.rules) == sorted(REGISTRY)
    table = tomllib.loads((repo / "pyproject.toml").read_text())["tool"]["obs-lint"]
    assert table["packs"] == ["e2i", "./lint.yaml"]
    # the excludes it found keep the vendored and virtualenv mlflow imports out of the run
    code, out, err = cli("check", "--select", "E2I201", cwd=repo)
    assert code == 0 and "Found 0 findings" in out, out + err


def test_init_refuses_an_existing_pack_file_and_writes_nothing(cli, repo):
    (repo / "lint.yaml").write_text("mine\n")
    code, _, err = cli("init", "--pack-file", "lint.yaml", cwd=repo)
    assert code == 2 and "lint.yaml: already exists" in err
    assert (repo / "lint.yaml").read_text() == "mine\n"
    assert "obs-lint" not in (repo / "pyproject.toml").read_text()
