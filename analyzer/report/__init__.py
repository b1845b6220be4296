"""Reporters: one module per output format, each a pure function ``Result -> str``.

A new format is one module here with a ``render(result) -> str`` function plus one line in
``FORMATS``.
"""

from __future__ import annotations

from typing import Callable

from ..types import Result
from . import github, json_report, junit, markdown, sarif, text

FORMATS: dict[str, Callable[[Result], str]] = {
    "text": text.render,
    "json": json_report.render,
    "markdown": markdown.render,
    "sarif": sarif.render,
    "github": github.render,
    "junit": junit.render,
}
