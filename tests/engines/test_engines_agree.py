"""Independent engines (python-jsonschema, jsonschema-rs, ajv in strict mode, @hyperjump/json-schema,
VS Code's JSON language service) give the same structural verdicts, on bundles and separate files."""

from __future__ import annotations

import copy
import json
import random
import subprocess
import tomllib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path

import jsonschema_rs
import pytest
from jsonschema_specifications import REGISTRY as SPECIFICATIONS
from referencing.jsonschema import DRAFT202012

from aimmo_gt import infer_profile, schema_uri
from aimmo_gt._formats import PATTERNS as FORMAT_PATTERNS
from aimmo_gt._schemas import schema, schema_files
from aimmo_gt._validator import validator_class, validator_for

from .conftest import NO_NODE, locked_version

REPO = Path(__file__).resolve().parents[2]
VERSION_DIR = REPO / "schemas" / "v1"
FIXTURES = REPO / "tests" / "fixtures"
CASES = REPO / "tests" / "cases"
STANDARD_DIALECT = "https://json-schema.org/draft/2020-12/schema"
STANDARD_META = "https://json-schema.org/draft/2020-12/"
UNION = "document.bundle.json"
DELETE = object()
#: Each engine's verdict per check (None: left out for that engine, see LIMITS).
Verdicts = dict[str, list[bool | None]]


@dataclass(frozen=True)
class Check:
    """One instance against one schema: a bundle as a whole (target None) or a resource it embeds."""

    label: str
    bundle: str
    target: str | None
    instance: int
    #: The structural verdict JSON Schema gives, when a manifest, a case file or a probe says it.
    expected: bool | None = None


class Corpus:
    """The instances (parsed once, sent to Node once) and the checks that use them."""

    def __init__(self) -> None:
        self.instances: list[object] = []
        self.checks: list[Check] = []
        self.unparsed: list[str] = []

    def add(self, instance: object) -> int:
        self.instances.append(instance)
        return len(self.instances) - 1

    def document(self, label: str, instance: object, expected: dict[str, bool]) -> None:
        """A whole document goes against every bundle; `expected` gives what some of them must say."""
        index = self.add(instance)
        self.checks += [Check(label, name, None, index, expected.get(name)) for name in BUNDLES]

    def resource(self, label: str, instance: object, target: str, expected: bool | None) -> None:
        """An instance of one embedded resource (an annotation, a point, a schema for the dialect...),
        through the union bundle, which embeds every resource of the version."""
        self.checks.append(Check(label, UNION, target, self.add(instance), expected))


def _load_bundles() -> dict[str, dict]:
    paths = sorted(VERSION_DIR.rglob("*.bundle.json"))
    return {path.relative_to(VERSION_DIR).as_posix(): json.loads(path.read_text("utf-8")) for path in paths}


BUNDLES = _load_bundles()


def _bundle_of(path: str) -> str:
    """The bundle of a document schema or profile given by its path under schemas/v1/."""
    return path.removesuffix(".json") + ".bundle.json"


def _profile_bundle(document: object) -> str:
    """The bundle `aimmo_gt.check` would use for a document: its inferred profile's, else the union."""
    profile = infer_profile(document)
    return UNION if profile is None else f"profiles/{profile}.bundle.json"


def _strict_json(text: str) -> object:
    """JSON as the other engines parse it: NaN and Infinity (which Python's json accepts) are not JSON."""

    def refuse(name: str) -> object:
        raise ValueError(f"{name} is not JSON")

    return json.loads(text, parse_constant=refuse)


def _structural(diagnostics: list[dict]) -> bool:
    """Whether a manifest's diagnostics leave the instance structurally valid: only a standard
    keyword gives a `schema.*` rule, and a format with a `pattern` beside it (objectid, annotation-id)
    fails that pattern too; our vocabulary gives the others. (A type alias is reported by our
    vocabulary, instead of the enum of annotation types it fails in any engine.)"""
    return not any(
        d["rule"].startswith("schema.")
        or d["rule"].removeprefix("format.") in FORMAT_PATTERNS
        or d["rule"] == "annotation.type-alias"
        for d in diagnostics
    )


def _manifest(folder: Path) -> dict:
    path = folder / "expected.toml"
    return tomllib.loads(path.read_text("utf-8")) if path.exists() else {}


def _fixtures(corpus: Corpus) -> None:
    """Every JSON file under tests/fixtures/ and examples/; a valid/ or invalid/ folder's manifest says
    which structural verdict the file's inferred profile gives."""
    for root in (FIXTURES, REPO / "examples"):
        for path in sorted(root.rglob("*.json")) if root.is_dir() else []:
            label = path.relative_to(REPO).as_posix()
            try:
                document = _strict_json(path.read_text(encoding="utf-8"))
            except (UnicodeDecodeError, ValueError, RecursionError):
                # A fixture of the loader (not UTF-8, not JSON, nested past what a parser takes): no
                # schema engine has anything to say about it.
                corpus.unparsed.append(label)
                continue
            expected = {}
            entry = _manifest(path.parent).get(path.name)
            if path.parent.name == "valid":
                expected = {UNION: True, _profile_bundle(document): True}
            elif path.parent.name == "invalid" and entry is not None and "purpose" in entry:
                # Its diagnostics come from defs/purpose.json, which every bundle holds but no
                # bundle's root applies (a consumer adds it: docs/consume.md).
                expected = {_profile_bundle(document): True}
            elif path.parent.name == "invalid" and entry is not None:
                expected = {_profile_bundle(document): _structural(entry["diagnostics"])}
            corpus.document(label, document, expected)


def _examples(corpus: Corpus) -> None:
    """Every `examples` entry of every schema file, against its own schema."""
    for path in sorted(VERSION_DIR.rglob("*.json")):
        if path.name.endswith(".bundle.json"):
            continue
        schema = json.loads(path.read_text(encoding="utf-8"))
        name = path.relative_to(VERSION_DIR).as_posix()
        for i, example in enumerate(schema.get("examples", [])):
            label = f"schemas/v1/{name}#/examples/{i}"
            if _bundle_of(name) in BUNDLES:
                corpus.document(label, example, {_bundle_of(name): True})
            else:
                corpus.resource(label, example, schema["$id"], True)


def _cases(corpus: Corpus) -> None:
    """The data of every case file: whole documents against every bundle, the rest against its target."""
    for path in sorted(CASES.rglob("*.json")):
        suite = json.loads(path.read_text(encoding="utf-8"))
        target = suite["target"]
        for i, test in enumerate(suite["tests"]):
            label = f"{path.relative_to(REPO).as_posix()}#/tests/{i} ({test['description']})"
            expected = test["valid"] or _structural(test.get("diagnostics", []))
            if _bundle_of(target) in BUNDLES:
                corpus.document(label, test["data"], {_bundle_of(target): expected})
            else:
                corpus.resource(label, test["data"], schema_uri(target), expected)


#: Values at the edges of what engines are known to read differently (number kinds, big integers,
#: code points, float bounds, `not`, `false` subschemas), each changed in one profile's own example:
#: (profile, pointer, value, structurally valid for that profile).
PROBES = [
    ("sequence", "/frame_number", 12.0, True),  # an integer-valued float is an integer
    ("sequence", "/frame_number", 12.5, False),
    ("sequence", "/frame_number", 1e-9, False),  # a fraction JSON writes without '.' (VS Code's limit)
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
    ("image", "/metadata/height", DELETE, False),  # the image profile requires height
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
    ("image", "/annotations/0/id", "not-a-uuid", False),  # a format, with its pattern beside it
    ("image", "/annotations/0/id", "1-48f557c0-3fff-4227-bd18-8574ff7f8ad0\n", False),  # Python's `$`
    ("image", "/file_id", "620AEA6C1E3C3CCD9CFD8BC9", False),
    ("image", "/last_workers", {"stage": "5fc7323e8511afbb60e8554"}, False),
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


def _probes(corpus: Corpus) -> None:
    for profile, pointer, value, expected in PROBES:
        shown = "(deleted)" if value is DELETE else json.dumps(value)
        document = _set(_example(profile), pointer, value)
        corpus.document(
            f"probe {profile}{pointer}={shown}", document, {f"profiles/{profile}.bundle.json": expected}
        )


#: Values a mutant puts in place of a node: wrong types, edge numbers, empty and look-alike values.
MUTANT_VALUES = [
    None,
    True,
    False,
    0,
    -1,
    -0.0,
    1.0,
    1.5,
    1e-9,
    10**20,
    "",
    "x",
    "1T",
    [],
    {},
    [0, 0],
    [1.5, 2],
    ["a"],
    {"a": "b"},
    "620aea6c1e3c3ccd9cfd8bc9",
]
MUTANTS = 150


def _mutants(corpus: Corpus) -> None:
    """Valid fixtures with one or two nodes replaced, deleted, added or repeated, from a fixed seed:
    the same set every run, each a document no one wrote a verdict for, where engines may differ."""
    chance = random.Random(20260101)
    sources = [json.loads(p.read_text("utf-8")) for p in sorted((FIXTURES / "valid").glob("*.json"))]
    if not sources:
        return
    for i in range(MUTANTS):
        document = copy.deepcopy(chance.choice(sources))
        for _ in range(chance.choice([1, 1, 2])):
            paths = [path for path in _paths(document) if path]
            *parents, last = chance.choice(paths)
            node = document
            for part in parents:
                node = node[part]
            roll = chance.random()
            if roll < 0.6:
                node[last] = copy.deepcopy(chance.choice(MUTANT_VALUES))
            elif roll < 0.75:
                del node[last]
            elif isinstance(node, dict):
                field = chance.choice(["extra", "track_id", "scene_id", "fps", "width", "label"])
                node[field] = copy.deepcopy(chance.choice(MUTANT_VALUES))
            else:
                node.append(copy.deepcopy(node[last]))
        corpus.document(f"mutant {i}", document, {})


def _paths(node: object, path: tuple = ()) -> Iterator[tuple]:
    yield path
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _paths(value, (*path, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _paths(value, (*path, index))


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


# --- the engines: each gives one verdict per check --------------------------------------------------


def _verdicts(corpus: Corpus, validator: Callable[[str, str | None], Callable[[object], bool]]) -> list[bool]:
    """Runs each check with a validator made once per (bundle, target)."""
    made: dict[tuple[str, str | None], Callable[[object], bool]] = {}
    verdicts = []
    for check in corpus.checks:
        key = (check.bundle, check.target)
        if key not in made:
            made[key] = validator(*key)
        verdicts.append(made[key](corpus.instances[check.instance]))
    return verdicts


def python_jsonschema(corpus: Corpus) -> list[bool]:
    """Our validator class without our vocabulary, over a registry that holds the bundle and the
    standard meta-schemas only: what the bundle misses cannot be found elsewhere."""
    cls = validator_class(vocabulary=False)

    def validator(name: str, target: str | None):
        bundle = BUNDLES[name]
        registry = SPECIFICATIONS.with_resource(bundle["$id"], DRAFT202012.create_resource(bundle)).crawl()
        return cls({"$ref": target or bundle["$id"]}, registry=registry).is_valid

    return _verdicts(corpus, validator)


def python_files(corpus: Corpus) -> list[bool]:
    """Our validator without vocabulary over the separate schema files: the bundle must mean the same."""
    return _verdicts(
        corpus, lambda name, target: validator_for(target or BUNDLES[name]["$ref"], False).is_valid
    )


def jsonschema_rs_engine(corpus: Corpus) -> list[bool]:
    def validator(name: str, target: str | None):
        bundle = BUNDLES[name]
        # offline: a reference the bundle does not hold is an error, never a download.
        if target is None:
            return jsonschema_rs.validator_for(bundle, validate_formats=False, offline=True).is_valid
        registry = jsonschema_rs.Registry([(bundle["$id"], bundle)])
        root = {"$schema": STANDARD_DIALECT, "$ref": target}
        return jsonschema_rs.validator_for(
            root, registry=registry, validate_formats=False, offline=True
        ).is_valid

    return _verdicts(corpus, validator)


def node_engines(harness: Path, corpus: Corpus) -> dict:
    """Every check of every JavaScript engine in one Node process; returns the harness's report."""
    payload = {
        "bundles": BUNDLES,
        "tree": {uri: schema(uri) for uri in schema_files()},
        "treeUrl": VERSION_DIR.as_uri() + "/",
        "standard": {
            uri: SPECIFICATIONS.contents(uri) for uri in SPECIFICATIONS if uri.startswith(STANDARD_META)
        },
        "formats": sorted(set().union(*map(_formats, BUNDLES.values()))),
        "instances": corpus.instances,
        "checks": [{"bundle": c.bundle, "target": c.target, "instance": c.instance} for c in corpus.checks],
    }
    done = subprocess.run(
        ["node", str(harness)],
        input=json.dumps(payload, allow_nan=False),
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=300,
    )
    assert done.returncode == 0, f"the Node harness failed ({done.returncode}):\n{done.stderr}"
    return json.loads(done.stdout)["engines"]


# --- the tests ----------------------------------------------------------------------------------------

#: The JavaScript engines the harness runs (each must load our schemas and give a verdict per check),
#: by name -> the npm package whose locked version it must be.
NODE_ENGINES = {
    "ajv (bundles)": "ajv",
    "@hyperjump/json-schema (bundles)": "@hyperjump/json-schema",
    "@hyperjump/json-schema (tree)": "@hyperjump/json-schema",
    "vscode-json-languageservice (tree)": "vscode-json-languageservice",
}


@pytest.fixture(scope="module")
def corpus() -> Corpus:
    corpus = Corpus()
    _fixtures(corpus)
    _examples(corpus)
    _cases(corpus)
    _probes(corpus)
    _mutants(corpus)
    return corpus


@pytest.fixture(scope="module")
def node_report(node_harness: Path | None, corpus: Corpus) -> dict | None:
    return None if node_harness is None else node_engines(node_harness, corpus)


def _numbers(node: object) -> Iterator[float]:
    if isinstance(node, dict):
        node = list(node.values())
    if isinstance(node, list):
        for item in node:
            yield from _numbers(item)
    elif isinstance(node, float):
        yield node


def _exponent_fraction(number: float) -> bool:
    """A fraction that JSON writes with an exponent and no '.' (1e-09): VS Code takes it for an integer."""
    text = json.dumps(number)
    return "e" in text and "." not in text and not number.is_integer()


#: Checks an engine cannot give a verdict on, by a cause in the engine (none in our schemas), each with a
#: predicate (of the check, its instance and python-jsonschema's verdict) and the reason.
#: test_left_out_checks_are_the_engines_limits proves each limit real.
LIMITS: dict[str, list[tuple[Callable[[Check, object, bool | None], bool], str]]] = {
    "vscode-json-languageservice (tree)": [
        (
            lambda check, instance, valid: "/meta/" in (check.target or ""),
            "the language service does not evaluate $dynamicRef, which the 2020-12 meta-schemas (so our "
            "dialect) use, and says so: it is an editor of GT files, not of schema files",
        ),
        (
            # Taking a fraction for an integer can only accept more: where JSON Schema accepts, the
            # service is still compared.
            lambda check, instance, valid: (
                valid is False and any(map(_exponent_fraction, _numbers(instance)))
            ),
            "its parser takes a number without '.' for an integer, so 1e-09 passes `type: integer` "
            "(vscode-json-languageservice parser/jsonParser.js: isInteger = no '.' in the text)",
        ),
    ],
}


def _left_out(engine: str, corpus: Corpus, reference: list[bool | None]) -> dict[int, str]:
    """The checks `engine` is not compared on, by index, with the reason."""
    return {
        i: reason
        for i, check in enumerate(corpus.checks)
        for limit, reason in LIMITS.get(engine, [])
        if limit(check, corpus.instances[check.instance], reference[i])
    }


@pytest.fixture(scope="module")
def verdicts(corpus: Corpus, node_report: dict | None) -> Verdicts:
    """Each engine's verdict per check; None where LIMITS leaves the check out for that engine."""
    found: dict[str, list[bool | None]] = {
        "python-jsonschema": python_jsonschema(corpus),
        "python-jsonschema (separate files)": python_files(corpus),
        f"jsonschema-rs {version('jsonschema-rs')}": jsonschema_rs_engine(corpus),
    }
    for name, report in (node_report or {}).items():
        left_out = _left_out(name, corpus, found["python-jsonschema"])
        found[name] = [None if i in left_out else v["valid"] for i, v in enumerate(report["verdicts"])]
    return found


def _node_ran(node_report: dict | None) -> None:
    """Called after the Python engines were compared: a skip when Node is missing, never a pass."""
    if node_report is None:
        pytest.skip(NO_NODE)


def _disagreements(corpus: Corpus, verdicts: Verdicts, node_report: dict | None) -> Iterator[str]:
    for i, check in enumerate(corpus.checks):
        seen = {engine: results[i] for engine, results in verdicts.items() if results[i] is not None}
        if len(set(seen.values())) > 1:
            where = check.bundle if check.target is None else f"{check.target} (in {check.bundle})"
            said = {
                name: report["verdicts"][i]["error"]
                for name, report in (node_report or {}).items()
                if report["verdicts"] and report["verdicts"][i]["error"]
            }
            yield f"{check.label} against {where}: {seen} (errors: {said})"


def test_every_engine_ran_every_check(corpus: Corpus, verdicts: Verdicts, node_report):
    assert sorted(BUNDLES) == sorted(
        [
            "document.bundle.json",
            *(
                f"profiles/{p}.bundle.json"
                for p in ("image", "image-pixel", "sequence", "pointcloud", "video", "text")
            ),
            "ontology.bundle.json",
        ]
    )
    known = [i for i, check in enumerate(corpus.checks) if check.expected is False]
    print(
        f"\n{len(corpus.instances)} instances, {len(corpus.checks)} checks ({len(known)} known structurally "
        f"invalid); not JSON, left out: {corpus.unparsed or 'none'}\n"
        f"engines: jsonschema {version('jsonschema')}, jsonschema-rs {version('jsonschema-rs')}, "
        + ", ".join(f"{name} {r.get('version', 'FAILED')}" for name, r in (node_report or {}).items())
    )
    assert known, "no structurally invalid instance: the engines would not be shown to reject anything"
    if node_report is not None:
        assert sorted(node_report) == sorted(NODE_ENGINES)
        failed = {name: r["failed"] for name, r in node_report.items() if "failed" in r}
        assert not failed, f"engines that could not load the schemas: {failed}"
    for engine, results in verdicts.items():
        assert len(results) == len(corpus.checks), engine
        left_out = [i for i, v in enumerate(results) if v is None]
        # A guard against a limit that swallows the corpus (the seeded mutants put 1e-09 in ~80 checks).
        assert len(left_out) < len(results) / 20, f"{engine} left out {len(left_out)} checks (LIMITS)"
        # Each engine accepts something and rejects a known structurally invalid instance.
        assert True in results, engine
        assert any(results[i] is False for i in known), engine
    _node_ran(node_report)


@pytest.mark.parametrize("engine", sorted(NODE_ENGINES))
def test_node_engine_is_the_locked_version_and_loads_without_warnings(node_report, engine: str):
    _node_ran(node_report)
    report = node_report[engine]
    assert "failed" not in report, report.get("failed")
    assert report["engine"] == NODE_ENGINES[engine]
    assert report["version"] == locked_version(NODE_ENGINES[engine])
    assert report["warnings"] == []


def test_ajv_runs_in_strict_mode(node_report):
    _node_ran(node_report)
    assert node_report["ajv (bundles)"]["options"] == "strict: true"
    harness = (Path(__file__).parent / "js" / "harness.mjs").read_text("utf-8")
    assert "new Ajv2020({ strict: true, allowUnionTypes: true, logger })" in harness


def test_the_engines_agree_on_every_check(corpus: Corpus, verdicts: Verdicts, node_report):
    disagreements = list(_disagreements(corpus, verdicts, node_report))
    assert not disagreements, f"{len(disagreements)} disagreements:\n" + "\n".join(disagreements[:40])
    _node_ran(node_report)


def test_every_engine_gives_the_known_verdicts(corpus: Corpus, verdicts: Verdicts, node_report):
    """Agreement alone would pass the engines wrong the same way: manifests, case files, examples and
    probes say what JSON Schema answers for many checks."""
    wrong = [
        f"{engine}: {check.label} against {check.target or check.bundle} should be "
        f"{'valid' if check.expected else 'invalid'}"
        for engine, results in verdicts.items()
        for check, valid in zip(corpus.checks, results, strict=True)
        if check.expected is not None and valid is not None and valid is not check.expected
    ]
    assert not wrong, "\n".join(wrong[:40])
    _node_ran(node_report)


def test_left_out_checks_are_the_engines_limits(corpus: Corpus, verdicts, node_report):
    """Each limit in LIMITS is real: the engine says so, or gets such a check wrong; nothing else is
    left out."""
    _node_ran(node_report)
    reference = verdicts["python-jsonschema"]
    for engine, limits in LIMITS.items():
        left_out = _left_out(engine, corpus, reference)
        assert left_out, f"{engine}: LIMITS matches no check any more: remove it"
        report = node_report[engine]["verdicts"]
        for _limit, reason in limits:
            mine = [i for i, why in left_out.items() if why == reason]
            assert mine, f"{engine}: the limit {reason!r} matches no check any more: remove it"
            wrong = [i for i in mine if report[i]["valid"] is not reference[i]]
            assert wrong, f"{engine} gets every check of {reason!r} right: compare it there"
        reasons = sorted(set(left_out.values()))
        print(f"\n{engine}: {len(left_out)} of {len(corpus.checks)} checks left out: {reasons}")
