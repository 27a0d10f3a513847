"""No input crashes the validator or the CLI, and checking never changes the document checked."""

from __future__ import annotations

import contextlib
import io
import json
import tempfile
from collections import defaultdict
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

import aimmo_gt
from aimmo_gt import PROFILES, RULES
from aimmo_gt._cli import main
from aimmo_gt._generation import nodes, semantic_view
from aimmo_gt._keywords import KEYWORDS

from ._checking import assert_well_formed, diagnostics
from ._mutations import get, replaced
from ._strategies import CORRUPTIONS, JSON, MADE, TARGETS, documents, fingerprint, fuzz_settings

#: Arbitrary JSON values; each is checked against every profile, the union and an inferred profile.
VALUES = 400
#: Valid documents corrupted, per profile and for the union; each gives one document with a node
#: anywhere replaced, and one per keyword of ours with a node it reads replaced.
CORRUPTED = 30
#: Arbitrary byte strings.
BYTES = 300
#: Files given to the CLI: arbitrary, then corrupted documents (about 8 files each; 30 is what it takes
#: to find a 4301-digit mask count, the crash tests/fuzz found), then valid ones.
CLI_FILES = 100
CLI_CORRUPTED = 30
CLI_VALID = 50


def _check_everywhere(value):
    """Check a value against every profile, the union and the inferred profile; assert the outcome."""
    MADE["documents"] += 1
    before = fingerprint(value)
    for profile in (*PROFILES, None):
        found = diagnostics(value, profile)
        assert_well_formed(found, value)
    result = aimmo_gt.check(value)
    assert_well_formed(result.diagnostics, value)
    assert result.profile in (*PROFILES, None)
    assert fingerprint(value) == before


def corrupted(view, document, values, random) -> list:
    """Copies of a valid document, each with one node replaced: one anywhere, and one per keyword of ours
    at a node it reads. Half the time the new value has the old one's JSON type: a mask string in a
    mask's place reaches the mask parser, where an object stops at the keyword's type guard."""
    anywhere, by_keyword = [], defaultdict(list)
    for path, schema, child in nodes(view, document):
        anywhere.append(path)
        for name in KEYWORDS.keys() & schema.keys():
            # The node a keyword is on, and the nodes just below it.
            by_keyword[name].append(path)
            if isinstance(child, dict | list):
                keys = child if isinstance(child, dict) else range(len(child))
                by_keyword[name].extend((*path, key) for key in keys)
    out = []
    for paths in [anywhere, *(by_keyword[name] for name in sorted(by_keyword))]:
        path = random.choice(paths)
        kind = type(get(document, path)).__name__
        value = values[kind] if kind in values and random.random() < 0.5 else values["any"]
        out.append(replaced(document, path, value))
    return out


@fuzz_settings(VALUES)
@given(JSON)
def test_an_arbitrary_json_value_gets_diagnostics_never_an_exception(value):
    _check_everywhere(value)


@fuzz_settings(VALUES // 3)
@given(
    st.dictionaries(
        st.sampled_from(
            ["annotations", "attributes", "filename", "parent_path", "metadata", "scene_id", "label", "zz"]
        ),
        JSON,
        max_size=6,
    )
)
def test_an_arbitrary_object_with_document_keys_gets_diagnostics_never_an_exception(value):
    _check_everywhere(value)


@pytest.mark.parametrize("profile", TARGETS, ids=lambda p: p or "document.json")
def test_a_corrupted_document_gets_diagnostics_and_is_never_modified(profile):
    """Keywords meet values of every shape (a point of 3 strings, a mask of NaN, a count of 4301
    digits) in documents otherwise valid, which a whole arbitrary value rarely reaches."""
    view = semantic_view(profile)

    # The Random and the values are drawn before the document: see test_mutations.py for why.
    @fuzz_settings(CORRUPTED)
    @given(st.randoms(use_true_random=True), CORRUPTIONS, documents(profile, rich=True))
    def run(random, values, document):
        for each in corrupted(view, document, values, random):
            _check_everywhere(each)

    run()


@fuzz_settings(BYTES)
@given(
    st.one_of(
        st.binary(max_size=200),
        st.text(max_size=100).map(str.encode),
        JSON.map(lambda v: json.dumps(v).encode()),
    )
)
def test_arbitrary_bytes_get_diagnostics_never_an_exception(data):
    """The API takes parsed documents: bytes are a value of the wrong type, and whatever `json`
    makes of them is checked too."""
    _check_everywhere(data)
    try:
        parsed = json.loads(data)
    except (ValueError, RecursionError):
        return
    _check_everywhere(parsed)


def test_an_integer_too_long_to_print_gets_diagnostics_never_an_exception():
    # jsonschema's messages repr() the instance, and repr() of an int of more than 4300 digits raises
    # ValueError (sys.get_int_max_str_digits); json.loads cannot make one, a document built in Python can.
    document = {
        "annotations": [],
        "attributes": {},
        "filename": "a.mp4",
        "parent_path": "/",
        "metadata": {"fps": 30},
        "frame_number": -(10**4301),
    }
    _check_everywhere(document)
    found = [(d.rule, d.pointer) for d in aimmo_gt.check(document).diagnostics]
    assert found == [("json.number-range", "/frame_number")]


def _validate(path: Path) -> dict:
    """`aimmo-gt validate --format json <path>`, in this process; its report of the one file."""
    MADE["documents"] += 1
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        status = main(["validate", "--format", "json", str(path)])
    assert status in (0, 1), f"exit status {status}; stderr:\n{err.getvalue()}"
    (report,) = json.loads(out.getvalue())["files"]
    rules = [d["rule"] for d in report["diagnostics"]]
    # The CLI turns an exception of the validator into an `internal.error` diagnostic: still a crash.
    shown = json.dumps(report["diagnostics"], ensure_ascii=False)[:2000]
    assert "internal.error" not in rules, f"the validator raised: {shown}"
    assert set(rules) <= set(RULES), f"unknown rules {set(rules) - set(RULES)}: {shown}"
    assert status == (0 if report["valid"] else 1), f"exit status {status} for {report['valid']=}: {shown}"
    return report


def test_the_cli_never_fails_on_any_file():
    files = st.one_of(
        st.binary(max_size=300),
        JSON.map(lambda v: json.dumps(v).encode()),
        documents(None).map(lambda d: json.dumps(d)[: len(json.dumps(d)) // 2].encode()),
    )
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "gt.json"

        @fuzz_settings(CLI_FILES)
        @given(files)
        def run(data):
            path.write_bytes(data)
            _validate(path)

        run()


@pytest.mark.parametrize("profile", TARGETS, ids=lambda p: p or "document.json")
def test_the_cli_never_fails_on_a_corrupted_document(profile):
    view = semantic_view(profile)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "gt.json"

        @fuzz_settings(CLI_CORRUPTED)
        @given(st.randoms(use_true_random=True), CORRUPTIONS, documents(profile, rich=True))
        def run(random, values, document):
            for each in corrupted(view, document, values, random):
                path.write_text(json.dumps(each, ensure_ascii=False), encoding="utf-8")
                _validate(path)

        run()


def test_the_cli_passes_every_generated_document():
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "gt.json"

        @fuzz_settings(CLI_VALID)
        @given(st.sampled_from(PROFILES).flatmap(documents))
        def run(document):
            path.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
            # The CLI infers the profile (a generated image-pixel document without masks is an image
            # one): test_generated.py asserts that every generated document passes so too.
            report = _validate(path)
            shown = json.dumps(report["diagnostics"], ensure_ascii=False)
            assert report["valid"] and report["diagnostics"] == [], f"{report['profile']}: {shown}"

        run()
