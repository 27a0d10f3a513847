"""Processes and signals: a killed worker costs its file, not the run; Ctrl-C stops a parallel run
at once; --jobs is capped and a failed fork is one clear error (issue 17, items 9-11)."""

from __future__ import annotations

import json
import time

from aimmo_gt._runner import default_jobs

from .conftest import aimmo, interrupt, valid_document, write

PATIENCE = 60
#: Files enough for several batches (_runner.BATCH is 32), so that a process pool is used.
FILES = 70


def _export(root, special: str = "", at: int = 40):
    for i in range(FILES):
        write(root / f"{i:03d}{special if i == at else ''}.json", valid_document())
    return root


def test_9_a_killed_worker_costs_its_file_and_the_run_goes_on(tmp_path, reaper):
    root = _export(tmp_path / "export", special="-kill")
    output = tmp_path / "report.json"
    process = aimmo("validate", "--no-dataset", "--format", "json", "-j", "2", "-o", output, root)
    reaper(process)
    _, err = process.communicate(timeout=PATIENCE * 2)
    assert process.returncode == 1, err
    assert b"Traceback" not in err
    report = json.loads(output.read_text())
    assert report["summary"]["files"] == FILES and report["summary"]["invalid"] == 1
    bad = [f for f in report["files"] if not f["valid"]]
    assert [f["path"] for f in bad] == [str(root / "040-kill.json")]
    assert [(d["rule"], d["pointer"], d["message"]) for d in bad[0]["diagnostics"]] == [
        (
            "internal.error",
            "",
            "the process checking this file was killed by SIGKILL (as the out-of-memory killer does); "
            "the file was not checked, the run went on",
        )
    ]
    assert [f["path"] for f in report["files"]] == sorted(str(p) for p in root.iterdir())


def _stopped_after(signals: int, tmp_path, reaper) -> tuple[int, float, dict]:
    root = _export(tmp_path / "export", special="-slow", at=0)
    for i in range(1, FILES):  # every file is slow: the workers are busy when Ctrl-C comes
        (root / f"{i:03d}.json").rename(root / f"{i:03d}-slow.json")
    output = tmp_path / "report.json"
    process = aimmo(
        "validate", "--no-dataset", "--format", "json", "-j", "2", "-o", output, root, env={"SLOW": "600"}
    )
    reaper(process)
    assert process.stderr is not None
    assert process.stderr.readline().startswith(b"checking ")
    started = time.monotonic()
    for _ in range(signals):
        interrupt(process)
    process.communicate(timeout=PATIENCE)
    return process.returncode, time.monotonic() - started, json.loads(output.read_text() or "null")


def test_10_ctrl_c_stops_a_parallel_run_at_once_with_a_report(tmp_path, reaper):
    code, took, report = _stopped_after(1, tmp_path, reaper)
    assert code == 130
    assert took < PATIENCE  # the workers sleep 600 s each: nothing waited for them
    assert report["summary"]["interrupted"] is True and report["files"] == []


def test_10_a_second_ctrl_c_ends_the_run_at_once(tmp_path, reaper):
    code, took, _ = _stopped_after(2, tmp_path, reaper)
    assert code == 130 and took < PATIENCE


def test_11_jobs_beyond_four_per_cpu_are_capped(tmp_path, reaper):
    root = _export(tmp_path / "export")
    process = aimmo("validate", "--no-dataset", "-q", "--jobs", "1000", root)
    reaper(process)
    out, err = process.communicate(timeout=PATIENCE * 2)
    assert process.returncode == 0, err
    cap = 4 * default_jobs()
    assert err.decode() == f"aimmo-gt: --jobs 1000 is more than {cap} (4 per CPU); using {cap}\n"
    assert out == b""


def test_11_a_failed_fork_is_one_clear_error(tmp_path, reaper):
    root = _export(tmp_path / "export")
    output = tmp_path / "report.json"
    process = aimmo(
        "validate", "--no-dataset", "--format", "json", "-j", "2", "-o", output, root, env={"NO_FORK": "1"}
    )
    reaper(process)
    _, err = process.communicate(timeout=PATIENCE)
    assert process.returncode == 3
    assert err.decode() == (
        "aimmo-gt validate: error: cannot start 2 worker processes (Resource temporarily unavailable); "
        "try a smaller --jobs\n"
    )
    report = json.loads(output.read_text())
    assert report["summary"]["interrupted"] is True
