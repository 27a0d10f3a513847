"""The formats of our vocabulary, registered on one FormatChecker."""

from __future__ import annotations

import re

from jsonschema import FormatChecker

FORMATS = FormatChecker(formats=())

_OBJECT_ID = re.compile(r"[0-9a-f]{24}")
_UUID = r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
_ANNOTATION_ID = re.compile(rf"(?:[0-9]+-)?{_UUID}")

#: Each format as a standard `pattern` (ECMA-262 and Python alike), which the schemas state beside it so
#: that engines that do not assert formats still check the shape. `(?!\n)$`: Python's `$` also matches
#: before a final newline, which no id has.
PATTERNS = {
    "objectid": r"^[0-9a-f]{24}(?!\n)$",
    "annotation-id": rf"^(?:[0-9]+-)?{_UUID}(?!\n)$",
}

#: What each format means, for messages and `aimmo-gt rules`.
DESCRIPTIONS = {
    "objectid": "an ObjectId (24 lowercase hexadecimal digits)",
    "annotation-id": "an annotation id (a uuid such as 48f557c0-3fff-4227-bd18-8574ff7f8ad0, "
    'optionally prefixed by an instance number and "-")',
}


@FORMATS.checks("objectid")
def is_object_id(instance: object) -> bool:
    return not isinstance(instance, str) or _OBJECT_ID.fullmatch(instance) is not None


@FORMATS.checks("annotation-id")
def is_annotation_id(instance: object) -> bool:
    return not isinstance(instance, str) or _ANNOTATION_ID.fullmatch(instance) is not None
