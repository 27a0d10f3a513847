"""The fast engine passes a document only when the reference engine reports nothing for it.

The fast engine (_fast.py) answers yes/no, for the bytes of a file (the CLI, before the loader) and
for a parsed document (the API). A "no" sends the document to the loader and the reference, so the
reports of `engine="fast"` equal the reference's exactly when that one implication holds. Each test
asserts the implication and the full reports, and also that the fast engine does pass the clean
documents (an engine that passes nothing would be exact and useless).
"""

from __future__ import annotations

import json
import random
import sys
from pathlib import Path

import pytest

from aimmo_gt import PROFILES, check, infer_profile
from aimmo_gt._schemas import schema_files

# Paths and helpers here rather than from conftest: tests/cli/ has a conftest module of its own.
REPO = Path(__file__).resolve().parents[1]
CASES = REPO / "tests" / "cases"
FIXTURES = REPO / "tests" / "fixtures"


def load_json(path: Path):
    return json.loads(path.read_text(encoding="utf-8"))


def rule_pointers(diagnostics) -> list[tuple[str, str]]:
    return sorted((d.rule, d.pointer) for d in diagnostics)


pytest.importorskip("msgspec", reason="the fast engine needs msgspec (extra `fast`)")
from aimmo_gt import _fast  # noqa: E402
from aimmo_gt._check import Options, check_item  # noqa: E402
from aimmo_gt._walk import Item  # noqa: E402

sys.path.insert(0, str(REPO / "scripts"))
import synthetic  # noqa: E402  (scripts/ is not a package)

#: Generated documents: enough for each mutation kind to hit each annotation type many times.
GENERATED = 1200
SEED = 20261125


def _full(diagnostics):
    return [(d.rule, d.severity, d.pointer, d.message) for d in diagnostics]


def _agree(document, profile: str | None, purpose: str = "export") -> bool:
    """Assert both engines give the same result; return whether the fast engine passed it."""
    reference = check(document, profile, engine="reference", purpose=purpose)
    fast = check(document, profile, engine="fast", purpose=purpose)
    clean, used = _fast.clean_document(document, profile, purpose)
    if clean:
        assert reference.diagnostics == (), f"the fast engine passed: {_full(reference.diagnostics)}"
        assert used == reference.profile
    assert (fast.profile, fast.inferred) == (reference.profile, reference.inferred)
    assert _full(fast.diagnostics) == _full(reference.diagnostics)
    return clean


def _report(data: bytes, profile: str | None, engine: str, purpose: str = "export"):
    options = Options(profile, engine=engine, purpose=purpose)
    return check_item(Item("doc.json", data=data), options, max_bytes=1 << 30)


def _agree_bytes(data: bytes, profile: str | None, purpose: str = "export") -> bool:
    """Assert the CLI reports one file the same with both engines; return whether the fast engine
    for files passed it."""
    reference = _report(data, profile, "reference", purpose)
    clean, used = _fast.clean_bytes(data, profile, purpose)
    if clean:
        assert reference.diagnostics == (), f"the fast engine passed: {_full(reference.diagnostics)}"
        assert used == reference.profile
    assert _report(data, profile, "fast", purpose) == reference
    return clean


def _serialize(rng: random.Random, document) -> bytes:
    """The document as some exporter might have written it."""
    style = rng.randrange(4)
    if style == 0:
        return json.dumps(document, separators=(",", ":")).encode()
    if style == 1:
        return json.dumps(document, ensure_ascii=False).encode()
    if style == 2:
        return json.dumps(document, indent=2, ensure_ascii=False).encode()
    return json.dumps(document, indent="\t").replace('": ', '" : ').encode()


#: Edits of the text that the loader must see: each breaks the file as JSON or as input, or changes
#: nothing that matters, and so must never be passed by the fast engine when the loader complains.
_TEXT_EDITS = (
    lambda t: b"\xef\xbb\xbf" + t,  # json.bom
    lambda t: t.replace(b'"label"', b'"label": "x", "label"', 1),  # json.duplicate-key
    lambda t: t.replace(b'"attributes": {', b'"attributes": {"a": "1", "a": "1", ', 1),
    lambda t: t.replace(b'"attributes":{', b'"attributes":{"a":"1","a":"2",', 1),
    lambda t: t.replace(b'"metadata": {', b'"metadata": {"width": 4, ', 1),
    lambda t: t.replace(b'"id"', b'"id": "x", "id"', 1),
    lambda t: t.replace(b"1", b"NaN", 1),  # json.non-finite
    lambda t: t.replace(b"2", b"2e400", 1),  # json.number-range
    lambda t: t.replace(b"3", b"3" * 400, 1),
    lambda t: t.replace(b"4", b"4" * 25, 1),  # beyond 64 bits, still a JSON number
    lambda t: t.replace(b"5", b"5.0", 1),  # a float where an integer may be required
    lambda t: t + b" x",  # json.parse
    lambda t: t[:-1],
    lambda t: t.replace(b'"car"', b'"c\\u0061r"', 1),  # an escape: the same text
    lambda t: t.replace(b'"car"', b'"c:a:r"', 1),  # colons in a string: no duplicate, more `:`
    lambda t: t.replace(b'"car"', b'"\\ud800"', 1),  # a lone surrogate
    lambda t: t.replace(b'"car"', b'"ca\tr"', 1),  # a raw control character
    lambda t: t.replace(b'"car"', '"\u00e9\u20ac\U0001f600"'.encode(), 1),  # non-ASCII text
    lambda t: t.replace(b'"is_parked"', b'"is\\"parked"', 1),  # an escaped quote in a key
    lambda t: t.replace(b'"is_parked"', b'"is_parked\\\\"', 1),  # a key ending in a backslash
    lambda t: t.replace(b"{", b"{ ", 1).replace(b'": ', b'"\n:\t', 3),  # white space around `:`
    lambda t: t.replace(b"\xc3", b"\xff", 1),  # json.encoding
    lambda t: b"",  # json.empty
    lambda t: b"[" + t + b"]",  # json.root-type
    lambda t: t.replace(b'"annotations"', b'"annotations": [[[[[[[[[[[[]]]]]]]]]]]], "annotations"', 1),
)


def _case_params():
    for path in sorted(CASES.rglob("*.json")):
        suite = load_json(path)
        for i, test in enumerate(suite["tests"]):
            yield pytest.param(suite["target"], test, id=f"{suite['target']}[{i}]")


@pytest.mark.parametrize(
    ("target", "test"),
    [p for p in _case_params() if p.values[0] == "document.json" or p.values[0].startswith("profiles/")],
)
def test_document_case_files(target, test):
    profile = target.removeprefix("profiles/").removesuffix(".json") if "/" in target else None
    for data in (test["data"], json.dumps(test["data"]).encode()):
        for each in {None, profile}:
            clean = _agree_bytes(data, each) if isinstance(data, bytes) else _agree(data, each)
            expected = not (
                _report(data, each, "reference")
                if isinstance(data, bytes)
                else check(data, each, engine="reference")
            ).diagnostics
            assert clean == expected  # exact both ways on the cases: every clean case is passed


@pytest.mark.parametrize(("target", "test"), [p for p in _case_params() if "annotations/" in p.values[0]])
def test_annotation_case_files_in_a_document(target, test):
    """The fast engine for files on each annotation case, placed in a document of its own."""
    image = test.get("image") or (100000, 100000)
    document = {
        "annotations": [test["data"]],
        "attributes": {},
        "file_id": "620aea6c1e3c3ccd9cfd8bc9",  # an export's (the default purpose)
        "filename": "case.json",
        "parent_path": "/cases",
        "metadata": {"width": image[0], "height": image[1]},
    }
    kind = target.rsplit("/", 1)[-1].removesuffix(".json")
    # The metadata of the resource type the annotation belongs to, so that the profile inferred
    # allows it and the annotation's own rules decide.
    if kind in ("cuboid", "lasso"):
        document.update(metadata={}, scene_id="620aea6c1e3c3ccd9cfd8bc8")
    elif kind == "frameRange":
        document.update(metadata={"fps": 30})
    elif kind == "entity":
        document.update(metadata={})
    data = json.dumps(document).encode()
    for profile in (None, *PROFILES):
        clean = _agree_bytes(data, profile)
        # Exact both ways: the engine passes every clean document of the cases too.
        assert clean == (not _report(data, profile, "reference").diagnostics)
        assert _agree(document, profile) == clean


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
        if "/document.json" in uri or "/profiles/" in uri:
            for i, example in enumerate(load_json(path).get("examples", [])):
                yield pytest.param(example, id=f"{path.name}[{i}]")


@pytest.mark.parametrize("example", list(_examples()))
def test_schema_examples(example):
    assert _agree(example, None)
    assert _agree_bytes(json.dumps(example, ensure_ascii=False).encode(), None)


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


def test_generated_files():
    rng = random.Random(SEED + 1)
    resources = synthetic.resources(rng, GENERATED)
    passed = rejected = 0
    for i, resource in enumerate(resources):
        document = synthetic.document(rng, resource, rng.choice((0, 1, 2, 3, 5, 8)))
        if i % 3 == 1:
            document = synthetic.mutate(rng, document)
        data = _serialize(rng, document)
        if i % 3 == 2:
            data = rng.choice(_TEXT_EDITS)(data)
        profile = rng.choice((None, None, resource, rng.choice(PROFILES)))
        if _agree_bytes(data, profile):
            passed += 1
        else:
            rejected += 1
    assert passed > GENERATED // 5 and rejected > GENERATED // 5, (passed, rejected)


@pytest.mark.parametrize("edit", range(len(_TEXT_EDITS)))
def test_text_edits_of_each_valid_fixture(edit):
    for path in sorted((FIXTURES / "valid").glob("*.json")):
        data = _TEXT_EDITS[edit](path.read_bytes())
        _agree_bytes(data, None)


@pytest.mark.parametrize("path", list(_fixture_params()))
def test_fixture_files(path: Path):
    data = path.read_bytes()
    for profile in (None, *PROFILES):
        clean = _agree_bytes(data, profile)
        if profile is None and path.parent.name == "valid":
            assert clean == (not _report(data, None, "reference").diagnostics)


#: Labels and attribute values the ontology of the generated documents does not define, or defines
#: otherwise (a list for a choice), put in place of one annotation's.
_OFF_ONTOLOGY = (
    ("label", "Car"),
    ("label", "truck "),
    ("attributes", {"colour": "red"}),
    ("attributes", {"is_parked": ["y"]}),
    ("attributes", {"lights": "brake"}),
    ("attributes", {"occlusion": "31%", "truncation": "0%"}),
    ("type", "polyline"),
)


def test_generated_documents_with_an_ontology():
    """With an ontology, the reports are the same with both engines, for documents and for files;
    some documents break only the ontology (the fast engine passes their format and reports the
    ontology's diagnostics from its own decode), some the format too."""
    from aimmo_gt import Ontology
    from aimmo_gt._ontology import infer

    rng = random.Random(SEED + 2)
    resources = synthetic.resources(rng, GENERATED // 4)
    documents = [synthetic.document(rng, r, rng.choice((0, 1, 3, 8))) for r in resources]
    drafted = infer(documents).data
    # Switch a type off and make an attribute required, so that those rules come up too.
    drafted["annotationConfigs"][0]["isActive"] = False
    ontology = Ontology.from_data(drafted)
    only_ontology = both = 0
    for i, document in enumerate(documents):
        if document["annotations"] and i % 3:
            annotation = rng.choice(document["annotations"])
            key, value = rng.choice(_OFF_ONTOLOGY)
            annotation[key] = value if key != "attributes" else {**annotation[key], **value}
        if i % 5 == 0:
            document = synthetic.mutate(rng, document)
        reference = check(document, engine="reference", ontology=ontology)
        fast = check(document, engine="fast", ontology=ontology)
        assert _full(fast.diagnostics) == _full(reference.diagnostics)
        data = json.dumps(document, ensure_ascii=False).encode()
        reports = [
            check_item(Item("doc.json", data=data), Options(engine=e, ontology=ontology), max_bytes=1 << 30)
            for e in ("fast", "reference")
        ]
        assert reports[0] == reports[1]
        rules = {d.rule.split(".")[0] for d in reference.diagnostics}
        only_ontology += rules == {"ontology"}
        both += "ontology" in rules and len(rules) > 1
    assert only_ontology > GENERATED // 40 and both > 0, (only_ontology, both)


def test_valid_export_is_passed_by_the_fast_engine():
    for name, document in synthetic.export(SEED, 30, annotations=20):
        assert _fast.clean_document(document, None)[0], name
        assert _fast.clean_bytes(json.dumps(document).encode(), None)[0], name
        assert check(document, engine="reference").diagnostics == (), name


@pytest.mark.parametrize("path", list(_fixture_params()))
@pytest.mark.parametrize("purpose", ["export", "upload"])
def test_fixtures_for_each_purpose(path: Path, purpose):
    """Both engines report every fixture alike whatever the purpose, as a document and as a file;
    each GT-upload fixture of upload/valid is passed by the fast engine as an upload, not as an export."""
    document, data = load_json(path), path.read_bytes()
    clean = _agree(document, None, purpose)
    assert _agree_bytes(data, None, purpose) == clean
    if path.parent == FIXTURES / "upload" / "valid":
        assert clean == (purpose == "upload")


def test_an_upload_needs_every_id_numbered_in_both_engines():
    document = load_json(FIXTURES / "upload" / "valid" / "upload-without-file-id.json")
    assert _agree(document, None, "upload")
    for bad in (
        "48f557c0-3fff-4227-bd18-8574ff7f8ad0",
        "0-48f557c0-3fff-4227-bd18-8574ff7f8ad0",
        "01-48f557c0-3fff-4227-bd18-8574ff7f8ad0",
        "12345678-3fff-4227-bd18-8574ff7f8ad0",
    ):
        document["annotations"][0]["id"] = bad
        assert not _agree(document, None, "upload")
        assert not _agree_bytes(json.dumps(document).encode(), None, "upload")
        reference = check(document, engine="reference", purpose="upload").diagnostics
        assert rule_pointers(reference) == [("schema.pattern", "/annotations/0/id")], _full(reference)
    document["annotations"][0]["id"] = "car-3"  # no annotation id at all: the format says so, once
    assert rule_pointers(check(document, purpose="upload").diagnostics) == [
        ("format.annotation-id", "/annotations/0/id")
    ]


@pytest.mark.parametrize(
    ("value", "rule"),
    [
        # What no file can hold gets the rule a file holding it gets, from both engines (issue 17):
        # python-jsonschema alone took NaN as a number within every bound.
        (float("nan"), ("json.non-finite", "/annotations/0/points/0/0")),
        (float("inf"), ("json.non-finite", "/annotations/0/points/0/0")),
        (10**400, ("json.number-range", "/annotations/0/points/0/0")),
        (2**70, ("geometry.within-image", "/annotations/0/points/0")),  # msgspec takes 64 bits at most
        (1920.0, None),  # a float where the format has integers
        ("\N{MATHEMATICAL DOUBLE-STRUCK DIGIT ONE}", ("schema.type", "/annotations/0/points/0/0")),
    ],
)
def test_values_outside_json_go_to_the_reference(value, rule):
    document = load_json(FIXTURES / "valid" / "vendor-bbox.json")
    document["annotations"][0]["points"][0][0] = value
    reference = check(document, engine="reference")
    assert _full(check(document, engine="fast").diagnostics) == _full(reference.diagnostics)
    if rule:
        assert rule in rule_pointers(reference.diagnostics)


def test_engine_is_checked():
    with pytest.raises(ValueError, match="unknown engine"):
        check({}, engine="turbo")


@pytest.mark.parametrize("output", ["json", "sarif", "text"])
def test_cli_reports_are_the_same_with_each_engine(output, tmp_path, capsys):
    from aimmo_gt._cli import main

    rng = random.Random(SEED + 2)
    for i, resource in enumerate(synthetic.resources(rng, 40)):
        document = synthetic.document(rng, resource, 3)
        data = _serialize(rng, synthetic.mutate(rng, document) if i % 2 else document)
        (tmp_path / f"{i:03d}.json").write_bytes(data)
    reports = {}
    for engine in ("fast", "reference"):
        code = main(["validate", str(tmp_path), "--engine", engine, "--format", output, "--jobs", "1", "-q"])
        reports[engine] = (code, capsys.readouterr().out)
    assert reports["fast"] == reports["reference"]
    assert reports["fast"][0] == 1  # some files are invalid: the comparison is not of empty reports


def test_without_msgspec_auto_is_the_reference_and_fast_is_refused(monkeypatch, capsys):
    from aimmo_gt._cli import main

    path = FIXTURES / "valid" / "vendor-bbox.json"
    data = path.read_bytes()
    broken = data.replace(b'"car"', b'""', 1)
    monkeypatch.setitem(sys.modules, "aimmo_gt._fast", None)  # as if msgspec were not installed
    for each in (data, broken):
        assert _report(each, None, "auto") == _report(each, None, "reference")
    found = _report(broken, None, "auto").diagnostics
    assert ("schema.minLength", "/annotations/0/label") in rule_pointers(found)
    with pytest.raises(ImportError, match="msgspec"):
        check(load_json(path), engine="fast")
    assert main(["validate", "--engine", "fast", str(path)]) == 2
    assert "needs msgspec" in capsys.readouterr().err


# --- Every file fails: the fast explainer (_explain.py) must give the reference's reports exactly.

from aimmo_gt import _explain  # noqa: E402


def _families() -> dict[str, list[str]]:
    families: dict[str, list[str]] = {}
    for name, (family, _fault) in synthetic.FAULTS.items():
        families.setdefault(family, []).append(name)
    return families


def _explained_alike(document, data: bytes, profile: str | None, ignore: tuple[str, ...] = ()) -> tuple:
    """Assert that the fast engine's reports (for the bytes and, unless None, for the document) are
    the reference's; return the reference's diagnostics."""
    reports = [
        check_item(Item("doc.json", data=data), Options(profile, ignore=ignore, engine=engine), 1 << 30)
        for engine in ("reference", "fast")
    ]
    assert _full(reports[1].diagnostics) == _full(reports[0].diagnostics)
    assert reports[1] == reports[0]
    if document is not None:
        results = [check(document, profile, ignore=ignore, engine=engine) for engine in ("reference", "fast")]
        assert _full(results[1].diagnostics) == _full(results[0].diagnostics)
    return reports[0].diagnostics


@pytest.mark.parametrize("family", ["schema", "format", "semantic", "profile", "several"])
def test_every_file_fails_export(family):
    """Exports where every file has a fault of one kind, for each kind of a family (or three faults of
    any kind, for "several"): the reports are the reference's, and the explainer left most annotations
    to the fast engine."""
    if family == "several":
        exports = [synthetic.failing_export(SEED + 10, 60, annotations=12, faults=3)]
    else:
        exports = [
            synthetic.failing_export(SEED + 10 + i, 12, annotations=12, kinds=(kind,))
            for i, kind in enumerate(_families()[family])
        ]
    rng = random.Random(SEED + 10)
    files = narrowed = 0
    for name, document, put in (each for export in exports for each in export):
        resource = name.rsplit("-", 1)[0]
        profile = rng.choice((None, None, resource))
        found = _explained_alike(document, _serialize(rng, document), profile)
        assert found, f"{name} has {put} but no diagnostic"
        used = profile if profile is not None else infer_profile(document)
        failing = _explain.failing_annotations(document, used)
        files += 1
        if failing is not None and len(failing) <= len(document["annotations"]) // 2:
            narrowed += 1
    assert narrowed > files // 2, (narrowed, files)  # the explainer, not the reference, did most of it


def test_what_the_fast_pass_found_gives_the_explainer_the_proof_it_would_work_out():
    """The fast pass over a file's bytes hands the explainer what it found (_fast.Verdict): the
    annotations its semantic pass refused (when all else passed), the first annotation msgspec's
    types refused. The proof made from them is the one worked out from the document alone, for
    every kind of fault, and a wrong hint changes nothing."""
    rng = random.Random(SEED + 19)
    shortcut = hinted = 0
    for kind in synthetic.FAULTS:
        for _name, document, _put in synthetic.failing_export(SEED + 19, 6, annotations=15, kinds=(kind,)):
            data = _serialize(rng, document)
            verdict = _fast.decode_verdict(data, None)
            assert not verdict.clean
            profile = infer_profile(document)
            slow = _explain.prove(document, profile)
            assert _explain.prove(document, profile, verdict=verdict) == slow, kind
            shortcut += verdict.failing is not None
            hinted += verdict.refused is not None
            if verdict.refused is not None:
                assert slow.failing is not None and verdict.refused in slow.failing
            count = len(document.get("annotations", ()))
            for wrong in {0, count // 2, count - 1, count + 3}:
                hint = _fast.Verdict(False, None, None, refused=wrong)
                assert _explain.prove(document, profile, verdict=hint) == slow, (kind, wrong)
    assert shortcut > 20 and hinted > 20, (shortcut, hinted)  # both shortcuts were taken


def test_every_file_fails_at_the_json_level():
    """Each file has a fault of the text (a byte-order mark, a repeated key, NaN...) on top of a fault
    of the document: the loader reads it, and the explainer explains the document it reads."""
    rng = random.Random(SEED + 11)
    export = synthetic.failing_export(SEED + 11, len(_TEXT_EDITS) * 2, annotations=8)
    for i, (_name, document, _put) in enumerate(export):
        data = _TEXT_EDITS[i % len(_TEXT_EDITS)](_serialize(rng, document))
        assert _explained_alike(None, data, None)


@pytest.mark.parametrize("family", ["schema", "semantic", "profile"])
def test_every_file_fails_with_its_rules_ignored(family):
    """With the faults' rules ignored (one rule, or a family prefix), what is left is the reference's."""
    rng = random.Random(SEED + 12)
    export = synthetic.failing_export(SEED + 12, 30, annotations=10, kinds=_families()[family])
    for _name, document, _put in export:
        data = _serialize(rng, document)
        rules = sorted({d.rule for d in _explained_alike(document, data, None)})
        ignored = (
            (rng.choice(rules),) if rng.random() < 0.5 else tuple({r.split(".")[0] + "." for r in rules})
        )
        _explained_alike(document, data, None, ignore=ignored)


def _large(seed: int, resource: str, annotations: int, faults: int) -> dict:
    """A document of about `annotations` annotations, `faults` faults of every kind spread through it."""
    rng = random.Random(seed)
    document = synthetic.document(rng, resource, annotations)
    put = synthetic.break_document(rng, document, list(synthetic.FAULTS), faults)
    assert len(put) == faults
    return document


@pytest.mark.parametrize(("resource", "faults"), [("image", 100), ("sequence", 40)])
def test_large_documents_with_faults_spread_through_them(resource, faults):
    """10,000 annotations: the reference is run once on the whole, and both fast paths must match it."""
    document = _large(SEED + 13, resource, 10_000, faults)
    assert len(document["annotations"]) > 9_000
    data = json.dumps(document).encode()
    reference = check(document, engine="reference")
    assert len(reference.diagnostics) >= faults // 2
    fast = check(document, engine="fast")
    assert _full(fast.diagnostics) == _full(reference.diagnostics)
    report = check_item(Item("doc.json", data=data), Options(engine="fast"), 1 << 30)
    assert _full(report.diagnostics) == _full(reference.diagnostics)
    assert (report.profile, report.inferred) == (reference.profile, reference.inferred)
    failing = _explain.failing_annotations(document, reference.profile)
    assert failing is not None and len(failing) <= faults * 2  # the reference saw a few hundred at most


def test_the_reference_engines_dispatch_on_type_changes_no_report():
    """_validator's `allOf` evaluates only the branch of document.json's dispatch whose `if` can
    hold, its `items` only the items asked for, its `$ref` resolves each reference once, its
    `descend` makes each step's validator once: with python-jsonschema's own keywords and descend
    instead, every report is the same, in the same order."""
    from jsonschema import _keywords as standard
    from jsonschema import validators

    from aimmo_gt._formats import FORMATS
    from aimmo_gt._keywords import IMAGE_SIZE
    from aimmo_gt._schemas import registry
    from aimmo_gt._validator import (
        diagnostics_from_errors,
        document_diagnostics,
        image_size,
        profile_uri,
        purpose_uri,
        validator_class,
    )

    ours = validator_class(True)
    assert ours.VALIDATORS["allOf"] is not standard.allOf
    assert ours.descend is not validators.create(meta_schema=ours.META_SCHEMA).descend
    plain = validators.create(
        meta_schema=ours.META_SCHEMA,
        validators={
            **ours.VALIDATORS,
            "allOf": standard.allOf,
            "items": standard.items,
            "$ref": standard.ref,
        },
        type_checker=ours.TYPE_CHECKER,
        format_checker=FORMATS,
    )
    rng = random.Random(SEED + 14)
    documents = [load_json(path) for path in sorted(FIXTURES.rglob("*.json"))]
    for resource in synthetic.resources(rng, 150):
        documents.append(synthetic.mutate(rng, synthetic.document(rng, resource, rng.choice((1, 3, 6)))))
    differing = 0
    for document in documents:
        for profile in {None, infer_profile(document)}:
            token = IMAGE_SIZE.set(image_size(document))
            try:
                root = {"allOf": [{"$ref": profile_uri(profile)}, {"$ref": purpose_uri("export")}]}
                validator = plain(root, registry=registry(), format_checker=FORMATS)
                errors = validator.iter_errors(document)
                expected = list(diagnostics_from_errors(errors, profile))
            finally:
                IMAGE_SIZE.reset(token)
            assert document_diagnostics(document, profile) == expected
            differing += bool(expected)
    assert differing > 100  # most of them have something to report: the comparison is not of nothing


#: A fault of synthetic.FAULTS, and the one rule it breaks, which the fast engine can leave unchecked.
TOLERATED = {
    "unknown-property": "schema.unknown-property",
    "empty-label": "schema.minLength",
    "outside-image": "geometry.within-image",
    "bbox-corners": "geometry.bbox",
    "repeated-id": "annotation.unique-id",
    "span-length": "entity.span-length",
}


def test_every_tolerable_rule_has_a_fault():
    assert set(TOLERATED.values()) == _fast.TOLERABLE


@pytest.mark.parametrize(("kind", "rule"), list(TOLERATED.items()))
def test_files_whose_only_faults_are_ignored_pass_the_fast_engine(kind, rule):
    """With --ignore RULE, a file whose only faults break RULE is passed by the fast pass (at the speed
    of a clean file), and the reports are the reference's."""
    rng = random.Random(SEED + 15)
    for _name, document, _put in synthetic.failing_export(SEED + 15, 30, annotations=10, kinds=(kind,)):
        data = _serialize(rng, document)
        assert {d.rule for d in check(document, engine="reference").diagnostics} == {rule}
        assert _explained_alike(document, data, None, ignore=(rule,)) == ()
        assert _fast.clean_bytes(data, None, tolerate=frozenset({rule}))[0]
        assert _fast.clean_document(document, None, tolerate=frozenset({rule}))[0]


@pytest.mark.parametrize("rule", sorted(_fast.TOLERABLE))
def test_what_the_fast_engine_leaves_unchecked_is_only_what_is_ignored(rule):
    """Generated documents, broken a little, and faults of every kind: with RULE ignored (by its id or
    its family's prefix), the fast engine's reports are the reference's."""
    rng = random.Random(SEED + 16)
    kinds = list(synthetic.FAULTS)
    for i, resource in enumerate(synthetic.resources(rng, 150)):
        document = synthetic.document(rng, resource, rng.choice((1, 3, 6)))
        if i % 2:
            document = synthetic.mutate(rng, document)
        else:
            synthetic.break_document(rng, document, kinds, rng.choice((1, 2)))
        ignore = (rule,) if i % 3 else (rule.split(".")[0] + ".",)
        profile = rng.choice((None, None, resource))
        _explained_alike(document, _serialize(rng, document), profile, ignore=ignore)


@pytest.mark.parametrize(
    ("tracks", "repeated"),
    [
        (["a", "b", "c"], []),
        ([1, 2, 3], []),
        ([1, "1", 2, "2"], []),  # a number and a string are two tracks, even in C
        (["a", "b", "a"], [2]),
        ([1, 2, 1], [2]),
        ([1, "1", 1], [2]),
        ([1, 1.0], [1]),  # one JSON value: the mixed kinds go the long way, and find it
        ([True, 1, True], []),  # true is no track id
        (["a", None, "a"], [2]),
        ([None, None], []),
    ],
)
def test_unique_ids_and_tracks_find_the_repeats_whatever_the_kinds(tracks, repeated):
    """uniqueIds and uniqueTracks answer in C when the values are distinct (_keywords._distinct); the
    repeats are still found, at the later annotation, when they are not."""
    from aimmo_gt._keywords import uniqueIds, uniqueTracks

    annotations = [{"id": track, "track_id": track} for track in tracks]
    found = [list(e.path) for e in uniqueTracks(None, "track_id", annotations, {})]
    assert found == [[i, "track_id"] for i in repeated]
    strings = [i for i in repeated if isinstance(tracks[i], str)]
    assert [list(e.path) for e in uniqueIds(None, "id", annotations, {})] == [[i, "id"] for i in strings]
    # An annotation without the key, or an item that is no object, leaves the others' repeats found.
    for extra in ({}, [], "x"):
        shifted = [extra, *annotations]
        assert [list(e.path) for e in uniqueTracks(None, "track_id", shifted, {})] == [
            [i + 1, "track_id"] for i in repeated
        ]


def test_the_reference_makes_each_step_into_a_subschema_once():
    """_validator's descend keeps the validator it makes for a subschema: checking a document again
    makes none, and reports the same (tests above compare it with jsonschema's own descend)."""
    from aimmo_gt import _validator

    document = _large(SEED + 17, "image", 50, 5)
    first = _validator.document_diagnostics(document, "image")
    made = len(_validator._DESCENDED)
    assert made > 20
    assert _validator.document_diagnostics(document, "image") == first
    assert len(_validator._DESCENDED) == made
    assert rule_pointers(first) == rule_pointers(check(document, "image", engine="reference").diagnostics)


@pytest.mark.parametrize(
    ("kind", "fields"), [("empty-label", True), ("file-id", False), ("document-field", False)]
)
def test_the_explainer_proves_the_document_fields_clean(kind, fields):
    """A fault in an annotation leaves the document's other fields proven clean (the reference then
    checks only the annotations field); a fault in a field does not, and the reference finds it."""
    for _name, document, _put in synthetic.failing_export(SEED + 18, 10, annotations=6, kinds=(kind,)):
        profile = infer_profile(document)
        proof = _explain.prove(document, profile)
        assert proof.fields == fields
        data = json.dumps(document).encode()
        found = _explained_alike(document, data, None)
        assert any(d.pointer.startswith("/annotations/") for d in found) == fields


#: Values of an unknown property that the loader has something to say about (the rule and where,
#: below the property), written as JSON text.
_UNKNOWN_VALUES_THE_LOADER_REPORTS = {
    "nan": (b"NaN", "json.non-finite"),
    "infinity": (b"-Infinity", "json.non-finite"),
    "overflowing float": (b"1e400", "json.number-range"),
    "integer beyond a float": (b"9" * 400, "json.number-range"),
    "deep": (b"[" * 70 + b"]" * 70, "json.depth"),
    "repeated key": (b'{"a": 1, "a": 2}', "json.duplicate-key"),
    "deep repeated key": (b'[{"b": {"a": 1, "a": 2}}]', "json.duplicate-key"),
    "invalid UTF-8": (b'"r\xffd"', "json.encoding"),
    "invalid UTF-8 deeper": (b'{"x": ["r\xc3"]}', "json.encoding"),
}
#: ... and values the loader takes as they are.
_UNKNOWN_VALUES_THE_LOADER_TAKES = (
    b'"red"',
    b"12",
    b"1e300",
    b"9" * 300,
    b'{"a": [1, {"b": null}], "c": true}',
    b"[" * 40 + b"]" * 40,
    b'"\\ud800"',  # a lone surrogate: Python's json takes it, msgspec does not (the reference decides)
    '"\u00e9\u20ac\U0001f600"'.encode(),
)


@pytest.fixture(autouse=True)
def _nothing_learned(monkeypatch):
    """Each test starts with a fast engine that has learned no unknown property (_fast._LEARNED):
    what one learns must not decide what another tests."""
    monkeypatch.setattr(_fast, "_LEARNED", {})


def _with_unknown(value: bytes, where: str, name: bytes = b"colour") -> bytes:
    """The valid bbox fixture with an unknown property `name` of the given value, on the document,
    on its first annotation or in its metadata."""
    data = (FIXTURES / "valid" / "vendor-bbox.json").read_bytes()
    anchor = {"document": b'"filename"', "annotation": b'"label"', "metadata": b'"width"'}[where]
    assert data.count(anchor) >= 1
    return data.replace(anchor, b'"' + name + b'": ' + value + b", " + anchor, 1)


@pytest.mark.parametrize("where", ["document", "annotation", "metadata"])
@pytest.mark.parametrize("kind", list(_UNKNOWN_VALUES_THE_LOADER_REPORTS))
def test_an_ignored_unknown_property_whose_value_the_loader_reports(kind, where):
    """With schema.unknown-property ignored, the fast engine takes unknown properties without msgspec
    skipping their values unchecked: what the loader says of a value (NaN, a number out of range,
    nesting too deep, a repeated key, invalid UTF-8) is reported by both engines alike."""
    value, rule = _UNKNOWN_VALUES_THE_LOADER_REPORTS[kind]
    ignore = ("schema.unknown-property",)
    for _ in range(2):  # the second time, the decoder has learned the property's name
        data = _with_unknown(value, where)
        found = _explained_alike(None, data, None, ignore=ignore)
        assert rule in {d.rule for d in found}, _full(found)
        assert not _fast.clean_bytes(data, None, tolerate=frozenset(ignore))[0]


@pytest.mark.parametrize("where", ["document", "annotation", "metadata"])
@pytest.mark.parametrize("value", _UNKNOWN_VALUES_THE_LOADER_TAKES)
def test_an_ignored_unknown_property_whose_value_the_loader_takes(value, where):
    """... and a value the loader takes leaves nothing to report; the fast engine passes the file (at
    the speed of a clean one) on the document and the annotations, where unknown-property is all the
    reference says, not in metadata, where a profile may say more."""
    ignore = ("schema.unknown-property",)
    data = _with_unknown(value, where)
    reference = _report(data, None, "reference")
    assert [d.rule for d in reference.diagnostics] == ["schema.unknown-property"]
    assert _explained_alike(None, data, None, ignore=ignore) == ()
    passed = _fast.clean_bytes(data, None, tolerate=frozenset(ignore))[0]
    assert passed == (where != "metadata" and value != b'"\\ud800"')
    document = json.loads(data)
    assert _fast.clean_document(document, None, tolerate=frozenset(ignore))[0] == (where != "metadata")
    assert not _fast.clean_bytes(data, None)[0]  # without the rule ignored, the file is not clean


@pytest.mark.parametrize("name", [b"extra_0", b"we`ird", b"kind", b"extras", b"text", b"\\u00e9", b"a b"])
def test_unknown_properties_of_any_name_are_learned(name):
    """Unknown properties are taken under attributes of their own: any name (one that is an
    attribute of the structs, a field of another annotation type, an escape) is learned."""
    ignore = frozenset({"schema.unknown-property"})
    for where in ("document", "annotation"):
        data = _with_unknown(b'"x"', where, name)
        assert _explained_alike(None, data, None, ignore=tuple(ignore)) == ()
        assert _fast.clean_bytes(data, None, tolerate=ignore)[0]
    # Two unknown properties in one file, and one repeated (a repeated key is the loader's).
    data = _with_unknown(b'"x"', "annotation", name + b'": 1, "other')
    assert _fast.clean_bytes(data, None, tolerate=ignore)[0]
    data = _with_unknown(b'"x"', "annotation", name + b'": 1, "' + name)
    assert not _fast.clean_bytes(data, None, tolerate=ignore)[0]
    assert "json.duplicate-key" in {d.rule for d in _explained_alike(None, data, None, ignore=tuple(ignore))}


def test_unknown_properties_learned_are_bounded():
    """Past _fast._MAX_LEARNED names, files with other unknown properties take the reference's path,
    with the same reports."""
    ignore = ("schema.unknown-property",)
    passed = []
    for i in range(_fast._MAX_LEARNED + 4):
        data = _with_unknown(b"1", "annotation", f"unknown_{i:03d}".encode())
        assert _explained_alike(None, data, None, ignore=ignore) == ()
        passed.append(_fast.clean_bytes(data, None, tolerate=frozenset(ignore))[0])
    assert len(_fast._LEARNED[frozenset(ignore)]) <= _fast._MAX_LEARNED
    assert passed[0] and not passed[-1]


@pytest.mark.parametrize(
    "instance", [None, True, 0, 1, -3, 2**70, 1.0, 1.5, float("inf"), "", "x", [], [1], {}, {"a": 1}, (1,)]
)
def test_the_reference_answers_types_as_jsonschema_does(instance):
    """_validator.type_ answers at once for the types of a parsed document: whatever the instance and
    the types asked for, it says what python-jsonschema's own keyword says."""
    from jsonschema import _keywords as standard

    from aimmo_gt._validator import type_, validator_class

    validator = validator_class(True)({})
    names = ["string", "integer", "number", "object", "array", "boolean", "null"]
    for types in [*names, *([a, b] for a in names for b in names if a < b), []]:
        ours = [e.message for e in type_(validator, types, instance, {})]
        theirs = [e.message for e in standard.type(validator, types, instance, {})]
        assert ours == theirs, types


@pytest.mark.parametrize("profile", ["image", "pointcloud", "video"])
def test_points_of_failing_annotations_are_checked_against_the_image_the_reference_sees(profile):
    """The explainer leaves unchecked the points of a failing annotation that lie within the image the
    reference sees (the document's size, whatever the profile); a point outside is reported."""
    document = load_json(FIXTURES / "valid" / "vendor-bbox.json")
    first = document["annotations"][0]
    first["label"] = ""  # the annotation fails...
    kept = _explain._clean_points(document, [0], frozenset())
    assert kept == [first["points"]]  # ... and its points are proven
    first["points"][1][0] = document["metadata"]["width"] + 5  # the corner to the right, outside
    first["points"][2][0] = document["metadata"]["width"] + 5
    assert _explain._clean_points(document, [0], frozenset()) == []
    assert _explain._clean_points(document, [0], frozenset({"geometry.within-image"})) == [first["points"]]
    found = _explained_alike(document, json.dumps(document).encode(), profile)
    assert ("geometry.within-image", "/annotations/0/points/1") in rule_pointers(found)
    assert ("schema.minLength", "/annotations/0/label") in rule_pointers(found)


def test_a_mask_bound_of_an_integer_beyond_a_float_beside_a_float_corner():
    """mask.area on a bound mixing a whole float and an integer beyond a float's range: compared in
    integers (the fuzz found an OverflowError), the same in both engines."""
    from aimmo_gt._geometry import mask_areas

    assert mask_areas(0, 0.0, 10**320, 0) == (0, 10**320 + 1)
    assert mask_areas(0.0, 1, 2.0, 3) == (4, 9)
    document = load_json(FIXTURES / "valid" / "vendor-bbox.json")
    document["metadata"] = {"width": 1, "height": 1}
    document["annotations"] = [
        {"id": "1-00000000-0000-0000-0000-000000000000", "type": "segmentation_mask", "label": "0"}
        | {"attributes": {}, "mask": "1T", "bound": [[10**320, 0.0], [0, 0]]}
    ]
    found = rule_pointers(check(document, "image-pixel", engine="reference").diagnostics)
    assert ("json.number-range", "/annotations/0/bound/0/0") in found
    from aimmo_gt._validator import document_diagnostics

    assert document_diagnostics(document, "image-pixel")  # the reference alone, no exception


@pytest.mark.parametrize("value", ["x" * 40, list(range(40))], ids=["string", "array"])
@pytest.mark.parametrize("fault", [None, "bbox"])
def test_a_repeated_key_beside_an_ignored_unknown_property_named_keypoints(value, fault):
    """An annotation proven clean whose ignored unknown property is named `keypoints` (a string or an
    array, not a keypoint annotation's object): its length is no count of keys, and the repeated key
    elsewhere in the file is still the loader's json.duplicate-key, with or without a failing
    annotation beside it (the proof from the fast pass's semantic pass)."""
    ignore = ("schema.unknown-property",)
    document = load_json(FIXTURES / "valid" / "realistic-image.json")
    first, second = document["annotations"][:2]
    assert first["type"] == second["type"] == "bbox"
    first["keypoints"] = value
    if fault == "bbox":
        second["points"][1][0] += 1  # geometry.bbox: the fast pass's semantic pass names it
    text = json.dumps(document, indent=1)
    spelled = f'"id": "{second["id"]}"'
    assert text.count(spelled) == 1
    data = text.replace(spelled, '"id": "x", ' + spelled).encode()
    if fault == "bbox":
        assert _fast.decode_verdict(data, None, tolerate=frozenset(ignore)).failing == [1]
    found = rule_pointers(_explained_alike(None, data, None, ignore=ignore))
    assert ("json.duplicate-key", "/annotations/1/id") in found
    assert (("geometry.bbox", "/annotations/1/points/2") in found) == (fault == "bbox")


@pytest.mark.parametrize(
    ("decoy", "corner", "outside"),
    [
        ((100, 100), 1169, False),  # a smaller size guessed: a second decode, unbounded, then a third
        ((4000, 4000), 1169, False),
        ((4000, 4000), 1930, True),  # the guess takes the point; the image's size does not
        (None, 1930, True),  # the image's own size guessed: its refusal is the verdict (no third decode)
        ((1920, 1080), 1930, True),
    ],
)
def test_the_image_size_guessed_from_the_text_changes_no_report(decoy, corner, outside):
    """The fast pass bounds points by a size read from the text before decoding (_fast._guess_size:
    the last "width" and "height" near the end); a wrong guess (an ignored unknown property's object
    at the end of the file holding "width" and "height") costs a decode, never a verdict."""
    ignore = ("schema.unknown-property",)
    document = load_json(FIXTURES / "valid" / "vendor-bbox.json")
    for point in document["annotations"][0]["points"][1:3]:
        point[0] = corner
    if decoy is not None:
        document["colour"] = {"width": decoy[0], "height": decoy[1]}
    data = json.dumps(document, indent=1).encode()
    assert _fast._guess_size(data) == (decoy or (1920, 1080))
    found = rule_pointers(_explained_alike(document, data, None, ignore=ignore))
    within = [("geometry.within-image", f"/annotations/0/points/{i}") for i in (1, 2)]
    assert found == (within if outside else [])
    verdict = _fast.decode_verdict(data, None, tolerate=frozenset(ignore))
    # Outside: refused by msgspec's types under the image's size, in the first annotation.
    assert verdict == (
        _fast.Verdict(False, None, None, refused=0)
        if outside
        else _fast.Verdict(True, "image", verdict.document)
    )
