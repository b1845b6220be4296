"""Exit statuses and error messages are a contract: one row per status and error class.

    0  no findings at or above ``fail-on`` (or ``--exit-zero`` with findings)
    1  findings (bad input included: parse-error, read-error and skipped are findings)
    2  usage error, configuration error, pack error, or an internal error

Every status-2 row that obs-lint reports itself prints exactly one line on stderr,
``obs-lint: error: <message>``, naming the file (and line, and rule) at fault; click's own
usage errors (unknown option, bad option value) print click's usage block. No row ever prints a
traceback. An internal error inside a run still prints the complete report on stdout.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import pytest

import obs_lint.api as api
import obs_lint.facts as facts
from obs_lint.checks.forbid_import import ForbidImport
from obs_lint.types import FileKind

PACK = """\
pack: {id: contract, title: Exit contract}
phases:
  - {id: 1, title: Imports}
  - {id: 2, title: Tracing}
rules:
  - code: T101
    name: no-mlflow
    phase: 1
    severity: error
    message: raw mlflow import
    check: {kind: forbid-import, modules: [mlflow]}
  - code: T102
    name: no-opik
    phase: 1
    severity: error
    message: raw opik import
    check: {kind: forbid-import, modules: [opik]}
  - code: T201
    name: agents-trace
    phase: 2
    severity: error
    message: agents must call trace_agent()
    where: {include: ["agents/**"]}
    check: {kind: require-call, calls: ["*.trace_agent"], per: file}
"""

CLEAN = {
    ".obs-lint.yaml": "packs: [pack.yaml]\n",
    "pack.yaml": PACK,
    "agents/a.py": "async def run(c):\n    async with c.trace_agent('a'):\n        pass\n",
    "lib/util.py": "import os\n",
}
VIOLATIONS = {
    "lib/raw.py": "import mlflow\nimport opik\n",
    "agents/b.py": "def run():\n    return 1\n",
}

ONE_LINE = re.compile(r"obs-lint: error: [^\n]+\n")


@dataclass
class Row:
    id: str
    args: tuple[str, ...]
    status: int
    stderr: str = ""  # regex that must match the whole of stderr ("" = stderr is empty)
    files: dict[str, str] = field(default_factory=dict)  # added to / replacing CLEAN
    stdout: Callable[[str], bool] | None = None  # a predicate on stdout
    patch: str = ""  # name of a fault to inject (see _inject)
    cached: bool = False  # a check with the cache (rows run with --no-cache otherwise)


def _finds(*names: str) -> Callable[[str], bool]:
    def check(out: str) -> bool:
        got = {f["name"] for f in json.loads(out)["findings"]}
        return set(names) <= got
    return check


BAD_SEVERITY = PACK.replace("    severity: error\n    message: raw opik import",
                            "    severity: fatal\n    message: raw opik import")

ROWS = [
    # ---- 0 ---------------------------------------------------------------------------------
    Row("0-clean", ("check",), 0, stdout=lambda o: "Found 0 findings" in o),
    Row("0-exit-zero-with-findings", ("check", "--exit-zero"), 0, files=VIOLATIONS,
        stdout=lambda o: "T101 [no-mlflow]" in o),
    Row("0-warnings-below-fail-on-error", ("check",), 0,
        files={".obs-lint.yaml": "packs: [pack.yaml]\nfail-on: error\n",
               "lib/util.py": "import os  # obs-lint: ignore[T101]\n"},
        stdout=lambda o: "OBS005 [unused-suppression]" in o),
    # ---- 1 ---------------------------------------------------------------------------------
    Row("1-findings", ("check", "--format", "json"), 1, files=VIOLATIONS,
        stdout=_finds("no-mlflow", "no-opik", "agents-trace")),
    Row("1-warnings-at-default-fail-on", ("check",), 1,
        files={"lib/util.py": "import os  # obs-lint: ignore[T101]\n"},
        stdout=lambda o: "OBS005 [unused-suppression]" in o),
    Row("1-parse-error-is-a-finding", ("check", "--format", "json"), 1,
        files={"lib/broken.py": "import mlflow\nprint 'x'\n"}, stdout=_finds("parse-error")),
    Row("1-read-error-is-a-finding", ("check", "--format", "json"), 1,
        files={"lib/gone.py": "import mlflow\n"}, patch="vanish", stdout=_finds("read-error")),
    Row("1-skipped-is-a-finding", ("check", "--format", "json"), 1,
        files={".obs-lint.yaml": "packs: [pack.yaml]\nmax-file-bytes: 10\n"},
        stdout=_finds("skipped")),
    # ---- 2: usage --------------------------------------------------------------------------
    Row("2-usage-missing-path", ("check", "nope.py"), 2,
        r"obs-lint: error: nope\.py: no such file or directory\n"),
    Row("2-usage-unknown-rule", ("check", "--select", "no-mlfow"), 2,
        r"obs-lint: error: unknown rule code or name 'no-mlfow' \(did you mean 'no-mlflow'\?\)\n"),
    Row("2-usage-unknown-format", ("check", "--format", "xml"), 2,
        r"obs-lint: error: --format xml: unknown format 'xml' \(formats: [a-z, ]+\)\n"),
    Row("2-usage-unknown-option", ("check", "--frobnicate"), 2,
        r"Usage: \S+ check .*\n(?:.*\n)*Error: No such option:? '?--frobnicate.*\n(?:\n)?"),
    Row("2-usage-bad-option-value", ("check", "--jobs", "-1"), 2,
        r"Usage: \S+ check .*\n(?:.*\n)*Error: Invalid value for '--jobs' / '-j': -1 .*\n(?:\n)?"),
    Row("2-usage-unknown-command", ("frobnicate",), 2,
        r"Usage: \S+ .*\n(?:.*\n)*Error: No such command 'frobnicate'.*\n(?:\n)?"),
    Row("2-usage-unknown-rule-to-explain", ("explain", "no-mlfow"), 2,
        r"obs-lint: error: unknown rule 'no-mlfow' \(did you mean 'no-mlflow'\?\)\n"),
    Row("2-usage-junit-file-missing", ("check", "--junit-xml", "results.xml"), 2,
        r"obs-lint: error: results\.xml: JUnit XML file not found\n"),
    Row("2-usage-nothing-to-check", ("check", "docs"), 2,
        r"obs-lint: error: docs: nothing to check under docs \(no Python, YAML or SQL file "
        r"after excludes and \.gitignore\)\n", files={"docs/index.md": "# docs\n"}),
    Row("2-usage-two-reports-one-file",
        ("check", "--format", "json:out.json", "--format", "sarif:./out.json"), 2,
        r"obs-lint: error: \./out\.json: two reports would be written to the same file "
        r"\(as out\.json\)\n"),
    Row("2-usage-output-directory-missing", ("check", "-o", "nodir/report.txt"), 2,
        r"obs-lint: error: nodir/report\.txt: cannot write report: directory nodir does not "
        r"exist\n"),
    # ---- 2: configuration ------------------------------------------------------------------
    Row("2-config-unknown-key", ("check",), 2,
        r"obs-lint: error: \.obs-lint\.yaml:2: unknown key 'exlude' \(did you mean 'exclude'\?\)\n",
        files={".obs-lint.yaml": "packs: [pack.yaml]\nexlude: [x]\n"}),
    Row("2-config-wrong-type", ("check",), 2,
        r"obs-lint: error: \.obs-lint\.yaml:2: jobs must be int, got str\n",
        files={".obs-lint.yaml": "packs: [pack.yaml]\njobs: many\n"}),
    Row("2-config-invalid-yaml", ("check",), 2,
        r"obs-lint: error: \.obs-lint\.yaml:\d+: invalid YAML: .*\n",
        files={".obs-lint.yaml": "packs: [pack.yaml]\nexclude: [unclosed\n"}),
    Row("2-config-invalid-toml", ("check", "--config", "pyproject.toml"), 2,
        r"obs-lint: error: pyproject\.toml:1: invalid TOML: .* \(column 15\)\n",
        files={"pyproject.toml": "[tool.obs-lint\npacks = 1\n"}),
    Row("2-config-file-missing", ("check", "--config", "missing.toml"), 2,
        r"obs-lint: error: missing\.toml: configuration file not found\n"),
    # ---- 2: rule packs: file:line: rule: message -------------------------------------------
    Row("2-config-cache-dir-not-obs-lints", ("check",), 2,
        r"obs-lint: error: \.obs-lint\.yaml:2: cache-dir 'lib' \(lib\) is an existing "
        r"directory that obs-lint did not create \(no obs-lint CACHEDIR\.TAG in it\); "
        r"refusing to use it as the cache \(set cache-dir to a new directory, e\.g\. the "
        r"default \.obs-lint-cache\)\n",
        files={".obs-lint.yaml": "packs: [pack.yaml]\ncache-dir: lib\n"}, cached=True),
    Row("2-pack-invalid-rule", ("check",), 2,
        r"obs-lint: error: pack\.yaml:15: rule T102 \(no-opik\): severity must be error or "
        r"warning, got 'fatal'\n", files={"pack.yaml": BAD_SEVERITY}),
    Row("2-pack-invalid-yaml", ("check",), 2,
        r"obs-lint: error: pack\.yaml:\d+: invalid YAML: .*\n",
        files={"pack.yaml": PACK + "  - {unclosed\n"}),
    Row("2-pack-missing", ("check", "--pack", "missing.yaml"), 2,
        r"obs-lint: error: missing\.yaml: cannot read pack: No such file or directory\n"),
    Row("2-pack-unknown-bundled", ("check", "--pack", "e2j"), 2,
        r"obs-lint: error: e2j: no bundled pack named 'e2j' \(did you mean 'e2i'\?\).*\n"),
    # ---- 2: internal errors ----------------------------------------------------------------
    Row("2-internal-check-kind-crash", ("check", "--format", "json"), 2,
        r"obs-lint: error: [^:\n]+: rule T101 \(no-mlflow\) crashed: "
        r"RuntimeError: simulated bug in a check kind\n",
        files=VIOLATIONS, patch="check-kind",
        stdout=_finds("internal-error", "no-opik", "agents-trace")),
    Row("2-internal-extractor-crash", ("check", "--format", "json", "--jobs", "1"), 2,
        r"obs-lint: error: lib/raw\.py: RuntimeError while extracting facts: "
        r"simulated bug in an extractor\n",
        files=VIOLATIONS, patch="extractor", stdout=_finds("internal-error", "agents-trace")),
    Row("2-internal-outside-any-file", ("check",), 2,
        r"obs-lint: error: internal error: RuntimeError: simulated bug in the pipeline "
        r"\(please report this; set OBS_LINT_TRACEBACK=1 for details\)\n",
        patch="pipeline"),
    Row("2-exit-zero-does-not-hide-an-internal-error", ("check", "--exit-zero"), 2,
        r"obs-lint: error: [^:\n]+: rule T101 \(no-mlflow\) crashed: .*\n",
        files=VIOLATIONS, patch="check-kind"),
    Row("2-exit-zero-does-not-hide-a-usage-error", ("check", "--exit-zero", "nope.py"), 2,
        r"obs-lint: error: nope\.py: no such file or directory\n"),
]


def _inject(fault: str, root: Path, monkeypatch) -> None:
    if fault == "check-kind":
        real = ForbidImport.evaluate

        def evaluate(self, ctx):
            if self.rule.code == "T101":
                raise RuntimeError("simulated bug in a check kind")
            return real(self, ctx)

        monkeypatch.setattr(ForbidImport, "evaluate", evaluate)
    elif fault == "extractor":
        real_extract = facts.EXTRACTORS[FileKind.PYTHON]

        def extract(path, text, **options):
            if path == "lib/raw.py":
                raise RuntimeError("simulated bug in an extractor")
            return real_extract(path, text, **options)

        monkeypatch.setitem(facts.EXTRACTORS, FileKind.PYTHON, extract)
    elif fault == "pipeline":
        def broken(*args, **kwargs):
            raise RuntimeError("simulated bug in the pipeline")

        monkeypatch.setattr(api, "build_plan", broken)
    elif fault == "vanish":
        real_discover = api.discover

        def discover(*args, **kwargs):
            found = real_discover(*args, **kwargs)
            (root / "lib" / "gone.py").unlink()
            return found

        monkeypatch.setattr(api, "discover", discover)
    else:  # pragma: no cover - a typo in the table
        raise AssertionError(fault)


@pytest.mark.parametrize("row", ROWS, ids=[r.id for r in ROWS])
def test_exit_status_and_message(cli, tmp_path, monkeypatch, row: Row):
    root = tmp_path / "project"
    for rel, body in {**CLEAN, **row.files}.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(body, encoding="utf-8")
    if row.patch:
        _inject(row.patch, root, monkeypatch)
    monkeypatch.delenv("OBS_LINT_TRACEBACK", raising=False)
    args = list(row.args)
    if args[0] == "check" and not row.cached:
        args.insert(1, "--no-cache")
    code, out, err = cli(*args, cwd=root)
    assert code == row.status, f"exit {code}\nstdout:\n{out}\nstderr:\n{err}"
    assert "Traceback" not in out + err
    if row.stderr:
        assert re.fullmatch(row.stderr, err), f"stderr was:\n{err}"
    else:
        assert err == "", f"stderr was:\n{err}"
    if row.stdout is not None:
        assert row.stdout(out), f"stdout was:\n{out}"
    if row.status == 2 and row.stderr.startswith("obs-lint: error"):
        assert ONE_LINE.fullmatch(err), "one line, naming what is at fault"


def test_every_status_is_covered():
    assert {r.status for r in ROWS} == {0, 1, 2}
    classes = {r.id.split("-")[1] for r in ROWS if r.status == 2}
    assert {"usage", "config", "pack", "internal"} <= classes
