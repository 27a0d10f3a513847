"""Single mutations of a valid document, found by walking the generation view alongside it."""

from __future__ import annotations

import copy
import math
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from aimmo_gt._diagnostics import pointer_from_path
from aimmo_gt._generation import merge, nodes, resolve
from aimmo_gt._keywords import KEYWORDS, mask_runs


def _kind(schema) -> str:
    """`<bbox>` for an object whose `type` is a constant (an annotation of one type), else ''."""
    kind = schema.get("properties", {}).get("type") if isinstance(schema, dict) else None
    return f"<{kind['const']}>" if isinstance(kind, dict) and "const" in kind else ""


def static_labels(view) -> dict[str, dict]:
    """Every place of the view and its schema, branches of anyOf included. A place reads like
    `.annotations[]<bbox>.points[]`: `[]` for the items of an array (`[i]` for a tuple's), `.*` for the
    values of an additionalProperties object, `<type>` after an annotation of that type."""
    out: dict[str, dict] = {}

    def walk(schema, prefix: str):
        if not isinstance(schema, dict):
            return
        if "anyOf" in schema:
            rest = {k: v for k, v in schema.items() if k != "anyOf"}
            for branch in schema["anyOf"]:
                walk(merge(rest, branch) if rest else branch, prefix)
            return
        here = prefix + _kind(schema)
        if schema.get("maxProperties") == 0:  # an empty object: its properties can never be there
            schema = {
                k: v
                for k, v in schema.items()
                if k not in ("properties", "additionalProperties", "dependencies", "required")
            }
        out[here] = schema
        for name, sub in schema.get("properties", {}).items():
            walk(sub, f"{here}.{name}")
        if isinstance(schema.get("additionalProperties"), dict):
            walk(schema["additionalProperties"], f"{here}.*")
        items = schema.get("items")
        if isinstance(items, dict):
            walk(items, f"{here}[]")
        elif isinstance(items, list):
            for i, sub in enumerate(items):
                walk(sub, f"{here}[{i}]")

    walk(view, "")
    return out


def node_labels(view, document) -> Iterator[tuple[str, tuple, dict, Any]]:
    """(label, path, schema, value) for every node, labels as in `static_labels`."""

    def walk(schema, value, path, prefix):
        schema = resolve(schema, value)
        if not isinstance(schema, dict):
            return
        here = prefix + _kind(schema)
        yield here, path, schema, value
        if isinstance(value, dict):
            properties = schema.get("properties", {})
            for key, child in value.items():
                if key in properties:
                    yield from walk(properties[key], child, (*path, key), f"{here}.{key}")
                else:
                    yield from walk(
                        schema.get("additionalProperties", True), child, (*path, key), f"{here}.*"
                    )
        elif isinstance(value, list):
            items = schema.get("items", True)
            for i, child in enumerate(value):
                if isinstance(items, list):
                    sub = items[i] if i < len(items) else schema.get("additionalItems", True)
                    yield from walk(sub, child, (*path, i), f"{here}[{i}]")
                else:
                    yield from walk(items, child, (*path, i), f"{here}[]")

    yield from walk(view, document, (), "")


def optional_fields(view) -> set[str]:
    """`place.name` of every property a document may have or not (not required, not forbidden)."""
    fields = set()
    for place, schema in static_labels(view).items():
        required = set(schema.get("required", ()))
        for name, sub in schema.get("properties", {}).items():
            if name not in required and sub is not False:
                fields.add(f"{place}.{name}")
    return fields


def present_fields(view, document) -> set[str]:
    return {
        f"{place}.{key}"
        for place, _, schema, value in node_labels(view, document)
        if isinstance(value, dict)
        for key in value
        if key in schema.get("properties", {})
    }


def get(document, path: tuple):
    for part in path:
        document = document[part]
    return document


def replaced(document, path: tuple, value):
    """A copy of the document with the node at `path` replaced."""
    if not path:
        return value
    out = copy.deepcopy(document)
    get(out, path[:-1])[path[-1]] = value
    return out


@dataclass(frozen=True)
class Mutation:
    """One change to a valid document and the diagnostic it must produce."""

    kind: str  # a schema keyword (`required`, `minimum`, ...) or one of our keywords
    path: tuple  # the node changed
    make: Callable[[Any], Any]  # random.Random -> new value of the node
    rules: frozenset[str]  # the diagnostic must have one of these rule ids
    exact: bool = False  # the diagnostic must be at `path` itself, not under it

    @property
    def pointer(self) -> str:
        return pointer_from_path(self.path)


_WRONG = {"null": None, "boolean": True, "object": {}, "array": [], "string": "x", "number": 0.5}


def _has_type(value, kind: str) -> bool:
    if kind == "integer":
        return (isinstance(value, int) and not isinstance(value, bool)) or (
            isinstance(value, float) and value.is_integer()
        )
    if kind == "number":
        return isinstance(value, int | float) and not isinstance(value, bool)
    return {
        "null": value is None,
        "boolean": isinstance(value, bool),
        "object": isinstance(value, dict),
        "array": isinstance(value, list),
        "string": isinstance(value, str),
    }[kind]


def _below(bound, integer: bool):
    return math.ceil(bound) - 1 if integer else bound - 1


def _above(bound, integer: bool):
    return math.floor(bound) + 1 if integer else bound + 1


def schema_mutations(schema: dict, path: tuple, value) -> Iterator[Mutation]:
    """The mutations the standard keywords of one view node allow."""
    integer = schema.get("type") == "integer"
    rule = lambda name: frozenset({f"schema.{name}"})  # noqa: E731
    if isinstance(value, dict):
        for name in schema.get("required", ()):
            if name in value:
                yield Mutation(
                    "required",
                    path,
                    lambda _, n=name: {k: v for k, v in value.items() if k != n},
                    rule("required"),
                    exact=True,
                )
        for name, deps in schema.get("dependencies", {}).items():
            for dep in deps:
                if name in value and dep in value:
                    yield Mutation(
                        "dependentRequired",
                        path,
                        lambda _, n=dep: {k: v for k, v in value.items() if k != n},
                        rule("dependentRequired"),
                        exact=True,
                    )
        if schema.get("additionalProperties") is False:
            unknown = "zz" + "".join(sorted(value)) + "".join(schema.get("properties", {}))
            yield Mutation(
                "additionalProperties",
                (*path,),
                lambda _, u=unknown: {**value, u: 0},
                frozenset({"schema.unknown-property"}),
            )
        for name, sub in schema.get("properties", {}).items():
            if sub is False and name not in value:
                yield Mutation(
                    "false", path, lambda _, n=name: {**value, n: 0}, frozenset({"schema.not-allowed"})
                )
        if schema.get("minProperties", 0) > 0:
            yield Mutation("minProperties", path, lambda _: {}, rule("minProperties"), exact=True)
        if "maxProperties" in schema:
            extra = {f"zz{i}": 0 for i in range(schema["maxProperties"] + 1 - len(value))}
            yield Mutation(
                "maxProperties", path, lambda _: {**value, **extra}, rule("maxProperties"), exact=True
            )
        names = schema.get("propertyNames", {})
        if names.get("minLength", 0) > 0 and value:
            yield Mutation(
                "propertyNames",
                path,
                lambda _: {**value, "": next(iter(value.values()))},
                rule("minLength"),
                exact=True,
            )
    if "type" in schema:
        allowed = [schema["type"]] if isinstance(schema["type"], str) else schema["type"]
        wrong = [v for v in _WRONG.values() if not any(_has_type(v, kind) for kind in allowed)]
        yield Mutation("type", path, lambda r: r.choice(wrong), rule("type"), exact=True)
    if "const" in schema or "enum" in schema:
        allowed = schema.get("enum", [schema.get("const")])
        other = "zz-" + "".join(map(str, allowed))
        yield Mutation("enum", path, lambda _: other, frozenset({"schema.enum", "schema.const"}), exact=True)
    if isinstance(value, int | float) and not isinstance(value, bool):
        for name, push in (("minimum", _below), ("maximum", _above)):
            if name in schema:
                yield Mutation(
                    name, path, lambda _, b=schema[name], p=push: p(b, integer), rule(name), exact=True
                )
        for name in ("exclusiveMinimum", "exclusiveMaximum"):
            if name in schema:
                bound = schema[name]
                out = (
                    bound
                    if not integer or float(bound).is_integer()
                    else (math.floor(bound) if name == "exclusiveMinimum" else math.ceil(bound))
                )
                yield Mutation(
                    name,
                    path,
                    lambda _, o=out: o,
                    frozenset({f"schema.{name}", "schema.minimum", "schema.maximum"}),
                    exact=True,
                )
    if isinstance(value, str):
        if schema.get("minLength", 0) > 0:
            yield Mutation(
                "minLength", path, lambda _: value[: schema["minLength"] - 1], rule("minLength"), exact=True
            )
        if "pattern" in schema:
            candidates = ["", "x" + value, "\n" + value, value + "\n"]
            bad = next((c for c in candidates if not re.search(schema["pattern"], c)), None)
            # A pattern beside one of our formats states the format: the format's rule reports it.
            rules = frozenset({f"format.{schema['format']}"}) if "format" in schema else rule("pattern")
            if bad is not None:
                yield Mutation("pattern", path, lambda _, b=bad: b, rules, exact=True)
        if "format" in schema:
            yield Mutation(
                "format", path, lambda _: "not an id", frozenset({f"format.{schema['format']}"}), exact=True
            )
    if isinstance(value, list):
        if schema.get("minItems", 0) > 0:
            yield Mutation(
                "minItems", path, lambda _: value[: schema["minItems"] - 1], rule("minItems"), exact=True
            )
        if "maxItems" in schema and value:
            yield Mutation(
                "maxItems",
                path,
                lambda _: value + [value[-1]] * (schema["maxItems"] + 1 - len(value)),
                rule("maxItems"),
                exact=True,
            )
        if schema.get("uniqueItems") and value:
            yield Mutation("uniqueItems", path, lambda _: [*value, value[0]], rule("uniqueItems"), exact=True)
        excluded = schema.get("not")
        if isinstance(excluded, dict) and set(excluded) == {"minItems", "maxItems"} and value:
            size = excluded["minItems"]
            if excluded["maxItems"] == size and size > 0:
                yield Mutation("not", path, lambda _: (value * size)[:size], rule("not"), exact=True)


# How to break each keyword of our vocabulary: (keyword value, instance, image) -> a new instance
# that violates it, or None when this instance cannot be made to (e.g. no image size).
def _break_ordered(pairs, obj, image):
    for pair in pairs:
        lower, upper = pair["lower"], pair["upper"]
        if lower in obj and upper in obj:
            if pair.get("strict"):
                return {**obj, upper: obj[lower]}
            high = obj[upper]
            if high + 1 > high:
                return {**obj, lower: high + 1}
            return {**obj, upper: math.nextafter(obj[lower], -math.inf)}
    return None


def _break_bbox(value, points, image):
    # The same box, corners listed from another start: still a box, but not top-left first.
    return [points[1], points[2], points[3], points[0]]


def _break_within(kind, instance, image):
    if image is None:
        return None
    width, height = image
    if kind == "point":
        return [width + 1, instance[1]]
    if kind == "bound":
        # y first: a bottom past the height (a corner read x first would not be past it when x fits).
        (y1, x1), (_, x2) = instance
        return [[y1, x1], [height + 1, x2]]
    _, y, w, h = instance["rect"]
    # Turned any way about its centre, a box whose left edge is 2 pixels past the right edge of the
    # image is more than the 1 pixel of tolerance outside it.
    return {**instance, "rect": [math.floor(width) + 2 + math.ceil(w + h), y, w, h]}


def _break_run_length(value, mask, image):
    return mask + "0T"


def _break_bound_order(value, bound, image):
    (y1, _), (y2, x2) = bound
    return [[y1, x2 + 1], [y2, x2]]


def _break_mask_area(names, obj, image):
    mask = obj[names["mask"]]
    counts = mask_runs(mask)
    if counts is None:
        return None
    # One more pixel than the bound: neither the exclusive nor the inclusive area (see DECISIONS.md).
    return {**obj, names["mask"]: f"{mask}1T"}


def _break_index_list(value, indices, image):
    return indices + "-"


def _break_keys_of(mapping, obj, image):
    array_name, object_name = next(iter(mapping.items()))
    keys = obj[object_name]
    unknown = "zz" + "".join(keys)
    return {**obj, array_name: [*obj.get(array_name, []), unknown]}


def _break_unique_ids(key, items, image):
    if len(items) < 2:
        return None
    return [*items[:-1], {**items[-1], key: items[0][key]}]


def _break_type_aliases(aliases, obj, image):
    # The name AIMMO's tools use for this annotation's type, when it has one.
    alias = next((name for name, documented in aliases.items() if documented == obj.get("type")), None)
    return None if alias is None else {**obj, "type": alias}


def _break_unique_tracks(key, items, image):
    tracked = [i for i, item in enumerate(items) if key in item]
    if len(tracked) < 2:
        return None
    first, last = tracked[0], tracked[-1]
    return [*items[:last], {**items[last], key: items[first][key]}, *items[last + 1 :]]


def _break_span_length(names, obj, image):
    return {**obj, names["end"]: obj[names["end"]] + 1}


BREAK: dict[str, Callable[[Any, Any, Any], Any]] = {
    "ordered": _break_ordered,
    "bboxCorners": _break_bbox,
    "withinImage": _break_within,
    "runLength": _break_run_length,
    "boundOrder": _break_bound_order,
    "maskArea": _break_mask_area,
    "indexList": _break_index_list,
    "keysOf": _break_keys_of,
    "uniqueIds": _break_unique_ids,
    "uniqueTracks": _break_unique_tracks,
    "typeAliases": _break_type_aliases,
    "spanLength": _break_span_length,
}


def keyword_mutations(schema: dict, path: tuple, value, image) -> Iterator[Mutation]:
    for name in schema:
        if name in KEYWORDS:
            broken = BREAK[name](schema[name], value, image)
            if broken is not None:
                yield Mutation(name, path, lambda _, b=broken: b, frozenset({KEYWORDS[name].rule}))


def mutations(view, document, image) -> list[Mutation]:
    """Every single mutation of the document the view's keywords (standard and ours) allow."""
    found = []
    for path, schema, value in nodes(view, document):
        found.extend(schema_mutations(schema, path, value))
        found.extend(keyword_mutations(schema, path, value, image))
    return found
