"""Positions on a file's bytes (_loading._locate_bytes, what check_item uses) with keys spelled as a
writer may spell them: every character escaped (\\uXXXX, a surrogate pair for a character beyond
the BMP, upper or lower hex), a solidus escaped (\\/), raw non-ASCII; object keys that are digits
(a pointer part that is an array index elsewhere), keys that begin another key, CRLF and tabs around
every token, a byte-order mark. Each must be where the token-by-token scanner finds it in the text
the loader reads; test_positions.py's generators write keys as json.dumps does only."""

from __future__ import annotations

import json
import random

from hypothesis import given, settings
from hypothesis import strategies as st

from aimmo_gt._loading import locate, scan

from .test_positions import _SCALARS, _in_text, _Object

_KEYS = st.sampled_from(
    ["a", "aa", "ab", "b", "0", "1", "00", "", "a/b", "/", "~", "~1", "é", "😀", "\u2028", 'q"', "k\\"]
)


def _values():
    """test_positions.py's values, with these keys."""
    members = st.tuples(_KEYS, st.deferred(_values))
    return _SCALARS | st.lists(st.deferred(_values), max_size=3) | st.lists(members, max_size=3).map(_Object)


def _escaped(key: str, upper: bool) -> str:
    """`key` as a JSON string with every character escaped (a surrogate pair beyond the BMP)."""
    units = key.encode("utf-16-be")
    hexes = (f"{units[i] << 8 | units[i + 1]:04x}" for i in range(0, len(units), 2))
    return '"' + "".join(f"\\u{h.upper() if upper else h}" for h in hexes) + '"'


def _key(key: str, rng: random.Random) -> str:
    style = rng.randrange(5)
    if style == 0:
        return json.dumps(key)
    if style == 1:
        return json.dumps(key, ensure_ascii=False)
    if style in (2, 3):
        return _escaped(key, style == 3)
    return json.dumps(key, ensure_ascii=False).replace("/", "\\/")


def _written(value, rng: random.Random) -> str:
    def space() -> str:
        return rng.choice(["", "", " ", "\n", "\r\n", "\t"])

    if isinstance(value, _Object):
        members = (f"{space()}{_key(k, rng)}{space()}:{space()}{_written(v, rng)}{space()}" for k, v in value)
        return "{" + ",".join(members) + space() + "}"
    if isinstance(value, list):
        return "[" + ",".join(space() + _written(v, rng) + space() for v in value) + space() + "]"
    return json.dumps(value, ensure_ascii=rng.random() < 0.5)


@settings(max_examples=400, deadline=None)
@given(
    _values().filter(lambda v: isinstance(v, list | _Object)),
    st.booleans(),
    st.randoms(use_true_random=False),
)
def test_the_walk_on_bytes_finds_keys_however_they_are_spelled(value, bom, rng):
    text = _written(value, rng)
    data = (b"\xef\xbb\xbf" if bom else b"") + text.encode()
    every = [event.pointer for event in scan(text) if event.kind != "close"]
    one = set(rng.sample(every, min(1, len(every))))  # a single member: found by one_member
    some = set(rng.sample(every, min(3, len(every))))
    for wanted in ({*every, "/01", "/-1", "/0/"}, one, some):
        assert locate(data, wanted) == _in_text(data, wanted)


def test_a_key_spelled_with_escapes_is_located_at_its_first_spelling():
    # "a" spelled \u0061 first, then plainly (msgspec keeps the last value, the scanner the first
    # place); a digit key in an object; a solidus escaped; a surrogate pair.
    text = '{"\\u0061": {"0": [1, {"\\/": 2}]}, "a": 3, "\\ud83d\\ude00": [4]}'
    data = text.encode()
    wanted = {"/a", "/a/0/1/~1", "/😀/0"}
    expected = _in_text(data, wanted)
    assert {pointer: (p.line, p.column) for pointer, p in expected.items()} == {
        "/a": (1, 2),
        "/a/0/1/~1": (1, 23),
        "/😀/0": (1, 60),
    }
    assert locate(data, wanted) == expected
    for pointer in wanted:  # each alone (one_member), whether the bytes' walk answers or declines
        assert locate(data, {pointer}) == {pointer: expected[pointer]}
