"""Write GT exports: the example under examples/export/, or a large generated one with broken files.

    python scripts/make_export.py                      # rewrite examples/export/
    python scripts/make_export.py --files 20000 DIR    # a generated export, 1% broken (for benchmarks)

The documents follow the vendor's examples (shared/format/aimmo-json-form.txt), repaired where
DECISIONS.md says the examples are inconsistent (the mask bound, the entity span).
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import random
import shutil
import sys
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples" / "export"

_random = random.Random(20220624)


def _uuid(prefix: int | None = None) -> str:
    value = str(uuid.UUID(int=_random.getrandbits(128), version=4))
    return f"{prefix}-{value}" if prefix is not None else value


def _oid() -> str:
    return f"{_random.getrandbits(96):024x}"


def _workers() -> dict:
    return {"라벨링": _oid(), "검수": _oid(), "최종 검수": None}


def _image(filename: str, parent: str, annotations: list, **extra) -> dict:
    document = {
        "annotations": annotations,
        "attributes": {},
        "file_id": _oid(),
        "filename": filename,
        "parent_path": parent,
        "last_modifier_id": _oid(),
        "metadata": {"height": 1080, "width": 1920},
        "last_workers": _workers(),
    }
    document.update(extra)
    return document


def _box(x: int, y: int, w: int, h: int) -> list:
    return [[x, y], [x + w, y], [x + w, y + h], [x, y + h]]


def _bbox(prefix: int, label: str, x: int, y: int, w: int, h: int, **attributes) -> dict:
    return {
        "id": _uuid(prefix),
        "type": "bbox",
        "points": _box(x, y, w, h),
        "label": label,
        "attributes": attributes,
    }


_POLY = [
    [747, 937],
    [761, 867],
    [783, 780],
    [787, 719],
    [793, 652],
    [795, 587],
    [780, 575],
    [759, 557],
    [783, 588],
    [787, 629],
    [773, 768],
    [755, 861],
    [744, 923],
]


def example_documents() -> dict[str, dict]:
    """The valid documents of the example export, by path under examples/export/."""
    _random.seed(20220624)
    day = "/batch_5/20220624/daytime"
    night = "/batch_5/20220624/night"
    docs: dict[str, dict] = {}

    docs["images/daytime/image (28).json"] = _image(
        "image (28).jpeg",
        day,
        [
            _bbox(1, "car", 297, 307, 872, 223, is_parked="y", occlusion="30%"),
            _bbox(2, "pedestrian", 1402, 511, 58, 171, is_parked="n", occlusion="0%"),
        ],
        tags=["car"],
        parent_tags=["1차작업"],
    )
    docs["images/daytime/image (29).json"] = _image(
        "image (29).jpeg",
        day,
        [
            {
                "id": _uuid(),
                "type": "obbox_v2",
                "attributes": {},
                "rect": [1461, 570, 9, 21],
                "degree": 228.5,
                "label": "vehicle",
            },
            {
                "id": _uuid(6),
                "type": "cuboid_plain",
                "attributes": {},
                "points": [[1150, 365], [1564, 365], [1564, 591], [1150, 591]],
                "label": "차량",
            },
        ],
    )
    docs["images/daytime/image (30).json"] = _image(
        "image (30).jpeg",
        day,
        [
            {
                "id": _uuid(3),
                "type": "keypoint",
                "keypoints": {"PointLabel#1": [0, 1], "PointLabel#2": [10, 231], "PointLabel#3": [213, 322]},
                "invisible_keys": ["PointLabel#2"],
                "label": "damaged",
                "attributes": {"confidence": "1", "size": "large"},
            },
        ],
    )
    docs["images/daytime/image (31).json"] = _image(
        "image (31).jpeg",
        day,
        [
            {
                "id": _uuid(1),
                "type": "poly_seg",
                "points": _POLY,
                "label": "damaged",
                "attributes": {"confidence": "1", "size": "large"},
            },
            {
                "id": _uuid(1),
                "type": "polygon",
                "points": [[x + 300, y - 100] for x, y in _POLY],
                "label": "damaged",
                "attributes": {"confidence": "0.8", "size": ["large", "irregular"]},
            },
        ],
    )
    docs["images/night/image (7).json"] = _image(
        "image (7).jpeg",
        night,
        [
            {
                "id": _uuid(1),
                "type": "polyline",
                "points": [[747, 937], [761, 867], [783, 780]],
                "label": "yellow_line",
                "attributes": {"confidence": "1"},
            },
            {
                "id": _uuid(2),
                "type": "polyline",
                "points": [[100, 1080], [640, 600], [960, 420], [1010, 380]],
                "label": "white_line",
                "attributes": {},
            },
        ],
    )
    docs["images/night/image (8).json"] = _image(
        "image (8).jpeg",
        night,
        [
            {
                "id": _uuid(1),
                "type": "cuboid_2d",
                "points": [
                    [0, 0],
                    [100, 0],
                    [100, 100],
                    [0, 100],
                    [200, 200],
                    [300, 200],
                    [300, 300],
                    [200, 300],
                ],
                "label": "damaged",
                "attributes": {"confidence": "1", "size": "large"},
            },
        ],
    )
    docs["images/night/image (9).json"] = _image(
        "image (9).jpeg", night, [], attributes={"occlusion": "Less than 30%"}, label="car"
    )

    pixel = "/batch_6/20220701/pixel"
    docs["masks/road_01.json"] = _image(
        "road_01.png",
        pixel,
        [
            {
                "id": _uuid(1),
                "type": "segmentation_mask",
                "mask": "23F456T232F234T",
                "bound": [[100, 200], [145, 221]],
                "attributes": {"occlusion": "30%"},
                "label": "car",
            },
        ],
    )
    docs["masks/road_02.json"] = _image(
        "road_02.png",
        pixel,
        [
            {
                "id": _uuid(1),
                "type": "segmentation_mask",
                "mask": "20F10T20F",
                "bound": [[0, 0], [10, 5]],
                "attributes": {},
                "label": "road",
            },
            {
                "id": _uuid(2),
                "type": "segmentation_mask",
                "mask": "3F3T3F",
                "bound": [[500, 500], [502, 502]],
                "attributes": {},
                "label": "sign",
            },
        ],
    )

    scene = _oid()
    for frame in range(3):
        name = f"frame_{frame:04d}"
        docs[f"scenes/scene_0001/{name}.json"] = _image(
            f"{name}.jpg",
            "/batch_7/scene_0001",
            [
                {**_bbox(1, "car", 297 + 10 * frame, 307, 200, 120), "track_id": 1},
                {**_bbox(2, "truck", 900 - 15 * frame, 400, 300, 220, is_parked="n"), "track_id": "2"},
            ],
            scene_id=scene,
            frame_number=frame,
        )

    lidar = _oid()
    for frame in range(3):
        name = f"{frame:06d}"
        docs[f"lidar/scene_0002/{name}.json"] = {
            "annotations": [
                {
                    "id": _uuid(),
                    "type": "cuboid",
                    "geometry": [4.760000000000003, 1.92, 1.96],
                    "position": [13.075738648931754 + frame * 0.8, 4.250296285924759, -0.8600000000000001],
                    "rotation": [0, 0, 3.6739180754480634],
                    "pointCount": 6126 - frame * 40,
                    "label": "car",
                    "attributes": {"direction": "forward"},
                },
                {
                    "id": _uuid(),
                    "type": "lasso",
                    "indices": "111534-3-57-132-3-57-132-3-57-36-96-3",
                    "label": "pedestrian",
                    "attributes": {"direction": "forward", "is_walking": "y"},
                },
            ],
            "attributes": {},
            "file_id": _oid(),
            "scene_id": lidar,
            "filename": f"{name}.pcd",
            "parent_path": "/batch_8/lidar/scene_0002",
            "metadata": {},
            "last_workers": {},
        }

    for number, (start, end, label) in enumerate([(3028, 3159, "dance"), (120, 480, "walk")], start=1):
        docs[f"videos/clip_{number:02d}.json"] = {
            "annotations": [
                {
                    "id": _uuid(1),
                    "type": "frameRange",
                    "startFrame": start,
                    "endFrame": end,
                    "startTime": start / 29.97,
                    "endTime": end / 29.97,
                    "label": label,
                    "attributes": {"subclass": "samba" if label == "dance" else "slow"},
                },
            ],
            "attributes": {"weather": "clear"},
            "file_id": _oid(),
            "filename": f"clip_{number:02d}.mp4",
            "parent_path": "/batch_9/videos",
            "metadata": {"fps": 29.97},
        }

    for number, (text, start, label) in enumerate(
        [("AIMMO", 10, "company"), ("에이모", 4, "회사명")], start=1
    ):
        docs[f"texts/review_{number:02d}.json"] = {
            "annotations": [
                {
                    "id": _uuid(1),
                    "type": "entity",
                    "label": label,
                    "text": text,
                    "start": start,
                    "end": start + len(text),
                    "attributes": {"hand_writed": "y"},
                },
            ],
            "attributes": {},
            "file_id": _oid(),
            "filename": f"review_{number:02d}.txt",
            "parent_path": "/batch_10/texts",
            "metadata": {},
        }
    return docs


def _dump(document: object) -> bytes:
    return (json.dumps(document, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


#: The broken files of the example export: path -> (what is wrong, bytes, expected {rule ids}).
def example_broken(valid: dict[str, dict]) -> dict[str, tuple[str, bytes, set[str]]]:
    # Each broken file is a copy of a valid one under a new file name and a new file_id (its own
    # reversed: no dataset.duplicate-file-id), so that it is broken only in the way it says.
    broken: dict[str, tuple[str, bytes, set[str]]] = {}

    def copied(path: str) -> dict:
        doc = copy.deepcopy(valid[path])
        doc["file_id"] = doc["file_id"][::-1]
        return doc

    doc = copied("images/daytime/image (28).json")
    doc["filename"] = "image (32).jpeg"
    doc["annotations"][0]["points"] = [[297, 307], [1169, 530], [1169, 307], [297, 530]]
    broken["images/daytime/image (32).json"] = ("bbox corners out of order", _dump(doc), {"geometry.bbox"})

    doc = copied("masks/road_01.json")
    doc["filename"] = "road_03.png"
    doc["annotations"][0]["bound"] = [[100, 200], [400, 300]]  # the vendor's bound: 30,000 pixels, runs 945
    broken["masks/road_03.json"] = ("mask runs do not cover the bound", _dump(doc), {"mask.area"})

    doc = copied("videos/clip_01.json")
    doc["filename"] = "clip_03.mp4"
    doc["annotations"][0]["startFrame"], doc["annotations"][0]["endFrame"] = 3159, 3028
    broken["videos/clip_03.json"] = ("endFrame before startFrame", _dump(doc), {"order.end-after-start"})

    text = _dump(copied("lidar/scene_0002/000002.json")).decode()
    text = text.replace('"000002.pcd"', '"000003.pcd"')
    broken["lidar/scene_0002/000003.json"] = (
        "truncated by an interrupted copy",
        text[: len(text) // 2].encode(),
        {"json.parse"},
    )

    text = _dump(copied("texts/review_01.json")).decode().replace('"review_01.txt"', '"review_03.txt"')
    text = text.replace('"label": "company",', '"label": "company",\n      "label": "organisation",', 1)
    broken["texts/review_03.json"] = (
        "the key 'label' twice in one annotation",
        text.encode(),
        {"json.duplicate-key"},
    )
    return broken


def write_examples(target: Path = EXAMPLES) -> None:
    if target.exists():
        shutil.rmtree(target)
    valid = example_documents()
    files = {path: _dump(doc) for path, doc in valid.items()}
    files.update({path: data for path, (_why, data, _rules) in example_broken(valid).items()})
    for path, data in sorted(files.items()):
        destination = target / path
        destination.parent.mkdir(parents=True, exist_ok=True)
        destination.write_bytes(data)


# --- A large generated export, for the memory benchmark and its small test.


#: Ways a file can be broken at the input level: name -> (bytes, rule id expected). A BOM is only
#: a warning: such a file stays valid.
def input_breakages(valid: bytes) -> dict[str, tuple[bytes, str]]:
    return {
        "empty": (b"", "json.empty"),
        "truncated": (valid[: len(valid) // 2], "json.parse"),
        "nan": (valid.replace(b'"annotations": [', b'"annotations": [NaN, ', 1), "json.non-finite"),
        "encoding": (valid.replace(b'"attributes"', b'"attr\xff\xfebutes"', 1), "json.encoding"),
        "bom": (b"\xef\xbb\xbf" + valid, "json.bom"),
        "duplicate": (
            valid.replace(b'"filename"', b'"filename": "x.jpg", "filename"', 1),
            "json.duplicate-key",
        ),
        "deep": (b'{"annotations": ' + b"[" * 100_000 + b"]" * 100_000 + b"}", "json.depth"),
        "huge-number": (valid.replace(b'"width": 1920', b'"width": 1e400', 1), "json.number-range"),
        "huge-integer": (valid.replace(b'"width": 1920', b'"width": ' + b"9" * 400, 1), "json.number-range"),
        "root-array": (b"[" + valid + b"]", "json.root-type"),
        "unreadable": (b"", "file.unreadable"),  # written as a dangling symbolic link
        "too-large": (b" " * (2 * 1024 * 1024) + valid, "file.too-large"),  # with --max-bytes 1M
    }


#: The breakages whose document still parses (a BOM, a repeated key): such a file takes part in the
#: whole-export rules, so it has a name and a file_id of its own like any other.
PARSED_BREAKAGES = ("bom", "duplicate")


def _copy(template: dict, number: int, copy: int) -> dict:
    """A template as the `copy`-th copy in a generated export, at file `number`: a file_id, folder and
    scene of its own, so that no whole-export rule (dataset.*) fires on a generated export. (A shallow
    copy: copies share the template's annotations.)"""
    doc = dict(template)
    doc["file_id"] = f"{number:024x}"
    doc["parent_path"] = f"{template['parent_path']}/copy_{copy:06d}"
    if "scene_id" in template:
        doc["scene_id"] = template["scene_id"][:12] + f"{copy:012x}"
    return doc


def generated(files: int, broken_every: int = 0):
    """Yield (relative path, document, breakage) for a generated export of `files` documents in
    folders of 500: copies of the example's valid documents in turn, each with a file_id, folder and
    scene of its own (`_copy`: no whole-export rule fires). With `broken_every`, every
    `broken_every`-th is an image (it has a width to break) meant to be broken in one of the input
    ways, in turn (`breakage`, else None); it takes the place of no copy, so every copied scene keeps
    all its frames."""
    templates = list(example_documents().values())
    kinds = list(input_breakages(b""))
    copied = 0
    for number in range(files):
        relative = f"part_{number // 500:04d}/{number:07d}.json"
        if broken_every and number % broken_every == broken_every - 1:
            doc = _copy(templates[0], number, 0)
            doc["parent_path"] = f"/broken/{number:07d}"
            yield relative, doc, kinds[(number // broken_every) % len(kinds)]
        else:
            yield relative, _copy(templates[copied % len(templates)], number, copied // len(templates)), None
            copied += 1


def write_generated(
    target: Path, files: int, broken_every: int = 100, resources: Path | None = None
) -> dict[str, str]:
    """Write `generated(files, broken_every)` under `target`, breaking the files it says. With
    `resources`, an empty resource file is written there for each document that parses, at its
    parent_path + filename. Returns {relative path: rule id} of the broken files."""
    expected: dict[str, str] = {}
    for relative, doc, kind in generated(files, broken_every):
        path = target / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        data = _dump(doc)
        if kind is not None:
            data, expected[relative] = input_breakages(data)[kind]
            if kind == "unreadable":
                os.symlink("does-not-exist.json", path)
                continue
        path.write_bytes(data)
        if resources is not None and (kind is None or kind in PARSED_BREAKAGES):
            resource = resources / doc["parent_path"].lstrip("/") / doc["filename"]
            resource.parent.mkdir(parents=True, exist_ok=True)
            resource.touch()
    return expected


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("target", nargs="?", type=Path, help="where to write (default: examples/export)")
    parser.add_argument("--files", type=int, help="write a generated export of this many files instead")
    args = parser.parse_args(argv)
    if args.files:
        if args.target is None:
            parser.error("a generated export needs a target directory")
        expected = write_generated(args.target, args.files)
        print(f"{args.files} files, {len(expected)} broken", file=sys.stderr)
    else:
        write_examples(args.target or EXAMPLES)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
