"""Refuse Python sources nested so deeply that parsing them would crash or stall the process.

Why: libcst's native (Rust) parser recurses once per nesting level on the thread's C stack. A few
thousand levels overflow it and the process dies with SIGSEGV (LibCST issues #619 and #1000):
no ``except`` can catch that, and in a serial run it would lose every other file's result.
Measured with libcst 1.x on an 8 MB stack: ``-`` * 10000 ``+ 1``, 8000 chained ``and``, 3000
nested brackets and 10000 ``elif`` branches all crash it, and 1000 nested brackets take ~4 s and
~1 GB. CPython's own parser guards every one of these shapes (at C speed, about a tenth of what
libcst's parse costs): it refuses more than 200 nested brackets ("too many nested parentheses",
so such a file is not valid Python), and trees deeper than its AST limit with ``RecursionError``
/ ``MemoryError`` (about 3000 levels; no such file can be compiled or run either).

So before libcst sees a file, CPython parses it (AST only, warnings silenced):

* SyntaxError "too many nested parentheses" -> ``parse-error`` at CPython's line;
* RecursionError / MemoryError -> ``skipped`` ("nesting too deep"), not analysed;
* any other SyntaxError -> no verdict: libcst decides (it reads newer syntax than the running
  CPython, e.g. 3.12 generics on 3.11, and reports real syntax errors itself);
* chained ``and`` / ``or``: flat in CPython's AST but nested in libcst's, so a file with more
  than ``MAX_BOOL_CHAIN`` operands in one chain is ``skipped`` too.
"""

from __future__ import annotations

import ast
import re
import warnings

from ..types import Span
from .model import Problem

MAX_BOOL_CHAIN = 3000  # operands of one and/or chain (libcst crashes at ~8000)
_BOOL_WORD = re.compile(r"\b(?:and|or)\b")


def _too_deep(detail: str, line: int = 1) -> Problem:
    return Problem("skipped", f"nesting too deep to analyse safely ({detail}); not analysed",
                   Span(line, 1, line, 1))


def depth_problem(text: str) -> Problem | None:
    """A Problem if ``text`` is too deeply nested to hand to libcst, else None."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # invalid escapes etc. are not ours to report
            tree = compile(text, "<obs-lint>", "exec", ast.PyCF_ONLY_AST, dont_inherit=True)
    except SyntaxError as exc:
        if "too many nested parentheses" in str(exc.msg):
            line = max(1, exc.lineno or 1)
            col = max(1, exc.offset or 1)
            return Problem("parse-error", "cannot parse: too many nested parentheses (Python "
                                          "allows at most 200 levels)", Span(line, col, line, col))
        return None
    except RecursionError:
        return _too_deep("Python's own parser exceeds its recursion limit")
    except MemoryError:
        return _too_deep("Python's own parser runs out of stack")
    except ValueError:  # e.g. NUL bytes: decoding reports those; libcst decides the rest
        return None
    if len(_BOOL_WORD.findall(text)) > MAX_BOOL_CHAIN:
        for node in ast.walk(tree):
            if isinstance(node, ast.BoolOp) and len(node.values) > MAX_BOOL_CHAIN:
                return _too_deep(f"{len(node.values):,} operands chained with and/or; the "
                                 f"limit is {MAX_BOOL_CHAIN:,}", node.lineno)
    return None
