"""Validate AIMMO ground-truth (GT) annotation documents against the aimmo-gt v1 schemas."""

from typing import TYPE_CHECKING

from ._api import (
    PROFILES,
    PURPOSES,
    ValidationError,
    check,
    infer_profile,
    is_valid,
    iter_errors,
    validate,
    validate_export,
)
from ._diagnostics import Diagnostic
from ._rules import Rule
from ._schemas import BASE_URI, registry, schema_dir, schema_uri

if TYPE_CHECKING:
    from ._ontology import Ontology, OntologyError
    from ._rules import RULES

__all__ = [
    "BASE_URI",
    "PROFILES",
    "PURPOSES",
    "RULES",
    "Diagnostic",
    "Ontology",
    "OntologyError",
    "Rule",
    "ValidationError",
    "check",
    "infer_profile",
    "is_valid",
    "iter_errors",
    "registry",
    "schema_dir",
    "schema_uri",
    "validate",
    "validate_export",
]


def __getattr__(name: str) -> object:
    # The ontology's module and the rule table (which imports the vocabulary's and the ontology's
    # modules) are imported when first asked for: `aimmo-gt validate` on clean files needs neither.
    if name in ("Ontology", "OntologyError"):
        from . import _ontology

        value = getattr(_ontology, name)
    elif name == "RULES":
        from ._rules import RULES as value
    else:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    globals()[name] = value
    return value
