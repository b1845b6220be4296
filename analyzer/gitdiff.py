"""``--diff-base REF``: which lines changed since a git ref (a pull request's base).

Runs ``git diff --unified=0 --relative --find-renames REF`` in the project root (working tree
against REF, so staged and unstaged edits both count; paths come out relative to the project
root). Untracked files (not ignored) are new in their entirety. A file that is gone has no
findings to report.

The patch is read the way ``git apply`` reads it, never line by line on looks:

* it is split at LF only (a CR, U+2028 or form feed inside a changed line is part of the line;
  ``str.splitlines`` broke lines there and took what followed for a header);
* a file section starts at ``diff --git``; its extended header (``rename to``, ``new file
  mode``, ``Binary files ... differ``) and its ``---``/``+++`` lines name the file;
* each hunk ``@@ -a,b +c,d @@`` is followed by exactly ``b`` old and ``d`` new lines (plus
  ``\\ No newline at end of file`` markers), and those are consumed by count: an added line that
  reads ``++ b/other.py`` or ``@@ -1 +9 @@`` is content, not a header. Lines ``c .. c+d-1`` of
  the new file changed (``d == 0``: a pure deletion, recorded as "file touched, no changed
  line"). A patch that does not add up is an error, never a guess;
* quoted paths (``"a\\tb.py"``, octal UTF-8 bytes) are unquoted as git quotes them; a rename
  records the new path (a pure rename: touched, no changed line). The paths read from the
  patch are checked against ``git diff --name-only -z`` (which also adds files touched with no
  hunk: a mode change, an empty new file): a path git does not list is an error.

git numbers lines at LF; the parsers obs-lint uses also break lines at a lone CR (Python) and,
for YAML, at U+0085/U+2028/U+2029. For a file holding such characters the changed git lines are
mapped onto the lines its findings are numbered by (``remap``), so no finding moves off its
changed line.

Any git failure (not a repository, unknown ref, git missing) and an empty REF are usage errors
naming the ref.
"""

from __future__ import annotations

import os
import re
import subprocess

from .discover import kind_of
from .errors import UsageError
from .select_findings import LineRanges
from .types import FileKind

_HUNK = re.compile(r"^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@")
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


def _header_path(value: str, prefix: str) -> str | None:
    """The path of a ``---``/``+++`` value (None: ``/dev/null``). Unquoted names with a space
    carry a trailing tab (git adds it so that the name's end is unambiguous)."""
    if value == "/dev/null":
        return None
    if value.startswith('"'):
        value = _unquote(value)
    elif value.endswith("\t"):
        value = value[:-1]
    return value[len(prefix):] if value.startswith(prefix) else value


class DiffError(ValueError):
    """A patch that does not add up (a hunk with fewer lines than its header counts)."""


def parse_diff(text: str) -> dict[str, LineRanges]:
    """Changed line ranges per new-side path from ``git diff --unified=0`` output."""
    out: dict[str, list[tuple[int, int]]] = {}
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    current: str | None = None  # the new-side path of the file section being read
    i, n = 0, len(lines)
    while i < n:
        line = lines[i]
        i += 1
        if line.startswith("diff --git "):
            current = None
            continue
        if line.startswith("rename to ") or line.startswith("copy to "):
            current = _unquote(line.split(" to ", 1)[1])
            out.setdefault(current, [])
            continue
        if line.startswith("+++ "):
            current = _header_path(line[4:], "b/")
            if current is not None:
                out.setdefault(current, [])
            continue
        m = _HUNK.match(line)
        if not m:
            continue  # the rest of a section header (index, mode, ---, similarity, Binary)
        old = int(m.group(2)) if m.group(2) is not None else 1
        start = int(m.group(3))
        new = int(m.group(4)) if m.group(4) is not None else 1
        if current is not None and new > 0:
            out[current].append((start, start + new - 1))
        # the hunk's body: exactly `old` removed/context and `new` added/context lines
        while old > 0 or new > 0:
            if i >= n:
                raise DiffError(f"the patch ends inside a hunk of {current or 'a file'}")
            body = lines[i]
            i += 1
            tag = body[:1]
            if tag == "-":
                old -= 1
            elif tag == "+":
                new -= 1
            elif tag in (" ", ""):  # context ("" : diff.suppressBlankEmpty)
                old -= 1
                new -= 1
            elif tag != "\\":  # "\ No newline at end of file" counts for neither side
                raise DiffError(f"unexpected line in a hunk of {current or 'a file'}: "
                                f"{body[:40]!r}")
            if old < 0 or new < 0:
                raise DiffError(f"a hunk of {current or 'a file'} has more lines than its "
                                "header counts")
        while i < n and lines[i].startswith("\\"):
            i += 1
    return {k: tuple(v) for k, v in out.items()}


# Where the parsers behind findings break lines, beyond git's LF (see the module docstring)
_EXTRA_BREAKS = {FileKind.PYTHON: re.compile(r"\r(?!\n)"),
                 FileKind.YAML: re.compile("\r(?!\n)|[\x85\u2028\u2029]")}


def remap(text: str, kind: FileKind | None, ranges: LineRanges) -> LineRanges:
    """Changed git lines (LF-numbered) as the lines the file's findings are numbered by."""
    extra = _EXTRA_BREAKS.get(kind) if kind is not None else None
    if extra is None or not ranges or not extra.search(text):
        return ranges
    first: list[int] = []  # first[k]: the finding line of git line k + 1
    line = 1
    for git_line in text.split("\n"):
        first.append(line)
        line += len(extra.findall(git_line)) + 1
    first.append(line)  # one past the end

    def at(k: int) -> int:  # the finding line where git line k starts
        return first[min(max(k, 1), len(first)) - 1]

    out = []
    for a, b in ranges:
        if (a, b) == ALL_LINES:
            out.append((a, b))
            continue
        out.append((at(a), max(at(a), at(b + 1) - 1)))
    return tuple(out)


def _read_text(root: str, path: str) -> str:
    try:
        with open(os.path.join(root, path), "rb") as fh:
            return fh.read().decode("utf-8", "replace")
    except OSError:
        return ""


def changed_lines(root: str, ref: str) -> dict[str, LineRanges]:
    """Changed lines of every file below ``root`` since ``ref`` (plus untracked files)."""
    if not ref.strip():
        raise UsageError("--diff-base needs a git ref (a branch, tag or commit), got an empty "
                         "value")
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
                "--no-textconv", "--find-renames", "--src-prefix=a/", "--dst-prefix=b/",
                ref, "--")
    names = _git(root, "diff", "--name-only", "-z", "--relative", "--no-ext-diff",
                 "--find-renames", "--diff-filter=d", ref, "--")
    touched = [p for p in names.split("\0") if p]
    try:
        changed = parse_diff(diff)
        strays = sorted(set(changed) - set(touched))
        if strays:  # the patch named a file git does not list: it was misread
            raise DiffError(f"the patch names {strays[0]!r}, which git does not list as "
                            "changed")
    except DiffError as exc:
        raise UsageError(f"--diff-base {ref}: cannot read git's diff: {exc}") from None
    for path in touched:  # mode changes, empty new files: touched, no changed line
        changed.setdefault(path, ())
    for path, ranges in list(changed.items()):
        kind = kind_of(path)
        if ranges and kind in _EXTRA_BREAKS:
            text = _read_text(root, path)
            changed[path] = remap(text, kind, ranges)
    untracked = _git(root, "ls-files", "--others", "--exclude-standard", "-z")
    for path in untracked.split("\0"):
        if path:
            changed[path] = (ALL_LINES,)
    return changed
