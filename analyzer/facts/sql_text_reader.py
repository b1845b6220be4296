"""The SQL text reader a rule evaluation is given: on demand, memoised, pglast on first use.

``db-contract`` composes the SQL it judges while it evaluates (a literal, a constant resolved
through the project, ``+=`` appends in line order), so the text is not known at extraction and
cannot be a per-literal fact. The evaluate stage builds one ``SqlTextReader`` per run and hands
it to every rule context (``RuleContext.sql_uses``): check kinds ask the context, never a
parser. A text read by several rules, or by one rule over several rounds of demand loading, is
parsed once. pglast is imported by the first text read, so a run without such a rule never
imports it (``tests/test_lazy_imports.py``).
"""

from __future__ import annotations

from .sql_text_types import SqlTextError, SqlUses


class SqlTextReader:
    """``facts/sql_text.analyze``, memoised by text (failures too: the same error again)."""

    __slots__ = ("_memo",)

    def __init__(self) -> None:
        self._memo: dict[str, SqlUses | SqlTextError] = {}

    def __call__(self, text: str) -> SqlUses:
        """The uses of ``text``; raises ``SqlTextError`` when it does not parse."""
        hit = self._memo.get(text)
        if hit is None:
            from .sql_text import analyze  # pglast: imported by the first text read

            try:
                hit = analyze(text)
            except SqlTextError as exc:
                hit = exc
            self._memo[text] = hit
        if isinstance(hit, SqlTextError):
            raise SqlTextError(*hit.args) from None
        return hit
