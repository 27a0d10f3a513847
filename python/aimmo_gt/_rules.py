"""Every rule id the validator can report, with its default severity and one sentence."""

from __future__ import annotations

from dataclasses import dataclass

from ._diagnostics import Severity


@dataclass(frozen=True, slots=True)
class Rule:
    id: str
    severity: Severity
    summary: str


def _table(*rules: tuple[str, Severity, str]) -> dict[str, Rule]:
    return {rule_id: Rule(rule_id, severity, summary) for rule_id, severity, summary in rules}


#: Input rules: the file could not be read as one JSON document.
INPUT_RULES = _table(
    ("file.unreadable", "error", "The file could not be opened or read."),
    ("file.too-large", "error", "The file is larger than --max-bytes and was not read."),
    ("json.empty", "error", "The file is empty or holds only white space."),
    ("json.encoding", "error", "The file is not valid UTF-8."),
    (
        "json.bom",
        "warning",
        "The file starts with a UTF-8 byte-order mark, which JSON forbids; it is still checked.",
    ),
    (
        "json.parse",
        "error",
        "The file is not valid JSON (truncated, a stray character, a trailing comma...).",
    ),
    ("json.non-finite", "error", "NaN, Infinity and -Infinity are not JSON numbers."),
    (
        "json.duplicate-key",
        "error",
        "An object has the same key twice; one of the values would be silently lost.",
    ),
    ("json.depth", "error", "The document nests arrays and objects deeper than any GT file does."),
    ("json.number-range", "error", "A number is too large to be represented as a 64-bit float."),
    ("json.root-type", "error", "The document is not a JSON object."),
    (
        "json.value",
        "error",
        "A document given to the API holds what JSON cannot (a tuple, a set, a key that is not a string...).",
    ),
    (
        "internal.error",
        "error",
        "The validator itself failed on this file (a bug: please report it); the run went on.",
    ),
)

#: The nesting that json.depth reports: deeper than any GT file (about 6 levels) would ever go.
MAX_DEPTH = 64

#: Rules that mean a file was not read or not checked at all: they cannot be lowered or ignored,
#: or an unchecked file would count as valid.
UNTUNABLE = frozenset(
    {"file.unreadable", "file.too-large", "json.empty", "json.encoding", "json.parse", "json.non-finite"}
    | {"json.depth", "json.number-range", "json.root-type", "json.value", "internal.error"}
)

#: Structural rules: the JSON Schema keyword that failed, named after the keyword.
SCHEMA_RULES = _table(
    ("schema.type", "error", "A value has the wrong JSON type."),
    ("schema.required", "error", "A required property is missing."),
    ("schema.unknown-property", "error", "A property the format does not define (usually a typo)."),
    ("schema.not-allowed", "error", "A property the format defines, but not for this resource type."),
    ("schema.enum", "error", "A value is not one of the allowed values (e.g. an unknown annotation type)."),
    ("schema.const", "error", "A value is not the one value allowed here."),
    ("schema.minItems", "error", "An array has too few items (e.g. a polygon with fewer than 3 points)."),
    ("schema.maxItems", "error", "An array has too many items (e.g. a bbox with more than 4 points)."),
    ("schema.minLength", "error", "A string is shorter than allowed (usually empty)."),
    ("schema.maxLength", "error", "A string is longer than allowed."),
    (
        "schema.minProperties",
        "error",
        "An object has too few properties (e.g. a keypoint with no keypoints).",
    ),
    ("schema.maxProperties", "error", "An object has too many properties (e.g. metadata of a point cloud)."),
    ("schema.minimum", "error", "A number is below its minimum."),
    ("schema.maximum", "error", "A number is above its maximum."),
    ("schema.exclusiveMinimum", "error", "A number is not above its lower bound (e.g. a zero width)."),
    ("schema.exclusiveMaximum", "error", "A number is not below its upper bound."),
    ("schema.pattern", "error", "A string does not have the required shape."),
    ("schema.uniqueItems", "error", "An array holds the same item twice."),
    ("schema.not", "error", "A value has a shape the format excludes (e.g. a flat cuboid of 5 points)."),
    ("format.objectid", "error", "A string is not a MongoDB ObjectId (24 lowercase hex digits)."),
    (
        "format.annotation-id",
        "error",
        "An annotation id is not a uuid, optionally prefixed by an instance number and '-'.",
    ),
)


def _semantic_rules() -> dict[str, Rule]:
    """Semantic rules: one per keyword of our vocabulary, declared next to its check."""
    from ._keywords import KEYWORDS

    return {k.rule: Rule(k.rule, k.severity, k.summary) for k in KEYWORDS.values()}


def _ontology_rules() -> dict[str, Rule]:
    """The project's ontology (--ontology): declared next to its check."""
    from ._ontology import ONTOLOGY_RULES

    return ONTOLOGY_RULES


#: Whole-export rules: faults visible only when files are compared (DECISIONS.md, "Across files";
#: _dataset.py), and the upload's folder rule (--resources).
DATASET_RULES = _table(
    ("dataset.duplicate-file-id", "error", "Two documents of the export have the same file_id."),
    (
        "dataset.duplicate-file",
        "error",
        "Two documents of the export have the same parent_path and filename.",
    ),
    (
        "dataset.duplicate-frame",
        "error",
        "Two frames of one scene (scene_id) have the same frame_number.",
    ),
    (
        "dataset.track-label",
        "error",
        "A track_id of a scene carries another label or type than in the scene's first frame with it.",
    ),
    (
        "dataset.scene-size",
        "warning",
        "A frame's image size differs from that of its scene's first frame.",
    ),
    (
        "dataset.frame-gap",
        "warning",
        "A scene's frame_numbers skip a number (reported on the frame after the gap).",
    ),
    (
        "dataset.label-case",
        "warning",
        "A label differs only in case or spacing from one seen earlier in the export (Car after car).",
    ),
    (
        "dataset.unused",
        "warning",
        "A class or choice value the ontology (--ontology) defines is used by no document of the export "
        "(reported on the ontology file).",
    ),
    (
        "upload.no-resource",
        "error",
        "A GT file's parent_path and filename name no file under the resource folder (--resources).",
    ),
    (
        "upload.no-gt-file",
        "warning",
        "A file of the resource folder (--resources) has no GT file naming it.",
    ),
)

#: Every rule by id, built when first read: the semantic and ontology rules are declared beside their
#: checks, in modules that a run over clean files does not otherwise import (they cost more than
#: checking a small file). Read it as `_rules.RULES` (or import it where it is used).
RULES: dict[str, Rule]


def __getattr__(name: str) -> dict[str, Rule]:
    if name == "RULES":
        rules = {**INPUT_RULES, **_semantic_rules(), **SCHEMA_RULES, **_ontology_rules(), **DATASET_RULES}
        globals()["RULES"] = rules
        return rules
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
