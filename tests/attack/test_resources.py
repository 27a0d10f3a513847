"""Resources: a file of N bytes costs O(N) time and a small constant x N memory (issue 17, items 1-8).

Memory is measured with tracemalloc (deterministic), work with call counts where a hook exists, and
otherwise as the growth of the time between two input sizes measured in the same run: linear work
grows 10 times for 10 times the input, quadratic work 100 times; the margin asserted lies between.
"""

from __future__ import annotations

import json

import aimmo_gt
from aimmo_gt._loading import load_positioned, locate, scan
from aimmo_gt._runner import Options, check_item
from aimmo_gt._walk import Item

from .conftest import growth, peak_bytes, valid_document, write

#: Linear growth for 10 times the input is about 10; quadratic about 100.
LINEAR = 35


def _pixel_document(mask: str) -> dict:
    document = valid_document("realistic-image-pixel")
    mask_annotation = next(a for a in document["annotations"] if a["type"] == "segmentation_mask")
    mask_annotation["mask"] = mask
    return document


def test_1_a_long_string_costs_the_fallback_scanner_linear_memory():
    size = 400_000
    text = '{"a": "' + "x" * size + '", "a": 1}'
    assert peak_bytes(lambda: list(scan(text))) < 4 * size
    loaded = None

    def load():
        nonlocal loaded
        loaded = load_positioned(text.encode())

    # bytes -> text, the document's string, the scanner: a few times the size, not 170 times.
    assert peak_bytes(load) < 8 * size
    assert loaded is not None
    assert [(d.rule, d.pointer) for d in loaded.diagnostics] == [("json.duplicate-key", "/a")]


def test_1_truncated_file_with_a_long_string_is_located_in_linear_memory():
    size = 400_000
    data = ('{"annotations": [], "filename": "' + "y" * size + '", "metadata": {').encode()
    loaded = []
    assert peak_bytes(lambda: loaded.append(load_positioned(data))) < 8 * size
    [diagnostic] = loaded[0].diagnostics
    assert (diagnostic.rule, diagnostic.pointer) == ("json.parse", "/metadata")


def test_2_a_mask_count_of_millions_of_digits_is_linear(tmp_path):
    def check(digits: int) -> None:
        result = aimmo_gt.check(_pixel_document("1" * digits + "T"), engine="auto")
        assert ("mask.area", "/annotations/0/mask") in {(d.rule, d.pointer) for d in result.diagnostics}

    assert growth(check, 100_000) < LINEAR


def test_2_the_long_count_message_states_its_length_and_the_area():
    [diagnostic] = [
        d for d in aimmo_gt.check(_pixel_document("1" * 5000 + "T")).diagnostics if d.rule == "mask.area"
    ]
    assert diagnostic.pointer == "/annotations/0/mask"
    assert diagnostic.message == (
        "the mask has a run count of 5,000 digits, more pixels than its bound [[top, left], [bottom, right]] "
        "= [[10, 20], [16, 24]] covers 24 (or 35 counting its bottom and right edges)"
    )


class _Counted(str):
    """A string that counts how often it is compared for equality."""

    comparisons = 0

    def __eq__(self, other):
        type(self).comparisons += 1
        return str.__eq__(self, other)

    __hash__ = str.__hash__


def _keypoint_document(invisible: list, keypoints: dict | None = None) -> dict:
    document = valid_document()
    document["annotations"] = [
        {
            "id": "48f557c0-3fff-4227-bd18-8574ff7f8ad0",
            "type": "keypoint",
            "label": "person",
            "attributes": {},
            "keypoints": keypoints or {"nose": [10, 10]},
            "invisible_keys": invisible,
        }
    ]
    return document


def test_3_invisible_keys_with_a_non_string_item_are_checked_in_linear_comparisons():
    n = 3000
    _Counted.comparisons = 0
    names = [_Counted(f"k{i}") for i in range(n)]
    result = aimmo_gt.check(_keypoint_document([1, *names]), profile="image", engine="reference")
    rules = {(d.rule, d.pointer) for d in result.diagnostics}
    assert ("schema.type", "/annotations/0/invisible_keys/0") in rules
    # Pairwise comparison (jsonschema's fallback when items cannot be sorted) is n * n / 2.
    assert _Counted.comparisons < 4 * n


def test_3_a_repeat_among_unsortable_items_is_still_found():
    result = aimmo_gt.check(_keypoint_document([1, "nose", 2.0, "nose"]), profile="image", engine="reference")
    assert ("schema.uniqueItems", "/annotations/0/invisible_keys") in {
        (d.rule, d.pointer) for d in result.diagnostics
    }
    # 1 and 1.0 are one JSON number; true and 1 are not.
    unique = aimmo_gt.check(_keypoint_document([True, 1]), profile="image", engine="reference")
    assert "schema.uniqueItems" not in {d.rule for d in unique.diagnostics}
    same = aimmo_gt.check(_keypoint_document([1, 1.0]), profile="image", engine="reference")
    assert "schema.uniqueItems" in {d.rule for d in same.diagnostics}


class _CountedKeys(dict):
    """Keypoints that count how often they are listed whole."""

    listed = 0

    def __iter__(self):
        type(self).listed += 1
        return super().__iter__()


def test_4_keys_of_lists_the_keypoints_once_not_once_per_unknown_name():
    keypoints = _CountedKeys({f"p{i}": [1, 1] for i in range(1000)})
    unknown = [f"missing{i}" for i in range(300)]
    _CountedKeys.listed = 0
    result = aimmo_gt.check(_keypoint_document(unknown, keypoints), profile="image", engine="reference")
    found = [d for d in result.diagnostics if d.rule == "keypoint.invisible-key"]
    assert [d.pointer for d in found] == [f"/annotations/0/invisible_keys/{i}" for i in range(300)]
    assert found[0].message == (
        '"missing0" in invisible_keys is not a name in keypoints '
        '("p0", "p1", "p2", "p3", "p4", "p5", "p6", "p7", ...)'
    )
    assert _CountedKeys.listed < 10


def test_5_sarif_positions_are_linear_in_the_number_of_diagnostics():
    def run(n: int) -> None:
        text = json.dumps({"a": [[i, i] for i in range(n)]}, indent=1)
        found = locate(text, {f"/a/{i}/0" for i in range(n)})
        assert len(found) == n

    assert growth(run, 2000) < LINEAR


def test_5_positions_are_those_of_the_pointers():
    text = '{\n "a": [1,\n  2],\n "b": {"c": 3}}'
    found = locate(text, {"/b/c", "/a/1", "/a", ""})
    assert {p: (v.line, v.column) for p, v in found.items()} == {
        "": (1, 1),
        "/a": (2, 2),
        "/a/1": (3, 3),
        "/b/c": (4, 8),
    }


def test_6_an_unknown_property_with_a_huge_key_costs_a_few_times_its_size():
    size = 1_000_000
    document = valid_document()
    document["k" * size] = 1
    data = json.dumps(document).encode()
    reports = []
    peak = peak_bytes(lambda: reports.append(check_item(Item("big.json", data=data), Options(), 1 << 30)))
    assert peak < 10 * size  # 42 times before
    [diagnostic] = reports[0].diagnostics
    assert (diagnostic.rule, diagnostic.pointer) == ("schema.unknown-property", "/" + "k" * size)
    assert len(diagnostic.message) < 300
    assert "(1,000,000 characters)" in diagnostic.message


def test_7_json_lines_hold_a_few_lines_in_memory_not_a_batch(tmp_path, cli):
    document = valid_document()
    document["filename"] = "x" * 500_000
    line = json.dumps(document)
    path = tmp_path / "big.jsonl"
    path.write_text((line + "\n") * 80)
    # Before: the lines of two batches of 32 (every line of the file) at -j1, the whole window at -j2.
    # The parallel figure depends on how far the pool's feeder thread got: a wide margin.
    for jobs, lines in (("1", 6), ("2", 32)):
        runs = []
        args = ("validate", "--no-dataset", "--jsonl", "-q", "-j", jobs, path)
        peak = peak_bytes(lambda: runs.append(cli(*args)))  # noqa: B023
        assert runs[0].code == 0, runs[0].err
        assert peak < lines * len(line), (jobs, peak / len(line))


def test_8_a_message_quotes_a_prefix_of_a_huge_value_and_its_length(tmp_path, cli):
    document = valid_document()
    document["filename"] = ["f" * 2_000_000]
    document["annotations"][0]["label"] = 7 * 10**300
    run = cli("validate", "--no-dataset", "--format", "json", write(tmp_path / "a.json", document))
    diagnostics = {d["pointer"]: d for d in run.json()["files"][0]["diagnostics"]}
    message = diagnostics["/filename"]["message"]
    assert diagnostics["/filename"]["rule"] == "schema.type"
    assert message == 'filename must be a string, not ["' + "f" * 57 + "… (1 item)"
    label = diagnostics["/annotations/0/label"]["message"]
    assert label == "label must be a string, not 7" + "0" * 58 + "… (301 characters)"
