"""forbid-import: a module (and its submodules and members) must not be imported in scope.

One finding per import statement that brings a forbidden module in: ``import m``,
``import m.sub as x``, ``import os, m``, ``from m import a, b``, ``from m.sub import x``, imports
nested in functions/classes/try/if/with, and literal dynamic imports
(``importlib.import_module("m.sub")`` through any alias, ``__import__("m")``). The finding's line
is where the statement starts. Look-alike names (``mx``, ``m_utils``) never match; imports under
``if TYPE_CHECKING:`` are exempt unless ``include_type_checking: true``. Allowed places are
expressed with the rule's ``where.exclude`` globs.

Relative imports are resolved against the importing file's path, the way Python resolves them
inside a package: in ``pkg/checks/a.py``, ``from ..facts.sql import x`` is ``pkg.facts.sql``
(and ``from ..facts import sql`` brings ``pkg.facts.sql`` in too), so ``modules:
[pkg.facts.sql]`` catches both, as it catches the absolute ``from pkg.facts.sql import x``. In a
``src/`` layout (``src/`` holds packages and is not one itself) the name without ``src.`` counts
as well. A module is named by its path: a package installed under another name (``analyzer/``
installed as ``obs_lint``) is forbidden with both names, ``[analyzer.facts.sql,
obs_lint.facts.sql]``. So a relative import of a *local* module never matches a third-party one
(``from . import mlflow`` in ``pkg/`` is ``pkg.mlflow``, not ``mlflow``). A relative import that
climbs to the project root or above names a package obs-lint cannot see (at run time it fails
unless the root is itself a package) and never matches.

Undecidable (the rule is UNKNOWN unless another statement fails it, with the reason):
``from p import *`` where a forbidden module is a submodule of ``p`` (whether ``*`` brings it in
depends on ``p.__all__``), relative or absolute; and a literal relative dynamic import
(``importlib.import_module(".sql", package)``) whose last name is part of a forbidden module (the
package it is relative to is a run-time value).
"""

from __future__ import annotations

import posixpath

from ..facts.model import ImportFact
from ..types import CheckResult, Location
from .params import opt, params
from .base import CheckKind, RuleContext, could_not_decide


def _matches(name: str, module: str) -> bool:
    """``name`` is ``module`` or inside it; ``m.*`` is another spelling of ``m`` (the module,
    its submodules and members), as the README writes import patterns."""
    module = module[:-2] if module.endswith(".*") else module
    return name == module or name.startswith(module + ".")


def relative_bases(imp: ImportFact, path: str, src_layout: bool) -> list[str]:
    """The absolute module(s) a relative ``from`` import names, from the importing file's path
    (``pkg/checks/a.py``: ``from ..facts import x`` -> ``["pkg.facts"]``; in a ``src/`` layout
    also without ``src.``). [] when it climbs to the project root or above."""
    d = posixpath.dirname(path)
    pkg = d.split("/") if d else []
    if imp.level - 1 >= len(pkg):
        return []
    base = pkg[:len(pkg) - (imp.level - 1)]
    if not all(p.isidentifier() for p in base):
        return []
    names = [".".join([*base, imp.module] if imp.module else base)]
    if src_layout and base[0] == "src" and len(base) > 1:
        names.append(".".join([*base[1:], imp.module] if imp.module else base[1:]))
    return names


@params
class ForbidImportParams:
    """The `check:` parameters of `forbid-import`."""

    modules: list[str] = opt(doc="Dotted module names, e.g. [mlflow]; submodules are included "
                                 "(`mlflow.*` means the same).")
    include_type_checking: bool = opt(
        False,
        doc="Also report imports inside `if TYPE_CHECKING:` blocks.")
    dynamic: bool = opt(
        True,
        doc="Also report literal importlib.import_module()/__import__() calls.")


class ForbidImport(CheckKind):
    kind = "forbid-import"
    summary = "A module (with its submodules and members) must not be imported in scope."
    facts = frozenset({"imports"})  # dynamic imports are ImportFacts too
    Params = ForbidImportParams
    valid_examples = (
        '{kind: forbid-import, modules: [mlflow], include_type_checking: false, dynamic: true}',
    )
    invalid_examples = (
        ('{kind: forbid-import, modules: mlflow}',
         'check.modules must be list'),
        ('{kind: forbid-import, modules: [mlflow], module: [x]}',
         "did you mean 'modules'?"),
    )
    example = """\
- code: E2I201
  name: no-raw-mlflow
  phase: 2
  severity: error
  message: raw mlflow import outside MLflowConnector
  where:
    exclude: [src/mlops/mlflow_connector.py]
  check:
    kind: forbid-import
    modules: [mlflow]
"""

    @classmethod
    def validate(cls, params):  # type: ignore[override]
        bad = [m for m in params.get("modules", []) if not m or not all(
            part.isidentifier() for part in (m[:-2] if m.endswith(".*") else m).split("."))]
        return [f"modules: {m!r} is not a dotted module name" for m in bad]

    def patterns(self) -> tuple[str, ...]:
        # An import of `m.x` cannot occur in text that lacks the top-level name `m`, unless it is
        # relative. A literal relative dynamic import (`import_module(".x", pkg)`) is undecidable
        # when its last name is a part of a forbidden module: the text holds that part.
        return tuple(sorted({part for m in self.p["modules"] for part in m.split(".")}))

    def path_patterns(self) -> tuple[tuple[str, tuple[str, ...]], ...]:
        # A relative `from` import (`from ..facts import sql`, `from . import x`, every one holds
        # the keyword `from`) names no module: it resolves against the importing file's folders
        # (``relative_bases``), so what it names starts with the file's top folder (in a `src/`
        # layout also with the folder below `src/`). It can name a forbidden module `m.x` only
        # in a file under `m/` (or `src/m/`); elsewhere the text `from` proves nothing.
        tops = sorted({m.split(".")[0] for m in self.p["modules"]})
        return tuple((prefix, ("from",)) for top in tops
                     for prefix in (f"{top}/", f"src/{top}/"))

    def _offending(self, imp: ImportFact, path: str = "", src_layout: bool = False
                   ) -> tuple[list[str], str]:
        """(forbidden modules the statement brings in, why it is undecidable or "")."""
        mods: list[str] = self.p["modules"]
        if imp.type_checking and not self.p.get("include_type_checking", False):
            return [], ""
        if imp.kind == "import":
            return [n.name for n in imp.names if any(_matches(n.name, m) for m in mods)], ""
        if imp.kind == "from":
            bases = [imp.module] if imp.level == 0 else relative_bases(imp, path, src_layout)
            for base in bases:
                if any(_matches(base, m) for m in mods):
                    return [base], ""
                # `from m0 import m1` where "m0.m1" is forbidden (e.g. modules: [google.genai])
                bad = [f"{base}.{n.name}" for n in imp.names if n.name != "*"
                       and any(_matches(f"{base}.{n.name}", m) for m in mods)]
                if bad:
                    return bad, ""
                if any(n.name == "*" for n in imp.names):
                    under = [m for m in mods if m.startswith(base + ".")]
                    if under:
                        return [], (f"`{imp.text}` ({path}) may bring in `{under[0]}`: it "
                                    f"depends on `{base}.__all__`")
            return [], ""
        if imp.kind == "dynamic" and self.p.get("dynamic", True):
            if imp.module.startswith("."):
                tail = imp.module.lstrip(".").split(".")[-1]
                if tail and any(tail in m.split(".") for m in mods):
                    return [], (f"`{imp.text}` ({path}) is relative to a package given at run "
                                "time")
                return [], ""
            return ([imp.module] if any(_matches(imp.module, m) for m in mods) else []), ""
        return [], ""

    def evaluate(self, ctx: RuleContext) -> CheckResult:
        findings = []
        undecided: list[str] = []
        paths = ctx.all_paths or frozenset(f.path for f in ctx.files)
        src_layout = any(p.startswith("src/") for p in paths) and "src/__init__.py" not in paths
        for f in ctx.files:
            facts = f.python
            if facts is None:
                continue
            for imp in facts.imports:
                bad, why = self._offending(imp, f.path, src_layout)
                if why:
                    undecided.append(why)
                if not bad:
                    continue
                what = "dynamic import of" if imp.kind == "dynamic" else "imports"
                findings.append(ctx.finding(
                    f.path, imp.span, f"`{imp.text}` {what} `{', '.join(bad)}`",
                    source=imp.text))
        unknown = bool(ctx.undecidable()) or bool(undecided)
        note = ""
        if unknown and not findings:
            if ctx.undecidable():
                bad = ", ".join(f.path for f in ctx.undecidable()[:3])
                note = could_not_decide(f"{bad} could not be analysed")
            else:
                more = f" (and {len(undecided) - 1} more)" if len(undecided) > 1 else ""
                note = could_not_decide(f"{undecided[0]}{more}")
        return self.result(ctx, findings, [Location(x.location.path, x.location.span)
                                            for x in findings], note=note, undecided=unknown)
