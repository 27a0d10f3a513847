"""Every document the schemas describe is valid, and the generator reaches every type and optional field."""

from __future__ import annotations

import json
from collections import Counter

import pytest
from hypothesis import given, note
from jsonschema import Draft7Validator

import aimmo_gt
from aimmo_gt import PROFILES
from aimmo_gt._generation import semantic_view, structural_view
from aimmo_gt._keywords import ANNOTATION_KEYWORDS, KEYWORDS
from aimmo_gt._schemas import schema, schema_files
from conftest import ANNOTATION_TYPES

from ._checking import diagnostics, show
from ._mutations import BREAK, optional_fields, present_fields, static_labels
from ._spec import PROFILE_TYPES
from ._strategies import TARGETS, documents, fuzz_settings

#: Documents per profile and for the union: 7 x 500 = 3,500 in the default run.
EXAMPLES = 500


def _name(profile: str | None) -> str:
    return profile or "document.json"


def _types_in(document) -> set[str]:
    return {a["type"] for a in document["annotations"]}


def test_the_coverage_table_lists_every_profile_and_annotation_type():
    assert set(PROFILE_TYPES) == {*PROFILES, None}
    assert PROFILE_TYPES[None] == set(ANNOTATION_TYPES)
    assert set().union(*(PROFILE_TYPES[p] for p in PROFILES)) == set(ANNOTATION_TYPES)


@pytest.mark.parametrize("profile", TARGETS, ids=_name)
def test_every_generated_document_is_valid_and_every_type_and_optional_field_is_generated(profile):
    view = semantic_view(profile)
    types: Counter[str] = Counter()
    fields: Counter[str] = Counter()

    @fuzz_settings(EXAMPLES)
    @given(documents(profile))
    def run(document):
        note(f"document: {json.dumps(document, ensure_ascii=False)}")
        found = diagnostics(document, profile)
        assert found == (), f"a generated {_name(profile)} document has diagnostics:\n{show(found)}"
        if profile is not None:
            # The document also passes when its profile is inferred rather than given.
            inferred = aimmo_gt.check(document)
            assert inferred.diagnostics == (), f"inferred {inferred.profile}:\n{show(inferred.diagnostics)}"
        types.update(_types_in(document))
        fields.update(present_fields(view, document))

    run()
    missing_types = PROFILE_TYPES[profile] - set(types)
    missing_fields = optional_fields(view) - set(fields)
    table = "\n".join(
        f"  {_name(p):14} "
        + ", ".join(f"{t}={types[t] if p == profile else '-'}" for t in sorted(PROFILE_TYPES[p]))
        for p in TARGETS
    )
    assert not missing_types and not missing_fields, (
        f"{EXAMPLES} generated {_name(profile)} documents lack annotation types {sorted(missing_types)} "
        f"and optional fields {sorted(missing_fields)}; annotation types by profile (counts for this one):\n"
        f"{table}"
    )
    assert set(types) <= PROFILE_TYPES[profile], (
        f"types outside the profile: {set(types) - PROFILE_TYPES[profile]}"
    )


def test_every_keyword_can_be_satisfied_and_broken():
    """A keyword without a satisfy function cannot be generated; without a breaker, not mutated."""
    assert [name for name, k in KEYWORDS.items() if k.satisfy is None] == []
    assert sorted(BREAK) == sorted(KEYWORDS)


def test_every_keyword_of_the_vocabulary_is_in_a_generation_view():
    vocabulary = schema("meta/vocabulary.json")["properties"]
    assert set(vocabulary) - ANNOTATION_KEYWORDS == set(KEYWORDS)
    used = {
        name
        for target in TARGETS
        for place in static_labels(semantic_view(target)).values()
        for name in place
    }
    assert set(KEYWORDS) - used == set()


@pytest.mark.parametrize("profile", TARGETS, ids=_name)
def test_the_structural_view_is_draft_07_without_our_keywords(profile):
    view = structural_view(profile)
    Draft7Validator.check_schema(view)
    text = json.dumps(view)
    for name in (*KEYWORDS, "$ref", "$defs", "prefixItems", "dependentRequired", "if", "allOf"):
        assert f'"{name}"' not in text


@pytest.mark.parametrize(
    "uri", [u for u in schema_files() if "/profiles/" in u or u.endswith("/document.json")]
)
def test_the_examples_of_each_profile_fit_its_structural_view(uri):
    """The view is no narrower than the schema: the schema's own examples pass it."""
    profile = None if uri.endswith("/document.json") else uri.rsplit("/", 1)[1].removesuffix(".json")
    validator = Draft7Validator(structural_view(profile))
    for example in schema(uri)["examples"]:
        assert [e.message for e in validator.iter_errors(example)] == []


def test_a_point_is_brought_into_an_image_wider_than_a_float():
    """withinImage's satisfy on a negative float point in an image whose side is an integer beyond a
    float's range (AIMMO_GT_FUZZ=deep drew one: math.fmod raised OverflowError while generating)."""
    from aimmo_gt._generation import Context
    from aimmo_gt._keywords import satisfy_withinImage

    side = 10**400
    point = satisfy_withinImage("point", [-3.9981620377800493e-150, -7], Context((side, 5), None))
    assert point == [3.9981620377800493e-150, 1]
    assert satisfy_withinImage("point", [-2.5, 7.5], Context((2, 5), None)) == [0.5, 2.5]
