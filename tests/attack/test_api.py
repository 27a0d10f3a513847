"""The API: the verdict a file holding the same JSON would get, and warn/ignore checked as the CLI
checks them (issue 17, items 23-26)."""

from __future__ import annotations

import math

import pytest

import aimmo_gt
from aimmo_gt._cli import main

from .conftest import valid_document

ENGINES = ("fast", "reference")


def _found(document, engine, **options) -> list[tuple[str, str]]:
    return [(d.rule, d.pointer) for d in aimmo_gt.check(document, engine=engine, **options).diagnostics]


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize(
    ("value", "kind"), [({"a", "b"}, "set"), (frozenset({"a"}), "frozenset"), (("a", "b"), "tuple")]
)
def test_23_sets_frozensets_and_tuples_get_the_same_diagnostic_from_both_engines(engine, value, kind):
    document = valid_document()
    document["tags"] = value
    result = aimmo_gt.check(document, engine=engine)
    assert [(d.rule, d.pointer, d.message) for d in result.diagnostics] == [
        ("json.value", "/tags", f"a {kind} is not a JSON value; use a list")
    ]
    assert not result.valid


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("key", [1, None, 2.5])
def test_24_a_key_that_is_not_a_string_is_a_diagnostic_not_a_type_error(engine, key):
    document = valid_document()
    document[key] = 1
    document["annotations"][0]["attributes"][key] = "x"
    assert _found(document, engine) == [("json.value", ""), ("json.value", "/annotations/0/attributes")]


def test_24_the_unknown_property_keyword_itself_takes_a_key_that_is_not_a_string():
    from aimmo_gt._schemas import schema_uri
    from aimmo_gt._validator import schema_diagnostics

    found = schema_diagnostics({1: 2, None: 3}, schema_uri("defs/metadata.json"))
    assert [(d.rule, d.pointer, d.message.split(" (")[0]) for d in found] == [
        ("schema.unknown-property", "/1", "unknown property 1"),
        ("schema.unknown-property", "/None", "unknown property null"),
    ]


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize(
    ("document_name", "field", "value", "rule", "written"),
    [
        ("realistic-video", "fps", math.nan, "json.non-finite", "NaN"),
        ("realistic-video", "fps", math.inf, "json.non-finite", "Infinity"),
        ("realistic-video", "fps", -math.inf, "json.non-finite", "-Infinity"),
        ("realistic-image", "width", 10**5000, "json.number-range", None),
        ("realistic-image", "height", -(10**400), "json.number-range", None),
    ],
    ids=["nan", "inf", "-inf", "10**5000", "-10**400"],
)
def test_25_what_json_cannot_hold_gets_the_rule_a_file_gets(
    engine, document_name, field, value, rule, written, cli, tmp_path
):
    document = valid_document(document_name)
    document["metadata"][field] = value
    [diagnostic] = aimmo_gt.check(document, engine=engine).diagnostics
    assert (diagnostic.rule, diagnostic.pointer) == (rule, f"/metadata/{field}")
    if written:
        assert diagnostic.message == f"{written} is not a JSON number (JSON has no NaN or Infinity)"
        # The same document as a file: the same rule at the same place.
        path = tmp_path / "a.json"
        import json

        path.write_text(json.dumps(document))
        [from_file] = cli("validate", "--format", "json", path).json()["files"][0]["diagnostics"]
        assert (from_file["rule"], from_file["pointer"]) == (rule, f"/metadata/{field}")
    assert not aimmo_gt.is_valid(document, engine=engine)
    with pytest.raises(aimmo_gt.ValidationError):
        aimmo_gt.validate(document, engine=engine)


def test_25_numbers_a_file_can_hold_stay_valid():
    document = valid_document("realistic-video")
    document["metadata"]["fps"] = 1e308
    assert aimmo_gt.is_valid(document, engine="reference") and aimmo_gt.is_valid(document, engine="fast")


def _cli_error(capsys, *args: str) -> str:
    assert main(["validate", *args, "tests/fixtures/valid/realistic-image.json"]) == 2
    return capsys.readouterr().err.splitlines()[-1].removeprefix("aimmo-gt validate: error: ")


@pytest.mark.parametrize("option", ["warn", "ignore"])
def test_26_selectors_are_checked_as_the_cli_checks_them(option, capsys):
    document = valid_document()
    for value, message in (
        (
            "geometry.",
            f"{option} must be a list of rule ids, not a string (did you mean {option}=['geometry.']?)",
        ),
        (None, f"{option} must be a list of rule ids, not NoneType"),
        (3, f"{option} must be a list of rule ids, not int"),
        ([None], f"{option} must hold rule ids (strings), not None"),
    ):
        with pytest.raises(TypeError) as raised:
            aimmo_gt.check(document, **{option: value})
        assert str(raised.value) == message
    for selectors in (["nope", "geometry.bboxx"], ["json.parse"]):
        with pytest.raises(ValueError) as raised:
            aimmo_gt.is_valid(document, **{option: selectors})
        flags = [part for s in selectors for part in (f"--{option}", s)]
        assert str(raised.value) == _cli_error(capsys, *flags)
    assert aimmo_gt.is_valid(document, **{option: ("geometry.", "json.bom")})
