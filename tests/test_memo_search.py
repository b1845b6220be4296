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
