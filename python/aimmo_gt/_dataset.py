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

import json
import os
import re
import stat
import sys
import weakref
from array import array
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from itertools import pairwise, repeat
from operator import attrgetter, itemgetter
from typing import TYPE_CHECKING, BinaryIO, NamedTuple

from ._diagnostics import Diagnostic, passes
from ._rules import DATASET_RULES

if TYPE_CHECKING:
    from ._check import FileReport
    from ._loading import Position
    from ._ontology import Definition, Ontology
    from ._stats import Counts

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
    #: What the document holds, for `aimmo-gt stats` (Options.stats; else None).
    counts: Counts | None = None
    #: With an ontology: the numbers of the classes and choice values it defines that the document
    #: uses (`Usage`; each once, sorted: at most the ontology's size, whatever the annotations), and
    #: which ontology they are of (`Usage.key`: a file may have another by a configuration override).
    used: tuple[int, ...] = ()
    used_of: int = 0


def facts_of(
    struct: object = None, document: object = None, *, counts: bool = False, ontology: Ontology | None = None
) -> Facts | None:
    """The facts of a document that parsed: the fast engine's struct of a clean file, else the loaded
    document (None when it is not an object); with `counts`, also what it holds (_stats.Counts); with
    an ontology, which of its definitions the document uses (for dataset.unused)."""
    facts = facts_of_struct(struct) if struct is not None else facts_of_document(document)
    if facts is None:
        return None
    usage = usage_of(ontology) if ontology is not None else None
    if usage is not None:
        used = usage.of_struct(struct) if struct is not None else usage.of_document(document)
        facts = facts._replace(used=used, used_of=usage.key)
    if not counts:
        return facts
    from ._stats import counts_of_document, counts_of_struct

    return facts._replace(
        counts=counts_of_struct(struct) if struct is not None else counts_of_document(document)
    )


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
    its label, type and track_id, each a str (an int too for a track_id) or None: a value of
    another type is None. The work per annotation is done by C code (dicts built from iterators): it
    runs on every clean file."""
    scene = scene_id if _is_object_id(scene_id) else None
    tracks: list[tuple[TrackId, str, str, int]] = []
    if scene is not None and track_ids:
        # Built backwards, each track_id ends with its first annotation's index.
        first = dict(zip(reversed(track_ids), range(len(track_ids) - 1, -1, -1), strict=True))
        first.pop(None, None)
        for track, index in sorted(first.items(), key=itemgetter(1)):
            if labels[index] is not None and kinds[index] is not None:
                tracks.append((track, labels[index], kinds[index], index))
    seen = {value: f"/annotations/{labels.index(value)}/label" for value in dict.fromkeys(labels)}
    seen.pop(None, None)
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
        list(map(_kind, annotations)) if has_scene else [],
        # A struct's track_id is a str, an int or UNSET (None here), tested inline: a call per
        # annotation cost more than the rest of the facts.
        [t if type(t) is str or type(t) is int else None for t in map(_track_id, annotations)]
        if has_scene
        else [],
        document.label,
    )


def _unset(value: object) -> bool:
    return type(value).__name__ == "UnsetType"


_DICT, _STR, _TRACK = frozenset((dict,)), frozenset((str,)), frozenset((str, int))


def _types(values: list) -> set[type]:
    return set(map(type, values))


def facts_of_document(document: object) -> Facts | None:
    """The facts of a parsed JSON document (None when it is not an object: it takes no part)."""
    if not isinstance(document, dict):
        return None
    get = document.get
    metadata = get("metadata")
    if not isinstance(metadata, dict):
        metadata = {}
    found = get("annotations")
    annotations: list = []
    if isinstance(found, list):
        # Whole lists checked in C (the set of the types in them): a step in Python per annotation
        # cost more than the rest of the facts. The lists whose check fails are mended item by item.
        annotations = found if _types(found) <= _DICT else [a if isinstance(a, dict) else {} for a in found]
    scene_id = get("scene_id")
    labels = list(map(dict.get, annotations, repeat("label")))
    if not _types(labels) <= _STR:
        labels = [v if type(v) is str else None for v in labels]
    kinds: list = []
    tracks: list = []
    if _is_object_id(scene_id):  # kinds and track ids: _make reads them for a frame of a scene only
        kinds = list(map(dict.get, annotations, repeat("type")))
        if not _types(kinds) <= _STR:
            kinds = [v if type(v) is str else None for v in kinds]
        tracks = list(map(dict.get, annotations, repeat("track_id")))
        if not _types(tracks) <= _TRACK:
            tracks = [v if type(v) is str or type(v) is int else None for v in tracks]
    return _make(
        get("file_id"),
        get("parent_path"),
        get("filename"),
        scene_id,
        get("frame_number"),
        metadata.get("width"),
        metadata.get("height"),
        labels,
        kinds,
        tracks,
        get("label"),
    )


def fold(label: str) -> str:
    """A label with letter case, leading and trailing white space and runs of inner white space
    folded (DECISIONS.md: `_` is not white space)."""
    return " ".join(label.split()).casefold()


# --- dataset.unused: which of an ontology's classes and choice values the documents use.

#: Distinct (type, label, attributes) of annotations already turned into definition numbers, per
#: process (an export repeats a few combinations many times); cleared when it grows past this.
_KNOWN_LIMIT = 100_000


class Usage:
    """An ontology's classes and choice values (`Ontology.definitions()`, those of a type switched off
    with `isActive: false` left out: nothing may use them), numbered, and which of them a document
    uses: a class when an annotation of its type (an alias counts as the type it names) has it as its
    label, or the document's label for the classification; a choice value when such an annotation (of
    that class, for a class's own attribute) has it as its attribute's value or an item of it."""

    def __init__(self, ontology: Ontology) -> None:
        from ._validator import type_aliases

        off = {config.type for config in ontology.configs.values() if not config.active}
        self.definitions: list[Definition] = [
            d for d in ontology.definitions() if d.annotation_type not in off
        ]
        self._classes: dict[tuple[str | None, str], int] = {}
        self._choices: dict[tuple[str | None, str | None, str | None, str], int] = {}
        for number, definition in enumerate(self.definitions):
            if definition.kind == "class":
                self._classes[definition.annotation_type, definition.value] = number
            else:
                key = (definition.annotation_type, definition.class_value, definition.key, definition.value)
                self._choices[key] = number
        self._aliases = type_aliases()
        self._known: dict[bytes, tuple[int, ...]] = {}
        #: The ontology's identity, the same in every process: 64 bits of a digest of its data.
        self.key = _digest(json.dumps(ontology.data, sort_keys=True, ensure_ascii=False)) >> 32

    def mark(
        self, kind: str | None, label: object, values: Iterable[tuple[str, str]], found: set[int]
    ) -> None:
        """Add to `found` the numbers an annotation of type `kind` (None: the document's classification)
        with `label` and these (attribute key, value) pairs uses."""
        kind = self._aliases.get(kind, kind) if kind is not None else None
        label = label if type(label) is str else None
        if label is not None and (number := self._classes.get((kind, label))) is not None:
            found.add(number)
        choices = self._choices
        for key, value in values:
            number = choices.get((kind, None, key, value))
            if number is None and label is not None:
                number = choices.get((kind, label, key, value))
            if number is not None:
                found.add(number)

    def _annotation(self, kind: object, label: object, attributes: object, found: set[int]) -> None:
        if type(kind) is str:
            self.mark(kind, label, attribute_values(attributes), found)

    def of_struct(self, document) -> tuple[int, ...]:
        """The numbers a document the fast engine decoded uses: each distinct (type, label, attributes)
        is encoded in C and looked at once per process."""
        from msgspec import UNSET
        from msgspec.json import encode

        found: set[int] = set()
        annotations = document.annotations
        if annotations:
            known = self._known
            distinct = dict(
                zip(map(encode, map(_kind_label_attributes, annotations)), annotations, strict=True)
            )
            for signature, annotation in distinct.items():
                numbers = known.get(signature)
                if numbers is None:
                    part: set[int] = set()
                    self._annotation(annotation.kind, annotation.label, annotation.attributes, part)
                    if len(known) >= _KNOWN_LIMIT:
                        known.clear()
                    numbers = known[signature] = tuple(part)
                found.update(numbers)
        label = document.label
        self.mark(None, None if label is UNSET else label, attribute_values(document.attributes), found)
        return tuple(sorted(found))

    def of_document(self, document: object) -> tuple[int, ...]:
        """The numbers a parsed document uses (parts of the wrong type use nothing)."""
        if not isinstance(document, dict):
            return ()
        found: set[int] = set()
        annotations = document.get("annotations")
        for annotation in annotations if isinstance(annotations, list) else ():
            if isinstance(annotation, dict):
                get = annotation.get
                self._annotation(get("type"), get("label"), get("attributes"), found)
        self.mark(None, document.get("label"), attribute_values(document.get("attributes")), found)
        return tuple(sorted(found))

    def unused(self, used: Iterable[int]) -> Iterator[Definition]:
        """The definitions whose number is not in `used`, in the ontology file's order."""
        seen = set(used)
        return (d for number, d in enumerate(self.definitions) if number not in seen)


_kind_label_attributes = attrgetter("kind", "label", "attributes")


def attribute_values(attributes: object) -> Iterator[tuple[str, str]]:
    """(key, value) of each string value of an attributes object, and of each string item of a list."""
    if not isinstance(attributes, dict):
        return
    for key, value in attributes.items():
        if type(value) is str:
            yield key, value
        elif isinstance(value, list):
            for item in value:
                if type(item) is str:
                    yield key, item


def describe(definition: Definition) -> str:
    """A class or choice value of the ontology in words: `class "car" of bbox`, `value "30%" of
    attribute "occlusion" of bbox class "car"`."""
    subject = definition.annotation_type or "the classification"
    if definition.kind == "class":
        return f"class {_json(definition.value)} of {subject}"
    owner = subject
    if definition.class_value is not None:
        owner = (
            f"{subject} class {_json(definition.class_value)}"
            if definition.annotation_type
            else f"class {_json(definition.class_value)} of the classification"
        )
    return f"value {_json(definition.value)} of attribute {_json(definition.key)} of {owner}"


_USAGES: weakref.WeakKeyDictionary[Ontology, Usage] = weakref.WeakKeyDictionary()


def usage_of(ontology: object) -> Usage | None:
    """The ontology's Usage, built once per process (a worker receives one ontology per run); None
    for anything but an Ontology."""
    from ._ontology import Ontology

    if not isinstance(ontology, Ontology):
        return None
    usage = _USAGES.get(ontology)
    if usage is None:
        usage = _USAGES[ontology] = Usage(ontology)
    return usage


# --- The upload's folder rule: the resource folder's files.


def resource_files(root: str) -> Iterator[str]:
    """Every file under `root`, as a path from it (`/batch_5/day/a.jpg`, the form of `join_name`), in
    sorted order. Hidden files and folders (a name starting with `.`: `.DS_Store`) are left out;
    folder links are followed, but never around a loop."""
    seen: set[tuple[int, int]] = set()
    for directory, directories, files in os.walk(root, followlinks=True):
        info = os.stat(directory)
        if (info.st_dev, info.st_ino) in seen:
            directories[:] = []
            continue
        seen.add((info.st_dev, info.st_ino))
        directories[:] = sorted(name for name in directories if not name.startswith("."))
        relative = os.path.relpath(directory, root).replace(os.sep, "/")
        prefix = "" if relative == "." else "/" + relative
        for name in sorted(files):
            if name.startswith("."):
                continue
            try:
                regular = stat.S_ISREG(os.stat(os.path.join(directory, name)).st_mode)
            except OSError:
                continue  # a dangling link names nothing
            if regular:
                yield f"{prefix}/{name}"


# --- Compact stores: what is kept of every file costs tens of bytes, not hundreds.

_MASK64 = (1 << 64) - 1
_GOLDEN = 0x9E3779B97F4A7C15


def _digest(text: str) -> int:
    """96 bits of BLAKE2b: a name kept as a number, as long as a file_id (two names with one
    digest: about 1 in 10**17 for a million names)."""
    import hashlib  # at the first digest (OpenSSL's bindings: 2 ms): a run over one file makes none

    return int.from_bytes(hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=12).digest())


class _FirstSeen:
    """Keys (ints below 2**96: a file_id, a digest) each with the ordinal of the first file that had
    it, in flat arrays (open addressing, linear probing, at most 70% full): 16 bytes a slot, about 30
    a key, where a dict of ints takes 100 and a dict of strings 170."""

    def __init__(self) -> None:
        self._allocate(10)
        self.count = 0

    def _allocate(self, bits: int) -> None:
        self._bits = bits
        self._hi = array("I", bytes(4 << bits))
        self._lo = array("Q", bytes(8 << bits))
        self._at = array("I", bytes(4 << bits))  # ordinal + 1; 0: empty
        self._limit = (7 << bits) // 10

    def _slot(self, hi: int, lo: int) -> int:
        at, his, los = self._at, self._hi, self._lo
        mask = len(at) - 1
        slot = (((hi ^ lo) * _GOLDEN) & _MASK64) >> (64 - self._bits)
        while at[slot] and (los[slot] != lo or his[slot] != hi):
            slot = (slot + 1) & mask
        return slot

    def get(self, key: int) -> int | None:
        found = self._at[self._slot(key >> 64, key & _MASK64)]
        return found - 1 if found else None

    def first(self, key: int, ordinal: int) -> int:
        """The ordinal of the first file with `key`; `ordinal` is recorded when it is that file."""
        hi, lo = key >> 64, key & _MASK64
        slot = self._slot(hi, lo)
        if self._at[slot]:
            return self._at[slot] - 1
        self._hi[slot], self._lo[slot], self._at[slot] = hi, lo, ordinal + 1
        self.count += 1
        if self.count > self._limit:
            his, los, ats = self._hi, self._lo, self._at
            self._allocate(self._bits + 1)
            for hi, lo, at in zip(his, los, ats, strict=True):
                if at:
                    slot = self._slot(hi, lo)
                    self._hi[slot], self._lo[slot], self._at[slot] = hi, lo, at
        return ordinal


class _Paths:
    """How reports name each file that took part, by ordinal, stored as a folder number and the name's
    bytes (files of one folder share the folder's text), with its line (JSON Lines) and whether the
    file it is in is the path itself (a file) or the path less `:LINE` (a JSON Lines document)."""

    def __init__(self) -> None:
        self._folders: dict[str, int] = {}
        self._folder_list: list[str] = []
        self._folder_of = array("I")
        self._names = bytearray()
        self._ends = array("Q")
        self._lines = array("I")
        #: 0: the file is the path; 1: the path is FILE:LINE; 2: another file, in _other.
        self._kind = bytearray()
        self._other: dict[int, str | None] = {}

    def add(self, path: str, file: str | None, line: int) -> int:
        ordinal = len(self._ends)
        cut = path.rfind("/") + 1
        folder = self._folders.get(path[:cut])
        if folder is None:
            folder = self._folders[path[:cut]] = len(self._folder_list)
            self._folder_list.append(path[:cut])
        self._folder_of.append(folder)
        self._names += path[cut:].encode("utf-8", "surrogatepass")
        self._ends.append(len(self._names))
        self._lines.append(line)
        if file == path:
            self._kind.append(0)
        elif file is not None and path == f"{file}:{line}":
            self._kind.append(1)
        else:
            self._kind.append(2)
            self._other[ordinal] = file
        return ordinal

    def path(self, ordinal: int) -> str:
        start = self._ends[ordinal - 1] if ordinal else 0
        name = self._names[start : self._ends[ordinal]].decode("utf-8", "surrogatepass")
        return self._folder_list[self._folder_of[ordinal]] + name

    def file(self, ordinal: int) -> tuple[str | None, int]:
        """The file the document is in, and its line."""
        line, kind = self._lines[ordinal], self._kind[ordinal]
        if kind == 2:
            return self._other[ordinal], line
        path = self.path(ordinal)
        return (path if kind == 0 else path[: -len(f":{line}")]), line


# --- Line and column of a whole-export diagnostic: its file read again.


class _Reread:
    """The text of the files that got a whole-export diagnostic, read again for its place (the
    workers' copy is long gone; the facts hold no text). Only a local file or a line of a local JSON
    Lines file can be: an object in storage or an archive member is not fetched again, and standard
    input cannot be read twice (its diagnostics have no line and column). A JSON Lines file is read
    forward, once for the lines asked in increasing order (walk order)."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        #: The JSON Lines file being read forward: its name, its lines (Walker items) and the last read.
        self._lines: tuple[str, Iterator, int] | None = None
        self._handle: BinaryIO | None = None

    def positions(
        self, path: str, file: str | None, line: int, found: tuple[Diagnostic, ...]
    ) -> tuple[Position | None, ...]:
        data = None
        if file is not None and file != "-" and os.path.isfile(file):
            if path == file:
                from ._walk import read_file

                data = read_file(file, self.max_bytes)[0]
            elif path == f"{file}:{line}":
                data = self._line(file, line)
        if data is None:
            return (None,) * len(found)
        from ._loading import locate

        known = locate(data.decode("utf-8", "replace").removeprefix("\ufeff"), {d.pointer for d in found})
        return tuple(known.get(d.pointer) for d in found)

    def _line(self, file: str, number: int) -> bytes | None:
        from ._walk import Walker, is_gzip, open_regular

        if self._lines is None or self._lines[0] != file or self._lines[2] >= number:
            self.close()
            try:
                self._handle = open_regular(file, buffering=-1)
            except OSError:
                return None
            walker = Walker(jsonl=True, max_bytes=self.max_bytes)
            self._lines = (file, walker.read_lines(file, self._handle, gzipped=is_gzip(file)), 0)
        _file, lines, _last = self._lines
        for item in lines:
            self._lines = (file, lines, item.line)
            if item.line >= number:
                return item.data if item.line == number else None
        return None

    def close(self) -> None:
        if self._handle is not None:
            self._handle.close()
        self._handle = self._lines = None


# --- The reduce.


@dataclass(slots=True)
class _Scene:
    #: (width, height, ordinal) of the first frame with an image size.
    size: tuple[int, int, int] | None = None
    #: frame_number -> ordinal of the first file with it.
    frames: dict[int, int] | None = None
    #: track_id -> (label, type, ordinal, annotation index) where the track first appeared.
    tracks: dict[TrackId, tuple[str, str, int, int]] | None = None


def _json(value: object) -> str:
    """A value in a message, written as JSON (messages speak JSON: "car", 1, not 'car')."""
    return json.dumps(value, ensure_ascii=False)


def _rule(rule: str, pointer: str, message: str) -> Diagnostic:
    return Diagnostic(rule, DATASET_RULES[rule].severity, pointer, message)


class Export:
    """Reduces the reports of one run, fed in walk order, into the whole-export diagnostics.

    `add(report)` gives back the report with the diagnostics its file earned against the files before
    it (its validity updated); `finish()` yields, once every report was added, what is known only then,
    as reports that carry only those diagnostics. Memory grows with the facts kept (a file id, a name
    and a path per file: about 150 bytes; a few numbers per frame and per track), never with the
    documents. `resources`: the resource folder of a GT upload (its listing is read at the start and
    again at the end, for the files no GT file named). `ontology`: the project's (--ontology), whose
    classes and choice values no document uses are reported on its file (dataset.unused).
    `positions`: give each diagnostic its line and column, by reading again the files (local files and
    JSON Lines files only) that got one, and only those, with at most `max_bytes` read of each.
    """

    def __init__(
        self,
        *,
        warn: Iterable[str] = (),
        ignore: Iterable[str] = (),
        strict: bool = False,
        dataset: bool = True,
        label_case: bool = True,
        resources: str | None = None,
        ontology: Ontology | None = None,
        positions: bool = False,
        max_bytes: int = 1 << 28,
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
        if ontology is None:
            on.discard("dataset.unused")
        self.on = frozenset(on)
        self.ontology = ontology
        self.usage = usage_of(ontology) if "dataset.unused" in on else None
        #: Which of the ontology's definitions (Usage numbers) some document used; how many took part.
        self.used = bytearray(len(self.usage.definitions) if self.usage is not None else 0)
        self.documents = 0
        self.reread = _Reread(max_bytes) if positions else None
        self.paths = _Paths()
        #: Whether each file's report already failed (a late warning can fail it under --strict).
        self.failed = bytearray()
        self.file_ids = _FirstSeen()
        self.names = _FirstSeen()
        self.scenes: dict[str, _Scene] = {}
        self.labels: dict[str, tuple[str, int, str]] = {}
        #: The labels that came first in their folded form (those of self.labels): met again in almost
        #: every file, found here they are not folded again.
        self.reference_labels: set[str] = set()
        self.resource_root = resources
        #: Each resource file's digest -> its number in the listing; which of them a GT file named.
        self.resources: _FirstSeen | None = None
        self.named = bytearray()
        if resources is not None:
            self.resources = _FirstSeen()
            for number, name in enumerate(resource_files(resources)):
                self.resources.first(_digest(name), number)
            self.named = bytearray(self.resources.count)

    def _tuned(self, diagnostics: list[Diagnostic]) -> tuple[Diagnostic, ...]:
        if not diagnostics:  # almost every file: nothing to tune
            return ()
        from ._api import tune

        return tuple(tune(diagnostics, self.warn))

    def _positions(
        self, path: str, file: str | None, line: int, found: tuple[Diagnostic, ...]
    ) -> tuple[Position | None, ...]:
        if self.reread is None:
            return (None,) * len(found)
        return self.reread.positions(path, file, line, found)

    def _where(self, ordinal: int, pointer: str) -> str:
        return f"{self.paths.path(ordinal)}:{pointer}"

    def add(self, report: FileReport) -> FileReport:
        facts = getattr(report, "facts", None)
        if facts is None:
            return report
        ordinal = self.paths.add(report.path, report.file, report.line)
        self.failed.append(not report.valid)
        self.documents += 1
        if self.usage is not None and facts.used_of == self.usage.key:
            for number in facts.used:
                self.used[number] = 1
        found = self._tuned(list(self._check(ordinal, facts)))
        if not found:
            return report
        diagnostics = (*report.diagnostics, *found)
        before = report.positions or (None,) * len(report.diagnostics)
        positions = (*before, *self._positions(report.path, report.file, report.line, found))
        valid = passes(diagnostics, self.strict)
        self.failed[ordinal] = not valid
        return replace(report, valid=valid, diagnostics=diagnostics, positions=positions)

    def _check(self, ordinal: int, facts: Facts) -> Iterator[Diagnostic]:
        on = self.on
        if facts.file_id is not None and "dataset.duplicate-file-id" in on:
            key = int(facts.file_id, 16)
            what = ("file_id", facts.file_id)
            yield from self._once(self.file_ids, key, ordinal, "dataset.duplicate-file-id", "/file_id", what)
        if facts.name is not None:
            yield from self._name(ordinal, facts.name)
        if facts.scene_id is not None:
            yield from self._scene(ordinal, facts)
        if "dataset.label-case" in on:
            reference = self.reference_labels
            for label, pointer in facts.labels:
                if label in reference:
                    continue  # the first spelling of its folded form: nothing to say, nothing to keep
                folded = fold(label)
                known = self.labels.get(folded)
                if known is None:
                    label = sys.intern(label)
                    self.labels[sys.intern(folded)] = (label, ordinal, pointer)
                    reference.add(label)
                elif known[0] != label:
                    yield _rule(
                        "dataset.label-case",
                        pointer,
                        f"label {_json(label)} differs only in case or spacing from {_json(known[0])} "
                        f"at {self._where(known[1], known[2])}",
                    )

    def _once(
        self, table: _FirstSeen, key: int, ordinal: int, rule: str, pointer: str, what: tuple[str, str]
    ):
        """The diagnostic when a file is not the first with `key` (naming the first); `what`, the field
        and its value, is written only then (json.dumps on every file cost more than the lookup)."""
        first = table.first(key, ordinal)
        if first != ordinal:
            field, value = what
            yield _rule(
                rule, pointer, f"{field} {_json(value)} is already that of {self._where(first, pointer)}"
            )

    def _name(self, ordinal: int, name: str) -> Iterator[Diagnostic]:
        digest = _digest(name)
        if "dataset.duplicate-file" in self.on:
            what = ("parent_path + filename", name)
            yield from self._once(self.names, digest, ordinal, "dataset.duplicate-file", "/filename", what)
        if self.resources is not None:
            parts = name.split("/")
            number = None if ".." in parts else self.resources.get(digest)
            if number is not None:
                self.named[number] = 1
            elif "upload.no-resource" in self.on:
                why = ' (a path with ".." never does)' if ".." in parts else ""
                yield _rule(
                    "upload.no-resource",
                    "/filename",
                    f"parent_path + filename {_json(name)} names no file under the resource folder "
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
                            f"track {_json(track)} of scene {scene_id} has {field} {_json(value)} here but "
                            f"{_json(was)} in its first frame, {there}",
                        )

    def finish(self) -> Iterator[tuple[FileReport, bool | None]]:
        """What is known only once every file was added, as reports of those diagnostics alone (`valid`:
        whether they alone pass), each with the verdict its file had before (None for a file that was
        not checked): frame gaps (on the file after each gap, in walk order), then the ontology's
        classes and choice values no document used (on the ontology file), then the resource files no
        GT file names (sorted)."""
        from ._check import FileReport

        if self.reread is not None:
            self.reread.close()  # the JSON Lines file read forward: frame gaps start it again

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
            file, line = self.paths.file(ordinal)
            path = self.paths.path(ordinal)
            where = self._positions(path, file, line, found)
            report = FileReport(path, passes(found, self.strict), None, False, found, where, file, line)
            yield report, not self.failed[ordinal]
        if self.usage is not None and self.documents and self.ontology is not None:
            source = self.ontology.source
            n = self.documents
            found = self._tuned(
                [
                    _rule(
                        "dataset.unused",
                        definition.pointer,
                        f"{describe(definition)} is used by none of the {n} document{'s' * (n != 1)} "
                        "of the export",
                    )
                    for definition in self.usage.unused(i for i, on in enumerate(self.used) if on)
                ]
            )
            if found:
                yaml = source.lower().endswith((".yaml", ".yml"))  # positions are found in JSON text only
                where = (None,) * len(found) if yaml else self._positions(source, source, 1, found)
                yield (
                    FileReport(source, passes(found, self.strict), None, False, found, where, source, 1),
                    None,
                )
        if self.resource_root is not None and "upload.no-gt-file" in self.on:
            root = self.resource_root
            for name in resource_files(root):
                number = self.resources.get(_digest(name)) if self.resources is not None else None
                if number is not None and self.named[number]:
                    continue
                path = os.path.join(root, *name.split("/")[1:])
                message = (
                    f"no GT file names this resource file (parent_path {_json(os.path.dirname(name))}, "
                    f"filename {_json(os.path.basename(name))})"
                )
                found = self._tuned([_rule("upload.no-gt-file", "", message)])
                yield FileReport(path, passes(found, self.strict), None, False, found, (), path, 1), None
        if self.reread is not None:
            self.reread.close()


def export_of_run(
    paths: Sequence[str],
    *,
    jsonl: bool = False,
    dataset: bool = True,
    resources: str | None = None,
    ontology: Ontology | None = None,
    warn: Iterable[str] = (),
    ignore: Iterable[str] = (),
    strict: bool = False,
    positions: bool = False,
    max_bytes: int = 1 << 28,
) -> Export | None:
    """The whole-export reducer a run over `paths` asks for (`aimmo-gt validate`, `validate_export`),
    or None: the dataset rules when `dataset` and the paths can hold several documents, the upload's
    folder rule with `resources`."""
    from ._walk import is_export

    whole = dataset and is_export(paths, jsonl)
    if not whole and resources is None:
        return None
    return Export(
        warn=warn,
        ignore=ignore,
        strict=strict,
        dataset=whole,
        # DECISIONS.md: dataset.label-case is for an export without an ontology (which names the labels).
        label_case=ontology is None,
        resources=resources,
        ontology=ontology,
        positions=positions,
        max_bytes=max_bytes,
    )
