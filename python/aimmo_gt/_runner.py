"""Check work items, in this process or a pool of processes, yielding reports in input order."""

from __future__ import annotations

import contextlib
import os
import signal
import sys
from collections import deque
from collections.abc import Generator, Iterable, Iterator
from dataclasses import dataclass
from itertools import chain, islice
from typing import TYPE_CHECKING

from ._api import check, tune
from ._diagnostics import Diagnostic, count, passes
from ._walk import Item, read_file

if TYPE_CHECKING:
    from ._loading import Position

#: Items sent to a worker at once: large enough that inter-process overhead stays small next to
#: checking, small enough that a slow file does not hold many finished ones back.
BATCH = 32
#: Bytes of documents read ahead (JSON Lines, stdin) per batch: a batch of large lines holds one.
BATCH_BYTES = 1 << 20
#: Batches in flight per worker: bounds memory (reports wait in order) while keeping workers busy.
WINDOW_PER_JOB = 4


@dataclass(frozen=True, slots=True)
class Options:
    profile: str | None = None
    warn: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    strict: bool = False
    #: Work out the line and column of each diagnostic (costs a scan of each failing file).
    positions: bool = False
    #: _api.ENGINES: "auto" and "fast" first try the fast engine (_fast.py), which passes a clean file without
    #: the loader and the reference engine (same reports: tests/test_engines_equivalence.py).
    engine: str = "auto"


@dataclass(frozen=True, slots=True)
class FileReport:
    """What checking one item found, small enough to send between processes."""

    path: str
    valid: bool
    profile: str | None
    inferred: bool
    diagnostics: tuple[Diagnostic, ...]
    #: Line and column of each diagnostic, parallel to `diagnostics` (None when unknown); empty
    #: unless positions were asked for or the parser knew them.
    positions: tuple[Position | None, ...] = ()
    #: The file the document is in and the line its text starts on (JSON Lines), for SARIF.
    file: str | None = None
    line: int = 1

    @property
    def errors(self) -> int:
        return count(self.diagnostics, "error")

    @property
    def warnings(self) -> int:
        return count(self.diagnostics, "warning")


def default_jobs() -> int:
    if hasattr(os, "process_cpu_count"):  # Python 3.13+
        return os.process_cpu_count() or 1
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0)) or 1
    return os.cpu_count() or 1


def _tuned(diagnostics, positions, options: Options):
    # tune() keeps the rules that mean a file was not checked (UNTUNABLE) whatever the options say.
    kept, where = [], []
    for diagnostic, position in zip(diagnostics, positions, strict=True):
        for tuned in tune((diagnostic,), options.warn, options.ignore):
            kept.append(tuned)
            where.append(position)
    return tuple(kept), tuple(where)


def check_item(item: Item, options: Options, max_bytes: int) -> FileReport:
    """Read, parse and check one item; every problem becomes a diagnostic, never an exception."""

    def report(diagnostics, positions=(), profile=None, inferred=False) -> FileReport:
        return FileReport(
            item.display,
            passes(diagnostics, options.strict),
            profile,
            inferred,
            tuple(diagnostics),
            tuple(positions),
            item.file,
            item.line,
        )

    if item.diagnostics:
        diagnostics, positions = _tuned(item.diagnostics, (None,) * len(item.diagnostics), options)
        return report(diagnostics, positions)
    data = item.data
    if data is None:
        assert item.path is not None  # an Item has a path, data or diagnostics
        data, problems = read_file(item.path, max_bytes)
        if data is None:
            return report(*_tuned(problems, (None,) * len(problems), options))
    if options.engine != "reference":
        clean, profile = fast_clean(data, options.profile, options.engine)
        if clean:
            return report((), (), profile, options.profile is None)
    # The loader is imported only for a file the fast engine did not pass: a run of clean files,
    # one small file above all, does without it.
    from ._loading import load_positioned, locate

    loaded = load_positioned(data)
    diagnostics, positions = _tuned(loaded.diagnostics, loaded.positions, options)
    if loaded.document is None:
        return report(diagnostics, positions)
    try:
        result = check(
            loaded.document,
            options.profile,
            warn=options.warn,
            ignore=options.ignore,
            strict=options.strict,
            engine=options.engine,
        )
    except Exception as error:  # a validator bug must cost one file, not the whole run
        failure = Diagnostic(
            "internal.error",
            "error",
            "",
            f"the validator failed on this file ({type(error).__name__}: {error}); please report it",
        )
        return report((*diagnostics, failure), (*positions, None))
    found = result.diagnostics
    where: tuple[Position | None, ...] = (None,) * len(found)
    if found and options.positions:
        known = locate(data.decode("utf-8", "replace").removeprefix("\ufeff"), {d.pointer for d in found})
        where = tuple(known.get(d.pointer) for d in found)
    return report((*diagnostics, *found), (*positions, *where), result.profile, result.inferred)


def fast_clean(data: bytes, profile: str | None, engine: str) -> tuple[bool, str | None]:
    """(True, the profile used) when the fast engine proves the file clean."""
    try:
        from ._fast import clean_bytes
    except ImportError:  # msgspec is missing: "auto" goes on without it ("fast" is refused earlier)
        return False, None
    return clean_bytes(data, profile)


def __getattr__(name: str):
    # concurrent.futures takes about 12 ms to import, more than checking a small file: the pool
    # class is imported when a parallel run (or a test replacing it) first asks for it.
    if name == "ProcessPoolExecutor":
        from concurrent.futures import ProcessPoolExecutor

        globals()[name] = ProcessPoolExecutor
        return ProcessPoolExecutor
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _worker_init() -> None:
    # Ctrl-C reaches the whole process group: the main process stops the run and says so; workers
    # stay quiet instead of each printing a KeyboardInterrupt traceback.
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _check_batch(batch: list[Item], options: Options, max_bytes: int) -> list[FileReport]:
    return [check_item(item, options, max_bytes) for item in batch]


def _batches(items: Iterable[Item]) -> Iterator[list[Item]]:
    batch: list[Item] = []
    size = 0
    for item in items:
        batch.append(item)
        size += _size(item)
        if len(batch) >= BATCH or size >= BATCH_BYTES:
            yield batch
            batch, size = [], 0
    if batch:
        yield batch


def _size(item: Item) -> int:
    """The bytes an item holds (JSON Lines lines and stdin are read before they are checked)."""
    return len(item.data) if item.data is not None else 0


def run(
    items: Iterable[Item], options: Options, *, max_bytes: int, jobs: int = 1
) -> Generator[FileReport, None, None]:
    """Check every item and yield its report, in the order of `items` whatever `jobs` is."""
    if jobs <= 1:
        # One item at a time, nothing read ahead: memory holds one document.
        for item in items:
            yield check_item(item, options, max_bytes)
        return
    batches = _batches(items)
    head = list(islice(batches, 2))
    if len(head) < 2:
        # One batch or less: starting processes would cost more than it saves.
        for batch in head:
            yield from _check_batch(batch, options, max_bytes)
        return
    from concurrent.futures.process import BrokenProcessPool

    window: deque = deque()
    in_flight = 0  # bytes of the batches in the window: a few documents, whatever their size
    pool = _start_pool(jobs)

    def submit(batch: list[Item]):
        nonlocal pool
        try:
            return pool.submit(_check_batch, batch, options, max_bytes)
        except BrokenProcessPool:  # a worker died: its batches are checked apart, the run goes on
            _stop(pool)
            pool = _start_pool(jobs)
            return pool.submit(_check_batch, batch, options, max_bytes)
        except OSError as error:  # fork failed (too many processes, no memory)
            raise WorkerStartError(jobs, error) from None

    def collect(future, batch: list[Item]) -> list[FileReport]:
        try:
            return future.result()
        except BrokenProcessPool:
            return _apart(batch, options, max_bytes)

    try:
        for batch in chain(head, batches):
            size = sum(map(_size, batch))
            window.append((submit(batch), batch, size))
            in_flight += size
            while window and (len(window) >= jobs * WINDOW_PER_JOB or in_flight > jobs * BATCH_BYTES):
                future, done, size = window.popleft()
                in_flight -= size
                yield from collect(future, done)
        while window:
            future, done, _ = window.popleft()
            yield from collect(future, done)
    except BaseException:
        # Ctrl-C, a failed fork, a reader gone: stop at once. Waiting for the workers (which ignore
        # Ctrl-C and may be deep in a large file) made a second Ctrl-C deadlock the run.
        _stop(pool)
        raise
    pool.shutdown(wait=True)


class WorkerStartError(RuntimeError):
    """Worker processes could not be started (fork failed): the run cannot go on as asked."""

    def __init__(self, jobs: int, error: OSError):
        reason = error.strerror or str(error) or type(error).__name__
        super().__init__(f"cannot start {jobs} worker processes ({reason}); try a smaller --jobs")


def _start_pool(jobs: int):
    try:
        return sys.modules[__name__].ProcessPoolExecutor(max_workers=jobs, initializer=_worker_init)
    except OSError as error:
        raise WorkerStartError(jobs, error) from None


def _stop(pool) -> None:
    """End a pool now: cancel what has not started and kill the workers (no public way in 3.11)."""
    processes = list((getattr(pool, "_processes", None) or {}).values())  # shutdown() forgets them
    for process in processes:
        with contextlib.suppress(Exception):
            process.kill()
    pool.shutdown(wait=False, cancel_futures=True)


def _apart(batch: list[Item], options: Options, max_bytes: int) -> list[FileReport]:
    """A batch whose worker died (the out-of-memory killer, a crash): checked again in a process of
    its own, then file by file, so that only a file that kills its process again is lost, and it
    becomes an internal.error naming the cause."""
    reports, exit_code = _in_child(batch, options, max_bytes)
    if reports is not None:
        return reports
    if len(batch) > 1:
        return [report for item in batch for report in _apart([item], options, max_bytes)]
    [item] = batch
    cause = f"ended with exit status {exit_code}"
    if exit_code is not None and exit_code < 0:
        with contextlib.suppress(ValueError):
            cause = f"was killed by {signal.Signals(-exit_code).name}"
    if exit_code == -signal.SIGKILL:
        cause += " (as the out-of-memory killer does)"
    message = f"the process checking this file {cause}; the file was not checked, the run went on"
    failure = Diagnostic("internal.error", "error", "", message)
    return [FileReport(item.display, False, None, False, (failure,), (None,), item.file, item.line)]


def _child(send, batch: list[Item], options: Options, max_bytes: int) -> None:
    _worker_init()
    send.send(_check_batch(batch, options, max_bytes))
    send.close()


def _in_child(
    batch: list[Item], options: Options, max_bytes: int
) -> tuple[list[FileReport] | None, int | None]:
    import multiprocessing

    receive, send = multiprocessing.Pipe(duplex=False)
    process = multiprocessing.Process(target=_child, args=(send, batch, options, max_bytes), daemon=True)
    process.start()
    send.close()
    try:
        reports = receive.recv()
    except EOFError:
        reports = None
    finally:
        receive.close()
        process.join()
    return reports, process.exitcode
