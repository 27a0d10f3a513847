"""Items and reports as rows, the form they travel in between processes (the --jobs pool, Dask)."""

from __future__ import annotations

import pickle
from dataclasses import fields

from aimmo_gt._check import FileReport
from aimmo_gt._dataset import Facts
from aimmo_gt._diagnostics import Diagnostic
from aimmo_gt._loading import Position
from aimmo_gt._runner import item_row, report_row
from aimmo_gt._stats import Counts
from aimmo_gt._walk import Item


def _travel(row: tuple) -> tuple:
    return pickle.loads(pickle.dumps([row], pickle.HIGHEST_PROTOCOL))[0]


def test_a_report_with_every_field_set_comes_back_equal():
    counts = Counts(
        classes=(("bbox", "car", 2),),
        values=(("bbox", "car", "color", "red", 1),),
        label="day",
        document_values=(("weather", "sunny"),),
    )
    facts = Facts(
        file_id="0123456789abcdef01234567",
        name="/batch_5/day/a.jpg",
        scene_id="scene-1",
        frame_number=3,
        size=(1920, 1080),
        tracks=((7, "car", "bbox", 0), ("t-2", "bus", "polygon", 1)),
        labels=(("car", "/annotations/0/label"),),
        counts=counts,
        used=(1, 4),
        used_of=2,
    )
    # Every field differs from its default, so a field the row dropped would come back as the default.
    assert all(getattr(facts, name) != default for name, default in Facts._field_defaults.items())
    report = FileReport(
        path="export/a.jsonl:3",
        valid=False,
        profile="image",
        inferred=True,
        diagnostics=(
            Diagnostic("geometry.bbox-size", "error", "/annotations/0/points", "too small"),
            Diagnostic("dataset.label-case", "warning", "/annotations/1/label", "differs"),
        ),
        positions=(Position(4, 17), None),
        file="export/a.jsonl",
        line=3,
        facts=facts,
    )
    for field in fields(FileReport):
        assert getattr(report, field.name) != field.default, field.name

    back = FileReport(*_travel(report_row(report)))

    assert back == report
    assert type(back.facts) is Facts and type(back.facts.counts) is Counts
    assert [type(d) for d in back.diagnostics] == [Diagnostic, Diagnostic]
    assert back.positions[0] == Position(4, 17) and back.positions[1] is None


def test_a_report_with_defaults_and_no_facts_comes_back_equal():
    report = FileReport("a.json", True, None, False, ())
    assert FileReport(*_travel(report_row(report))) == report


def test_an_item_with_every_field_set_comes_back_equal():
    failure = Diagnostic("file.unreadable", "error", "", "cannot read")
    item = Item("x.zip!/a.json", "a.json", b"{}", (failure,), "x.zip", 2, "x.zip", "a.json")
    for field in fields(Item):
        assert getattr(item, field.name) != field.default, field.name
    assert Item(*_travel(item_row(item))) == item
