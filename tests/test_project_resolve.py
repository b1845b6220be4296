"""ProjectView (analyzer/checks/resolve.py): modules, symbols through imports, receiver types."""

from __future__ import annotations

import pytest

from projectkit import view_of
from obs_lint.checks.resolve import (ClassDef, External, FuncDef, Instance, ModuleRef, Unknown,
                                     VarDef, module_names, type_matches)

# -- module naming -------------------------------------------------------------------------


def test_module_names_src_layout_registers_both_names():
    assert module_names("src/a/b.py", True) == ["a.b", "src.a.b"]
    assert module_names("src/a/b.py", False) == ["src.a.b"]
    assert module_names("pkg/__init__.py", False) == ["pkg"]
    assert module_names("__init__.py", False) == []
    assert module_names("my-dir/x.py", False) == []
    assert module_names("notes.txt", False) == []


def test_src_layout_module_found_under_both_names():
    v = view_of({"src/a/__init__.py": "", "src/a/b.py": "class B:\n    pass\n"})
    assert v.index.modules["a.b"] == "src/a/b.py"
    assert v.index.modules["src.a.b"] == "src/a/b.py"
    for mod in ("a.b", "src.a.b"):
        sym = v.member(mod, "B")
        assert isinstance(sym, ClassDef) and sym.path == "src/a/b.py"


def test_src_with_init_is_a_package_not_a_layout():
    v = view_of({"src/__init__.py": "", "src/a.py": "X = 1\n"})
    assert "a" not in v.index.modules
    assert v.index.modules["src.a"] == "src/a.py"


# -- symbols through imports ---------------------------------------------------------------

SHARED = {
    "pkg/__init__.py": "from .core.states import CircuitState\n",
    "pkg/core/__init__.py": "",
    "pkg/core/states.py": "from enum import Enum\n\n\nclass CircuitState(Enum):\n"
                          "    CLOSED = 'c'\n    OPEN = 'o'\n",
    "pkg/conn.py": "from pkg.core.states import CircuitState as CS\n",
    "pkg/rel.py": "from .core import states\nfrom . import conn\n",
    "pkg/up/__init__.py": "",
    "pkg/up/deep.py": "from ..core.states import CircuitState\n",
    "pkg/reexp.py": "from pkg import CircuitState\n",
    "pkg/opt.py": "try:\n    from pkg.core.states import CircuitState\nexcept ImportError:\n"
                  "    CircuitState = None\n",
}


def _class_at(sym, path="pkg/core/states.py", name="CircuitState"):
    assert isinstance(sym, ClassDef), sym
    assert (sym.path, sym.cls.name, sym.cls.span.line) == (path, name, 4)


def test_from_import_with_alias_resolves_to_definition():
    _class_at(view_of(SHARED).resolve_name("pkg/conn.py", "CS"))


def test_relative_and_parent_relative_imports():
    v = view_of(SHARED)
    _class_at(v.resolve_name("pkg/up/deep.py", "CircuitState"))
    mod = v.resolve_name("pkg/rel.py", "states")
    assert isinstance(mod, ModuleRef) and mod.path == "pkg/core/states.py"
    assert isinstance(v.resolve_name("pkg/rel.py", "conn"), ModuleRef)
    _class_at(v.resolve_dotted("pkg/rel.py", "states.CircuitState"))


def test_reexport_through_package_init():
    _class_at(view_of(SHARED).resolve_name("pkg/reexp.py", "CircuitState"))


def test_try_import_fallback_to_none_still_resolves_and_types_as_class():
    v = view_of(SHARED)
    _class_at(v.resolve_name("pkg/opt.py", "CircuitState"))
    _class_at(v.type_of("pkg/opt.py", "CircuitState"))


def test_external_and_missing_names():
    v = view_of({"m.py": "import opik\nfrom anthropic import Anthropic\n"})
    assert v.resolve_name("m.py", "opik") == External("opik")
    assert v.resolve_name("m.py", "Anthropic") == External("anthropic.Anthropic")
    miss = v.resolve_name("m.py", "Nope")
    assert isinstance(miss, Unknown) and miss.missing
    assert "`Nope` is not defined or imported in m.py" in miss.reason


def test_missing_name_in_project_module_is_a_definite_absence():
    v = view_of({"a.py": "from b import Gone\n", "b.py": "X = 1\n"})
    sym = v.resolve_name("a.py", "Gone")
    assert isinstance(sym, Unknown) and sym.missing and "b.py" in sym.reason


def test_module_outside_the_view_is_unknown_and_wanted():
    v = view_of(SHARED, allowed={"pkg/conn.py"})
    sym = v.resolve_name("pkg/conn.py", "CS")
    assert isinstance(sym, Unknown) and not sym.missing
    assert "pkg/core/states.py (module pkg.core.states) was not analysed" in sym.reason
    assert "pkg/core/states.py" in v.wanted


def test_module_getattr_is_not_a_definite_absence():
    v = view_of({"lazy/__init__.py": "def __getattr__(name):\n    return 1\n",
                 "use.py": "from lazy import Thing\n"})
    sym = v.resolve_name("use.py", "Thing")
    assert isinstance(sym, Unknown)
    assert not sym.missing, sym.reason


def test_module_level_constant_resolves_to_assignment():
    v = view_of({"cfg.py": "TIMEOUT = 30\n", "use.py": "from cfg import TIMEOUT\n"})
    sym = v.resolve_name("use.py", "TIMEOUT")
    assert isinstance(sym, VarDef) and (sym.path, sym.assign.span.line) == ("cfg.py", 1)


# -- receiver types ------------------------------------------------------------------------

CONN = """\
from __future__ import annotations

from contextlib import asynccontextmanager
from typing import Any, AsyncIterator, Optional


class Span:
    def end(self):
        pass


class OpikConnector:
    @asynccontextmanager
    async def trace_agent(self, name) -> AsyncIterator[Span]:
        yield Span()

    def trace_llm_call(self):
        pass


_conn = None


def get_opik_connector() -> OpikConnector:
    global _conn
    if _conn is None:
        _conn = OpikConnector()
    return _conn


def maybe_conn() -> Optional[OpikConnector]:
    return None


def union_conn() -> OpikConnector | None:
    return None


def quoted_conn() -> "OpikConnector":
    return OpikConnector()


def anything() -> Any:
    return 1
"""

USE = """\
from obs.conn import OpikConnector, get_opik_connector, maybe_conn, union_conn, quoted_conn
from obs.conn import anything


class Agent:
    def __init__(self, flag):
        self.opik = get_opik_connector()
        self.direct = OpikConnector()
        self.mixed = None
        if flag:
            self.both = OpikConnector()
        else:
            self.both = Agent(flag)

    def start(self):
        self.mixed = OpikConnector()

    async def run(self, conn: OpikConnector, raw, loose: Any):
        local = OpikConnector()
        async with self.opik.trace_agent("a") as span:
            span.end()


def public(x):
    return x
"""


def _view():
    return view_of({"obs/__init__.py": "", "obs/conn.py": CONN, "use.py": USE})


def _is_conn(t, cls="OpikConnector"):
    assert isinstance(t, Instance), t
    assert (t.cls.path, t.cls.cls.name) == ("obs/conn.py", cls)


def test_type_of_constructor_and_accessor_returns():
    v = _view()
    _is_conn(v.type_of("use.py", "OpikConnector()"))
    _is_conn(v.type_of("use.py", "get_opik_connector()"))
    _is_conn(v.type_of("use.py", "maybe_conn()"))
    _is_conn(v.type_of("use.py", "union_conn()"))
    _is_conn(v.type_of("use.py", "quoted_conn()"))


def test_type_of_self_attributes_and_parameters():
    v = _view()
    _is_conn(v.type_of("use.py", "self.opik", "Agent.run"))
    _is_conn(v.type_of("use.py", "self.direct", "Agent.run"))
    _is_conn(v.type_of("use.py", "conn", "Agent.run"))
    _is_conn(v.type_of("use.py", "local", "Agent.run"))
    assert isinstance(v.type_of("use.py", "self", "Agent.run"), Instance)


def test_with_asynccontextmanager_binds_the_yielded_class():
    _is_conn(_view().type_of("use.py", "span", "Agent.run"), "Span")


def test_undecidable_receivers_are_unknown_with_reason():
    v = _view()
    raw = v.type_of("use.py", "raw", "Agent.run")
    assert isinstance(raw, Unknown) and "parameter `raw` of `Agent.run`" in raw.reason
    assert "no type annotation" in raw.reason
    pub = v.type_of("use.py", "x", "public")
    assert isinstance(pub, Unknown) and "no type annotation" in pub.reason
    assert v.type_of("use.py", "self.both", "Agent.run") == Unknown(
        "`self.both` is assigned values of different types")
    assert v.type_of("use.py", "loose", "Agent.run") == Unknown("annotated `Any`")
    assert v.type_of("use.py", "anything()") == Unknown("annotated `Any`")


def test_none_default_does_not_hide_the_class():
    _is_conn(_view().type_of("use.py", "self.mixed", "Agent.run"))


def test_conditional_expression_is_not_followed():
    v = view_of({"a.py": "class C:\n    pass\n\n\ndef f(flag):\n"
                         "    x = C() if flag else None\n    return x\n"})
    assert isinstance(v.type_of("a.py", "x", "f"), Unknown)


def test_type_matches_receiver_patterns():
    v = _view()
    t = v.type_of("use.py", "self.opik", "Agent.run")
    assert type_matches(v, t, ["OpikConnector"]) is True
    assert type_matches(v, t, ["obs.conn.OpikConnector"]) is True
    assert type_matches(v, t, ["FeedbackStore"]) is False
    assert type_matches(v, Unknown("x"), ["OpikConnector"]) is None
    assert type_matches(v, External("mlflow"), ["mlflow"]) is True


def test_function_symbol():
    sym = _view().resolve_name("use.py", "get_opik_connector")
    assert isinstance(sym, FuncDef) and sym.path == "obs/conn.py" and sym.fn.span.line == 24


# -- more receiver shapes --------------------------------------------------------------------

MORE = {
    "obs/__init__.py": "from .conn import OpikConnector as Connector, get_conn\n",
    "obs/conn.py": """\
import functools


class OpikConnector:
    async def __aenter__(self):
        return self

    async def __aexit__(self, *a):
        pass

    def log(self):
        pass


@functools.lru_cache
def get_conn():
    return OpikConnector()


class Holder:
    def __init__(self):
        self.c = None


def wire(h: Holder):
    h.c = OpikConnector()
""",
    "base.py": """\
from obs import get_conn


class Base:
    def __init__(self):
        self.opik = get_conn()
""",
    "use.py": """\
import obs.conn as oc
from obs import Connector
from base import Base


class Agent(Base):
    @property
    def conn(self) -> Connector:
        return Connector()

    async def run(self):
        async with Connector() as c:
            c.log()
        self.opik.log()
        self.conn.log()
        x = oc.OpikConnector()
        _helper(Connector())


def _helper(p):
    p.log()


def f():
    from obs.conn import OpikConnector as Local
    y = Local()
    return y
""",
}


@pytest.mark.parametrize("path,text,scope", [
    ("use.py", "c", "Agent.run"),            # class whose __aenter__ returns self
    ("use.py", "self.opik", "Agent.run"),    # assigned in a base class in another module
    ("use.py", "self.conn", "Agent.run"),    # property with a return annotation (re-export)
    ("use.py", "x", "Agent.run"),            # import a.b as c
    ("use.py", "p", "_helper"),              # private function: its callers' arguments
    ("use.py", "y", "f"),                    # function-local aliased import
    ("use.py", "oc.get_conn()", ""),         # unannotated accessor: the value it returns
    ("obs/conn.py", "h.c", "wire"),          # obj.x = ... store from outside the class
])
def test_more_receiver_shapes(path, text, scope):
    t = view_of(MORE).type_of(path, text, scope)
    assert isinstance(t, Instance), t
    assert (t.cls.path, t.cls.cls.name) == ("obs/conn.py", "OpikConnector")


def test_name_not_imported_in_the_file_is_unknown():
    t = view_of(MORE).type_of("use.py", "get_conn()")
    assert isinstance(t, Unknown) and t.reason == "`get_conn` is not defined in use.py"
