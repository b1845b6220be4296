"""forbid-import: absolute, relative (resolved against the file's package) and dynamic imports;
what is undecidable is UNKNOWN with its reason, never a pass or a guess."""

from __future__ import annotations

import pytest
from checkkit import facts_of, lines, messages, pack_error, rule_of, run

from obs_lint.checks import REGISTRY
from obs_lint.checks.base import RuleContext
from obs_lint.checks.forbid_import import ForbidImport
from obs_lint.types import Status

PARSER = {"modules": ["pkg.facts.sql"]}


@pytest.mark.parametrize("path, line", [
    ("pkg/checks/kind.py", "from ..facts.sql import parse_type"),
    ("pkg/checks/kind.py", "from ..facts.sql.inner import x"),
    ("pkg/checks/kind.py", "from ..facts import sql"),
    ("pkg/checks/kind.py", "from ..facts import model, sql as s"),
    ("pkg/checks/deep/kind.py", "from ...facts.sql import parse_type"),
    ("pkg/facts/other.py", "from .sql import parse_type"),
    ("pkg/facts/other.py", "from . import sql"),
    ("pkg/kind.py", "from .facts.sql import x"),
    ("pkg/checks/kind.py", "from pkg.facts.sql import parse_type"),  # absolute, as before
    ("pkg/checks/kind.py", "import pkg.facts.sql"),
])
def test_a_relative_import_of_the_forbidden_module_is_reported(path, line):
    res = run("forbid-import", PARSER, {path: f"import os\n{line}\n"})
    assert res.status is Status.FAIL
    assert lines(res) == [(path, 2)]
    assert "pkg.facts.sql" in messages(res)[0]


@pytest.mark.parametrize("path, line", [
    ("pkg/checks/kind.py", "from ..facts.model import FileFacts"),  # a sibling of the parser
    ("pkg/checks/kind.py", "from ..facts import model"),
    ("pkg/checks/kind.py", "from .. import facts"),  # the package, not its submodule
    ("pkg/checks/kind.py", "from .sql import x"),  # pkg.checks.sql, a look-alike
    ("pkg/checks/kind.py", "from . import sql"),  # pkg.checks.sql
    ("other/checks/kind.py", "from ..facts.sql import x"),  # other.facts.sql
    ("pkg/checks/kind.py", "from ..facts.sql_types import parse_type"),  # look-alike name
    ("pkg/kind.py", "from .. import pkg"),  # climbs to the project root: not a package here
])
def test_relative_imports_of_other_modules_pass(path, line):
    res = run("forbid-import", PARSER, {path: f"{line}\n"})
    assert res.status is Status.PASS, messages(res)


def test_a_local_module_never_matches_a_third_party_one():
    files = {"pkg/a.py": "from . import mlflow\nfrom .mlflow import helpers\n",
             "pkg/sub/b.py": "from .. import mlflow\n"}
    assert run("forbid-import", {"modules": ["mlflow"]}, files).status is Status.PASS


def test_src_layout_names_count_without_src():
    files = {"src/pkg/checks/kind.py": "from ..facts.sql import x\n",
             "src/pkg/facts/sql.py": ""}
    res = run("forbid-import", PARSER, files)
    assert lines(res) == [("src/pkg/checks/kind.py", 1)]
    res = run("forbid-import", {"modules": ["src.pkg.facts.sql"]}, files)
    assert lines(res) == [("src/pkg/checks/kind.py", 1)]


def test_src_that_is_a_package_keeps_its_name():
    files = {"src/__init__.py": "", "src/pkg/checks/kind.py": "from ..facts.sql import x\n"}
    rule = rule_of("forbid-import", PARSER)
    ctx = RuleContext(rule=rule, files=facts_of(files), root=".", all_paths=frozenset(files))
    # src/ is a package: the module is src.pkg.facts.sql, not pkg.facts.sql
    assert REGISTRY["forbid-import"](rule).evaluate(ctx).status is Status.PASS


def test_type_checking_imports_are_exempt_unless_asked_for():
    src = ("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n"
           "    from ..facts.sql import SqlFacts\n")
    files = {"pkg/checks/kind.py": src}
    assert run("forbid-import", PARSER, files).status is Status.PASS
    res = run("forbid-import", {**PARSER, "include_type_checking": True}, files)
    assert lines(res) == [("pkg/checks/kind.py", 3)]


@pytest.mark.parametrize("line", [
    "from ..facts import *",  # pkg.facts.__all__ may list sql
    "from .. import *",
    "from pkg.facts import *",  # the absolute form is as undecidable
])
def test_a_star_import_of_a_parent_package_is_undecidable(line):
    res = run("forbid-import", PARSER, {"pkg/checks/kind.py": f"{line}\n"})
    assert res.status is Status.UNKNOWN
    assert res.note.startswith("could not decide: ") and "__all__" in res.note
    assert "pkg.facts.sql" in res.note


def test_a_star_import_of_an_unrelated_package_decides():
    res = run("forbid-import", PARSER, {"pkg/checks/kind.py": "from ..report import *\n"})
    assert res.status is Status.PASS


def test_a_finding_elsewhere_decides_over_an_undecidable_statement():
    res = run("forbid-import", PARSER, {
        "pkg/checks/a.py": "from ..facts import *\n",
        "pkg/checks/b.py": "from ..facts.sql import x\n"})
    assert res.status is Status.FAIL and lines(res) == [("pkg/checks/b.py", 1)]


def test_a_relative_dynamic_import_naming_the_module_is_undecidable():
    src = "import importlib\nmod = importlib.import_module('.sql', __package__)\n"
    res = run("forbid-import", PARSER, {"pkg/facts/other.py": src})
    assert res.status is Status.UNKNOWN and "run time" in res.note
    src = "import importlib\nmod = importlib.import_module('.model', __package__)\n"
    assert run("forbid-import", PARSER, {"pkg/facts/other.py": src}).status is Status.PASS


def test_every_relative_import_survives_the_prefilter():
    # `from . import x` holds no part of `pkg.facts.sql` but the keyword `from`, which counts
    # in files under `pkg/` (or `src/pkg/`): only there can a relative import name `pkg.…`
    kind = ForbidImport(rule_of("forbid-import", PARSER))
    pats = kind.patterns()
    scoped = dict(kind.path_patterns())
    assert set(scoped) == {"pkg/", "src/pkg/"}
    for text in ("from . import x\n", "from .x import y\n", "from ..other import z\n"):
        assert not any(p in text for p in pats)
        assert all(any(p in text for p in more) for more in scoped.values())


def test_modules_must_be_dotted_names():
    assert "is not a dotted module name" in pack_error("forbid-import", {"modules": [".sql"]})
    assert pack_error("forbid-import", PARSER) == ""
