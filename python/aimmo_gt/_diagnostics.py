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


def count(diagnostics: Iterable[Diagnostic], severity: Severity) -> int:
    return sum(d.severity == severity for d in diagnostics)


def passes(diagnostics: Iterable[Diagnostic], strict: bool = False) -> bool:
    """No error (and, when strict, no warning)."""
    return not any(d.severity == "error" or (strict and d.severity == "warning") for d in diagnostics)


def pointer_from_path(path) -> str:
    """RFC 6901 JSON pointer for a sequence of keys and indices."""
    return "".join("/" + str(part).replace("~", "~0").replace("/", "~1") for part in path)
