"""The command-line habits a ruff user expects (issue 15, item 6): severity in the text output,
colour on terminals only, --quiet, --statistics, a progress bar for long runs only,
--extend-pack, the pre-commit hooks' output, --watch."""

from __future__ import annotations

import io
import json

import pytest
import yaml

from conftest import REPO
from ecosystem_project import make_project, write
from obs_lint import watch as watcher
from obs_lint.cli import use_color
from obs_lint.progress import Progress

ESC = "\x1b["


@pytest.fixture
def project(tmp_path):
    root = make_project(tmp_path, config="packs: [rules/local.yaml]\n")
    write(root, "src/a.py", "import mlflow\n")
    write(root, "src/b.py", "import mlflow\nimport mlflow.sklearn\n")
    return root


# -- severity and colour ------------------------------------------------------------------------

def test_text_lines_carry_the_severity(cli, project):
    (project / "rules/local.yaml").write_text(
        (project / "rules/local.yaml").read_text().replace("severity: error", "severity: warning",
                                                           1))
    code, out, _ = cli("check", cwd=project)
    assert code == 1
    assert "src/a.py:1:1: LOC201 [no-raw-mlflow] warning: raw mlflow import outside the " \
        "connector" in out
    assert ESC not in out  # not a terminal: no colour


class _Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize("env, tty, want", [
    ({}, True, True),
    ({}, False, False),
    ({"NO_COLOR": "1"}, True, False),
    ({"FORCE_COLOR": "1"}, False, True),
    ({"FORCE_COLOR": "0"}, False, False),
    ({"CI": "true"}, True, False),  # never in CI logs...
    ({"CI": "true", "FORCE_COLOR": "1"}, False, True),  # ...unless forced
    ({"NO_COLOR": "1", "FORCE_COLOR": "1"}, True, False),  # NO_COLOR wins
    ({"TERM": "dumb"}, True, False),
])
def test_colour_follows_the_terminal_and_the_environment(monkeypatch, env, tty, want):
    for var in ("NO_COLOR", "FORCE_COLOR", "CI", "TERM"):
        monkeypatch.delenv(var, raising=False)
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    assert use_color(_Tty() if tty else io.StringIO()) is want


def test_forced_colour_styles_the_report(cli, project, monkeypatch):
    monkeypatch.setenv("FORCE_COLOR", "1")
    monkeypatch.delenv("NO_COLOR", raising=False)
    _, out, _ = cli("check", cwd=project)
    line = next(l for l in out.splitlines() if "src/a.py" in l)
    assert line.startswith(f"{ESC}1msrc/a.py:1:1:{ESC}0m {ESC}31;1mLOC201{ESC}0m")
    assert f"{ESC}31;1mFAIL{ESC}0m" in out


# -- --quiet and --statistics -------------------------------------------------------------------

def test_quiet_prints_the_findings_only(cli, project):
    code, out, err = cli("check", "-q", cwd=project)
    assert code == 1 and err == ""
    assert [l.split(":")[0] for l in out.splitlines()] == ["src/a.py", "src/b.py", "src/b.py"]
    code, out, _ = cli("check", "--quiet", "src/mlops", cwd=project)
    assert code == 0 and out == ""
    # without configuration, the notice is left out too (findings and nothing else)
    (project / ".obs-lint.yaml").unlink()
    code, out, err = cli("check", "-q", "--pack", "rules/local.yaml", cwd=project)
    assert code == 1 and err == "" and out.startswith("src/a.py:1:1: LOC201")
    code, out, err = cli("check", "--pack", "rules/local.yaml", cwd=project)
    assert err.startswith("obs-lint: no obs-lint configuration found; checking ")
    assert "with the pack rules/local.yaml — run obs-lint init" in err


def test_statistics_counts_findings_per_rule(cli, project):
    write(project, "src/agents/obs/agent.py", "async def run(state):\n    return state\n")
    code, out, _ = cli("check", "--statistics", cwd=project)
    assert code == 1
    rows = [l.split() for l in out.splitlines()[:3]]
    assert rows == [["Count", "Code", "Name", "Severity"],
                    ["3", "LOC201", "no-raw-mlflow", "error"],
                    ["1", "LOC101", "obs-trace-agent", "error"]]
    assert "src/a.py:1:1" not in out and out.rstrip().splitlines()[-1].startswith("Found 4")
    code, out, _ = cli("check", "--statistics", "-q", cwd=project)
    assert len(out.splitlines()) == 3  # header + two rules, nothing else


# -- progress bar --------------------------------------------------------------------------------

class _Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_progress_bar_appears_only_after_the_delay_and_only_on_a_terminal():
    clock, tty = _Clock(), _Tty()
    bar = Progress(tty, delay=1.0, clock=clock)
    bar(10, 100)
    clock.now += 0.5
    bar(40, 100)
    assert tty.getvalue() == ""  # a run shorter than the delay shows nothing
    clock.now += 0.6
    bar(50, 100)
    assert "Checking" in tty.getvalue() and "50/100" in tty.getvalue()
    bar(100, 100)
    bar.close()
    assert tty.getvalue().endswith("\r\x1b[2K\x1b[?25h")  # line erased, cursor shown again
    plain, clock = io.StringIO(), _Clock()
    quiet = Progress(plain, delay=1.0, clock=clock)
    clock.now += 5
    quiet(50, 100)
    quiet.close()
    assert plain.getvalue() == ""  # never on a non-terminal (CI logs, pre-commit, files)


def test_a_run_reports_progress_up_to_every_file(project):
    from obs_lint.api import check, resolve_config

    calls = []
    check([], resolve_config([str(project)]), use_cache=False,
          progress=lambda done, total: calls.append((done, total)))
    totals = {t for _, t in calls}
    assert len(totals) == 1 and calls[-1] == (totals.pop(),) * 2
    assert [d for d, _ in calls] == sorted(d for d, _ in calls)


# -- --pack / --extend-pack ----------------------------------------------------------------------

def test_extend_pack_adds_to_the_configured_packs(cli, project):
    extra = project / "rules" / "extra.yaml"
    extra.write_text("pack: {id: extra, title: Extra}\nphases:\n  - {id: 1, title: More}\nrules:\n"
                     "  - {code: EXT101, name: no-requests, phase: 1, severity: error,\n"
                     "     message: m, check: {kind: forbid-import, modules: [requests]}}\n")
    doc = json.loads(cli("check", "--extend-pack", "rules/extra.yaml", "--format", "json",
                         cwd=project)[1])
    assert [p["id"] for p in doc["packs"]] == ["local", "extra"]
    doc = json.loads(cli("check", "--pack", "rules/extra.yaml", "--format", "json",
                         cwd=project)[1])
    assert [p["id"] for p in doc["packs"]] == ["extra"]  # --pack replaces
    _, out, _ = cli("check", "--extend-pack", "rules/extra.yaml", cwd=project)
    header = next(l for l in out.splitlines() if l.startswith("| Pack"))
    assert header.split("|")[1].strip() == "Pack"  # two packs: a pack column
    rows = [l for l in out.splitlines() if l.startswith("| local") or l.startswith("| extra")]
    assert [r.split("|")[1].strip() for r in rows] == ["local", "local", "local", "extra"]


# -- pre-commit hooks ---------------------------------------------------------------------------

def test_the_changed_files_hook_prints_findings_and_one_summary_line(cli, project):
    hooks = {h["id"]: h for h in yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text())}
    files_entry = hooks["obs-lint"]["entry"].split()[1:]
    project_entry = hooks["obs-lint-project"]["entry"].split()[1:]
    code, out, _ = cli(*files_entry, "src/a.py", cwd=project)
    assert code == 1
    assert "|" not in out  # no phase table: the project hook prints it, once
    assert out.splitlines()[0].startswith("src/a.py:1:1: LOC201")
    assert out.splitlines()[-1].startswith("Found 1 finding (1 error); 2 outside")
    code, out, _ = cli(*project_entry, cwd=project)
    assert code == 1 and "Phase" in out and "| Agent tracing" in out


# -- --watch -------------------------------------------------------------------------------------

def test_watch_checks_again_when_a_file_changes(cli, project, monkeypatch):
    write(project, "src/a.py", "x = 1\n")
    write(project, "src/b.py", "y = 2\n")
    steps = iter([
        lambda: None,  # nothing changed: no run
        lambda: write(project, "src/a.py", "import mlflow\n"),
        lambda: (project / ".obs-lint.yaml").write_text("packs: [rules/local.yaml]\nbogus: 1\n"),
        lambda: (project / ".obs-lint.yaml").write_text("packs: [rules/local.yaml]\n"),
    ])

    def fake_sleep(seconds: float) -> None:
        try:
            next(steps)()
        except StopIteration:
            raise KeyboardInterrupt from None

    monkeypatch.setattr(watcher, "sleep", fake_sleep)
    code, out, err = cli("check", "--watch", "-q", cwd=project)
    assert code == 0
    runs = out.split("checking again")
    assert len(runs) == 4  # the first run, then one per change (not for the idle poll)
    assert "src/a.py:1:1: LOC201" not in runs[0]
    assert "changed: src/a.py" in runs[0] and "src/a.py:1:1: LOC201" in runs[1]
    # a broken configuration mid-edit is reported and the watch goes on
    assert "unknown key 'bogus'" in err
    assert "src/a.py:1:1: LOC201" in runs[3]


def test_watch_refuses_add_ignore(cli, project):
    code, _, err = cli("check", "--watch", "--add-ignore", cwd=project)
    assert code == 2 and "--watch cannot be combined with --add-ignore" in err


def test_snapshot_ignores_excluded_and_gitignored_files(project):
    write(project, ".gitignore", "scratch/\n")
    write(project, "scratch/tmp.py", "x = 1\n")
    snap = watcher.snapshot(str(project), (".obs-lint-cache/",), True)
    assert not any(p.startswith("scratch/") for p in snap)
    before = dict(snap)
    write(project, "scratch/tmp.py", "x = 2\n")
    assert watcher.changed(before, watcher.snapshot(str(project), (".obs-lint-cache/",),
                                                    True)) == []


def test_the_poller_sees_added_removed_and_edited_files_without_listing_every_time(project):
    poller = watcher.Poller(str(project), (".obs-lint-cache/",), True, relist_every=1000)
    first = poller.take()
    write(project, "src/new.py", "x = 1\n")  # a new entry changes its directory's mtime
    second = poller.take()
    assert watcher.changed(first, second) == ["src/new.py"]
    (project / "src" / "a.py").unlink()
    third = poller.take()
    assert watcher.changed(second, third) == ["src/a.py"]
    write(project, "src/b.py", "import os  # edited, longer than before\n")
    assert watcher.changed(third, poller.take()) == ["src/b.py"]
    # a file in a directory that held nothing checked is found at the periodic listing
    (project / "docs").mkdir()
    periodic = watcher.Poller(str(project), (".obs-lint-cache/",), True, relist_every=2)
    before = periodic.take()
    write(project, "docs/conf.py", "x = 1\n")
    periodic.take()
    assert "docs/conf.py" in watcher.changed(before, periodic.take())


def test_checks_in_no_phase_get_the_last_row_of_the_table(cli, project):
    pack = (project / "rules" / "local.yaml").read_text()
    (project / "rules" / "local.yaml").write_text(pack.replace(
        "  - code: LOC101\n    name: obs-trace-agent\n    phase: 2",
        "  - code: LOC101\n    name: obs-trace-agent\n    phase: null"))
    code, out, _ = cli("check", cwd=project)
    last = [l for l in out.splitlines() if l.startswith("|")][-1]
    assert [c.strip() for c in last.strip("|").split("|")][:3] == [
        "-", "(checks in no phase)", "1/1"]
