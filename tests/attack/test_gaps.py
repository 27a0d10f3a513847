"""The tests that let mistakes through (issue 17): each pins a behaviour that a one-line change to the
code once broke without any test failing. Each test names the change it catches."""

from __future__ import annotations

import json
import os

import pytest

import aimmo_gt
from aimmo_gt._loading import MAX_DEPTH, load_positioned

from .conftest import valid_document, write

ENGINES = ("fast", "reference")
UUID = "48f557c0-3fff-4227-bd18-8574ff7f8ad0"


def _found(result) -> list[tuple[str, str]]:
    return [(d.rule, d.pointer) for d in result.diagnostics]


# --- The fast engine


def test_an_id_holding_a_newline_is_not_passed_by_the_fast_engine():
    """Caught change: the fast engine's id check stops counting the newlines it joins ids with."""
    from aimmo_gt._fast import clean_document

    document = valid_document()
    document["annotations"] = document["annotations"][:1]
    document["annotations"][0]["id"] = f"{UUID}\n1-{UUID}"
    assert clean_document(document, "image") == (False, None)
    for engine in ENGINES:
        assert _found(aimmo_gt.check(document, engine=engine)) == [
            ("format.annotation-id", "/annotations/0/id")
        ]


# --- The loader


def test_a_json_encoding_problem_names_its_line_and_column():
    """Caught change: the line of a json.encoding diagnostic is off by one."""
    data = b'{\n  "filename": "a.jpg",\n  "label": "voiture \xe9lectrique"\n}'
    loaded = load_positioned(data)
    [diagnostic] = loaded.diagnostics
    assert diagnostic.rule == "json.encoding"
    assert diagnostic.message == (
        "byte 0xe9 at offset 45 is not valid UTF-8 (invalid continuation byte); the file must be saved "
        "as UTF-8 (at line 3, column 21)"
    )
    assert (loaded.positions[0].line, loaded.positions[0].column) == (3, 21)


def _nested(levels: int) -> bytes:
    """A document whose containers nest exactly `levels` deep (the root object is level 1)."""
    arrays = levels - 2
    return b'{"attributes": {"a": ' + b"[" * arrays + b"]" * arrays + b"}}"


#: The documented depth limit (README's rule table: json.depth), written here rather than imported, so
#: that a change of the constant is a change a test sees.
DEPTH = 64


def test_the_depth_limit_is_exactly_64_levels():
    """Caught change: the depth limit is one level higher."""
    assert MAX_DEPTH == DEPTH
    at_limit = load_positioned(_nested(DEPTH))
    assert at_limit.document is not None and not at_limit.diagnostics
    [over] = load_positioned(_nested(DEPTH + 1)).diagnostics
    assert (over.rule, over.pointer) == ("json.depth", "/attributes/a" + "/0" * (DEPTH - 2))
    assert over.message == "arrays and objects nest more than 64 levels deep (at line 1, column 84)"
    # The same through the API, on a document built in Python.
    deep: list = []
    inner = deep
    for _ in range(DEPTH - 3):  # root object, attributes object, then arrays: DEPTH levels in all
        inner.append([])
        inner = inner[0]
    document = valid_document()
    document["attributes"] = {"a": deep}
    assert "json.depth" not in {d.rule for d in aimmo_gt.check(document).diagnostics}
    inner.append([])
    assert [d.rule for d in aimmo_gt.check(document).diagnostics] == ["json.depth"]


def test_a_truncated_file_says_it_looks_truncated():
    """Caught change: the "looks truncated" hint of a parse error is dropped."""
    [diagnostic] = load_positioned(b'{"filename": "a.jpg",\n "metadata": {"width": ').diagnostics
    assert (diagnostic.rule, diagnostic.pointer) == ("json.parse", "/metadata")
    assert diagnostic.message == "expecting value; the file looks truncated (at line 2, column 24)"
    [stray] = load_positioned(b'{"filename": "a.jpg"} x').diagnostics
    assert stray.message == "extra data (at line 1, column 23)"


# --- Walking and options


def test_hidden_files_and_folders_are_checked(tmp_path, cli):
    """Caught change: the walker skips hidden files. Decided (README): a GT file is checked whatever
    its name; --exclude '.*' skips hidden ones on purpose."""
    bad = valid_document()
    del bad["filename"]
    write(tmp_path / ".x.json", bad)
    write(tmp_path / ".hidden" / "y.json", bad)
    run = cli("validate", "--no-dataset", "--format", "json", tmp_path)
    assert run.code == 1
    assert [f["path"] for f in run.json()["files"]] == [
        str(tmp_path / ".hidden" / "y.json"),
        str(tmp_path / ".x.json"),
    ]
    skipped = cli("validate", "--no-dataset", "--exclude", ".*", tmp_path)
    assert skipped.code == 2 and "no *.json file to check" in skipped.err


def test_exclude_is_case_sensitive(tmp_path, cli):
    """Caught change: --exclude matches case-insensitively."""
    write(tmp_path / "a.bak.json", valid_document())
    write(tmp_path / "Tmp" / "b.json", valid_document())
    run = cli(
        "validate",
        "--no-dataset",
        "--format",
        "json",
        "--exclude",
        "*.BAK.json",
        "--exclude",
        "tmp",
        tmp_path,
    )
    assert [f["path"] for f in run.json()["files"]] == [
        str(tmp_path / "Tmp" / "b.json"),
        str(tmp_path / "a.bak.json"),
    ]
    run = cli(
        "validate",
        "--no-dataset",
        "--format",
        "json",
        "--exclude",
        "*.bak.json",
        "--exclude",
        "Tmp",
        tmp_path,
    )
    assert run.json()["files"] == []


@pytest.mark.parametrize(("suffix", "unit"), [("K", 1024), ("M", 1024**2), ("G", 1024**3), ("", 1)])
def test_max_bytes_suffixes_are_powers_of_1024(tmp_path, cli, suffix, unit):
    """Caught change: --max-bytes suffixes read as powers of 1000 instead of 1024."""
    from aimmo_gt._cli import _size

    assert _size(f"3{suffix}") == 3 * unit
    if unit > 1024:
        return  # files of megabytes: the parse above says the same
    text = json.dumps(valid_document())
    padded = text + " " * (3 * 1024 - len(text))
    (tmp_path / "exact.json").write_text(padded)
    (tmp_path / "over.json").write_text(padded + " ")
    run = cli(
        "validate", "--no-dataset", "--format", "json", "--max-bytes", f"{3 * 1024 // unit}{suffix}", tmp_path
    )
    rules = {os.path.basename(f["path"]): [d["rule"] for d in f["diagnostics"]] for f in run.json()["files"]}
    assert rules == {"exact.json": [], "over.json": ["file.too-large"]}


# --- Reports


@pytest.fixture
def mixed(tmp_path):
    """One file with three errors, one with a warning only, one valid: counts of files, errors and
    warnings all differ, so a report cannot count one for another unnoticed."""
    three = valid_document()
    del three["filename"], three["parent_path"], three["attributes"]
    write(tmp_path / "a-three-errors.json", three)
    text = valid_document("realistic-text")
    text["annotations"][0]["end"] += 1  # entity.span-length: a warning
    write(tmp_path / "b-warning.json", text)
    valid = valid_document()
    valid["file_id"] = valid["file_id"][::-1]  # a file of its own, not a copy of the first (dataset.*)
    write(tmp_path / "c-valid.json", valid)
    return tmp_path


def test_junit_failures_count_failed_files_not_errors(mixed, cli, tmp_path):
    """Caught change: JUnit's `failures` counts errors instead of failed files."""
    import xml.etree.ElementTree as ElementTree

    output = tmp_path / "r.xml"
    assert cli("validate", "--no-dataset", "--format", "junit", "-o", output, mixed).code == 1
    root = ElementTree.parse(output).getroot()
    suite = root.find("testsuite")
    assert suite is not None
    assert (root.get("tests"), root.get("failures"), suite.get("tests"), suite.get("failures")) == (
        "3",
        "1",
        "3",
        "1",
    )
    strict = cli("validate", "--no-dataset", "--format", "junit", "--strict", "-o", output, mixed)
    assert strict.code == 1 and ElementTree.parse(output).getroot().get("failures") == "2"


def test_sarif_levels_follow_severity(mixed, cli):
    """Caught change: SARIF reports every warning at level error."""
    results = cli("validate", "--no-dataset", "--format", "sarif", mixed).json()["runs"][0]["results"]
    levels = sorted((r["ruleId"], r["level"]) for r in results)
    assert levels == [
        ("entity.span-length", "warning"),
        ("schema.required", "error"),
        ("schema.required", "error"),
        ("schema.required", "error"),
    ]
    lowered = cli("validate", "--no-dataset", "--format", "sarif", "--warn", "schema.", mixed).json()["runs"][
        0
    ]["results"]
    assert {r["level"] for r in lowered} == {"warning"}


def test_json_report_valid_follows_strict(mixed, cli):
    """Caught change: the JSON report's `valid` ignores --strict."""
    for args, valid, code in (((), [False, True, True], 1), (("--strict",), [False, False, True], 1)):
        run = cli("validate", "--no-dataset", "--format", "json", *args, mixed)
        assert run.code == code
        report = run.json()
        assert [f["valid"] for f in report["files"]] == valid
        assert report["summary"]["invalid"] == valid.count(False)
    only_warning = cli("validate", "--no-dataset", "--format", "json", "--strict", mixed / "b-warning.json")
    assert only_warning.code == 1 and only_warning.json()["files"][0]["valid"] is False


# --- Messages and diagnostics


def test_the_mask_area_message_states_the_right_figures():
    """Caught change: the mask-area message states a wrong number."""
    document = valid_document("realistic-image-pixel")
    document["annotations"][0]["mask"] = "5T3F"
    for engine in ENGINES:
        [diagnostic] = aimmo_gt.check(document, engine=engine).diagnostics
        assert (diagnostic.rule, diagnostic.pointer) == ("mask.area", "/annotations/0/mask")
        assert diagnostic.message == (
            "the mask's runs add up to 8 pixels but its bound [[top, left], [bottom, right]] = "
            "[[10, 20], [16, 24]] covers 24 (or 35 counting its bottom and right edges)"
        )


def test_identical_diagnostics_are_reported_once():
    """Caught change: identical diagnostics are no longer de-duplicated (a profile narrows the
    document schema, so a value wrong for both fails both)."""
    document = valid_document()
    document["annotations"] = {}
    for engine in ENGINES:
        result = aimmo_gt.check(document, profile="image", engine=engine)
        assert [(d.rule, d.pointer, d.message) for d in result.diagnostics] == [
            ("schema.type", "/annotations", "annotations must be an array, not {}")
        ]


def test_an_empty_scene_id_still_makes_a_sequence_frame():
    """Caught change: profile inference treats an empty scene_id as no scene."""
    document = valid_document()
    document["scene_id"] = ""
    assert aimmo_gt.infer_profile(document) == "sequence"
    for engine in ENGINES:
        result = aimmo_gt.check(document, engine=engine)
        assert result.profile == "sequence" and result.inferred
        assert ("format.objectid", "/scene_id") in _found(result)


# --- Plain cases for what only the fuzz tests caught


def _obbox(rect: list[int]) -> dict:
    document = valid_document()
    document["annotations"] = [a for a in document["annotations"] if a["type"] == "obbox_v2"]
    document["annotations"][0]["rect"] = rect
    document["annotations"][0]["degree"] = 0
    return document


@pytest.mark.parametrize("engine", ENGINES)
def test_a_rect_whose_height_leaves_the_image_is_outside_it(engine):
    """Caught change: a rect's height is ignored by the within-image check (1920 x 1080 image, 1 pixel
    of tolerance)."""
    assert aimmo_gt.check(_obbox([100, 1000, 50, 81]), engine=engine).diagnostics == ()
    [diagnostic] = aimmo_gt.check(_obbox([100, 1000, 50, 82]), engine=engine).diagnostics
    assert (diagnostic.rule, diagnostic.pointer) == ("geometry.within-image", "/annotations/0/rect")
    assert diagnostic.message == (
        "the box rect [100, 1000, 50, 82] turned by 0 degrees spans x [100, 150] and y [1000, 1082], which "
        "is not within the 1920 x 1080 image (with 1 pixel of tolerance for rounding)"
    )


@pytest.mark.parametrize("engine", ENGINES)
def test_a_rect_one_pixel_too_wide_is_outside_the_image(engine):
    """Caught change: the fast engine's rect width bound is one higher (now shared by both engines)."""
    assert aimmo_gt.check(_obbox([1881, 10, 40, 40]), engine=engine).diagnostics == ()
    [diagnostic] = aimmo_gt.check(_obbox([1882, 10, 40, 40]), engine=engine).diagnostics
    assert (diagnostic.rule, diagnostic.pointer) == ("geometry.within-image", "/annotations/0/rect")
    assert diagnostic.message == (
        "the box rect [1882, 10, 40, 40] turned by 0 degrees spans x [1882, 1922] and y [10, 50], which "
        "is not within the 1920 x 1080 image (with 1 pixel of tolerance for rounding)"
    )


@pytest.mark.parametrize("engine", ENGINES)
def test_an_entity_span_one_longer_than_its_text_is_a_warning(engine):
    """Caught change: the entity span tolerance is widened by 1."""
    document = valid_document("realistic-text")
    document["annotations"][0]["end"] = 6  # "AIMMO" at 0: end is 5
    [diagnostic] = aimmo_gt.check(document, engine=engine).diagnostics
    assert (diagnostic.rule, diagnostic.severity, diagnostic.pointer) == (
        "entity.span-length",
        "warning",
        "/annotations/0/end",
    )
    assert diagnostic.message == 'end - start is 6 but the text "AIMMO" has 5 characters'


# --- Messages in full: one per rule of the vocabulary (figures in messages are never guessed)


def _with(change) -> dict:
    document = valid_document()
    change(document)
    return document


MESSAGES = {
    "order.end-after-start": (
        "realistic-video",
        lambda d: d["annotations"][0].update(endFrame=d["annotations"][0]["startFrame"] - 1),
        "/annotations/0/endFrame",
        None,
    ),
    "geometry.bbox": (
        "realistic-image",
        lambda d: d["annotations"][0]["points"][2].__setitem__(0, 1170),
        "/annotations/0/points/2",
        None,
    ),
    "geometry.within-image": (
        "realistic-image",
        lambda d: d["annotations"][6]["points"][0].__setitem__(0, 1921),
        "/annotations/6/points/0",
        None,
    ),
    "mask.rle": (
        "realistic-image-pixel",
        lambda d: d["annotations"][0].update(mask="3T0F"),
        "/annotations/0/mask",
        'the mask\'s run 2 "0F" at character 3 has a count of 0; counts are positive numbers',
    ),
    "lasso.indices": (
        "realistic-pointcloud",
        lambda d: next(a for a in d["annotations"] if a["type"] == "lasso").update(indices="1-2-"),
        None,
        'the lasso indices must be non-negative integers without leading zeros joined by "-", but it ends '
        'with "-"',
    ),
    "keypoint.invisible-key": (
        "realistic-image",
        lambda d: d["annotations"][8].update(invisible_keys=["tail"]),
        "/annotations/8/invisible_keys/0",
        None,
    ),
    "annotation.unique-id": (
        "realistic-image",
        lambda d: d["annotations"][1].update(id=d["annotations"][0]["id"]),
        "/annotations/1/id",
        None,
    ),
}


@pytest.mark.parametrize("rule", MESSAGES)
def test_each_rule_message_in_full(rule):
    name, change, pointer, expected = MESSAGES[rule]
    document = valid_document(name)
    change(document)
    found = [d for d in aimmo_gt.check(document, engine="reference").diagnostics if d.rule == rule]
    assert len(found) == 1, aimmo_gt.check(document).diagnostics
    [diagnostic] = found
    if pointer is not None:
        assert diagnostic.pointer == pointer
    if expected is None:  # built from the document's own values
        expected = _expected(rule, document, diagnostic.pointer)
    assert diagnostic.message == expected
    assert [(d.rule, d.message) for d in aimmo_gt.check(document, engine="fast").diagnostics] == [
        (d.rule, d.message) for d in aimmo_gt.check(document, engine="reference").diagnostics
    ]


def _expected(rule: str, document: dict, pointer: str) -> str:
    annotations = document["annotations"]
    if rule == "order.end-after-start":
        a = annotations[0]
        return f"endFrame is {a['endFrame']} but must be at least startFrame ({a['startFrame']})"
    if rule == "geometry.bbox":
        _, (right, _), (_, y), (_, bottom) = annotations[0]["points"]
        return (
            f"bbox corner 3 (bottom-right) is (1170, {y}) but must be ({right}, {bottom}): "
            "corners 1, 2 and 4 make it"
        )
    if rule == "geometry.within-image":
        _, y = annotations[6]["points"][0]
        return f"point (x, y) = (1921, {y}) is outside the 1920 x 1080 image: x must be within [0, 1920]"
    if rule == "keypoint.invisible-key":
        names = list(annotations[8]["keypoints"])
        known = ", ".join(map(json.dumps, names[:8])) + (", ..." if len(names) > 8 else "")
        return f'"tail" in invisible_keys is not a name in keypoints ({known})'
    if rule == "annotation.unique-id":
        return f"id {json.dumps(annotations[0]['id'])} is already used by annotation 0"
    raise AssertionError(rule)
