"""A catalogue of hostile inputs a real repository can hold; each case is a test.

Every case builds a small project in ``tmp_path``: a pack with one Python rule (no raw mlflow
import anywhere), one YAML rule (``config/**``) and one SQL rule (``db/**``), valid config and
schema files, and ``src/sibling.py`` with a known violation. Then the hostile file is added and
obs-lint runs over the project. Each case asserts that the run completes, that the exit status
is 1 (findings) or 2 (usage/internal error), that a clear message names the hostile file, and,
whenever the run got as far as checking, that the sibling's finding is still reported.

Cases that could crash or hang the process (deep nesting, FIFOs, SQL the native parser would
overflow on) run obs-lint as a subprocess with a timeout, so a regression fails the test instead
of killing the test session.
"""

from __future__ import annotations

import errno
import json
import os
import re
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

import obs_lint.api as api

SIBLING = ("src/sibling.py", 1, "no-mlflow")

PACK = """\
pack: {id: hostile, title: Hostile input fixtures}
phases:
  - {id: 1, title: Imports}
  - {id: 2, title: Config}
  - {id: 3, title: Schema}
rules:
  - code: H101
    name: no-mlflow
    phase: 1
    severity: error
    message: raw mlflow import
    check: {kind: forbid-import, modules: [mlflow]}
  - code: H201
    name: tracking-uri
    phase: 2
    severity: error
    message: tracking.uri must be set
    where: {include: ["config/**"]}
    check: {kind: yaml, file: config/app.yaml, key: tracking.uri}
  - code: H301
    name: runs-table
    phase: 3
    severity: error
    message: the runs table must exist
    where: {include: ["db/**"]}
    check: {kind: sql-schema, files: ["db/*.sql"], table: runs}
"""

BASE: dict[str, str | bytes] = {
    ".obs-lint.yaml": "packs: [pack.yaml]\n",
    "pack.yaml": PACK,
    "src/sibling.py": "import mlflow\n",
    "config/app.yaml": "tracking:\n  uri: http://mlflow:5000\n",
    "db/schema.sql": "CREATE TABLE runs (id int);\n",
}


def make(tmp_path: Path, files: dict[str, str | bytes] | None = None,
         name: str = "project") -> Path:
    root = tmp_path / name
    for rel, body in {**BASE, **(files or {})}.items():
        target = root / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(body, bytes):
            target.write_bytes(body)
        else:
            target.write_text(body, encoding="utf-8")
    return root


def run_cli(cli, root: Path, *args: str) -> tuple[int, dict | None, str]:
    """In-process run; the JSON report (None if the run stopped before reporting)."""
    code, out, err = cli("check", "--format", "json", "--no-cache", *args, cwd=root)
    return code, (json.loads(out) if out.strip() else None), err


def run_sub(root: Path, *args: str, timeout: float = 120) -> tuple[int, dict | None, str]:
    """Out-of-process run: a crash or hang is a failed test, not a dead test session."""
    proc = subprocess.run([sys.executable, "-m", "obs_lint", "check", "--format", "json",
                           "--no-cache", *args], cwd=root, capture_output=True,
                          timeout=timeout)
    out = proc.stdout.decode("ascii")  # the JSON report is ASCII (non-ASCII is escaped)
    return proc.returncode, (json.loads(out) if out.strip() else None), proc.stderr.decode(
        "utf-8", "replace")


def findings(report: dict | None) -> list[tuple[str, int, str, str]]:
    return [(f["path"], f["line"], f["name"], f["message"]) for f in (report or {}).get(
        "findings", [])]


def assert_survived(code: int, report: dict | None, path: str, name: str, fragment: str,
                    line: int | None = None) -> None:
    """The run completed (exit 1 or 2), named ``path`` with ``name``, kept the sibling."""
    assert code in (1, 2), f"exit status {code}"
    got = findings(report)
    mine = [f for f in got if f[0] == path]
    assert any(f[2] == name and fragment in f[3] and (line is None or f[1] == line)
               for f in mine), f"no {name} finding with {fragment!r} for {path}: {mine}"
    assert any(f[:3] == SIBLING for f in got), f"the sibling's finding was lost: {got}"


# --------------------------------------------------------------------------------------------
# Size
# --------------------------------------------------------------------------------------------


def _twenty_mb() -> bytes:
    line = b"# " + b"x" * 97 + b"\n"  # 100 bytes
    return b"import mlflow\n" + line * 200_000 + b"import mlflow\n"


def test_a_20_mb_file_is_skipped_with_the_reason(cli, tmp_path):
    root = make(tmp_path, {"src/huge.py": _twenty_mb()})
    code, report, _ = run_cli(cli, root)
    assert_survived(code, report, "src/huge.py", "skipped",
                    "20,000,028 bytes, over the 262,144-byte budget (max-file-bytes)")
    assert code == 1


def test_a_20_mb_file_is_analysed_when_the_budget_allows_it(cli, tmp_path):
    root = make(tmp_path, {"src/huge.py": _twenty_mb(),
                           ".obs-lint.yaml": "packs: [pack.yaml]\nmax-file-bytes: 30000000\n"})
    code, report, _ = run_cli(cli, root)
    huge = [(ln, name) for path, ln, name, _ in findings(report) if path == "src/huge.py"]
    assert huge == [(1, "no-mlflow"), (200_002, "no-mlflow")], "the whole file was read"
    assert_survived(code, report, "src/huge.py", "no-mlflow", "mlflow", line=200_002)


def test_a_100000_character_line(cli, tmp_path):
    text = ('s = "' + "a" * 100_000 + '"\n'
            + "values = [" + "1, " * 33_000 + "]\n"
            + "import mlflow\n")
    root = make(tmp_path, {"src/long_line.py": text})
    code, report, _ = run_cli(cli, root)
    assert_survived(code, report, "src/long_line.py", "no-mlflow", "import mlflow", line=3)


# --------------------------------------------------------------------------------------------
# Nesting: a native-parser crash here would kill the whole run (see facts/guard.py)
# --------------------------------------------------------------------------------------------


def _nested_ifs(depth: int) -> str:
    return "".join(" " * i + "if x:\n" for i in range(depth)) + " " * depth + "pass\n"


DEEP: dict[str, tuple[str, str, str]] = {
    # name: (source after `import mlflow`, finding name, message fragment)
    "brackets-1000": ("x = " + "[" * 1000 + "]" * 1000 + "\n", "parse-error",
                      "too many nested parentheses"),
    "calls-1000": ("x = " + "f(" * 1000 + "1" + ")" * 1000 + "\n", "parse-error",
                   "too many nested parentheses"),
    "brackets-100000": ("x = " + "(" * 100_000 + "1" + ")" * 100_000 + "\n", "parse-error",
                        "too many nested parentheses"),
    "if-blocks-1000": (_nested_ifs(1000), "parse-error", "too many levels of indentation"),
    # 1,000-deep expressions are valid Python and are analysed normally
    "sum-1000": ("x = " + " + ".join(["1"] * 1000) + "\n", "no-mlflow", "import mlflow"),
    "unary-1000": ("x = " + "-" * 1000 + "1\n", "no-mlflow", "import mlflow"),
    "not-1000": ("x = " + "not " * 1000 + "y\n", "no-mlflow", "import mlflow"),
    "lambda-1000": ("x = " + "lambda: " * 1000 + "1\n", "no-mlflow", "import mlflow"),
    "elif-1000": ("if a:\n    pass\n" + "elif a:\n    pass\n" * 1000, "no-mlflow",
                  "import mlflow"),
    # deeper than CPython itself can compile: refused before libcst would overflow its stack
    "sum-10000": ("x = " + " + ".join(["1"] * 10_000) + "\n", "skipped", "nesting too deep"),
    "unary-100000": ("x = " + "-" * 100_000 + "1\n", "skipped", "nesting too deep"),
    "elif-10000": ("if a:\n    pass\n" + "elif a:\n    pass\n" * 10_000, "skipped",
                   "nesting too deep"),
    "and-chain-10000": ("x = " + " and ".join(["a"] * 10_000) + "\n", "skipped",
                        "10,000 operands chained with and/or"),
    "attribute-chain-10000": ("x = a" + ".b" * 10_000 + "\n", "skipped", "nesting too deep"),
    # files CPython (3.11) stops reading early, so it cannot vouch for their depth: newer syntax
    # (PEP 695) or a real syntax error before the deep part; libcst would still overflow
    "py312-syntax-unary-20000": ("type Alias = int\nx = " + "-" * 20_000 + "1\n", "skipped",
                                 "nesting too deep"),
    "py312-syntax-elif-10000": ("type Alias = int\nif a:\n    pass\n" + "elif a:\n    pass\n"
                                * 10_000, "skipped", "nesting too deep"),
    "python2-then-sum-10000": ('print "x"\nx = ' + " + ".join(["1"] * 10_000) + "\n",
                               "skipped", "nesting too deep"),
    "python2-then-brackets-5000": ('print "x"\nx = ' + "[" * 5000 + "]" * 5000 + "\n",
                                   "parse-error", "too many nested parentheses"),
    "py312-syntax-then-brackets-5000": ("type Alias = int\nx = " + "[" * 5000 + "]" * 5000
                                        + "\n", "parse-error", "too many nested parentheses"),
}


@pytest.fixture(scope="module", params=["serial", "parallel"])
def deep_runs(request, tmp_path_factory):
    """One project holding every deep file, checked once per mode (serial: in-process)."""
    # (the deepest files are larger than the default byte budget: 10 MiB lets them be read)
    root = make(tmp_path_factory.mktemp("deep"),
                {f"src/deep/{name.replace('-', '_')}.py": "import mlflow\n" + src
                 for name, (src, _, _) in DEEP.items()}
                | {".obs-lint.yaml": "packs: [pack.yaml]\nmax-file-bytes: 10485760\n"})
    jobs = "1" if request.param == "serial" else "2"
    started = time.monotonic()
    result = run_sub(root, "--jobs", jobs, timeout=300)
    return result, time.monotonic() - started


@pytest.mark.slow
@pytest.mark.parametrize("case", sorted(DEEP))
def test_deep_nesting_never_crashes_the_run(deep_runs, case):
    (code, report, err), _seconds = deep_runs
    assert report is not None, f"the run died (exit {code}): {err[-500:]}"
    _src, name, fragment = DEEP[case]
    path = f"src/deep/{case.replace('-', '_')}.py"
    assert_survived(code, report, path, name, fragment)
    assert "Traceback" not in err and "RecursionError" not in err
    assert code == 1


# A file over the per-file time budget is proven in tests/test_budgets.py with an extractor that
# blocks deterministically (and one that blocks signals, like native code): a real slow file
# (1,000 chained calls) against a 0.5 s budget passed or failed with the machine's load.


def test_a_file_slow_for_libcst_is_analysed_when_its_rules_read_only_imports(tmp_path):
    """Only forbid-import covers it: its imports come from CPython's AST, libcst never parses
    it, and its finding is reported instead of a skip."""
    root = make(tmp_path, {"src/slow.py": "import mlflow\nx = a" + ".b()" * 1000 + "\n",
                           ".obs-lint.yaml": "packs: [pack.yaml]\nmax-file-seconds: 0.5\n"})
    code, report, _ = run_sub(root, "--jobs", "1", timeout=120)
    assert report is not None
    mine = [(f["name"], f["line"]) for f in report["findings"] if f["path"] == "src/slow.py"]
    assert mine == [("no-mlflow", 1)], report["findings"]


# --------------------------------------------------------------------------------------------
# Encodings
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("body, line, fragment", [
    (b"x = 1\nimport mlflow\ny = 2\x00\n", 3, "file contains NUL bytes"),
    (b"x = 1\nimport mlflow\ns = '\xc3\x28'\n", 3, "invalid utf-8 byte b'\\xc3'"),
    ("import mlflow\n".encode("utf-16"), 1, "UTF-16"),
    ("import mlflow\n".encode("utf-32"), 1, "UTF-32"),
    (b"# -*- coding: no-such-codec -*-\nimport mlflow\n", 1, "unknown encoding"),
], ids=["nul-bytes", "invalid-utf8", "utf16-bom", "utf32-bom", "unknown-codec"])
def test_undecodable_files(cli, tmp_path, body, line, fragment):
    root = make(tmp_path, {"src/bad.py": body})
    code, report, _ = run_cli(cli, root)
    assert_survived(code, report, "src/bad.py", "parse-error", fragment, line=line)
    assert code == 1


# --------------------------------------------------------------------------------------------
# The file system
# --------------------------------------------------------------------------------------------


def test_a_symlink_loop_is_a_read_error_not_a_hang(tmp_path):
    root = make(tmp_path)
    os.symlink("loop_b.py", root / "src" / "loop_a.py")
    os.symlink("loop_a.py", root / "src" / "loop_b.py")
    code, report, _ = run_sub(root, timeout=60)
    for name in ("src/loop_a.py", "src/loop_b.py"):
        assert_survived(code, report, name, "read-error", "symbolic link loop")
    assert code == 1


def test_a_dangling_symlink_says_so(cli, tmp_path):
    root = make(tmp_path)
    os.symlink("gone.py", root / "src" / "dangling.py")
    code, report, _ = run_cli(cli, root)
    assert_survived(code, report, "src/dangling.py", "read-error",
                    "broken symbolic link (its target gone.py does not exist)")


def test_symlinks_out_of_the_root_are_not_followed(cli, tmp_path):
    outside = tmp_path / "outside"
    (outside / "pkg").mkdir(parents=True)
    (outside / "secret.py").write_text("import mlflow\n")
    (outside / "pkg" / "mod.py").write_text("import mlflow\n")
    root = make(tmp_path)
    os.symlink(outside / "secret.py", root / "src" / "linked_file.py")
    os.symlink(outside / "pkg", root / "src" / "linked_dir")
    code, report, _ = run_cli(cli, root)
    paths = {f[0] for f in findings(report)}
    assert not {p for p in paths if p.startswith(("src/linked", "../"))}, paths
    assert SIBLING in [f[:3] for f in findings(report)]
    assert code == 1


def test_a_file_deleted_between_discovery_and_reading(cli, tmp_path, monkeypatch):
    """Simulated by wrapping discovery: the file really vanishes after it was listed."""
    root = make(tmp_path, {"src/vanishing.py": "import mlflow\n"})
    real = api.discover

    def discover_then_delete(*args, **kwargs):
        found = real(*args, **kwargs)
        (root / "src" / "vanishing.py").unlink()
        return found

    monkeypatch.setattr(api, "discover", discover_then_delete)
    code, report, _ = run_cli(cli, root)
    assert_survived(code, report, "src/vanishing.py", "read-error",
                    "file vanished before it could be read")


def test_a_file_replaced_by_a_directory_between_discovery_and_reading(cli, tmp_path,
                                                                      monkeypatch):
    root = make(tmp_path, {"src/shapeshifter.py": "import mlflow\n"})
    real = api.discover

    def discover_then_swap(*args, **kwargs):
        found = real(*args, **kwargs)
        target = root / "src" / "shapeshifter.py"
        target.unlink()
        target.mkdir()
        return found

    monkeypatch.setattr(api, "discover", discover_then_swap)
    code, report, _ = run_cli(cli, root)
    assert_survived(code, report, "src/shapeshifter.py", "read-error", "is a directory")


def test_an_unreadable_file(cli, tmp_path, monkeypatch):
    """chmod 000 when not root; as root (CI containers) reads are not blocked by permissions,
    so ``os.open`` is made to fail with EACCES for that one path, as the kernel would."""
    root = make(tmp_path, {"src/locked.py": "import mlflow\n"})
    target = root / "src" / "locked.py"
    if os.geteuid() != 0:
        target.chmod(0)
    else:
        real_open = os.open

        def open_denied(path, flags, *args, **kwargs):
            if os.fspath(path) == str(target):
                raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(path))
            return real_open(path, flags, *args, **kwargs)

        monkeypatch.setattr(os, "open", open_denied)
    try:
        code, report, _ = run_cli(cli, root)
    finally:
        target.chmod(0o644)
    assert_survived(code, report, "src/locked.py", "read-error", "permission denied")


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="FIFOs need a POSIX system")
def test_a_fifo_named_like_a_python_file_does_not_hang_the_run(tmp_path):
    root = make(tmp_path)
    os.mkfifo(root / "src" / "pipe.py")
    code, report, _ = run_sub(root, timeout=60)
    assert_survived(code, report, "src/pipe.py", "read-error", "not a regular file (a FIFO)")


def test_a_directory_named_like_a_python_file_is_walked_not_read(cli, tmp_path):
    root = make(tmp_path, {"src/x.py/inner.py": "import mlflow\n"})
    code, report, _ = run_cli(cli, root)
    got = findings(report)
    assert not [f for f in got if f[0] == "src/x.py"], got
    assert_survived(code, report, "src/x.py/inner.py", "no-mlflow", "import mlflow")
    code, report, _ = run_cli(cli, root, "src/x.py")
    assert [f[:3] for f in findings(report)] == [("src/x.py/inner.py", 1, "no-mlflow")]
    assert code == 1


def test_file_names_that_are_not_utf8(tmp_path):
    root = make(tmp_path)
    raw = os.path.join(os.fsencode(root / "src"), b"caf\xe9_\xff.py")
    try:
        with open(raw, "wb") as fh:
            fh.write(b"import mlflow\n")
    except OSError as exc:  # pragma: no cover - e.g. macOS APFS refuses such names
        pytest.skip(f"this file system refuses non-UTF-8 names: {exc}")
    name = "src/" + os.fsdecode(b"caf\xe9_\xff.py")
    code, report, _ = run_sub(root)
    assert_survived(code, report, name, "no-mlflow", "import mlflow")
    # the text report prints the name's original bytes; SARIF percent-encodes them
    proc = subprocess.run([sys.executable, "-m", "obs_lint", "check", "--no-cache"], cwd=root,
                          capture_output=True, timeout=120)
    assert b"src/caf\xe9_\xff.py:1:1: H101" in proc.stdout and proc.returncode == 1
    code, _, err = run_sub(root, "--format", "sarif:" + str(tmp_path / "out.sarif"))
    assert code == 1, err
    sarif = json.loads((tmp_path / "out.sarif").read_text(encoding="utf-8"))
    uris = {loc["physicalLocation"]["artifactLocation"]["uri"]
            for r in sarif["runs"][0]["results"] for loc in r["locations"]}
    assert "src/caf%E9_%FF.py" in uris


# --------------------------------------------------------------------------------------------
# Rule packs
# --------------------------------------------------------------------------------------------


def test_an_empty_pack_file_is_a_pack_error_naming_it(cli, tmp_path):
    root = make(tmp_path, {"empty.yaml": "",
                           ".obs-lint.yaml": "packs: [pack.yaml, empty.yaml]\n"})
    code, report, err = run_cli(cli, root)
    assert code == 2 and report is None
    assert err == "obs-lint: error: empty.yaml: a pack file must hold exactly one YAML document\n"


def test_a_pack_without_rules_changes_nothing(cli, tmp_path):
    root = make(tmp_path, {"none.yaml": "pack: {id: none, title: No rules}\nrules: []\n",
                           ".obs-lint.yaml": "packs: [pack.yaml, none.yaml]\n"})
    code, report, _ = run_cli(cli, root)
    assert [f[:3] for f in findings(report)] == [SIBLING]
    assert code == 1


def test_a_pack_with_10000_rules(cli, tmp_path):
    rules = "".join(textwrap.dedent(f"""\
          - code: B{i:05d}
            name: no-mod-{i}
            phase: 1
            severity: error
            message: no mod{i}
            check: {{kind: forbid-import, modules: [mod{i}]}}
        """) for i in range(10_000))
    big = "pack: {id: big, title: Big}\nphases:\n  - {id: 1, title: One}\nrules:\n" + rules
    root = make(tmp_path, {"big.yaml": big, ".obs-lint.yaml": "packs: [pack.yaml, big.yaml]\n",
                           "src/uses_mod.py": "import mod9999\nimport mod0\n"})
    code, report, _ = run_cli(cli, root)
    assert [f[:3] for f in findings(report) if f[0] == "src/uses_mod.py"] == [
        ("src/uses_mod.py", 1, "no-mod-9999"), ("src/uses_mod.py", 2, "no-mod-0")]
    assert SIBLING in [f[:3] for f in findings(report)]
    checks = [c for p in report["phases"] for c in p["checks"]]
    assert len(checks) == 10_003
    assert code == 1


# --------------------------------------------------------------------------------------------
# YAML
# --------------------------------------------------------------------------------------------

BILLION_LAUGHS = "".join(
    ['a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]\n']
    + [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 9) + "]\n" for i in range(1, 10)])

# small text, large expansion: 60 aliases of a 2,000-key mapping merged into one mapping
MERGE_BOMB = ("base: &base {" + ", ".join(f"k{i}: {i}" for i in range(2_000)) + "}\n"
              + "merged: {<<: [" + ", ".join(["*base"] * 60) + "]}\n")

# Python heap traced during the run, in a fresh process, extraction in that process (jobs=1).
# (ru_maxrss would not do: Linux carries the forking parent's high-water mark across exec.)
_MEASURE = """
import json, tracemalloc
from obs_lint.api import check, load_packs, resolve_config
config = resolve_config(["."]).with_overrides(jobs=1)
packs = load_packs(config)
tracemalloc.start()
result = check(["."], config, packs=packs, use_cache=False)
print(json.dumps({"peak_bytes": tracemalloc.get_traced_memory()[1],
                  "findings": [[f.location.path, f.name, f.message] for f in result.findings]}))
"""


@pytest.mark.parametrize("text, fragment", [
    (BILLION_LAUGHS, "alias expansion bomb"),
    (MERGE_BOMB, "alias expansion bomb"),
], ids=["billion-laughs", "merge-key-bomb"])
def test_yaml_expansion_bombs_are_refused_in_bounded_memory_and_time(tmp_path, text, fragment):
    root = make(tmp_path, {"config/bomb.yaml": text})
    # the timeout only keeps a regression from hanging CI; what is asserted is the refusal and
    # the memory bound (no wall-clock limit: the machine may be busy)
    proc = subprocess.run([sys.executable, "-c", _MEASURE], cwd=root, capture_output=True,
                          text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-800:]
    out = json.loads(proc.stdout)
    got = [tuple(f) for f in out["findings"]]
    assert any(p == "config/bomb.yaml" and n == "parse-error" and fragment in m
               for p, n, m in got), got
    assert ("src/sibling.py", "no-mlflow") in [(p, n) for p, n, _ in got]
    # 9**9 expanded strings would need gigabytes; the refusal stops at 200,000 nodes
    assert out["peak_bytes"] < 100 * 2**20, f"peak {out['peak_bytes'] // 2**20} MB"


@pytest.mark.parametrize("where", ["config", "pack"])
def test_an_expansion_bomb_in_the_configuration_or_a_pack_is_an_error(cli, tmp_path, where):
    name = ".obs-lint.yaml" if where == "config" else "bomb.yaml"
    text = ("packs: [pack.yaml]\n" if where == "config" else "") + BILLION_LAUGHS
    files: dict[str, str | bytes] = {name: text}
    if where == "pack":
        files[".obs-lint.yaml"] = "packs: [pack.yaml, bomb.yaml]\n"
    root = make(tmp_path, files)
    code, report, err = run_cli(cli, root)
    assert code == 2 and report is None
    assert re.fullmatch(rf"obs-lint: error: {re.escape(name)}:\d+: invalid YAML: document "
                        r"expands to more than 200000 nodes \(alias expansion bomb\?\); "
                        r"refused\n", err), err


def test_yaml_duplicate_keys_are_refused(cli, tmp_path):
    root = make(tmp_path, {"config/dup.yaml": "a: 1\nb: 2\na: 3\n"})
    code, report, _ = run_cli(cli, root)
    assert_survived(code, report, "config/dup.yaml", "parse-error",
                    "duplicate key 'a' (first defined on line 1)", line=3)


PYTHON_TAGS = [
    "!!python/object/apply:os.system ['touch {marker}']",
    "!!python/object/new:os.system ['touch {marker}']",
    "!!python/object/apply:subprocess.check_call [['touch', '{marker}']]",
    "!!python/name:os.system",
    "!!python/module:os",
]


@pytest.mark.parametrize("tag", PYTHON_TAGS, ids=lambda t: t.split(" ")[0].split(":")[1])
def test_python_tags_in_a_checked_yaml_file_are_refused_never_executed(cli, tmp_path, tag):
    marker = tmp_path / "PWNED"
    root = make(tmp_path, {"config/evil.yaml": "x: " + tag.format(marker=marker) + "\n"})
    code, report, _ = run_cli(cli, root)
    assert_survived(code, report, "config/evil.yaml", "parse-error", "is not allowed")
    assert not marker.exists(), "a YAML tag executed code"


@pytest.mark.parametrize("where", ["pack", "config"])
def test_python_tags_in_a_pack_or_the_configuration_are_errors_never_executed(cli, tmp_path,
                                                                             where):
    marker = tmp_path / "PWNED"
    evil = f"!!python/object/apply:os.system ['touch {marker}']"
    files: dict[str, str | bytes] = (
        {"pack.yaml": PACK.replace("message: raw mlflow import", f"message: {evil}")}
        if where == "pack" else {".obs-lint.yaml": f"packs: [pack.yaml]\nformat: {evil}\n"})
    root = make(tmp_path, files)
    code, report, err = run_cli(cli, root)
    assert code == 2 and report is None
    shown = "pack.yaml:11" if where == "pack" else ".obs-lint.yaml:2"
    assert err.startswith(f"obs-lint: error: {shown}") and "is not allowed" in err, err
    assert not marker.exists(), "a YAML tag executed code"


# --------------------------------------------------------------------------------------------
# SQL
# --------------------------------------------------------------------------------------------


def test_sql_with_an_unterminated_dollar_quote(cli, tmp_path):
    text = ("CREATE FUNCTION f() RETURNS int AS $body$ SELECT 1;\n"
            "CREATE TABLE later (id int);\n")
    root = make(tmp_path, {"db/broken.sql": text})
    code, report, _ = run_cli(cli, root)
    assert_survived(code, report, "db/broken.sql", "parse-error",
                    "unterminated dollar-quoted string", line=1)


def test_sql_with_unknown_statements_keeps_reading_the_good_ones(cli, tmp_path):
    text = "FROBNICATE the database;\nCREATE TABLE runs (id int);\nWIBBLE WOBBLE;\n"
    root = make(tmp_path, {"db/schema.sql": "CREATE TABLE other (id int);\n",
                           "db/odd.sql": text})
    code, report, _ = run_cli(cli, root)
    got = findings(report)
    assert [(ln, n) for p, ln, n, _ in got if p == "db/odd.sql"] == [
        (1, "parse-error"), (3, "parse-error")]
    assert_survived(code, report, "db/odd.sql", "parse-error", "FROBNICATE")


def test_sql_with_5_mb_of_inserts(cli, tmp_path):
    rows = "".join(f"INSERT INTO runs VALUES ({i}, 'row {i}; -- ''not'' a comment');\n"
                   for i in range(80_000))
    text = "CREATE TABLE runs (id int, note text);\n" + rows
    assert len(text) > 5_000_000
    root = make(tmp_path, {"db/schema.sql": text})
    code, report, _ = run_cli(cli, root)
    assert [f[:3] for f in findings(report)] == [SIBLING], "the table is read; no false finding"
    assert code == 1


def test_sql_nested_past_the_native_parsers_stack(tmp_path):
    text = "CREATE TABLE runs (id int DEFAULT " + "+".join(["1"] * 40_000) + ");\n"
    root = make(tmp_path, {"db/deep.sql": text})
    code, report, err = run_sub(root, "--jobs", "1", timeout=120)
    assert report is not None, f"the run died (exit {code}): {err[-500:]}"
    assert_survived(code, report, "db/deep.sql", "parse-error", "stack depth limit exceeded")


# --------------------------------------------------------------------------------------------
# JUnit XML
# --------------------------------------------------------------------------------------------

SECRET = "TOP-SECRET-CONTENT"


@pytest.mark.parametrize("doctype, body", [
    ('<!DOCTYPE t [<!ENTITY xxe SYSTEM "file://{secret}">]>', "&xxe;"),
    ('<!DOCTYPE t [<!ENTITY a "lol"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>', "&b;"),
    ('<!DOCTYPE t SYSTEM "file://{secret}">', ""),
], ids=["external-entity", "entity-expansion", "external-dtd"])
def test_junit_files_with_a_doctype_are_refused(cli, tmp_path, doctype, body):
    secret = tmp_path / "secret.txt"
    secret.write_text(SECRET)
    xml = ('<?xml version="1.0"?>\n' + doctype.format(secret=secret) + "\n"
           '<testsuites><testsuite name="s" tests="1">'
           f'<testcase classname="tests.test_x" name="test_a">{body}</testcase>'
           "</testsuite></testsuites>\n")
    root = make(tmp_path, {"results.xml": xml})
    code, out, err = cli("check", "--no-cache", "--junit-xml", "results.xml", cwd=root)
    assert code == 2
    assert err.startswith("obs-lint: error: results.xml: refused unsafe XML"), err
    assert err.count("\n") == 1
    assert SECRET not in out + err


# --------------------------------------------------------------------------------------------
# Inputs that are not regular files: packs, baselines, JUnit files and cache entries that are a
# FIFO (opening one for reading blocked the run forever) or a link to /dev/zero (read without
# bound). Every input is read by one helper (fileio.read_regular: O_NONBLOCK, fstat, a byte
# budget). Each run is a subprocess with a timeout and an address-space limit, so a regression
# fails the test instead of hanging it or eating the machine's memory.
# --------------------------------------------------------------------------------------------

BASELINE = '{"version": 1, "tool": "obs-lint", "entries": []}\n'
JUNIT = ('<?xml version="1.0"?>\n<testsuites><testsuite name="s" tests="1">'
         '<testcase classname="tests.test_x" name="test_a"/></testsuite></testsuites>\n')


def _limited() -> None:  # runs in the child before exec
    import resource

    limit = 3 << 30
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


def run_bounded(root: Path, *args: str, cached: bool = False, timeout: float = 60
                ) -> tuple[int, dict | None, str]:
    proc = subprocess.run([sys.executable, "-m", "obs_lint", "check", "--format", "json",
                           *(() if cached else ("--no-cache",)), *args], cwd=root,
                          capture_output=True, timeout=timeout, preexec_fn=_limited)
    out = proc.stdout.decode("ascii")
    return proc.returncode, (json.loads(out) if out.strip() else None), proc.stderr.decode(
        "utf-8", "replace")


def _plant(path: Path, how: str) -> str:
    """Make ``path`` a FIFO or a link to /dev/zero; the message fragment naming what it is."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.is_symlink() or path.exists():
        path.unlink()
    if how == "fifo":
        os.mkfifo(path)
        return "not a regular file (a FIFO); not read"
    os.symlink("/dev/zero", path)
    return "not a regular file (a character device); not read"


NON_REGULAR = pytest.mark.skipif(not hasattr(os, "mkfifo") or not os.path.exists("/dev/zero"),
                                 reason="FIFOs and /dev/zero need a POSIX system")
INPUTS = {
    # name: (file, extra files, command-line arguments, how the error line starts)
    "pack": ("extra.yaml", {".obs-lint.yaml": "packs: [pack.yaml, extra.yaml]\n"}, (),
             "extra.yaml: cannot read pack: "),
    "baseline": ("base.json", {}, ("--baseline", "base.json"),
                 "base.json: cannot read baseline: "),
    "junit": ("results.xml", {}, ("--junit-xml", "results.xml"),
              "results.xml: cannot read JUnit XML: "),
    "junit-glob": ("reports/results.xml", {"reports/other.xml": JUNIT},
                   ("--junit-xml", "reports/*.xml"),
                   "reports/results.xml: cannot read JUnit XML: "),
}


@NON_REGULAR
@pytest.mark.parametrize("how", ["fifo", "dev-zero"])
@pytest.mark.parametrize("kind", sorted(INPUTS))
def test_an_input_that_is_not_a_regular_file_is_refused_not_waited_on(tmp_path, kind, how):
    name, extra, args, head = INPUTS[kind]
    root = make(tmp_path, extra)
    fragment = _plant(root / name, how)
    code, report, err = run_bounded(root, *args)
    assert code == 2 and report is None, err
    assert err == f"obs-lint: error: {head}{fragment}\n"


@pytest.mark.parametrize("kind", ["pack", "baseline", "junit"])
def test_an_input_over_the_byte_budget_is_refused_naming_it(cli, tmp_path, monkeypatch, kind):
    """Inputs have a byte budget too: max-file-bytes, but at least fileio.INPUT_FLOOR (64 MiB:
    lowered here, so that the test needs no 64 MB file)."""
    import obs_lint.fileio as fileio

    monkeypatch.setattr(fileio, "INPUT_FLOOR", 2000)
    name, extra, args, head = INPUTS[kind]
    config = extra.get(".obs-lint.yaml", "packs: [pack.yaml]\n") + "max-file-bytes: 1000\n"
    root = make(tmp_path, {**extra, ".obs-lint.yaml": config, name: "#" * 3000 + "\n"})
    code, out, err = cli("check", "--no-cache", "--format", "json", *args, cwd=root)
    assert code == 2 and out == "", err
    what = {"pack": "pack", "baseline": "baseline", "junit": "JUnit XML"}[kind]
    assert err == (f"obs-lint: error: {name}: {what} is 3,001 bytes, over the 2,000-byte "
                   "budget (max-file-bytes, at least 2,000 for inputs); not read\n")


def _outlive_racy_window(root: Path) -> None:
    """Wait until every file under ``root`` changed more than statindex.RACY_NS ago.

    The stat index does not record a "racily clean" file (its ctime, which os.utime cannot set
    back, is under two seconds older than the run): on a fast machine a run started right
    after the files were written records none and writes no index at all. Waiting is not a
    timing assertion: any delay under load only makes the files older.
    """
    from obs_lint.cache.statindex import RACY_NS

    newest = max(p.lstat().st_ctime_ns for p in root.rglob("*"))
    while time.time_ns() - newest <= RACY_NS + 100_000_000:
        time.sleep(0.05)


@NON_REGULAR
@pytest.mark.parametrize("how", ["fifo", "dev-zero"])
@pytest.mark.parametrize("namespace", ["f", "r", "p", "i"])
def test_a_cache_entry_that_is_not_a_regular_file_is_a_miss(tmp_path, namespace, how):
    """facts (f), rule results (r), packs (p), the stat index (i): every entry replaced by a
    FIFO or a link to /dev/zero is treated as absent (and rebuilt), never read."""
    root = make(tmp_path)
    expected = run_bounded(root)
    assert expected[0] == 1 and expected[1] is not None, expected[2]
    _outlive_racy_window(root)
    assert run_bounded(root, cached=True)[:2] == expected[:2]
    entries = [p for p in (root / ".obs-lint-cache" / namespace).rglob("*") if p.is_file()]
    assert entries, f"no {namespace} entry was written"
    for entry in entries:
        _plant(entry, how)
    assert run_bounded(root, cached=True)[:2] == expected[:2]
    assert run_bounded(root, cached=True)[:2] == expected[:2]


# --------------------------------------------------------------------------------------------
# Line breaks: a suppression comment is found on the line its finding is reported on, whatever
# characters str.splitlines would also break at (one rule per language: facts/source.py
# LINE_BREAKS — Python: CRLF/CR/LF as libcst; YAML: also NEL, U+2028, U+2029 as PyYAML; SQL:
# LF as facts/sql.py). A malformed suppression silences nothing and says so.
# --------------------------------------------------------------------------------------------

PACK_WITH_COLUMNS = PACK + """\
  - code: H302
    name: runs-name-column
    phase: 3
    severity: error
    message: runs needs a name column
    where: {include: ["db/**"]}
    check: {kind: sql-schema, files: ["db/*.sql"], table: runs, columns: {name: text}}
"""

LINE_BREAK_CASES = {
    # name: (path, text, the finding silenced by the comment: (line, name))
    "python-lone-cr": ("src/cr.py", "x = 1\rimport mlflow  # obs-lint: ignore[H101]\ry = 2\r",
                       (2, "no-mlflow")),
    "python-crlf": ("src/crlf.py", "x = 1\r\nimport mlflow  # obs-lint: ignore[H101]\r\n",
                    (2, "no-mlflow")),
    # the tokenizer gives up on this file; the fallback must still count lines as libcst does
    "python-form-feed-broken-file": ("src/ff.py", "import mlflow\f# \f\ny = (  # obs-lint: "
                                     "ignore[parse-error]\n", (2, "parse-error")),
    "python-u2028-in-a-string-broken-file": ("src/ls.py", "x = 'mlflow\u2028'\ny = (  # obs-lint: "
                                             "ignore[parse-error]\n", (2, "parse-error")),
    "sql-form-feed": ("db/schema.sql", "-- a\fb\nCREATE TABLE runs (id int);  "
                      "-- obs-lint: ignore[H302]\n", (2, "runs-name-column")),
    "sql-u2028": ("db/schema.sql", "-- a\u2028b\nCREATE TABLE runs (id int);  "
                  "-- obs-lint: ignore[H302]\n", (2, "runs-name-column")),
    "sql-lone-cr-inside-a-line": ("db/schema.sql", "CREATE TABLE other (id int);\r"
                                  "CREATE TABLE runs (id int);  -- obs-lint: ignore[H302]\n",
                                  (1, "runs-name-column")),
    "yaml-u2028": ("config/app.yaml", "a: 'x\u2028y'\ntracking:  # obs-lint: ignore[H201]\n"
                   "  other: 5\n", (3, "tracking-uri")),
    "yaml-nel": ("config/app.yaml", "a: 'x\x85y'\ntracking:  # obs-lint: ignore[H201]\n"
                 "  other: 5\n", (3, "tracking-uri")),
    "yaml-lone-cr": ("config/app.yaml", "a: 1\rtracking:  # obs-lint: ignore[H201]\r"
                     "  other: 5\r", (2, "tracking-uri")),
}


@pytest.mark.parametrize("case", sorted(LINE_BREAK_CASES))
def test_suppressions_are_found_on_the_line_their_finding_is_reported_on(cli, tmp_path, case):
    path, text, (line, name) = LINE_BREAK_CASES[case]
    root = make(tmp_path, {"pack.yaml": PACK_WITH_COLUMNS, path: text})
    unsuppressed = text.replace("obs-lint: ignore", "obs-lint-off: ignore")
    (tmp_path / "plain").mkdir()
    plain = make(tmp_path / "plain", {"pack.yaml": PACK_WITH_COLUMNS, path: unsuppressed})
    _, report, _ = run_cli(cli, plain)
    assert (path, line, name) in [f[:3] for f in findings(report)], \
        "the finding itself is reported on that line"
    code, report, err = run_cli(cli, root)
    mine = [f for f in findings(report) if f[0] == path]
    assert mine == [], f"suppressed findings or stale suppressions remain: {mine}"
    assert any(f[:3] == SIBLING for f in findings(report)), err


@pytest.mark.parametrize("comment, why", [
    ("# obs-lint: ignore[H201", "`obs-lint: ignore[H201` has no closing `]`"),
    ("# obs-lint: ignore[H101", "`obs-lint: ignore[H101` has no closing `]`"),
    ("# obs-lint: ignore[]", "`obs-lint: ignore[]` names no rule"),
], ids=["unclosed-other-code", "unclosed-own-code", "empty-list"])
def test_a_malformed_suppression_silences_nothing_and_is_reported(cli, tmp_path, comment, why):
    """An unclosed ``ignore[H201`` used to act as a bare ``ignore``: it silenced every rule."""
    root = make(tmp_path, {"src/bad.py": f"import mlflow  {comment}\n",
                           ".obs-lint.yaml": "packs: [pack.yaml]\nwarn-unused-ignores: false\n"})
    code, report, _ = run_cli(cli, root)
    mine = [f for f in findings(report) if f[0] == "src/bad.py"]
    assert ("src/bad.py", 1, "no-mlflow") in [f[:3] for f in mine]
    assert ("src/bad.py", 1, "unused-suppression",
            f"malformed suppression: {why}; it silences nothing") in mine
    assert code == 1
# Output: file names and quoted source text that carry control characters or markup
# --------------------------------------------------------------------------------------------

FORGED = "::warning file=README.md,line=1::approved"
HOSTILE_NAMES = {
    "::notice title=x::y/a.py": "import mlflow\n",
    "src/new\n::error file=x.py,line=1::forged.py": "import mlflow\n",
    "src/esc\x1b]0;retitled\x07.py": "import mlflow\n",
    "src/csi\x1b[2J\x9b.py": "import mlflow\n",
    "src/bidi\u202eyp.txt.py": "import mlflow\n",
    "src/<img src=x onerror=alert(1)>.py": "import mlflow\n",
    "src/link](javascript:x) [y.py": "import mlflow\n",
    "src/dyn.py": '__import__("mlflow.x\\n' + FORGED + '\\x1b[31m\\n")\n',
}


def _hostile_names(tmp_path: Path) -> Path:
    return make(tmp_path, HOSTILE_NAMES)


def _controls(text: str) -> set[str]:
    return {c for c in text if (ord(c) < 32 and c != "\n") or 0x7f <= ord(c) <= 0x9f
            or c in "\u2028\u2029\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"}


def test_text_output_shows_control_characters_escaped_one_line_per_finding(tmp_path):
    root = _hostile_names(tmp_path)
    proc = subprocess.run([sys.executable, "-m", "obs_lint", "check", "--no-cache"], cwd=root,
                          capture_output=True, timeout=120, env={**os.environ,
                                                                 "FORCE_COLOR": "1"})
    assert proc.returncode == 1, proc.stderr
    out = proc.stdout.decode("utf-8")
    # the only escape sequences are obs-lint's own colours (SGR: ESC [ digits ; m)
    plain = re.sub(r"\x1b\[[0-9;]*m", "", out)
    assert _controls(plain) == set(), sorted(_controls(plain))
    lines = [ln for ln in plain.splitlines() if ": H101 [no-mlflow]" in ln]
    assert len(lines) == len(HOSTILE_NAMES) + 1  # + the sibling
    assert "src/esc\\x1b]0;retitled\\x07.py:1:1: H101" in plain
    assert "src/new\\x0a::error file=x.py,line=1::forged.py:1:1: H101" in plain
    assert "src/csi\\x1b[2J\\x9b.py:1:1" in plain and "src/bidi\\u202eyp.txt.py" in plain
    assert "mlflow.x\\x0a" + FORGED + "\\x1b[31m\\x0a" in plain


def test_stderr_messages_show_control_characters_escaped(tmp_path):
    root = make(tmp_path)
    proc = subprocess.run([sys.executable, "-m", "obs_lint", "check", "--no-cache",
                           "nope\x1b]0;x\x07\n::error::y.py"], cwd=root, capture_output=True,
                          timeout=120)
    assert proc.returncode == 2
    err = proc.stderr.decode("utf-8")
    assert err == ("obs-lint: error: nope\\x1b]0;x\\x07\\x0a::error::y.py: no such file or "
                   "directory\n")


HOSTILE_TEXT = "x\x1b]0;retitled\x07\n" + FORGED + "\u202e"
HOSTILE_SHOWN = "x\\x1b]0;retitled\\x07\\x0a" + FORGED + "\\u202e"
HOSTILE_PACK = PACK.replace("message: raw mlflow import", "message: " + json.dumps(
    HOSTILE_TEXT) + "\n    description: " + json.dumps("why: " + HOSTILE_TEXT))


@pytest.mark.parametrize("command", [("rules",), ("explain", "H101")])
def test_rules_and_explain_show_pack_texts_escaped(cli, tmp_path, command):
    """A pack is content too: its messages and descriptions never reach the terminal raw, and
    a newline in them cannot start a line of its own (a forged CI command)."""
    root = make(tmp_path, {"pack.yaml": HOSTILE_PACK})
    code, out, err = cli(*command, cwd=root)
    assert code == 0, err
    assert _controls(out) == set(), sorted(_controls(out))
    assert HOSTILE_SHOWN in out
    assert not any(line.startswith("::") for line in out.splitlines())


def test_config_shows_values_escaped(cli, tmp_path):
    root = make(tmp_path, {".obs-lint.yaml": "packs: [pack.yaml]\nexclude: " + json.dumps(
        [HOSTILE_TEXT]) + "\n"})
    code, out, err = cli("config", cwd=root)
    assert code == 0, err
    assert _controls(out) == set(), sorted(_controls(out))
    assert "x\\u001b]0;retitled\\u0007\\n" in out  # shown as the JSON string it is
    assert not any(line.startswith("::") for line in out.splitlines())


def test_watch_shows_changed_paths_escaped(cli, tmp_path, monkeypatch):
    from obs_lint import watch as watcher

    root = make(tmp_path)
    steps = iter([lambda: (root / "src" / "new\n::error::x\x1b[2J.py").write_text("x = 1\n")])

    def fake_sleep(seconds: float) -> None:
        try:
            next(steps)()
        except StopIteration:
            raise KeyboardInterrupt from None

    monkeypatch.setattr(watcher, "sleep", fake_sleep)
    code, out, err = cli("check", "--watch", "-q", "--no-cache", cwd=root)
    assert code == 0, err
    assert "changed: src/new\\x0a::error::x\\x1b[2J.py; checking again" in out
    assert _controls(out) == set() and not any(ln.startswith("::") for ln in out.splitlines())


def test_markdown_links_are_percent_encoded_and_names_cannot_make_markup(cli, tmp_path):
    from urllib.parse import unquote

    root = _hostile_names(tmp_path)
    code, out, _ = cli("check", "--no-cache", "--format", "markdown", cwd=root)
    assert code == 1
    assert _controls(out) == set()
    # markup characters from names are backslash-escaped (shown literally), never live
    assert not re.search(r"(?<!\\)<img", out) and not re.search(r"(?<!\\)\]\(javascript", out)
    # every link: [escaped text](target) with a target of unreserved characters only
    links = re.findall(r"\[((?:\\.|[^\]\\\n])*)\]\(([^)\s]*)#L(\d+)\)", out)
    targets = {unquote(t, errors="surrogateescape") for _, t, _ in links}
    assert set(HOSTILE_NAMES) <= targets, targets - set(HOSTILE_NAMES)
    for _, target, _ in links:
        assert re.fullmatch(r"[A-Za-z0-9%/._~-]+", target), target
    # no finding line was split: each hostile file is on one list item
    items = [ln for ln in out.splitlines() if ln.startswith("  - [") or ln.startswith("- [")]
    assert sum(1 for ln in items if "raw mlflow import" in ln) >= len(HOSTILE_NAMES)


def test_structured_formats_stay_valid_with_hostile_names(cli, tmp_path):
    import xml.etree.ElementTree as ET
    from urllib.parse import unquote

    root = _hostile_names(tmp_path)
    out = tmp_path / "out"
    out.mkdir()
    code, _, err = cli("check", "--no-cache", "--format", f"json:{out / 'r.json'}",
                       "--format", f"sarif:{out / 'r.sarif'}", "--format",
                       f"junit:{out / 'r.xml'}", cwd=root)
    assert code == 1, err
    report = json.loads((out / "r.json").read_text(encoding="utf-8"))
    assert set(HOSTILE_NAMES) <= {f["path"] for f in report["findings"]}
    dyn = [f for f in report["findings"] if f["path"] == "src/dyn.py"]
    assert dyn and "mlflow.x\n" + FORGED + "\x1b[31m\n" in dyn[0]["message"]  # data, intact
    sarif = json.loads((out / "r.sarif").read_text(encoding="utf-8"))
    uris = {unquote(loc["physicalLocation"]["artifactLocation"]["uri"])
            for r in sarif["runs"][0]["results"] for loc in r["locations"]}
    assert set(HOSTILE_NAMES) <= uris
    tree = ET.parse(out / "r.xml")  # well-formed XML whatever the names hold
    failure = "\n".join(el.text or "" for el in tree.iter("failure"))
    assert "src/link](javascript:x) [y.py:1:1" in failure


# --------------------------------------------------------------------------------------------
# Valid input that crashed the run: .gitignore lines git accepts, odd settings, huge packs,
# memory exhaustion, a closed pipe
# --------------------------------------------------------------------------------------------


def test_gitignore_lines_git_accepts_do_not_end_the_run(tmp_path):
    root = make(tmp_path, {".gitignore": "!\nfoo\\\n[z-a].py\nbuild_out/\n\\\n",
                           "build_out/x.py": "import mlflow\n",
                           "src/foo.py": "import mlflow\n"})
    code, report, err = run_sub(root)
    assert report is not None, err
    paths = {f[0] for f in findings(report)}
    assert "build_out/x.py" not in paths  # the valid lines still apply
    assert "src/foo.py" in paths  # `foo\` matches nothing, as in git
    assert_survived(code, report, "src/foo.py", "no-mlflow", "import mlflow")
    assert "Traceback" not in err and "internal error" not in err


@pytest.mark.parametrize("setting, message", [
    ('max-file-seconds = inf', "pyproject.toml:2: max-file-seconds must be a number of seconds "
                               "from 0 (no limit) to 86,400, got inf"),
    ('max-file-seconds = nan', "pyproject.toml:2: max-file-seconds must be a number of seconds"),
    ('max-file-seconds = 1e308', "pyproject.toml:2: max-file-seconds must be a number"),
    ('max-file-seconds = -1', "pyproject.toml:2: max-file-seconds must be a number"),
    ('max-file-bytes = 99999999999999999999', "pyproject.toml:2: max-file-bytes must be a "
                                              "number of bytes"),
    ('max-file-bytes = -5', "pyproject.toml:2: max-file-bytes must be a number of bytes"),
    ('jobs = -3', "pyproject.toml:2: jobs must be a number of worker processes"),
    ('exclude = ["\\\\"]', "pyproject.toml:2: exclude: '\\\\' is not a valid gitignore-style "
                           "pattern: it ends with a '\\' that escapes nothing"),
    ('extend-exclude = ["ok/", "!"]', "pyproject.toml:2: extend-exclude: '!' is not a valid "
                                      "gitignore-style pattern: a lone '!' negates nothing"),
    ('exclude = ["[z-a]"]', "pyproject.toml:2: exclude: '[z-a]' is not a valid gitignore-style "
                            "pattern: its regular expression does not compile"),
    ('per-file-ignores = {"x\\\\" = ["H101"]}', "pyproject.toml:2: per-file-ignores: 'x\\\\' "
                                                "is not a valid gitignore-style pattern"),
    ("x = " + "[" * 5000 + "]" * 5000, "pyproject.toml: invalid TOML: nested too deeply"),
    ('rules = [{code = "X1", description = ' + "[" * 300 + "]" * 300 + "}]",
     "pyproject.toml:2: rules: values nested more than 64 levels deep; refused"),
], ids=["seconds-inf", "seconds-nan", "seconds-huge", "seconds-negative", "bytes-huge",
        "bytes-negative", "jobs-negative", "exclude-backslash", "exclude-bang",
        "exclude-bad-range", "per-file-ignores-backslash", "deep-toml", "deep-inline-rule"])
def test_odd_settings_are_configuration_errors_not_internal_errors(tmp_path, setting, message):
    root = make(tmp_path, {".obs-lint.yaml": None} if False else {})
    (root / ".obs-lint.yaml").unlink()
    (root / "pyproject.toml").write_text(
        f'[tool.obs-lint]\n{setting}\npacks = ["pack.yaml"]\n', encoding="utf-8")
    code, report, err = run_sub(root)
    assert code == 2 and report is None
    assert err.startswith(f"obs-lint: error: {message}"), err
    assert err.count("\n") == 1 and "internal error" not in err


def test_init_refuses_to_append_to_a_pyproject_it_would_break(tmp_path):
    root = tmp_path / "p"
    root.mkdir()
    (root / "a.py").write_text("import mlflow\n")
    for text, fragment in (('tool = "x"\n', "its `tool` key is not a table"),
                           ("x = [1,\n", "is not valid TOML")):
        (root / "pyproject.toml").write_text(text)
        proc = subprocess.run([sys.executable, "-m", "obs_lint", "init"], cwd=root,
                              capture_output=True, text=True, timeout=120)
        assert proc.returncode == 2 and fragment in proc.stderr, proc.stderr
        assert proc.stderr.count("\n") == 1
        assert (root / "pyproject.toml").read_text() == text  # untouched


@pytest.mark.parametrize("where, shown", [
    ('where: {include: ["\\\\"]}', "where.include: '\\\\' is not a valid gitignore-style"),
    ('where: {exclude: ["ok", "!"]}', "where.exclude: '!' is not a valid gitignore-style"),
    ('where: {consult: ["[z-a]"]}', "where.consult: '[z-a]' is not a valid gitignore-style"),
], ids=["include-backslash", "exclude-bang", "consult-range"])
def test_invalid_globs_in_a_pack_are_pack_errors_at_their_line(cli, tmp_path, where, shown):
    pack = PACK.replace("    check: {kind: forbid-import, modules: [mlflow]}",
                        f"    {where}\n    check: {{kind: forbid-import, modules: [mlflow]}}")
    root = make(tmp_path, {"pack.yaml": pack})
    code, report, err = run_cli(cli, root)
    assert code == 2 and report is None
    assert err == f"obs-lint: error: pack.yaml:12: rule H101 (no-mlflow): {shown}" + \
        err.split(shown, 1)[1] and err.count("\n") == 1, err


def test_a_50_mb_pack_is_refused_before_it_is_parsed(cli, tmp_path):
    big = PACK + "# " + "x" * 98 + "\n"
    big += ("# " + "x" * 98 + "\n") * (50 * 2**20 // 100)
    root = make(tmp_path, {"big.yaml": big, ".obs-lint.yaml": "packs: [big.yaml]\n"})
    code, report, err = run_cli(cli, root)
    assert code == 2 and report is None
    assert re.fullmatch(r"obs-lint: error: big\.yaml: pack is 52,\d{3},\d{3} bytes, over the "
                        r"4,194,304-byte limit for a pack file \(.*\); refused\n", err), err


def test_running_out_of_memory_is_one_line_and_exit_2(tmp_path):
    """Memory exhaustion is injected (the engine raises MemoryError), so the test needs no
    real gigabytes: the CLI must print one line, exit 2, and show no traceback."""
    root = make(tmp_path)
    script = ("import sys, obs_lint.cli as cli\n"
              "def boom(*a, **k):\n"
              "    hog = [bytearray(1000) for _ in range(1000)]\n"
              "    raise MemoryError()\n"
              "cli.api.run = boom\n"
              "sys.argv = ['obs-lint', 'check', '--no-cache']\n"
              "cli.main()\n")
    proc = subprocess.run([sys.executable, "-c", script], cwd=root, capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == 2
    assert proc.stderr.startswith("obs-lint: error: out of memory") and \
        proc.stderr.count("\n") == 1, proc.stderr
    assert "Traceback" not in proc.stderr


def _many_findings(tmp_path: Path) -> Path:
    """A report far larger than a pipe's buffer (64 KiB): 100 files with one finding each
    whose message is 2,000 characters (the sibling makes 101)."""
    pack = PACK.replace("message: raw mlflow import", "message: " + "m" * 2000)
    return make(tmp_path, {"pack.yaml": pack,
                           **{f"src/m{i:03d}.py": "import mlflow\n" for i in range(100)}})


def _closed_pipe() -> int:
    """The write end of a pipe whose reader is already gone (`| true` that won the race)."""
    read_end, write_end = os.pipe()
    os.close(read_end)
    return write_end


@pytest.mark.parametrize("args, status", [
    (("check", "--no-cache"), 1),  # the verdict: the run is complete, only the reader left
    (("check", "--no-cache", "--format", "github"), 1),
    (("check", "--no-cache", "--format", "json:out.json", "--format", "text"), 1),
    (("rules",), 141),  # other output: quiet, the status of a command SIGPIPE ends
    (("explain", "H101"), 141),
])
def test_writing_into_a_closed_pipe_ends_the_run_quietly(tmp_path, args, status):
    root = _many_findings(tmp_path)
    out = _closed_pipe()
    try:
        proc = subprocess.run([sys.executable, "-m", "obs_lint", *args], cwd=root, stdout=out,
                              stderr=subprocess.PIPE, timeout=300)
    finally:
        os.close(out)
    assert proc.stderr.decode("utf-8", "replace") == ""
    assert proc.returncode == status
    if "json:out.json" in args:  # a report to a file is still written
        assert len(json.loads((root / "out.json").read_text())["findings"]) == 101


@pytest.mark.parametrize("reader", [["head", "-n", "1"], ["grep", "-q", "H101"], ["true"]],
                         ids=["head", "grep-q", "true"])
def test_real_readers_that_stop_early(tmp_path, reader):
    """`obs-lint check | head -1` and friends: the reader leaves while obs-lint writes (or
    before); whenever that is, obs-lint says nothing and exits with the run's verdict."""
    root = _many_findings(tmp_path)
    lint = subprocess.Popen([sys.executable, "-m", "obs_lint", "check", "--no-cache"],
                            cwd=root, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert lint.stdout is not None and lint.stderr is not None
    rd = subprocess.Popen(reader, stdin=lint.stdout, stdout=subprocess.DEVNULL)
    lint.stdout.close()  # only the reader holds the read end
    rd.wait(timeout=300)
    err = lint.stderr.read().decode("utf-8", "replace")
    assert lint.wait(timeout=300) == 1
    assert err == ""


def test_a_pack_regex_that_backtracks_catastrophically_is_refused_when_the_pack_loads(
        tmp_path):
    """`^hp_([a-z]+_?)+$` against this 50-character key ran for minutes inside the rule; the
    pack is refused instead (the subprocess timeout only guards against a hang)."""
    rule = ("  - code: H401\n    name: hp-keys\n    phase: 1\n    severity: error\n"
            "    message: hyperparameters are prefixed\n"
            '    check: {kind: dict-keys, calls: ["*.log_params"], pattern: "^hp_([a-z]+_?)+$"}\n')
    root = make(tmp_path, {"pack.yaml": PACK + rule,
                           "src/train.py": "import mlflow\nmlflow.log_params({'hp_"
                                           + "a" * 46 + "!': 1})\n"})
    code, report, err = run_sub(root, timeout=300)
    assert code == 2 and report is None
    assert err.startswith("obs-lint: error: pack.yaml:32: rule H401 (hp-keys): check: "
                          "pattern: '^hp_([a-z]+_?)+$' can take exponential time"), err
    assert err.count("\n") == 1


# --------------------------------------------------------------------------------------------
# Memory: the default byte budget, and big files parsed in a worker process even serially
# --------------------------------------------------------------------------------------------

_PEAK = """
import json, resource, subprocess, sys
proc = subprocess.run(sys.argv[1:], capture_output=True)
print(json.dumps({"code": proc.returncode, "stdout": proc.stdout.decode("ascii"),
                  "stderr": proc.stderr.decode("utf-8", "replace"),
                  # the largest process of the run, obs-lint's worker processes included
                  "peak_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss // 1024}))
"""


def _peak_run(root: Path, *args: str) -> tuple[int, dict, int]:
    wrapper = subprocess.run(
        [sys.executable, "-c", _PEAK, sys.executable, "-m", "obs_lint", "check",
         "--format", "json", "--no-cache", *args], cwd=root, capture_output=True, text=True,
        timeout=900)
    assert wrapper.returncode == 0, wrapper.stderr
    out = json.loads(wrapper.stdout)
    assert out["stdout"].strip(), out["stderr"][-800:]
    return out["code"], json.loads(out["stdout"]), out["peak_mb"]


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_200000_import_lines_are_skipped_within_300_mb(tmp_path, jobs):
    """2.8 MB of `import` lines peaked at 2 GB in one libcst parse (and 8.9 MB aborted the
    run); the default budget (256 KiB for Python) reports the file as skipped instead."""
    root = make(tmp_path, {"src/imports.py": "import mlflow\n" * 200_000})
    code, report, peak = _peak_run(root, "--jobs", jobs)
    assert_survived(code, report, "src/imports.py", "skipped",
                    "2,800,000 bytes, over the 262,144-byte budget (max-file-bytes)")
    assert peak < 300, f"peak RSS {peak} MB"


def test_the_largest_python_file_the_default_budget_admits_stays_within_300_mb(tmp_path):
    lines = (256 * 1024 - 200) // len("import os\n")
    root = make(tmp_path, {"src/imports.py": "import os\n" * lines + "import mlflow\n"})
    code, report, peak = _peak_run(root, "--jobs", "1")
    assert_survived(code, report, "src/imports.py", "no-mlflow", "import mlflow",
                    line=lines + 1)
    assert peak < 300, f"peak RSS {peak} MB"


_CRASH = """
import json, os, sys
import obs_lint.facts as facts
from obs_lint.api import check, resolve_config
from obs_lint.types import FileKind
real = facts.EXTRACTORS[FileKind.PYTHON]
def extractor(path, text, **options):
    if path == "src/big.py":
        os.abort()  # what libcst's Rust parser does when a huge file exhausts memory
    return real(path, text, **options)
facts.EXTRACTORS[FileKind.PYTHON] = extractor
config = resolve_config(["."]).with_overrides(jobs=int(sys.argv[1]))
result = check([], config, use_cache=False)
print(json.dumps([[f.location.path, f.name, f.message] for f in result.findings]))
"""


@pytest.mark.skipif(not hasattr(os, "fork"), reason="the fault reaches the worker by fork")
def test_a_parser_crash_on_a_big_file_in_a_serial_run_is_that_files_finding(tmp_path):
    """A file over ISOLATE_CHARS is parsed in a worker process even with --jobs 1, so a crash
    of the native parser kills that worker, not the run."""
    from obs_lint.extract import ISOLATE_CHARS

    big = "import mlflow\n" + "x = 1\n" * (ISOLATE_CHARS // 6 + 10)
    root = make(tmp_path, {"src/big.py": big})
    proc = subprocess.run([sys.executable, "-c", _CRASH, "1"], cwd=root, capture_output=True,
                          text=True, timeout=300)
    assert proc.returncode == 0, f"the run died (exit {proc.returncode}): {proc.stderr[-500:]}"
    got = [tuple(f) for f in json.loads(proc.stdout)]
    mine = [f for f in got if f[0] == "src/big.py"]
    assert [f[1] for f in mine] == ["internal-error"], mine
    assert "the worker process died while analysing this file" in mine[0][2]
    assert "SIGABRT" in mine[0][2]
    assert ("src/sibling.py", "no-mlflow") in [(p, n) for p, n, _ in got]
