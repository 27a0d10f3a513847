"""A one-line progress display on a terminal's stderr: files done, files per second, invalid so far."""

from __future__ import annotations

import time
from typing import TextIO


class Progress:
    """Redrawn at most ten times a second; does nothing when disabled (not a terminal, --quiet)."""

    INTERVAL = 0.1

    def __init__(self, stream: TextIO, enabled: bool):
        self.stream = stream
        self.enabled = enabled
        self.started = time.monotonic()
        self.drawn_at = 0.0
        self.width = 0

    def update(self, files: int, invalid: int, errors: int) -> None:
        if not self.enabled:
            return
        now = time.monotonic()
        if now - self.drawn_at < self.INTERVAL:
            return
        self.drawn_at = now
        rate = files / max(now - self.started, 1e-9)
        noun = "file" if files == 1 else "files"
        line = f"checked {files} {noun} ({rate:,.0f} files/s), {invalid} invalid, {errors} errors"
        self.stream.write("\r" + line.ljust(self.width))
        self.stream.flush()
        self.width = len(line)

    def close(self) -> None:
        if self.enabled and self.width:
            self.stream.write("\r" + " " * self.width + "\r")
            self.stream.flush()
