"""The rule-result memo of a rule that searched the project's text (``reachability``: who
constructs this tracer?) depends on which files hold the searched words, not on every file.

Before, such a rule ran again after any edit anywhere (its memo entry depended on the digest
of every Python file). Now the entry records each searched word with the files holding it:
an edit elsewhere reuses the result, an edit that adds or removes the word, or changes a file
the rule consulted, runs it again (edits inside the rule's scope always do: its key holds
every file of its scope). Every run must print what a ``--no-cache`` run prints.
"""

from __future__ import annotations

import json
from pathlib import Path

import obs_lint.evaluate as memo  # evaluate_cached calls evaluate for what the memo lacks

PACK = """\
pack: {id: t, title: T}
phases: [{id: 1, title: P}]
rules:
  - code: T501
    name: tracers-used
    phase: 1
    severity: error
    message: a tracer nobody uses
    where: {include: ["src/tracing.py"]}
    check: {kind: reachability, symbols: ["*Tracer"]}
"""

FILES = {
    "src/__init__.py": "",
    "src/tracing.py": "class SpanTracer:\n    def start(self):\n        return 1\n",
    "src/app.py": "from src.tracing import SpanTracer\n\n\ndef run():\n    return SpanTracer()\n",
    "src/other.py": "def helper():\n    return 2\n",
    "pyproject.toml": "[project]\nname = 'x'\n",
}


def _project(tmp_path: Path) -> Path:
    for rel, text in FILES.items():
        p = tmp_path / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text)
    (tmp_path / "pack.yaml").write_text(PACK)
    return tmp_path


def _check(cli, root: Path, *extra: str) -> dict:
    code, out, err = cli("check", str(root), "--pack", str(root / "pack.yaml"), "--format",
                         "json", "--exit-zero", "--jobs", "1", *extra)
    assert code == 0, err
    doc = json.loads(out)
    doc.pop("stats", None)
    return doc


def _runs(monkeypatch) -> list[str]:
    ran: list[str] = []
    real = memo.evaluate

    def spy(plan, *a, **k):
        ran.extend(r.rule.code for r in plan.rules)
        return real(plan, *a, **k)

    monkeypatch.setattr(memo, "evaluate", spy)
    return ran


def test_an_edit_elsewhere_reuses_a_searching_rule(cli, tmp_path, monkeypatch):
    root = _project(tmp_path)
    ran = _runs(monkeypatch)
    first = _check(cli, root)
    assert ran == ["T501"] and first["findings"] == []  # control: it ran and SpanTracer is used
    ran.clear()
    (root / "src/other.py").write_text("def helper():\n    return 3  # edited\n")
    got = _check(cli, root)
    assert ran == [], "no file holding the searched words changed: the memo answers"
    assert got == _check(cli, root, "--no-cache") == first


def test_an_edit_that_removes_the_word_runs_it_again(cli, tmp_path, monkeypatch):
    root = _project(tmp_path)
    ran = _runs(monkeypatch)
    _check(cli, root)
    ran.clear()
    (root / "src/app.py").write_text("def run():\n    return None\n")
    got = _check(cli, root)
    assert ran == ["T501"]
    assert [f["rule"] for f in got["findings"]] == ["T501"]  # nothing constructs it any more
    assert got == _check(cli, root, "--no-cache")


def test_an_edit_that_adds_the_word_runs_it_again(cli, tmp_path, monkeypatch):
    root = _project(tmp_path)
    (root / "src/app.py").write_text("def run():\n    return None\n")
    ran = _runs(monkeypatch)
    assert [f["rule"] for f in _check(cli, root)["findings"]] == ["T501"]
    ran.clear()
    (root / "src/other.py").write_text(
        "from src.tracing import SpanTracer\n\n\ndef helper():\n    return SpanTracer()\n")
    got = _check(cli, root)
    assert ran == ["T501"] and got["findings"] == []
    assert got == _check(cli, root, "--no-cache")
    ran.clear()
    (root / "src/other.py").write_text(  # the consulted file changes (still a use)
        "from src.tracing import SpanTracer\n\n\ndef helper():\n    return [SpanTracer()]\n")
    assert _check(cli, root)["findings"] == [] and ran == ["T501"]



def test_a_files_key_part_is_its_facts_and_what_else_a_check_sees():
    """The rule key's share of one file (``memo._file_part``): the digest of its facts, not of
    its text, plus everything else of the file a check acts on (parsed, skipped, problems,
    which rule patterns a broken file holds, reach marks)."""
    from dataclasses import replace

    from obs_lint.cache.memo import _file_part
    from obs_lint.facts.model import FileFacts, Problem
    from obs_lint.types import FileKind

    f = FileFacts(path="src/a.py", kind=FileKind.PYTHON, digest="d1", parsed=True,
                  facts_digest="f1", problems=(Problem("parse-error", "x"),),
                  hits=frozenset({"requests"}))
    assert _file_part(replace(f, digest="d2")) == _file_part(f), "text changed, facts did not"
    for changed in (replace(f, facts_digest="f2"), replace(f, parsed=False),
                    replace(f, skip_file=True), replace(f, problems=()),
                    replace(f, hits=frozenset({"requests", "mlflow"})), replace(f, hits=None),
                    replace(f, marks=frozenset({"Tracer"}))):
        assert _file_part(changed) != _file_part(f), changed
    unparsed = replace(f, parsed=False, facts_digest="")
    assert _file_part(replace(unparsed, digest="d2")) != _file_part(unparsed), \
        "a file never parsed counts by its text"


def test_a_consulted_file_counts_by_its_full_facts_only():
    """A file a rule consulted (loaded with every fact) is recorded by the digest of its facts
    only when this run extracted every fact of it; imports-only facts (``imports:...``) are
    equal after an edit to a call, so such a file counts by its text."""
    from obs_lint.cache.memo import _dependency_id
    from obs_lint.facts.model import FileFacts
    from obs_lint.types import FileKind

    full = FileFacts(path="src/a.py", kind=FileKind.PYTHON, digest="d1", parsed=True,
                     facts_digest="f1")
    assert _dependency_id(full) == "Ff1"
    from dataclasses import replace
    assert _dependency_id(replace(full, facts_digest="imports:f1")) == "d1"
    assert _dependency_id(replace(full, facts_digest="")) == "d1"
    assert _dependency_id(replace(full, parsed=False)) == "d1"


BROKEN_PACK = """\
pack: {id: t, title: T}
phases: [{id: 1, title: P}]
rules:
  - code: T601
    name: no-mlflow
    phase: 1
    severity: error
    message: raw mlflow import
    check: {kind: forbid-import, modules: [mlflow]}
  - code: T602
    name: no-requests
    phase: 1
    severity: error
    message: raw requests import
    check: {kind: forbid-import, modules: [requests]}
"""


def test_a_comment_that_makes_a_broken_file_hold_a_pattern_runs_the_rule_again(cli, tmp_path,
                                                                               monkeypatch):
    """Rules key on a file's facts, not its text; but which rule patterns a *broken* file holds
    is text the engine acts on (a rule whose pattern occurs in a file it cannot parse is
    undecidable there), so a comment that adds one changes the rule's key. T602's pattern keeps
    the file parsed in both runs, and the parse error is the same: only T601's pattern hits
    differ."""
    (tmp_path / "src").mkdir()
    broken = "import requests\ndef broken(:\n    pass\n"
    (tmp_path / "src/bad.py").write_text(broken)
    (tmp_path / "pack.yaml").write_text(BROKEN_PACK)
    ran = _runs(monkeypatch)
    first = _check(cli, tmp_path)
    assert ran == ["T601", "T602"]
    status = {c["code"]: c["status"] for p in first["phases"] for c in p["checks"]}
    assert status == {"T601": "pass", "T602": "unknown"}, status
    ran.clear()
    (tmp_path / "src/bad.py").write_text(broken + "# import mlflow, maybe\n")
    got = _check(cli, tmp_path)
    # (T602 runs again too: a broken file's hits are the patterns of every rule covering it)
    assert "T601" in ran, "the broken file now holds T601's pattern: T601 is evaluated again"
    assert got == _check(cli, tmp_path, "--no-cache")
    status = {c["code"]: c["status"] for p in got["phases"] for c in p["checks"]}
    assert status == {"T601": "unknown", "T602": "unknown"}, status


CONSULT_PACK = PACK + """\
  - code: T502
    name: app-runs
    phase: 1
    severity: error
    message: the app must call SpanTracer
    where: {include: ["src/app.py"]}
    check: {kind: require-call, calls: ["SpanTracer"]}
"""


def test_a_comment_in_a_consulted_file_parsed_with_every_fact_reuses_the_result(
        cli, tmp_path, monkeypatch):
    """T501 consults ``src/app.py`` (it constructs the tracer); T502 makes the run parse that
    file with every fact, so the memo records it by its facts: a comment there runs neither
    rule again (T502's scope, T501's consulted file), and the report is unchanged."""
    root = _project(tmp_path)
    (root / "pack.yaml").write_text(CONSULT_PACK)
    ran = _runs(monkeypatch)
    first = _check(cli, root)
    assert sorted(ran) == ["T501", "T502"] and first["findings"] == []
    ran.clear()
    app = root / "src/app.py"
    app.write_text(app.read_text() + "# reviewed\n")
    got = _check(cli, root)
    assert ran == [], "no fact of the consulted file changed"
    assert got == _check(cli, root, "--no-cache") == first
    ran.clear()
    app.write_text(app.read_text().replace("return SpanTracer()", "return [SpanTracer()]"))
    assert _check(cli, root) == _check(cli, root, "--no-cache")
    assert "T501" in ran, "a fact of the consulted file changed: the rule runs again"
