"""Python fact extraction: one libcst parse and one pruned walk serve every rule.

The package, by job: ``walk.py`` (the pruned traversal: libcst's visitor rebuilds every node
and visits whitespace, so a per-type table of child fields is followed instead),
``scopes.py`` (scopes, definitions and import resolution: the file's own import table instead
of ``QualifiedNameProvider``, another full pass), ``flow.py`` / ``bindings.py`` / ``uses.py``
(the handlers that record facts while walking), ``values.py`` (expressions lowered to fact
values), ``locate.py`` (positions and source text, all placed after the walk with one render),
``paths.py`` (return paths and their guards), ``assemble.py`` (the ``PythonFacts``), and
``extractor.py`` (the extractor those compose, and ``extract``). The file is walked once.

Nothing inside comments, strings or docstrings is ever a fact: comments are never visited,
and strings only become ``StringFact`` values (never imports or calls).

These are the names the rest of obs-lint (``facts/__init__.py`` imports ``extract`` lazily),
its tests and benchmarks use.
"""

from __future__ import annotations

from ..ast_positions import _TEXT_LIMIT
from .extractor import _Extractor, extract, imports_only
from .values import _text_nodes, access_subject, dotted, string_value
from .walk import _is_docstring_stmt, child_nodes

__all__ = ["extract", "imports_only", "dotted", "string_value", "access_subject",
           "child_nodes", "_Extractor", "_TEXT_LIMIT", "_is_docstring_stmt", "_text_nodes"]
