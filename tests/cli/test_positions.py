"""Line and column on every diagnostic, in the text and JSON reports, as in SARIF; those of the file
in JSON Lines; found by one linear scan of only the files that have diagnostics."""

from __future__ import annotations

import json
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aimmo_gt import _loading
from aimmo_gt._loading import Position, locate, positions, scan
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


@pytest.fixture
def scanned(monkeypatch) -> list[list[str]]:
    """The pointers of each call of _loading.locate (the position scan), sorted, call by call."""
    calls: list[list[str]] = []
    locate = _loading.locate

    def spy(text, pointers):
        calls.append(sorted(pointers))
        return locate(text, pointers)

    monkeypatch.setattr(_loading, "locate", spy)
    return calls


def test_only_files_with_diagnostics_are_scanned_for_positions(tmp_path, image, scanned):
    (tmp_path / "a.json").write_text(json.dumps(image))
    (tmp_path / "b.json").write_text(json.dumps(_bad(image)))
    (tmp_path / "c.json").write_text(json.dumps(image))
    for engine in ("fast", "reference"):
        scanned.clear()
        items = Walker(max_bytes=1 << 20).items([str(tmp_path)])
        reports = list(run(items, Options(positions=True, engine=engine), max_bytes=1 << 20))
        assert [r.valid for r in reports] == [True, False, True]
        assert scanned == [["/annotations/0/label"]]


# --- locate walks only the containers on the way to the pointers, skipping every other value in C;
# it must find exactly what the token-by-token scanner finds, on any text the loader reads.


class _Raw(str):
    """A token written as it is (NaN, Infinity, numbers as a file may spell them)."""


class _Object(list):
    """An object as its members, so that a key may repeat (the loader reads such a file)."""


_KEYS = st.sampled_from(["a", "b", "", "a/b", "~", "~1", "é", "\u2028", 'q"', "k\\"])
_SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(-(10**30), 10**30)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=5)
    | st.sampled_from(["NaN", "Infinity", "-Infinity", "1E+2", "-0.5e-3"]).map(_Raw)
)


def _values():
    return st.recursive(
        _SCALARS,
        lambda inner: (
            st.lists(inner, max_size=4) | st.lists(st.tuples(_KEYS, inner), max_size=4).map(_Object)
        ),
        max_leaves=25,
    )


def _write(value, space: str, ascii_only: bool) -> str:
    if isinstance(value, _Raw):
        return str(value)
    if isinstance(value, _Object):
        members = (
            f"{json.dumps(k, ensure_ascii=ascii_only)}{space}:{space}{_write(v, space, ascii_only)}"
            for k, v in value
        )
        return "{" + space + f",{space}".join(members) + space + "}"
    if isinstance(value, list):
        return "[" + space + f",{space}".join(_write(v, space, ascii_only) for v in value) + space + "]"
    return json.dumps(value, ensure_ascii=ascii_only)


@settings(max_examples=300, deadline=None)
@given(
    _values().filter(lambda v: isinstance(v, list)),
    st.sampled_from(["", " ", "\n", "\n  ", "\t", " \r\n "]),
    st.booleans(),
    st.randoms(use_true_random=False),
)
def test_the_walk_finds_what_the_scanner_finds(value, space, ascii_only, rng):
    text = space + _write(value, space, ascii_only) + space
    every = [event.pointer for event in scan(text) if event.kind != "close"]
    for wanted in ({*every, "/missing", "/0/missing/0"}, set(rng.sample(every, min(3, len(every))))):
        wanted.discard("")
        assert _loading._walk_offsets(text, wanted) == _loading._scan_offsets(text, wanted)


def test_a_repeated_key_is_located_where_the_scanner_finds_it():
    text = '{"a": 1, "b": {"x": 2}, "a": {"y": [3, {"z": 4}]}, "b": {"x": 5, "w": 6}}'
    wanted = {"/a", "/a/y/1/z", "/b/x", "/b/w"}
    offsets = _loading._walk_offsets(text, wanted)
    assert offsets == {
        "/a": text.index('"a"'),  # the first "a", as the scanner says
        "/a/y/1/z": text.index('"z"'),  # only in the second one
        "/b/x": text.index('"x"'),  # the first "b" holds it first
        "/b/w": text.index('"w"'),
    }
    assert offsets == _loading._scan_offsets(text, wanted)


def test_text_the_c_scanner_refuses_is_located_by_the_tolerant_scanner():
    # An integer of 5,000 digits (int() refuses it; the loader reports it) in a sibling value.
    text = '{"n": ' + "9" * 5000 + ',\n "a": [1, NaN, -Infinity, {"b": true}]}'
    found = locate(text, {"/a/3/b", "/a/1", "/n"})
    assert {pointer: (p.line, p.column) for pointer, p in found.items()} == {
        "/n": (1, 2),
        "/a/1": (2, 11),
        "/a/3/b": (2, 28),
    }
    with pytest.raises(ValueError):  # what made it fall back
        _loading._walk_offsets(text, {"/a/3/b"})
    assert locate("", {"/a"}) == {}
    assert locate('{"a": [1, 2', {"/a/1", "/a/5"}) == {"/a/1": Position(1, 11)}


def test_the_walk_steps_only_through_the_containers_on_the_way(monkeypatch):
    # A member beside a large array costs one skip of the array, not a step per number; an element
    # deep in a long array, one skip per element before it.
    skips = []
    skip = _loading._skip_value

    def counting(text, start):
        skips.append(start)
        return skip(text, start)

    monkeypatch.setattr(_loading, "_skip_value", counting)
    monkeypatch.setattr(_loading, "scan", None)  # the token scanner is not used at all
    numbers = list(range(100_000))
    rows = [{"id": i, "points": [[i, i]] * 20, "label": "x"} for i in range(1000)]
    text = json.dumps({"big": numbers, "rows": rows, "a": 1}, indent=1)
    found = locate(text, {"/a", "/rows/500/label"})
    assert set(found) == {"/a", "/rows/500/label"}
    # "big", rows 0-499, "id", "points" and "label" of row 500, rows 501-999 (then "a" is found).
    assert len(skips) == 1 + 500 + 3 + 499
    assert found["/rows/500/label"] == _position_of(text, text.index('"label"', text.index('"id": 500,')))


def _position_of(text: str, offset: int) -> Position:
    return Position(text.count("\n", 0, offset) + 1, offset - text.rfind("\n", 0, offset))


def test_positions_are_looked_for_only_when_the_format_prints_them(cli, tmp_path, image, scanned):
    (tmp_path / "b.json").write_text(json.dumps(_bad(image)))
    # Whole-export diagnostics too (c.json repeats b.json's file_id and name): c.json is read again.
    (tmp_path / "c.json").write_text(json.dumps(image))
    for format in ("text", "json", "sarif", "github", "gitlab", "junit"):
        scanned.clear()
        run = cli("validate", "--format", format, tmp_path)
        assert "schema.minLength" in run.out and "dataset.duplicate-file-id" in run.out
        expected = [["/annotations/0/label"], ["/file_id", "/filename"]]
        assert scanned == ([] if format == "junit" else expected), format


# --- locate on a file's bytes (what check_item gives it): msgspec decodes the containers on the way
# to their members' raw texts, nothing built, and the walk steps by their lengths. It must find what
# the token-by-token scanner finds in the text the loader reads, on any bytes; when msgspec cannot
# read them (NaN) or a repeated key may hide a member, the text says.


def _in_text(data: bytes, wanted: set[str]) -> dict[str, Position]:
    """What the scanner finds in the text the loader reads (a byte-order mark not counted)."""
    text = data.decode("utf-8", "replace").removeprefix("\ufeff")
    offsets = _loading._scan_offsets(text, wanted - {""})
    found = dict(zip(offsets, positions(text, offsets.values()), strict=True))
    return {"": Position(1, 1), **found} if "" in wanted else found


def _spaced(value, rng, ascii_only: bool) -> str:
    """`value` written with white space of its own between each two tokens (as a hand edit leaves)."""

    def space() -> str:
        return rng.choice(["", "", " ", "\n", "\r\n", "\t", "  \n    "])

    if isinstance(value, _Raw):
        return str(value)
    if isinstance(value, _Object | dict):
        items = value if isinstance(value, _Object) else list(value.items())
        members = (
            f"{space()}{json.dumps(k, ensure_ascii=ascii_only)}{space()}:{space()}"
            + _spaced(v, rng, ascii_only)
            for k, v in items
        )
        return "{" + f"{space()},".join(members) + space() + "}"
    if isinstance(value, list):
        return "[" + f"{space()},".join(space() + _spaced(v, rng, ascii_only) for v in value) + space() + "]"
    return json.dumps(value, ensure_ascii=ascii_only)


@settings(max_examples=400, deadline=None)
@given(
    _values().filter(lambda v: isinstance(v, list | _Object)),
    st.sampled_from(["", " ", "\n", "\n  ", "\t", " \r\n ", "spaced"]),
    st.booleans(),
    st.booleans(),
    st.randoms(use_true_random=False),
)
def test_the_walk_on_bytes_finds_what_the_scanner_finds(value, space, ascii_only, bom, rng):
    text = _spaced(value, rng, ascii_only) if space == "spaced" else space + _write(value, space, ascii_only)
    data = (b"\xef\xbb\xbf" if bom else b"") + text.encode()
    events = [event for event in scan(text) if event.kind != "close"]
    every = [event.pointer for event in events]
    some = set(rng.sample(every, min(3, len(every))))
    for wanted in ({*every, "/missing", "/0/missing/0", "/00", "no/slash"}, some, {*some, ""}):
        assert locate(data, wanted) == _in_text(data, wanted)
    # The bytes' own walk answered (the text was not needed) unless msgspec cannot read the text or
    # an object repeats a key; the budget is lifted here (a deep nest would exceed it).
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(_loading, "BYTES_WALK_BUDGET", 10**6)
        answered = _loading._locate_bytes(data, some - {""})
    readable = not any(e.duplicate or e.token in ("NaN", "Infinity", "-Infinity") for e in events)
    if readable:
        assert answered == _in_text(data, some - {""})
    else:
        assert answered in (None, _in_text(data, some - {""}))


def _styles(document: dict) -> dict[str, bytes]:
    """A document as writers write it: minified, pretty-printed, escaped, CRLF, with a BOM, by hand."""
    pretty = json.dumps(document, indent=2, ensure_ascii=False)
    return {
        "compact": json.dumps(document, ensure_ascii=False).encode(),
        "minified": json.dumps(document, separators=(",", ":"), ensure_ascii=False).encode(),
        "ascii": json.dumps(document).encode(),
        "pretty": pretty.encode(),
        "crlf": pretty.replace("\n", "\r\n").encode(),
        "bom-tabs": b"\xef\xbb\xbf" + json.dumps(document, indent="\t", ensure_ascii=False).encode(),
        "by-hand": _spaced(document, __import__("random").Random(len(pretty)), False).encode(),
    }


def test_the_walk_on_bytes_finds_in_synthetic_exports_what_the_scanner_finds():
    import random

    import aimmo_gt
    import synthetic

    rng = random.Random(11)
    answered = 0
    for number, (_name, document, _faults) in enumerate(synthetic.failing_export(5, 24, 12)):
        annotation = document["annotations"][number % len(document["annotations"])]
        # Keys to escape in a pointer, keys a writer escapes, a key msgspec cannot name a field.
        annotation["extra"] = {"차/종~1": "승용", 'q"k\\': ["é", "\u2028"]}
        found = aimmo_gt.check(document, engine="fast").diagnostics
        assert found  # a failing export
        for style, data in _styles(document).items():
            text = data.decode().removeprefix("\ufeff")
            every = [event.pointer for event in scan(text) if event.kind != "close"]
            wanted = {d.pointer for d in found} | set(rng.sample(every, 12))
            deep = {"/metadata/width", "/annotations/3/points/2/0", "/annotations/0/attributes"}
            wanted |= {"", *deep.intersection(every)}
            wanted |= {pointer for pointer in every if "~" in pointer or '"' in pointer}
            expected = _in_text(data, wanted)
            assert locate(data, wanted) == expected, style
            del expected[""]
            assert _loading._locate_bytes(data, wanted - {""}) == expected, style  # the bytes said
            answered += 1
    assert answered == 24 * 7


def test_a_repeated_key_on_bytes_is_located_where_the_scanner_finds_it():
    text = '{"a": 1, "b": {"x": 2}, "a": {"y": [3, {"z": 4}]}, "b": {"x": 5, "w": 6}}'
    for wanted in ({"/a"}, {"/a/y/1/z"}, {"/b/x"}, {"/b/w"}, {"/a", "/a/y/1/z", "/b/x", "/b/w"}):
        assert locate(text.encode(), wanted) == locate(text, wanted) == _in_text(text.encode(), wanted)
    # Where the bytes' walk cannot tell, it says so: the text is walked.
    assert _loading._locate_bytes(text.encode(), {"/a/y/1/z"}) is None
    assert _loading._locate_bytes(text.encode(), {"/b/w"}) is None
    # The first value of a repeated key is empty, or lacks what the last one has.
    for text in ('{"a": [], "a": [1]}', '{"a": {}, "a": {"b": 1}}', '{"a": [[0]], "a": [[1, 2]]}'):
        wanted = {"/a/0", "/a/b", "/a/0/1"}
        assert locate(text.encode(), wanted) == _in_text(text.encode(), wanted) != {}, text
    # The same key spelled two ways: the first is its place.
    text = '{"\\u0061": [0, {"k": 1}], "a": [2, {"k": 3}]}'
    assert locate(text.encode(), {"/a/1/k", "/a"}) == {"/a": Position(1, 2), "/a/1/k": Position(1, 17)}


def test_bytes_the_walk_cannot_read_are_located_in_the_text():
    # NaN (msgspec refuses it), bytes that are not UTF-8 (before and on the line of a pointer),
    # text after the document, a truncated one.
    cases = [
        b'{"n": NaN,\n "a": [1, {"b": true}]}',
        b'{"s": "\xff\xfe",\n "a": [1, {"b": "\xc3"}]}',
        b'{"s": "\xe9t\xe9", "a": [1, {"b": 2}]}',
        b'{"a": [1, {"b": 2}]} trailing',
        b'{"a": [1, {"b": 2}], "c": [1, 2',
    ]
    for data in cases:
        wanted = {"/a/1/b", "/a/1", "/a"}
        assert locate(data, wanted) == _in_text(data, wanted) != {}, data


def test_positions_on_bytes_look_at_each_byte_a_few_times_however_many_offsets():
    looked_at = [0]

    class Counting(bytes):
        def count(self, sub, start=0, end=None):  # type: ignore[override]
            looked_at[0] += (len(self) if end is None else end) - start
            return super().count(sub, start, end)

        def rfind(self, sub, start=0, end=None):  # type: ignore[override]
            looked_at[0] += (len(self) if end is None else end) - start
            return super().rfind(sub, start, end)

        def __getitem__(self, key):  # type: ignore[override]
            if isinstance(key, slice):
                looked_at[0] += len(range(*key.indices(len(self))))
            return super().__getitem__(key)

    # One long line with characters of 1 to 4 bytes, then many lines: columns count characters.
    head = "".join(f'"k{number}é€😀": {number}, ' for number in range(700))
    lines = [f'  "key{number}": {number},' for number in range(2000)]
    text = "{" + head + "\n" + "\n".join(lines) + '\n"z": 0}'
    data = text.encode()
    keys = [f'"k{number}é€😀"' for number in range(0, 700, 3)] + [f'"key{n}"' for n in range(0, 2000, 3)]
    offsets = [data.index(key.encode()) for key in keys]
    found = _loading._byte_positions(Counting(data), 0, reversed(offsets))
    assert looked_at[0] <= 3 * len(data)
    assert found[::-1] == positions(text, [text.index(key) for key in keys])


def test_the_walk_on_bytes_steps_in_python_only_through_objects_on_the_way(monkeypatch):
    # The members of an array are stepped over in C (their raw texts joined and compared with the
    # file's); an object's, one by one up to the wanted one. msgspec reads each byte a few times.
    rows = [{"id": i, "points": [[i, i]] * 20, "label": "x"} for i in range(1000)]
    texts = [json.dumps({"big": list(range(100_000)), "rows": rows, "a": 1}, indent=i) for i in (None, 1)]
    wanted = {"/rows/500/label", "/rows/7/points/3/1"}
    expected = [_in_text(text.encode(), wanted) for text in texts]
    steps: list[int] = []
    decoded: list[int] = []
    comma, decoders, member_decoder = _loading._comma, _loading._raw_decoders(), _loading._member_decoder

    def counting(data, start):
        steps.append(start)
        return comma(data, start)

    def counted(decode):
        def decoding(raw):
            decoded.append(len(raw))
            return decode(raw)

        return decoding

    monkeypatch.setattr(_loading, "_comma", counting)
    monkeypatch.setattr(_loading, "_raw_decoders", lambda: tuple(map(counted, decoders)))
    monkeypatch.setattr(_loading, "_member_decoder", lambda key, array: counted(member_decoder(key, array)))
    monkeypatch.setattr(_loading, "scan", None)  # the token scanner is not used at all
    monkeypatch.setattr(_loading, "_skip_value", None)  # nor json's
    for text, where in zip(texts, expected, strict=True):
        steps.clear()
        decoded.clear()
        assert locate(text.encode(), wanted) == where
        # The separator of rows and of points, "id" and "points" of row 500, "id" of row 7 ("points"
        # is found by its spelling).
        assert len(steps) <= 5, steps
        # The document (for "rows"), the members before it (for where "rows" is), rows 7 and 500,
        # the points of row 7.
        assert sum(decoded) <= 2 * len(text)


def test_a_deep_nest_is_not_decoded_once_per_level():
    # Each level holds most of the file: decoding each container on the way would read it ~60 times.
    depth = 60
    text = "".join(['{"d": ' * depth, "[" + "1," * 5000 + "0]", "}" * depth])
    pointer = "/d" * depth + "/4999"
    data = text.encode()
    assert _loading._locate_bytes(data, {pointer}) is None  # past its budget it stops
    assert locate(data, {pointer}) == {pointer: Position(1, text.rindex("1,") + 1)}


def test_the_cli_gives_columns_in_characters_after_a_bom_and_past_a_repeated_key(cli, tmp_path, image):
    # One line: the column counts characters (Korean labels before), not the byte-order mark.
    bad = _bad(image)
    bad["annotations"].insert(0, {**bad["annotations"][1], "label": "차량"})
    text = json.dumps(bad, ensure_ascii=False)
    (tmp_path / "bom.json").write_bytes(b"\xef\xbb\xbf" + text.encode())
    # A repeated key before the fault (the loader reads the file; the last value counts).
    repeated = text.replace('{"', '{"file_id": "x", "', 1)
    (tmp_path / "repeated.json").write_text(repeated, encoding="utf-8")
    run = cli("validate", "--no-dataset", "--format", "json", tmp_path)
    by_path = run.by_path()
    for name, written in (("bom.json", text), ("repeated.json", repeated)):
        [found] = [d for d in by_path[str(tmp_path / name)]["diagnostics"] if d["rule"] == "schema.minLength"]
        assert found["pointer"] == "/annotations/1/label"
        assert (found["line"], found["column"]) == (1, written.index('"label": ""') + 1), name
