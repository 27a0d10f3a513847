"""--format github (GitHub Actions workflow commands) and --format gitlab (GitLab Code Quality), each
held to its documented shape."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import jsonschema

from aimmo_gt._reporters import _command_data, _command_property

DATA = Path(__file__).resolve().parents[1] / "data"
EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "export"

# GitHub's "Workflow commands for GitHub Actions": `::error file={name},line={line},endLine={endLine},
# col={col},endColumn={endColumn},title={title}::{message}` (and ::warning, ::notice); property values
# escape %, CR, LF, ':' and ','; the message escapes %, CR and LF.
_COMMAND = re.compile(r"^::(?P<command>error|warning|notice) (?P<properties>[^:]*)::(?P<message>[^\r\n]*)$")
_PROPERTIES = {"file", "line", "endLine", "col", "endColumn", "title"}


def _unescape(text: str) -> str:
    return re.sub(
        r"%(25|0D|0A|3A|2C)", lambda m: {"25": "%", "0D": "\r", "0A": "\n", "3A": ":", "2C": ","}[m[1]], text
    )


def _commands(out: str) -> list[dict]:
    commands = []
    for line in out.splitlines():
        match = _COMMAND.match(line)
        if not match:
            continue
        properties = {}
        for pair in match["properties"].split(","):
            key, _, value = pair.partition("=")
            assert key in _PROPERTIES, line
            properties[key] = _unescape(value)
        commands.append({"command": match["command"], **properties, "message": _unescape(match["message"])})
    return commands


def _export(tmp_path: Path) -> Path:
    export = tmp_path / "export"
    shutil.copytree(EXAMPLES, export)
    # A name with the characters a workflow command's property must escape.
    shutil.copy(export / "videos" / "clip_03.json", export / "videos" / "odd, 50%: name.json")
    return export


def test_github_commands_are_annotations_on_file_line_and_column(cli, tmp_path, monkeypatch):
    _export(tmp_path)
    monkeypatch.chdir(tmp_path)
    run = cli("validate", "--no-dataset", "--format", "github", "--warn", "mask.", "export")
    assert run.code == 1
    commands = _commands(run.out)
    json_report = cli("validate", "--no-dataset", "--format", "json", "--warn", "mask.", "export").json()
    expected = [
        {
            "command": d["severity"],
            "file": entry["path"],
            "line": str(d["line"]),
            "col": str(d["column"]),
            "title": d["rule"],
            "message": f"{d['pointer']}: {d['message']}",
        }
        for entry in json_report["files"]
        for d in entry["diagnostics"]
    ]
    assert commands == expected and len(commands) == 6
    assert {"command": "warning", "title": "mask.area"}.items() <= commands[2].items()
    assert any(c["file"] == "export/videos/odd, 50%: name.json" for c in commands)
    # Every line of the report is a command or the summary that follows them.
    lines = run.out.splitlines()
    assert all(_COMMAND.match(line) for line in lines[: len(commands)])
    assert lines[len(commands)] == "25 files checked: 20 valid, 5 invalid (5 errors, 1 warning)"


def test_github_paths_are_relative_to_the_repository(cli, tmp_path, monkeypatch):
    export = _export(tmp_path)
    monkeypatch.chdir(tmp_path)
    # An absolute path under the current directory.
    run = cli("validate", "--no-dataset", "--format", "github", export / "videos")
    assert {c["file"] for c in _commands(run.out)} == {
        "export/videos/clip_03.json",
        "export/videos/odd, 50%: name.json",
    }


def test_workflow_command_escaping():
    assert _command_data("50% done\r\nnext: a, b") == "50%25 done%0D%0Anext: a, b"
    assert _command_property("a,b:c%\n") == "a%2Cb%3Ac%25%0A"
    assert _unescape(_command_property("x:%,\r\n")) == "x:%,\r\n"


def test_github_max_problems_and_summary(cli, tmp_path, image):
    for number in range(4):
        broken = json.loads(json.dumps(image))
        broken["file_id"] = "nope"
        (tmp_path / f"{number}.json").write_text(json.dumps(broken))
    run = cli("validate", "--no-dataset", "--format", "github", "--max-problems", "1", tmp_path)
    assert len(_commands(run.out)) == 1
    assert "format.objectid: and 3 more problems not shown (--max-problems 1)" in run.out.splitlines()
    assert "  format.objectid  4" in run.out.splitlines()


def test_gitlab_code_quality_report_has_the_documented_shape(cli, tmp_path, monkeypatch):
    export = _export(tmp_path)
    monkeypatch.chdir(tmp_path)
    run = cli("validate", "--no-dataset", "--format", "gitlab", "--warn", "mask.", export)
    assert run.code == 1
    issues = run.json()
    jsonschema.Draft202012Validator(
        json.loads((DATA / "gitlab-codequality.schema.json").read_text())
    ).validate(issues)
    json_report = cli("validate", "--no-dataset", "--format", "json", "--warn", "mask.", "export").json()
    expected = [
        (entry["path"], d["rule"], d["line"], {"error": "major", "warning": "minor"}[d["severity"]])
        for entry in json_report["files"]
        for d in entry["diagnostics"]
    ]
    got = [
        (i["location"]["path"], i["check_name"], i["location"]["lines"]["begin"], i["severity"])
        for i in issues
    ]
    assert got == expected and len(got) == 6
    fingerprints = [issue["fingerprint"] for issue in issues]
    assert len(set(fingerprints)) == len(fingerprints)
    # Stable between runs (GitLab compares the fingerprints of two pipelines).
    again = cli("validate", "--no-dataset", "--format", "gitlab", "--warn", "mask.", export).json()
    assert [issue["fingerprint"] for issue in again] == fingerprints


def test_gitlab_report_of_a_clean_run_and_of_json_lines(cli, tmp_path, image, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "ok.json").write_text(json.dumps(image))
    assert cli("validate", "--format", "gitlab", "ok.json").json() == []
    broken = json.loads(json.dumps(image))
    broken["file_id"] = "nope"
    (tmp_path / "frames.jsonl").write_text(json.dumps(image) + "\n" + json.dumps(broken) + "\n")
    [issue] = cli("validate", "--no-dataset", "--jsonl", "--format", "gitlab", "frames.jsonl").json()
    assert issue["location"] == {"path": "frames.jsonl", "lines": {"begin": 2}}
    assert issue["check_name"] == "format.objectid" and issue["description"].startswith("/file_id: ")
