"""Validate AIMMO ground-truth (GT) annotation documents against the aimmo-gt v1 schemas."""

from ._api import (
    PROFILES,
    PURPOSES,
    ValidationError,
    check,
    infer_profile,
    is_valid,
    iter_errors,
    validate,
)
from ._diagnostics import Diagnostic
from ._ontology import Ontology, OntologyError
from ._rules import RULES, Rule
from ._schemas import BASE_URI, registry, schema_dir, schema_uri

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
]
