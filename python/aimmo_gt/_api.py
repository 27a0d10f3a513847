"""The public API: check a parsed GT document and get diagnostics."""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ._diagnostics import Diagnostic, count, passes
from ._rules import RULES, UNTUNABLE

if TYPE_CHECKING:
    from ._ontology import Ontology

#: The resource types, each a schema under schemas/v1/profiles/.
PROFILES = ("image", "image-pixel", "sequence", "pointcloud", "video", "text")

#: How a document is checked: "reference" runs python-jsonschema on every document; "fast" first asks
#: the fast engine (_fast.py, on msgspec) whether the document is clean and runs the reference only
#: when it is not (same diagnostics, proven by tests/test_engines_equivalence.py); "auto" is "fast"
#: when msgspec is installed (the `fast` extra), else "reference".
ENGINES = ("auto", "fast", "reference")


@dataclass(frozen=True, slots=True)
class Result:
    """What checking one document found."""

    #: The profile the document was checked against; None when none fitted and the union of all
    #: annotation types was used.
    profile: str | None
    #: True when the profile was inferred from the document rather than given.
    inferred: bool
    diagnostics: tuple[Diagnostic, ...]
    strict: bool = False

    @property
    def errors(self) -> int:
        return count(self.diagnostics, "error")

    @property
    def warnings(self) -> int:
        return count(self.diagnostics, "warning")

    @property
    def valid(self) -> bool:
        return passes(self.diagnostics, self.strict)


class ValidationError(ValueError):
    """Raised by `validate`; `diagnostics` holds every problem found."""

    def __init__(self, diagnostics: Iterable[Diagnostic]):
        self.diagnostics = tuple(diagnostics)
        first = self.diagnostics[0] if self.diagnostics else None
        summary = f"{first.pointer or '/'}: {first.rule}: {first.message}" if first else "invalid"
        more = len(self.diagnostics) - 1
        super().__init__(summary + (f" (and {more} more)" if more > 0 else ""))


def _matches(rule_id: str, selectors: Iterable[str]) -> bool:
    """A selector is a rule id, or a prefix such as `geometry.` (or `geometry`)."""
    for selector in selectors:
        if rule_id == selector or rule_id.startswith(selector.rstrip(".") + "."):
            return True
    return False


def check_selectors(selectors: Iterable[str]) -> list[str]:
    """The selectors that name no rule and no rule prefix (for a usage error)."""
    return [s for s in selectors if not any(_matches(rule_id, [s]) for rule_id in RULES)]


def tune(
    diagnostics: Iterable[Diagnostic], warn: Iterable[str] = (), ignore: Iterable[str] = ()
) -> Iterator[Diagnostic]:
    """Apply --ignore and --warn to diagnostics (ignore wins over warn; UNTUNABLE rules stay)."""
    warn, ignore = tuple(warn), tuple(ignore)
    for diagnostic in diagnostics:
        if diagnostic.rule in UNTUNABLE:
            yield diagnostic
            continue
        if ignore and _matches(diagnostic.rule, ignore):
            continue
        if warn and diagnostic.severity == "error" and _matches(diagnostic.rule, warn):
            diagnostic = Diagnostic(diagnostic.rule, "warning", diagnostic.pointer, diagnostic.message)
        yield diagnostic


def infer_profile(document: object) -> str | None:
    """The resource type a document looks like (DECISIONS.md), or None when it fits none."""
    from ._validator import infer_profile as _infer

    return _infer(document)


def check(
    document: object,
    profile: str | None = None,
    *,
    warn: Iterable[str] = (),
    ignore: Iterable[str] = (),
    strict: bool = False,
    engine: str = "auto",
    ontology: Ontology | str | os.PathLike[str] | None = None,
) -> Result:
    """Check a parsed document; the profile is inferred when not given.

    The document is a JSON value as `json.load` returns it (dict, list, str, int, float, bool, None);
    the fast engine reads a tuple as an array where the reference does not, so pass lists.
    `engine` is one of ENGINES. `ontology` (an `Ontology` or the path of an ontology file) adds the
    project's classes and attributes; a broken ontology file raises `OntologyError`.
    """
    from ._validator import document_diagnostics

    if profile is not None and profile not in PROFILES:
        raise ValueError(f"unknown profile {profile!r}; expected one of {', '.join(PROFILES)}")
    if engine not in ENGINES:
        raise ValueError(f"unknown engine {engine!r}; expected one of {', '.join(ENGINES)}")
    project = _resolve_ontology(ontology)
    inferred = profile is None
    if inferred:
        profile = infer_profile(document)
    if engine != "reference" and _fast_is_clean(document, profile, engine):
        found = () if project is None else tuple(tune(project.check(document), warn, ignore))
        return Result(profile, inferred, found, strict)
    diagnostics = document_diagnostics(document, profile)
    if project is not None:
        diagnostics = [*diagnostics, *project.check(document)]
    return Result(profile, inferred, tuple(tune(diagnostics, warn, ignore)), strict)


def _resolve_ontology(ontology) -> Ontology | None:
    """The ontology layer's hook into this check path: None, or a compiled Ontology."""
    if ontology is None:
        return None
    from ._ontology import resolve

    return resolve(ontology)


def _fast_is_clean(document: object, profile: str | None, engine: str) -> bool:
    try:
        from ._fast import clean_document
    except ImportError:
        if engine == "fast":
            raise ImportError("engine='fast' needs msgspec: pip install msgspec") from None
        return False
    clean, used = clean_document(document, profile)
    return clean and used == profile


def iter_errors(
    document: object,
    profile: str | None = None,
    *,
    warn: Iterable[str] = (),
    ignore: Iterable[str] = (),
    engine: str = "auto",
    ontology: Ontology | str | os.PathLike[str] | None = None,
) -> Iterator[Diagnostic]:
    """Yield every diagnostic (errors and warnings) for a parsed document."""
    yield from check(
        document, profile, warn=warn, ignore=ignore, engine=engine, ontology=ontology
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
) -> None:
    """Raise `ValidationError` when the document has an error (or a warning, with strict)."""
    result = check(
        document, profile, warn=warn, ignore=ignore, strict=strict, engine=engine, ontology=ontology
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
) -> bool:
    """True when the document has no error (and no warning, with strict)."""
    return check(
        document, profile, warn=warn, ignore=ignore, strict=strict, engine=engine, ontology=ontology
    ).valid
