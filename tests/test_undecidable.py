"""When a broken file makes a rule undecidable, and when it does not.

A file that cannot be parsed hides its constructs, so a presence rule cannot pass while such a
file is in its scope (it says UNKNOWN). But a broken file whose text holds none of the rule's
patterns cannot contain what the rule looks for (the prefilter's own argument: absent text,
absent construct), so the rule decides without it. The verdict must not depend on whether some
other rule happened to have the file parsed, on ``--no-prefilter``, or on the cache.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

CONFIG = """\
packs: []
rules:
  - code: T001
    name: must-trace
    severity: error
    message: every agent calls trace_agent()
    check: {kind: require-call, calls: ["*.trace_agent"], per: file}
  - code: T002
    name: no-raw-mlflow
    severity: error
    message: no raw mlflow import
    check: {kind: forbid-import, modules: [mlflow]}
"""
GOOD = "def run(c):\n    c.trace_agent('x')\n"


def _project(tmp_path: Path, broken: str) -> Path:
    root = tmp_path / "p"
    root.mkdir()
    (root / ".obs-lint.yaml").write_text(CONFIG)
    (root / "good.py").write_text(GOOD)
    (root / "broken.py").write_text(broken)
    return root


def _verdicts(cli, root: Path, *extra: str) -> tuple[str, list[tuple[str, str]]]:
    code, out, _ = cli("check", str(root), "--format", "json", *extra)
    assert code == 1, out  # the parse error is a finding in every case
    doc = json.loads(out)
    checks = [c for ph in doc["phases"] for c in ph["checks"]] + doc["unphased_checks"]
    status = {c["code"]: c["status"] for c in checks}["T001"]
    found = sorted((f["name"], f["path"]) for f in doc["findings"])
    return status, found


# the broken file holds "mlflow" (so T002 has it parsed) but never "trace_agent"
WITHOUT_TEXT = "import mlflow\ndef f(:\n"
# the broken file holds "trace_agent": what it calls cannot be known
WITH_TEXT = "def f(c):\n    c.trace_agent(\ndef g(:\n"


@pytest.mark.parametrize("extra", [(), ("--no-prefilter",), ("--no-cache",), ("--jobs", "2")])
def test_a_broken_file_without_the_rule_text_is_decided(cli, tmp_path, extra):
    root = _project(tmp_path, WITHOUT_TEXT)
    status, found = _verdicts(cli, root, *extra)
    assert status == "fail"
    assert ("must-trace", "broken.py") in found  # 0 calls to trace_agent there: a fact
    assert ("parse-error", "broken.py") in found


@pytest.mark.parametrize("extra", [(), ("--no-prefilter",), ("--no-cache",)])
def test_a_broken_file_with_the_rule_text_is_undecidable(cli, tmp_path, extra):
    root = _project(tmp_path, WITH_TEXT)
    status, found = _verdicts(cli, root, *extra)
    assert status == "unknown"
    assert ("must-trace", "broken.py") not in found
    assert ("parse-error", "broken.py") in found


def test_cold_and_warm_runs_agree_on_broken_files(cli, tmp_path):
    """A warm run does not read unchanged files; a broken one is read again for its texts."""
    root = _project(tmp_path, WITHOUT_TEXT)
    cold = cli("check", str(root), "--format", "json")
    warm = cli("check", str(root), "--format", "json")
    assert cold == warm
    (root / "broken.py").write_text(WITH_TEXT)
    assert _verdicts(cli, root)[0] == "unknown"
    (root / "broken.py").write_text(WITHOUT_TEXT)
    assert _verdicts(cli, root)[0] == "fail"
