"""The progress line and colour: what a person sees on a terminal (driven under a pseudo-terminal with
pexpect, the screen rendered by pyte), and that neither reaches a pipe, a file or --quiet."""

from __future__ import annotations

import io
import os
import re
import subprocess
import sys
from pathlib import Path

import pexpect
import pyte

from aimmo_gt._cli import use_color
from aimmo_gt._progress import ErasingStream, Progress, count_ahead, status
from aimmo_gt._walk import Walker

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "export"
COLUMNS, ROWS = 300, 80


def test_progress_redraws_one_line_and_erases_it():
    stream = io.StringIO()
    progress = Progress(stream, enabled=True, columns=200)
    progress.INTERVAL = 0
    progress.update(10, 1, 2)
    progress.update(20, 1, 3)
    progress.close()
    text = stream.getvalue()
    assert re.search(r"\rchecked 10 files, 1 invalid, 2 errors, [\d,]+ files/s", text), text
    assert re.search(r"\rchecked 20 files, 1 invalid, 3 errors, [\d,]+ files/s", text), text
    assert text.endswith("\r") and "\n" not in text
    progress.update(30, 1, 3)  # closed: nothing more is drawn
    assert stream.getvalue() == text


def test_the_status_line_counts_in_words_and_gives_a_total_a_percentage_and_the_time_left():
    assert status(1, 0, 1, 1.0) == "checked 1 file, 0 invalid, 1 error, 1 files/s"
    assert status(2, 1, 2, 1.0) == "checked 2 files, 1 invalid, 2 errors, 2 files/s"
    assert status(120, 3, 5, 2.0, total=2000) == (
        "checked 120 of 2,000 files (6%), 3 invalid, 5 errors, 60 files/s, ETA 0:31"
    )
    assert status(1, 0, 0, 1.0, total=1) == "checked 1 of 1 file (100%), 0 invalid, 0 errors, 1 files/s"
    # 3,600 files left at 1 a second: an hour.
    assert status(1, 0, 0, 1.0, total=3601).endswith("ETA 1:00:00")


def test_the_line_is_cut_to_the_terminal_width_so_a_carriage_return_can_erase_it():
    stream = io.StringIO()
    progress = Progress(stream, enabled=True, columns=20)
    progress.update(10, 1, 2)
    assert stream.getvalue() == "\r" + "checked 10 files, 1 invalid"[:19]


def test_output_erases_the_line_first_and_the_next_update_draws_it_again_at_once():
    screen = io.StringIO()
    progress = Progress(screen, enabled=True, columns=200)
    progress.update(1, 0, 0)
    report = ErasingStream(screen, progress)  # stdout and stderr on one terminal
    report.write("a.json:1:1: json.parse: ...\n")
    progress.update(2, 1, 1)  # within 0.1 s of the last draw, yet drawn: it was erased
    drawn = "checked 1 file, 0 invalid, 0 errors"
    assert screen.getvalue().startswith(f"\r{drawn}")
    after = screen.getvalue().split("\n", 1)[1]
    assert re.match(r"\rchecked 2 files, 1 invalid, 1 error, ", after), after
    erase = screen.getvalue().split("\n", 1)[0].split(drawn, 1)[1]
    assert re.fullmatch(r"[^\r]*\r +\ra\.json:1:1: json\.parse: \.\.\.", erase), erase


def test_no_progress_is_drawn_over_a_part_of_a_line():
    screen = io.StringIO()
    progress = Progress(screen, enabled=True, columns=200)
    report = ErasingStream(screen, progress)
    report.write('{"files": [')
    progress.update(1, 0, 0)
    report.write("\n]}\n")
    progress.update(2, 0, 0)
    assert screen.getvalue().startswith('{"files": [\n]}\n\rchecked 2 files, ')


def test_disabled_progress_writes_nothing():
    stream = io.StringIO()
    progress = Progress(stream, enabled=False)
    progress.update(10, 1, 2)
    progress.close()
    assert stream.getvalue() == ""


def test_the_files_are_counted_ahead_for_the_total():
    progress = Progress(io.StringIO(), enabled=True)
    walker = Walker(max_bytes=1 << 20)
    thread = count_ahead(progress, [str(EXAMPLES)], lambda: sum(1 for _ in walker.items([str(EXAMPLES)])))
    assert thread is not None
    thread.join()
    assert progress.total == len(list(EXAMPLES.rglob("*.json")))
    # Standard input (and a remote URL) cannot be listed twice: counted as they go, no total.
    assert count_ahead(Progress(io.StringIO(), enabled=True), ["-"], lambda: 1) is None


def test_colour_is_for_terminals_unless_asked_and_no_color_is_respected():
    class Terminal(io.StringIO):
        def isatty(self):
            return True

    assert use_color("auto", Terminal(), {}) is True
    assert use_color("auto", io.StringIO(), {}) is False
    assert use_color("auto", Terminal(), {"NO_COLOR": "1"}) is False
    assert use_color("auto", Terminal(), {"NO_COLOR": ""}) is True  # no-color.org: set and not empty
    assert use_color("auto", Terminal(), {"TERM": "dumb"}) is False
    assert use_color("always", io.StringIO(), {"NO_COLOR": "1"}) is True  # the flag wins
    assert use_color("never", Terminal(), {}) is False


# --- under a pseudo-terminal --------------------------------------------------------------------


def _environment(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "COLUMNS", "LINES")}
    env.update(TERM="xterm-256color", **extra)
    return env


def _on_a_terminal(*args: str, **env: str) -> tuple[int, bytes]:
    """Run `aimmo-gt ARGS` with stdout and stderr on one pseudo-terminal, as in a terminal window."""
    child = pexpect.spawn(
        sys.executable,
        ["-m", "aimmo_gt", *args],
        dimensions=(ROWS, COLUMNS),
        env=_environment(**env),
        timeout=120,
    )
    child.expect(pexpect.EOF)
    child.close()
    assert child.before is not None
    return child.exitstatus, child.before


def _screen(data: bytes) -> tuple[pyte.Screen, list[str]]:
    screen = pyte.Screen(COLUMNS, ROWS)
    pyte.ByteStream(screen).feed(data)
    return screen, [line.rstrip() for line in screen.display if line.strip()]


def _piped(*args: str, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "aimmo_gt", *args], capture_output=True, env=_environment(**env)
    )


def test_the_readme_first_command_shows_clean_lines_and_no_progress_at_the_end():
    code, data = _on_a_terminal("validate", "--jobs", "1", str(EXAMPLES), NO_COLOR="1")
    assert code == 1
    # The progress line was drawn, and erased before the first problem line was written.
    assert re.search(rb"\rchecked 1 (file|of 24 files \(4%\)), 0 invalid, 0 errors, ", data), data[:200]
    before_first_problem = data.split(b".json:", 1)[0]
    assert re.search(rb"\rchecked [^\r]*\r +\r[^\r]*$", before_first_problem), before_first_problem
    _, shown = _screen(data)
    piped = _piped("validate", "--jobs", "1", str(EXAMPLES))
    assert piped.returncode == 1 and piped.stderr == b""
    # What the screen shows at the end is exactly the report, line for line: nothing glued to a
    # line, no progress left behind.
    assert shown == piped.stdout.decode().splitlines()
    assert not any("files/s" in line for line in shown)
    assert re.fullmatch(r".+\.json:\d+:\d+: /\S*: [a-z]+\.[a-z-]+: .+", shown[0]), shown[0]


def test_rule_ids_severities_and_summary_are_coloured_on_a_terminal_only(tmp_path):
    document = tmp_path / "frame.json"
    document.write_text('{"annotations": [], "attributes": {}}')
    code, data = _on_a_terminal("validate", str(document))
    assert code == 1
    screen, _ = _screen(data)
    row = next(i for i, line in enumerate(screen.display) if "schema.required" in line)
    start = screen.display[row].index("schema.required")
    rule_cells = [screen.buffer[row][x] for x in range(start, start + len("schema.required"))]
    assert {(cell.fg, cell.bold) for cell in rule_cells} == {("red", True)}
    path_cell = screen.buffer[row][0]
    assert path_cell.fg == "default"  # the file and the message (user data) are not painted
    summary = next(i for i, line in enumerate(screen.display) if "checked:" in line)
    invalid = screen.display[summary].index("1 invalid")
    assert screen.buffer[summary][invalid].fg == "red"
    # The same command into a pipe, with NO_COLOR, or with --color never: no escape sequence at all.
    assert b"\x1b[" not in _piped("validate", str(document)).stdout
    code, data = _on_a_terminal("validate", str(document), NO_COLOR="1")
    assert b"\x1b[1;31m" not in data and "schema.required" in "\n".join(_screen(data)[1])
    code, data = _on_a_terminal("validate", "--color", "never", str(document))
    assert b"\x1b[1;31m" not in data
    # --color always colours a pipe (a CI log that renders ANSI).
    piped = _piped("validate", "--color", "always", str(document))
    assert b"\x1b[1;31mschema.required\x1b[0m" in piped.stdout


def test_warnings_are_painted_as_warnings(tmp_path):
    document = tmp_path / "frame.json"
    document.write_text('{"annotations": [], "attributes": {}}')
    code, data = _on_a_terminal("validate", "--warn", "schema.required", str(document))
    assert code == 0
    screen, _ = _screen(data)
    row = next(i for i, line in enumerate(screen.display) if "(warning)" in line)
    start = screen.display[row].index("(warning)")
    assert screen.buffer[row][start].fg in ("yellow", "brown")  # pyte names ANSI 33 "brown"


def test_json_report_on_a_terminal_has_no_progress_in_it(tmp_path, image_bytes):
    for number in range(3):
        (tmp_path / f"{number}.json").write_bytes(image_bytes)
    piped = subprocess.run(
        [sys.executable, "-m", "aimmo_gt", "validate", "--no-dataset", "--format", "json", str(tmp_path)],
        capture_output=True,
    )
    assert piped.returncode == 0 and piped.stderr == b"" and piped.stdout.startswith(b'{"files": [')
    code, data = _on_a_terminal("validate", "--no-dataset", "--format", "json", str(tmp_path))
    assert code == 0
    _, shown = _screen(data)
    # The JSON report writes parts of lines: the progress line is never drawn over them.
    assert shown == piped.stdout.decode().splitlines()
    code, data = _on_a_terminal("validate", "--no-dataset", "--quiet", str(tmp_path))
    assert code == 0 and data == b""
