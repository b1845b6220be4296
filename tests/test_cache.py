"""The fact cache: a cached run must always print exactly what a ``--no-cache`` run prints.

Strategy: several tests *poison* the cache (replace every entry's facts by empty facts under the
same key, with a valid checksum) and first show that a poisoned cache does change the output
when its keys still match (``test_poisoned_entries_are_used_while_their_keys_match``); a test
that then changes a pack, the version or the Python version and still gets the ``--no-cache``
output has therefore proved that the change invalidated every entry.
"""

from __future__ import annotations

import json
import os
import pickle
import shutil
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest

import obs_lint.cache.keys as keys_mod
import obs_lint.cache.store as cache_mod
from obs_lint.cache.codec import decode_object, encode, encode_object
from obs_lint.cache.store import MAGIC, FactCache, GITIGNORE_TEXT
from obs_lint.facts.model import PythonFacts
from obs_lint.types import Status

from conftest import REPO, run_obs_lint
from pipeline_runs import (CACHE, SAMPLE, cache_entries, copy_project, extract_counts,
                           run_json, tree_files)

ANALYZE = "src/agents/feedback_learner/nodes/analyze.py"


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return copy_project(SAMPLE, tmp_path / "proj")


def poison(root: Path) -> int:
    """Overwrite every fact entry with valid-looking empty facts, and every rule result with a
    clean pass, under the same keys."""
    facts = cache_entries(root, "f")
    cache = FactCache(str(root / CACHE), "f")
    for path in facts:
        cache.put(path.name, encode(PythonFacts(), ()))
    results = cache_entries(root, "r")
    cache = FactCache(str(root / CACHE), "r")
    for path in results:
        real, deps = decode_object(cache.get(path.name))  # (result, files it consulted)
        cache.put(path.name, encode_object((replace(real, status=Status.PASS, findings=(),
                                                    note="poisoned"), deps)))
    return len(facts) + len(results)


def test_cold_and_warm_runs_print_the_no_cache_output(project):
    expected = run_json(project, use_cache=False)
    assert not (project / CACHE).exists(), "--no-cache must not create the cache"
    assert run_json(project) == expected  # cold: fills the cache
    parsed = extract_counts(project, use_cache=False).extracted
    assert parsed >= 5 and len(cache_entries(project)) == parsed
    warm = extract_counts(project)
    assert (warm.cache_hits, warm.extracted) == (parsed, 0)
    assert run_json(project) == expected  # warm: everything from the cache


def test_poisoned_entries_are_used_while_their_keys_match(project):
    """The control for the invalidation tests below: poison shows when keys still match."""
    expected = run_json(project, use_cache=False)
    run_json(project)
    assert poison(project) > 0
    assert run_json(project) != expected


def test_editing_a_file_is_seen(project):
    before = run_json(project)
    target = project / ANALYZE
    target.write_text(target.read_text() + "\n\nimport mlflow  # a new violation\n")
    after = run_json(project)
    assert after != before
    assert after == run_json(project, use_cache=False)
    counts = extract_counts(project)
    assert counts.extracted == 0  # the edited file's new facts were cached by the run above


def test_changing_a_pack_invalidates_every_entry(project):
    pack = project / "packs" / "e2i.yaml"
    pack.parent.mkdir()
    shutil.copy(REPO / "rules" / "e2i.yaml", pack)
    (project / ".obs-lint.yaml").write_text("packs: [packs/e2i.yaml]\n")
    run_json(project)
    assert poison(project) > 0
    pack.write_text(pack.read_text() + "\n# a comment changes the pack's digest\n")
    assert run_json(project) == run_json(project, use_cache=False)


def test_changing_the_version_invalidates_every_entry(project, monkeypatch):
    run_json(project)
    assert poison(project) > 0
    monkeypatch.setattr(keys_mod, "__version__", "999.0.0")
    assert run_json(project) == run_json(project, use_cache=False)


def test_changing_the_python_version_invalidates_every_entry(project, monkeypatch):
    run_json(project)
    assert poison(project) > 0
    monkeypatch.setattr(keys_mod.sys, "version", sys.version + " (another build)")
    assert run_json(project) == run_json(project, use_cache=False)


@pytest.mark.parametrize("index", ["racy", "recorded"])
def test_corrupt_entries_are_ignored_and_rebuilt(project, monkeypatch, index):
    """Each damaged entry is rejected once and rebuilt, whether the stat index knows the file
    (it was older than the racy window when recorded: on a loaded machine, the copy above can
    be) or not. The index is forced either way: this failed only when the machine was slow."""
    import obs_lint.cache.statindex as statindex

    monkeypatch.setattr(statindex, "RACY_NS", -(1 << 62) if index == "recorded" else 1 << 62)
    expected = run_json(project, use_cache=False)
    run_json(project)
    entries = cache_entries(project)
    assert len(entries) >= 4
    damage = [
        lambda b: b[: len(b) // 2],  # truncated (a killed writer without atomic rename)
        lambda b: b[:-1] + bytes([b[-1] ^ 0xFF]),  # one flipped bit in the body
        lambda b: b"",  # empty file
        lambda b: b"not a cache entry at all",
    ]
    for i, path in enumerate(entries):
        path.write_bytes(damage[i % len(damage)](path.read_bytes()))
    counts = extract_counts(project)
    assert counts.cache_hits == 0 and counts.cache_rejected == len(entries)
    assert run_json(project) == expected
    assert extract_counts(project).cache_hits == len(entries)  # rebuilt, valid again


def test_foreign_entries_are_ignored(project):
    """A valid entry copied under another key's name is not trusted (its embedded key differs)."""
    expected = run_json(project, use_cache=False)
    run_json(project)
    entries = cache_entries(project)
    data = [p.read_bytes() for p in entries]
    for path, blob in zip(entries, data[1:] + data[:1]):
        path.write_bytes(blob)
    assert extract_counts(project).cache_hits == 0
    assert run_json(project) == expected


class _Evil:
    def __init__(self, marker: str) -> None:
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


def test_a_crafted_pickle_in_the_cache_cannot_run_code(project, tmp_path):
    expected = run_json(project, use_cache=False)
    run_json(project)
    marker = tmp_path / "pwned"
    for path in cache_entries(project):
        body = pickle.dumps(("object", (), _Evil(str(marker))))
        path.write_bytes(MAGIC + path.name.encode() + cache_mod._checksum(body) + body)
    assert run_json(project) == expected
    assert not marker.exists()


@pytest.fixture
def evaluated(monkeypatch):
    """The codes of the rules each run evaluated (rather than took from the cache)."""
    import obs_lint.evaluate as memo  # evaluate_cached calls evaluate for what it lacks

    runs: list[list[str]] = []
    real = memo.evaluate

    def spy(plan, *args, **kwargs):
        runs.append([a.rule.code for a in plan.rules])
        return real(plan, *args, **kwargs)

    monkeypatch.setattr(memo, "evaluate", spy)
    return runs


def test_a_warm_run_evaluates_no_rule(project, evaluated):
    expected = run_json(project, use_cache=False)
    assert run_json(project) == expected
    assert len(evaluated[-1]) > 10
    before = len(evaluated)
    assert run_json(project) == expected
    assert len(evaluated) == before  # every rule result came from the cache


def test_an_edit_reevaluates_only_the_rules_covering_the_file(project, evaluated):
    run_json(project)
    everything = set(evaluated[-1])
    target = project / ANALYZE
    # a fact changes (a new call): the rules covering the file run again, no other
    target.write_text(target.read_text() + "\n\ndef later():\n    return print('x')\n")
    before = len(evaluated)
    assert run_json(project) == run_json(project, use_cache=False)
    assert len(evaluated) == before + 2  # the cached run evaluated something, then --no-cache
    again = set(evaluated[-2])
    assert again and again < everything


@pytest.mark.parametrize("edit", [
    "\n# a comment at the end\n",
    "\n\n\n",
    "  # a trailing comment on the last line",
], ids=["comment-line", "blank-lines", "trailing-comment"])
def test_an_edit_that_changes_no_fact_reevaluates_no_rule(project, evaluated, edit):
    """Checks read facts, never text: an edit after the last statement that leaves every fact
    as it was (positions included) reuses every rule's result (the benchmark's touched-file
    run is such an edit). The report is still what a --no-cache run prints."""
    expected = run_json(project)
    target = project / ANALYZE
    text = target.read_text()
    target.write_text(text.rstrip("\n") + edit + ("\n" if not edit.endswith("\n") else ""))
    before = len(evaluated)
    got = run_json(project)
    assert len(evaluated) == before, "no fact changed: no rule is evaluated again"
    assert _findings(got) == _findings(run_json(project, use_cache=False)) == _findings(expected)


def _findings(report: str) -> dict:
    """A JSON report without its ``stats`` (the edit changed the line counts, nothing else)."""
    doc = json.loads(report)
    doc.pop("stats")
    return doc


def test_poisoned_rule_results_are_dropped_when_a_file_in_scope_changes(project):
    run_json(project)
    assert poison(project) > 0
    target = project / ANALYZE
    target.write_text(target.read_text() + "\nimport mlflow  # a new violation\n")
    got = json.loads(run_json(project))
    names = {(f["path"], f["name"]) for f in got["findings"]}
    assert (ANALYZE, "no-raw-mlflow") in names


def test_a_crashed_rule_is_not_remembered(project, monkeypatch):
    from obs_lint.checks.forbid_import import ForbidImport

    expected = run_json(project, use_cache=False)

    def boom(self, ctx):
        raise RuntimeError("engine bug")

    monkeypatch.setattr(ForbidImport, "evaluate", boom)
    crashed = json.loads(run_json(project))
    assert any(f["name"] == "internal-error" for f in crashed["findings"])
    monkeypatch.undo()
    assert run_json(project) == expected


def test_concurrent_runs_share_the_cache_safely(project):
    expected = run_json(project, use_cache=False)
    args = [sys.executable, "-m", "obs_lint", "check", str(project), "--format", "json",
            "--exit-zero"]
    procs = [subprocess.Popen(args, cwd=project, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for _ in range(3)]
    outs = [p.communicate(timeout=300) for p in procs]
    for (out, err), p in zip(outs, procs):
        assert p.returncode == 0, err
        assert out == expected
    assert not [p for p in (project / CACHE).rglob(".tmp-*")], "temporary files left behind"
    assert run_json(project) == expected
    assert extract_counts(project).extracted == 0


def test_no_cache_writes_nothing(project):
    before = tree_files(project)
    code, _out, err = run_obs_lint("check", str(project), "--no-cache", "--format", "json",
                                   cwd=project)
    assert code in (0, 1), err
    assert tree_files(project) == before


def test_cache_directory_is_git_ignored(project):
    run_json(project)
    assert (project / CACHE / ".gitignore").read_text() == GITIGNORE_TEXT
    if shutil.which("git") is None:
        pytest.skip("git is not installed: cannot ask git what it ignores")
    subprocess.run(["git", "init", "-q", str(project)], check=True)
    status = subprocess.run(["git", "status", "--porcelain", "--untracked-files=all"],
                            cwd=project, capture_output=True, text=True, check=True).stdout
    assert status and CACHE not in status


def test_cache_clear(project):
    run_json(project)
    n = sum(len(cache_entries(project, kind)) for kind in "frpil")
    assert len(cache_entries(project, "p")) == 1 and len(cache_entries(project, "r")) > 10
    code, out, err = run_obs_lint("cache", "clear", cwd=project)
    assert code == 0, err
    assert f"Removed {n} cache entries" in out
    assert not (project / CACHE).exists()
    code, out, _ = run_obs_lint("cache", "clear", cwd=project)
    assert code == 0 and "Removed 0 cache entries" in out


def test_cache_clear_refuses_a_directory_that_is_not_a_cache(project):
    (project / ".obs-lint.yaml").write_text("packs: [e2i]\ncache-dir: src\n")
    before = tree_files(project)
    code, _out, err = run_obs_lint("cache", "clear", cwd=project)
    assert code == 2
    assert "does not look like an obs-lint cache" in err and "Traceback" not in err
    assert tree_files(project) == before


def test_an_unwritable_cache_only_costs_speed(project):
    (project / "not-a-dir").write_text("a file where the cache directory should be\n")
    (project / ".obs-lint.yaml").write_text("packs: [e2i]\ncache-dir: not-a-dir\n")
    expected = run_json(project, use_cache=False)
    assert run_json(project) == expected
    assert run_json(project) == expected


def test_entries_are_written_atomically(project, monkeypatch):
    """A writer that dies mid-write leaves no partial entry under the real name."""
    import obs_lint.fileio as fileio

    cache = FactCache(str(project / CACHE))
    cache.put("cd" * 16, b"an earlier entry")  # the directory, .gitignore... exist

    class Boom(Exception):
        pass

    real_write_all = fileio._write_all

    def dying_write_all(fd, data):
        os.write(fd, b"partial")
        raise Boom()

    monkeypatch.setattr(fileio, "_write_all", dying_write_all)
    with pytest.raises(Boom):
        cache.put("ab" * 16, b"body")
    monkeypatch.setattr(fileio, "_write_all", real_write_all)
    assert cache.get("ab" * 16) is None
    assert not list((project / CACHE).rglob(".tmp-*"))
    cache.put("ab" * 16, b"body")
    assert cache.get("ab" * 16) == b"body"


# --------------------------------------------------------------------------------------------
# Confinement: the cache is a directory obs-lint created, and nothing else is ever touched
# --------------------------------------------------------------------------------------------


def listing(top: Path) -> dict[str, bytes | str]:
    """Every entry under ``top`` (links not followed) with its bytes or link target."""
    out: dict[str, bytes | str] = {}
    for dirpath, dirs, files in os.walk(top):
        for name in dirs + files:
            p = Path(dirpath) / name
            rel = str(p.relative_to(top))
            out[rel] = ("-> " + os.readlink(p) if p.is_symlink() else
                        "dir" if p.is_dir() else p.read_bytes())
    return out


@pytest.mark.parametrize("configured", ["src", ".", "", ".."])
def test_a_cache_dir_naming_an_existing_directory_is_refused(tmp_path, configured):
    """``cache-dir: src`` used to get a ``.gitignore`` with ``*`` written into src/ (the next
    run then checked nothing under it) and ``cache clear`` deleted src/ (with ``..``: the
    project and its siblings). Now: exit 2, one line, and nothing anywhere is written or
    deleted."""
    project = copy_project(SAMPLE, tmp_path / "proj")
    (tmp_path / "sibling.txt").write_text("a neighbour of the project\n")
    (project / ".obs-lint.yaml").write_text(f"packs: [e2i]\ncache-dir: '{configured}'\n")
    expected = run_json(project, use_cache=False)
    before = listing(tmp_path)
    for args in (("check", "--format", "json"), ("cache", "clear")):
        code, out, err = run_obs_lint(*args, cwd=project)
        assert code == 2, (args, out, err)
        lines = err.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith(
            f"obs-lint: error: .obs-lint.yaml:2: cache-dir '{configured}' ("), err
        assert ("is an existing directory that obs-lint did not create" in err
                or "does not look like an obs-lint cache" in err), err
        assert "Traceback" not in err and out == ""
        assert listing(tmp_path) == before, f"{args} changed files"
    assert run_json(project, use_cache=False) == expected


def test_cache_clear_deletes_only_what_obs_lint_wrote(project):
    run_json(project)
    n = sum(len(cache_entries(project, kind)) for kind in "frpil")
    cache = project / CACHE
    (cache / "notes.txt").write_text("mine\n")
    stray = next((cache / "f").iterdir()) / "README"
    stray.write_text("also mine\n")
    code, out, err = run_obs_lint("cache", "clear", cwd=project)
    assert code == 0, err
    assert f"Removed {n} cache entries" in out and "kept 2 files obs-lint did not write" in out
    assert (cache / "notes.txt").read_text() == "mine\n"
    assert stray.read_text() == "also mine\n"
    assert sum(len(cache_entries(project, kind)) for kind in "rpi") == 0
    assert [p for p in cache_entries(project, "f")] == [stray]
    # the markers stay with the directory: it is still a cache, and usable
    assert (cache / "CACHEDIR.TAG").is_file()
    assert run_json(project) == run_json(project, use_cache=False)


def test_a_symlinked_cache_dir_is_refused_and_clear_tells_the_truth(project, tmp_path):
    """A symbolic link as the cache: writes would leave the project, and ``cache clear`` used
    to print "Removed N cache entries" while deleting nothing."""
    elsewhere = tmp_path / "elsewhere"
    (project / ".obs-lint.yaml").write_text(f"packs: [e2i]\ncache-dir: {elsewhere}\n")
    run_json(project)  # a real cache, made by obs-lint, outside the project
    (project / ".obs-lint.yaml").write_text("packs: [e2i]\n")
    os.symlink(elsewhere, project / CACHE)
    before = listing(elsewhere)
    assert len(before) > 10
    for args in (("check", "--format", "json"), ("cache", "clear")):
        code, out, err = run_obs_lint(*args, cwd=project)
        assert code == 2, (args, out, err)
        assert err.strip() == (f"obs-lint: error: {CACHE} is a symbolic link; " + (
            "obs-lint never writes its cache through a link (set cache-dir to the directory "
            "it points to)" if args[0] == "check" else
            "not clearing a cache through a link (run it with cache-dir set to the directory "
            "it points to)")), err
        assert "Removed" not in out
        assert listing(elsewhere) == before


def test_a_cache_outside_the_project_is_allowed_when_configured(project, tmp_path):
    """Like ruff's: an explicit ``cache-dir`` may lie outside the root; obs-lint creates it
    (with its markers) and ``cache clear`` removes exactly it."""
    outside = tmp_path / "caches" / "obs-lint"
    (project / ".obs-lint.yaml").write_text(f"packs: [e2i]\ncache-dir: {outside}\n")
    expected = run_json(project, use_cache=False)
    assert run_json(project) == expected
    assert run_json(project) == expected
    assert (outside / "CACHEDIR.TAG").read_text() == cache_mod.CACHEDIR_TAG
    assert not (project / CACHE).exists()
    code, out, err = run_obs_lint("cache", "clear", cwd=project)
    assert code == 0 and "Removed" in out, err
    assert not outside.exists() and (tmp_path / "caches").is_dir()


@pytest.mark.parametrize("planted", ["f", "f/prefix"])
def test_a_symlink_planted_in_the_cache_never_redirects_a_write(project, tmp_path, planted):
    expected = run_json(project, use_cache=False)
    run_json(project)
    outside = tmp_path / "outside"
    outside.mkdir()
    cache = project / CACHE
    if planted == "f":
        shutil.rmtree(cache / "f")
        os.symlink(outside, cache / "f")
    else:  # every prefix folder of the facts becomes a link out
        for prefix in (cache / "f").iterdir():
            shutil.rmtree(prefix)
            os.symlink(outside, prefix)
    assert run_json(project) == expected
    assert list(outside.iterdir()) == [], "a cache write followed a link out of the cache"


def test_the_cache_is_created_with_its_markers_in_one_step(tmp_path):
    """No run may see the directory without its markers (it would refuse it as foreign)."""
    made = []
    real_rename = os.rename

    def spy(src, dst, *a, **kw):
        made.append(sorted(os.listdir(src)))
        return real_rename(src, dst, *a, **kw)

    target = tmp_path / "cache"
    import unittest.mock as mock

    with mock.patch.object(cache_mod.os, "rename", spy):
        assert cache_mod.ensure_cache_dir(str(target)) == str(target)
    assert made == [[".gitignore", "CACHEDIR.TAG"]]
    assert cache_mod.is_cache_dir(str(target))
    assert [p.name for p in tmp_path.iterdir()] == ["cache"]  # no temporary left beside it


@pytest.fixture
def no_racy_window(monkeypatch):
    """Trust stat signatures at once (the copies were just written: all "racily clean")."""
    import obs_lint.cache.statindex as statindex

    monkeypatch.setattr(statindex, "RACY_NS", 0)


@pytest.fixture
def prepared(monkeypatch):
    """Paths each extraction actually read (``prepare_file`` calls)."""
    import obs_lint.extract as extract

    seen: list[str] = []
    real = extract.prepare_file

    def spy(src, *args, **kwargs):
        seen.append(src.path)
        return real(src, *args, **kwargs)

    monkeypatch.setattr(extract, "prepare_file", spy)
    return seen


def test_unchanged_files_are_not_read_again(project, no_racy_window, prepared):
    expected = run_json(project, use_cache=False)
    assert run_json(project) == expected
    prepared.clear()
    counts = extract_counts(project)
    assert prepared == [] and counts.index_hits > 10
    assert run_json(project) == expected


def test_an_edit_that_keeps_size_and_mtime_is_still_seen(project, no_racy_window, prepared):
    run_json(project)
    target = project / ANALYZE
    before = target.stat()
    text = target.read_text()
    edited = text.replace("trace_llm_call", "trace_llm_calX", 1)
    assert edited != text and len(edited) == len(text)
    target.write_text(edited)
    os.utime(target, ns=(before.st_atime_ns, before.st_mtime_ns))  # ctime still moves
    prepared.clear()
    assert run_json(project) == run_json(project, use_cache=False)
    assert ANALYZE in prepared


def test_racily_clean_files_are_read_again(project, prepared):
    run_json(project)  # the copies are brand new: none may be trusted by stat alone
    prepared.clear()
    counts = extract_counts(project)
    assert counts.index_hits == 0 and len(prepared) > 10


def test_a_corrupt_index_is_ignored(project, no_racy_window):
    expected = run_json(project, use_cache=False)
    run_json(project)
    entries = cache_entries(project, "i")
    assert len(entries) == 1
    entries[0].write_bytes(entries[0].read_bytes()[:-3] + b"xyz")
    assert extract_counts(project).index_hits == 0
    assert run_json(project) == expected


# --------------------------------------------------------------------------------------------
# Every value YAML can hold survives the cache (a date in a checked config file used to end
# every cached run with "internal error: DecodeError ... refusing to load datetime.date")
# --------------------------------------------------------------------------------------------

import datetime  # noqa: E402

import yaml  # noqa: E402

YAML_VALUES = """\
last_reviewed: 2024-01-15
timestamp: 2024-01-15 10:30:00
fraction: 2024-01-15T10:30:00.123456
east: 2024-01-15T10:30:00+02:00
west: 2024-01-15 10:30:00 -05:30
utc: 2024-01-15T10:30:00Z
blob: !!binary aGVsbG8gd29ybGQ=
hex: 0x1F
octal: 0o17
big: 123456789012345678901234567890
float: 1.5e3
inf: .inf
neg_inf: -.inf
nan: .nan
yes: true
none: ~
text: !!str 2024-01-15
nested: {when: [2024-01-15, 2024-02-29], raw: !!binary AAEC}
"""
# what yaml.SafeLoader builds beyond the scalars obs-lint's reader accepts (!!set, !!omap,
# !!pairs: refused as tags in checked files, still encodable)
SAFE_LOADER_EXTRAS = "set: !!set {a, b}\nomap: !!omap [a: 1, b: 2]\npairs: !!pairs [a: 1, a: 2]\n"


def _same(a: object, b: object) -> bool:
    """Equality that holds for NaN too (repr carries the types: date vs datetime, tz)."""
    return repr(a) == repr(b) and type(a) is type(b)


def test_every_value_the_yaml_safe_loader_builds_survives_the_cache(tmp_path):
    from obs_lint.cache.codec import decode
    from obs_lint.facts.yaml_doc import extract

    facts, problems = extract("config/app.yaml", YAML_VALUES)
    assert problems == ()
    values = dict((k.value, v.value) for k, v in facts.documents[0].value)
    assert isinstance(values["last_reviewed"], datetime.date)
    assert values["east"].utcoffset() == datetime.timedelta(hours=2)
    assert values["blob"] == b"hello world"
    loaded = yaml.load(YAML_VALUES + SAFE_LOADER_EXTRAS, Loader=yaml.SafeLoader)
    assert {type(v) for v in loaded.values()} >= {datetime.date, datetime.datetime, bytes,
                                                  set, list, dict, int, float, bool, str,
                                                  type(None)}
    store = FactCache(str(tmp_path / "cache"))
    store.put("ab" * 16, encode(facts, ()))
    store.put("cd" * 16, encode_object(loaded))
    again, _ = decode(store.get("ab" * 16))
    assert _same(again, facts)
    assert _same(decode_object(store.get("cd" * 16)), loaded)
    for name, value in loaded.items():  # one by one, so a failure names the value
        assert _same(decode_object(encode_object(value)), value), name


YAML_PACK = """\
pack: {id: dates, title: Dates in YAML}
phases: [{id: 1, title: Config}]
rules:
  - code: D101
    name: reviewed
    phase: 1
    severity: error
    message: the config must say when it was last reviewed
    where: {include: ["config/**"]}
    check: {kind: yaml, file: config/app.yaml, key: last_reviewed, type: str}
  - code: D102
    name: has-dates
    phase: 1
    severity: error
    message: nested.when must be set
    where: {include: ["config/**"]}
    check: {kind: yaml, file: config/app.yaml, key: nested.when}
"""


def test_a_project_with_yaml_dates_checks_the_same_from_the_cache(tmp_path):
    root = tmp_path / "proj"
    (root / "config").mkdir(parents=True)
    (root / "config" / "app.yaml").write_text(YAML_VALUES)
    (root / "pack.yaml").write_text(YAML_PACK)
    (root / ".obs-lint.yaml").write_text("packs: [pack.yaml]\n")
    runs = [run_obs_lint("check", "--format", "json", *extra, cwd=root)
            for extra in (("--no-cache",), (), (), ())]
    for code, out, err in runs:
        assert code == 1 and err == "" and out, err
    assert len({out for _, out, _ in runs}) == 1, "a cached run printed something else"
    report = json.loads(runs[0][1])
    assert [(f["rule"], f["line"]) for f in report["findings"]] == [("D101", 1)]
    assert report["findings"][0]["message"].endswith(
        "last_reviewed: expected type str, found date 2024-01-15")
    assert cache_entries(root, "f"), "the YAML file's facts were cached"


def test_a_value_the_codec_cannot_decode_costs_speed_not_the_run(tmp_path, monkeypatch):
    """The failure as it was: the codec's allow-list without ``datetime`` (an older obs-lint)
    made the freshly encoded facts of a YAML file with a date undecodable, and every cached run
    ended with an internal error. Now such facts are used as extracted and not stored."""
    import obs_lint.cache.codec as codec

    root = tmp_path / "proj"
    (root / "config").mkdir(parents=True)
    (root / "config" / "app.yaml").write_text(YAML_VALUES)
    (root / "pack.yaml").write_text(YAML_PACK)
    (root / ".obs-lint.yaml").write_text("packs: [pack.yaml]\n")
    expected = run_json(root, use_cache=False)
    real = codec._Unpickler.find_class

    def without_datetime(self, module, name):
        if module == "datetime":
            raise pickle.UnpicklingError(f"refusing to load {module}.{name} from the cache")
        return real(self, module, name)

    monkeypatch.setattr(codec._Unpickler, "find_class", without_datetime)
    assert run_json(root, jobs=1) == expected
    assert run_json(root, jobs=1) == expected
    assert cache_entries(root, "f") == [], "an undecodable entry was stored"


def test_the_run_key_is_computed_once_per_run(project, monkeypatch):
    """Extraction, the stat index and the results memo derive their keys from one value that
    the pipeline computes (``RunKey.of``), never each its own."""
    calls: list[str] = []
    real = keys_mod.run_key

    def counting(*args, **kwargs):
        calls.append("run_key")
        return real(*args, **kwargs)

    monkeypatch.setattr(keys_mod, "run_key", counting)
    cold = run_json(project)
    assert calls == ["run_key"]
    calls.clear()
    assert run_json(project) == cold  # warm: the same key finds every entry
    assert calls == ["run_key"]


def test_the_fact_source_digest_covers_sub_packages(tmp_path, monkeypatch):
    """A change in a sub-package of ``facts/`` (``facts/python/``) must invalidate cached facts:
    the digest of a folder reads its ``.py`` files recursively."""
    (tmp_path / "facts" / "python").mkdir(parents=True)
    (tmp_path / "facts" / "model.py").write_text("A = 1\n")
    (tmp_path / "facts" / "python" / "walk.py").write_text("B = 1\n")
    (tmp_path / "facts" / "python" / "__pycache__").mkdir()
    monkeypatch.setattr(keys_mod, "_PACKAGE", str(tmp_path))
    keys_mod.source_digest.cache_clear()
    try:
        before = keys_mod.source_digest(("facts",), ())
        keys_mod.source_digest.cache_clear()
        (tmp_path / "facts" / "python" / "__pycache__" / "walk.pyc").write_bytes(b"x")
        assert keys_mod.source_digest(("facts",), ()) == before  # compiled files do not count
        keys_mod.source_digest.cache_clear()
        (tmp_path / "facts" / "python" / "walk.py").write_text("B = 2\n")
        assert keys_mod.source_digest(("facts",), ()) != before
    finally:
        keys_mod.source_digest.cache_clear()


@pytest.mark.parametrize("name", ["FACT_SOURCE", "RESULT_SOURCE", "PLAN_SOURCE", "PACK_SOURCE"])
def test_every_source_a_key_names_exists(name):
    """A fingerprint naming a moved or renamed module would hash "missing" forever and stop
    invalidating the cache when that module changes."""
    folders, modules = getattr(keys_mod, name)
    package = Path(keys_mod._PACKAGE)
    assert [f for f in folders if not (package / f).is_dir()] == []
    assert [m for m in modules if not (package / m).is_file()] == []
