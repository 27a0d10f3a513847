"""`aimmo_gt.validate_export` runs the whole-export rules as `aimmo-gt validate` does: on each fixture
export it gives the CLI's diagnostics (file, rule, pointer, message), in the CLI's order."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

import aimmo_gt
from aimmo_gt._cli import main

from .test_exports import EXPORTS, MANIFEST

#: The CLI options of the manifest's `args` and the API's keyword for each.
KEYWORDS = {"--resources": "resources", "--ontology": "ontology"}


def _keywords(folder: Path, args: list[str]) -> dict[str, str]:
    pairs = dict(zip(args[::2], args[1::2], strict=True))
    return {KEYWORDS[option]: str(folder / value) for option, value in pairs.items()}


@pytest.mark.parametrize("name", sorted(MANIFEST))
def test_validate_export_gives_the_cli_s_diagnostics(name, capsys):
    entry = MANIFEST[name]
    folder = (EXPORTS / name).resolve()
    paths = [str(folder / path) for path in entry.get("paths", ["."])]
    keywords = _keywords(folder, entry.get("args", []))

    found = [
        (os.path.relpath(report.path, folder), d.rule, d.pointer, d.message)
        for report in aimmo_gt.validate_export(paths, **keywords)
        for d in report.diagnostics
    ]

    expected = {(d["file"], d["rule"], d["pointer"]) for d in entry["diagnostics"]}
    assert {where[:3] for where in found} == expected
    assert len(found) == len(entry["diagnostics"])
    options = [
        part
        for option, keyword in KEYWORDS.items()
        if keyword in keywords
        for part in (option, keywords[keyword])
    ]
    capsys.readouterr()
    main(["validate", "--format", "json", *options, *paths])
    report = json.loads(capsys.readouterr().out)
    cli = [
        (os.path.relpath(e["path"], folder), d["rule"], d["pointer"], d["message"])
        for e in report["files"] + report["export"]
        for d in e["diagnostics"]
    ]
    assert found == cli


def test_validate_export_without_dataset_runs_no_whole_export_rule():
    folder = EXPORTS / "duplicate-file-id"
    rules = {d.rule for r in aimmo_gt.validate_export([str(folder)], dataset=False) for d in r.diagnostics}
    assert rules == {"format.objectid", "json.parse"}


def test_one_file_alone_is_no_export():
    one = EXPORTS / "duplicate-file-id" / "b.json"
    [report] = aimmo_gt.validate_export([str(one)])
    assert report.valid and report.diagnostics == ()


def test_validate_export_checks_its_selectors():
    with pytest.raises(ValueError, match=r"geometry\.bboxx"):
        list(aimmo_gt.validate_export([str(EXPORTS)], ignore=["geometry.bboxx"]))


def test_a_resource_folder_that_is_none_is_an_error_not_a_missing_resource_per_file(tmp_path):
    with pytest.raises(NotADirectoryError, match="is not a directory"):
        list(aimmo_gt.validate_export([str(EXPORTS / "upload-folder" / "gt")], resources=str(tmp_path / "x")))
