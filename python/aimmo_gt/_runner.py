"""Schedule work items: in this process or a pool of processes, reports yielded in input order.

Scheduling only: what one item's report is, is `_check.check_batch`'s business (the one check path).
"""

from __future__ import annotations

import contextlib
import gc
import os
import signal
import sys
from collections import deque
from collections.abc import Generator, Iterable, Iterator, Sequence
from dataclasses import fields
from itertools import chain, islice
from operator import attrgetter

# Options, FileReport and check_item are imported from here by code written before _check existed.
from ._check import FileReport, Options, check_batch, check_item  # noqa: F401
from ._diagnostics import Diagnostic
from ._walk import Item

#: Items sent to a worker at once at first: the first reports come soon, and a few dozen files already
#: use every worker. Each batch after is twice as large, up to MAX_BATCH.
BATCH = 32
#: Items sent to a worker at once at most: large enough that the inter-process overhead, paid by the
#: one process that also walks the folders and writes the report, stays small next to checking (a
#: batch of 32 small files cost it a third as much again as their reports did), small enough that a
#: slow file does not hold many finished ones back.
MAX_BATCH = 256
#: Bytes of documents read ahead (JSON Lines, stdin) per batch: a batch of large lines holds one.
BATCH_BYTES = 1 << 20
#: Batches in flight per worker: bounds memory (reports wait in order) while keeping workers busy.
WINDOW_PER_JOB = 4


#: Items and reports travel between processes (the pool here, Dask's workers) as tuples of their
#: fields: a slotted dataclass is pickled and unpickled field by field by Python code, a tuple by C,
#: and the one process that hands out the work and writes the report receives tens of thousands.
ITEM_FIELDS = tuple(field.name for field in fields(Item))
item_row = attrgetter(*ITEM_FIELDS)
report_row = attrgetter(*(field.name for field in fields(FileReport)))


def report_rows(items: Sequence[Item], options: Options, max_bytes: int) -> list[tuple]:
    """The reports of `items` as rows (`FileReport(*row)` is the report)."""
    return list(map(report_row, check_batch(items, options, max_bytes)))


def _check_rows(rows: list[tuple], options: Options, max_bytes: int) -> list[tuple]:
    """A pool task: items as rows in, their reports as rows out."""
    return report_rows([Item(*row) for row in rows], options, max_bytes)


def default_jobs() -> int:
    if hasattr(os, "process_cpu_count"):  # Python 3.13+
        return os.process_cpu_count() or 1
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0)) or 1
    return os.cpu_count() or 1


def __getattr__(name: str):
    # concurrent.futures takes about 12 ms to import, more than checking a small file: the pool
    # class is imported when a parallel run (or a test replacing it) first asks for it.
    if name == "ProcessPoolExecutor":
        from concurrent.futures import ProcessPoolExecutor

        globals()[name] = ProcessPoolExecutor
        return ProcessPoolExecutor
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


#: The youngest generation of Python's cyclic garbage collector is collected after this many more
#: container allocations than deallocations (Python's default: 700). A file that fails is decoded
#: into thousands of lists and dicts, all alive until its report is made, and explained by the
#: reference engine, which allocates as much again: at 700 the collector ran more than once a file,
#: walking objects that were all still alive, and a full collection every hundred files. Measured
#: (CPU seconds, --jobs 1, 1,000 failing files, shared cores): 1.05 at 700, 0.95 at 2,000, 0.93 at
#: 5,000 to 20,000; clean files alike at each. Peak memory is the same at each (32 MB; 29 to 30 MB
#: over 6,000 files): what a file holds is freed by reference counting as soon as it is reported,
#: but for a few of the reference engine's errors that refer to each other (3 in 60 failing files).
#: For the command and its workers only: a library leaves its caller's process alone.
GC_YOUNG = 10_000


def _tune_collector() -> tuple[int, int, int]:
    """Set the garbage collector for checking many files (GC_YOUNG); its thresholds before."""
    before = gc.get_threshold()
    gc.set_threshold(max(GC_YOUNG, before[0]), *before[1:])
    return before


@contextlib.contextmanager
def collector_tuned() -> Iterator[None]:
    """Within: the garbage collector set for checking many files (GC_YOUNG); then as it was."""
    before = _tune_collector()
    try:
        yield
    finally:
        gc.set_threshold(*before)


def _worker_init() -> None:
    # Ctrl-C reaches the whole process group: the main process stops the run and says so; workers
    # stay quiet instead of each printing a KeyboardInterrupt traceback.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _tune_collector()


def _batches(items: Iterable[Item]) -> Iterator[list[Item]]:
    batch: list[Item] = []
    size = 0
    limit = BATCH
    for item in items:
        batch.append(item)
        size += _size(item)
        if len(batch) >= limit or size >= BATCH_BYTES:
            yield batch
            batch, size = [], 0
            limit = min(2 * limit, max(MAX_BATCH, BATCH))
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
            yield from check_batch((item,), options, max_bytes)
        return
    batches = _batches(items)
    head = list(islice(batches, 2))
    if len(head) < 2:
        # One batch or less: starting processes would cost more than it saves.
        for batch in head:
            yield from check_batch(batch, options, max_bytes)
        return
    from concurrent.futures.process import BrokenProcessPool

    window: deque = deque()
    in_flight = 0  # bytes of the batches in the window: a few documents, whatever their size
    pool = _start_pool(jobs)

    def submit(batch: list[Item]):
        nonlocal pool
        rows = list(map(item_row, batch))
        try:
            return pool.submit(_check_rows, rows, options, max_bytes)
        except BrokenProcessPool:  # a worker died: its batches are checked apart, the run goes on
            _stop(pool)
            pool = _start_pool(jobs)
            return pool.submit(_check_rows, rows, options, max_bytes)
        except OSError as error:  # fork failed (too many processes, no memory)
            raise WorkerStartError(jobs, error) from None

    def collect(future, batch: list[Item]) -> list[FileReport]:
        try:
            return [FileReport(*row) for row in future.result()]
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
    send.send(check_batch(batch, options, max_bytes))
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
