"""A generation view of the schemas: each profile bundled, $refs inlined, allOfs merged, in draft 07."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from typing import Any

from jsonschema import Draft7Validator

from ._keywords import ANNOTATION_KEYWORDS, KEYWORDS
from ._schemas import registry, schema_uri

DRAFT7 = "http://json-schema.org/draft-07/schema#"

#: Keywords that only document a schema; the view drops them.
_NOTES = {
    "$schema",
    "$id",
    "$defs",
    "$comment",
    "title",
    "description",
    "examples",
    "default",
    *ANNOTATION_KEYWORDS,
}
#: Keywords whose merged value is the larger (lower bounds) or the smaller (upper bounds) of the two.
_LOWER = {"minimum", "exclusiveMinimum", "minItems", "minLength", "minProperties"}
_UPPER = {"maximum", "exclusiveMaximum", "maxItems", "maxLength", "maxProperties"}
#: Every standard keyword the view knows how to carry into draft 07. Anything else raises, so a schema
#: that starts using a new keyword fails the fuzz tests loudly instead of being fuzzed as if it were absent.
_KNOWN = (
    {
        "type",
        "enum",
        "const",
        "required",
        "properties",
        "additionalProperties",
        "propertyNames",
        "items",
        "additionalItems",
        "pattern",
        "format",
        "uniqueItems",
        "dependencies",
        "not",
        "anyOf",
    }
    | _LOWER
    | _UPPER
)


class Unsupported(NotImplementedError):
    """The schemas use something the draft-07 generation view cannot express."""


def _key(value: object) -> str:
    # Python says 1 == True; JSON does not.
    return json.dumps(value, sort_keys=True)


def _types(schema: dict) -> set[str] | None:
    kind = schema.get("type")
    return None if kind is None else {kind} if isinstance(kind, str) else set(kind)


def _merge_types(a: set[str] | None, b: set[str] | None) -> set[str] | None:
    if a is None or b is None:
        return a if b is None else b
    merged = a & b
    # "integer" is a subset of "number".
    if ("number" in a and "integer" in b) or ("number" in b and "integer" in a):
        merged.add("integer")
    return merged


def _property(schema: dict, name: str):
    if name in schema.get("properties", {}):
        return schema["properties"][name]
    if "patternProperties" in schema:
        raise Unsupported("patternProperties")
    return schema.get("additionalProperties", True)


def _merge_items(a: dict, b: dict) -> dict:
    """items and additionalItems of the conjunction of two array schemas."""
    ia, ib = a.get("items", True), b.get("items", True)
    if isinstance(ia, dict | bool) and isinstance(ib, dict | bool):
        return {"items": merge(ia, ib)}
    extra_a = a.get("additionalItems", True) if isinstance(ia, list) else ia
    extra_b = b.get("additionalItems", True) if isinstance(ib, list) else ib
    la, lb = (ia if isinstance(ia, list) else []), (ib if isinstance(ib, list) else [])
    positional = [
        merge(la[i] if i < len(la) else extra_a, lb[i] if i < len(lb) else extra_b)
        for i in range(max(len(la), len(lb)))
    ]
    return {"items": positional, "additionalItems": merge(extra_a, extra_b)}


def _merge_plain(a: dict, b: dict) -> dict | bool:
    """The conjunction of two schemas without anyOf, as one schema (False when unsatisfiable)."""
    out: dict[str, Any] = {}
    for name in a.keys() | b.keys():
        if name in ("properties", "additionalProperties", "items", "additionalItems", "type", "enum"):
            continue  # merged below, together with the keywords they depend on
        va, vb = a.get(name), b.get(name)
        if vb is None or va == vb:
            out[name] = va
        elif va is None:
            out[name] = vb
        elif name in _LOWER:
            out[name] = max(va, vb)
        elif name in _UPPER:
            out[name] = min(va, vb)
        elif name == "required":
            out[name] = list(dict.fromkeys([*va, *vb]))
        elif name == "uniqueItems":
            out[name] = va or vb
        elif name == "not":
            out[name] = {"anyOf": [va, vb]}
        elif name == "propertyNames":
            out[name] = merge(va, vb)
        elif name == "dependencies":
            out[name] = {
                key: list(dict.fromkeys([*va.get(key, []), *vb.get(key, [])]))
                for key in va.keys() | vb.keys()
            }
        elif name in KEYWORDS and isinstance(va, list) and isinstance(vb, list):
            out[name] = [*va, *(item for item in vb if item not in va)]
        else:
            raise Unsupported(f"two different values of {name!r} in one allOf: {va!r} and {vb!r}")
    if "required" in out:
        out["required"] = sorted(out["required"], key=[*a.get("required", []), *b.get("required", [])].index)
    types = _merge_types(_types(a), _types(b))
    if types is not None:
        if not types:
            return False
        out["type"] = sorted(types)[0] if len(types) == 1 else sorted(types)
    enums = [s["enum"] for s in (a, b) if "enum" in s] + [[s["const"]] for s in (a, b) if "const" in s]
    if enums:
        allowed = {_key(v): v for v in enums[0]}
        for enum in enums[1:]:
            allowed = {k: v for k, v in allowed.items() if k in {_key(x) for x in enum}}
        if not allowed:
            return False
        out.pop("const", None)
        if len(allowed) == 1:
            out["const"] = next(iter(allowed.values()))
        else:
            out["enum"] = list(allowed.values())
    if {"properties", "additionalProperties"} & (a.keys() | b.keys()):
        names = list(dict.fromkeys([*a.get("properties", {}), *b.get("properties", {})]))
        if names:
            out["properties"] = {name: merge(_property(a, name), _property(b, name)) for name in names}
        extra = merge(a.get("additionalProperties", True), b.get("additionalProperties", True))
        if extra is not True:
            out["additionalProperties"] = extra
    if {"items", "additionalItems"} & (a.keys() | b.keys()):
        out.update((k, v) for k, v in _merge_items(a, b).items() if v is not True)
    for name in out.get("required", []):
        if out.get("properties", {}).get(name, out.get("additionalProperties", True)) is False:
            return False
    for low, high in (
        ("minItems", "maxItems"),
        ("minLength", "maxLength"),
        ("minProperties", "maxProperties"),
    ):
        if low in out and high in out and out[low] > out[high]:
            return False
    return out


def merge(a, b):
    """The conjunction of two view schemas; an anyOf on either side is distributed over the other."""
    if a is False or b is False:
        return False
    if a is True:
        return b
    if b is True:
        return a
    rest_a, any_a = {k: v for k, v in a.items() if k != "anyOf"}, a.get("anyOf", [True])
    rest_b, any_b = {k: v for k, v in b.items() if k != "anyOf"}, b.get("anyOf", [True])
    base = _merge_plain(rest_a, rest_b)
    if base is False or ("anyOf" not in a and "anyOf" not in b):
        return base
    branches = []
    for x in any_a:
        for y in any_b:
            branch = merge(merge(base, x), y)
            if branch is not False and branch not in branches:
                branches.append(branch)
    if not branches:
        return False
    return branches[0] if len(branches) == 1 else {"anyOf": branches}


def _discriminator(condition) -> tuple[str, Any] | None:
    """(property, value) when an `if` only says "this object's property is this constant"."""
    if not isinstance(condition, dict) or set(condition) - {"type", "properties", "required"}:
        return None
    properties = condition.get("properties", {})
    if condition.get("type", "object") != "object" or len(properties) != 1:
        return None
    ((name, test),) = properties.items()
    if set(test) != {"const"} or condition.get("required") != [name]:
        return None
    return name, test["const"]


def _if_then_as_any_of(node: dict, blocks: list[dict]) -> dict:
    """if/then blocks that each test one property against a constant, as an anyOf of the cases."""
    found = [_discriminator(block["if"]) for block in blocks]
    tests = [test for test in found if test is not None]
    if len(tests) != len(found) or len({name for name, _ in tests}) != 1 or any("else" in b for b in blocks):
        raise Unsupported(f"if/then other than one per value of a discriminating property: {blocks!r}")
    name = tests[0][0]
    branches = [merge(block["if"], block.get("then", True)) for block in blocks]
    allowed = _property(node, name)
    covered = [value for _, value in tests]
    values = (
        allowed.get("enum", [allowed["const"]] if "const" in allowed else None)
        if isinstance(allowed, dict)
        else None
    )
    if values is None:
        raise Unsupported(f"if/then on {name!r}, whose values are not an enum")
    others = [v for v in values if _key(v) not in {_key(c) for c in covered}]
    if others:  # values no `if` matches: the object is only what `node` says
        branches.append({"properties": {name: {"enum": others}}})
    return {"anyOf": branches}


def _translate(node, resolver, seen: tuple[int, ...]):
    if isinstance(node, bool):
        return node
    parts = []
    own: dict[str, Any] = {}
    conditionals = []
    for name, value in node.items():
        if name in _NOTES:
            continue
        if name == "$ref":
            resolved = resolver.lookup(value)
            if id(resolved.contents) in seen:
                raise Unsupported(f"recursive $ref {value!r}")
            parts.append(_translate(resolved.contents, resolved.resolver, (*seen, id(resolved.contents))))
        elif name == "allOf":
            for sub in value:
                if isinstance(sub, dict) and "if" in sub:
                    conditionals.append(
                        {k: _translate(v, resolver, seen) for k, v in sub.items() if k not in _NOTES}
                    )
                else:
                    parts.append(_translate(sub, resolver, seen))
        elif name in ("anyOf", "oneOf"):
            # oneOf as anyOf: a generated document that matches two branches fails the validity
            # property, which then says so.
            parts.append({"anyOf": [_translate(sub, resolver, seen) for sub in value]})
        elif name in ("properties", "dependentRequired"):
            key = "dependencies" if name == "dependentRequired" else name
            own[key] = {
                k: _translate(v, resolver, seen) if name == "properties" else v for k, v in value.items()
            }
        elif name in ("additionalProperties", "propertyNames", "not"):
            own[name] = _translate(value, resolver, seen)
        elif name == "prefixItems":
            own["items"] = [_translate(sub, resolver, seen) for sub in value]
            if "items" in node:
                own["additionalItems"] = _translate(node["items"], resolver, seen)
        elif name == "items":
            if "prefixItems" not in node:
                own["items"] = _translate(value, resolver, seen)
        elif name in _KNOWN or name in KEYWORDS:
            own[name] = value
        else:
            raise Unsupported(f"keyword {name!r} has no draft-07 form in the generation view")
    schema = own
    for part in parts:
        schema = merge(schema, part)
    if conditionals:
        schema = merge(schema, _if_then_as_any_of(schema, conditionals))
    return schema


def _profile_uri(profile: str | None) -> str:
    return schema_uri("document.json" if profile is None else f"profiles/{profile}.json")


@cache
def _view(profile: str | None) -> dict:
    """The profile's schema (or document.json's) and an export's (defs/purpose.json), as one view:
    what the validator checks a document against by default."""
    uri = _profile_uri(profile)
    resolver = registry().resolver(uri)
    root = registry().contents(uri)
    view = _translate(root, resolver, (id(root),))
    export = registry().resolver().lookup(schema_uri("defs/purpose.json#/$defs/export"))
    view = merge(view, _translate(export.contents, export.resolver, (id(export.contents),)))
    if view is False:
        raise Unsupported(f"the schema of {profile or 'document.json'} accepts nothing")
    return view


def semantic_view(profile: str | None) -> dict:
    """The view with our vocabulary's keywords where the schemas declare them (a fresh copy)."""
    return copy.deepcopy(_view(profile))


def _strip(node):
    if isinstance(node, list):
        return [_strip(item) for item in node]
    if not isinstance(node, dict):
        return node
    out = {}
    for name, value in node.items():
        if name in KEYWORDS:
            continue
        if name in ("properties", "dependencies"):
            out[name] = {k: _strip(v) for k, v in value.items()}
        elif name in ("enum", "const", "required"):
            out[name] = value
        else:
            out[name] = _strip(value)
    return out


def structural_view(profile: str | None) -> dict:
    """The draft-07 view without our vocabulary's keywords: what hypothesis-jsonschema generates from."""
    return {"$schema": DRAFT7, **_strip(_view(profile))}


#: id of an anyOf branch of a view -> (the branch, kept so that its id is not reused; its validator).
#: Views are made once (cached), so this holds one entry per branch of the views.
_VALIDATORS: dict[int, tuple[dict, Draft7Validator]] = {}


def branch_for(schema: dict, instance: object):
    """The first branch of `schema`'s anyOf that `instance` structurally matches, else None."""
    for branch in schema["anyOf"]:
        if id(branch) not in _VALIDATORS:
            _VALIDATORS[id(branch)] = branch, Draft7Validator(_strip(branch))
        if _VALIDATORS[id(branch)][1].is_valid(instance):
            return branch
    return None


def _children(schema: dict, instance: object) -> Iterator[tuple[str | int, Any]]:
    """(key or index, subschema) for each child of `instance` that `schema` says something about."""
    if isinstance(instance, dict):
        properties = schema.get("properties", {})
        extra = schema.get("additionalProperties", True)
        for key in instance:
            yield key, properties.get(key, extra)
    elif isinstance(instance, list):
        items = schema.get("items", True)
        for i in range(len(instance)):
            if isinstance(items, list):
                yield i, items[i] if i < len(items) else schema.get("additionalItems", True)
            else:
                yield i, items


def resolve(schema, instance):
    """`schema` with its anyOf replaced by the branch `instance` matches (True when there is none)."""
    while isinstance(schema, dict) and "anyOf" in schema:
        branch = branch_for(schema, instance)
        if branch is None:
            return True
        rest = {k: v for k, v in schema.items() if k != "anyOf"}
        schema = merge(rest, branch) if rest else branch
    return schema


def nodes(view, instance, path: tuple = ()) -> Iterator[tuple[tuple, dict, Any]]:
    """(path, schema, value) for every node of a structurally valid instance, children after parent."""
    schema = resolve(view, instance)
    if not isinstance(schema, dict):
        return
    yield path, schema, instance
    for key, sub in _children(schema, instance):
        yield from nodes(sub, instance[key], (*path, key))


@dataclass(frozen=True, slots=True)
class Context:
    """What a keyword's `satisfy` may need beyond its value and instance."""

    #: (width, height) of the document's image, or None when it has none (as IMAGE_SIZE).
    image: tuple[float, float] | None
    #: The whole document being made valid.
    document: object


def _satisfy(schema, instance, context: Context):
    schema = resolve(schema, instance)
    if not isinstance(schema, dict):
        return instance
    if isinstance(instance, dict | list):
        # Children first: a keyword on a parent (bboxCorners, maskArea) builds on children that already
        # satisfy theirs (withinImage), and keeps them satisfied.
        children = dict(_children(schema, instance))
        if isinstance(instance, dict):
            instance = {k: _satisfy(children[k], v, context) for k, v in instance.items()}
        else:
            instance = [_satisfy(children[i], v, context) for i, v in enumerate(instance)]
    for name, value in schema.items():
        if name in KEYWORDS:
            keyword = KEYWORDS[name]
            if keyword.satisfy is None:
                raise Unsupported(f"keyword {name!r} has no satisfy function")
            instance = keyword.satisfy(value, instance, context)
    return instance


def satisfy(document: object, profile: str | None) -> object:
    """A copy of a structurally valid document changed to satisfy every keyword of our vocabulary."""
    from ._validator import image_size

    return _satisfy(_view(profile), document, Context(image_size(document), document))
