"""The fast engine's hand-written model (_fast.py) states exactly what the schema files state."""

from __future__ import annotations

import inspect
import json
import math
import re
from fnmatch import fnmatchcase
from itertools import combinations
from types import SimpleNamespace

import msgspec.inspect as mi
import pytest

from aimmo_gt import PROFILES, _fast, _formats
from aimmo_gt._keywords import KEYWORDS
from aimmo_gt._schemas import BASE_URI, VERSION, registry, schema, schema_files, schema_uri

# The facts of the schemas are derived here with a small walker (subschemas joined by $ref and
# allOf, merged as a conjunction) rather than asked of python-jsonschema: the point is to read what
# the files say, keyword by keyword, and to fail on any keyword the walker does not understand.

#: Keywords that say nothing about what a value may be.
ANNOTATIONS = {"$schema", "$id", "$defs", "$comment", "title", "description", "examples", "version"}
#: Keywords whose repeats (from $ref'd and allOf parts) merge to the tightest value.
LOWER = {"minimum": max, "exclusiveMinimum": max, "minItems": max, "minLength": max, "minProperties": max}
UPPER = {"maximum": min, "exclusiveMaximum": min, "maxItems": min, "maxLength": min, "maxProperties": min}
#: The facts compared with the fast model's scalar constraints (a missing minimum of 0 is absent).
SCALARS = ("type", *LOWER, *UPPER, "pattern", "format")
#: Subschemas compared recursively.
NESTED = ("items", "prefixItems", "additionalProperties", "propertyNames")
#: The image size used to check that withinImage "point" is compiled into the point type.
SIZE = (640, 480)

#: Schema constraints the fast model checks after the decode instead of in a struct type, by
#: (path, keyword) -> (the schema's value, why, a probe proving the check is there: True when it
#: holds). A path is `<struct>.<property>`; `*` matches any struct. Each entry must match a keyword
#: with that value, so an entry outliving its keyword, or a keyword whose value changes, fails.
POST_DECODE = {
    ("*.id", "format"): (
        "annotation-id",
        "one regular expression over all ids joined (_ids_ok, called by _clean) is cheaper than a "
        "msgspec pattern searched per id",
        lambda: (
            _fast._ids_ok(["1-48f557c0-3fff-4227-bd18-8574ff7f8ad0"])
            and not _fast._ids_ok(["48f557c0"])
            and not _fast._ids_ok(["48f557c0-3fff-4227-bd18-8574ff7f8ad0\n"])
            and "_ids_ok(" in inspect.getsource(_fast._clean)
        ),
    ),
    ("segmentation_mask.mask", "minLength"): (
        1,
        "runLength (a grammar no msgspec type states) is checked on all masks at once by "
        "_runs_totals, which also rejects the empty mask",
        lambda: _fast._runs_totals([""]) is None and _fast._runs_totals(["2T"]) == [2],
    ),
    ("lasso.indices", "minLength"): (
        1,
        "indexList (a grammar no msgspec type states) is checked on all lassos joined by "
        "_indices_ok, which also rejects the empty string wherever it is",
        lambda: (
            not any(map(_fast._indices_ok, ([""], ["", "1"], ["1", ""], ["1", "", "2"])))
            and _fast._indices_ok(["0-1", "2"])
        ),
    ),
    ("cuboid_plain.points", "not"): (
        {"minItems": 5, "maxItems": 5},
        "msgspec bounds a length, it cannot exclude one: _semantic rejects 5 points",
        lambda: (
            _probe_semantic("cuboid_plain", points=[(0, 0)] * 5) is None
            and _probe_semantic("cuboid_plain", points=[(0, 0)] * 6) == 0
        ),
    ),
    ("keypoint.invisible_keys", "uniqueItems"): (
        True,
        "msgspec has no unique-items list; _semantic compares the keys with their set (with keysOf)",
        lambda: (
            _probe_semantic("keypoint", keypoints={"a": (0, 0)}, invisible_keys=["a", "a"]) is None
            and _probe_semantic("keypoint", keypoints={"a": (0, 0)}, invisible_keys=["a"]) == 2
        ),
    ),
}

#: What _fast.py checks beyond the schemas (so a document passing the schema may go to the
#: reference engine: that costs time, never a verdict), by profile -> metadata keys.
FAST_STRICTER_METADATA = {
    # With no profile (the API's, when none can be inferred), the document schema takes width
    # without height, but _profile_fits wants both sides or none. (fps next to width or height is
    # refused by both: metadata.json's `not`.)
    None: {("width",), ("height",)},
}


def _probe_semantic(kind: str, **fields):
    """_fast._semantic on one annotation of `kind` given as its fields (no image size)."""
    annotation = SimpleNamespace(kind=kind, **fields)
    return _fast._semantic([annotation], [kind], {kind}, None)


# --- The schema side.


class Part:
    """A subschema with the resolver its relative $refs resolve against."""

    def __init__(self, node, resolver):
        self.node, self.resolver = node, resolver


def _resolver(path: str):
    return registry().resolver().lookup(schema_uri(path)).resolver


def parts_of(node, resolver) -> list[Part]:
    """The subschemas `node` is the conjunction of: itself, and its $ref and allOf parts, recursively
    (`true` adds nothing; `false` stays a part, for the caller to see)."""
    if node is True:
        return []
    if node is False:
        return [Part(False, resolver)]
    parts = [Part(node, resolver)]
    if "$ref" in node:
        resolved = resolver.lookup(node["$ref"])
        parts += parts_of(resolved.contents, resolved.resolver)
    for sub in node.get("allOf", ()):
        parts += parts_of(sub, resolver)
    return parts


def merge(parts: list[Part]) -> dict:
    """The keywords of a conjunction of subschemas. Subschema-valued keywords collect their parts;
    a keyword repeated with different values merges only where the tightest value is clear."""
    merged: dict = {}
    for part in parts:
        if part.node is False:
            merged["false"] = True
            continue
        for key, value in part.node.items():
            if key in ANNOTATIONS or key in ("$ref", "allOf"):
                continue
            if key == "type":
                types = {value} if isinstance(value, str) else set(value)
                merged["type"] = merged.get("type", types) & types
            elif key in LOWER or key in UPPER:
                merged[key] = (LOWER | UPPER)[key](merged[key], value) if key in merged else value
            elif key == "required":
                merged["required"] = merged.get("required", set()) | set(value)
            elif key == "properties":
                props = merged.setdefault("properties", {})
                for name, sub in value.items():
                    props.setdefault(name, []).extend(parts_of(sub, part.resolver))
            elif key in ("items", "additionalProperties", "propertyNames"):
                merged.setdefault(key, []).extend(parts_of(value, part.resolver))
            elif key == "prefixItems":
                assert key not in merged, "prefixItems twice in one conjunction: the walker cannot merge it"
                merged[key] = [parts_of(sub, part.resolver) for sub in value]
            elif key in ("if", "then"):
                merged.setdefault("if/then", []).append(part)
                break  # an if/then part is read whole, as a tagged alternative
            else:
                assert merged.get(key, value) == value, f"{key} repeated with different values"
                merged[key] = value
    return merged


def _integer_bounds(facts: dict) -> dict:
    """Bounds of an integer as inclusive integers, the form msgspec's int takes (_fast._integer)."""
    low = [math.ceil(facts["minimum"])] if "minimum" in facts else []
    low += [math.floor(facts["exclusiveMinimum"]) + 1] if "exclusiveMinimum" in facts else []
    high = [math.floor(facts["maximum"])] if "maximum" in facts else []
    high += [math.ceil(facts["exclusiveMaximum"]) - 1] if "exclusiveMaximum" in facts else []
    rest = {
        k: v
        for k, v in facts.items()
        if k not in ("minimum", "exclusiveMinimum", "maximum", "exclusiveMaximum")
    }
    return rest | ({"minimum": max(low)} if low else {}) | ({"maximum": min(high)} if high else {})


class Walk:
    """One comparison of the schemas with the fast model: the mismatches found, and the
    POST_DECODE entries used."""

    def __init__(self, size: tuple[int, int] | None):
        self.size = size
        self.mismatches: list[str] = []
        self.excepted: dict[tuple[str, str], object] = {}
        self.bounded: list[str] = []  # where withinImage "point" bounds a point by the size
        self.bounded_corners: list[str] = []  # where withinImage "bound" bounds a mask bound's corners

    def differ(self, path: str, what: str, schema_says, fast_says) -> None:
        self.mismatches.append(
            f"{path}: {what}: the schema says {schema_says!r}, _fast.py says {fast_says!r}"
        )

    # The schema's facts of one value (not an object with properties, not a tagged union).
    def schema_facts(self, merged: dict, path: str, tuple_length: int | None = None) -> tuple[dict, dict]:
        facts, nested = {}, {}
        if "format" in merged and "pattern" in merged:
            # A pattern beside one of our formats states the format for engines that do not assert
            # formats; it must be the format's own (_formats.PATTERNS), and is compared as the format.
            merged = dict(merged)
            stated = merged.pop("pattern")
            if stated != _formats.PATTERNS.get(merged["format"]):
                self.differ(path, f"pattern beside format {merged['format']}", stated, "_formats.PATTERNS")
        for key, value in merged.items():
            hit = [k for k in POST_DECODE if k[1] == key and fnmatchcase(path, k[0])]
            if hit:
                self.excepted[(path, key)] = value
                if value != POST_DECODE[hit[0]][0]:
                    self.differ(
                        path,
                        f"{key} (checked after the decode, see POST_DECODE)",
                        value,
                        POST_DECODE[hit[0]][0],
                    )
            elif key in KEYWORDS:
                continue  # compared with _fast.VOCABULARY in test_vocabulary_keywords
            elif key in SCALARS:
                facts[key] = value
            elif key in NESTED:
                nested[key] = value
            else:
                self.mismatches.append(
                    f"{path}: keyword {key}={value!r} is compared with nothing: teach "
                    "this test how _fast.py states it, or add it to POST_DECODE with the reason"
                )
        if (
            tuple_length is not None
            and "items" in nested
            and "prefixItems" not in nested
            and facts.get("minItems") == facts.get("maxItems") == tuple_length
        ):
            # Exactly N items of one schema (defs/point.json: `items` number, 2 of them, which engines
            # that ignore a root `prefixItems` read too) state what an N-tuple of it states: the
            # fast model's point type.
            nested["prefixItems"] = [nested.pop("items")] * tuple_length
        if merged.get("withinImage") == "point" and self.size is not None:
            # withinImage "point" is compiled into the point type of decoder(size): x in [0, width], ...
            # (A point that is not a pair fails on prefixItems length; only its first two are bounded.)
            self.bounded.append(path)
            sides = [*self.size, *[None] * len(nested["prefixItems"])]
            nested["prefixItems"] = [
                parts + ([Part({"minimum": 0, "maximum": side}, None)] if side is not None else [])
                for parts, side in zip(nested["prefixItems"], sides, strict=False)
            ]
        if merged.get("withinImage") == "bound" and self.size is not None:
            # withinImage "bound" is compiled into the corner type of decoder(size): each corner is
            # [y, x] (y first, as AIMMO's annotator writes a bound), y in [0, height], x in [0, width].
            self.bounded_corners.append(path)
            width, height = self.size
            nested["items"] = [
                Part(
                    {
                        **part.node,
                        "prefixItems": [
                            {"allOf": [sub, {"minimum": 0, "maximum": side}]}
                            for sub, side in zip(part.node["prefixItems"], (height, width), strict=True)
                        ],
                    },
                    part.resolver,
                )
                if isinstance(part.node, dict) and "prefixItems" in part.node
                else part
                for part in nested["items"]
            ]
        if "propertyNames" in nested:
            nested["propertyNames"] = [Part({"type": "string"}, None), *nested["propertyNames"]]
        for key in ("minLength", "minItems", "minProperties"):
            if facts.get(key) == 0:
                del facts[key]
        if facts.get("type") and facts["type"] & {"integer", "number"} == {"integer"}:
            facts = _integer_bounds(facts)
        return facts, nested

    # The fast model's facts of one msgspec type.
    def fast_facts(self, t, path: str) -> tuple[dict, dict]:
        members = t.types if isinstance(t, mi.UnionType) else (t,)
        facts: dict = {"type": set()}
        nested: dict = {}

        def put(key, value):
            if value is not None:
                facts[key] = value

        ints = [m for m in members if isinstance(m, mi.IntType)]
        floats = [m for m in members if isinstance(m, mi.FloatType)]
        if floats:  # a number: msgspec keeps it int or float as parsed; the float half has the bounds
            (number,) = floats
            facts["type"].add("number")
            bounds = {
                "minimum": number.ge,
                "maximum": number.le,
                "exclusiveMinimum": number.gt,
                "exclusiveMaximum": number.lt,
            }
            for key, value in bounds.items():
                put(key, value)
            whole = _fast._integer(number.ge, number.le, number.gt, number.lt).__metadata__[0]
            if ints and (ints[0].ge, ints[0].le, ints[0].gt, ints[0].lt) != (whole.ge, whole.le, None, None):
                self.mismatches.append(
                    f"{path}: the int half of a number is not the float half's bounds "
                    f"made whole: {ints[0]} against {number}"
                )
        elif ints:
            (integer,) = ints
            facts["type"].add("integer")
            low = [
                b for b in (integer.ge, integer.gt + 1 if integer.gt is not None else None) if b is not None
            ]
            high = [
                b for b in (integer.le, integer.lt - 1 if integer.lt is not None else None) if b is not None
            ]
            # The 64-bit limits are msgspec's (a wider integer goes to the reference), not the schema's.
            if low and max(low) != _fast._INT_MIN:
                facts["minimum"] = max(low)
            if high and min(high) != _fast._INT_MAX:
                facts["maximum"] = min(high)
        for m in members:
            if isinstance(m, mi.IntType | mi.FloatType):
                if m.multiple_of is not None:
                    put("multipleOf", m.multiple_of)
            elif isinstance(m, mi.StrType):
                facts["type"].add("string")
                put("minLength", m.min_length)
                put("maxLength", m.max_length)
                if m.pattern in FORMAT_PATTERNS:
                    facts["format"] = FORMAT_PATTERNS[m.pattern]
                else:
                    put("pattern", m.pattern)
            elif isinstance(m, mi.ListType):
                facts["type"].add("array")
                put("minItems", m.min_length)
                put("maxItems", m.max_length)
                nested["items"] = m.item_type
            elif isinstance(m, mi.TupleType):
                facts["type"].add("array")
                facts["minItems"] = facts["maxItems"] = len(m.item_types)
                nested["prefixItems"] = m.item_types
            elif isinstance(m, mi.DictType):
                facts["type"].add("object")
                put("minProperties", m.min_length)
                put("maxProperties", m.max_length)
                nested["additionalProperties"] = m.value_type
                nested["propertyNames"] = m.key_type
            elif isinstance(m, mi.NoneType):
                facts["type"].add("null")
            elif isinstance(m, mi.BoolType):
                facts["type"].add("boolean")
            else:
                self.mismatches.append(
                    f"{path}: _fast.py has a {type(m).__name__}, which this test cannot read"
                )
        for key in ("minLength", "minItems", "minProperties"):
            if facts.get(key) == 0:
                del facts[key]
        return facts, nested

    def value(self, parts: list[Part], t, path: str) -> None:
        """Compare a value's subschemas with its msgspec type."""
        merged = merge(parts)
        if "false" in merged:
            self.mismatches.append(f"{path}: the schema forbids it (false), _fast.py has a field for it")
            return
        if "if/then" in merged:
            self.tagged(merged, t, path)
            return
        if "properties" in merged:
            if not isinstance(t, mi.StructType):
                self.differ(path, "shape", "an object with properties", type(t).__name__)
                return
            self.struct(merged, t, path)
            return
        tuple_length = len(t.item_types) if isinstance(t, mi.TupleType) else None
        facts, nested = self.schema_facts(merged, path, tuple_length)
        fast, fast_nested = self.fast_facts(t, path)
        if isinstance(t, mi.DictType) and "propertyNames" not in nested:
            nested["propertyNames"] = [Part({"type": "string"}, None)]  # a name is a string
        for key in sorted(set(facts) | set(fast)):
            if facts.get(key) != fast.get(key):
                self.differ(path, key, facts.get(key), fast.get(key))
        for key in NESTED:
            if (key in nested) != (key in fast_nested):
                self.differ(
                    path,
                    key,
                    "present" if key in nested else "absent",
                    "present" if key in fast_nested else "absent",
                )
            elif key not in nested:
                continue
            elif key == "prefixItems":
                if len(nested[key]) != len(fast_nested[key]):
                    self.differ(path, "prefixItems length", len(nested[key]), len(fast_nested[key]))
                else:
                    for i, (sub, item) in enumerate(zip(nested[key], fast_nested[key], strict=True)):
                        self.value(sub, item, f"{path}[{i}]")
            else:
                suffix = {"items": "[]", "additionalProperties": "{}", "propertyNames": "{name}"}[key]
                self.value(nested[key], fast_nested[key], path + suffix)

    def tagged(self, merged: dict, t, path: str) -> None:
        """An array item checked by the schema of its `type` (if/then) against a tagged union."""
        branches = {}
        for part in merged["if/then"]:
            condition = merge(parts_of(part.node["if"], part.resolver))
            (tag_field,) = condition["properties"]
            tag = merge(condition["properties"][tag_field])["const"]
            branches[tag] = parts_of(part.node["then"], part.resolver)
        structs = {m.tag: m for m in getattr(t, "types", ())}
        # A keyword of our vocabulary on the union (typeAliases) is compared in test_vocabulary_keywords.
        other = set(merged) - {"type", "required", "properties", "if/then"} - set(KEYWORDS)
        if (
            other
            or merged.get("type") != {"object"}
            or set(merged["properties"]) != {tag_field}
            or (merged.get("required", {tag_field}) != {tag_field})
        ):
            self.mismatches.append(
                f"{path}: the tagged union says more than its tag, which this test cannot read"
            )
        enum = merge(merged["properties"][tag_field])["enum"]
        if set(enum) != set(branches):
            self.differ(
                path, f"{tag_field} enum against the if/then branches", sorted(enum), sorted(branches)
            )
        if set(branches) != set(structs):
            self.differ(path, "annotation types", sorted(branches), sorted(structs))
        for m in structs.values():
            if m.tag_field != tag_field:
                self.differ(path, "tag field", tag_field, m.tag_field)
        for tag in sorted(set(branches) & set(structs)):
            self.value(branches[tag], structs[tag], tag)

    def struct(self, merged: dict, t, path: str) -> None:
        """An object with properties against a msgspec Struct."""
        fields = {f.encode_name: f for f in t.fields}
        names, required = set(merged["properties"]), merged.get("required", set())
        tag = {t.tag_field} if t.tag_field else set()
        if merged.get("type") != {"object"}:
            self.differ(path, "type", merged.get("type"), {"object"})
        closed = any(p.node is False for p in merged.get("additionalProperties", ()))
        if closed != t.forbid_unknown_fields:
            self.differ(
                path, "additionalProperties false / forbid_unknown_fields", closed, t.forbid_unknown_fields
            )
        if names != set(fields) | tag:
            self.differ(path, "property names", sorted(names), sorted(set(fields) | tag))
        fast_required = {name for name, f in fields.items() if f.required} | tag
        if required != fast_required:
            self.differ(path, "required", sorted(required), sorted(fast_required))
        if tag:
            (field,) = tag
            facts = merge(merged["properties"][field])
            if facts.get("const") != t.tag or t.tag not in facts.get("enum", (t.tag,)):
                self.differ(path, f"{field} (the tag)", facts.get("const"), t.tag)
        for key in set(merged) - {"type", "properties", "required", "additionalProperties"}:
            if key == "not" and path.endswith(".metadata"):
                continue  # which metadata keys go together is compared by test_profile_metadata
            if key not in KEYWORDS:  # a keyword on the object itself is compared in test_vocabulary
                self.mismatches.append(f"{path}: keyword {key} on the object is compared with nothing")
        for name in sorted(names & set(fields)):
            self.value(merged["properties"][name], fields[name].type, f"{path}.{name}")


#: The fast model's patterns that state one of our formats (see test_formats_agree).
FORMAT_PATTERNS = {_fast._OBJECT_ID: "objectid"}


def _walk(size):
    walk = Walk(size)
    document = mi.type_info(_fast.decoder(size).type)
    walk.value(parts_of(schema("document.json"), _resolver("document.json")), document, "document")
    return walk


@pytest.fixture(scope="module", params=[None, SIZE], ids=["no-size", "size"])
def walk(request):
    return _walk(request.param)


def _scoped(walk: Walk, prefix: str) -> list[str]:
    return [m for m in walk.mismatches if m.split(":")[0].split(".")[0].split("[")[0].split("{")[0] == prefix]


def _tags() -> list[str]:
    return schema("defs/annotation.json")["properties"]["type"]["enum"]


@pytest.mark.parametrize("struct", ["document", *_tags()])
def test_struct_matches_its_schema(walk, struct):
    """Property names, required, types, bounds, lengths, patterns and formats agree, field by field
    (the document's metadata inside `document`); decoder(size) also bounds every point by the size."""
    mismatches = _scoped(walk, struct)
    assert not mismatches, "\n".join(mismatches)


def test_nothing_else_differs(walk):
    """Every mismatch belongs to a struct reported above (none is lost by the grouping)."""
    scoped = {m for s in ["document", *_tags()] for m in _scoped(walk, s)}
    assert set(walk.mismatches) == scoped


def test_post_decode_exceptions_are_used_and_checked():
    """Every POST_DECODE entry names a schema keyword that exists (with its value) and a check that
    _fast.py really makes after the decode."""
    used = _walk(None).excepted
    for (pattern, keyword), (_value, reason, probe) in POST_DECODE.items():
        assert any(k == keyword and fnmatchcase(p, pattern) for p, k in used), (
            f"POST_DECODE {(pattern, keyword)} matches no schema keyword any more: remove it"
        )
        assert probe(), f"POST_DECODE {(pattern, keyword)}: the check after the decode is gone ({reason})"


def test_annotation_id_format_on_every_annotation():
    """The `*.id` entry covers the id of all 13 annotation types, not only some."""
    used = _walk(None).excepted
    covered = {p for p, k in used if k == "format" and p.endswith(".id")}
    assert covered == {f"{t}.id" for t in _tags()}, f"the annotation-id format is on {sorted(covered)} only"


def test_formats_agree():
    """The fast model's format patterns are those of _formats.py (anchored for re.search)."""
    assert rf"\A{_formats._OBJECT_ID.pattern}\Z" == _fast._OBJECT_ID
    assert _fast._UUID == _formats._UUID
    assert _fast._ANNOTATION_IDS.pattern.count(_formats._UUID) == 2


def test_the_quick_uuid_test_says_what_the_annotation_id_format_says():
    """_ids_ok's quick test (slices of the joined ids) passes only ids the format passes, and
    _ids_ok answers as the regular expression on every id list, near misses included."""
    import random
    import uuid

    rng = random.Random(5)
    good = [str(uuid.UUID(int=rng.getrandbits(128))) for _ in range(40)]
    near = [
        good[0].upper(),
        "7-" + good[1],
        "07-" + good[1],
        good[2][:-1],
        good[3] + "0",
        good[4].replace("-", "", 1) + "0",
        good[5][:8] + "0" + good[5][9:],  # a digit where a dash goes
        good[6][:5] + "g" + good[6][6:],
        good[7][:5] + "\u0660" + good[7][6:],  # an Arabic-Indic zero: a digit, not a hex digit
        good[8][: 36 - 1] + "\n",
        "",
    ]

    def by_expression(ids):
        joined = "\n".join(ids)
        return joined.count("\n") == len(ids) - 1 and _fast._ANNOTATION_IDS.fullmatch(joined) is not None

    quick = 0
    for ids in [good, good[:1], *([*good[:9], bad, *good[9:]] for bad in near), *([bad] for bad in near)]:
        joined = "\n".join(ids)
        if _fast._plain_uuids(joined, len(ids)):
            quick += 1
            assert by_expression(ids), ids
        assert _fast._ids_ok(ids) == by_expression(ids), ids
    assert quick >= 3  # the quick test was taken (the upper-case one and the good lists)


def test_masks_of_integer_bounds_are_checked_at_once_as_one_by_one():
    """_masks' check of all integer bounds at once gives each mask _mask_fits's answer."""
    import random

    rng = random.Random(6)
    totals, bounds = [], []
    for _ in range(2000):
        top, left = rng.randint(-5, 50), rng.randint(-5, 50)
        bottom, right = top + rng.randint(-3, 30), left + rng.randint(-3, 30)
        width, height = right - left, bottom - top
        total = rng.choice(
            [width * height, (width + 1) * (height + 1), width * height + 1, rng.randint(1, 900)]
        )
        totals.append(total)
        bounds.append([(top, left), (bottom, right)])
    expected = list(map(_fast._mask_fits, totals, bounds))
    assert _fast._integer_masks_fit(totals, bounds) == expected
    assert 200 < expected.count(True) < 1800  # both answers are well represented
    assert _fast._integer_masks_fit([4], [[(0, 0), (2.0, 2)]]) is None  # a float: one by one


# --- The counts the duplicate-key check rests on: one too many would let a repeated key through.


def _required(path: str) -> set:
    return merge(parts_of(schema(path), _resolver(path))).get("required", set())


def test_required_key_counts():
    required = _required("document.json")
    assert len(required) == _fast._DOCUMENT_REQUIRED, (
        f"_DOCUMENT_REQUIRED: document.json requires {sorted(required)}"
    )
    counts = {tag: len(_required(f"annotations/{tag}.json")) for tag in _tags()}
    differ = {
        tag: (n, _fast._ANNOTATION_KEYS.get(tag))
        for tag, n in counts.items()
        if n != _fast._ANNOTATION_KEYS.get(tag)
    }
    assert not differ and counts.keys() == _fast._ANNOTATION_KEYS.keys(), (
        f"_ANNOTATION_KEYS against the required keys of each type (schema, _fast.py): {differ}"
    )


def test_document_optional_fields():
    """_DOCUMENT_OPTIONAL reads every optional document property (it counts the keys present)."""

    class Names:
        def __init__(self):
            self.names = []

        def __getattr__(self, name):
            self.names.append(name)

    names = Names()
    _fast._DOCUMENT_OPTIONAL(names)
    document = merge(parts_of(schema("document.json"), _resolver("document.json")))
    assert set(names.names) == set(document["properties"]) - document["required"]


# --- The vocabulary.


def _keyword_uses():
    """(file, JSON pointer, keyword) -> value, for every vocabulary keyword in the schema files."""

    def walk(node, pointer, names_only=False):
        if isinstance(node, dict):
            for key, value in node.items():
                if names_only:  # the keys of `properties` and `$defs` are names, not keywords
                    yield from walk(value, f"{pointer}/{key}")
                    continue
                if key in KEYWORDS:
                    yield pointer, key, value
                elif key in ("properties", "$defs", "patternProperties", "dependentSchemas"):
                    yield from walk(value, f"{pointer}/{key}", names_only=True)
                elif key not in ("examples", "const", "enum", "default"):
                    yield from walk(value, f"{pointer}/{key}")
        elif isinstance(node, list):
            for i, value in enumerate(node):
                yield from walk(value, f"{pointer}/{i}")

    uses = {}
    for uri, path in schema_files().items():
        name = uri.removeprefix(f"{BASE_URI}{VERSION}/")
        if name.startswith("meta/"):
            continue
        for pointer, keyword, value in walk(json.loads(path.read_text(encoding="utf-8")), ""):
            uses[(name, pointer, keyword)] = value
    return uses


def test_vocabulary_keywords():
    """Every use of a vocabulary keyword in the schemas is in _fast.VOCABULARY with its value, and
    nothing else is."""
    uses = _keyword_uses()
    table = {where: value for where, (value, _check) in _fast.VOCABULARY.items()}
    missing = sorted(set(uses) - set(table))
    assert not missing, f"keywords used by the schemas that _fast.VOCABULARY does not name: {missing}"
    stale = sorted(set(table) - set(uses))
    assert not stale, f"_fast.VOCABULARY names keyword uses the schemas no longer have: {stale}"
    changed = {where: (uses[where], table[where]) for where in uses if uses[where] != table[where]}
    assert not changed, f"keyword values changed (schema, _fast.VOCABULARY): {changed}"
    # Every keyword of the vocabulary used at all is covered; the check of each use is on the path.
    assert {k for _f, _p, k in uses} <= set(KEYWORDS)


def test_vocabulary_checks_are_on_the_path():
    """Each function VOCABULARY names is _fast.py's own, and is called when a document is checked."""
    # _semantic calls the check of each annotation type of its table.
    assert "_SEMANTIC[kind](" in inspect.getsource(_fast._semantic)
    table = set(_fast._SEMANTIC.values())
    sources = (
        inspect.getsource(_fast._clean)
        + inspect.getsource(_fast._semantic)
        + inspect.getsource(_fast._clean_bytes)
        + inspect.getsource(_fast._clean_document)
        + inspect.getsource(_fast._decode)
        + "".join(map(inspect.getsource, table))
    )
    path = "\n".join(line for line in sources.splitlines() if not line.lstrip().startswith("def "))
    for where, (_value, check) in _fast.VOCABULARY.items():
        assert getattr(_fast, check.__name__) is check, where
        assert check in table or re.search(rf"\b{check.__name__}\b", path), (
            f"{where}: {check.__name__} is not called by the fast engine"
        )


def test_within_image_point_is_compiled_per_size():
    """The struct tests with a size compare the points of every annotation type made of points with
    bounds [0, width] x [0, height] (withinImage "point"); without a size, with none."""
    bounded = _walk(SIZE).bounded
    with_points = {
        tag for tag in _tags() if "defs/point.json" in json.dumps(schema(f"annotations/{tag}.json"))
    }
    assert {path.split(".")[0] for path in bounded} == with_points
    assert _walk(None).bounded == []


def test_within_image_bound_is_compiled_per_size_y_first():
    """A mask's bound is [[y1, x1], [y2, x2]] (DECISIONS: AIMMO's annotator writes it y first): the
    struct test with a size compares its corners with bounds [0, height] x [0, width]."""
    assert _walk(SIZE).bounded_corners == ["segmentation_mask.bound"]
    assert _walk(None).bounded_corners == []
    width, height = SIZE
    mask = {
        "id": "1-5ca0fc23-027c-4a50-a8d3-0107529bcb91",
        "type": "segmentation_mask",
        "label": "car",
        "attributes": {},
    }

    def clean(bound):
        # The fast engine passes the corner [y, x] = [height, width] and not [width, height].
        document = {
            "annotations": [
                {
                    **mask,
                    "mask": f"{(bound[1][0] - bound[0][0]) * (bound[1][1] - bound[0][1])}T",
                    "bound": bound,
                }
            ],
            "attributes": {},
            "file_id": "620aea6c1e3c3ccd9cfd8bc9",
            "filename": "a",
            "parent_path": "/",
            "metadata": {"width": width, "height": height},
        }
        return _fast.clean_document(document, None)[0]

    assert clean([[0, 0], [height, width]])
    assert not clean([[0, 0], [width, height]])


# --- The profiles.

PROFILE_KEYS = {
    "$schema",
    "$id",
    "allOf",
    "title",
    "description",
    "examples",
    "type",
    "properties",
    "required",
}


def _profile(profile: str) -> dict:
    """What a profile narrows, read strictly: a narrowing this test does not know fails it."""
    contents = schema(f"profiles/{profile}.json")
    assert set(contents) <= PROFILE_KEYS, f"{profile}: unknown keywords {set(contents) - PROFILE_KEYS}"
    # The document schema inside allOf, not beside: VS Code's JSON service ignores a $ref's siblings.
    assert contents["allOf"] == [{"$ref": "../document.json"}]
    properties = contents["properties"]
    unknown = "{}: profiles/{}.json narrows {} too: teach _profile() how _fast._profile_fits states it"
    known = {"annotations", "metadata", "scene_id"}
    assert set(properties) <= known, unknown.format(profile, profile, sorted(set(properties) - known))
    items = properties["annotations"]["items"]
    known = {"type", "properties", "required"}
    assert set(items) <= known, unknown.format(
        profile, profile, f"annotations/items {sorted(set(items) - known)}"
    )
    known = {"type", "track_id"}
    assert set(items["properties"]) <= known, unknown.format(
        profile, profile, f"annotation properties {sorted(set(items['properties']) - known)}"
    )
    required = set(contents.get("required", ()))
    return {
        "types": items["properties"]["type"]["enum"],
        "scene_id": _presence(properties.get("scene_id", True) is False, "scene_id" in required),
        "track_id": _presence(
            items["properties"].get("track_id", True) is False, "track_id" in items.get("required", ())
        ),
        "metadata": parts_of(schema("document.json")["properties"]["metadata"], _resolver("document.json"))
        + parts_of(properties["metadata"], _resolver(f"profiles/{profile}.json")),
    }


def _presence(forbidden: bool, required: bool) -> str:
    return {(True, False): "forbidden", (False, True): "required", (False, False): "free"}.get(
        (forbidden, required), "required and forbidden"
    )


def _accepts_keys(parts: list[Part], keys: tuple) -> bool:
    """Whether an object schema accepts an object with these keys (the values being valid)."""
    merged = merge(parts)
    known = {"type", "properties", "required", "additionalProperties", "maxProperties", "not"}
    assert set(merged) <= known, f"metadata narrowed by {set(merged) - known}: teach _accepts_keys"
    if "not" in merged and _has_keys(merged["not"], keys):
        return False
    forbidden = {n for n, sub in merged.get("properties", {}).items() if any(p.node is False for p in sub)}
    closed = any(p.node is False for p in merged.get("additionalProperties", ()))
    return (
        merged.get("required", set()) <= set(keys)
        and not forbidden & set(keys)
        and len(keys) <= merged.get("maxProperties", len(keys))
        and not (closed and set(keys) - set(merged.get("properties", {})))
    )


def _has_keys(condition: dict, keys: tuple) -> bool:
    """Whether an object with these keys satisfies a condition made of `required` and `anyOf`."""
    known = {"required", "anyOf", "properties", "description"}
    assert set(condition) <= known, f"a `not` of {set(condition)}: teach _has_keys"
    # (`properties` may only list the required names as `true`, as strict engines want them listed.)
    assert all(value is True for value in condition.get("properties", {}).values())
    return set(condition.get("required", ())) <= set(keys) and (
        "anyOf" not in condition or any(_has_keys(branch, keys) for branch in condition["anyOf"])
    )


METADATA_KEYS = ("width", "height", "fps")
SUBSETS = [keys for n in range(4) for keys in combinations(METADATA_KEYS, n)]


def test_profiles_are_the_files():
    files = {uri.rsplit("/", 1)[1].removesuffix(".json") for uri in schema_files() if "/profiles/" in uri}
    assert set(_fast.PROFILE_TYPES) == files == set(PROFILES)


@pytest.mark.parametrize("profile", PROFILES)
def test_profile_types(profile):
    fast, allowed = set(_fast.PROFILE_TYPES[profile]), set(_profile(profile)["types"])
    assert fast == allowed, (
        f"PROFILE_TYPES[{profile!r}] against profiles/{profile}.json: only in _fast.py "
        f"{sorted(fast - allowed)}, only in the schema {sorted(allowed - fast)}"
    )
    assert _fast._PROFILE_KINDS[profile] == frozenset(_profile(profile)["types"])


@pytest.mark.parametrize("profile", PROFILES)
def test_profile_scene_id(profile):
    scene = _profile(profile)["scene_id"]
    fast = _presence(profile in _fast._SCENE_FORBIDDEN, profile in _fast._SCENE_REQUIRED)
    assert fast == scene, (
        f"{profile}: scene_id is {scene} in profiles/{profile}.json, {fast} in _fast.py "
        "(_SCENE_REQUIRED, _SCENE_FORBIDDEN)"
    )


def _metadata(keys) -> object:
    return _fast._Metadata(**{key: 1 for key in keys})


def _baseline(profile: str | None, facts: dict) -> tuple:
    """A document and metadata keys that the profile and _profile_fits accept, to vary one thing."""
    document = SimpleNamespace(scene_id="0" * 24 if facts["scene_id"] == "required" else _fast.UNSET)
    both = [
        keys
        for keys in SUBSETS
        if _accepts_keys(facts["metadata"], keys)
        and _fast._profile_fits(profile, document, _metadata(keys), set(), [])
    ]
    assert both, (
        f"{profile}: no metadata that the profile and _profile_fits both take (see test_profile_metadata)"
    )
    return document, both[0]


@pytest.mark.parametrize("profile", PROFILES)
def test_profile_track_id(profile):
    facts = _profile(profile)
    document, keys = _baseline(profile, facts)
    fits = {
        track: _fast._profile_fits(profile, document, _metadata(keys), set(), [value])
        for track, value in (("absent", _fast.UNSET), ("present", 1))
    }
    expected = {"absent": facts["track_id"] != "required", "present": facts["track_id"] != "forbidden"}
    assert fits == expected, (
        f"{profile}: track_id is {facts['track_id']} in profiles/{profile}.json, but _profile_fits takes "
        f"annotations without one: {fits['absent']}, with one: {fits['present']}"
    )


@pytest.mark.parametrize("profile", [*PROFILES, None])
def test_profile_metadata(profile):
    """_profile_fits takes exactly the metadata keys the profile's metadata schema takes."""
    if profile is None:
        facts = {
            "scene_id": "free",
            "metadata": parts_of(
                schema("document.json")["properties"]["metadata"], _resolver("document.json")
            ),
        }
    else:
        facts = _profile(profile)
    document = SimpleNamespace(scene_id="0" * 24 if facts["scene_id"] == "required" else _fast.UNSET)
    differ = {
        keys
        for keys in SUBSETS
        if _accepts_keys(facts["metadata"], keys)
        != _fast._profile_fits(profile, document, _metadata(keys), set(), [])
    }
    stricter = FAST_STRICTER_METADATA.get(profile, set())

    def side(keys):
        return "the schema only" if _accepts_keys(facts["metadata"], keys) else "_profile_fits only"

    assert differ == stricter, (
        f"{profile}: metadata keys taken by one side only: "
        f"{ {keys: side(keys) for keys in sorted(differ - stricter)} }"
        + (
            f"; FAST_STRICTER_METADATA entries no longer true: {sorted(stricter - differ)}"
            if stricter - differ
            else ""
        )
    )
    for keys in stricter:  # stricter, never looser: those the schema takes go to the reference
        assert _accepts_keys(facts["metadata"], keys) and not _fast._profile_fits(
            profile, document, _metadata(keys), set(), []
        )
