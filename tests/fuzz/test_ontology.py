"""Generated ontologies: documents made to satisfy one pass; one change of a label, key or value fails
with the matching rule at the changed node."""

from __future__ import annotations

import copy

from hypothesis import given
from hypothesis import strategies as st

from aimmo_gt import Ontology, check
from aimmo_gt._diagnostics import pointer_from_path
from aimmo_gt._ontology import fold

from ._strategies import MADE, fuzz_settings

#: Annotation types with a fixed geometry that is valid in any image of at least 100 x 100.
_GEOMETRY = {
    "bbox": {"points": [[10, 10], [60, 10], [60, 40], [10, 40]]},
    "polygon": {"points": [[10, 10], [40, 10], [25, 40]]},
    "polyline": {"points": [[10, 10], [40, 20]]},
    "cuboid_plain": {"points": [[10, 10], [60, 10], [60, 40], [10, 40]]},
}
#: Names from which values, keys and classes are drawn: case, spacing and scripts that fold together.
_NAME = st.text(st.sampled_from("abAB xy_-%차량1"), min_size=1, max_size=12).filter(
    lambda text: text.strip() == text and "  " not in text
)
_KEY = _NAME.filter(lambda text: not set(".$%") & set(text))


@st.composite
def _attribute(draw, key: str) -> dict:
    kind = draw(st.sampled_from(["choice", "multi_choice", "input", "number"]))
    attribute: dict = {"key": key, "type": "input" if kind == "number" else kind}
    if kind in ("choice", "multi_choice"):
        choices = draw(st.lists(_NAME, min_size=1, max_size=5, unique_by=fold))
        attribute["choices"] = [draw(st.sampled_from([c, {"value": c, "name": c.upper()}])) for c in choices]
        if kind == "multi_choice" and draw(st.booleans()):
            low = draw(st.integers(0, len(choices)))
            attribute["validation"] = {
                "minCount": low,
                "maxCount": draw(st.integers(max(low, 1), len(choices))),
            }
    elif kind == "number":
        attribute["format"] = "number"
        low = draw(st.integers(-5, 5))
        attribute["validation"] = {"min": low, "max": low + draw(st.integers(0, 10))}
    if draw(st.booleans()):
        attribute["optional"] = draw(st.booleans())
    return attribute


def _attributes(keys) -> st.SearchStrategy[list]:
    return st.tuples(*(_attribute(k) for k in keys)).map(list)


@st.composite
def _config(draw, kind: str | None) -> dict:
    keys = draw(st.lists(_KEY, max_size=4, unique_by=fold))
    split = draw(st.integers(0, len(keys)))
    classes = draw(st.lists(_NAME, min_size=1, max_size=4, unique_by=fold))
    config: dict = {"classItems": []}
    if kind is not None:
        config["annotationType"] = kind
        if draw(st.integers(0, 5)) == 0:
            config["isActive"] = False
    if split:
        config["commonAttributes"] = draw(_attributes(keys[:split]))
    for value in classes:
        item = {"value": value}
        own = draw(
            st.lists(
                _KEY.filter(lambda k: fold(k) not in {fold(c) for c in keys[:split]}),
                max_size=2,
                unique_by=fold,
            )
        )
        if own:
            item["attributes"] = draw(_attributes(own))
        config["classItems"].append(item)
    return config


@st.composite
def ontologies(draw) -> dict:
    kinds = draw(st.lists(st.sampled_from(sorted(_GEOMETRY)), min_size=1, max_size=3, unique=True))
    data = {"annotationConfigs": [draw(_config(kind)) for kind in kinds]}
    if draw(st.booleans()):
        data["classification"] = draw(_config(None))
    return data


def _value(draw, attribute: dict):
    choices = [c["value"] if isinstance(c, dict) else c for c in attribute.get("choices", [])]
    if attribute["type"] == "choice":
        return draw(st.sampled_from(choices))
    if attribute["type"] == "multi_choice":
        bounds = attribute.get("validation", {})
        return draw(
            st.lists(
                st.sampled_from(choices),
                min_size=bounds.get("minCount", 0),
                max_size=bounds.get("maxCount", len(choices)),
                unique=True,
            )
        )
    if attribute.get("format") == "number":
        bounds = attribute["validation"]
        return str(draw(st.integers(bounds["min"], bounds["max"])))
    return draw(_NAME)


def _classed(draw, config: dict) -> tuple[str, dict]:
    item = draw(st.sampled_from(config["classItems"]))
    attributes = {}
    for attribute in [*config.get("commonAttributes", []), *item.get("attributes", [])]:
        if attribute.get("optional") and draw(st.booleans()):
            continue
        attributes[attribute["key"]] = _value(draw, attribute)
    return item["value"], attributes


@st.composite
def projects(draw) -> tuple[dict, dict]:
    """An ontology and a valid image document that satisfies it."""
    data = draw(ontologies())
    active = [c for c in data["annotationConfigs"] if c.get("isActive", True)]
    annotations = []
    for i in range(draw(st.integers(0, 4 if active else 0))):
        config = draw(st.sampled_from(active))
        label, attributes = _classed(draw, config)
        kind = config["annotationType"]
        annotations.append(
            {
                "id": f"{i + 1}-48f557c0-3fff-4227-bd18-8574ff7f8ad0",
                "type": kind,
                "label": label,
                "attributes": attributes,
                **_GEOMETRY[kind],
            }
        )
    document = {
        "annotations": annotations,
        "attributes": {},
        "file_id": "620aea6c1e3c3ccd9cfd8bc9",
        "filename": "frame.jpg",
        "parent_path": "/batch",
        "metadata": {"width": 100, "height": 100},
    }
    if "classification" in data:
        document["label"], document["attributes"] = _classed(draw, data["classification"])
    MADE["documents"] += 1
    return data, document


@fuzz_settings(150)
@given(projects())
def test_a_document_made_to_satisfy_a_generated_ontology_passes(project):
    data, document = project
    ontology = Ontology.from_data(data)
    assert check(document, ontology=ontology, engine="reference").diagnostics == ()
    assert check(document, ontology=ontology, engine="fast").diagnostics == ()


def _changes(data: dict, document: dict):
    """(a description, the changed document, the rule and pointer the change must give)."""
    places = [(("annotations", i), a) for i, a in enumerate(document["annotations"])]
    if "label" in document:
        places.append(((), document))
    for path, node in places:
        unknown = node["label"] + "?"
        yield "label", (*path, "label"), unknown, ("ontology.class", pointer_from_path((*path, "label")))
        for key, value in node["attributes"].items():
            where = (*path, "attributes", key)
            yield (
                "key",
                (*path, "attributes"),
                {**{k: v for k, v in node["attributes"].items() if k != key}, key + "?": value},
                ("ontology.attribute", pointer_from_path((*path, "attributes", key + "?"))),
            )
            if isinstance(value, list) and value:
                yield "item", (*where, 0), value[0] + "?", ("ontology.choice", pointer_from_path((*where, 0)))
            elif isinstance(value, str):
                yield "value", where, value + "?", None  # choice, number or range; not a free input


def _set(document: dict, path: tuple, value) -> dict:
    changed = copy.deepcopy(document)
    node = changed
    for part in path[:-1]:
        node = node[part]
    node[path[-1]] = value
    return changed


@fuzz_settings(150)
@given(projects(), st.data())
def test_one_change_of_a_label_key_or_value_fails_at_the_changed_node(project, data):
    ontology_data, document = project
    changes = list(_changes(ontology_data, document))
    if not changes:
        return
    what, path, value, expected = data.draw(st.sampled_from(changes))
    ontology = Ontology.from_data(ontology_data)
    found = [(d.rule, d.pointer) for d in check(_set(document, path, value), ontology=ontology).diagnostics]
    if expected is None:  # a string value: which rule depends on the attribute's type
        attribute = _defined(ontology, document, path)
        if attribute.type == "input" and not attribute.number:
            assert found == []  # a free input takes any string
            return
        rule = "ontology.number" if attribute.number else "ontology.choice"
        expected = (rule, pointer_from_path(path))
    assert expected in found, (what, expected, found)
    # Nothing is reported elsewhere than at the changed node (or, for a renamed required key, at
    # the attributes object that now lacks it).
    changed = expected[1].rsplit("/", 1)[0] if what == "key" else expected[1]
    assert all(pointer.startswith(changed) for _rule, pointer in found), found


def _defined(ontology: Ontology, document: dict, path: tuple):
    if path[0] == "annotations":
        annotation = document["annotations"][path[1]]
        config = ontology.configs[annotation["type"]]
        label = annotation["label"]
    else:
        config, label = ontology.classification, document["label"]
    return config.classes[label].attributes[path[-1]]
