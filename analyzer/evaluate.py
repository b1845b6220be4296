"""Rule evaluation: facts in, check results and findings out. No file is read or parsed here.

Each active rule sees the facts of the files it covers (project-wide: a presence rule decides
over the whole package, whichever files a run was asked to report on). A check kind that raises
is an engine bug: it becomes an ``internal-error`` finding and the rule is UNKNOWN, and the other
rules still run.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Callable, Sequence

from .builtin import BY_NAME, INTERNAL_ERROR
from .cache.memo import SEARCH, SEARCHED, ResultMemo
from .checks.base import RuleContext, could_not_decide
from .facts.model import IMPORTS_ONLY, FileFacts
from .facts.sql_text_reader import SqlTextReader
from .plan import Coverage, Plan
from .types import CheckResult, Finding, Location, SourceFile
from .verdict import check_status

if TYPE_CHECKING:  # imported on first use: a warm run evaluates nothing
    from .checks.resolve import ProjectIndex

# extracts the full facts of project files a rule asks for (``extract.extract_on_demand``)
Loader = Callable[[Sequence[str]], "list[FileFacts]"]
MAX_ROUNDS = 8


def problem_findings(facts: Sequence[FileFacts], plan: Plan) -> list[Finding]:
    """Turn per-file problems (parse/read/skip/internal errors) into built-in findings."""
    enabled = {b.name for b in plan.builtins}
    out = []
    for f in facts:
        for p in f.problems:
            rule = BY_NAME.get(p.rule, INTERNAL_ERROR)
            if rule.name not in enabled:
                continue
            out.append(Finding(code=rule.code, name=rule.name, severity=rule.severity,
                               message=p.message, location=Location(f.path, p.span),
                               phase=None, fingerprint_source=p.message))
    return out


def evaluate(plan: Plan, files: Sequence[SourceFile], facts: Sequence[FileFacts],
             root: str, load: Loader | None = None,
             consulted: dict[int, tuple[str, ...]] | None = None,
             coverage: Coverage | None = None) -> tuple[list[CheckResult], list[Finding]]:
    """Run every active rule over the facts of the files it covers.

    A rule that resolves names across the project (``RuleContext.project``) may need a file
    the prefilter did not parse (a base class's module, a re-exporting package): ``load``
    extracts those on request and the rule runs again with them, until it asks for nothing new
    (at most ``MAX_ROUNDS``). ``consulted`` (if given) receives, per rule, the files beyond its
    scope it was allowed to read: the rule's cached result depends on them (``memo``)."""
    by_path = {f.path: f for f in facts}
    all_paths = frozenset(by_path)
    results: list[CheckResult] = []
    errors: list[Finding] = []
    if coverage is None:  # the run's own (``api._pipeline``), or computed here
        coverage = plan.coverage(files)
    index: ProjectIndex | None = None
    marked = [f for f in facts if f.marks and f.parsed and not f.skip_file]
    sql = SqlTextReader()  # SQL text in code, parsed on first read, once per run
    for active in plan.rules:
        scoped = [by_path[s.path] for s in coverage.files(active) if s.path in by_path
                  and not by_path[s.path].skip_file]
        uses_project = bool(active.reach) or active._con is not None or active.uses_project
        allowed: set[str] = set()
        if uses_project:
            if index is None:  # built once, on first use: most runs of most rules need none
                from .checks.resolve import ProjectIndex, ProjectView

                index = ProjectIndex(facts, all_paths)
                index.searcher = getattr(load, "search", None)
            allowed = {f.path for f in scoped}
            allowed.update(f.path for f in marked if not f.marks.isdisjoint(active.reach))
            allowed.update(s.path for s in coverage.consulted_by.get(id(active), ()))
        rounds = 0
        tried: set[str] = set()
        while True:
            project = ProjectView(index, frozenset(allowed)) if uses_project else None
            ctx = RuleContext(rule=active.rule, files=scoped, root=root,
                              scope_hint=active.hint, all_paths=all_paths,
                              patterns=active.patterns, path_patterns=active.path_patterns,
                              project=project, sql_reader=sql)
            try:
                result = active.check.evaluate(ctx)
            except Exception as exc:  # noqa: BLE001 - one broken rule must not stop the run
                msg = (f"rule {active.rule.code} ({active.rule.name}) crashed: "
                       f"{type(exc).__name__}: {exc}")
                where = active.rule.source or active.rule.pack
                errors.append(Finding(code=INTERNAL_ERROR.code, name=INTERNAL_ERROR.name,
                                      severity=INTERNAL_ERROR.severity, message=msg,
                                      location=Location(ctx.anchor_path()),
                                      fingerprint_source=msg))
                result = CheckResult(rule=active.rule, status=check_status((), True),
                                     note=could_not_decide(f"{msg} ({where})"), crashed=True)
                break
            if project is None or load is None or rounds >= MAX_ROUNDS:
                break
            assert index is not None
            new = {p for p in project.wanted if p not in tried and (
                p not in allowed or not _loaded(index, p))}
            if not new:
                break
            tried |= new
            index.add(load(sorted(p for p in new if not _loaded(index, p))))
            allowed |= new
            rounds += 1
        results.append(result)
        if consulted is not None and uses_project:
            scope_paths = {f.path for f in scoped}
            deps = tuple(sorted(allowed - scope_paths))
            if project is not None and project.searched:
                # the answer depends on what every file says: on which files name the words
                deps = (SEARCHED,) + tuple(SEARCH + w for w in sorted(project.search_words)) \
                    + deps
            consulted[id(active)] = deps
    return results, errors


def _loaded(index: "ProjectIndex", path: str) -> bool:
    """Whether ``path``'s facts are all there for resolution. A file the plan extracted for
    import rules only (``IMPORTS_ONLY``) holds no definitions: a cross-file rule that reaches
    it loads it again in full, or it would find "no `X` defined" where X is defined."""
    f = index.facts.get(path)
    if f is None or not (f.parsed or f.problems):
        return False
    py = f.python
    return py is None or py.extracted != IMPORTS_ONLY


def evaluate_cached(plan: Plan, files: Sequence[SourceFile], facts: Sequence[FileFacts],
                    root: str, memo: ResultMemo | None, load: Loader | None = None,
                    coverage: Coverage | None = None
                    ) -> tuple[list[CheckResult], list[Finding]]:
    """``evaluate`` through the run's results memo (``cache/memo.py``; None: no cache this
    run): rules whose inputs are unchanged take their stored result, the others are evaluated
    (in one ``evaluate`` call, in plan order) and their results stored."""
    if memo is None:
        return evaluate(plan, files, facts, root, load, coverage=coverage)
    known = memo.known()
    missing = tuple(a for a in plan.rules if id(a) not in known)
    fresh: dict[int, CheckResult] = {}
    errors: list[Finding] = []
    consulted: dict[int, tuple[str, ...]] = {}
    if missing:
        computed, errors = evaluate(replace(plan, rules=missing), files, facts, root, load,
                                    consulted, coverage)
        fresh = {id(a): r for a, r in zip(missing, computed)}  # evaluate keeps the order
    results = []
    for active in plan.rules:
        hit = known.get(id(active))
        if hit is not None:
            results.append(hit)
            continue
        result = fresh[id(active)]
        results.append(result)
        memo.store(active, result, consulted.get(id(active), ()))
    return results, errors
