"""Checks the schema tree itself: ids, dialect, documentation, examples, and the case-file mirror."""

from __future__ import annotations

import copy
import re

import pytest
from jsonschema import Draft202012Validator

from aimmo_gt._formats import FORMATS, PATTERNS
from aimmo_gt._keywords import ANNOTATION_KEYWORDS, KEYWORDS
from aimmo_gt._schemas import BASE_URI, DIALECT_URI, VERSION, registry, schema_dir, schema_files, schema_uri
from aimmo_gt._validator import schema_diagnostics, validator_class, validator_for
from conftest import ANNOTATION_TYPES, CASES, load_json

STANDARD = "https://json-schema.org/draft/2020-12/schema"
FILES = schema_files()
SCHEMA_FILES = {uri: path for uri, path in FILES.items() if "/meta/" not in uri}
META_FILES = {uri: path for uri, path in FILES.items() if "/meta/" in uri}


def _ids(files):
    return [pytest.param(uri, path, id=uri.removeprefix(BASE_URI)) for uri, path in files.items()]


def test_tree_has_every_annotation_type_and_profile():
    names = {uri.removeprefix(f"{BASE_URI}{VERSION}/") for uri in FILES}
    assert {f"annotations/{t}.json" for t in ANNOTATION_TYPES} <= names
    assert {
        f"profiles/{p}.json" for p in ("image", "image-pixel", "sequence", "pointcloud", "video", "text")
    } <= names
    assert {"document.json", "meta/dialect.json", "meta/vocabulary.json"} <= names


@pytest.mark.parametrize(("uri", "path"), _ids(FILES))
def test_id_is_base_uri_plus_path(uri, path):
    contents = load_json(path)
    assert contents["$id"] == BASE_URI + path.relative_to(schema_dir()).as_posix()


@pytest.mark.parametrize(("uri", "path"), _ids(SCHEMA_FILES))
def test_schema_is_our_dialect(uri, path):
    assert load_json(path)["$schema"] == DIALECT_URI


@pytest.mark.parametrize(("uri", "path"), _ids(META_FILES))
def test_meta_schemas_are_standard_2020_12(uri, path):
    assert load_json(path)["$schema"] == STANDARD


@pytest.mark.parametrize(("uri", "path"), _ids(FILES))
def test_documented(uri, path):
    contents = load_json(path)
    assert contents.get("title", "").strip()
    assert len(contents.get("description", "")) > 20
    assert contents.get("examples"), "every schema has at least one example"


@pytest.mark.parametrize(("uri", "path"), _ids(FILES))
def test_examples_validate_without_diagnostics(uri, path):
    for example in load_json(path)["examples"]:
        assert schema_diagnostics(example, uri) == []


@pytest.mark.parametrize(("uri", "path"), _ids(SCHEMA_FILES))
def test_schema_valid_against_our_dialect(uri, path):
    meta = Draft202012Validator({"$ref": DIALECT_URI}, registry=registry())
    assert [e.message for e in meta.iter_errors(load_json(path))] == []


def test_dialect_rejects_a_misspelt_keyword_value():
    meta = Draft202012Validator({"$ref": DIALECT_URI}, registry=registry())
    broken = copy.deepcopy(load_json(SCHEMA_FILES[schema_uri("annotations/bbox.json")]))
    broken["properties"]["points"]["bboxCorners"] = "true"
    errors = list(meta.iter_errors(broken))
    assert [list(e.absolute_path) for e in errors] == [["properties", "points", "bboxCorners"]]


def _dialect_keywords() -> set[str]:
    return set(load_json(META_FILES[DIALECT_URI])["propertyNames"]["enum"])


def test_dialect_knows_exactly_the_2020_12_keywords_and_ours():
    """The strict dialect's list of keywords is the union of the vocabulary meta-schemas it combines."""
    dialect = load_json(META_FILES[DIALECT_URI])
    standard = set()
    for part in dialect["allOf"]:
        uri = part["$ref"]
        if uri.startswith("https://json-schema.org/"):
            standard |= set(registry().contents(uri)["properties"])
    ours = set(load_json(META_FILES[schema_uri("meta/vocabulary.json")])["properties"])
    assert len(dialect["allOf"]) == 8 and len(standard) > 50
    assert _dialect_keywords() == standard | ours
    assert len(dialect["propertyNames"]["enum"]) == len(_dialect_keywords()), "a keyword listed twice"


@pytest.mark.parametrize(("uri", "path"), _ids(META_FILES))
def test_meta_schemas_use_only_known_keywords(uri, path):
    """The meta-schemas are checked against the standard meta-schema (their $schema), which lets any
    keyword through; against our strict dialect, a misspelt keyword in them fails too."""
    meta = Draft202012Validator({"$ref": DIALECT_URI}, registry=registry())
    assert [e.message for e in meta.iter_errors(load_json(path))] == []


@pytest.mark.parametrize(
    ("where", "keyword"),
    [
        (("properties", "points"), "bboxCorner"),  # ours, misspelt
        (("properties", "points"), "minItem"),  # a standard one, misspelt
        ((), "definitions"),  # draft 2019-09's, not 2020-12's
    ],
)
def test_dialect_rejects_an_unknown_keyword_anywhere(where, keyword):
    meta = Draft202012Validator({"$ref": DIALECT_URI}, registry=registry())
    broken = copy.deepcopy(load_json(SCHEMA_FILES[schema_uri("annotations/bbox.json")]))
    node = broken
    for part in where:
        node = node[part]
    node[keyword] = True
    errors = list(meta.iter_errors(broken))
    assert [(list(e.absolute_path), e.instance) for e in errors] == [(list(where), keyword)]
    found = schema_diagnostics(broken, DIALECT_URI)
    assert [(d.rule, d.pointer) for d in found] == [("schema.enum", "".join(f"/{p}" for p in where))]


def _with_format(node, found):
    """(format, pattern or None) of every subschema with a format, in a schema file."""
    if isinstance(node, dict):
        if isinstance(node.get("format"), str):
            found.append((node["format"], node.get("pattern")))
        for key, value in node.items():
            if key not in ("examples", "const", "enum", "default"):
                _with_format(value, found)
    elif isinstance(node, list):
        for value in node:
            _with_format(value, found)
    return found


def test_every_format_has_its_pattern_beside_it():
    """Engines that do not assert formats (most, by default) still check an id's shape."""
    found = [pair for path in SCHEMA_FILES.values() for pair in _with_format(load_json(path), [])]
    assert {name for name, _ in found} == set(PATTERNS) == set(FORMATS.checkers)
    assert all(pattern == PATTERNS[name] for name, pattern in found), found


@pytest.mark.parametrize("name", sorted(PATTERNS))
def test_each_pattern_means_its_format(name):
    """The pattern (searched, as JSON Schema does, with Python's re here) accepts exactly the strings
    the format accepts: the case files' strings and edge cases."""
    strings = [
        test["data"]
        for path in CASES.rglob("defs/*.json")
        for test in load_json(path)["tests"]
        if isinstance(test["data"], str)
    ]
    strings += [
        "620aea6c1e3c3ccd9cfd8bc9",
        "620aea6c1e3c3ccd9cfd8bc9\n",
        "\n620aea6c1e3c3ccd9cfd8bc9",
        " 620aea6c1e3c3ccd9cfd8bc9",
        "620aea6c1e3c3ccd9cfd8bc9a",
        "1-48f557c0-3fff-4227-bd18-8574ff7f8ad0",
        "1-48f557c0-3fff-4227-bd18-8574ff7f8ad0\n",
        "-48f557c0-3fff-4227-bd18-8574ff7f8ad0",
        "48F557C0-3FFF-4227-BD18-8574FF7F8AD0",
        "",
    ]
    pattern = re.compile(PATTERNS[name])
    differ = [s for s in strings if (pattern.search(s) is not None) != FORMATS.conforms(s, name)]
    assert not differ
    verdicts = {FORMATS.conforms(s, name) for s in strings}
    assert verdicts == {True, False}


def test_vocabulary_is_optional_in_the_dialect():
    vocabularies = load_json(META_FILES[DIALECT_URI])["$vocabulary"]
    assert vocabularies.pop(f"{BASE_URI}{VERSION}/vocab/semantic") is False
    assert all(vocabularies.values())


def test_every_custom_keyword_is_declared_and_used():
    declared = set(load_json(META_FILES[schema_uri("meta/vocabulary.json")])["properties"])
    assert declared - ANNOTATION_KEYWORDS == set(KEYWORDS)
    used = set()

    def walk(node):
        if isinstance(node, dict):
            used.update(node.keys() & declared)
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    for path in SCHEMA_FILES.values():
        contents = load_json(path)
        contents.pop("examples")
        walk(contents)
    assert used == declared


def test_every_schema_file_has_a_case_file_and_back():
    root = schema_dir() / VERSION
    schemas = {path.relative_to(root).as_posix() for path in FILES.values()}
    cases = {path.relative_to(CASES).as_posix() for path in CASES.rglob("*.json")}
    assert schemas - cases == set(), "schema files without a case file"
    assert cases - schemas == set(), "case files without a schema file"
    for path in CASES.rglob("*.json"):
        suite = load_json(path)
        assert suite["target"] == path.relative_to(CASES).as_posix()
        assert any(t["valid"] for t in suite["tests"]) and any(not t["valid"] for t in suite["tests"])


def test_custom_keyword_fires_inside_a_referenced_file():
    # document.json reaches bboxCorners only through $ref to annotations/bbox.json, and
    # withinImage only through a second $ref to defs/point.json.
    document = load_json(SCHEMA_FILES[schema_uri("profiles/image.json")])["examples"][0]
    document["annotations"] = document["annotations"][:1]
    document["annotations"][0]["points"][2] = [1170, 531]
    found = sorted(
        (d.rule, d.pointer)
        for d in schema_diagnostics(document, schema_uri("document.json"), image=(1169, 1080))
    )
    assert found == [
        ("geometry.bbox", "/annotations/0/points/2"),
        ("geometry.within-image", "/annotations/0/points/2"),
    ]


def test_validator_class_is_kept_across_refs():
    # jsonschema's evolve() switches to the class registered for a subschema's $schema; ours is
    # deliberately unregistered so it is kept for every file of our dialect.
    validator = validator_for(schema_uri("document.json"))
    resolved = validator._resolver.lookup(schema_uri("annotations/bbox.json"))
    assert type(validator.evolve(schema=resolved.contents)) is validator_class(True)


def test_the_trap_is_real_for_the_standard_dialect():
    # Proof that the test above guards something: a file declaring the standard 2020-12 $schema
    # makes jsonschema switch to Draft202012Validator, which does not know our keywords.
    validator = validator_for(schema_uri("document.json"))
    standard = dict(load_json(SCHEMA_FILES[schema_uri("annotations/bbox.json")]), **{"$schema": STANDARD})
    assert type(validator.evolve(schema=standard)) is Draft202012Validator
