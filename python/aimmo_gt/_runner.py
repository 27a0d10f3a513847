"""Schedule work items: in this process or a pool of processes, reports yielded in input order.

Scheduling only: what one item's report is, is `_check.check_batch`'s business (the one check path).
"""

from __future__ import annotations

import os
import signal
import sys
from collections import deque
from collections.abc import Iterable, Iterator
from itertools import chain, islice

# Options, FileReport and check_item are imported from here by code written before _check existed.
from ._check import FileReport, Options, check_batch, check_item  # noqa: F401
from ._walk import Item

#: Items sent to a worker at once: large enough that inter-process overhead stays small next to
#: checking, small enough that a slow file does not hold many finished ones back.
BATCH = 32
#: Batches in flight per worker: bounds memory (reports wait in order) while keeping workers busy.
WINDOW_PER_JOB = 4


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


def _worker_init() -> None:
    # Ctrl-C reaches the whole process group: the main process stops the run and says so; workers
    # stay quiet instead of each printing a KeyboardInterrupt traceback.
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _batches(items: Iterable[Item]) -> Iterator[list[Item]]:
    iterator = iter(items)
    while batch := list(islice(iterator, BATCH)):
        yield batch


def run(items: Iterable[Item], options: Options, *, max_bytes: int, jobs: int = 1) -> Iterator[FileReport]:
    """Check every item and yield its report, in the order of `items` whatever `jobs` is."""
    batches = _batches(items)
    head = list(islice(batches, 2))
    if jobs <= 1 or len(head) < 2:
        # One batch or less: starting processes would cost more than it saves.
        for batch in chain(head, batches):
            yield from check_batch(batch, options, max_bytes)
        return
    window: deque = deque()
    pool = sys.modules[__name__].ProcessPoolExecutor(max_workers=jobs, initializer=_worker_init)
    try:
        for batch in head:
            window.append(pool.submit(check_batch, batch, options, max_bytes))
        for batch in batches:
            window.append(pool.submit(check_batch, batch, options, max_bytes))
            if len(window) >= jobs * WINDOW_PER_JOB:
                yield from window.popleft().result()
        while window:
            yield from window.popleft().result()
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
