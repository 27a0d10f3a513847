"""The fast engine: a yes/no check that passes a document only when the reference has nothing to say.

An export's files are mostly clean, and for a clean file the loader plus the reference engine
(python-jsonschema) cost over a hundred times the parse. `clean_bytes(data, profile)` decodes a
file's bytes with msgspec into typed structs whose constraints are those of our schemas (checked in
C while parsing), then checks in Python, on whole groups of annotations at once, what a struct
cannot say: the profile's narrowing, the vocabulary's semantic rules (withinImage "point" is a bound
of the point type, compiled per image size), duplicate keys and the annotation-id format.
`clean_document(document, profile)` does the same for a parsed document (msgspec.convert), for the
API. (jsonschema-rs with our keywords as Python callbacks was measured too: 0.57 ms for a typical
30 KiB document against 0.08 ms for msgspec.convert and 0.15 ms to parse it.)

Both answer "clean" (with the profile used) or "not clean". "Not clean" sends the file to the loader
and the reference engine, which decide and explain. So exactness needs one direction only: when a
document is passed here, the loader and the reference report nothing at all (no input problem, no
error, no warning). Everything here is as strict as the schemas or stricter: an integer beyond 64
bits, a float written for an integer (1.0), a key repeated or not provably unrepeated, all go to the
reference. This module restates the schemas for speed; the schemas stay the truth, and
tests/test_engines_equivalence.py (fixtures, case files, generated documents and files) keeps the
restatement faithful.
"""

# No `from __future__ import annotations`: msgspec reads the field types of the structs made inside
# decoder() at run time, and string annotations could not see that function's locals.
import json
import math
import re
from functools import lru_cache, partial
from itertools import chain, compress, filterfalse, repeat
from operator import add, and_, attrgetter, eq, ge, gt, is_, itemgetter, le, mul, not_, or_, sub
from typing import Annotated, Any, ClassVar, NamedTuple, Union

import msgspec
from msgspec import UNSET, Meta, Struct, UnsetType

from ._geometry import mask_areas, rotated_within
from ._rules import MAX_DEPTH

_INT_MIN, _INT_MAX = -(2**63), 2**63 - 1
#: The formats (see _formats.py), anchored for `re.search` as msgspec applies patterns.
_OBJECT_ID = r"\A[0-9a-f]{24}\Z"
_UUID = r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
_ANNOTATION_IDS = re.compile(rf"(?:(?:[0-9]+-)?{_UUID}\n)*(?:[0-9]+-)?{_UUID}")
#: defs/purpose.json: an upload's annotation ids carry their instance number (1 or more, no leading
#: zero), on all ids joined by newlines (_ids_ok proves that no id holds a newline of its own).
_UPLOAD_IDS = re.compile(rf"(?:[1-9][0-9]*-{_UUID}\n)*[1-9][0-9]*-{_UUID}")

#: The annotation types each profile allows (profiles/*.json); None: the document schema, all 13.
_IMAGE_TYPES = (
    "bbox",
    "obbox_v2",
    "keypoint",
    "poly_seg",
    "polygon",
    "polyline",
    "cuboid_2d",
    "cuboid_plain",
)
PROFILE_TYPES = {
    "image": _IMAGE_TYPES,
    "image-pixel": ("segmentation_mask",),
    "sequence": (*_IMAGE_TYPES, "segmentation_mask"),
    "pointcloud": ("cuboid", "lasso"),
    "video": ("frameRange",),
    "text": ("entity",),
}
_PROFILE_KINDS = {profile: frozenset(kinds) for profile, kinds in PROFILE_TYPES.items()}
IMAGE_PROFILES = ("image", "image-pixel", "sequence")
_SCENE_REQUIRED = ("sequence", "pointcloud")
_SCENE_FORBIDDEN = ("image", "image-pixel", "video", "text")


def _integer(ge=None, le=None, gt=None, lt=None):
    """An int within JSON Schema bounds (which may be fractional), and within 64 bits."""
    low = _INT_MIN if ge is None else max(_INT_MIN, math.ceil(ge))
    if gt is not None:
        low = max(low, math.floor(gt) + 1)
    high = _INT_MAX if le is None else min(_INT_MAX, math.floor(le))
    if lt is not None:
        high = min(high, math.ceil(lt) - 1)
    return Annotated[int, Meta(ge=low, le=high)]


def _number(ge=None, le=None, gt=None, lt=None):
    """A JSON number (int or float, kept as parsed, as the reference sees it) within bounds."""
    bounds = {k: v for k, v in (("ge", ge), ("le", le), ("gt", gt), ("lt", lt)) if v is not None}
    floating = Annotated[float, Meta(**bounds)] if bounds else float
    return Union[_integer(ge, le, gt, lt), floating]  # noqa: UP007 (msgspec reads typing.Union)


_String1 = Annotated[str, Meta(min_length=1)]

#: Rules the fast engine can leave unchecked when the user ignores them (--ignore), so that a file
#: whose only faults are ignored is passed at the speed of a clean one: a document passed with
#: `tolerate` holding some of them is one for which the loader and the reference report nothing but
#: diagnostics of those rules (tests/test_engines_equivalence.py). schema.unknown-property: msgspec
#: would skip an unknown property's value without checking what the loader checks (number range,
#: depth, UTF-8, repeated keys), so the decoder learns the unknown properties and takes their values
#: as fields of any JSON value (`decoder(extra=)`, `_decode`), which `_extra_keys` checks as the
#: loader would.
TOLERABLE = frozenset(
    (
        "schema.unknown-property",
        "schema.minLength",
        "geometry.within-image",
        "geometry.bbox",
        "annotation.unique-id",
        "entity.span-length",
    )
)
_NOTHING: frozenset[str] = frozenset()
_ObjectId = Annotated[str, Meta(pattern=_OBJECT_ID)]
_Attributes = dict[str, Union[str, list[str]]]  # noqa: UP007


class _Metadata(Struct, forbid_unknown_fields=True, kw_only=True, gc=False):
    width: Union[_integer(gt=0), UnsetType] = UNSET  # noqa: UP007
    height: Union[_integer(gt=0), UnsetType] = UNSET  # noqa: UP007
    fps: Union[_number(gt=0), UnsetType] = UNSET  # noqa: UP007


@lru_cache(maxsize=64)
def decoder(
    size: tuple[int, int] | None, tolerate: frozenset[str] = _NOTHING, extra: frozenset[str] = _NOTHING
) -> msgspec.json.Decoder:
    """A decoder of GT documents whose image points must lie within `size` (None: anywhere); the
    rules of TOLERABLE in `tolerate` that a type states are left out of it; the properties of `extra`
    (unknown ones, for a user who ignores them) are taken on the document and on every annotation
    whose type does not have them, as fields of any JSON value (`_extra_keys` checks them)."""
    _String1 = str if "schema.minLength" in tolerate else globals()["_String1"]
    x, y = _coordinates(size, tolerate)
    point = tuple[x, y]
    #: A mask bound's corner is [y, x] (withinImage "bound"): y first, as AIMMO's annotator writes it.
    corner = tuple[y, x]

    def many(low: int, high: int | None = None):
        return Annotated[list[point], Meta(min_length=low, max_length=high)]

    class Annotation(Struct, forbid_unknown_fields=True, kw_only=True, tag_field="type", gc=False):
        #: The `type`, as a plain class attribute (msgspec keeps the tag in __struct_config__).
        kind: ClassVar[str] = ""
        #: The attributes that hold the unknown properties of `extra` (see `widened`).
        extras: ClassVar[tuple[str, ...]] = ()
        id: str
        label: _String1
        attributes: _Attributes
        track_id: Union[_String1, _integer(ge=0), UnsetType] = UNSET  # noqa: UP007

    class Bbox(Annotation, tag="bbox"):
        kind = "bbox"
        points: many(4, 4)

    class Obbox(Annotation, tag="obbox_v2"):
        kind = "obbox_v2"
        rect: tuple[_integer(), _integer(), _integer(gt=0), _integer(gt=0)]
        degree: _number(ge=-89.5, le=270)

    class Keypoint(Annotation, tag="keypoint"):
        kind = "keypoint"
        keypoints: Annotated[dict[_String1, point], Meta(min_length=1)]
        invisible_keys: Union[list[str], UnsetType] = UNSET  # noqa: UP007

    class PolySeg(Annotation, tag="poly_seg"):
        kind = "poly_seg"
        points: many(3)

    class Polygon(Annotation, tag="polygon"):
        kind = "polygon"
        points: many(3)

    class Polyline(Annotation, tag="polyline"):
        kind = "polyline"
        points: many(2)

    class Cuboid2d(Annotation, tag="cuboid_2d"):
        kind = "cuboid_2d"
        points: many(8, 8)

    class CuboidPlain(Annotation, tag="cuboid_plain"):
        kind = "cuboid_plain"
        points: many(4, 6)

    class Mask(Annotation, tag="segmentation_mask"):
        kind = "segmentation_mask"
        mask: str  # runLength (and so minLength 1): _runs_totals
        bound: Annotated[list[corner], Meta(min_length=2, max_length=2)]

    class Cuboid(Annotation, tag="cuboid"):
        kind = "cuboid"
        geometry: tuple[_number(gt=0), _number(gt=0), _number(gt=0)]
        position: tuple[_number(), _number(), _number()]
        rotation: tuple[_number(), _number(), _number(ge=-1.5707963267948966, lt=4.71238898038469)]
        pointCount: _integer(ge=0) | UnsetType = UNSET

    class Lasso(Annotation, tag="lasso"):
        kind = "lasso"
        indices: str  # indexList (and so minLength 1): _indices_ok

    class FrameRange(Annotation, tag="frameRange"):
        kind = "frameRange"
        startFrame: _integer(ge=0)
        endFrame: _integer(ge=0)
        startTime: _number(ge=0)
        endTime: _number(ge=0)

    class Entity(Annotation, tag="entity"):
        kind = "entity"
        text: _String1
        start: _integer(ge=0)
        end: _integer(ge=0)

    kinds = tuple(
        widened(kind, extra, kind.kind)
        for kind in (
            Bbox,
            Obbox,
            Keypoint,
            PolySeg,
            Polygon,
            Polyline,
            Cuboid2d,
            CuboidPlain,
            Mask,
            Cuboid,
            Lasso,
            FrameRange,
            Entity,
        )
    )

    class Document(Struct, forbid_unknown_fields=True, kw_only=True, gc=False):
        extras: ClassVar[tuple[str, ...]] = ()
        #: Whether the decoder takes unknown properties anywhere (`_extra_keys` then looks).
        widened: ClassVar[bool] = bool(extra)
        annotations: list[Union[kinds]]  # noqa: UP007
        attributes: _Attributes
        filename: _String1
        parent_path: Annotated[str, Meta(pattern="^/")]
        metadata: _Metadata
        label: Union[str, UnsetType] = UNSET  # noqa: UP007
        file_id: Union[_ObjectId, UnsetType] = UNSET  # noqa: UP007
        scene_id: Union[_ObjectId, UnsetType] = UNSET  # noqa: UP007
        frame_number: Union[_integer(ge=0), UnsetType] = UNSET  # noqa: UP007
        last_modifier_id: Union[_ObjectId, UnsetType] = UNSET  # noqa: UP007
        last_workers: Union[dict[str, Union[_ObjectId, None]], UnsetType] = UNSET  # noqa: UP007
        tags: Union[list[str], UnsetType] = UNSET  # noqa: UP007
        parent_tags: Union[list[str], UnsetType] = UNSET  # noqa: UP007

    return msgspec.json.Decoder(widened(Document, extra))


def _coordinates(size: tuple[int, int] | None, tolerate: frozenset[str]):
    """The types of a point's x and y: within `size` (withinImage "point"), or anywhere."""
    if size is None or "geometry.within-image" in tolerate:
        return _number(), _number()
    return _number(ge=0, le=size[0]), _number(ge=0, le=size[1])


@lru_cache(maxsize=64)
def points_type(size: tuple[int, int] | None, tolerate: frozenset[str] = _NOTHING):
    """A list of points as `decoder(size, tolerate)` types an annotation's (defs/point.json)."""
    x, y = _coordinates(size, tolerate)
    return list[tuple[x, y]]


def widened(cls, extra: frozenset[str], tag: str | None = None):
    """`cls` taking each property of `extra` it does not have as a field of any JSON value, under
    an attribute of its own (`extra_0`, ...: an unknown property may be called anything), listed in
    its `extras`; `cls` itself when there is none."""
    names = sorted(extra - set(cls.__struct_encode_fields__))
    if not names:
        return cls
    attributes = [f"extra_{i}" for i in range(len(names))]
    options: dict[str, Any] = {"tag": tag} if tag else {}
    return msgspec.defstruct(
        cls.__name__,
        [(attribute, Union[Any, UnsetType], UNSET) for attribute in attributes],  # noqa: UP007
        bases=(cls,),
        namespace={"extras": tuple(attributes)},
        rename=dict(zip(attributes, names, strict=True)),
        forbid_unknown_fields=True,
        kw_only=True,
        gc=False,
        **options,
    )


# --- Unknown properties the user ignores (schema.unknown-property in `tolerate`).

_UNKNOWN = "schema.unknown-property"
#: tolerate -> the unknown properties met so far in this process, on documents and annotations: the
#: decoder starts with them, so that an export that has the same unknown property in every file pays
#: for a failed decode once. What a file's report says never depends on it, only how fast it comes.
_LEARNED: dict[frozenset[str], frozenset[str]] = {}
#: Beyond so many unknown properties, files with others take the reference's path.
_MAX_LEARNED = 16
#: msgspec's message for an unknown property of the document (it names no place) or of an annotation;
#: not of metadata, where a profile may have more to say (`maxProperties`).
_UNKNOWN_FIELD = re.compile(
    r"Object contains unknown field `(.*?)`(?: - at `\$\.annotations\[[0-9]+\]`)?", re.S
)


def _learned(tolerate: frozenset[str]) -> frozenset[str]:
    return _LEARNED.get(tolerate, _NOTHING) if _UNKNOWN in tolerate else _NOTHING


def _learn(error: msgspec.ValidationError, tolerate: frozenset[str], names: frozenset[str]):
    """`names` and the unknown property msgspec refused, when the user ignores unknown properties
    (and it is on the document or an annotation); None otherwise."""
    if _UNKNOWN not in tolerate or len(names) >= _MAX_LEARNED:
        return None
    found = _UNKNOWN_FIELD.fullmatch(str(error))
    if found is None or found.group(1) in names:
        return None
    names = names | {found.group(1)}
    _LEARNED[tolerate] = names
    return names


def _typed(parse, size: tuple[int, int] | None, tolerate: frozenset[str]):
    """parse(the decoder for `size` and `tolerate`), with the unknown properties the user ignores
    taken by the decoder (learned from msgspec's refusals); msgspec's last error when it fails."""
    names = _learned(tolerate)
    while True:
        try:
            return parse(decoder(size, tolerate, names))
        except msgspec.ValidationError as error:
            names = _learn(error, tolerate, names)
            if names is None:
                raise


#: A container in an unknown property's value may nest this deep below the value (the value of an
#: annotation's property is at level 4 of the document, and the loader takes MAX_DEPTH levels).
_EXTRA_DEPTH = MAX_DEPTH - 4
_is_unset = partial(is_, UNSET)
#: The largest float; the loader reports an integer beyond it (json.number-range).
FLOAT_MAX = 1.7976931348623157e308


def _extra_keys(document) -> int | None:
    """The number of keys the unknown properties a widened decoder took make up (each property and
    the keys of the objects in its value); None when one's value holds what the loader reports (an
    integer beyond a float, nesting too deep): the file is then not clean. (msgspec itself refuses
    NaN, a number that overflows a float, invalid UTF-8 and a lone surrogate in the values it decodes.)"""
    if not type(document).widened:
        return 0
    values = [getattr(document, name) for name in type(document).extras]
    annotations = document.annotations
    classes: set[Any] = set(map(type, annotations))
    for cls in classes:
        if cls.extras:  # the values present, in C: every annotation may have the attributes
            group = list(compress(annotations, map(is_, map(type, annotations), repeat(cls))))
            for name in cls.extras:
                values += filterfalse(_is_unset, map(attrgetter(name), group))
    stack = [(value, 0) for value in values if value is not UNSET]
    keys = len(stack)
    while stack:
        node, depth = stack.pop()
        kind = type(node)
        if kind is dict or kind is list:
            if depth >= _EXTRA_DEPTH:
                return None
            if kind is dict:
                keys += len(node)
            stack += ((child, depth + 1) for child in (node.values() if kind is dict else node))
        elif kind is int:
            if abs(node) > FLOAT_MAX:
                return None
        elif kind not in _JSON_SCALARS:
            return None  # a subclass (of dict, list, int...) an API caller passed: the walk looks
    return keys


#: The types of the scalars msgspec decodes JSON to (an unknown property's value taken as any value).
_JSON_SCALARS = frozenset((str, float, bool, type(None)))


# --- After the decode: what a struct type cannot say.

_DOCUMENT_OPTIONAL = attrgetter(
    "label", "file_id", "scene_id", "frame_number", "last_modifier_id", "last_workers", "tags", "parent_tags"
)
#: Keys every document and every annotation has (the annotation's count includes `type`).
_DOCUMENT_REQUIRED = 5
_ANNOTATION_KEYS = {
    "bbox": 5,
    "obbox_v2": 6,
    "keypoint": 5,
    "poly_seg": 5,
    "polygon": 5,
    "polyline": 5,
    "cuboid_2d": 5,
    "cuboid_plain": 5,
    "segmentation_mask": 6,
    "cuboid": 7,
    "lasso": 5,
    "frameRange": 8,
    "entity": 7,
}
_kind = attrgetter("kind")
_points, _bound, _mask, _indices = map(attrgetter, ("points", "bound", "mask", "indices"))
_start_frame, _end_frame, _start_time, _end_time = map(
    attrgetter, ("startFrame", "endFrame", "startTime", "endTime")
)
_start, _end, _text, _point_count = map(attrgetter, ("start", "end", "text", "pointCount"))
_attributes = attrgetter("attributes")
_keypoints_of, _invisible_keys = attrgetter("keypoints"), attrgetter("invisible_keys")
_track_id = attrgetter("track_id")
_id = attrgetter("id")
_DIGITS = re.compile("[0-9]+")


def _infer(document, metadata, present: set) -> str | None:
    """_validator.infer_profile, on the decoded struct (`present`: its annotation types)."""
    if metadata.fps is not UNSET:
        return None if metadata.width is not UNSET or metadata.height is not UNSET else "video"
    has_scene = document.scene_id is not UNSET
    if metadata.width is not UNSET or metadata.height is not UNSET:
        if has_scene:
            return "sequence"
        if "segmentation_mask" in present:
            return "image-pixel"
        return "image"
    return "pointcloud" if has_scene else "text"


def _bbox(points) -> bool:
    """bboxCorners: the corners of an axis-aligned box in order, width and height > 0."""
    (left, top), (right, top2), (right2, bottom), (left2, bottom2) = points
    corners = top2 == top and right2 == right and left2 == left and bottom2 == bottom
    return corners and right > left and bottom > top


def _of(annotations: list, kinds: list, kind: str) -> list:
    """The annotations of one kind (C-level: no Python loop)."""
    return list(compress(annotations, map(eq, kinds, repeat(kind))))


def _runs_totals(masks: list[str]) -> list[int] | None:
    """The pixel count of each mask, or None when one is not `([1-9][0-9]*[TF])+` (runLength).

    All masks are handled at once, joined by commas, with bytes methods that run in C: a regular
    expression or a loop per run would cost more than parsing the whole file."""
    if "" in masks:
        return None
    joined = ",".join(masks).encode()
    if joined.translate(None, b"0123456789TF,") or joined.count(b",") != len(masks) - 1:
        return None  # a character outside the grammar (a mask's own comma included)
    starts = "".join(map(itemgetter(0), masks)).encode()
    ends = "".join(map(itemgetter(-1), masks)).encode()
    if starts.translate(None, b"123456789") or ends.translate(None, b"TF"):
        return None  # every mask starts with a count that has no leading zero, ends with a run
    # The counts as JSON, one array per mask ("12T3F" -> [12,3]), parsed in C: int() per run in
    # Python would cost more than parsing the whole file. JSON forbids leading zeros and empty
    # numbers, which are exactly the other ways a count can be wrong (a 0 is checked below).
    text = b"[[" + joined.translate(_RUN_COMMAS).replace(b",,", b"],[") + b"]]"
    try:
        counts = _COUNTS.decode(text.replace(b",]", b"]"))
    except (msgspec.DecodeError, msgspec.ValidationError):
        return None
    # Two letters in a row inside a mask read as a mask boundary: one array too many.
    if len(counts) != len(masks) or min(map(min, counts)) < 1:
        return None
    return list(map(sum, counts))


def _indices_ok(indices: list[str]) -> bool:
    """indexList on every lasso: `[0-9]+(-[0-9]+)*` without leading zeros, on all of them joined by commas."""
    joined = ",".join(indices).encode()
    if joined.translate(None, b"0123456789-,") or joined.count(b",") != len(indices) - 1:
        return False
    dashed = joined.translate(_COMMA_DASH)
    return (
        dashed[:1].isdigit()
        and dashed[-1:].isdigit()
        and b"--" not in dashed
        and _LEADING_ZERO.search(b"-" + dashed) is None
    )


_RUN_COMMAS = bytes.maketrans(b"TF", b",,")
_COUNTS = msgspec.json.Decoder(list[list[int]])
_COMMA_DASH = bytes.maketrans(b",", b"-")
#: An index written with a leading zero (`01`; `0` alone is an index), in indices joined by '-'.
_LEADING_ZERO = re.compile(rb"-0[0-9]")


# The vocabulary's rules on the annotations of one type (and shapes a struct cannot state): each
# takes the annotations of its type, the image size and the tolerated rules, and says for each
# annotation whether it passes (a list of bools, computed in C where it can be).


def _frame_ranges(group: list, size, tolerate) -> list[bool]:
    """ordered: startFrame <= endFrame and startTime <= endTime."""
    frames = map(le, map(_start_frame, group), map(_end_frame, group))
    return list(map(and_, frames, map(le, map(_start_time, group), map(_end_time, group))))


def _entities(group: list, size, tolerate) -> list[bool]:
    """ordered (strict) start < end, and spanLength: a warning, so a mismatch is not clean either."""
    starts, ends = list(map(_start, group)), list(map(_end, group))
    passed = list(map(gt, ends, starts))
    if "entity.span-length" in tolerate:
        return passed
    return list(map(and_, passed, map(eq, map(sub, ends, starts), map(len, map(_text, group)))))


def _bboxes(group: list, size, tolerate) -> list[bool]:
    if "geometry.bbox" in tolerate:
        return [True] * len(group)
    return list(map(_bbox, map(_points, group)))


def _masks(group: list, size, tolerate) -> list[bool]:
    """runLength, boundOrder and maskArea."""
    masks = list(map(_mask, group))
    totals = _runs_totals(masks)
    if totals is not None:
        bounds = list(map(_bound, group))
        return _integer_masks_fit(totals, bounds) or list(map(_mask_fits, totals, bounds))
    alone = [_runs_totals([mask]) for mask in masks]  # one is not runLength: which
    return [
        each is not None and _mask_fits(each[0], bound)
        for each, bound in zip(alone, map(_bound, group), strict=True)
    ]


def _integer_masks_fit(totals: list[int], bounds: list) -> list[bool] | None:
    """`_mask_fits` of every mask at once, in C (no Python step per mask), when every corner of
    every bound is an integer (the areas are then width * height, or both sides + 1: mask_areas);
    None otherwise."""
    corners = list(chain.from_iterable(chain.from_iterable(bounds)))
    if set(map(type, corners)) != {int}:
        return None
    top, left, bottom, right = corners[0::4], corners[1::4], corners[2::4], corners[3::4]
    heights, widths = list(map(sub, bottom, top)), list(map(sub, right, left))
    ordered = map(and_, map(ge, widths, repeat(0)), map(ge, heights, repeat(0)))
    exclusive = map(mul, widths, heights)
    inclusive = map(mul, map(add, widths, repeat(1)), map(add, heights, repeat(1)))
    return list(map(and_, ordered, map(or_, map(eq, totals, exclusive), map(eq, totals, inclusive))))


def _mask_fits(total: int, bound) -> bool:
    """boundOrder (bottom-right after top-left) and maskArea (the runs cover the bound's cells)."""
    (y1, x1), (y2, x2) = bound
    return x2 >= x1 and y2 >= y1 and total in mask_areas(y1, x1, y2, x2)


def _lassos(group: list, size, tolerate) -> list[bool]:
    indices = list(map(_indices, group))
    if _indices_ok(indices):  # all at once, then each alone
        return [True] * len(indices)
    return [_indices_ok([each]) for each in indices]


def _keypoints(group: list, size, tolerate) -> list[bool]:
    """keysOf: invisible_keys names keypoints, each once."""
    return [
        a.invisible_keys is UNSET
        or (
            len(set(a.invisible_keys)) == len(a.invisible_keys)
            and all(map(a.keypoints.__contains__, a.invisible_keys))
        )
        for a in group
    ]


def _obboxes(group: list, size, tolerate) -> list[bool]:
    """withinImage "rotated-rect"."""
    if size is None or "geometry.within-image" in tolerate:
        return [True] * len(group)
    width, height = size
    return [rotated_within(a.rect, a.degree, width, height) for a in group]


def _plain_cuboids(group: list, size, tolerate) -> list[bool]:
    """`not {minItems: 5, maxItems: 5}`: msgspec bounds a length, it cannot exclude one."""
    return [len(points) != 5 for points in map(_points, group)]


_SEMANTIC = {
    "frameRange": _frame_ranges,
    "entity": _entities,
    "bbox": _bboxes,
    "segmentation_mask": _masks,
    "lasso": _lassos,
    "keypoint": _keypoints,
    "obbox_v2": _obboxes,
    "cuboid_plain": _plain_cuboids,
}


def _semantic(
    annotations: list, kinds: list, present: set, size, tolerate=_NOTHING, bad: list[int] | None = None
) -> int | None:
    """The keys the annotations have beyond their fixed ones (for the duplicate-key count), or None
    when a rule of the vocabulary (or a shape a struct cannot state) fails (_SEMANTIC). Given `bad`,
    the index of each annotation that fails one is added to it instead, and the count returned."""
    for kind in present.intersection(_SEMANTIC):
        passed = _SEMANTIC[kind](_of(annotations, kinds, kind), size, tolerate)
        if not all(passed):
            if bad is None:
                return None
            bad += compress(_where(kinds, kind), map(not_, passed))
    extra = 0
    if "keypoint" in present:
        group = _of(annotations, kinds, "keypoint")
        extra += sum(map(len, map(_keypoints_of, group)))
        extra += len(group) - list(map(_invisible_keys, group)).count(UNSET)
    if "cuboid" in present:
        counts = list(map(_point_count, _of(annotations, kinds, "cuboid")))
        extra += len(counts) - counts.count(UNSET)
    return extra


def _where(kinds: list, kind: str) -> list[int]:
    """The indices of the annotations of one kind (C-level: no Python loop)."""
    return list(compress(range(len(kinds)), map(eq, kinds, repeat(kind))))


def failing(
    document, profile: str | None, size, purpose: str = "export", tolerate: frozenset[str] = _NOTHING
) -> list[int]:
    """The indices (ascending) of the annotations of a decoded document that fail, each alone, what
    their types cannot say, in a context that passes (the document with no annotations passes
    `_clean` under `profile`, `purpose` and `size`): the reference has nothing to say about any
    other annotation (but diagnostics of the rules of `tolerate`). The rules between annotations
    (unique ids and tracks) are the array's, no one annotation's. With no profile, every annotation."""
    annotations = document.annotations
    count = len(annotations)
    if profile is None:
        return list(range(count))
    kinds = list(map(_kind, annotations))
    present = set(kinds)
    bad: list[int] = []
    allowed = _PROFILE_KINDS[profile]
    if not present <= allowed:
        bad += compress(range(count), map(not_, map(allowed.__contains__, kinds)))
    # A sequence's annotations have a track id, no other profile's do.
    untracked = map(is_, map(_track_id, annotations), repeat(UNSET))
    bad += compress(range(count), map(eq, untracked, repeat(profile == "sequence")))
    ids = list(map(_id, annotations))
    if ids and not _ids_ok(ids):  # format annotation-id
        bad += compress(range(count), map(not_, map(_ids_ok, map(_alone, ids))))
    if purpose == "upload":
        bad += compress(range(count), map(not_, map(_UPLOAD_IDS.fullmatch, ids)))
    _semantic(annotations, kinds, present, size, tolerate, bad)
    return sorted(set(bad))


def _alone(item):
    return [item]


def _profile_fits(profile: str | None, document, metadata, present: set, track_ids: list) -> bool:
    """The profile's narrowing of the document schema (profiles/*.json)."""
    has_size = metadata.width is not UNSET
    if metadata.fps is not UNSET and (has_size or metadata.height is not UNSET):
        return False  # metadata.json's `not`: fps with width or height fits no resource type
    if has_size != (metadata.height is not UNSET):
        # No profile takes width without height; with no profile the document schema would, so
        # this is stricter than the reference (such a file only takes the slow path), never wrong.
        return False
    if profile is None:
        return True
    if not present <= _PROFILE_KINDS[profile]:
        return False
    unset = track_ids.count(UNSET)
    if unset != (0 if profile == "sequence" else len(track_ids)):
        return False
    has_scene = document.scene_id is not UNSET
    if (profile in _SCENE_REQUIRED and not has_scene) or (profile in _SCENE_FORBIDDEN and has_scene):
        return False
    has_fps = metadata.fps is not UNSET
    if profile in IMAGE_PROFILES:
        return has_size and not has_fps
    if profile == "video":
        return has_fps and not has_size
    return not has_size and not has_fps  # pointcloud, text: `{}`


def _purpose_fits(purpose: str, document) -> bool:
    """defs/purpose.json: an export has its file_id; an upload's annotation ids carry their instance
    number (what is not an annotation id at all fails _ids_ok)."""
    if purpose == "export":
        return document.file_id is not UNSET
    ids = "\n".join(map(_id, document.annotations))
    return not ids or _UPLOAD_IDS.fullmatch(ids) is not None


class _Duplicate(ValueError):
    pass


def _pairs(pairs: list) -> dict:
    result = dict(pairs)
    if len(result) != len(pairs):
        raise _Duplicate
    return result


def _no_duplicate_keys(data: bytes, keys: int) -> bool:
    """True when no object of the text repeats a key. Every key is followed by a `:` outside any
    string, so when the text holds no more `:` than the decoded document has keys, none was
    repeated (a repeat would have been decoded as one key). Otherwise (a `:` inside a string, or a
    repeat) the text is parsed once more, keeping every key."""
    if data.count(b":") <= keys:
        return True
    try:
        json.loads(data, object_pairs_hook=_pairs)
    except _Duplicate:
        return False
    return True


#: A plausible image side (a longer number is no image size: the decode will say so).
_VALUE = re.compile(rb'"\s*:\s*([0-9]{1,9})[\s,}]')


#: Where metadata is looked for before decoding: exports write it last (or first).
_NEAR = 1024


def _guess(data: bytes, key: bytes) -> int | None:
    # A plain find near either end runs at memory speed; a search of the whole text would not.
    at = data.rfind(key, max(0, len(data) - _NEAR))
    if at < 0:
        at = data.find(key, 0, _NEAR)
        if at < 0:
            return None
    found = _VALUE.match(data, at + len(key) - 1)
    return int(found.group(1)) if found else None


def _guess_size(data: bytes) -> tuple[int, int] | None:
    """The image size, guessed from the text before decoding; a wrong guess costs a second decode."""
    width = _guess(data, b'"width"')
    if width is None:
        return None
    height = _guess(data, b'"height"')
    return None if height is None else (width, height)


def _ids_ok(ids: list[str]) -> bool:
    """The format annotation-id on every id, in one match of all ids joined by newlines; the
    count of newlines proves that no id holds one of its own."""
    joined = "\n".join(ids)
    if _plain_uuids(joined, len(ids)):
        return True
    return joined.count("\n") == len(ids) - 1 and _ANNOTATION_IDS.fullmatch(joined) is not None


_HEX = b"0123456789abcdefABCDEF"


def _plain_uuids(joined: str, count: int) -> bool:
    """True when the `count` ids joined by newlines are each a UUID (8-4-4-4-12 hex digits), the
    ids AIMMO writes, told by slices of the text (5 times faster than the regular expression);
    False when they may not be (the expression decides)."""
    if len(joined) != 37 * count - 1 or not joined.isascii():
        return False
    text = joined.encode()
    dashes = b"-" * count
    return (
        text[36::37] == b"\n" * (count - 1)
        and text[8::37] == dashes
        and text[13::37] == dashes
        and text[18::37] == dashes
        and text[23::37] == dashes
        # The newlines and the dashes are all there is besides hex digits.
        and len(text.translate(None, _HEX)) == 5 * count - 1
    )


def clean_bytes(
    data: bytes, profile: str | None, purpose: str = "export", tolerate: frozenset[str] = _NOTHING
) -> tuple[bool, str | None]:
    """(True, the profile used) when the loader and the reference engine would report nothing for
    this file under `profile` (None: inferred) and `purpose` (_check.PURPOSES), or nothing but
    diagnostics of the rules of `tolerate` (a subset of TOLERABLE); (False, None) when they might
    report something."""
    clean, used, _document = decode_clean(data, profile, purpose, tolerate)
    return clean, used


def decode_clean(
    data: bytes, profile: str | None, purpose: str = "export", tolerate: frozenset[str] = _NOTHING
) -> tuple[bool, str | None, object]:
    """As `clean_bytes`, plus the decoded document (its structs: the ontology layer reads types,
    labels and attributes there instead of parsing the file again), clean or not, when msgspec's
    types took the whole of it (else None): the fast explainer starts from it."""
    verdict = decode_verdict(data, profile, purpose, tolerate)
    return verdict.clean, verdict.profile if verdict.clean else None, verdict.document


class Verdict(NamedTuple):
    """What the fast engine found of a file's bytes (`decode_verdict`)."""

    #: True when the loader and the reference would report nothing (but diagnostics of tolerated rules).
    clean: bool
    #: The profile used when clean; when not, the profile the document fits but for `failing`.
    profile: str | None
    #: The decoded document (its structs) when msgspec's types took the whole of it, else None.
    document: object
    #: When not clean and known: the indices (ascending) of the annotations that fail, each alone,
    #: what their types cannot say, in a document whose other fields and whose rules between
    #: annotations pass under `profile` (so the fast explainer needs no second pass); else None.
    failing: list[int] | None = None
    #: When msgspec's types refused the text in an annotation: its index (every one before it was
    #: taken), a hint for the fast explainer; else None.
    refused: int | None = None


def decode_verdict(
    data: bytes, profile: str | None, purpose: str = "export", tolerate: frozenset[str] = _NOTHING
) -> Verdict:
    """`decode_clean`'s answer, with what the semantic pass found of a document it does not pass."""
    try:
        return _clean_bytes(data, profile, purpose, tolerate)
    except Exception:  # a surprise here must cost speed, never a verdict: the reference decides
        return Verdict(False, None, None)


def clean_document(
    document: object, profile: str | None, purpose: str = "export", tolerate: frozenset[str] = _NOTHING
) -> tuple[bool, str | None]:
    """As `clean_bytes`, for a parsed document (a JSON value: dicts, lists, str, int, float, bool,
    None; msgspec, like jsonschema-rs, reads a tuple as an array, where the reference does not)."""
    try:
        return _clean_document(document, profile, purpose, tolerate)
    except Exception:
        return False, None


def _decode(data: bytes, size: tuple[int, int] | None, tolerate: frozenset[str]):
    """(the decoded document or None, msgspec's message when its types refused the text: a value
    above an upper bound (`<=`) may be the size's, which a point's bound by another size might not be)."""
    try:
        return _typed(lambda decoder: decoder.decode(data), size, tolerate), ""
    except msgspec.ValidationError as error:
        return None, str(error)
    except (msgspec.DecodeError, UnicodeDecodeError):
        return None, ""


#: Where msgspec says a document's types failed, in which annotation.
_AT_ANNOTATION = re.compile(r"- at `\$\.annotations\[([0-9]+)\]")


def refused(message: str) -> int | None:
    """The annotation msgspec's message names, if any."""
    found = _AT_ANNOTATION.search(message)
    return int(found.group(1)) if found else None


def _size(metadata) -> tuple[int, int] | None:
    if metadata.width is UNSET or metadata.height is UNSET:
        return None
    return metadata.width, metadata.height


def _clean_bytes(data: bytes, profile: str | None, purpose: str, tolerate: frozenset[str]) -> Verdict:
    bounds = _guess_size(data)
    document, refusal = _decode(data, bounds, tolerate)
    guessed, first = bounds, refusal
    if document is None and bounds is not None and "<=" in refusal:  # perhaps only the guessed size was wrong
        bounds = None
        document, refusal = _decode(data, bounds, tolerate)
    if document is None:
        return Verdict(False, None, None, refused=refused(refusal))
    size = _size(document.metadata)
    if size != bounds and "geometry.within-image" not in tolerate:
        if size is not None and size == guessed:
            # That decode failed already: a point lies outside the image.
            return Verdict(False, None, None, refused=refused(first))
        # The points were bounded by another size, or by none: decode again.
        document, refusal = _decode(data, size, tolerate)
        if document is None:
            return Verdict(False, None, None, refused=refused(refusal))
    extra = _extra_keys(document)
    if extra is None:
        return Verdict(False, None, None)  # nor is the document what the loader reads
    found: list[int] = []
    clean, used, keys = _clean(document, profile, size, purpose, tolerate, found)
    if not clean:
        return Verdict(False, used, document, sorted(set(found)) if found else None)
    if not _no_duplicate_keys(data, keys + extra):
        return Verdict(False, None, document)
    return Verdict(True, used, document)


def _clean_document(
    document: object, profile: str | None, purpose: str, tolerate: frozenset[str]
) -> tuple[bool, str | None]:
    metadata = document.get("metadata") if isinstance(document, dict) else None
    size = None
    if isinstance(metadata, dict):
        width, height = metadata.get("width"), metadata.get("height")
        # Only int sides can be valid (msgspec takes no float for an int: 1920.0 goes to the reference).
        if type(width) is int and type(height) is int:
            size = (width, height)
        elif isinstance(width, int) or isinstance(height, int):
            return False, None  # an IntEnum: an int to msgspec, but no size to bound the points by here
    try:
        struct = _typed(lambda decoder: msgspec.convert(document, decoder.type), size, tolerate)
    except msgspec.ValidationError:
        return False, None
    if _extra_keys(struct) is None:
        return False, None  # an unknown property's value nests too deep or holds a huge integer
    clean, used, _keys = _clean(struct, profile, size, purpose, tolerate)
    return clean, used


_ENCODE, _DECODE = msgspec.json.Encoder(), msgspec.json.Decoder()


def plain_json(document: object) -> bool:
    """True when `document` is made of what JSON holds, as far as types go: its JSON text (msgspec's
    encoding, in C) decodes to an equal value. A tuple, a set, NaN or an infinity, a key that is not a
    string, bytes, a date, any other object comes back different or is not encoded; how deep it nests
    and how large its integers are is not told here (the struct types of `clean_document` bound them,
    and `_extra_keys` an unknown property's value)."""
    try:
        return _DECODE.decode(_ENCODE.encode(document)) == document
    except Exception:  # not encodable (an object msgspec does not know, nesting beyond its limit...)
        return False


def _clean(
    document,
    profile: str | None,
    size,
    purpose: str = "export",
    tolerate: frozenset[str] = _NOTHING,
    found: list[int] | None = None,
) -> tuple[bool, str | None, int]:
    """(True, the profile used, the number of keys of the document) when the decoded document
    passes what its types cannot say; (False, None, 0) when it does not. Given `found`, the
    semantic pass goes on past a failing annotation and puts the index of each that fails in it:
    when it is not empty, everything else passed and (False, the profile used, 0) is returned."""
    if not _purpose_fits(purpose, document):
        return False, None, 0
    metadata = document.metadata
    annotations = document.annotations
    track_ids = list(map(_track_id, annotations))
    kinds = list(map(_kind, annotations))
    present = set(kinds)
    used = _infer(document, metadata, present) if profile is None else profile
    if not _profile_fits(used, document, metadata, present, track_ids):
        return False, None, 0
    ids = list(map(_id, annotations))
    if ids and not _ids_ok(ids):  # format annotation-id
        return False, None, 0
    if "annotation.unique-id" not in tolerate and len(set(ids)) != len(ids):  # uniqueIds
        return False, None, 0
    tracks = [track for track in track_ids if track is not UNSET]
    if len(tracks) > 1 and len(set(zip(map(type, tracks), tracks, strict=True))) != len(tracks):
        return False, None, 0  # uniqueTracks: a str and an int are two tracks, as JSON values
    extra = _semantic(annotations, kinds, present, size, tolerate, found)
    if extra is None:
        return False, None, 0
    if found:
        return False, used, 0
    optional = _DOCUMENT_OPTIONAL(document)
    keys = (
        _DOCUMENT_REQUIRED
        + len(optional)
        - optional.count(UNSET)
        + len(document.attributes)
        + (metadata.width is not UNSET)
        + (metadata.height is not UNSET)
        + (metadata.fps is not UNSET)
        + (len(document.last_workers) if document.last_workers is not UNSET else 0)
        + sum(map(_ANNOTATION_KEYS.__getitem__, kinds))
        + len(track_ids)
        - track_ids.count(UNSET)
        + sum(map(len, map(_attributes, annotations)))
        + extra
    )
    return True, used, keys


#: Where each use of a vocabulary keyword in the schema files is checked here: (file, JSON pointer of
#: the subschema, keyword) -> (the keyword's value there, the function that checks it). Nothing reads
#: it at run time; tests/test_fast_model.py compares it with the schema files, so a keyword added to a
#: schema, or a use whose value changes, fails that test until this module follows.
VOCABULARY = {
    ("document.json", "/properties/annotations", "uniqueIds"): ("id", _clean),
    ("document.json", "/properties/annotations", "uniqueTracks"): ("track_id", _clean),
    # An alias is no tag of the decoder's union of annotation types: its document is never clean.
    ("document.json", "/$defs/annotation", "typeAliases"): (
        {"flat_cuboid": "cuboid_plain", "frame_range": "frameRange", "landmark": "keypoint"},
        decoder,
    ),
    ("defs/point.json", "", "withinImage"): ("point", decoder),  # compiled into the point type per size
    ("annotations/obbox_v2.json", "", "withinImage"): ("rotated-rect", _obboxes),
    ("annotations/segmentation_mask.json", "/properties/bound", "withinImage"): ("bound", decoder),
    ("annotations/bbox.json", "/properties/points", "bboxCorners"): (True, _bbox),
    ("annotations/entity.json", "", "ordered"): (
        [{"lower": "start", "upper": "end", "strict": True}],
        _entities,
    ),
    ("annotations/entity.json", "", "spanLength"): (
        {"start": "start", "end": "end", "text": "text"},
        _entities,
    ),
    ("annotations/frameRange.json", "", "ordered"): (
        [{"lower": "startFrame", "upper": "endFrame"}, {"lower": "startTime", "upper": "endTime"}],
        _frame_ranges,
    ),
    ("annotations/keypoint.json", "", "keysOf"): ({"invisible_keys": "keypoints"}, _keypoints),
    ("annotations/lasso.json", "/properties/indices", "indexList"): (True, _indices_ok),
    ("annotations/segmentation_mask.json", "/properties/mask", "runLength"): (True, _runs_totals),
    ("annotations/segmentation_mask.json", "/properties/bound", "boundOrder"): (True, _mask_fits),
    ("annotations/segmentation_mask.json", "", "maskArea"): ({"mask": "mask", "bound": "bound"}, _mask_fits),
}
