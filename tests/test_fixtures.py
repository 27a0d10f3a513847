"""Whole documents: vendor examples and realistic files pass; each invalid one fails as its manifest says."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

import pytest

import aimmo_gt
from aimmo_gt._rules import INPUT_RULES
from conftest import CASES, FIXTURES, TESTS, load_json, rule_pointers

VALID = FIXTURES / "valid"
INVALID = FIXTURES / "invalid"
VALID_EXPECTED = tomllib.loads((VALID / "expected.toml").read_text(encoding="utf-8"))
INVALID_EXPECTED = tomllib.loads((INVALID / "expected.toml").read_text(encoding="utf-8"))


def _files(folder):
    return [pytest.param(p, id=p.name) for p in sorted(folder.glob("*.json"))]


def _expected(entry):
    return sorted((d["rule"], d["pointer"]) for d in entry["diagnostics"])


@pytest.mark.parametrize("path", _files(VALID))
def test_valid_fixture(path):
    result = aimmo_gt.check(load_json(path))
    expected = _expected(VALID_EXPECTED[path.name]) if path.name in VALID_EXPECTED else []
    assert rule_pointers(result.diagnostics) == expected, [d.message for d in result.diagnostics]
    assert result.valid
    aimmo_gt.validate(load_json(path))


@pytest.mark.parametrize("path", _files(INVALID))
def test_invalid_fixture(path):
    entry = INVALID_EXPECTED[path.name]
    result = aimmo_gt.check(load_json(path))
    assert rule_pointers(result.diagnostics) == _expected(entry), [d.message for d in result.diagnostics]
    assert not result.valid
    with pytest.raises(aimmo_gt.ValidationError) as raised:
        aimmo_gt.validate(load_json(path))
    assert rule_pointers(raised.value.diagnostics) == _expected(entry)


def test_manifests_name_existing_files():
    assert set(INVALID_EXPECTED) == {p.name for p in INVALID.glob("*.json")}
    assert set(VALID_EXPECTED) <= {p.name for p in VALID.glob("*.json")}
    assert all(entry["why"] for entry in INVALID_EXPECTED.values())


@pytest.mark.parametrize(
    ("name", "profile"),
    [
        ("realistic-image.json", "image"),
        ("realistic-image-pixel.json", "image-pixel"),
        ("realistic-sequence.json", "sequence"),
        ("realistic-pointcloud.json", "pointcloud"),
        ("realistic-video.json", "video"),
        ("realistic-text.json", "text"),
        ("vendor-gt-field.json", "sequence"),
    ],
)
def test_profile_is_inferred(name, profile):
    result = aimmo_gt.check(load_json(VALID / name))
    assert (result.profile, result.inferred) == (profile, True)


def test_every_validation_rule_has_a_failing_case_or_fixture():
    seen = {d["rule"] for entry in INVALID_EXPECTED.values() for d in entry["diagnostics"]}
    for path in CASES.rglob("*.json"):
        seen |= {d["rule"] for test in load_json(path)["tests"] for d in test.get("diagnostics", [])}
    exports = tomllib.loads((TESTS / "dataset" / "exports" / "expected.toml").read_text(encoding="utf-8"))
    seen |= {d["rule"] for entry in exports.values() for d in entry["diagnostics"]}
    # The ontology's rules have fixtures of their own, under tests/ontology/ (tests/test_ontology.py).
    for manifest in (FIXTURES.parent / "ontology").glob("*/*/expected.toml"):
        entries = tomllib.loads(manifest.read_text(encoding="utf-8")).values()
        seen |= {d["rule"] for entry in entries for d in entry["diagnostics"]}
    validation_rules = set(aimmo_gt.RULES) - set(INPUT_RULES)
    assert validation_rules - seen == set()
    assert seen - set(aimmo_gt.RULES) == set(), "a case names a rule the table does not have"


def _cli_report(folder, capsys, *options: str) -> tuple[int, dict[str, list[tuple[str, str]]]]:
    from aimmo_gt._cli import main

    # The fixtures are unrelated documents, not an export: no whole-export rules (tests/dataset has those).
    status = main(["validate", "--no-dataset", "--format", "json", "--jobs", "1", *options, str(folder)])
    report = json.loads(capsys.readouterr().out)
    found = {
        Path(f["path"]).name: sorted((d["rule"], d["pointer"]) for d in f["diagnostics"])
        for f in report["files"]
    }
    return status, found


def test_cli_on_the_valid_fixtures_exits_0(capsys):
    status, found = _cli_report(VALID, capsys)
    assert status == 0
    assert found == {
        p.name: _expected(VALID_EXPECTED[p.name]) if p.name in VALID_EXPECTED else []
        for p in VALID.glob("*.json")
    }


def test_cli_on_the_invalid_fixtures_exits_1_with_each_expected_diagnostic(capsys):
    status, found = _cli_report(INVALID, capsys)
    assert status == 1
    assert found == {name: _expected(entry) for name, entry in INVALID_EXPECTED.items()}


UPLOAD_VALID, UPLOAD_INVALID = FIXTURES / "upload" / "valid", FIXTURES / "upload" / "invalid"
UPLOAD_EXPECTED = tomllib.loads((UPLOAD_INVALID / "expected.toml").read_text(encoding="utf-8"))


@pytest.mark.parametrize("path", _files(UPLOAD_VALID))
def test_valid_upload_fixture(path):
    """A GT-upload file (no file_id, instance-numbered ids) passes with purpose="upload", and fails as
    an export at its missing file_id, with a message that names the way out."""
    document = load_json(path)
    assert aimmo_gt.check(document, purpose="upload").diagnostics == ()
    aimmo_gt.validate(document, purpose="upload")
    (missing,) = aimmo_gt.check(document).diagnostics
    assert (missing.rule, missing.pointer) == ("schema.required", "")
    assert missing.message.startswith('"file_id" is required') and "--upload" in missing.message


@pytest.mark.parametrize("path", _files(UPLOAD_INVALID))
def test_invalid_upload_fixture(path):
    entry = UPLOAD_EXPECTED[path.name]
    result = aimmo_gt.check(load_json(path), purpose="upload")
    assert rule_pointers(result.diagnostics) == _expected(entry), [d.message for d in result.diagnostics]
    assert not aimmo_gt.is_valid(load_json(path), purpose="upload")
    with pytest.raises(aimmo_gt.ValidationError):
        aimmo_gt.validate(load_json(path), purpose="upload")
    assert set(UPLOAD_EXPECTED) == {p.name for p in UPLOAD_INVALID.glob("*.json")}


def test_purpose_is_checked():
    with pytest.raises(ValueError, match="unknown purpose"):
        aimmo_gt.check({}, purpose="import")


def test_cli_upload_on_the_upload_fixtures(capsys):
    status, found = _cli_report(UPLOAD_VALID, capsys, "--upload")
    assert (status, found) == (0, {p.name: [] for p in UPLOAD_VALID.glob("*.json")})
    status, found = _cli_report(UPLOAD_INVALID, capsys, "--upload")
    assert status == 1
    assert found == {name: _expected(entry) for name, entry in UPLOAD_EXPECTED.items()}
    # Without --upload, the files are an export's: each lacks its file_id.
    status, found = _cli_report(UPLOAD_VALID, capsys)
    assert (status, found) == (1, {p.name: [("schema.required", "")] for p in UPLOAD_VALID.glob("*.json")})


#: Fixtures whose profile one field steered: the message of each diagnostic names that field.
CAUSES = {
    "cause-stray-scene-id.json": 'because it has "scene_id"',
    "cause-missing-scene-id.json": 'no "scene_id"',
    "cause-mask-makes-image-pixel.json": "because annotation 0 is a segmentation_mask",
}


@pytest.mark.parametrize("name", sorted(CAUSES))
def test_the_message_names_the_cause_of_the_inferred_profile(name, capsys):
    document = load_json(INVALID / name)
    found = aimmo_gt.check(document).diagnostics
    assert found and all(CAUSES[name] in d.message for d in found), [d.message for d in found]
    # Given the profile, there is nothing to infer and no cause to name.
    given = aimmo_gt.check(document, profile=aimmo_gt.check(document).profile).diagnostics
    assert rule_pointers(given) == rule_pointers(found)
    assert not any(CAUSES[name] in d.message for d in given)
    from aimmo_gt._cli import main

    assert main(["validate", "--jobs", "1", str(INVALID / name)]) == 1
    lines = [line for line in capsys.readouterr().out.splitlines() if ": schema." in line]
    assert len(lines) == len(found) and all(CAUSES[name] in line for line in lines)


def test_a_type_alias_is_tunable_and_checked_as_its_type(capsys):
    alias = load_json(INVALID / "annotation-type-alias.json")
    result = aimmo_gt.check(alias, warn=["annotation.type-alias"])
    assert result.valid and [(d.rule, d.severity) for d in result.diagnostics] == [
        ("annotation.type-alias", "warning")
    ]
    assert aimmo_gt.check(alias, ignore=["annotation.type-alias"]).diagnostics == ()
    checked = load_json(INVALID / "annotation-type-alias-checked.json")
    assert rule_pointers(aimmo_gt.check(checked, ignore=["annotation.type-alias"]).diagnostics) == [
        ("schema.not", "/annotations/0/points")
    ]
    from aimmo_gt._cli import main

    path = str(INVALID / "annotation-type-alias.json")
    assert main(["validate", "--jobs", "1", "--warn", "annotation.type-alias", path]) == 0
    assert main(["validate", "--jobs", "1", path]) == 1
    assert '"keypoint"' in capsys.readouterr().out
