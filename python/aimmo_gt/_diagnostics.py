"""Diagnostics: one record per problem found in a document."""

from __future__ import annotations

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


#: A value quoted in a message longer than this many characters is cut to a prefix and its length:
#: a message must stay readable, and a report must not carry a 20 MB value once per diagnostic.
QUOTE_LIMIT = 80


def quote(value: object) -> str:
    """repr(value) for a message, or for a long value a readable prefix with the value's length."""
    if isinstance(value, str):
        if len(value) <= QUOTE_LIMIT:
            return repr(value)
        return f"{value[: QUOTE_LIMIT - 20]!r}... ({len(value):,} characters)"
    if isinstance(value, list | tuple | dict | set | frozenset):
        import reprlib

        short = reprlib.Repr()
        short.maxlevel, short.maxstring, short.maxother = 3, QUOTE_LIMIT // 2, QUOTE_LIMIT // 2
        text = short.repr(value)
        if "..." not in text and len(text) <= QUOTE_LIMIT:
            return text
        return f"{text[: QUOTE_LIMIT - 20]} ({len(value):,} items)"
    text = repr(value)
    return text if len(text) <= QUOTE_LIMIT else f"{text[: QUOTE_LIMIT - 20]}... ({len(text):,} characters)"


def count(diagnostics: Iterable[Diagnostic], severity: Severity) -> int:
    return sum(d.severity == severity for d in diagnostics)


def passes(diagnostics: Iterable[Diagnostic], strict: bool = False) -> bool:
    """No error (and, when strict, no warning)."""
    return not any(d.severity == "error" or (strict and d.severity == "warning") for d in diagnostics)


def pointer_from_path(path) -> str:
    """RFC 6901 JSON pointer for a sequence of keys and indices."""
    return "".join("/" + str(part).replace("~", "~0").replace("/", "~1") for part in path)
