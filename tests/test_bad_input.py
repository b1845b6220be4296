"""Bad input never crashes a run and never loses a result (foundation issue, item 10).

``fixtures/bad_input/`` is a project whose files do not parse or decode (Python 2 syntax, an
unterminated string, invalid UTF-8 without a coding header, NUL bytes, UTF-16) next to files
that are unusual but valid (UTF-8 BOM, CRLF, tabs, a latin-1 coding header, an empty file,
Python 3.12 syntax) and a sibling with a real violation. The generic fixture runner
(``test_fixtures.py``) already compares its findings with the annotations; the tests here go
through the command line and pin down what the issue promises about each case: the parser's
message and line, the exit status, and that nothing else is lost.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

import obs_lint.facts as facts
from obs_lint.types import FileKind

from conftest import FIXTURES

TREE = FIXTURES / "bad_input"


def _json(cli, root: Path, *args: str) -> tuple[int, dict, str]:
    code, out, err = cli("check", str(root), "--format", "json", "--no-cache", *args, cwd=root)
    return code, json.loads(out), err


def _by_path(report: dict) -> dict[str, list[tuple[str, int, int, str]]]:
    out: dict[str, list[tuple[str, int, int, str]]] = {}
    for f in report["findings"]:
        out.setdefault(f["path"], []).append((f["name"], f["line"], f["column"], f["message"]))
    return out


@pytest.fixture
def tree(tmp_path) -> Path:
    """A private copy, so runs here never write into the repository."""
    return Path(shutil.copytree(TREE, tmp_path / "bad_input",
                                ignore=shutil.ignore_patterns(".obs-lint-cache")))


@pytest.mark.parametrize("prefilter", [[], ["--no-prefilter"]], ids=["prefilter", "no-prefilter"])
def test_undecodable_and_unparsable_files_are_parse_errors_with_the_parsers_line(
        cli, tree, prefilter):
    code, report, err = _json(cli, tree, *prefilter)
    got = _by_path(report)
    expected = {
        "python2_print.py": ("parse-error", 4, "Missing parentheses in call to 'print'"),
        "unterminated_string.py": ("parse-error", 2, "unterminated string literal"),
        "invalid_utf8.py": ("parse-error", 3, "cannot decode: invalid utf-8 byte b'\\xe9'"),
        "nul_bytes.py": ("parse-error", 2, "cannot decode: file contains NUL bytes"),
        "utf16_bom.py": ("parse-error", 1, "UTF-16"),
    }
    for path, (name, line, fragment) in expected.items():
        assert len(got.get(path, [])) == 1, (path, got.get(path))
        (g_name, g_line, _col, g_msg), = got[path]
        assert (g_name, g_line) == (name, line), (path, got[path])
        assert fragment in g_msg, (path, g_msg)
    # a file that does not parse hides nothing else: the sibling's violation is reported
    assert got["sibling_violation.py"] == [
        ("no-mlflow", 3, 1, "raw mlflow import: `import mlflow` imports `mlflow`")]
    assert code == 1, "parse errors are findings (exit 1), not engine failures (exit 2)"
    assert err == ""


def test_bom_crlf_tabs_latin1_empty_and_new_syntax_files_are_checked_normally(cli, tree):
    code, report, _ = _json(cli, tree)
    got = _by_path(report)
    lines = {path: [(n, line, col) for n, line, col, _ in fs] for path, fs in got.items()}
    assert lines["bom.py"] == [("no-mlflow", 1, 1)], "the BOM must not shift columns"
    assert lines["crlf.py"] == [("no-mlflow", 4, 1)], "CRLF is one line break, not two"
    assert lines["tabs.py"] == [("no-mlflow", 3, 2), ("no-mlflow", 5, 3)]
    assert lines["latin1_header.py"] == [("no-mlflow", 4, 1)]
    assert lines["py312_syntax.py"] == [("no-mlflow", 11, 1)]
    assert "empty.py" not in got
    assert code == 1


def test_a_project_of_broken_files_is_never_a_silent_pass(cli, tree):
    for keep_out in ("sibling_violation.py", "bom.py", "crlf.py", "tabs.py", "latin1_header.py",
                     "py312_syntax.py"):
        (tree / keep_out).unlink()
    code, report, _ = _json(cli, tree)
    (check,) = [c for p in report["phases"] for c in p["checks"]]
    assert check["status"] == "unknown"
    assert "could not decide" in check["note"]
    assert [p["status"] for p in report["phases"]] == ["fail"]
    assert {f["name"] for f in report["findings"]} == {"parse-error"}
    assert code == 1


def test_a_vanished_file_is_a_read_error_and_the_others_still_count(cli, tree, monkeypatch):
    """The file really disappears between discovery and reading (discovery is wrapped)."""
    import obs_lint.api as api

    real_discover = api.discover

    def discover_then_delete(*args, **kwargs):
        files = real_discover(*args, **kwargs)
        (tree / "crlf.py").unlink()
        return files

    monkeypatch.setattr(api, "discover", discover_then_delete)
    code, report, _ = _json(cli, tree)
    got = _by_path(report)
    assert got["crlf.py"] == [("read-error", 1, 1, "file vanished before it could be read")]
    assert ("no-mlflow", 3, 1) in [(n, ln, c) for n, ln, c, _ in got["sibling_violation.py"]]
    assert code == 1


def test_an_engine_bug_on_one_file_is_an_internal_error_finding_and_exit_2(cli, tree,
                                                                          monkeypatch):
    real = facts.EXTRACTORS[FileKind.PYTHON]

    def buggy(path, text, **options):
        if path == "tabs.py":
            raise KeyError("simulated engine bug")
        return real(path, text, **options)

    monkeypatch.setitem(facts.EXTRACTORS, FileKind.PYTHON, buggy)
    code, report, err = _json(cli, tree, "--jobs", "1")
    got = _by_path(report)
    ((name, line, _col, msg),) = got["tabs.py"]
    assert (name, line) == ("internal-error", 1)
    assert "KeyError" in msg and "simulated engine bug" in msg
    # the output still lists every other finding
    assert len(got["sibling_violation.py"]) == 1 and len(got["python2_print.py"]) == 1
    assert code == 2
    assert err.count("\n") == 1 and err.startswith("obs-lint: error: tabs.py: ")
    assert "Traceback" not in err


@pytest.mark.parametrize("after", ["", "# a comment\n", "\n\n# two blank lines, a comment\n"],
                         ids=["bare", "comment", "blank-lines"])
def test_a_parse_error_stays_on_its_line_whatever_follows_it(after):
    """libcst places its error where the next token's leading trivia begins, so comments and
    blank lines after the mistake used to move the finding onto them (line 4, a comment, for a
    mistake on line 2). The mistake's own line is reported, however the file goes on."""
    text = "import requests\ndef broken(:\n    pass\n" + after
    _payload, problems = facts.EXTRACTORS[FileKind.PYTHON]("src/bad.py", text)
    assert [(p.rule, p.span.line) for p in problems] == [("parse-error", 2)]
