"""--add-ignore: suppression comments written on today's findings, never changing the code's
meaning; afterwards the same check is clean (and no suppression is stale)."""

from __future__ import annotations

import ast
import json
import os
import stat
import sys

import pytest

from obs_lint.addignore import _FileEditor
from obs_lint.types import FileKind, Finding, Location, Severity, Span

from ecosystem_project import make_project, write

SOURCE = '''"""Module docstring."""
import os, mlflow
from mlflow import (
    log_param,
    log_metric,
)

TEXT = f(1) + """a
b"""


def g():
    import mlflow.sklearn  # noqa: F401
    import mlflow.tracking  # obs-lint: ignore[LOC999]
    return os


def h():
    return (1 +
            __import__("mlflow"))
'''


@pytest.fixture
def project(tmp_path):
    root = make_project(tmp_path)
    write(root, "src/legacy.py", SOURCE)
    return root


def test_add_ignore_then_the_check_is_clean(cli, project):
    path = project / "src/legacy.py"
    code, out, err = cli("check", cwd=project)
    assert code == 1
    code, out, err = cli("check", "--add-ignore", cwd=project)
    new = path.read_text(encoding="utf-8")
    assert ast.dump(ast.parse(new)) == ast.dump(ast.parse(SOURCE))
    lines = new.splitlines()
    assert lines[1] == "import os, mlflow  # obs-lint: ignore[LOC201]"
    assert lines[2] == "from mlflow import (  # obs-lint: ignore[LOC201]"
    assert lines[12] == "    import mlflow.sklearn  # noqa: F401  # obs-lint: ignore[LOC201]"
    # the unknown code stays (reported as such), the real one is added beside it
    assert lines[13] == "    import mlflow.tracking  # obs-lint: ignore[LOC999, LOC201]"
    assert lines[19] == '            __import__("mlflow"))  # obs-lint: ignore[LOC201]'
    code2, out2, _ = cli("check", "--format", "json", cwd=project)
    remaining = [(f["rule"], f["line"]) for f in json.loads(out2)["findings"]]
    # only the pre-existing unknown-code suppression is left, as the warning it always was
    assert remaining == [("OBS005", 14)]
    assert "Added 5 suppression comments in 1 file." in out
    # the stale suppression is the engine's own finding: reported back, not silenced
    assert code == 1 and "cannot annotate src/legacy.py:14 OBS005" in err


def test_project_level_finding_goes_on_line_1_when_it_can(cli, project):
    write(project, "src/agents/obs/agent.py", "def run(c):\n    return c\n")
    write(project, "src/agents/obs/__init__.py", "")
    code, out, err = cli("check", "--add-ignore", "src/agents/obs", cwd=project)
    assert code == 0, err
    assert (project / "src/agents/obs/__init__.py").read_text() == \
        "# obs-lint: ignore[LOC101]\n"
    assert cli("check", cwd=project)[0] == 1  # src/legacy.py still has its findings
    assert "LOC101" not in cli("check", "src/agents/obs", cwd=project)[1].split("|")[0]


def test_unplaceable_findings_are_reported_not_guessed(cli, project):
    write(project, "src/agents/obs/agent.py", "def run(c):\n    return c\n")
    doc = '"""The obs agent package.\n\nLine 1 is inside this docstring.\n"""\n'
    write(project, "src/agents/obs/__init__.py", doc)
    write(project, "src/script.py", "#!/usr/bin/env python\nimport mlflow\n")
    code, out, err = cli("check", "--add-ignore", "src/agents", "src/script.py", cwd=project)
    assert code == 1
    assert "cannot annotate src/agents/obs/__init__.py:1 LOC101: no line of the finding can " \
           "carry a comment" in err
    assert (project / "src/agents/obs/__init__.py").read_text() == doc  # untouched
    assert (project / "src/script.py").read_text().splitlines()[1] == \
        "import mlflow  # obs-lint: ignore[LOC201]"


def test_shebang_line_is_never_touched(tmp_path):
    ed = _FileEditor("s.py", FileKind.PYTHON, "#!/usr/bin/env python\nx = 1\n")
    f = Finding("LOC101", "obs-trace-agent", Severity.ERROR, "m", Location("s.py"))
    assert ed.try_add(f) == "line 1 is a shebang"


def test_encoding_and_line_endings_are_preserved(cli, project):
    data = "# -*- coding: latin-1 -*-\r\nNAME = 'caf\u00e9'\r\nimport mlflow\r\n".encode("latin-1")
    (project / "src/latin.py").write_bytes(data)
    code, _, err = cli("check", "--add-ignore", "src/latin.py", cwd=project)
    assert code == 0, err
    assert (project / "src/latin.py").read_bytes() == data.replace(
        b"import mlflow\r\n", b"import mlflow  # obs-lint: ignore[LOC201]\r\n")


def _finding(path: str, line: int, end_line: int | None = None) -> Finding:
    return Finding("X100", "x", Severity.ERROR, "m",
                   Location(path, Span(line, 1, end_line or line, 2)))


def test_yaml_block_scalars_are_never_edited():
    text = "a: 1\nscript: |\n  echo hi\n  echo there\nb: 2\n"
    ed = _FileEditor("c.yaml", FileKind.YAML, text)
    assert ed.try_add(_finding("c.yaml", 3))  # inside the block scalar: refused
    assert ed.text == text
    assert ed.try_add(_finding("c.yaml", 5)) == ""
    assert ed.text.splitlines()[4] == "b: 2  # obs-lint: ignore[X100]"


def test_sql_strings_and_dollar_quotes_are_never_edited():
    text = "CREATE FUNCTION f() RETURNS int AS $$\nSELECT 1\n$$ LANGUAGE sql;\n" \
           "CREATE TABLE t (\n  a text DEFAULT 'x\ny'\n);\n"
    ed = _FileEditor("s.sql", FileKind.SQL, text)
    assert ed.try_add(_finding("s.sql", 2))  # in the dollar-quoted body
    assert ed.try_add(_finding("s.sql", 5))  # ends inside a string literal
    assert ed.text == text
    assert ed.try_add(_finding("s.sql", 4)) == ""
    assert ed.text.splitlines()[3] == "CREATE TABLE t (  -- obs-lint: ignore[X100]"


def test_python_continuation_lines_are_never_edited():
    text = "x = 1 + \\\n    2\n"
    ed = _FileEditor("c.py", FileKind.PYTHON, text)
    assert ed.try_add(_finding("c.py", 1, 1))
    assert ed.text == text
    assert ed.try_add(_finding("c.py", 1, 2)) == ""  # the statement's last line takes it
    assert ed.text == "x = 1 + \\\n    2  # obs-lint: ignore[X100]\n"


@pytest.mark.parametrize("path, text, line, expected", [
    # SQL lines are LF-separated (facts/sql.py): a form feed or U+2028 is inside a line; the
    # comment used to land one line too high, inside the `--` comment before it
    ("s.sql", "-- a\fb\nCREATE TABLE t (\n  a int\n);\n", 2,
     "-- a\fb\nCREATE TABLE t (  -- obs-lint: ignore[X100]\n  a int\n);\n"),
    ("s.sql", "-- a\u2028b\nCREATE TABLE t (\n  a int\n);\n", 2,
     "-- a\u2028b\nCREATE TABLE t (  -- obs-lint: ignore[X100]\n  a int\n);\n"),
    ("s.sql", "-- a\r\nCREATE TABLE t (\r\n  a int\r\n);\r\n", 2,
     "-- a\r\nCREATE TABLE t (  -- obs-lint: ignore[X100]\r\n  a int\r\n);\r\n"),
    # Python: CR, LF and CRLF are line breaks (libcst), a form feed is not
    ("c.py", "x = 1\rimport os\ry = 2\r", 2, "x = 1\rimport os  # obs-lint: ignore[X100]\ry = 2\r"),
    ("c.py", "x = 1\f\nimport os\n", 2, "x = 1\f\nimport os  # obs-lint: ignore[X100]\n"),
    ("c.py", "s = '\u2028'\nimport os\n", 2, "s = '\u2028'\nimport os  # obs-lint: ignore[X100]\n"),
    # YAML: U+2028 and NEL are line breaks (PyYAML's marks); the comment goes before them
    ("c.yaml", "key: value\u2028other: 2\n", 1,
     "key: value  # obs-lint: ignore[X100]\u2028other: 2\n"),
    ("c.yaml", "key: value\x85other: 2\n", 2, "key: value\x85other: 2  # obs-lint: ignore[X100]\n"),
], ids=["sql-form-feed", "sql-u2028", "sql-crlf", "python-lone-cr", "python-form-feed",
        "python-u2028-in-string", "yaml-u2028", "yaml-nel"])
def test_the_comment_goes_on_the_line_the_finding_is_reported_on(path, text, line, expected):
    kind = {"sql": FileKind.SQL, "py": FileKind.PYTHON, "yaml": FileKind.YAML}[
        path.rsplit(".", 1)[1]]
    ed = _FileEditor(path, kind, text)
    assert ed.try_add(_finding(path, line)) == ""
    assert ed.text == expected


def test_add_ignore_in_sql_with_a_form_feed_then_the_check_is_clean(cli, tmp_path):
    """End to end: the finding's line (LF-counted) gets the comment, and it is recognised."""
    root = make_project(tmp_path, "packs: [pack.yaml]\n")
    write(root, "pack.yaml", """\
pack: {id: t, title: t}
phases: [{id: 1, title: Schema}]
rules:
  - code: T301
    name: runs-name
    phase: 1
    severity: error
    message: runs needs a name column
    where: {include: ["db/**"]}
    check: {kind: sql-schema, files: ["db/*.sql"], table: runs, columns: {name: text}}
""")
    write(root, "db/schema.sql", "-- a\fb\nCREATE TABLE runs (\n  id int\n);\n")
    code, out, err = cli("check", "--no-cache", "--format", "json", cwd=root)
    assert code == 1 and [(f["path"], f["line"]) for f in json.loads(out)["findings"]
                          if f["rule"] == "T301"] == [("db/schema.sql", 2)]
    code, out, err = cli("check", "--no-cache", "--add-ignore", cwd=root)
    assert code == 0, out + err
    assert (root / "db/schema.sql").read_text(encoding="utf-8") == \
        "-- a\fb\nCREATE TABLE runs (  -- obs-lint: ignore[T301]\n  id int\n);\n"
    code, out, err = cli("check", "--no-cache", "--format", "json", cwd=root)
    assert code == 0 and json.loads(out)["findings"] == [], out


# --------------------------------------------------------------------------------------------
# How the edit is written: atomically, keeping the mode, never through a link out of the root
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("failing", ["write", "fsync", "replace"])
def test_a_failed_write_leaves_the_file_untouched_and_names_it(cli, project, monkeypatch,
                                                               failing):
    """The file used to be opened for writing (truncated) first: a full disk left it empty."""
    import errno

    import obs_lint.fileio as fileio

    path = project / "src/legacy.py"
    before = path.read_bytes()

    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    if failing == "write":
        monkeypatch.setattr(fileio, "_write_all", full)
    else:
        monkeypatch.setattr(fileio.os, failing, full)
    code, out, err = cli("check", "--add-ignore", "src/legacy.py", cwd=project)
    monkeypatch.undo()
    assert code == 2
    assert "obs-lint: error: src/legacy.py: cannot write: No space left on device (left " \
           "unchanged)\n" in err
    assert "Traceback" not in err and "Added 0 suppression comments in 0 files." in out
    assert path.read_bytes() == before
    assert sorted(p.name for p in path.parent.iterdir() if p.name.endswith(".tmp")) == []


@pytest.mark.skipif(sys.platform == "win32",
                    reason="RLIMIT_FSIZE is POSIX")
def test_a_write_that_hits_a_file_size_limit_leaves_the_file_untouched(project):
    """A real failing write, not a simulated one: the run's file-size limit (RLIMIT_FSIZE,
    what a full disk looks like to a writer: EFBIG after the limit) is just above the file's
    size, so writing the edited file fails part-way."""
    import resource
    import subprocess

    path = project / "src/legacy.py"
    before = path.read_bytes()

    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (len(before) + 8, len(before) + 8))

    proc = subprocess.run([sys.executable, "-m", "obs_lint", "check", "--no-cache",
                           "--add-ignore", "src/legacy.py"], cwd=project, capture_output=True,
                          text=True, timeout=120, preexec_fn=limit,
                          env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"})
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "obs-lint: error: src/legacy.py: cannot write: File too large (left unchanged)" \
        in proc.stderr and "Traceback" not in proc.stderr
    assert path.read_bytes() == before
    assert sorted(p.name for p in path.parent.iterdir() if p.name.endswith(".tmp")) == []


def test_the_edited_file_keeps_its_mode(cli, project):
    path = write(project, "src/mode.py", "import mlflow\n")
    path.chmod(0o751)
    code, _, err = cli("check", "--add-ignore", "src/mode.py", cwd=project)
    assert code == 0, err
    assert "# obs-lint: ignore[LOC201]" in path.read_text()
    assert stat.S_IMODE(path.stat().st_mode) == 0o751


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0,
                    reason="only root may give a file to another owner")
def test_the_edited_file_keeps_its_owner_when_root_edits_it(cli, project):
    """The atomic replace makes a new file; run as root (a container on a user's checkout),
    it is given back to the file's owner and group."""
    path = write(project, "src/owned.py", "import mlflow\n")
    os.chown(path, 4321, 4322)
    code, _, err = cli("check", "--add-ignore", "src/owned.py", cwd=project)
    assert code == 0, err
    st = path.stat()
    assert (st.st_uid, st.st_gid) == (4321, 4322)
    assert path.read_text() == "import mlflow  # obs-lint: ignore[LOC201]\n"


def test_no_final_newline_is_added_to_a_file_that_had_none(cli, project):
    path = project / "src/last.py"
    path.write_bytes(b"x = 1\nimport mlflow")
    code, _, err = cli("check", "--add-ignore", "src/last.py", cwd=project)
    assert code == 0, err
    assert path.read_bytes() == b"x = 1\nimport mlflow  # obs-lint: ignore[LOC201]"


def test_a_link_out_of_the_root_named_on_the_command_line_is_skipped(cli, project, tmp_path):
    """Discovery never follows a link out of the root; naming it must not make obs-lint read
    it, let alone edit the file elsewhere."""
    outside = tmp_path / "elsewhere" / "theirs.py"
    outside.parent.mkdir()
    outside.write_bytes(b"import mlflow\n")
    os.symlink(outside, project / "src" / "link.py")
    code, out, err = cli("check", "--format", "json", "src/link.py", cwd=project)
    assert [f for f in json.loads(out)["findings"] if f["path"] == "src/link.py"] == []
    code, out, err = cli("check", "--add-ignore", "src/link.py", cwd=project)
    assert outside.read_bytes() == b"import mlflow\n"
    assert os.readlink(project / "src" / "link.py") == str(outside)
    assert "Added 0 suppression comments in 0 files." in out


def test_a_link_inside_the_root_is_edited_through(cli, project):
    target = project / "src" / "real.py"
    target.write_text("import mlflow\n")
    os.symlink("real.py", project / "src" / "alias.py")
    code, out, err = cli("check", "--add-ignore", "src/alias.py", cwd=project)
    assert code == 0, err
    assert target.read_text() == "import mlflow  # obs-lint: ignore[LOC201]\n"
    assert os.readlink(project / "src" / "alias.py") == "real.py"
