"""Diagnostics: one record per problem found in a document."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import Literal

Severity = Literal["error", "warning"]


@dataclass(frozen=True, slots=True)
class Diagnostic:
    """A problem: a stable rule id, a severity, an RFC 6901 pointer and a sentence."""

    rule: str
    severity: Severity
    pointer: str
    message: str

    def as_dict(self) -> dict[str, str]:
        return asdict(self)


def count(diagnostics: Iterable[Diagnostic], severity: Severity) -> int:
    return sum(d.severity == severity for d in diagnostics)


def passes(diagnostics: Iterable[Diagnostic], strict: bool = False) -> bool:
    """No error (and, when strict, no warning)."""
    return not any(d.severity == "error" or (strict and d.severity == "warning") for d in diagnostics)


def pointer_from_path(path) -> str:
    """RFC 6901 JSON pointer for a sequence of keys and indices."""
    return "".join("/" + str(part).replace("~", "~0").replace("/", "~1") for part in path)


#: Longest value written whole into a message; a longer one is cut with "…".
_VALUE_CHARS = 60


def as_json(value: object) -> str:
    """A value as a message shows it: written as JSON (`null`, `true`, `{"a": 1}`, `"text"`), never
    as a Python repr, and cut when long. (Python's int/str conversion refuses numbers of more than
    sys.get_int_max_str_digits() digits: such a number is described, not written.)"""
    if isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > 14_000:
        return f"a {int(value.bit_length() * 0.30103) + 1}-digit number"
    if isinstance(value, str) and len(value) > _VALUE_CHARS:
        # Cut before writing: a 20 MB value is not copied to be cut (and its length is said).
        return (
            json.dumps(value[: _VALUE_CHARS - 2], ensure_ascii=False)[:-1] + f'…" ({len(value):,} characters)'
        )
    try:
        text = json.dumps(value, ensure_ascii=False)
    except (TypeError, ValueError):  # not JSON (a Python document may hold anything): say what it is
        text = f"a Python {type(value).__name__}"
    if len(text) <= _VALUE_CHARS:
        return text
    if isinstance(value, list | dict):
        size = f" ({len(value):,} {'item' if len(value) == 1 else 'items'})"
    else:
        size = f" ({len(text):,} characters)"
    return text[: _VALUE_CHARS - 1] + "…" + size
