"""The example export: exactly its broken files fail, each with the rule ids it was broken for."""

from __future__ import annotations

import filecmp
from pathlib import Path

import make_export

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "export"


def test_exactly_the_broken_examples_fail_with_their_rules(cli):
    run = cli("validate", "--format", "json", EXAMPLES)
    assert run.code == 1
    failing = {
        str(Path(entry["path"]).relative_to(EXAMPLES)): {d["rule"] for d in entry["diagnostics"]}
        for entry in run.json()["files"]
        if not entry["valid"] or entry["diagnostics"]
    }
    assert failing == {
        "images/daytime/image (32).json": {"geometry.bbox"},
        "masks/road_03.json": {"mask.area"},
        "videos/clip_03.json": {"order.end-after-start"},
        "lidar/scene_0002/000003.json": {"json.parse"},
        "texts/review_03.json": {"json.duplicate-key"},
    }
    broken = make_export.example_broken(make_export.example_documents())
    assert failing == {path: rules for path, (_why, _data, rules) in broken.items()}


def test_every_resource_type_is_in_the_examples_and_valid(cli):
    run = cli("validate", "--format", "json", EXAMPLES)
    profiles = {entry["profile"] for entry in run.json()["files"] if entry["valid"]}
    assert profiles == {"image", "image-pixel", "sequence", "pointcloud", "video", "text"}


def test_examples_are_what_the_script_writes(tmp_path):
    make_export.write_examples(tmp_path)
    comparison = filecmp.dircmp(EXAMPLES, tmp_path)

    def differences(node: filecmp.dircmp) -> list[str]:
        found = node.left_only + node.right_only + node.diff_files + node.funny_files
        return found + [name for sub in node.subdirs.values() for name in differences(sub)]

    assert differences(comparison) == [], "run: python scripts/make_export.py"
