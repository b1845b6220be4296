"""Check kinds: one module per kind, found here by its ``kind`` name.

A new check kind is one module in this folder — a ``CheckKind`` subclass declaring ``kind =
"name"``, its ``Params`` dataclass, examples and ``evaluate`` — plus positive and negative
fixtures under ``fixtures/checks/<kind>/``. Nothing else is edited: the registry finds the kind
by reading the folder's modules (``_discover``), the pack schema, ``explain`` and the README's
check-kind reference are generated from the class.

``REGISTRY`` maps kind names to classes and imports a kind's module on first use: a run imports
only the kinds it runs (a warm run, whose rule results all come from the memo, imports none:
``sql-schema``/``db-contract`` alone pull in pglast, and all of them were a third of a warm
run's start-up). Listing the names imports nothing: the modules' text is read (~40 small files,
a millisecond), which is why a kind's class line and its ``kind = "..."`` line follow the
simple form the pattern below reads; ``tests/test_architecture.py`` proves the reading finds
exactly the kinds that importing every module finds.
"""

from __future__ import annotations

import os
import re
from importlib import import_module
from typing import Iterator, Mapping

from .base import CheckKind, Param, RuleContext

# `class Name(CheckKind):` and, in its body, `kind = "name"` (optionally `kind: ClassVar[str]`)
_CLASS = re.compile(r"^class (\w+)\(CheckKind\):\n((?:(?:[ \t]+[^\n]*|[ \t]*)\n)*)", re.M)
_KIND = re.compile(r'^    kind(?:: ClassVar\[str\])? = "([a-z][a-z0-9-]*)"$', re.M)
# the order of the README's reference and of `obs-lint rules`: basic kinds first, the kinds
# that follow values across files later; a kind not listed here comes last, by name
_ORDER = ("forbid-import", "require-call", "class-contract", "require-reference", "dict-keys",
          "required-keys", "constant-value", "collection", "graph-pipeline", "test-inventory",
          "yaml", "sql-schema", "call-contract", "reachability", "db-contract",
          "config-contract", "state-flow", "routing")


def _discover(folder: str = os.path.dirname(__file__)) -> dict[str, tuple[str, str]]:
    """kind name -> (module, class), read from the text of the modules in ``folder``."""
    found: dict[str, tuple[str, str]] = {}
    for name in sorted(os.listdir(folder)):
        if not name.endswith(".py") or name.startswith("_"):
            continue
        with open(os.path.join(folder, name), encoding="utf-8") as fh:
            text = fh.read()
        if "(CheckKind):" not in text:
            continue
        for m in _CLASS.finditer(text):
            k = _KIND.search(m.group(2))
            if k is not None:
                found[k.group(1)] = (name[:-3], m.group(1))
    rank = {k: i for i, k in enumerate(_ORDER)}
    return dict(sorted(found.items(), key=lambda kv: (rank.get(kv[0], len(rank)), kv[0])))


class _Registry(Mapping[str, "type[CheckKind]"]):
    """``kind name -> CheckKind subclass``, each imported when first asked for."""

    def __init__(self) -> None:
        self._found: dict[str, tuple[str, str]] | None = None
        self._loaded: dict[str, type[CheckKind]] = {}

    @property
    def _kinds(self) -> dict[str, tuple[str, str]]:
        if self._found is None:
            self._found = _discover()
        return self._found

    def __getitem__(self, name: str) -> type[CheckKind]:
        hit = self._loaded.get(name)
        if hit is None:
            module, cls = self._kinds[name]  # KeyError: not a kind
            hit = getattr(import_module(f".{module}", __name__), cls)
            self._loaded[name] = hit
        return hit

    def __contains__(self, name: object) -> bool:
        return name in self._kinds

    def __iter__(self) -> Iterator[str]:
        return iter(self._kinds)

    def __len__(self) -> int:
        return len(self._kinds)

    def loaded(self) -> frozenset[str]:
        """The kinds imported so far in this process (tests: what a run imported)."""
        return frozenset(self._loaded)


REGISTRY = _Registry()

__all__ = ["CheckKind", "Param", "RuleContext", "REGISTRY"]
