#!/usr/bin/env python3
"""obs-lint benchmark: obs-lint vs fixit vs ruff vs the libcst parse floor, interleaved.

    python bench/run.py [--corpus generated|wheels|both] [--runs 5] [--quick]

See bench/README.md for what each scenario means. In short, per corpus, every round runs:

  obs_cold   `obs-lint cache clear` (untimed), then `obs-lint check . --pack e2i --format json --exit-zero`
  obs_warm   the same check again, nothing changed
  obs_touch  one comment line appended to one agent file, the same check (file restored afterwards)
  obs_jobs1  check with `--jobs 1 --no-cache`
  obs_jobs2  check with `--jobs 2 --no-cache`
  floor      bench/parse_floor.py: libcst.parse_module over the files obs-lint parsed, split across
             as many processes as obs-lint's default --jobs (os.cpu_count())
  fixit      fixit 2.x, only bench/fixit_rule.py (via bench/fixit.toml), over the whole corpus
  ruff       ruff check --no-cache --config bench/ruff.toml (TID251 banning mlflow) over the corpus

Rounds are interleaved (every scenario once per round, order rotated each round; cold, warm and
touch stay together in that order because each depends on the cache the previous one left).
Every command is run inside a fresh bench/_measure.py wrapper (wall time, CPU time, peak RSS).
A command that fails is recorded as failed in the table; the run goes on.

Peers (fixit, ruff) live in bench/.peers/ (a venv made here, never the project's dependencies);
corpora in bench/corpus/ (both git-ignored). Results: bench/RESULTS.md (+ bench/RESULTS.json with
every sample). --quick: one round on a small generated corpus (and the ragas wheel only), results
to bench/.results/ so a smoke test never overwrites the real table.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence, Tuple

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
PEERS = BENCH / ".peers"
CORPORA = BENCH / "corpus"
RESULTS_DIR = BENCH / ".results"

FIXIT_SPEC = "fixit==2.2.1"
RUFF_SPEC = "ruff==0.17.6"
ASTGREP_SPEC = "ast-grep-cli==0.51.1"
SEMGREP_SPEC = "semgrep"  # optional: skipped if it does not install
SELECT_RULE = "E2I201"  # the pack's no-raw-mlflow rule: what ruff / ast-grep / fixit / semgrep check
WHEELS = ["mlflow-skinny==3.17.2", "opik==2.2.122", "ragas==0.4.3"]
QUICK_WHEELS = ["ragas==0.4.3"]

GEN_FULL = {"files": 1500, "lines": 600_000}
GEN_QUICK = {"files": 300, "lines": 120_000}

FALLBACK_GREP = rb"mlflow|opik|ragas|trace_"
TOUCH_PREFERRED = "src/agents/ml_foundation/model_trainer/agent.py"
TOUCH_BACKUP = CORPORA / ".touch-backup"

SCENARIOS = ["obs_cold", "obs_warm", "obs_touch", "obs_jobs1", "obs_jobs2", "obs_select",
             "obs_contracts", "floor", "fixit", "ruff", "astgrep", "semgrep"]
PEER_SCENARIOS = ("fixit", "ruff", "astgrep", "semgrep")
LABELS = {
    "obs_select": f"obs-lint `--select {SELECT_RULE} --no-cache` (one rule, cold)",
    "obs_contracts": "obs-lint `--extend-pack contracts --no-cache` (cold)",
    "astgrep": "ast-grep, one rule (raw `mlflow` imports)",
    "semgrep": "semgrep, one rule (raw `mlflow` imports)",
    "obs_cold": "obs-lint cold (cache cleared)",
    "obs_warm": "obs-lint warm (nothing changed)",
    "obs_touch": "obs-lint, one file changed",
    "obs_jobs1": "obs-lint `--jobs 1 --no-cache`",
    "obs_jobs2": "obs-lint `--jobs 2 --no-cache`",
    "floor": "libcst parse floor",
    "fixit": "fixit 2.x, one import rule",
    "ruff": "ruff TID251 (banned `mlflow`)",
}
OBS = [s for s in SCENARIOS if s.startswith("obs_")]


def log(msg: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def sh(cmd: Sequence[str], cwd: Optional[Path] = None, timeout: float = 600) -> Tuple[int, str, str]:
    try:
        p = subprocess.run(list(cmd), cwd=cwd, capture_output=True, text=True, timeout=timeout,
                           stdin=subprocess.DEVNULL)
        return p.returncode, p.stdout, p.stderr
    except (OSError, subprocess.TimeoutExpired) as exc:
        return 127, "", str(exc)


# --------------------------------------------------------------------------------------------
# Tools
# --------------------------------------------------------------------------------------------


@dataclass
class Tools:
    obs_lint: List[str]
    obs_python: str
    fixit: Optional[List[str]] = None
    ruff: Optional[List[str]] = None
    astgrep: Optional[List[str]] = None
    semgrep: Optional[List[str]] = None
    peers_error: str = ""
    versions: Dict[str, str] = field(default_factory=dict)


def find_obs_lint(override: Optional[str]) -> List[str]:
    if override:
        return override.split()
    here = Path(sys.executable).parent / "obs-lint"
    if here.exists():
        return [str(here)]
    found = shutil.which("obs-lint")
    return [found] if found else ["obs-lint"]


def interpreter_of(script: str) -> str:
    """The Python that runs a console script (from its shebang), else this one."""
    try:
        with open(script, "rb") as fh:
            first = fh.readline().decode(errors="replace").strip()
        if first.startswith("#!") and "python" in first:
            cand = first[2:].strip().split()[0]
            if os.path.exists(cand):
                return cand
    except OSError:
        pass
    return sys.executable


def ensure_peers(skip: bool) -> Tuple[Optional[List[str]], Optional[List[str]], str]:
    if skip:
        return None, None, "peers skipped (--skip)"
    py = PEERS / "bin" / "python"
    fixit, ruff = PEERS / "bin" / "fixit", PEERS / "bin" / "ruff"
    if not (fixit.exists() and ruff.exists()):
        log(f"creating peers venv {PEERS} ({FIXIT_SPEC}, {RUFF_SPEC})")
        if not py.exists():
            rc, _, err = sh([sys.executable, "-m", "venv", str(PEERS)])
            if rc != 0:
                return None, None, f"venv creation failed: {err.strip()[-300:]}"
        rc, _, err = sh([str(py), "-m", "pip", "install", "--quiet", FIXIT_SPEC, RUFF_SPEC], timeout=900)
        if rc != 0:
            errs = "\n".join(ln for ln in err.splitlines() if "is ignored" not in ln)
            return ([str(fixit)] if fixit.exists() else None, [str(ruff)] if ruff.exists() else None,
                    f"pip install of peers failed: {errs.strip()[-300:]}")
    return ([str(fixit)] if fixit.exists() else None, [str(ruff)] if ruff.exists() else None, "")


def ensure_more_peers() -> Tuple[Optional[List[str]], Optional[List[str]], str]:
    """ast-grep (required for the single-rule target) and semgrep (if it installs) in the
    peers venv."""
    py = PEERS / "bin" / "python"
    astgrep, semgrep = PEERS / "bin" / "ast-grep", PEERS / "bin" / "semgrep"
    notes = []
    for exe, spec in ((astgrep, ASTGREP_SPEC), (semgrep, SEMGREP_SPEC)):
        if exe.exists() or not py.exists():
            continue
        log(f"installing {spec} into {PEERS}")
        rc, _, err = sh([str(py), "-m", "pip", "install", "--quiet", spec], timeout=900)
        if rc != 0:
            errs = "\n".join(ln for ln in err.splitlines() if "is ignored" not in ln)
            notes.append(f"pip install {spec} failed: {errs.strip()[-200:]}")
    return ([str(astgrep)] if astgrep.exists() else None,
            [str(semgrep)] if semgrep.exists() else None, "; ".join(notes))


def tool_versions(tools: Tools) -> Dict[str, str]:
    v: Dict[str, str] = {}
    rc, out, err = sh(tools.obs_lint + ["--version"], timeout=60)
    v["obs-lint"] = (out or err).strip().splitlines()[-1] if rc == 0 and (out or err).strip() else "unavailable"
    if v["obs-lint"] == "unavailable":
        rc, out, _ = sh([tools.obs_python, "-c", "import importlib.metadata as m; print(m.version('obs-lint'))"])
        if rc == 0:
            v["obs-lint"] = out.strip() + " (package metadata; `obs-lint --version` failed)"
    rc, out, _ = sh([tools.obs_python, "-c", "import importlib.metadata as m; print(m.version('libcst'))"])
    v["libcst"] = out.strip() if rc == 0 else "unavailable"
    if tools.fixit:
        rc, out, _ = sh(tools.fixit + ["--version"])
        v["fixit"] = out.strip().split()[-1] if rc == 0 and out.strip() else "unavailable"
        rc, out, _ = sh([str(PEERS / "bin" / "python"), "-c",
                         "import importlib.metadata as m; print(m.version('libcst'))"])
        if rc == 0:
            v["libcst (peers venv)"] = out.strip()
    if tools.ruff:
        rc, out, _ = sh(tools.ruff + ["--version"])
        v["ruff"] = out.strip().split()[-1] if rc == 0 and out.strip() else "unavailable"
    if tools.astgrep:
        rc, out, _ = sh(tools.astgrep + ["--version"])
        v["ast-grep"] = out.strip().split()[-1] if rc == 0 and out.strip() else "unavailable"
    if tools.semgrep:
        rc, out, _ = sh(tools.semgrep + ["--version"], timeout=120)
        v["semgrep"] = out.strip().splitlines()[-1] if rc == 0 and out.strip() else "unavailable"
    return v


# --------------------------------------------------------------------------------------------
# Corpora
# --------------------------------------------------------------------------------------------


@dataclass
class Corpus:
    name: str
    root: Path
    kind: str  # generated | wheels | real
    stats: Dict[str, Any] = field(default_factory=dict)
    touch_file: Optional[Path] = None
    error: str = ""


def _file_stats(root: Path) -> Dict[str, Any]:
    files = lines = nbytes = obs = 0
    rx = re.compile(rb"mlflow|opik|ragas|trace_agent", re.IGNORECASE)
    for p in root.rglob("*.py"):
        data = p.read_bytes()
        files += 1
        nbytes += len(data)
        lines += data.count(b"\n")
        obs += bool(rx.search(data))
    yaml = sum(1 for _ in root.rglob("*.yaml")) + sum(1 for _ in root.rglob("*.yml"))
    sql = sum(1 for _ in root.rglob("*.sql"))
    return {"py_files": files, "py_lines": lines, "py_bytes": nbytes, "obs_files": obs,
            "obs_pct": round(100.0 * obs / max(files, 1), 1), "yaml_files": yaml, "sql_files": sql}


def _stamp_ok(stamp: Path, want: Dict[str, Any]) -> bool:
    try:
        return json.loads(stamp.read_text()) == want
    except (OSError, ValueError):
        return False


def ensure_generated(quick: bool, seed: int) -> Corpus:
    name = "quick" if quick else "generated"
    root = CORPORA / name
    params = dict(GEN_QUICK if quick else GEN_FULL)
    gen = BENCH / "gen_corpus.py"
    import hashlib

    want = {"seed": seed, **params, "generator_sha256": hashlib.sha256(gen.read_bytes()).hexdigest()}
    stamp = CORPORA / f"{name}.stamp.json"
    c = Corpus(name, root, "generated")
    if not (root.is_dir() and _stamp_ok(stamp, want)):
        log(f"generating corpus {root} (seed {seed}, {params['files']} files, {params['lines']} lines)")
        CORPORA.mkdir(parents=True, exist_ok=True)
        rc, out, err = sh([sys.executable, str(gen), str(root), "--seed", str(seed), "--files",
                           str(params["files"]), "--lines", str(params["lines"]), "--force"], timeout=900)
        if rc != 0:
            c.error = f"corpus generation failed: {err.strip()[-400:]}"
            return c
        log(out.strip().replace("\n", " | "))
        stamp.write_text(json.dumps(want))
    c.stats = _file_stats(root)
    c.touch_file = root / TOUCH_PREFERRED if (root / TOUCH_PREFERRED).exists() else next(
        iter(sorted(root.rglob("agent.py"))), None)
    return c


def ensure_wheels(quick: bool) -> Corpus:
    name = "wheels-quick" if quick else "wheels"
    specs = QUICK_WHEELS if quick else WHEELS
    root = CORPORA / name
    dl = CORPORA / ".wheel-downloads"
    stamp = CORPORA / f"{name}.stamp.json"
    want = {"wheels": specs}
    c = Corpus(name, root, "wheels")
    if not (root.is_dir() and _stamp_ok(stamp, want)):
        log(f"building real-wheel corpus {root} from {', '.join(specs)}")
        dl.mkdir(parents=True, exist_ok=True)
        pip_py = PEERS / "bin" / "python"
        pip_py = pip_py if pip_py.exists() else Path(sys.executable)
        rc, _, err = sh([str(pip_py), "-m", "pip", "download", "--quiet", "--no-deps", "--only-binary", ":all:",
                         "-d", str(dl), *specs], timeout=900)
        if rc != 0:
            errs = "\n".join(ln for ln in err.splitlines() if "is ignored" not in ln)
            c.error = f"pip download failed: {errs.strip()[-400:]}"
            return c
        if root.exists():
            shutil.rmtree(root)
        root.mkdir(parents=True)
        for spec in specs:
            dist, ver = spec.split("==")
            norm = dist.replace("-", "_")
            whl = next(iter(sorted(dl.glob(f"{norm}-{ver}-*.whl"))), None)
            if whl is None:
                c.error = f"wheel for {spec} not found in {dl}"
                return c
            with zipfile.ZipFile(whl) as zf:
                for info in zf.infolist():
                    if info.filename.endswith(".py") and ".dist-info/" not in info.filename:
                        target = root / dist / info.filename
                        target.parent.mkdir(parents=True, exist_ok=True)
                        target.write_bytes(zf.read(info))
        (root / ".obs-lint.yaml").write_text("# obs-lint configuration for the real-wheel corpus\npacks: [e2i]\n")
        (root / "pyproject.toml").write_text('[project]\nname = "obs-lint-bench-wheels"\nversion = "0"\n')
        stamp.write_text(json.dumps(want))
    c.stats = _file_stats(root)
    c.stats["wheels"] = specs
    for p in sorted(root.rglob("*.py")):
        data = p.read_bytes()
        if b"import mlflow" in data and data.count(b"\n") > 50:
            c.touch_file = p
            break
    return c


def ensure_real(source: Path) -> Corpus:
    """A private copy of a real checkout (``--real PATH``), so that the touched file and the
    cache never land in the user's tree: its Python, YAML, SQL and TOML files, with their
    modification times, minus any ``.obs-lint-cache``."""
    root = CORPORA / "real"
    c = Corpus("real", root, "real")
    if not source.is_dir():
        c.error = f"{source} is not a directory"
        return c
    if root.exists():
        shutil.rmtree(root)
    shutil.copytree(source, root, ignore=shutil.ignore_patterns(".obs-lint-cache", ".git",
                                                                "__pycache__"))
    c.stats = _file_stats(root)
    c.stats["source"] = str(source)
    c.touch_file = root / TOUCH_PREFERRED if (root / TOUCH_PREFERRED).exists() else next(
        iter(sorted(root.rglob("agent.py"))), None)
    return c


# --------------------------------------------------------------------------------------------
# Measurement
# --------------------------------------------------------------------------------------------


@dataclass
class Sample:
    rc: int
    ok: bool
    wall_s: float
    user_s: float
    sys_s: float
    maxrss_kb: int
    tree_peak_kb: int
    note: str = ""


class Runner:
    def __init__(self, tools: Tools, corpus: Corpus, timeout: float, tmp: Path) -> None:
        self.t = tools
        self.c = corpus
        self.timeout = timeout
        self.tmp = tmp
        self.samples: Dict[str, List[Sample]] = {s: [] for s in SCENARIOS}
        self.skip: Dict[str, str] = {}
        self.notes: List[str] = []
        self.obs_stats: Dict[str, Any] = {}
        self.obs_findings: Optional[int] = None
        self.peer_findings: Dict[str, Optional[int]] = {}
        self.extra_findings: Dict[str, int] = {}
        self.contracts_stats: Dict[str, Any] = {}
        self.floor_list = tmp / f"{corpus.name}-floor-paths.txt"
        self.floor_source = ""
        self.floor_info: Dict[str, Any] = {}
        self.jobs = os.cpu_count() or 1
        self.fail_streak: Dict[str, int] = {s: 0 for s in SCENARIOS}
        self._touch_orig: Optional[bytes] = None
        self._touch_stat: Optional[os.stat_result] = None
        self._n = 0
        self.cpu_spent = 0.0  # CPU seconds of every measured command, warm-ups included

    # -- commands -----------------------------------------------------------------------------
    def check_cmd(self, *extra: str) -> List[str]:
        return self.t.obs_lint + ["check", ".", "--pack", "e2i", "--format", "json", "--exit-zero", *extra]

    def command(self, scen: str) -> Optional[List[str]]:
        if scen in ("obs_cold", "obs_warm", "obs_touch"):
            return self.check_cmd()
        if scen == "obs_jobs1":
            return self.check_cmd("--jobs", "1", "--no-cache")
        if scen == "obs_jobs2":
            return self.check_cmd("--jobs", "2", "--no-cache")
        if scen == "obs_select":
            return self.check_cmd("--select", SELECT_RULE, "--no-cache")
        if scen == "obs_contracts":
            return self.check_cmd("--extend-pack", "contracts", "--no-cache")
        if scen == "astgrep" and self.t.astgrep:
            return self.t.astgrep + ["scan", "--rule", str(BENCH / "ast_grep_rule.yml"),
                                     "--json=compact", str(self.c.root)]
        if scen == "semgrep" and self.t.semgrep:
            return self.t.semgrep + ["scan", "--config", str(BENCH / "semgrep_rule.yml"), "--json",
                                     "--metrics=off", "--disable-version-check", "--quiet",
                                     "--no-git-ignore", str(self.c.root)]
        if scen == "floor":
            return [self.t.obs_python, str(BENCH / "parse_floor.py"), "--jobs", str(self.jobs),
                    "--paths-file", str(self.floor_list)]
        if scen == "fixit" and self.t.fixit:
            return self.t.fixit + ["--config-file", str(BENCH / "fixit.toml"), "lint", str(self.c.root)]
        if scen == "ruff" and self.t.ruff:
            return self.t.ruff + ["check", "--no-cache", "--config", str(BENCH / "ruff.toml"),
                                  "--output-format", "json", "--exit-zero", str(self.c.root)]
        return None

    def ok_rc(self, scen: str, rc: int) -> bool:
        # fixit: bit 1 = violations, bit 2 = files it failed on (noted in the results)
        if scen in ("astgrep", "semgrep"):
            return rc in (0, 1)  # 1: it found error-severity matches
        return rc in ((0, 1, 2, 3) if scen == "fixit" else (0,))

    def measure(self, scen: str, cmd: List[str]) -> Tuple[Sample, Path, Path]:
        self._n += 1
        out = self.tmp / f"{self.c.name}-{scen}-{self._n}.out"
        err = self.tmp / f"{self.c.name}-{scen}-{self._n}.err"
        rc, res, werr = sh([sys.executable, str(BENCH / "_measure.py"), "--cwd", str(self.c.root), "--stdout",
                            str(out), "--stderr", str(err), "--timeout", str(self.timeout), "--", *cmd],
                           timeout=self.timeout + 60)
        try:
            d = json.loads(res.strip().splitlines()[-1])
        except (ValueError, IndexError):
            return Sample(127, False, 0.0, 0.0, 0.0, 0, 0, f"wrapper failed: {werr.strip()[-200:]}"), out, err
        self.cpu_spent += d["user_s"] + d["sys_s"]
        ok = self.ok_rc(scen, d["rc"]) and not d["timed_out"]
        note = ""
        if not ok:
            tail = err.read_text(errors="replace").strip().splitlines()[-1:] if err.exists() else []
            note = ("timed out" if d["timed_out"] else f"exit {d['rc']}") + (f": {tail[0][:160]}" if tail else "")
        return Sample(d["rc"], ok, d["wall_s"], d["user_s"], d["sys_s"], d["maxrss_kb"], d["tree_peak_kb"], note), out, err

    # -- obs-lint output ------------------------------------------------------------------------
    def read_obs_json(self, out: Path) -> None:
        try:
            doc = json.loads(out.read_text())
        except (OSError, ValueError):
            return
        if not isinstance(doc, dict):
            if isinstance(doc, list):
                self.obs_findings = len(doc)
            return
        stats = doc.get("stats")
        if isinstance(stats, dict):
            self.obs_stats = {k: v for k, v in stats.items() if k != "parsed_paths"}
            self.obs_stats["_parsed_paths"] = stats.get("parsed_paths")
        for key in ("findings", "results", "diagnostics"):
            if isinstance(doc.get(key), list):
                self.obs_findings = len(doc[key])
                break

    def prepare_floor_list(self) -> None:
        paths = self.obs_stats.get("_parsed_paths")
        if isinstance(paths, list) and paths:
            resolved = [str((self.c.root / p).resolve()) if not os.path.isabs(p) else p for p in paths]
            self.floor_list.write_text("\n".join(resolved) + "\n")
            self.floor_source = f"the {len(resolved)} files obs-lint reported in `stats.parsed_paths`"
            return
        # obs-lint's own prefilter, asked through its API (bench/parsed_paths.py): exactly the
        # Python files a cold check hands to libcst
        rc, out, err = sh([self.t.obs_python, str(BENCH / "parsed_paths.py"), str(self.c.root),
                           "--pack", "e2i"], timeout=600)
        chosen = [ln for ln in out.splitlines() if ln.strip()]
        if rc == 0 and chosen:
            self.floor_list.write_text("\n".join(chosen) + "\n")
            self.floor_source = (f"the {len(chosen)} `.py` files obs-lint's prefilter hands to libcst "
                                 "(`bench/parsed_paths.py`)")
            return
        if rc != 0:
            self.notes.append(f"bench/parsed_paths.py failed (exit {rc}: "
                              f"{(err.strip().splitlines() or ['?'])[-1][:160]}); floor list from grep")
        rx = re.compile(FALLBACK_GREP)
        chosen = [str(p) for p in sorted(self.c.root.rglob("*.py")) if rx.search(p.read_bytes())]
        self.floor_list.write_text("\n".join(chosen) + "\n")
        n_parsed = self.obs_stats.get("files_parsed")
        extra = f" (obs-lint reported files_parsed={n_parsed})" if n_parsed is not None else ""
        self.floor_source = (f"the {len(chosen)} `.py` files whose bytes match `{FALLBACK_GREP.decode()}`: "
                             f"obs-lint did not report `stats.parsed_paths`{extra}")

    # -- touch ----------------------------------------------------------------------------------
    def touch(self, round_no: int) -> None:
        f = self.c.touch_file
        assert f is not None
        self._touch_orig = f.read_bytes()
        self._touch_stat = f.stat()
        # crash insurance: recover_touch() restores this if the run dies before untouch()
        TOUCH_BACKUP.write_bytes(self._touch_orig)
        TOUCH_BACKUP.with_suffix(".path").write_text(str(f))
        with open(f, "ab") as fh:
            fh.write(f"# bench touch {round_no}\n".encode())

    def untouch(self) -> None:
        f = self.c.touch_file
        if f is not None and self._touch_orig is not None:
            f.write_bytes(self._touch_orig)
            assert self._touch_stat is not None
            os.utime(f, ns=(self._touch_stat.st_atime_ns, self._touch_stat.st_mtime_ns))
            self._touch_orig = None
            TOUCH_BACKUP.unlink(missing_ok=True)
            TOUCH_BACKUP.with_suffix(".path").unlink(missing_ok=True)

    # -- scenarios --------------------------------------------------------------------------------
    def run_one(self, scen: str, round_no: int, record: bool = True) -> Optional[Sample]:
        if scen in self.skip:
            return None
        cmd = self.command(scen)
        if cmd is None:
            self.skip[scen] = "peer not installed" if scen in PEER_SCENARIOS else "no command"
            return None
        if scen == "obs_cold":
            rc, _, err = sh(self.t.obs_lint + ["cache", "clear"], cwd=self.c.root, timeout=120)
            cache = self.c.root / ".obs-lint-cache"
            if rc != 0:
                if cache.exists():
                    shutil.rmtree(cache, ignore_errors=True)
                msg = (err.strip().splitlines() or ["?"])[-1][:160]
                note = f"`obs-lint cache clear` failed (exit {rc}: {msg}); removed .obs-lint-cache/ by hand"
                if note not in self.notes:
                    self.notes.append(note)
        if scen == "obs_touch":
            if self.c.touch_file is None:
                self.skip[scen] = "no file to touch"
                return None
            self.touch(round_no)
        try:
            s, out, _ = self.measure(scen, cmd)
        finally:
            if scen == "obs_touch":
                self.untouch()
        if s.ok and scen in ("obs_cold", "obs_warm", "obs_touch", "obs_jobs1", "obs_jobs2"):
            self.read_obs_json(out)
        if s.ok and scen in ("obs_select", "obs_contracts"):
            try:
                doc = json.loads(out.read_text())
                self.extra_findings[scen] = len(doc.get("findings", []))
                if scen == "obs_contracts":
                    st = doc.get("stats") or {}
                    self.contracts_stats = {k: v for k, v in st.items() if k != "parsed_paths"}
            except (OSError, ValueError, AttributeError):
                pass
        if s.ok and scen == "astgrep":
            try:
                self.peer_findings["ast-grep"] = len(json.loads(out.read_text() or "[]"))
            except ValueError:
                pass
        if s.ok and scen == "semgrep":
            try:
                self.peer_findings["semgrep"] = len(json.loads(out.read_text()).get("results", []))
            except (ValueError, AttributeError):
                pass
        if s.ok and scen == "fixit":
            text = out.read_text(errors="replace")
            self.peer_findings["fixit"] = text.count("NoRawMlflowImport")
            if s.rc & 2:
                exc = [ln.strip() for ln in text.splitlines() if ": EXCEPTION: " in ln]
                example = f" ({len(exc)} file(s), e.g. `{exc[0][:160]}`)" if exc else ""
                note = (f"fixit exited {s.rc}: it reported errors on some files{example}; "
                        "its time still covers every file")
                if note not in self.notes:
                    self.notes.append(note)
        if s.ok and scen == "floor":
            try:
                self.floor_info = json.loads(out.read_text().strip().splitlines()[-1])
            except (ValueError, IndexError):
                pass
        if s.ok and scen == "ruff":
            try:
                self.peer_findings["ruff"] = len(json.loads(out.read_text() or "[]"))
            except ValueError:
                pass
        if record:
            self.samples[scen].append(s)
            self.fail_streak[scen] = 0 if s.ok else self.fail_streak[scen] + 1
            if self.fail_streak[scen] >= 2:
                self.skip[scen] = f"failed twice in a row, skipped afterwards ({s.note})"
        status = f"{s.wall_s:.3f}s rss={s.maxrss_kb // 1024}MB tree={s.tree_peak_kb // 1024}MB" if s.ok else f"FAILED {s.note}"
        log(f"{self.c.name:>12} r{round_no} {scen:<9} {status}")
        return s

    def warmup(self, with_fixit: bool) -> None:
        log(f"{self.c.name}: warm-up (untimed): obs-lint, ruff{', fixit' if with_fixit else ''}")
        s = self.run_one("obs_cold", 0, record=False)
        if s is not None and not s.ok:
            self.notes.append(f"warm-up obs-lint run failed: {s.note}")
        self.prepare_floor_list()
        self.run_one("floor", 0, record=False)
        self.run_one("ruff", 0, record=False)
        self.run_one("astgrep", 0, record=False)
        if with_fixit:
            self.run_one("fixit", 0, record=False)

    slow_peer_rounds: Optional[int] = None  # fixit and semgrep only in the first N rounds

    def rounds(self, n: int) -> None:
        indep = ["obs_jobs1", "obs_jobs2", "obs_select", "obs_contracts", "floor", "fixit", "ruff",
                 "astgrep", "semgrep"]
        for i in range(1, n + 1):
            k = (i - 1) % len(indep)
            order = indep[k:] + indep[:k]
            pos = (i - 1) % (len(order) + 1)
            plan = order[:pos] + ["__cache_block__"] + order[pos:]
            for item in plan:
                if item == "__cache_block__":
                    for scen in ("obs_cold", "obs_warm", "obs_touch"):
                        self.run_one(scen, i)
                elif item in ("fixit", "semgrep") and self.slow_peer_rounds is not None \
                        and i > self.slow_peer_rounds:
                    continue
                else:
                    self.run_one(item, i)


# --------------------------------------------------------------------------------------------
# Reporting
# --------------------------------------------------------------------------------------------


def summarize(samples: List[Sample]) -> Dict[str, Any]:
    ok = [s for s in samples if s.ok]
    if not ok:
        return {"n": len(samples), "ok": 0}
    walls = [s.wall_s for s in ok]
    return {
        "n": len(samples), "ok": len(ok),
        "median": statistics.median(walls), "min": min(walls), "max": max(walls),
        "cpu_median": statistics.median(s.user_s + s.sys_s for s in ok),
        "maxrss_mb": max(s.maxrss_kb for s in ok) / 1024.0,
        "tree_mb": max(s.tree_peak_kb for s in ok) / 1024.0,
    }


def fmt_s(x: Optional[float]) -> str:
    return "—" if x is None else (f"{x:.3f}" if x < 10 else f"{x:.1f}")


def machine_info() -> Dict[str, str]:
    info: Dict[str, str] = {"cores (nproc)": str(os.cpu_count())}
    rc, out, _ = sh(["nproc"])
    if rc == 0:
        info["cores (nproc)"] = out.strip()
    try:
        cpu = Path("/proc/cpuinfo").read_text()
        m = re.search(r"^model name\s*:\s*(.+)$", cpu, re.M)
        info["cpu"] = m.group(1).strip() if m else platform.processor() or "unknown"
    except OSError:
        info["cpu"] = platform.processor() or "unknown"
    try:
        mem = Path("/proc/meminfo").read_text()
        m = re.search(r"^MemTotal:\s*(\d+)", mem, re.M)
        info["memory"] = f"{int(m.group(1)) / 1024 / 1024:.1f} GiB" if m else "unknown"
    except OSError:
        info["memory"] = "unknown"
    info["os"] = platform.platform()
    info["python"] = sys.version.split()[0] + f" ({sys.executable})"
    rc, out, _ = sh(["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"])
    info["obs-lint commit"] = out.strip() if rc == 0 else "(no commit)"
    rc, out, _ = sh(["git", "-C", str(REPO), "status", "--porcelain", "--untracked-files=no"])
    if rc == 0 and out.strip():
        info["obs-lint commit"] += " + uncommitted changes"
    info["date"] = _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    info["load average at start (1/5/15 min)"] = _load()
    return info


def _load() -> str:
    try:
        return " / ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        return "unknown"


def cpu_busy_s() -> float:
    """Seconds of CPU the whole machine has spent busy (all processes, all cores), from /proc/stat."""
    try:
        with open("/proc/stat") as fh:
            f = [int(x) for x in fh.readline().split()[1:]]
        # user nice system idle iowait irq softirq steal ...
        return (f[0] + f[1] + f[2] + f[5] + f[6] + (f[7] if len(f) > 7 else 0)) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return -1.0


def busy_warning(minfo: Dict[str, str], foreign_pct: Optional[float]) -> Optional[str]:
    """A warning if the machine was not idle (other processes competed for the cores)."""
    cores = os.cpu_count() or 1
    try:
        load1 = float(minfo.get("load average at start (1/5/15 min)", "0").split("/")[0])
    except ValueError:
        load1 = 0.0
    # the CPU other processes used *during* the run decides when it was measured; the load
    # average at start (a decaying average of the past minute) is only the fallback
    busy = foreign_pct > 10.0 if foreign_pct is not None else load1 > 0.5 * cores
    if busy:
        what = f"other processes used {foreign_pct:.0f}% of the machine's CPU during the run" \
            if foreign_pct is not None else "the machine was busy"
        return (f"**Warning: not an idle machine.** {what} (1-minute load average {load1:.2f} at start, "
                f"{cores} cores), so wall times are inflated and noisy; CPU seconds are less affected. "
                "Re-run on an idle machine before comparing with the targets.")
    return None


def evaluate(r: Runner) -> Tuple[Dict[str, Optional[float]], List[Tuple[str, str, str, str]]]:
    S = {k: summarize(v) for k, v in r.samples.items()}
    med = {k: S[k].get("median") for k in SCENARIOS}

    def ratio(a: str, b: str) -> Optional[float]:
        return med[a] / med[b] if med.get(a) and med.get(b) else None

    ratios = {
        "obs-lint/fixit": ratio("obs_cold", "fixit"),
        "obs-lint/ruff": ratio("obs_cold", "ruff"),
        "obs-lint/semgrep": ratio("obs_cold", "semgrep"),
        f"obs-lint --select {SELECT_RULE} / ast-grep": ratio("obs_select", "astgrep"),
        f"obs-lint --select {SELECT_RULE} / ruff": ratio("obs_select", "ruff"),
        "jobs1/jobs2": ratio("obs_jobs1", "obs_jobs2"),
        "cold/floor": ratio("obs_cold", "floor"),
    }
    # the e2i-pack scenarios (the contracts scenario reads another rule set; shown on its row)
    e2i = [k for k in OBS if k != "obs_contracts"]
    obs_rss = [S[k]["maxrss_mb"] for k in e2i if S[k].get("ok")]
    obs_tree = [S[k]["tree_mb"] for k in e2i if S[k].get("ok")]
    peak = max(obs_rss) if obs_rss else None
    tree = max(obs_tree) if obs_tree else None

    def mark(val: Optional[float], ok: Optional[bool]) -> str:
        return "n/a (not measured)" if val is None else ("✅ met" if ok else "❌ missed")

    t: List[Tuple[str, str, str, str]] = []
    if r.c.kind == "generated":
        v = med["obs_cold"]
        t.append(("cold ≤ 6 s", "6 s", fmt_s(v) + " s" if v else "—", mark(v, v is not None and v <= 6.0)))
        x = ratios["obs-lint/fixit"]
        t.append(("cold ≥ 20× faster than fixit's single rule", "obs-lint/fixit ≤ 0.05",
                  f"{x:.4f} (fixit {1 / x:.1f}× slower)" if x else "—", mark(x, x is not None and x <= 0.05)))
        v = med["obs_warm"]
        t.append(("warm (nothing changed) ≤ 0.5 s", "0.5 s", fmt_s(v) + " s" if v else "—",
                  mark(v, v is not None and v <= 0.5)))
        v = med["obs_touch"]
        t.append(("one file changed ≤ 0.7 s", "0.7 s", fmt_s(v) + " s" if v else "—",
                  mark(v, v is not None and v <= 0.7)))
        t.append(("peak RSS ≤ 300 MB (largest process, any obs-lint scenario)", "300 MB",
                  f"{peak:.0f} MB (whole tree {tree:.0f} MB)" if peak else "—",
                  mark(peak, peak is not None and peak <= 300)))
        x = ratios["jobs1/jobs2"]
        t.append(("`--jobs 2` cold ≥ 1.6× faster than `--jobs 1`", "jobs1/jobs2 ≥ 1.6",
                  f"{x:.2f}" if x else "—", mark(x, x is not None and x >= 1.6)))
    elif r.c.kind == "real":
        def secs(key: str, limit: float, what: str) -> None:
            v = med[key]
            t.append((f"{what} ≤ {limit:g} s", f"{limit:g} s", fmt_s(v) + " s" if v else "—",
                      mark(v, v is not None and v <= limit)))

        secs("obs_cold", 4.5, "cold (cache cleared, full `e2i` pack)")
        secs("obs_warm", 0.3, "warm (nothing changed)")
        secs("obs_touch", 0.5, "one file changed")
        x = ratios[f"obs-lint --select {SELECT_RULE} / ast-grep"]
        t.append((f"single-rule cold (`--select {SELECT_RULE}`) ≤ 2× ast-grep's",
                  "ratio ≤ 2", f"{x:.2f}" if x else "—", mark(x, x is not None and x <= 2.0)))
        t.append(("peak RSS ≤ 300 MB (largest process, `e2i`-pack scenarios)", "300 MB",
                  f"{peak:.0f} MB (whole tree {tree:.0f} MB)" if peak else "—",
                  mark(peak, peak is not None and peak <= 300)))
        secs("obs_contracts", 6.0, "cold with `--extend-pack contracts`")
        c = S["obs_contracts"]
        if c.get("ok"):
            t.append(("(reported) peak RSS with `--extend-pack contracts`", "—",
                      f"{c['maxrss_mb']:.0f} MB", "—"))
    else:
        x = ratios["cold/floor"]
        t.append(("cold within 1.5× of the jobs-scaled libcst parse floor", "cold/floor ≤ 1.5",
                  f"{x:.2f}" if x else "—", mark(x, x is not None and x <= 1.5)))
    return ratios, t


def parsed_share(stats: Dict[str, Any]) -> Optional[Tuple[float, float]]:
    """(files parsed / discovered, lines parsed / discovered) from obs-lint's JSON ``stats``."""
    try:
        return (stats["files_parsed"] / stats["files_discovered"],
                stats["lines_parsed"] / stats["lines_discovered"])
    except (KeyError, TypeError, ZeroDivisionError):
        return None


def calibration_rows(gen: "Runner", real: "Runner") -> List[Tuple[str, str, str, str]]:
    """The generated corpus parses the same share of files and lines as the real tree (±20%)."""
    g, rl = parsed_share(gen.obs_stats), parsed_share(real.obs_stats)
    if g is None or rl is None:
        return [("generated corpus's parsed share within 20% of the real tree's", "±20%", "—",
                 "n/a (not measured)")]
    rows = []
    for i, what in enumerate(("files", "lines")):
        dev = g[i] / rl[i] - 1 if rl[i] else float("inf")
        rows.append((f"generated corpus parses the real tree's share of {what} (±20%)", "±20%",
                     f"{100 * g[i]:.1f}% vs {100 * rl[i]:.1f}% ({100 * dev:+.0f}%)",
                     "✅ met" if abs(dev) <= 0.2 else "❌ missed"))
    return rows


def render(results: List[Tuple[Runner, Dict[str, Any]]], tools: Tools, args: argparse.Namespace,
           minfo: Dict[str, str]) -> str:
    L: List[str] = ["# obs-lint benchmark results", ""]
    L.append(f"Generated by `python bench/run.py {' '.join(args.argv)}`".rstrip() + ". "
             "Medians over the rounds; all times are wall-clock seconds. "
             "See `bench/README.md` for what each scenario means.")
    warn = busy_warning(minfo, getattr(args, "foreign_pct", None))
    if warn:
        L += ["", warn]
    L += ["", "## Machine", "", "| | |", "|---|---|"]
    for k, v in minfo.items():
        L.append(f"| {k} | {v} |")
    for k, v in tools.versions.items():
        L.append(f"| {k} | {v} |")
    if tools.peers_error:
        L.append(f"| peers | {tools.peers_error} |")
    for r, extra in results:
        c = r.c
        st = c.stats
        L += ["", f"## Corpus `{c.name}`", ""]
        if c.error:
            L += [f"**Corpus unavailable:** {c.error}", ""]
            continue
        desc = (f"{st['py_files']} Python files, {st['py_lines']:,} lines, {st['py_bytes'] / 1e6:.1f} MB; "
                f"{st['obs_files']} files ({st['obs_pct']}%) mention mlflow/opik/ragas/trace_agent; "
                f"{st['yaml_files']} YAML, {st['sql_files']} SQL files.")
        if c.kind == "wheels":
            desc = f"Real third-party code, `.py` files of {', '.join(st['wheels'])}: " + desc
        elif c.kind == "real":
            desc = (f"The real tree `{st.get('source')}` (measured on a private copy, so the "
                    "touched file and the cache stay out of it): " + desc)
        else:
            desc = f"`bench/gen_corpus.py` (seed {args.seed}): " + desc
        L += [desc, ""]
        if r.obs_stats:
            shown = {k: v for k, v in r.obs_stats.items() if not k.startswith("_") and not isinstance(v, (list, dict))}
            L += ["obs-lint `stats`: " + ", ".join(f"`{k}`={v}" for k, v in shown.items()), ""]
        L += [f"Rounds: {args.runs}. Files touched by `obs_touch`: "
              f"`{c.touch_file.relative_to(c.root) if c.touch_file else '—'}`. "
              f"Floor parses {r.floor_source or '—'}, with {r.jobs} processes"
              + (f" ({r.floor_info.get('parsed')} parsed, {r.floor_info.get('errors')} parse errors, "
                 f"{r.floor_info.get('bytes', 0) / 1e6:.1f} MB)" if r.floor_info else "") + ".", ""]
        L += ["| scenario | runs ok | median s | min s | max s | CPU s (median) | peak RSS, largest process | peak RSS, whole tree (sampled) |",
              "|---|---|---|---|---|---|---|---|"]
        for scen in SCENARIOS:
            s = extra["summary"][scen]
            label = LABELS[scen]
            if scen in r.skip and not s.get("ok"):
                fails = [x.note for x in r.samples[scen] if not x.ok]
                why = fails[-1] if fails else r.skip[scen]
                L.append(f"| {label} | {s.get('ok', 0)}/{s.get('n', 0)} | **failed / skipped:** {why} | | | | | |")
                continue
            if not s.get("ok"):
                fails = [x.note for x in r.samples[scen] if not x.ok]
                L.append(f"| {label} | 0/{s.get('n', 0)} | **failed:** {fails[-1] if fails else 'not run'} | | | | | |")
                continue
            L.append(f"| {label} | {s['ok']}/{s['n']} | {fmt_s(s['median'])} | {fmt_s(s['min'])} | {fmt_s(s['max'])} | "
                     f"{fmt_s(s['cpu_median'])} | {s['maxrss_mb']:.0f} MB | {s['tree_mb']:.0f} MB |")
        ratios = extra["ratios"]
        L += ["", "| ratio (medians) | value |", "|---|---|"]
        for k, v in ratios.items():
            L.append(f"| {k} | {('%.4f' % v) if v is not None and v < 0.1 else ('%.2f' % v if v is not None else '—')} |")
        if r.contracts_stats:
            shown = {k: v for k, v in r.contracts_stats.items() if not isinstance(v, (list, dict))}
            L += ["", "obs-lint `stats` with `--extend-pack contracts`: "
                  + ", ".join(f"`{k}`={v}" for k, v in shown.items())]
        fnd = [f"obs-lint {r.obs_findings}" if r.obs_findings is not None else None]
        fnd += [f"obs-lint {LABELS[k].split('`')[1]} {v}" for k, v in r.extra_findings.items()]
        fnd += [f"{k} {v}" for k, v in r.peer_findings.items() if v is not None]
        fnd = [x for x in fnd if x]
        if fnd:
            L += ["", "Findings reported (sanity check, last successful run): " + ", ".join(fnd)
                  + " (the peers count raw `mlflow` imports only, without E2I201's exemptions; "
                    "obs-lint runs the whole `e2i` pack)."]
        L += ["", "| target | threshold | measured | status |", "|---|---|---|---|"]
        for row in extra["targets"]:
            L.append("| " + " | ".join(row) + " |")
        if c.kind == "wheels":
            L += ["", "Wheel-corpus times are reported as they are; the only target here is the floor ratio."]
        if r.notes:
            L += ["", "Notes:"] + [f"- {n}" for n in r.notes]
    L += ["", "Ratios: obs-lint/fixit = median(obs_cold) / median(fixit); obs-lint/ruff = median(obs_cold) / "
          "median(ruff); obs-lint/semgrep likewise; `--select` ratios = median(obs_select) / median(peer); "
          "jobs1/jobs2 = median(obs_jobs1) / median(obs_jobs2); cold/floor = median(obs_cold) / "
          "median(floor).", ""]
    notes = BENCH / "PROFILE.md"  # hand-written: what the profiles showed (kept across runs)
    if notes.exists():
        L += [notes.read_text().rstrip(), ""]
    return "\n".join(L)


def recover_touch() -> None:
    """Undo a touch left behind by a run killed between Runner.touch and Runner.untouch."""
    path_file = TOUCH_BACKUP.with_suffix(".path")
    if TOUCH_BACKUP.exists() and path_file.exists():
        target = Path(path_file.read_text().strip())
        if target.exists():
            target.write_bytes(TOUCH_BACKUP.read_bytes())
            log(f"restored {target} from an interrupted run")
    TOUCH_BACKUP.unlink(missing_ok=True)
    path_file.unlink(missing_ok=True)


def main(argv: Optional[List[str]] = None) -> int:
    raw = list(sys.argv[1:] if argv is None else argv)
    ap = argparse.ArgumentParser(description="obs-lint benchmark (see bench/README.md)")
    ap.add_argument("--corpus", choices=["generated", "wheels", "both"], default="generated")
    ap.add_argument("--runs", type=int, default=5, help="timed rounds (default 5)")
    ap.add_argument("--quick", action="store_true", help="1 round, small corpora, results to bench/.results/")
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--obs-lint", help="command to run obs-lint (default: the one next to this Python)")
    ap.add_argument("--skip", default="", help=f"comma-separated scenarios to skip: {','.join(SCENARIOS)}")
    ap.add_argument("--wheels-skip", default="fixit",
                    help="scenarios skipped on the real-wheel corpus only (default: fixit, which "
                         "takes many minutes a round there and has no target on that corpus; "
                         "pass '' to run it)")
    ap.add_argument("--timeout", type=float, default=1200.0, help="per-command timeout, seconds")
    ap.add_argument("--warmup-fixit", action="store_true", help="also run fixit once untimed before the rounds")
    ap.add_argument("--output", type=Path, help="Markdown output (default bench/RESULTS.md)")
    ap.add_argument("--real", type=Path, metavar="PATH",
                    help="also measure a real checkout (e.g. the E2I tree), on a private copy; "
                         "its targets are the ones the README quotes first")
    ap.add_argument("--slow-peer-rounds", type=int, default=None, metavar="N",
                    help="run fixit and semgrep (minutes a round on a large tree) in the first N "
                         "rounds only; their medians are then of N samples (the table says so)")
    ap.add_argument("--generated-skip", default="",
                    help="scenarios skipped on the generated corpus only")
    ap.add_argument("--real-skip", default="",
                    help="scenarios skipped on the real tree only (e.g. 'fixit,semgrep')")
    args = ap.parse_args(raw)
    args.argv = raw
    if args.quick:
        args.runs = 1
    skip = {s.strip() for s in args.skip.split(",") if s.strip()}
    wheels_skip = {s.strip() for s in args.wheels_skip.split(",") if s.strip()}
    real_skip = {s.strip() for s in args.real_skip.split(",") if s.strip()}
    gen_skip = {s.strip() for s in args.generated_skip.split(",") if s.strip()}
    bad = (skip | wheels_skip | real_skip | gen_skip) - set(SCENARIOS)
    if bad:
        ap.error(f"unknown scenario(s) in --skip: {', '.join(sorted(bad))}")
    out_md = args.output or (RESULTS_DIR / "RESULTS-quick.md" if args.quick else BENCH / "RESULTS.md")

    recover_touch()
    # Measure tools as installed for real use: with bytecode caching. Some sandboxes export
    # PYTHONDONTWRITEBYTECODE=1, which makes every run of an editable (source) install recompile
    # its modules (~0.1 s per start), a cost no user of a wheel pays.
    if os.environ.pop("PYTHONDONTWRITEBYTECODE", None) is not None:
        log("unset PYTHONDONTWRITEBYTECODE for the measured commands (bytecode caching on)")
    obs_cmd = find_obs_lint(args.obs_lint)
    tools = Tools(obs_lint=obs_cmd, obs_python=interpreter_of(obs_cmd[0]))
    tools.fixit, tools.ruff, tools.peers_error = ensure_peers(skip >= {"fixit", "ruff"})
    if not skip >= {"astgrep", "semgrep"}:
        tools.astgrep, tools.semgrep, more = ensure_more_peers()
        if more:
            tools.peers_error = "; ".join(x for x in (tools.peers_error, more) if x)
    tools.versions = tool_versions(tools)
    log("versions: " + ", ".join(f"{k} {v}" for k, v in tools.versions.items()))
    rc, _, _ = sh([tools.obs_python, "-c", "import libcst"])
    if rc != 0:
        skip.add("floor")
        log(f"libcst is not importable by {tools.obs_python}: floor skipped")

    corpora: List[Corpus] = []
    if args.corpus in ("generated", "both"):
        corpora.append(ensure_generated(args.quick, args.seed))
    if args.corpus in ("wheels", "both"):
        corpora.append(ensure_wheels(args.quick))
    if args.real:
        corpora.insert(0, ensure_real(args.real.resolve()))

    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix="run-", dir=RESULTS_DIR))
    minfo = machine_info()
    minfo["bytecode caching"] = ("on (`PYTHONDONTWRITEBYTECODE` unset for the measured commands, "
                                 "as in a normal install)")
    results: List[Tuple[Runner, Dict[str, Any]]] = []
    wall0, busy0 = time.monotonic(), cpu_busy_s()
    try:
        for c in corpora:
            r = Runner(tools, c, args.timeout, tmp)
            r.slow_peer_rounds = args.slow_peer_rounds
            for s in skip:
                r.skip[s] = "skipped (--skip)"
            if c.kind == "wheels":
                for s in wheels_skip:
                    r.skip.setdefault(s, "skipped on this corpus (--wheels-skip)")
            if c.kind == "real":
                for s in real_skip:
                    r.skip.setdefault(s, "skipped on this corpus (--real-skip)")
            if c.kind == "generated":
                for s in gen_skip:
                    r.skip.setdefault(s, "skipped on this corpus (--generated-skip)")
            if not c.error:
                log(f"corpus {c.name}: {c.stats}")
                r.warmup(args.warmup_fixit)
                r.rounds(args.runs)
            summary = {k: summarize(v) for k, v in r.samples.items()}
            ratios, targets = evaluate(r)
            results.append((r, {"summary": summary, "ratios": ratios, "targets": targets}))
    finally:
        for r, _ in results:
            r.untouch()
    gens = [r for r, _ in results if r.c.kind == "generated"]
    reals = [(r, e) for r, e in results if r.c.kind == "real"]
    if gens and reals:
        reals[0][1]["targets"].extend(calibration_rows(gens[0], reals[0][0]))
    minfo["load average at end (1/5/15 min)"] = _load()
    args.foreign_pct = None
    busy1 = cpu_busy_s()
    if busy0 >= 0 and busy1 >= 0:
        ours = sum(r.cpu_spent for r, _ in results)
        span = (time.monotonic() - wall0) * (os.cpu_count() or 1)
        args.foreign_pct = max(0.0, busy1 - busy0 - ours) / span * 100.0 if span > 0 else None
        if args.foreign_pct is not None:
            minfo["CPU used by other processes during the run"] = (
                f"{args.foreign_pct:.0f}% of {os.cpu_count()} cores (machine busy time minus the measured commands')")
    md = render(results, tools, args, minfo)
    out_md.parent.mkdir(parents=True, exist_ok=True)
    out_md.write_text(md)
    raw_json = out_md.with_suffix(".json")
    raw_json.write_text(json.dumps({
        "machine": minfo, "versions": tools.versions, "args": raw,
        "corpora": [{
            "name": r.c.name, "stats": r.c.stats, "error": r.c.error,
            "obs_stats": {k: v for k, v in r.obs_stats.items() if not k.startswith("_")},
            "floor_source": r.floor_source, "floor_info": r.floor_info, "notes": r.notes, "skip": r.skip,
            "summary": e["summary"], "ratios": e["ratios"], "targets": e["targets"],
            "samples": {k: [s.__dict__ for s in v] for k, v in r.samples.items()},
        } for r, e in results],
    }, indent=1, default=str))
    shutil.rmtree(tmp, ignore_errors=True)
    print(md)
    log(f"wrote {out_md} and {raw_json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
