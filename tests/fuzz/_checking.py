"""How the properties check a document, and what they assert of every diagnostic."""

from __future__ import annotations

import aimmo_gt
from aimmo_gt import RULES, Diagnostic
from aimmo_gt._validator import document_diagnostics

from ._strategies import fingerprint, resolves


def diagnostics(document, profile: str | None) -> tuple[Diagnostic, ...]:
    """The diagnostics of a document against a profile, or against document.json (the union) for None.

    `aimmo_gt.check(doc, None)` infers a profile; the union has no public name, so it is checked
    through the function `check` itself calls.
    """
    before = fingerprint(document)
    if profile is None:
        found = tuple(document_diagnostics(document, None))
    else:
        found = aimmo_gt.check(document, profile).diagnostics
    assert fingerprint(document) == before, "the validator modified the document it checked"
    return found


def assert_well_formed(found, document) -> None:
    """Every diagnostic is a Diagnostic with a known rule, and its pointer names a node of the document."""
    for diagnostic in found:
        assert isinstance(diagnostic, Diagnostic), diagnostic
        assert diagnostic.rule in RULES, diagnostic
        assert diagnostic.severity in ("error", "warning"), diagnostic
        assert isinstance(diagnostic.message, str) and diagnostic.message, diagnostic
        assert resolves(document, diagnostic.pointer), (
            f"{diagnostic.pointer!r} is not in the document: {diagnostic}"
        )


def at_or_under(pointer: str, node: str) -> bool:
    return pointer == node or pointer.startswith(node + "/")


def show(found) -> str:
    return "\n".join(f"  {d.severity} {d.rule} at {d.pointer!r}: {d.message}" for d in found) or "  (none)"
