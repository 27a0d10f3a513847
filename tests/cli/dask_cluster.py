"""A Dask LocalCluster of 2 worker processes for the tests (tests/cli/conftest.py's `dask_cluster`),
in a process of its own so that its scheduler's work does not run inside the test process (where
tests/cli/test_parallel.py measures allocations). Prints the scheduler's address, then runs until
its standard input closes.

A task whose worker dies is run again once (Dask's default: 3 times), so that a test of a file that
kills its worker costs two restarts, not four.
"""

from __future__ import annotations

import contextlib
import logging
import sys


@contextlib.contextmanager
def local_cluster(allowed_failures: int, logs: int = logging.ERROR):
    """A LocalCluster of 2 worker processes whose scheduler gives up on a task once
    `allowed_failures` + 1 workers died running it."""
    import dask
    from distributed import LocalCluster

    with (
        dask.config.set({"distributed.scheduler.allowed-failures": allowed_failures}),
        LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0", silence_logs=logs
        ) as cluster,
    ):
        yield cluster


if __name__ == "__main__":
    with local_cluster(allowed_failures=1) as cluster:
        sys.stdout.write(cluster.scheduler_address + "\n")
        sys.stdout.flush()
        sys.stdin.read()
