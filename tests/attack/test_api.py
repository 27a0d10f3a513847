"""The API: the verdict a file holding the same JSON would get, and warn/ignore checked as the CLI
checks them (issue 17, items 23-26)."""

from __future__ import annotations

import math
from collections import OrderedDict

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


@pytest.mark.parametrize("engine", ENGINES)
def test_what_the_fast_engines_types_take_but_json_cannot_hold_is_still_found(engine):
    """msgspec's types take a tuple for a point and NaN for an unbounded number; the API's quick way
    (a document plainly JSON, which the fast engine passes) must not let them through."""
    document = valid_document()
    document["annotations"][0]["points"][1] = tuple(document["annotations"][0]["points"][1])
    assert _found(document, engine) == [("json.value", "/annotations/0/points/1")]
    document = valid_document("realistic-pointcloud")
    document["annotations"][1]["position"][2] = -math.inf
    assert _found(document, engine) == [("json.non-finite", "/annotations/1/position/2")]


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize(
    ("value", "rule", "below"),
    [
        ([[[[[[1]]]]]] * 2, None, ""),
        ({"a": 10**300}, None, ""),
        ({"a": [10**400]}, "json.number-range", "/a/0"),
        (-(10**309), "json.number-range", ""),
        ([1.5, {"b": [[]] * 3}], None, ""),
    ],
    ids=["nested", "10**300", "10**400 inside", "-10**309", "mixed"],
)
def test_an_ignored_unknown_propertys_value_is_still_checked_for_what_json_cannot_hold(
    engine, value, rule, below
):
    """An unknown property the user ignores is taken by the fast engine as any value: its nesting
    and its integers are still what the file's loader would check."""
    document = valid_document()
    document["annotations"][2]["colour"] = value
    expected = [(rule, "/annotations/2/colour" + below)] if rule else []
    assert _found(document, engine, ignore=["schema.unknown-property"]) == expected


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("levels", [58, 59, 60, 61, 200])
def test_an_ignored_unknown_propertys_value_nesting_too_deep_gets_json_depth(engine, levels):
    """The value of an annotation's property is at level 4 of the document: a value of `levels`
    nested arrays reaches level 3 + levels, one beyond MAX_DEPTH (64) being a problem."""
    from aimmo_gt._rules import MAX_DEPTH

    document = valid_document()
    value: list = []
    for _ in range(levels - 1):
        value = [value]
    document["annotations"][2]["colour"] = value
    found = _found(document, engine, ignore=["schema.unknown-property"])
    too_deep = 3 + levels > MAX_DEPTH
    assert [rule for rule, _ in found] == (["json.depth"] if too_deep else [])


def test_the_quick_depth_and_range_check_agrees_with_the_walk():
    """_check._deep_or_huge, on JSON values, says False only when json_value_problems finds nothing,
    and True for every depth and integer the walk reports."""
    import random

    from aimmo_gt._check import _deep_or_huge, json_value_problems

    rng = random.Random(8)

    def value(depth: int):
        roll = rng.random()
        if depth > 70 or roll < 0.35:
            return rng.choice(
                [None, True, 1.5, "x", 7, 10 ** rng.choice([3, 300, 308, 309, 400]), -(10**309)]
            )
        if roll < 0.7:
            return [value(depth + 1) for _ in range(rng.randint(0, 2))]
        return {f"k{i}": value(depth + 1) for i in range(rng.randint(0, 2))}

    seen = {True: 0, False: 0}
    for _ in range(3000):
        document = {"a": value(1)}
        problems = json_value_problems(document)
        quick = _deep_or_huge(document)
        seen[bool(problems)] += 1
        assert quick == bool(problems), document if len(str(document)) < 400 else problems
    assert min(seen.values()) > 300, seen


class _Dict(dict):
    """A dict subclass (what OrderedDict, defaultdict, a user's own mapping are): JSON to the walk."""


class _List(list):
    pass


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("container", [_Dict, _List, OrderedDict])
@pytest.mark.parametrize("where", ["document", "annotation"])
def test_an_ignored_unknown_propertys_value_of_dict_or_list_subclasses_is_still_checked(
    engine, container, where
):
    """msgspec's encoding of a dict or list subclass decodes to an equal plain value (`plain_json`),
    and the fast engine types an unknown property as any value, keeping the subclass: its nesting and
    its integers are still what the walk checks (json.depth, json.number-range), not skipped."""
    from aimmo_gt._rules import MAX_DEPTH

    def wrap(inner):
        return container([inner]) if container is _List else container({"a": inner})

    value: object = 1
    for _ in range(MAX_DEPTH):
        value = wrap(value)
    huge = wrap(10**400)
    document = valid_document()
    target, prefix = (document, "") if where == "document" else (document["annotations"][2], "/annotations/2")
    target["colour"] = value
    [(rule, pointer)] = _found(document, engine, ignore=["schema.unknown-property"])
    assert rule == "json.depth" and pointer.startswith(f"{prefix}/colour/")
    target["colour"] = huge
    below = "/0" if container is _List else "/a"
    assert _found(document, engine, ignore=["schema.unknown-property"]) == [
        ("json.number-range", f"{prefix}/colour{below}")
    ]


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("side", ["width", "height"])
def test_an_image_side_of_an_int_subclass_bounds_the_points_in_both_engines(engine, side):
    """An IntEnum (an int to JSON Schema and to msgspec) as the image's width or height: the points
    are checked against it (geometry.within-image), as the reference checks them."""
    import enum

    document = valid_document()
    small = enum.IntEnum("Side", {"SMALL": 100})
    document["metadata"][side] = small.SMALL
    found = _found(document, engine)
    assert found and {rule for rule, _ in found} == {"geometry.within-image"}
    assert ("geometry.within-image", "/annotations/1/points/1") in found
