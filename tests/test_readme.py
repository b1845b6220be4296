"""The README's install and pre-commit instructions work as written (issue 15, item 4).

The pre-commit snippets are taken from the README itself and run with the real ``pre-commit``
against a local clone of this working tree: only the two placeholders a user fills in
(``https://github.com/<org>/obs-lint`` and ``<commit-sha>``) are replaced, by the clone's path
and its HEAD commit. No network: the hook repository is a local path.
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
from test_precommit import NO_TRACE, _hook_repo, _pre_commit

README = (REPO / "README.md").read_text(encoding="utf-8")
WORKFLOW = (REPO / "examples" / "github-workflow.yml").read_text(encoding="utf-8")
REPO_URL = "https://github.com/<org>/obs-lint"
SHA_PLACEHOLDER = "<commit-sha>"


def _yaml_blocks(section: str) -> list[str]:
    """The ```yaml blocks of a README section (### heading up to the next heading)."""
    start = README.index(f"### {section}\n")
    end = README.find("\n#", start + 5)
    body = README[start:end if end > 0 else None]
    return re.findall(r"```yaml\n(.*?)```", body, re.DOTALL)


def _snippet(section: str, needle: str) -> str:
    return next(b for b in _yaml_blocks(section) if needle in b)


def test_install_steps_do_not_use_an_unpublished_name_or_a_missing_tag():
    for name, text in (("README.md", README), ("examples/github-workflow.yml", WORKFLOW)):
        assert not re.search(r"pip install (-\S+ )*obs-lint\b(?! @)", text), name
        assert not re.search(r"rev: v\d", text), name
    assert f'pip install "obs-lint @ git+{REPO_URL}@{SHA_PLACEHOLDER}"' in README
    assert f'"obs-lint @ git+{REPO_URL}@{SHA_PLACEHOLDER}"' in WORKFLOW
    assert 'pip install "$OBS_LINT"' in WORKFLOW


def test_the_pre_commit_snippets_pin_a_commit_sha_and_say_so():
    for section, needle in (("pre-commit", "obs-lint-project"),
                            ("Using a baseline", "--baseline")):
        block = _snippet(section, needle)
        config = yaml.safe_load(block)
        (repo,) = config["repos"]
        assert repo["repo"] == REPO_URL and repo["rev"] == SHA_PLACEHOLDER
        assert "commit sha" in block
    hooks = yaml.safe_load(_snippet("Using a baseline", "--baseline"))["repos"][0]["hooks"]
    assert [h.get("args") for h in hooks] == [["--baseline", ".obs-lint-baseline.json"]] * 2
    assert "obs-lint check --baseline .obs-lint-baseline.json" in README  # the CI line


def test_the_readme_names_every_check_option_and_command():
    from obs_lint.cli import check, main

    for param in check.params:
        names = [o for o in (*param.opts, *param.secondary_opts) if o.startswith("--")]
        if names:
            assert any(re.search(rf"[`/]{re.escape(o)}\b", README) for o in names), names
    for name in main.commands:
        assert f"obs-lint {name}" in README, name


def _config(block: str, hook_repo, sha: str) -> str:
    assert REPO_URL in block and SHA_PLACEHOLDER in block
    return block.replace(REPO_URL, str(hook_repo)).replace(SHA_PLACEHOLDER, sha)


def _run(pre_commit: str, cwd, home, *extra: str):
    proc = subprocess.run([pre_commit, "run", "--all-files", "--color", "never", *extra], cwd=cwd,
                          capture_output=True, text=True, timeout=900,
                          env=clean_env(PRE_COMMIT_HOME=str(home)))
    return proc.returncode, proc.stdout + proc.stderr


@pytest.mark.slow
def test_the_readme_pre_commit_snippets_run_as_written(tmp_path):
    pre_commit = _pre_commit()
    hook_repo = _hook_repo(tmp_path)
    sha = git(hook_repo, "rev-parse", "HEAD").strip()
    home = tmp_path / "home"

    # the plain snippet: a conformant project passes, a violation fails; the table once
    user = make_project(tmp_path / "plain", pytest_ini=False)
    write(user, ".pre-commit-config.yaml",
          _config(_snippet("pre-commit", "obs-lint-project"), hook_repo, sha))
    git(user, "init", "-q")
    git(user, "add", "-A")
    git(user, "commit", "-q", "-m", "start")
    code, out = _run(pre_commit, user, home)
    assert code == 0, out
    write(user, "src/agents/obs/agent.py", NO_TRACE)
    git(user, "add", "-A")
    code, out = _run(pre_commit, user, home)
    assert code == 1, out
    assert "src/agents/obs/__init__.py:1:1: LOC101 [obs-trace-agent] error:" in out
    assert out.count("| Agent tracing") == 1  # the project hook's table, printed once

    # the baseline snippet: today's findings are accepted, a new one fails
    legacy = make_project(tmp_path / "legacy", pytest_ini=False)
    write(legacy, "src/old.py", "import mlflow\n")
    write(legacy, ".pre-commit-config.yaml",
          _config(_snippet("Using a baseline", "--baseline"), hook_repo, sha))
    # the README's CI line `obs-lint baseline create`: the console script of this venv (found
    # beside the interpreter, so the test does not depend on an activated venv's PATH)
    exe = shutil.which("obs-lint") or str(Path(sys.executable).with_name("obs-lint"))
    subprocess.run([exe, "baseline", "create"], cwd=legacy, check=True,
                   capture_output=True, env=clean_env())
    git(legacy, "init", "-q")
    git(legacy, "add", "-A")
    git(legacy, "commit", "-q", "-m", "legacy with a baseline")
    code, out = _run(pre_commit, legacy, home, "--verbose")  # a passing hook's output too
    assert code == 0, out
    assert "FAIL (1 baselined)" in out  # accepted, not hidden
    write(legacy, "src/new.py", "import mlflow\n")
    git(legacy, "add", "-A")
    code, out = _run(pre_commit, legacy, home)
    assert code == 1 and "src/new.py:1:1: LOC201" in out and "src/old.py:1:1" not in out, out


def test_the_check_kind_reference_is_the_generated_one():
    # README "Check-kind reference" is generated from the kinds' parameter dataclasses
    from obs_lint.schema import README_BEGIN, README_END, readme_reference

    assert README.count(README_BEGIN) == 1 and README.count(README_END) == 1
    section = README.split(README_BEGIN, 1)[1].split(README_END, 1)[0]
    assert section == "\n" + readme_reference(), \
        "regenerate it: python -m obs_lint.schema --readme"
