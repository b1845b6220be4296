"""Reporters: one module per output format, each a pure function ``Result -> str``.

A new format is one module here with a ``render(result) -> str`` function plus one line in
``_MODULES``. Modules are imported when their format is first used (``FORMATS[name]``): a warm
run that prints JSON should not pay for importing the SARIF, JUnit (xml) or text (tabulate)
reporters; start-up is most of such a run.
"""

from __future__ import annotations

from importlib import import_module
from typing import Callable, Iterator, Mapping

from ..types import Result

_MODULES: dict[str, str] = {
    "text": "text",
    "json": "json_report",
    "markdown": "markdown",
    "sarif": "sarif",
    "github": "github",
    "junit": "junit",
}


class _Formats(Mapping[str, Callable[[Result], str]]):
    """format name -> the render function of its module (imported on first use)."""

    def __getitem__(self, name: str) -> Callable[[Result], str]:
        return import_module(f".{_MODULES[name]}", __name__).render

    def __contains__(self, name: object) -> bool:
        return name in _MODULES

    def __iter__(self) -> Iterator[str]:
        return iter(_MODULES)

    def __len__(self) -> int:
        return len(_MODULES)


FORMATS: Mapping[str, Callable[[Result], str]] = _Formats()
