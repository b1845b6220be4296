"""Configuration in the user's own files: `obs-lint config` (values and their sources), the
settings that change a run, and configuration errors with "did you mean"."""

from __future__ import annotations

import json
import re

import pytest

from ecosystem_project import make_project, write

PYPROJECT = """\
[project]
name = "demo"

[tool.obs-lint]
packs = ["rules/local.yaml"]
fail-on = "error"
format = "json"
cache-dir = ".cache/obs"
extend-exclude = ["generated/"]

[tool.obs-lint.per-file-ignores]
"scripts/**" = ["LOC201"]
"""


@pytest.fixture
def pyproject_project(tmp_path):
    root = make_project(tmp_path)
    (root / ".obs-lint.yaml").unlink()
    write(root, "pyproject.toml", PYPROJECT)
    return root


def _settings(cli, root, *args):
    code, out, err = cli("config", "--format", "json", *args, cwd=root)
    assert code == 0, err
    doc = json.loads(out)
    return doc, {s["key"]: (s["value"], s["source"]) for s in doc["settings"]}


def test_config_shows_resolved_values_and_where_they_came_from(cli, pyproject_project):
    doc, s = _settings(cli, pyproject_project)
    assert doc["root"] == str(pyproject_project) and doc["config_file"] == "pyproject.toml"
    assert s["packs"] == (["rules/local.yaml"], "pyproject.toml")
    assert s["fail-on"] == ("error", "pyproject.toml")
    assert s["cache-dir"] == (".cache/obs", "pyproject.toml")
    assert s["per-file-ignores"] == ({"scripts/**": ["LOC201"]}, "pyproject.toml")
    assert s["select"] == ([], "default") and s["respect-gitignore"] == (True, "default")
    code, out, _ = cli("config", cwd=pyproject_project)
    assert code == 0
    assert re.search(r'^fail-on +?= "error" +# from pyproject\.toml$', out, re.MULTILINE)
    assert "# default" in out and f"project root: {pyproject_project}" in out


def test_yaml_config_and_no_config(cli, tmp_path):
    root = make_project(tmp_path, config="packs: [rules/local.yaml]\nselect: [LOC2]\n")
    _, s = _settings(cli, root)
    assert s["select"] == (["LOC2"], ".obs-lint.yaml")
    _, s = _settings(cli, root, "--no-config")
    assert s["select"] == ([], "defaults (--no-config)")


def test_settings_change_the_run(cli, pyproject_project):
    write(pyproject_project, "scripts/tool.py", "import mlflow\n")  # per-file-ignores
    write(pyproject_project, "generated/x.py", "import mlflow\n")  # extend-exclude
    write(pyproject_project, "src/a.py", "x = 1  # obs-lint: ignore[LOC201]\n")  # a warning
    code, out, _ = cli("check", cwd=pyproject_project)
    doc = json.loads(out)  # format = "json" from the configuration
    assert [(f["path"], f["rule"]) for f in doc["findings"]] == [("src/a.py", "OBS005")]
    assert code == 0  # fail-on = "error": the stale-suppression warning does not fail


@pytest.mark.parametrize("config, message", [
    ("packs: [rules/local.yaml]\nextend_select: [LOC1]\n", "unknown key 'extend_select' "
                                                           "(did you mean 'extend-select'?)"),
    ("packs: [rules/local.yaml]\nexlude: [x/]\n", "unknown key 'exlude' (did you mean "
                                                  "'exclude'?)"),
    ("packs: [rules/local.yaml]\nformat: sarf\n", "unknown format 'sarf' (did you mean "
                                                  "'sarif'?)"),
    ("packs: [e2j]\n", "no bundled pack named 'e2j' (did you mean 'e2i'?)"),
    ("packs: [rules/local.yaml]\nselect: [LOC20l]\n", "unknown rule code or name 'LOC20l' "
                                                      "(did you mean 'LOC201'?)"),
    ("packs: [rules/local.yaml]\nfail-on: warnings\n", "fail-on must be error or warning"),
    ("packs: [rules/local.yaml]\nper-file-ignores: [a]\n", "per-file-ignores must be dict"),
])
def test_configuration_errors_name_the_file_and_suggest(cli, tmp_path, config, message):
    root = make_project(tmp_path, config=config)
    code, out, err = cli("check", cwd=root)
    assert code == 2 and out == "" and message in err
    assert err.startswith("obs-lint: error: ") and len(err.strip().splitlines()) == 1


def test_pyproject_unknown_key_names_pyproject(cli, pyproject_project):
    text = (pyproject_project / "pyproject.toml").read_text(encoding="utf-8")
    (pyproject_project / "pyproject.toml").write_text(text.replace("fail-on", "fail_on"),
                                                      encoding="utf-8")
    code, _, err = cli("config", cwd=pyproject_project)
    assert code == 2
    line = next(i for i, l in enumerate(text.splitlines(), 1) if l.startswith("fail-on"))
    assert f"pyproject.toml:{line}: unknown key 'fail_on' (did you mean 'fail-on'?)" in err
