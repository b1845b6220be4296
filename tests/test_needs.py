"""Imports-only extraction: a file whose rules read nothing but imports gets exactly the same
import facts as a full extraction, and the two kinds of facts never stand in for each other.

When every rule covering a Python file reads only its imports (``CheckKind.facts``; today
``forbid-import``), ``Coverage.needs_for`` says ``"imports"`` and ``facts.python.extract`` walks
statements only, taking import positions from CPython's AST (``facts/ast_positions.py``) instead
of rendering the libcst tree. A wrong span there moves a finding; a wrong ``needs`` silently
drops the facts a rule reads; a cache entry of one kind served for the other would let the
``--no-prefilter`` reference run agree with a broken fast path. Proven here:

* plan: ``needs_for`` is ``"imports"`` only for a Python file covered by imports-only rules,
  with the prefilter on;
* extraction: over the fixture trees, a deterministic sample of the standard library (plus
  CRLF / lone-CR variants) and crafted layouts (imports nested in every statement kind,
  relative / star / parenthesised / aliased / semicolon-separated imports, non-ASCII text
  before an import, form feeds, a BOM), the imports-only facts equal the full extraction's
  imports and aliases, every other field is empty, the walk never enters an expression, the
  AST spans equal the libcst render's, and a text that may import dynamically is extracted
  in full;
* ``import_spans`` refuses (None) a tree that does not describe the text;
* ``string_value`` (the fast ``evaluated_value``) equals ``ast.literal_eval``;
* ``_Extractor.text`` slices of the source equal the code generation they replace;
* end to end (cache on / ``--no-prefilter`` / cache on, serial and with workers): every run
  prints what a ``--no-cache`` run prints, and poisoned entries of one ``needs`` are never
  read by a run that needs the other.
"""

from __future__ import annotations

import ast
import dataclasses
import functools
import os
import re
import shutil
import sys
import sysconfig
from pathlib import Path
from typing import Callable

import hypothesis.strategies as st
import libcst as cst
import pytest
from hypothesis import HealthCheck, assume, given, settings

import obs_lint.extract as extract_mod
import obs_lint.facts.python.locate as python_positions
from obs_lint.api import load_packs, resolve_config
from obs_lint.cache.store import FactCache
from obs_lint.checks import REGISTRY
from obs_lint.checks.forbid_import import ForbidImport
from obs_lint.cache.codec import decode, encode
from obs_lint.discover import discover
from obs_lint.extract import ExtractReport, extract_all
from obs_lint.facts.ast_positions import import_spans
from obs_lint.facts.guard import cpython_verdict
from obs_lint.facts.model import IMPORTS_ONLY, PythonFacts, Unknown
from obs_lint.facts.positions import code_of, spans_for
from obs_lint.facts.python import (_TEXT_LIMIT, _Extractor, _is_docstring_stmt, _text_nodes,
                                   extract, string_value)
from obs_lint.facts.source import DecodeError, decode as decode_source
from obs_lint.packs import parse_pack
from obs_lint.plan import Coverage, build_plan
from obs_lint.types import FileKind, SourceFile, Span

from conftest import FIXTURES
from pipeline_runs import CACHE, cache_entries, copy_project

DYNAMIC_WORDS = ("import_module", "__import__")
STDLIB = Path(sysconfig.get_paths()["stdlib"])


# ---------------------------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------------------------

def decoded(path: Path) -> str | None:
    """A Python file's text as the pipeline decodes it (coding cookie, BOM), or None."""
    try:
        return decode_source(path.read_bytes(), FileKind.PYTHON)
    except (DecodeError, OSError):
        return None


@functools.lru_cache(maxsize=None)
def read_source(path: Path) -> str | None:
    """``decoded``, kept: the sampled files are read by several tests."""
    return decoded(path)


def walked(text: str, imports_only: bool = False) -> tuple[cst.Module, _Extractor]:
    """A module and an extractor that has walked it as ``extract`` does (nothing finished)."""
    module = cst.parse_module(text)
    ex = _Extractor(module, text, imports_only=imports_only)
    old = sys.getrecursionlimit()
    sys.setrecursionlimit(max(old, 20_000))
    try:
        for i, stmt in enumerate(module.body):
            if i == 0 and _is_docstring_stmt(stmt):
                continue
            ex.walk(stmt)
    finally:
        sys.setrecursionlimit(old)
    return module, ex


def full_facts(path: str, text: str) -> PythonFacts:
    facts, problems = extract(path, text)
    assert facts is not None, problems
    return facts


def imports_only_facts(path: str, text: str, tree: ast.Module | None = None) -> PythonFacts:
    if tree is None:
        tree = cpython_verdict(text).tree
    facts, problems = extract(path, text, needs=IMPORTS_ONLY, tree=tree)
    assert facts is not None, problems
    return facts


def assert_equivalent(path: str, text: str, tree: ast.Module | None = None) -> PythonFacts:
    """The imports-only extraction of ``text`` says what the full one says about imports."""
    full = full_facts(path, text)
    got = imports_only_facts(path, text, tree)
    if any(w in text for w in DYNAMIC_WORDS):
        assert got == full, "a text that may import dynamically must be extracted in full"
        assert got.extracted == ""
        return got
    assert got.extracted == IMPORTS_ONLY
    assert got.imports == tuple(i for i in full.imports if i.kind != "dynamic")
    assert got.aliases == full.aliases
    assert got == PythonFacts(imports=got.imports, aliases=got.aliases,
                              extracted=IMPORTS_ONLY), "only imports and aliases"
    return got


def ast_and_render_spans(text: str, tree: ast.Module | None = None
                         ) -> tuple[dict[int, Span] | None, dict[int, Span], int]:
    """Spans of the walk's import nodes from CPython's tree and from the libcst render."""
    module, ex = walked(text, imports_only=True)
    tree = tree if tree is not None else cpython_verdict(text).tree
    assert tree is not None, "CPython must accept this text"
    nodes = [n for n, *_ in ex.pending_imports]
    return import_spans(tree, ex.pending_imports, text), spans_for(module, nodes), len(nodes)


def normalised(code: str) -> str:
    """What ``_Extractor.text`` makes of a code generation (whitespace folded, truncated)."""
    code = " ".join(code.split())
    return code if len(code) <= _TEXT_LIMIT else code[:_TEXT_LIMIT] + "..."


def sliced_texts(text: str) -> list[tuple[str, str]]:
    """(``ex.text(node)``, normalised ``code_of``) for every node whose text a full extraction
    takes as a slice of the source."""
    module, ex = walked(text)
    wanted: list[cst.CSTNode] = []
    for root in ex._value_roots():  # before finish(): it consumes the pending assignments
        _text_nodes(root, wanted)
    ex.finish()
    return [(ex.text(n), normalised(code_of(module, n))) for n in wanted
            if ex._sliceable and id(n) in ex.outer]


# ---------------------------------------------------------------------------------------------
# Samples
# ---------------------------------------------------------------------------------------------

def _fixture_sources() -> list[Path]:
    out = []
    for p in sorted(FIXTURES.rglob("*.py")):
        if CACHE in p.parts:
            continue
        text = read_source(p)
        if text is None:
            continue
        try:
            cst.parse_module(text)
        except Exception:  # noqa: BLE001 - deliberately broken fixtures: nothing to extract
            continue
        out.append(p)
    return out


def _stdlib_sources() -> list[Path]:
    """~40 modules every Nth of the sorted stdlib, plus the first few with non-ASCII text and
    the first few that may import dynamically (both branches of ``extract``)."""
    skip = {"site-packages", "test", "tests", "idle_test", "__pycache__"}
    every = sorted(p for p in STDLIB.rglob("*.py") if not skip & set(p.relative_to(STDLIB).parts))
    chosen = set(every[::max(1, len(every) // 40)])
    non_ascii: list[Path] = []
    dynamic: list[Path] = []
    for p in every:
        if len(non_ascii) == 4 and len(dynamic) == 4:
            break
        text = decoded(p) or ""
        if len(non_ascii) < 4 and not text.isascii() and "import" in text:
            non_ascii.append(p)
        if len(dynamic) < 4 and any(w in text for w in DYNAMIC_WORDS):
            dynamic.append(p)
    return sorted(chosen | set(non_ascii) | set(dynamic))


FIXTURE_SOURCES = _fixture_sources()
STDLIB_SOURCES = _stdlib_sources()
SOURCES = FIXTURE_SOURCES + STDLIB_SOURCES
# line-ending variants of a few sampled modules (each parser must count \r\n and \r as one break)
_WITH_IMPORTS = [p for p in STDLIB_SOURCES
                 if re.search(r"^(import|from) ", read_source(p) or "", re.MULTILINE)]
_VARIED = _WITH_IMPORTS[:: max(1, len(_WITH_IMPORTS) // 2)][:2] + [
    next(p for p in _WITH_IMPORTS if not (read_source(p) or "").isascii())]
LINE_ENDING_VARIANTS = [(p, nl) for p in _VARIED for nl in ("\r\n", "\r")]


def _id(path: Path) -> str:
    base = FIXTURES if path.is_relative_to(FIXTURES) else STDLIB
    return path.relative_to(base).as_posix()


def test_samples_cover_what_they_claim():
    """The parametrised samples are not vacuous: non-ASCII, dynamic-import and CPython-rejected
    texts are all present, and most of the standard library sample has imports."""
    texts = {p: read_source(p) or "" for p in SOURCES}
    assert len(FIXTURE_SOURCES) >= 20 and len(STDLIB_SOURCES) >= 40
    assert sum(not t.isascii() for t in texts.values()) >= 4
    assert sum(any(w in t for w in DYNAMIC_WORDS) for t in texts.values()) >= 4
    assert any(cpython_verdict(t).tree is None for t in texts.values()), \
        "a fixture CPython rejects (newer syntax): the render fallback is exercised"
    assert sum("import" in texts[p] for p in STDLIB_SOURCES) >= 35


# ---------------------------------------------------------------------------------------------
# Plan: which files are extracted imports-only
# ---------------------------------------------------------------------------------------------

RULES = {
    "forbid": """\
  - code: T101
    name: no-raw-mlflow
    phase: null
    severity: error
    message: raw mlflow
    where: {include: ["src/**"]}
    check: {kind: forbid-import, modules: [mlflow]}
""",
    "forbid2": """\
  - code: T102
    name: no-genai
    phase: null
    severity: warning
    message: no genai
    where: {include: ["src/**"]}
    check: {kind: forbid-import, modules: [google.genai], include_type_checking: true}
""",
    "call": """\
  - code: T103
    name: must-trace
    phase: null
    severity: error
    message: must trace
    where: {include: ["src/traced/**"]}
    check: {kind: require-call, calls: ["*.trace_agent"]}
""",
    "yaml": """\
  - code: T104
    name: config-debug-off
    phase: null
    severity: error
    message: debug must be off
    where: {include: ["src/**"]}
    check: {kind: yaml, file: src/config.yaml, key: debug, equals: false}
""",
}

PY = SourceFile("src/a.py", "/nowhere/src/a.py", FileKind.PYTHON)
TRACED = SourceFile("src/traced/b.py", "/nowhere/src/traced/b.py", FileKind.PYTHON)
YAML = SourceFile("src/config.yaml", "/nowhere/src/config.yaml", FileKind.YAML)
FILES = [PY, TRACED, YAML]


def coverage(*rules: str, prefilter: bool = True) -> Coverage:
    text = "pack: {id: t, title: T}\nrules:\n" + "".join(RULES[r] for r in rules)
    plan = build_plan((parse_pack(text, "p.yaml"),), prefilter=prefilter)
    return plan.coverage(FILES)


def test_only_imports_rules_mean_imports_only():
    cov = coverage("forbid", "forbid2")
    assert cov.needs_for(PY) == IMPORTS_ONLY
    assert cov.needs_for(TRACED) == IMPORTS_ONLY


@pytest.mark.parametrize("order", [("forbid", "call"), ("call", "forbid")])
def test_a_rule_that_reads_more_means_everything(order):
    cov = coverage(*order)
    assert cov.needs_for(PY) == IMPORTS_ONLY  # require-call does not cover src/a.py
    assert cov.needs_for(TRACED) == ""


def test_no_prefilter_means_everything():
    assert coverage("forbid", "forbid2").needs_for(PY) == IMPORTS_ONLY  # control
    assert coverage("forbid", "forbid2", prefilter=False).needs_for(PY) == ""


def test_a_yaml_file_means_everything():
    cov = coverage("forbid", "yaml")
    assert [r.rule.code for r in cov.rules_of[YAML.path]] == ["T104"]
    assert cov.needs_for(YAML) == ""
    # even were an imports-only rule listed for it: only Python files have PythonFacts
    forbid = cov.rules_of[PY.path][0]
    assert isinstance(forbid.check, ForbidImport)
    forged = Coverage(rules_of={YAML.path: (forbid,), PY.path: (forbid,)}, files_of={},
                      prefilter=True)
    assert forged.needs_for(PY) == IMPORTS_ONLY
    assert forged.needs_for(YAML) == ""


def test_declared_facts_are_python_facts_fields():
    fields = {f.name for f in dataclasses.fields(PythonFacts)}
    declared = {name: kind.facts for name, kind in REGISTRY.items() if kind.facts is not None}
    assert declared.get("forbid-import") == frozenset({IMPORTS_ONLY})
    for name, facts in declared.items():
        assert facts and facts <= fields - {"extracted"}, name


# ---------------------------------------------------------------------------------------------
# Extraction equivalence on real code
# ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("path", SOURCES, ids=[_id(p) for p in SOURCES])
def test_imports_only_equals_full_extraction(path):
    text = read_source(path)
    assert text is not None
    assert_equivalent(str(path), text)


@pytest.mark.parametrize("path, newline", LINE_ENDING_VARIANTS,
                         ids=[f"{_id(p)}-{nl!r}" for p, nl in LINE_ENDING_VARIANTS])
def test_imports_only_equals_full_extraction_with_other_line_endings(path, newline):
    text = (read_source(path) or "").replace("\r\n", "\n").replace("\n", newline)
    assert newline in text
    assert_equivalent(str(path), text)
    spans_ast, spans_render, n = ast_and_render_spans(text)
    assert n and spans_ast == spans_render


@pytest.mark.parametrize("path", STDLIB_SOURCES + [p for p in FIXTURE_SOURCES
                                                   if cpython_verdict(read_source(p) or "").tree],
                         ids=lambda p: _id(p))
def test_ast_spans_equal_render_spans(path):
    """Not only equal facts: the AST path is taken (no fallback render) and agrees."""
    spans_ast, spans_render, n = ast_and_render_spans(read_source(path) or "")
    assert spans_ast is not None, "the two parsers must agree on this file's imports"
    assert spans_ast == spans_render and len(spans_ast) == n


@pytest.mark.parametrize("path", STDLIB_SOURCES, ids=lambda p: _id(p))
def test_imports_only_walk_enters_no_expression(path, monkeypatch):
    text = read_source(path) or ""
    module = cst.parse_module(text)
    ex = _Extractor(module, text, imports_only=True)
    entered: list[type] = []
    original = ex.walk_children

    def spy(node: cst.CSTNode) -> None:
        entered.append(type(node))
        original(node)

    monkeypatch.setattr(ex, "walk_children", spy)
    for stmt in module.body:
        ex.walk(stmt)
    assert not [t.__name__ for t in entered if issubclass(t, cst.BaseExpression)]
    assert not (ex.pending_calls or ex.pending_strings or ex.pending_names or ex.pending_assigns)


def test_imports_only_extraction_renders_nothing(monkeypatch):
    """Given CPython's tree, positions come from it: the libcst render is never run."""
    text = read_source(STDLIB / "argparse.py") or ""
    tree = cpython_verdict(text).tree

    def no_render(*args: object) -> None:
        raise AssertionError("rendered the libcst tree")

    monkeypatch.setattr(python_positions, "spans_for", no_render)
    monkeypatch.setattr(python_positions, "ranges_for", no_render)
    facts = imports_only_facts("argparse.py", text, tree)
    assert len(facts.imports) >= 3 and facts.extracted == IMPORTS_ONLY
    with pytest.raises(AssertionError, match="rendered"):
        extract("argparse.py", text, needs=IMPORTS_ONLY, tree=None)  # control: no tree


# ---------------------------------------------------------------------------------------------
# Extraction equivalence on crafted layouts
# ---------------------------------------------------------------------------------------------

NESTED = '''\
"""Docstring: import not_an_import."""
from __future__ import annotations
import os, sys as system
from typing import TYPE_CHECKING
import typing

if TYPE_CHECKING:
    from mlflow import MlflowClient
    import mlflow.tracking as tracking
elif os.name == "nt":
    import ntpath
else:
    import posixpath
if typing.TYPE_CHECKING:
    import google.genai as genai


def outer(a=lambda: 1, *args: "int", **kw) -> "str":
    """import not_an_import"""
    import json
    def inner():
        from . import sibling
        from .. import parent as p
        from ...deep.pkg import (
            one,
            two as deux,  # a comment
        )
    class Local:
        import csv
    return json


@decorator(arg)
class Outer(Base, metaclass=Meta):
    import abc
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

with open(__file__) as fh, open(__file__) as gh:
    import io

for i in range(3):
    import itertools
else:
    import functools

while False:
    import heapq
else:
    import bisect

match system.argv:
    case ["a", *rest] if rest:
        import argparse
    case {"k": v}:
        import getopt
    case _:
        import optparse

x = [i for i in range(3)]; import re; import string as s
import a.b as c, d
'''

CRAFTED = {
    "nested": NESTED,
    "nested-crlf": NESTED.replace("\n", "\r\n"),
    "nested-lone-cr": NESTED.replace("\n", "\r"),
    "nested-tabs": NESTED.replace("    ", "\t"),
    "semicolons": "import a; import b.c as d;from e import f\nx = 1;import g\n",
    "relative-and-star": "from . import a\nfrom .. import (b)\nfrom .c.d import *\n"
                         "from ...e import f as g\n",
    "parenthesised": "from a.b import (\n    c,\n    d as e,\n    f,\n)\nfrom x import (y\n)\n",
    "non-ascii-before": 'x = "é"; import os\n',
    "non-ascii-lines": 'ü = "日本語"; from ä import (\n    ö as ß,  # ẞ\n)\n'
                       '"""ünïcode 𝔘\n""";import 日本\n',
    "continuation": "import os \\\n  , sys\nfrom a \\\n  import b\n",
    "form-feed-in-indent": "if x:\n\f    import os\nclass C:\n  \f  import sys\n"
                           "x = 1;\fimport re\n",
    "form-feed-line": "import os\n\f\nimport sys\n\f\n\f\nfrom a import b\n",
    "imports-in-strings": 's = "import os"\n# import sys\n"""\nimport re\n"""\nimport json\n',
    "no-imports": "x = f(1)\n",
    "after-docstring": '"""doc"""\nimport os\n',
    "docstring-then-semicolon": '"""doc"""; import os\n',
}


@pytest.mark.parametrize("name", CRAFTED)
def test_crafted_layouts(name):
    text = CRAFTED[name]
    got = assert_equivalent(f"{name}.py", text)
    spans_ast, spans_render, n = ast_and_render_spans(text)
    if "\f" in text:  # libcst may drop it where CPython counts it: the render decides
        assert spans_ast is None
    else:
        assert spans_ast == spans_render
    assert len(got.imports) == n
    assert n > 0 or name == "no-imports"


def test_nested_layout_finds_every_import():
    got = imports_only_facts("nested.py", NESTED)
    modules = [i.module or ",".join(n.name for n in i.names) for i in got.imports]
    assert len(got.imports) == 36, modules
    assert {"ujson", "optparse", "bisect", "queue", "heapq", "io", "gc", "pickle",
            "tomli", "abc", "csv"} <= {n.name for i in got.imports for n in i.names}
    by_name = {n.name: i for i in got.imports for n in i.names}
    assert by_name["MlflowClient"].type_checking and by_name["google.genai"].type_checking
    assert not by_name["ntpath"].type_checking
    assert by_name["csv"].scope == "outer.<locals>.Local"
    assert by_name["*"].level == 1 and by_name["*"].scope == "Outer.method"
    assert by_name["one"].level == 3 and by_name["one"].module == "deep.pkg"
    assert dict(got.aliases)["c"] == "a.b" and dict(got.aliases)["system"] == "sys"


@pytest.mark.parametrize("text, span", [
    ('x = "é"; import os\n', Span(1, 10, 1, 19)),
    ('x = "日本語"; import os\n', Span(1, 12, 1, 21)),
    ('x = "𝔘"\rimport os\r', Span(2, 1, 2, 10)),
    ('x = 1\r\n"""a\r\nb"""; import os\r\n', Span(3, 7, 3, 16)),
    ('from a import (\n  ß,\n  é)\n', Span(1, 1, 3, 5)),
])
def test_spans_count_characters_and_line_breaks(text, span):
    got = imports_only_facts("x.py", text)
    assert [i.span for i in got.imports] == [span]
    assert got.imports == full_facts("x.py", text).imports


def test_a_bom_falls_back_to_the_render():
    """CPython skips a BOM (its columns on line 1 would not be the text's): the render decides."""
    text = "\ufeffimport os, é\nfrom a import (b,\n   ç)\n"
    tree = ast.parse(text.encode("utf-8"))  # a tree CPython builds for these very bytes
    module, ex = walked(text, imports_only=True)
    assert import_spans(tree, ex.pending_imports, text) is None
    assert import_spans(tree, ex.pending_imports, text[1:]) is not None  # control
    got = assert_equivalent("bom.py", text, tree)
    assert [i.span for i in got.imports] == [Span(1, 1, 1, 13), Span(2, 1, 3, 6)]


def test_identifiers_cpython_normalises_are_located_by_the_render():
    """CPython NFKC-normalises identifiers (``𝔘`` is ``U``, ``ﬁle`` is ``file``), libcst keeps
    them as written: the parsers then disagree on the names, and the render locates them."""
    text = "import 𝔘\nfrom ﬁle import x\n"
    _module, ex = walked(text, imports_only=True)
    assert import_spans(ast.parse(text), ex.pending_imports, text) is None
    got = assert_equivalent("nfkc.py", text)
    assert [i.span for i in got.imports] == [Span(1, 1, 1, 9), Span(2, 1, 2, 18)]


def test_dynamic_imports_get_the_full_extraction():
    text = ('import importlib\nm = importlib.import_module("mlflow")\n'
            'n = __import__("json")\ndef f():\n    import os\n')
    full = full_facts("d.py", text)
    assert [i.kind for i in full.imports].count("dynamic") == 2
    got = imports_only_facts("d.py", text)
    assert got == full and got.extracted == "" and got.calls
    # the words alone decide (a comment is enough): never a missed dynamic import
    commented = "import os  # not importlib.import_module\nx = f(1)\n"
    assert imports_only_facts("c.py", commented) == full_facts("c.py", commented)


# libcst keeps a form feed in the indentation of a block's first statement (in the block's
# indent) but drops one before any other statement: ``Module.code`` loses it, and the render's
# positions (like ``PositionProvider``'s) are those of the text without it
FORM_FEED_LOST = ["import sys\n\fimport os\n", "if a:\n    import sys\n\f    import os\n"]


@pytest.mark.parametrize("text", FORM_FEED_LOST)
def test_form_feed_libcst_drops_before_an_import(text):
    """libcst's columns there differ from CPython's: the render decides in both modes."""
    assert cst.parse_module(text).code != text  # the premise: libcst lost the form feed
    assert full_facts("ff.py", text).imports == imports_only_facts("ff.py", text).imports


@pytest.mark.parametrize("text", ["x = 1\n\f\nimport os\n", "s = 'a\u2028b'\nimport os\n",
                                  "s = 'a\x1cb'\nimport os\n", "s = 'a\x85b'\nimport os\n"])
def test_import_text_after_a_line_break_only_str_splitlines_knows(text):
    """Fact texts are cut with the line breaks positions count (\\r\\n, \\r, \\n), not with
    str.splitlines(), which also breaks at \\f, \\v, \\x1c-\\x1e, \\x85, U+2028, U+2029."""
    assert [i.text for i in full_facts("t.py", text).imports] == ["import os"]
    assert [i.text for i in imports_only_facts("t.py", text).imports] == ["import os"]


# ---------------------------------------------------------------------------------------------
# import_spans refuses a tree that does not describe the text
# ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("text, other", [
    ("import os\nimport sys\n", "import os\nimport re\n"),  # a name differs
    ("import os\n", "from os import path\n"),  # the kind differs
    ("from a import x\n", "from b import x\n"),  # the module differs
    ("from . import x\n", "from .. import x\n"),  # the level differs
    ("import a as b\n", "import a as c\n"),  # an alias differs
    ("from a import (x, y)\n", "from a import x, z\n"),  # a from-name differs
    ("import os\n", "\n\n\n\nimport os\n"),  # same import, on a line the text does not have
    ("import os\nimport sys\n", "import os\n"),  # counts differ
    ("import os\n", "import os\nimport os\n"),
    ("import os\n", "x = 1\n"),
])
def test_import_spans_refuses_a_tree_of_another_text(text, other):
    _module, ex = walked(text, imports_only=True)
    assert import_spans(ast.parse(text), ex.pending_imports, text) is not None  # control
    assert import_spans(ast.parse(other), ex.pending_imports, text) is None
    # and extraction then falls back to the render: still the full extraction's facts
    assert imports_only_facts("t.py", text, ast.parse(other)).imports \
        == full_facts("t.py", text).imports


def test_import_spans_of_a_text_without_imports_is_empty():
    _module, ex = walked("x = 1\n", imports_only=True)
    assert import_spans(ast.parse("x = 1\n"), ex.pending_imports, "x = 1\n") == {}


# ---------------------------------------------------------------------------------------------
# string_value == ast.literal_eval
# ---------------------------------------------------------------------------------------------

HAND_STRINGS = [
    '""', "''", '""""""', "''''''", '"a"', "'a'", '"""a"""', "'''a'''",
    'r"a\\b"', "r'\\n'", 'u"x"', 'U"x"', 'R"x\\y"', 'b"x"', 'B"x"', 'rb"x\\n"', 'Rb"x"',
    'bR"x"', 'BR"\\x"', 'b""', "rb''",
    '"a\'b"', "'a\"b'", '"""a"b"""', "'''a'b'''", '"""a""b"""', '"""\'\'\'"""',
    '"\\n"', '"\\\\"', "'\\''", '"\\""', 'r"\\""', '"\\x41\\u00e9\\N{BULLET}"', '"é"',
    '"""\nline\n"""', '"""a\r\nb"""', '"""a\rb"""', "'''\\\nb'''", '"tab\there"',
    '"""ends with quote\\""""', '"#not a comment"', "u''", "U'''x'''",
]


@pytest.mark.parametrize("raw", HAND_STRINGS)
def test_string_value_hand_cases(raw):
    assert string_value(raw) == ast.literal_eval(raw)
    assert type(string_value(raw)) is type(ast.literal_eval(raw))


PREFIXES = ["", "r", "u", "R", "U", "b", "rb", "Br", "bR"]
QUOTES = ['"', "'", '"""', "'''"]
BODY_CHARS = st.sampled_from(list("aZ 0#é日𝔘\\\"'\n\r\t\f{}") + ["\\n", "\\x41", "\\'", '\\"'])


@st.composite
def literals(draw: Callable) -> str:
    prefix = draw(st.sampled_from(PREFIXES))
    quote = draw(st.sampled_from(QUOTES))
    body = "".join(draw(st.lists(BODY_CHARS, max_size=12)))
    if len(quote) == 1:
        body = body.replace("\n", "").replace("\r", "")
    body = body.replace(quote[0], "\\" + quote[0])  # keep the literal closed
    return f"{prefix}{quote}{body}{quote}"


def _literal_eval(raw: str) -> object:
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # invalid escapes are warnings, not ours
        return ast.literal_eval(raw)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.filter_too_much])
@given(literals())
def test_string_value_equals_literal_eval(raw):
    try:
        want = _literal_eval(raw)
    except (SyntaxError, ValueError):
        assume(False)  # not a literal (a lone trailing backslash, non-ASCII bytes)
        return
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        got = string_value(raw)
    assert got == want and type(got) is type(want)


@settings(max_examples=200, deadline=None)
@given(st.text(), st.binary())
def test_string_value_of_repr(text, data):
    assert string_value(repr(text)) == text
    assert string_value(repr(data)) == data
    body = text.replace("\x00", "").replace("\\", "\\\\").replace('"', '\\"')
    triple = f'"""{body}"""'  # NUL: never in a source text (decoding refuses it)
    assert string_value(triple) == ast.literal_eval(triple)


# ---------------------------------------------------------------------------------------------
# _Extractor.text: slices of the source equal the code generation
# ---------------------------------------------------------------------------------------------

TEXT_LAYOUTS = {
    "tricky": (
        "x = 1\r\nif x:\r\n\tdef f(a,\r\n\t      b=(1 +\r\n\t         2)):\r\n"
        "\t\treturn g(a)['k'].h(\r\n\t\t\t'é', b)  # ünïcode\r\n"
        "y = 'a' \\\n    'b'\n@d . e ( 1 )\nclass C ( B , metaclass = M ) : pass\n"
        "z = f'{x!r:>{w}}' + \"\"\"\nmulti\nline\"\"\"; w = [i for i in (1, 2)]\n"),
    "non-ascii": 'ü = "日本語"; v = f(ä + ö, -ß, ( 𝔘 ) , [x for x in é])\n'
                 'w = {"k": a . b (c) , **d}\n',
    "lone-cr": "a = f(x +\r  y)\rb = -(z)\rc = {'k': -1, 'j': [p or q]}\r",
    "long": "x = f(" + " + ".join(f"name{i}" for i in range(80)) + ")\n",
    "form-feed-in-indent": "if y:\n\f    x = f(a + b)\n",
}


def _assert_slices(text: str) -> int:
    pairs = sliced_texts(text)
    assert [got for got, _ in pairs] == [want for _, want in pairs]
    return len(pairs)


@pytest.mark.parametrize("name", TEXT_LAYOUTS)
def test_text_slices_equal_code_generation_on_crafted_layouts(name):
    text = TEXT_LAYOUTS[name]
    # no slice where a form feed may be lost by libcst (see the test after next)
    assert (_assert_slices(text) > 0) == ("\f" not in text)


@pytest.mark.parametrize("path", SOURCES, ids=[_id(p) for p in SOURCES])
def test_text_slices_equal_code_generation(path):
    _assert_slices(read_source(path) or "")


def test_text_slices_are_taken_on_the_sample():
    assert sum(len(sliced_texts(read_source(p) or "")) for p in STDLIB_SOURCES[:10]) > 50


@pytest.mark.parametrize("text", ["\fx = f(a + b)\n", "if a:\n    y = 1\n\f    x = f(a + b)\n"])
def test_no_text_slices_where_libcst_drops_a_form_feed(text):
    """The render's ranges there are one column left of the source: texts are generated."""
    assert sliced_texts(text) == []
    (call,) = [c for c in full_facts("ff.py", text).calls if c.callee == "f"]
    assert call.args == (Unknown("a + b"),)


# ---------------------------------------------------------------------------------------------
# End to end: cache, --no-prefilter, workers
# ---------------------------------------------------------------------------------------------

EXTRA_FILES = {
    "pkg/layouts.py": 'x = "é"; import mlflow\n' + NESTED.replace("import os, ", "import mlflow, "),
    "pkg/crlf.py": "import json\r\nif True:\r\n    import mlflow.tracking as t\r\n",
    "pkg/lone_cr.py": "import json\rdef f():\r    from mlflow import log\r",
    "pkg/clean.py": "import json\n",  # no rule pattern: parsed only with --no-prefilter
}
REQUIRE_CALL = """\
  - code: T199
    name: must-trace
    phase: null
    severity: error
    message: package must call trace_agent()
    where: {include: ["pkg/plain_forms.py"]}
    check: {kind: require-call, calls: ["*.trace_agent"]}
"""


def make_project(tmp_path: Path, mixed: bool = False) -> Path:
    """The forbid-import fixture tree plus a few layouts; ``mixed``: a require-call rule also
    covers one file (a file whose rules read more than imports)."""
    root = copy_project(FIXTURES / "checks" / "forbid-import", tmp_path / "proj")
    for rel, text in EXTRA_FILES.items():
        (root / rel).write_bytes(text.encode("utf-8"))
    if mixed:
        pack = root / "pack.yaml"
        pack.write_text(pack.read_text() + REQUIRE_CALL)
    return root


def json_run(cli: Callable, root: Path, *flags: str) -> str:
    code, out, err = cli("check", str(root), "--format", "json", "--exit-zero", *flags)
    assert code == 0, err
    assert out.startswith("{"), out
    return out


def fact_entries(root: Path) -> list[tuple[Path, PythonFacts | None]]:
    out = []
    for path in cache_entries(root, "f"):
        body = FactCache(str(root / CACHE), "f").get(path.name)
        assert body is not None
        payload, _problems = decode(body)
        out.append((path, payload if isinstance(payload, PythonFacts) else None))
    return out


def poison_facts(root: Path) -> int:
    """Replace every Python fact entry by empty facts of the same kind (same key), and drop
    every memoised rule result (so that the next run evaluates the facts it reads)."""
    cache = FactCache(str(root / CACHE), "f")
    n = 0
    for path, facts in fact_entries(root):
        if facts is not None:
            cache.put(path.name, encode(PythonFacts(extracted=facts.extracted), ()))
            n += 1
    forget_results(root)
    return n


def forget_results(root: Path) -> None:
    shutil.rmtree(root / CACHE / "r", ignore_errors=True)


def test_cached_runs_print_the_no_cache_output(cli, tmp_path):
    root = make_project(tmp_path, mixed=True)
    on = json_run(cli, root, "--no-cache")
    off = json_run(cli, root, "--no-cache", "--no-prefilter")
    assert not (root / CACHE).exists()
    assert '"T101"' in on and '"T199"' in on
    assert json_run(cli, root) == on
    kinds = {facts.extracted for _p, facts in fact_entries(root) if facts is not None}
    assert kinds == {IMPORTS_ONLY, ""}, "both kinds of entries: the sample is not vacuous"
    imports_only = sum(facts is not None and facts.extracted == IMPORTS_ONLY
                       for _p, facts in fact_entries(root))
    before = len(cache_entries(root, "f"))
    assert json_run(cli, root, "--no-prefilter") == off
    after = len(cache_entries(root, "f"))
    # each imports-only entry gets a full twin, and pkg/clean.py is parsed now
    assert after - before >= imports_only + 1, "--no-prefilter reused imports-only entries"
    assert json_run(cli, root) == on
    assert json_run(cli, root, "--no-prefilter") == off
    assert len(cache_entries(root, "f")) == after, "warm runs of both kinds add nothing"


def test_imports_only_entries_never_serve_a_no_prefilter_run(cli, tmp_path):
    root = make_project(tmp_path)
    on = json_run(cli, root, "--no-cache")
    off = json_run(cli, root, "--no-cache", "--no-prefilter")
    json_run(cli, root)
    assert poison_facts(root) >= 5
    assert json_run(cli, root) != on, "control: poisoned entries are read while keys match"
    forget_results(root)
    assert json_run(cli, root, "--no-prefilter") == off


def test_full_entries_never_serve_an_imports_only_run(cli, tmp_path):
    root = make_project(tmp_path)
    on = json_run(cli, root, "--no-cache")
    off = json_run(cli, root, "--no-cache", "--no-prefilter")
    json_run(cli, root, "--no-prefilter")
    assert poison_facts(root) >= 5
    assert json_run(cli, root, "--no-prefilter") != off, "control: poisoned entries are read"
    forget_results(root)
    assert json_run(cli, root) == on


@pytest.mark.parametrize("jobs", [1, 2])
def test_extract_all_gives_each_file_what_its_rules_need(tmp_path, monkeypatch, jobs):
    """In this process and in workers (the pool's ``Task.needs``), with and without prefilter."""
    root = make_project(tmp_path, mixed=True)
    monkeypatch.setattr(extract_mod, "POOL_MIN_CHARS", 0)
    config = resolve_config([str(root)]).with_overrides(jobs=jobs)
    packs = load_packs(config)
    files = discover(config.root, [config.root], config.exclude, config.respect_gitignore)
    seen: dict[bool, dict[str, PythonFacts]] = {}
    for prefilter in (True, False):
        plan = build_plan(packs, prefilter=prefilter)
        report = ExtractReport()
        facts = extract_all(files, plan, config, packs=packs, use_cache=False, report=report)
        assert (report.workers > 0) == (jobs > 1)
        cov = plan.coverage(files)
        seen[prefilter] = {}
        for src, ff in zip(files, facts):
            if ff.python is None:
                continue
            text = (root / src.path).read_text(encoding="utf-8")
            dynamic = any(w in text for w in DYNAMIC_WORDS)
            want = IMPORTS_ONLY if cov.needs_for(src) == IMPORTS_ONLY and not dynamic else ""
            assert ff.python.extracted == want, src.path
            seen[prefilter][src.path] = ff.python
    on, off = seen[True], seen[False]
    assert {p for p, f in on.items() if f.extracted == IMPORTS_ONLY} >= {
        "pkg/layouts.py", "pkg/crlf.py", "pkg/lone_cr.py", "pkg/nested_forms.py"}
    assert on["pkg/plain_forms.py"].extracted == ""  # covered by require-call too
    assert "pkg/clean.py" in off and "pkg/clean.py" not in on
    for path, facts in on.items():
        assert facts.imports == tuple(i for i in off[path].imports), path
        assert facts.aliases == off[path].aliases, path


@pytest.mark.parametrize("jobs", [1, 2])
def test_a_files_facts_digest_says_when_only_its_imports_were_extracted(tmp_path, monkeypatch,
                                                                        jobs):
    """``FileFacts.facts_digest`` (what the result memo keys on) is the digest of the cached
    encoding, prefixed ``imports:`` for imports-only facts (``memo._dependency_id`` never takes
    those for a consulted file's full facts); the same on a cold and a warm extraction."""
    root = make_project(tmp_path, mixed=True)
    monkeypatch.setattr(extract_mod, "POOL_MIN_CHARS", 0)
    config = resolve_config([str(root)]).with_overrides(jobs=jobs)
    packs = load_packs(config)
    files = discover(config.root, [config.root], config.exclude, config.respect_gitignore)
    plan = build_plan(packs)
    runs = [extract_all(files, plan, config, packs=packs) for _ in range(2)]  # cold, then warm
    for cold, warm in zip(*runs):
        assert cold.facts_digest == warm.facts_digest, cold.path
        if cold.python is None:
            continue
        digest = cold.facts_digest
        assert re.fullmatch(r"(imports:)?[0-9a-f]{32}", digest), (cold.path, digest)
        # the prefix is what was asked for: a dynamic-import file asked for imports gets every
        # fact but keeps the prefix (it only costs a re-run); the converse must never happen
        if cold.python.extracted == IMPORTS_ONLY:
            assert digest.startswith("imports:"), cold.path
        src = next(s for s in files if s.path == cold.path)
        assert digest.startswith("imports:") == (plan.coverage(files).needs_for(
            src, cold.marks) == IMPORTS_ONLY), cold.path
    assert any(f.facts_digest.startswith("imports:") for f in runs[0])
    assert any(f.python is not None and ":" not in f.facts_digest for f in runs[0])


def test_the_project_holds_what_the_end_to_end_tests_need(tmp_path):
    root = make_project(tmp_path)
    texts = {p.relative_to(root).as_posix(): p.read_text(encoding="utf-8")
             for p in root.rglob("*.py")}
    assert any(w in texts["pkg/dynamic_forms.py"] for w in DYNAMIC_WORDS)
    assert "\r\n" in (root / "pkg/crlf.py").read_bytes().decode()
    assert not texts["pkg/layouts.py"].isascii()
    assert os.path.exists(root / ".obs-lint.yaml")
