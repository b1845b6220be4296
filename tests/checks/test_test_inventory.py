"""test-inventory: static test counting, checked against pytest's own collection."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

from checkkit import Status, messages, pack_error, run
from conftest import FIXTURES
from obs_lint.checks.test_inventory import count_tests, inventory
from obs_lint.facts.python import extract

KIND = "test-inventory"
INVENTORY = FIXTURES / "checks" / "test-inventory" / "tests" / "unit" / "test_mlops"


def count(src: str) -> tuple[int, bool]:
    facts, problems = extract("test_x.py", textwrap.dedent(src))
    assert not problems
    return count_tests(facts)


def pytest_collects(tmp_path, files: dict[str, str]) -> int:
    """How many tests pytest itself collects from ``files`` (the oracle)."""
    for name, text in files.items():
        (tmp_path / name).write_text(textwrap.dedent(text))
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider",
         "-W", "ignore", "--rootdir", str(tmp_path), "-c", str(tmp_path / "pytest.ini"),
         *files],
        cwd=tmp_path, capture_output=True, text=True, timeout=120)
    return sum(1 for line in proc.stdout.splitlines() if "::" in line)


CASES = {
    "plain": """\
        def test_a():
            pass

        async def test_b():
            pass

        def helper():
            pass
    """,
    "parametrize": """\
        import pytest
        from pytest import mark

        @pytest.mark.parametrize("x", [1, 2, 3])
        def test_p(x):
            pass

        @mark.parametrize("a", [1, 2])
        @pytest.mark.parametrize("b,c", [(1, 2), pytest.param(3, 4, id="x"), (5, 6)])
        def test_stacked(a, b, c):
            pass

        @pytest.mark.parametrize("e", [])
        def test_empty(e):
            pass
    """,
    "classes": """\
        import unittest
        import pytest

        class TestA:
            def test_1(self):
                pass

            @pytest.mark.parametrize("s", ["a", "b"])
            def test_2(self, s):
                pass

            class TestInner:
                def test_3(self):
                    pass

        class TestInit:
            def __init__(self):
                pass

            def test_never(self):
                pass

        class Base:
            def test_inherited(self):
                pass

        class TestChild(Base):
            def test_own(self):
                pass

            def test_inherited(self):  # overrides, still one test
                pass

        class TestOff:
            __test__ = False

            def test_off(self):
                pass

        class Case(unittest.TestCase):
            def test_u(self):
                pass

        @pytest.mark.parametrize("k", [1, 2, 3])
        class TestParam:
            def test_k(self, k):
                pass
    """,
    "fixtures_and_marks": """\
        import pytest

        pytestmark = pytest.mark.parametrize("db", ["a", "b"])

        @pytest.fixture(params=[1, 2, 3])
        def backend(request):
            return request.param

        @pytest.fixture
        def conn(backend):
            return backend

        @pytest.fixture(name="renamed", params=["x", "y"])
        def _renamed(request):
            return request.param

        def test_conn(conn, db):
            pass

        def test_renamed(renamed, db):
            pass

        def test_redefined(db):
            pass

        def test_redefined(db):
            pass
    """,
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_count_matches_pytest_collection(case, tmp_path):
    (tmp_path / "pytest.ini").write_text("[pytest]\n")
    n, exact = count(CASES[case])
    assert exact
    assert n == pytest_collects(tmp_path, {f"test_{case}.py": CASES[case]})


def test_fixture_file_matches_pytest_collection(tmp_path):
    (tmp_path / "pytest.ini").write_text("[pytest]\n")
    names = ["test_mlflow_connector.py", "test_pytestmark.py"]
    files = {n: (INVENTORY / n).read_text() for n in names}
    total = 0
    for n in names:
        facts, _ = extract(n, files[n])
        got, exact = count_tests(facts)
        assert exact
        total += got
    assert total == pytest_collects(tmp_path, files) == 30


@pytest.mark.parametrize("src, why", [
    ("import pytest\nfrom c import CASES\n\n@pytest.mark.parametrize('x', CASES)\n"
     "def test_a(x):\n    pass\n", "non-literal parameters of `test_a`"),
    ("import pytest\nB = [1]\n\n@pytest.mark.parametrize('x', [*B, 2])\n"
     "def test_a(x):\n    pass\n", "a `*spread` in the parameters"),
    ("from helpers import BaseTests\n\nclass TestX(BaseTests):\n    def test_a(self):\n"
     "        pass\n", "inherits from `helpers.BaseTests`, outside the file"),
])
def test_lower_bounds_say_why(src, why):
    facts, _ = extract("test_x.py", src)
    inv = inventory(facts)
    assert not inv.exact and inv.count >= 1
    assert any(why in r for r in inv.reasons), inv.reasons


def test_rule_statuses_exact_and_lower_bound():
    exact = {"tests/test_a.py": "def test_a():\n    pass\n\ndef test_b():\n    pass\n"}
    assert run(KIND, {"min": 2}, exact).status is Status.PASS
    res = run(KIND, {"min": 3}, exact, hint="tests")
    assert res.status is Status.FAIL
    assert "2 test(s) in 1 file(s) in tests, at least 3 required" in messages(res)[0]
    assert [(e.path, e.span.line) for e in res.evidence] == [("tests/test_a.py", 1)]
    lower = {"tests/test_a.py": "import pytest\n\n@pytest.mark.parametrize('x', X)\n"
                                "def test_a(x):\n    pass\n"}
    undecided = run(KIND, {"min": 3}, lower)
    assert undecided.status is Status.UNKNOWN and not undecided.findings
    assert "at least 1 test(s)" in undecided.note


def test_parse_error_makes_the_count_a_lower_bound_and_empty_scope_fails():
    files = {"tests/test_a.py": "def test_a():\n    pass\n", "tests/test_b.py": "def test_(:\n"}
    assert run(KIND, {"min": 1}, files).status is Status.PASS
    assert run(KIND, {"min": 2}, files).status is Status.UNKNOWN
    empty = run(KIND, {"min": 1}, {}, hint="tests/unit")
    assert empty.status is Status.FAIL
    assert "expected test files with at least 1 tests" in messages(empty)[0]


def test_invalid_parameters():
    assert "must be at least 1" in pack_error(KIND, {"min": 0})
    assert "requires parameter 'min'" in pack_error(KIND, {})


def test_documented_example_is_a_valid_rule():
    from checkkit import example_rule

    rule = example_rule("test-inventory")
    assert rule.check_kind == "test-inventory" and rule.params
