"""The Dask backend: batches of items checked on a Dask cluster, reports streamed back in input order."""

from __future__ import annotations

import contextlib
import logging
import os
from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import replace
from itertools import islice
from typing import TYPE_CHECKING

from distributed import Client, LocalCluster

from ._check import FileReport, Options, check_batch, check_item
from ._diagnostics import Diagnostic
from ._walk import Item, is_url

if TYPE_CHECKING:
    from distributed import Future

#: Items in one task. A task costs the scheduler about a millisecond: batches of this size keep that
#: a few percent of the checking, and are still small enough to spread over the workers.
BATCH = 64
#: Batches in flight per worker thread: enough that no worker waits for the next one while the
#: client writes reports; bounded so that reports waiting for their turn stay few.
WINDOW_PER_THREAD = 4


#: How long to try to reach a scheduler before saying it cannot be reached.
CONNECT_TIMEOUT = "10s"


class ConnectError(Exception):
    """The cluster could not be reached or started."""


@contextlib.contextmanager
def connect(address: str, jobs: int) -> Iterator[Client]:
    """A client of the cluster at `address`, or of a LocalCluster of `jobs` worker processes for "local"."""
    quiet = logging.ERROR  # Dask's own logging would interleave with the report on stderr
    with contextlib.ExitStack() as stack:
        try:
            if address == "local":
                cluster = stack.enter_context(
                    LocalCluster(
                        n_workers=jobs,
                        threads_per_worker=1,
                        processes=True,
                        # no dashboard: any free port for its HTTP server, not a fixed one
                        dashboard_address=":0",
                        silence_logs=quiet,
                    )
                )
                client = stack.enter_context(Client(cluster))
            else:
                logging.getLogger("distributed").setLevel(quiet)
                client = stack.enter_context(Client(address, timeout=CONNECT_TIMEOUT))
        except (OSError, TimeoutError, ValueError) as error:
            target = "start a local Dask cluster" if address == "local" else f"connect to Dask at {address}"
            raise ConnectError(f"cannot {target}: {error}") from None
        yield client


def _portable(item: Item) -> Item:
    """The item with its local paths made absolute: a worker's working directory is not the client's.
    (The report keeps the path as the user gave it.)"""
    if item.path is not None:
        return replace(item, path=os.path.abspath(item.path))
    if item.url is not None and not is_url(item.url):  # an archive on local disk
        return replace(item, url=os.path.abspath(item.url))
    return item


def _crashed(item: Item, error: BaseException, options: Options, max_bytes: int) -> FileReport:
    message = (
        f"the Dask worker checking this file failed ({type(error).__name__}: {error}); "
        "the file may crash the validator: please report it"
    )
    failure = Diagnostic("internal.error", "error", "", message)
    return check_item(replace(item, path=None, url=None, diagnostics=(failure,)), options, max_bytes)


def run(
    items: Iterable[Item], options: Options, *, max_bytes: int, client: Client, batch: int = BATCH
) -> Iterator[FileReport]:
    """Check every item on the cluster and yield its report, in the order of `items`.

    Only paths travel to the workers, which read the files themselves. A worker lost mid-run has its
    tasks run again by the scheduler; a batch that fails even so (a file that kills every worker
    that checks it) is checked again file by file, and a file that fails twice alone is one
    `internal.error` report.
    """
    threads = max(1, sum(client.nthreads().values()))
    window: deque[tuple[list[Item], Future]] = deque()
    iterator = map(_portable, items)
    try:
        while True:
            while len(window) < threads * WINDOW_PER_THREAD and (chunk := list(islice(iterator, batch))):
                future = client.submit(check_batch, chunk, options, max_bytes, pure=False)
                window.append((chunk, future))
            if not window:
                return
            chunk, future = window.popleft()
            try:
                reports = future.result()
            except Exception:
                reports = _one_by_one(chunk, options, max_bytes, client)
            finally:
                future.release()
            yield from reports
    finally:
        # Stopped early (an error, Ctrl-C, a closed pipe): the cluster drops what is still queued.
        if window:
            client.cancel([future for _, future in window])


def _one_by_one(chunk: list[Item], options: Options, max_bytes: int, client: Client) -> list[FileReport]:
    """A failed batch again, one file at a time and one task in flight, so that a file that kills its
    worker takes no other file down with it; each file gets a second chance, since its worker may
    have died of another task."""
    reports = []
    for item in chunk:
        for attempt in range(2):
            future = client.submit(check_batch, [item], options, max_bytes, pure=False)
            try:
                reports.extend(future.result())
                break
            except Exception as error:
                if attempt == 1:
                    reports.append(_crashed(item, error, options, max_bytes))
            finally:
                future.release()
    return reports
