"""forbid-import: a module (and its submodules and members) must not be imported in scope.

One finding per import statement that brings a forbidden module in: ``import m``,
``import m.sub as x``, ``import os, m``, ``from m import a, b``, ``from m.sub import x``, imports
nested in functions/classes/try/if/with, and literal dynamic imports
(``importlib.import_module("m.sub")`` through any alias, ``__import__("m")``). The finding's line
is where the statement starts. Relative imports (``from . import m``) name local modules and never
match; look-alike names (``mx``, ``m_utils``) never match; imports under ``if TYPE_CHECKING:``
are exempt unless ``include_type_checking: true``. Allowed places are expressed with the rule's
``where.exclude`` globs.
"""

from __future__ import annotations

from ..facts.model import ImportFact
from ..types import CheckResult, Location
from .base import CheckKind, Param, RuleContext


def _matches(name: str, module: str) -> bool:
    return name == module or name.startswith(module + ".")


class ForbidImport(CheckKind):
    kind = "forbid-import"
    summary = "A module (with its submodules and members) must not be imported in scope."
    facts = frozenset({"imports"})  # dynamic imports are ImportFacts too
    params = (
        Param("modules", (list,), required=True, item_types=(str,),
              doc="Dotted module names, e.g. [mlflow]; submodules are included."),
        Param("include_type_checking", (bool,), default=False,
              doc="Also report imports inside `if TYPE_CHECKING:` blocks."),
        Param("dynamic", (bool,), default=True,
              doc="Also report literal importlib.import_module()/__import__() calls."),
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
            part.isidentifier() for part in m.split("."))]
        return [f"modules: {m!r} is not a dotted module name" for m in bad]

    def patterns(self) -> tuple[str, ...]:
        # an import of `m.x` cannot occur in text that lacks the top-level name `m`
        return tuple(sorted({m.split(".")[0] for m in self.p["modules"]}))

    def _offending(self, imp: ImportFact) -> list[str]:
        mods: list[str] = self.p["modules"]
        if imp.level > 0:
            return []
        if imp.type_checking and not self.p.get("include_type_checking", False):
            return []
        if imp.kind == "import":
            return [n.name for n in imp.names if any(_matches(n.name, m) for m in mods)]
        if imp.kind == "from":
            if any(_matches(imp.module, m) for m in mods):
                return [imp.module]
            # `from m0 import m1` where "m0.m1" is forbidden (e.g. modules: [google.genai])
            return [f"{imp.module}.{n.name}" for n in imp.names
                    if any(_matches(f"{imp.module}.{n.name}", m) for m in mods)]
        if imp.kind == "dynamic" and self.p.get("dynamic", True):
            return [imp.module] if any(_matches(imp.module, m) for m in mods) else []
        return []

    def evaluate(self, ctx: RuleContext) -> CheckResult:
        findings = []
        for f in ctx.files:
            facts = f.python
            if facts is None:
                continue
            for imp in facts.imports:
                bad = self._offending(imp)
                if not bad:
                    continue
                what = "dynamic import of" if imp.kind == "dynamic" else "imports"
                findings.append(ctx.finding(
                    f.path, imp.span, f"`{imp.text}` {what} `{', '.join(bad)}`",
                    source=imp.text))
        unknown = bool(ctx.undecidable())
        note = ""
        if unknown and not findings:
            bad = ", ".join(f.path for f in ctx.undecidable()[:3])
            note = f"could not decide: {bad} could not be analysed"
        return self.result(ctx, findings, [Location(x.location.path, x.location.span)
                                            for x in findings], note=note, unknown=unknown)
