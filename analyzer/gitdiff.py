"""``--diff-base REF``: which lines changed since a git ref (a pull request's base).

Runs ``git diff --unified=0 --relative REF`` in the project root (working tree against REF, so
staged and unstaged edits both count; paths come out relative to the project root) and reads
the hunk headers: ``@@ -a,b +c,d @@`` means lines ``c .. c+d-1`` of the new file changed
(``d == 0``: a pure deletion, recorded as "file touched, no changed line"). Untracked files
(not ignored) are new in their entirety. A file that is gone has no findings to report.

Any git failure (not a repository, unknown ref, git missing) is a usage error naming the ref.
"""

from __future__ import annotations

import re
import subprocess

from .errors import UsageError
from .select_findings import LineRanges

_HUNK = re.compile(r"^@@ -\d+(?:,\d+)? \+(\d+)(?:,(\d+))? @@")
ALL_LINES = (1, 2**31 - 1)


def _git(root: str, *args: str) -> str:
    try:
        proc = subprocess.run(["git", "-c", "core.quotePath=false", *args], cwd=root,
                              capture_output=True, timeout=300)
    except FileNotFoundError:
        raise UsageError("--diff-base needs git, which is not installed") from None
    except subprocess.TimeoutExpired:
        raise UsageError(f"git {args[0]} timed out in {root}") from None
    if proc.returncode != 0:
        err = proc.stderr.decode("utf-8", "replace").strip().splitlines()
        raise UsageError(f"git {' '.join(args[:2])} failed in {root}: "
                         f"{err[0] if err else f'exit status {proc.returncode}'}")
    return proc.stdout.decode("utf-8", "surrogateescape")


_ESC = {"a": 7, "b": 8, "t": 9, "n": 10, "v": 11, "f": 12, "r": 13, '"': 34, "\\": 92}


def _unquote(path: str) -> str:
    """git's C-style quoting of unusual path names (``"a\\tb.py"``, octal UTF-8 bytes)."""
    if not (len(path) >= 2 and path[0] == '"' and path[-1] == '"'):
        return path
    body = path[1:-1]
    out = bytearray()
    i = 0
    while i < len(body):
        ch = body[i]
        if ch != "\\" or i + 1 == len(body):
            out += ch.encode("utf-8", "surrogateescape")
            i += 1
            continue
        nxt = body[i + 1]
        if nxt in "01234567" and len(body) >= i + 4:
            out.append(int(body[i + 1:i + 4], 8) & 0xFF)
            i += 4
        else:
            out.append(_ESC.get(nxt, ord(nxt) if ord(nxt) < 128 else 63))
            i += 2
    return out.decode("utf-8", "surrogateescape")


def parse_diff(text: str) -> dict[str, LineRanges]:
    """Changed line ranges per new-side path from ``git diff --unified=0`` output."""
    out: dict[str, list[tuple[int, int]]] = {}
    current: str | None = None
    for line in text.splitlines():
        if line.startswith("+++ "):
            target = line[4:].rstrip("\t")
            if target == "/dev/null":
                current = None  # deleted file: nothing left to report on
                continue
            target = _unquote(target)
            current = target[2:] if target.startswith("b/") else target
            out.setdefault(current, [])
            continue
        if current is None:
            continue
        m = _HUNK.match(line)
        if m:
            start = int(m.group(1))
            count = int(m.group(2)) if m.group(2) is not None else 1
            if count > 0:
                out[current].append((start, start + count - 1))
    return {k: tuple(v) for k, v in out.items()}


def changed_lines(root: str, ref: str) -> dict[str, LineRanges]:
    """Changed lines of every file below ``root`` since ``ref`` (plus untracked files)."""
    if ref.startswith("-"):
        raise UsageError(f"--diff-base {ref!r}: not a git ref")
    try:
        _git(root, "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}")
    except UsageError as exc:
        if "exit status" in str(exc):
            raise UsageError(f"--diff-base {ref}: unknown git ref (no such commit, branch or "
                             f"tag in {root})") from None
        raise
    diff = _git(root, "diff", "--unified=0", "--relative", "--no-color", "--no-ext-diff",
                "--src-prefix=a/", "--dst-prefix=b/", ref, "--")
    changed = parse_diff(diff)
    untracked = _git(root, "ls-files", "--others", "--exclude-standard", "-z")
    for path in untracked.split("\0"):
        if path:
            changed[path] = (ALL_LINES,)
    return changed
