"""The Python API: check, iter_errors, validate, is_valid, tuning, profiles and the rule table."""

from __future__ import annotations

import copy
import socket

import pytest

import aimmo_gt
from aimmo_gt._api import check_selectors
from aimmo_gt._keywords import KEYWORDS
from conftest import FIXTURES, load_json, rule_pointers

KO = load_json(FIXTURES / "valid" / "vendor-entity-ko.json")  # one entity.span-length warning
BBOX = load_json(FIXTURES / "invalid" / "geometry-bbox.json")  # one geometry.bbox error
SEVERAL = load_json(FIXTURES / "invalid" / "several-problems.json")


def test_iter_errors_yields_diagnostics():
    found = list(aimmo_gt.iter_errors(BBOX))
    assert rule_pointers(found) == [("geometry.bbox", "/annotations/0/points/2")]
    assert found[0].severity == "error"
    assert (
        found[0].message
        == "bbox corner 3 (bottom-right) is (161, 581) but must be (160, 580.5): corners 1, 2 and 4 make it"
    )
    assert found[0].as_dict() == {
        "rule": "geometry.bbox",
        "severity": "error",
        "pointer": "/annotations/0/points/2",
        "message": found[0].message,
    }


def test_validate_raises_with_every_diagnostic():
    with pytest.raises(aimmo_gt.ValidationError) as raised:
        aimmo_gt.validate(SEVERAL)
    assert len(raised.value.diagnostics) == 3
    assert "(and 2 more)" in str(raised.value)


def test_warnings_do_not_invalidate_unless_strict():
    assert aimmo_gt.is_valid(KO)
    aimmo_gt.validate(KO)
    assert not aimmo_gt.is_valid(KO, strict=True)
    with pytest.raises(aimmo_gt.ValidationError):
        aimmo_gt.validate(KO, strict=True)


def test_ignore_by_rule_and_by_prefix():
    assert aimmo_gt.is_valid(BBOX, ignore=["geometry.bbox"])
    assert aimmo_gt.is_valid(BBOX, ignore=["geometry."])
    assert aimmo_gt.is_valid(BBOX, ignore=["geometry"])
    assert not aimmo_gt.is_valid(BBOX, ignore=["geometry.within-image"])
    with pytest.raises(
        ValueError, match=r"^no rule is named 'geo'[ ;]"
    ):  # a prefix is a whole dotted segment
        aimmo_gt.is_valid(BBOX, ignore=["geo"])
    assert list(aimmo_gt.iter_errors(BBOX, ignore=["geometry.bbox"])) == []


def test_warn_lowers_an_error_to_a_warning():
    result = aimmo_gt.check(BBOX, warn=["geometry."])
    assert [(d.rule, d.severity) for d in result.diagnostics] == [("geometry.bbox", "warning")]
    assert result.valid and not aimmo_gt.is_valid(BBOX, warn=["geometry."], strict=True)


def test_ignore_wins_over_warn():
    assert aimmo_gt.check(BBOX, warn=["geometry.bbox"], ignore=["geometry.bbox"]).diagnostics == ()


def test_unknown_selectors_are_reported():
    assert check_selectors(["geometry.", "mask.area", "geometry.bboxx", "nope"]) == ["geometry.bboxx", "nope"]


def test_explicit_profile_is_used_and_reported():
    document = load_json(FIXTURES / "valid" / "realistic-video.json")
    result = aimmo_gt.check(document, "text")
    assert (result.profile, result.inferred) == ("text", False)
    assert ("schema.maxProperties", "/metadata") in rule_pointers(result.diagnostics)
    assert ("schema.enum", "/annotations/0/type") in rule_pointers(result.diagnostics)


def test_unknown_profile_is_a_value_error():
    with pytest.raises(ValueError, match="unknown profile 'lidar'"):
        aimmo_gt.check({}, "lidar")


@pytest.mark.parametrize(
    ("document", "profile"),
    [
        ({"metadata": {"fps": 30}}, "video"),
        ({"metadata": {"width": 1, "height": 1}}, "image"),
        ({"metadata": {"width": 1, "height": 1}, "scene_id": "x"}, "sequence"),
        ({"metadata": {"width": 1}, "annotations": [{"type": "segmentation_mask"}]}, "image-pixel"),
        ({"metadata": {}, "scene_id": "x"}, "pointcloud"),
        ({"metadata": {}}, "text"),
        ({"metadata": {"fps": 30, "width": 1}}, None),
        ({"metadata": {"depth": 1}}, None),
        ({"metadata": []}, None),
        ({}, None),
        ([], None),
    ],
)
def test_infer_profile(document, profile):
    assert aimmo_gt.infer_profile(document) == profile


def test_document_that_fits_no_profile_is_checked_against_the_union():
    document = load_json(FIXTURES / "valid" / "realistic-image.json")
    document["metadata"]["fps"] = 30
    document["annotations"] += load_json(FIXTURES / "valid" / "vendor-frameRange.json")["annotations"]
    result = aimmo_gt.check(document)
    assert result.profile is None
    # DECISIONS.md: metadata with fps and width/height fits no resource type, an error at /metadata;
    # the annotations are then checked against every type (a frame range beside image shapes).
    assert rule_pointers(result.diagnostics) == [("schema.not", "/metadata")]


@pytest.mark.parametrize("root", [[], "text", 3, None, True])
def test_a_root_that_is_not_an_object(root):
    assert rule_pointers(aimmo_gt.iter_errors(root)) == [("schema.type", "")]


def test_the_document_is_not_modified():
    document = load_json(FIXTURES / "invalid" / "several-problems.json")
    before = copy.deepcopy(document)
    aimmo_gt.check(document)
    assert document == before


def test_rule_table_lists_every_keyword_with_severity_and_sentence():
    for keyword in KEYWORDS.values():
        rule = aimmo_gt.RULES[keyword.rule]
        assert rule.severity == keyword.severity and rule.summary.endswith(".")
    assert aimmo_gt.RULES["entity.span-length"].severity == "warning"
    assert aimmo_gt.RULES["json.bom"].severity == "warning"
    assert all(rule.id == rule_id for rule_id, rule in aimmo_gt.RULES.items())


def test_schemas_ship_with_the_package_and_resolve_offline(monkeypatch):
    def no_network(*args, **kwargs):
        raise AssertionError("the validator tried to open a network connection")

    monkeypatch.setattr(socket, "create_connection", no_network)
    monkeypatch.setattr(socket.socket, "connect", no_network)
    assert (aimmo_gt.schema_dir() / "v1" / "document.json").is_file()
    registry = aimmo_gt.registry()
    assert registry.contents(aimmo_gt.schema_uri("annotations/bbox.json"))["title"] == "Bounding box"
    assert aimmo_gt.is_valid(load_json(FIXTURES / "valid" / "realistic-image.json"))


def test_rule_table_is_complete_on_a_fresh_import():
    import subprocess
    import sys

    code = "import aimmo_gt; print(sorted(aimmo_gt.RULES))"
    fresh = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert fresh.stdout.strip() == str(sorted(aimmo_gt.RULES))
    assert "geometry.bbox" in aimmo_gt.RULES


def _nested(depth):
    root = current = []
    for _ in range(depth):
        current.append([])
        current = current[0]
    return root


@pytest.mark.parametrize("where", ["attributes", "tags", "annotation attributes"])
def test_a_pathologically_deep_value_is_a_diagnostic_not_an_exception(where):
    document = load_json(FIXTURES / "valid" / "realistic-text.json")
    deep = _nested(20_000)
    if where == "attributes":
        document["attributes"] = {"x": deep}
        prefix = "/attributes/x"
    elif where == "tags":
        document["tags"] = [deep, deep]
        prefix = "/tags/0"  # the first in document order, as for a file
    else:
        document["annotations"][0]["attributes"] = {"y": deep}
        prefix = "/annotations/0/attributes/y"
    (found,) = aimmo_gt.check(document).diagnostics
    assert found.rule == "json.depth"
    assert found.pointer.startswith(prefix + "/0/0")
    # The container at level 65 (the root is level 1), as the loader reports it in a file.
    assert found.pointer.count("/") == 64


def test_rules_that_mean_a_file_was_not_checked_cannot_be_tuned():
    from aimmo_gt._api import tune
    from aimmo_gt._diagnostics import Diagnostic

    parse = Diagnostic("json.parse", "error", "", "truncated")
    assert list(tune([parse], warn=["json."], ignore=["json.parse"])) == [parse]


@pytest.mark.parametrize("kind", [[], {"a": 1}, ["landmark"], None])
def test_an_annotation_type_of_any_json_value_is_a_diagnostic(kind):
    """Found by the fuzz: an unhashable type (a list, an object) once raised in the alias lookup."""
    document = load_json(FIXTURES / "valid" / "realistic-image-pixel.json")
    document["annotations"][0]["type"] = kind
    for profile in (None, "image", "image-pixel"):
        found = aimmo_gt.check(document, profile).diagnostics
        assert ("schema.enum", "/annotations/0/type") in rule_pointers(found)
        assert all(d.rule != "internal.error" for d in found)


def test_a_mask_bound_too_wide_to_count_is_a_diagnostic():
    """Found by the fuzz: a bound from -1e308 to 1e308 has a side of infinity, whose ceiling once raised."""
    document = load_json(FIXTURES / "valid" / "vendor-segmentation_mask.json")
    del document["metadata"]  # no image size: only the area is at stake
    document["metadata"] = {}
    for bound in ([[-1e308, -1e308], [1e308, 1e308]], [[0, 0], [10**160, 10**150]]):  # (the fuzz's too)
        document["annotations"][0]["bound"] = bound
        for engine in ("fast", "reference"):
            found = aimmo_gt.check(document, "image-pixel", engine=engine).diagnostics
            assert ("mask.area", "/annotations/0/mask") in rule_pointers(found)
            assert all(d.rule != "internal.error" for d in found)


@pytest.mark.parametrize("degree", [0, 37.5, 90, 270])
def test_a_rotated_box_past_a_huge_image_is_outside_it(degree):
    """Found by the fuzz: a rect 4 pixels past an image 8.7 * 10^19 pixels wide once passed, its float
    extent rounding onto the image's edge; the exact centre band catches it whichever way it turns."""
    document = load_json(FIXTURES / "valid" / "vendor-obbox_v2.json")
    width = 86769806872590254080
    document["metadata"] = {"width": width, "height": 100}
    document["annotations"][0]["rect"] = [width + 4, 10, 20, 20]
    document["annotations"][0]["degree"] = degree
    for engine in ("fast", "reference"):
        found = aimmo_gt.check(document, "image", engine=engine).diagnostics
        assert rule_pointers(found) == [("geometry.within-image", "/annotations/0/rect")]
    document["annotations"][0]["rect"] = [width - 40, 10, 20, 20]
    for engine in ("fast", "reference"):
        assert aimmo_gt.check(document, "image", engine=engine).diagnostics == ()
