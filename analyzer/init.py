"""``obs-lint init``: a starter configuration for a project that has none.

What it writes, and why:

* a ``[tool.obs-lint]`` section appended to the project's ``pyproject.toml`` (the file a Python
  project already has), or an ``.obs-lint.yaml`` when asked (``--yaml``) or when there is no
  ``pyproject.toml`` — never a new ``pyproject.toml``, which would turn any directory into a
  "project" for pip and build tools;
* ``packs`` (the bundled ``e2i`` unless others are named), and the starter pack file if one is
  asked for (``--pack-file``);
* the detected source folders — top-level directories holding Python, YAML or SQL files that
  a run would check, with their file counts — as a comment: the rules' own ``where`` globs
  choose the folders each rule reads, so a second list of folders would only have to be kept
  in sync (and a folder missing from it would make a presence rule fail as "nothing in
  scope");
* ``extend-exclude`` with what a run would otherwise wander into: virtualenvs under names the
  default excludes do not know (any directory holding a ``pyvenv.cfg``) and vendored code
  (``vendor/``, ``third_party/``, ``_vendor/``, ``external/``), when a run would check files
  in them.

Refuses to overwrite: a project already configured (either file), or an existing pack file,
is an error and nothing is written. Writes are atomic (a temporary file renamed into place;
``pyproject.toml`` keeps its permissions and every byte it had, the section is appended).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from typing import Sequence

from .config import DEFAULT_EXCLUDE, _has_table
from .discover import discover
from .errors import UsageError

VENDOR_NAMES = ("vendor", "vendored", "third_party", "third-party", "_vendor", "external")
SCAN_DEPTH = 3  # how deep to look for virtualenvs and vendored folders


@dataclass(frozen=True)
class Plan:
    """What ``init`` found and will write (``obs-lint init --dry-run`` prints ``text``)."""

    root: str
    target: str  # the configuration file written (absolute)
    append: bool  # True: appended to an existing pyproject.toml
    text: str  # what is written (or appended)
    sources: tuple[tuple[str, int], ...]  # (top-level folder, files a run would check)
    excludes: tuple[str, ...]
    pack_file: str = ""  # absolute path of the starter pack, if asked
    pack_text: str = ""


def _folders(root: str, excludes: Sequence[str] = ()) -> list[tuple[str, int]]:
    """(top-level folder, files a run checks there) once ``excludes`` are added."""
    counts: dict[str, int] = {}
    for f in discover(root, [root], DEFAULT_EXCLUDE + tuple(excludes), True):
        top = f.path.split("/", 1)[0] + "/" if "/" in f.path else "."
        counts[top] = counts.get(top, 0) + 1
    return sorted(counts.items(), key=lambda kv: (kv[0] == ".", -kv[1], kv[0]))


def _exclude_candidates(root: str) -> list[str]:
    """Virtualenvs and vendored folders a run would check (not already excluded)."""
    found: list[str] = []
    files = [f.path for f in discover(root, [root], DEFAULT_EXCLUDE, True)]

    def checked(rel: str) -> bool:
        return any(p.startswith(rel) for p in files)

    stack = [(root, 0)]
    while stack:
        directory, depth = stack.pop()
        try:
            entries = sorted(os.scandir(directory), key=lambda e: e.name)
        except OSError:
            continue
        for e in entries:
            if not e.is_dir(follow_symlinks=False):
                continue
            rel = os.path.relpath(e.path, root).replace(os.sep, "/") + "/"
            if (os.path.isfile(os.path.join(e.path, "pyvenv.cfg")) or e.name in VENDOR_NAMES):
                if checked(rel):
                    found.append(rel)
                continue
            if depth + 1 < SCAN_DEPTH and not e.name.startswith("."):
                stack.append((e.path, depth + 1))
    return sorted(found)


def _slug(name: str) -> str:
    s = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") or "project"
    if not s[0].isalpha():
        s = "p-" + s
    return s if s != "local" else "project"  # "local" is the inline rules' pack


def _comment_sources(sources: Sequence[tuple[str, int]]) -> list[str]:
    if not sources:
        return ["# No Python, YAML or SQL files found yet."]
    shown = ", ".join(f"{d} ({n:,})" if d != "." else f"top-level files ({n:,})"
                      for d, n in sources[:12])
    more = f", and {len(sources) - 12} more" if len(sources) > 12 else ""
    return ["# Source folders found (Python, YAML and SQL files a run checks):",
            f"#   {shown}{more}",
            "# Every such file under the project root is checked; each rule's `where` globs",
            "# choose the folders it reads (`obs-lint rules`, `obs-lint explain CODE`)."]


def _toml_list(items: Sequence[str]) -> str:
    return "[" + ", ".join('"' + i.replace("\\", "\\\\").replace('"', '\\"') + '"'
                           for i in items) + "]"


def render_toml(packs: Sequence[str], sources, excludes: Sequence[str]) -> str:
    lines = ["", "[tool.obs-lint]", "# Written by `obs-lint init`; every key: README"
             " \"Configuration\", resolved values: `obs-lint config`."]
    lines += _comment_sources(sources)
    lines.append(f"packs = {_toml_list(packs)}")
    if excludes:
        lines.append("# Virtualenvs and vendored code found under the project:")
        lines.append(f"extend-exclude = {_toml_list(excludes)}")
    lines += ["# fail-on = \"warning\"   # \"error\": warnings are reported but do not fail the run",
              "# per-file-ignores = { \"scripts/*.py\" = [\"no-raw-mlflow\"] }", ""]
    return "\n".join(lines)


def _yaml_list(items: Sequence[str]) -> str:
    return "[" + ", ".join(_yaml_str(i) for i in items) + "]"


def _yaml_str(s: str) -> str:
    return "'" + s.replace("'", "''") + "'"


def render_yaml(packs: Sequence[str], sources, excludes: Sequence[str]) -> str:
    lines = ["# obs-lint configuration, written by `obs-lint init`; every key: README",
             "# \"Configuration\", resolved values: `obs-lint config`."]
    lines += _comment_sources(sources)
    lines.append(f"packs: {_yaml_list(packs)}")
    if excludes:
        lines.append("# Virtualenvs and vendored code found under the project:")
        lines.append(f"extend-exclude: {_yaml_list(excludes)}")
    lines += ["# fail-on: warning   # error: warnings are reported but do not fail the run",
              "# per-file-ignores: {'scripts/*.py': [no-raw-mlflow]}", ""]
    return "\n".join(lines)


# One commented example per check kind (README "Check kinds"); tests/test_init.py uncomments
# them and validates the result, so they cannot rot.
KIND_EXAMPLES: dict[str, str] = {
    "forbid-import": """\
  - code: {P}101
    name: no-raw-mlflow
    phase: 1
    severity: error
    message: raw mlflow import outside the connector
    where: {{include: ["src/**"], exclude: ["src/mlops/mlflow_connector.py"]}}
    check: {{kind: forbid-import, modules: [mlflow]}}""",
    "require-call": """\
  - code: {P}102
    name: agent-traces
    phase: 1
    severity: error
    message: every agent package calls trace_agent()
    where: {{include: ["src/agents/my_agent/**"]}}
    check: {{kind: require-call, calls: ["*.trace_agent"], per: set, min: 1}}""",
    "require-reference": """\
  - code: {P}103
    name: uses-opik-accessor
    phase: 1
    severity: warning
    message: the Opik connector is obtained through get_opik_connector()
    where: {{include: ["src/agents/my_agent/**"]}}
    check: {{kind: require-reference, imports: [get_opik_connector], mode: all}}""",
    "class-contract": """\
  - code: {P}104
    name: connector-contract
    phase: 1
    severity: error
    message: OpikConnector has the methods the agents use
    where: {{include: [src/mlops/opik_connector.py]}}
    check: {{kind: class-contract, class: OpikConnector, methods: [trace_agent, log_metric]}}""",
    "dict-keys": """\
  - code: {P}105
    name: hp-prefix
    phase: 1
    severity: warning
    message: hyperparameters are logged with an hp_ prefix
    check: {{kind: dict-keys, calls: ["*.log_params"], pattern: "^hp_"}}""",
    "required-keys": """\
  - code: {P}106
    name: classification-metrics
    phase: 1
    severity: error
    message: the evaluator reports every classification metric
    where: {{include: [src/ml/evaluate.py]}}
    check: {{kind: required-keys, keys: [roc_auc, f1, precision, recall]}}""",
    "constant-value": """\
  - code: {P}107
    name: faithfulness-threshold
    phase: 1
    severity: error
    message: the faithfulness threshold is 0.8
    check: {{kind: constant-value, names: [FAITHFULNESS_THRESHOLD], equals: 0.8}}""",
    "collection": """\
  - code: {P}108
    name: eval-dataset-size
    phase: 1
    severity: warning
    message: the evaluation dataset has at least 10 cases
    check: {{kind: collection, name: EVALUATION_CASES, min: 10}}""",
    "graph-pipeline": """\
  - code: {P}109
    name: pipeline-shape
    phase: 1
    severity: error
    message: the graph runs collect -> analyze -> finalize
    where: {{include: ["src/agents/my_agent/graph.py"]}}
    check: {{kind: graph-pipeline, path: [collect, analyze, finalize], entry: collect}}""",
    "test-inventory": """\
  - code: {P}110
    name: connector-tests
    phase: 1
    severity: warning
    message: the connector has at least 20 tests
    where: {{include: [tests/unit/test_connector.py]}}
    check: {{kind: test-inventory, min: 20}}""",
    "yaml": """\
  - code: {P}111
    name: circuit-breaker
    phase: 1
    severity: error
    message: the circuit breaker opens after 5 failures
    check: {{kind: yaml, file: config/mlflow.yaml, key: circuit_breaker.failure_threshold, equals: 5}}""",
    "sql-schema": """\
  - code: {P}112
    name: metrics-jsonb
    phase: 1
    severity: error
    message: training run metrics are stored as JSONB
    check: {{kind: sql-schema, files: ["database/*.sql"], table: training_runs, columns: {{metrics: jsonb}}}}""",
    "call-contract": """\
  - code: {P}113
    name: calls-bind
    phase: 1
    severity: error
    message: a call to project code cannot run as written
    check: {{kind: call-contract}}""",
    "db-contract": """\
  - code: {P}115
    name: columns-exist
    phase: 1
    severity: error
    message: code reads or writes a column the DDL does not define
    check: {{kind: db-contract, files: ["database/**/*.sql"]}}""",
    "config-contract": """\
  - code: {P}116
    name: config-loaded
    phase: 1
    severity: error
    message: a config file is loaded by no code
    check: {{kind: config-contract, files: ["config/**/*.yaml"]}}""",
    "state-flow": """\
  - code: {P}117
    name: state-keys-written
    phase: 1
    severity: error
    message: a graph node reads a state key nothing writes
    check: {{kind: state-flow}}""",
    "routing": """\
  - code: {P}118
    name: routes-on-decision
    phase: 1
    severity: error
    message: the review node must route on its decision
    check: {{kind: routing, from: review, reads_any: [decision]}}""",
    "reachability": """\
  - code: {P}114
    name: tracers-are-used
    phase: 1
    severity: error
    message: a tracer class is used by no code outside its module
    check: {{kind: reachability, symbols: ["*Tracer"]}}""",
}


def _code_prefix(pack_id: str) -> str:
    letters = re.sub(r"[^A-Za-z]", "", pack_id).upper()[:3]
    return letters or "LOC"


def render_pack(pack_id: str) -> str:
    prefix = _code_prefix(pack_id)
    lines = [
        "# A rule pack for this project's own conventions, written by `obs-lint init`.",
        "# Pack files are data (YAML, never executed), validated strictly: README \"Rule packs\".",
        "# Each commented block below is one example per check kind: uncomment the ones you",
        "# need (and delete the `[]` after `rules:`), adapt them, and check with",
        "# `obs-lint rules` and `obs-lint explain CODE`.",
        f"pack: {{id: {pack_id}, title: {pack_id} conventions}}",
        "phases:",
        "  - {id: 1, title: Project conventions}",
        "rules: []",
    ]
    for kind, example in KIND_EXAMPLES.items():
        lines.append(f"#   # {kind}")
        lines += ["#" + line[1:] if line.startswith("  ") else "# " + line
                  for line in example.format(P=prefix).splitlines()]
    return "\n".join(lines) + "\n"


def plan_init(root: str, *, packs: Sequence[str] = ("e2i",), yaml: bool = False,
              pack_file: str | None = None) -> Plan:
    """Decide what to write; raises UsageError when the project is already configured."""
    yaml_path = os.path.join(root, ".obs-lint.yaml")
    pyproject = os.path.join(root, "pyproject.toml")
    if os.path.exists(yaml_path):
        raise UsageError(f"{_shown(yaml_path)}: already exists; obs-lint init never overwrites "
                         "a configuration (edit it, or delete it to start again)")
    if os.path.isfile(pyproject) and _has_table(pyproject):
        raise UsageError(f"{_shown(pyproject)}: already has a [tool.obs-lint] section; obs-lint "
                         "init never overwrites a configuration")
    pack_abs = pack_rel = ""
    pack_text = ""
    packs = list(packs)
    if pack_file:
        pack_abs = pack_file if os.path.isabs(pack_file) else os.path.join(root, pack_file)
        if os.path.exists(pack_abs):
            raise UsageError(f"{_shown(pack_abs)}: already exists; obs-lint init never "
                             "overwrites a file")
        if not os.path.isdir(os.path.dirname(pack_abs)):
            raise UsageError(f"{_shown(pack_abs)}: directory "
                             f"{_shown(os.path.dirname(pack_abs))} does not exist")
        pack_rel = os.path.relpath(pack_abs, root).replace(os.sep, "/")
        if pack_rel.startswith(".."):
            raise UsageError(f"{pack_file}: the pack file must lie inside the project {root}")
        if "/" not in pack_rel:
            pack_rel = "./" + pack_rel  # a bare name would be read as a bundled pack's name
        packs.append(pack_rel)
        pack_text = render_pack(_slug(os.path.basename(os.path.abspath(root))))
    excludes = tuple(_exclude_candidates(root))
    sources = tuple(_folders(root, excludes))
    use_yaml = yaml or not os.path.isfile(pyproject)
    if use_yaml:
        return Plan(root, yaml_path, False, render_yaml(packs, sources, excludes), sources,
                    excludes, pack_abs, pack_text)
    text = render_toml(packs, sources, excludes)
    _check_appendable(pyproject, text)
    return Plan(root, pyproject, True, text, sources, excludes, pack_abs, pack_text)


def _check_appendable(pyproject: str, addition: str) -> None:
    """Refuse to append to a pyproject.toml that would not be valid TOML with a
    ``[tool.obs-lint]`` table afterwards (it does not parse now, or ``tool`` is not a table:
    ``tool = "x"``); obs-lint init never writes a file that breaks the project's build."""
    from .config import tomllib

    shown = _shown(pyproject)
    try:
        with open(pyproject, "rb") as fh:
            old = fh.read().decode("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"{shown}: cannot read: {getattr(exc, 'strerror', None) or exc}"
                         ) from None
    try:
        tomllib.loads(old)
    except (tomllib.TOMLDecodeError, RecursionError) as exc:
        why = str(exc).splitlines()[0] if str(exc) else "nested too deeply"
        raise UsageError(f"{shown}: is not valid TOML ({why}); "
                         "fix it first: obs-lint init appends only to a valid pyproject.toml"
                         ) from None
    sep = "" if old.endswith("\n") or not old else "\n"
    try:
        data = tomllib.loads(old + sep + addition)
        ok = isinstance(data.get("tool"), dict) and isinstance(data["tool"].get("obs-lint"),
                                                               dict)
    except tomllib.TOMLDecodeError:
        ok = False
    if not ok:
        raise UsageError(f"{shown}: a [tool.obs-lint] table cannot be added to it (its `tool` "
                         "key is not a table); use obs-lint init --yaml to write .obs-lint.yaml "
                         "instead")


def _shown(path: str) -> str:
    rel = os.path.relpath(path)
    return path if rel.startswith("..") else rel


def _atomic_write(path: str, data: bytes) -> None:
    """``fileio.write_atomic`` (a file it replaces keeps its mode)."""
    from .fileio import WriteRefused, write_atomic

    try:
        write_atomic(path, data)
    except WriteRefused as exc:
        raise UsageError(f"{_shown(path)}: {exc.message}") from None


def write(plan: Plan) -> list[str]:
    """Write the plan (pack file first: a configuration never names a missing pack); returns
    the files written."""
    done = []
    if plan.pack_file:
        _atomic_write(plan.pack_file, plan.pack_text.encode("utf-8"))
        done.append(plan.pack_file)
    if plan.append:
        with open(plan.target, "rb") as fh:
            old = fh.read()
        sep = b"" if old.endswith(b"\n") or not old else b"\n"
        newline = b"\r\n" if b"\r\n" in old else b"\n"
        text = plan.text.encode("utf-8").replace(b"\n", newline)
        _atomic_write(plan.target, old + sep + text)
    else:
        _atomic_write(plan.target, plan.text.encode("utf-8"))
    done.append(plan.target)
    return done
