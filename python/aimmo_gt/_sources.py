"""URLs and archives to work items through fsspec: sorted listings like the local walk, batched reads."""

from __future__ import annotations

import contextlib
import dataclasses
import io
import threading
from collections import OrderedDict
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

import fsspec
from fsspec.archive import AbstractArchiveFileSystem
from fsspec.core import split_protocol, url_to_fs

from ._diagnostics import Diagnostic
from ._walk import (
    Item,
    Walker,
    _os_message,
    _too_large,
    _unreadable,
    gunzip_bytes,
    is_archive,
    is_gzip,
    is_url,
    limited,
    printable,
)

#: The extra that installs each protocol's driver (pyproject's optional dependencies).
EXTRAS = {"s3": ("s3fs", "s3"), "s3a": ("s3fs", "s3"), "gs": ("gcsfs", "gcs"), "gcs": ("gcsfs", "gcs")}

#: Archive filesystems kept open per process: opening one reads its index (a tar.gz: decompresses
#: it whole), so a batch of members must not pay for it again. fsspec does not cache tar ones.
_ARCHIVES_KEPT = 4
_archives: OrderedDict[tuple[str, str], fsspec.AbstractFileSystem] = OrderedDict()
#: A Dask worker may run several threads: the cache, and a tar's one decompressing stream, are
#: used by one at a time.
_archive_lock = threading.RLock()


def unavailable(paths: Iterable[str]) -> str | None:
    """Why a URL among `paths` cannot be read at all (its driver is not installed, its protocol is
    unknown): a usage error, said before anything is checked."""
    for path in paths:
        if not is_url(path):
            continue
        for part in path.split("::"):
            protocol, _ = split_protocol(part)
            if protocol is None:
                continue
            try:
                fsspec.get_filesystem_class(protocol)
            except ImportError as error:
                if protocol in EXTRAS:
                    package, extra = EXTRAS[protocol]
                    return (
                        f"{path}: reading {protocol}:// needs {package}, which is not installed: "
                        f"pip install 'aimmo-gt[{extra}]'"
                    )
                return f"{path}: reading {protocol}:// needs a package that is not installed ({error})"
            except ValueError:
                return f"{path}: {protocol!r} is not a protocol fsspec knows (e.g. s3://, gs://, file://)"
    return None


def storage_message(error: BaseException, path: str = "") -> str:
    """The storage's reason, as a file.unreadable message (`path`: what was read, which fsspec's
    errors often hold as their only text)."""
    if isinstance(error, OSError) and error.strerror:
        return _os_message(error)
    detail = str(error)
    if detail.rstrip("/") == path.rstrip("/"):
        detail = ""
    if isinstance(error, FileNotFoundError):
        text = f"no such file or object ({detail})" if detail else "no such file or object"
    elif isinstance(error, PermissionError):
        text = f"access denied ({detail})" if detail else "access denied"
    else:
        text = f"{type(error).__name__}: {detail}" if detail else type(error).__name__
    return f"cannot read: {text}"


def _archive_message(error: BaseException, url: str) -> str:
    if isinstance(error, OSError) and (
        error.strerror or isinstance(error, FileNotFoundError | PermissionError)
    ):
        return storage_message(error)  # the archive itself could not be had
    kind = "zip" if url.lower().endswith(".zip") else "tar"
    reason = str(error) or type(error).__name__
    return f"cannot read: not a valid {kind} archive ({reason})"


def archive_filesystem(url: str, storage_options: Mapping[str, Any]) -> fsspec.AbstractFileSystem:
    """fsspec's zip or tar filesystem over the archive at `url` (a local path or a URL)."""
    with _archive_lock:
        return _archive_filesystem(url, storage_options)


def _archive_filesystem(url: str, storage_options: Mapping[str, Any]) -> fsspec.AbstractFileSystem:
    options = dict(storage_options) if is_url(url) else {}
    key = (url, repr(sorted(options.items())))
    if key in _archives:
        _archives.move_to_end(key)
        return _archives[key]
    lower = url.lower()
    arguments: dict[str, Any] = {"fo": url}
    if options:
        arguments["target_options"] = options
    if lower.endswith(".zip"):
        archive = fsspec.filesystem("zip", **arguments)
    else:
        compression = "gzip" if lower.endswith((".tar.gz", ".tgz")) else None
        archive = fsspec.filesystem("tar", compression=compression, **arguments)
    _archives[key] = archive
    while len(_archives) > _ARCHIVES_KEPT:
        _archives.popitem(last=False)
    return archive


# --- Listing: what the user named, to items (in the parent process).


def fsspec_items(walker: Walker, path: str) -> Iterator[Item]:
    """Items for a URL (a folder listed recursively, or one object) or an archive named as a PATH."""
    display = printable(path)
    if not is_url(path):
        yield from _archive(walker, path, display)
        return
    root = ""
    try:
        fs, root = url_to_fs(path, **walker.storage_options)
        info = fs.info(root)
    except Exception as error:  # missing, denied, unreachable: the storage says which
        yield _unreadable(display, storage_message(error, root))
        return
    if info["type"] == "directory":
        base = path.rstrip("/")
        yield from _tree(walker, fs, info["name"], printable(base), base)
    elif is_archive(root):
        yield from _archive(walker, path, display)
    else:
        yield from _object(walker, fs, info, display, url=path, member=None)


def _archive(walker: Walker, url: str, display: str) -> Iterator[Item]:
    try:
        archive = archive_filesystem(url, walker.storage_options)
    except Exception as error:  # not an archive, truncated, or not to be had
        yield _unreadable(display, _archive_message(error, url))
        return
    # Members are named `archive.zip!/dir/x.json`, as Java's jar URLs do.
    yield from _tree(walker, archive, "", f"{display}!", None, archive=url)


def _tree(
    walker: Walker,
    fs: fsspec.AbstractFileSystem,
    top: str,
    display: str,
    url: str | None,
    archive: str | None = None,
) -> Iterator[Item]:
    """Depth-first over sorted names, as the local walk goes (so reports come in the same order);
    excluded directories are not listed. `url` names `top` for the readers (None in an archive)."""
    stack = [_entries(fs, top, display, url)]
    while stack:
        entry = next(stack[-1], None)
        if entry is None:
            stack.pop()
            continue
        if isinstance(entry, Item):  # a directory that could not be listed
            yield entry
            continue
        info, shown, child_url = entry
        if walker.excluded(shown):
            continue
        name = info["name"]
        if info["type"] == "directory":
            stack.append(_entries(fs, name, shown, child_url))
        elif walker.matches(name.rsplit("/", 1)[-1]):
            if archive is not None:
                yield from _object(walker, fs, info, shown, url=archive, member=name)
            else:
                assert child_url is not None
                yield from _object(walker, fs, info, shown, url=child_url, member=None)


def _entries(
    fs: fsspec.AbstractFileSystem, directory: str, display: str, url: str | None
) -> Iterator[Item | tuple[dict, str, str | None]]:
    try:
        listing = fs.ls(directory, detail=True)
    except Exception as error:
        yield _unreadable(display, storage_message(error, directory))
        return
    # The listing is used once: keep the filesystem's cache from holding every directory of the export.
    fs.invalidate_cache(directory)
    own = directory.rstrip("/")
    children = []
    for info in listing:
        name = info["name"].rstrip("/")
        if name and name != own:
            children.append((name.rsplit("/", 1)[-1], info))
    children.sort(key=lambda child: child[0])
    for base, info in children:
        yield info, f"{display}/{printable(base)}", None if url is None else f"{url}/{base}"


def _object(
    walker: Walker, fs: fsspec.AbstractFileSystem, info: dict, display: str, *, url: str, member: str | None
) -> Iterator[Item]:
    size = info.get("size")
    if isinstance(size, int) and size > walker.max_bytes:
        yield _too_large(display, f"{size} bytes", walker.max_bytes, display)
    elif walker.jsonl:
        # A JSON Lines file's documents are its lines: they are read here, where the items are made.
        try:
            # fsspec's files have no readline(limit), which bounds a line's memory: a buffer gives it.
            with io.BufferedReader(fs.open(info["name"], "rb")) as handle:
                yield from walker.read_lines(display, handle, gzipped=is_gzip(info["name"]))
        except Exception as error:
            yield _unreadable(display, storage_message(error, info["name"]))
    else:
        yield Item(display, url=url, member=member, file=display)


# --- Reading: a batch of items to their bytes (in whichever process checks them).


def read_batch(items: list[Item], storage_options: Mapping[str, Any], max_bytes: int) -> list[Item]:
    """The items with the bytes of every remote object or archive member filled in (or the reason they
    could not be had), read with one concurrent `cat_ranges` per filesystem rather than one request
    at a time. (Not `cat`: it expands glob characters, and `[1].json` is a file name.)"""
    read = list(items)
    groups: dict[int, tuple[fsspec.AbstractFileSystem, list[tuple[int, str]]]] = {}
    for index, item in enumerate(items):
        if item.url is None or item.data is not None or item.diagnostics:
            continue
        try:
            if item.member is not None:
                fs, path = archive_filesystem(item.url, storage_options), item.member
            else:
                fs, path = url_to_fs(item.url, **storage_options)
        except Exception as error:
            read[index] = _failed(item, storage_message(error))
            continue
        groups.setdefault(id(fs), (fs, []))[1].append((index, path))
    for fs, entries in groups.values():
        paths = [path for _, path in entries]
        try:
            archive = isinstance(fs, AbstractArchiveFileSystem)
            with _archive_lock if archive else contextlib.nullcontext():
                results = fs.cat_ranges(paths, None, None, on_error="return")
        except Exception as error:  # the whole request failed (the connection dropped)
            results = [error] * len(paths)
        for (index, path), result in zip(entries, results, strict=True):
            read[index] = _filled(items[index], path, result, max_bytes)
    return read


def _filled(item: Item, path: str, result: bytes | BaseException, max_bytes: int) -> Item:
    if isinstance(result, BaseException):
        message = storage_message(result, path)
        if item.member is not None and not isinstance(result, OSError):
            message = f"cannot read: a corrupt archive member ({type(result).__name__}: {result})"
        return _failed(item, message)
    data, problems = gunzip_bytes(result, max_bytes) if is_gzip(path) else limited(result, max_bytes)
    if data is None:
        return dataclasses.replace(item, diagnostics=tuple(problems))
    return dataclasses.replace(item, data=data)


def _failed(item: Item, message: str) -> Item:
    return dataclasses.replace(item, diagnostics=(Diagnostic("file.unreadable", "error", "", message),))
