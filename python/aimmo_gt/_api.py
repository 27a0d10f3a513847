"""The public API: check a parsed GT document and get diagnostics."""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING

from ._check import ENGINES, PROFILES, PURPOSES, Options, Result, check_document, infer_profile, matches, tune
from ._diagnostics import Diagnostic
from ._rules import RULES, UNTUNABLE

if TYPE_CHECKING:
    from ._ontology import Ontology

__all__ = [
    "ENGINES",
    "PROFILES",
    "PURPOSES",
    "Result",
    "ValidationError",
    "check",
    "check_selectors",
    "infer_profile",
    "is_valid",
    "iter_errors",
    "selector_problem",
    "tune",
    "validate",
]


class ValidationError(ValueError):
    """Raised by `validate`; `diagnostics` holds every problem found."""

    def __init__(self, diagnostics: Iterable[Diagnostic]):
        self.diagnostics = tuple(diagnostics)
        first = self.diagnostics[0] if self.diagnostics else None
        summary = f"{first.pointer or '/'}: {first.rule}: {first.message}" if first else "invalid"
        more = len(self.diagnostics) - 1
        super().__init__(summary + (f" (and {more} more)" if more > 0 else ""))


def check_selectors(selectors: Iterable[str]) -> list[str]:
    """The selectors that name no rule and no rule prefix (for a usage error)."""
    return [s for s in selectors if not any(matches(rule_id, [s]) for rule_id in RULES)]


def selector_problem(warn: Iterable[str], ignore: Iterable[str] = ()) -> str | None:
    """Why rule selectors (--warn/--ignore, warn=/ignore=) cannot be used, in the words the CLI
    prints; None when they can."""
    selectors = [*warn, *ignore]
    unknown = check_selectors(selectors)
    if unknown:
        named = ", ".join(f"{selector!r}{_did_you_mean(selector)}" for selector in unknown)
        return f"no rule is named {named}; see 'aimmo-gt rules' for the rule ids"
    fixed = sorted(set(selectors) & UNTUNABLE)
    if fixed:
        return (
            f"{', '.join(fixed)} cannot be lowered or ignored: such a file was not checked at all "
            "(a prefix such as 'json.' selects only the rules that can be)"
        )
    return None


def _did_you_mean(selector: str) -> str:
    import difflib

    families = {rule_id.rsplit(".", 1)[0] + "." for rule_id in RULES}
    close = difflib.get_close_matches(selector, [*RULES, *sorted(families)], n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _selectors(name: str, value: object) -> tuple[str, ...]:
    """`warn=`/`ignore=` as a tuple of rule ids, or the TypeError a wrong type deserves."""
    if isinstance(value, str):
        raise TypeError(f"{name} must be a list of rule ids, not a string (did you mean {name}=[{value!r}]?)")
    try:
        selectors: tuple[object, ...] = tuple(value)  # type: ignore[arg-type]
    except TypeError:
        raise TypeError(f"{name} must be a list of rule ids, not {type(value).__name__}") from None
    wrong = [s for s in selectors if not isinstance(s, str)]
    if wrong:
        raise TypeError(f"{name} must hold rule ids (strings), not {wrong[0]!r}")
    return tuple(map(str, selectors))


def check(
    document: object,
    profile: str | None = None,
    *,
    warn: Iterable[str] = (),
    ignore: Iterable[str] = (),
    strict: bool = False,
    engine: str = "auto",
    ontology: Ontology | str | os.PathLike[str] | None = None,
    purpose: str = "export",
) -> Result:
    """Check a parsed document; the profile is inferred when not given.

    The document is a JSON value as `json.load` returns it (dict, list, str, int, float, bool, None).
    Anything else (a tuple, a set, NaN, a key that is not a string) is a diagnostic, as in a file,
    whichever the engine. `warn` and `ignore` are lists of rule ids or prefixes, checked as the CLI
    checks them (TypeError, ValueError). `engine` is one of ENGINES. `ontology` (an `Ontology`, or
    the path of an ontology file) adds the project's classes and attributes; a broken ontology file
    raises `OntologyError`. `purpose` is one of PURPOSES: "export" (the default: what AIMMO delivers,
    `file_id` required) or "upload" (a GT file for the platform's GT upload: `file_id` may be left
    out, every annotation id is prefixed by its instance number).
    """
    warn, ignore = _selectors("warn", warn), _selectors("ignore", ignore)
    problem = selector_problem(warn, ignore)
    if problem:
        raise ValueError(problem)
    options = Options(
        profile, warn, ignore, strict, engine=engine, ontology=_ontology(ontology), purpose=purpose
    )
    return check_document(document, options)


def _ontology(ontology: Ontology | str | os.PathLike[str] | None) -> Ontology | None:
    if ontology is None:
        return None
    from ._ontology import resolve

    return resolve(ontology)


def iter_errors(
    document: object,
    profile: str | None = None,
    *,
    warn: Iterable[str] = (),
    ignore: Iterable[str] = (),
    engine: str = "auto",
    ontology: Ontology | str | os.PathLike[str] | None = None,
    purpose: str = "export",
) -> Iterator[Diagnostic]:
    """Yield every diagnostic (errors and warnings) for a parsed document."""
    yield from check(
        document, profile, warn=warn, ignore=ignore, engine=engine, ontology=ontology, purpose=purpose
    ).diagnostics


def validate(
    document: object,
    profile: str | None = None,
    *,
    warn: Iterable[str] = (),
    ignore: Iterable[str] = (),
    strict: bool = False,
    engine: str = "auto",
    ontology: Ontology | str | os.PathLike[str] | None = None,
    purpose: str = "export",
) -> None:
    """Raise `ValidationError` when the document has an error (or a warning, with strict)."""
    result = check(
        document,
        profile,
        warn=warn,
        ignore=ignore,
        strict=strict,
        engine=engine,
        ontology=ontology,
        purpose=purpose,
    )
    if not result.valid:
        raise ValidationError(result.diagnostics)


def is_valid(
    document: object,
    profile: str | None = None,
    *,
    warn: Iterable[str] = (),
    ignore: Iterable[str] = (),
    strict: bool = False,
    engine: str = "auto",
    ontology: Ontology | str | os.PathLike[str] | None = None,
    purpose: str = "export",
) -> bool:
    """True when the document has no error (and no warning, with strict)."""
    return check(
        document,
        profile,
        warn=warn,
        ignore=ignore,
        strict=strict,
        engine=engine,
        ontology=ontology,
        purpose=purpose,
    ).valid
