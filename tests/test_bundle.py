"""The committed schema bundles are current, self-contained and mean what the separate files mean."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator
from jsonschema_specifications import REGISTRY as SPECIFICATIONS

from aimmo_gt import _schemas
from conftest import load_script

REPO = Path(__file__).resolve().parents[1]
REGENERATE = "run `python scripts/bundle.py` and commit the result"


bundle = load_script("bundle")
EXPECTED = bundle.expected()


def test_there_is_a_bundle_for_the_document_schema_each_profile_and_the_ontology():
    names = sorted(path.relative_to(bundle.VERSION_DIR).as_posix() for path in EXPECTED)
    profiles = [p.stem for p in (bundle.VERSION_DIR / "profiles").glob("*.json") if ".bundle" not in p.name]
    assert names == sorted(
        ["document.bundle.json", "ontology.bundle.json", *(f"profiles/{p}.bundle.json" for p in profiles)]
    )
    on_disk = {p for p in bundle.VERSION_DIR.rglob("*.bundle.json")}
    assert on_disk == set(EXPECTED), f"bundles on disk and generated ones differ: {REGENERATE}"


@pytest.mark.parametrize("path", sorted(EXPECTED), ids=lambda p: p.name)
def test_committed_bundle_is_current(path: Path):
    current = path.read_text(encoding="utf-8") if path.exists() else None
    assert current == EXPECTED[path], f"{path.relative_to(REPO)} is stale: {REGENERATE}"


@pytest.mark.parametrize("path", sorted(EXPECTED), ids=lambda p: p.name)
def test_bundle_holds_every_resource_it_refers_to(path: Path):
    compound = json.loads(EXPECTED[path])
    embedded = set(compound["$defs"])
    standard = set(SPECIFICATIONS)
    for uri, resource in compound["$defs"].items():
        assert resource["$id"] == uri
        missing = bundle.references(resource, uri) - embedded - standard
        assert not missing, f"{uri} in {path.name} refers to {missing}, which the bundle lacks"
    root = compound["$ref"]
    assert root in embedded
    # Our dialect and its vocabulary travel with every bundle, so an engine can load the dialect offline.
    assert {_schemas.DIALECT_URI, _schemas.schema_uri("meta/vocabulary.json")} <= embedded


@pytest.mark.parametrize("path", sorted(EXPECTED), ids=lambda p: p.name)
def test_bundle_is_a_valid_2020_12_schema_with_verbatim_resources(path: Path):
    compound = json.loads(EXPECTED[path])
    Draft202012Validator.check_schema(compound)
    assert compound["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    for uri, resource in compound["$defs"].items():
        assert resource == _schemas.schema(uri), f"{uri} differs from its file"


def test_a_changed_schema_file_makes_the_bundles_that_embed_it_stale(tmp_path: Path):
    copy = tmp_path / "v1"
    shutil.copytree(bundle.VERSION_DIR, copy)
    entity = json.loads((copy / "annotations" / "entity.json").read_text("utf-8"))
    entity["title"] = "Named entity"
    (copy / "annotations" / "entity.json").write_text(json.dumps(entity), encoding="utf-8")
    stale = sorted(
        path.relative_to(copy).as_posix()
        for path, text in bundle.expected(copy).items()
        if path.read_text(encoding="utf-8") != text
    )
    # The union document embeds every type, and so does each profile through it; the ontology's
    # schema embeds no annotation type.
    documents = [p for p in EXPECTED if p.name != "ontology.bundle.json"]
    assert stale == sorted(p.relative_to(bundle.VERSION_DIR).as_posix() for p in documents)


def test_the_validator_does_not_load_bundles_as_sources():
    files = _schemas.schema_files()
    assert files, "no schema files found"
    assert not [uri for uri in files if uri.endswith(".bundle.json")]
