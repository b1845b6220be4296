"""Facts for state flow: subscript reads, lambdas, return paths with guards, branch values."""

from __future__ import annotations

import textwrap

from obs_lint.facts.model import CallValue, Guard, Ref, Seq
from obs_lint.facts.python import extract


def facts(src: str):
    f, problems = extract("m.py", textwrap.dedent(src))
    assert not problems
    return f


def test_subscript_reads_exclude_stores_and_deletes_but_include_augmented_assignments():
    f = facts("""\
        def n(state, k):
            a = state["read"]
            state["stored"] = 1
            x, state["tuple_store"] = 1, 2
            del state["deleted"]
            state["aug"] += 1
            b = state[k]
            c = self.cache["attr"]
            d = state["a"]["b"]
            return a, b, c, d
        """)
    got = [(s.target, s.key, s.span.line) for s in f.subscript_loads]
    assert got == [("state", "read", 2), ("state", "aug", 6), ("state", Ref("k"), 7),
                   ("self.cache", "attr", 8), ("state", "a", 9)]
    assert {s.scope for s in f.subscript_loads} == {"n"}


def test_return_paths_carry_the_guards_in_source_order():
    f = facts("""\
        def route(state):
            if state.get("status") == "failed":
                return "error"
            d = state["decision"]
            if d == D.A.value:
                return "a"
            elif not d in ("b", "c") and state.get("x"):
                return "b"
            for i in items:
                return "loop"
            try:
                pass
            except ValueError:
                return "handler"
            return "z" if d else END
        """)
    (fn,) = f.functions
    paths = [(p.value, p.guards) for p in fn.return_paths]
    status = Guard("state['status']", "==", "failed", False, 'state.get("status") == "failed"')
    a = Guard("d", "==", Ref("D.A.value"), False, "d == D.A.value")
    assert paths[0] == ("error", (status,))
    assert paths[1] == ("a", (a,))
    value, guards = paths[2]
    assert value == "b"
    assert guards == (Guard("d", "==", Ref("D.A.value"), True, "d == D.A.value"),
                      Guard("d", "in", Seq("tuple", ("b", "c")), True, 'd in ("b", "c")'),
                      Guard("state['x']", "truthy", None, False, 'state.get("x")'))
    assert paths[3] == ("loop", (Guard("", "", None, False, "items"),))
    assert paths[4][0] == "handler" and paths[4][1][0].op == ""
    assert paths[5] == ("z", (Guard("d", "truthy", None, False, "d"),))
    assert paths[6] == (Ref("END"), (Guard("d", "truthy", None, True, "d"),))
    assert fn.return_paths[6].subject == "END"


def test_return_paths_unwrap_await_and_record_the_subject():
    f = facts("""\
        async def n(state):
            if state["k"].value:
                return await helper(state)
            return state["k"].value
        """)
    (fn,) = f.functions
    first, second = fn.return_paths
    assert first.awaited and first.value == CallValue("helper", "", (Ref("state"),))
    assert first.guards[0].subject == "state['k'].value"
    assert second.subject == "state['k'].value" and not second.awaited


def test_lambdas_have_params_span_and_split_results():
    f = facts("""\
        def build(g):
            g.add_conditional_edges("a", lambda s: "e" if s.get("status") == "failed" else "b")
        """)
    (lam,) = f.lambdas
    assert lam.params == ("s",) and lam.scope == "build"
    assert lam.text == 'lambda s: "e" if s.get("status") == "failed" else "b"'
    assert [r.value for r in lam.results] == ["e", "b"]
    assert [r.guards[0].negated for r in lam.results] == [False, True]
    call = next(c for c in f.calls if c.attr == "add_conditional_edges")
    assert call.args[1].text == lam.text  # the argument's Unknown text finds the lambda


def test_conditional_and_awaited_assignments_keep_their_branch_values():
    f = facts("""\
        async def build(flag):
            node = Node(x=1) if flag else None
            result = await compute()
            plain = 1
        """)
    by = {a.target: a for a in f.assigns}
    assert by["node"].alternatives == (CallValue("Node", "", (), (("x", 1),)), None)
    assert by["result"].alternatives == (CallValue("compute", ""),)
    assert by["plain"].alternatives == ()


def test_casts_are_their_value_in_return_paths_and_assignments():
    f = facts("""\
        from typing import cast

        async def n(state):
            result = cast(dict, await helper(state))
            return cast(dict, {"k": 1} if result else {"k": 2})
        """)
    (fn,) = f.functions
    assert [p.value.items[0][0] for p in fn.return_paths] == ["k", "k"]
    (a,) = [a for a in f.assigns if a.target == "result"]
    assert a.alternatives == (CallValue("helper", "", (Ref("state"),)),)
