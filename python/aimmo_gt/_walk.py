"""Command-line paths to work items: files, sorted directory walks, JSON Lines, stdin; one at a time."""

from __future__ import annotations

import contextlib
import fnmatch
import os
import stat
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import BinaryIO

from ._diagnostics import Diagnostic

STDIN = "-"


@dataclass(frozen=True, slots=True)
class Item:
    """One document to check, or a problem found while walking (then `diagnostics` is set)."""

    #: How reports name it: the path as walked, `path:line` for a JSON Lines document, `-` for stdin.
    display: str
    #: The file to read (None when `data` or `diagnostics` is given).
    path: str | None = None
    #: The bytes when already read (stdin, one line of a JSON Lines file).
    data: bytes | None = None
    diagnostics: tuple[Diagnostic, ...] = ()
    #: The file the document is in and its first line (for reports that point into files, e.g. SARIF).
    file: str | None = None
    line: int = 1


def printable(path: str) -> str:
    """A path as text that any UTF-8 report can hold (undecodable bytes become U+FFFD)."""
    return path.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


def _unreadable(display: str, message: str) -> Item:
    return Item(display, diagnostics=(Diagnostic("file.unreadable", "error", "", message),), file=display)


def _too_large(display: str, size: str, max_bytes: int, file: str, line: int = 1) -> Item:
    message = f"{size} is more than --max-bytes {max_bytes}; not read"
    return Item(
        display, diagnostics=(Diagnostic("file.too-large", "error", "", message),), file=file, line=line
    )


def read_limited(stream: BinaryIO, max_bytes: int, size_hint: int = 0) -> bytes:
    """At most max_bytes + 1 bytes of a stream (one more tells that it is too large).

    Never `read(max_bytes + 1)` at once: that allocates the whole limit (256 MiB) for every file.
    """
    if 0 < size_hint <= max_bytes:
        data = stream.read(size_hint + 1)  # the usual case: a regular file of known size
        if len(data) <= size_hint:
            return data
        chunks = [data]
    else:
        chunks = []
    total = sum(map(len, chunks))
    while total <= max_bytes:
        chunk = stream.read(min(1 << 20, max_bytes + 1 - total))
        if not chunk:
            break
        chunks.append(chunk)
        total += len(chunk)
    return b"".join(chunks)


def read_file(path: str, max_bytes: int) -> tuple[bytes | None, list[Diagnostic]]:
    """The file's bytes, or the diagnostic that says why they could not be had."""
    try:
        with open(path, "rb", buffering=0) as handle:
            size = os.fstat(handle.fileno()).st_size
            if size > max_bytes:
                message = f"{size} bytes is more than --max-bytes {max_bytes}; not read"
                return None, [Diagnostic("file.too-large", "error", "", message)]
            # A file that grows while read, or has no size (a pipe), is caught by the limit.
            data = read_limited(handle, max_bytes, size)
    except OSError as error:
        return None, [Diagnostic("file.unreadable", "error", "", _os_message(error))]
    if len(data) > max_bytes:
        message = f"more than --max-bytes {max_bytes} bytes; not read"
        return None, [Diagnostic("file.too-large", "error", "", message)]
    return data, []


def _os_message(error: OSError) -> str:
    reason = error.strerror or type(error).__name__
    return f"cannot read: {reason[0].lower()}{reason[1:]}"


class Walker:
    """Turns paths into items lazily, so memory does not grow with the number of files."""

    def __init__(
        self,
        *,
        exclude: Iterable[str] = (),
        jsonl: bool = False,
        max_bytes: int,
        stdin: BinaryIO | None = None,
        skip: Iterable[str] = (),
    ):
        self.exclude = tuple(exclude)
        self.jsonl = jsonl
        self.max_bytes = max_bytes
        self.stdin = stdin
        self.suffix = ".jsonl" if jsonl else ".json"
        # Files never walked into, by device and inode: the report being written (`-o export/r.json`).
        self.skip = set()
        for path in skip:
            with contextlib.suppress(OSError):
                info = os.stat(path)
                self.skip.add((info.st_dev, info.st_ino))

    def excluded(self, path: str) -> bool:
        if not self.exclude:
            return False
        normal = path.replace(os.sep, "/")
        name = normal.rstrip("/").rsplit("/", 1)[-1]
        return any(
            fnmatch.fnmatchcase(normal, glob) or fnmatch.fnmatchcase(name, glob) for glob in self.exclude
        )

    def items(self, paths: Iterable[str]) -> Iterator[Item]:
        for path in paths:
            if path == STDIN:
                yield from self._stdin()
            elif self.excluded(path):
                continue
            elif os.path.isdir(path):
                yield from self._directory(path)
            else:
                # A named file is read whatever its name; one that does not exist is reported by
                # the reader as file.unreadable, like any other file that cannot be read.
                yield from self._file(path)

    def _file(self, path: str) -> Iterator[Item]:
        display = printable(path)
        if self.jsonl:
            yield from self._lines(display, path)
        else:
            yield Item(display, path=path, file=display)

    def _stdin(self) -> Iterator[Item]:
        stream = self.stdin if self.stdin is not None else sys.stdin.buffer
        if self.jsonl:
            yield from self._read_lines(STDIN, stream)
            return
        data = read_limited(stream, self.max_bytes)
        if len(data) > self.max_bytes:
            yield _too_large(STDIN, "standard input", self.max_bytes, STDIN)
        else:
            yield Item(STDIN, data=data, file=STDIN)

    def _lines(self, display: str, path: str) -> Iterator[Item]:
        try:
            handle = open(path, "rb")  # noqa: SIM115 (closed below; a generator cannot use `with` across yields cleanly)
        except OSError as error:
            yield _unreadable(display, _os_message(error))
            return
        try:
            yield from self._read_lines(display, handle)
        except OSError as error:
            yield _unreadable(display, _os_message(error))
        finally:
            handle.close()

    def _read_lines(self, display: str, stream: BinaryIO) -> Iterator[Item]:
        number = 0
        documents = 0
        while True:
            line = stream.readline(self.max_bytes + 1)
            if not line:
                break
            number += 1
            if len(line) > self.max_bytes and not line.endswith(b"\n"):
                # Skip the rest of the over-long line without holding it.
                while (rest := stream.readline(self.max_bytes + 1)) and not rest.endswith(b"\n"):
                    pass
                documents += 1
                yield _too_large(f"{display}:{number}", "the line", self.max_bytes, display, number)
                continue
            if not line.strip():
                continue  # blank lines (a trailing newline, a separator) hold no document
            documents += 1
            yield Item(f"{display}:{number}", data=line, file=display, line=number)
        if documents == 0:
            yield Item(display, data=b"", file=display)

    def _directory(self, root: str) -> Iterator[Item]:
        # Depth-first over sorted names; `ancestors` holds the directories on the current path, by
        # device and inode, so a symlink back to one of them is reported once and not followed.
        try:
            info = os.stat(root)
        except OSError as error:
            yield _unreadable(printable(root), _os_message(error))
            return
        yield from self._walk(root, {(info.st_dev, info.st_ino): root})

    def _walk(self, directory: str, ancestors: dict[tuple[int, int], str]) -> Iterator[Item]:
        try:
            with os.scandir(directory) as entries:
                names = sorted(entry.name for entry in entries)
        except OSError as error:
            yield _unreadable(printable(directory), _os_message(error))
            return
        for name in names:
            path = os.path.join(directory, name)
            if self.excluded(path):
                continue
            try:
                info = os.stat(path)
            except OSError:
                info = None  # a dangling symlink: read (and reported) below when its name matches
            if info is not None and stat.S_ISDIR(info.st_mode):
                key = (info.st_dev, info.st_ino)
                if key in ancestors:
                    target = printable(ancestors[key])
                    yield _unreadable(
                        printable(path),
                        f"symbolic link loop: this directory is {target!r} again; not followed",
                    )
                    continue
                ancestors[key] = path
                yield from self._walk(path, ancestors)
                del ancestors[key]
            elif name.lower().endswith(self.suffix) and (info is None or stat.S_ISREG(info.st_mode)):
                if info is not None and (info.st_dev, info.st_ino) in self.skip:
                    continue
                yield from self._file(path)
