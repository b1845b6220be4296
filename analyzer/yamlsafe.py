"""Hardened YAML reading shared by pack loading and YAML fact extraction.

Why not ``yaml.safe_load``: it loses line numbers (we need them for findings and pack errors),
silently keeps the last of duplicate keys, and expands aliases without bound ("billion laughs").
Here we *compose* the document with PyYAML's safe composer (nothing is constructed, so no tag can
execute code), then convert the node graph ourselves into ``YNode`` values that carry their
source span, refusing:

* any tag outside the YAML core schema (``!!python/object`` and friends, custom ``!tags``),
* duplicate mapping keys,
* alias expansion beyond ``max_nodes`` nodes, and recursive aliases,
* nesting deeper than ``max_depth``.
"""

from __future__ import annotations

from typing import Any

import yaml

from .facts.yaml_model import YNode  # noqa: F401  (re-exported: the node type lives with the facts)
from .types import Span

_CORE_TAGS = {
    "tag:yaml.org,2002:str",
    "tag:yaml.org,2002:int",
    "tag:yaml.org,2002:float",
    "tag:yaml.org,2002:bool",
    "tag:yaml.org,2002:null",
    "tag:yaml.org,2002:map",
    "tag:yaml.org,2002:seq",
    "tag:yaml.org,2002:timestamp",
    "tag:yaml.org,2002:binary",
}

DEFAULT_MAX_NODES = 200_000
DEFAULT_MAX_DEPTH = 200


class YamlError(Exception):
    """A YAML document that cannot be read safely. ``line`` is 1-based (0 when unknown)."""

    def __init__(self, message: str, line: int = 0, column: int = 0) -> None:
        super().__init__(message)
        self.message = message
        self.line = line
        self.column = column

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}" if self.line else self.message


def _span(node: yaml.Node) -> Span:
    s, e = node.start_mark, node.end_mark
    return Span(s.line + 1, s.column + 1, e.line + 1, e.column + 1)


class _Converter:
    def __init__(self, max_nodes: int, max_depth: int) -> None:
        self.max_nodes = max_nodes
        self.max_depth = max_depth
        self.count = 0
        self.seen: set[int] = set()  # ids of the composed nodes converted so far
        self.expanded = 0  # conversions of a node already converted (alias expansions)
        self.constructor = yaml.SafeLoader("")  # only its scalar construction is used

    def convert(self, node: yaml.Node, depth: int, active: set[int]) -> YNode:
        self.count += 1
        if id(node) in self.seen:
            self.expanded += 1
        else:
            self.seen.add(id(node))
        if self.count > self.max_nodes:
            what = (f"document expands to more than {self.max_nodes} nodes (alias expansion "
                    "bomb?)" if self.expanded else
                    f"file has more than {self.max_nodes} nodes (too large to read safely)")
            raise YamlError(
                f"{what}; refused",
                node.start_mark.line + 1,
                node.start_mark.column + 1,
            )
        if depth > self.max_depth:
            raise YamlError(f"nesting deeper than {self.max_depth} levels; refused",
                            node.start_mark.line + 1, node.start_mark.column + 1)
        if node.tag not in _CORE_TAGS:
            raise YamlError(f"tag {node.tag!r} is not allowed (only plain YAML data is read)",
                            node.start_mark.line + 1, node.start_mark.column + 1)
        if id(node) in active:
            raise YamlError("recursive alias refused", node.start_mark.line + 1,
                            node.start_mark.column + 1)
        if isinstance(node, yaml.ScalarNode):
            try:
                value = self.constructor.construct_object(node, deep=True)
            except (yaml.YAMLError, ValueError, ArithmeticError, TypeError) as exc:
                first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
                raise YamlError(f"bad {node.tag.rsplit(':', 1)[-1]} scalar "
                                f"{node.value!r}: {first}", node.start_mark.line + 1,
                                node.start_mark.column + 1) from None
            return YNode("scalar", value, _span(node), node.tag)
        active.add(id(node))
        try:
            if isinstance(node, yaml.SequenceNode):
                items = tuple(self.convert(n, depth + 1, active) for n in node.value)
                return YNode("seq", items, _span(node), node.tag)
            pairs: list[tuple[YNode, YNode]] = []
            seen: dict[Any, int] = {}
            merged: list[tuple[YNode, YNode]] = []
            for k_node, v_node in node.value:
                if k_node.tag == "tag:yaml.org,2002:merge":
                    merged.extend(self._merge_source(v_node, depth + 1, active))
                    continue
                key = self.convert(k_node, depth + 1, active)
                hashable = repr(key.to_python()) if key.kind != "scalar" else key.value
                if hashable in seen:
                    raise YamlError(
                        f"duplicate key {key.to_python()!r} (first defined on line "
                        f"{seen[hashable]})", key.span.line, key.span.column)
                seen[hashable] = key.span.line
                pairs.append((key, self.convert(v_node, depth + 1, active)))
            for key, value in merged:  # `<<: *base`: explicit keys win over merged ones
                hashable = repr(key.to_python()) if key.kind != "scalar" else key.value
                if hashable not in seen:
                    seen[hashable] = key.span.line
                    pairs.append((key, value))
            return YNode("map", tuple(pairs), _span(node), node.tag)
        finally:
            active.discard(id(node))


    def _merge_source(self, node: yaml.Node, depth: int, active: set[int]
                      ) -> list[tuple[YNode, YNode]]:
        """Pairs contributed by a merge key's value (a mapping or a list of mappings)."""
        sources = node.value if isinstance(node, yaml.SequenceNode) else [node]
        out: list[tuple[YNode, YNode]] = []
        for src in sources:
            converted = self.convert(src, depth, active)
            if converted.kind != "map":
                raise YamlError("merge key (<<) value must be a mapping or list of mappings",
                                src.start_mark.line + 1, src.start_mark.column + 1)
            # no de-duplication here: the caller keeps the first pair of each key, which is
            # YAML's precedence (earlier sources win), in linear time even for a merge bomb
            out.extend(converted.value)
        return out


# libyaml's composer (PyYAML's C extension) builds the same node graph as the pure-Python one
# (tags from the same Python resolver, same marks: tests/test_yaml_facts.py compares them) about
# 14x faster: the e2i pack composes in 8 ms instead of 110 ms, a cold run's pack load. It
# recurses on the C stack, though, so it only gets documents whose nesting is provably shallow.
_C_LOADER = getattr(yaml, "CSafeLoader", None) if getattr(yaml, "__with_libyaml__", False) \
    else None
C_DEPTH_BOUND = 2000


def shallow_enough(text: str) -> bool:
    """Whether an upper bound on the document's nesting depth is below ``C_DEPTH_BOUND``.

    A block collection nests one level deeper per indentation step or per ``- ``/``? `` on a
    line (two characters at least for every two levels), a flow collection per ``[``/``{``: twice
    the longest line plus the flow brackets bounds the depth from above."""
    longest = max(map(len, text.splitlines()), default=0)
    return 2 * longest + text.count("[") + text.count("{") < C_DEPTH_BOUND


def _compose(loader_class: Any, text: str) -> list[yaml.Node]:
    loader = loader_class(text)
    try:
        docs: list[yaml.Node] = []
        while loader.check_node():
            node = loader.get_node()
            if node is not None:
                docs.append(node)
        return docs
    finally:
        loader.dispose()


def parse_yaml(text: str, *, max_nodes: int = DEFAULT_MAX_NODES,
               max_depth: int = DEFAULT_MAX_DEPTH) -> list[YNode]:
    """Parse every document in ``text`` into YNodes. Raises YamlError, never anything else."""
    docs: list[yaml.Node] | None = None
    if _C_LOADER is not None and shallow_enough(text):
        try:
            docs = _compose(_C_LOADER, text)
        except (yaml.YAMLError, ValueError, TypeError):
            docs = None  # the pure-Python composer below says what is wrong, in its words
    try:
        if docs is None:
            docs = _compose(yaml.SafeLoader, text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        msg = " ".join(x for x in (exc.context, exc.problem) if x) or str(exc)
        raise YamlError(msg, (mark.line + 1) if mark else 0, (mark.column + 1) if mark else 0) \
            from None
    except yaml.YAMLError as exc:
        raise YamlError(str(exc).splitlines()[0] if str(exc) else "invalid YAML") from None
    except RecursionError:
        raise YamlError("nesting too deep to read") from None
    conv = _Converter(max_nodes, max_depth)
    try:
        return [conv.convert(d, 0, set()) for d in docs]
    except RecursionError:
        raise YamlError("nesting too deep to read") from None
