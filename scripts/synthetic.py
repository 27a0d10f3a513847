"""A seeded generator of synthetic GT documents: valid exports for the benchmark, broken ones for tests."""

from __future__ import annotations

import copy
import random
import uuid
from collections.abc import Callable

from aimmo_gt._geometry import rotated_within

#: Share of each resource type in a synthetic export (image-heavy, as real exports are).
MIX = (
    ("image", 40),
    ("sequence", 20),
    ("pointcloud", 15),
    ("image-pixel", 10),
    ("video", 8),
    ("text", 7),
)
IMAGE_TYPES = ("bbox", "obbox_v2", "keypoint", "poly_seg", "polygon", "polyline", "cuboid_2d", "cuboid_plain")
SIZES = ((1920, 1080), (1280, 720), (3840, 2160), (640, 480))
LABELS = ("car", "truck", "pedestrian", "bus", "sign", "차량", "traffic light", "bicycle")
ATTRIBUTES = (
    {},
    {"is_parked": "y"},
    {"occlusion": "30%", "truncation": "0%"},
    {"lights": ["brake", "turn_left"], "color": "red"},
)
WORDS = ("AIMMO", "Seoul", "company", "the", "annotation", "데이터", "report", "quarterly")


def _object_id(rng: random.Random) -> str:
    return f"{rng.getrandbits(96):024x}"


def _annotation_id(rng: random.Random, number: int) -> str:
    text = str(uuid.UUID(int=rng.getrandbits(128), version=4))
    return f"{number}-{text}" if rng.random() < 0.7 else text


def _coordinate(rng: random.Random, limit: int) -> float | int:
    value = rng.uniform(0, limit)
    return round(value, 2) if rng.random() < 0.5 else int(value)


def _point(rng: random.Random, size) -> list:
    return [_coordinate(rng, size[0]), _coordinate(rng, size[1])]


def _box(rng: random.Random, size) -> tuple[int, int, int, int]:
    width, height = size
    left, top = rng.randrange(0, width - 2), rng.randrange(0, height - 2)
    right, bottom = (
        rng.randrange(left + 1, min(width, left + 400) + 1),
        rng.randrange(top + 1, min(height, top + 300) + 1),
    )
    return left, top, right, bottom


def _image_fields(rng: random.Random, kind: str, size) -> dict:
    if kind == "bbox":
        left, top, right, bottom = _box(rng, size)
        return {"points": [[left, top], [right, top], [right, bottom], [left, bottom]]}
    if kind == "obbox_v2":
        degree = round(rng.uniform(-89.5, 270), 3)
        while True:  # the box turned by `degree` must lie within the image (DECISIONS: its extent)
            left, top, right, bottom = _box(rng, size)
            rect = [left, top, right - left, bottom - top]
            if rotated_within(rect, degree, *size):
                return {"rect": rect, "degree": degree}
    if kind == "keypoint":
        names = [f"k{i}" for i in range(rng.randrange(1, 18))]
        keypoints = {name: _point(rng, size) for name in names}
        fields = {"keypoints": keypoints}
        if rng.random() < 0.5:
            fields["invisible_keys"] = rng.sample(names, rng.randrange(0, len(names) + 1))
        return fields
    if kind in ("poly_seg", "polygon"):
        return {"points": [_point(rng, size) for _ in range(rng.randrange(3, 40))]}
    if kind == "polyline":
        return {"points": [_point(rng, size) for _ in range(rng.randrange(2, 30))]}
    if kind == "cuboid_2d":
        return {"points": [_point(rng, size) for _ in range(8)]}
    if kind == "cuboid_plain":
        return {"points": [_point(rng, size) for _ in range(rng.choice((4, 6)))]}
    if kind == "segmentation_mask":
        left, top, right, bottom = _box(rng, size)
        right, bottom = min(right, left + 60), min(bottom, top + 40)
        area = (right - left) * (bottom - top)
        if rng.random() < 0.5:
            area = (right - left + 1) * (bottom - top + 1)
        runs, letter = [], rng.choice("TF")
        while area:
            count = min(area, rng.randrange(1, 200))
            runs.append(f"{count}{letter}")
            area -= count
            letter = "T" if letter == "F" else "F"
        # y first: [[top, left], [bottom, right]], as AIMMO's annotator writes a bound.
        return {"mask": "".join(runs), "bound": [[top, left], [bottom, right]]}
    raise ValueError(kind)


def _annotation(rng: random.Random, kind: str, number: int, size) -> dict:
    annotation = {
        "id": _annotation_id(rng, number),
        "type": kind,
        "label": rng.choice(LABELS),
        "attributes": copy.deepcopy(rng.choice(ATTRIBUTES)),
    }
    if kind == "cuboid":
        annotation.update(
            geometry=[round(rng.uniform(0.3, 12), 6) for _ in range(3)],
            position=[round(rng.uniform(-80, 80), 6) for _ in range(3)],
            rotation=[0, 0, rng.uniform(-1.5707963267948966, 4.71238898038469)],
        )
        if rng.random() < 0.8:
            annotation["pointCount"] = rng.randrange(0, 10000)
    elif kind == "lasso":
        annotation["indices"] = "-".join(str(rng.randrange(0, 200000)) for _ in range(rng.randrange(1, 80)))
    elif kind == "frameRange":
        start = rng.randrange(0, 50000)
        end = start + rng.randrange(0, 3000)
        annotation.update(startFrame=start, endFrame=end, startTime=start / 29.97, endTime=end / 29.97)
    elif kind == "entity":
        text = " ".join(rng.choice(WORDS) for _ in range(rng.randrange(1, 4)))
        start = rng.randrange(0, 5000)
        annotation.update(text=text, start=start, end=start + len(text))
    else:
        annotation.update(_image_fields(rng, kind, size))
    return annotation


def document(rng: random.Random, resource: str, annotations: int) -> dict:
    """One valid document of a resource type with about `annotations` annotations."""
    size = rng.choice(SIZES)
    doc: dict = {
        "annotations": [],
        "attributes": copy.deepcopy(rng.choice(ATTRIBUTES)),
        "file_id": _object_id(rng),
        "filename": f"{rng.getrandbits(32):08x}.jpg",
        "parent_path": f"/batch_{rng.randrange(1, 9)}/2022062{rng.randrange(0, 9)}/daytime",
        "last_modifier_id": _object_id(rng),
        "last_workers": {"라벨링": _object_id(rng), "검수": None, "최종 검수": None},
        "tags": ["car"],
        "parent_tags": ["1차작업"],
    }
    if resource in ("image", "image-pixel", "sequence"):
        doc["metadata"] = {"width": size[0], "height": size[1]}
        kinds = {"image": IMAGE_TYPES, "image-pixel": ("segmentation_mask",)}.get(
            resource, (*IMAGE_TYPES, "segmentation_mask")
        )
    elif resource == "video":
        doc["metadata"] = {"fps": rng.choice((30, 29.97, 60))}
        kinds = ("frameRange",)
    elif resource == "pointcloud":
        doc["metadata"] = {}
        kinds = ("cuboid", "lasso")
    else:
        doc["metadata"] = {}
        doc["label"] = "business"
        kinds = ("entity",)
    if resource in ("sequence", "pointcloud"):
        doc["scene_id"] = _object_id(rng)
        doc["frame_number"] = rng.randrange(0, 500)
    count = max(0, int(rng.gauss(annotations, annotations / 4))) if annotations else 0
    for number in range(1, count + 1):
        annotation = _annotation(rng, rng.choice(kinds), number, size)
        if resource == "sequence":
            annotation["track_id"] = number if rng.random() < 0.5 else f"t{number}"
        doc["annotations"].append(annotation)
    return doc


def resources(rng: random.Random, count: int) -> list[str]:
    """The resource type of each of `count` documents, in the proportions of MIX, every type present."""
    names = [name for name, _ in MIX]
    weights = [weight for _, weight in MIX]
    chosen = names[: min(count, len(names))] + rng.choices(names, weights, k=max(0, count - len(names)))
    return chosen


def export(seed: int, count: int, annotations: int = 100):
    """Yield (name, document) for a synthetic export of `count` valid documents, valid as a whole too:
    file ids are random ObjectIds, each document names a file of its own (its number leads the file
    name), and each frame is a scene of its own (no whole-export rule fires)."""
    rng = random.Random(seed)
    for i, resource in enumerate(resources(rng, count)):
        doc = document(rng, resource, annotations)
        doc["filename"] = f"{i:06d}-{doc['filename']}"
        yield f"{resource}-{i:06d}.json", doc


# --- Mutations: small edits that break (or keep) a document, for the equivalence test.

_NUMBERS = (-1, 0, 0.5, 1, 2, 1e6, 4.8, -89.6, 270.1, 3, True, None, "1")
_STRINGS = (
    "",
    "x",
    "0-0",
    "12T",
    "0T",
    "3F4T",
    "620aea6c1e3c3ccd9cfd8bc9",
    "620AEA6C1E3C3CCD9CFD8BC9",
    "1-48f557c0-3fff-4227-bd18-8574ff7f8ad0",
    "bbox",
    "entity",
    "/",
    "a-b",
    "1--2",
)


def _nodes(value, path=()):
    yield path, value
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _nodes(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _nodes(item, (*path, index))


def _set(doc, path, value):
    target = doc
    for part in path[:-1]:
        target = target[part]
    target[path[-1]] = value


def _semantic(rng: random.Random, doc: dict) -> None:
    """An edit aimed at one rule of the vocabulary, near its boundary (it may keep the document valid)."""
    found = doc.get("annotations")
    annotations = [a for a in found if isinstance(a, dict)] if isinstance(found, list) else []
    if not annotations:
        return
    annotation = rng.choice(annotations)
    metadata = doc.get("metadata") if isinstance(doc.get("metadata"), dict) else {}
    width, height = metadata.get("width"), metadata.get("height")
    if not (isinstance(width, int | float) and isinstance(height, int | float)):
        width = height = 100  # a mutation broke the size: nudge around some size all the same
    nudge = rng.choice((-1, 1, 0.5, -0.5, 1e-9, 0))
    points = annotation.get("points") or annotation.get("bound")
    if rng.random() < 0.15:
        other = rng.choice(annotations)
        annotation["id"] = other.get("id")  # a repeated id (or the same annotation: no change)
    elif isinstance(points, list) and points and all(isinstance(p, list) and len(p) == 2 for p in points):
        i = rng.randrange(len(points))
        axis = rng.randrange(2)
        choice = rng.random()
        if choice < 0.4:
            # on or just past the image edge (a mask's bound is [y, x])
            edge = (height, width) if "bound" in annotation else (width, height)
            points[i][axis] = edge[axis] + nudge
        elif choice < 0.6:
            points[i][axis] = 0 + nudge
        elif choice < 0.8 and len(points) > 1:
            j = rng.randrange(len(points))
            points[i], points[j] = points[j], points[i]
        elif isinstance(points[i][axis], int | float):
            points[i][axis] += nudge
    elif "rect" in annotation and isinstance(annotation["rect"], list) and len(annotation["rect"]) == 4:
        i = rng.randrange(4)
        if isinstance(annotation["rect"][i], int | float):
            annotation["rect"][i] += rng.choice((-1, 1, width, -width))
    elif "keypoints" in annotation:
        keys = annotation.setdefault("invisible_keys", [])
        if isinstance(keys, list):
            keys.append(rng.choice(("k0", "k1", "k99", "")))
    elif "mask" in annotation and isinstance(annotation["mask"], str):
        mask = annotation["mask"]
        annotation["mask"] = rng.choice((mask + "1T", mask[:-2], "0" + mask, mask + "T"))
    elif "text" in annotation:
        key = rng.choice(("end", "start"))
        if isinstance(annotation.get(key), int):
            annotation[key] += rng.choice((-1, 1, 0))
    elif "endFrame" in annotation:
        key = rng.choice(("endFrame", "endTime", "startFrame", "startTime"))
        if isinstance(annotation.get(key), int | float):
            annotation[key] = annotation[key] + rng.choice((-3000, -1, 1, 0))
    elif "indices" in annotation and isinstance(annotation["indices"], str):
        indices = annotation["indices"]
        annotation["indices"] = rng.choice((indices + "-", "-" + indices, "1-2", "1 2", "0" + indices, "0-0"))


def mutate(rng: random.Random, doc: dict) -> dict:
    """A copy of the document with one to three random edits (some of which change nothing)."""
    doc = copy.deepcopy(doc)
    for _ in range(rng.randrange(1, 4)):
        if rng.random() < 0.5:
            _semantic(rng, doc)
            continue
        nodes = list(_nodes(doc))
        path, value = rng.choice(nodes)
        action = rng.random()
        if not path:
            doc[rng.choice(("extra", "label", "scene_id", "frame_number"))] = rng.choice(
                (*_STRINGS, *_NUMBERS)
            )
        elif action < 0.3 and isinstance(value, (int, float)) and not isinstance(value, bool):
            _set(doc, path, rng.choice((value + rng.choice((-1, 1, 0.5, 1000, -1000)), *_NUMBERS)))
        elif action < 0.45 and isinstance(value, str):
            _set(doc, path, rng.choice((*_STRINGS, value + "x", value[:-1], value.upper())))
        elif action < 0.6:
            parent = doc
            for part in path[:-1]:
                parent = parent[part]
            if isinstance(parent, dict):
                del parent[path[-1]]
            else:
                parent.pop(path[-1])
        elif action < 0.7 and isinstance(value, list) and value:
            value.append(copy.deepcopy(rng.choice(value)))
        elif action < 0.8 and isinstance(value, list) and len(value) > 1:
            i, j = rng.sample(range(len(value)), 2)
            value[i], value[j] = value[j], value[i]
        elif action < 0.9 and isinstance(value, dict):
            value[rng.choice(("extra", "type", "track_id", "id", "width", "fps", "points", "text"))] = (
                rng.choice((*_STRINGS, *_NUMBERS, [], {}, [[1, 2]]))
            )
        else:
            _set(doc, path, rng.choice((*_NUMBERS, *_STRINGS, [], {}, [1, 2], [[0, 0], [1, 1]])))
    return doc


# --- Faults: one known problem put into a valid document, for the every-file-fails benchmark and the
# equivalence tests. Each takes (rng, document) and returns True when it applied (the document has
# what it needs: an annotation of the right type, an image size...).


def _pick(rng: random.Random, doc: dict, *kinds: str) -> dict | None:
    found = [a for a in doc["annotations"] if not kinds or a["type"] in kinds]
    return rng.choice(found) if found else None


def _set_field(kinds: tuple[str, ...], key: str, value) -> Callable[[random.Random, dict], bool]:
    def fault(rng: random.Random, doc: dict) -> bool:
        annotation = _pick(rng, doc, *kinds)
        if annotation is None:
            return False
        annotation[key] = copy.deepcopy(value)
        return True

    return fault


def _del_field(key: str) -> Callable[[random.Random, dict], bool]:
    def fault(rng: random.Random, doc: dict) -> bool:
        annotation = _pick(rng, doc)
        if annotation is None or key not in annotation:
            return False
        del annotation[key]
        return True

    return fault


def _outside(rng: random.Random, doc: dict) -> bool:
    annotation = _pick(rng, doc, "poly_seg", "polygon", "polyline", "cuboid_2d")
    if annotation is None or "width" not in doc["metadata"]:
        return False
    rng.choice(annotation["points"])[0] = doc["metadata"]["width"] + rng.choice((1, 0.5, 100))
    return True


def _swap_corners(rng: random.Random, doc: dict) -> bool:
    annotation = _pick(rng, doc, "bbox")
    if annotation is None:
        return False
    points = annotation["points"]
    points[0], points[2] = points[2], points[0]
    return True


def _mask_area(rng: random.Random, doc: dict) -> bool:
    annotation = _pick(rng, doc, "segmentation_mask")
    if annotation is None:
        return False
    annotation["mask"] += "7T" if annotation["mask"].endswith("F") else "7F"
    return True


def _lasso(rng: random.Random, doc: dict) -> bool:
    annotation = _pick(rng, doc, "lasso")
    if annotation is None:
        return False
    annotation["indices"] += "-"
    return True


def _invisible_key(rng: random.Random, doc: dict) -> bool:
    annotation = _pick(rng, doc, "keypoint")
    if annotation is None:
        return False
    annotation.setdefault("invisible_keys", []).append("no such point")
    return True


def _end_before_start(rng: random.Random, doc: dict) -> bool:
    annotation = _pick(rng, doc, "frameRange", "entity")
    if annotation is None:
        return False
    key = "endFrame" if annotation["type"] == "frameRange" else "end"
    annotation[key] = max(0, annotation[key.replace("end", "start").replace("End", "Start")] - 1)
    return True


def _span_length(rng: random.Random, doc: dict) -> bool:
    annotation = _pick(rng, doc, "entity")
    if annotation is None:
        return False
    annotation["end"] += 1
    return True


def _repeated_id(rng: random.Random, doc: dict) -> bool:
    if len(doc["annotations"]) < 2:
        return False
    first, second = rng.sample(doc["annotations"], 2)
    second["id"] = first["id"]
    return True


def _track_id(rng: random.Random, doc: dict) -> bool:
    if "scene_id" in doc:
        return False
    return _set_field((), "track_id", 7)(rng, doc)


def _foreign_type(rng: random.Random, doc: dict) -> bool:
    if "width" not in doc["metadata"] or not doc["annotations"]:
        return False
    annotation = _pick(rng, doc)
    assert annotation is not None
    keep = {key: annotation[key] for key in ("id", "label", "attributes", "track_id") if key in annotation}
    annotation.clear()
    annotation.update(keep, type="entity", text="AIMMO", start=0, end=5)
    return True


def _file_id(rng: random.Random, doc: dict) -> bool:
    doc["file_id"] = doc["file_id"].upper()
    return True


def _document_field(rng: random.Random, doc: dict) -> bool:
    doc["parent_path"] = doc["parent_path"].lstrip("/")
    return True


#: name -> (family, fault). Families: schema, format, semantic (our vocabulary), profile.
FAULTS = {
    "empty-label": ("schema", _set_field((), "label", "")),
    "unknown-property": ("schema", _set_field((), "colour", "red")),
    "wrong-type": ("schema", _set_field((), "attributes", ["occluded"])),
    "missing-field": ("schema", _del_field("label")),
    "too-few-points": ("schema", _set_field(("polygon", "poly_seg"), "points", [[1, 1], [2, 2]])),
    "document-field": ("schema", _document_field),
    "annotation-id": ("format", _set_field((), "id", "48f557c0-3fff-4227-bd18")),
    "file-id": ("format", _file_id),
    "outside-image": ("semantic", _outside),
    "bbox-corners": ("semantic", _swap_corners),
    "mask-area": ("semantic", _mask_area),
    "lasso-indices": ("semantic", _lasso),
    "invisible-key": ("semantic", _invisible_key),
    "end-before-start": ("semantic", _end_before_start),
    "span-length": ("semantic", _span_length),
    "repeated-id": ("semantic", _repeated_id),
    "track-id": ("profile", _track_id),
    "foreign-type": ("profile", _foreign_type),
}


def break_document(rng: random.Random, doc: dict, kinds, faults: int = 1) -> list[str]:
    """Put `faults` faults of the given kinds (names of FAULTS) into the document, each where it
    applies; the names of those put in (fewer when none of the kinds applies)."""
    done = []
    for _ in range(faults):
        for name in rng.sample(list(kinds), len(kinds)):
            if FAULTS[name][1](rng, doc):
                done.append(name)
                break
    return done


def failing_export(seed: int, count: int, annotations: int = 100, kinds=tuple(FAULTS), faults: int = 1):
    """Yield (name, document, the kinds of fault put in) for a synthetic export of `count` documents,
    each with `faults` faults of the given kinds (resource types where none applies are passed over)."""
    rng = random.Random(seed)
    names, weights = [name for name, _ in MIX], [weight for _, weight in MIX]
    made = tries = 0
    while made < count:
        tries += 1
        if tries > 100 * count:
            raise ValueError(f"none of the faults {kinds} applies to the documents made")
        resource = names[tries - 1] if tries <= len(names) else rng.choices(names, weights)[0]
        doc = document(rng, resource, annotations)
        applied = break_document(rng, doc, kinds, faults)
        if applied:
            yield f"{resource}-{made:06d}.json", doc, applied
            made += 1


def main(argv: list[str] | None = None) -> int:
    import argparse
    import json
    import sys

    parser = argparse.ArgumentParser(
        description=__doc__ + " Writes them as JSON Lines to standard output, e.g. "
        "`python scripts/synthetic.py --count 1000 | aimmo-gt validate --jsonl -`.",
    )
    parser.add_argument("--count", type=int, default=10, help="documents to write (default: 10)")
    parser.add_argument("--annotations", type=int, default=20, help="annotations a document (default: 20)")
    parser.add_argument("--seed", type=int, default=0, help="the same seed writes the same documents")
    parser.add_argument(
        "--mutate", action="store_true", help="break each document with one to three random edits"
    )
    args = parser.parse_args(argv)
    rng = random.Random(args.seed)
    for _name, doc in export(args.seed, args.count, args.annotations):
        sys.stdout.write(json.dumps(mutate(rng, doc) if args.mutate else doc, ensure_ascii=False) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
