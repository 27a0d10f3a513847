"""`aimmo-gt stats`: what an export holds, counted from a small record per file (never the document).

A worker checking a file also counts what its document holds (`Counts`: annotations per type and
class, attribute values, the classification, sent back in the file's facts record); the parent adds
the records up in walk order (`Stats`) and writes a table (`render_text`) or a JSON object
(`as_json`, documented by tests/data/stats.schema.json).
"""

from __future__ import annotations

import json
import unicodedata
from collections import Counter, defaultdict
from typing import TYPE_CHECKING, NamedTuple, TextIO

from ._dataset import attribute_values, describe, usage_of

if TYPE_CHECKING:
    from ._check import FileReport
    from ._ontology import Ontology

#: "type", or None for the document's classification.
Subject = str | None


class Counts(NamedTuple):
    """What one document holds: (type, label, count) per class of annotation, (type, label, key,
    value, count) per attribute value of annotations (each item of a multiple choice), and the
    document's label (None when absent) and (key, value) attribute values (the classification). An
    annotation without a string label counts under the label ""."""

    classes: tuple[tuple[str, str, int], ...] = ()
    values: tuple[tuple[str, str, str, str, int], ...] = ()
    label: str | None = None
    document_values: tuple[tuple[str, str], ...] = ()


def counts_of_document(document: object) -> Counts:
    """The counts of a parsed document; parts of the wrong type are left out (they are the
    format's to report)."""
    if not isinstance(document, dict):
        return Counts()
    classes: Counter[tuple[str, str]] = Counter()
    values: Counter[tuple[str, str, str, str]] = Counter()
    annotations = document.get("annotations")
    for annotation in annotations if isinstance(annotations, list) else ():
        if not isinstance(annotation, dict):
            continue
        kind, label = annotation.get("type"), annotation.get("label")
        if not isinstance(kind, str):
            continue
        label = label if isinstance(label, str) else ""
        classes[kind, label] += 1
        for key, value in attribute_values(annotation.get("attributes")):
            values[kind, label, key, value] += 1
    label = document.get("label")
    return Counts(
        tuple((kind, label, n) for (kind, label), n in classes.items()),
        tuple((*value, n) for value, n in values.items()),
        label if isinstance(label, str) else None,
        tuple(attribute_values(document.get("attributes"))),
    )


def counts_of_struct(document) -> Counts:
    """The counts of a document the fast engine decoded (its struct, as JSON values)."""
    import msgspec

    return counts_of_document(msgspec.to_builtins(document))


def _nested() -> defaultdict:
    return defaultdict(Counter)


class Stats:
    """The counts of a run, added up from each file's report in walk order; with an ontology, also
    which of the classes and choice values it defines no file uses (as dataset.unused finds them)."""

    def __init__(self, ontology: Ontology | None = None) -> None:
        self.ontology = ontology
        self.usage = usage_of(ontology)
        #: The numbers (Usage) of the definitions some file used.
        self.used: set[int] = set()
        self.files = self.counted = 0
        self.resources: Counter[str] = Counter()
        self.types: Counter[str] = Counter()
        self.classes: defaultdict[str, Counter[str]] = _nested()
        self.values: defaultdict[str, defaultdict[str, Counter[str]]] = defaultdict(_nested)
        self.labels: Counter[str] = Counter()
        self.document_values: defaultdict[str, Counter[str]] = _nested()
        self.sizes: Counter[str] = Counter()
        #: scene_id -> [frames, {track ids}]
        self.scenes: dict[str, tuple[list[int], set]] = {}
        #: (path, the rule ids of its errors, whether it was counted) of each file with an error.
        self.bad: list[tuple[str, list[str], bool]] = []

    def add(self, report: FileReport) -> None:
        self.files += 1
        facts = report.facts
        errors = sorted({d.rule for d in report.diagnostics if d.severity == "error"})
        if errors:
            self.bad.append((report.path, errors, facts is not None))
        if facts is None:
            return
        self.counted += 1
        self.resources[report.profile or "unknown"] += 1
        if facts.size is not None:
            self.sizes[f"{facts.size[0]}x{facts.size[1]}"] += 1
        if facts.scene_id is not None:
            frames, tracks = self.scenes.setdefault(facts.scene_id, ([0], set()))
            frames[0] += 1
            tracks.update(json.dumps(track) for track, *_ in facts.tracks)
        counts = facts.counts
        if counts is None:
            return
        for kind, label, n in counts.classes:
            self.types[kind] += n
            self.classes[kind][label] += n
        for kind, _label, key, value, n in counts.values:
            self.values[kind][key][value] += n
        if counts.label is not None:
            self.labels[counts.label] += 1
        for key, value in counts.document_values:
            self.document_values[key][value] += 1
        if self.usage is not None:
            mark, used = self.usage.mark, self.used
            for kind, label, _n in counts.classes:
                mark(kind, label, (), used)
            for kind, label, key, value, _n in counts.values:
                mark(kind, label, ((key, value),), used)
            mark(None, counts.label, counts.document_values, used)

    def as_json(self) -> dict:
        def ordered(counter: Counter) -> dict:
            return dict(sorted(counter.items(), key=lambda item: (-item[1], item[0])))

        unused = {}
        if self.ontology is not None and self.usage is not None:
            unused = {
                "ontology": self.ontology.source,
                "unused": [
                    {
                        "pointer": d.pointer,
                        "kind": d.kind,
                        "type": d.annotation_type,
                        "class": d.class_value,
                        "attribute": d.key,
                        "value": d.value,
                        "what": describe(d),
                    }
                    for d in self.usage.unused(self.used)
                ],
            }
        return {
            "files": {"total": self.files, "counted": self.counted, "with_errors": len(self.bad)},
            "resource_types": ordered(self.resources),
            "annotations": {"total": sum(self.types.values()), "types": ordered(self.types)},
            "classes": {kind: ordered(self.classes[kind]) for kind in sorted(self.classes)},
            "attributes": {
                kind: {key: ordered(values) for key, values in sorted(self.values[kind].items())}
                for kind in sorted(self.values)
            },
            "classification": {
                "labels": ordered(self.labels),
                "attributes": {key: ordered(v) for key, v in sorted(self.document_values.items())},
            },
            "scenes": [
                {"scene_id": scene, "frames": frames[0], "tracks": len(tracks)}
                for scene, (frames, tracks) in sorted(self.scenes.items())
            ],
            "image_sizes": ordered(self.sizes),
            "files_with_errors": [
                {"path": path, "rules": rules, "counted": counted} for path, rules, counted in self.bad
            ],
            **unused,
        }


def _table(write, title: str, rows: list[tuple], header: tuple[str, ...], counts: bool = True) -> None:
    write(f"\n{title}\n")
    if not rows:
        write("  (none)\n")
        return
    cells = [tuple(map(str, header)), *(tuple(map(str, row)) for row in rows)]
    widths = [max(_width(row[i]) for row in cells) for i in range(len(header))]
    for row in cells:
        # Text left, the count (the last column) right; a table of text alone ends unpadded.
        padded = [cell + " " * (width - _width(cell)) for cell, width in zip(row[:-1], widths, strict=False)]
        last = " " * (widths[-1] - _width(row[-1])) + row[-1] if counts else row[-1]
        write("  " + "  ".join([*padded, last]) + "\n")


def _width(text: str) -> int:
    """Columns a terminal gives the text (East Asian wide characters take two: 차량, 회사명)."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def render_text(stats: dict, stream: TextIO) -> None:
    """The statistics as readable tables (from `Stats.as_json()`)."""
    write = stream.write
    files = stats["files"]
    write(
        f"{files['total']} files: {files['counted']} counted, {files['with_errors']} with errors"
        + (" (listed at the end)\n" if files["with_errors"] else "\n")
    )
    _table(write, "Resource types", list(stats["resource_types"].items()), ("type", "files"))
    types = stats["annotations"]["types"]
    _table(write, f"Annotations ({stats['annotations']['total']})", list(types.items()), ("type", "count"))
    rows: list[tuple] = [
        (kind, label, n) for kind, labels in stats["classes"].items() for label, n in labels.items()
    ]
    _table(write, "Classes", rows, ("type", "label", "count"))
    rows = [
        (kind, key, value, n)
        for kind, keys in stats["attributes"].items()
        for key, values in keys.items()
        for value, n in values.items()
    ]
    _table(write, "Attribute values", rows, ("type", "attribute", "value", "count"))
    classification = stats["classification"]
    _table(write, "Classification labels", list(classification["labels"].items()), ("label", "files"))
    rows = [
        (key, value, n) for key, values in classification["attributes"].items() for value, n in values.items()
    ]
    _table(write, "Classification attributes", rows, ("attribute", "value", "files"))
    rows = [(s["scene_id"], s["frames"], s["tracks"]) for s in stats["scenes"]]
    _table(write, f"Scenes ({len(rows)})", rows, ("scene_id", "frames", "tracks"))
    _table(write, "Image sizes", list(stats["image_sizes"].items()), ("size", "files"))
    if "unused" in stats:
        rows = [(u["pointer"], u["what"]) for u in stats["unused"]]
        title = f"Defined in {stats['ontology']}, used by no file ({len(rows)})"
        _table(write, title, rows, ("pointer", "what"), counts=False)
    if stats["files_with_errors"]:
        rows = [
            (bad["path"], ", ".join(bad["rules"]), "yes" if bad["counted"] else "no")
            for bad in stats["files_with_errors"]
        ]
        _table(write, "Files with errors", rows, ("path", "rules", "counted"))
