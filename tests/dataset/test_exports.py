"""The fixture exports: each whole-export rule reported on the right file and pointer, in every report
format, the same with one process or two; a file that does not parse takes no part."""

from __future__ import annotations

import json
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
from aimmo_gt._rules import DATASET_RULES, RULES

EXPORTS = Path(__file__).parent / "exports"
MANIFEST = tomllib.loads((EXPORTS / "expected.toml").read_text(encoding="utf-8"))
DATA = Path(__file__).parents[1] / "data"
FORMATS = ("text", "json", "junit", "sarif")

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


PARSERS = {"text": _from_text, "json": _from_json, "junit": _from_junit, "sarif": _from_sarif}


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
