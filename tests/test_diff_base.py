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


# --------------------------------------------------------------------------------------------
# The patch is read by hunk counts: what a changed line says never changes where hunks go
# --------------------------------------------------------------------------------------------

def _body(n: int) -> str:
    return "".join(f"v{i} = {i}\n" for i in range(n))


def _write_bytes(root, rel: str, data: bytes) -> None:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


def test_an_added_line_that_looks_like_a_file_header_does_not_hide_later_hunks(cli, repo):
    write(repo, "src/long.py", _body(20))
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "long")
    # `++ b/other.py` is valid Python (+(+b)/other.py); in the patch it reads "+++ b/other.py"
    lines = _body(20).splitlines(keepends=True)
    lines.insert(2, "++ b/other.py\n")
    lines.insert(15, "import mlflow\n")  # a new violation, in a later hunk
    write(repo, "src/long.py", "".join(lines))
    code, out, err = cli("check", "--diff-base", "HEAD", cwd=repo)
    assert _findings(out) == ["src/long.py:16:1: LOC201"], out + err
    assert code == 1


@pytest.mark.parametrize("sep", ["\r", "\u2028", "\x0c", "\x85"],
                         ids=["lone-cr", "u2028", "form-feed", "nel"])
def test_separators_inside_a_changed_line_do_not_split_it(cli, repo, sep):
    write(repo, "src/long.py", _body(20))
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "long")
    lines = _body(20).splitlines(keepends=True)
    # after a lone CR, Python starts a new line: `+++ b/zzz.py` is code (+(+(+b))/zzz.py);
    # elsewhere the separator is inside a string literal; git sees one line either way
    lines[3] = ("v3 = 3  # note\r+++ b/zzz.py\n" if sep == "\r"
                else f's = "x{sep}+++ b/zzz.py"\n')
    lines.insert(12, "import mlflow\n")
    _write_bytes(repo, "src/long.py", "".join(lines).encode("utf-8"))
    code, out, err = cli("check", "--diff-base", "HEAD", cwd=repo)
    line = 14 if sep == "\r" else 13  # Python counts the lone CR as a line break
    assert _findings(out) == [f"src/long.py:{line}:1: LOC201"], out + err
    assert code == 1


def test_a_finding_after_a_lone_cr_is_on_its_changed_line_not_a_neighbour(cli, repo):
    """git numbers lines at LF, Python also at a lone CR: the changed lines are mapped."""
    _write_bytes(repo, "src/cr.py", b"a = 1\rb = 2\nc = 3\nd = 4\n")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "cr")
    # git line 2 ("c = 3") becomes an import, and git line 4 is added: Python lines 3 and 5
    _write_bytes(repo, "src/cr.py", b"a = 1\rb = 2\nimport mlflow\nd = 4\nimport mlflow\n")
    code, out, _ = cli("check", "--diff-base", "HEAD", cwd=repo)
    assert _findings(out) == ["src/cr.py:3:1: LOC201", "src/cr.py:5:1: LOC201"]
    _write_bytes(repo, "src/cr.py", b"import mlflow\rb = 2\nc = 3\nd = 4\n")  # git line 1
    code, out, _ = cli("check", "--diff-base", "HEAD", cwd=repo)
    assert _findings(out) == ["src/cr.py:1:1: LOC201"]


def test_no_newline_at_end_of_file_markers(cli, repo):
    write(repo, "src/a.py", "x = 1")
    write(repo, "src/b.py", "y = 1\n")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "no eol")
    write(repo, "src/a.py", "import mlflow")  # both sides without a final newline
    write(repo, "src/b.py", "y = 1\nimport mlflow\n")
    code, out, _ = cli("check", "--diff-base", "HEAD", cwd=repo)
    assert _findings(out) == ["src/a.py:1:1: LOC201", "src/b.py:2:1: LOC201"]
    assert code == 1


def test_a_renamed_file_reports_only_its_changed_lines_at_the_new_path(cli, repo):
    write(repo, "src/old_name.py", "import mlflow\n" + _body(10))
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "old")
    git(repo, "mv", "src/old_name.py", "src/new name.py")
    code, out, _ = cli("check", "--diff-base", "HEAD", cwd=repo)
    assert code == 0 and _findings(out) == []  # a pure rename changes no line
    write(repo, "src/new name.py", "import mlflow\n" + _body(10) + "from mlflow import x\n")
    code, out, _ = cli("check", "--diff-base", "HEAD", cwd=repo)
    assert _findings(out) == ["src/new name.py:12:1: LOC201"]


@pytest.mark.parametrize("name", ['src/quo"te.py', "src/tab\there.py", "src/caf\u00e9 ü.py",
                                  "src/new\nline.py", "src/back\\slash.py"],
                         ids=["quote", "tab", "non-ascii", "newline", "backslash"])
def test_quoted_paths(cli, repo, name):
    write(repo, name, _body(3))
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "odd name")
    write(repo, name, _body(3) + "import mlflow\n")
    write(repo, "src/after.py", "import mlflow\n")  # a file after it in the patch
    git(repo, "add", "src/after.py")
    code, out, err = cli("check", "--format", "json", "--diff-base", "HEAD", cwd=repo)
    import json
    got = [(f["path"], f["line"]) for f in json.loads(out)["findings"]]
    assert got == sorted([(name, 4), ("src/after.py", 1)]), err
    assert code == 1


def test_an_empty_diff_base_is_a_usage_error(cli, repo):
    write(repo, "src/a.py", "import mlflow\n")
    code, out, err = cli("check", "--diff-base", "", cwd=repo)
    assert code == 2 and out == ""
    assert err == ("obs-lint: error: --diff-base needs a git ref (a branch, tag or commit), "
                   "got an empty value\n")


def test_parse_diff_counts_hunk_lines():
    text = (
        "diff --git a/src/a.py b/src/a.py\n--- a/src/a.py\n+++ b/src/a.py\n"
        "@@ -1,0 +2,3 @@\n+++ b/fake.py\n+@@ -1 +900,5 @@\n+diff --git a/x b/x\n"
        "@@ -9 +12 @@\n-old\n+new\n\\ No newline at end of file\n"
        "diff --git a/src/old.py b/src/new.py\nsimilarity index 100%\n"
        "rename from src/old.py\nrename to src/new.py\n"
        "diff --git a/src/w.py b/src/w.py\n--- a/src/w.py\n+++ b/src/w.py\n"
        "@@ -2 +2 @@\n-a\r\n+b\u2028c\r\n"
    )
    assert parse_diff(text) == {"src/a.py": ((2, 4), (12, 12)), "src/new.py": (),
                                "src/w.py": ((2, 2),)}


def test_a_patch_that_does_not_add_up_is_an_error_not_a_guess():
    from obs_lint.gitdiff import DiffError

    with pytest.raises(DiffError):
        parse_diff("diff --git a/a.py b/a.py\n--- a/a.py\n+++ b/a.py\n@@ -1,2 +1,2 @@\n-x\n+y\n")
