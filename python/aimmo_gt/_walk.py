"""Command-line paths to work items: files, sorted directory walks, JSON Lines, stdin; one at a time."""

from __future__ import annotations

import contextlib
import errno
import fnmatch
import io
import os
import re
import stat
import sys
import zlib
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, BinaryIO, cast

from ._diagnostics import Diagnostic

STDIN = "-"

#: --max-bytes when not given.
DEFAULT_MAX_BYTES = 256 * 1024**2

#: Names of files read through gzip (`*.json.gz`, `*.jsonl.gz`), here and in _sources.
GZIP_SUFFIX = ".gz"
#: Archives walked like a folder when named as a PATH (python/aimmo_gt/_sources.py).
ARCHIVE_SUFFIXES = (".zip", ".tar", ".tar.gz", ".tgz")
#: `scheme://...` (s3://, gs://, file://, ...) or fsspec's chained `scheme::...`: read through fsspec.
_URL = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*(?:://|::)")


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
    #: An fsspec URL (or, for an archive on local disk, its path) to read the bytes from instead of
    #: `path`: a remote object, or the archive that holds `member` (python/aimmo_gt/_sources.py).
    url: str | None = None
    #: The member's path inside the archive `url`.
    member: str | None = None


def is_url(path: str) -> bool:
    """True for a path fsspec reads (`s3://bucket/export/`, `gs://...`, `zip://x::e.zip`)."""
    return _URL.match(path) is not None


def is_gzip(path: str) -> bool:
    return path.lower().endswith(GZIP_SUFFIX)


def is_archive(path: str) -> bool:
    return path.lower().endswith(ARCHIVE_SUFFIXES)


def is_export(paths: Sequence[str], jsonl: bool = False) -> bool:
    """Whether `paths` can hold more than one document (several paths, a directory, a URL, an archive,
    JSON Lines): where the whole-export rules are on by default."""
    return (
        len(paths) > 1
        or jsonl
        or any(os.path.isdir(path) or is_url(path) or is_archive(path) for path in paths)
    )


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
    """The file's bytes (decompressed for `*.gz`), or the diagnostic that says why they could not be had."""
    try:
        with open_regular(path) as handle:
            size = os.fstat(handle.fileno()).st_size
            if size > max_bytes:
                message = f"{size} bytes is more than --max-bytes {max_bytes}; not read"
                return None, [Diagnostic("file.too-large", "error", "", message)]
            if is_gzip(path):
                return gunzip(handle, max_bytes)
            # A file that grows while read is caught by the limit.
            data = read_limited(handle, max_bytes, size)
    except NotRegular as error:
        return None, [Diagnostic("file.unreadable", "error", "", str(error))]
    except OSError as error:
        return None, [Diagnostic("file.unreadable", "error", "", _os_message(error))]
    return limited(data, max_bytes)


def limited(data: bytes, max_bytes: int) -> tuple[bytes | None, list[Diagnostic]]:
    if len(data) > max_bytes:
        message = f"more than --max-bytes {max_bytes} bytes; not read"
        return None, [Diagnostic("file.too-large", "error", "", message)]
    return data, []


def gunzip(stream: BinaryIO, max_bytes: int) -> tuple[bytes | None, list[Diagnostic]]:
    """The decompressed bytes of a gzip stream, at most max_bytes of them (a small file can hold a
    gzip bomb), or the diagnostic that says why not."""
    import gzip  # only for *.gz files: a run without them does without the import

    try:
        data = read_limited(cast(BinaryIO, gzip.GzipFile(fileobj=stream, mode="rb")), max_bytes)
    except (OSError, EOFError, zlib.error) as error:
        return None, [Diagnostic("file.unreadable", "error", "", gzip_message(error))]
    return limited(data, max_bytes)


def gunzip_bytes(data: bytes, max_bytes: int) -> tuple[bytes | None, list[Diagnostic]]:
    return gunzip(io.BytesIO(data), max_bytes)


def gzip_message(error: Exception) -> str:
    # An OSError with an errno is the storage's (a read failed); gzip's own say the data is bad.
    if isinstance(error, OSError) and error.strerror:
        return _os_message(error)
    reason = str(error) or type(error).__name__
    return f"cannot read: not valid gzip data ({reason})"


class NotRegular(OSError):
    """A path names a FIFO, a device, a socket: reading it could block forever or never end."""


def _kind(mode: int) -> str:
    for test, name in (
        (stat.S_ISFIFO, "a FIFO"),
        (stat.S_ISCHR, "a character device"),
        (stat.S_ISBLK, "a block device"),
        (stat.S_ISSOCK, "a socket"),
        (stat.S_ISDIR, "a directory"),
    ):
        if test(mode):
            return name
    return "not a regular file"


def not_regular_message(mode: int) -> str:
    return f"not a regular file ({_kind(mode)}); not read"


def open_regular(path: str, buffering: int = 0) -> BinaryIO:
    """Open a regular file for reading, never blocking: a FIFO (named, or swapped in after the walk)
    would block `open()` until a writer comes, a device would never end; both raise NotRegular."""
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            raise NotRegular(not_regular_message(mode))
        os.set_blocking(fd, True)
    except BaseException:
        os.close(fd)
        raise
    return os.fdopen(fd, "rb", buffering=buffering)


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
        storage_options: dict[str, Any] | None = None,
    ):
        self.exclude = tuple(exclude)
        #: Passed to the fsspec filesystem of every URL (python/aimmo_gt/_sources.py).
        self.storage_options = dict(storage_options or {})
        self.jsonl = jsonl
        self.max_bytes = max_bytes
        self.stdin = stdin
        self.suffix = ".jsonl" if jsonl else ".json"
        # Files never walked into, by device and inode: the report being written (`-o export/r.json`).
        self.skip: set[tuple[int, int]] = set()
        self.skip_files(skip)

    def skip_files(self, paths: Iterable[str]) -> None:
        for path in paths:
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
            elif is_url(path) or (is_archive(path) and os.path.isfile(path)):
                # URLs and archives are read through fsspec, imported only for them.
                from ._sources import fsspec_items

                yield from fsspec_items(self, path)
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
        if self.stdin is None and sys.stdin is None:  # started with standard input closed (`<&-`)
            yield _unreadable(STDIN, "cannot read: standard input is closed")
            return
        stream = self.stdin if self.stdin is not None else sys.stdin.buffer
        if self.jsonl:
            yield from self._read_lines(STDIN, stream)
            return
        data = read_limited(stream, self.max_bytes)
        if len(data) > self.max_bytes:
            yield _too_large(STDIN, "standard input", self.max_bytes, STDIN)
        else:
            yield Item(STDIN, data=data, file=STDIN)

    def matches(self, name: str) -> bool:
        """True for the names a directory walk reads: *.json (*.jsonl with --jsonl), gzipped or not."""
        lower = name.lower()
        return lower.endswith(self.suffix) or lower.endswith(self.suffix + GZIP_SUFFIX)

    def _lines(self, display: str, path: str) -> Iterator[Item]:
        try:
            # Buffered: readline() on an unbuffered file reads a byte per system call. Closed below
            # (a generator cannot use `with` across yields cleanly).
            handle = open_regular(path, buffering=-1)
        except NotRegular as error:
            yield _unreadable(display, str(error))
            return
        except OSError as error:
            yield _unreadable(display, _os_message(error))
            return
        try:
            yield from self.read_lines(display, handle, gzipped=is_gzip(path))
        finally:
            handle.close()

    def read_lines(self, display: str, stream: BinaryIO, *, gzipped: bool = False) -> Iterator[Item]:
        """The documents of a JSON Lines stream; a read that fails is reported on the file."""
        if gzipped:
            import gzip

            stream = cast(BinaryIO, gzip.GzipFile(fileobj=stream, mode="rb"))
        try:
            yield from self._read_lines(display, stream)
        except (OSError, EOFError, zlib.error) as error:
            if isinstance(error, OSError) and not gzipped:
                yield _unreadable(display, _os_message(error))
            else:
                yield _unreadable(display, gzip_message(error))

    def _read_lines(self, display: str, stream: BinaryIO) -> Iterator[Item]:
        number = 0
        documents = 0
        while True:
            line = stream.readline(self.max_bytes + 1)
            if not line:
                break
            number += 1
            if len(line) > self.max_bytes and not line.endswith(b"\n"):
                # Skip the rest of the over-long line without holding it; bytes no JSON text holds
                # (a NUL: /dev/zero on standard input) mean no newline may ever come.
                rest = line
                while b"\0" not in rest and (rest := stream.readline(self.max_bytes + 1)):
                    if rest.endswith(b"\n"):
                        break
                if b"\0" in rest:
                    yield _unreadable(
                        f"{display}:{number}",
                        "the input holds NUL bytes: it is not JSON Lines; the rest was not read",
                    )
                    return
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

    def _listing(self, directory: str) -> list[tuple[str, int]] | Item:
        """The sorted names in a directory, each with what its entry is (_DIRECTORY, _FILE or 0 for
        anything else, known without a stat, which fails for a path longer than PATH_MAX); or the item
        reporting why it cannot be read."""
        try:
            with os.scandir(directory) as entries:
                return sorted((entry.name, _entry_kind(entry)) for entry in entries)
        except OSError as error:
            return _unreadable(printable(directory), _os_message(error))

    def _walk(self, root: str, ancestors: dict[tuple[int, int], str]) -> Iterator[Item]:
        # An explicit stack of open directories, not recursion: nesting is not bounded by Python's
        # recursion limit (1,000 levels crashed the walk).
        listing = self._listing(root)
        if isinstance(listing, Item):
            yield listing
            return
        stack: list[tuple[str, tuple[int, int] | None, Iterator[tuple[str, int]]]] = [
            (root, None, iter(listing))
        ]
        while stack:
            directory, key, names = stack[-1]
            entry = next(names, None)
            if entry is None:
                stack.pop()
                if key is not None:
                    del ancestors[key]
                continue
            name, kind = entry
            entry_is_dir = kind == _DIRECTORY
            path = os.path.join(directory, name)
            if self.excluded(path):
                continue
            if kind == _FILE and not self.skip and len(path) < _SHORT_PATH:
                # A regular file (the directory's entry says so, without a stat: one per file was
                # a tenth of a clean run's time in the process that hands out the work), with no file
                # to skip and a path far from PATH_MAX: what the stat below would have found.
                if self.matches(name):
                    yield from self._file(path)
                continue
            try:
                info = os.stat(path)
            except OSError as error:
                if error.errno == errno.ENAMETOOLONG and (entry_is_dir or self.matches(name)):
                    # Every file found is checked or reported: a folder past PATH_MAX was skipped silently.
                    what = "directory" if entry_is_dir else "file"
                    yield _unreadable(
                        printable(path), f"the path of this {what} is longer than the system allows; not read"
                    )
                    continue
                info = None  # a dangling symlink: read (and reported) below when its name matches
            if info is not None and stat.S_ISDIR(info.st_mode):
                inode = (info.st_dev, info.st_ino)
                if inode in ancestors:
                    target = printable(ancestors[inode])
                    yield _unreadable(
                        printable(path),
                        f"symbolic link loop: this directory is {target!r} again; not followed",
                    )
                    continue
                below = self._listing(path)
                if isinstance(below, Item):
                    yield below
                    continue
                ancestors[inode] = path
                stack.append((path, inode, iter(below)))
            elif self.matches(name):
                if info is not None and (info.st_dev, info.st_ino) in self.skip:
                    continue
                if info is not None and not stat.S_ISREG(info.st_mode):
                    yield _unreadable(printable(path), not_regular_message(info.st_mode))
                    continue
                yield from self._file(path)


#: Paths shorter than this (characters; at most 4 bytes each) cannot be longer than PATH_MAX (4,096
#: bytes on Linux, 1,024 on macOS).
_SHORT_PATH = 256


#: What a directory entry is, when not a symbolic link (one small int: a listing holds one per name).
_DIRECTORY, _FILE = 1, 2


def _entry_kind(entry: os.DirEntry) -> int:
    try:
        if entry.is_dir(follow_symlinks=False):
            return _DIRECTORY
        return _FILE if entry.is_file(follow_symlinks=False) else 0
    except OSError:
        return 0
