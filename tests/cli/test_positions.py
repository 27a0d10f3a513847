"""Line and column on every diagnostic, in the text and JSON reports, as in SARIF; those of the file
in JSON Lines; found by one linear scan of only the files that have diagnostics."""

from __future__ import annotations

import json
import re

from aimmo_gt import _loading
from aimmo_gt._loading import Position, positions
from aimmo_gt._runner import Options, run
from aimmo_gt._walk import Walker


def _bad(image: dict) -> dict:
    image = json.loads(json.dumps(image))
    image["annotations"][0]["label"] = ""
    return image


def test_text_lines_are_file_line_column_pointer_rule_message(cli, tmp_path, image):
    path = tmp_path / "frame.json"
    text = json.dumps(_bad(image), indent=2)
    path.write_text(text)
    run = cli("validate", "--quiet", path)
    [line] = run.out.splitlines()
    # Where `"label": ""` of the first annotation starts: the key of the member at fault.
    offset = text.index('"label": ""')
    expected_line = text.count("\n", 0, offset) + 1
    expected_column = offset - text.rfind("\n", 0, offset)
    assert line.startswith(
        f"{path}:{expected_line}:{expected_column}: /annotations/0/label: schema.minLength: "
    ), line


def test_json_report_carries_line_and_column(cli, tmp_path, image):
    path = tmp_path / "frame.json"
    text = json.dumps(_bad(image), indent=2)
    path.write_text(text)
    (tmp_path / "broken.json").write_text('{\n  "annotations": [\n    1,\n  ]\n}\n')
    run = cli("validate", "--format", "json", tmp_path)
    by_path = run.by_path()
    [diagnostic] = by_path[str(tmp_path / "frame.json")]["diagnostics"]
    offset = text.index('"label": ""')
    assert (diagnostic["rule"], diagnostic["pointer"]) == ("schema.minLength", "/annotations/0/label")
    assert (diagnostic["line"], diagnostic["column"]) == (
        text.count("\n", 0, offset) + 1,
        offset - text.rfind("\n", 0, offset),
    )
    [parse] = by_path[str(tmp_path / "broken.json")]["diagnostics"]
    assert (parse["rule"], parse["line"], parse["column"]) == ("json.parse", 4, 3)
    # A file that cannot be read has no place in it.
    run = cli("validate", "--format", "json", tmp_path / "missing.json")
    [unreadable] = run.json()["files"][0]["diagnostics"]
    assert (unreadable["rule"], unreadable["line"], unreadable["column"]) == ("file.unreadable", None, None)


def test_json_lines_positions_are_those_of_the_file(cli, tmp_path, image):
    good = json.dumps(image)
    bad = json.dumps(_bad(image))
    path = tmp_path / "frames.jsonl"
    path.write_text(f"{good}\n\n{bad}\n{{broken\n")
    run = cli("validate", "--no-dataset", "--jsonl", "--format", "json", path)
    by_path = run.by_path()
    [diagnostic] = by_path[f"{path}:3"]["diagnostics"]
    assert (diagnostic["pointer"], diagnostic["line"], diagnostic["column"]) == (
        "/annotations/0/label",
        3,
        bad.index('"label": ""') + 1,
    )
    [parse] = by_path[f"{path}:4"]["diagnostics"]
    assert (parse["rule"], parse["line"], parse["column"]) == ("json.parse", 4, 2)
    column = bad.index('"label": ""') + 1
    text = cli("validate", "--no-dataset", "--jsonl", "--quiet", path).out.splitlines()
    assert text[0].startswith(f"{path}:3:{column}: /annotations/0/label: ")
    assert text[1].startswith(f"{path}:4:2: json.parse: ")
    sarif = cli("validate", "--no-dataset", "--jsonl", "--format", "sarif", path).json()
    regions = [r["locations"][0]["physicalLocation"]["region"] for r in sarif["runs"][0]["results"]]
    assert regions == [
        {"startLine": 3, "startColumn": bad.index('"label": ""') + 1},
        {"startLine": 4, "startColumn": 2},
    ]


def test_every_text_line_of_the_example_export_has_a_place(cli, repo):
    run = cli("validate", "--quiet", repo / "examples" / "export")
    lines = run.out.splitlines()
    assert len(lines) == 5
    for line in lines:
        assert re.match(r"^.+\.json:\d+:\d+: /\S+: [a-z]+\.[a-z-]+: ", line), line


class _Counting(str):
    """A text that counts the characters `count` and `rfind` look at."""

    looked_at = 0

    def count(self, sub, start=0, end=None):  # type: ignore[override]
        _Counting.looked_at += (len(self) if end is None else end) - start
        return super().count(sub, start, end)

    def rfind(self, sub, start=0, end=None):  # type: ignore[override]
        _Counting.looked_at += (len(self) if end is None else end) - start
        return super().rfind(sub, start, end)


def test_positions_look_at_each_character_once_however_many_diagnostics():
    lines = [f'  "key{number}": {number},' for number in range(2000)]
    text = "{\n" + "\n".join(lines) + "\n}"
    offsets = [text.index(f'"key{number}"') for number in range(0, 2000, 3)]
    _Counting.looked_at = 0
    found = positions(_Counting(text), reversed(offsets))
    # Linear: at most twice the text (count forward, rfind back within the same stretch); one
    # count from the start per diagnostic would look at about 670 times the text.
    assert _Counting.looked_at <= 2 * len(text)
    assert found[::-1] == [Position(2 + number, 3) for number in range(0, 2000, 3)]


def test_only_files_with_diagnostics_are_scanned_for_positions(tmp_path, image, monkeypatch):
    (tmp_path / "a.json").write_text(json.dumps(image))
    (tmp_path / "b.json").write_text(json.dumps(_bad(image)))
    (tmp_path / "c.json").write_text(json.dumps(image))
    scanned = []
    locate = _loading.locate

    def spy(text, pointers):
        scanned.append(sorted(pointers))
        return locate(text, pointers)

    monkeypatch.setattr(_loading, "locate", spy)
    for engine in ("fast", "reference"):
        scanned.clear()
        items = Walker(max_bytes=1 << 20).items([str(tmp_path)])
        reports = list(run(items, Options(positions=True, engine=engine), max_bytes=1 << 20))
        assert [r.valid for r in reports] == [True, False, True]
        assert scanned == [["/annotations/0/label"]]
