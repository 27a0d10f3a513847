"""Report formats: each validates against its published schema, and says what the text report says."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import jsonschema
import pytest
import xmlschema

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "tests" / "data"
EXAMPLES = ROOT / "examples" / "export"


@pytest.fixture
def export(tmp_path, image_bytes):
    """The example export plus files whose names and contents are hard to escape."""
    root = tmp_path / "export"
    shutil.copytree(EXAMPLES, root)
    odd = root / "odd & <names>"
    odd.mkdir()
    (odd / 'quote " and 한글.json').write_bytes(
        image_bytes.replace(b'"attributes": {}', b'"attributes": {"\\u0001<&>": 1}', 1)
    )
    (odd / "nan.json").write_bytes(image_bytes.replace(b'"width": 1920', b'"width": NaN'))
    (odd / "bom.json").write_bytes(b"\xef\xbb\xbf" + image_bytes)
    # Three errors in one file: counts of errors and of invalid files differ, so that a report that
    # counts one for the other fails (JUnit's failures are files).
    (odd / "surrogate.json").write_bytes(
        image_bytes.replace(b'"car"', b'"\\ud800"', 1)
        .replace(b"1169", b"1170", 1)
        .replace(b'"filename"', b'"filenam"')
    )
    return root


def _validate_sarif(report: dict) -> None:
    schema = json.loads((DATA / "sarif-2.1.0-rtm.5.json").read_text())
    jsonschema.Draft4Validator(schema, format_checker=jsonschema.Draft4Validator.FORMAT_CHECKER).validate(
        report
    )


def test_json_report_validates_against_its_schema(cli, export):
    run = cli("validate", "--no-dataset", "--format", "json", export)
    report = run.json()
    schema = json.loads((DATA / "report.schema.json").read_text())
    jsonschema.Draft202012Validator(schema).validate(report)
    summary = report["summary"]
    assert summary["files"] == len(report["files"]) == 28
    # Under --strict the file whose only problem is a warning (the BOM) is invalid too.
    strict = cli("validate", "--format", "json", "--strict", export).json()
    jsonschema.Draft202012Validator(schema).validate(strict)
    changed = [
        a["path"] for a, b in zip(report["files"], strict["files"], strict=True) if a["valid"] != b["valid"]
    ]
    assert [path.rsplit("/", 1)[1] for path in changed] == ["bom.json"]
    assert strict["summary"]["invalid"] == 9
    assert summary["invalid"] == sum(not entry["valid"] for entry in report["files"]) == 8
    assert summary["warnings"] == 1 and summary["rules"]["json.bom"] == 1
    assert {entry["profile"] for entry in report["files"]} == {
        "image",
        "image-pixel",
        "sequence",
        "pointcloud",
        "video",
        "text",
        None,
    }


def test_junit_report_validates_against_the_xsd(cli, export, tmp_path):
    output = tmp_path / "report.xml"
    run = cli("validate", "--no-dataset", "--format", "junit", "--output", output, export)
    assert run.code == 1 and run.out == ""
    schema = xmlschema.XMLSchema(DATA / "junit-10.xsd")
    schema.validate(output)
    tree = schema.to_dict(output)
    suite = tree["testsuite"][0]
    assert (suite["@tests"], suite["@failures"]) == ("28", "8")
    errors = cli("validate", "--format", "json", export).json()["summary"]["errors"]
    assert errors > 8, "the export must have more errors than invalid files for this test to tell them apart"
    assert sum(1 for case in suite["testcase"] if "failure" in case) == 8
    failed = {case["@name"].rsplit("/", 1)[1] for case in suite["testcase"] if "failure" in case}
    assert "nan.json" in failed and "bom.json" not in failed


def test_sarif_report_validates_and_points_at_lines(cli, export):
    run = cli("validate", "--no-dataset", "--format", "sarif", export)
    report = run.json()
    _validate_sarif(report)
    [sarif_run] = report["runs"]
    rules = sarif_run["tool"]["driver"]["rules"]
    results = sarif_run["results"]
    assert all(rules[r["ruleIndex"]]["id"] == r["ruleId"] for r in results)
    # Each result's level is its diagnostic's severity (the BOM is the export's one warning).
    assert sorted({(r["ruleId"], r["level"]) for r in results if r["ruleId"].startswith("json.")}) == [
        ("json.bom", "warning"),
        ("json.duplicate-key", "error"),
        ("json.non-finite", "error"),
        ("json.parse", "error"),
    ]
    assert all(r["level"] == "error" for r in results if r["ruleId"] != "json.bom")
    assert sarif_run["invocations"][0]["exitCode"] == 1

    def region(rule: str) -> tuple[str, int, int]:
        [result] = [r for r in results if r["ruleId"] == rule]
        location = result["locations"][0]["physicalLocation"]
        return (
            location["artifactLocation"]["uri"],
            location["region"]["startLine"],
            location["region"]["startColumn"],
        )

    # The line and column are those of the value the pointer names, found in the file's own text.
    uri, line, column = region("order.end-after-start")
    assert uri.endswith("videos/clip_03.json")
    text = (export / "videos" / "clip_03.json").read_text().splitlines()
    assert text[line - 1][column - 1 :].startswith('"endFrame": 3028')
    uri, line, column = region("json.non-finite")
    assert uri.endswith("/odd%20%26%20%3Cnames%3E/nan.json")
    assert (
        (export / "odd & <names>" / "nan.json")
        .read_text()
        .splitlines()[line - 1][column - 1 :]
        .startswith("NaN")
    )


def test_sarif_for_json_lines_points_at_the_line_in_the_file(cli, tmp_path, image):
    path = tmp_path / "export.jsonl"
    bad = {**image, "filename": ""}
    path.write_text(json.dumps(image) + "\n" + json.dumps(bad) + "\n")
    report = cli("validate", "--no-dataset", "--jsonl", "--format", "sarif", path).json()
    _validate_sarif(report)
    [result] = report["runs"][0]["results"]
    location = result["locations"][0]["physicalLocation"]
    assert location["artifactLocation"]["uri"] == path.as_uri()
    line, column = location["region"]["startLine"], location["region"]["startColumn"]
    assert line == 2
    assert path.read_text().splitlines()[1][column - 1 :].startswith('"filename": ""')
    assert result["properties"]["document"] == f"{path}:2"


def test_an_empty_run_is_still_a_valid_report(cli, tmp_path):
    (tmp_path / "empty").mkdir()
    for fmt in ("json", "junit", "sarif"):
        run = cli("validate", "--format", fmt, "--output", tmp_path / f"r.{fmt}", tmp_path / "empty")
        assert run.code == 2  # nothing to check is a usage error, yet the report is complete
    jsonschema.Draft202012Validator(json.loads((DATA / "report.schema.json").read_text())).validate(
        json.loads((tmp_path / "r.json").read_text())
    )
    xmlschema.XMLSchema(DATA / "junit-10.xsd").validate(tmp_path / "r.junit")
    _validate_sarif(json.loads((tmp_path / "r.sarif").read_text()))


def test_text_report_lines_summary_and_counts(cli, export):
    run = cli("validate", "--no-dataset", export)
    lines = run.out.splitlines()
    assert f"{export}/videos/clip_03.json:7:7: /annotations/0/endFrame: order.end-after-start: " in run.out
    assert f"{export}/odd & <names>/bom.json:1:1: json.bom (warning): " in run.out
    assert "28 files checked: 20 valid, 8 invalid (10 errors, 1 warning)" in lines
    counts = lines[lines.index("28 files checked: 20 valid, 8 invalid (10 errors, 1 warning)") + 1 :]
    assert [line.split() for line in counts] == [
        ["geometry.bbox", "2"],
        ["json.bom", "1"],
        ["json.duplicate-key", "1"],
        ["json.non-finite", "1"],
        ["json.parse", "1"],
        ["mask.area", "1"],
        ["order.end-after-start", "1"],
        ["schema.required", "1"],
        ["schema.type", "1"],
        ["schema.unknown-property", "1"],
    ]


def test_verbose_names_the_profile_and_quiet_drops_the_summary(cli, export):
    run = cli("validate", "--verbose", export / "videos", export / "masks" / "road_01.json")
    assert f"{export}/videos/clip_01.json: ok (profile: video, inferred)" in run.out
    assert f"{export}/videos/clip_03.json: invalid (profile: video, inferred)" in run.out
    run = cli("validate", "--verbose", "--profile", "image", export / "masks" / "road_01.json")
    assert f"{export}/masks/road_01.json: invalid (profile: image)" in run.out
    run = cli("validate", "--quiet", export / "videos")
    assert run.out.splitlines() == [
        f"{export}/videos/clip_03.json:7:7: /annotations/0/endFrame: order.end-after-start: "
        "endFrame is 3028 but must be at least startFrame (3159)"
    ]
    assert run.err == ""
