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
