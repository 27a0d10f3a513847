"""Whole-export rules: a small facts record per document, reduced in walk order into diagnostics.

A worker checking one file also takes from the document it already decoded the few facts the
cross-file rules need (`Facts`: file id, parent_path + filename, scene, frame number, image size,
each track's first label and type, the distinct labels): never the document. The parent feeds the
reports, in walk order, to one `Export`, which keeps only what later files are compared with, and
gives back each report with the diagnostics that file earned against the files before it (DECISIONS.md,
"Across files": the first file of a group is the reference, each later one that disagrees is
reported, naming the reference file and pointer). What is known only once every file was read (a
frame gap, a resource file no GT file names) comes from `Export.finish`.

Nothing here knows how files were read or checked: the facts are plain tuples (small, picklable), and
`Export` is a plain class, so any backend (inline, a process pool, Dask) can feed it.
"""

from __future__ import annotations

import os
import re
import stat
import sys
from array import array
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from itertools import pairwise
from operator import attrgetter
from typing import TYPE_CHECKING, NamedTuple

from ._diagnostics import Diagnostic, passes
from ._rules import DATASET_RULES

if TYPE_CHECKING:
    from ._check import FileReport

TrackId = str | int

_OBJECT_ID = re.compile(r"[0-9a-f]{24}")


class Facts(NamedTuple):
    """What the whole-export rules need of one document that parsed (each field None or empty when the
    document does not have it with the right type: a file_id that is an ObjectId string, an integer
    frame_number...)."""

    file_id: str | None = None
    #: parent_path + "/" + filename, with empty and "." segments dropped ("/batch_5/day/a.jpg").
    name: str | None = None
    scene_id: str | None = None
    frame_number: int | None = None
    #: metadata (width, height) when both are positive integers.
    size: tuple[int, int] | None = None
    #: For a frame of a scene (scene_id set): (track_id, label, type, annotation index) of the first
    #: annotation of each track_id, in document order.
    tracks: tuple[tuple[TrackId, str, str, int], ...] = ()
    #: (label, pointer) of each distinct label, where it first occurs: the annotations' labels in
    #: document order, then the document's own label (`/label`).
    labels: tuple[tuple[str, str], ...] = ()


def join_name(parent_path: str, filename: str) -> str:
    """parent_path + filename as one path: `/a/b/` + `c.jpg` and `/a/b` + `c.jpg` are the same file."""
    parts = [part for part in f"{parent_path}/{filename}".split("/") if part not in ("", ".")]
    return "/" + "/".join(parts)


def _is_object_id(value: object) -> bool:
    return type(value) is str and _OBJECT_ID.fullmatch(value) is not None


def _is_int(value: object) -> bool:
    return type(value) is int  # not bool, not float: a frame number of 3.0 takes no part


def _make(
    file_id, parent_path, filename, scene_id, frame_number, width, height, labels, kinds, track_ids, label
) -> Facts:
    """Facts from the document's fields (any JSON value; UNSET or None when absent) and, per annotation,
    its label, type and track_id (None where the annotation is not an object)."""
    scene = scene_id if _is_object_id(scene_id) else None
    tracks: list[tuple[TrackId, str, str, int]] = []
    if scene is not None:
        first: dict[TrackId, int] = {}
        for index, track in enumerate(track_ids):
            if (type(track) is int or type(track) is str) and track not in first:
                first[track] = index
        for track, index in first.items():
            if type(labels[index]) is str and type(kinds[index]) is str:
                tracks.append((track, labels[index], kinds[index], index))
    seen: dict[str, str] = {}
    for index, value in enumerate(labels):
        if type(value) is str and value not in seen:
            seen[value] = f"/annotations/{index}/label"
    if type(label) is str and label not in seen:
        seen[label] = "/label"
    return Facts(
        file_id if _is_object_id(file_id) else None,
        join_name(parent_path, filename) if type(parent_path) is str and type(filename) is str else None,
        scene,
        frame_number if _is_int(frame_number) else None,
        (width, height) if _is_int(width) and _is_int(height) and width > 0 and height > 0 else None,
        tuple(tracks),
        tuple(seen.items()),
    )


_label, _kind, _track_id = attrgetter("label"), attrgetter("kind"), attrgetter("track_id")


def facts_of_struct(document) -> Facts:
    """The facts of a document the fast engine decoded and passed (its typed struct, _fast.py):
    every field already has its type, so this costs little more than reading the attributes."""
    annotations = document.annotations
    metadata = document.metadata
    has_scene = not _unset(document.scene_id)
    return _make(
        document.file_id,
        document.parent_path,
        document.filename,
        document.scene_id,
        document.frame_number,
        metadata.width,
        metadata.height,
        list(map(_label, annotations)),
        list(map(_kind, annotations)) if has_scene else (),
        list(map(_track_id, annotations)) if has_scene else (),
        document.label,
    )


def _unset(value: object) -> bool:
    return type(value).__name__ == "UnsetType"


def facts_of_document(document: object) -> Facts | None:
    """The facts of a parsed JSON document (None when it is not an object: it takes no part)."""
    if not isinstance(document, dict):
        return None
    get = document.get
    metadata = get("metadata")
    if not isinstance(metadata, dict):
        metadata = {}
    found = get("annotations")
    annotations = [a if isinstance(a, dict) else {} for a in found] if isinstance(found, list) else []
    return _make(
        get("file_id"),
        get("parent_path"),
        get("filename"),
        get("scene_id"),
        get("frame_number"),
        metadata.get("width"),
        metadata.get("height"),
        [a.get("label") for a in annotations],
        [a.get("type") for a in annotations],
        [a.get("track_id") for a in annotations],
        get("label"),
    )


def fold(label: str) -> str:
    """A label with letter case, leading and trailing white space and runs of inner white space
    folded (DECISIONS.md: `_` is not white space)."""
    return " ".join(label.split()).casefold()


# --- The upload's folder rule: the resource folder's files.


def resource_files(root: str) -> set[str]:
    """Every file under `root`, as a path from it (`/batch_5/day/a.jpg`, the form of `join_name`).
    Hidden files (a name starting with `.`: `.DS_Store`) are left out; directory links are followed,
    but never around a loop."""
    found: set[str] = set()
    seen: set[tuple[int, int]] = set()
    for directory, directories, files in os.walk(root, followlinks=True):
        info = os.stat(directory)
        if (info.st_dev, info.st_ino) in seen:
            directories[:] = []
            continue
        seen.add((info.st_dev, info.st_ino))
        directories[:] = [name for name in directories if not name.startswith(".")]
        relative = os.path.relpath(directory, root).replace(os.sep, "/")
        prefix = "" if relative == "." else "/" + relative
        for name in files:
            if name.startswith("."):
                continue
            try:
                regular = stat.S_ISREG(os.stat(os.path.join(directory, name)).st_mode)
            except OSError:
                continue  # a dangling link names nothing
            if regular:
                found.add(sys.intern(f"{prefix}/{name}"))
    return found


# --- The reduce.


@dataclass
class _Scene:
    #: (width, height, ordinal) of the first frame with an image size.
    size: tuple[int, int, int] | None = None
    #: frame_number -> ordinal of the first file with it.
    frames: dict[int, int] | None = None
    #: track_id -> (label, type, ordinal, annotation index) where the track first appeared.
    tracks: dict[TrackId, tuple[str, str, int, int]] | None = None


def _rule(rule: str, pointer: str, message: str) -> Diagnostic:
    return Diagnostic(rule, DATASET_RULES[rule].severity, pointer, message)


class Export:
    """Reduces the reports of one run, fed in walk order, into the whole-export diagnostics.

    `add(report)` gives back the report with the diagnostics its file earned against the files before
    it (its validity updated); `finish()` yields, once every report was added, what is known only then,
    as reports that carry only those diagnostics. Memory grows with the facts kept (a file id and a
    name per file, a few numbers per frame and per track), never with the documents.
    """

    def __init__(
        self,
        *,
        warn: Iterable[str] = (),
        ignore: Iterable[str] = (),
        strict: bool = False,
        dataset: bool = True,
        label_case: bool = True,
        resources: set[str] | None = None,
        resource_root: str | None = None,
    ) -> None:
        from ._api import tune

        self.warn, self.strict = tuple(warn), strict
        # A rule that --ignore drops is not even computed.
        on = {rule for rule in DATASET_RULES if any(tune((_rule(rule, "", "-"),), (), tuple(ignore)))}
        if not dataset:
            on = {rule for rule in on if not rule.startswith("dataset.")}
        if not label_case:
            on.discard("dataset.label-case")
        if resources is None:
            on -= {"upload.no-resource", "upload.no-gt-file"}
        self.on = frozenset(on)
        # Per file that took part, by ordinal: how reports name it, its file and line (SARIF), and
        # whether its report already failed (a late warning can fail it under --strict).
        self.paths: list[str] = []
        self.files: list[str | None] = []
        self.lines = array("q")
        self.failed = bytearray()
        self.file_ids: dict[int, int] = {}
        self.names: dict[str, int] = {}
        self.scenes: dict[str, _Scene] = {}
        self.labels: dict[str, tuple[str, int, str]] = {}
        self.resources = resources
        self.resource_root = resource_root
        self.named: set[str] = set()

    def _tuned(self, diagnostics: list[Diagnostic]) -> tuple[Diagnostic, ...]:
        from ._api import tune

        return tuple(tune(diagnostics, self.warn))

    def _where(self, ordinal: int, pointer: str) -> str:
        return f"{self.paths[ordinal]}:{pointer}"

    def add(self, report: FileReport) -> FileReport:
        facts = getattr(report, "facts", None)
        if facts is None:
            return report
        ordinal = len(self.paths)
        self.paths.append(sys.intern(report.path))
        self.files.append(report.file)
        self.lines.append(report.line)
        self.failed.append(not report.valid)
        found = self._tuned(list(self._check(ordinal, facts)))
        if not found:
            return report
        diagnostics = (*report.diagnostics, *found)
        positions = (*report.positions, *(None,) * len(found)) if report.positions else ()
        valid = passes(diagnostics, self.strict)
        self.failed[ordinal] = not valid
        return replace(report, valid=valid, diagnostics=diagnostics, positions=positions)

    def _check(self, ordinal: int, facts: Facts) -> Iterator[Diagnostic]:
        on = self.on
        if facts.file_id is not None and "dataset.duplicate-file-id" in on:
            # As a number: 36 bytes where the text takes 73.
            first = self.file_ids.setdefault(int(facts.file_id, 16), ordinal)
            if first != ordinal:
                yield _rule(
                    "dataset.duplicate-file-id",
                    "/file_id",
                    f"file_id {facts.file_id!r} is already the file_id of {self._where(first, '/file_id')}",
                )
        if facts.name is not None:
            yield from self._name(ordinal, facts.name)
        if facts.scene_id is not None:
            yield from self._scene(ordinal, facts)
        if "dataset.label-case" in on:
            for label, pointer in facts.labels:
                folded = fold(label)
                known = self.labels.get(folded)
                if known is None:
                    self.labels[sys.intern(folded)] = (sys.intern(label), ordinal, pointer)
                elif known[0] != label:
                    yield _rule(
                        "dataset.label-case",
                        pointer,
                        f"label {label!r} differs only in case or spacing from {known[0]!r} "
                        f"at {self._where(known[1], known[2])}",
                    )

    def _name(self, ordinal: int, name: str) -> Iterator[Diagnostic]:
        if "dataset.duplicate-file" in self.on:
            first = self.names.setdefault(name, ordinal)
            if first != ordinal:
                yield _rule(
                    "dataset.duplicate-file",
                    "/filename",
                    f"parent_path + filename {name!r} is already that of {self._where(first, '/filename')}",
                )
        if self.resources is not None:
            parts = name.split("/")
            if ".." not in parts and name in self.resources:
                self.named.add(name)
            elif "upload.no-resource" in self.on:
                why = " (a path with '..' never does)" if ".." in parts else ""
                yield _rule(
                    "upload.no-resource",
                    "/filename",
                    f"parent_path + filename {name!r} names no file under the resource folder "
                    f"{self.resource_root}{why}",
                )

    def _scene(self, ordinal: int, facts: Facts) -> Iterator[Diagnostic]:
        on = self.on
        scene_id = facts.scene_id
        assert scene_id is not None
        scene = self.scenes.get(scene_id)
        if scene is None:
            scene = self.scenes[sys.intern(scene_id)] = _Scene()
        number = facts.frame_number
        if number is not None and ({"dataset.duplicate-frame", "dataset.frame-gap"} & on):
            if scene.frames is None:
                scene.frames = {}
            first = scene.frames.setdefault(number, ordinal)
            if first != ordinal and "dataset.duplicate-frame" in on:
                yield _rule(
                    "dataset.duplicate-frame",
                    "/frame_number",
                    f"frame {number} of scene {scene_id} is already {self._where(first, '/frame_number')}",
                )
        if facts.size is not None and "dataset.scene-size" in on:
            if scene.size is None:
                scene.size = (*facts.size, ordinal)
            elif scene.size[:2] != facts.size:
                width, height, first = scene.size
                yield _rule(
                    "dataset.scene-size",
                    "/metadata",
                    f"this frame of scene {scene_id} is {facts.size[0]}x{facts.size[1]}, its first frame "
                    f"{self._where(first, '/metadata')} is {width}x{height}",
                )
        if facts.tracks and "dataset.track-label" in on:
            if scene.tracks is None:
                scene.tracks = {}
            for track, label, kind, index in facts.tracks:
                known = scene.tracks.get(track)
                if known is None:
                    scene.tracks[track] = (sys.intern(label), sys.intern(kind), ordinal, index)
                    continue
                first_label, first_kind, first, first_index = known
                for field, value, was in (("label", label, first_label), ("type", kind, first_kind)):
                    if value != was:
                        there = self._where(first, f"/annotations/{first_index}/{field}")
                        yield _rule(
                            "dataset.track-label",
                            f"/annotations/{index}/{field}",
                            f"track {track!r} of scene {scene_id} has {field} {value!r} here but {was!r} "
                            f"in its first frame, {there}",
                        )

    def finish(self) -> Iterator[tuple[FileReport, bool | None]]:
        """What is known only once every file was added, as reports of those diagnostics alone (`valid`:
        whether they alone pass), each with the verdict its file had before (None for a file that was
        not checked): frame gaps (on the file after each gap, in walk order), then the resource files
        no GT file names (sorted)."""
        from ._check import FileReport

        late: dict[int, list[Diagnostic]] = {}
        if "dataset.frame-gap" in self.on:
            for scene_id, scene in self.scenes.items():
                if not scene.frames:
                    continue
                numbers = sorted(scene.frames)
                for before, after in pairwise(numbers):
                    if after - before > 1:
                        missing = f"{before + 1}" if after - before == 2 else f"{before + 1} to {after - 1}"
                        previous = self._where(scene.frames[before], "/frame_number")
                        late.setdefault(scene.frames[after], []).append(
                            _rule(
                                "dataset.frame-gap",
                                "/frame_number",
                                f"scene {scene_id} has no frame {missing} between {previous} "
                                f"(frame {before}) and this frame {after}",
                            )
                        )
        for ordinal in sorted(late):
            found = self._tuned(late[ordinal])
            path, file, line = self.paths[ordinal], self.files[ordinal], self.lines[ordinal]
            report = FileReport(path, passes(found, self.strict), None, False, found, (), file, line)
            yield report, not self.failed[ordinal]
        if self.resources is not None and "upload.no-gt-file" in self.on:
            root = self.resource_root or ""
            for name in sorted(self.resources - self.named):
                path = os.path.join(root, *name.split("/")[1:])
                message = (
                    f"no GT file names this resource file (parent_path {os.path.dirname(name)!r}, "
                    f"filename {os.path.basename(name)!r})"
                )
                found = self._tuned([_rule("upload.no-gt-file", "", message)])
                yield FileReport(path, passes(found, self.strict), None, False, found, (), path, 1), None
