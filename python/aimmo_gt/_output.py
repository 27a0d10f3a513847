"""Output safety: what a report may print of untrusted input, and a report destination whose write
errors become one clear error instead of a traceback."""

from __future__ import annotations

import json
import os
import re
from typing import Any, TextIO

#: Characters a terminal acts on or that reorder what it shows: C0 and C1 controls (newlines forge
#: report lines, ESC starts escape sequences), DEL, line and paragraph separators, and the
#: bidirectional embeddings, overrides and isolates (text that reads differently than it is).
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def _escaped(match: re.Match) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def escape(text: str) -> str:
    """Text from the input (a key, a pointer, a file name, a message quoting a value) as it may be
    printed in a text report: each unsafe character written as a visible escape. Escape first,
    colour after: colours are added to escaped text, never escaped."""
    return _UNSAFE.sub(_escaped, text)


_SURROGATE = re.compile("[\ud800-\udfff]")


def json_text(value: Any) -> str:
    """json.dumps for a report: valid UTF-8 JSON whatever the input held. A lone surrogate (a key
    written "\\ud800" in the input) cannot be encoded, and its escape is invalid to jq and msgspec:
    it is written as the visible text \\ud800 instead."""
    text = json.dumps(value, ensure_ascii=False)
    if _SURROGATE.search(text):
        text = _SURROGATE.sub(lambda m: f"\\\\u{ord(m.group()):04x}", text)
    return text


class ReportWriteError(Exception):
    """The report could not be written (a full disk, an I/O error): the run cannot report."""

    def __init__(self, where: str, error: OSError):
        self.where = where
        self.error = error
        reason = error.strerror or str(error) or type(error).__name__
        super().__init__(f"cannot write the report to {where}: {reason}")


class Guarded:
    """A text stream whose write errors raise ReportWriteError (a broken pipe stays itself: the
    reader went away, which is not an error of the run)."""

    def __init__(self, stream: TextIO, where: str):
        self.stream = stream
        self.where = where

    def _call(self, name: str, *args):
        try:
            return getattr(self.stream, name)(*args)
        except BrokenPipeError:
            raise
        except OSError as error:
            raise ReportWriteError(self.where, error) from None

    def write(self, text: str) -> int:
        return self._call("write", text)

    def flush(self) -> None:
        self._call("flush")

    def seek(self, offset: int, whence: int = 0) -> int:
        return self._call("seek", offset, whence)

    def read(self, size: int = -1) -> str:
        return self._call("read", size)

    def close(self) -> None:
        self._call("close")

    def fileno(self) -> int:
        return self.stream.fileno()

    def isatty(self) -> bool:
        return self.stream.isatty()


def spool(where: str = "the temporary directory (TMPDIR)") -> Guarded:
    """A temporary text file for a report that must be written in another order than it is made."""
    import tempfile

    try:
        stream = tempfile.TemporaryFile("w+", encoding="utf-8", errors="backslashreplace")  # noqa: SIM115
    except OSError as error:
        raise ReportWriteError(where, error) from None
    return Guarded(stream, where)


def is_report(path: str) -> bool:
    """True when an existing file holds a report of ours (so writing over it loses no GT data)."""
    try:
        with open(path, "rb") as handle:
            head = handle.read(64)
    except OSError:
        return False
    return head.startswith((b'{"files": [', b'{"$schema": "https://json.schemastore.org/sarif', b"<?xml"))


def output_is_input(output: str, paths: list[str], suffix: str, excluded) -> str | None:
    """Why `output` is an input (a named file, or a file a named folder would walk into), or None.
    Opening the report truncates it before it is read: that would lose GT data."""
    if not os.path.exists(output):
        return None  # a new file is no input
    real = os.path.realpath(output)
    for path in paths:
        try:
            if os.path.samefile(path, output):
                return "is one of the files to check"
        except OSError:
            continue
        if os.path.isdir(path) and output.endswith(suffix) and not excluded(output):
            root = os.path.realpath(path)
            if os.path.commonpath([root, real]) == root and not is_report(output):
                return f"is a file in {path!r}, which is checked"
    return None
