"""The Dask backend: batches of items checked on a Dask cluster, reports streamed back in input order."""

from __future__ import annotations

import contextlib
import importlib.util
import logging
import multiprocessing
import os
import pickle
import sys
import time
from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import replace
from itertools import islice
from typing import TYPE_CHECKING, Any

from ._check import FileReport, Options, check_item
from ._diagnostics import Diagnostic
from ._runner import ITEM_FIELDS, item_row, report_rows
from ._walk import Item, is_url

if TYPE_CHECKING:
    from distributed import Client, Future

# dask.distributed takes a quarter of a second to import: `--dask local` starts its worker server
# first, which imports it at the same time (connect()). Its absence is still known at once, as the
# CLI and the API expect of an import of this module.
if importlib.util.find_spec("distributed") is None:
    raise ImportError("No module named 'distributed'", name="distributed")


def __getattr__(name: str) -> Any:
    if name in ("Client", "LocalCluster"):
        import distributed

        value = getattr(distributed, name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


#: Items in the first tasks: few, so that every worker has work at once and the first reports come
#: soon. Later tasks are sized from the time the first ones took (_Sizer).
FIRST_BATCH = 32
#: CPU seconds of checking a task aims at. A task costs the client, the scheduler and the worker some
#: 5 ms of CPU between them (measured: 300 empty tasks): a few percent of this. The last task of a
#: run keeps one worker busy about half of it alone.
TASK_SECONDS = 0.1
#: The largest batch: the reports one task sends back at once; remote objects are read READ_BATCH
#: at a time, so a batch of them is MAX_BATCH / READ_BATCH rounds of requests.
MAX_BATCH = 2048
#: Items read together inside a task (remote objects and archive members are fetched concurrently,
#: their bytes held until checked): one task's memory holds this many files, whatever its size.
READ_BATCH = 64
#: Tasks in flight per worker thread: enough that no worker waits for its next task while the client
#: writes reports; bounded so that reports waiting for their turn stay few.
WINDOW_PER_THREAD = 4


#: How long to try to reach a scheduler before saying it cannot be reached.
CONNECT_TIMEOUT = "10s"

#: What a local cluster's worker processes are forked from a server process that imported (so that
#: a worker starts in milliseconds with the checker ready, not in a second importing it afresh).
_PRELOAD = [
    "distributed",
    "aimmo_gt._dask",
    "aimmo_gt._fast",
    "aimmo_gt._loading",
    "aimmo_gt._explain",
    "aimmo_gt._validator",
]


class ConnectError(Exception):
    """The cluster could not be reached or started."""


@contextlib.contextmanager
def connect(address: str, jobs: int) -> Iterator[Client]:
    """A client of the cluster at `address`, or of a LocalCluster of `jobs` worker processes for "local"."""
    quiet = logging.ERROR  # Dask's own logging would interleave with the report on stderr
    with contextlib.ExitStack() as stack:
        try:
            if address == "local":
                import dask

                stack.enter_context(dask.config.set(_QUIET))
                stack.enter_context(_forkserver())
                cluster = stack.enter_context(
                    _module().LocalCluster(
                        n_workers=jobs,
                        threads_per_worker=1,
                        processes=True,
                        dashboard_address=None,  # no web server to start (nor bokeh to import)
                        silence_logs=quiet,
                    )
                )
                # The workers are on this machine: reports come straight from them, not through the
                # scheduler (which runs in this process, and would pass each on once more).
                client = stack.enter_context(_module().Client(cluster, direct_to_workers=True))
            else:
                logging.getLogger("distributed").setLevel(quiet)
                client = stack.enter_context(_module().Client(address, timeout=CONNECT_TIMEOUT))
        except (OSError, TimeoutError, ValueError) as error:
            target = "start a local Dask cluster" if address == "local" else f"connect to Dask at {address}"
            raise ConnectError(f"cannot {target}: {error}") from None
        yield client


def _module() -> Any:
    # Client and LocalCluster are looked up as this module's attributes (imported on first use),
    # where a test may replace them.
    return sys.modules[__name__]


@contextlib.contextmanager
def _forkserver() -> Iterator[None]:
    """While the local cluster lives, its worker processes (and those its nannies restart) are forked
    from multiprocessing's fork server, which is started now and imports Dask and the checker while
    this process imports Dask too. Spawned workers (Dask's default) would each import them again;
    forked from this process they would copy its threads' locks. On Linux only, as Python's own
    default (3.14) is there: elsewhere Dask's default, spawn, stays."""
    if not sys.platform.startswith("linux"):
        yield
        return
    from multiprocessing import forkserver

    multiprocessing.get_context("forkserver").set_forkserver_preload(_PRELOAD)
    forkserver.ensure_running()
    import dask
    import distributed.utils

    # Dask would otherwise set its own preload list, importing here every optional package it knows
    # (NumPy, pandas...) to have the fork server import them: the server already runs with ours.
    if hasattr(distributed.utils, "_forkserver_preload_set"):
        distributed.utils._forkserver_preload_set = True
    with dask.config.set({"distributed.worker.multiprocessing-method": "forkserver"}):
        yield


#: A local cluster's settings: its processes' background work every few milliseconds (a statistical
#: profile for a dashboard it has not, event-loop health and memory checks) cost 8% of a core while a
#: run lasts (measured idle); a second is often enough for health and memory.
_QUIET = {
    "distributed.worker.profile.enabled": False,
    "distributed.admin.tick.interval": "1s",
    "distributed.worker.memory.monitor-interval": "1s",
}


_PATH, _URL = ITEM_FIELDS.index("path"), ITEM_FIELDS.index("url")


def _item(row: tuple, cwd: str) -> Item:
    """An item from its row, its local path made absolute from the client's working directory (a
    worker's is another; the report keeps the path as the user gave it)."""
    fixed = list(row)
    if fixed[_PATH] is not None:
        fixed[_PATH] = os.path.join(cwd, fixed[_PATH])
    elif fixed[_URL] is not None and not is_url(fixed[_URL]):  # an archive on local disk
        fixed[_URL] = os.path.join(cwd, fixed[_URL])
    return Item(*fixed)


def check_rows(cwd: str, rows: bytes, options: Options, max_bytes: int) -> tuple[float, bytes]:
    """A task: the CPU seconds it took, and the reports of the items (`rows`, pickled), pickled as rows.

    CPU time, not wall time: on a busy machine a task waits for a core as long as it likes, and a
    batch sized from that would shrink until the cost of a task is most of it."""
    start = time.thread_time()
    items = [_item(row, cwd) for row in pickle.loads(rows)]
    reports: list[tuple] = []
    for first in range(0, len(items), READ_BATCH):
        reports += report_rows(items[first : first + READ_BATCH], options, max_bytes)
    return time.thread_time() - start, pickle.dumps(reports, pickle.HIGHEST_PROTOCOL)


class _Sizer:
    """The batch size: FIRST_BATCH, then what takes a worker about TASK_SECONDS, from the CPU time
    per item so far (at most doubling from one task to the next); or fixed, when given."""

    def __init__(self, fixed: int | None):
        self.fixed = fixed
        self.size = fixed or FIRST_BATCH
        self.items = 0
        self.seconds = 0.0

    def took(self, items: int, seconds: float) -> None:
        if self.fixed:
            return
        self.items += items
        self.seconds += seconds
        per_item = self.seconds / self.items
        wanted = int(TASK_SECONDS / per_item) if per_item > 0 else MAX_BATCH
        self.size = max(1, min(wanted, 2 * self.size, MAX_BATCH))


def _crashed(item: Item, error: BaseException, options: Options, max_bytes: int) -> FileReport:
    message = (
        f"the Dask worker checking this file failed ({type(error).__name__}: {error}); "
        "the file may crash the validator: please report it"
    )
    failure = Diagnostic("internal.error", "error", "", message)
    return check_item(replace(item, path=None, url=None, diagnostics=(failure,)), options, max_bytes)


def run(
    items: Iterable[Item], options: Options, *, max_bytes: int, client: Client, batch: int | None = None
) -> Iterator[FileReport]:
    """Check every item on the cluster and yield its report, in the order of `items`.

    Only paths travel to the workers, which read the files themselves, in batches of `batch` items
    (by default sized as the run goes, see _Sizer). A worker lost mid-run has its tasks run again by
    the scheduler; a batch that fails even so (a file that kills every worker that checks it) is
    checked again file by file, and a file that fails twice alone is one `internal.error` report.
    """
    threads = max(1, sum(client.nthreads().values()))
    cwd = os.getcwd()
    sizer = _Sizer(batch)
    window: deque[tuple[list[Item], Future]] = deque()
    iterator = iter(items)
    try:
        while True:
            while len(window) < threads * WINDOW_PER_THREAD and (chunk := list(islice(iterator, sizer.size))):
                # Pickled here: Dask would look for tasks inside every row of a list it is given.
                rows = pickle.dumps(list(map(item_row, chunk)), pickle.HIGHEST_PROTOCOL)
                window.append((chunk, client.submit(check_rows, cwd, rows, options, max_bytes, pure=False)))
            if not window:
                return
            chunk, future = window.popleft()
            try:
                seconds, reports = future.result()
            except Exception:
                yield from _one_by_one(chunk, cwd, options, max_bytes, client)
                continue
            finally:
                future.release()
            sizer.took(len(chunk), seconds)
            for row in pickle.loads(reports):
                yield FileReport(*row)
    finally:
        # Stopped early (an error, Ctrl-C, a closed pipe): the cluster drops what is still queued.
        if window:
            client.cancel([future for _, future in window])


def _one_by_one(
    chunk: list[Item], cwd: str, options: Options, max_bytes: int, client: Client
) -> list[FileReport]:
    """A failed batch again, one file at a time and one task in flight, so that a file that kills its
    worker takes no other file down with it; each file gets a second chance, since its worker may
    have died of another task."""
    reports = []
    for item in chunk:
        for attempt in range(2):
            row = pickle.dumps([item_row(item)], pickle.HIGHEST_PROTOCOL)
            future = client.submit(check_rows, cwd, row, options, max_bytes, pure=False)
            try:
                [report] = pickle.loads(future.result()[1])
                reports.append(FileReport(*report))
                break
            except Exception as error:
                if attempt == 1:
                    reports.append(_crashed(item, error, options, max_bytes))
            finally:
                future.release()
    return reports
