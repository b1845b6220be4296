"""Demand loading through the pipeline: a rule scoped to one package resolves a base class
defined outside its scope (the file is loaded on demand), with the same verdict with and
without the prefilter; a cached rerun after editing only the out-of-scope file sees the edit
(the memo's digests include demanded files); an unchanged rerun reuses the result."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from obs_lint.api import check, load_packs, resolve_config
from obs_lint.checks.class_contract import ClassContract
from obs_lint.types import Status

PACK = """\
pack: {id: dl, title: demand loading}
rules:
  - code: DL1
    name: agent-has-log-params
    phase: 1
    severity: error
    message: the agent must have log_params
    where:
      include: ["src/agents/**"]
    check:
      kind: class-contract
      class: TrainerAgent
      methods: [log_params, run]
"""

BASE_OK = """\
class BaseConnector:
    def log_params(self, params):
        return params
"""

BASE_GONE = """\
class BaseConnector:
    def log_metrics(self, metrics):
        return metrics
"""

AGENT = """\
from src.shared.connector import BaseConnector


class TrainerAgent(BaseConnector):
    def run(self):
        return self.log_params({})
"""


def make(tmp_path: Path, base: str = BASE_OK) -> Path:
    root = tmp_path / "proj"
    files = {".obs-lint.yaml": "packs: [./pack.yaml]\n", "pack.yaml": PACK,
             "src/agents/__init__.py": "", "src/agents/trainer.py": AGENT,
             "src/shared/__init__.py": "", "src/shared/connector.py": base,
             # an unrelated module: nothing in the rule needs it
             "src/other/__init__.py": "", "src/other/noise.py": "class Noise:\n    pass\n"}
    for rel, text in files.items():
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(textwrap.dedent(text), encoding="utf-8")
    return root


def verdict(root: Path, *, prefilter: bool = True, use_cache: bool = True):
    config = resolve_config([str(root)]).with_overrides(jobs=1)
    packs = load_packs(config, use_cache=use_cache)
    result = check([str(root)], config, packs=packs, prefilter=prefilter, use_cache=use_cache)
    (res,) = [r for r in result.checks if r.rule.code == "DL1"]
    return res


@pytest.fixture
def evaluations(monkeypatch):
    """How many times the class-contract check actually ran (not served from the memo)."""
    count = {"n": 0}
    real = ClassContract.evaluate

    def counted(self, ctx):
        count["n"] += 1
        return real(self, ctx)

    monkeypatch.setattr(ClassContract, "evaluate", counted)
    return count


@pytest.fixture
def demanded(monkeypatch):
    """The paths the evaluation stage asked extraction for (``extract_on_demand``)."""
    import obs_lint.api as api

    asked: list[str] = []
    real = api.extract_on_demand

    def spy(*args, **kwargs):
        loader = real(*args, **kwargs)
        inner = loader.load

        def load(paths):
            asked.extend(paths)
            return inner(paths)

        loader.load = load
        return loader

    monkeypatch.setattr(api, "extract_on_demand", spy)
    return asked


def test_base_class_outside_scope_is_loaded_on_demand(tmp_path, demanded):
    root = make(tmp_path)
    res = verdict(root, use_cache=False)
    assert res.status is Status.PASS, (res.note, [f.message for f in res.findings])
    assert "src/shared/connector.py" in demanded
    assert "src/other/noise.py" not in demanded
    assert ("src/shared/connector.py", 2) in [(e.path, e.span.line) for e in res.evidence]


def test_same_verdict_without_prefilter(tmp_path):
    root = make(tmp_path)
    a = verdict(root, use_cache=False)
    b = verdict(root, prefilter=False, use_cache=False)
    assert (a.status, a.note, a.findings, a.evidence) == (b.status, b.note, b.findings,
                                                          b.evidence)
    root2 = make(tmp_path / "gone", BASE_GONE)
    a = verdict(root2, use_cache=False)
    b = verdict(root2, prefilter=False, use_cache=False)
    assert a.status is Status.FAIL
    assert (a.status, a.note, a.findings) == (b.status, b.note, b.findings)


def test_missing_inherited_method_fails_at_the_class(tmp_path):
    res = verdict(make(tmp_path, BASE_GONE), use_cache=False)
    assert res.status is Status.FAIL
    assert [(f.location.path, f.location.span.line, f.message) for f in res.findings] == [
        ("src/agents/trainer.py", 4, "the agent must have log_params: class `TrainerAgent` is "
                                     "missing method(s): `log_params`")]


def test_cached_rerun_sees_an_edit_of_the_demanded_file_only(tmp_path, evaluations):
    root = make(tmp_path)
    assert verdict(root).status is Status.PASS
    first = evaluations["n"]
    assert first >= 1
    # unchanged: the memo serves the result, the check does not run again
    assert verdict(root).status is Status.PASS
    assert evaluations["n"] == first
    # an edit of an unrelated file outside the scope does not invalidate it
    (root / "src/other/noise.py").write_text("class Noise:\n    x = 1\n", encoding="utf-8")
    assert verdict(root).status is Status.PASS
    assert evaluations["n"] == first
    # editing only the out-of-scope base class changes the verdict
    (root / "src/shared/connector.py").write_text(BASE_GONE, encoding="utf-8")
    res = verdict(root)
    assert res.status is Status.FAIL, res.note
    assert evaluations["n"] > first
    # and back
    (root / "src/shared/connector.py").write_text(BASE_OK, encoding="utf-8")
    assert verdict(root).status is Status.PASS


def _cli(root: Path, *extra: str) -> tuple[int, str, list[str], list[str]]:
    """(exit status, DL1's status, its evidence, finding messages) of a real CLI run."""
    import json

    from conftest import run_obs_lint

    code, out, err = run_obs_lint("check", str(root), "--format", "json", *extra, cwd=root)
    doc = json.loads(out)
    (row,) = [c for c in doc["unphased_checks"] if c["code"] == "DL1"]
    return code, row["status"], row["evidence"], [f["message"] for f in doc["findings"]]


def test_cli_verdicts_with_and_without_prefilter_and_after_an_edit(tmp_path):
    root = make(tmp_path)
    ok = _cli(root)
    assert ok[:2] == (0, "pass")
    assert "src/shared/connector.py:2" in ok[2]
    assert _cli(root, "--no-prefilter") == ok
    assert _cli(root) == ok  # warm
    (root / "src/shared/connector.py").write_text(BASE_GONE, encoding="utf-8")
    bad = _cli(root)
    assert bad[:2] == (1, "fail")
    assert bad[3] == ["the agent must have log_params: class `TrainerAgent` is missing "
                      "method(s): `log_params`"]
    assert _cli(root, "--no-prefilter") == bad
    assert _cli(root, "--no-cache") == bad


def _chain(tmp_path: Path, depth: int, method_at_end: bool) -> Path:
    """TrainerAgent -> L1 -> ... -> L<depth>, each base in its own module outside the scope."""
    root = make(tmp_path)
    for i in range(1, depth + 1):
        nxt = (f"from src.chain.l{i + 1} import L{i + 1}\n\n\nclass L{i}(L{i + 1}):\n    pass\n"
               if i < depth else
               f"class L{i}:\n    def {'log_params' if method_at_end else 'other'}(self):\n"
               "        pass\n")
        (root / f"src/chain/l{i}.py").parent.mkdir(parents=True, exist_ok=True)
        (root / f"src/chain/l{i}.py").write_text(nxt, encoding="utf-8")
    (root / "src/chain/__init__.py").write_text("", encoding="utf-8")
    (root / "src/agents/trainer.py").write_text(AGENT.replace(
        "from src.shared.connector import BaseConnector", "from src.chain.l1 import L1").replace(
        "BaseConnector)", "L1)"), encoding="utf-8")
    return root


@pytest.mark.parametrize("depth", [3, 12])
def test_base_chain_across_modules_never_guesses(tmp_path, depth):
    from obs_lint.evaluate import MAX_ROUNDS

    good = verdict(_chain(tmp_path / "good", depth, True), use_cache=False)
    bad = verdict(_chain(tmp_path / "bad", depth, False), use_cache=False)
    if depth <= MAX_ROUNDS:
        assert good.status is Status.PASS, good.note
        assert bad.status is Status.FAIL, bad.note
    else:
        # deeper than the rounds of demand loading: what was not loaded is not known
        assert good.status in (Status.PASS, Status.UNKNOWN), good.note
        assert bad.status is Status.UNKNOWN, (bad.note, [f.message for f in bad.findings])


RC_PACK = """\
pack: {id: dl, title: demand loading}
rules:
  - code: DL2
    name: feedback-through-opik
    phase: 1
    severity: error
    message: feedback must be read through the Opik connector
    where:
      include: ["src/agents/**"]
    check:
      kind: require-call
      calls: ["*.get_feedback"]
      receivers: [OpikConnector]
"""

ACCESSOR = """\
from src.obs.types import FeedbackStore, OpikConnector


def get_conn() -> {ret}:
    return {ret}()
"""

TYPES = """\
class OpikConnector:
    def get_feedback(self, run_id):
        pass


class FeedbackStore:
    def get_feedback(self, run_id):
        pass
"""

CALLER = """\
from src.obs.access import get_conn


class Learner:
    def __init__(self):
        self.c = get_conn()

    def learn(self):
        return self.c.get_feedback("r")
"""


def test_receiver_accessor_edit_outside_scope_changes_cached_verdict(tmp_path):
    root = tmp_path / "proj"
    files = {".obs-lint.yaml": "packs: [./pack.yaml]\n", "pack.yaml": RC_PACK,
             "src/agents/__init__.py": "", "src/agents/learner.py": CALLER,
             "src/obs/__init__.py": "", "src/obs/types.py": TYPES,
             "src/obs/access.py": ACCESSOR.format(ret="OpikConnector")}
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text, encoding="utf-8")

    def status(**kw):
        config = resolve_config([str(root)]).with_overrides(jobs=1)
        result = check([str(root)], config, packs=load_packs(config), **kw)
        (res,) = [r for r in result.checks if r.rule.code == "DL2"]
        return res

    assert status().status is Status.PASS
    assert status(prefilter=False).status is Status.PASS
    (root / "src/obs/access.py").write_text(ACCESSOR.format(ret="FeedbackStore"),
                                            encoding="utf-8")
    res = status()
    assert res.status is Status.FAIL, res.note
    assert "`self.c` is a `FeedbackStore` (src/obs/types.py)" in res.findings[0].message
    assert status(prefilter=False, use_cache=False).status is Status.FAIL


ACC_PACK = """\
pack: {id: dl, title: demand loading}
rules:
  - code: DL3
    name: opik-singleton-through-import
    phase: 1
    severity: error
    message: the connector the agent uses must be a cached singleton
    where:
      include: ["src/agents/**"]
    check:
      kind: class-contract
      class: OpikConnector
      accessor: get_opik_connector
"""

CONN_CACHED = """\
_conn = None


class OpikConnector:
    pass


def get_opik_connector():
    global _conn
    if _conn is None:
        _conn = OpikConnector()
    return _conn
"""

CONN_FRESH = """\
class OpikConnector:
    pass


def get_opik_connector():
    return OpikConnector()
"""


def test_imported_accessor_outside_scope_through_the_pipeline(tmp_path):
    root = tmp_path / "proj"
    files = {".obs-lint.yaml": "packs: [./pack.yaml]\n", "pack.yaml": ACC_PACK,
             "src/agents/__init__.py": "",
             "src/agents/a.py": "from src.obs import OpikConnector, get_opik_connector\n",
             "src/obs/__init__.py": "from .conn import OpikConnector, get_opik_connector\n",
             "src/obs/conn.py": CONN_CACHED}
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text, encoding="utf-8")

    def res(**kw):
        config = resolve_config([str(root)]).with_overrides(jobs=1)
        result = check([str(root)], config, packs=load_packs(config), **kw)
        (r,) = [r for r in result.checks if r.rule.code == "DL3"]
        return r

    first = res()
    assert first.status is Status.PASS, (first.note, [f.message for f in first.findings])
    assert ("src/obs/conn.py", 8) in [(e.path, e.span.line) for e in first.evidence]
    assert res(prefilter=False, use_cache=False).status is Status.PASS
    (root / "src/obs/conn.py").write_text(CONN_FRESH, encoding="utf-8")
    bad = res()
    assert bad.status is Status.FAIL
    assert [(f.location.path, f.location.span.line) for f in bad.findings] == [
        ("src/obs/conn.py", 5)]
    assert "accessor `get_opik_connector()` does not cache `OpikConnector`" in \
        bad.findings[0].message
    assert res(prefilter=False, use_cache=False).status is Status.FAIL


def test_cached_rerun_after_deleting_the_demanded_file(tmp_path):
    root = make(tmp_path)
    assert verdict(root).status is Status.PASS
    (root / "src/shared/connector.py").unlink()
    res = verdict(root)
    # the base now comes from a module that is not in the project: it may provide anything
    assert res.status is Status.UNKNOWN
    assert "it may be inherited from `src.shared.connector.BaseConnector` (not in scope)" in \
        res.note
    assert res.status is verdict(root, use_cache=False).status
