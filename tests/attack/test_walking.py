"""Walking and reading: every file found is checked or reported, nothing blocks or runs forever
(issue 17, items 18-22)."""

from __future__ import annotations

import json
import os
import subprocess

import pytest

from .conftest import aimmo, best_time, valid_document, write

#: Seconds a run that must end at once is given (it takes a fraction of one; a hang never ends).
PATIENCE = 60


def _report(run) -> dict[str, list[tuple[str, str]]]:
    return {f["path"]: [(d["rule"], d["message"]) for d in f["diagnostics"]] for f in run.json()["files"]}


def test_18_a_folder_past_path_max_is_reported_not_skipped(tmp_path, cli):
    root = tmp_path / "export"
    root.mkdir()
    write(root / "ok.json", valid_document())
    # Build 20 levels of 250-character names (5,000 characters, past Linux's PATH_MAX of 4,096)
    # relative to open directories, as a path that long cannot be named whole.
    name = "d" * 250
    fd = os.open(root, os.O_RDONLY)
    for _ in range(20):
        os.mkdir(name, dir_fd=fd)
        below = os.open(name, os.O_RDONLY, dir_fd=fd)
        os.close(fd)
        fd = below
    file = os.open("deep.json", os.O_WRONLY | os.O_CREAT, 0o644, dir_fd=fd)
    os.write(file, b"{}")
    os.close(file)
    os.close(fd)
    run = cli("validate", "--format", "json", root)
    assert run.code == 1
    report = _report(run)
    [(path, problems)] = [(p, d) for p, d in report.items() if not p.endswith("ok.json")]
    assert problems[0][0] == "file.unreadable"
    assert "longer than the system allows" in problems[0][1]
    assert len(path) > 4096 and path.startswith(str(root / name))


def test_19_a_thousand_nested_folders_are_walked(tmp_path, cli):
    # Made and removed level by level: os.makedirs, pathlib and shutil.rmtree recurse once per level.
    levels = [str(tmp_path)]
    for _ in range(1100):
        levels.append(os.path.join(levels[-1], "d"))
        os.mkdir(levels[-1])
    bottom = os.path.join(levels[-1], "bottom.json")
    with open(bottom, "w") as file:
        json.dump(valid_document(), file)
    try:
        run = cli("validate", "--format", "json", tmp_path)
    finally:
        os.remove(bottom)
        for level in reversed(levels[1:]):
            os.rmdir(level)
    assert run.code == 0, run.err[-500:]
    [entry] = run.json()["files"]
    assert entry["valid"] and entry["path"] == bottom


def test_20_json_lines_opened_non_blocking_are_still_read_in_blocks(tmp_path, cli):
    # The non-blocking open of item 20 once left JSON Lines unbuffered: readline() then read a byte
    # per system call (80 lines of 0.5 MB took 78 s). The same bytes as one file are the yardstick.
    document = valid_document()
    document["filename"] = "x" * 2_000_000
    line = json.dumps(document)
    (tmp_path / "a.jsonl").write_text(line + "\n")
    write(tmp_path / "a.json", document)
    cli("validate", tmp_path / "a.json")  # warm up
    lines = best_time(lambda: cli("validate", "--jsonl", tmp_path / "a.jsonl"))
    whole = best_time(lambda: cli("validate", tmp_path / "a.json"))
    assert lines < 50 * whole  # unbuffered: hundreds of times


def _ended(process, reaper) -> tuple[int, str, str]:
    reaper(process)
    out, err = process.communicate(timeout=PATIENCE)
    return process.returncode, out.decode(), err.decode()


@pytest.mark.parametrize("jsonl", [False, True])
def test_20_a_fifo_named_on_the_command_line_is_reported_not_waited_for(tmp_path, reaper, jsonl):
    fifo = tmp_path / "pipe.json"
    os.mkfifo(fifo)
    code, out, err = _ended(aimmo("validate", *(["--jsonl"] if jsonl else []), fifo), reaper)
    assert code == 1, err
    assert out.splitlines()[0] == f"{fifo}: file.unreadable: not a regular file (a FIFO); not read"
    assert "Traceback" not in err


def test_20_special_files_met_while_walking_are_reported(tmp_path, cli):
    write(tmp_path / "a.json", valid_document())
    os.mkfifo(tmp_path / "b.json")
    os.mkfifo(tmp_path / "not-gt.txt")  # not a *.json name: not a candidate at all
    run = cli("validate", tmp_path)
    assert run.code == 1
    assert (
        run.out.splitlines()[0]
        == f"{tmp_path / 'b.json'}: file.unreadable: not a regular file (a FIFO); not read"
    )
    assert "2 files checked: 1 valid, 1 invalid" in run.out


@pytest.mark.parametrize("device", ["/dev/zero", "/dev/urandom"])
@pytest.mark.parametrize("jsonl", [False, True])
def test_21_a_device_is_reported_not_read_forever(device, jsonl, reaper):
    code, out, err = _ended(aimmo("validate", *(["--jsonl"] if jsonl else []), device), reaper)
    assert code == 1, err
    kind = "a character device"
    assert out.splitlines()[0] == f"{device}: file.unreadable: not a regular file ({kind}); not read"


def test_21_json_lines_of_nul_bytes_on_standard_input_stop(reaper):
    with open("/dev/zero", "rb") as zero:
        process = aimmo("validate", "--jsonl", "--max-bytes", "1M", "-", stdin=zero)
        code, out, err = _ended(process, reaper)
    assert code == 1, err
    assert out.splitlines()[0] == (
        "-:1: file.unreadable: the input holds NUL bytes: it is not JSON Lines; the rest was not read"
    )


@pytest.mark.parametrize("size", ["8589934592G", "9223372036854775807", "1" + "0" * 5000])
def test_22_a_max_bytes_beyond_any_read_size_is_no_limit(size, tmp_path, cli):
    lines = tmp_path / "a.jsonl"
    lines.write_text(json.dumps(valid_document()) + "\n")
    for args in (["--jsonl", lines], [write(tmp_path / "b.json", valid_document())]):
        run = cli("validate", "--max-bytes", size, *args)
        assert run.code == 0, run.err
        assert "1 file checked: 1 valid" in run.out


def test_22_the_cli_entry_point_never_prints_a_traceback_for_these(tmp_path):
    # The installed command, not the in-process call: what a user runs.
    run = subprocess.run(
        ["aimmo-gt", "validate", "--jsonl", "--max-bytes", "8589934592G", os.devnull],
        capture_output=True,
        text=True,
        timeout=PATIENCE,
    )
    assert "Traceback" not in run.stderr
    assert run.returncode == 1 and "not a regular file (a character device)" in run.stdout
