"""Property-based fuzzing of the whole pipeline with hypothesis and hypothesmith.

hypothesmith generates syntactically valid Python programs (from CPython's grammar and from
libcst's node types). Each program is written into a small throw-away project, next to a fixed
sibling file with a known violation, and checked through ``api.check`` with every bundled pack:

* the engine never raises, reports no internal error and no parse error on a valid program;
* the result is deterministic (same input, byte-identical JSON report);
* the prefilter never changes the findings or the rules' statuses;
* the fact cache never changes the report (cold run and warm run = ``--no-cache`` run);
* valid programs mutated into invalid ones (truncated, bytes inserted, indentation broken,
  unclosed brackets and strings, Python 2 prints, invalid UTF-8, NUL bytes) give a
  ``parse-error`` finding for exactly the files CPython's own parser rejects, never an exception,
  and every other file's findings are still reported.

Example counts are small by default so the suite stays fast in ``.ci/run``;
``OBS_LINT_FUZZ=long`` runs each property with many more examples (see ``_examples``).
Failures print a ``@reproduce_failure`` blob; no example database is written.
"""

from __future__ import annotations

import ast
import importlib.util
import os
import tempfile
import warnings
from pathlib import Path

import hypothesmith
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from obs_lint.api import check, load_packs
from obs_lint.config import load_config
from obs_lint.packs import bundled_packs, parse_pack
from obs_lint.report import json_report

LONG = os.environ.get("OBS_LINT_FUZZ", "").lower() == "long"


def _examples(ci: int, long: int) -> settings:
    """Settings of one property: ``ci`` examples by default, ``long`` with OBS_LINT_FUZZ=long."""
    return settings(
        max_examples=long if LONG else ci,
        deadline=None,  # libcst's first parse and hypothesmith's generation are slow
        database=None,  # never write .hypothesis/ into the repository
        print_blob=True,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much,
                               HealthCheck.data_too_large],
    )


# --------------------------------------------------------------------------------------------
# Inputs
# --------------------------------------------------------------------------------------------

# Constructs the bundled rules react to, mixed into the generated programs so that rules really
# fire (a random program almost never imports mlflow or calls trace_agent).
SNIPPETS = (
    "import mlflow\n",
    "import mlflow.sklearn as msk\n",
    "from mlflow import log_param, log_metric\n",
    "import os, mlflow\n",
    "def f():\n    import mlflow\n    return mlflow\n",
    "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import mlflow\n",
    "import importlib\nm = importlib.import_module('mlflow.tracking')\n",
    "m = __import__('mlflow')\n",
    "from . import mlflow\n",
    "import mlflow_utils, mlflowx\n",
    "# import mlflow (a comment)\n",
    "'''import mlflow in a docstring'''\n",
    "x = 'import mlflow'\n",
    "async def run(c):\n    async with c.trace_agent('x') as span:\n"
    "        await c.trace_llm_call('y')\n",
    "@traced_node('estimate')\ndef node(state):\n    return state\n",
    "graph.add_node('estimate', traced_node('estimate')(fn))\n",
    "class MLflowConnector:\n    _instance = None\n    async def start_run(self): ...\n",
    "RAGAS_THRESHOLDS = {'faithfulness': 0.8, 'answer_relevancy': 0.85}\n",
    "params = {}\nparams['hp_lr'] = 0.1\n",
    "from src.mlops.mlflow_connector import MLflowConnector\n",
    "def get_opik_connector():\n    return None\n",
)

# Where the generated file goes: paths the bundled e2i rules look at, and some they ignore.
PATHS = (
    "src/agents/causal_impact/graph.py",
    "src/agents/explainer/nodes/deep_reasoner.py",
    "src/agents/ml_foundation/model_trainer/nodes/mlflow_logger.py",
    "src/mlops/mlflow_connector.py",
    "src/mlops/opik_connector.py",
    "src/rag/evaluation.py",
    "scripts/tool.py",
    "tests/unit/test_mlops/test_mlflow_connector.py",
)

SIBLING = "src/other/sibling.py"
SIBLING_TEXT = "import mlflow\n"

programs = hypothesmith.from_grammar() | hypothesmith.from_node()


def _compiles(data: bytes) -> bool:
    """The oracle: the standard library decodes the bytes (``importlib.util.decode_source``:
    BOM, coding cookie, strict) and CPython's own parser accepts the text.

    Decoding is checked separately because CPython's tokenizer tolerates undecodable bytes
    inside comments (``b"#\\xc2"`` compiles) while obs-lint, like ``decode_source``, reads text
    and refuses a file it cannot decode: a finding computed from mangled text would not be true.
    """
    try:
        text = importlib.util.decode_source(data)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ast.parse(text)
        return True
    except (SyntaxError, ValueError, UnicodeDecodeError, LookupError, RecursionError,
            MemoryError):
        return False


@st.composite
def valid_sources(draw) -> bytes:
    """A hypothesmith program with rule-relevant snippets before and/or after it."""
    body = draw(programs)
    before = "".join(draw(st.lists(st.sampled_from(SNIPPETS), max_size=2)))
    after = "".join(draw(st.lists(st.sampled_from(SNIPPETS), max_size=2)))
    text = before + body + ("" if body.endswith("\n") or not body else "\n") + after
    try:
        data = text.encode("utf-8")
    except UnicodeEncodeError:  # pragma: no cover - hypothesmith validates with compile()
        assume(False)
    assume(_compiles(data))
    return data


def _insert(data: bytes, at: int, piece: bytes) -> bytes:
    at = min(at, len(data))
    return data[:at] + piece + data[at:]


@st.composite
def mutated_sources(draw) -> tuple[str, bytes]:
    """(mutation name, bytes): a valid source turned (usually) into an invalid one."""
    data = draw(valid_sources())
    kind = draw(st.sampled_from([
        "truncate", "insert-text", "insert-bytes", "indent", "unclosed-bracket",
        "unterminated-string", "python2-print", "invalid-utf8", "nul",
    ]))
    pos = draw(st.integers(min_value=0, max_value=max(0, len(data))))
    if kind == "truncate":
        return kind, data[:pos]
    if kind == "insert-text":
        piece = draw(st.sampled_from(["(", ")", "[", "]", "{", "}", ":", "'", '"', '"""', "\\",
                                      "@", "=", ",", ".", ";", " if", " else", "\n ", "\t",
                                      "lambda", "yield", "def", "class", "return", "*", "**"]))
        return kind, _insert(data, pos, piece.encode())
    if kind == "insert-bytes":
        return kind, _insert(data, pos, draw(st.binary(min_size=1, max_size=4)))
    if kind == "indent":  # an unexpected indent where the module starts
        return kind, b"    x = 1\n" + data
    if kind == "unclosed-bracket":
        return kind, data + b"\nx = (1,\n"
    if kind == "unterminated-string":
        return kind, data + draw(st.sampled_from([b'\nx = "abc\n', b"\nx = '''abc\n"]))
    if kind == "python2-print":
        return kind, data + b'\nprint "hello"\n'
    if kind == "invalid-utf8":
        return kind, _insert(data, pos, b"\xff\xfe")
    return kind, _insert(data, pos, b"\x00")


# --------------------------------------------------------------------------------------------
# Running the engine
# --------------------------------------------------------------------------------------------

BUNDLED = tuple(bundled_packs())
MLFLOW_ONLY = parse_pack("""
pack: {id: fuzz, title: fuzzing pack}
phases:
  - {id: 1, title: Imports}
rules:
  - code: FZ101
    name: no-raw-mlflow-anywhere
    phase: 1
    severity: error
    message: raw mlflow import
    check: {kind: forbid-import, modules: [mlflow]}
""", "fuzz-pack.yaml")


def _project(root: Path, path: str, data: bytes) -> None:
    for rel, body in ((SIBLING, SIBLING_TEXT.encode()), (path, data)):
        target = root / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(body)


def _run(root: Path, packs, *, prefilter: bool = True, use_cache: bool = False):
    config = load_config(str(root), use_files=False).with_overrides(
        packs=tuple(p.id for p in packs), jobs=1)
    return check([str(root)], config, packs=packs, prefilter=prefilter, use_cache=use_cache)


def _sibling_reported(result, name: str) -> bool:
    return any(f.location.path == SIBLING and f.name == name for f in result.findings)


@pytest.fixture(scope="module")
def bundled():
    config = load_config(os.getcwd(), use_files=False).with_overrides(packs=BUNDLED)
    return load_packs(config)


def test_the_bundled_packs_are_fuzzed():
    assert "e2i" in BUNDLED


# --------------------------------------------------------------------------------------------
# Properties
# --------------------------------------------------------------------------------------------


@_examples(ci=30, long=1000)
@given(data=valid_sources(), path=st.sampled_from(PATHS))
def test_valid_programs_never_crash_and_results_are_stable(bundled, data, path):
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        _project(root, path, data)
        first = _run(root, bundled)
        again = _run(root, bundled)
        unfiltered = _run(root, bundled, prefilter=False)
        cold = _run(root, bundled, use_cache=True)
        warm = _run(root, bundled, use_cache=True)

    problems = [f for f in first.findings if f.name in (
        "internal-error", "parse-error", "read-error", "skipped")]
    assert not problems, "a valid program must be analysed: " + "; ".join(
        f"{f.location}: {f.name}: {f.message}" for f in problems)
    assert _sibling_reported(first, "no-raw-mlflow")

    report = json_report.render(first)
    assert json_report.render(again) == report, "same input, different output"
    assert unfiltered.findings == first.findings, "the prefilter changed the findings"
    assert [(c.rule.code, c.status) for c in unfiltered.checks] == \
        [(c.rule.code, c.status) for c in first.checks], "the prefilter changed a verdict"
    assert json_report.render(cold) == report, "a cold cached run differs from --no-cache"
    assert json_report.render(warm) == report, "a warm cached run differs from --no-cache"


@_examples(ci=40, long=1500)
@given(mutated=mutated_sources(), path=st.sampled_from(PATHS))
def test_invalid_programs_are_parse_errors_never_exceptions(mutated, path):
    kind, data = mutated
    rejected = not _compiles(data)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        _project(root, path, data)
        unfiltered = _run(root, (MLFLOW_ONLY,), prefilter=False)
        filtered = _run(root, (MLFLOW_ONLY,))

    for result in (unfiltered, filtered):
        assert not result.internal_errors, [f.message for f in result.internal_errors]
        assert _sibling_reported(result, "no-raw-mlflow-anywhere"), \
            "a broken file must not hide another file's finding"
    errors = [f for f in unfiltered.findings if f.location.path == path
              and f.name == "parse-error"]
    if rejected:
        assert len(errors) == 1, f"{kind}: CPython rejects the file but obs-lint reported " \
                                 f"{[(f.name, f.message) for f in unfiltered.findings]}"
        assert errors[0].message.startswith(("cannot parse", "cannot decode"))
        assert errors[0].location.span.line >= 1
    else:
        assert not errors, f"{kind}: CPython accepts the file, obs-lint says {errors[0].message}"
    # With the prefilter, a broken file whose text cannot trigger any rule is not parsed (so no
    # parse-error); everything else is the same as without it.
    others = [f for f in unfiltered.findings if f.location.path != path]
    assert [f for f in filtered.findings if f.location.path != path] == others
    filtered_errors = [f for f in filtered.findings if f.location.path == path
                       and f.name == "parse-error"]
    assert filtered_errors in ([], errors)
    if errors and (b"mlflow" in data or errors[0].message.startswith("cannot decode")):
        assert filtered_errors == errors


@_examples(ci=30, long=1000)
@given(data=valid_sources())
def test_imports_only_extraction_says_what_the_full_one_says(data):
    """On generated programs, the imports-only walk (statements only, positions from CPython's
    tree) finds the same import facts, at the same places, as the full walk and render."""
    from obs_lint.facts.guard import cpython_verdict
    from obs_lint.facts.model import IMPORTS_ONLY
    from obs_lint.facts.python import extract

    text = importlib.util.decode_source(data)
    verdict = cpython_verdict(text)
    if verdict.refuse is not None:
        return  # the guard refuses it in every mode
    full, problems = extract("f.py", text)
    light, light_problems = extract("f.py", text, needs=IMPORTS_ONLY, tree=verdict.tree)
    assert problems == light_problems
    if full is None:
        assert light is None
        return
    assert light is not None
    if "import_module" in text or "__import__" in text:
        assert light == full  # a dynamic import is a call: such a file gets every fact
        return
    assert light.extracted == IMPORTS_ONLY
    assert light.imports == tuple(i for i in full.imports if i.kind != "dynamic")
    assert light.aliases == full.aliases
