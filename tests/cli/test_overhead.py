"""What the command costs beyond checking the files: the garbage collector it runs under, the modules
it does not import (no timing here: each cut is proven by what the process does, not how long)."""

from __future__ import annotations

import gc
from concurrent.futures import ProcessPoolExecutor

import aimmo_gt._runner as runner


def test_files_are_checked_with_the_collector_tuned_and_it_is_set_back_after(
    cli, tmp_path, image_bytes, monkeypatch
):
    (tmp_path / "a.json").write_bytes(image_bytes)
    (tmp_path / "b.json").write_bytes(b'{"annotations": []}')
    thresholds = []
    check_batch = runner.check_batch

    def recording(*args, **kwargs):
        thresholds.append(gc.get_threshold())
        return check_batch(*args, **kwargs)

    monkeypatch.setattr(runner, "check_batch", recording)
    before = gc.get_threshold()
    run = cli("validate", "--jobs", "1", tmp_path)
    assert run.code == 1 and "b.json:1:1: schema.required" in run.out
    assert len(thresholds) == 2
    # The youngest generation is collected less often; the older ones as before.
    assert all(t[0] >= runner.GC_YOUNG and t[1:] == before[1:] for t in thresholds)
    assert gc.get_threshold() == before


def test_a_pool_worker_collects_garbage_as_the_command_does():
    with ProcessPoolExecutor(1, initializer=runner._worker_init) as pool:
        assert pool.submit(gc.get_threshold).result()[0] >= runner.GC_YOUNG
