"""class-contract: methods, async context managers, singletons, enums, bases, attributes."""

from __future__ import annotations

import pytest

from checkkit import Severity, Status, lines, messages, pack_error, run

KIND = "class-contract"


def test_inherited_methods_from_another_file_count_and_are_evidence():
    res = run(KIND, {"class": "C", "methods": ["a", "b"]}, {
        "pkg/base.py": """\
            class Base:
                def a(self):
                    pass
        """,
        "pkg/c.py": """\
            from .base import Base

            class C(Base):
                async def b(self):
                    pass
        """,
    })
    assert res.status is Status.PASS
    assert {(e.path, e.span.line) for e in res.evidence} >= {("pkg/base.py", 2),
                                                              ("pkg/c.py", 4)}


def test_missing_methods_are_listed_at_the_class_line_after_decorators():
    res = run(KIND, {"class": "C", "methods": ["start_run", "log_model", "log_params"]}, {
        "c.py": """\
            import dataclasses

            @dataclasses.dataclass
            class C:
                '''log_model() is documented but not defined'''
                # def log_params(self): ...
                def start_run(self):
                    def log_model():  # nested, not a method
                        pass
        """,
    })
    assert res.status is Status.FAIL
    assert lines(res) == [("c.py", 4)]
    assert "missing method(s): `log_model`, `log_params`" in messages(res)[0]


def test_missing_method_with_base_outside_scope_is_unknown_not_failure():
    res = run(KIND, {"class": "C", "methods": ["upload"]}, {
        "c.py": """\
            from sdk import Client

            class C(Client):
                pass
        """,
    })
    assert res.status is Status.UNKNOWN
    assert [f.severity for f in res.findings] == [Severity.INFO]
    assert "may be inherited from `sdk.Client`" in messages(res)[0]


@pytest.mark.parametrize("source", [
    # decorator through an alias of the import
    """\
    from contextlib import asynccontextmanager as acm

    class C:
        @acm
        async def run(self):
            yield self
    """,
    # decorator through the module
    """\
    import contextlib as cl

    class C:
        @cl.asynccontextmanager
        async def run(self):
            yield self
    """,
    # returning an instance of a class with __aenter__/__aexit__ (inherited)
    """\
    class _Base:
        async def __aenter__(self):
            return self
        async def __aexit__(self, *exc):
            return None

    class _Ctx(_Base):
        pass

    class C:
        def run(self):
            return _Ctx()
    """,
    # returning self from an async context manager class
    """\
    class C:
        async def __aenter__(self):
            return self
        async def __aexit__(self, *exc):
            return None
        def run(self):
            return self
    """,
])
def test_async_context_manager_forms_pass(source):
    res = run(KIND, {"class": "C", "async_context_managers": ["run"]}, {"c.py": source})
    assert res.status is Status.PASS, messages(res)


@pytest.mark.parametrize("source, why", [
    ("""\
    class C:
        async def run(self):
            return 1
    """, "returns a coroutine"),
    ("""\
    class C:
        async def run(self):
            yield 1
    """, "async generator without `@asynccontextmanager`"),
    ("""\
    from contextlib import asynccontextmanager

    class C:
        @asynccontextmanager
        def run(self):
            yield 1
    """, "not an async def"),
    ("""\
    def asynccontextmanager(fn):  # a local look-alike, not contextlib's
        return fn

    class C:
        @asynccontextmanager
        async def run(self):
            yield 1
    """, "async generator without"),
    ("""\
    class _Sync:
        def __enter__(self):
            return self
        def __exit__(self, *exc):
            return None

    class C:
        def run(self):
            return _Sync()
    """, "has no `__aenter__`/`__aexit__`"),
])
def test_not_async_context_managers_fail_with_reason(source, why):
    res = run(KIND, {"class": "C", "async_context_managers": ["run"]}, {"c.py": source})
    assert res.status is Status.FAIL
    assert why in messages(res)[0]


def test_unfollowable_return_is_unknown():
    res = run(KIND, {"class": "C", "async_context_managers": ["run"]}, {"c.py": """\
        class C:
            def run(self):
                return self._client.span("x")
    """})
    assert res.status is Status.UNKNOWN
    assert "cannot be followed statically" in messages(res, Severity.INFO)[0]


@pytest.mark.parametrize("source", [
    """\
    class C:
        _instance = None
        def __new__(cls):
            if cls._instance is None:
                cls._instance = super().__new__(cls)
            return cls._instance
    """,
    """\
    class C:
        _inst = None
        @classmethod
        def get(cls):
            if not hasattr(cls, "_inst") or cls._inst is None:
                cls._inst = cls()
            return cls._inst
    """,
    """\
    _c = None

    class C:
        pass

    def get_c():
        global _c
        if _c is None:
            _c = C()
        return _c
    """,
    """\
    import functools

    class C:
        pass

    @functools.cache
    def get_c():
        return C()
    """,
])
def test_singleton_forms_pass(source):
    res = run(KIND, {"class": "C", "singleton": True}, {"c.py": source})
    assert res.status is Status.PASS, messages(res)


@pytest.mark.parametrize("source", [
    # assigned and returned, but never tested: a new instance each time
    """\
    class C:
        _instance = None
        def __new__(cls):
            cls._instance = super().__new__(cls)
            return cls._instance
    """,
    # a module accessor without the guard
    """\
    _c = None

    class C:
        pass

    def get_c():
        global _c
        _c = C()
        return _c
    """,
    # a guarded accessor that caches another class
    """\
    _c = None

    class C:
        pass

    class D:
        pass

    def get_c():
        global _c
        if _c is None:
            _c = D()
        return _c
    """,
])
def test_not_singletons_fail(source):
    res = run(KIND, {"class": "C", "singleton": True}, {"c.py": source})
    assert res.status is Status.FAIL
    assert "is not a singleton" in messages(res)[0]


def test_metaclass_singleton_is_unknown():
    res = run(KIND, {"class": "C", "singleton": True}, {"c.py": """\
        from util import SingletonMeta

        class C(metaclass=SingletonMeta):
            pass
    """})
    assert res.status is Status.UNKNOWN
    assert "metaclass util.SingletonMeta" in messages(res)[0]


def test_accessor_missing_and_accessor_not_caching():
    files = {"c.py": """\
        class C:
            pass

        def get_c():
            return C()
    """}
    missing = run(KIND, {"class": "C", "accessor": "get_connector"}, files)
    assert missing.status is Status.FAIL
    assert "accessor `get_connector()` is not defined" in messages(missing)[0]
    fresh = run(KIND, {"class": "C", "accessor": "get_c"}, files)
    assert fresh.status is Status.FAIL
    assert lines(fresh) == [("c.py", 4)]
    assert "does not cache `C`" in messages(fresh)[0] and "returns `C(...)`" in messages(fresh)[0]


def test_accessor_returning_a_singleton_class_passes():
    res = run(KIND, {"class": "C", "accessor": "get_c"}, {"c.py": """\
        class C:
            _i = None
            @classmethod
            def instance(cls):
                if cls._i is None:
                    cls._i = cls()
                return cls._i

        def get_c():
            return C.instance()
    """})
    assert res.status is Status.PASS


@pytest.mark.parametrize("header", ["from enum import StrEnum\n\nclass S(StrEnum):",
                                    "import enum\n\nclass S(str, enum.Enum):",
                                    "from enum import IntEnum as IE\n\nclass S(IE):"])
def test_enum_members(header):
    src = header + "\n    CLOSED = 'c'\n    OPEN = 'o'\n"
    res = run(KIND, {"class": "S", "enum_members": ["CLOSED", "OPEN", "HALF_OPEN"]},
              {"s.py": src})
    assert res.status is Status.FAIL
    assert "missing member(s): `HALF_OPEN` (has: CLOSED, OPEN)" in messages(res)[0]
    ok = run(KIND, {"class": "S", "enum_members": ["CLOSED", "OPEN"]}, {"s.py": src})
    assert ok.status is Status.PASS
    assert len(ok.evidence) == 3  # the class and both members


def test_enum_through_in_scope_base_and_not_an_enum():
    files = {"s.py": """\
        from enum import Enum

        class Base(Enum):
            pass

        class S(Base):
            CLOSED = 1

        class Plain:
            CLOSED = 1
    """}
    assert run(KIND, {"class": "S", "enum_members": ["CLOSED"]}, files).status is Status.PASS
    res = run(KIND, {"class": "Plain", "enum_members": ["CLOSED"]}, files)
    assert res.status is Status.FAIL
    assert "is not an Enum (bases: none)" in messages(res)[0]


def test_bases_attributes_and_functions():
    files = {"m.py": """\
        import abc
        from dataclasses import dataclass, field

        class Base(abc.ABC):
            timeout = 30

        @dataclass
        class C(Base):
            name: str
            tags: list = field(default_factory=list)

            @property
            def label(self):
                return self.name

        def helper():
            pass

        class Other:
            def reset(self):
                pass
    """}
    res = run(KIND, {"class": "C", "bases": ["Base", "abc.ABC", "ABC"],
                     "attributes": ["name", "tags", "label", "timeout"]}, files)
    assert res.status is Status.PASS, messages(res)
    bad = run(KIND, {"class": "C", "bases": ["Protocol"], "attributes": ["retries"],
                     "module_functions": ["helper", "reset"]}, files)
    assert bad.status is Status.FAIL
    got = messages(bad)
    assert any("does not subclass `Protocol` (bases: Base)" in m for m in got)
    assert any("missing attribute(s): `retries`" in m for m in got)
    assert any("module-level function(s) not defined in m.py: `reset`" in m for m in got)


def test_class_defined_only_in_a_function_does_not_count():
    res = run(KIND, {"class": "C", "methods": ["a"]}, {"m.py": """\
        def factory():
            class C:
                def a(self):
                    pass
            return C
    """}, hint="m.py")
    assert res.status is Status.FAIL
    assert "class `C` is not defined in m.py" in messages(res)[0]


def test_nested_class_by_qualname():
    res = run(KIND, {"class": "Outer.Inner", "attributes": ["x"]}, {"m.py": """\
        class Outer:
            class Inner:
                x = 1
    """})
    assert res.status is Status.PASS


def test_empty_scope_fails_and_parse_error_makes_missing_class_unknown():
    empty = run(KIND, {"class": "C", "methods": ["a"]}, {}, hint="src/mlops")
    assert empty.status is Status.FAIL
    assert "no files in scope (src/mlops does not exist" in messages(empty)[0]
    broken = run(KIND, {"class": "C", "methods": ["a"]}, {"a.py": "class C(:\n"})
    assert broken.status is Status.UNKNOWN
    assert not broken.findings and "could not be analysed" in broken.note


@pytest.mark.parametrize("params, error", [
    ({"methods": ["a"], "module_functions": ["f"]}, "methods: need `class`"),
    ({"class": "C"}, "give at least one assertion"),
    ({}, "nothing to check"),
    ({"class": "C", "methods": ["not-an-identifier"]}, "is not an identifier"),
    ({"class": "C", "singleton": "yes"}, "must be bool"),
    ({"clas": "C"}, "did you mean 'class'"),
])
def test_invalid_parameters_are_pack_errors(params, error):
    assert error in pack_error(KIND, params)


def test_patterns_cover_classes_and_functions():
    from checkkit import rule_of
    from obs_lint.checks.class_contract import ClassContract

    rule = rule_of(KIND, {"class": "C", "methods": ["a"], "module_functions": ["helper"]})
    assert ClassContract(rule).patterns() == ("C", "class", "helper")
    only_funcs = rule_of(KIND, {"module_functions": ["helper"], "accessor": "get_c"})
    assert ClassContract(only_funcs).patterns() == ("get_c", "helper")


def test_documented_example_is_a_valid_rule():
    from checkkit import example_rule

    rule = example_rule("class-contract")
    assert rule.check_kind == "class-contract" and rule.params


def test_accessor_in_another_file_proves_the_singleton_under_the_prefilter():
    """The accessor's file need not contain the word `class`: the class name is a pattern."""
    from checkkit import rule_of
    from obs_lint.checks.class_contract import ClassContract

    accessor = "from .c import C\n_c = None\n\ndef get_c():\n    global _c\n" \
               "    if _c is None:\n        _c = C()\n    return _c\n"
    pats = ClassContract(rule_of(KIND, {"class": "C", "singleton": True})).patterns()
    assert any(p in accessor for p in pats)
    res = run(KIND, {"class": "C", "singleton": True},
              {"pkg/c.py": "class C:\n    pass\n", "pkg/access.py": accessor})
    assert res.status is Status.PASS
