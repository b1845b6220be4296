"""YAML facts: the documents of a YAML file as ``YNode`` trees that keep their source spans.

Why not ``yaml.safe_load``: findings must point at the line of the offending value, and a config
file is untrusted input. ``analyzer.yamlsafe.parse_yaml`` composes the file without constructing
anything (no tag can run code), refuses non-core tags (``!!python/object/apply:os.system``),
duplicate keys, alias-expansion bombs ("billion laughs") and runaway nesting, with bounded memory.
Whatever it refuses becomes a ``parse-error`` problem here: a finding, never an exception.

Everything in a file is all-or-nothing: if any document fails, no document is kept, because a
check that saw only part of a file could pass for the wrong reason.
"""

from __future__ import annotations

from ..types import Span
from ..yamlsafe import YamlError, parse_yaml
from .model import Problem
from .yaml_model import YamlFacts, YNode  # noqa: F401  (re-exported)


def extract(path: str, text: str) -> tuple[YamlFacts, tuple[Problem, ...]]:
    """Parse ``text`` (the contents of ``path``) safely. Never raises.

    A refused or malformed file gives empty facts and one ``parse-error`` problem at the line
    YAML reported (line 1 when it did not say).
    """
    try:
        docs = parse_yaml(text)
    except YamlError as exc:
        line = exc.line if exc.line > 0 else 1
        col = exc.column if exc.column > 0 else 1
        return YamlFacts(), (Problem("parse-error", f"YAML not read: {_first_line(exc.message)}",
                                     Span(line, col, line, col)),)
    except RecursionError:
        return YamlFacts(), (Problem("parse-error", "YAML not read: nesting too deep"),)
    except (ValueError, ArithmeticError) as exc:
        # A scalar whose tag resolves but whose value cannot be built (``2024-13-45`` as a
        # timestamp, ``!!int abc``): malformed data, not an engine fault.
        return YamlFacts(), (Problem("parse-error",
                                     f"YAML not read: invalid value: {_first_line(str(exc))}"),)
    except Exception as exc:  # a PyYAML corner we did not foresee: report, never crash
        return YamlFacts(), (Problem("internal-error",
                                     f"YAML extraction failed: {type(exc).__name__}: {exc}"),)
    return YamlFacts(tuple(docs)), ()


def _first_line(message: str) -> str:
    """PyYAML messages carry a multi-line excerpt; findings are one line."""
    return message.strip().splitlines()[0] if message.strip() else "invalid YAML"
