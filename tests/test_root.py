"""The project root without configuration, found like ruff finds it (issue 15, item 1), and
"nothing to check" as an error (item 2).

The root is the nearest ancestor *of the checked path* holding obs-lint configuration, else the
nearest holding a pyproject.toml or .git, else the checked directory — never the current
directory because the command happens to run there.
"""

from __future__ import annotations

import json

import pytest

from obs_lint.config import locate_root

NOTICE = ("obs-lint: no obs-lint configuration found; checking {root} with the bundled e2i pack "
          "— run obs-lint init")


def _tree(base, files: dict[str, str]):
    for rel, text in files.items():
        path = base / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return base


def _repo(tmp_path):
    """/outer holds an unrelated tree and the repository (a .git and a pyproject.toml)."""
    outer = tmp_path / "outer"
    _tree(outer, {f"unrelated/mod{i}.py": "import mlflow\n" for i in range(30)})
    repo = _tree(outer / "repo", {
        "pyproject.toml": "[project]\nname = 'demo'\n",
        "src/agents/explainer/__init__.py": "",
        "src/agents/explainer/agent.py": "import mlflow\n",
        "src/other.py": "import mlflow\n",
    })
    (repo / ".git").mkdir()
    return outer, repo


def test_outside_the_repository_the_root_is_the_repository_not_the_current_directory(
        cli, tmp_path):
    outer, repo = _repo(tmp_path)
    code, out, err = cli("check", "repo/src/agents/explainer", "--select", "E2I201",
                         "--format", "json", cwd=outer)
    assert code == 1
    assert err.splitlines() == [NOTICE.format(root=repo)]
    doc = json.loads(out)
    assert doc["stats"]["files_discovered"] == 3  # the repository's files, not the 30 beside it
    assert [f["path"] for f in doc["findings"]] == ["src/agents/explainer/agent.py"]
    assert not (outer / ".obs-lint-cache").exists() and (repo / ".obs-lint-cache").is_dir()
    # the text report's paths are relative to where the command ran (the root lies below it)
    _, out, _ = cli("check", "repo/src/agents/explainer", "--select", "E2I201", "-q", cwd=outer)
    assert out.startswith("repo/src/agents/explainer/agent.py:1:1: E2I201")
    # from an unrelated directory: absolute paths, still clickable
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    _, out, _ = cli("check", str(repo / "src"), "--select", "E2I201", "-q", cwd=elsewhere)
    assert out.splitlines()[0].startswith(f"{repo}/src/agents/explainer/agent.py:1:1: E2I201")


def test_from_a_subdirectory_the_root_is_the_repository_and_paths_are_cwd_relative(
        cli, tmp_path):
    _, repo = _repo(tmp_path)
    here = repo / "src" / "agents"
    code, out, err = cli("check", "--select", "E2I201", cwd=here)
    assert code == 1 and NOTICE.format(root=repo) in err
    lines = [l for l in out.splitlines() if "E2I201" in l]
    # only this directory's findings (like ruff), shown relative to it (clickable)
    assert lines == ["explainer/agent.py:1:1: E2I201 [no-raw-mlflow] error: raw mlflow import "
                     "outside MLflowConnector: `import mlflow` imports `mlflow`"]
    assert "1 outside the selected paths/lines not shown" in out
    code, out, _ = cli("check", "../other.py", "--select", "E2I201", cwd=here)
    assert [l.split(":")[0] for l in out.splitlines() if "E2I201" in l] == ["../other.py"]
    # JSON stays root-relative
    code, out, _ = cli("check", "..", "--select", "E2I201", "--format", "json", cwd=here)
    assert sorted(f["path"] for f in json.loads(out)["findings"]) == [
        "src/agents/explainer/agent.py", "src/other.py"]


def test_configuration_anywhere_above_wins_over_a_nearer_pyproject(tmp_path):
    root = _tree(tmp_path / "mono", {".obs-lint.yaml": "packs: [e2i]\n",
                                     "svc/pyproject.toml": "[project]\nname = 'x'\n",
                                     "svc/src/a.py": ""})
    assert locate_root(str(root / "svc" / "src" / "a.py")) == (str(root), "config")
    assert locate_root(str(root / "svc" / "src")) == (str(root), "config")


def test_without_any_marker_the_checked_directory_is_the_root(cli, tmp_path):
    markers = [d for d in [tmp_path, *tmp_path.parents]
               if (d / "pyproject.toml").exists() or (d / ".git").exists()
               or (d / ".obs-lint.yaml").exists()]
    if markers:
        pytest.skip(f"{markers[0]} (an ancestor of the temporary directory) holds a project "
                    "marker, so no checked path below it can be without one")
    lone = _tree(tmp_path / "lone", {"pkg/a.py": "import mlflow\n", "b.py": "import mlflow\n"})
    assert locate_root(str(lone / "pkg")) == (str(lone / "pkg"), "checked")
    code, out, err = cli("check", "lone/pkg", "--select", "E2I201", "--format", "json",
                         cwd=tmp_path)
    assert err.splitlines() == [NOTICE.format(root=lone / "pkg")]
    assert json.loads(out)["stats"]["files_discovered"] == 1  # not b.py beside it


def test_with_configuration_no_notice(cli, tmp_path):
    root = _tree(tmp_path / "p", {".obs-lint.yaml": "packs: [e2i]\n", "a.py": "x = 1\n"})
    code, _, err = cli("check", "--select", "E2I201", cwd=root)
    assert code == 0 and err == ""


def test_both_configuration_files_say_which_one_is_used(cli, tmp_path):
    root = _tree(tmp_path / "p", {".obs-lint.yaml": "packs: [e2i]\nselect: [E2I201]\n",
                                  "pyproject.toml": "[tool.obs-lint]\nselect = ['E2I999']\n",
                                  "a.py": "import mlflow\n"})
    code, out, err = cli("check", cwd=root)
    assert code == 1 and "E2I201" in out  # the YAML file's select is the one applied
    assert err.splitlines() == [
        "obs-lint: warning: .obs-lint.yaml and [tool.obs-lint] in pyproject.toml both configure "
        f"{root}; using .obs-lint.yaml (it takes precedence; [tool.obs-lint] is ignored — keep "
        "one of them)"]
    code, out, _ = cli("config", cwd=root)
    assert "ignored:      [tool.obs-lint] in pyproject.toml (.obs-lint.yaml takes precedence)" \
        in out
    doc = json.loads(cli("config", "--format", "json", cwd=root)[1])
    assert (doc["config_file"], doc["ignored_config"]) == (".obs-lint.yaml", "pyproject.toml")


# -- nothing to check (item 2) ------------------------------------------------------------------

def test_an_empty_directory_is_an_error_not_a_pass(cli, tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / ".git").mkdir()
    code, out, err = cli("check", cwd=empty)
    assert code == 2 and out == ""
    assert err.splitlines()[-1] == (
        "obs-lint: error: .: nothing to check under . (no Python, YAML or SQL file after "
        "excludes and .gitignore)")


def test_a_named_directory_with_nothing_to_check_is_an_error(cli, tmp_path):
    root = _tree(tmp_path / "p", {".obs-lint.yaml": "packs: [e2i]\n", "src/a.py": "x = 1\n",
                                  "docs/index.md": "# docs\n"})
    code, _, err = cli("check", "docs", cwd=root)
    assert code == 2 and "obs-lint: error: docs: nothing to check under docs" in err
    # a directory holding only excluded files is nothing to check either
    (root / ".obs-lint.yaml").write_text("packs: [e2i]\nextend-exclude: [gen/]\n")
    _tree(root, {"gen/client.py": "import mlflow\n"})
    code, _, err = cli("check", "gen", cwd=root)
    assert code == 2 and "gen: nothing to check under gen" in err


def test_files_named_one_by_one_and_force_excluded_are_not_an_error(cli, tmp_path):
    """pre-commit passes the committed files; when an exclude drops them all the hook has
    nothing to report, which is a pass, not a broken invocation."""
    root = _tree(tmp_path / "p", {".obs-lint.yaml": "packs: [e2i]\nselect: [E2I201]\n"
                                                    "extend-exclude: [gen/]\n",
                                  "src/a.py": "x = 1\n", "gen/client.py": "import mlflow\n"})
    code, out, err = cli("check", "--force-exclude", "gen/client.py", cwd=root)
    assert code == 0, err
