"""A one-line progress display on a terminal's stderr: files done (of how many, once known), rate,
time left, invalid so far; erased before anything else is written to the terminal and redrawn after."""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, TextIO

if TYPE_CHECKING:
    import threading


def _plural(count: int, word: str) -> str:
    return f"{count:,} {word}{'' if count == 1 else 's'}"


def _duration(seconds: float) -> str:
    seconds = max(0, round(seconds))
    hours, rest = divmod(seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    return f"{hours}:{minutes:02}:{seconds:02}" if hours else f"{minutes}:{seconds:02}"


def status(files: int, invalid: int, errors: int, elapsed: float, total: int | None = None) -> str:
    """The progress line: 'checked 120 of 2,000 files (6%), 3 invalid, 5 errors, 150 files/s, ETA 0:12'."""
    rate = files / max(elapsed, 1e-9)
    if total is None or total < files:
        done = f"checked {_plural(files, 'file')}"
        eta = ""
    else:
        percent = 100 * files // total if total else 100
        done = f"checked {files:,} of {_plural(total, 'file')} ({percent}%)"
        eta = f", ETA {_duration((total - files) / rate)}" if files and total > files else ""
    return f"{done}, {invalid:,} invalid, {_plural(errors, 'error')}, {rate:,.0f} files/s{eta}"


def _columns(stream: TextIO) -> int:
    """The width of the terminal the stream writes to (stderr's own, when stdout is a pipe)."""
    try:
        return os.get_terminal_size(stream.fileno()).columns or 80
    except (AttributeError, OSError, ValueError):
        import shutil

        return shutil.get_terminal_size((80, 24)).columns


class Progress:
    """Redrawn at most ten times a second, and at once after an erase; does nothing when disabled
    (not a terminal, --quiet). The total is set by whoever counts the files (`count_ahead`)."""

    INTERVAL = 0.1

    def __init__(self, stream: TextIO, enabled: bool, columns: int | None = None):
        self.stream = stream
        self.enabled = enabled
        self.started = time.monotonic()
        self.drawn_at = 0.0
        #: Characters of the line now on the screen (0: nothing drawn, or erased).
        self.width = 0
        self.total: int | None = None
        self.last: tuple[int, int, int] | None = None
        self.erased = False
        #: True while the report on the same terminal has written part of a line: a carriage return
        #: would then draw over it (set by ErasingStream).
        self.held = False
        # A line longer than the terminal wraps, and a carriage return would then erase only its last row.
        self.columns = columns or _columns(stream)

    def update(self, files: int, invalid: int, errors: int) -> None:
        if not self.enabled or self.held:
            return
        self.last = (files, invalid, errors)
        now = time.monotonic()
        if now - self.drawn_at < self.INTERVAL and not self.erased:
            return
        self.drawn_at = now
        self.erased = False
        line = status(files, invalid, errors, now - self.started, self.total)[: max(self.columns - 1, 1)]
        self.stream.write("\r" + line.ljust(self.width))
        self.stream.flush()
        self.width = len(line)

    def erase(self) -> None:
        """Take the line off the screen (before other output); the next update draws it again."""
        if self.enabled and self.width:
            self.stream.write("\r" + " " * self.width + "\r")
            self.stream.flush()
            self.width = 0
            self.erased = True

    def close(self) -> None:
        self.erase()
        self.enabled = False


class ErasingStream:
    """A text stream that takes the progress line off the terminal before each write to it, so that
    report lines never land on the end of the progress line."""

    def __init__(self, stream: TextIO, progress: Progress):
        self._stream = stream
        self._progress = progress

    def write(self, text: str) -> int:
        self._progress.erase()
        written = self._stream.write(text)
        if text:
            # A report that streams parts of lines (json) keeps the progress line off the screen.
            self._progress.held = not text.endswith("\n")
        return written

    def __getattr__(self, name: str):
        return getattr(self._stream, name)


def count_ahead(
    progress: Progress, paths: Iterable[str], count: Callable[[], int]
) -> threading.Thread | None:
    """Count the items in a background thread and give the progress line its total when done.

    Only local paths are counted ahead (listing them again costs a directory walk, small next to
    reading the files); standard input and remote URLs are counted as they go (no total)."""
    paths = list(paths)
    if not progress.enabled or any(path == "-" or "://" in path for path in paths):
        return None

    def work() -> None:
        try:
            progress.total = count()
        except Exception:  # counting is a nicety: the run goes on without a total
            return

    import threading  # only on a terminal: a run whose output is read by a program has no progress line

    thread = threading.Thread(target=work, name="aimmo-gt-count", daemon=True)
    thread.start()
    return thread
