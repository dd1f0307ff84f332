"""A progress bar for long builds: silent for the first second, then one line redrawn on stderr.

Only on a terminal: in a pipe or a CI log a redrawn line is noise, so nothing is shown there.
"""
from __future__ import annotations

import sys
import time
from typing import TextIO

_WIDTH = 30


class BuildProgress:
    """Called as progress(stage, done, total) by the build; draws once the build has run `delay` seconds."""

    def __init__(self, stream: TextIO | None = None, delay: float = 1.0, enabled: bool | None = None):
        self.stream = stream or sys.stderr
        self.delay = delay
        self.enabled = self.stream.isatty() if enabled is None else enabled
        self.started = time.monotonic()
        self.drawn = False
        self._last = ""

    def __call__(self, stage: str, done: int, total: int) -> None:
        if not self.enabled or time.monotonic() - self.started < self.delay:
            return
        filled = _WIDTH * done // total if total else _WIDTH
        line = f"{stage:<28} [{'#' * filled}{'-' * (_WIDTH - filled)}] {done}/{total}"
        if line != self._last:
            self.stream.write("\r" + line + "\x1b[K")
            self.stream.flush()
            self._last, self.drawn = line, True

    def finish(self) -> None:
        """End the bar's line so what is printed next starts on a fresh one."""
        if self.drawn:
            self.stream.write("\r\x1b[K")
            self.stream.flush()
            self.drawn = False
