"""Generated exports: a clean one gives no whole-export diagnostic (20,000 files); one cross-file fault
planted anywhere in it (or one unused class or value in its ontology) gives exactly the planted
diagnostics; the facts do not depend on the engine."""

from __future__ import annotations

import copy
import json
import random

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aimmo_gt._check import Options, check_item
from aimmo_gt._dataset import Export, facts_of, facts_of_document, facts_of_struct, usage_of
from aimmo_gt._fast import decode_clean
from aimmo_gt._ontology import Ontology, infer
from aimmo_gt._walk import Item
from conftest import load_script

make_export = load_script("make_export")
synthetic = load_script("synthetic")

Found = set[tuple[str, str, str]]


def _diagnostics(
    documents: list[tuple[str, dict]], options: Options | None = None, ontology: Ontology | None = None
) -> Found:
    """Every diagnostic of checking the documents as one export, as the CLI does, without files."""
    options = options or Options(dataset=True, ontology=ontology)
    export = Export(ontology=ontology)
    found: Found = set()
    for path, document in documents:
        item = Item(path, data=json.dumps(document, ensure_ascii=False).encode(), file=path)
        report = export.add(check_item(item, options, 1 << 20))
        found |= {(report.path, d.rule, d.pointer) for d in report.diagnostics}
    for report, _valid in export.finish():
        found |= {(report.path, d.rule, d.pointer) for d in report.diagnostics}
    return found


def _clean(count: int) -> list[tuple[str, dict]]:
    # Copies of one template share their nested values: each is made a document of its own.
    return [(path, copy.deepcopy(doc)) for path, doc, _broken in make_export.generated(count)]


CLEAN = _clean(60)


def test_a_clean_generated_export_of_20000_files_has_no_diagnostic():
    documents = _clean(20000)
    assert len({doc["file_id"] for _path, doc in documents}) == 20000
    assert sum("scene_id" in doc for _path, doc in documents) > 6000
    assert _diagnostics(documents) == set()


def test_a_clean_synthetic_export_has_no_diagnostic():
    documents = list(synthetic.export(11, 1500, annotations=8))
    assert _diagnostics(documents) == set()


def test_the_reference_engine_gives_the_same_whole_export_diagnostics():
    documents = copy.deepcopy(CLEAN)
    documents[20][1]["file_id"] = documents[3][1]["file_id"]
    documents[19][1]["annotations"][0]["label"] = "CAR"  # a copy of documents[0], whose first label is car
    expected = _diagnostics(documents)
    assert expected == {
        (documents[20][0], "dataset.duplicate-file-id", "/file_id"),
        (documents[19][0], "dataset.label-case", "/annotations/0/label"),
    }
    assert _diagnostics(documents, Options(dataset=True, engine="reference")) == expected


def test_facts_of_the_fast_struct_are_those_of_the_document():
    rng = random.Random(5)
    documents = [doc for _path, doc in CLEAN] + [
        doc for _name, doc in synthetic.export(3, 200, annotations=6)
    ]
    for doc in documents:
        data = json.dumps(doc).encode()
        clean, _profile, struct = decode_clean(data, None)
        assert clean
        assert facts_of_struct(struct) == facts_of_document(json.loads(data))
    # Mutated documents the fast engine still passes (some mutations change nothing that matters).
    compared = 0
    for _ in range(400):
        doc = synthetic.mutate(rng, rng.choice(documents))
        data = json.dumps(doc).encode()
        clean, _profile, struct = decode_clean(data, None)
        if clean:
            compared += 1
            assert facts_of_struct(struct) == facts_of_document(json.loads(data))
    assert compared > 20


def test_facts_of_a_document_take_only_values_of_the_right_type():
    frame = {
        "file_id": "a" * 24,
        "scene_id": "b" * 24,
        "frame_number": 3,
        "parent_path": "/day/",
        "filename": "f.jpg",
        "metadata": {"width": 4, "height": 2},
        "annotations": [
            {"label": "car", "type": "bbox", "track_id": "t1"},
            [],  # not an object: takes part as one with nothing
            {"label": 5, "type": "bbox", "track_id": True},  # a bool is no track id
            {"label": "car", "type": 7, "track_id": 2.0},  # nor is a float
            {"label": "bus", "type": "polygon", "track_id": 9},
            {"label": "Car", "type": "bbox", "track_id": "t1"},
            {"type": "bbox"},
        ],
        "label": "street",
    }
    facts = facts_of_document(frame)
    assert facts is not None
    assert facts.tracks == (("t1", "car", "bbox", 0), (9, "bus", "polygon", 4))
    assert facts.labels == (
        ("car", "/annotations/0/label"),
        ("bus", "/annotations/4/label"),
        ("Car", "/annotations/5/label"),
        ("street", "/label"),
    )
    assert (facts.file_id, facts.name, facts.scene_id, facts.frame_number, facts.size) == (
        "a" * 24,
        "/day/f.jpg",
        "b" * 24,
        3,
        (4, 2),
    )
    # Not a frame of a scene: no tracks; an annotations value that is not an array: no labels.
    image = {**frame, "scene_id": "not an object id"}
    assert facts_of_document(image) == facts._replace(scene_id=None, tracks=())
    assert facts_of_document({**frame, "annotations": {"0": {"label": "car"}}}).labels == (
        ("street", "/label"),
    )


def test_each_other_spelling_of_a_label_is_reported_every_time_the_first_never():
    files = [["car", "bus"], ["CAR", "car"], ["bus", " car ", "CAR"], ["car", "Bus"]]
    export = Export()
    found = []
    for number, labels in enumerate(files):
        document = {"annotations": [{"label": label} for label in labels]}
        item = Item(f"f{number}.json", data=json.dumps(document).encode(), file=f"f{number}.json")
        report = export.add(check_item(item, Options(dataset=True), 1 << 20))
        found += [(report.path, d.pointer) for d in report.diagnostics if d.rule == "dataset.label-case"]
    assert found == [
        ("f1.json", "/annotations/0/label"),
        ("f2.json", "/annotations/1/label"),
        ("f2.json", "/annotations/2/label"),
        ("f3.json", "/annotations/1/label"),
    ]


# --- One planted fault.


def _frames(documents) -> list[int]:
    return [i for i, (_path, doc) in enumerate(documents) if "frame_number" in doc]


def _first_of_scene(documents, index: int) -> bool:
    scene = documents[index][1]["scene_id"]
    return next(i for i, (_p, doc) in enumerate(documents) if doc.get("scene_id") == scene) == index


def _plant(kind: str, draw, documents: list[tuple[str, dict]]) -> Found:
    """Plant one fault of `kind` in `documents` (in place); the diagnostics it must give."""
    if kind == "duplicate-file-id":
        i, j = sorted(draw(st.lists(st.integers(0, len(documents) - 1), min_size=2, max_size=2, unique=True)))
        documents[j][1]["file_id"] = documents[i][1]["file_id"]
        return {(documents[j][0], "dataset.duplicate-file-id", "/file_id")}
    if kind == "duplicate-file":
        i, j = sorted(draw(st.lists(st.integers(0, len(documents) - 1), min_size=2, max_size=2, unique=True)))
        documents[j][1]["parent_path"] = documents[i][1]["parent_path"]
        documents[j][1]["filename"] = documents[i][1]["filename"]
        return {(documents[j][0], "dataset.duplicate-file", "/filename")}
    if kind == "duplicate-frame":
        i = draw(st.sampled_from(_frames(documents)))
        at = draw(st.integers(0, len(documents)))
        path, doc = documents[i]
        again = {**copy.deepcopy(doc), "file_id": "f" * 24, "filename": "planted.jpg"}
        documents.insert(at, (path + ".again", again))
        later = path if at <= i else path + ".again"
        return {(later, "dataset.duplicate-frame", "/frame_number")}
    if kind in ("track-label", "track-type"):
        candidates = [
            i
            for i in _frames(documents)
            if documents[i][1]["annotations"] and "track_id" in documents[i][1]["annotations"][0]
        ]
        j = draw(st.sampled_from([i for i in candidates if not _first_of_scene(documents, i)]))
        n = draw(st.integers(0, len(documents[j][1]["annotations"]) - 1))
        field, value = ("label", "planted") if kind == "track-label" else ("type", "polygon")
        documents[j][1]["annotations"][n][field] = value
        return {(documents[j][0], "dataset.track-label", f"/annotations/{n}/{field}")}
    if kind == "scene-size":
        sized = [i for i in _frames(documents) if "width" in documents[i][1]["metadata"]]
        j = draw(st.sampled_from([i for i in sized if not _first_of_scene(documents, i)]))
        documents[j][1]["metadata"] = {"width": 3840, "height": 2160}
        return {(documents[j][0], "dataset.scene-size", "/metadata")}
    if kind == "frame-gap":
        numbers = {(d.get("scene_id"), d.get("frame_number")): i for i, (_p, d) in enumerate(documents)}
        middles = [i for (scene, number), i in numbers.items() if number == 1 and (scene, 2) in numbers]
        i = draw(st.sampled_from(middles))
        after = numbers[documents[i][1]["scene_id"], 2]
        expected = {(documents[after][0], "dataset.frame-gap", "/frame_number")}
        del documents[i]
        return expected
    assert kind == "label-case"
    first_seen: dict[str, int] = {}
    for i, (_path, doc) in enumerate(documents):
        for a in doc["annotations"]:
            first_seen.setdefault(a["label"], i)
    choices = [
        (j, n)
        for j, (_path, doc) in enumerate(documents)
        if "scene_id" not in doc
        for n, a in enumerate(doc["annotations"])
        if first_seen[a["label"]] < j and a["label"].upper() != a["label"]
    ]
    j, n = draw(st.sampled_from(choices))
    annotation = documents[j][1]["annotations"][n]
    annotation["label"] = annotation["label"].upper()
    return {(documents[j][0], "dataset.label-case", f"/annotations/{n}/label")}


KINDS = (
    "duplicate-file-id",
    "duplicate-file",
    "duplicate-frame",
    "track-label",
    "track-type",
    "scene-size",
    "frame-gap",
    "label-case",
)


@pytest.mark.parametrize("kind", KINDS)
@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_one_planted_fault_gives_exactly_its_diagnostics(kind, data):
    documents = copy.deepcopy(CLEAN)
    expected = _plant(kind, data.draw, documents)
    assert _diagnostics(documents) == expected


# --- dataset.unused: one class or choice value no document uses, planted in the export's own ontology.

#: The ontology drafted from the clean export: every class and value it defines is used.
PROJECT = infer(doc for _path, doc in CLEAN).data


def _places(data: dict) -> list[tuple[str, list]]:
    """Where a class or a choice value can be added: (pointer of the list, the list), every one."""
    configs = [(f"/annotationConfigs/{i}", c) for i, c in enumerate(data["annotationConfigs"])]
    if "classification" in data:
        configs.append(("/classification", data["classification"]))
    places = []
    for where, config in configs:
        places.append((f"{where}/classItems", config["classItems"]))
        attributes = [
            (f"{where}/commonAttributes/{i}", a) for i, a in enumerate(config.get("commonAttributes", []))
        ]
        for n, item in enumerate(config["classItems"]):
            attributes += [
                (f"{where}/classItems/{n}/attributes/{i}", a)
                for i, a in enumerate(item.get("attributes", []))
            ]
        places += [(f"{at}/choices", a["choices"]) for at, a in attributes if "choices" in a]
    return places


def test_the_drafted_ontology_leaves_nothing_unused():
    ontology = Ontology(PROJECT, "ontology.json")
    assert len(usage_of(ontology).definitions) > 30
    found = _diagnostics(CLEAN, ontology=ontology)
    assert {rule for _path, rule, _pointer in found} == {"ontology.label-missing"}  # unclassified files


@settings(max_examples=30, deadline=None)
@given(data=st.data())
def test_one_unused_definition_planted_gives_exactly_its_diagnostic(data):
    project = copy.deepcopy(PROJECT)
    where, items = data.draw(st.sampled_from(_places(project)))
    at = data.draw(st.integers(0, len(items)))
    if where.endswith("/classItems"):
        items.insert(at, {"value": "planted"})
    else:
        items.insert(at, data.draw(st.sampled_from(["planted", {"value": "planted", "name": "Planted"}])))
    clean = _diagnostics(CLEAN, ontology=Ontology(PROJECT, "ontology.json"))
    found = _diagnostics(CLEAN, ontology=Ontology(project, "ontology.json"))
    assert found == clean | {("ontology.json", "dataset.unused", f"{where}/{at}")}


def test_what_a_document_uses_is_the_same_from_the_fast_struct():
    ontology = Ontology(PROJECT, "ontology.json")
    rng = random.Random(7)
    documents = [doc for _path, doc in CLEAN]
    documents += [synthetic.mutate(rng, rng.choice(documents)) for _ in range(300)]
    compared = 0
    for doc in documents:
        data = json.dumps(doc).encode()
        clean, _profile, struct = decode_clean(data, None)
        expected = facts_of(document=json.loads(data), ontology=ontology)
        assert expected is not None
        if clean:
            compared += 1
            assert facts_of(struct, ontology=ontology) == expected
    assert compared > 80
    # Each definition is used by some clean document.
    used = {number for doc in documents[:60] for number in facts_of(document=doc, ontology=ontology).used}
    assert used == set(range(len(usage_of(ontology).definitions)))


def test_a_file_checked_against_another_ontology_uses_nothing_of_the_run_s(tmp_path):
    # A configuration override may give some files another ontology (or, from a configuration file, a
    # path that was not loaded): what they use is not counted for the run's ontology.
    from aimmo_gt._check import PathOptions

    run = Ontology(PROJECT, "ontology.json")
    other = copy.deepcopy(PROJECT)
    other["annotationConfigs"][0]["classItems"].insert(0, {"value": "other"})

    def unused(documents, overridden=None) -> set[str]:
        changes = (("ontology", overridden),) if overridden is not None else ()
        options = Options(
            dataset=True, ontology=run, overrides=(PathOptions(str(tmp_path), ("*",), changes),)
        )
        export = Export(ontology=run)
        for n, (_path, document) in enumerate(documents):
            file = str(tmp_path / f"{n}.json") if n % 2 else None  # every other file is overridden
            item = Item(f"{n}.json", data=json.dumps(document).encode(), file=file)
            export.add(check_item(item, options, 1 << 20))
        return {d.pointer for report, _valid in export.finish() for d in report.diagnostics}

    documents = CLEAN[:20]
    alone = unused(documents[0::2])  # the files that keep the run's ontology, alone
    assert alone and unused(documents) == set()
    assert unused(documents, Ontology(other, "other.json")) == alone
    assert unused(documents, "not loaded.json") == alone
