"""Fact positions agree with libcst's own ``PositionProvider`` on real code.

``facts.positions.spans_for`` replaces ``PositionProvider`` (a whole extra pass over every node)
with one lean render that records only the wanted nodes; findings point at its spans, so any
disagreement would put a finding on the wrong line or column. Compared here on every node of
the kinds facts record, in the fixture trees and in a few large standard-library modules
(CRLF line endings, tabs, non-ASCII and continuation lines included).
"""

from __future__ import annotations

import os
import sysconfig
from pathlib import Path

import libcst as cst
import pytest
from libcst.metadata import MetadataWrapper, PositionProvider

from obs_lint.facts import positions
from obs_lint.facts.positions import spans_for

from conftest import FIXTURES

KINDS = (cst.Call, cst.Name, cst.Attribute, cst.Import, cst.ImportFrom, cst.FunctionDef,
         cst.ClassDef, cst.Assign, cst.AnnAssign, cst.AugAssign, cst.SimpleString, cst.Decorator,
         cst.If, cst.Subscript, cst.Dict, cst.Comparison, cst.Return, cst.With, cst.Lambda,
         cst.FormattedString, cst.DictElement, cst.Arg)
STDLIB = Path(sysconfig.get_paths()["stdlib"])


def _parses(path: Path) -> bool:
    """Fixtures include deliberately broken files (parse-error tests): nothing to locate there."""
    try:
        cst.parse_module(path.read_bytes())
        return True
    except Exception:  # noqa: BLE001 - any failure to parse means "not a positions sample"
        return False


SOURCES = sorted(str(p) for p in FIXTURES.rglob("*.py")
                 if ".obs-lint-cache" not in p.parts and _parses(p))
SOURCES += [str(STDLIB / n) for n in ("argparse.py", "dataclasses.py", "typing.py",
                                      "email/_header_value_parser.py")
            if (STDLIB / n).exists()]

TRICKY = (
    "x = 1\r\nif x:\r\n\tdef f(a,\r\n\t      b=(1 +\r\n\t         2)):\r\n"
    "\t\treturn g(a)['k'].h(\r\n\t\t\t'é', b)  # ünïcode\r\n"
    "y = 'a' \\\n    'b'\n@d . e ( 1 )\nclass C ( B , metaclass = M ) : pass\n"
    "z = f'{x!r:>{w}}' + \"\"\"\nmulti\nline\"\"\"; w = [i for i in (1, 2)]\n"
)


class _Collect(cst.CSTVisitor):
    def __init__(self) -> None:
        self.nodes: list[cst.CSTNode] = []

    def on_visit(self, node: cst.CSTNode) -> bool:
        if isinstance(node, KINDS):
            self.nodes.append(node)
        return True


def _compare(code: str | bytes) -> int:
    module = cst.parse_module(code)
    wrapper = MetadataWrapper(module, unsafe_skip_copy=True)
    positions = wrapper.resolve(PositionProvider)
    collect = _Collect()
    module.visit(collect)
    spans = spans_for(module, collect.nodes)
    wrong = []
    for node in collect.nodes:
        r = positions[node]
        want = (r.start.line, r.start.column + 1, r.end.line, r.end.column + 1)
        s = spans[id(node)]
        if (s.line, s.column, s.end_line, s.end_column) != want:
            wrong.append((type(node).__name__, want, s))
    assert not wrong, wrong[:5]
    return len(collect.nodes)


@pytest.fixture(params=["lean", "plain"])
def render(request, monkeypatch):
    """Both renders: the lean one (single-threaded process) and libcst's own (threads)."""
    if request.param == "plain":
        monkeypatch.setattr(positions.threading, "active_count", lambda: 2)
    else:
        assert positions.threading.active_count() == 1, "the lean render needs one thread"
    return request.param


@pytest.mark.parametrize("path", SOURCES, ids=[os.path.relpath(p, FIXTURES) if p.startswith(
    str(FIXTURES)) else os.path.basename(p) for p in SOURCES])
def test_spans_match_position_provider(path, render):
    with open(path, "rb") as fh:
        _compare(fh.read())  # bytes: libcst honours a PEP 263 coding line


def test_spans_match_on_tricky_layout(render):
    assert _compare(TRICKY) > 40


def test_the_lean_render_restores_libcst():
    from libcst._nodes.base import CSTNode
    from libcst._nodes.expression import _BaseParenthesizedNode

    before = CSTNode.__dict__["_codegen"], _BaseParenthesizedNode.__dict__["_parenthesize"]
    _compare(TRICKY)
    assert (CSTNode.__dict__["_codegen"], _BaseParenthesizedNode.__dict__["_parenthesize"]) \
        == before
    assert cst.parse_module(TRICKY).code == TRICKY


def test_only_wanted_nodes_are_located():
    module = cst.parse_module("a = f(b)\n")
    call = module.body[0].body[0].value
    spans = spans_for(module, [call])
    assert list(spans) == [id(call)]
    assert spans_for(module, []) == {}


def test_code_of_is_code_for_node(render):
    module = cst.parse_module(TRICKY)
    collect = _Collect()
    module.visit(collect)
    for node in collect.nodes:
        try:
            want = module.code_for_node(node)
        except cst.CSTCodegenError:  # nodes that cannot render out of context
            continue
        assert positions.code_of(module, node) == want


# ---------------------------------------------------------------------------------------------
# Imports-only facts from CPython's tree alone (no libcst parse)
# ---------------------------------------------------------------------------------------------
#
# A file whose covering rules read only imports takes its whole facts from the AST the crash
# guard builds (``facts/ast_positions.imports_from_ast``): no libcst parse, no render. Those
# facts must be the imports-only libcst extraction's, field for field (kind, module, names,
# level, scope, TYPE_CHECKING flag, span, text; the module's import table), on the fixture
# trees, a sample of the standard library (with CRLF / lone-CR variants), crafted layouts and
# hypothesmith programs. Where the AST cannot vouch for them (a BOM, a form feed, a non-ASCII
# import statement, a text that may import dynamically) it must say so (None), and the libcst
# path decides as before.

import ast  # noqa: E402
import sys  # noqa: E402

import hypothesmith  # noqa: E402
from hypothesis import HealthCheck, assume, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from obs_lint.facts import _python as python_extractor  # noqa: E402
from obs_lint.facts import python as python_facts  # noqa: E402
from obs_lint.facts.ast_positions import DYNAMIC_IMPORT_WORDS, imports_from_ast  # noqa: E402
from obs_lint.facts.guard import cpython_verdict  # noqa: E402
from obs_lint.facts.model import IMPORTS_ONLY  # noqa: E402
from obs_lint.facts.source import DecodeError, decode as decode_source  # noqa: E402
from obs_lint.types import FileKind  # noqa: E402


def _decoded(path: Path) -> str | None:
    try:
        return decode_source(path.read_bytes(), FileKind.PYTHON)
    except (DecodeError, OSError):
        return None


def _stdlib_sample() -> list[Path]:
    """Every 8th module of the sorted standard library (~250 files, tests included: they hold
    the oddest layouts), plus every module with non-ASCII text or a form feed among the first
    hundred that import something (both fallbacks exercised)."""
    every = sorted(p for p in STDLIB.rglob("*.py") if "site-packages" not in p.parts)
    chosen = set(every[::8])
    odd = [p for p in every[:2000] if "import" in (_decoded(p) or "")
           and (not (_decoded(p) or "").isascii() or "\f" in (_decoded(p) or ""))]
    return sorted(chosen | set(odd[:100]))


AST_SAMPLES = sorted({Path(p) for p in SOURCES} | set(FIXTURES.rglob("*.py")))
AST_SAMPLES = [p for p in AST_SAMPLES if ".obs-lint-cache" not in p.parts] + _stdlib_sample()


def _libcst_imports_only(text: str, tree: ast.Module):
    facts, problems = python_facts.extract("x.py", text, needs=IMPORTS_ONLY, tree=tree)
    return facts, problems


def ast_facts_agree(text: str) -> str:
    """"ast": the AST gave facts equal to libcst's; "fallback": it declined (None);
    "rejected": CPython rejects the text (the guard passes it on to libcst)."""
    tree = cpython_verdict(text).tree
    if tree is None:
        return "rejected"
    got = imports_from_ast(tree, text)
    if got is None:
        return "fallback"
    want, problems = _libcst_imports_only(text, tree)
    assert not problems, f"libcst rejects a text CPython accepts: {problems}"
    assert got == want
    return "ast"


@pytest.mark.parametrize("path", AST_SAMPLES, ids=lambda p: os.path.relpath(p, FIXTURES)
                         if str(p).startswith(str(FIXTURES)) else os.path.relpath(p, STDLIB))
def test_ast_imports_equal_libcst_imports_only(path):
    text = _decoded(path)
    if text is None:
        pytest.skip("undecodable on purpose (a fixture)")
    ast_facts_agree(text)


def test_ast_imports_samples_take_the_ast_path():
    """Not vacuous: nearly every sample is decided by the AST, and both fallbacks occur."""
    outcomes = [ast_facts_agree(t) for t in (_decoded(p) for p in AST_SAMPLES) if t is not None]
    assert outcomes.count("ast") >= 0.9 * len(outcomes) and len(outcomes) >= 300
    assert outcomes.count("fallback") >= 5


@pytest.mark.parametrize("path", [STDLIB / "argparse.py", STDLIB / "email" / "_header_value_parser.py"])
@pytest.mark.parametrize("newline", ["\r\n", "\r"])
def test_ast_imports_with_other_line_endings(path, newline):
    text = (_decoded(path) or "").replace("\r\n", "\n").replace("\n", newline)
    assert ast_facts_agree(text) == "ast"


CRAFTED_IMPORTS = {
    "nested": '''\
"""import not_an_import"""
from __future__ import annotations
import os, sys as system
from typing import TYPE_CHECKING
import typing
import typing_extensions as te
if TYPE_CHECKING:
    from mlflow import MlflowClient
elif os.name == "nt":
    import ntpath
elif typing.TYPE_CHECKING:
    import nested_tc
else:
    import posixpath
if te.TYPE_CHECKING:
    import google.genai as genai
if (TYPE_CHECKING):
    import paren_tc
if x.TYPE_CHECKING:
    import not_tc
if f().TYPE_CHECKING:
    import not_tc_either
if not TYPE_CHECKING:
    import runtime
def outer(a=lambda: 1, *args: "int", **kw) -> "str":
    import json
    def inner():
        from . import sibling
        from ...deep.pkg import (
            one,
            two as deux,  # a comment
        )
    class Local:
        import csv
        def m(self):
            import typing as t
            if t.TYPE_CHECKING:
                import local_tc
    return json
@decorator(arg)
class Outer(Base, metaclass=Meta):
    import abc
    if TYPE_CHECKING:
        from x import y
    def method(self):
        from .mod import *
async def coro():
    async with ctx() as c:
        import asyncio
    async for x in it():
        import contextvars
    else:
        import queue
try:
    import ujson
except (ImportError, OSError) as exc:
    import json as ujson
else:
    import pickle
finally:
    import gc
try:
    import tomllib
except* ImportError:
    import tomli as tomllib
with open(__file__) as fh:
    import io
for i in range(3): import itertools
else: import functools
while False:
    import heapq
match system.argv:
    case ["a", *rest] if rest:
        import argparse
    case _:
        import optparse
x = [i for i in range(3)]; import re; import string as s
import a.b as c, d
import a.b.c
from . import a as a_local
import a
''',
    "semicolons": "import a; import b.c as d;from e import f\nx = 1;import g\n",
    "relative-and-star": "from . import a\nfrom .. import (b)\nfrom .c.d import *\n"
                         "from ...e import f as g\nfrom . import *\n",
    "parenthesised": "from a.b import (\n    c,\n    d as e,\n    f,\n)\nfrom x import (y\n)\n",
    "continuation": "import os \\\n  , sys\nfrom a \\\n  import b\n",
    "comment-inside": "from a import (b,  # why\n  c)  # and\nimport d  # e\n",
    "spaces": "import  a . b  as  c\nfrom  .  x  import  ( y  as  z )\n",
    "imports-in-strings": 's = "import os"\n# import sys\n"""\nimport re\n"""\nimport json\n',
    "no-imports": "x = f(1)\n",
    "empty": "",
    "shadowed": "import json\nfrom a import json\nimport b as json\nfrom . import json\n",
}
# texts the AST must decline (None): libcst decides them
DECLINED = {
    "bom": "\ufeffimport os\n",
    "form-feed": "import sys\n\fimport os\n",
    "non-ascii-statement": "import 𝔘\n",
    "nfkc": "from ﬁle import x\n",
    "non-ascii-on-the-line": 'x = "é"; import os\n',
    "dynamic": "import importlib\nm = importlib.import_module('x')\n",
    "dunder-import": "m = __import__('x')\n",
    "dynamic-in-a-comment": "import os  # importlib.import_module\n",
    # valid Python libcst's parser rejects: its parse error must stay the file's answer
    "parenthesised-annotated-name": "import os\n(x): int\n",
    "parenthesised-annotated-attribute": "import os\ndef f():\n    (a.b): int = 1\n",
    "parenthesised-annotated-subscript": "import os\nif c:\n    (a[0]): int\n",
}


@pytest.mark.parametrize("name", CRAFTED_IMPORTS)
def test_ast_imports_crafted(name):
    text = CRAFTED_IMPORTS[name]
    for variant in (text, text.replace("\n", "\r\n"), text.replace("\n", "\r"),
                    text.replace("    ", "\t")):
        assert ast_facts_agree(variant) == "ast"


def test_ast_imports_crafted_layout_facts():
    got = imports_from_ast(ast.parse(CRAFTED_IMPORTS["nested"]), CRAFTED_IMPORTS["nested"])
    assert got is not None and got.extracted == IMPORTS_ONLY
    by_name = {n.name: i for i in got.imports for n in i.names}
    assert by_name["MlflowClient"].type_checking and by_name["nested_tc"].type_checking
    assert by_name["google.genai"].type_checking and by_name["paren_tc"].type_checking
    assert by_name["local_tc"].type_checking and by_name["y"].type_checking
    assert not by_name["not_tc"].type_checking and not by_name["runtime"].type_checking
    assert not by_name["ntpath"].type_checking and not by_name["posixpath"].type_checking
    assert by_name["csv"].scope == "outer.<locals>.Local"
    assert by_name["local_tc"].scope == "outer.<locals>.Local.m"
    assert by_name["*"].scope == "Outer.method"
    assert by_name["one"].level == 3 and by_name["one"].module == "deep.pkg"
    assert not got.calls and not got.functions and not got.strings


@pytest.mark.parametrize("name", DECLINED)
def test_ast_imports_decline_what_only_libcst_can_say(name):
    text = DECLINED[name]
    tree = cpython_verdict(text).tree
    if name == "bom":  # CPython refuses the decoded text; a tree of its bytes exists
        assert tree is None
        tree = ast.parse(text.encode("utf-8"))
    assert tree is not None
    assert imports_from_ast(tree, text) is None
    # the run's extractor then takes the libcst path: what it always did
    payload, problems = python_extractor("x.py", text, needs=IMPORTS_ONLY)
    want, want_problems = python_facts.extract("x.py", text, needs=IMPORTS_ONLY,
                                               tree=cpython_verdict(text).tree)
    assert payload == want
    if name.startswith("parenthesised"):
        assert payload is None and [p.rule for p in problems] == ["parse-error"]
        assert [p.rule for p in want_problems] == ["parse-error"]
        return
    assert not problems
    if any(w in text for w in DYNAMIC_IMPORT_WORDS):
        assert payload.extracted == ""  # the full walk: dynamic imports are calls


def test_imports_only_file_is_never_parsed_by_libcst(monkeypatch):
    """The run's extractor (``facts._python``) with needs "imports" parses nothing with libcst
    when the AST can vouch for the facts; "" (every fact) still does."""
    text = CRAFTED_IMPORTS["nested"]
    calls = []
    real = python_facts.extract
    monkeypatch.setattr(python_facts, "extract", lambda *a, **k: calls.append(a) or real(*a, **k))
    payload, problems = python_extractor("x.py", text, needs=IMPORTS_ONLY)
    assert not calls and not problems and payload.imports
    python_extractor("x.py", text)
    assert len(calls) == 1


def test_a_run_of_imports_only_rules_never_imports_libcst(tmp_path):
    """End to end: ``--select`` of a forbid-import rule on a fresh process (no cache) parses
    its files from CPython's tree only: libcst is never imported."""
    import subprocess

    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "a.py").write_text("import mlflow\nx = 1\n")
    (tmp_path / "src" / "b.py").write_text("def f():\n    from mlflow import log_param\n")
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'x'\n")
    code = ("import sys, json\nfrom obs_lint.cli import main\n"
            "try:\n    main(['check', sys.argv[1], '--pack', 'e2i', '--select', 'E2I201',"
            " '--no-cache', '--format', 'json', '--exit-zero', '--jobs', '1'])\n"
            "except SystemExit:\n    pass\n"
            "print('LIBCST' if 'libcst' in sys.modules else 'NO-LIBCST', file=sys.stderr)\n")
    done = subprocess.run([sys.executable, "-c", code, str(tmp_path)], capture_output=True,
                          text=True)
    assert "NO-LIBCST" in done.stderr, done.stderr[-2000:]
    import json as _json

    report = _json.loads(done.stdout)
    assert sorted(f["path"] for f in report["findings"]) == ["src/a.py", "src/b.py"]


IMPORT_SNIPPETS = st.sampled_from([
    "import mlflow\n", "import a.b as c, d\n", "from . import x\n", "from ..p import (y as z)\n",
    "from m import *\n", "if TYPE_CHECKING:\n    import t\n", "from typing import TYPE_CHECKING\n",
    "def f():\n    import g\n", "class C:\n    from h import i\n", "import typing as tp\n",
    "if tp.TYPE_CHECKING:\n    from j import k\n",
])


@settings(max_examples=60, deadline=None, database=None, print_blob=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much,
                                 HealthCheck.data_too_large])
@given(program=hypothesmith.from_grammar() | hypothesmith.from_node(),
       before=st.lists(IMPORT_SNIPPETS, max_size=3), after=st.lists(IMPORT_SNIPPETS, max_size=3))
def test_ast_imports_equal_libcst_on_generated_programs(program, before, after):
    text = "".join(before) + program + ("\n" if program and not program.endswith("\n") else "") \
        + "".join(after)
    try:
        compile(text, "<h>", "exec", ast.PyCF_ONLY_AST, dont_inherit=True)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        assume(False)
    ast_facts_agree(text)
