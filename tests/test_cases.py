"""Runs every case file under tests/cases/ against the schema it targets."""

from __future__ import annotations

import pytest

from aimmo_gt._schemas import schema_uri
from aimmo_gt._validator import schema_diagnostics
from conftest import CASES, load_json, rule_pointers


def _cases():
    for path in sorted(CASES.rglob("*.json")):
        suite = load_json(path)
        for i, test in enumerate(suite["tests"]):
            name = f"{suite['target']}[{i}] {test['description']}"
            yield pytest.param(suite["target"], test, id=name)


@pytest.mark.parametrize(("target", "test"), list(_cases()))
def test_case(target, test):
    image = tuple(test["image"]) if "image" in test else None
    found = schema_diagnostics(test["data"], schema_uri(target), image=image)
    expected = sorted((d["rule"], d["pointer"]) for d in test.get("diagnostics", []))
    assert rule_pointers(found) == expected, [d.message for d in found]
    errors = [d for d in found if d.severity == "error"]
    assert (not errors) == test["valid"] or (test["valid"] is False and found), found
