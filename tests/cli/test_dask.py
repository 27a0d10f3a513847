"""--dask: the checks run on a real Dask cluster (a LocalCluster of 2 worker processes) and the report
is byte for byte the one of --jobs 1, whatever the format, the source, or a worker lost mid-run."""

from __future__ import annotations

import json
import os
import signal
import sys

import cloudpickle
import pytest
from distributed import Client, WorkerPlugin

import aimmo_gt
import make_export
from aimmo_gt import _dask
from aimmo_gt._runner import Options, run
from aimmo_gt._walk import Walker

# The plugins below are defined here, a module the workers cannot import: send them by value.
cloudpickle.register_pickle_by_value(sys.modules[__name__])


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    """240 files in folders, one in 10 broken in one of the input ways (as tests/cli/test_parallel.py)."""
    root = tmp_path_factory.mktemp("generated-dask")
    make_export.write_generated(root, 240, broken_every=10)
    return root


#: Seconds to wait for a restarted worker (spawning one takes a few seconds on a busy machine).
RESTART = 120


@pytest.fixture
def client(dask_cluster):
    with Client(dask_cluster.scheduler_address) as client:
        client.wait_for_workers(2, timeout=RESTART)
        yield client


def _json(cli, *arguments):
    """`aimmo-gt validate --format json --max-bytes 1M ARGUMENTS...`"""
    return cli("validate", "--format", "json", "--max-bytes", "1M", *arguments)


@pytest.mark.parametrize("fmt", ["text", "json", "junit", "sarif"])
def test_dask_report_is_identical_to_jobs_1(cli, dask_cluster, generated, tmp_path, fmt):
    outputs = []
    for backend in (["--jobs", "1"], ["--dask", dask_cluster.scheduler_address]):
        output = tmp_path / f"report.{fmt}"
        run = cli("validate", "--format", fmt, "--max-bytes", "1M", *backend, "--output", output, generated)
        assert run.code == 1
        assert run.err == ""
        outputs.append(output.read_bytes())
    assert outputs[0] == outputs[1]


def test_dask_local_starts_a_cluster_of_jobs_workers(cli, generated, tmp_path, monkeypatch):
    started = []
    real = _dask.LocalCluster

    def recording(*args, **kwargs):
        started.append((kwargs["n_workers"], kwargs["processes"]))
        return real(*args, **kwargs)

    monkeypatch.setattr(_dask, "LocalCluster", recording)
    local = cli("validate", "--format", "json", "--max-bytes", "1M", "--jobs", "1", generated)
    dask = cli(
        "validate", "--format", "json", "--max-bytes", "1M", "--jobs", "2", "--dask", "local", generated
    )
    assert started == [(2, True)]
    assert (dask.code, dask.out) == (local.code, local.out)


def test_relative_paths_are_read_from_the_clients_working_directory(
    cli, dask_cluster, generated, monkeypatch
):
    # The workers run elsewhere (here: in the test suite's directory); the report keeps the path as given.
    monkeypatch.chdir(generated.parent)
    relative = generated.name
    local = _json(cli, "--jobs", "1", relative)
    dask = _json(cli, "--dask", dask_cluster.scheduler_address, relative)
    assert (dask.code, dask.out) == (local.code, local.out)
    assert local.json()["files"][0]["path"].startswith(relative + os.sep)


def test_a_local_clusters_workers_start_with_the_checker_imported():
    # Forked from a server that imported them once, not each importing them afresh; Dask's settings
    # are its own again once the cluster is closed.
    import dask

    method = dask.config.get("distributed.worker.multiprocessing-method")
    with _dask.connect("local", 2) as client:
        imported = client.run(
            lambda: [name in sys.modules for name in ("aimmo_gt._fast", "aimmo_gt._validator")]
        )
        forked = sys.platform.startswith("linux")  # elsewhere spawned, as Dask does by default
        assert list(imported.values()) == [[forked, forked], [forked, forked]]
    assert dask.config.get("distributed.worker.multiprocessing-method") == method


def test_batches_grow_to_a_tenth_of_a_second_of_cpu_at_most_doubling():
    sizer = _dask._Sizer(None)
    sizes = [sizer.size]
    for _ in range(8):
        sizer.took(sizer.size, sizer.size * 0.0001)  # 100 µs a file: 1,000 files make a task
        sizes.append(sizer.size)
    assert sizes == [32, 64, 128, 256, 512, 1000, 1000, 1000, 1000]
    slow = _dask._Sizer(None)
    slow.took(32, 32 * 1.0)  # a second a file: one file a task
    assert slow.size == 1
    fast = _dask._Sizer(None)
    for _ in range(12):
        fast.took(fast.size, 0.0)
    assert fast.size == _dask.MAX_BATCH
    fixed = _dask._Sizer(4)
    fixed.took(4, 100.0)
    assert fixed.size == 4


def test_s3_through_dask_is_reported_as_the_folder_on_disk(cli, s3, dask_cluster, tmp_path):
    # The workers read the bucket themselves, with the storage options sent with the work.
    generated = tmp_path / "generated"
    make_export.write_generated(generated, 48, broken_every=4)  # each input breakage once
    url = s3.upload(generated, "generated")
    local = _json(cli, "--jobs", "1", generated)
    remote = _json(cli, "--dask", dask_cluster.scheduler_address, *s3.options(), url)
    assert remote.code == local.code == 1
    expected = local.json()
    for entry in expected["files"]:
        entry["path"] = url + entry["path"][len(str(generated)) :]
    # A dangling symbolic link has no counterpart in a bucket: the only files that differ.
    links = [e for e in expected["files"] if [d["rule"] for d in e["diagnostics"]] == ["file.unreadable"]]
    assert len(links) == 1
    assert remote.json()["files"] == [e for e in expected["files"] if e not in links]


def test_a_worker_lost_mid_run_is_retried_and_the_report_is_complete(client, generated):
    items = list(Walker(max_bytes=1 << 20).items([str(generated)]))
    expected = list(run(items, Options(), max_bytes=1 << 20))
    pids = list(client.run(os.getpid).values())
    reports = []
    # Batches of 4: 60 tasks, so that the killed worker holds some when it dies.
    for report in _dask.run(items, Options(), max_bytes=1 << 20, client=client, batch=4):
        if not reports:
            os.kill(pids[0], signal.SIGKILL)  # as an OOM killer or a lost node would
        reports.append(report)
    assert reports == expected
    client.wait_for_workers(2, timeout=RESTART)  # its nanny restarted it: the next test has two again
    assert pids[0] not in client.run(os.getpid).values()


class _Failing(WorkerPlugin):
    """Makes the checker raise (or, with `hard`, kill its process) on the document named `crash.jpeg`."""

    name = "aimmo-gt-failing"

    def __init__(self, hard: bool):
        self.hard = hard

    def setup(self, worker):
        import aimmo_gt._check as check

        self.diagnose = check._diagnose
        hard = self.hard

        def failing(document, *args, **kwargs):
            if isinstance(document, dict) and document.get("filename") == "crash.jpeg":
                if hard:
                    os._exit(1)
                raise RuntimeError("a bug")
            return self.diagnose(document, *args, **kwargs)

        check._diagnose = failing

    def teardown(self, worker):
        import aimmo_gt._check as check

        check._diagnose = self.diagnose


def _with_crash(folder, image):
    for number in range(8):
        document = dict(image, filename="crash.jpeg" if number == 5 else f"{number}.jpeg")
        document["annotations"] = [*document["annotations"], {"id": "x"}]  # fails: the reference runs
        (folder / f"{number}.json").write_text(json.dumps(document), encoding="utf-8")
    return [str(folder)]


def _check_with_crash(client, tmp_path, image, hard: bool):
    paths = _with_crash(tmp_path, image)
    expected = list(aimmo_gt.validate_export(paths))
    client.register_plugin(_Failing(hard))
    try:
        reports = list(aimmo_gt.validate_export(paths, dask=client))
    finally:
        client.unregister_worker_plugin(_Failing.name)
    assert [r.path for r in reports] == [r.path for r in expected]
    for report, clean in zip(reports, expected, strict=True):
        if report.path.endswith("5.json"):
            [failure] = [d for d in report.diagnostics if d.rule == "internal.error"]
            assert ("KilledWorker" if hard else "RuntimeError: a bug") in failure.message
        else:
            assert report == clean


def test_a_file_that_makes_the_checker_raise_is_one_internal_error(client, tmp_path, image):
    _check_with_crash(client, tmp_path, image, hard=False)


def test_a_file_that_kills_every_worker_checking_it_is_one_internal_error(tmp_path, image):
    # Its own cluster, which gives up on a task at the first worker it kills (the batch's, then the
    # file's alone): workers killed again and again while restarting can leave a nanny closed for good
    # (dask/distributed#7312), which the session's cluster must not risk.
    import logging

    from .dask_cluster import local_cluster

    with local_cluster(allowed_failures=0, logs=logging.CRITICAL) as cluster, Client(cluster) as client:
        _check_with_crash(client, tmp_path, image, hard=True)


def test_an_unreachable_scheduler_is_a_usage_error(cli, generated, monkeypatch):
    monkeypatch.setattr(_dask, "CONNECT_TIMEOUT", "1s")
    run = cli("validate", "--dask", "tcp://127.0.0.1:9", generated)
    assert run.code == 2
    assert "cannot connect to Dask at tcp://127.0.0.1:9" in run.err
    assert run.out == ""


DATASET_EXPORTS = os.path.join(os.path.dirname(__file__), os.pardir, "dataset", "exports")


@pytest.mark.parametrize("fmt", ["text", "json"])
def test_dask_reports_the_cross_file_diagnostics_of_jobs_1(cli, dask_cluster, tmp_path, fmt):
    # The workers send back each file's facts beside its report; the client reduces them as --jobs does.
    outputs = []
    for backend in (["--jobs", "1"], ["--dask", dask_cluster.scheduler_address]):
        output = tmp_path / f"report.{fmt}"
        run = cli("validate", "--format", fmt, *backend, "--output", output, DATASET_EXPORTS)
        assert run.code == 1
        outputs.append(output.read_text(encoding="utf-8"))
    assert outputs[0] == outputs[1]
    for rule in ("dataset.duplicate-file-id", "dataset.duplicate-frame", "dataset.track-label"):
        assert rule in outputs[1]


@pytest.mark.parametrize("fmt", ["text", "sarif"])
def test_dask_reports_the_unused_classes_of_jobs_1(cli, dask_cluster, tmp_path, fmt):
    # What each document uses of the ontology comes back in its facts, whichever process checked it.
    folder = os.path.join(DATASET_EXPORTS, "unused")
    ontology = os.path.join(folder, "ontology.json")
    outputs = []
    for backend in (["--jobs", "1"], ["--dask", dask_cluster.scheduler_address]):
        output = tmp_path / f"report.{fmt}"
        run = cli("validate", "--format", fmt, *backend, "--ontology", ontology, "--output", output, folder)
        assert run.code == 1
        outputs.append(output.read_text(encoding="utf-8"))
    assert outputs[0] == outputs[1]
    assert outputs[1].count("dataset.unused") >= 6


def test_the_api_on_dask_gives_the_whole_export_diagnostics_of_one_process(client):
    folder = os.path.join(DATASET_EXPORTS, "unused")
    ontology = os.path.join(folder, "ontology.json")
    local = list(aimmo_gt.validate_export([DATASET_EXPORTS], ontology=ontology))
    remote = list(aimmo_gt.validate_export([DATASET_EXPORTS], ontology=ontology, dask=client))
    assert remote == local
    rules = {d.rule for report in remote for d in report.diagnostics}
    assert {"dataset.duplicate-file-id", "dataset.unused", "dataset.frame-gap"} <= rules
