"""The format's limits as /work/shared/format/DECISIONS.md states them: an oracle independent of the schemas.

The documents fuzzed come from the schemas, so a schema that allows too much is fuzzed as if it were
right; these limits are written from the decisions instead. A value just outside each one, put into a
valid document, must be an error at that value: a schema bound loosened by mistake fails here.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass

from hypothesis import strategies as st

from conftest import ANNOTATION_TYPES

_ANNOTATION = r"\.annotations\[\]<(?:{})>"
_OBJECT_ID = re.compile(r"[0-9a-f]{24}")
_UUID = r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
_ANNOTATION_ID = re.compile(rf"(?:[0-9]+-)?{_UUID}")
_RLE = re.compile(r"(?:[1-9][0-9]*[TF])+")
_INDICES = re.compile(r"(?:0|[1-9][0-9]*)(?:-(?:0|[1-9][0-9]*))*")
_IMAGE_PROFILES = {"image", "image-pixel", "sequence"}
#: The names AIMMO's tools use for documented types (DECISIONS.md, "Type names"), by documented type.
_ALIASES = {"cuboid_plain": "flat_cuboid", "frameRange": "frame_range", "keypoint": "landmark"}


@dataclass(frozen=True)
class Context:
    profile: str | None
    image: tuple[int, int] | None


@dataclass(frozen=True)
class Limit:
    """A rule of DECISIONS.md: where it applies (a place as _mutations.label names it), and values
    (given the node's valid value) that break it."""

    name: str
    place: str
    breaking: Callable[[object, Context], st.SearchStrategy | None]
    profiles: frozenset[str | None] | None = None  # None: every profile and the union

    def applies(self, place: str, profile: str | None) -> bool:
        return (self.profiles is None or profile in self.profiles) and re.fullmatch(
            self.place, place
        ) is not None


def _just(value):
    return lambda _value, _context: st.just(value)


def _not_matching(pattern: re.Pattern, alphabet: str | None = None):
    text = st.text(alphabet, max_size=30) if alphabet else st.text(max_size=30)
    near = st.sampled_from(
        ["", "x" * 24, "0" * 23, "A" * 24, "0-", "-0", "1T0F", "00000000-0000-0000-0000-00000000000"]
    )
    return lambda _value, _context: st.one_of(near, text).filter(lambda s: not pattern.fullmatch(s))


def _integers_below(bound: int):
    """Integers < bound, the nearest first, and non-integral numbers (the field is an integer)."""
    return lambda _value, _context: st.one_of(
        st.just(bound - 1), st.integers(max_value=bound - 1), st.just(0.5), st.floats(0.1, 0.9)
    )


def _numbers_below(bound: float, *, inclusive: bool = False):
    """Numbers < bound (<= with inclusive), the nearest first."""
    nearest = bound if inclusive else math.nextafter(bound, -math.inf)
    return lambda _value, _context: st.one_of(
        st.just(nearest),
        st.floats(max_value=nearest, allow_nan=False, allow_infinity=False),
        st.integers(max_value=math.floor(nearest)),
    )


def _numbers_above(bound: float, *, inclusive: bool = False):
    nearest = bound if inclusive else math.nextafter(bound, math.inf)
    return lambda _value, _context: st.one_of(
        st.just(nearest),
        st.floats(min_value=nearest, allow_nan=False, allow_infinity=False),
        st.integers(min_value=math.ceil(nearest)),
    )


def _either(*makers):
    return lambda value, context: st.one_of([m(value, context) for m in makers])


def _length_not_in(allowed: set[int], largest: int):
    """The node's points repeated or cut to a count the decision does not allow."""

    def breaking(points, _context):
        counts = [n for n in range(0, largest + 3) if n not in allowed]
        return st.sampled_from(counts).map(lambda n: (points * (n // len(points) + 1))[:n])

    return breaking


def _dropping(*names: str):
    """The object without one of the required properties."""

    def breaking(obj, _context):
        present = [n for n in names if n in obj]
        if not present:
            return None
        return st.sampled_from(present).map(lambda n: {k: v for k, v in obj.items() if k != n})

    return breaking


def _adding(name: str, value):
    def breaking(obj, _context):
        return None if name in obj else st.just({**obj, name: value})

    return breaking


def _outside_image(point, context):
    if context.image is None:
        return None
    width, height = context.image
    x, y = point
    # Integers past the edge: width + 0.5 is width itself once width is 2**53 or more.
    return st.one_of(
        st.just([width + 1, y]),
        st.just([x, height + 1]),
        st.just([-0.5, y]),
        st.just([x, -1]),
        st.integers(width + 1).map(lambda v: [v, y]),
    )


def _corner_outside(corner, context):
    """A mask bound's corner [y, x] (y first) past an edge of the image."""
    if context.image is None:
        return None
    width, height = context.image
    y, x = corner
    return st.sampled_from([[height + 1, x], [y, width + 1], [-1, x], [y, -0.5]])


def _rect_outside(rect, context):
    """A rect that lies outside the image whichever way it is turned about its centre: the turned box
    reaches at most (w + h) / 2 from its centre, so these are more than the 1 pixel of tolerance out."""
    if context.image is None:
        return None
    width, height = context.image
    x, y, w, h = rect
    return st.sampled_from(
        [
            [width + 2 + w + h, y, w, h],
            [x, height + 2 + w + h, w, h],
            [-(w + h) - 2, y, w, h],
            [x, -(w + h) - 2, w, h],
        ]
    )


def _end_before_start(lower: str, upper: str, *, strict: bool):
    def breaking(obj, _context):
        low = obj[lower]
        candidates = [low] if strict else []
        if low > 0:
            candidates.append(low - 1 if isinstance(low, int) else math.nextafter(low, -math.inf))
        return st.sampled_from(candidates).map(lambda high: {**obj, upper: high}) if candidates else None

    return breaking


def _mask_total_wrong(obj, _context):
    # y first; whole cells (a fractional side counts up); inclusive only for an integer bound.
    (y1, x1), (y2, x2) = obj["bound"]
    areas = {math.ceil(x2 - x1) * math.ceil(y2 - y1)}
    if all(isinstance(v, int) or v.is_integer() for v in (y1, x1, y2, x2)):
        areas.add((x2 - x1 + 1) * (y2 - y1 + 1))
    wrong = [n for n in (1, 2, max(areas) + 1, max(areas) - 1, min(areas) + 1) if n > 0 and n not in areas]
    return st.sampled_from(wrong).map(lambda n: {**obj, "mask": f"{n}T"})


def _bound_reversed(bound, _context):
    (y1, x1), (y2, x2) = bound
    return st.sampled_from([[[y2 + 1, x1], [y2, x2]], [[y1, x2 + 1], [y2, x2]]])


def _track_repeated(annotations, _context):
    """A later annotation given the track_id of an earlier one (DECISIONS: one instance per track in a
    frame), compared as JSON values."""
    tracked = [i for i, a in enumerate(annotations) if isinstance(a, dict) and "track_id" in a]
    if len(tracked) < 2:
        return None
    first, last = tracked[0], tracked[-1]
    repeated = [*annotations[:last], {**annotations[last], "track_id": annotations[first]["track_id"]}]
    return st.just([*repeated, *annotations[last + 1 :]])


def _unknown_key(obj, _context):
    return (
        st.sampled_from(["labels", "Type", "point", "zz_unknown"])
        .filter(lambda k: k not in obj)
        .map(lambda k: {**obj, k: "x"})
    )


_ANY = _ANNOTATION.format("[^>]+")

LIMITS: list[Limit] = [
    # Document
    Limit(
        "document required fields",
        "",
        _dropping("annotations", "attributes", "filename", "parent_path", "metadata"),
    ),
    Limit("document unknown property", "", _unknown_key),
    Limit("document label: a string, never null", "", _adding("label", None)),
    Limit(
        "attributes: string or array of strings",
        rf"(|{_ANY})\.attributes",
        lambda o, c: st.sampled_from([1, None, [1], [None], {}, True]).map(lambda v: {**o, "zz": v}),
    ),
    Limit("tags: strings", r"\.(tags|parent_tags)", lambda t, c: st.sampled_from([[1], [None], [{}], "tag"])),
    Limit("filename non-empty", r"\.filename", _just("")),
    Limit(
        "parent_path starts with /",
        r"\.parent_path",
        lambda v, c: st.text(max_size=10).filter(lambda s: not s.startswith("/")),
    ),
    Limit("ObjectId: 24 lowercase hex", r"\.(file_id|scene_id|last_modifier_id)", _not_matching(_OBJECT_ID)),
    Limit("last_workers: ObjectId or null", r"\.last_workers\.\*", _not_matching(_OBJECT_ID)),
    Limit("frame_number non-negative integer", r"\.frame_number", _integers_below(0)),
    Limit("image width, height positive integers", r"\.metadata\.(width|height)", _integers_below(1)),
    Limit("video fps positive", r"\.metadata\.fps", _numbers_below(0, inclusive=True)),
    Limit(
        "scene_id only for sequence and point cloud",
        "",
        _adding("scene_id", "620aea6c1e3c3ccd9cfd8bc8"),
        frozenset({"image", "image-pixel", "video", "text"}),
    ),
    Limit(
        "scene_id required in sequence and point cloud",
        "",
        _dropping("scene_id"),
        frozenset({"sequence", "pointcloud"}),
    ),
    # Every annotation
    Limit("annotation required fields", _ANY, _dropping("id", "type", "label", "attributes")),
    Limit("annotation unknown property", _ANY, _unknown_key),
    Limit(
        "annotation id: uuid, optional N- prefix",
        _ANY + r"\.id",
        _not_matching(_ANNOTATION_ID, "0123456789abcdef-"),
    ),
    Limit(
        "annotation type: one of the 13",
        _ANY + r"\.type",
        lambda v, c: st.sampled_from(["box", "BBOX", "classification", ""]),
    ),
    Limit(
        "annotation type: AIMMO's internal names are errors",
        _ANY + r"\.type",
        lambda v, c: st.just(_ALIASES[v]) if v in _ALIASES else None,
    ),
    Limit("annotation label non-empty", _ANY + r"\.label", _just("")),
    Limit("track_id non-negative", _ANY + r"\.track_id", _integers_below(0)),
    Limit(
        "track_id only on sequence annotations",
        _ANY,
        _adding("track_id", 1),
        frozenset({"image", "image-pixel", "pointcloud", "video", "text"}),
    ),
    Limit("track_id required on sequence annotations", _ANY, _dropping("track_id"), frozenset({"sequence"})),
    Limit("track_id: one annotation per track in a document", r"\.annotations", _track_repeated),
    Limit(
        "annotation type allowed by the resource",
        _ANY + r"\.type",
        lambda v, c: st.sampled_from([t for t in ANNOTATION_TYPES if t not in _PROFILE_TYPES[c.profile]]),
        frozenset({"image", "image-pixel", "sequence", "pointcloud", "video", "text"}),
    ),
    # Points of an image document
    Limit("point within the image", _ANY + r"\.points\[\]", _outside_image, frozenset(_IMAGE_PROFILES)),
    Limit(
        "mask bound corner [y, x] within the image",
        _ANNOTATION.format("segmentation_mask") + r"\.bound\[\]",
        _corner_outside,
        frozenset(_IMAGE_PROFILES),
    ),
    Limit(
        "keypoint within the image",
        _ANNOTATION.format("keypoint") + r"\.keypoints\.\*",
        _outside_image,
        frozenset(_IMAGE_PROFILES),
    ),
    # Types
    Limit("bbox: 4 points", _ANNOTATION.format("bbox") + r"\.points", _length_not_in({4}, 8)),
    Limit(
        "bbox: axis-aligned, top-left first",
        _ANNOTATION.format("bbox") + r"\.points",
        lambda p, c: st.sampled_from([p[1:] + p[:1], p[::-1], [p[0], p[0], p[2], p[3]]]),
    ),
    Limit("bbox fields", _ANNOTATION.format("bbox"), _dropping("points")),
    Limit("obbox_v2 degree >= -89.5", _ANNOTATION.format("obbox_v2") + r"\.degree", _numbers_below(-89.5)),
    Limit("obbox_v2 degree <= 270", _ANNOTATION.format("obbox_v2") + r"\.degree", _numbers_above(270)),
    Limit("obbox_v2 rect w, h > 0", _ANNOTATION.format("obbox_v2") + r"\.rect\[[23]\]", _integers_below(1)),
    Limit(
        "obbox_v2 rect integers",
        _ANNOTATION.format("obbox_v2") + r"\.rect\[[01]\]",
        lambda v, c: st.sampled_from([0.5, 1.25]),
    ),
    Limit(
        "obbox_v2 rect turned by degree within the image",
        _ANNOTATION.format("obbox_v2") + r"\.rect",
        _rect_outside,
        frozenset(_IMAGE_PROFILES),
    ),
    Limit("obbox_v2 fields", _ANNOTATION.format("obbox_v2"), _dropping("rect", "degree")),
    Limit("keypoint: at least one", _ANNOTATION.format("keypoint") + r"\.keypoints", _just({})),
    Limit(
        "keypoint: invisible keys are keys, no repeats",
        _ANNOTATION.format("keypoint"),
        lambda o, c: st.sampled_from(
            [
                {**o, "invisible_keys": [*o.get("invisible_keys", []), "zz" + "".join(o["keypoints"])]},
                {**o, "invisible_keys": [next(iter(o["keypoints"]))] * 2},
            ]
        ),
    ),
    Limit("keypoint fields", _ANNOTATION.format("keypoint"), _dropping("keypoints")),
    Limit(
        "poly_seg, polygon: at least 3 points",
        _ANNOTATION.format("poly_seg|polygon") + r"\.points",
        lambda p, c: st.integers(0, 2).map(lambda n: p[:n]),
    ),
    Limit(
        "polyline: at least 2 points",
        _ANNOTATION.format("polyline") + r"\.points",
        lambda p, c: st.integers(0, 1).map(lambda n: p[:n]),
    ),
    Limit("cuboid_2d: 8 points", _ANNOTATION.format("cuboid_2d") + r"\.points", _length_not_in({8}, 10)),
    Limit(
        "cuboid_plain: 4 or 6 points",
        _ANNOTATION.format("cuboid_plain") + r"\.points",
        _length_not_in({4, 6}, 8),
    ),
    Limit(
        "point fields",
        _ANNOTATION.format("poly_seg|polygon|polyline|cuboid_2d|cuboid_plain"),
        _dropping("points"),
    ),
    Limit(
        "mask: run-length string",
        _ANNOTATION.format("segmentation_mask") + r"\.mask",
        _not_matching(_RLE, "0123456789TFX-"),
    ),
    Limit(
        "mask: runs add up to the bound's area", _ANNOTATION.format("segmentation_mask"), _mask_total_wrong
    ),
    Limit(
        "mask: bound top-left then bottom-right",
        _ANNOTATION.format("segmentation_mask") + r"\.bound",
        _bound_reversed,
    ),
    Limit("mask fields", _ANNOTATION.format("segmentation_mask"), _dropping("mask", "bound")),
    Limit(
        "cuboid geometry > 0",
        _ANNOTATION.format("cuboid") + r"\.geometry\[[012]\]",
        _numbers_below(0, inclusive=True),
    ),
    Limit(
        "cuboid yaw >= -pi/2", _ANNOTATION.format("cuboid") + r"\.rotation\[2\]", _numbers_below(-math.pi / 2)
    ),
    Limit(
        "cuboid yaw < 3 pi/2",
        _ANNOTATION.format("cuboid") + r"\.rotation\[2\]",
        _numbers_above(3 * math.pi / 2, inclusive=True),
    ),
    Limit(
        "cuboid pointCount non-negative integer",
        _ANNOTATION.format("cuboid") + r"\.pointCount",
        _integers_below(0),
    ),
    Limit("cuboid fields", _ANNOTATION.format("cuboid"), _dropping("geometry", "position", "rotation")),
    Limit(
        "lasso indices: integers joined by -",
        _ANNOTATION.format("lasso") + r"\.indices",
        _not_matching(_INDICES, "0123456789-x "),
    ),
    Limit(
        "lasso indices: no leading zeros",
        _ANNOTATION.format("lasso") + r"\.indices",
        lambda v, c: st.sampled_from(["0" + v, v + "-01", "00"]),
    ),
    Limit("lasso fields", _ANNOTATION.format("lasso"), _dropping("indices")),
    Limit(
        "frameRange frames non-negative integers",
        _ANNOTATION.format("frameRange") + r"\.(start|end)Frame",
        _integers_below(0),
    ),
    Limit(
        "frameRange times non-negative",
        _ANNOTATION.format("frameRange") + r"\.(start|end)Time",
        _numbers_below(0),
    ),
    Limit(
        "frameRange endFrame >= startFrame",
        _ANNOTATION.format("frameRange"),
        _end_before_start("startFrame", "endFrame", strict=False),
    ),
    Limit(
        "frameRange endTime >= startTime",
        _ANNOTATION.format("frameRange"),
        _end_before_start("startTime", "endTime", strict=False),
    ),
    Limit(
        "frameRange fields",
        _ANNOTATION.format("frameRange"),
        _dropping("startFrame", "endFrame", "startTime", "endTime"),
    ),
    Limit("entity text non-empty", _ANNOTATION.format("entity") + r"\.text", _just("")),
    Limit(
        "entity start, end non-negative integers",
        _ANNOTATION.format("entity") + r"\.(start|end)",
        _integers_below(0),
    ),
    Limit("entity end > start", _ANNOTATION.format("entity"), _end_before_start("start", "end", strict=True)),
    Limit("entity fields", _ANNOTATION.format("entity"), _dropping("text", "start", "end")),
]

#: The annotation types each resource type allows (DECISIONS.md, "Types and their own fields").
_PROFILE_TYPES = {
    "image": {"bbox", "obbox_v2", "keypoint", "poly_seg", "polygon", "polyline", "cuboid_2d", "cuboid_plain"},
    "image-pixel": {"segmentation_mask"},
    "sequence": {
        "bbox",
        "obbox_v2",
        "keypoint",
        "poly_seg",
        "polygon",
        "polyline",
        "cuboid_2d",
        "cuboid_plain",
        "segmentation_mask",
    },
    "pointcloud": {"cuboid", "lasso"},
    "video": {"frameRange"},
    "text": {"entity"},
    None: set(ANNOTATION_TYPES),
}
PROFILE_TYPES = _PROFILE_TYPES
