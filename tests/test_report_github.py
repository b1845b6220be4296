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
    out = github.render(result).splitlines()
    commands = [line for line in out if line.startswith("::")]
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


def test_cli_github_format_exit_status(cli, tmp_path):
    root = _project(tmp_path)
    code, stdout, _ = cli("check", "--format", "github", cwd=root)
    assert code == 1 and stdout.startswith("::error file=src/odd%2Cname%3Av2.py")
