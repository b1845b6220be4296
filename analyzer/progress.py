"""A progress bar on stderr for long runs (click's), and nothing otherwise.

Why the delay: a warm run takes a quarter of a second, and a bar that flashes for it is noise;
a cold run of a large repository takes 15-20 s, and silence for that long looks like a hang.
So the bar appears only once the run has taken longer than ``delay`` seconds (about one), and
only when stderr is a terminal: never in CI logs, pre-commit output or a redirected file.

The clock is injected (``clock``) so tests decide what "longer than a second" means without
waiting for one.
"""

from __future__ import annotations

import time
from typing import Callable, TextIO

import click

DELAY = 1.0  # seconds a run may take before the bar appears


class Progress:
    """``progress(done, total)``: called by the extraction stage as files are done."""

    def __init__(self, stream: TextIO, *, delay: float = DELAY,
                 clock: Callable[[], float] = time.monotonic, label: str = "Checking") -> None:
        self.stream = stream
        self.delay = delay
        self.clock = clock
        self.label = label
        self.start = clock()
        self.enabled = _isatty(stream)
        self.bar: "click.progressbar | None" = None  # type: ignore[valid-type]

    def __call__(self, done: int, total: int) -> None:
        if not self.enabled or total <= 0:
            return
        if self.bar is None:
            if self.clock() - self.start < self.delay or done >= total:
                return
            self.bar = click.progressbar(length=total, label=self.label, file=self.stream,
                                         show_pos=True, show_eta=False)
        step = done - self.bar.pos
        if step > 0:
            self.bar.update(step)

    def close(self) -> None:
        """Finish the bar (if it was shown) and clear its line, so the report starts clean."""
        if self.bar is not None:
            self.bar.finish()
            # carriage return, erase the line, show the cursor again (click hid it)
            self.stream.write("\r\x1b[2K\x1b[?25h")
            self.stream.flush()
            self.bar = None


def _isatty(stream: TextIO) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False
