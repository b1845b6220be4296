"""--diff-base REF: only findings on lines changed since a git ref are reported, while
project-wide rules are still evaluated over the whole tree."""

from __future__ import annotations

import shutil

import pytest

from obs_lint.gitdiff import parse_diff

from ecosystem_project import git, git_repo, make_project, write

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="--diff-base needs git")


def _findings(out: str) -> list[str]:
    return [line.split(" [")[0] for line in out.splitlines() if ": LOC" in line or ": OBS" in line]


@pytest.fixture
def repo(tmp_path):
    root = make_project(tmp_path)
    write(root, "src/legacy.py", "import os\nimport mlflow\n")  # legacy debt, committed
    git_repo(root)
    return root


def test_only_changed_lines_are_reported(cli, repo):
    # the old violation moves down (its line is unchanged content), a new one is added
    write(repo, "src/legacy.py", "import os\nimport sys\nimport mlflow\n\nfrom mlflow import x\n")
    code, out, err = cli("check", "--diff-base", "HEAD", cwd=repo)
    assert code == 1, err
    assert _findings(out) == ["src/legacy.py:5:1: LOC201"]
    code, out, _ = cli("check", cwd=repo)  # without the option: both
    assert _findings(out) == ["src/legacy.py:3:1: LOC201", "src/legacy.py:5:1: LOC201"]


def test_untracked_and_staged_files_count_as_changed(cli, repo):
    write(repo, "src/new_module.py", "import mlflow\n")
    write(repo, "src/staged.py", "\nimport mlflow\n")
    git(repo, "add", "src/staged.py")
    code, out, _ = cli("check", "--diff-base", "HEAD", cwd=repo)
    assert _findings(out) == ["src/new_module.py:1:1: LOC201", "src/staged.py:2:1: LOC201"]


def test_project_wide_rule_is_reported_when_a_file_in_its_scope_changed(cli, repo):
    write(repo, "src/agents/obs/agent.py", "async def run(connector, state):\n    return state\n")
    code, out, _ = cli("check", "--diff-base", "HEAD", cwd=repo)
    assert code == 1
    assert _findings(out) == ["src/agents/obs/__init__.py:1:1: LOC101"]


def test_a_ref_further_back(cli, repo):
    write(repo, "src/a.py", "import mlflow\n")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "second")
    code, out, _ = cli("check", "--diff-base", "HEAD", cwd=repo)
    assert code == 0 and _findings(out) == []
    code, out, _ = cli("check", "--diff-base", "HEAD~1", cwd=repo)
    assert _findings(out) == ["src/a.py:1:1: LOC201"]


def test_bad_ref_and_not_a_repository_are_usage_errors(cli, repo, tmp_path):
    code, out, err = cli("check", "--diff-base", "no-such-branch", cwd=repo)
    assert code == 2 and out == ""
    assert "--diff-base no-such-branch: unknown git ref" in err
    plain = make_project(tmp_path / "plain")
    code, _, err = cli("check", "--diff-base", "HEAD", cwd=plain)
    assert code == 2 and "not a git repository" in err
    assert len(err.strip().splitlines()) == 1


def test_parse_diff():
    text = (
        "diff --git a/src/a.py b/src/a.py\n--- a/src/a.py\n+++ b/src/a.py\n"
        "@@ -3,0 +4,2 @@ def f():\n+x\n+y\n@@ -10 +12 @@\n-old\n+new\n"
        "@@ -20,3 +21,0 @@\n-gone\n-gone\n-gone\n"
        'diff --git "a/src/t\\tb.py" "b/src/t\\tb.py"\n--- "a/src/t\\tb.py"\n'
        '+++ "b/src/t\\tb.py"\n@@ -1 +1 @@\n-a\n+b\n'
        "diff --git a/src/del.py b/src/del.py\n--- a/src/del.py\n+++ /dev/null\n"
        "@@ -1,2 +0,0 @@\n-a\n-b\n"
    )
    assert parse_diff(text) == {"src/a.py": ((4, 5), (12, 12)), "src/t\tb.py": ((1, 1),)}
