"""The fast engine: a yes/no check that passes a document only when the reference has nothing to say.

The reference engine (python-jsonschema, `_validator.document_diagnostics`) gives every diagnostic with
its message; it is the slow step. Most files of an export are clean, so `is_clean` first asks a
compiled Rust validator of the same schemas whether the document is clean, and the reference is
run only for the files it does not pass. Only one direction matters for exactness: a document this
engine passes must have no diagnostic at all from the reference (no error and no warning); a
document it rejects is handed to the reference, which decides. So every transformation below keeps
or tightens a constraint, never loosens one, and tests/test_engines_equivalence.py proves the
agreement over every fixture and over generated documents.

How our vocabulary reaches Rust, cheapest first:
- the formats and the two string grammars (runLength, indexList) become `pattern`s, which the Rust
  regex engine checks without calling back into Python;
- withinImage "point" becomes `minimum`/`maximum` on the two coordinates, in a validator compiled
  for one image size (documents of an export share a few sizes; validators are cached per size);
- every other keyword is a jsonschema-rs custom keyword that calls the reference's own check
  function from `_keywords.KEYWORDS`, so its meaning cannot drift from the reference's.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from functools import cache, lru_cache

from ._keywords import IMAGE_SIZE, KEYWORDS
from ._schemas import schema_files

#: Patterns that accept exactly the strings the format accepts (see _formats.py: fullmatch of the same
#: expressions; `$` in the Rust regex matches only at the very end, as fullmatch does).
FORMAT_PATTERNS = {
    "objectid": "^[0-9a-f]{24}$",
    "annotation-id": "^(?:[0-9]+-)?[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}"
    "-[0-9a-fA-F]{12}$",
}

#: Keywords whose whole meaning is a grammar on a string (they say nothing about other types, and
#: neither does `pattern`): `_keywords.mask_runs` and `_keywords._INDICES`.
KEYWORD_PATTERNS = {
    "runLength": "^(?:[1-9][0-9]*[TF])+$",
    "indexList": "^[0-9]+(?:-[0-9]+)*$",
}

#: Image sizes for which a compiled validator is kept (an export rarely has more distinct sizes).
CACHED_SIZES = 64


class Unavailable(RuntimeError):
    """The fast engine cannot be used here (jsonschema-rs is not installed)."""


@cache
def available() -> bool:
    try:
        import jsonschema_rs  # noqa: F401
    except ImportError:
        return False
    return True


def _add(node: dict, constraint: dict) -> None:
    """Add a constraint to a schema object without replacing one of the same keyword."""
    node.setdefault("allOf", []).append(constraint)


def _transform(node, size: tuple[float, float] | None):
    """A copy of a schema with our formats and string keywords as patterns, and withinImage "point"
    as bounds for an image of `size` (dropped without one: the reference skips it then too)."""
    if isinstance(node, list):
        return [_transform(item, size) for item in node]
    if not isinstance(node, dict):
        return node
    result = {}
    for key, value in node.items():
        # `properties`, `$defs` and the like map names to subschemas: transform the subschemas
        # but never treat a property name as a keyword.
        if key in ("properties", "patternProperties", "$defs", "dependentSchemas"):
            result[key] = {name: _transform(sub, size) for name, sub in value.items()}
        elif key in ("examples", "enum", "const", "default", "ordered", "maskArea", "spanLength", "keysOf"):
            result[key] = value  # data, not schemas
        else:
            result[key] = _transform(value, size)
    fmt = node.get("format")
    if fmt in FORMAT_PATTERNS:
        _add(result, {"pattern": FORMAT_PATTERNS[fmt]})
    for name, pattern in KEYWORD_PATTERNS.items():
        if node.get(name) is True:
            _add(result, {"pattern": pattern})
            del result[name]
    if node.get("withinImage") == "point":
        del result["withinImage"]
        if size is not None:
            width, height = size
            bounds = [{"minimum": 0, "maximum": width}, {"minimum": 0, "maximum": height}]
            _add(result, {"prefixItems": bounds})
    return result


def _keyword_class(name: str) -> type:
    check: Callable = KEYWORDS[name].check

    class Keyword:
        __slots__ = ("schema", "value")

        def __init__(self, parent_schema, value, schema_path):
            self.schema, self.value = parent_schema, value

        def validate(self, instance):
            for _error in check(None, self.value, instance, self.schema):
                raise ValueError(name)

    Keyword.__name__ = name
    return Keyword


@cache
def _sources() -> tuple[tuple[str, dict], ...]:
    return tuple((uri, json.loads(path.read_text(encoding="utf-8"))) for uri, path in schema_files().items())


@cache
def _keywords() -> dict[str, type]:
    # Every keyword is registered, also those translated above: an occurrence the translation
    # leaves in place (withinImage "rect", a future value) still runs the reference's function.
    return {name: _keyword_class(name) for name in KEYWORDS}


@lru_cache(maxsize=CACHED_SIZES)
def validator(uri: str, size: tuple[float, float] | None):
    """A compiled jsonschema-rs validator of one of our schemas, for documents of one image size."""
    try:
        import jsonschema_rs
    except ImportError as error:
        raise Unavailable("the fast engine needs jsonschema-rs (pip install 'aimmo-gt[fast]')") from error
    resources = [(uri_, _transform(copy.deepcopy(contents), size)) for uri_, contents in _sources()]
    registry = jsonschema_rs.Registry(resources, draft=jsonschema_rs.Draft202012)
    return jsonschema_rs.Draft202012Validator(
        {"$ref": uri},
        registry=registry,
        keywords=_keywords(),
        # Our formats are checked by the patterns above; no other format is asserted by the
        # reference either (it only knows ours).
        validate_formats=False,
    )


def is_clean(document: object, uri: str, size: tuple[float, float] | None) -> bool:
    """True only when the reference engine would report nothing for the document; False when it
    might report something (or when the document is outside what the fast engine takes)."""
    check = validator(uri, size).is_valid
    token = IMAGE_SIZE.set(size)
    try:
        return check(document)
    except Exception:  # e.g. a value jsonschema-rs cannot convert: let the reference decide
        return False
    finally:
        IMAGE_SIZE.reset(token)
