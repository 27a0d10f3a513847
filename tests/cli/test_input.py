"""Every way a file can be broken is one diagnostic with its own rule id and pointer; the run goes on."""

from __future__ import annotations

import os
import re

import pytest

from aimmo_gt._loading import MAX_DEPTH, load, locate


def _replace(old: bytes, new: bytes):
    def make(valid: bytes) -> bytes:
        assert old in valid, old
        return valid.replace(old, new, 1)

    return make


DEEP = b'{"annotations": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"

#: name -> (bytes from a valid image document, rule, pointer, severity)
CASES = {
    "empty": (lambda valid: b"", "json.empty", ""),
    "white space only": (lambda valid: b" \n\t\r\n", "json.empty", ""),
    "truncated": (lambda valid: valid[: valid.index(b'"width"')], "json.parse", "/metadata"),
    "truncated in a point": (
        lambda valid: valid[: valid.index(b"1169")],
        "json.parse",
        "/annotations/0/points/1",
    ),
    "trailing comma": (lambda valid: b'{"annotations": [],}', "json.parse", ""),
    "NaN": (_replace(b'"width": 1920', b'"width": NaN'), "json.non-finite", "/metadata/width"),
    "Infinity": (_replace(b'"height": 1080', b'"height": Infinity'), "json.non-finite", "/metadata/height"),
    "-Infinity": (
        _replace(b"[\n          297,", b"[\n          -Infinity,"),
        "json.non-finite",
        "/annotations/0/points/0/0",
    ),
    "invalid UTF-8": (_replace(b"image (28).jpeg", b"image \xff(28).jpeg"), "json.encoding", ""),
    "Latin-1, not UTF-8": (_replace(b'"car"', b'"voiture \xe9lectrique"'), "json.encoding", ""),
    "duplicate key": (
        _replace(b'"label": "car",', b'"label": "car",\n"label": "truck",'),
        "json.duplicate-key",
        "/annotations/0/label",
    ),
    "duplicate key at the root": (
        _replace(b'"filename"', b'"filename": "a.jpg", "filename"'),
        "json.duplicate-key",
        "/filename",
    ),
    "100,000 levels deep": (lambda valid: DEEP, "json.depth", "/annotations" + "/0" * (MAX_DEPTH - 1)),
    "just over the depth limit": (  # the root object, attributes, then arrays: one level too many
        lambda valid: b'{"attributes": {"a": ' + b"[" * (MAX_DEPTH - 1) + b"]" * (MAX_DEPTH - 1) + b"}}",
        "json.depth",
        "/attributes/a" + "/0" * (MAX_DEPTH - 2),
    ),
    "1e400": (_replace(b'"width": 1920', b'"width": 1e400'), "json.number-range", "/metadata/width"),
    "-1.5E+999": (
        _replace(b'"height": 1080', b'"height": -1.5E+999'),
        "json.number-range",
        "/metadata/height",
    ),
    "400-digit integer": (
        _replace(b'"width": 1920', b'"width": ' + b"9" * 400),
        "json.number-range",
        "/metadata/width",
    ),
    "5,000-digit integer": (
        _replace(b'"width": 1920', b'"width": ' + b"9" * 5000),
        "json.number-range",
        "/metadata/width",
    ),
    "root is an array": (lambda valid: b"[" + valid + b"]", "json.root-type", ""),
    "root is a string": (lambda valid: b'"annotations"', "json.root-type", ""),
    "root is null": (lambda valid: b"null", "json.root-type", ""),
}


@pytest.mark.parametrize("name", CASES)
def test_each_broken_input_is_one_diagnostic(cli, tmp_path, image_bytes, name):
    make, rule, pointer = CASES[name]
    path = tmp_path / "broken.json"
    path.write_bytes(make(image_bytes))
    run = cli("validate", "--format", "json", "-j", "1", path)
    assert run.code == 1
    [entry] = run.json()["files"]
    assert entry["valid"] is False
    assert [(d["rule"], d["pointer"], d["severity"]) for d in entry["diagnostics"]] == [
        (rule, pointer, "error")
    ]
    assert run.err == ""


#: Where each problem is, found in the broken bytes: the offset of the first match of a pattern
#: (None: the end of the text), from which the expected line and column are worked out independently.
WHERE = {
    "truncated": None,
    "NaN": rb"NaN",
    "invalid UTF-8": rb"\xff",
    "duplicate key": rb'"label": "truck"',
    "1e400": rb"1e400",
}


@pytest.mark.parametrize("name", WHERE)
def test_json_problems_say_line_and_column(cli, tmp_path, image_bytes, name):
    make, rule, _pointer = CASES[name]
    data = make(image_bytes)
    path = tmp_path / "broken.json"
    path.write_bytes(data)
    pattern = WHERE[name]
    offset = len(data) if pattern is None else re.search(pattern, data).start()
    line = data.count(b"\n", 0, offset) + 1
    column = len(data[data.rfind(b"\n", 0, offset) + 1 : offset].decode("utf-8", "replace")) + 1
    run = cli("validate", "-j", "1", path)
    [reported] = [text for text in run.out.splitlines() if f": {rule}: " in text]
    assert reported.endswith(f" (at line {line}, column {column})"), reported


def test_a_large_number_that_fits_a_float_is_not_flagged(cli, tmp_path, image):
    image["attributes"] = {"note": "e400 1e400 " + "9" * 400}  # only inside a string
    image["annotations"][0]["points"] = [[297.0, 307e0], [1169, 307], [1169, 530], [297, 530.0]]
    path = tmp_path / "ok.json"
    path.write_text(__import__("json").dumps(image).replace("307.0", "3.07e+002"))
    run = cli("validate", "--format", "json", path)
    assert run.code == 0, run.out


def test_bom_is_a_warning_and_the_document_is_still_checked(cli, tmp_path, image_bytes):
    clean = tmp_path / "bom.json"
    clean.write_bytes(b"\xef\xbb\xbf" + image_bytes)
    broken = tmp_path / "bom-and-bad-box.json"
    broken.write_bytes(b"\xef\xbb\xbf" + image_bytes.replace(b"1169", b"1170", 1))
    run = cli("validate", "--no-dataset", "--format", "json", clean, broken)
    files = run.by_path()
    assert files[str(clean)]["valid"] is True
    assert [(d["rule"], d["severity"]) for d in files[str(clean)]["diagnostics"]] == [("json.bom", "warning")]
    assert [(d["rule"], d["pointer"]) for d in files[str(broken)]["diagnostics"]] == [
        ("json.bom", ""),
        ("geometry.bbox", "/annotations/0/points/2"),
    ]
    assert run.code == 1


def test_bom_fails_under_strict_and_is_silenced_by_ignore(cli, tmp_path, image_bytes):
    path = tmp_path / "bom.json"
    path.write_bytes(b"\xef\xbb\xbf" + image_bytes)
    assert cli("validate", path).code == 0
    assert cli("validate", "--strict", path).code == 1
    run = cli("validate", "--strict", "--ignore", "json.bom", "--format", "json", path)
    assert run.code == 0 and run.json()["files"][0]["diagnostics"] == []


def test_unreadable_missing_and_too_large_files(cli, tmp_path, image_bytes):
    dangling = tmp_path / "dangling.json"
    os.symlink(tmp_path / "nowhere.json", dangling)
    big = tmp_path / "big.json"
    big.write_bytes(image_bytes)
    missing = tmp_path / "missing.json"
    run = cli("validate", "--format", "json", "--max-bytes", "100", dangling, missing, big)
    assert run.code == 1
    assert {path: [d["rule"] for d in entry["diagnostics"]] for path, entry in run.by_path().items()} == {
        str(dangling): ["file.unreadable"],
        str(missing): ["file.unreadable"],
        str(big): ["file.too-large"],
    }
    assert "no such file" in run.by_path()[str(missing)]["diagnostics"][0]["message"].lower()
    assert cli("validate", "--max-bytes", str(len(image_bytes)), big).code == 0


def test_the_run_goes_on_past_every_broken_file(cli, tmp_path, image_bytes):
    for number, (make, _rule, _pointer) in enumerate(CASES.values()):
        (tmp_path / f"{number:02d}.json").write_bytes(make(image_bytes))
    (tmp_path / "99-valid.json").write_bytes(image_bytes)
    run = cli("validate", "--no-dataset", "--format", "json", "-j", "1", tmp_path)
    files = run.json()["files"]
    assert [entry["path"].rsplit("/", 1)[1] for entry in files] == sorted(p.name for p in tmp_path.iterdir())
    assert [[d["rule"] for d in entry["diagnostics"]] for entry in files] == [
        *([rule] for _make, rule, _pointer in CASES.values()),
        [],
    ]
    assert files[-1]["valid"] is True
    assert run.code == 1 and run.err == ""


def test_load_is_a_bytes_to_document_seam(image_bytes, image):
    assert load(image_bytes) == (image, [])
    document, diagnostics = load(b"{")
    assert document is None and [d.rule for d in diagnostics] == ["json.parse"]


def test_the_float_range_boundary():
    largest = int(1.7976931348623157e308)  # 309 digits, a float
    assert load(b'{"n": %d}' % largest) == ({"n": largest}, [])
    assert load(b'{"n": -%d}' % largest) == ({"n": -largest}, [])
    _document, diagnostics = load(b'{"n": %d}' % (largest * 2))
    assert [(d.rule, d.pointer) for d in diagnostics] == [("json.number-range", "/n")]
    assert load(b'{"n": 1.7976931348623157e308, "m": 1e-400}') == (
        {"n": 1.7976931348623157e308, "m": 0.0},
        [],
    )


def test_locate_maps_pointers_to_lines_and_columns():
    text = '{\n  "a": [1,\n    {"b/c": 2, "~": [3]}],\n  "d": 4\n}'
    found = locate(text, ["", "/a", "/a/1", "/a/1/b~1c", "/a/1/~0/0", "/d", "/missing"])
    assert {pointer: (p.line, p.column) for pointer, p in found.items()} == {
        "": (1, 1),
        "/a": (2, 3),
        "/a/1": (3, 5),
        "/a/1/b~1c": (3, 6),
        "/a/1/~0/0": (3, 22),
        "/d": (4, 3),
    }


def test_a_document_with_duplicate_keys_is_still_checked(cli, tmp_path, image_bytes):
    # The last value wins (as in every JSON library); here it breaks the bbox.
    path = tmp_path / "dup.json"
    path.write_bytes(image_bytes.replace(b'"type": "bbox",', b'"type": "bbox", "type": "keypoint",', 1))
    run = cli("validate", "--format", "json", path)
    found = [(d["rule"], d["pointer"]) for d in run.json()["files"][0]["diagnostics"]]
    assert found[0] == ("json.duplicate-key", "/annotations/0/type")
    assert ("schema.required", "/annotations/0") in found  # checked as a keypoint: no keypoints
    fine = tmp_path / "fine.json"
    fine.write_bytes(image_bytes.replace(b'"label": "car",', b'"label": "bus", "label": "car",', 1))
    assert cli("validate", "--ignore", "json.duplicate-key", fine).code == 0
    assert cli("validate", fine).code == 1


def test_every_value_problem_is_reported_and_the_document_is_not_checked(cli, tmp_path, image_bytes):
    path = tmp_path / "values.json"
    path.write_bytes(
        image_bytes.replace(b'"width": 1920', b'"width": NaN', 1)
        .replace(b'"height": 1080', b'"height": 1e999', 1)
        .replace(b'"label": "car",', b'"label": "car", "label": "car",', 1)
    )
    run = cli("validate", "--format", "json", path)
    assert [(d["rule"], d["pointer"]) for d in run.json()["files"][0]["diagnostics"]] == [
        ("json.duplicate-key", "/annotations/0/label"),
        ("json.number-range", "/metadata/height"),
        ("json.non-finite", "/metadata/width"),
    ]


def test_rules_that_mean_a_file_was_not_read_cannot_be_lowered(cli, tmp_path):
    path = tmp_path / "broken.json"
    path.write_bytes(b"{")
    for option in ("--warn", "--ignore"):
        run = cli("validate", option, "json.parse", path)
        assert run.code == 2 and "json.parse cannot be lowered or ignored" in run.err
    run = cli("validate", "--format", "json", "--warn", "json.", "--ignore", "file.", path)
    assert run.code == 1
    assert [(d["rule"], d["severity"]) for d in run.json()["files"][0]["diagnostics"]] == [
        ("json.parse", "error")
    ]
