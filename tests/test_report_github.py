"""GitHub Actions workflow commands: one per finding, escaped per GitHub's rules, followed by
the plain report (GitHub shows only the first 10 annotations of a step)."""

from __future__ import annotations

import re

from obs_lint.api import check, resolve_config
from obs_lint.report import github

from ecosystem_project import make_project, write

COMMAND = re.compile(r"^::(error|warning|notice) ([^:]*)::(.*)$")


def _unescape(value: str) -> str:
    return (value.replace("%0D", "\r").replace("%0A", "\n").replace("%3A", ":")
            .replace("%2C", ",").replace("%25", "%"))


def _parse(line: str) -> tuple[str, dict[str, str], str]:
    m = COMMAND.match(line)
    assert m, f"not a workflow command: {line!r}"
    props = dict(item.split("=", 1) for item in m.group(2).split(","))
    return m.group(1), {k: _unescape(v) for k, v in props.items()}, _unescape(m.group(3))


def test_escaping_rules():
    assert github.escape_data("100% done\r\nnext: a,b") == "100%25 done%0D%0Anext: a,b"
    assert github.escape_property("a:b,c%\n") == "a%3Ab%2Cc%25%0A"


def _project(tmp_path):
    pack = (make_project(tmp_path) / "rules/local.yaml")
    text = pack.read_text(encoding="utf-8").replace(
        "message: raw mlflow import outside the connector",
        'message: "100% of imports, checked:\\nraw mlflow import outside the connector"')
    pack.write_text(text, encoding="utf-8")
    root = pack.parent.parent
    write(root, "src/odd,name:v2.py", "\n\nimport mlflow\n")
    write(root, "src/warn.py", "x = 1  # obs-lint: ignore[LOC201]\n")  # a stale suppression
    return root


def test_annotations_round_trip_through_the_escaping(tmp_path):
    root = _project(tmp_path)
    result = check([], resolve_config([str(root)]))
    commands = runner_commands(github.render(result))
    assert len(commands) == len(result.findings) == 2
    for line, f in zip(commands, result.findings):
        assert "\n" not in line and "\r" not in line
        kind, props, message = _parse(line)
        s = f.location.span
        assert props == {"file": f.location.path, "line": str(s.line), "endLine": str(s.end_line),
                         "col": str(s.column), "endColumn": str(s.end_column), "title": f.code}
        assert message == f"{f.name}: {f.message}"
        assert kind == {"error": "error", "warning": "warning"}[f.severity.value]
    raw = [c for c in commands if "odd" in c][0]
    assert "file=src/odd%2Cname%3Av2.py,line=3," in raw
    assert "::no-raw-mlflow: 100%25 of imports, checked:%0Araw mlflow" in raw
    assert any(c.startswith("::warning file=src/warn.py,line=1,") for c in commands)


def test_plain_report_follows_the_commands(tmp_path):
    root = _project(tmp_path)
    result = check([], resolve_config([str(root)]))
    out = github.render(result)
    tail = out.split("\n\n", 1)[1]
    assert "Phase | Title" in tail and "Found 2 findings" in tail
    assert "src/odd,name:v2.py:3:1: LOC201" in tail
    # the plain report is guarded: no line of it is a workflow command
    assert tail.startswith("::stop-commands::") and runner_commands(tail) == []


def test_cli_github_format_exit_status(cli, tmp_path):
    root = _project(tmp_path)
    code, stdout, _ = cli("check", "--format", "github", cwd=root)
    assert code == 1 and stdout.startswith("::error file=src/odd%2Cname%3Av2.py")


# --------------------------------------------------------------------------------------------
# Workflow-command injection: no checked content can make the runner execute a command
# --------------------------------------------------------------------------------------------

FORGED = "::warning file=README.md,line=1::approved"

HOSTILE_PACK = """\
pack: {id: inj, title: "Injection\\n::error::from the pack title"}
phases:
  - {id: 1, title: "Imports\\n::error file=x.py::phase title"}
  - {id: 2, title: Schema}
rules:
  - code: J101
    name: no-mlflow
    phase: 1
    severity: error
    message: "raw mlflow import\\n::error file=README.md::rule text"
    check: {kind: forbid-import, modules: [mlflow]}
  - code: J201
    name: runs-table
    phase: 2
    severity: warning
    message: the runs table must be right
    where: {include: ["db/**"]}
    check: {kind: sql-schema, files: ["db/*.sql"], table: runs, columns: {metrics: jsonb}}
"""

HOSTILE_FILES = {
    # a top-level directory that is a workflow command
    "::notice title=x::y/a.py": "import mlflow\n",
    # a file name with a newline and a command after it
    "src/new\n::error file=x.py,line=1::forged.py": "import mlflow\n",
    "src/cr\r::error::cr.py": "import mlflow\n",
    "src/esc\x1b]0;title\x07.py": "import mlflow\n",
    "src/ls\u2028::error::ls.py": "import mlflow\n",
    # a string in a dynamic import (quoted in the message)
    "src/dyn.py": '__import__("mlflow.x\\n' + FORGED + '\\n")\n',
    # a quoted SQL type name (quoted in the message)
    "db/s.sql": 'CREATE TABLE runs (id int, metrics "json\n::error::sqlforged");\n',
}


def hostile_project(tmp_path):
    root = tmp_path / "inj"
    for rel, body in {**HOSTILE_FILES, ".obs-lint.yaml": "packs: [pack.yaml]\n",
                      "pack.yaml": HOSTILE_PACK}.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(body, encoding="utf-8")
    return root


def runner_commands(output: str) -> list[str]:
    """The workflow commands a GitHub runner would execute, read the way it reads them (a
    line per line break, leading whitespace trimmed, nothing between ``::stop-commands::T``
    and ``::T::``); lines are split at every line boundary Python knows (a superset of the
    runner's CR/LF), so a character that only some readers break at cannot hide a command."""
    executed = []
    stopped_by = None
    for raw in output.splitlines():
        line = raw.lstrip()
        if stopped_by is not None:
            if line == f"::{stopped_by}::":
                stopped_by = None
            continue
        if line.startswith("::stop-commands::"):
            stopped_by = line[len("::stop-commands::"):]
            assert stopped_by, "an empty stop token"
            continue
        if line.startswith("::"):
            executed.append(line)
    assert stopped_by is None, "the output ends with commands still stopped"
    return executed


def test_no_checked_content_becomes_a_workflow_command(tmp_path):
    root = hostile_project(tmp_path)
    result = check([], resolve_config([str(root)]).with_overrides(jobs=1))
    paths = {f.location.path for f in result.findings}
    assert set(HOSTILE_FILES) <= paths, paths  # every hostile field is in the report
    out = github.render(result)
    executed = runner_commands(out)
    # exactly one annotation per finding, and each carries the finding's own fields
    assert len(executed) == len(result.findings)
    for line, f in zip(executed, result.findings):
        kind, props, message = _parse(line)
        assert kind == {"error": "error", "warning": "warning"}[f.severity.value]
        assert props["file"].replace("\\x1b", "\x1b").replace("\\x07", "\x07").replace(
            "\\u2028", "\u2028") == f.location.path
        assert props["title"] == f.code and props["line"] == str(f.location.span.line)
        assert message.startswith(f"{f.name}: ")
    # the forged text is still shown (inside the guarded report), never executed
    assert FORGED in out and "sqlforged" in out and "phase title" in out
    assert "\x1b" not in out and "\u2028" not in out


def test_the_stop_token_cannot_occur_in_the_text_it_guards(tmp_path):
    root = hostile_project(tmp_path)
    result = check([], resolve_config([str(root)]).with_overrides(jobs=1))
    out = github.render(result)
    start = [ln for ln in out.splitlines() if ln.startswith("::stop-commands::")]
    assert len(start) == 1
    token = start[0].split("::")[2]
    assert len(token) == 64 and out.count(token) == 2 and out.endswith(f"::{token}::\n")
    assert github.render(result) == out  # deterministic: the token is the text's hash
    # a text that names a token ends guarding elsewhere: a different token is chosen
    assert github.stop_token("abc") != github.stop_token("abc\n")


def test_cli_github_output_executes_only_the_annotations(cli, tmp_path):
    root = hostile_project(tmp_path)
    code, stdout, _ = cli("check", "--no-cache", "--format", "github", cwd=root)
    assert code == 1
    executed = runner_commands(stdout)
    assert len(executed) == len(HOSTILE_FILES)
    assert sorted(_parse(c)[1]["title"] for c in executed) == sorted(
        ["J101"] * (len(HOSTILE_FILES) - 1) + ["J201"])
