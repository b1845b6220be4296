"""YAML fact values: ``YNode`` (a composed node with its source span) and ``YamlFacts``.

Plain frozen dataclasses, without PyYAML: check kinds read them without importing the parser
(``yamlsafe.py`` composes them; ``facts/yaml_doc.py`` extracts a file's documents). See the
layer contract in ``ARCHITECTURE.md``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterator

from ..types import Span


@dataclass(frozen=True, slots=True)
class YNode:
    """A YAML node with its span.

    kind: "map" (``value`` is a tuple of (key YNode, value YNode)), "seq" (tuple of YNode), or
    "scalar" (``value`` is the constructed Python scalar: str, int, float, bool, None, ...).
    """

    kind: str
    value: Any
    span: Span
    tag: str = ""

    # -- navigation helpers ------------------------------------------------------------------
    def get(self, key: str) -> "YNode | None":
        if self.kind != "map":
            return None
        for k, v in self.value:
            if k.kind == "scalar" and str(k.value) == key:
                return v
        return None

    def keys(self) -> Iterator[tuple["YNode", "YNode"]]:
        if self.kind == "map":
            yield from self.value

    def items(self) -> tuple["YNode", ...]:
        return self.value if self.kind == "seq" else ()

    def lookup(self, dotted: str) -> "YNode | None":
        """Follow a dotted key path (``tracking.uri``); integer parts index sequences."""
        node: YNode | None = self
        for part in dotted.split("."):
            if node is None:
                return None
            if node.kind == "seq" and part.lstrip("-").isdigit():
                idx = int(part)
                node = node.value[idx] if -len(node.value) <= idx < len(node.value) else None
            else:
                node = node.get(part)
        return node

    def to_python(self) -> Any:
        if self.kind == "scalar":
            return self.value
        if self.kind == "seq":
            return [n.to_python() for n in self.value]
        return {k.to_python(): v.to_python() for k, v in self.value}


@dataclass(frozen=True, slots=True)
class YamlFacts:
    """The documents of one YAML file, in order (``---`` separated; empty file: none)."""

    documents: tuple[YNode, ...] = ()
