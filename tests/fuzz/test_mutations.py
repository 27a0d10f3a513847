"""One change to a valid document is reported, with the expected rule, at or under the changed node."""

from __future__ import annotations

import json
import re
from collections import Counter, defaultdict

from hypothesis import given
from hypothesis import strategies as st

from aimmo_gt._diagnostics import pointer_from_path
from aimmo_gt._generation import semantic_view
from aimmo_gt._keywords import KEYWORDS
from aimmo_gt._validator import image_size

from ._checking import assert_well_formed, at_or_under, diagnostics, show
from ._mutations import mutations, node_labels, replaced, static_labels
from ._spec import LIMITS, Context
from ._strategies import MADE, TARGETS, documents, fuzz_settings

#: Valid documents mutated, per profile and for the union: 7 x 60; each gives one mutated document per
#: kind of mutation it allows (about 20).
EXAMPLES = 60
#: Valid documents pushed past the limits of DECISIONS.md, per profile and for the union: 7 x 60; each
#: gives one document per limit it has a place for (about 25).
LIMIT_EXAMPLES = 60

#: Schema keywords a mutation breaks (see _mutations.schema_mutations), by the view keyword it reads.
_MUTABLE = {
    "required": "required",
    "dependencies": "dependentRequired",
    "minProperties": "minProperties",
    "maxProperties": "maxProperties",
    "propertyNames": "propertyNames",
    "type": "type",
    "enum": "enum",
    "const": "enum",
    "minimum": "minimum",
    "maximum": "maximum",
    "exclusiveMinimum": "exclusiveMinimum",
    "exclusiveMaximum": "exclusiveMaximum",
    "minLength": "minLength",
    "pattern": "pattern",
    "format": "format",
    "minItems": "minItems",
    "maxItems": "maxItems",
    "uniqueItems": "uniqueItems",
    "not": "not",
}


def _name(profile):
    return profile or "document.json"


def _expected_kinds(view) -> set[str]:
    """Every kind of mutation the view's keywords allow: each must be drawn at least once."""
    kinds = set()
    for place in static_labels(view).values():
        for name, value in place.items():
            if name == "dependencies" and all(place.get("properties", {}).get(k) is False for k in value):
                continue  # every property it is about is forbidden here (width, height in a video)
            if name in _MUTABLE and not (name in ("minItems", "minLength", "minProperties") and value == 0):
                kinds.add(_MUTABLE[name])
            elif name in KEYWORDS:
                kinds.add(name)
            elif name == "additionalProperties" and value is False:
                kinds.add("additionalProperties")
        if any(sub is False for sub in place.get("properties", {}).values()):
            kinds.add("false")
    return kinds


def _check_mutated(mutated, profile):
    MADE["documents"] += 1
    found = diagnostics(mutated, profile)
    assert_well_formed(found, mutated)
    return found


def test_a_single_mutation_is_reported_at_the_mutated_node():
    """For each kind of mutation a document allows, one mutation at a random place, checked alone.

    One test for every profile and the union, so that a kind (say uniqueItems on invisible_keys) only
    needs to be drawn in one of them."""
    kinds: Counter[str] = Counter()
    expected: set[str] = set()
    for profile in TARGETS:
        view = semantic_view(profile)
        expected |= _expected_kinds(view)
        _mutate(profile, view, kinds)
    missing = expected - set(kinds)
    assert not missing, f"mutation kinds never drawn: {sorted(missing)}; drawn: {dict(kinds)}"


def _mutate(profile, view, kinds):
    @fuzz_settings(EXAMPLES)
    @given(st.randoms(use_true_random=True), documents(profile, rich=True))
    def run(random, document):
        # A seeded Random, drawn before the document, picks the places: choices hypothesis draws after a
        # large document come out as the first option far more often than the others.
        by_kind = defaultdict(list)
        for mutation in mutations(view, document, image_size(document)):
            by_kind[mutation.kind].append(mutation)
        for kind in sorted(by_kind):
            mutation = random.choice(by_kind[kind])
            mutated = replaced(document, mutation.path, mutation.make(random))
            found = _check_mutated(mutated, profile)
            where = "at" if mutation.exact else "at or under"
            assert any(
                d.rule in mutation.rules
                and (
                    d.pointer == mutation.pointer
                    if mutation.exact
                    else at_or_under(d.pointer, mutation.pointer)
                )
                for d in found
            ), (
                f"{_name(profile)}: breaking {kind!r} should give {sorted(mutation.rules)} {where} "
                f"{mutation.pointer!r}; got:\n{show(found)}\n"
                f"mutated document: {json.dumps(mutated, ensure_ascii=False, default=repr)}"
            )
            kinds[kind] += 1

    run()


def test_a_value_outside_a_limit_of_the_decisions_is_an_error_there():
    """For each limit of DECISIONS.md a document has a place for, one value past it, checked alone."""
    applied: Counter[str] = Counter()
    expected: set[str] = set()
    for profile in TARGETS:
        view = semantic_view(profile)
        places = list(static_labels(view))
        expected |= {limit.name for limit in LIMITS for place in places if limit.applies(place, profile)}
        _push(profile, view, applied)
    missing = expected - set(applied)
    assert not missing, f"limits never applied: {sorted(missing)}; applied: {dict(applied)}"


def _push(profile, view, applied):
    @fuzz_settings(LIMIT_EXAMPLES)
    @given(st.randoms(use_true_random=True), documents(profile, rich=True), st.data())
    def run(random, document, data):
        context = Context(profile, image_size(document))
        sites = defaultdict(list)
        for place, path, _, value in node_labels(view, document):
            for limit in LIMITS:
                if limit.applies(place, profile):
                    values = limit.breaking(value, context)
                    if values is not None:
                        sites[limit.name].append((path, values))
        for name in sorted(sites):
            path, values = random.choice(sites[name])
            mutated = replaced(document, path, data.draw(values, label=name))
            pointer = pointer_from_path(path)
            found = _check_mutated(mutated, profile)
            assert any(d.severity == "error" and at_or_under(d.pointer, pointer) for d in found), (
                f"{_name(profile)}: {name!r} broken at {pointer!r} but no error there; got:\n{show(found)}\n"
                f"mutated document: {json.dumps(mutated, ensure_ascii=False, default=repr)}"
            )
            applied[name] += 1

    run()


def test_every_limit_applies_somewhere():
    """A limit whose place matches no place of any view is a typo in _spec.py."""
    places = {target: list(static_labels(semantic_view(target))) for target in TARGETS}
    unused = [
        limit.name
        for limit in LIMITS
        if not any(limit.applies(place, target) for target in TARGETS for place in places[target])
    ]
    assert unused == []
    assert all(re.compile(limit.place) for limit in LIMITS)
