"""Output and data safety: the user's data is never lost, the report always parses and cannot be
forged by the input, and a failure to write it is one clear error (issue 17, items 12-17)."""

from __future__ import annotations

import json
import os
import re
import xml.etree.ElementTree as ElementTree
from pathlib import Path

import jsonschema
import msgspec
import pytest
import xmlschema

from .conftest import aimmo, interrupt, valid_document, write

DATA = Path(__file__).resolve().parents[1] / "data"
PATIENCE = 60


def _schema(name: str):
    return json.loads((DATA / name).read_text())


def _validate_json_report(report: dict) -> None:
    jsonschema.Draft202012Validator(_schema("report.schema.json")).validate(report)


def _validate_sarif(report: dict) -> None:
    jsonschema.Draft4Validator(_schema("sarif-2.1.0-rtm.5.json")).validate(report)


# --- 12: the report never overwrites an input


def test_12_an_output_that_is_a_named_input_is_refused_and_the_file_kept(tmp_path, cli):
    gt = write(tmp_path / "a.json", valid_document())
    before = gt.read_bytes()
    run = cli("validate", "--no-dataset", "--format", "json", "-o", gt, gt)
    assert run.code == 2
    assert f"--output '{gt}' is one of the files to check" in run.err
    assert gt.read_bytes() == before


def test_12_an_output_that_a_walked_folder_holds_is_refused_and_the_file_kept(tmp_path, cli):
    gt = write(tmp_path / "export" / "sub" / "b.json", valid_document())
    before = gt.read_bytes()
    run = cli("validate", "--no-dataset", "-o", gt, tmp_path / "export")
    assert run.code == 2
    assert f"is a file in '{tmp_path / 'export'}', which is checked" in run.err
    assert gt.read_bytes() == before


def test_12_a_previous_report_in_the_walked_folder_is_written_over(tmp_path, cli):
    write(tmp_path / "a.json", valid_document())
    report = tmp_path / "report.json"
    for _ in range(2):  # the second run finds the first one's report in the folder
        run = cli("validate", "--no-dataset", "--format", "json", "-o", report, tmp_path)
        assert run.code == 0, run.err
        assert [f["path"] for f in json.loads(report.read_text())["files"]] == [str(tmp_path / "a.json")]


# --- 13: a report that cannot be written


def test_13_a_full_disk_is_one_clear_error_and_exit_3(tmp_path, cli):
    gt = write(tmp_path / "a.json", valid_document())
    for fmt in ("text", "json", "junit", "sarif"):
        run = cli("validate", "--no-dataset", "--format", fmt, "-o", "/dev/full", gt)
        assert run.code == 3, (fmt, run.err)
        assert (
            run.err
            == "aimmo-gt validate: error: cannot write the report to '/dev/full': No space left on device\n"
        )


def test_13_standard_output_on_a_full_disk_is_one_clear_error(tmp_path, reaper):
    gt = write(tmp_path / "a.json", valid_document())
    with open("/dev/full", "w") as full:
        process = aimmo("validate", "--no-dataset", gt, stdout=full)
        reaper(process)
        _, err = process.communicate(timeout=PATIENCE)
    assert process.returncode == 3
    assert err.decode() == (
        "aimmo-gt validate: error: cannot write the report to standard output: No space left on device\n"
    )


def test_13_a_full_temporary_directory_for_the_junit_spool_is_one_clear_error(tmp_path, cli, monkeypatch):
    import tempfile

    gt = write(tmp_path / "a.json", valid_document())
    monkeypatch.setattr(tempfile, "TemporaryFile", lambda *args, **kwargs: open("/dev/full", "w+"))  # noqa: SIM115
    run = cli("validate", "--no-dataset", "--format", "junit", "-o", tmp_path / "r.xml", gt)
    assert run.code == 3
    assert run.err == (
        "aimmo-gt validate: error: cannot write the report to the temporary directory (TMPDIR): "
        "No space left on device\n"
    )


# --- 14: Ctrl-C leaves a report that parses, marked interrupted


@pytest.fixture
def slow_export(tmp_path) -> Path:
    """Two files checked at once, then one that takes long: Ctrl-C comes while it is checked."""
    root = tmp_path / "export"
    write(root / "a.json", valid_document())
    bad = valid_document()
    del bad["filename"]
    write(root / "b.json", bad)
    write(root / "slow.json", valid_document())
    return root


def _interrupted(args, reaper, signals: int = 1) -> tuple[int, str]:
    process = aimmo("validate", "--no-dataset", *args)
    reaper(process)
    assert process.stderr is not None
    line = process.stderr.readline().decode()
    assert line.startswith("checking "), line  # the harness says so when the slow file starts
    for _ in range(signals):
        interrupt(process)
    _, err = process.communicate(timeout=PATIENCE)
    return process.returncode, err.decode()


@pytest.mark.parametrize("fmt", ["text", "json", "junit", "sarif"])
def test_14_after_ctrl_c_the_report_parses_and_says_it_was_interrupted(fmt, slow_export, tmp_path, reaper):
    output = tmp_path / f"report.{fmt}"
    code, err = _interrupted(["--format", fmt, "-j", "1", "-o", output, slow_export], reaper)
    assert code == 130
    assert err == "interrupted: the report holds the 2 files checked so far\n"
    text = output.read_text()
    if fmt == "text":
        assert text.splitlines()[1:] == [
            "interrupted: 2 files checked: 1 valid, 1 invalid (1 error, 0 warnings)",
            "  schema.required  1",
        ]
    elif fmt == "json":
        report = json.loads(text)
        _validate_json_report(report)
        assert [f["path"] for f in report["files"]] == [str(slow_export / n) for n in ("a.json", "b.json")]
        assert report["summary"]["interrupted"] is True and report["summary"]["files"] == 2
    elif fmt == "sarif":
        report = json.loads(text)
        _validate_sarif(report)
        [invocation] = report["runs"][0]["invocations"]
        assert invocation["executionSuccessful"] is False and invocation["exitCode"] == 130
        assert invocation["properties"]["summary"]["interrupted"] is True
    else:
        xmlschema.XMLSchema(DATA / "junit-10.xsd").validate(output)
        suite = ElementTree.parse(output).getroot().find("testsuite")
        assert suite is not None and suite.get("tests") == "2" and suite.get("failures") == "1"


# --- 15: input cannot forge report lines or send escape sequences


def test_15_keys_pointers_file_names_and_messages_are_escaped_in_text(tmp_path, cli):
    forged = "x\n/ok.json: ok\x1b[2J\u202e"
    document = valid_document()
    document[forged] = 1
    document["annotations"][0]["label"] = ["\x1b]0;title\x07"]
    name = tmp_path / "evil\nname\x1b[31m.json"
    write(name, document)
    run = cli("validate", "--no-dataset", tmp_path)
    assert run.code == 1
    lines = run.out.splitlines()
    shown = f"{tmp_path}/evil\\x0aname\\x1b[31m.json"
    label = 'label must be a string, not ["\\u001b]0;title\\u0007"]'
    assert re.fullmatch(
        rf"{re.escape(shown)}:1:\d+: /annotations/0/label: schema\.type: {re.escape(label)}", lines[0]
    )
    # (the list of expected properties that follows belongs to the schema)
    unknown = (
        "/x\\x0a~1ok.json: ok\\x1b[2J\\u202e: schema.unknown-property: unknown property "
        '"x\\n/ok.json: ok\\u001b[2J\\u202e"'
    )
    assert re.fullmatch(rf"{re.escape(shown)}:1:\d+: {re.escape(unknown)}", lines[1].split(" (expected: ")[0])
    assert not any(c in run.out for c in "\x1b\x07\u202e")
    assert len(lines) == 2 + 3  # the two problems, the summary and its two rule lines: nothing forged


def test_15_verbose_lines_escape_the_file_name(tmp_path, cli):
    write(tmp_path / "a\rb.json", valid_document())
    run = cli("validate", "--no-dataset", "--verbose", tmp_path)
    assert run.out.splitlines()[0] == f"{tmp_path}/a\\x0db.json: ok (profile: image, inferred)"


# --- 16: reports are valid UTF-8 JSON whatever the input holds


@pytest.mark.parametrize("fmt", ["json", "sarif"])
def test_16_a_lone_surrogate_key_leaves_the_report_valid_utf8_json(fmt, tmp_path, cli):
    gt = tmp_path / "a.json"
    text = json.dumps(valid_document())
    gt.write_text(text[:-1] + ', "bad\\ud800key": 1}')
    output = tmp_path / f"r.{fmt}"
    run = cli("validate", "--no-dataset", "--format", fmt, "-o", output, gt)
    assert run.code == 1
    raw = output.read_bytes()
    report = msgspec.json.decode(raw)  # strict: refuses a lone surrogate escape, as jq does
    raw.decode("utf-8")
    if fmt == "json":
        [diagnostic] = report["files"][0]["diagnostics"]
        assert (diagnostic["rule"], diagnostic["pointer"]) == ("schema.unknown-property", "/bad\\ud800key")
    else:
        [result] = report["runs"][0]["results"]
        assert result["properties"]["pointer"] == "/bad\\ud800key"
    # Standard output too.
    out = cli("validate", "--no-dataset", "--format", fmt, gt).out
    assert msgspec.json.decode(out.encode()) == report


# --- 17: closed standard streams


def _closing(fd: int):
    def close() -> None:
        os.close(fd)

    return close


def test_17_a_closed_standard_input_is_a_diagnostic(reaper):
    process = aimmo("validate", "--no-dataset", "-", preexec_fn=_closing(0))
    reaper(process)
    out, err = process.communicate(timeout=PATIENCE)
    assert process.returncode == 1, err
    assert out.decode().splitlines()[0] == "-: file.unreadable: cannot read: standard input is closed"
    assert b"Traceback" not in err


def test_17_a_closed_standard_output_is_one_clear_error(tmp_path, reaper):
    gt = write(tmp_path / "a.json", valid_document())
    for args in (["validate", "--no-dataset", gt], ["rules"]):
        process = aimmo(*args, preexec_fn=_closing(1))
        reaper(process)
        _, err = process.communicate(timeout=PATIENCE)
        assert process.returncode == 3
        assert err.decode().endswith(
            "error: cannot write the report to standard output: standard output is closed\n"
        ), err


def test_17_a_closed_standard_error_still_runs(tmp_path, reaper):
    gt = write(tmp_path / "a.json", valid_document())
    process = aimmo(
        "validate", "--no-dataset", "-o", tmp_path / "r.txt", gt, preexec_fn=_closing(2), stderr=None
    )
    reaper(process)
    process.communicate(timeout=PATIENCE)
    assert process.returncode == 0
    assert "1 file checked: 1 valid" in (tmp_path / "r.txt").read_text()
