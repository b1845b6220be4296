"""What a run imports: a warm run neither libcst, pglast nor any check kind; an edit only the
kinds of the rules that run again.

Start-up is most of a warm run, and importing libcst (~0.3 s), pglast (via the SQL facts and the
``sql-schema``/``db-contract`` kinds) and the 18 check-kind modules was most of start-up. Each
is imported on first use: the check kinds through ``checks.REGISTRY`` (planning reads their
``RulePlan``, cached with the rule set: ``plan.build_plan``), pglast only by the SQL extractor
(cached SQL facts decode from ``facts/sql_types.py``), libcst only by the Python extractor.
Asserted on fresh interpreters (a test process has imported everything already), never timed.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from pipeline_runs import SAMPLE, copy_project

PROBE = """\
import json, sys
from obs_lint.cli import main
from obs_lint.checks import REGISTRY
try:
    main(sys.argv[1:])
except SystemExit:
    pass
heavy = sorted(m for m in ("libcst", "pglast") if m in sys.modules)
kinds = sorted(m.rsplit(".", 1)[1] for m in sys.modules if m.startswith("obs_lint.checks.")
               and m.rsplit(".", 1)[1] not in ("base",))
print(json.dumps({"heavy": heavy, "kinds": sorted(REGISTRY.loaded()), "modules": kinds}),
      file=sys.stderr)
"""


def _run(root: Path, *args: str) -> tuple[dict, str]:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    done = subprocess.run([sys.executable, "-c", PROBE, "check", str(root), "--format", "json",
                           "--exit-zero", "--jobs", "1", *args], capture_output=True,
                          text=True, env=env, timeout=600)
    probe = json.loads(done.stderr.strip().splitlines()[-1])
    return probe, done.stdout


def test_a_warm_run_imports_no_parser_and_no_check_kind(tmp_path):
    root = copy_project(SAMPLE, tmp_path / "p")
    cold, cold_out = _run(root)
    assert cold["heavy"] == ["libcst", "pglast"] and len(cold["kinds"]) >= 8  # control
    warm, warm_out = _run(root)
    assert warm == {"heavy": [], "kinds": [], "modules": []}
    assert json.loads(warm_out) == json.loads(cold_out)


def test_an_edit_imports_only_the_kinds_that_run_again(tmp_path):
    root = copy_project(SAMPLE, tmp_path / "p")
    _run(root)
    sql = sorted(root.rglob("*.sql"))[0]
    # a fact changes (a comment alone would re-run no rule: rules key on facts, not text)
    sql.write_text(sql.read_text() + "\nCREATE TABLE obs_lint_probe (id integer);\n")
    probe, _ = _run(root)
    # only SQL rules read SQL files: no Python parser, and the kinds of SQL-reading rules
    assert "libcst" not in probe["heavy"] and "pglast" in probe["heavy"]
    assert set(probe["kinds"]) <= {"sql-schema", "db-contract"}, probe
    assert "sql-schema" in probe["kinds"]
