"""Baselines: create / check / update, stability when code moves, stale entries, bad files."""

from __future__ import annotations

import json

import pytest

from obs_lint.api import check, resolve_config
from obs_lint.baseline import dumps, entries_of, load
from obs_lint.errors import UsageError
from obs_lint.types import Status

from ecosystem_project import make_project, write

LEGACY = '''"""Legacy module: two identical raw imports and one aliased."""


def first():
    import mlflow
    return mlflow


def second():
    import mlflow
    return mlflow


import mlflow.tracking as mt
'''


@pytest.fixture
def project(tmp_path):
    root = make_project(tmp_path)
    write(root, "src/legacy.py", LEGACY)
    write(root, "src/other.py", "from mlflow import log_param\n")
    write(root, "src/agents/obs/agent.py", "def run(c):\n    return c\n")  # no trace_agent
    return root


def _baseline(root):
    return json.loads((root / ".obs-lint-baseline.json").read_text(encoding="utf-8"))


def test_create_records_every_finding_sorted_and_line_free(cli, project):
    code, out, err = cli("baseline", "create", cwd=project)
    assert code == 0, err
    assert "Recorded 5 findings" in out
    data = _baseline(project)
    assert data["version"] == 1 and len(data["entries"]) == 5
    keys = [(e["path"], e["rule"], e["fingerprint"]) for e in data["entries"]]
    assert keys == sorted(keys)
    assert all(set(e) == {"rule", "name", "path", "fingerprint", "message"}
               for e in data["entries"])
    legacy = [e["fingerprint"] for e in data["entries"] if e["path"] == "src/legacy.py"]
    hashes = [fp.split(":")[0] for fp in legacy]
    assert len(legacy) == 3 and len(set(hashes)) == 2  # the two identical imports share a hash
    assert sorted(fp.split(":")[1] for fp in legacy) == ["0", "0", "1"]
    text = (project / ".obs-lint-baseline.json").read_text(encoding="utf-8")
    assert text == dumps(load(str(project / ".obs-lint-baseline.json")))  # stable rendering
    assert '"line"' not in text


def test_check_with_the_baseline_reports_nothing_but_phases_still_fail(cli, project):
    """The baseline accepts findings, it does not fix them: the run passes (no new finding),
    the phases whose rules are violated still FAIL with the accepted count beside them."""
    cli("baseline", "create", cwd=project)
    code, out, err = cli("check", "--baseline", ".obs-lint-baseline.json", "--format", "json",
                         cwd=project)
    assert code == 0, out + err
    doc = json.loads(out)
    assert doc["findings"] == [] and doc["summary"]["baselined"] == 5
    assert [p["status"] for p in doc["phases"]] == ["fail", "fail", "n/a"]
    assert sum(p["baselined"] for p in doc["phases"]) == 5
    assert doc["summary"]["exit_status"] == 0 and "accepted by the baseline" in \
        doc["summary"]["explanation"]
    assert doc["stale_baseline"] == []


def test_moving_code_does_not_resurrect_baselined_findings(cli, project):
    cli("baseline", "create", cwd=project)
    # new lines at the top, the two functions swapped, the aliased import moved up
    (project / "src/legacy.py").write_text(
        '"""Legacy module, reorganised."""\n# a new header\nimport os\n'
        "import mlflow.tracking as mt\n\n\n"
        "def second():\n    import mlflow\n    return mlflow\n\n\n"
        "def first():\n    x = os.sep\n    import mlflow\n    return mlflow, x\n",
        encoding="utf-8")
    write(project, "src/other.py", "\n\n\n\nfrom mlflow import log_param\n")
    result = check([], resolve_config([str(project)]))
    moved = sorted(f.location.span.line for f in result.findings
                   if f.location.path == "src/legacy.py")
    assert moved == [4, 8, 14]  # were 5, 10, 14: every one moved or changed order
    code, out, err = cli("check", "--baseline", ".obs-lint-baseline.json", cwd=project)
    assert code == 0, out + err
    assert "Found 0 findings" in out and "5 in the baseline" in out


def test_a_third_identical_violation_is_new(cli, project):
    cli("baseline", "create", cwd=project)
    with open(project / "src/legacy.py", "a", encoding="utf-8") as fh:
        fh.write("\n\ndef third():\n    import mlflow\n    return mlflow\n")
    code, out, _ = cli("check", "--baseline", ".obs-lint-baseline.json", cwd=project)
    assert code == 1
    assert [line for line in out.splitlines() if "LOC201" in line] == [
        "src/legacy.py:18:5: LOC201 [no-raw-mlflow] error: raw mlflow import outside the "
        "connector: `import mlflow` imports `mlflow`"]


def test_fixed_findings_are_listed_stale_and_strict_mode_fails(cli, project):
    cli("baseline", "create", cwd=project)
    write(project, "src/other.py", "VALUE = 1\n")
    code, out, err = cli("check", "--baseline", ".obs-lint-baseline.json", cwd=project)
    assert code == 0
    assert "1 baseline entry no longer occurs " in err
    assert "src/other.py: LOC201 [no-raw-mlflow]" in err
    code, _, _ = cli("check", "--baseline", ".obs-lint-baseline.json", "--strict-baseline",
                     cwd=project)
    assert code == 1


def test_update_prunes_fixed_entries_and_never_adds(cli, project):
    cli("baseline", "create", cwd=project)
    write(project, "src/other.py", "VALUE = 1\n")
    write(project, "src/new.py", "import mlflow\n")
    code, out, err = cli("baseline", "update", cwd=project)
    assert code == 0 and "Removed 1 entry" in out and "4 remain" in out
    assert "1 finding not in the baseline" in err
    paths = [e["path"] for e in _baseline(project)["entries"]]
    assert "src/other.py" not in paths and "src/new.py" not in paths
    code, out, _ = cli("check", "--baseline", ".obs-lint-baseline.json", "--strict-baseline",
                       cwd=project)
    assert code == 1 and "src/new.py:1:1: LOC201" in out


def test_selection_does_not_make_other_files_entries_stale(cli, project):
    cli("baseline", "create", cwd=project)
    code, out, err = cli("check", "--baseline", ".obs-lint-baseline.json", "--strict-baseline",
                         "src/other.py", cwd=project)
    assert code == 0 and "no longer occur" not in err
    code, out, err = cli("check", "--baseline", ".obs-lint-baseline.json", "--strict-baseline",
                         "--select", "LOC101", cwd=project)
    assert code == 0 and "no longer occur" not in err  # LOC201 entries: rule not active


def test_baselined_rule_keeps_its_status_and_internal_errors_are_never_recorded(project):
    config = resolve_config([str(project)])
    result = check([], config)
    entries = entries_of(result.findings)
    after = check([], config, baseline=entries)
    assert [c.status for c in after.checks] == [c.status for c in result.checks]
    assert Status.FAIL in [c.status for c in after.checks]
    assert all(c.findings == () and c.baselined == len(before.findings)
               for c, before in zip(after.checks, result.checks))
    assert len(after.baselined) == len(result.findings)


def test_create_refuses_to_overwrite_and_bad_files_are_errors(cli, project):
    cli("baseline", "create", cwd=project)
    code, _, err = cli("baseline", "create", cwd=project)
    assert code == 2 and "already exists" in err
    assert cli("baseline", "create", "--force", cwd=project)[0] == 0
    bad = project / "bad.json"
    bad.write_text('{"version": 1, "entries": [\n{"rule": 1}\n]}\n', encoding="utf-8")
    code, _, err = cli("check", "--baseline", "bad.json", cwd=project)
    assert code == 2 and "bad.json: entries[0] needs string fields" in err
    bad.write_text("{not json", encoding="utf-8")
    code, _, err = cli("check", "--baseline", "bad.json", cwd=project)
    assert code == 2 and "bad.json:1: baseline is not valid JSON" in err
    code, _, err = cli("check", "--baseline", "missing.json", cwd=project)
    assert code == 2 and "missing.json: baseline file not found" in err
    bad.write_text('{"version": 9, "entries": []}', encoding="utf-8")
    with pytest.raises(UsageError, match="unsupported baseline version 9"):
        load(str(bad))
    code, _, err = cli("check", "--strict-baseline", cwd=project)
    assert code == 2 and "--strict-baseline needs --baseline" in err
