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
