"""Refusing pack regexes that can backtrack catastrophically, when the pack loads.

Python's ``re`` is a backtracking engine with no time limit: ``^hp_([a-z]+_?)+$`` against a
50-character key that does not match tries every way of splitting the key between the inner and
the outer ``+`` (exponentially many) and runs for minutes, inside a rule, with no budget that
could interrupt it (the match is one C call). So a pack regex (``dict-keys`` ``pattern``,
``yaml`` ``matches``) is checked statically instead, on the parse tree ``re`` itself builds, and
refused with a pack error naming the file, line and rule when it has one of the two shapes that
make backtracking exponential:

* **a nested quantifier**: a group repeated without bound (``+``, ``*``, ``{n,}``) that holds a
  variable quantifier of its own (``(x+)+``, ``(x*)*``, ``([a-z]+_?)+``, ``(a{1,3})*``);
* **overlapping alternatives under a repeat**: an unboundedly repeated alternation whose
  branches can begin with the same character, or can match nothing (``(a|a)*``, ``(a|ab)+``,
  ``(\\w|\\d)+``, ``(a|b?)+``).

Possessive quantifiers (``x++``) and atomic groups (``(?>...)``) never backtrack and are
allowed. Polynomial cases (``\\d+\\d+``, ``.*.*=``) are not refused: they are quadratic or
cubic in a key's length, and keys and YAML values are short. The check is conservative: a
pattern it refuses can always be written in a form it accepts (``^hp_[a-z_]+$`` for the
example above), and such a form is what a rule means.
"""

from __future__ import annotations

try:  # Python 3.11+
    from re import _parser as _sre  # type: ignore[attr-defined]
except ImportError:  # pragma: no cover - Python 3.10
    import sre_parse as _sre  # type: ignore[no-redef]

_C = _sre  # the opcode constants are re-exported by the parser module
MAXREPEAT = _sre.MAXREPEAT
_REPEATS = {_C.MAX_REPEAT, _C.MIN_REPEAT}
_POSSESSIVE = getattr(_C, "POSSESSIVE_REPEAT", None)
_ATOMIC = getattr(_C, "ATOMIC_GROUP", None)
_ZERO_WIDTH = {_C.AT, _C.ASSERT, _C.ASSERT_NOT}
_UNICODE_TOP = 0x10FFFF
ANY = ((0, _UNICODE_TOP),)

_CATEGORY = {
    _C.CATEGORY_DIGIT: ((48, 57), (128, _UNICODE_TOP)),
    _C.CATEGORY_WORD: ((48, 57), (65, 90), (95, 95), (97, 122), (128, _UNICODE_TOP)),
    _C.CATEGORY_SPACE: ((9, 13), (32, 32), (128, _UNICODE_TOP)),
}


NESTED = ("a quantified part inside a repeated group can match the same text as what follows "
          "it in that group (like `(x+)+` or `([a-z]+_?)+`)")
OVERLAP = ("a repeated group has alternatives that can match the same text (like `(a|a)*` or "
           "`(\\w+|\\d)+`)")


def backtracking_problem(pattern: str) -> str | None:
    """Why ``pattern`` can take exponential time, or None. (A pattern that does not compile
    is the caller's business: None.)"""
    try:
        tree = _sre.parse(pattern)
    except Exception:  # noqa: BLE001 - re.error, RecursionError: reported by re.compile
        return None
    try:
        return _check(list(tree), (), False)
    except RecursionError:
        return "it is nested too deeply to check"


def _check(items, after, repeated: bool) -> str | None:
    """Check a sequence. ``repeated``: it lies inside a group repeated without bound, and
    ``after`` is what can come next *within that repetition* (the rest of the group, and, when
    that can be empty, the start of the group's next iteration) — never what follows the
    repeat, whose ambiguity is only polynomial.

    A variable element (a quantifier with min < max, an alternation with an empty branch)
    whose characters can also start what comes after it gives two ways to split the text at
    each iteration: exponentially many in all. So do two alternatives that can match alike."""
    for i, (op, av) in enumerate(items):
        rest_first, rest_empty = _first(items[i + 1:])
        follow = rest_first + (after if rest_empty else ())
        if op in _REPEATS:
            lo, hi, body = av
            nonempty = _can_be_nonempty(body)
            if repeated and lo != hi and nonempty and _intersects(_chars(body), follow):
                return NESTED
            if hi == MAXREPEAT and nonempty:  # a repetition of its own
                body_first, _ = _first(body)
                found = _check(list(body), body_first + (follow if repeated else ()), True)
            else:
                found = _check(list(body), _first(body)[0] + follow, repeated)
            if found:
                return found
        elif op == _POSSESSIVE or op == _ATOMIC:
            continue  # never backtracks
        elif op == _C.SUBPATTERN:
            found = _check(list(av[-1]), follow, repeated)
            if found:
                return found
        elif op == _C.BRANCH:
            branches = av[1]
            if repeated:
                heads = [_first(b) for b in branches]
                if sum(1 for _, empty in heads if empty) >= 2:
                    return OVERLAP
                for j, (first_j, _e) in enumerate(heads):
                    if any(_intersects(first_j, heads[k][0]) for k in range(j)):
                        return OVERLAP
                if any(empty for _, empty in heads) and _intersects(
                        tuple(r for b in branches for r in _chars(b)), follow):
                    return NESTED
            for branch in branches:
                found = _check(list(branch), follow, repeated)
                if found:
                    return found
        elif op in (_C.ASSERT, _C.ASSERT_NOT):
            found = _check(list(av[1]), (), False)
            if found:
                return found
    return None


def _chars(items) -> tuple[tuple[int, int], ...]:
    """Every character a match of ``items`` can contain."""
    out: list[tuple[int, int]] = []
    for op, av in items:
        if op == _C.LITERAL:
            out.append((av, av))
        elif op == _C.IN:
            out.extend(_set_ranges(av))
        elif op in _REPEATS or op == _POSSESSIVE:
            out.extend(_chars(av[2]))
        elif op == _C.SUBPATTERN:
            out.extend(_chars(av[-1]))
        elif op == _ATOMIC:
            out.extend(_chars(av))
        elif op == _C.BRANCH:
            for branch in av[1]:
                out.extend(_chars(branch))
        elif op in _ZERO_WIDTH:
            continue
        else:
            return ANY
    return tuple(out)


def _first(items) -> tuple[tuple[tuple[int, int], ...], bool]:
    """(the characters a match of ``items`` can start with, as ranges; whether it can be
    empty)."""
    ranges: list[tuple[int, int]] = []
    for op, av in items:
        if op in _ZERO_WIDTH:
            continue
        head, empty = _first_of(op, av)
        ranges.extend(head)
        if not empty:
            return tuple(ranges), False
    return tuple(ranges), True


def _first_of(op, av) -> tuple[tuple[tuple[int, int], ...], bool]:
    if op == _C.LITERAL:
        return ((av, av),), False
    if op == _C.IN:
        return _set_ranges(av), False
    if op in _REPEATS or op == _POSSESSIVE:
        lo, _hi, body = av
        head, empty = _first(body)
        return head, empty or lo == 0
    if op == _C.SUBPATTERN or op == _ATOMIC:
        return _first(av[-1] if op == _C.SUBPATTERN else av)
    if op == _C.BRANCH:
        out: list[tuple[int, int]] = []
        any_empty = False
        for branch in av[1]:
            head, empty = _first(branch)
            out.extend(head)
            any_empty = any_empty or empty
        return tuple(out), any_empty
    # ANY, NOT_LITERAL, CATEGORY outside a set, GROUPREF, ...: could be anything
    return ANY, op == _C.GROUPREF


def _set_ranges(av) -> tuple[tuple[int, int], ...]:
    out: list[tuple[int, int]] = []
    for op, value in av:
        if op == _C.NEGATE:
            return ANY
        if op == _C.LITERAL:
            out.append((value, value))
        elif op == _C.RANGE:
            out.append(value)
        elif op == _C.CATEGORY:
            out.extend(_CATEGORY.get(value, ANY))
        else:
            return ANY
    return tuple(out)


def _intersects(a, b) -> bool:
    return any(lo1 <= hi2 and lo2 <= hi1 for lo1, hi1 in a for lo2, hi2 in b)


def _can_be_nonempty(items) -> bool:
    """Whether ``items`` can match at least one character (a pure anchor cannot)."""
    for op, av in items:
        if op in _ZERO_WIDTH:
            continue
        if op in _REPEATS or op == _POSSESSIVE:
            if av[1] == 0 or not _can_be_nonempty(av[2]):
                continue
            return True
        if op == _C.SUBPATTERN:
            if _can_be_nonempty(av[-1]):
                return True
            continue
        return True
    return False


def refusal(param: str, pattern: str) -> str | None:
    """The pack error message for a refused ``pattern`` given as ``param``, or None."""
    why = backtracking_problem(pattern)
    if why is None:
        return None
    return (f"{param}: {pattern!r} can take exponential time on a value it does not match "
            f"({why}); write it so each character can be matched one way only (e.g. "
            "`[a-z_]+` instead of `([a-z]+_?)+`), or, on Python 3.11+, make the inner part "
            "possessive (`x++`) or atomic (`(?>...)`)")
