"""Stable finding identities, shared by baselines and SARIF ``partialFingerprints``.

A fingerprint is ``<hash>:<n>`` where ``hash`` digests the rule code, the file path and the
normalised offending source (``Finding.fingerprint_source``: e.g. the import statement's text,
or ``missing:<scope>`` for a project-level finding), and ``n`` is the occurrence index among the
findings of the same file that share that hash, in source order. The line number is never part
of it, so moving code up or down a file (or editing other lines) keeps every identity; a second
identical violation in the same file gets ``:1`` and is therefore new.

One function, used by ``baseline`` and ``report.sarif`` alike, so a SARIF alert and a baseline
entry for the same finding always agree.
"""

from __future__ import annotations

import hashlib
import re
from typing import Sequence

from .types import Finding

_WS = re.compile(r"\s+")


def normalise(source: str) -> str:
    """Whitespace-insensitive form of the offending source (re-indenting changes nothing)."""
    return _WS.sub(" ", source).strip()


def finding_hash(finding: Finding) -> str:
    """Hash of rule + path + normalised offending source (no line, no column)."""
    source = normalise(finding.fingerprint_source or finding.message)
    blob = "\0".join((finding.code, finding.location.path, source))
    return hashlib.sha256(blob.encode("utf-8", "surrogatepass")).hexdigest()[:32]


def fingerprints(findings: Sequence[Finding]) -> list[str]:
    """Fingerprints of ``findings``, in the same order.

    Occurrence indexes are assigned in source order (line, column) within each file, whatever
    the order of ``findings``, so the result does not depend on how a caller sorted them.
    """
    hashes = [finding_hash(f) for f in findings]
    order = sorted(range(len(findings)), key=lambda i: findings[i].sort_key)
    seen: dict[str, int] = {}
    out = [""] * len(findings)
    for i in order:
        n = seen.get(hashes[i], 0)
        seen[hashes[i]] = n + 1
        out[i] = f"{hashes[i]}:{n}"
    return out
