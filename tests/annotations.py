"""Read the expectations written into fixture trees (semgrep-style annotations).

In any fixture file, a comment ``# expect: rule-a, rule-b`` (``-- expect:`` in SQL) declares
that exactly those rules (names or codes) report a finding *on that line*. A file with no
annotation must produce no finding. Files that cannot carry comments (binary, undecodable) are
declared in ``expected.yaml`` at the tree root::

    - {path: bad/nul_bytes.py, line: 1, rule: parse-error}

``collect`` returns the expected multiset of (path, line, rule name) for a whole tree.
"""

from __future__ import annotations

import os
import re
from collections import Counter

import yaml

EXPECT_RE = re.compile(r"(?:#|--)\s*expect:\s*([A-Za-z0-9_,\s-]+?)\s*(?:$|#|--)")
ANNOTATED_EXT = (".py", ".pyi", ".yaml", ".yml", ".sql")
SKIP_DIRS = {"__pycache__", ".obs-lint-cache"}


def collect(root: str, code_to_name: dict[str, str]) -> Counter:
    expected: Counter = Counter()
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if d not in SKIP_DIRS)
        for name in sorted(filenames):
            if not name.endswith(ANNOTATED_EXT) or name == "expected.yaml":
                continue
            path = os.path.join(dirpath, name)
            rel = os.path.relpath(path, root).replace(os.sep, "/")
            try:
                with open(path, encoding="utf-8") as fh:
                    lines = fh.read().splitlines()
            except (UnicodeDecodeError, OSError):
                continue
            for i, line in enumerate(lines, 1):
                m = EXPECT_RE.search(line)
                if not m:
                    continue
                for rule in m.group(1).split(","):
                    rule = rule.strip()
                    if rule:
                        expected[(rel, i, code_to_name.get(rule, rule))] += 1
    sidecar = os.path.join(root, "expected.yaml")
    if os.path.exists(sidecar):
        with open(sidecar, encoding="utf-8") as fh:
            for item in yaml.safe_load(fh) or []:
                rule = code_to_name.get(item["rule"], item["rule"])
                expected[(item["path"], int(item["line"]), rule)] += 1
    return expected


def fixture_roots(base: str) -> list[str]:
    """Every directory under ``base`` that is an obs-lint project (has .obs-lint.yaml)."""
    roots = []
    for dirpath, dirnames, filenames in os.walk(base):
        dirnames[:] = sorted(d for d in dirnames if d not in SKIP_DIRS)
        if ".obs-lint.yaml" in filenames:
            roots.append(dirpath)
    return sorted(roots)
