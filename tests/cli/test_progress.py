"""The progress line: on a terminal's stderr only, never with --quiet, never in the report."""

from __future__ import annotations

import io
import os
import pty
import re
import subprocess
import sys

import pytest

from aimmo_gt._progress import Progress


def test_progress_redraws_one_line_and_clears_it():
    stream = io.StringIO()
    progress = Progress(stream, enabled=True)
    progress.INTERVAL = 0
    progress.update(10, 1, 2)
    progress.update(20, 1, 3)
    progress.close()
    text = stream.getvalue()
    assert "\rchecked 10 files (" in text and "files/s), 1 invalid, 2 errors" in text
    assert "\rchecked 20 files (" in text and "files/s), 1 invalid, 3 errors" in text
    assert text.endswith("\r") and "\n" not in text


def test_disabled_progress_writes_nothing():
    stream = io.StringIO()
    progress = Progress(stream, enabled=False)
    progress.update(10, 1, 2)
    progress.close()
    assert stream.getvalue() == ""


def _stderr_on_a_terminal(*args: str) -> tuple[int, bytes, bytes]:
    try:
        leader, follower = pty.openpty()
    except OSError as error:  # a sandbox without /dev/ptmx: the unit tests above still run
        pytest.skip(f"no pseudo-terminal to run the command on: {error}")
    try:
        done = subprocess.run(
            [sys.executable, "-m", "aimmo_gt", "validate", *args], stdout=subprocess.PIPE, stderr=follower
        )
        os.close(follower)
        chunks = []
        while True:
            try:
                chunk = os.read(leader, 65536)
            except OSError:  # the terminal is closed and drained
                break
            if not chunk:
                break
            chunks.append(chunk)
    finally:
        os.close(leader)
    return done.returncode, done.stdout, b"".join(chunks)


def test_progress_on_a_terminal_and_not_in_the_report(tmp_path, image_bytes):
    for number in range(3):
        (tmp_path / f"{number}.json").write_bytes(image_bytes)
    code, out, err = _stderr_on_a_terminal("--no-dataset", "--format", "json", str(tmp_path))
    assert code == 0
    # The first file is always drawn; later ones only 0.1 s apart; the line is cleared at the end.
    assert re.match(rb"\rchecked 1 file \(\d+ files/s\), 0 invalid, 0 errors", err), err
    assert re.search(rb"\r +\r$", err), err
    assert b"checked" not in out and out.startswith(b'{"files": [')
    code, out, err = _stderr_on_a_terminal("--no-dataset", "--quiet", str(tmp_path))
    assert code == 0 and err == b"" and out == b""
