"""Messages speak JSON: values are written as JSON (`null`, `true`, `{"a": 1}`), never as Python reprs,
and limits are stated with their meaning. Every rule's fixtures are walked, through the API and the CLI."""

from __future__ import annotations

import json
import re
import tomllib

import pytest

import aimmo_gt
from aimmo_gt._dataset import Export
from aimmo_gt._rules import INPUT_RULES
from aimmo_gt._runner import Options, check_item
from aimmo_gt._schemas import schema_uri
from aimmo_gt._validator import schema_diagnostics
from aimmo_gt._walk import Item, Walker
from conftest import CASES, FIXTURES, TESTS, load_json

#: What a Python repr looks like in a message: None/True/False, or a quoted string in single quotes
#: (an apostrophe inside a word, "mask's", is not one).
PYTHON_REPR = re.compile(r"\b(?:None|True|False)\b|(?<![\w])'[^'\n]*'(?![\w])")

#: Input rules, each from bytes that raise it, with a value in its message where it has one.
INPUT_SAMPLES = {
    "json.empty": b"  ",
    "json.encoding": b'{"a": "\xff"}',
    "json.bom": b'\xef\xbb\xbf{"annotations": []}',
    "json.parse": b'{"annotations": [}',
    "json.non-finite": b'{"a": NaN}',
    "json.duplicate-key": b'{"annotations": [], "annotations": []}',
    "json.depth": b"[" * 100 + b"]" * 100,
    "json.number-range": b'{"a": 1e400}',
    "json.root-type": b'["not", "an", "object"]',
}


def _walked() -> list[tuple[str, str, str]]:
    """(where, rule, message) for every diagnostic of every fixture and case."""
    found = []
    for path in sorted(FIXTURES.rglob("*.json")):
        for d in aimmo_gt.check(load_json(path)).diagnostics:
            found.append((path.name, d.rule, d.message))
    for path in sorted(CASES.rglob("*.json")):
        suite = load_json(path)
        for i, test in enumerate(suite["tests"]):
            image = tuple(test["image"]) if "image" in test else None
            for d in schema_diagnostics(test["data"], schema_uri(suite["target"]), image=image):
                found.append((f"{suite['target']}[{i}]", d.rule, d.message))
    # The ontology's rules: their fixtures, each project's documents against its ontology.
    for project in sorted((FIXTURES.parent / "ontology").iterdir()):
        ontology = aimmo_gt.Ontology.load(project / "ontology.json")
        for path in sorted(project.glob("*/*.json")):
            for d in aimmo_gt.check(load_json(path), ontology=ontology).diagnostics:
                found.append((path.name, d.rule, d.message))
    for rule, data in INPUT_SAMPLES.items():
        report = check_item(Item(f"{rule}.json", data=data), Options(), max_bytes=1 << 20)
        found += [(rule, d.rule, d.message) for d in report.diagnostics]
    # The whole-export rules: each fixture export (tests/dataset/exports) as the CLI reads it.
    for folder in sorted(path for path in (TESTS / "dataset" / "exports").iterdir() if path.is_dir()):
        resources = folder / "resources"
        project = folder / "ontology.json"  # dataset.unused's fixture
        ontology = aimmo_gt.Ontology.load(project) if project.is_file() else None
        export = Export(resources=str(resources) if resources.is_dir() else None, ontology=ontology)
        walker = Walker(max_bytes=1 << 20, skip=[str(project)])
        items = walker.items([str(folder / "gt" if resources.is_dir() else folder)])
        options = Options(dataset=True, ontology=ontology)
        reports = [export.add(check_item(item, options, max_bytes=1 << 20)) for item in items]
        reports += [report for report, _valid in export.finish()]
        found += [(folder.name, d.rule, d.message) for report in reports for d in report.diagnostics]
    return found


WALKED = _walked()


def test_the_walk_reaches_every_rule():
    validation_rules = set(aimmo_gt.RULES) - set(INPUT_RULES)
    reached = {rule for _, rule, _ in WALKED}
    assert validation_rules - reached == set()
    assert set(INPUT_SAMPLES) - reached == set()


def test_no_message_holds_a_python_repr():
    reprs = [(where, rule, message) for where, rule, message in WALKED if PYTHON_REPR.search(message)]
    assert reprs == []


@pytest.mark.parametrize(
    "message",
    [
        "label is None",
        "flag is True",
        "x is False here",
        "{'a': 1} is not allowed",
        "['a'] is not allowed",
        "'x' is a required property",
    ],
)
def test_the_repr_pattern_finds_python_reprs(message):
    assert PYTHON_REPR.search(message)


@pytest.mark.parametrize(
    "message",
    ["label must be a string, not null", 'the mask\'s run 2 "030F"', 'not {"a": 1}', "AIMMO's annotator"],
)
def test_the_repr_pattern_passes_json(message):
    assert not PYTHON_REPR.search(message)


def test_values_are_written_as_json():
    found = {
        d.pointer: d.message
        for d in aimmo_gt.check(load_json(FIXTURES / "invalid" / "messages-json-values.json")).diagnostics
    }
    assert found == {
        "/label": "label must be a string, not null",
        "/metadata/width": "width must be greater than 0 (it is 0)",
        "/annotations/0/attributes/is_parked": "is_parked must be a string or an array, not true",
        "/annotations/0/attributes/occlusion": 'occlusion must be a string or an array, not {"a": 1}',
    }


def test_limits_are_stated_with_their_meaning():
    cuboid = {
        "id": "efed27a1-ac3e-4541-af0c-7abf8be7ae78",
        "type": "cuboid",
        "geometry": [1, 1, 1],
        "position": [0, 0, 0],
        "rotation": [0, 0, 4.7124],
        "label": "car",
        "attributes": {},
    }
    (below,) = schema_diagnostics(cuboid, schema_uri("annotations/cuboid.json"))
    assert (below.rule, below.pointer) == ("schema.exclusiveMaximum", "/rotation/2")
    assert below.message == "yaw 4.7124 is not below 3π/2 ≈ 4.712389"
    (low,) = schema_diagnostics({**cuboid, "rotation": [0, 0, -2]}, schema_uri("annotations/cuboid.json"))
    assert low.message == "yaw must be at least -π/2 ≈ -1.570796 (it is -2)"
    zero_width = {**cuboid, "geometry": [1, 0, 1], "rotation": [0, 0, 1]}
    (zero,) = schema_diagnostics(zero_width, schema_uri("annotations/cuboid.json"))
    assert (zero.pointer, zero.message) == ("/geometry/1", "width must be greater than 0 (it is 0)")


def test_the_cli_writes_the_same_json_messages(capsys):
    from aimmo_gt._cli import main

    folder = FIXTURES / "invalid"
    assert main(["validate", "--format", "json", "--jobs", "1", str(folder)]) == 1
    report = json.loads(capsys.readouterr().out)
    messages = [(f["path"], d["message"]) for f in report["files"] for d in f["diagnostics"]]
    assert len(messages) >= len(tomllib.loads((folder / "expected.toml").read_text(encoding="utf-8")))
    assert [m for m in messages if PYTHON_REPR.search(m[1])] == []
    assert main(["validate", "--jobs", "1", str(folder / "messages-json-values.json")]) == 1
    text = capsys.readouterr().out
    assert "/label: schema.type: label must be a string, not null" in text
    assert "/metadata/width: schema.exclusiveMinimum: width must be greater than 0 (it is 0)" in text
