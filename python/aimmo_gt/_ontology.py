"""The project's ontology (classes and attributes, DECISIONS.md "Ontology"): load, check, derive, infer.

An ontology file mirrors AIMMO's project settings. `Ontology.load(path)` reads it (JSON, or YAML when
PyYAML is installed), checks it against schemas/v1/ontology.json and the rules beyond JSON Schema
(duplicates, minCount <= maxCount), and compiles it once per process. The check runs on a neutral view
of a document (type, label and attributes of each annotation with its index; the document's label and
attributes), made from a parsed document or from the fast engine's decoded structs, so that a clean
file never leaves the fast path. `derived_schema` writes a standard draft 2020-12 schema of the format
plus the ontology; `infer` drafts an ontology from an export.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from operator import attrgetter
from pathlib import Path
from typing import Any, NamedTuple

from ._diagnostics import Diagnostic, as_json, pointer_from_path
from ._rules import Rule, _table

#: The ontology rules (DECISIONS.md "Ontology"): each diagnostic points at the smallest node at fault.
ONTOLOGY_RULES: dict[str, Rule] = _table(
    ("ontology.type", "error", "An annotation type the project does not use (or has switched off)."),
    ("ontology.class", "error", "A label (annotation or document) that is not a class of the project."),
    ("ontology.attribute", "error", "An attribute key not defined for the annotation's type and class."),
    ("ontology.attribute-missing", "error", "A non-optional attribute of the class is missing."),
    ("ontology.choice", "error", "An attribute value (or multiple-choice item) not among the choices."),
    (
        "ontology.value-type",
        "error",
        "A list where one choice is expected, or a string where a list of choices is.",
    ),
    ("ontology.choice-repeat", "error", "A multiple-choice attribute holds the same choice twice."),
    (
        "ontology.choice-count",
        "error",
        "A multiple choice has fewer than minCount or more than maxCount items.",
    ),
    ("ontology.number", "error", "A number input attribute holds a string that is not a decimal number."),
    ("ontology.range", "error", "A number input attribute is outside its validation min/max."),
    (
        "ontology.label-missing",
        "warning",
        "The project has a classification but the document has no label.",
    ),
    ("ontology.label-unexpected", "error", "The document has a label but the project has no classification."),
)

#: A value of a number input: a decimal number written as a string (`-12`, `0.5`).
NUMBER = re.compile(r"[-+]?[0-9]+(?:\.[0-9]+)?")
#: The same for JSON Schema (anchored: `pattern` searches).
NUMBER_PATTERN = "^[-+]?[0-9]+(\\.[0-9]+)?$"
#: Class values, attribute keys and choice values are at most this long in AIMMO's settings.
MAX_LENGTH = 50
ONTOLOGY_SCHEMA = "ontology.json"

_MISSING: Any = type("_Missing", (), {"__repr__": lambda self: "<missing>", "__slots__": ()})()


class OntologyError(ValueError):
    """A broken ontology file: `problems` holds (JSON pointer, message) pairs; `source` names the file."""

    def __init__(self, source: str, problems: Iterable[tuple[str, str]]):
        self.source = source
        self.problems = tuple(problems)
        first = self.problems[0] if self.problems else ("", "invalid")
        more = len(self.problems) - 1
        super().__init__(
            f"{source}:{first[0] or '/'}: {first[1]}" + (f" (and {more} more)" if more > 0 else "")
        )

    def lines(self) -> list[str]:
        """One `FILE:POINTER: MESSAGE` line per problem."""
        return [f"{self.source}:{pointer}: {message}" for pointer, message in self.problems]


def fold(text: str) -> str:
    """Case and spacing folded (DECISIONS.md): letter case, leading, trailing and inner runs of white
    space; `_` is not white space."""
    return " ".join(text.split()).casefold()


def _listing(values: Iterable[str], limit: int = 12) -> str:
    values = list(values)
    shown = ", ".join(map(as_json, values[:limit]))
    return (
        shown + (f", ... ({len(values) - limit} more)" if len(values) > limit else "") if values else "none"
    )


def _suggest(value: str, folded: Mapping[str, str]) -> str:
    close = folded.get(fold(value))
    return f"; did you mean {as_json(close)}?" if close is not None and close != value else ""


# --- The compiled model: what a class or a value is, and where the ontology file defines it.


@dataclass(frozen=True, slots=True)
class Attribute:
    """One attribute definition; `pointer` is its place in the ontology file."""

    key: str
    type: str
    pointer: str
    optional: bool = False
    choices: tuple[str, ...] = ()
    #: The pointer of each choice in the ontology file, parallel to `choices`.
    choice_pointers: tuple[str, ...] = ()
    number: bool = False
    minimum: float | None = None
    maximum: float | None = None
    min_count: int | None = None
    max_count: int | None = None
    allowed: frozenset[str] = frozenset()
    folded: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class ClassItem:
    """One class of an annotation type (or of the classification), with every attribute it takes."""

    value: str
    pointer: str
    #: Common and own attributes together, by key.
    attributes: Mapping[str, Attribute]
    required: tuple[str, ...]
    folded_keys: Mapping[str, str]


@dataclass(frozen=True, slots=True)
class Config:
    """An annotation type's settings (`type` is None for the document's classification)."""

    type: str | None
    pointer: str
    active: bool
    classes: Mapping[str, ClassItem]
    common: Mapping[str, Attribute]
    folded: Mapping[str, str]

    @property
    def subject(self) -> str:
        return "the classification" if self.type is None else self.type


class Definition(NamedTuple):
    """A class or a choice value the ontology defines, and where (for `dataset.unused`)."""

    kind: str  # "class" or "choice"
    #: The annotation type; None for the classification.
    annotation_type: str | None
    class_value: str | None  # None for a choice of a common attribute
    key: str | None
    value: str
    pointer: str


def _choice_value(choice: object) -> str:
    return choice["value"] if isinstance(choice, dict) else choice  # type: ignore[return-value]


def _attribute(data: dict, pointer: str) -> Attribute:
    choices = tuple(map(_choice_value, data.get("choices", ())))
    validation = data.get("validation", {})
    return Attribute(
        key=data["key"],
        type=data["type"],
        pointer=pointer,
        optional=data.get("optional", False),
        choices=choices,
        choice_pointers=tuple(f"{pointer}/choices/{i}" for i in range(len(choices))),
        number=data.get("format") == "number",
        minimum=validation.get("min"),
        maximum=validation.get("max"),
        min_count=validation.get("minCount"),
        max_count=validation.get("maxCount"),
        allowed=frozenset(choices),
        folded={fold(c): c for c in reversed(choices)},
    )


def _attributes(items: list, pointer: str) -> dict[str, Attribute]:
    return {a["key"]: _attribute(a, f"{pointer}/{i}") for i, a in enumerate(items)}


def _config(data: dict, pointer: str, annotation_type: str | None) -> Config:
    common = _attributes(data.get("commonAttributes", []), f"{pointer}/commonAttributes")
    classes = {}
    for i, item in enumerate(data["classItems"]):
        where = f"{pointer}/classItems/{i}"
        attributes = {**common, **_attributes(item.get("attributes", []), f"{where}/attributes")}
        classes[item["value"]] = ClassItem(
            item["value"],
            where,
            attributes,
            tuple(key for key, a in attributes.items() if not a.optional),
            {fold(k): k for k in reversed(attributes)},
        )
    return Config(
        annotation_type,
        pointer,
        data.get("isActive", True),
        classes,
        common,
        {fold(v): v for v in reversed(classes)},
    )


# --- Reading and checking the file.


def _no_duplicates(pairs: list) -> dict:
    result = dict(pairs)
    if len(result) != len(pairs):
        seen: set = set()
        key = next(k for k, _ in pairs if k in seen or seen.add(k))  # type: ignore[func-returns-value]
        raise ValueError(f"the key {as_json(key)} appears twice in one object")
    return result


def _refuse_constant(name: str) -> object:
    raise ValueError(f"{name} is not JSON")


def read(path: str | os.PathLike) -> object:
    """The data of an ontology file: YAML for .yaml/.yml (needs PyYAML), JSON otherwise."""
    source = os.fspath(path)
    try:
        raw = Path(source).read_bytes()
    except OSError as error:
        raise OntologyError(source, [("", f"cannot read the ontology file: {error.strerror}")]) from None
    if source.lower().endswith((".yaml", ".yml")):
        try:
            import yaml
        except ImportError:
            message = (
                "reading a YAML ontology needs PyYAML: pip install 'aimmo-gt[yaml]' (or write it as JSON)"
            )
            raise OntologyError(source, [("", message)]) from None
        try:
            return yaml.safe_load(raw)
        except yaml.YAMLError as error:
            raise OntologyError(source, [("", f"not valid YAML: {error}")]) from None
    try:
        text = raw.decode("utf-8-sig")
        return json.loads(text, object_pairs_hook=_no_duplicates, parse_constant=_refuse_constant)
    except UnicodeDecodeError:
        raise OntologyError(source, [("", "the ontology file is not UTF-8")]) from None
    except json.JSONDecodeError as error:
        where = f"line {error.lineno} column {error.colno}"
        raise OntologyError(source, [("", f"not valid JSON ({where}): {error.msg}")]) from None
    except (ValueError, RecursionError) as error:
        raise OntologyError(source, [("", f"not valid JSON: {error}")]) from None


def _schema_message(diagnostic: Diagnostic) -> str:
    if diagnostic.rule == "schema.pattern" and diagnostic.pointer.endswith("/key"):
        return 'an attribute key may not hold ".", "$" or "%" (AIMMO\'s project settings refuse them)'
    if diagnostic.rule == "schema.maxLength":
        return f"longer than {MAX_LENGTH} characters, the most AIMMO's project settings hold"
    return diagnostic.message


def problems(data: object) -> list[tuple[str, str]]:
    """Every problem of an ontology's data: its schema first, then (when the structure is sound) the
    rules JSON Schema cannot state. Empty when the ontology can be used."""
    from ._schemas import schema_uri
    from ._validator import schema_diagnostics

    found = [(d.pointer, _schema_message(d)) for d in schema_diagnostics(data, schema_uri(ONTOLOGY_SCHEMA))]
    if found:
        return found
    assert isinstance(data, dict)  # the schema says so
    seen_types: dict[str, int] = {}
    for i, config in enumerate(data["annotationConfigs"]):
        kind = config["annotationType"]
        if kind in seen_types:
            found.append(
                (
                    f"/annotationConfigs/{i}/annotationType",
                    f"annotation type {as_json(kind)} is configured twice "
                    f"(first at /annotationConfigs/{seen_types[kind]})",
                )
            )
        seen_types.setdefault(kind, i)
        found += _config_problems(config, f"/annotationConfigs/{i}")
    if "classification" in data:
        found += _config_problems(data["classification"], "/classification")
    return found


def _first_seen(items: Iterable[tuple[str, str]], what: str) -> Iterator[tuple[str, str]]:
    """(value, pointer) pairs -> a problem at each later repeat of a value."""
    first: dict[str, str] = {}
    for value, pointer in items:
        if value in first:
            yield pointer, f"{what} {as_json(value)} is defined twice (first at {first[value]})"
        else:
            first[value] = pointer


def _config_problems(config: dict, pointer: str) -> list[tuple[str, str]]:
    classes = config["classItems"]
    found = list(
        _first_seen(((c["value"], f"{pointer}/classItems/{i}/value") for i, c in enumerate(classes)), "class")
    )
    common = [
        (a, f"{pointer}/commonAttributes/{i}") for i, a in enumerate(config.get("commonAttributes", []))
    ]
    found += _attribute_problems(common)
    found += _first_seen(((a["key"], f"{w}/key") for a, w in common), "attribute key")
    first_common: dict[str, str] = {}
    for attribute, where in common:
        first_common.setdefault(attribute["key"], f"{where}/key")
    for i, item in enumerate(classes):
        own = [
            (a, f"{pointer}/classItems/{i}/attributes/{j}") for j, a in enumerate(item.get("attributes", []))
        ]
        found += _attribute_problems(own)
        # A class's keys: its own and its type's common attributes together.
        first = dict(first_common)
        for attribute, where in own:
            key = attribute["key"]
            if key in first:
                found.append(
                    (f"{where}/key", f"attribute key {as_json(key)} is defined twice (first at {first[key]})")
                )
            first.setdefault(key, f"{where}/key")
    return found


def _attribute_problems(attributes: list) -> list[tuple[str, str]]:
    """Repeated choices and inverted bounds of each attribute."""
    found: list[tuple[str, str]] = []
    for attribute, where in attributes:
        choices = attribute.get("choices", [])
        found += _first_seen(
            ((_choice_value(c), f"{where}/choices/{i}") for i, c in enumerate(choices)), "choice"
        )
        validation = attribute.get("validation", {})
        for low, high in (("minCount", "maxCount"), ("min", "max")):
            if low in validation and high in validation and validation[low] > validation[high]:
                found.append(
                    (
                        f"{where}/validation/{high}",
                        f"{high} is {validation[high]} but must be at least {low} ({validation[low]})",
                    )
                )
    return found


# --- The ontology object.

#: Compiled ontologies of this process, by canonical text: what a worker receives (pickled Options,
#: once a batch) is compiled once, and keeps its cache of clean annotation signatures.
_COMPILED: dict[str, Ontology] = {}
#: Bound on the cache of clean signatures (free text inputs make every annotation distinct).
_CACHE_LIMIT = 100_000


def _canonical(data: object) -> str:
    return json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


class Ontology:
    """A project's ontology, checked and compiled; pass it (or its path) as `ontology=` to `check`."""

    source: str
    data: dict
    configs: dict[str, Config]
    classification: Config | None

    def __init__(self, data: object, source: str = "<ontology>"):
        found = problems(data)
        if found:
            raise OntologyError(source, found)
        assert isinstance(data, dict)
        self._compile(data, source)

    def _compile(self, data: dict, source: str) -> None:
        self.source = source
        self.data = data
        self.configs = {
            c["annotationType"]: _config(c, f"/annotationConfigs/{i}", c["annotationType"])
            for i, c in enumerate(data["annotationConfigs"])
        }
        self.classification = (
            _config(data["classification"], "/classification", None) if "classification" in data else None
        )
        self.types = frozenset(kind for kind, c in self.configs.items() if c.active)
        self._good: set = set()

    @classmethod
    def load(cls, path: str | os.PathLike) -> Ontology:
        """Read and check an ontology file; raises OntologyError (with every problem) when broken."""
        return cls(read(path), os.fspath(path))

    @classmethod
    def from_data(cls, data: object, source: str = "<ontology>") -> Ontology:
        return cls(data, source)

    def __repr__(self) -> str:
        return f"Ontology({self.source!r}, types={sorted(self.types)!r})"

    def __reduce__(self):
        return (_restore, (_canonical(self.data), self.source))

    def definitions(self) -> Iterator[Definition]:
        """Every class and choice value the ontology defines, with its pointer in the file."""
        configs = [*self.configs.values(), *([self.classification] if self.classification else [])]
        for config in configs:
            for attribute in config.common.values():
                for value, pointer in zip(attribute.choices, attribute.choice_pointers, strict=True):
                    yield Definition("choice", config.type, None, attribute.key, value, pointer)
            for item in config.classes.values():
                yield Definition("class", config.type, item.value, None, item.value, item.pointer)
                for attribute in item.attributes.values():
                    if attribute.key in config.common:
                        continue
                    for value, pointer in zip(attribute.choices, attribute.choice_pointers, strict=True):
                        yield Definition("choice", config.type, item.value, attribute.key, value, pointer)

    # --- The check.

    def check(self, document: object) -> list[Diagnostic]:
        """The ontology diagnostics of a parsed document (a JSON value; a wrong shape is the
        format's to report, and is skipped here)."""
        return self.check_view(view_of_document(document))

    def check_view(self, view: View) -> list[Diagnostic]:
        """The ontology diagnostics of a document's view."""
        found = self._annotations(view)
        self._document(view, found)
        return found

    def check_decoded(self, document: Any) -> list[Diagnostic]:
        """The ontology diagnostics of a document the fast engine decoded. Each annotation's (type,
        label, attributes) is encoded in one C call; when every one was found clean before, the
        annotations are not looked at again (an export repeats a few combinations many times)."""
        from msgspec.json import encode

        try:
            # Looked up one by one, no set made: almost always every one was found clean before.
            if self._good.issuperset(map(encode, map(_kind_label_attributes, document.annotations))):
                found: list[Diagnostic] = []
                self._document(view_of_struct(document, annotations=False), found)
                return found
            signatures = set(map(encode, map(_kind_label_attributes, document.annotations)))
        except Exception:  # nothing the fast engine decodes fails here; a surprise costs only speed
            signatures = None
        view = view_of_struct(document)
        found = self._annotations(view)
        if signatures is not None and not found:
            if len(self._good) > _CACHE_LIMIT:
                self._good.clear()
            self._good |= signatures
        self._document(view, found)
        return found

    def _annotations(self, view: View) -> list[Diagnostic]:
        found: list[Diagnostic] = []
        for i, (kind, label, attributes) in enumerate(
            zip(view.kinds, view.labels, view.attributes, strict=True)
        ):
            if not isinstance(kind, str):
                continue
            if kind not in _annotation_types():
                # An alias (annotation.type-alias) is checked as the type it names, as the format does.
                from ._validator import type_aliases

                kind = type_aliases().get(kind, kind)
            config = self.configs.get(kind)
            if config is None or not config.active:
                if kind in _annotation_types():  # an unknown type is the format's schema.enum
                    found.append(_type_problem(kind, config, self.types, i))
                continue
            self._classed(config, label, attributes, ("annotations", i), found)
        return found

    def _document(self, view: View, found: list[Diagnostic]) -> None:
        """The document's classification: its label and attributes."""
        if self.classification is not None:
            if view.label is _MISSING:
                classes = _listing(self.classification.classes)
                found.append(
                    _diagnostic(
                        "ontology.label-missing",
                        (),
                        f"the project has a classification ({classes}) but the document has no label",
                    )
                )
                self._attributes(self.classification, None, view.document_attributes, (), found)
            else:
                self._classed(self.classification, view.label, view.document_attributes, (), found)
        elif view.label is not _MISSING:
            found.append(
                _diagnostic(
                    "ontology.label-unexpected",
                    ("label",),
                    f"the document has the label {as_json(view.label)} but the project has no classification",
                )
            )

    def _classed(self, config: Config, label: object, attributes: object, path: tuple, found: list) -> None:
        item = None
        if isinstance(label, str):
            item = config.classes.get(label)
            if item is None:
                found.append(
                    _diagnostic(
                        "ontology.class",
                        (*path, "label"),
                        f"{as_json(label)} is not a class of {config.subject}"
                        f"{_suggest(label, config.folded)} "
                        f"(classes: {_listing(config.classes)})",
                    )
                )
        self._attributes(config, item, attributes, path, found)

    def _attributes(
        self, config: Config, item: ClassItem | None, attributes: object, path: tuple, found: list
    ) -> None:
        if not isinstance(attributes, dict):
            return
        where = (*path, "attributes")
        # Without a known class only the type's common attributes are known: check their values.
        defined = item.attributes if item is not None else config.common
        for key, value in attributes.items():
            attribute = defined.get(key)
            if attribute is None:
                if item is not None:
                    folded = item.folded_keys
                    whose = (
                        f"{config.subject} {as_json(item.value)}"
                        if config.type
                        else f"class {as_json(item.value)}"
                    )
                    found.append(
                        _diagnostic(
                            "ontology.attribute",
                            (*where, key),
                            f"attribute {as_json(key)} is not defined for {whose}{_suggest(key, folded)} "
                            f"(attributes: {_listing(item.attributes)})",
                        )
                    )
                continue
            _value(attribute, value, (*where, key), found)
        if item is not None:
            missing = [key for key in item.required if key not in attributes]
            for key in missing:
                found.append(
                    _diagnostic(
                        "ontology.attribute-missing",
                        where,
                        f"attribute {as_json(key)} is missing: {config.subject if config.type else 'class'} "
                        f"{as_json(item.value)} requires it (optional: false)",
                    )
                )


def _restore(canonical: str, source: str) -> Ontology:
    """An ontology received from another process: compiled once here (its data was checked)."""
    known = _COMPILED.get(canonical)
    if known is None:
        known = Ontology.__new__(Ontology)
        known._compile(json.loads(canonical), source)
        _COMPILED[canonical] = known
    return known


def _diagnostic(rule: str, path: tuple, message: str) -> Diagnostic:
    return Diagnostic(rule, ONTOLOGY_RULES[rule].severity, pointer_from_path(path), message)


def _type_problem(kind: str, config: Config | None, types: frozenset[str], index: int) -> Diagnostic:
    if config is not None:
        message = (
            f"annotation type {as_json(kind)} is switched off in this project "
            f"(isActive: false at {config.pointer})"
        )
    else:
        message = (
            f"annotation type {as_json(kind)} is not used by this project (types: {_listing(sorted(types))})"
        )
    return _diagnostic("ontology.type", ("annotations", index, "type"), message)


def _value(attribute: Attribute, value: object, path: tuple, found: list) -> None:
    key = attribute.key
    if isinstance(value, list):
        if attribute.type != "multi_choice":
            takes = "one choice (a string)" if attribute.type == "choice" else "a string"
            found.append(
                _diagnostic("ontology.value-type", path, f"{as_json(key)} takes {takes}, not a list")
            )
            return
        first: dict[str, int] = {}
        for i, item in enumerate(value):
            if not isinstance(item, str):
                continue  # the format's schema.type
            if item not in attribute.allowed:
                found.append(_not_a_choice(attribute, item, (*path, i)))
            if item in first:
                found.append(
                    _diagnostic(
                        "ontology.choice-repeat",
                        (*path, i),
                        f"{as_json(item)} is chosen twice in {as_json(key)} (first as item {first[item]})",
                    )
                )
            first.setdefault(item, i)
        count = len(value)
        if attribute.min_count is not None and count < attribute.min_count:
            found.append(
                _diagnostic(
                    "ontology.choice-count",
                    path,
                    f"{as_json(key)} has {count} choices but needs at least {attribute.min_count} "
                    "(validation.minCount)",
                )
            )
        if attribute.max_count is not None and count > attribute.max_count:
            found.append(
                _diagnostic(
                    "ontology.choice-count",
                    path,
                    f"{as_json(key)} has {count} choices but takes at most {attribute.max_count} "
                    "(validation.maxCount)",
                )
            )
        return
    if not isinstance(value, str):
        return  # the format's schema.type
    if attribute.type == "multi_choice":
        found.append(
            _diagnostic(
                "ontology.value-type",
                path,
                f"{as_json(key)} is a multiple choice: its value is a list of choices, "
                f"not the string {as_json(value)}",
            )
        )
    elif attribute.type == "choice":
        if value not in attribute.allowed:
            found.append(_not_a_choice(attribute, value, path))
    elif attribute.number:
        if not NUMBER.fullmatch(value):
            found.append(
                _diagnostic(
                    "ontology.number",
                    path,
                    f"{as_json(value)} is not a decimal number, as {as_json(key)} must be",
                )
            )
            return
        number = float(value)
        for bound, name, outside in (
            (attribute.minimum, "min", number < (attribute.minimum or 0)),
            (attribute.maximum, "max", number > (attribute.maximum or 0)),
        ):
            if bound is not None and outside:
                side = "below the minimum" if name == "min" else "above the maximum"
                message = f"{as_json(value)} is {side} {_num(bound)} of {as_json(key)} (validation.{name})"
                found.append(_diagnostic("ontology.range", path, message))


def _num(value: float) -> str:
    return str(int(value)) if isinstance(value, float) and value.is_integer() else str(value)


def _not_a_choice(attribute: Attribute, value: str, path: tuple) -> Diagnostic:
    return _diagnostic(
        "ontology.choice",
        path,
        f"{as_json(value)} is not a choice of {as_json(attribute.key)}{_suggest(value, attribute.folded)} "
        f"(choices: {_listing(attribute.choices)})",
    )


def _annotation_types() -> tuple[str, ...]:
    from ._fast import PROFILE_TYPES

    return tuple(dict.fromkeys(t for types in PROFILE_TYPES.values() for t in types))


# --- The neutral view: what the check reads, from a parsed document or from decoded structs.


class View(NamedTuple):
    """Per annotation (index = position in `annotations`): its type, label and attributes; and the
    document's label (_MISSING when absent) and attributes."""

    kinds: list
    labels: list
    attributes: list
    label: object
    document_attributes: object


def view_of_document(document: object) -> View:
    """The view of a parsed document, whatever its shape (absent or wrong parts read as missing)."""
    if not isinstance(document, dict):
        return View([], [], [], _MISSING, _MISSING)
    annotations = document.get("annotations")
    kinds, labels, attributes = [], [], []
    for annotation in annotations if isinstance(annotations, list) else ():
        if isinstance(annotation, dict):
            kinds.append(annotation.get("type"))
            labels.append(annotation.get("label", _MISSING))
            attributes.append(annotation.get("attributes", _MISSING))
        else:
            kinds.append(None)
            labels.append(_MISSING)
            attributes.append(_MISSING)
    return View(
        kinds, labels, attributes, document.get("label", _MISSING), document.get("attributes", _MISSING)
    )


_kind, _label, _attrs = attrgetter("kind"), attrgetter("label"), attrgetter("attributes")
_kind_label_attributes = attrgetter("kind", "label", "attributes")


def view_of_struct(document: Any, annotations: bool = True) -> View:
    """The view of a document the fast engine decoded (its structs always have every field);
    without `annotations`, of the document's own label and attributes only."""
    from msgspec import UNSET

    items = document.annotations if annotations else ()
    label = document.label
    return View(
        list(map(_kind, items)),
        list(map(_label, items)),
        list(map(_attrs, items)),
        _MISSING if label is UNSET else label,
        document.attributes,
    )


# --- Loading for the API (a path is loaded and compiled once per process).

_LOADED: dict[tuple[str, int, int], Ontology] = {}


def resolve(ontology: Ontology | str | os.PathLike | None) -> Ontology | None:
    """An Ontology, or one loaded from a path (cached while the file is unchanged)."""
    if ontology is None or isinstance(ontology, Ontology):
        return ontology
    if not isinstance(ontology, str | os.PathLike):
        raise TypeError(f"ontology must be an aimmo_gt.Ontology or a path, not {type(ontology).__name__}")
    path = os.path.abspath(os.fspath(ontology))
    try:
        stat = os.stat(path)
    except OSError:
        return Ontology.load(ontology)  # raises OntologyError with the reason
    key = (path, stat.st_mtime_ns, stat.st_size)
    if key not in _LOADED:
        _LOADED[key] = Ontology.load(ontology)
    return _LOADED[key]


# --- The derived schema: the format plus the ontology, standard draft 2020-12 keywords only.

STANDARD = "https://json-schema.org/draft/2020-12/schema"


def _value_schema(attribute: Attribute) -> dict:
    if attribute.type == "choice":
        return {"type": "string", "enum": list(attribute.choices)}
    if attribute.type == "multi_choice":
        schema: dict[str, Any] = {
            "type": "array",
            "items": {"type": "string", "enum": list(attribute.choices)},
            "uniqueItems": True,
        }
        if attribute.min_count is not None:
            schema["minItems"] = attribute.min_count
        if attribute.max_count is not None:
            schema["maxItems"] = attribute.max_count
        return schema
    if attribute.number:
        # validation.min/max of a number written as a string cannot be stated with standard keywords.
        return {"type": "string", "pattern": NUMBER_PATTERN}
    return {"type": "string"}


def _attributes_schema(attributes: Mapping[str, Attribute]) -> dict:
    return {
        "type": "object",
        "required": [key for key, a in attributes.items() if not a.optional],
        "properties": {key: _value_schema(a) for key, a in attributes.items()},
        "additionalProperties": False,
    }


def _classes_schema(config: Config) -> dict:
    """label among the classes; per class, its attributes."""
    return {
        "type": "object",
        "properties": {"label": {"type": "string", "enum": list(config.classes)}},
        "allOf": [
            {
                "if": {"type": "object", "properties": {"label": {"const": value}}, "required": ["label"]},
                "then": {"type": "object", "properties": {"attributes": _attributes_schema(item.attributes)}},
            }
            for value, item in config.classes.items()
        ],
    }


def _standard(node: object, drop: frozenset[str], formats: Mapping[str, str]) -> object:
    """A schema with our vocabulary's keywords dropped, our formats turned into patterns and every
    `$schema` the standard dialect. `examples`, `const`, `enum` and `default` hold data: kept."""
    if isinstance(node, list):
        return [_standard(item, drop, formats) for item in node]
    if not isinstance(node, dict):
        return node
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key in drop:
            continue
        if key == "$schema":
            out[key] = STANDARD
        elif key == "format" and isinstance(value, str) and value in formats:
            if "pattern" not in node:
                out["pattern"] = formats[value]
        elif key in ("examples", "const", "enum", "default"):
            out[key] = value
        else:
            out[key] = _standard(value, drop, formats)
    return out


def _format_patterns() -> dict[str, str]:
    """Our formats as patterns (anchored: `pattern` searches)."""
    from ._formats import _ANNOTATION_ID, _OBJECT_ID

    return {"objectid": f"^{_OBJECT_ID.pattern}$", "annotation-id": f"^{_ANNOTATION_ID.pattern}$"}


def derived_schema(ontology: Ontology, profile: str | None = None) -> dict:
    """One self-contained draft 2020-12 schema: the format (the profile's bundle, or the document's)
    and the ontology, in standard keywords only, for any JSON Schema engine."""
    from ._keywords import KEYWORDS
    from ._schemas import BASE_URI, VERSION, schema_dir

    name = "document" if profile is None else f"profiles/{profile}"
    bundle = json.loads((schema_dir() / VERSION / f"{name}.bundle.json").read_text(encoding="utf-8"))
    patterns = _format_patterns()
    # Every keyword our vocabulary declares (the checked ones and the annotations such as `version`).
    vocabulary = bundle["$defs"].get(f"{BASE_URI}{VERSION}/meta/vocabulary.json", {})
    drop = frozenset(KEYWORDS) | frozenset(vocabulary.get("properties", ()))
    resources = {
        uri: _standard(resource, drop, patterns)
        for uri, resource in bundle["$defs"].items()
        if not uri.startswith(f"{BASE_URI}{VERSION}/meta/")
    }
    annotation: dict[str, Any] = {
        "type": "object",
        "properties": {"type": {"enum": sorted(ontology.types)}},
        "allOf": [
            {
                "if": {"type": "object", "properties": {"type": {"const": kind}}, "required": ["type"]},
                "then": {"$ref": f"#/$defs/{kind}"},
            }
            for kind in ontology.configs
            if kind in ontology.types
        ],
    }
    project: dict[str, Any] = {
        "type": "object",
        "properties": {"annotations": {"type": "array", "items": {"$ref": "#/$defs/annotation"}}},
    }
    if ontology.classification is None:
        project["properties"]["label"] = False
    else:
        classes = _classes_schema(ontology.classification)
        # The document's label may be missing (a warning, not an error); its attributes are checked
        # against the class's when it has one, else against the common attributes.
        classes["else"] = {
            "type": "object",
            "properties": {"attributes": _attributes_schema(ontology.classification.common)},
        }
        classes["if"] = {"type": "object", "properties": {"label": {"type": "string"}}, "required": ["label"]}
        classes["then"] = {"type": "object", "allOf": classes.pop("allOf")}
        project["allOf"] = [classes]
    digest = hashlib.sha256(_canonical(ontology.data).encode()).hexdigest()[:16]
    defs: dict[str, Any] = {
        "project": project,
        "annotation": annotation,
        **{
            kind: _classes_schema(ontology.configs[kind])
            for kind in ontology.configs
            if kind in ontology.types
        },
        **resources,
    }
    project_name = Path(ontology.source).name
    return {
        "$schema": STANDARD,
        "$id": f"urn:aimmo-gt:project:{digest}:{name.replace('/', ':')}",
        "title": f"AIMMO GT document of the project {project_name} ({profile or 'any resource type'})",
        "description": (
            "The aimmo-gt v1 format and this project's ontology, in standard draft 2020-12 keywords "
            f"only. Generated by `aimmo-gt ontology schema` from {project_name}; do not "
            "edit. Not stated here (aimmo-gt checks them): the format's semantic rules (geometry, "
            "masks, order, unique ids), the min/max of number inputs, and the warning for a "
            "document without a label in a classification project."
        ),
        "allOf": [{"$ref": bundle["$ref"]}, {"$ref": "#/$defs/project"}],
        "$defs": defs,
    }


# --- Drafting an ontology from an export.

#: Above this many distinct values, a string attribute is drafted as a free `input`.
INPUT_ABOVE = 30


@dataclass
class _Seen:
    classes: Counter = field(default_factory=Counter)
    #: class -> key -> Counter of values; lists counted per item.
    values: dict = field(default_factory=dict)
    #: class -> key -> number of annotations that have it
    present: dict = field(default_factory=dict)
    lists: dict = field(default_factory=dict)
    strings: dict = field(default_factory=dict)
    #: class -> keys of lists that held a choice twice (ontology.choice-repeat whatever the ontology)
    repeats: dict = field(default_factory=dict)


class Inferred(NamedTuple):
    data: dict
    #: (what, count) lines for --counts: what is "bbox 'car'" or "bbox 'car' occlusion='30%'".
    counts: list[tuple[str, int]]
    #: Problems that keep the drafted file from passing the export, or AIMMO's settings from holding it.
    warnings: list[str]


def infer(documents: Iterable[object]) -> Inferred:
    """An ontology that the given documents pass: the types, the classes of each, the attributes with
    the values seen (multi_choice where lists were seen; optional where some annotations lack one)."""
    seen: dict[str | None, _Seen] = {}
    labelled = unlabelled = 0
    for document in documents:
        view = view_of_document(document)
        for kind, label, attributes in zip(view.kinds, view.labels, view.attributes, strict=True):
            if isinstance(kind, str) and isinstance(label, str):
                _note(seen.setdefault(kind, _Seen()), label, attributes)
        if isinstance(view.label, str):
            labelled += 1
            _note(seen.setdefault(None, _Seen()), view.label, view.document_attributes)
        elif isinstance(document, dict):
            unlabelled += 1
    warnings = []
    if labelled and unlabelled:
        warnings.append(
            f"{unlabelled} document(s) have no label while {labelled} have one: each unlabelled one will "
            "get the warning ontology.label-missing"
        )
    configs = []
    counts: list[tuple[str, int]] = []
    for kind in sorted(k for k in seen if k is not None):
        configs.append(
            {"annotationType": kind, "classItems": _class_items(seen[kind], kind, counts, warnings)}
        )
    data: dict[str, Any] = {}
    if None in seen:
        data["classification"] = {"classItems": _class_items(seen[None], "classification", counts, warnings)}
    data["annotationConfigs"] = configs
    for pointer, message in problems(data):
        warnings.append(f"{pointer}: {message} (AIMMO's settings could not hold this ontology)")
    return Inferred(data, counts, warnings)


def _note(seen: _Seen, label: str, attributes: object) -> None:
    seen.classes[label] += 1
    values = seen.values.setdefault(label, {})
    present = seen.present.setdefault(label, Counter())
    lists = seen.lists.setdefault(label, set())
    strings = seen.strings.setdefault(label, set())
    if not isinstance(attributes, dict):
        return
    for key, value in attributes.items():
        if isinstance(value, list):
            lists.add(key)
            items = [v for v in value if isinstance(v, str)]
            if len(set(items)) != len(items):
                seen.repeats.setdefault(label, set()).add(key)
        elif isinstance(value, str):
            strings.add(key)
            items = [value]
        else:
            continue
        present[key] += 1
        values.setdefault(key, Counter()).update(items)


def _class_items(seen: _Seen, subject: str, counts: list, warnings: list) -> list[dict]:
    items = []
    for label in sorted(seen.classes):
        counts.append((f"{subject} {as_json(label)}", seen.classes[label]))
        attributes = []
        for key in sorted(seen.values.get(label, {})):
            values: Counter = seen.values[label][key]
            definition: dict[str, Any] = {"key": key}
            is_list = key in seen.lists[label]
            if key in seen.repeats.get(label, ()):
                warnings.append(
                    f"{subject} {as_json(label)}: attribute {as_json(key)} holds a choice twice in one list, "
                    "which no "
                    "ontology allows (ontology.choice-repeat)"
                )
            if is_list and key in seen.strings[label]:
                warnings.append(
                    f"{subject} {as_json(label)}: attribute {as_json(key)} holds both lists and strings; "
                    "drafted as "
                    "multi_choice, so its string values will fail (ontology.value-type)"
                )
            if is_list:
                definition["type"] = "multi_choice"
                definition["choices"] = sorted(values)
            elif len(values) > INPUT_ABOVE:
                definition["type"] = "input"
                if all(NUMBER.fullmatch(v) for v in values):
                    definition["format"] = "number"
            else:
                definition["type"] = "choice"
                definition["choices"] = sorted(values)
            if definition["type"] != "input" and not definition["choices"]:
                definition["type"] = "input"  # only empty lists were seen
                del definition["choices"]
                warnings.append(
                    f"{subject} {as_json(label)}: attribute {as_json(key)} held only empty lists: "
                    "drafted as a free "
                    "input, which a list fails (ontology.value-type); give it its choices"
                )
            if seen.present[label][key] < seen.classes[label]:
                definition["optional"] = True
            attributes.append(definition)
            for value in sorted(values):
                counts.append((f"{subject} {as_json(label)} {key}={as_json(value)}", values[value]))
        item: dict[str, Any] = {"value": label}
        if attributes:
            item["attributes"] = attributes
        items.append(item)
    return items


def dump(data: dict, path: str | None) -> str:
    """The text of an ontology file: YAML for a .yaml/.yml path (needs PyYAML), JSON otherwise."""
    if path is not None and path.lower().endswith((".yaml", ".yml")):
        import yaml

        return yaml.safe_dump(data, allow_unicode=True, sort_keys=False)
    return json.dumps(data, ensure_ascii=False, indent=2) + "\n"
