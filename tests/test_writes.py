"""obs-lint writes only where it is allowed to: its cache directory, and nothing else.

The checked tree is snapshotted (every entry's type, mode, size, content hash and mtime, the
directories' listings included) before and after a run and the snapshots are compared: a
default run may add ``.obs-lint-cache/`` and nothing else; ``--no-cache`` changes nothing at
all, serial or parallel. Runs happen in a subprocess with HOME, XDG_CACHE_HOME and TMPDIR
pointing at empty directories, which must still be empty afterwards (no stray caches or
temporary files left anywhere else either).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import FIXTURES
from ecosystem_project import make_project, write

CACHE = ".obs-lint-cache"


def snapshot(root: Path) -> dict[str, tuple]:
    """Every entry under ``root`` (symlinks not followed): what a write would change."""
    out: dict[str, tuple] = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            path = os.path.join(dirpath, name)
            rel = os.path.relpath(path, root)
            st = os.lstat(path)
            if stat.S_ISREG(st.st_mode):
                with open(path, "rb") as fh:
                    digest = hashlib.sha256(fh.read()).hexdigest()
            elif stat.S_ISLNK(st.st_mode):
                digest = "-> " + os.readlink(path)
            else:
                digest = "dir" if stat.S_ISDIR(st.st_mode) else "special"
            out[rel] = (st.st_mode, st.st_size if not stat.S_ISDIR(st.st_mode) else 0,
                        st.st_mtime_ns, digest)
    st = os.lstat(root)
    out["."] = (st.st_mode, 0, st.st_mtime_ns, "dir")
    return out


def changes(before: dict[str, tuple], after: dict[str, tuple]) -> set[str]:
    return {k for k in before.keys() | after.keys() if before.get(k) != after.get(k)}


@pytest.fixture
def tree(tmp_path) -> Path:
    """A project with every kind of file: Python, YAML, SQL, bad input, a symlink, a FIFO."""
    root = tmp_path / "tree"
    shutil.copytree(FIXTURES / "e2i_sample", root,
                    ignore=shutil.ignore_patterns(CACHE, "__pycache__"))
    shutil.copytree(FIXTURES / "bad_input", root / "src" / "bad_input",
                    ignore=shutil.ignore_patterns(CACHE, "__pycache__", ".obs-lint.yaml"))
    os.symlink("../mlops/mlflow_connector.py", root / "src" / "bad_input" / "link.py")
    # enough text to parse that ``--jobs 2`` really starts worker processes (POOL_MIN_CHARS)
    (root / "src" / "generated.py").write_text("import mlflow\n" + "".join(
        f"def handler_{i}(event, context):\n    return {{'id': {i}, 'ok': event is not None}}\n\n"
        for i in range(1600)))
    if hasattr(os, "mkfifo"):
        os.mkfifo(root / "src" / "bad_input" / "fifo.py")
    return root


@pytest.fixture
def quarantine(tmp_path) -> dict[str, Path]:
    """Empty HOME / XDG_CACHE_HOME / TMPDIR for the subprocess."""
    dirs = {name: tmp_path / name.lower() for name in ("HOME", "XDG_CACHE_HOME", "TMPDIR")}
    for d in dirs.values():
        d.mkdir()
    return dirs


def run(root: Path, quarantine: dict[str, Path], *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, **{k: str(v) for k, v in quarantine.items()},
           "PYTHONDONTWRITEBYTECODE": "1"}
    return subprocess.run([sys.executable, "-m", "obs_lint", *args], cwd=root, env=env,
                          capture_output=True, text=True, timeout=300)


def assert_quarantine_empty(quarantine: dict[str, Path]) -> None:
    for name, d in quarantine.items():
        left = sorted(str(p.relative_to(d)) for p in d.rglob("*"))
        assert not left, f"obs-lint wrote into {name}: {left}"


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_no_cache_writes_nothing_at_all(tree, quarantine, jobs):
    before = snapshot(tree)
    proc = run(tree, quarantine, "check", "--no-cache", "--jobs", jobs, "--format", "json")
    assert proc.returncode == 1, proc.stderr
    assert '"parse-error"' in proc.stdout  # the run really read the tree
    assert not changes(before, snapshot(tree))
    assert_quarantine_empty(quarantine)


def test_a_cached_run_writes_only_its_cache_directory(tree, quarantine):
    before = snapshot(tree)
    proc = run(tree, quarantine, "check", "--format", "json")
    assert proc.returncode == 1, proc.stderr
    after = snapshot(tree)
    changed = changes(before, after)
    assert CACHE in after, "the cache was written"
    outside = {c for c in changed if c != "." and c != CACHE and
               not c.startswith(CACHE + os.sep)}
    assert not outside, f"written outside the cache: {sorted(outside)}"
    # the root changed only by gaining the cache directory
    assert sorted(os.listdir(tree)) == sorted({p.split(os.sep)[0] for p in before} - {"."}
                                              | {CACHE})
    assert_quarantine_empty(quarantine)


def test_a_warm_run_writes_only_inside_its_cache_directory(tree, quarantine):
    first = run(tree, quarantine, "check", "--format", "json")
    before = snapshot(tree)
    second = run(tree, quarantine, "check", "--format", "json")
    assert second.stdout == first.stdout
    changed = changes(before, snapshot(tree))
    assert not {c for c in changed if c != CACHE and not c.startswith(CACHE + os.sep)}, changed
    assert_quarantine_empty(quarantine)


@pytest.mark.parametrize("args", [
    ("rules",), ("rules", "--format", "json"), ("explain", "E2I201"), ("config",),
    ("check", "--no-cache", "src/agents"),
], ids=lambda a: " ".join(a))
def test_read_only_commands_write_nothing(tree, quarantine, args):
    before = snapshot(tree)
    proc = run(tree, quarantine, *args)
    assert proc.returncode in (0, 1), proc.stderr
    assert not changes(before, snapshot(tree))
    assert_quarantine_empty(quarantine)


def test_a_requested_report_file_is_the_only_other_write(tree, quarantine, tmp_path):
    before = snapshot(tree)
    report = tmp_path / "reports" / "out.sarif"
    # a missing directory is an error (a typo must not create a tree), and writes nothing
    proc = run(tree, quarantine, "check", "--no-cache", "--format", "sarif", "-o", str(report))
    assert proc.returncode == 2
    assert proc.stderr.strip() == (f"obs-lint: error: {report}: cannot write report: directory "
                                   f"{report.parent} does not exist")
    assert not report.parent.exists()
    report.parent.mkdir()
    proc = run(tree, quarantine, "check", "--no-cache", "--format", "sarif", "-o", str(report))
    assert proc.returncode == 1, proc.stderr
    assert report.is_file() and proc.stdout == ""
    assert os.listdir(report.parent) == ["out.sarif"]  # the atomic write left no temporary
    assert not changes(before, snapshot(tree))


# --------------------------------------------------------------------------------------------
# Requested writes (baselines, reports): atomic, written through links, never replacing
# something that is not a regular file (analyzer/fileio.py: one helper for every write)
# --------------------------------------------------------------------------------------------

BASELINE = ".obs-lint-baseline.json"


@pytest.fixture
def small(tmp_path) -> Path:
    root = make_project(tmp_path)
    write(root, "src/legacy.py", "import mlflow\n")
    return root


def _kind(path: Path) -> str:
    st = os.lstat(path)
    return ("link" if stat.S_ISLNK(st.st_mode) else "fifo" if stat.S_ISFIFO(st.st_mode) else
            "char" if stat.S_ISCHR(st.st_mode) else "dir" if stat.S_ISDIR(st.st_mode) else
            "file")


@pytest.mark.parametrize("command", ["create", "update"])
def test_a_symlinked_baseline_is_written_through_keeping_its_mode(cli, small, command):
    """It used to become a plain file beside a stale target."""
    real = small / "shared" / "baseline.json"
    real.parent.mkdir()
    real.write_text('{"version": 1, "tool": "obs-lint", "entries": []}\n')
    real.chmod(0o640)
    os.symlink("shared/baseline.json", small / BASELINE)
    args = ("baseline", "create", "--force") if command == "create" else ("baseline", "update")
    code, out, err = cli(*args, cwd=small)
    assert code == 0, err
    assert _kind(small / BASELINE) == "link" and os.readlink(small / BASELINE) == \
        "shared/baseline.json"
    assert stat.S_IMODE(real.stat().st_mode) == 0o640
    data = json.loads(real.read_text())
    assert data["tool"] == "obs-lint"
    if command == "create":
        assert len(data["entries"]) >= 1
    assert sorted(os.listdir(real.parent)) == ["baseline.json"]  # no temporary left


def _special(path: Path, kind: str) -> None:
    if kind == "fifo":
        os.mkfifo(path)
    elif kind == "dir":
        path.mkdir()
    else:
        os.mknod(path, 0o600 | stat.S_IFCHR, os.makedev(1, 3))  # a second /dev/null


def _can_mknod(tmp: Path) -> bool:
    try:
        _special(tmp / "probe", "char")
    except (OSError, AttributeError):
        return False
    (tmp / "probe").unlink()
    return True


@pytest.mark.parametrize("kind", ["fifo", "char", "dir"])
def test_a_baseline_path_that_is_not_a_regular_file_is_refused(cli, small, tmp_path, kind):
    """As root, a device node at the path used to be replaced by a plain file."""
    if kind == "char" and not _can_mknod(tmp_path):
        pytest.skip("creating a device node needs root (CAP_MKNOD) in this environment")
    _special(small / BASELINE, kind)
    code, out, err = cli("baseline", "create", "--force", cwd=small)
    what = {"fifo": "a FIFO", "char": "a character device", "dir": "a directory"}[kind]
    assert code == 2, out + err
    assert err == (f"obs-lint: error: {small / BASELINE}: cannot write baseline: not a regular "
                   f"file ({what}); not replaced\n")
    assert _kind(small / BASELINE) == kind


@pytest.mark.parametrize("spelling", ["./out.json", "{root}/out.json", "link.json",
                                      "../{name}/out.json"])
def test_two_reports_naming_the_same_file_are_a_usage_error(cli, small, spelling):
    os.symlink("out.json", small / "link.json")
    other = spelling.format(root=small, name=small.name)
    for args in (("--format", "json:out.json", "--format", f"sarif:{other}"),
                 ("--format", "json", "--format", "sarif", "-o", "out.json", "-o", other)):
        code, out, err = cli("check", "--no-cache", *args, cwd=small)
        assert code == 2, (args, out, err)
        assert err == (f"obs-lint: error: {other}: two reports would be written to the same "
                       f"file (as out.json)\n")
        assert not (small / "out.json").exists()


def test_a_report_never_overwrites_the_baseline_it_reads(cli, small):
    code, _, err = cli("baseline", "create", cwd=small)
    assert code == 0, err
    before = (small / BASELINE).read_bytes()
    code, out, err = cli("check", "--no-cache", "--baseline", BASELINE, "--format",
                         f"json:./{BASELINE}", cwd=small)
    assert code == 2
    assert err == (f"obs-lint: error: ./{BASELINE}: a report would overwrite the baseline "
                   f"{BASELINE}\n")
    assert (small / BASELINE).read_bytes() == before


def test_a_report_is_written_through_a_link_and_refuses_a_fifo(cli, small):
    (small / "reports").mkdir()
    (small / "reports" / "out.json").write_text("old\n")
    (small / "reports" / "out.json").chmod(0o604)
    os.symlink("reports/out.json", small / "out.json")
    code, out, err = cli("check", "--no-cache", "--format", "json:out.json", cwd=small)
    assert code == 1, err
    assert _kind(small / "out.json") == "link"
    assert json.loads((small / "reports" / "out.json").read_text())["findings"]
    assert stat.S_IMODE((small / "reports" / "out.json").stat().st_mode) == 0o604
    os.mkfifo(small / "pipe.json")
    code, out, err = cli("check", "--no-cache", "--format", "json:pipe.json", cwd=small)
    assert code == 2
    assert err == ("obs-lint: error: pipe.json: cannot write report: not a regular file "
                   "(a FIFO); not replaced\n")
    assert _kind(small / "pipe.json") == "fifo"


@pytest.mark.parametrize("failing", ["write", "fsync", "replace"])
def test_a_failed_write_leaves_the_old_baseline_intact(cli, small, monkeypatch, failing):
    """A full disk at any step: the old bytes stay, no temporary is left, one line names the
    file (the write used to truncate the file first)."""
    import errno

    import obs_lint.fileio as fileio

    code, _, err = cli("baseline", "create", cwd=small)
    assert code == 0, err
    (small / "src" / "legacy.py").write_text("x = 1\n")  # update now prunes the entry
    before = (small / BASELINE).read_bytes()

    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    if failing == "write":
        monkeypatch.setattr(fileio, "_write_all", full)
    else:
        monkeypatch.setattr(fileio.os, failing, full)
    code, out, err = cli("baseline", "update", cwd=small)
    monkeypatch.undo()
    assert code == 2
    assert err == (f"obs-lint: error: {small / BASELINE}: cannot write baseline: No space left "
                   "on device (left unchanged)\n")
    assert (small / BASELINE).read_bytes() == before
    assert not list(small.glob(".*.tmp")), "a temporary file was left"
