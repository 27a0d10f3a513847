"""Both engines give the same report on inputs beyond the plain generated JSON of
tests/test_engines_equivalence.py: what a Python caller may pass to the API (subclasses of dict,
list, str, int and float, enums, tuples and sets, NaN, -0.0, integers beyond a float, a float where
an integer goes), and files with unknown properties named like the fields of other annotation
types, repeated keys, a byte-order mark, CRLF, under rules ignored. Each fast path may decline an
input (it costs speed); none may change a report. The generators are scripts/synthetic.py's, driven
by a seed hypothesis draws (its own random values lean to the smallest choices, which a document
of hundreds of parts reads as "change every part"; a failure names its seed).
"""

from __future__ import annotations

import enum
import json
import math
import random
import re
import sys
from collections import OrderedDict
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aimmo_gt import PROFILES, check

pytest.importorskip("msgspec", reason="the fast engine needs msgspec (extra `fast`)")
from aimmo_gt import _fast
from aimmo_gt._check import Options, check_item
from aimmo_gt._rules import MAX_DEPTH
from aimmo_gt._walk import Item

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scripts"))
import synthetic  # scripts/ is not a package

_SETTINGS = settings(
    max_examples=300,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
#: The rules ignored (tolerated by the fast engine when it can: _fast.TOLERABLE).
_IGNORED = (
    (),
    ("schema.unknown-property",),
    ("schema.unknown-property", "geometry."),
    ("schema.",),
    ("annotation.unique-id",),
    ("schema.minLength", "entity."),
    ("geometry.within-image",),
)
#: Unknown properties named like the fields of some annotation type (or of the document).
_NAMES = ("keypoints", "keypoints", "points", "attributes", "bound", "mask", "text", "colour", "metadata")


class _Int(int):
    pass


class _Float(float):
    pass


class _Str(str):
    pass


class _Dict(dict):
    pass


class _List(list):
    pass


def _nest(rng, levels: int) -> object:
    value = rng.choice([1, 10**400, "x", None, 1.5, []])
    for _ in range(levels):
        value = rng.choice([lambda v: {"a": v}, lambda v: [v], lambda v: _Dict(a=v), lambda v: _List([v])])(
            value
        )
    return value


def _unknown_value(rng, python: bool) -> object:
    if rng.random() < 0.3:  # nesting around what the loader takes (MAX_DEPTH levels in all)
        levels = rng.choice([3, 58, 59, 60, 61, 62, MAX_DEPTH])
        if python:
            return _nest(rng, levels)
        nested: object = 1
        for _ in range(levels):
            nested = [nested]
        return nested
    values: list = ["x" * rng.randrange(60), list(range(rng.randrange(60))), {"a": {"b": 1, "c": 2}}, {}]
    values += ["y" * rng.randrange(20, 80), [[1, 2]] * rng.randrange(20, 80)]
    values += [[{"k": 1, "j": 2}], 1e300, 10**25, None]
    if python:
        values += [{"q": (1, 2)}, {1, 2}, _Dict(a=10**400), _List([-(10**400)])]
    return rng.choice(values)


def _add_unknown(rng, document: dict, python: bool) -> None:
    """Unknown properties on the document or some annotations (the user may ignore them)."""
    annotations = document.get("annotations")
    targets = [document]
    if isinstance(annotations, list):
        targets += [a for a in annotations if isinstance(a, dict)]
    for _ in range(rng.randrange(1, 4)):
        target = rng.choice(targets)
        name = rng.choice(_NAMES)
        if name not in target:
            target[name] = _unknown_value(rng, python)


def _pythonic(rng, value: object, rate: float) -> object:
    """`value` with some of its parts replaced by what a Python caller may pass for them (about
    `rate` times as many as the choices below say: a document has hundreds of parts)."""
    roll = rng.random() / rate
    if isinstance(value, bool | _Dict | _List):
        return value  # (a subclass already: _unknown_value's)
    if isinstance(value, int):
        for below, made in (
            (0.08, lambda: _Int(value)),
            (0.14, lambda: enum.IntEnum("Side", {"V": value}).V),
            (0.17, lambda: float(value) if abs(value) < 2**1000 else value),
            (0.19, lambda: value * 10**20),
            (0.2, lambda: 10**400),
            (0.22, lambda: bool(value) if value in (0, 1) else value),
        ):
            if roll < below:
                return made()
        return value
    if isinstance(value, float):
        for below, made in (
            (0.04, lambda: -0.0),
            (0.06, lambda: math.nan),
            (0.08, lambda: -math.inf),
            (0.13, lambda: _Float(value)),
            (0.16, lambda: int(value) if value.is_integer() else value),
        ):
            if roll < below:
                return made()
        return value
    if isinstance(value, str):
        return _Str(value) if roll < 0.08 else value
    if isinstance(value, dict):
        items = {key: _pythonic(rng, item, rate) for key, item in value.items()}
        if roll < 0.04:
            return _Dict(items)
        if roll < 0.07:
            return OrderedDict(items)
        if roll < 0.08:
            items[_Str("k")] = 1
        return items
    if isinstance(value, list):
        items = [_pythonic(rng, item, rate) for item in value]
        if roll < 0.04:
            return _List(items)
        if roll < 0.06:
            return tuple(items)
        return items
    return value


def _document(rng, python: bool) -> tuple[dict, str]:
    resource = rng.choice(PROFILES)
    document = synthetic.document(rng, resource, rng.choice((0, 1, 3, 6, 12)))
    if rng.random() < 0.2:
        synthetic.break_document(rng, document, list(synthetic.FAULTS), rng.choice((1, 2)))
    if rng.random() < 0.2:
        document = synthetic.mutate(rng, document)
    if rng.random() < 0.6:
        _add_unknown(rng, document, python)
    return document, resource


def _full(result) -> tuple:
    return (
        result.profile,
        result.inferred,
        [(d.rule, d.severity, d.pointer, d.message) for d in result.diagnostics],
    )


@_SETTINGS
@given(st.integers(0, 2**32))
def test_python_values_in_a_document_get_the_reference_report(seed):
    rng = random.Random(seed)
    document, resource = _document(rng, python=True)
    metadata = document.get("metadata")
    if isinstance(metadata, dict) and "width" in metadata and rng.random() < 0.2:
        # A small image side of an int subclass: the points lie outside it.
        side = _Int(9) if rng.random() < 0.5 else enum.IntEnum("Side", {"V": 9}).V
        metadata[rng.choice(("width", "height"))] = side
    document = _pythonic(rng, document, rng.choice((0.001, 0.01, 0.1, 1.0)))
    options = {
        "profile": rng.choice((None, None, resource)),
        "ignore": rng.choice(_IGNORED),
        "purpose": rng.choice(("export", "export", "upload")),
    }
    reference = _full(check(document, engine="reference", **options))
    assert _full(check(document, engine="fast", **options)) == reference


def _repeat_a_key(rng, text: str) -> str:
    """The text with a key of some object written once more before itself (the loader keeps the last)."""
    keys = [match.start() for match in re.finditer(r'"[a-z_]+"\s*:', text)]
    if not keys:
        return text
    at = rng.choice(keys)
    key = text[at : text.index('"', at + 1) + 1]
    value = rng.choice(['"x"', '"x"', "1", "[]", "{}", "null"])
    return f"{text[:at]}{key}: {value}, {text[at:]}"


def _written(rng, document: dict) -> bytes:
    style = rng.randrange(5)
    if style == 0:
        text = json.dumps(document, separators=(",", ":"))
    elif style == 1:
        text = json.dumps(document, ensure_ascii=False)
    elif style == 2:
        text = json.dumps(document, indent=2, ensure_ascii=False)
    elif style == 3:
        text = json.dumps(document, indent=2).replace("\n", "\r\n")
    else:
        text = json.dumps(document, indent="\t").replace('": ', '" : ')
    for _ in range(rng.choice((0, 0, 1))):
        text = _repeat_a_key(rng, text)
    return (b"\xef\xbb\xbf" if rng.random() < 0.1 else b"") + text.encode()


@settings(_SETTINGS, max_examples=500)
@given(st.integers(0, 2**32))
def test_odd_files_get_the_reference_report_with_positions(seed):
    rng = random.Random(seed)
    if rng.random() < 0.3:
        _fast._LEARNED.clear()  # the unknown properties learned change only the speed
    document, resource = _document(rng, python=False)
    data = _written(rng, document)
    options = {
        "profile": rng.choice((None, None, resource)),
        "ignore": rng.choice(_IGNORED),
        "purpose": rng.choice(("export", "export", "upload")),
        "positions": True,
    }
    item = Item("doc.json", data=data)
    reference = check_item(item, Options(engine="reference", **options), 1 << 30)
    assert check_item(item, Options(engine="fast", **options), 1 << 30) == reference
