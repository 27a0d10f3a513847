"""The fast engine passes a document only when the reference engine reports nothing for it.

The fast engine (_fast.py) answers yes/no; a "no" sends the document to the reference, so the
diagnostics of `check(engine="fast")` equal the reference's exactly when that one implication holds.
Each test asserts the implication and the full diagnostics, and also that the fast engine does pass
the clean documents (a fast engine that passes nothing would be exact and useless).
"""

from __future__ import annotations

import json
import random
import sys
from pathlib import Path

import pytest

from aimmo_gt import PROFILES, check
from aimmo_gt._schemas import schema_files, schema_uri
from aimmo_gt._validator import image_size, profile_uri, schema_diagnostics

# Paths and helpers here rather than from conftest: tests/cli/ has a conftest module of its own.
REPO = Path(__file__).resolve().parents[1]
CASES = REPO / "tests" / "cases"
FIXTURES = REPO / "tests" / "fixtures"


def load_json(path: Path):
    return json.loads(path.read_text(encoding="utf-8"))


def rule_pointers(diagnostics) -> list[tuple[str, str]]:
    return sorted((d.rule, d.pointer) for d in diagnostics)


_fast = pytest.importorskip("aimmo_gt._fast")
pytest.importorskip("jsonschema_rs", reason="the fast engine needs jsonschema-rs (extra `fast`)")

sys.path.insert(0, str(REPO / "scripts"))
import synthetic  # noqa: E402  (scripts/ is not a package)

#: Generated documents: enough for each mutation kind to hit each annotation type many times.
GENERATED = 1200
SEED = 20261125


def _full(diagnostics):
    return [(d.rule, d.severity, d.pointer, d.message) for d in diagnostics]


def _agree(document, profile: str | None) -> bool:
    """Assert both engines give the same result; return whether the fast engine passed it."""
    reference = check(document, profile, engine="reference")
    fast = check(document, profile, engine="fast")
    clean = _fast.is_clean(document, profile_uri(reference.profile), image_size(document))
    if clean:
        assert reference.diagnostics == (), f"the fast engine passed: {_full(reference.diagnostics)}"
    assert (fast.profile, fast.inferred) == (reference.profile, reference.inferred)
    assert _full(fast.diagnostics) == _full(reference.diagnostics)
    return clean


def _case_params():
    for path in sorted(CASES.rglob("*.json")):
        suite = load_json(path)
        for i, test in enumerate(suite["tests"]):
            yield pytest.param(suite["target"], test, id=f"{suite['target']}[{i}]")


@pytest.mark.parametrize(("target", "test"), list(_case_params()))
def test_case_files(target, test):
    image = tuple(test["image"]) if "image" in test else None
    reference = schema_diagnostics(test["data"], schema_uri(target), image=image)
    clean = _fast.is_clean(test["data"], schema_uri(target), image)
    assert clean == (not reference), rule_pointers(reference)


def _fixture_params():
    for path in sorted(FIXTURES.rglob("*.json")):
        yield pytest.param(path, id=str(path.relative_to(FIXTURES)))


@pytest.mark.parametrize("path", list(_fixture_params()))
@pytest.mark.parametrize("profile", [None, *PROFILES])
def test_fixtures(path: Path, profile):
    document = load_json(path)
    clean = _agree(document, profile)
    if profile is None and path.parent.name == "valid":
        assert clean == (not check(document, engine="reference").diagnostics)


def _examples():
    for uri, path in schema_files().items():
        if "/meta/" in uri:
            continue  # the meta-schemas' examples are schemas, not instances
        for i, example in enumerate(load_json(path).get("examples", [])):
            yield pytest.param(uri, example, id=f"{path.name}[{i}]")


@pytest.mark.parametrize(("uri", "example"), list(_examples()))
def test_schema_examples(uri, example):
    image = image_size(example)
    reference = schema_diagnostics(example, uri, image=image)
    assert _fast.is_clean(example, uri, image) == (not reference), rule_pointers(reference)


def test_generated_documents():
    rng = random.Random(SEED)
    resources = synthetic.resources(rng, GENERATED)
    passed = rejected = 0
    for i, resource in enumerate(resources):
        document = synthetic.document(rng, resource, rng.choice((0, 1, 2, 3, 5, 8)))
        if i % 4:  # three in four are broken a little, the rest stay valid
            document = synthetic.mutate(rng, document)
        profile = rng.choice((None, None, resource, rng.choice(PROFILES)))
        if _agree(document, profile):
            passed += 1
        else:
            rejected += 1
    # Both branches ran many times: the implication was tested, not vacuously true.
    assert passed > GENERATED // 5 and rejected > GENERATED // 5, (passed, rejected)


def test_valid_export_is_passed_by_the_fast_engine():
    for name, document in synthetic.export(SEED, 30, annotations=20):
        assert _fast.is_clean(document, profile_uri(check(document).profile), image_size(document)), name
        assert check(document, engine="reference").diagnostics == (), name


@pytest.mark.parametrize(
    ("value", "rule"),
    [
        (float("nan"), None),  # python-jsonschema takes NaN as a number within every bound
        (2**70, None),  # beyond 64 bits: jsonschema-rs reads it differently
        ("\N{MATHEMATICAL DOUBLE-STRUCK DIGIT ONE}", "schema.type"),
    ],
)
def test_values_outside_json_go_to_the_reference(value, rule):
    document = load_json(FIXTURES / "valid" / "vendor-bbox.json")
    document["annotations"][0]["points"][0][0] = value
    reference = check(document, engine="reference")
    assert _full(check(document, engine="fast").diagnostics) == _full(reference.diagnostics)
    if rule:
        assert (rule, "/annotations/0/points/0/0") in rule_pointers(reference.diagnostics)


def test_engine_is_checked():
    with pytest.raises(ValueError, match="unknown engine"):
        check({}, engine="turbo")
