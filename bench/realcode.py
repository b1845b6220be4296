"""Run the `e2i` pack on real checkouts of the E2I codebase and compare with the target verdicts.

CI cannot fetch the E2I repository, so runs on the real code live here (the tests use
fixtures written for this project). Two ways to give the code:

    # extract commits from a clone (or a bare git directory) into a scratch folder first
    python bench/realcode.py --git /path/to/e2i_causal_analytics/.git \
        --commit old=90fb5c1d --commit new=49fe27aa --verdicts docs/e2i-verdicts.yaml

    # or name trees that are already extracted
    python bench/realcode.py --tree old=/tmp/e2i_old --tree new=/tmp/e2i_new \
        --verdicts docs/e2i-verdicts.yaml --out-dir /tmp/e2i-reports

Only the folders the pack reads are extracted (``src config database tests scripts`` and
``pyproject.toml``), with ``git archive``, into ``--scratch`` (default: a folder under the
system temporary directory), never into this repository: the E2I code has no licence.

For each tree the pack runs as a user would (``obs-lint check TREE --pack e2i --no-cache
--format json``); the script prints one row per rule (status per tree, the target verdict, and
``!`` where they differ) and exits 1 when any rule differs from its target. ``--out-dir`` also
writes each tree's Markdown report (``<label>.md``) and JSON (``<label>.json``): the audit
document ``docs/e2i-audit.md`` is made from them.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import yaml

FOLDERS = ("src", "config", "database", "tests", "scripts", "pyproject.toml")


def extract(git_dir: str, commit: str, scratch: Path) -> Path:
    """``git archive`` the pack's folders of ``commit`` into ``scratch/<commit>``."""
    dest = scratch / commit
    if (dest / ".complete").exists():
        return dest
    dest.mkdir(parents=True, exist_ok=True)
    listed = subprocess.run(["git", "--git-dir", git_dir, "ls-tree", "--name-only", commit],
                            check=True, capture_output=True, text=True).stdout.split()
    wanted = [f for f in FOLDERS if f in listed]
    archive = subprocess.Popen(["git", "--git-dir", git_dir, "archive", commit, *wanted],
                               stdout=subprocess.PIPE)
    subprocess.run(["tar", "-x", "-C", str(dest)], stdin=archive.stdout, check=True)
    if archive.wait() != 0:
        raise SystemExit(f"git archive {commit} failed")
    (dest / ".complete").write_text(commit + "\n")
    return dest


def run_pack(tree: Path, pack: str, fmt: str) -> str:
    """The report of one run (the CLI, as a user runs it; nothing is written in the tree)."""
    cmd = [sys.executable, "-m", "obs_lint", "check", ".", "--pack", pack, "--no-cache",
           "--format", fmt, "--exit-zero"]
    done = subprocess.run(cmd, capture_output=True, text=True, cwd=tree)
    if done.returncode != 0:
        raise SystemExit(f"obs-lint failed on {tree} (exit {done.returncode}):\n{done.stderr}")
    return done.stdout


def statuses(report: dict) -> dict[str, dict]:
    out = {}
    for phase in report["phases"]:
        for check in phase["checks"]:
            out[check["code"]] = check
    return out


def mlflow_census(tree: Path, exclude: str = "src/mlops/mlflow_connector.py"
                  ) -> set[tuple[str, int]]:
    """An independent census of raw mlflow imports, with CPython's ``ast`` (not obs-lint's
    facts): every ``import mlflow[.x]`` / ``from mlflow[.x] import ...`` statement in a Python
    file outside the connector, one entry per statement. E2I201 must report exactly these."""
    import ast

    found: set[tuple[str, int]] = set()
    for path in sorted(tree.rglob("*.py")):
        rel = path.relative_to(tree).as_posix()
        if rel == exclude or "/." in f"/{rel}":
            continue
        try:
            mod = ast.parse(path.read_bytes())
        except (SyntaxError, ValueError):
            continue
        for node in ast.walk(mod):
            if isinstance(node, ast.Import):
                hit = any(a.name == "mlflow" or a.name.startswith("mlflow.") for a in node.names)
            elif isinstance(node, ast.ImportFrom):
                m = node.module or ""
                hit = node.level == 0 and (m == "mlflow" or m.startswith("mlflow."))
            else:
                continue
            if hit:
                found.add((rel, node.lineno))
    return found


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--git", help="git directory of an E2I clone (to extract --commit trees)")
    ap.add_argument("--commit", action="append", default=[], metavar="LABEL=SHA")
    ap.add_argument("--tree", action="append", default=[], metavar="LABEL=PATH")
    ap.add_argument("--scratch", default=os.path.join(tempfile.gettempdir(), "obs-lint-realcode"))
    ap.add_argument("--pack", default="e2i")
    ap.add_argument("--verdicts", help="YAML of target verdicts (docs/e2i-verdicts.yaml)")
    ap.add_argument("--out-dir", help="write <label>.json and <label>.md reports here")
    ap.add_argument("--only-differences", action="store_true")
    ap.add_argument("--audit-doc", help="write the audit document (Markdown) here; needs "
                    "--verdicts and the trees labelled as in it (old, new)")
    args = ap.parse_args(argv)

    trees: list[tuple[str, Path]] = []
    for item in args.tree:
        label, _, path = item.partition("=")
        trees.append((label, Path(path)))
    if args.commit:
        if not args.git:
            ap.error("--commit needs --git")
        for item in args.commit:
            label, _, sha = item.partition("=")
            trees.append((label, extract(args.git, sha, Path(args.scratch))))
    if not trees:
        ap.error("give --tree LABEL=PATH or --git DIR --commit LABEL=SHA")

    targets: dict = {}
    if args.verdicts:
        targets = yaml.safe_load(Path(args.verdicts).read_text())["rules"]
    results = {}
    reports = {}
    census_bad = False
    for label, tree in trees:
        text = run_pack(tree, args.pack, "json")
        report = json.loads(text)
        reports[label] = report
        results[label] = statuses(report)
        if args.out_dir:
            out = Path(args.out_dir)
            out.mkdir(parents=True, exist_ok=True)
            (out / f"{label}.json").write_text(text)
            (out / f"{label}.md").write_text(run_pack(tree, args.pack, "markdown"))
        if args.pack == "e2i":
            census = mlflow_census(tree)
            got = {(f["path"], f["line"]) for f in report["findings"] if f["rule"] == "E2I201"}
            same = "equal" if got == census else (
                f"DIFFERENT: only ast {sorted(census - got)[:5]}, only obs-lint "
                f"{sorted(got - census)[:5]}")
            print(f"{label}: no-raw-mlflow: ast census {len(census)} import statement(s), "
                  f"E2I201 {len(got)} finding(s): {same}")
            census_bad = census_bad or got != census
        failed = sum(1 for c in results[label].values() if c["status"] == "fail")
        unknown = sum(1 for c in results[label].values() if c["status"] == "unknown")
        print(f"{label}: {tree}: {len(results[label])} checks, {failed} fail, "
              f"{unknown} unknown; {report['summary']['findings']} findings")
    codes = sorted({c for r in results.values() for c in r})
    labels = [label for label, _ in trees]
    differ = 0
    print()
    print("rule    " + " ".join(f"{lab:>14}" for lab in labels) + "  name")
    for code in codes:
        cells = []
        bad = False
        for lab in labels:
            got = results[lab].get(code, {}).get("status", "-")
            want = (targets.get(code) or {}).get(lab)
            mark = ""
            if want is not None and want != got:
                mark, bad = "!", True
            cells.append(f"{got}{'/' + want if want and want != got else ''}{mark}")
        differ += bad
        if bad or not args.only_differences:
            name = next((results[lab][code]["name"] for lab in labels if code in results[lab]),
                        "")
            print(f"{code} " + " ".join(f"{c:>14}" for c in cells) + f"  {name}")
    if targets:
        print(f"\n{differ} rule(s) differ from the target verdicts")
    if args.audit_doc:
        meta = yaml.safe_load(Path(args.verdicts).read_text())
        Path(args.audit_doc).write_text(audit_document(reports, meta, labels, args.pack))
        print(f"wrote {args.audit_doc}")
    return 1 if differ or census_bad else 0


def _cell(check: dict, findings: list[dict]) -> str:
    """A status with the location that proves it: the first finding of a failing rule, the
    first evidence of a passing one."""
    status = check["status"].upper()
    mine = [f for f in findings if f["rule"] == check["code"] and f["severity"] != "info"]
    if status == "FAIL" and mine:
        return f"FAIL `{mine[0]['path']}:{mine[0]['line']}`"
    if check.get("evidence"):
        return f"{status} `{check['evidence'][0]}`"
    return status


def audit_document(reports: dict, meta: dict, labels: list[str], pack: str) -> str:
    """The audit as an E2I engineer reads it: per phase, each rule's checkbox, what obs-lint
    decided on each tree (with the line that proves it) and the reading behind it."""
    commits = meta.get("commits", {})
    first = reports[labels[0]]
    out = [
        "# The E2I observability audit, decided from the code",
        "",
        "<!-- Generated by bench/realcode.py --audit-doc from docs/e2i-verdicts.yaml and the",
        "     JSON reports of `obs-lint check . --pack e2i` on both trees. Do not edit by hand. -->",
        "",
        "The hand audit (`observability-audit.md`, 10 phases) ticked every box. This document is",
        f"what the `{pack}` pack decides on the same codebase, `enunezvn/e2i_causal_analytics`, at "
        "the audited commit and at the newest one, rule by rule, with the location that proves "
        "each verdict and one line of reading. Reproduce it with:",
        "",
        "```bash",
        "python bench/realcode.py --git /path/to/e2i_causal_analytics/.git \\",
        "    " + " ".join(f"--commit {lab}={commits.get(lab, lab)}" for lab in labels) + " \\",
        "    --verdicts docs/e2i-verdicts.yaml --audit-doc docs/e2i-audit.md",
        "```",
        "",
        "Statuses: PASS (the checkbox holds, evidence: where), FAIL (it does not: the first",
        "finding's location), UNKNOWN (obs-lint could not decide, and says why). A checkbox decided",
        "by several rules holds only when all of them pass.",
        "",
        "## Summary",
        "",
        "| Phase | Title | " + " | ".join(f"{lab} ({commits.get(lab, lab)})" for lab in labels) + " |",
        "|---|---|" + "---|" * len(labels),
    ]
    for i, phase in enumerate(first["phases"]):
        cells = []
        for lab in labels:
            ph = reports[lab]["phases"][i]
            cells.append(f"{ph['status'].upper()} {ph['checks_passed']}/{ph['checks_total']}")
        out.append(f"| {phase['id']} | {phase['title']} | " + " | ".join(cells) + " |")
    rules = meta["rules"]
    changed = []
    for i, phase in enumerate(first["phases"]):
        if not phase["checks"]:
            continue
        out += ["", f"## Phase {phase['id']}: {phase['title']}", "",
                "| Rule | " + " | ".join(f"{commits.get(lab, lab)}" for lab in labels)
                + " | Reading |", "|---|" + "---|" * len(labels) + "---|"]
        for j, check in enumerate(phase["checks"]):
            code = check["code"]
            cells = []
            for lab in labels:
                c = reports[lab]["phases"][i]["checks"][j]
                cells.append(_cell(c, reports[lab]["findings"]))
            reading = (rules.get(code) or {}).get("reading", "").replace("|", "\\|")
            out.append(f"| {code} `{check['name']}` | " + " | ".join(cells) + f" | {reading} |")
            sts = [reports[lab]["phases"][i]["checks"][j]["status"] for lab in labels]
            if len(set(sts)) > 1:
                changed.append((code, check["name"], sts, reading))
    if changed:
        out += ["", "## Where the verdict changes between the commits", ""]
        for code, name, sts, reading in changed:
            out.append(f"- **{code}** `{name}`: " + " → ".join(sts) + f". {reading}")
    out += ["", "## Findings beyond the rules' first lines", "",
            "Every finding of each run is in the JSON reports the script writes with "
            "`--out-dir`; `obs-lint check . --pack e2i --format markdown` shows them per "
            "checkbox.", ""]
    return "\n".join(out)


if __name__ == "__main__":
    sys.exit(main())
