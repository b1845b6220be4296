"""Configuration and pack errors a user can act on at once (issue 15, items 7 and 8): the line
of every pyproject.toml / .obs-lint.yaml error, every error of a broken pack in one run, and
the small wording and layout fixes."""

from __future__ import annotations

import json
import textwrap

import pytest

from obs_lint.configpos import toml_key_line

PYPROJECT = textwrap.dedent("""\
    [project]
    name = "demo"
    dependencies = [
        "requests",
        "jobs = 1",
    ]
    description = \"\"\"
    jobs = "not a key"
    \"\"\"

    [tool.ruff]
    jobs = 3

    [tool.obs-lint]
    packs = ["e2i"]
    "fail-on" = "warning"
    jobs = 2

    [tool.obs-lint.per-file-ignores]
    "scripts/*.py" = ["E2I201"]

    [[tool.obs-lint.rules]]
    code = "L1"

    [[tool.obs-lint.rules]]
    code = "L2"
    phase = 9
    """)


@pytest.mark.parametrize("path, line", [
    (("tool", "obs-lint"), 14),
    (("tool", "obs-lint", "packs"), 15),
    (("tool", "obs-lint", "fail-on"), 16),  # a quoted key
    (("tool", "obs-lint", "jobs"), 17),  # not the one under [tool.ruff], nor inside strings
    (("tool", "obs-lint", "per-file-ignores"), 19),
    (("tool", "obs-lint", "per-file-ignores", "scripts/*.py"), 20),
    (("tool", "obs-lint", "rules", 0), 22),
    (("tool", "obs-lint", "rules", 1), 25),
    (("tool", "obs-lint", "rules", 1, "phase"), 27),
    (("tool", "obs-lint", "nothing-here"), 14),  # falls back to the table
])
def test_toml_key_line(path, line):
    assert toml_key_line(PYPROJECT, path) == line


def test_dotted_and_inline_forms():
    text = 'tool.obs-lint.jobs = 2\n[tool]\nobs-lint = { packs = ["e2i"] }\n'
    assert toml_key_line(text, ("tool", "obs-lint", "jobs")) == 1
    assert toml_key_line('[tool]\nobs-lint = { packs = ["e2i"] }\n',
                         ("tool", "obs-lint", "packs")) == 2


def _pyproject(root, body: str):
    (root / "pyproject.toml").write_text("[project]\nname = 'x'\n\n" + body, encoding="utf-8")
    (root / "a.py").write_text("x = 1\n")
    return root


@pytest.mark.parametrize("body, message", [
    ("[tool.obs-lint]\npacks = ['e2i']\njobs = 'many'\n",
     "pyproject.toml:6: jobs must be int, got str"),
    ("[tool.obs-lint]\nexlude = ['x/']\n", "pyproject.toml:5: unknown key 'exlude' "
                                           "(did you mean 'exclude'?)"),
    ("[tool.obs-lint]\nfail-on = 'fatal'\n",
     "pyproject.toml:5: fail-on must be error or warning, got 'fatal'"),
    ("[tool.obs-lint.per-file-ignores]\n'scripts/*.py' = [1]\n",
     "pyproject.toml:5: per-file-ignores['scripts/*.py'] must be a list of strings"),
    ("[tool.obs-lint]\npacks = ['e2i'\n", "pyproject.toml:5: invalid TOML: Unclosed array at "
                                          "the end of the file"),
    ("[tool.obs-lint]\npacks = [e2i]\n", "pyproject.toml:5: invalid TOML: Invalid value "
                                         "(column 10)"),
])
def test_pyproject_errors_name_the_line(cli, tmp_path, body, message):
    code, _, err = cli("check", cwd=_pyproject(tmp_path, body))
    assert code == 2
    assert err.startswith(f"obs-lint: error: {message}"), err
    assert len(err.splitlines()) == 1 and "Traceback" not in err


def test_yaml_config_errors_name_the_line(cli, tmp_path):
    (tmp_path / ".obs-lint.yaml").write_text("packs: [e2i]\n\nper-file-ignores:\n"
                                             "  'a/*.py': [1]\n")
    (tmp_path / "a.py").write_text("x = 1\n")
    code, _, err = cli("check", cwd=tmp_path)
    assert code == 2 and err.startswith(
        "obs-lint: error: .obs-lint.yaml:4: per-file-ignores['a/*.py'] must be a list")


BROKEN_PACK = """\
pack: {id: mine, title: Mine}
phases:
  - {id: 1, title: One}
  - {id: 1, title: Again}
rules:
  - {code: M101, name: one, phase: 1, severity: fatal, message: m,
     check: {kind: forbid-import, modules: [x]}}
  - {code: M102, name: two, phase: 7, severity: error, message: m,
     check: {kind: forbid-import, modules: [x]}}
  - {code: M103, name: three, phase: 1, severity: error, message: m,
     check: {kind: forbid-imports, modules: [x]}}
  - {code: M104, name: four, phase: 1, severity: error, message: m,
     check: {kind: forbid-import, modules: [x]}}
  - {code: M104, name: five, phase: 1, severity: error, message: m,
     check: {kind: forbid-import, modules: [x]}}
"""


def test_every_error_of_a_broken_pack_is_reported_at_once(cli, tmp_path):
    (tmp_path / "pack.yaml").write_text(BROKEN_PACK)
    (tmp_path / ".obs-lint.yaml").write_text("packs: [pack.yaml]\n")
    (tmp_path / "a.py").write_text("x = 1\n")
    code, out, err = cli("check", cwd=tmp_path)
    assert code == 2 and out == ""
    assert err.splitlines() == [
        "obs-lint: error: pack.yaml:4: duplicate phase id 1",
        "obs-lint: error: pack.yaml:6: rule M101 (one): severity must be error or warning, "
        "got 'fatal'",
        "obs-lint: error: pack.yaml:8: rule M102 (two): phase 7 is not declared in the pack's "
        "phases",
        "obs-lint: error: pack.yaml:11: rule M103 (three): check.kind 'forbid-imports' is not a "
        "known check kind (did you mean 'forbid-import'?); known: call-contract, class-contract, "
        "collection, config-contract, constant-value, db-contract, dict-keys, forbid-import, "
        "graph-pipeline, reachability, require-call, require-reference, required-keys, "
        "routing, sql-schema, state-flow, test-inventory, yaml",
        "obs-lint: error: pack.yaml:14: rule M104 (five): duplicate rule code (also "
        "pack.yaml:12)",
        "obs-lint: error: pack.yaml: 5 errors",
    ]


def test_a_pack_with_many_errors_reports_the_first_twenty_and_counts_the_rest(cli, tmp_path):
    rules = "".join(f"  - {{code: M{100 + i}, name: r{i}, phase: 1, severity: bad, message: m,"
                    f" check: {{kind: forbid-import, modules: [x]}}}}\n" for i in range(25))
    (tmp_path / "pack.yaml").write_text("pack: {id: mine, title: Mine}\nphases:\n"
                                        "  - {id: 1, title: One}\nrules:\n" + rules)
    (tmp_path / ".obs-lint.yaml").write_text("packs: [pack.yaml]\n")
    (tmp_path / "a.py").write_text("x = 1\n")
    code, _, err = cli("check", cwd=tmp_path)
    lines = err.splitlines()
    assert code == 2 and len(lines) == 21
    assert lines[-1] == "obs-lint: error: pack.yaml: ... and 5 more errors (25 in all)"


# -- small items ---------------------------------------------------------------------------------

def test_singular_and_plural_wording(cli, tmp_path):
    (tmp_path / "pyproject.toml").write_text("[tool.obs-lint]\nselect = ['E2I201']\n")
    (tmp_path / "a.py").write_text("import mlflow\n")
    code, out, _ = cli("check", cwd=tmp_path)
    assert out.rstrip().splitlines()[-1] == (
        "Found 1 finding (1 error). Checked 1 file (1 parsed) with 1 rule.")
    cli("baseline", "create", cwd=tmp_path)
    (tmp_path / "a.py").write_text("x = 1\n")
    code, out, err = cli("check", "--baseline", ".obs-lint-baseline.json", cwd=tmp_path)
    assert "1 baseline entry no longer occurs (prune them" in err
    assert "; 1 baseline entry no longer occurs." in out


def test_config_comments_line_up(cli, tmp_path):
    (tmp_path / ".obs-lint.yaml").write_text("packs: [e2i]\nextend-exclude: [a/, b/, c/]\n")
    code, out, _ = cli("config", cwd=tmp_path)
    rows = [l for l in out.splitlines() if " = " in l and "#" in l]
    columns = {l.index("  # ") for l in rows if len(l.split("  # ")[0]) <= 48}
    assert code == 0 and len(rows) >= 10 and len(columns) == 1


def test_json_summary_explains_a_pass_beside_a_failing_phase(cli, tmp_path):
    (tmp_path / ".obs-lint.yaml").write_text("packs: [e2i]\nselect: [E2I201]\nfail-on: error\n")
    (tmp_path / "pack").mkdir()
    (tmp_path / "a.py").write_text("import mlflow  # obs-lint: ignore[E2I201]\n")
    doc = json.loads(cli("check", "--format", "json", cwd=tmp_path)[1])
    assert doc["summary"]["exit_status"] == 0
    assert doc["summary"]["explanation"] == (
        "The run passes (no new finding fails it) although phase 2 fails on suppressed "
        "findings (1).")
