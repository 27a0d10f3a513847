"""`aimmo-gt ontology infer`: the ontology it drafts from an export is one that export passes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aimmo_gt import Ontology, check
from aimmo_gt._cli import main
from aimmo_gt._ontology import INPUT_ABOVE, infer
from conftest import REPO

EXPORT = REPO / "examples" / "export"


def _ontology_rules(report: dict) -> list[tuple[str, str, str]]:
    return [
        (f["path"], d["rule"], d["pointer"])
        for f in report["files"]
        for d in f["diagnostics"]
        if d["rule"].startswith("ontology.")
    ]


def _infer_then_validate(paths: list[Path], tmp_path: Path, capsys) -> tuple[dict, str, dict]:
    drafted = tmp_path / "ontology.json"
    assert main(["ontology", "infer", *map(str, paths), "-o", str(drafted), "--counts"]) == 0
    err = capsys.readouterr().err
    data = json.loads(drafted.read_text(encoding="utf-8"))
    status = main(
        ["validate", "--format", "json", "--jobs", "1", "--ontology", str(drafted), *map(str, paths)]
    )
    report = json.loads(capsys.readouterr().out)
    assert status == (1 if report["summary"]["invalid"] else 0)
    return data, err, report


def test_infer_then_validate_reports_nothing_of_the_ontology(tmp_path, capsys):
    # Every folder of the example export but images/night, whose one classified image would make the
    # others "a document without label in a classification project" (the next test).
    folders = [p for p in sorted(EXPORT.glob("*/*")) if p.is_dir() and p.name != "night"]
    folders += [
        p for p in sorted(EXPORT.iterdir()) if p.is_dir() and not any(c.is_dir() for c in p.iterdir())
    ]
    data, err, report = _infer_then_validate(folders, tmp_path, capsys)
    kinds = {c["annotationType"] for c in data["annotationConfigs"]}
    assert {"bbox", "cuboid", "entity", "frameRange", "segmentation_mask"} <= kinds
    # --counts: one line per class and per value, rarest first, on standard error.
    counts = [line.split(maxsplit=1) for line in err.splitlines() if line[:8].strip().isdigit()]
    assert counts and [int(n) for n, _ in counts] == sorted(int(n) for n, _ in counts)
    assert any(what == 'bbox "car"' for _, what in counts)
    # The example export holds deliberately broken files: the format complains, the ontology does not.
    assert report["summary"]["invalid"] > 0
    assert _ontology_rules(report) == []


def test_infer_says_when_some_documents_lack_a_label(tmp_path, capsys):
    _data, err, report = _infer_then_validate([EXPORT], tmp_path, capsys)
    assert "have no label while 1 have one" in err
    assert {rule for _path, rule, _pointer in _ontology_rules(report)} == {"ontology.label-missing"}


def test_infer_writes_yaml_and_names_files_it_skips(tmp_path, capsys):
    yaml = pytest.importorskip("yaml")
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "broken.json").write_text("{", encoding="utf-8")
    source = next((REPO / "tests" / "fixtures" / "valid").glob("*.json"))
    (tmp_path / "in" / "good.json").write_text(source.read_text(encoding="utf-8"), encoding="utf-8")
    out = tmp_path / "ontology.yaml"
    assert main(["ontology", "infer", str(tmp_path / "in"), "-o", str(out)]) == 0
    err = capsys.readouterr().err
    assert "skipped" in err and "broken.json" in err
    data = yaml.safe_load(out.read_text(encoding="utf-8"))
    Ontology.load(out)  # a usable ontology
    assert data["annotationConfigs"]


# --- The property: over generated exports, infer then check gives no ontology diagnostic.

_TYPES = ("bbox", "polygon", "cuboid", "entity")
_LABELS = ("car", "Car", "traffic light", "차량", "x" * 50, "a b")
_KEYS = ("occlusion", "Occlusion", "is_parked", "size", "note", "목록")
#: Keys whose values are lists (a key holds lists or strings, never both: no ontology could hold that).
_LIST_KEYS = {"size", "목록"}
_WORDS = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), min_size=1, max_size=50)


def _value(key: str):
    words = st.sampled_from(["0%", "30%", "y", "n", "large", " large", "LARGE", "1", "-2.5"]) | _WORDS
    return st.lists(words, min_size=1, max_size=4, unique=True) if key in _LIST_KEYS else words


_attributes = st.dictionaries(st.sampled_from(_KEYS), st.none()).flatmap(
    lambda keys: st.fixed_dictionaries({k: _value(k) for k in keys})
)
_annotation = st.fixed_dictionaries(
    {"type": st.sampled_from(_TYPES), "label": st.sampled_from(_LABELS), "attributes": _attributes}
)


@st.composite
def _exports(draw) -> list[dict]:
    labelled = draw(st.booleans())  # every document has a label, or none has (else: a warning)
    documents = []
    for _ in range(draw(st.integers(1, 6))):
        document = {"annotations": draw(st.lists(_annotation, max_size=8)), "attributes": draw(_attributes)}
        if labelled:
            document["label"] = draw(st.sampled_from(("day", "night", "Day")))
        documents.append(document)
    return documents


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_exports())
def test_infer_then_check_gives_no_ontology_diagnostic(documents):
    drafted = infer(documents)
    assert drafted.warnings == []
    ontology = Ontology.from_data(drafted.data)
    for document in documents:
        assert ontology.check(document) == []


def test_many_distinct_values_are_drafted_as_an_input_and_numbers_as_a_number_input():
    documents = [
        {
            "annotations": [
                {"type": "bbox", "label": "car", "attributes": {"note": f"seen {i}", "height": str(i / 4)}}
            ],
            "attributes": {},
        }
        for i in range(INPUT_ABOVE + 1)
    ]
    drafted = infer(documents).data
    attributes = {a["key"]: a for a in drafted["annotationConfigs"][0]["classItems"][0]["attributes"]}
    assert attributes["note"] == {"key": "note", "type": "input"}
    assert attributes["height"] == {"key": "height", "type": "input", "format": "number"}


def test_optional_where_some_annotations_lack_the_key_and_multi_choice_where_lists_were_seen():
    documents = [
        {
            "annotations": [
                {"type": "bbox", "label": "car", "attributes": {"lights": ["brake"], "occlusion": "0%"}},
                {"type": "bbox", "label": "car", "attributes": {"lights": ["turn_left", "brake"]}},
            ],
            "attributes": {},
        }
    ]
    drafted = infer(documents)
    (item,) = drafted.data["annotationConfigs"][0]["classItems"]
    assert item == {
        "value": "car",
        "attributes": [
            {"key": "lights", "type": "multi_choice", "choices": ["brake", "turn_left"]},
            {"key": "occlusion", "type": "choice", "choices": ["0%"], "optional": True},
        ],
    }
    assert ('bbox "car" lights="brake"', 2) in drafted.counts
    assert "classification" not in drafted.data


def test_an_empty_list_is_a_multiple_choice_of_none_and_only_empty_lists_are_said():
    documents = [
        {
            "annotations": [{"type": "bbox", "label": "car", "attributes": {"k": [], "e": []}}],
            "attributes": {},
        },
        {
            "annotations": [{"type": "bbox", "label": "car", "attributes": {"k": ["x"], "e": []}}],
            "attributes": {},
        },
    ]
    drafted = infer(documents)
    assert Ontology.from_data(drafted.data).check(documents[1]) == [
        d for d in Ontology.from_data(drafted.data).check(documents[1]) if d.pointer.endswith("/e")
    ]
    assert drafted.warnings == [
        'bbox "car": attribute "e" held only empty lists: drafted as a free input, '
        "which a list fails (ontology.value-type); give it its choices"
    ]


def test_what_no_ontology_can_hold_is_said():
    documents = [
        {"annotations": [{"type": "bbox", "label": "car", "attributes": {"a.b": "x"}}], "attributes": {}},
        {"annotations": [{"type": "bbox", "label": "car", "attributes": {"k": ["x"]}}], "attributes": {}},
        {
            "annotations": [{"type": "bbox", "label": "car", "attributes": {"k": "x"}}],
            "attributes": {},
            "label": "d",
        },
        {
            "annotations": [{"type": "bbox", "label": "car", "attributes": {"k": ["y", "y"]}}],
            "attributes": {},
        },
    ]
    warnings = "\n".join(infer(documents).warnings)
    assert '".", "$" or "%"' in warnings
    assert "both lists and strings" in warnings
    assert "have no label while 1 have one" in warnings
    assert '"k" holds a choice twice' in warnings
    assert check(documents[0], ontology=Ontology.from_data({"annotationConfigs": []})).diagnostics
