"""Check kind ``config-contract`` and its helpers: path expressions, loader functions, key
reads (facts are extracted directly from snippets; the fixture tree
``fixtures/checks/config-contract/`` runs the whole pipeline)."""

from __future__ import annotations

import textwrap
from typing import Any

import pytest

from obs_lint.checks import REGISTRY
from obs_lint.checks.config_contract import ConfigContract
from obs_lint.checks.keyreads import track
from obs_lint.checks.loaders import LoadFinder
from obs_lint.checks.pathexpr import Cand, PathEval
from obs_lint.checks.resolve import ProjectIndex, ProjectView
from obs_lint.facts.model import FileFacts, Ref
from obs_lint.facts.python import extract as py_extract
from obs_lint.facts.yaml_doc import extract as yaml_extract
from obs_lint.types import FileKind, Severity, Status
from checkkit import evaluate_kind, pack_error

CFG = {
    "config/app.yaml": "thresholds:\n  psi: 0.2\nschedule:\n  cron: daily\nalerts:\n  email: x\n",
    "config/other.yaml": "a: 1\n",
}


def _facts(py: dict[str, str], yaml: dict[str, str] | None = None) -> list[FileFacts]:
    out = []
    for path, text in sorted((CFG if yaml is None else yaml).items()):
        payload, problems = yaml_extract(path, text)
        out.append(FileFacts(path=path, kind=FileKind.YAML, digest="-", parsed=True,
                             problems=tuple(problems), payload=payload))
    for path, text in sorted(py.items()):
        payload, problems = py_extract(path, textwrap.dedent(text))
        out.append(FileFacts(path=path, kind=FileKind.PYTHON, digest="-", parsed=True,
                             problems=tuple(problems), payload=payload))
    return out


def run(py: dict[str, str], yaml: dict[str, str] | None = None, **given: Any):
    given.setdefault("files", ["config/*.yaml"])
    return evaluate_kind(ConfigContract, _facts(py, yaml), ".", None, "T801", 8, **given)


def rows(res, severity: Severity | None = None) -> list[tuple[str, int, str]]:
    return [(f.location.path, f.location.span.line, f.message) for f in res.findings
            if severity is None or f.severity is severity]


def _view(py: dict[str, str]) -> ProjectView:
    facts = _facts(py, {})
    paths = [f.path for f in facts]
    return ProjectView(ProjectIndex(facts, paths), frozenset(paths))


# --------------------------------------------------------------------------------------------
# facts this kind added
# --------------------------------------------------------------------------------------------


def test_facts_record_defaults_key_reads_loops_uses_and_main_blocks():
    facts, _ = py_extract("src/a.py", textwrap.dedent('''
        def f(path="config/x.yaml", n=Path(__file__) / "x"):
            d = load()
            v = d["k"]["j"]
            d["store"] = 1
            if "env" in d:
                pass
            for c in [1, 2]:
                pass
            return d.get("z")

        if __name__ == "__main__":
            f()
        f()
    '''))
    sig = facts.functions[0].signature
    assert sig[0].default == "config/x.yaml" and sig[0].has_default
    assert sig[1].default.text == 'Path(__file__) / "x"'
    reads = {(r.target, r.keys, r.how) for r in facts.key_reads}
    assert reads == {("d", ("k", "j"), "subscript"), ("d", ("k",), "subscript"),
                     ("d", ("env",), "in")}  # the store target is no read
    assert [(lp.target, lp.iterable.items) for lp in facts.loops] == [("c", (1, 2))]
    assert next(n.uses for n in facts.names if n.name == "d") == 4  # the store is a use too
    assert [(c.callee, c.in_main) for c in facts.calls if c.callee == "f"] == [
        ("f", True), ("f", False)]


# --------------------------------------------------------------------------------------------
# path expressions
# --------------------------------------------------------------------------------------------

PATHS = '''
import os
from pathlib import Path

CONFIG_PATH = Path(__file__).parent.parent / "config" / "app.yaml"
JOINED = os.path.join(os.path.dirname(__file__), "..", "config", "app.yaml")
PARENTS = Path(__file__).resolve().parents[1] / "config" / "app.yaml"

def defaulted(config_path=None):
    path = config_path or CONFIG_PATH
    return path

def reassigned(config_path=None):
    if config_path is None:
        root = Path(__file__).parent.parent
        config_path = str(root / "config" / "other.yaml")
    return config_path

def env():
    return Path(os.getenv("CFG_DIR", "")) / "app.yaml"

def fstring(name):
    return f"config/{name}.yaml"

def candidates():
    for c in ["config/a.yaml", "config/b.yaml"]:
        return c
'''


@pytest.mark.parametrize("expr, scope, expected", [
    ("CONFIG_PATH", "", [Cand("path", "config/app.yaml")]),
    ("JOINED", "", [Cand("path", "config/app.yaml")]),
    ("PARENTS", "", [Cand("path", "config/app.yaml")]),
    ("path", "defaulted", [Cand("param", "config_path", fn="defaulted", fn_path="src/p.py"),
                           Cand("path", "config/app.yaml", default_of="config_path")]),
    ("config_path", "reassigned", [
        Cand("param", "config_path", fn="reassigned", fn_path="src/p.py"),
        Cand("path", "config/other.yaml", default_of="config_path")]),
    ("c", "candidates", [Cand("path", "config/a.yaml"), Cand("path", "config/b.yaml")]),
])
def test_path_expressions(expr, scope, expected):
    ev = PathEval(_view({"src/p.py": PATHS}))
    assert ev.value("src/p.py", Ref(expr), scope) == expected


def test_unknown_parts_become_patterns_and_reasons():
    view = _view({"src/p.py": PATHS})
    ev = PathEval(view)
    fi = view.file("src/p.py")
    env = next(f for f in fi.facts.functions if f.name == "env")
    got = ev.value("src/p.py", env.returns[0], "env")
    assert Cand("pattern", "*/app.yaml") in got and Cand("path", "app.yaml") in got
    fs = next(f for f in fi.facts.functions if f.name == "fstring")
    assert ev.value("src/p.py", fs.returns[0], "fstring") == [Cand("pattern", "config/*.yaml")]
    assert ev.value("src/p.py", "/etc/app.yaml", "")[0].kind == "opaque"


def test_loader_defaults_propagate_to_the_calls_that_omit_the_path():
    py = {
        "src/loader.py": '''
            from pathlib import Path
            import yaml

            class Cfg:
                @classmethod
                def from_yaml(cls, path):
                    with open(path) as f:
                        return cls(yaml.safe_load(f))

            def load(config_path=None, force=False):
                if config_path is None:
                    config_path = Path(__file__).parent.parent / "config" / "app.yaml"
                return Cfg.from_yaml(config_path)

            def passthrough(p=None):
                return load(p)

            def required(p):
                return load(p)
        ''',
        "src/use.py": '''
            from src.loader import load, passthrough

            def a():
                return load()

            def b():
                return passthrough()

            def c():
                return load("config/other.yaml")
        ''',
    }
    view = _view(py)
    lf = LoadFinder(view)
    lf.run([(p, view.file(p).facts) for p in py])
    got = sorted((ld.cand.text, ld.path, ld.span.line, len(ld.chain)) for ld in lf.loads)
    assert got == [("config/app.yaml", "src/use.py", 5, 2),
                   ("config/app.yaml", "src/use.py", 8, 3),
                   ("config/other.yaml", "src/use.py", 11, 2)]
    # ``required(p)`` must pass a value: it does not inherit the default
    assert "p" not in lf.summaries[("src/loader.py", "required")].defaults


# --------------------------------------------------------------------------------------------
# the kind
# --------------------------------------------------------------------------------------------


def test_registered_and_validated():
    assert REGISTRY["config-contract"] is ConfigContract
    assert ConfigContract.file_kinds == frozenset({FileKind.PYTHON, FileKind.YAML})
    assert "files" in pack_error("config-contract", {})
    assert "relative" in pack_error("config-contract", {"files": ["../x.yaml"]})


LOADS_APP = {"src/drift.py": '''
    from pathlib import Path
    import yaml

    CONFIG_PATH = Path(__file__).parent.parent / "config" / "app.yaml"

    def load():
        with open(CONFIG_PATH) as f:
            config = yaml.safe_load(f) or {}
        if not config:
            return None
        return config["thresholds"]["psi"], config.get("schedule", {}).get("cron"), config["owner"]
'''}


def test_unloaded_files_unread_sections_and_missing_keys():
    res = run(LOADS_APP)
    assert res.status is Status.FAIL
    got = rows(res)
    assert got[0][:2] == ("config/app.yaml", 5)
    assert got[0][2] == ("R: section `alerts` of config/app.yaml is never read by the code that "
                         "loads it (loaded at src/drift.py:8; keys read through `config`: owner, "
                         "schedule, thresholds)")
    assert got[1][:2] == ("config/other.yaml", 1)
    assert got[1][2].startswith("R: config/other.yaml is not loaded by any code: searched 1 "
                                "Python file(s) for a path naming it that reaches a reader")
    assert got[2][:2] == ("src/drift.py", 12)
    assert "reads key `owner` of config/app.yaml, which the file does not define" in got[2][2]
    res = run(LOADS_APP, sections=False, keys=False)
    assert [r[0] for r in rows(res)] == ["config/other.yaml"]


def test_data_passed_on_leaves_sections_undecided_but_keys_judged():
    src = {"src/d.py": LOADS_APP["src/drift.py"].replace(
        "if not config:", "merge(config)\n        if not config:")}
    got = rows(run(src, {"config/app.yaml": CFG["config/app.yaml"]}))
    assert [r[:2] for r in got] == [("src/d.py", 13)]


def test_a_loader_nobody_calls_loads_nothing_and_tests_count_when_asked():
    py = {
        "src/obs.py": '''
            from pathlib import Path
            import yaml

            def get_config(config_path=None):
                if config_path is None:
                    config_path = Path(__file__).parent.parent / "config" / "app.yaml"
                with open(config_path) as f:
                    return yaml.safe_load(f)
        ''',
        "tests/test_obs.py": "from src.obs import get_config\n\ndef test_it():\n    get_config()\n",
    }
    yaml = {"config/app.yaml": "a: 1\n"}
    res = run(py, yaml)
    msg = rows(res)[0][2]
    assert "only code that does not count loads it: tests/test_obs.py:4 through `get_config`" in msg
    assert "`get_config` (src/obs.py:5) defaults `config_path` to it, but no counted code calls " \
           "it without a path" in msg
    assert run(py, yaml, exclude_loaders=[], sections=False).status is Status.PASS


def test_script_entry_points_do_not_count_unless_asked():
    py = {"src/cli.py": '''
        import yaml

        def load(p):
            with open(p) as f:
                return yaml.safe_load(f)

        if __name__ == "__main__":
            load("config/app.yaml")
    '''}
    yaml = {"config/app.yaml": "a: 1\n"}
    assert run(py, yaml).status is Status.FAIL
    assert run(py, yaml, main_blocks=True, sections=False).status is Status.PASS


def test_constructor_parameters_and_globbed_directories():
    py = {"src/c.py": '''
        from pathlib import Path
        import yaml

        class Compiler:
            def __init__(self, config_dir):
                self.config_dir = Path(config_dir)

            def compile(self):
                for f in sorted(self.config_dir.glob("*.yaml")):
                    self._load(f)

            def _load(self, path):
                with open(path) as fh:
                    return yaml.safe_load(fh)

        def build():
            return Compiler("config").compile()
    '''}
    res = run(py, sections=False)
    assert res.status is Status.PASS, rows(res)


def test_a_path_that_cannot_be_followed_makes_the_file_undecidable():
    py = {"src/e.py": '''
        import os
        import yaml

        def load(name):
            with open(f"config/{name}.yaml") as f:
                return yaml.safe_load(f)

        def env():
            with open(os.environ["APP_CONFIG"]) as f:
                return yaml.safe_load(f)
    '''}
    res = run(py, {"config/app.yaml": "a: 1\n"})
    assert res.status is Status.UNKNOWN
    (path, line, msg), = rows(res, Severity.INFO)
    assert (path, line) == ("config/app.yaml", 1)
    assert "could not decide whether config/app.yaml is loaded" in msg
    assert "reads `config/*.yaml`" in msg


def test_writing_is_not_loading():
    py = {"src/w.py": '''
        import json

        def dump(x, path="config/app.yaml"):
            with open(path, "w") as f:
                json.dump(x, f)

        def go():
            dump({})
    '''}
    res = run(py, {"config/app.yaml": "a: 1\n"})
    assert res.status is Status.FAIL
    assert "is not loaded by any code" in rows(res)[0][2]


def test_key_tracking_follows_parts_and_counts_uses():
    facts, _ = py_extract("src/k.py", textwrap.dedent('''
        def f(data):
            cfg = parse()
            sub = cfg.get("a") or {}
            x = sub["b"]
            if "c" in cfg and isinstance(cfg, dict):
                pass
            return x
    '''))
    r = track(facts, "f", "cfg", "src/k.py")
    assert r.complete, r.why
    assert {(k.keys, k.how) for k in r.reads} >= {(("a",), "get"), (("a", "b"), "subscript"),
                                                 (("c",), "in")}
    facts, _ = py_extract("src/k.py", "def f():\n    cfg = parse()\n    use(cfg)\n")
    assert not track(facts, "f", "cfg").complete


def test_the_documented_example_is_a_valid_rule():
    from checkkit import example_rule

    rule = example_rule("config-contract")
    assert rule.check_kind == "config-contract"
    assert rule.params["exclude_loaders"][0] == "tests/**"
