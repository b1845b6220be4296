"""Check kind ``config-contract``: config files are loaded by code, and code and file agree.

Automates the cross-artifact question behind checkboxes such as "``config/mlflow/mlflow.yaml``
configures MLflow": a config file no code loads configures nothing, however correct it looks.

Decisions (copied into the README):

* **Config files** are the YAML files ``files`` names (paths or globs; ``.yaml``/``.yml``).
  **Code** is every Python file in the rule's scope except ``exclude_loaders`` (by default
  tests, ``conftest.py`` and ``scripts/``: a test fixture or a one-off validator reading a file
  does not make the application use it; set ``exclude_loaders: []`` to count them). Loads in
  excluded files are still listed in the message when they are in scope.
* **Loaded** (``checks/loaders.py``, ``checks/pathexpr.py``): a path naming the file reaches a
  reader (``open``, ``Path.read_text``, ``p.open()``, the ``readers`` patterns) directly or
  through project functions (a loader's parameter, its default, ``q or DEFAULT``,
  ``if q is None: q = ...``), at a call site in counted code. Paths are taken relative to the
  project root (the working directory the code runs from); ``__file__`` is the file's own path.
  A loader function whose default names the file loads it only at calls that omit the path:
  one nobody calls loads nothing.
* **Findings**: (1) a file no counted code loads, at the file (line 1), with what was searched
  and the near misses (loader functions defaulting to it that nobody calls, loads in excluded
  code); (2) with ``sections: true``, a top-level section of a loaded file that the code never
  reads — only when every load of the file is tracked to an object whose every use is a key
  read (``checks/keyreads.py``); (3) with ``keys: true``, a key the code reads
  (``cfg["k"]``, ``cfg.get("k")``, nested) that the file does not define, at the read.
* **Undecidable** (UNKNOWN, an ``info`` finding at the file): the file is not loaded by a
  followed path, but some counted load cannot be followed and could name it — a path with
  unknown parts that matches it (``config/agents/{name}.yaml``), a YAML reader whose path is
  not known at all (an environment variable with no literal default, an attribute), or a call
  that may pass the path through ``*args``/``**kwargs``. A file that did not parse makes its
  section and key questions undecidable, not its loading.
"""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass
from typing import Any, ClassVar, Iterable, Literal, Mapping

from ..facts.model import FileFacts, PythonFacts
from ..facts.yaml_model import YamlFacts, YNode
from ..globs import path_matcher
from ..types import CheckResult, FileKind, Finding, Location, Severity, Span
from .params import opt, params
from .base import CheckKind, RuleContext, could_not_decide
from .ddl import select_files
from .keyreads import Reads, bound_to, parser_of, track
from .loaders import Load, LoadFinder
from .require_call import call_matcher
from .resolve import ProjectIndex, ProjectView

DEFAULT_EXCLUDE = ["tests/**", "test/**", "**/tests/**", "**/test_*.py", "**/*_test.py",
                   "**/conftest.py", "scripts/**"]
DEFAULT_READERS = ["omegaconf.OmegaConf.load", "OmegaConf.load"]


@dataclass
class _Tracked:
    """The reads of one load's object (``reads`` None: the load's object is not tracked)."""

    load: Load
    reads: list[Reads]
    why: str = ""


@params
class ConfigContractParams:
    """The `check:` parameters of `config-contract`."""

    files: list[str] | str = opt(
        doc="Config files (YAML; paths or gitignore-style globs relative to the root).", globs=True)
    exclude_loaders: list[str] = opt(
        DEFAULT_EXCLUDE,
        doc="Globs of Python files whose loads do not count (tests, scripts).", globs=True)
    main_blocks: bool = opt(
        False,
        doc="Count loads in `if __name__ == \"__main__\":` blocks (script entry points, "
            "like scripts/).")
    readers: list[str] = opt(
        DEFAULT_READERS,
        doc="Extra call patterns whose first argument is a path the call reads.")
    sections: bool = opt(
        True,
        doc="Report top-level sections of a loaded file that the code never reads.")
    keys: bool = opt(True, doc="Report keys the code reads that the file does not define.")
    unverifiable: Literal['info', 'warning', 'error'] = opt(
        "info",
        doc="Severity of files whose loading cannot be decided.")


class ConfigContract(CheckKind):
    """Config files are loaded by the code, which reads only what they define."""

    kind: ClassVar[str] = "config-contract"
    file_kinds: ClassVar[frozenset[FileKind]] = frozenset({FileKind.PYTHON, FileKind.YAML})
    summary: ClassVar[str] = ("Config files are loaded by some code (a path naming them reaches "
                              "a reader); their sections are read; the keys the code reads exist.")
    example: ClassVar[str] = """\
- code: C801
  name: config-contract
  phase: 8
  severity: error
  message: config file and code disagree
  where: {include: ["src/**", "config/**"]}
  check:
    kind: config-contract
    files: ["config/**/*.yaml"]
"""
    Params = ConfigContractParams
    valid_examples = (
        '{kind: config-contract, files: ["config/**/*.yaml"], sections: true, keys: true}',
    )
    invalid_examples = (
        ('{kind: config-contract, files: ["config/**/*.yaml"], unverifiable: fatal}',
         'check.unverifiable must be one of info, warning, error'),
        ('{kind: config-contract, sections: true}',
         "requires parameter 'files'"),
    )

    @classmethod
    def validate(cls, params: Mapping[str, Any]) -> list[str]:
        errors = []
        files = params.get("files")
        files = [files] if isinstance(files, str) else files
        if not files:
            errors.append("files: list at least one config file or glob")
        for f in files or ():
            if isinstance(f, str) and (f.startswith("/") or ".." in f.split("/")):
                errors.append(f"files: {f!r} must be relative to the project root")
        return errors

    def patterns(self) -> tuple[str, ...] | None:
        return None  # any Python file may hold a load; YAML files are read for their sections

    # -- evaluation ---------------------------------------------------------------------------
    def evaluate(self, ctx: RuleContext) -> CheckResult:
        yaml_files = [f for f in ctx.files if f.kind is FileKind.YAML]
        configs, findings, outside = select_files(_Only(ctx, yaml_files), self.p["files"])
        py = [(f.path, f.python) for f in ctx.files
              if f.kind is FileKind.PYTHON and f.python is not None]
        view = ctx.project or _local_view(ctx)
        finder = LoadFinder(view, call_matcher(tuple(self.p.get("readers") or DEFAULT_READERS)))
        finder.run(py)  # type: ignore[arg-type]
        excluded = self.p.get("exclude_loaders")
        excluded = DEFAULT_EXCLUDE if excluded is None else excluded
        skip = path_matcher(excluded) if excluded else None
        main = self.p.get("main_blocks") is True
        counted = [ld for ld in finder.loads
                   if not (skip is not None and skip(ld.path))
                   and (main or not ld.main)]
        not_counted = [ld for ld in finder.loads if ld not in counted]
        ev = _Eval(self, ctx, finder, counted, not_counted, view, len(py))
        for f in configs:
            ev.config(f)
        for path in outside:
            ev.infos.append(ctx.finding(path, None, could_not_decide(
                f"{path} is outside the rule's `where:` paths, so it was not analysed"),
                f"outside:{path}", severity=ev.sev_unv))
        for f in ctx.undecidable():
            if f.kind is FileKind.PYTHON:
                ev.infos.append(ctx.finding(
                    f.path, None, could_not_decide(
                        f"{f.path} could not be analysed, and it may load a config file"),
                    f"unparsed:{f.path}", severity=ev.sev_unv))
        findings.extend(ev.findings)
        findings.extend(ev.infos)
        unknown = bool(ev.infos) and ev.sev_unv is Severity.INFO
        note = (f"{len(configs)} config file(s), {ev.loaded} loaded; {len(counted)} load(s) in "
                f"{len(py)} Python file(s)")
        return self.result(ctx, findings, ev.evidence[:50], note, undecided=unknown)


class _Only:
    """A RuleContext restricted to some files, for ``select_files``."""

    def __init__(self, ctx: RuleContext, files: list[FileFacts]) -> None:
        self.files = files
        self.all_paths = frozenset(p for p in ctx.all_paths if p.endswith((".yaml", ".yml")))
        self.finding = ctx.finding


def _local_view(ctx: RuleContext) -> ProjectView:
    paths = [f.path for f in ctx.files]
    return ProjectView(ProjectIndex(list(ctx.files), ctx.all_paths or paths), frozenset(paths))


def _site(ld: Load) -> str:
    via = f" through {' → '.join(ld.chain)}" if ld.chain else ""
    return f"{ld.path}:{ld.span.line}{via}"


class _Eval:
    def __init__(self, check: ConfigContract, ctx: RuleContext, finder: LoadFinder,
                 counted: list[Load], not_counted: list[Load], view: ProjectView,
                 npy: int) -> None:
        self.p = check.p
        self.ctx = ctx
        self.finder = finder
        self.counted = counted
        self.not_counted = not_counted
        self.view = view
        self.npy = npy
        self.findings: list[Finding] = []
        self.infos: list[Finding] = []
        self.evidence: list[Location] = []
        self.loaded = 0
        self.sev_unv = Severity(self.p.get("unverifiable") or "info")

    def config(self, f: FileFacts) -> None:
        path = f.path
        exact = [ld for ld in self.counted if (ld.cand.kind == "path" and ld.cand.text == path)
                 or (ld.cand.kind == "glob" and fnmatch.fnmatchcase(path, ld.cand.text))]
        sure = [ld for ld in exact if not ld.maybe]
        if sure:
            self.loaded += 1
            self.evidence.extend(Location(ld.path, ld.span) for ld in sure)
            self._contents(f, sure)
            return
        possible = [ld for ld in self.counted if _could_name(ld, path)] + [
            ld for ld in exact if ld.maybe]
        if possible:
            ld = possible[0]
            what = (f"`{ld.cand.text}`" if ld.cand.kind == "pattern" else
                    "a path passed through *args/**kwargs" if ld.maybe else ld.cand.text)
            more = f" ({len(possible) - 1} more such load(s))" if len(possible) > 1 else ""
            self.infos.append(self.ctx.finding(
                path, Span.file_start(), could_not_decide(
                    f"whether {path} is loaded", f"no followed path names it, but the load at "
                    f"{_site(ld)} reads {what}, which may name it{more}"),
                f"maybe-loaded:{path}", severity=self.sev_unv))
            return
        self.findings.append(self.ctx.finding(
            path, Span.file_start(), self._not_loaded(path), f"not-loaded:{path}"))

    def _not_loaded(self, path: str) -> str:
        files = len({ld.cand.text for ld in self.counted if ld.cand.kind == "path"})
        msg = (f"{path} is not loaded by any code: searched {self.npy} Python file(s) for a "
               f"path naming it that reaches a reader ({len(self.counted)} load(s) of {files} "
               "file(s) found)")
        elsewhere = [ld for ld in self.not_counted if _names(ld, path)]
        if elsewhere:
            sites = ", ".join(
                _site(ld) + ("" if ld.cand.kind == "path" else f" (reads `{ld.cand.text}`)")
                for ld in elsewhere[:3])
            how = ("loads" if all(ld.cand.kind == "path" for ld in elsewhere)
                   else "loads or may load")
            msg += (f"; only code that does not count {how} it: {sites} (exclude_loaders, "
                    "main_blocks)")
        uncalled = []
        for (fpath, qual), s in self.finder.summaries.items():
            for q, items in s.defaults.items():
                if any(c.kind == "path" and c.text == path for c, *_ in items):
                    fi = self.view.file(fpath)
                    fn = fi.functions.get(qual) if fi is not None else None
                    line = fn.span.line if fn is not None else 1
                    uncalled.append(f"`{qual}` ({fpath}:{line}) defaults `{q}` to it")
        if uncalled:
            msg += ("; " + "; ".join(uncalled[:3]) + ", but no counted code calls "
                    + ("it" if len(uncalled) == 1 else "them") + " without a path")
        return msg

    # -- what the loaded file holds -----------------------------------------------------------
    def _contents(self, f: FileFacts, loads: list[Load]) -> None:
        want_sections = self.p.get("sections") is not False
        want_keys = self.p.get("keys") is not False
        if not (want_sections or want_keys):
            return
        doc = _document(f)
        if doc is None:
            return  # unparsed, empty or not a mapping: nothing to compare
        tracked: list[_Tracked] = [self._track(ld) for ld in loads]
        reads = [r for t in tracked for r in t.reads]
        if want_keys:
            seen: set[tuple[str, int, str]] = set()
            for t in tracked:
                for rs in t.reads:
                    for kr in rs.reads:
                        if kr.how == "in":
                            continue
                        missing = _missing(doc, kr.keys)
                        if missing is None:
                            continue
                        have, node = missing
                        shown = ".".join(kr.keys[:len(have) + 1])
                        key = (rs.path or t.load.path, kr.span.line, shown)
                        if key in seen:
                            continue
                        seen.add(key)
                        parent = ".".join(have) or "its top level"
                        keys = ", ".join(str(k.value) for k, _ in node.keys()) or "none"
                        how = (" (read with .get: the code falls back to a default)"
                               if kr.how == "get" else "")
                        self.findings.append(self.ctx.finding(
                            rs.path or t.load.path, kr.span,
                            f"reads key `{shown}` of {f.path}, which the file does not define"
                            f"{how} (keys at {parent}: {keys}; loaded at {_site(t.load)})",
                            f"missing-key:{f.path}:{shown}",
                            related=[(t.load.path, t.load.span, f"{f.path} is loaded here"),
                                     (f.path, node.span, f"the keys at {parent}")]))
        if not want_sections:
            return
        if not tracked or any(not t.reads for t in tracked) or not all(
                r.complete for r in reads):
            return  # not every use of the loaded data is known: unread sections undecided
        read_top = {kr.keys[0] for r in reads for kr in r.reads if kr.keys}
        unread = [(str(k.value), k) for k, _ in doc.keys()
                  if str(k.value) not in read_top and str(k.value) != "<<"]
        if not unread:
            return
        sites = ", ".join(sorted({_site(t.load) for t in tracked}))
        names = sorted({r.names[0] for r in reads if r.names})
        read = ", ".join(sorted(read_top)) or "none"
        listing = ", ".join(f"`{n}` (line {k.span.line})" for n, k in unread[:12]) + (
            f", and {len(unread) - 12} more" if len(unread) > 12 else "")
        what = (f"section `{unread[0][0]}` of {f.path} is" if len(unread) == 1 else
                f"{len(unread)} of the {len(list(doc.keys()))} top-level sections of {f.path} "
                f"are")
        self.findings.append(self.ctx.finding(
            f.path, unread[0][1].span, f"{what} never read by the code that loads it"
            + (f": {listing}" if len(unread) > 1 else "")
            + f" (loaded at {sites}; keys read through {', '.join(f'`{n}`' for n in names)}: "
              f"{read})", f"unread:{f.path}",
            related=[(t.load.path, t.load.span, f"{f.path} is loaded here") for t in tracked]))

    def _track(self, ld: Load) -> _Tracked:
        """The object a load's YAML parse produces, tracked where it is bound."""
        if ld.reader is None or not ld.yaml:
            return _Tracked(ld, [], "not parsed as YAML here")
        rpath, rscope, rcall = ld.reader
        rfacts = self._facts(rpath)
        if rfacts is None:
            return _Tracked(ld, [])
        parse = parser_of(rfacts, rcall)
        if parse is None:
            return _Tracked(ld, [])
        names, returned = bound_to(rfacts, rscope, parse)
        out = [track(rfacts, rscope, n, rpath) for n in names]
        t = _Tracked(ld, out)
        if returned or (out and any(r.why.startswith(f"`{r.names[0]}` is returned")
                                    for r in out)):
            if len(ld.chain) != 1 or ld.call is None:
                t.reads = out + [Reads(complete=False, why="returned through several loaders")]
                return t
            facts = self._facts(ld.path)
            if facts is None:
                return t
            cnames, _ = bound_to(facts, ld.scope, ld.call)
            if not cnames:
                t.reads = out + [Reads(complete=False, why="the loader's result is not bound")]
                return t
            caller = [track(facts, ld.scope, n, ld.path) for n in cnames]
            for r in out:  # the loader's own name is returned: its caller reads it
                if r.why.startswith(f"`{r.names[0]}` is returned"):
                    r.complete, r.why = True, ""
            t.reads = out + caller
        return t

    def _facts(self, path: str) -> PythonFacts | None:
        fi = self.view.file(path)
        return fi.facts if fi is not None else None


def _names(ld: Load, path: str) -> bool:
    c = ld.cand
    return (c.kind == "path" and c.text == path) or (
        c.kind in ("glob", "pattern") and fnmatch.fnmatchcase(path, c.text))


def _could_name(ld: Load, path: str) -> bool:
    c = ld.cand
    if c.kind == "pattern":
        return fnmatch.fnmatchcase(path, c.text)
    if c.kind == "opaque":
        return ld.yaml
    return False


def _document(f: FileFacts) -> YNode | None:
    facts = f.payload if isinstance(f.payload, YamlFacts) else None
    if facts is None or not facts.documents:
        return None
    doc = facts.documents[0]
    return doc if doc.kind == "map" else None


def _missing(doc: YNode, keys: Iterable[str]) -> tuple[list[str], YNode] | None:
    """(the keys that exist, the mapping lacking the next one) when the key path is not in
    the document; None when it is, or when it runs into something that is not a mapping (a
    list, a scalar, a merge key): not judged."""
    node = doc
    have: list[str] = []
    for k in keys:
        if node.kind != "map" or any(str(x.value) == "<<" for x, _ in node.keys()):
            return None
        nxt = node.get(k)
        if nxt is None:
            return have, node
        have.append(k)
        node = nxt
    return None
