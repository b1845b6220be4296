"""Text queries (``facts.text_search``): which files a project rule's search loads.

The one promise: a query never misses a file that holds what it asks for (a miss would let a
rule decide without the file). Excluding a file is only allowed on a form the text proves;
everything the form does not prove keeps the file, at the price of loading it.
"""

from __future__ import annotations

import ast

import pytest

from obs_lint.facts.text_search import QUERY, lookup_query, matches

Q = lookup_query("getattr", "AgentTracer")


@pytest.mark.parametrize("text", [
    "getattr(obs, 'AgentTracer')",                    # the name itself, by a literal
    'getattr(obs, "AgentTracer", None)',
    "getattr(obs, name)",                             # computed
    "getattr(obs, f'{kind}Tracer')",                  # an f-string is computed
    "getattr(obs, 'Agent' 'Tracer')",                 # implicit concatenation: 'AgentTracer'
    "getattr(obs, 'Agent' + 'Tracer')",
    "getattr(obs, r'AgentTracer')",                   # a prefixed literal: not the proven form
    "getattr(obs, '''AgentTracer''')",
    "getattr(\n    obs,\n    name,\n)",
    "getattr(registry[0], 'ToolTracer')",             # the object is not a plain name
    "from builtins import getattr as lookup\nlookup(obs, 'AgentTracer')",
    "x = getattr\nx(obs, 'AgentTracer')",             # getattr as a value
    "getattr(obs, 'ToolTracer')\ngetattr(obs, key)",  # one proven occurrence, one not
    "# getattr(obs, key) in a comment: kept (text cannot tell)\n",
], ids=lambda t: t.splitlines()[0][:40])
def test_a_file_that_may_look_the_name_up_is_kept(text):
    assert matches(Q, text)


@pytest.mark.parametrize("text", [
    "",
    "import obs\nobs.AgentTracer()\n",                # no getattr at all: not this query's
    "getattr(obs, 'ToolTracer')",                    # another attribute, by a literal
    "getattr(self, '_cache', None)\ngetattr(cfg.opts, \"timeout\")\n",
    "builtins.getattr(obs, 'ToolTracer')",
    "getattr(\n    obs,\n    'ToolTracer',\n)",
    "getattr(obs, 'AgentTracerFactory')",            # a longer name is another name
])
def test_a_file_whose_every_getattr_names_another_attribute_is_excluded(text):
    assert not matches(Q, text)
    # control: what the form proves, CPython agrees with (each call's key is that literal)
    for node in ast.walk(ast.parse(text)):
        if isinstance(node, ast.Call) and getattr(node.func, "id", getattr(
                node.func, "attr", None)) == "getattr":
            key = node.args[1]
            assert isinstance(key, ast.Constant) and key.value != "AgentTracer"


def test_plain_words_are_substrings_and_queries_are_marked():
    assert matches("trace_agent", "x.trace_agent()") and not matches("trace_agent", "trace")
    assert Q.startswith(QUERY) and not "trace_agent".startswith(QUERY)
    assert lookup_query("getattr", "A") != lookup_query("getattr", "B")
