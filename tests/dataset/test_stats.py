"""`aimmo-gt stats`: the counts of the example export and of a 20,000-document generated export, its
JSON valid against tests/data/stats.schema.json, the same whatever --jobs; bad files listed, not fatal."""

from __future__ import annotations

import json
import unicodedata
from collections import Counter
from pathlib import Path

import jsonschema
import pytest

import aimmo_gt._runner as runner
from aimmo_gt._cli import main
from conftest import REPO, load_script

make_export = load_script("make_export")

EXAMPLES = REPO / "examples" / "export"
SCHEMA = json.loads((REPO / "tests" / "data" / "stats.schema.json").read_text(encoding="utf-8"))


def _stats(capsys, *args) -> tuple[int, str]:
    capsys.readouterr()
    code = main(["stats", *map(str, args)])
    return code, capsys.readouterr().out


def _json(capsys, *args) -> dict:
    code, out = _stats(capsys, "--format", "json", *args)
    assert code == 0
    stats = json.loads(out)
    jsonschema.Draft202012Validator(SCHEMA).validate(stats)
    return stats


def test_the_example_export_counted(capsys):
    stats = _json(capsys, EXAMPLES)
    assert stats["files"] == {"total": 24, "counted": 23, "with_errors": 5}
    assert stats["resource_types"] == {
        "image": 8,
        "image-pixel": 3,
        "pointcloud": 3,
        "sequence": 3,
        "text": 3,
        "video": 3,
    }
    assert stats["annotations"]["total"] == 34 and stats["annotations"]["types"]["bbox"] == 10
    assert stats["classes"]["bbox"] == {"car": 5, "truck": 3, "pedestrian": 2}
    assert stats["attributes"]["polygon"]["size"] == {"irregular": 1, "large": 1}  # a multiple choice
    assert stats["classification"] == {
        "labels": {"car": 1},
        "attributes": {"weather": {"clear": 3}, "occlusion": {"Less than 30%": 1}},
    }
    assert sorted((s["frames"], s["tracks"]) for s in stats["scenes"]) == [(3, 0), (3, 2)]
    assert stats["image_sizes"] == {"1920x1080": 14}
    bad = {
        Path(b["path"]).relative_to(EXAMPLES).as_posix(): (b["rules"], b["counted"])
        for b in stats["files_with_errors"]
    }
    assert bad == {
        "images/daytime/image (32).json": (["geometry.bbox"], True),
        "lidar/scene_0002/000003.json": (["json.parse"], False),
        "masks/road_03.json": (["mask.area"], True),
        "texts/review_03.json": (["json.duplicate-key"], True),
        "videos/clip_03.json": (["order.end-after-start"], True),
    }


def test_the_text_is_tables_of_the_same_counts(capsys):
    code, out = _stats(capsys, EXAMPLES)
    assert code == 0
    lines = out.splitlines()
    assert lines[0] == "24 files: 23 counted, 5 with errors (listed at the end)"
    assert lines[lines.index("Annotations (34)") + 2].split() == ["bbox", "10"]
    assert ["bbox", "car", "5"] in [line.split() for line in lines]
    # East Asian labels take two columns: the counts still line up.
    classes = lines[lines.index("Classes") + 1 : lines.index("Attribute values") - 1]
    assert len({sum(1 + (unicodedata.east_asian_width(c) in "WF") for c in line) for line in classes}) == 1
    assert any("차량" in line for line in classes)
    assert "examples/export/lidar/scene_0002/000003.json" in out.split("Files with errors")[1]


@pytest.fixture(scope="module")
def generated_jsonl(tmp_path_factory) -> tuple[Path, list[dict]]:
    """A generated export of 20,000 documents as one JSON Lines file, and the documents."""
    documents = [doc for _path, doc, _broken in make_export.generated(20000)]
    path = tmp_path_factory.mktemp("stats") / "export.jsonl"
    with path.open("w", encoding="utf-8") as handle:
        for document in documents:
            handle.write(json.dumps(document, ensure_ascii=False) + "\n")
        handle.write('{"annotations": [\n')  # a broken last line: listed, not counted
    return path, documents


def test_a_generated_export_of_20000_documents_counted(capsys, generated_jsonl):
    path, documents = generated_jsonl
    stats = _json(capsys, "--jsonl", path)
    assert stats["files"] == {"total": 20001, "counted": 20000, "with_errors": 1}
    assert stats["files_with_errors"] == [
        {"path": f"{path}:20001", "rules": ["json.parse"], "counted": False}
    ]
    types = Counter(a["type"] for doc in documents for a in doc["annotations"])
    assert stats["annotations"]["total"] == sum(types.values())
    assert Counter(stats["annotations"]["types"]) == types
    scenes = Counter(doc["scene_id"] for doc in documents if "scene_id" in doc)
    assert {s["scene_id"]: s["frames"] for s in stats["scenes"]} == dict(scenes)
    sizes = Counter(
        f"{d['metadata']['width']}x{d['metadata']['height']}" for d in documents if "width" in d["metadata"]
    )
    assert Counter(stats["image_sizes"]) == sizes


def test_the_counts_are_the_same_whatever_jobs(capsys, monkeypatch, pools):
    one = _stats(capsys, "--format", "json", "--jobs", "1", EXAMPLES)
    monkeypatch.setattr(runner, "BATCH", 2)
    two = _stats(capsys, "--format", "json", "--jobs", "2", EXAMPLES)
    assert pools == [2]
    assert one == two


def test_nothing_found_is_said_and_not_fatal(capsys, tmp_path):
    code = main(["stats", str(tmp_path)])
    captured = capsys.readouterr()
    assert code == 0 and "no *.json file found" in captured.err
    assert captured.out.startswith("0 files: 0 counted, 0 with errors\n")


UNUSED = REPO / "tests" / "dataset" / "exports" / "unused"


def test_with_an_ontology_the_classes_and_values_no_file_uses_are_listed(capsys):
    stats = _json(capsys, "--ontology", UNUSED / "ontology.json", UNUSED)
    assert stats["ontology"] == str(UNUSED / "ontology.json")
    assert [
        (u["pointer"], u["kind"], u["type"], u["class"], u["attribute"], u["value"]) for u in stats["unused"]
    ] == [
        ("/annotationConfigs/0/commonAttributes/0/choices/2", "choice", "bbox", None, "occlusion", "50%"),
        (
            "/annotationConfigs/0/classItems/0/attributes/0/choices/1",
            "choice",
            "bbox",
            "car",
            "lights",
            "turn_left",
        ),
        (
            "/annotationConfigs/0/classItems/1/attributes/0/choices/1",
            "choice",
            "bbox",
            "truck",
            "lights",
            "hazard",
        ),
        ("/annotationConfigs/0/classItems/2", "class", "bbox", "pedestrian", None, "pedestrian"),
        ("/classification/commonAttributes/0/choices/1", "choice", None, None, "weather", "rainy"),
        ("/classification/classItems/1", "class", None, "night", None, "night"),
    ]
    # The ontology file is not counted as a GT file; the rest of the counts are as without it.
    without = _json(capsys, "--exclude", "ontology.json", UNUSED)
    assert "unused" not in without and "ontology" not in without
    assert {k: v for k, v in stats.items() if k not in ("ontology", "unused")} == without
    # What validate reports as dataset.unused, pointer for pointer.
    capsys.readouterr()
    main(["validate", "--format", "json", "--ontology", str(UNUSED / "ontology.json"), str(UNUSED)])
    report = json.loads(capsys.readouterr().out)
    unused = [
        d["pointer"] for e in report["export"] for d in e["diagnostics"] if d["rule"] == "dataset.unused"
    ]
    assert unused == [u["pointer"] for u in stats["unused"]]


def test_the_unused_table_and_the_same_whatever_jobs(capsys, monkeypatch, pools):
    args = ("--ontology", UNUSED / "ontology.json", UNUSED)
    code, out = _stats(capsys, "--jobs", "1", *args)
    assert code == 0
    lines = out.splitlines()
    at = lines.index(f"Defined in {UNUSED / 'ontology.json'}, used by no file (6)")
    assert lines[at + 1].split() == ["pointer", "what"]
    assert lines[at + 5].split(None, 1) == ["/annotationConfigs/0/classItems/2", 'class "pedestrian" of bbox']
    monkeypatch.setattr(runner, "BATCH", 1)
    assert _stats(capsys, "--jobs", "2", *args) == (0, out)
    assert pools == [2]


def test_a_broken_ontology_is_a_usage_error_and_writes_nothing(capsys, tmp_path):
    broken = tmp_path / "ontology.json"
    broken.write_text('{"annotationConfigs": [{"annotationType": "bbox", "classItems": []}]}')
    output = tmp_path / "stats.json"
    code = main(["stats", "--ontology", str(broken), "-o", str(output), str(UNUSED)])
    captured = capsys.readouterr()
    assert code == 2 and not output.exists()
    assert f"the ontology {broken} has 1 problem" in captured.err
