"""Loading and validating rule packs (YAML data; nothing in a pack is ever executed).

A pack file::

    pack: {id: e2i, title: "E2I observability audit"}
    phases:
      - {id: 1, title: MLFlow Connector Core, tests: ["tests/unit/test_mlops/test_mlflow_*.py"]}
    rules:
      - code: E2I201            # stable code: capital letters then digits
        name: no-raw-mlflow      # slug: lower-case, digits, dashes
        phase: 2                 # an id from `phases`
        severity: error          # error | warning
        message: raw mlflow import outside MLflowConnector
        description: ...         # optional: why; shown by `obs-lint explain`
        checklist: ...           # optional: the audit checkbox text (markdown report)
        section: "2.1 model_trainer"  # optional: checklist section heading
        example: {violation: "...", fix: "..."}   # optional
        tags: [mlflow]           # optional
        where: {include: ["src/**"], exclude: ["src/mlops/mlflow_connector.py"]}
        check: {kind: forbid-import, modules: [mlflow]}

Validation is strict: unknown keys (with a "did you mean"), wrong types, missing fields, unknown
check kinds or parameters, duplicate codes or names, and phases that do not exist are all
``PackError``s naming the pack file, the line, and the rule.
"""

from __future__ import annotations

import difflib
import hashlib
import os
import re
from importlib import resources
from typing import Any, Iterable, Mapping, Sequence

from .checks import REGISTRY
from .checks.base import Param
from .errors import PackError, PackErrors
from .fileio import DEFAULT_MAX_BYTES, ReadRefused, input_budget, read_regular, refusal
from .globs import glob_problem
from .types import Example, Pack, Phase, Rule, Severity, Where
from .yamlsafe import YNode, YamlError, parse_yaml

CODE_RE = re.compile(r"^[A-Z][A-Z0-9]*[0-9]+$")
NAME_RE = re.compile(r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$")
PACK_ID_RE = re.compile(r"^[a-z][a-z0-9_-]*$")

_TOP_KEYS = {"pack", "phases", "rules"}
_PACK_KEYS = {"id", "title", "description", "version"}
_PHASE_KEYS = {"id", "title", "tests", "min_tests", "description"}
_RULE_KEYS = {"code", "name", "phase", "severity", "message", "description", "checklist",
              "section", "example", "tags", "where", "check"}
_RULE_REQUIRED = ("code", "name", "phase", "severity", "message", "check")
_WHERE_KEYS = {"include", "exclude", "consult"}
_EXAMPLE_KEYS = {"violation", "fix"}


def bundled_packs() -> list[str]:
    """Names of the packs shipped inside the package (``obs_lint/rules/*.yaml``)."""
    try:
        files = resources.files("obs_lint.rules")
        return sorted(p.name[:-5] for p in files.iterdir() if p.name.endswith(".yaml"))
    except (ModuleNotFoundError, FileNotFoundError):  # pragma: no cover - broken install
        return []


def _suggest(word: str, options: Iterable[str]) -> str:
    close = difflib.get_close_matches(word, sorted(options), n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


class _Validator:
    def __init__(self, path: str) -> None:
        self.path = path
        self.rule = ""

    def fail(self, node: YNode | None, message: str) -> PackError:
        return PackError(self.path, node.span.line if node else 0, message, self.rule)

    def mapping(self, node: YNode, what: str, allowed: set[str],
                required: Iterable[str] = ()) -> dict[str, YNode]:
        if node.kind != "map":
            raise self.fail(node, f"{what} must be a mapping")
        out: dict[str, YNode] = {}
        for k, v in node.value:
            key = k.value if k.kind == "scalar" else None
            if not isinstance(key, str):
                raise self.fail(k, f"{what}: keys must be strings, got {k.to_python()!r}")
            if key not in allowed:
                raise self.fail(k, f"{what}: unknown key {key!r}{_suggest(key, allowed)}")
            out[key] = v
        for req in required:
            if req not in out:
                raise self.fail(node, f"{what}: missing required key {req!r}")
        return out

    def scalar(self, node: YNode, what: str, types: tuple[type, ...]) -> Any:
        if node.kind != "scalar" or not isinstance(node.value, types) or (
                isinstance(node.value, bool) and bool not in types):
            got = node.kind if node.kind != "scalar" else type(node.value).__name__
            names = " or ".join(t.__name__ for t in types)
            raise self.fail(node, f"{what} must be {names}, got {got}")
        return node.value

    def str_list(self, node: YNode, what: str) -> tuple[str, ...]:
        if node.kind == "scalar" and isinstance(node.value, str):
            return (node.value,)
        if node.kind != "seq":
            raise self.fail(node, f"{what} must be a list of strings")
        return tuple(self.scalar(n, f"{what} item", (str,)) for n in node.value)

    def globs(self, node: YNode, what: str) -> tuple[str, ...]:
        """A list of gitignore-style globs, each one checked (a pack error at its line)."""
        values = self.str_list(node, what)
        items = node.value if node.kind == "seq" else [node]
        for glob, item in zip(values, items):
            self.glob(glob, item, what)
        return values

    def glob(self, glob: str, node: YNode, what: str) -> None:
        problem = glob_problem(glob)
        if problem:
            raise self.fail(node, f"{what}: {glob!r} is not a valid gitignore-style pattern: "
                                  f"{problem}")

    def param(self, spec: Param, node: YNode) -> Any:
        what = f"check.{spec.name}"
        value = node.to_python()
        types = spec.types
        if float in types and int not in types and isinstance(value, int) and not isinstance(
                value, bool):
            value = float(value)
        ok = isinstance(value, types) and not (isinstance(value, bool) and bool not in types)
        if not ok:
            names = " or ".join(t.__name__ for t in types)
            raise self.fail(node, f"{what} must be {names}, got {type(value).__name__}"
                                  f"{spec.type_hint}")
        if isinstance(value, list) and spec.item_types:
            for item, item_node in zip(value, node.value):
                if not isinstance(item, spec.item_types) or (
                        isinstance(item, bool) and bool not in spec.item_types):
                    names = " or ".join(t.__name__ for t in spec.item_types)
                    raise self.fail(item_node, f"{what}: items must be {names}, "
                                               f"got {type(item).__name__}")
        if spec.globs:
            items = node.value if node.kind == "seq" else [node]
            for item, item_node in zip(value if isinstance(value, list) else [value], items):
                self.glob(item, item_node, what)
        if spec.choices and isinstance(value, list):  # a list of choices (call-contract checks)
            for item, item_node in zip(value, node.value):
                if item not in spec.choices:
                    raise self.fail(item_node, f"{what}: items must be one of "
                                               f"{', '.join(spec.choices)}; got {item!r}"
                                               f"{_suggest(str(item), spec.choices)}")
        elif spec.choices and value not in spec.choices:
            raise self.fail(node, f"{what} must be one of {', '.join(spec.choices)}; got "
                                  f"{value!r}{_suggest(str(value), spec.choices)}")
        return value


def parse_pack(text: str, path: str, digest: str = "") -> Pack:
    """Validate pack text into a Pack. Raises PackError (file, line, rule) on any mistake."""
    v = _Validator(path)
    try:
        docs = parse_yaml(text)
    except YamlError as exc:
        raise PackError(path, exc.line, f"invalid YAML: {exc.message}") from None
    if len(docs) != 1:
        raise PackError(path, 0, "a pack file must hold exactly one YAML document")
    top = v.mapping(docs[0], "pack file", _TOP_KEYS, required=("pack", "rules"))
    meta = v.mapping(top["pack"], "pack", _PACK_KEYS, required=("id", "title"))
    pack_id = v.scalar(meta["id"], "pack.id", (str,))
    if not PACK_ID_RE.match(pack_id):
        raise v.fail(meta["id"], f"pack.id {pack_id!r} must be lower-case letters, digits, - or _")
    title = v.scalar(meta["title"], "pack.title", (str,))
    phases: list[Phase] = []
    phase_ids: set[Any] = set()
    errors: list[PackError] = []  # every mistake at once: one per phase, rule, duplicate
    if "phases" in top:
        if top["phases"].kind != "seq":
            raise v.fail(top["phases"], "phases must be a list")
        for pnode in top["phases"].value:
            try:
                p = v.mapping(pnode, "phase", _PHASE_KEYS, required=("id", "title"))
                pid = v.scalar(p["id"], "phase.id", (int, str))
                if pid in phase_ids:
                    raise v.fail(p["id"], f"duplicate phase id {pid!r}")
                phase_ids.add(pid)
                phases.append(Phase(
                    id=pid, title=v.scalar(p["title"], "phase.title", (str,)),
                    tests=v.globs(p["tests"], "phase.tests") if "tests" in p else (),
                    min_tests=v.scalar(p["min_tests"], "phase.min_tests", (int,))
                    if "min_tests" in p else 0))
            except PackError as exc:
                errors.append(exc)
    if top["rules"].kind != "seq":
        raise v.fail(top["rules"], "rules must be a list")
    rules = []
    for rnode in top["rules"].value:
        try:
            rules.append(parse_rule(v, rnode, pack_id, phase_ids))
        except PackError as exc:
            errors.append(exc)
    errors += duplicates(rules, path)
    if errors:
        raise errors[0] if len(errors) == 1 else PackErrors(errors, path)
    return Pack(id=pack_id, title=title, phases=tuple(phases), rules=tuple(rules), source=path,
                digest=digest or hashlib.sha256(text.encode()).hexdigest())


def parse_rule(v: _Validator, node: YNode, pack_id: str, phase_ids: set[Any]) -> Rule:
    v.rule = ""
    if node.kind == "map":
        code_node = node.get("code")
        if code_node is not None and code_node.kind == "scalar":
            v.rule = str(code_node.value)
    r = v.mapping(node, "rule", _RULE_KEYS, required=_RULE_REQUIRED)
    code = v.scalar(r["code"], "code", (str,))
    if not CODE_RE.match(code):
        raise v.fail(r["code"], f"code {code!r} must be capital letters followed by digits "
                                "(e.g. E2I201)")
    name = v.scalar(r["name"], "name", (str,))
    v.rule = f"{code} ({name})"
    if not NAME_RE.match(name):
        raise v.fail(r["name"], f"name {name!r} must be a lower-case slug (e.g. no-raw-mlflow)")
    phase = r["phase"].value if r["phase"].kind == "scalar" else None
    if phase is not None:
        phase = v.scalar(r["phase"], "phase", (int, str))
        if phase_ids and phase not in phase_ids:
            raise v.fail(r["phase"], f"phase {phase!r} is not declared in the pack's phases")
    sev = v.scalar(r["severity"], "severity", (str,))
    if sev not in ("error", "warning"):
        raise v.fail(r["severity"], f"severity must be error or warning, got {sev!r}"
                                    f"{_suggest(sev, ('error', 'warning'))}")
    message = v.scalar(r["message"], "message", (str,))
    where = Where()
    if "where" in r:
        w = v.mapping(r["where"], "where", _WHERE_KEYS)
        where = Where(include=v.globs(w["include"], "where.include") if "include" in w
                      else ("**",),
                      exclude=v.globs(w["exclude"], "where.exclude") if "exclude" in w else (),
                      consult=v.globs(w["consult"], "where.consult") if "consult" in w
                      else ())
    example = Example()
    if "example" in r:
        e = v.mapping(r["example"], "example", _EXAMPLE_KEYS)
        example = Example(
            violation=v.scalar(e["violation"], "example.violation", (str,)) if "violation" in e
            else "", fix=v.scalar(e["fix"], "example.fix", (str,)) if "fix" in e else "")
    kind_name, params = parse_check(v, r["check"])
    return Rule(
        code=code, name=name, pack=pack_id, phase=phase, severity=Severity(sev),
        message=message, check_kind=kind_name, params=params, where=where,
        description=v.scalar(r["description"], "description", (str,)) if "description" in r
        else "",
        checklist=v.scalar(r["checklist"], "checklist", (str,)) if "checklist" in r else "",
        section=v.scalar(r["section"], "section", (str,)) if "section" in r else "",
        example=example,
        tags=v.str_list(r["tags"], "tags") if "tags" in r else (),
        source=f"{v.path}:{node.span.line}")


def parse_check(v: _Validator, node: YNode) -> tuple[str, dict[str, Any]]:
    if node.kind != "map":
        raise v.fail(node, "check must be a mapping with a `kind` and its parameters")
    kind_node = node.get("kind")
    if kind_node is None:
        raise v.fail(node, f"check: missing required key 'kind' (one of "
                           f"{', '.join(sorted(REGISTRY))})")
    kind_name = v.scalar(kind_node, "check.kind", (str,))
    kind = REGISTRY.get(kind_name)
    if kind is None:
        raise v.fail(kind_node, f"check.kind {kind_name!r} is not a known check kind"
                                f"{_suggest(kind_name, REGISTRY)}; known: "
                                f"{', '.join(sorted(REGISTRY))}")
    from .checks.params import NestedError, check_nested, renamed  # loaded with any kind

    specs = {p.name: p for p in kind.params}
    typed = kind.Params  # the parameter dataclass (checks/params.py), when the kind has one
    params: dict[str, Any] = {}
    for k, val in node.value:
        key = k.value
        if key == "kind":
            continue
        if key not in specs:
            old = renamed(typed).get(str(key)) if typed is not None else None
            if old is not None:
                new, hint = old
                raise v.fail(k, f"check: parameter {key!r} of kind {kind_name} is now spelled "
                                f"{new!r}{hint} (did you mean {new!r}?)")
            raise v.fail(k, f"check: unknown parameter {key!r} for kind {kind_name}"
                            f"{_suggest(str(key), specs)}")
        params[key] = v.param(specs[key], val)
    for spec in kind.params:
        if spec.name not in params:
            if spec.required:
                raise v.fail(node, f"check: kind {kind_name} requires parameter {spec.name!r}")
            params[spec.name] = spec.default
    for msg in kind.validate(params):
        raise v.fail(_locate(node, msg.split(":", 1)[0].strip()), f"check: {msg}")
    if typed is not None:  # the nested shapes the dataclass declares, each at its own line
        for k, val in node.value:
            if k.value != "kind":
                try:
                    check_nested(typed, k.value, val)
                except NestedError as exc:
                    raise v.fail(exc.node, exc.message) from None
    return kind_name, params


def _locate(node: YNode, path: str) -> YNode:
    """The node a semantic error names (``index.table``, ``groups[1]``, ``columns.id``): the
    deepest part of the path that exists, else the ``check:`` mapping itself."""
    here = node
    for part in re.findall(r"[^.\[\]]+|\[\d+\]", path):
        if part.startswith("["):
            nxt = here.value[int(part[1:-1])] if here.kind == "seq" and \
                int(part[1:-1]) < len(here.value) else None
        else:
            nxt = here.get(part)
        if nxt is None:
            break
        here = nxt
    return here


def duplicates(rules: Iterable[Rule], path: str) -> list[PackError]:
    """Every duplicate rule code or name (each named with both places it is declared)."""
    codes: dict[str, Rule] = {}
    names: dict[str, Rule] = {}
    out = []
    for rule in rules:
        line = int(rule.source.rsplit(":", 1)[-1]) if rule.source else 0
        src = rule.source.rsplit(":", 1)[0] if rule.source else path
        if rule.code in codes:
            out.append(PackError(src, line, f"duplicate rule code (also "
                                            f"{codes[rule.code].source})",
                                 f"{rule.code} ({rule.name})"))
        elif rule.name in names:
            out.append(PackError(src, line, f"duplicate rule name (also "
                                            f"{names[rule.name].source})",
                                 f"{rule.code} ({rule.name})"))
        codes.setdefault(rule.code, rule)
        names.setdefault(rule.name, rule)
    return out


def check_unique(rules: Iterable[Rule], path: str) -> None:
    errors = duplicates(rules, path)
    if errors:
        raise errors[0] if len(errors) == 1 else PackErrors(errors, path)


def read_pack(ref: str, base_dir: str = ".", max_bytes: int = DEFAULT_MAX_BYTES
              ) -> tuple[bytes, str]:
    """The bytes of a bundled pack (by name: ``e2i``) or a pack file (by path, relative to
    base_dir), and the name it is shown under in messages and rule sources. A pack file is read
    only if it is a regular file within ``fileio.input_budget(max_bytes)`` (``max-file-bytes``): a FIFO or a
    link to ``/dev/zero`` is an error naming it, never a hang (``fileio.read_regular``)."""
    looks_like_path = ref.endswith((".yaml", ".yml")) or "/" in ref or os.sep in ref
    if not looks_like_path:
        if ref not in bundled_packs():
            avail = ", ".join(bundled_packs()) or "none"
            raise PackError(ref, 0, f"no bundled pack named {ref!r}{_suggest(ref, bundled_packs())}"
                                    f" (bundled: {avail}; or give a path to a .yaml file)")
        data = resources.files("obs_lint.rules").joinpath(f"{ref}.yaml").read_bytes()
        return data, f"<bundled>/{ref}.yaml"
    path = ref if os.path.isabs(ref) else os.path.join(base_dir, ref)
    budget = input_budget(max_bytes)
    try:
        return read_regular(path, budget), ref
    except ReadRefused as exc:
        raise PackError(ref, 0, refusal(exc, budget, "pack")) from None


# A pack is data a person writes: the bundled e2i pack (171 rules) is 129 KB. Composing YAML
# costs ~60 bytes of memory per byte of text, so a 50 MB pack took minutes and gigabytes and
# then died of MemoryError; over this size a pack is refused before it is parsed.
MAX_PACK_BYTES = 4 * 2**20


def pack_from_bytes(data: bytes, shown: str) -> Pack:
    """Decode and validate a pack file's bytes (``shown`` names it in messages)."""
    if len(data) > MAX_PACK_BYTES:
        raise PackError(shown, 0, f"pack is {len(data):,} bytes, over the {MAX_PACK_BYTES:,}-"
                                  "byte limit for a pack file (the bundled e2i pack, 171 "
                                  "rules, is 129 KB); refused")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise PackError(shown, 0, "pack is not valid UTF-8") from None
    return parse_pack(text, shown, hashlib.sha256(data).hexdigest())


def load_pack(ref: str, base_dir: str = ".", max_bytes: int = DEFAULT_MAX_BYTES) -> Pack:
    """Load a bundled pack by name (``e2i``) or a pack file by path (relative to base_dir)."""
    return pack_from_bytes(*read_pack(ref, base_dir, max_bytes))


LOCAL_PACK = "local"
LOCAL_PHASE = Phase(id="local", title="Rules from the project configuration")


def inline_phase(value: Any, packs: Sequence[Pack]) -> tuple[str, Any]:
    """(pack id, phase id) of an inline rule's ``phase``; raises ValueError with the reason.

    ``"e2i:9"`` names a phase of a loaded pack; a bare ``9`` is the phase of that id in the
    only loaded pack defining one (ambiguous across packs: an error, never a guess); no phase
    (or ``"local"``) puts the rule in the table's ``local`` row. Never silently unphased.
    """
    if value is None or value == LOCAL_PACK:
        return LOCAL_PACK, LOCAL_PHASE.id
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        raise ValueError(f"phase must be int or str, got {type(value).__name__}")
    loaded = ", ".join(p.id for p in packs) or "none"
    if isinstance(value, str) and ":" in value:
        pid, _, ph = value.partition(":")
        pack = next((p for p in packs if p.id == pid), None)
        if pack is None:
            raise ValueError(f"phase {value!r}: no loaded pack {pid!r} (loaded: {loaded})"
                             f"{_suggest(pid, [p.id for p in packs])}")
        for phase in pack.phases:
            if str(phase.id) == ph:
                return pack.id, phase.id
        ids = ", ".join(str(x.id) for x in pack.phases) or "none"
        raise ValueError(f"phase {value!r}: pack {pid!r} has no phase {ph!r} (its phases: "
                         f"{ids})")
    hits = [(p.id, ph.id) for p in packs for ph in p.phases if str(ph.id) == str(value)]
    if len(hits) == 1:
        return hits[0]
    if len(hits) > 1:
        choices = " or ".join(f"'{pid}:{ph}'" for pid, ph in hits)
        raise ValueError(f"phase {value!r} is ambiguous: several loaded packs define it; "
                         f"write {choices}")
    raise ValueError(f"phase {value!r} is not a phase of any loaded pack (loaded: {loaded}); "
                     "write 'PACK:PHASE', or leave phase out for the local section")


def rules_from_mappings(items: list[Mapping[str, Any]], source: str, pack_id: str,
                        packs: Sequence[Pack], lines: Sequence[int] = ()) -> list[Rule]:
    """Rules declared inline in configuration (``[[tool.obs-lint.rules]]``).

    Each rule is validated by the pack validator (same messages) and placed in a phase of a
    loaded pack or in the ``local`` section (``inline_phase``). Errors are ConfigErrors at the
    rule's line in the configuration file (``lines``: where each rule is written), every
    rule's at once.
    """
    import yaml  # re-serialise so the same validator (and its messages) apply

    rules = []
    errors: list[PackError] = []
    for i, item in enumerate(items, 1):
        line = lines[i - 1] if i - 1 < len(lines) else 0
        where = f"{source}:{line}" if line else f"{source} (rules[{i}])"
        item = dict(item)
        label = f"{item.get('code', '')} ({item.get('name', '')})" if "code" in item else ""
        try:
            owner, phase = inline_phase(item.get("phase"), packs)
        except ValueError as exc:
            errors.append(PackError(where, 0, str(exc), label))
            continue
        item["phase"] = phase
        text = yaml.safe_dump(item, sort_keys=False)
        node = parse_yaml(text)[0]
        v = _Validator(where)
        try:
            rule = parse_rule(v, node, pack_id, {phase})
        except PackError as exc:
            # the line is the dumped YAML's, meaningless here: the rule's own line instead
            errors.append(PackError(where, 0, exc.detail, exc.rule))
            continue
        rules.append(_replace(rule, phase_pack="" if owner == pack_id else owner,
                              source=where if line else rule.source))
    if errors:
        raise errors[0] if len(errors) == 1 else PackErrors(errors, source)
    return rules


def _replace(rule: Rule, **changes: Any) -> Rule:
    from dataclasses import replace

    return replace(rule, **changes)
