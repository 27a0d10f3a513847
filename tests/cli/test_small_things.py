"""The small things of a command people live with: letter case of *.json, the JSON Lines hint, the
version, "did you mean" for rule ids, --max-problems."""

from __future__ import annotations

import json
import platform
import re
import subprocess
import sys

import pytest


def test_json_files_are_walked_in_any_letter_case(cli, tmp_path, image):
    line = json.dumps(image).encode() + b"\n"
    for name in ("UPPER.JSON", "Mixed.Json", "lower.json", "notes.txt", "data.jsonl"):
        (tmp_path / name).write_bytes(line)
    run = cli("validate", "--no-dataset", "--format", "json", tmp_path)
    assert run.code == 0
    assert sorted(run.by_path()) == sorted(
        str(tmp_path / n) for n in ("Mixed.Json", "UPPER.JSON", "lower.json")
    )
    (tmp_path / "LINES.JSONL").write_bytes(line)
    run = cli("validate", "--no-dataset", "--jsonl", "--format", "json", tmp_path)
    assert sorted(run.by_path()) == [f"{tmp_path / 'LINES.JSONL'}:1", f"{tmp_path / 'data.jsonl'}:1"]


def test_a_json_lines_file_without_jsonl_gets_a_hint(cli, tmp_path, image):
    path = tmp_path / "frames.jsonl"
    path.write_text(json.dumps(image) + "\n" + json.dumps(image) + "\n")
    run = cli("validate", "--no-dataset", path)
    assert run.code == 1
    assert f"{path}:2:1: json.parse: " in run.out
    assert (
        f"hint: {str(path)!r} looks like JSON Lines (one document a line): check it with --jsonl" in run.err
    )
    # With --jsonl, no hint; a .json file that does not parse gets none either.
    run = cli("validate", "--no-dataset", "--jsonl", path)
    assert run.code == 0 and "hint" not in run.err
    (tmp_path / "broken.json").write_text("{")
    assert "hint" not in cli("validate", tmp_path / "broken.json").err


@pytest.mark.parametrize("option", ["-V", "--version"])
def test_version_names_package_schema_and_python(option):
    done = subprocess.run([sys.executable, "-m", "aimmo_gt", option], capture_output=True, text=True)
    assert done.returncode == 0 and done.stderr == ""
    from importlib.metadata import version

    assert done.stdout == f"aimmo-gt {version('aimmo-gt')} (schema v1, Python {platform.python_version()})\n"


@pytest.mark.parametrize(
    ("option", "wrong", "meant"),
    [
        ("--ignore", "geometry.bboxx", "geometry.bbox"),
        ("--warn", "schema.minitems", "schema.minItems"),
        ("--warn", "geometri.", "geometry."),
    ],
)
def test_an_unknown_rule_gets_did_you_mean(cli, tmp_path, option, wrong, meant):
    run = cli("validate", option, wrong, tmp_path)
    assert run.code == 2 and run.out == ""
    assert f"no rule is named {wrong!r} (did you mean {meant!r}?)" in run.err


def test_an_unknown_rule_far_from_any_says_where_to_look(cli, tmp_path):
    run = cli("validate", "--ignore", "zzzz", tmp_path)
    assert run.code == 2
    assert "no rule is named 'zzzz'; see 'aimmo-gt rules'" in run.err and "did you mean" not in run.err


def test_max_problems_holds_back_lines_per_rule_and_the_counts_stay_exact(cli, tmp_path, image):
    for number in range(5):
        broken = json.loads(json.dumps(image))
        broken["annotations"][0]["label"] = ""
        broken["file_id"] = "nope"
        (tmp_path / f"{number}.json").write_text(json.dumps(broken))
    run = cli("validate", "--no-dataset", "--max-problems", "2", tmp_path)
    lines = run.out.splitlines()
    assert sum(": schema.minLength: " in line for line in lines) == 2
    assert sum(": format.objectid: " in line for line in lines) == 2
    assert "format.objectid: and 3 more problems not shown (--max-problems 2)" in lines
    assert "schema.minLength: and 3 more problems not shown (--max-problems 2)" in lines
    counts = {line.split()[0]: line.split()[1] for line in lines if line.startswith("  ")}
    assert counts == {"format.objectid": "5", "schema.minLength": "5"}
    run = cli("validate", "--no-dataset", "--max-problems", "4", "--quiet", tmp_path)
    assert run.out.splitlines()[-2:] == [
        "format.objectid: and 1 more problem not shown (--max-problems 4)",
        "schema.minLength: and 1 more problem not shown (--max-problems 4)",
    ]
    # Without it every line is there; the JSON report is data and always complete.
    assert len(cli("validate", "--no-dataset", "--quiet", tmp_path).out.splitlines()) == 10
    report = cli("validate", "--no-dataset", "--max-problems", "1", "--format", "json", tmp_path).json()
    assert sum(len(entry["diagnostics"]) for entry in report["files"]) == 10
    assert cli("validate", "--max-problems", "0", tmp_path).code == 2


def test_colour_option_is_validated(cli, tmp_path):
    run = cli("validate", "--color", "sometimes", tmp_path)
    assert run.code == 2 and re.search(r"--color: invalid choice: 'sometimes'", run.err)
