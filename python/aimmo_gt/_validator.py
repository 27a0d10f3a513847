"""Validator classes of our dialect, and the conversion of their errors into diagnostics."""

from __future__ import annotations

import ast
import difflib
import json
import math
import re
from collections.abc import Collection, Iterator, Sequence
from contextvars import ContextVar
from functools import cache
from typing import Any

import referencing
import referencing.jsonschema
from jsonschema import Draft202012Validator, ValidationError, validators
from jsonschema import _keywords as standard

from ._diagnostics import Diagnostic, as_json, pointer_from_path
from ._formats import DESCRIPTIONS, FORMATS
from ._formats import PATTERNS as FORMAT_PATTERNS
from ._keywords import IMAGE_SIZE, KEYWORDS, _fmt, _is_number
from ._rules import MAX_DEPTH, RULES
from ._schemas import DIALECT_URI, registry, schema_uri


def additionalProperties(validator, additional, instance, schema) -> Iterator[ValidationError]:
    """As the standard keyword, but one error per unknown property, pointing at the property."""
    if additional is not False:
        # types-jsonschema types jsonschema's keyword functions as returning None; they are generators.
        yield from standard.additionalProperties(  # type: ignore[func-returns-value, misc]
            validator, additional, instance, schema
        )
        return
    if not isinstance(instance, dict):
        return
    known = schema.get("properties", {})
    patterns = schema.get("patternProperties", {})
    names = list(known)
    longest = max(map(len, names), default=0)
    for key in instance:
        # A key that is not a string (a dict built in Python) cannot be a property of the format.
        text = key if isinstance(key, str) else None
        if text is not None and (text in known or any(re.search(pattern, text) for pattern in patterns)):
            continue
        # difflib's cutoff (0.6) cannot be met by a key over 3 times the longest name, and a long
        # key would cost difflib tens of bytes per character.
        close = (
            difflib.get_close_matches(text, names, n=1)
            if text is not None and len(text) <= 3 * longest
            else []
        )
        hint = f"; did you mean {as_json(close[0])}?" if close else f" (expected: {', '.join(known)})"
        yield ValidationError(f"unknown property {as_json(key)}{hint}", path=[key])


def required(validator, names, instance, schema) -> Iterator[ValidationError]:
    """As the standard keyword, with the missing name written as JSON."""
    if not isinstance(instance, dict):
        return
    for name in names:
        if name not in instance:
            yield ValidationError(f"{as_json(name)} is required")


def uniqueItems(validator, unique, instance, schema) -> Iterator[ValidationError]:
    """As the standard keyword, in linear time: jsonschema's falls back to comparing every pair when
    the items cannot be sorted (one number among strings), quadratic in their number."""
    if not (unique and isinstance(instance, list)):
        return
    seen = set()
    for item in instance:
        key = _identity(item)
        if key in seen:
            yield ValidationError(f"{as_json(instance)} has non-unique elements")
            return
        seen.add(key)


def _identity(value: object) -> object:
    """A hashable value equal for equal JSON values (1 and 1.0 are equal, true and 1 are not)."""
    if isinstance(value, bool) or value is None:
        return (type(value), value)
    if isinstance(value, list | tuple):
        return ("array", tuple(map(_identity, value)))
    if isinstance(value, dict):
        return ("object", frozenset((key, _identity(item)) for key, item in value.items()))
    if isinstance(value, int | float | str):
        return value
    return ("other", id(value))


def properties(validator, properties, instance, schema) -> Iterator[ValidationError]:
    """As the standard keyword, but a property whose subschema is `false` is reported at the property
    (jsonschema's descend() yields a false schema's error before it adds the path)."""
    if not isinstance(instance, dict):
        return
    only = ONLY_PROPERTIES.get()
    names = only[1] if only is not None and instance is only[0] else None
    for name, subschema in properties.items():
        if name not in instance or (names is not None and name not in names):
            continue
        if subschema is False:
            yield ValidationError(f"{as_json(name)} is not allowed here", validator=NOT_ALLOWED, path=[name])
        else:
            yield from validator.descend(instance[name], subschema, path=name, schema_path=name)


#: The `validator` of an error raised by a `false` subschema.
NOT_ALLOWED = "false"

#: (an array of the document being checked, the indices of the items to check, ascending; id -> an
#: array none of whose items is to be checked): `items` checks only those items of the first array,
#: none of the others'. Set by `document_diagnostics(only=..., clean_items=...)` for the fast
#: explainer (_explain.py), which proves the other items clean; None: every item, as the standard.
ONLY_ITEMS: ContextVar[tuple[list, Sequence[int], dict[int, list]] | None] = ContextVar(
    "ONLY_ITEMS", default=None
)


#: (the document being checked, the names of its properties to check): `properties` checks only those
#: of that object. Set by `document_diagnostics(fields=...)` for the fast explainer, which proves the
#: others clean; None: every property.
ONLY_PROPERTIES: ContextVar[tuple[dict, frozenset[str]] | None] = ContextVar("ONLY_PROPERTIES", default=None)


def items(validator, items, instance, schema) -> Iterator[ValidationError]:
    """As the standard keyword, but only the items ONLY_ITEMS names when it is set for this array."""
    only = ONLY_ITEMS.get()
    chosen: Sequence[int] | None = None
    if only is not None and "prefixItems" not in schema and items is not False:
        if instance is only[0]:
            chosen = only[1]
        elif only[2].get(id(instance)) is instance:
            chosen = ()
    if chosen is None:
        yield from standard.items(validator, items, instance, schema)  # type: ignore[func-returns-value, misc]
        return
    for index in chosen:
        yield from validator.descend(instance[index], items, path=index)


def allOf(validator, all_of, instance, schema) -> Iterator[ValidationError]:
    """As the standard keyword, but an `allOf` of `if`/`then` branches that each test one property
    against a different constant (document.json's dispatch on an annotation's `type`) evaluates only
    the branch whose `if` can hold: the others' `if` fails and, with no `else`, says nothing. That
    saves twelve `if`s of thirteen for each annotation."""
    dispatch = _dispatch(all_of)
    if dispatch is not None:
        name, branches = dispatch
        value = instance.get(name) if isinstance(instance, dict) else None
        index = branches.get(value) if isinstance(value, str) else None
        if index is not None:
            yield from validator.descend(instance, all_of[index], schema_path=index)
        return
    for index, subschema in enumerate(all_of):
        yield from validator.descend(instance, subschema, schema_path=index)


def ref(validator, ref, instance, schema) -> Iterator[ValidationError]:
    """As the standard keyword, resolving each reference once per base URI: `referencing` would
    resolve it again (URL joins, registry look-ups) at every use, a third of the reference engine's
    time on an annotation. Our schemas have no $dynamicRef, so what a resolution carries beyond the
    schema it finds (the dynamic scope) is never read."""
    resolver = validator._resolver
    registry = resolver._registry
    key = (id(registry), resolver._base_uri, ref)
    known = _RESOLVED.get(key)
    if known is not None and known[0] is registry:
        resolved = known[1]
    else:
        try:
            resolved = resolver.lookup(ref)
        except Exception:  # unresolvable: the standard keyword raises what it raises
            yield from standard.ref(validator, ref, instance, schema)  # type: ignore[func-returns-value, misc]
            return
        _RESOLVED[key] = (registry, resolved)
        _LASTING[id(resolved.resolver)] = resolved.resolver
    yield from validator.descend(instance, resolved.contents, resolver=resolved.resolver)


#: (id of a registry, base URI, $ref) -> (the registry, kept so that its id stays its own; what the
#: reference resolves to in it). A registry is immutable: a resolution holds as long as it lives.
_RESOLVED: dict[tuple[int, str, str], tuple[Any, Any]] = {}


#: id(an allOf list) -> (the list, kept alive so that its id stays its own; its dispatch or None).
_DISPATCH: dict[int, tuple[list, tuple[str, dict[str, int]] | None]] = {}


def _dispatch(all_of: list) -> tuple[str, dict[str, int]] | None:
    """(the property, its constant -> the branch) when every branch of `all_of` is exactly
    `{"if": {"type": "object", "properties": {NAME: {"const": STRING}}, "required": [NAME]}, "then": ...}`
    with one NAME and different strings; None otherwise."""
    known = _DISPATCH.get(id(all_of))
    if known is not None and known[0] is all_of:
        return known[1]
    found: tuple[str, dict[str, int]] | None = None
    names, branches = set(), {}
    for index, branch in enumerate(all_of if isinstance(all_of, list) else ()):
        test = branch.get("if") if isinstance(branch, dict) and branch.keys() == {"if", "then"} else None
        if not (isinstance(test, dict) and test.keys() == {"type", "properties", "required"}):
            break
        properties, required = test["properties"], test["required"]
        if not (test["type"] == "object" and isinstance(properties, dict) and len(properties) == 1):
            break
        ((name, condition),) = properties.items()
        if not (required == [name] and isinstance(condition, dict) and condition.keys() == {"const"}):
            break
        if not isinstance(condition["const"], str) or condition["const"] in branches:
            break
        names.add(name)
        branches[condition["const"]] = index
    else:
        if len(names) == 1 and branches:
            found = (names.pop(), branches)
    _DISPATCH[id(all_of)] = (all_of, found)
    return found


#: The JSON type of each Python type a parsed document holds (a float may be an integer too: it
#: goes to the standard keyword unless a number is allowed).
_JSON_TYPES = {
    str: "string",
    dict: "object",
    list: "array",
    bool: "boolean",
    type(None): "null",
    float: "number",
}


def type_(validator, types, instance, schema) -> Iterator[ValidationError]:
    """As the standard keyword, answering at once for the types of a parsed document (the type
    checker's look-ups cost a tenth of the reference engine's time); anything else is the
    standard's to decide."""
    kind = "integer" if type(instance) is int else _JSON_TYPES.get(type(instance))
    if kind is not None:
        if types == kind or (isinstance(types, list) and kind in types):
            return
        if kind == "integer" and (types == "number" or (isinstance(types, list) and "number" in types)):
            return
    yield from standard.type(validator, types, instance, schema)  # type: ignore[func-returns-value, misc]


def pattern(validator, pattern, instance, schema) -> Iterator[ValidationError]:
    """As the standard keyword, except beside one of our formats: there the pattern states the format
    for engines that do not assert formats (_formats.PATTERNS), and the format's diagnostic says more."""
    if schema.get("format") in FORMAT_PATTERNS:
        return
    yield from standard.pattern(validator, pattern, instance, schema)  # type: ignore[func-returns-value, misc]


#: id -> the validators and resolvers that live as long as the process (validator_for's, those made
#: by _descend, those _RESOLVED holds): the only ones _descend keeps what it makes for.
_LASTING: dict[int, Any] = {}
#: (id of a lasting validator, id of a subschema, id of a lasting resolver or of None) -> (those three,
#: kept so that their ids stay theirs; the validator descend() makes for them; its keyword functions
#: with their keywords and values, in the schema's order).
_DESCENDED: dict[tuple[int, int, int], tuple[Any, Any, Any, Any, list]] = {}
#: Enough for every path through our schemas many times over; past it, nothing more is kept.
_DESCENDED_MAX = 100_000


def _descending(standard_descend, specification):
    """jsonschema's `descend` for our class, as fast as it can be: jsonschema makes a new validator
    (evolve(), a resource and a resolver for the subschema, the list of its keywords) at every step
    into a subschema, half the reference engine's time; this makes the one for a (validator,
    subschema, resolver) once and keeps it, when the three live as long as the process. Anything
    else goes to jsonschema's own."""

    def descend(self, instance, schema, path=None, schema_path=None, resolver=None):
        key = (id(self), id(schema), id(resolver))
        known = _DESCENDED.get(key)
        if known is None or known[0] is not self or known[1] is not schema or known[2] is not resolver:
            lasting = (
                isinstance(schema, dict)
                and self._ref_resolver is None
                and _LASTING.get(id(self)) is self
                and (resolver is None or _LASTING.get(id(resolver)) is resolver)
                and len(_DESCENDED) < _DESCENDED_MAX
            )
            if not lasting:
                yield from standard_descend(self, instance, schema, path, schema_path, resolver)
                return
            inner = resolver or self._resolver.in_subresource(specification.create_resource(schema))
            evolved = self.evolve(schema=schema, _resolver=inner)
            keywords = [(evolved.VALIDATORS[k], k, v) for k, v in schema.items() if k in evolved.VALIDATORS]
            known = (self, schema, resolver, evolved, keywords)
            _DESCENDED[key] = known
            _LASTING[id(evolved)] = evolved
        evolved, keywords = known[3], known[4]
        # What jsonschema's descend does with the errors, unchanged.
        for function, k, v in keywords:
            errors = function(evolved, v, instance, schema) or ()
            for error in errors:
                error._set(
                    validator=k,
                    validator_value=v,
                    instance=instance,
                    schema=schema,
                    type_checker=evolved.TYPE_CHECKER,
                )
                if k not in {"if", "$ref"}:
                    error.schema_path.appendleft(k)
                if path is not None:
                    error.path.appendleft(path)
                if schema_path is not None:
                    error.schema_path.appendleft(schema_path)
                yield error

    return descend


def _create(vocabulary: bool):
    table = dict(Draft202012Validator.VALIDATORS)
    table["additionalProperties"] = additionalProperties
    table["properties"] = properties
    table["uniqueItems"] = uniqueItems
    table["required"] = required
    table["items"] = items
    table["allOf"] = allOf
    table["$ref"] = ref
    table["type"] = type_
    if vocabulary:
        table.update((name, keyword.check) for name, keyword in KEYWORDS.items())
        table["pattern"] = pattern
    # No `version=`: the class is not registered for our dialect's URI, so jsonschema's evolve()
    # keeps this class when a $ref enters another of our files (every one has our dialect as $schema).
    meta_schema = registry().contents(DIALECT_URI)
    cls = validators.create(
        meta_schema=meta_schema,
        validators=table,
        type_checker=Draft202012Validator.TYPE_CHECKER,
        format_checker=FORMATS,
    )
    # The specification create() gives our dialect's subschemas (opaque: referencing knows it not).
    specification = referencing.jsonschema.specification_with(
        dialect_id=meta_schema.get("$id", "urn:unknown-dialect"), default=referencing.Specification.OPAQUE
    )
    cls.descend = _descending(cls.descend, specification)  # type: ignore[method-assign]
    return cls


@cache
def validator_class(vocabulary: bool = True):
    """Our validator class; without the vocabulary it checks structure only (no keywords, no formats)."""
    return _create(vocabulary)


def purpose_uri(purpose: str) -> str:
    """The schema of a purpose (_check.PURPOSES): a `$defs` of defs/purpose.json."""
    return schema_uri(f"defs/purpose.json#/$defs/{purpose}")


@cache
def validator_for(uri: str, vocabulary: bool = True, purpose: str | None = None):
    """A validator for one of our schemas (and, given a purpose, that purpose's schema too). The root
    is a $ref to the schema's $id, so that relative $refs resolve against it (our dialect is opaque
    to `referencing`)."""
    cls = validator_class(vocabulary)
    root = {"$ref": uri} if purpose is None else {"allOf": [{"$ref": uri}, {"$ref": purpose_uri(purpose)}]}
    validator = cls(root, registry=registry(), format_checker=FORMATS if vocabulary else None)
    _LASTING[id(validator)] = validator  # cached here: what it descends into is made once (_descending)
    return validator


def profile_uri(profile: str | None) -> str:
    return schema_uri("document.json" if profile is None else f"profiles/{profile}.json")


def infer_profile(document: object) -> str | None:
    """The resource type a document looks like, as DECISIONS.md says; None when it fits none."""
    if not isinstance(document, dict) or not isinstance(document.get("metadata"), dict):
        return None
    metadata = document["metadata"]
    has_scene = "scene_id" in document
    if "fps" in metadata:
        return None if {"width", "height"} & metadata.keys() else "video"
    if "width" in metadata or "height" in metadata:
        if has_scene:
            return "sequence"
        annotations = document.get("annotations")
        if isinstance(annotations, list) and any(
            isinstance(a, dict) and a.get("type") == "segmentation_mask" for a in annotations
        ):
            return "image-pixel"
        return "image"
    if not metadata:
        return "pointcloud" if has_scene else "text"
    return None


def inference_cause(document: object, profile: str | None) -> str | None:
    """Why a document was taken for `profile` when it was inferred: the field that steered it, so
    that the diagnostics that follow from the profile name their cause (DECISIONS.md)."""
    if not isinstance(document, dict) or profile is None:
        return None
    if profile == "video":
        return 'its metadata has "fps"'
    if profile == "sequence":
        return 'it has "scene_id" next to an image size (a single image has no "scene_id")'
    if profile == "image":
        return 'it has an image size and no "scene_id" (a frame of a sequence has one)'
    if profile == "image-pixel":
        annotations = document.get("annotations")
        first = next(
            (
                i
                for i, a in enumerate(annotations if isinstance(annotations, list) else ())
                if isinstance(a, dict) and a.get("type") == "segmentation_mask"
            ),
            0,
        )
        return f"annotation {first} is a segmentation_mask"
    if profile == "pointcloud":
        return 'its metadata is empty and it has "scene_id"'
    return 'its metadata is empty and it has no "scene_id"'  # text


def image_size(document: object) -> tuple[float, float] | None:
    """The document's image size; None when it has none, or one no image has (a side of 0 or less is
    reported at the side itself, not as every point lying outside it)."""
    metadata = document.get("metadata") if isinstance(document, dict) else None
    if isinstance(metadata, dict):
        width, height = metadata.get("width"), metadata.get("height")
        if _is_number(width) and _is_number(height) and width > 0 and height > 0:
            return width, height
    return None


def _rule(error: ValidationError) -> str:
    keyword = error.validator
    if keyword in KEYWORDS:
        return KEYWORDS[keyword].rule
    if keyword == "format":
        return f"format.{error.validator_value}"
    if keyword in (None, NOT_ALLOWED):  # a `false` subschema
        return "schema.not-allowed"
    if keyword in ("additionalProperties", "unevaluatedProperties"):
        return "schema.unknown-property"
    return f"schema.{keyword}"


_ANNOTATION_TYPE = re.compile(r"/annotations/\d+/type")


@cache
def annotation_types() -> tuple[str, ...]:
    """The 13 annotation types, as document.json lists them."""
    return tuple(
        registry().contents(schema_uri("document.json"))["$defs"]["annotation"]["properties"]["type"]["enum"]
    )


def _keyword_value(error: ValidationError) -> Any:
    """The failed keyword's value in the schema: JSON, so Any. (The stubs add Unset, which only an
    error made outside a validator has; every error here comes from one.)"""
    return error.validator_value


def _instance(error: ValidationError) -> Any:
    """The failing value (JSON, so Any; Unset only outside a validator, as for _keyword_value)."""
    return error.instance


def _schema(error: ValidationError) -> dict:
    """The failing subschema as an object (`{}` for a boolean one)."""
    schema = error.schema
    return dict(schema) if isinstance(schema, dict) else {}


@cache
def type_aliases() -> dict[str, str]:
    """The names AIMMO's tools use for documented annotation types, as document.json lists them."""
    annotation = registry().contents(schema_uri("document.json"))["$defs"]["annotation"]
    return dict(annotation["typeAliases"])


def _alias(value: object) -> str | None:
    """The documented type a value names when it is an alias (any JSON value may be there)."""
    return type_aliases().get(value) if isinstance(value, str) else None


def _covered(error: ValidationError, pointer: str) -> bool:
    """A profile's narrower list of annotation types fails an unknown type too; document.json's
    error for it says more, so the profile's is dropped. An alias (annotation.type-alias) fails
    every list of types: it is checked as its documented type instead, which a profile's list is
    asked about (and only when that one is not in it is the profile's error kept)."""
    if error.validator != "enum" or _ANNOTATION_TYPE.fullmatch(pointer) is None:
        return False
    allowed = tuple(_keyword_value(error))
    documented = _alias(_instance(error))
    if documented is not None:
        return allowed == annotation_types() or documented in allowed
    return error.instance not in annotation_types() and allowed != annotation_types()


#: Limits the schemas write as decimals, by what they mean.
_NAMED_LIMITS = {-math.pi / 2: "-π/2", 3 * math.pi / 2: "3π/2"}


def _limit(value: object) -> str:
    """A bound as a message states it: `3π/2 ≈ 4.712389` for the numbers that stand for one."""
    for number, name in _NAMED_LIMITS.items():
        if _is_number(value) and value == number:
            return f"{name} ≈ {number:.6f}"
    return _fmt(value) if _is_number(value) else as_json(value)


def _is_name(text: object) -> bool:
    return isinstance(text, str) and 0 < len(text) <= 20 and not text.endswith(".")


def _name(error: ValidationError) -> str:
    """What the failing value is called: its property name, or for an item of a fixed-length array
    the name its schema gives it (`yaw`, `w`), else `points/3`."""
    path = list(error.absolute_path)
    schema = _schema(error)
    given = schema.get("title") or schema.get("description")
    if path and isinstance(path[-1], int):
        if _is_name(given):
            return str(given)
        parent = next((part for part in reversed(path[:-1]) if isinstance(part, str)), None)
        return f"{parent}/{path[-1]}" if parent else f"item {path[-1]}"
    return str(path[-1]) if path else "the document"


_TYPE_NAMES = {
    "string": "a string",
    "integer": "an integer",
    "number": "a number",
    "object": "an object",
    "array": "an array",
    "boolean": "true or false",
    "null": "null",
}


#: How a message states each lower or upper bound.
_BOUND_WORDS = {"minimum": "at least", "maximum": "at most", "exclusiveMinimum": "greater than"}


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def _standard_message(error: ValidationError, name: str) -> str:
    """A message for a standard keyword, values written as JSON and limits by what they mean."""
    keyword, value, instance = error.validator, _keyword_value(error), _instance(error)
    if keyword == "type":
        kinds = [value] if isinstance(value, str) else list(value)
        return f"{name} must be {' or '.join(_TYPE_NAMES.get(k, k) for k in kinds)}, not {as_json(instance)}"
    if keyword == "enum":
        return f"{name} must be one of {', '.join(map(as_json, value))}, not {as_json(instance)}"
    if keyword == "const":
        return f"{name} must be {as_json(value)}, not {as_json(instance)}"
    if keyword in _BOUND_WORDS:
        return f"{name} must be {_BOUND_WORDS[keyword]} {_limit(value)} (it is {_limit(instance)})"
    if keyword == "exclusiveMaximum":
        return f"{name} {_limit(instance)} is not below {_limit(value)}"
    if keyword in ("minItems", "maxItems"):
        allowed = "needs at least" if keyword == "minItems" else "may have at most"
        return f"{name} has {_plural(len(instance), 'item')} but {allowed} {value}"
    if keyword == "minLength":
        if "propertyNames" in error.absolute_schema_path:
            return f"a property name in {name} must not be empty"
        if value == 1:
            return f"{name} must not be empty"
        return f"{name} must be at least {_plural(value, 'character')} long, not {as_json(instance)}"
    if keyword == "minProperties":
        return f"{name} must have at least {_plural(value, 'property')}, not {as_json(instance)}"
    if keyword == "maxProperties":
        if value == 0:
            return f"{name} must be empty ({{}}), not {as_json(instance)}"
        return f"{name} may have at most {_plural(value, 'property')}, not {as_json(instance)}"
    if keyword == "pattern":
        meaning = _schema(error).get("description")
        return f"{name} {as_json(instance)} " + (
            f"is not as required: {meaning}" if meaning else f"does not match the pattern {as_json(value)}"
        )
    if keyword == "uniqueItems":
        twice = next((item for i, item in enumerate(instance) if item in instance[:i]), None)
        return f"{name} holds {as_json(twice)} more than once"
    return f"{name} does not satisfy {keyword} {as_json(value)} (it is {as_json(instance)})"


#: Hints for a missing property whose absence has a known reason.
_REQUIRED_HINTS = {
    "file_id": "an export has it; a GT-upload file may leave it out: check one with --upload "
    '(purpose="upload" in the API)',
}
#: Properties a profile requires (so a profile that was inferred steered the diagnostic).
_PROFILE_REQUIRED = frozenset({"track_id", "scene_id"})


def _required_name(error: ValidationError) -> str | None:
    """The missing property of a `required` error: ours writes it as JSON, jsonschema's own class
    (for a standard-dialect file, our meta-schemas) as a Python repr."""
    ours = re.fullmatch(r'("(?:[^"\\]|\\.)*") is required', error.message)
    if ours:
        return json.loads(ours.group(1))
    standard = re.fullmatch(r"(.+) is a required property", error.message)
    return ast.literal_eval(standard.group(1)) if standard else None


def _follows_profile(error: ValidationError, pointer: str) -> bool:
    """Whether a diagnostic follows from the profile's narrowing of the document schema."""
    keyword = error.validator
    if keyword in (None, NOT_ALLOWED):
        return True
    if keyword == "enum" and _ANNOTATION_TYPE.fullmatch(pointer):
        return _instance(error) in annotation_types() or _alias(_instance(error)) is not None
    if keyword == "required":
        return _required_name(error) in _PROFILE_REQUIRED
    return False


def _message(
    error: ValidationError, rule: str, pointer: str, profile: str | None, cause: str | None = None
) -> str:
    message = _plain_message(error, rule, pointer, profile)
    if cause and profile and _follows_profile(error, pointer):
        message += f"; it is checked as {_a(profile)} document because {cause}"
    return message


def _a(profile: str) -> str:
    return f"{'an' if profile[0] in 'aeiou' else 'a'} {profile}"


def _plain_message(error: ValidationError, rule: str, pointer: str, profile: str | None) -> str:
    keyword = error.validator
    where = f"{_a(profile)} document" if profile else "this document"
    if keyword in (None, NOT_ALLOWED):
        name = error.absolute_path[-1] if error.absolute_path else "this value"
        return f"{as_json(name)} is not allowed in {where}"
    excluded = _keyword_value(error) if keyword == "not" else None
    if isinstance(excluded, dict) and "description" in excluded:  # what the excluded shape is
        return f"{as_json(_instance(error))} is not allowed here: {excluded['description']}"
    if keyword == "not" and isinstance(error.schema, dict) and "description" in error.schema:
        shape = (
            f"{_plural(len(error.instance), 'item')} are"
            if isinstance(error.instance, list)
            else f"{as_json(error.instance)} is"
        )
        return f"{shape} not allowed here: {error.schema['description']}"
    if keyword == "format":
        name = _keyword_value(error)
        return f"{as_json(error.instance)} is not {DESCRIPTIONS.get(name, name)}"
    if keyword == "enum" and _ANNOTATION_TYPE.fullmatch(pointer):
        allowed = ", ".join(_keyword_value(error))
        documented = _alias(_instance(error))
        if error.instance in annotation_types() or documented is not None:
            shown = as_json(error.instance) + (f" (that is, {documented})" if documented else "")
            return f"annotation type {shown} is not allowed in {where} (allowed: {allowed})"
        return f"{as_json(error.instance)} is not an annotation type (expected one of: {allowed})"
    if keyword == "required":
        # A standard-dialect file (our meta-schemas) is checked by jsonschema's own class: its message
        # holds the name as a Python repr, read back here.
        missing = _required_name(error)
        hint = _REQUIRED_HINTS.get(missing) if isinstance(missing, str) else None
        return f"{as_json(missing)} is required" + (f": {hint}" if hint else "")
    if keyword == "additionalProperties" and error.message.startswith("Additional properties"):
        known, patterns = _schema(error).get("properties", {}), _schema(error).get("patternProperties", {})
        unknown = [
            k for k in _instance(error) if k not in known and not any(re.search(p, k) for p in patterns)
        ]
        names = ", ".join(map(as_json, unknown))
        return f"unknown {'property' if len(unknown) == 1 else 'properties'} {names}"
    if keyword in KEYWORDS or keyword in ("additionalProperties", "properties"):
        return error.message
    return _standard_message(error, _name(error))


def diagnostics_from_errors(errors, profile: str | None, cause: str | None = None) -> Iterator[Diagnostic]:
    # A profile narrows document.json, so a value wrong for both (an unknown annotation type) fails
    # both; the same diagnostic twice is noise, and only the first is kept.
    seen = set()
    errors = list(errors)
    # A profile's metadata schema excludes fps beside width or height on its own terms (a property
    # not allowed, or none at all), which say more than metadata.json's `not` of a document that fits
    # no resource type: that one is left out when a profile's says it.
    narrowed = any(
        pointer_from_path(e.absolute_path).startswith("/metadata")
        and e.validator in (None, NOT_ALLOWED, "maxProperties")
        for e in errors
    )
    for error in errors:
        rule = _rule(error)
        pointer = pointer_from_path(error.absolute_path)
        if _covered(error, pointer) or (error.validator == "not" and pointer == "/metadata" and narrowed):
            continue
        severity = RULES[rule].severity if rule in RULES else "error"
        diagnostic = Diagnostic(rule, severity, pointer, _message(error, rule, pointer, profile, cause))
        if diagnostic not in seen:
            seen.add(diagnostic)
            yield diagnostic


def too_deep(document: object) -> list[Diagnostic]:
    """A json.depth diagnostic at the first node nested deeper than MAX_DEPTH (found without recursion)."""
    stack: list[tuple[object, tuple]] = [(document, ())]
    while stack:
        node, path = stack.pop()
        if len(path) > MAX_DEPTH:
            pointer = pointer_from_path(path)
            message = f"the document nests more than {MAX_DEPTH} levels deep here; no GT file does"
            return [Diagnostic("json.depth", RULES["json.depth"].severity, pointer, message)]
        if isinstance(node, dict):
            stack.extend((value, (*path, key)) for key, value in node.items())
        elif isinstance(node, list):
            stack.extend((value, (*path, i)) for i, value in enumerate(node))
    return []


def too_long_integer(document: object) -> list[Diagnostic]:
    """A json.number-range diagnostic at the first integer too long to print (more digits than
    sys.get_int_max_str_digits()), found without recursion."""
    stack: list[tuple[object, tuple]] = [(document, ())]
    while stack:
        node, path = stack.pop()
        if isinstance(node, int) and not isinstance(node, bool):
            try:
                str(node)
            except ValueError:
                digits = int(node.bit_length() * 0.30103) + 1
                message = f"an integer of about {digits} digits is far too large for any GT value"
                return [Diagnostic("json.number-range", "error", pointer_from_path(path), message)]
        elif isinstance(node, dict):
            stack.extend((value, (*path, key)) for key, value in node.items())
        elif isinstance(node, list):
            stack.extend((value, (*path, i)) for i, value in enumerate(node))
    return []


def _checked(run, document: object) -> list[Diagnostic]:
    # jsonschema recurses with the document and repr()s values into messages. A pathologically deep
    # document raises RecursionError, and an integer of thousands of digits (which json.loads
    # cannot make, but a document built in Python can hold) a ValueError: each becomes a diagnostic
    # rather than an exception.
    try:
        return list(run())
    except RecursionError:
        return too_deep(document) or [
            Diagnostic("json.depth", "error", "", "the document nests too deeply to be checked")
        ]
    except ValueError:
        found = too_long_integer(document)
        if not found:
            raise
        return found


def schema_diagnostics(
    instance: object, uri: str, *, image: tuple[float, float] | None = None, vocabulary: bool = True
) -> list[Diagnostic]:
    """Diagnostics for any instance against one of our schemas (used for fragments in tests)."""
    token = IMAGE_SIZE.set(image)
    try:
        errors = validator_for(uri, vocabulary).iter_errors(instance)
        return _checked(lambda: diagnostics_from_errors(errors, None), instance)
    finally:
        IMAGE_SIZE.reset(token)


def document_diagnostics(
    document: object,
    profile: str | None,
    *,
    purpose: str = "export",
    inferred: bool = False,
    only: Sequence[int] | None = None,
    fields: Collection[str] | None = None,
    clean_items: Collection[list] = (),
) -> list[Diagnostic]:
    """Every diagnostic for a parsed document against a profile (None: the union of all types) and a
    purpose (PURPOSES). `inferred`: the profile was inferred from the document, so the diagnostics
    that follow from it name the field that steered it.

    `only`: the indices (ascending) of the annotations to check; the others must be known to have
    nothing to report (the fast explainer, _explain.py, proves it). The rest of the document, the
    annotations array's own keywords (uniqueIds) included, is checked as usual.

    `fields`: the names of the document's properties to check; the others must be known to have
    nothing to report (the fast explainer proves it of all but `annotations`). The document's own
    keywords (required, unknown properties...) are checked as usual.

    `clean_items`: arrays of the document whose items must be known to have nothing to report (the
    points of an annotation to check, which the fast explainer proves within the image); their own
    keywords (lengths, bbox corners) are checked as usual."""
    token = IMAGE_SIZE.set(image_size(document))
    annotations = document.get("annotations") if isinstance(document, dict) else None
    restrict = only is not None and isinstance(annotations, list)
    skipped = {id(array): array for array in clean_items}
    limit = ONLY_ITEMS.set((annotations, only, skipped) if restrict else None)  # type: ignore[arg-type]
    named = fields is not None and isinstance(document, dict)
    chosen = ONLY_PROPERTIES.set((document, frozenset(fields)) if named else None)  # type: ignore[arg-type]
    try:
        errors = validator_for(profile_uri(profile), purpose=purpose).iter_errors(document)
        cause = inference_cause(document, profile) if inferred else None
        return _checked(lambda: diagnostics_from_errors(errors, profile, cause), document)
    finally:
        ONLY_PROPERTIES.reset(chosen)
        ONLY_ITEMS.reset(limit)
        IMAGE_SIZE.reset(token)
