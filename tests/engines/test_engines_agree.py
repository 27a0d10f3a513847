"""Three independent engines (python-jsonschema, jsonschema-rs, ajv) give the same structural verdicts."""

from __future__ import annotations

import copy
import json
import subprocess
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path

import jsonschema_rs
import pytest
from jsonschema_specifications import REGISTRY as SPECIFICATIONS
from referencing.jsonschema import DRAFT202012

from aimmo_gt._validator import validator_class, validator_for

REPO = Path(__file__).resolve().parents[2]
VERSION_DIR = REPO / "schemas" / "v1"
VOCABULARY = "https://schemas.aimmo-gt.org/v1/meta/vocabulary.json"
DELETE = object()


@dataclass(frozen=True)
class Document:
    label: str
    instance: object


def _bundles() -> dict[str, dict]:
    paths = sorted(VERSION_DIR.rglob("*.bundle.json"))
    return {path.relative_to(VERSION_DIR).as_posix(): json.loads(path.read_text("utf-8")) for path in paths}


def _strict_json(text: str) -> object:
    """JSON as the other engines parse it: NaN and Infinity (which Python's json accepts) are not JSON."""

    def refuse(name: str) -> object:
        raise ValueError(f"{name} is not JSON")

    return json.loads(text, parse_constant=refuse)


def _files(folder: Path) -> tuple[list[Document], list[str]]:
    """Every JSON file under a folder that parses as JSON, and the labels of those that do not (a
    fixture of the loader, say: no schema engine has anything to say about it)."""
    found, unparsed = [], []
    for path in sorted(folder.rglob("*.json")) if folder.is_dir() else []:
        label = path.relative_to(REPO).as_posix()
        try:
            found.append(Document(label, _strict_json(path.read_text(encoding="utf-8"))))
        except (UnicodeDecodeError, ValueError):
            unparsed.append(label)
    return found, unparsed


def _examples() -> list[Document]:
    paths = [VERSION_DIR / "document.json", *sorted((VERSION_DIR / "profiles").glob("*.json"))]
    found = []
    for path in paths:
        if path.name.endswith(".bundle.json"):
            continue
        schema = json.loads(path.read_text(encoding="utf-8"))
        name = path.relative_to(VERSION_DIR).as_posix()
        found += [Document(f"{name}#/examples/{i}", e) for i, e in enumerate(schema.get("examples", []))]
    return found


def _example(profile: str) -> dict:
    return json.loads((VERSION_DIR / "profiles" / f"{profile}.json").read_text("utf-8"))["examples"][0]


def _set(document: dict, pointer: str, value: object) -> dict:
    changed = copy.deepcopy(document)
    *parents, last = pointer.lstrip("/").split("/")
    node = changed
    for part in parents:
        node = node[int(part)] if isinstance(node, list) else node[part]
    key = int(last) if isinstance(node, list) else last
    if value is DELETE:
        del node[key]
    else:
        node[key] = value
    return changed


#: Values at the edges of what engines are known to read differently (number kinds, big integers,
#: code points, float bounds, `not`, `false` subschemas), each changed in one profile's own example:
#: (profile, pointer, value, structurally valid for that profile).
PROBES = [
    ("sequence", "/frame_number", 12.0, True),  # an integer-valued float is an integer
    ("sequence", "/frame_number", 12.5, False),
    ("sequence", "/frame_number", 10**20, True),  # beyond 64 bits
    ("sequence", "/frame_number", -1, False),
    ("sequence", "/annotations/0/track_id", 1.0, True),
    ("sequence", "/annotations/0/track_id", "", False),
    ("sequence", "/annotations/0/track_id", -1, False),
    ("sequence", "/annotations/0/track_id", DELETE, False),
    ("image", "/annotations/0/track_id", 1, False),  # `false` subschema in the profile
    ("image", "/scene_id", "620aea6c1e3c3ccd9cfd8bc8", False),
    ("image", "/metadata/width", 1920.0, True),
    ("image", "/metadata/width", 0, False),
    ("image", "/metadata/height", DELETE, False),  # dependentRequired
    ("image", "/metadata/fps", 30, False),
    ("image", "/filename", "", False),
    ("image", "/filename", "\U0001f600", True),  # one code point, two UTF-16 units
    ("image", "/parent_path", "/\u00fc", True),
    ("image", "/parent_path", "batch_5", False),
    ("image", "/attributes", {"lights": ["brake", 1]}, False),
    ("image", "/attributes", {"lights": ["brake", "turn_left"]}, True),
    ("image", "/tags", ["car", "car"], True),
    ("image", "/last_workers", {"stage": None}, True),
    ("image", "/last_workers", {"stage": 5}, False),
    ("image", "/annotations/0/points/0", [297, 307, 0], False),
    ("image", "/annotations/0/points/0/0", True, False),  # a boolean is not a number
    ("image", "/annotations/0/points/0/0", 297.25, True),
    ("image", "/annotations/0/type", "box", False),
    ("image", "/annotations/0/type", "cuboid", False),  # a type of another profile
    ("image", "/annotations/0/colour", "red", False),
    ("image", "/annotations/0/label", DELETE, False),
    ("image", "/annotations/1/points", [[0, 0], [1, 0], [1, 1], [0, 1], [2, 2]], False),  # not 5
    ("image", "/annotations/1/points", [[0, 0], [1, 0], [1, 1], [0, 1], [2, 2], [3, 3]], True),
    ("image", "/annotations/0/id", "not-a-uuid", True),  # a format: not structure
    ("image", "/annotations/0/points", [[1169, 530], [297, 307], [1169, 307], [297, 530]], True),  # ditto
    ("image", "/annotations", [], True),
    ("image", "/extra", 1, False),
    ("pointcloud", "/annotations/0/rotation/2", 4.71238898038469, False),  # exclusiveMaximum
    ("pointcloud", "/annotations/0/rotation/2", 4.712388980384689, True),
    ("pointcloud", "/annotations/0/rotation/2", -1.5707963267948966, True),
    ("pointcloud", "/annotations/0/geometry/0", 0, False),
    ("pointcloud", "/metadata", {"width": 1, "height": 1}, False),
    (
        "pointcloud",
        "/annotations/0",
        {
            "id": "1-36e5c504-edd8-4028-9ed1-70497152447e",
            "type": "lasso",
            "indices": "1-2",
            "label": "x",
            "attributes": {},
        },
        True,
    ),
    ("text", "/annotations/0/start", 15.0, True),
    ("text", "/annotations/0/start", 16, True),  # after end: the vocabulary's `ordered`, not structure
    ("text", "/annotations/0/text", "", False),
    ("video", "/metadata/fps", 29.97, True),
    ("video", "/metadata/fps", 0, False),
    ("video", "/annotations/0/startTime", -0.5, False),
]


def _probes() -> list[Document]:
    return [
        Document(
            f"probe {profile}{pointer}={'(deleted)' if value is DELETE else json.dumps(value)}",
            _set(_example(profile), pointer, value),
        )
        for profile, pointer, value, _ in PROBES
    ]


def _formats(schema: object) -> set[str]:
    """Every `format` named in a bundle (its values are instances under these keywords: skipped)."""
    if isinstance(schema, list):
        return set().union(*map(_formats, schema)) if schema else set()
    if not isinstance(schema, dict):
        return set()
    found = {schema["format"]} if isinstance(schema.get("format"), str) else set()
    for key, value in schema.items():
        if key not in ("examples", "const", "enum", "default"):
            found |= _formats(value)
    return found


# --- the engines: each returns {bundle name: [valid?, one per document]} ------------------------------


def python_jsonschema(bundles: dict[str, dict], documents: list[Document]) -> dict[str, list[bool]]:
    """Our validator class without our vocabulary, over a registry that holds the bundle and the
    standard meta-schemas only: what the bundle misses cannot be found elsewhere."""
    cls = validator_class(vocabulary=False)
    verdicts = {}
    for name, bundle in bundles.items():
        registry = SPECIFICATIONS.with_resource(bundle["$id"], DRAFT202012.create_resource(bundle)).crawl()
        validator = cls({"$ref": bundle["$id"]}, registry=registry)
        verdicts[name] = [validator.is_valid(d.instance) for d in documents]
    return verdicts


def python_files(bundles: dict[str, dict], documents: list[Document]) -> dict[str, list[bool]]:
    """Our validator without vocabulary over the separate schema files: the bundle must mean the same."""
    return {
        name: [validator_for(bundle["$ref"], vocabulary=False).is_valid(d.instance) for d in documents]
        for name, bundle in bundles.items()
    }


def jsonschema_rs_engine(bundles: dict[str, dict], documents: list[Document]) -> dict[str, list[bool]]:
    verdicts = {}
    for name, bundle in bundles.items():
        # offline: a reference the bundle does not hold is an error, never a download.
        validator = jsonschema_rs.validator_for(bundle, validate_formats=False, offline=True)
        verdicts[name] = [validator.is_valid(d.instance) for d in documents]
    return verdicts


def ajv(harness: Path, bundles: dict[str, dict], documents: list[Document]) -> dict:
    """Every bundle and document in one Node process; returns the harness's whole report."""
    payload = {
        "bundles": bundles,
        "documents": [d.instance for d in documents],
        "formats": sorted(set().union(*map(_formats, bundles.values()))),
    }
    done = subprocess.run(
        ["node", str(harness)],
        input=json.dumps(payload, allow_nan=False),
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=300,
    )
    assert done.returncode == 0, f"the ajv harness failed ({done.returncode}):\n{done.stderr}"
    return json.loads(done.stdout)


# --- the tests ----------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def corpus() -> tuple[list[Document], list[str]]:
    fixtures, unparsed = _files(REPO / "tests" / "fixtures")
    examples, unparsed_examples = _files(REPO / "examples")
    return [*fixtures, *examples, *_examples(), *_probes()], unparsed + unparsed_examples


@pytest.fixture(scope="module")
def ajv_report(node_harness: Path, corpus) -> dict:
    return ajv(node_harness, _bundles(), corpus[0])


@pytest.fixture(scope="module")
def verdicts(corpus, ajv_report) -> dict[str, dict[str, list[bool]]]:
    documents, _ = corpus
    bundles = _bundles()
    return {
        "python-jsonschema": python_jsonschema(bundles, documents),
        "python-jsonschema (separate files)": python_files(bundles, documents),
        "jsonschema-rs": jsonschema_rs_engine(bundles, documents),
        f"ajv {ajv_report['version']}": {
            name: [v["valid"] for v in results] for name, results in ajv_report["verdicts"].items()
        },
    }


def test_every_engine_ran_on_every_document_and_bundle(corpus, verdicts, ajv_report):
    documents, unparsed = corpus
    bundles = sorted(_bundles())
    assert len(bundles) == 7, bundles  # the document schema and the six profiles
    print(f"\n{len(documents)} documents x {len(bundles)} bundles; not JSON, left out: {unparsed or 'none'}")
    print(
        f"jsonschema {version('jsonschema')}, jsonschema-rs {version('jsonschema-rs')}, "
        f"ajv {ajv_report['version']}"
    )
    for engine, by_bundle in verdicts.items():
        assert sorted(by_bundle) == bundles, engine
        counts = {name: len(results) for name, results in by_bundle.items()}
        assert set(counts.values()) == {len(documents)}, (engine, counts)
        flat = [valid for results in by_bundle.values() for valid in results]
        # Each engine rejects something and accepts something: none of them is a constant.
        assert True in flat and False in flat, engine


def test_ajv_is_the_locked_version_and_compiles_every_bundle_without_warnings(ajv_report):
    lock = json.loads((Path(__file__).parent / "js" / "package-lock.json").read_text("utf-8"))
    assert ajv_report["engine"] == "ajv"
    assert ajv_report["version"] == lock["packages"]["node_modules/ajv"]["version"]
    assert ajv_report["warnings"] == []


def test_the_three_engines_agree_on_every_document(corpus, verdicts, ajv_report):
    documents, _ = corpus
    ajv_errors = ajv_report["verdicts"]
    disagreements = []
    for bundle in verdicts["python-jsonschema"]:
        for index, document in enumerate(documents):
            seen = {engine: by_bundle[bundle][index] for engine, by_bundle in verdicts.items()}
            if len(set(seen.values())) > 1:
                error = ajv_errors[bundle][index]["error"]
                disagreements.append(f"{document.label} against {bundle}: {seen} (ajv: {error})")
    assert not disagreements, f"{len(disagreements)} disagreements:\n" + "\n".join(disagreements)


def test_probes_get_the_verdict_json_schema_gives_them(corpus, verdicts):
    """Agreement alone would pass three engines wrong the same way: the probes' verdicts are known."""
    documents, _ = corpus
    index = {d.label: i for i, d in enumerate(documents)}
    wrong = []
    for (profile, _, _, expected), probe in zip(PROBES, _probes(), strict=True):
        for engine, by_bundle in verdicts.items():
            if by_bundle[f"profiles/{profile}.bundle.json"][index[probe.label]] is not expected:
                wrong.append(f"{engine}: {probe.label} should be {'valid' if expected else 'invalid'}")
    assert not wrong, "\n".join(wrong)


def test_every_example_is_structurally_valid_for_its_own_schema(corpus, verdicts):
    documents, _ = corpus
    wrong = []
    for i, document in enumerate(documents):
        if "#/examples/" not in document.label:
            continue
        bundle = document.label.split("#")[0].replace(".json", ".bundle.json")
        wrong += [f"{engine}: {document.label}" for engine, v in verdicts.items() if not v[bundle][i]]
    assert not wrong, "\n".join(wrong)
