"""Hypothesis strategies for GT documents, made from the schemas' generation view."""

from __future__ import annotations

import json
import math
import os
import pickle
import re

import hypothesis_jsonschema._from_schema as _hjs
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis_jsonschema import from_schema

from aimmo_gt._api import PROFILES
from aimmo_gt._generation import satisfy, structural_view

#: The schemas fuzzed: every profile, and the union (document.json, None).
TARGETS = (*PROFILES, None)

#: AIMMO_GT_FUZZ=deep runs 10x the examples (nightly), with larger documents and a random seed.
DEEP = os.environ.get("AIMMO_GT_FUZZ", "").lower() == "deep"
SCALE = 10 if DEEP else 1

#: Every document a test made (generated, mutated, or arbitrary), for the budget line of the summary.
MADE = {"documents": 0}


def fuzz_settings(examples: int, **overrides) -> settings:
    """Settings of one property: `examples` by default, 10x with AIMMO_GT_FUZZ=deep.

    The default run is derandomized and has no example database, so CI runs are reproducible and
    a failure is the same on every machine; the deep run explores new seeds (the seed is printed
    with a failure, and print_blob gives the @reproduce_failure line).
    """
    return settings(
        max_examples=examples * SCALE,
        derandomize=not DEEP,
        database=None,
        deadline=None,
        print_blob=True,
        # Documents are large draws by design; generation speed is budgeted by the test sizes.
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
        **overrides,
    )


# hypothesis-jsonschema 0.23.1 (pinned) converts every property's schema to a strategy again at
# every draw of an object, re-canonicalising it each time: 70% of the generation time. The
# conversion is a pure function of the (JSON) schema, so it is memoised here.
_convert = _hjs.__from_schema
_converted: dict[tuple[str, int, int], object] = {}


def _memoised(schema, *, alphabet, custom_formats):
    key = (json.dumps(schema, sort_keys=True), id(alphabet), id(custom_formats))
    if key not in _converted:
        _converted[key] = _convert(schema, alphabet=alphabet, custom_formats=custom_formats)
    return _converted[key]


_hjs.__from_schema = _memoised

_UUID = "[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"

#: Our formats (aimmo_gt._formats), as strategies of conforming strings.
FORMATS = {
    "objectid": st.from_regex(r"\A[0-9a-f]{24}\Z"),
    "annotation-id": st.from_regex(rf"\A(?:[0-9]+-)?{_UUID}\Z"),
}

#: Sizes of unbounded arrays, objects and strings in generated documents. The schemas allow any
#: size; these keep a document to about 1 KB so that the budget buys many documents rather than
#: long ones (a long string or a 500-point polygon exercises nothing a short one does not).
LIMITS = {"items": 8, "properties": 5, "length": 24} if DEEP else {"items": 4, "properties": 3, "length": 8}


def _types(schema: dict) -> set[str]:
    kind = schema.get("type", [])
    return {kind} if isinstance(kind, str) else set(kind)


def limited(node):
    """The view with the LIMITS added where the schemas set no upper bound."""
    if isinstance(node, list):
        return [limited(item) for item in node]
    if not isinstance(node, dict):
        return node
    out = {}
    for name, value in node.items():
        if name in ("enum", "const", "required", "dependencies"):
            out[name] = value
        elif name == "properties":
            out[name] = {k: limited(v) for k, v in value.items()}
        else:
            out[name] = limited(value)
    types = _types(out)
    if "array" in types and "maxItems" not in out:
        out["maxItems"] = max(LIMITS["items"], out.get("minItems", 0))
    if "object" in types and "maxProperties" not in out:
        out["maxProperties"] = len(out.get("required", ())) + LIMITS["properties"]
    if "string" in types and not {"maxLength", "format", "pattern"} & out.keys():
        out["maxLength"] = max(LIMITS["length"], out.get("minLength", 0))
    return out


_structures: dict[tuple[str | None, bool], st.SearchStrategy] = {}


def structures(profile: str | None, rich: bool = False) -> st.SearchStrategy:
    """Documents that satisfy the profile's structure (not yet its semantic keywords); `rich` ones
    have several annotations, so that one document has many places to mutate."""
    if (profile, rich) not in _structures:
        view = limited(structural_view(profile))
        if rich:
            annotations = view["properties"]["annotations"]
            annotations["minItems"] = max(annotations.get("minItems", 0), RICH)
            annotations["maxItems"] = max(annotations["maxItems"], 2 * RICH)
        _structures[profile, rich] = from_schema(view, custom_formats=FORMATS)
    return _structures[profile, rich]


def _made(document):
    MADE["documents"] += 1
    return document


#: The fewest annotations of a rich document.
RICH = 3


def documents(profile: str | None, rich: bool = False) -> st.SearchStrategy:
    """Valid documents of a profile (None: of document.json), valid by construction."""
    return structures(profile, rich).map(lambda document: _made(satisfy(document, profile)))


def _grammar_strings() -> st.SearchStrategy[str]:
    # Strings near the grammars our keywords parse (masks, lasso indices, ids), including counts
    # around Python's 4300-digit limit on int(str), which a mask count can exceed.
    return st.one_of(
        st.text("0123456789TF-", max_size=16),
        st.builds(
            lambda n, end: "9" * n + end, st.integers(4290, 4310), st.sampled_from(["T", "F", "-1", ""])
        ),
        st.from_regex(rf"\A(?:[0-9]+-)?{_UUID}\Z"),
    )


def _numbers():
    return st.one_of(
        st.integers(),
        st.integers(-(10**400), 10**400),
        st.floats(allow_nan=True, allow_infinity=True),
        st.sampled_from([0, -0.0, 1.5, math.pi, 2**53 + 1, 1e308, -1e308, 5e-324]),
    )


_JSON_KEYS = st.one_of(
    st.text(max_size=6),
    st.sampled_from(
        [
            "type",
            "points",
            "mask",
            "bound",
            "start",
            "end",
            "text",
            "id",
            "metadata",
            "width",
            "height",
            "keypoints",
            "invisible_keys",
            "rect",
            "annotations",
            "indices",
        ]
    ),
)

#: Any JSON value Python's json module can produce (NaN and Infinity included: json.loads accepts them).
JSON = st.recursive(
    st.one_of(st.none(), st.booleans(), _numbers(), st.text(max_size=12), _grammar_strings()),
    lambda inner: st.one_of(st.lists(inner, max_size=5), st.dictionaries(_JSON_KEYS, inner, max_size=5)),
    max_leaves=25,
)


def pointer_parts(pointer: str) -> list[str]:
    if pointer == "":
        return []
    assert pointer.startswith("/"), pointer
    return [part.replace("~1", "/").replace("~0", "~") for part in pointer[1:].split("/")]


def resolves(document, pointer: str) -> bool:
    """True when an RFC 6901 pointer names a node of the document."""
    node = document
    for part in pointer_parts(pointer):
        if isinstance(node, dict) and part in node:
            node = node[part]
        elif isinstance(node, list) and re.fullmatch(r"0|[1-9][0-9]*", part) and int(part) < len(node):
            node = node[int(part)]
        else:
            return False
    return True


def fingerprint(value) -> bytes:
    """Bytes equal for equal JSON values, type, order and NaN included (== says NaN != NaN), and for
    integers too long for json.dumps (more than sys.get_int_max_str_digits() digits)."""
    return pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)


#: Values that replace one node of a valid document: any JSON value, and values shaped like what our
#: keywords read (points, boxes, masks, numbers at the edges), so that they get past the type guards.
_POINTS = st.lists(st.one_of(_numbers(), st.none(), st.text(max_size=2)), min_size=1, max_size=3)
#: By the JSON type of the node replaced ("any" for any node): values drawn before the document, and
#: picked by a seeded Random (see test_mutations.py for why).
CORRUPTIONS = st.fixed_dictionaries(
    {
        "any": JSON,
        "str": _grammar_strings(),
        "int": _numbers(),
        "float": _numbers(),
        "list": st.one_of(
            _POINTS, st.lists(_POINTS, min_size=1, max_size=5), st.lists(_numbers(), min_size=4, max_size=4)
        ),
        "dict": st.fixed_dictionaries(
            {},
            optional={
                "mask": _grammar_strings(),
                "bound": st.lists(_POINTS, max_size=3),
                "start": _numbers(),
                "end": _numbers(),
                "text": st.text(max_size=4),
                "keypoints": st.dictionaries(st.text(max_size=2), _POINTS),
                "invisible_keys": st.lists(st.one_of(st.text(max_size=2), _numbers()), max_size=3),
            },
        ),
    }
)
