"""pre-commit: the hooks in ``.pre-commit-hooks.yaml``, the changed-files semantics behind them,
and the real round trip with the ``pre-commit`` tool (``pre-commit try-repo``).

Semantics (fast, in-process): rules are evaluated over the whole project and the files passed
only select which findings are reported, so a project-wide finding ("the package never calls
trace_agent()", reported at the package's ``__init__.py``) fails the hook when a file in the
rule's scope is committed; excludes apply to files passed by name with ``--force-exclude``.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from conftest import REPO
from ecosystem_project import clean_env, git, make_project, write

NO_TRACE = '"""The obs agent, tracing removed."""\n\n\nasync def run(connector, state):\n' \
           "    return state\n"


def test_hook_manifest():
    hooks = {h["id"]: h for h in yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text())}
    files = hooks["obs-lint"]
    assert files["language"] == "python" and files["require_serial"] is True
    assert files["types_or"] == ["python", "yaml", "sql"]
    assert files["entry"].split() == ["obs-lint", "check", "--force-exclude",
                                      "--no-phase-table"]
    assert files.get("pass_filenames", True) is True
    project = hooks["obs-lint-project"]
    assert project["pass_filenames"] is False and project["always_run"] is True
    assert project["entry"].split() == ["obs-lint", "check"]


# -- the semantics the hook relies on (in-process) ---------------------------------------------

@pytest.fixture
def project(tmp_path):
    return make_project(tmp_path, config="packs: [rules/local.yaml]\nextend-exclude: "
                                         "[generated/]\n")


def test_project_level_finding_is_reported_for_a_file_in_the_rules_scope(cli, project):
    write(project, "src/agents/obs/agent.py", NO_TRACE)
    code, out, _ = cli("check", "src/agents/obs/agent.py", cwd=project)
    assert code == 1
    assert out.startswith("src/agents/obs/__init__.py:1:1: LOC101 [obs-trace-agent]")


def test_files_outside_the_scope_do_not_report_it(cli, project):
    write(project, "src/agents/obs/agent.py", NO_TRACE)
    code, out, _ = cli("check", "src/mlops/mlflow_connector.py", cwd=project)
    assert code == 0 and "LOC101" not in out.split("|")[0]


def test_a_presence_rule_is_decided_over_the_whole_package(cli, project):
    # the call lives in agent.py; passing only a sibling file must not report it missing
    write(project, "src/agents/obs/helpers.py", "def helper():\n    return 1\n")
    code, out, _ = cli("check", "src/agents/obs/helpers.py", cwd=project)
    assert code == 0, out
    assert "Found 0 findings" in out


def test_line_findings_are_reported_only_for_the_passed_files(cli, project):
    write(project, "src/a.py", "import mlflow\n")
    write(project, "src/b.py", "import mlflow\n")
    code, out, _ = cli("check", "src/b.py", cwd=project)
    assert code == 1 and "src/b.py:1:1: LOC201" in out and "src/a.py" not in out


def test_force_exclude_honours_excludes_for_files_passed_by_name(cli, project):
    write(project, "generated/client.py", "import mlflow\n")
    code, out, _ = cli("check", "--force-exclude", "generated/client.py", cwd=project)
    assert code == 0 and "generated/client.py" not in out
    code, out, _ = cli("check", "generated/client.py", cwd=project)  # named: checked
    assert code == 1 and "generated/client.py:1:1: LOC201" in out
    code, out, _ = cli("check", cwd=project)  # the directory walk never includes it
    assert code == 0


def test_a_passed_path_that_does_not_exist_or_lies_outside_is_an_error(cli, project, tmp_path):
    code, _, err = cli("check", "src/nope.py", cwd=project)
    assert code == 2 and "src/nope.py: no such file or directory" in err
    outside = tmp_path / "elsewhere.py"
    outside.write_text("import mlflow\n")
    # the root is found from the first path; a later one outside it is an error
    code, _, err = cli("check", "src", str(outside), cwd=project)
    assert code == 2 and "outside the project root" in err


# -- the real round trip -------------------------------------------------------------------------

def _pre_commit() -> str:
    exe = Path(sys.executable).with_name("pre-commit")
    found = str(exe) if exe.exists() else shutil.which("pre-commit")
    if not found or not shutil.which("git"):
        pytest.skip("needs the pre-commit tool ([test] extra) and git")
    return found


def _hook_repo(dest: Path) -> Path:
    """A git snapshot of this working tree (pre-commit installs hooks from a git repo; the
    snapshot includes uncommitted and untracked work, which ``try-repo`` on the checkout
    itself would not)."""
    repo = dest / "hookrepo"
    repo.mkdir()
    for name in ("analyzer", "rules"):
        shutil.copytree(REPO / name, repo / name,
                        ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    for name in ("pyproject.toml", "README.md", ".pre-commit-hooks.yaml", "LICENSE"):
        if (REPO / name).exists():
            shutil.copy2(REPO / name, repo / name)
    git(repo, "init", "-q")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "snapshot")
    return repo


def _try_repo(pre_commit: str, hook_repo: Path, cwd: Path, home: Path):
    return subprocess.run([pre_commit, "try-repo", str(hook_repo), "--color", "never"],
                          cwd=cwd, capture_output=True, text=True, timeout=900,
                          env=clean_env(PRE_COMMIT_HOME=str(home)))


def _statuses(output: str) -> dict[str, str]:
    """pre-commit's one status line per hook: ``name.....Passed``."""
    return {m.group(1): m.group(2) for m in re.finditer(
        r"^(\S.*?)\.{3,}(Passed|Failed|Skipped)$", output, re.MULTILINE)}


@pytest.mark.slow
def test_pre_commit_try_repo_round_trip(tmp_path):
    pre_commit = _pre_commit()
    hook_repo = _hook_repo(tmp_path)
    user = make_project(tmp_path, config="packs: [rules/local.yaml]\nextend-exclude: "
                                         "[generated/]\n", pytest_ini=False)
    git(user, "init", "-q")
    git(user, "add", "-A")
    git(user, "commit", "-q", "-m", "conformant start")

    # commit a violation: the last trace_agent call goes, and an excluded file misbehaves
    write(user, "src/agents/obs/agent.py", NO_TRACE)
    write(user, "generated/client.py", "import mlflow\n")
    git(user, "add", "-A")
    failed = _try_repo(pre_commit, hook_repo, user, tmp_path / "home")
    out = failed.stdout + failed.stderr
    assert failed.returncode == 1, out
    files_hook = out.split("- hook id: obs-lint\n", 1)[1].split("- hook id:")[0]
    assert "src/agents/obs/__init__.py:1:1: LOC101 [obs-trace-agent]" in files_hook
    assert "generated/client.py" not in out  # excluded, though pre-commit passed it
    assert _statuses(out) == {"obs-lint": "Failed", "obs-lint (whole project)": "Failed"}

    # fix it: both hooks pass, and the commit goes through
    write(user, "src/agents/obs/agent.py", (REPO / "fixtures/ecosystem/project/src/agents/obs/"
                                             "agent.py").read_text(encoding="utf-8"))
    git(user, "add", "-A")
    passed = _try_repo(pre_commit, hook_repo, user, tmp_path / "home")
    out = passed.stdout + passed.stderr
    assert passed.returncode == 0, out
    assert _statuses(out) == {"obs-lint": "Passed", "obs-lint (whole project)": "Passed"}
    git(user, "commit", "-q", "-m", "fixed")
