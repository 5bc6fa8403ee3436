"""A text progress bar for long commands (generator, imports, benchmarks) — stderr only, no dependency."""

from __future__ import annotations

import sys
import time
from typing import TextIO


class Progress:
    def __init__(self, label: str, total: int, stream: TextIO | None = None, width: int = 30) -> None:
        self.label, self.total, self.width = label, max(total, 1), width
        self.stream = stream or sys.stderr
        self.done = 0
        self.started = time.monotonic()
        self._last_draw = 0.0
        self._tty = hasattr(self.stream, "isatty") and self.stream.isatty()

    def advance(self, n: int = 1) -> None:
        self.done = min(self.total, self.done + n)
        now = time.monotonic()
        if self.done == self.total or now - self._last_draw > (0.2 if self._tty else 5.0):
            self._last_draw = now
            self._draw()

    def _draw(self) -> None:
        filled = int(self.width * self.done / self.total)
        pct = 100 * self.done / self.total
        elapsed = time.monotonic() - self.started
        bar = "#" * filled + "-" * (self.width - filled)
        line = f"{self.label:<10} [{bar}] {pct:5.1f}% {self.done}/{self.total} {elapsed:6.1f}s"
        self.stream.write(("\r" + line) if self._tty else (line + "\n"))
        self.stream.flush()

    def close(self) -> None:
        if self.done < self.total:
            self.done = self.total
            self._draw()
        if self._tty:
            self.stream.write("\n")
            self.stream.flush()
