"""Path-scoped prefilter patterns (``CheckKind.path_patterns``): forbid-import's ``from`` counts
only in files under the forbidden module's top folder, where a relative import can name it.

Elsewhere a file holding ``from`` but no part of a forbidden module name is not parsed for the
rule, and the result is the same as with ``--no-prefilter`` (which parses everything)."""

from __future__ import annotations

from pathlib import Path

import pytest

from obs_lint.api import check, load_packs, resolve_config
from obs_lint.checks.forbid_import import ForbidImport
from obs_lint.discover import discover
from obs_lint.plan import build_plan
from obs_lint.types import Status

from checkkit import rule_of

PACK = """\
pack: {id: t, title: T}
rules:
  - code: T001
    name: no-secret
    phase: null
    severity: error
    message: toolkit.secret imported
    check: {kind: forbid-import, modules: [toolkit.secret]}
"""


def _tree(tmp_path: Path, files: dict[str, str]) -> str:
    tmp_path.mkdir(parents=True, exist_ok=True)
    (tmp_path / ".obs-lint.yaml").write_text("packs: [pack.yaml]\n")
    (tmp_path / "pack.yaml").write_text(PACK)
    for rel, text in files.items():
        p = tmp_path / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text)
    return str(tmp_path)


def _run(root: str, prefilter: bool):
    config = resolve_config([root])
    return check([root], config, packs=load_packs(config), prefilter=prefilter,
                 use_cache=False)


def _same_without_prefilter(root: str):
    # the rule's findings and verdict; built-in parse-error findings are reported for parsed
    # files only (README, "parse-error"), and --no-prefilter parses every file
    fast, slow = _run(root, True), _run(root, False)
    assert [f for f in fast.findings if f.code == "T001"] == \
        [f for f in slow.findings if f.code == "T001"]
    assert [(c.status, c.note) for c in fast.checks] == [(c.status, c.note) for c in slow.checks]
    return fast


def test_the_kind_scopes_from_to_the_module_folders():
    kind = ForbidImport(rule_of("forbid-import", {"modules": ["toolkit.secret", "mlflow"]}))
    assert kind.patterns() == ("mlflow", "secret", "toolkit")
    assert kind.path_patterns() == (("mlflow/", ("from",)), ("src/mlflow/", ("from",)),
                                    ("toolkit/", ("from",)), ("src/toolkit/", ("from",)))


def test_a_relative_import_under_the_module_folder_is_still_found(tmp_path):
    # `from .. import *` in toolkit/sub/ names neither `toolkit` nor `secret`: only the path
    # pattern makes the file be parsed, and the star import of the parent is undecidable
    root = _tree(tmp_path, {
        "toolkit/__init__.py": "", "toolkit/secret.py": "X = 1\n",
        "toolkit/sub/__init__.py": "", "toolkit/sub/a.py": "from .. import *\n"})
    res = _same_without_prefilter(root)
    assert res.checks[0].status is Status.UNKNOWN
    assert "toolkit/sub/a.py" in res.checks[0].note


def test_from_elsewhere_is_not_parsed_and_decides_the_same(tmp_path):
    files = {f"app/m{i}.py": "from . import helpers\nfrom os import path\n" for i in range(5)}
    files["app/__init__.py"] = ""
    files["app/helpers.py"] = "import os\n"
    root = _tree(tmp_path, files)
    res = _same_without_prefilter(root)
    assert res.checks[0].status is Status.PASS
    assert res.stats.files_parsed == 0  # nothing names toolkit/secret, nothing is under toolkit/


def test_a_broken_file_under_the_folder_is_undecidable_elsewhere_not(tmp_path):
    root = _tree(tmp_path, {"app/__init__.py": "", "app/bad.py": "from . import (\n"})
    res = _same_without_prefilter(root)
    assert res.checks[0].status is Status.PASS  # `from` outside toolkit/ proves nothing
    root2 = _tree(tmp_path / "two", {"toolkit/__init__.py": "",
                                     "toolkit/bad.py": "from . import (\n"})
    res = _same_without_prefilter(root2)
    assert res.checks[0].status is Status.UNKNOWN  # it could be `from . import secret`


@pytest.mark.parametrize("path, wanted", [
    ("toolkit/x.py", True), ("src/toolkit/x.py", True), ("app/x.py", False),
    ("toolkitx/x.py", False), ("toolkit.py", False)])
def test_coverage_asks_for_from_only_under_the_folders(tmp_path, path, wanted):
    root = _tree(tmp_path, {path: "from . import y\n"})
    plan = build_plan(load_packs(resolve_config([root])))
    files = discover(root, [root], (), True)
    src = next(f for f in files if f.path == path)
    assert ("from" in plan.coverage(files).patterns_for(src)) is wanted


def test_the_stat_index_key_follows_the_patterns():
    a = build_plan((_pack("[toolkit.secret]"),))
    b = build_plan((_pack("[mlflow]"),))
    assert a.patterns_key() != b.patterns_key()
    assert a.patterns_key() == build_plan((_pack("[toolkit.secret]"),)).patterns_key()


def _pack(modules: str):
    from obs_lint.packs import parse_pack

    return parse_pack(PACK.replace("[toolkit.secret]", modules), "p.yaml")
