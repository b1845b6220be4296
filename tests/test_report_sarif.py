"""SARIF output: valid against the official 2.1.0 schema, relative URIs, exact 1-based regions,
rules GitHub accepts, line-free fingerprints (the same ones a baseline records); and several
reports written by one run.
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from urllib.parse import unquote

import pytest

from obs_lint.api import check, resolve_config
from obs_lint.baseline import entries_of
from obs_lint.report import sarif
from obs_lint.types import Location, Suppressed

from conftest import FIXTURES
from ecosystem_project import make_project, write

SCHEMA_DIR = Path(__file__).resolve().parents[2] / "shared" / "schemas"
SCHEMA_FILE = SCHEMA_DIR / "sarif-schema-2.1.0.json"


@pytest.fixture(scope="module")
def validator():
    if not SCHEMA_FILE.is_file():
        pytest.skip(f"the official SARIF schema is not available at {SCHEMA_FILE} (CI places a "
                    "copy of shared/ beside the checkout; it is never copied into the repo)")
    jsonschema = pytest.importorskip("jsonschema", reason="jsonschema is a [test] dependency")
    schema = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema, format_checker=cls.FORMAT_CHECKER)


def _sarif(root: Path, *paths: str) -> tuple[dict, object]:
    config = resolve_config([str(root)])
    result = check([], config, report_paths=list(paths) or None)
    return json.loads(sarif.render(result)), result


def _assert_valid(validator, doc: dict) -> None:
    errors = sorted(validator.iter_errors(doc), key=lambda e: list(e.path))
    assert not errors, "\n".join(f"{list(e.path)}: {e.message}" for e in errors[:10])


def _region_text(root: Path, result_obj: dict) -> str:
    loc = result_obj["locations"][0]["physicalLocation"]
    path = root / unquote(loc["artifactLocation"]["uri"])
    r = loc["region"]
    lines = path.read_text(encoding="utf-8").splitlines()
    assert r["startLine"] == r["endLine"], "single-line regions in these samples"
    return lines[r["startLine"] - 1][r["startColumn"] - 1:r["endColumn"] - 1]


@pytest.fixture
def project(tmp_path):
    root = make_project(tmp_path)
    write(root, "src/agents/obs/agent.py", '"""No tracing any more."""\n\n\nasync def run(c):\n'
                                          "    return c\n")
    write(root, "src/legacy/old stuff%.py", "def f():\n    import os, mlflow.tracking as mt\n"
                                            "    return mt\n")
    write(root, "src/broken.py", "def broken(:\n    import mlflow\n")
    return root


def test_sarif_validates_against_the_official_schema(validator, project):
    doc, result = _sarif(project)
    assert len(result.findings) == 3  # nested import, project-level, parse error
    _assert_valid(validator, doc)


def test_e2i_sample_validates_too(validator):
    doc, result = _sarif(FIXTURES / "e2i_sample")
    assert doc["runs"][0]["results"], "the sample has deliberate violations"
    _assert_valid(validator, doc)


def test_a_clean_project_is_valid_sarif_with_no_results(validator, tmp_path):
    doc, result = _sarif(make_project(tmp_path))
    assert doc["runs"][0]["results"] == []
    assert doc["runs"][0]["invocations"] == [{"executionSuccessful": True}]
    _assert_valid(validator, doc)


def test_uris_are_relative_to_srcroot_and_percent_encoded(project):
    doc, _ = _sarif(project)
    run = doc["runs"][0]
    # the base is described, never a local absolute path: the file is the same everywhere
    base = run["originalUriBaseIds"]["%SRCROOT%"]
    assert "uri" not in base and base["description"]["text"]
    assert str(project) not in json.dumps(doc) and str(project.resolve()) not in json.dumps(doc)
    uris = []
    for res in run["results"]:
        art = res["locations"][0]["physicalLocation"]["artifactLocation"]
        assert art["uriBaseId"] == "%SRCROOT%"
        assert not art["uri"].startswith(("/", "file:")) and str(project) not in art["uri"]
        assert (project / unquote(art["uri"])).is_file()
        uris.append(art["uri"])
    assert "src/legacy/old%20stuff%25.py" in uris


def test_regions_are_one_based_and_cover_the_offending_code(project):
    doc, _ = _sarif(project)
    [nested] = [r for r in doc["runs"][0]["results"] if "legacy" in
                r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]]
    region = nested["locations"][0]["physicalLocation"]["region"]
    assert region["startLine"] == 2 and region["startColumn"] == 5  # 4 spaces of indentation
    assert _region_text(project, nested) == "import os, mlflow.tracking as mt"


def test_project_level_finding_sits_at_line_1_of_the_file_it_concerns(project):
    doc, _ = _sarif(project)
    [missing] = [r for r in doc["runs"][0]["results"] if r["ruleId"] == "LOC101"]
    loc = missing["locations"][0]["physicalLocation"]
    assert loc["artifactLocation"]["uri"] == "src/agents/obs/__init__.py"
    assert loc["region"]["startLine"] == 1 and loc["region"]["startColumn"] == 1
    assert missing["level"] == "error"


def test_rules_carry_what_github_requires_and_results_point_at_them(project):
    doc, _ = _sarif(project)
    driver = doc["runs"][0]["tool"]["driver"]
    assert driver["name"] == "obs-lint" and driver["semanticVersion"]
    rules = driver["rules"]
    for rule in rules:
        assert rule["shortDescription"]["text"] and rule["fullDescription"]["text"]
        assert rule["help"]["text"]
        assert rule["defaultConfiguration"]["level"] in ("error", "warning", "note")
    by_id = {r["id"]: r for r in rules}
    assert by_id["LOC201"]["properties"]["phase"] == "1"
    assert "mlflow" in by_id["LOC201"]["properties"]["tags"]
    assert "Only the connector may import" in by_id["LOC201"]["fullDescription"]["text"]
    assert "from src.mlops.mlflow_connector import Connector" in by_id["LOC201"]["help"]["text"]
    assert "OBS001" in by_id  # built-in rules are described: parse errors are results too
    for res in doc["runs"][0]["results"]:
        assert rules[res["ruleIndex"]]["id"] == res["ruleId"]
    [parse] = [r for r in doc["runs"][0]["results"] if r["ruleId"] == "OBS001"]
    assert parse["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "src/broken.py"


def _fingerprints(doc: dict) -> dict[str, str]:
    return {r["ruleId"]: r["partialFingerprints"]["obsLint/v1"] for r in doc["runs"][0]["results"]}


def test_fingerprints_survive_inserted_lines_and_match_the_baseline(project):
    doc, result = _sarif(project)
    before = _fingerprints(doc)
    assert all(":" in fp and fp.rsplit(":", 1)[1].isdigit() for fp in before.values())
    assert {e.rule: e.fingerprint for e in entries_of(result.findings)} == before
    path = project / "src/legacy/old stuff%.py"
    path.write_text("# a header comment\n\n\nX = 1\n" + path.read_text(encoding="utf-8"),
                    encoding="utf-8")
    doc2, _ = _sarif(project)
    after = _fingerprints(doc2)
    moved = [r for r in doc2["runs"][0]["results"] if r["ruleId"] == "LOC201"][0]
    assert moved["locations"][0]["physicalLocation"]["region"]["startLine"] == 6
    assert after == before


def test_second_identical_violation_gets_its_own_fingerprint(project):
    write(project, "src/twice.py", "def a():\n    import mlflow\n\n\ndef b():\n    import mlflow\n")
    doc, _ = _sarif(project, str(project / "src/twice.py"))
    fps = [r["partialFingerprints"]["obsLint/v1"] for r in doc["runs"][0]["results"]]
    assert len(fps) == 2 and fps[0].split(":")[0] == fps[1].split(":")[0]
    assert sorted(fp.split(":")[1] for fp in fps) == ["0", "1"]


# -- several reports from one run ------------------------------------------------------------

def test_one_run_writes_sarif_junit_and_text(cli, project, tmp_path, validator):
    out = tmp_path / "out"
    out.mkdir()
    code, stdout, stderr = cli("check", "--format", f"sarif:{out}/a.sarif", "--format",
                               f"junit:{out}/a.xml", "--format", "text", cwd=project)
    assert code == 1, stderr
    _assert_valid(validator, json.loads((out / "a.sarif").read_text(encoding="utf-8")))
    assert (out / "a.xml").read_text(encoding="utf-8").startswith("<?xml")
    assert "Found 3 findings" in stdout  # the text report went to stdout


def test_repeated_format_and_output_pair_by_position(cli, project, tmp_path):
    code, stdout, stderr = cli("check", "--format", "json", "--output", str(tmp_path / "r.json"),
                               "--format", "sarif", "--output", str(tmp_path / "r.sarif"),
                               cwd=project)
    assert code == 1 and stdout == ""
    assert "findings" in json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))
    assert json.loads((tmp_path / "r.sarif").read_text(encoding="utf-8"))["version"] == "2.1.0"


@pytest.mark.parametrize("args, message", [
    (("--format", "text", "--format", "sarif", "--output", "x.sarif"),
     "1 --output for 2 --format without a file"),
    (("--format", "text", "--format", "json"), "only one report can go to stdout"),
    (("--format", "sarf"), "did you mean 'sarif'"),
    (("--format", "sarif:"), "missing file name"),
    (("--format", "sarif:same", "--format", "json:same"), "same file"),
])
def test_ambiguous_format_output_combinations_are_usage_errors(cli, project, args, message):
    code, stdout, stderr = cli("check", *args, cwd=project)
    assert code == 2 and message in stderr and stdout == ""
    assert len(stderr.strip().splitlines()) == 1 and "Traceback" not in stderr


def test_the_schema_check_is_not_vacuous(validator, project):
    doc, _ = _sarif(project)
    region = doc["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["region"]
    region["startLine"] = 0  # SARIF lines are 1-based: a 0-based converter would produce this
    assert list(validator.iter_errors(doc))


# -- silenced findings are listed as suppressed, not dropped ---------------------------------

SUPPRESSING_CONFIG = """\
packs: []
per-file-ignores: {"c.py": ["L1"]}
rules:
  - {code: L1, name: no-requests, phase: null, severity: error,
     message: use the shared HTTP client, check: {kind: forbid-import, modules: [requests]}}
"""


def _silencing_project(tmp_path: Path) -> Path:
    root = tmp_path / "s"
    write(root, ".obs-lint.yaml", SUPPRESSING_CONFIG)
    write(root, "a.py", "import requests  # obs-lint: ignore[L1]\n")
    write(root, "b.py", "# obs-lint: skip-file\nimport requests\n")
    write(root, "c.py", "import requests\n")
    write(root, "d.py", "import requests\n")
    write(root, "e.py", "import requests\n")
    return root


def _by_path(doc: dict) -> dict[str, dict]:
    out = {}
    for r in doc["runs"][0]["results"]:
        uri = r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
        assert uri not in out
        out[uri] = r
    return out


def test_suppressed_and_baselined_findings_are_results_with_suppressions(validator, tmp_path):
    root = _silencing_project(tmp_path)
    config = resolve_config([str(root)])
    first = check([], config)
    accepted = entries_of([f for f in first.findings if f.location.path == "d.py"])
    result = check([], config, baseline=accepted)
    assert [f.location.path for f in result.findings] == ["e.py"]
    doc = json.loads(sarif.render(result))
    _assert_valid(validator, doc)
    got = {path: [(s["kind"], s.get("status")) for s in r.get("suppressions", [])]
           for path, r in _by_path(doc).items()}
    assert got == {
        "e.py": [],  # reported
        "a.py": [("inSource", None)],  # ignore comment
        "c.py": [("external", "accepted")],  # per-file-ignores
        "d.py": [("external", "accepted")],  # the baseline
    }  # b.py (skip-file) is never analysed: no finding to list
    assert all(r["ruleId"] == "L1" for r in doc["runs"][0]["results"])
    # a finding in a skip-file file (a project-level one can land there) is inSource too
    skipped = Suppressed(replace(result.findings[0], location=Location("b.py")), "skip-file")
    doc = json.loads(sarif.render(replace(result, suppressed=(skipped,))))
    _assert_valid(validator, doc)
    assert _by_path(doc)["b.py"]["suppressions"][0]["kind"] == "inSource"


def test_a_suppressed_finding_keeps_the_fingerprint_it_had(tmp_path):
    root = _silencing_project(tmp_path)
    silenced, _ = _sarif(root)
    write(root, "a.py", "import requests\n")
    plain, _ = _sarif(root)
    key = sarif.FINGERPRINT_KEY
    before = _by_path(silenced)["a.py"]
    after = _by_path(plain)["a.py"]
    assert "suppressions" in before and "suppressions" not in after
    assert before["partialFingerprints"][key] == after["partialFingerprints"][key]


def test_suppressed_results_follow_the_selected_paths(tmp_path):
    root = _silencing_project(tmp_path)
    doc, result = _sarif(root, str(root / "a.py"))
    assert set(_by_path(doc)) == {"a.py"}
    assert result.findings == () and len(result.suppressed) == 1
