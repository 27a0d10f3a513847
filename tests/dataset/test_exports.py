"""The fixture exports: each whole-export rule reported on the right file and pointer, in every report
format, the same with one process or two; a file that does not parse takes no part; each diagnostic in
a JSON file has the line and column of its pointer, the whole-export ones too."""

from __future__ import annotations

import gzip
import json
import os
import re
import tomllib
import xml.etree.ElementTree as ElementTree
from pathlib import Path
from urllib.parse import unquote, urlparse

import jsonschema
import pytest
import xmlschema

import aimmo_gt._runner as runner
from aimmo_gt._cli import main
from aimmo_gt._loading import locate
from aimmo_gt._reporters import REPORTERS
from aimmo_gt._rules import DATASET_RULES, RULES

EXPORTS = Path(__file__).parent / "exports"
MANIFEST = tomllib.loads((EXPORTS / "expected.toml").read_text(encoding="utf-8"))
DATA = Path(__file__).parents[1] / "data"
FORMATS = tuple(REPORTERS)

Found = set[tuple[str, str, str]]


def _relative(path: str, folder: Path) -> str:
    return Path(path).relative_to(folder).as_posix()


def _from_text(out: str, folder: Path) -> Found:
    found = set()
    for line in out.splitlines():
        if line.startswith("  ") or " files checked: " in line or " file checked: " in line:
            continue
        # FILE[:LINE:COL][: POINTER]: RULE[ (warning)]: MESSAGE
        shape = (
            r"(?P<path>[^:]+?)(?::\d+:\d+)?(?:: (?P<pointer>/[^:]*?))?: "
            r"(?P<rule>[a-z]+\.[A-Za-z-]+)(?: \(warning\))?: "
        )
        match = re.match(shape, line.removeprefix(f"{folder}/"))
        assert match, line
        found.add((match["path"], match["rule"], match["pointer"] or ""))
    return found


def _from_json(out: str, folder: Path) -> Found:
    report = json.loads(out)
    jsonschema.Draft202012Validator(json.loads((DATA / "report.schema.json").read_text())).validate(report)
    summary = report["summary"]
    entries = report["files"] + report["export"]
    diagnostics = [d for entry in entries for d in entry["diagnostics"]]
    assert summary["errors"] + summary["warnings"] == len(diagnostics)
    assert summary["valid"] + summary["invalid"] == summary["files"] == len(report["files"])
    return {
        (_relative(e["path"], folder), d["rule"], d["pointer"]) for e in entries for d in e["diagnostics"]
    }


def _from_junit(out: str, folder: Path) -> Found:
    xmlschema.XMLSchema(DATA / "junit-10.xsd").validate(out)
    found = set()
    suite = ElementTree.fromstring(out).find("testsuite")
    assert suite is not None
    cases = suite.findall("testcase")
    assert int(suite.get("tests", -1)) == len(cases)
    assert int(suite.get("failures", -1)) == sum(case.find("failure") is not None for case in cases)
    for case in cases:
        for body in (case.find("failure"), case.find("system-out")):
            for line in (body.text or "").splitlines() if body is not None else ():
                pointer, rule = re.match(
                    r"(.*?): ([a-z]+\.[A-Za-z-]+) \((?:error|warning)\): ", line
                ).groups()
                found.add(
                    (
                        _relative(case.get("name", ""), folder),
                        rule,
                        "" if pointer == "(document)" else pointer,
                    )
                )
    return found


def _from_sarif(out: str, folder: Path) -> Found:
    report = json.loads(out)
    schema = json.loads((DATA / "sarif-2.1.0-rtm.5.json").read_text())
    jsonschema.Draft4Validator(schema).validate(report)
    [run] = report["runs"]
    found = set()
    for result in run["results"]:
        uri = result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
        assert _relative(unquote(urlparse(uri).path), folder) == _relative(
            result["properties"]["document"], folder
        )
        found.add(
            (
                _relative(result["properties"]["document"], folder),
                result["ruleId"],
                result["properties"]["pointer"],
            )
        )
    summary = run["invocations"][0]["properties"]["summary"]
    assert summary["errors"] + summary["warnings"] == len(run["results"])
    return found


def _from_github(out: str, folder: Path) -> Found:
    found = set()
    for line in out.splitlines():
        if not line.startswith("::"):
            continue  # the text format's summary
        match = re.fullmatch(r"::(error|warning) ([^:]*)::(.*)", line)
        assert match, line
        properties = dict(part.split("=", 1) for part in match[2].split(","))
        path = unquote(properties["file"])
        pointer = match[3].split(": ", 1)[0] if match[3].startswith("/") else ""
        found.add((_relative(os.path.abspath(path), folder), properties["title"], pointer))
    return found


def _from_gitlab(out: str, folder: Path) -> Found:
    issues = json.loads(out)
    jsonschema.Draft7Validator(json.loads((DATA / "gitlab-codequality.schema.json").read_text())).validate(
        issues
    )
    assert len({issue["fingerprint"] for issue in issues}) == len(issues)
    return {
        (
            _relative(os.path.abspath(issue["location"]["path"]), folder),
            issue["check_name"],
            issue["description"].split(": ", 1)[0] if issue["description"].startswith("/") else "",
        )
        for issue in issues
    }


PARSERS = {
    "text": _from_text,
    "json": _from_json,
    "junit": _from_junit,
    "sarif": _from_sarif,
    "github": _from_github,
    "gitlab": _from_gitlab,
}


def _run(capsys, folder: Path, entry: dict, fmt: str, jobs: str) -> tuple[int, str]:
    args = [a if not (folder / a).exists() else str(folder / a) for a in entry.get("args", [])]
    paths = [str(folder / path) for path in entry.get("paths", ["."])]
    capsys.readouterr()
    code = main(
        ["validate", "--format", fmt, "--jobs", jobs, *args, *[str(Path(p).resolve()) for p in paths]]
    )
    return code, capsys.readouterr().out


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("name", sorted(MANIFEST))
def test_fixture_export_in_every_format_and_with_two_processes(name, fmt, capsys, monkeypatch, pools):
    entry = MANIFEST[name]
    folder = (EXPORTS / name).resolve()
    expected = {(d["file"], d["rule"], d["pointer"]) for d in entry["diagnostics"]}
    outputs = []
    for jobs in ("1", "2"):
        if jobs == "2":
            monkeypatch.setattr(runner, "BATCH", 1)  # a batch per file: the pool really runs
        code, out = _run(capsys, folder, entry, fmt, jobs)
        assert PARSERS[fmt](out, folder) == expected
        assert code == (1 if any(RULES[d["rule"]].severity == "error" for d in entry["diagnostics"]) else 0)
        outputs.append(out)
    assert outputs[0] == outputs[1]
    assert pools == [2]


def test_every_whole_export_rule_has_a_fixture():
    named = {d["rule"] for entry in MANIFEST.values() for d in entry["diagnostics"]}
    assert set(DATASET_RULES) - named == set()
    assert all(entry["why"] for entry in MANIFEST.values())


@pytest.mark.parametrize("name", sorted(MANIFEST))
def test_every_diagnostic_in_a_json_file_has_its_line_and_column(name, capsys):
    # The whole-export diagnostics too: their files are read again (only those), for the pointers.
    folder = (EXPORTS / name).resolve()
    _code, out = _run(capsys, folder, MANIFEST[name], "json", "1")
    report = json.loads(out)
    checked = 0
    for entry in report["files"] + report["export"]:
        path = Path(entry["path"])
        for d in entry["diagnostics"]:
            if path.suffix != ".json":  # a resource file (upload.no-gt-file) is not JSON: no place
                assert (d["line"], d["column"]) == (None, None)
                continue
            if d["rule"].startswith("json."):  # where the parser stopped
                assert d["line"] is not None and d["column"] is not None
                continue
            where = locate(path.read_text(encoding="utf-8"), [d["pointer"]])[d["pointer"]]
            assert (d["line"], d["column"]) == (where.line, where.column), (entry["path"], d)
            checked += 1
    assert checked == sum(not d["rule"].startswith("json.") for d in MANIFEST[name]["diagnostics"]) - sum(
        not d["file"].endswith(".json") for d in MANIFEST[name]["diagnostics"]
    )


@pytest.mark.parametrize("suffix", [".jsonl", ".jsonl.gz"])
def test_whole_export_diagnostics_in_json_lines_have_the_line_of_their_document(suffix, capsys, tmp_path):
    # Documents of two fixtures as lines, with blank lines between: a duplicate file_id is found as its
    # document is added, a frame gap only at the end (the file is read forward again from its start).
    documents = [
        json.loads(path.read_text(encoding="utf-8"))
        for name in ("frame-gap", "duplicate-file-id")
        for path in sorted((EXPORTS / name).rglob("*.json"))
        if path.name != "d.json" or name == "frame-gap"  # duplicate-file-id/d.json does not parse
    ]
    text = "\n\n".join(json.dumps(document) for document in documents) + "\n"
    export = tmp_path / f"export{suffix}"
    export.write_bytes(gzip.compress(text.encode()) if suffix.endswith(".gz") else text.encode())
    capsys.readouterr()
    assert main(["validate", "--jsonl", "--format", "json", "--jobs", "1", str(export)]) == 1
    report = json.loads(capsys.readouterr().out)
    lines = text.split("\n")
    found = []
    for entry in report["files"] + report["export"]:
        number = int(entry["path"].rsplit(":", 1)[1])
        for d in entry["diagnostics"]:
            where = locate(lines[number - 1], [d["pointer"]])[d["pointer"]]
            assert (d["line"], d["column"]) == (number, where.column)
            found.append((number, d["rule"]))
    assert sorted(found) == [
        (1, "dataset.frame-gap"),
        (9, "dataset.frame-gap"),
        (17, "dataset.duplicate-file-id"),
        (19, "format.objectid"),
        (21, "dataset.duplicate-file-id"),
    ]


def _unused_run(capsys, *args: str) -> tuple[int, list[tuple[str, str]]]:
    folder = EXPORTS / "unused"
    capsys.readouterr()
    code = main(
        ["validate", "--format", "json", "--ontology", str(folder / "ontology.json"), *args, str(folder)]
    )
    report = json.loads(capsys.readouterr().out)
    return code, [
        (Path(e["path"]).name, d["rule"])
        for e in report["files"] + report["export"]
        for d in e["diagnostics"]
    ]


def test_dataset_unused_is_tuned_like_every_rule(capsys):
    quiet = ["--exclude", "c.json", "--ignore", "annotation.type-alias"]
    code, found = _unused_run(capsys, *quiet)
    assert code == 0 and found == [("ontology.json", "dataset.unused")] * 6
    # A warning: it fails the run under --strict only.
    code, found = _unused_run(capsys, *quiet, "--strict")
    assert code == 1 and found == [("ontology.json", "dataset.unused")] * 6
    for off in (["--ignore", "dataset.unused"], ["--ignore", "dataset"], ["--no-dataset"]):
        code, found = _unused_run(capsys, *quiet, "--strict", *off)
        assert code == 0 and found == [], off


def test_only_the_files_with_a_whole_export_diagnostic_are_read_again(capsys, monkeypatch, tmp_path):
    import aimmo_gt._walk as walk

    template = json.loads((EXPORTS / "duplicate-file-id" / "a.json").read_text(encoding="utf-8"))
    for n in range(40):
        document = {**template, "file_id": f"{n:024x}", "filename": f"{n}.jpg"}
        (tmp_path / f"{n:02}.json").write_text(json.dumps(document, indent=1), encoding="utf-8")
    (tmp_path / "40.json").write_text(json.dumps({**template, "file_id": f"{7:024x}"}), encoding="utf-8")
    read_again = []
    read_file = walk.read_file
    monkeypatch.setattr(
        walk, "read_file", lambda path, limit: read_again.append(path) or read_file(path, limit)
    )
    capsys.readouterr()
    assert main(["validate", "--format", "json", "--jobs", "1", str(tmp_path)]) == 1
    report = json.loads(capsys.readouterr().out)
    [(path, [d])] = [(e["path"], e["diagnostics"]) for e in report["files"] if e["diagnostics"]]
    column = Path(path).read_text(encoding="utf-8").index('"file_id"') + 1  # one line of JSON
    assert (Path(path).name, d["rule"], d["line"], d["column"]) == (
        "40.json",
        "dataset.duplicate-file-id",
        1,
        column,
    )
    assert read_again == [path]
