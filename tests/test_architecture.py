"""The layer contract (ARCHITECTURE.md, ``[tool.importlinter]`` in pyproject.toml) holds, and it
bites: ``lint-imports`` passes on the code, fails on a check kind that imports a parser, and
every module of the package is placed in a layer (a new module cannot slip past it)."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib  # type: ignore[no-redef]

ROOT = Path(__file__).resolve().parent.parent
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def _config() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]


def _lint(cwd: Path, env_path: Path | None = None, *args: str) -> subprocess.CompletedProcess:
    import os

    env = dict(os.environ)
    if env_path is not None:
        env["PYTHONPATH"] = str(env_path)
    exe = str(LINT_IMPORTS) if LINT_IMPORTS.exists() else shutil.which("lint-imports")
    assert exe, "lint-imports is not installed (the [test] extra installs import-linter)"
    return subprocess.run([exe, "--no-cache", *args], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=300)


def test_the_import_contracts_are_kept():
    proc = _lint(ROOT)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "0 broken" in proc.stdout


def test_every_module_is_placed_in_a_layer():
    layers = _config()["contracts"][0]["layers"]
    placed = {m.strip() for layer in layers for m in layer.replace(":", "|").split("|")}
    pkg = ROOT / "analyzer"
    modules = {f"obs_lint.{p.stem}" for p in pkg.glob("*.py") if p.stem != "__init__"}
    modules |= {f"obs_lint.{p.name}" for p in pkg.iterdir() if (p / "__init__.py").exists()}
    assert modules - placed == set(), "place new modules in the layers contract (pyproject.toml)"
    assert placed - modules == set(), "the layers contract names modules that do not exist"


# what the CLI and the pytest plugin may import of obs_lint: the api, the reporters, the
# configuration, and the helpers only the CLI uses (ARCHITECTURE.md)
FRONT_END_ALLOWED = {"obs_lint.api", "obs_lint.report", "obs_lint.config", "obs_lint.init",
                     "obs_lint.watch", "obs_lint.addignore", "obs_lint.progress",
                     "obs_lint.schema", "obs_lint.cli", "obs_lint.pytest_plugin",
                     "obs_lint.__main__"}


def test_the_front_ends_may_import_nothing_else_of_the_engine():
    contract = next(c for c in _config()["contracts"] if c["id"] == "front-ends-use-the-api")
    assert contract["source_modules"] == ["obs_lint.cli", "obs_lint.pytest_plugin"]
    pkg = ROOT / "analyzer"
    modules = {f"obs_lint.{p.stem}" for p in pkg.glob("*.py") if p.stem != "__init__"}
    modules |= {f"obs_lint.{p.name}" for p in pkg.iterdir() if (p / "__init__.py").exists()}
    assert set(contract["forbidden_modules"]) == modules - FRONT_END_ALLOWED


def _copy_package(tmp_path: Path) -> Path:
    shutil.copytree(ROOT / "analyzer", tmp_path / "obs_lint",
                    ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    return tmp_path / "obs_lint"


@pytest.mark.parametrize("module, line, contract", [
    ("checks/forbid_import.py", "from ..facts.sql import parse_type_pglast",
     "checks-read-facts"),
    ("checks/require_call.py", "import libcst", "checks-read-facts"),
    ("checks/db_contract.py", "from ..facts.sql_text import analyze", "checks-read-facts"),
    ("checks/sqlcode.py", "from ..facts.sql_text_reader import SqlTextReader",
     "checks-read-facts"),
    ("checks/yaml_value.py", "from ..yamlsafe import parse_yaml", "checks-read-facts"),
    ("report/text.py", "from ..api import check", "reporters-read-results"),
    ("facts/model.py", "from ..checks import REGISTRY", "stages"),
    ("api.py", "from .cli import main", "stages"),
    ("cli.py", "from .baseline import load", "front-ends-use-the-api"),
    ("pytest_plugin.py", "from .testresults import TestCase", "front-ends-use-the-api"),
])
def test_a_wrong_import_breaks_the_contract(tmp_path, module, line, contract):
    pkg = _copy_package(tmp_path)
    target = pkg / module
    text = target.read_text()
    head, sep, rest = text.partition("from __future__ import annotations\n")
    target.write_text(head + sep + line + "\n" + rest)
    proc = _lint(tmp_path, tmp_path, "--contract", contract)
    assert proc.returncode != 0, proc.stdout
    importer = "obs_lint." + module.removesuffix(".py").replace("/", ".")
    assert "1 broken" in proc.stdout, proc.stdout
    assert re.search(rf"^-\s+{re.escape(importer)} -> ", proc.stdout, re.M), proc.stdout
    # The untouched copy keeps the contract: the failure is the inserted line's.
    target.write_text(text)
    assert _lint(tmp_path, tmp_path, "--contract", contract).returncode == 0


DOC = ROOT / "ARCHITECTURE.md"


def test_the_files_architecture_md_names_exist():
    text = DOC.read_text()
    named = set(re.findall(r"`((?:analyzer|tests|fixtures|rules|docs|bench)/[^`<>{}* ]+)`", text))
    named |= {f"analyzer/report/{m}.py" for m in re.search(
        r"analyzer/report/\{([^}]+)\}\.py", text).group(1).split(",")}
    assert len(named) > 20
    missing = sorted(p for p in named if not (ROOT / p.rstrip("/")).exists())
    assert missing == [], missing


def test_architecture_md_states_the_layers_of_the_contract():
    text = DOC.read_text()
    documented = [line.split(". ", 1)[1].split(" — ")[0]
                  for line in text.splitlines() if re.match(r"^\d+\. `", line)]
    layers = _config()["contracts"][0]["layers"]
    assert [d.replace("`", "") for d in documented] == [
        layer.replace("obs_lint.", "") for layer in layers]
    for c in _config()["contracts"][1:]:
        assert f"(`{c['id']}`)" in text
    for contract in _config()["contracts"]:
        for ignored in contract.get("ignore_imports", []):
            assert f"`{ignored}`" in text


def test_the_registry_reads_exactly_the_kinds_that_importing_every_module_finds():
    """checks/__init__.py lists kinds from the modules' text (importing them all would cost a
    third of a warm run's start-up); importing every module must find the same kinds, in the
    same modules and classes."""
    import importlib
    import pkgutil

    import obs_lint.checks as checks
    from obs_lint.checks import REGISTRY, CheckKind, _discover

    imported = {}
    for info in pkgutil.iter_modules(checks.__path__):
        module = importlib.import_module(f"obs_lint.checks.{info.name}")
        for name, obj in vars(module).items():
            if isinstance(obj, type) and issubclass(obj, CheckKind) and obj is not CheckKind \
                    and obj.__module__ == module.__name__ and obj.kind:
                imported[obj.kind] = (info.name, name)
    assert _discover() == imported
    assert len(imported) >= 18 and set(REGISTRY) == set(imported)
