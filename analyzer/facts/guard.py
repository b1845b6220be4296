"""CPython's own parser, asked before libcst: a guard against crashing inputs and a second
opinion that names syntax errors precisely.

Why a guard: libcst's native (Rust) parser recurses once per nesting level on the thread's C
stack. A few thousand levels overflow it and the process dies with SIGSEGV (LibCST issues #619
and #1000): no ``except`` can catch that, and in a serial run it would lose every other file's
result. Measured with libcst 1.9 on an 8 MB stack: ``-`` * 10000 ``1``, 8000 chained ``and``,
3000 nested brackets and 10000 ``elif`` branches all crash it, and 1000 nested brackets take
~4 s and ~1 GB. CPython's parser guards every one of these shapes, at C speed (about a twentieth
of libcst's parse time): it refuses more than 200 nested brackets ("too many nested
parentheses", so such a file is not valid Python), and trees deeper than its AST limit with
``RecursionError`` / ``MemoryError`` (about 3000 levels; no such file can be compiled either).
A file CPython stops reading early (newer syntax, or a syntax error before the deep part) gets
a token-level estimate of its nesting instead (``_estimated_too_deep``).

Why a second opinion: when both parsers reject a file, CPython's message and position name the
actual mistake ("'(' was never closed", "Missing parentheses in call to 'print'", "unterminated
string literal (detected at line 2)"), where libcst lists the tokens it expected, and for
tokenizer errors gives no position at all (line 1). libcst still decides whether a file parses:
it reads newer syntax than the running CPython (3.12 generics on 3.11), so a CPython rejection
alone is never a finding, and when libcst got further into the file than CPython did, libcst's
own error is kept.
"""

from __future__ import annotations

import ast
import re
import sys
import warnings
from dataclasses import dataclass, field

from ..types import Span
from .model import Problem

MAX_BOOL_CHAIN = 3000  # operands of one and/or chain (flat for CPython; libcst crashes at ~8000)
_BOOL_WORD = re.compile(r"\b(?:and|or)\b")
_RECURSION_BUDGET = 1000  # CPython's default: its parser then refuses trees ~3000 levels deep


def _frames() -> int:
    """The current Python stack depth (the recursion limit counts from the bottom)."""
    frame, depth = sys._getframe(), 0
    while frame is not None:
        depth += 1
        frame = frame.f_back
    return depth


@dataclass(frozen=True, slots=True)
class Verdict:
    """What CPython's parser says about one source text.

    ``refuse``: the text must not reach libcst (the file's only problem); ``syntax_error``:
    CPython's own parse error, used only if libcst rejects the text too (see ``reconcile``).
    """

    refuse: Problem | None = None
    syntax_error: Problem | None = None
    # CPython's AST of an accepted text: the imports-only extraction reads import positions
    # from it instead of rendering the libcst tree (``facts/python/``)
    tree: ast.Module | None = field(default=None, compare=False, repr=False)


def _too_deep(detail: str, line: int = 1) -> Problem:
    return Problem("skipped", f"nesting too deep to analyse safely ({detail}); not analysed",
                   Span(line, 1, line, 1))


def _syntax_problem(exc: SyntaxError) -> Problem:
    line = max(1, exc.lineno or 1)
    col = max(1, exc.offset or 1)
    end_line = max(line, exc.end_lineno or line)
    end_col = exc.end_offset if exc.end_offset and exc.end_offset > 0 else col
    if end_line == line:
        end_col = max(col, end_col)
    msg = (exc.msg or "invalid syntax").splitlines()[0]
    return Problem("parse-error", f"cannot parse: {msg}", Span(line, col, end_line, end_col))


def cpython_verdict(text: str) -> Verdict:
    """Parse ``text`` with CPython (AST only, warnings silenced) and say what it found."""
    old_limit = sys.getrecursionlimit()
    try:
        # CPython's AST depth limit is a multiple of the recursion limit: pin it, so that a
        # caller that raised the limit (hypothesis does) cannot let a tree through that is
        # deep enough to overflow libcst's stack.
        sys.setrecursionlimit(_frames() + _RECURSION_BUDGET)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # invalid escapes etc. are not ours to report
            tree = compile(text, "<obs-lint>", "exec", ast.PyCF_ONLY_AST, dont_inherit=True)
    except SyntaxError as exc:
        problem = _syntax_problem(exc)
        if "too many nested parentheses" in str(exc.msg):
            return Verdict(refuse=Problem(
                "parse-error", "cannot parse: too many nested parentheses (Python allows at "
                               "most 200 levels)", problem.span))
        deep = _estimated_too_deep(text)
        return Verdict(refuse=deep) if deep else Verdict(syntax_error=problem)
    except RecursionError:
        return Verdict(refuse=_too_deep("Python's own parser exceeds its recursion limit"))
    except MemoryError:
        return Verdict(refuse=_too_deep("Python's own parser runs out of stack"))
    except ValueError:  # e.g. NUL bytes: decoding reports those; libcst decides the rest
        return Verdict()
    finally:
        sys.setrecursionlimit(old_limit)
    # str.count bounds the number of and/or words from above at C speed (the regex alone was a
    # third of the guard's time); the tree is walked only for a text with that many
    if (text.count("and") + text.count("or") > MAX_BOOL_CHAIN
            and len(_BOOL_WORD.findall(text)) > MAX_BOOL_CHAIN):
        for node in ast.walk(tree):
            if isinstance(node, ast.BoolOp) and len(node.values) > MAX_BOOL_CHAIN:
                return Verdict(refuse=_too_deep(
                    f"{len(node.values):,} operands chained with and/or; the limit is "
                    f"{MAX_BOOL_CHAIN:,}", node.lineno))
    return Verdict(tree=tree if isinstance(tree, ast.Module) else None)


# -- when CPython cannot vouch for a file ------------------------------------------------------
#
# A file CPython rejects (newer syntax than the running interpreter, or a real syntax error) was
# never checked for depth: CPython stopped at its first error. libcst will still parse it, so
# its nesting is estimated from tokens: an upper bound on the depth of libcst's tree, close
# enough to refuse the shapes that overflow it without refusing real code.

ESTIMATE_LIMIT = 2500  # libcst overflows at ~8000 levels on an 8 MB stack
_TOKEN = re.compile(r"""
    (?P<skip> \#[^\r\n]* | \\\r?\n
      | (?i:[rbuf]{0,3}) (?: '\'\'(?:[^\\]|\\.)*?(?:'\'\'|\Z) | \"\"\"(?:[^\\]|\\.)*?(?:\"\"\"|\Z)
                      | '(?:[^'\\\r\n]|\\.)*(?:'|$) | "(?:[^"\\\r\n]|\\.)*(?:"|$) )
      | (?:\d|\.\d)[\w.]*(?:[eE][+-]?\d+)? )
  | (?P<newline> \r?\n|\r )
  | (?P<word> [^\W\d]\w* )
  | (?P<open> [(\[{] ) | (?P<close> [)\]}] ) | (?P<sep> [,;] )
  | (?P<op> \*\*|//|<<|>>|[-+*/%@&|^~.] )
""", re.VERBOSE | re.MULTILINE | re.DOTALL)
_NESTING_WORDS = frozenset({"and", "or", "not", "if", "else", "lambda", "await"})


def _estimated_too_deep(text: str) -> Problem | None:
    """A Problem if a token-level estimate of the nesting exceeds ``ESTIMATE_LIMIT``.

    The estimate of a position is the number of open brackets plus, for each open bracket
    level, the operators chained at that level since the last comma (``a + b + ...``, ``- - -``,
    ``not not``, ``x if c else ...``, ``a.b.c``: each nests one level deeper in libcst); a
    statement end resets it. Consecutive ``elif`` clauses (nested ``If.orelse`` in libcst) are
    counted per indentation column.
    """
    stack = [0]
    total = worst = 0
    worst_line = line = 1
    line_start = 0
    at_start = True
    elifs: dict[int, int] = {}
    for m in _TOKEN.finditer(text):
        kind = m.lastgroup
        if kind == "skip":
            line += m.group().count("\n")
            continue
        if kind == "newline":
            line += 1
            line_start = m.end()
            if len(stack) == 1:
                stack[0] = total = 0
                at_start = True
            continue
        if at_start:
            at_start = False
            col = m.start() - line_start
            word = m.group() if kind == "word" else ""
            if word == "elif":
                elifs = {c: n for c, n in elifs.items() if c <= col}
                elifs[col] = elifs.get(col, 0) + 1
                if elifs[col] > ESTIMATE_LIMIT:
                    return _too_deep(f"more than {ESTIMATE_LIMIT:,} elif branches in a row", line)
            elif word != "else":
                elifs = {c: n for c, n in elifs.items() if c < col}
        if kind == "op" or (kind == "word" and m.group() in _NESTING_WORDS):
            stack[-1] += 1
            total += 1
        elif kind == "open":
            stack.append(0)
        elif kind == "close" and len(stack) > 1:
            total -= stack.pop()
        elif kind == "sep":
            total -= stack[-1]
            stack[-1] = 0
        depth = total + len(stack) - 1
        if depth > worst:
            worst, worst_line = depth, line
            if worst > ESTIMATE_LIMIT:
                return _too_deep(f"an expression nested about {ESTIMATE_LIMIT:,}+ levels deep "
                                 "in a file Python's own parser could not check", worst_line)
    return None


def reconcile(problems: tuple[Problem, ...], verdict: Verdict) -> tuple[Problem, ...]:
    """libcst's problems, with its parse error replaced by CPython's when both rejected the
    text and CPython's error is not before the place libcst stopped (libcst's lines are
    sometimes one past the mistake, hence the slack of one line)."""
    cp = verdict.syntax_error
    if cp is None:
        return problems
    out = []
    for p in problems:
        if p.rule == "parse-error" and cp.span.line >= p.span.line - 1:
            out.append(cp)
        else:
            out.append(p)
    return tuple(out)
