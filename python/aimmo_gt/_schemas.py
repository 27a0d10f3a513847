"""The schema tree, shipped as package data, loaded once into an immutable `referencing.Registry`."""

from __future__ import annotations

import json
from functools import cache
from typing import TYPE_CHECKING

# referencing, jsonschema_specifications, importlib.resources and pathlib are imported where they
# are used: together they cost more than the CLI takes to check a small file (which needs none of them).
if TYPE_CHECKING:
    from pathlib import Path

    from referencing import Registry

#: Every schema's `$id` is this base plus its path under schemas/ (e.g. v1/annotations/bbox.json).
BASE_URI = "https://schemas.aimmo-gt.org/"
VERSION = "v1"
DIALECT_URI = f"{BASE_URI}{VERSION}/meta/dialect.json"
VOCABULARY_URI = f"{BASE_URI}{VERSION}/vocab/semantic"


def schema_dir() -> Path:
    """The folder holding `v1/`: inside the installed package, else the source checkout's schemas/."""
    from importlib import resources
    from pathlib import Path

    packaged = resources.files("aimmo_gt") / "schemas"
    if packaged.is_dir():
        return Path(str(packaged))
    return Path(__file__).resolve().parents[2] / "schemas"


def schema_uri(path: str) -> str:
    """The `$id` of a schema given its path under the version folder, e.g. `annotations/bbox.json`."""
    return f"{BASE_URI}{VERSION}/{path}"


@cache
def schema_files() -> dict[str, Path]:
    """Every schema file of the current version, by `$id`."""
    root = schema_dir()
    return {
        BASE_URI + path.relative_to(root).as_posix(): path
        for path in sorted((root / VERSION).rglob("*.json"))
        if not path.name.endswith(".bundle.json")
    }


@cache
def registry() -> Registry:
    """Our schemas plus the draft 2020-12 meta-schemas; nothing is ever retrieved over a network."""
    from jsonschema_specifications import REGISTRY as SPECIFICATIONS
    from referencing.jsonschema import DRAFT202012

    ours = []
    for uri, path in schema_files().items():
        contents = json.loads(path.read_text(encoding="utf-8"))
        # Our dialect is unknown to `referencing`; the files are draft 2020-12 in every respect it
        # needs ($id, $defs, anchors), so they are made as DRAFT202012 resources explicitly.
        ours.append((uri, DRAFT202012.create_resource(contents)))
    return SPECIFICATIONS.with_resources(ours).crawl()


def schema(uri_or_path: str) -> dict:
    """The contents of one of our schemas, by `$id` or by path under the version folder."""
    uri = uri_or_path if uri_or_path.startswith(BASE_URI) else schema_uri(uri_or_path)
    return registry().contents(uri)
