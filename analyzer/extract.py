"""Fact extraction for a whole run: decide per file what to parse, then extract.

This is the stage's scheduler (the per-file work is ``facts.extract_file``). It is the one
place that will own caching and the process pool, so the rest of the pipeline only ever sees a
list of ``FileFacts`` in discovery order.
"""

from __future__ import annotations

from typing import Sequence

from .config import Config
from .facts import extract_file
from .facts.model import FileFacts
from .plan import Plan
from .types import SourceFile


def extract_all(files: Sequence[SourceFile], plan: Plan, config: Config) -> list[FileFacts]:
    """FileFacts for every discovered file, in the same order."""
    return [extract_file(src, plan.patterns_for(src), max_bytes=config.max_file_bytes)
            for src in files]
