"""What a rule may ask of the project's text: which Python files could hold what it looks for.

A project rule that searches ("who calls X?", ``checks.resolve.ProjectView.search``) gets the
files whose text holds a word, and those files are then loaded with every fact: the cost of a
search is the libcst extraction of its hits. A plain word is a substring test. Some questions
can be narrowed soundly by the text alone, without parsing; each is a *query* built here (so
that the check that asks, the extraction stage that answers and the result memo that asks
again later all mean the same thing by it):

* ``lookup_query("getattr", name)``: files that may call ``getattr(obj, key)`` where ``key`` is
  ``name`` or not a plain string literal. A file is excluded only when *every* occurrence of
  ``getattr`` in its text begins the form ``getattr(<dotted name>, '<identifier>'`` followed by
  ``,`` or ``)``, with an identifier other than ``name``: such an occurrence, if it is a call at
  all, looks up that other attribute. Anything else (a computed key, an f-string, an alias in
  an import, a mention in a comment, a line break the form does not expect) keeps the file.
  On the E2I tree this keeps 14 of the 60 files that mention ``getattr``.

Queries are strings (the memo records them with the files they hit); plain words never start
with ``QUERY``.
"""

from __future__ import annotations

import re
from functools import lru_cache

QUERY = "\x01"  # a query's first character (a plain word is a substring)
_LOOKUP = "lookup"


def lookup_query(function: str, name: str) -> str:
    """The query "may call ``function(obj, key)`` with ``key`` == ``name`` or computed"."""
    return f"{QUERY}{_LOOKUP}\x00{function}\x00{name}"


@lru_cache(maxsize=64)
def _literal_form(function: str) -> "re.Pattern[str]":
    return re.compile(re.escape(function)
                      + r"""\(\s*[A-Za-z_][\w.]*\s*,\s*(['"])([A-Za-z_]\w*)\1\s*[,)]""")


def matches(query: str, text: str) -> bool:
    """Whether ``text`` may hold what ``query`` asks for (never False for a file that does)."""
    if not query.startswith(QUERY):
        return query in text
    kind, function, name = query[1:].split("\x00")
    if kind != _LOOKUP:  # pragma: no cover - every query kind is built above
        return function in text
    start = text.find(function)
    if start < 0:
        return False
    form = _literal_form(function)
    while start >= 0:
        m = form.match(text, start)
        if m is None or m.group(2) == name:
            return True
        start = text.find(function, start + 1)
    return False
