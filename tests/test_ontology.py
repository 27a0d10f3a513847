"""The project's ontology: the file and its schema, the check (API and CLI), its rules and pointers."""

from __future__ import annotations

import copy
import json
import pickle
import re
import sys
import tomllib
from pathlib import Path

import pytest

import aimmo_gt
from aimmo_gt import Ontology, OntologyError, check
from aimmo_gt._check import Options, check_item
from aimmo_gt._cli import main
from aimmo_gt._ontology import ONTOLOGY_RULES, fold
from aimmo_gt._walk import Item
from conftest import TESTS, load_json, rule_pointers

ONTOLOGIES = TESTS / "ontology"
PROJECTS = sorted(p for p in ONTOLOGIES.iterdir() if (p / "ontology.json").exists())


def _manifest(folder: Path) -> dict:
    path = folder / "expected.toml"
    return tomllib.loads(path.read_text(encoding="utf-8")) if path.exists() else {}


def _expected(entry: dict | None) -> list[tuple[str, str]]:
    return sorted((d["rule"], d["pointer"]) for d in entry["diagnostics"]) if entry else []


def _documents():
    for project in PROJECTS:
        for kind in ("valid", "invalid"):
            manifest = _manifest(project / kind)
            for path in sorted((project / kind).glob("*.json")):
                yield pytest.param(
                    project, path, manifest.get(path.name), id=f"{project.name}/{kind}/{path.name}"
                )


def _full(diagnostics):
    return [(d.rule, d.severity, d.pointer, d.message) for d in diagnostics]


@pytest.mark.parametrize(("project", "path", "entry"), list(_documents()))
def test_fixture_gives_its_manifest_with_both_engines(project, path, entry):
    ontology = Ontology.load(project / "ontology.json")
    document = load_json(path)
    reference = check(document, ontology=ontology, engine="reference")
    assert rule_pointers(reference.diagnostics) == _expected(entry), [
        d.message for d in reference.diagnostics
    ]
    assert reference.valid == (path.parent.name == "valid")
    assert _full(check(document, ontology=ontology, engine="fast").diagnostics) == _full(
        reference.diagnostics
    )
    # The CLI's path: bytes through the fast engine's decode, and through the loader and the reference.
    data = path.read_bytes()
    reports = [
        check_item(Item(path.name, data=data), Options(engine=engine, ontology=ontology), max_bytes=1 << 20)
        for engine in ("fast", "reference")
    ]
    assert reports[0] == reports[1]
    assert _full(reports[0].diagnostics) == _full(reference.diagnostics)


def test_every_ontology_rule_has_a_fixture():
    seen = set()
    for project in PROJECTS:
        for kind in ("valid", "invalid"):
            seen |= {d["rule"] for entry in _manifest(project / kind).values() for d in entry["diagnostics"]}
    assert seen == set(ONTOLOGY_RULES)


def test_ontology_rules_are_in_the_rule_table():
    assert set(ONTOLOGY_RULES) <= set(aimmo_gt.RULES)
    assert [aimmo_gt.RULES[r].severity for r in ONTOLOGY_RULES] == [
        r.severity for r in ONTOLOGY_RULES.values()
    ]


# --- Messages: allowed values, and "did you mean" after folding case and spacing.


PROJECT = load_json(ONTOLOGIES / "project" / "ontology.json")
VALID = load_json(ONTOLOGIES / "project" / "valid" / "all-attributes.json")


def _with(pointer: str, value) -> dict:
    document = copy.deepcopy(VALID)
    *parents, last = pointer.strip("/").split("/")
    node = document
    for part in parents:
        node = node[int(part)] if isinstance(node, list) else node[part]
    node[int(last) if isinstance(node, list) else last] = value
    return document


@pytest.mark.parametrize(
    ("pointer", "value", "message"),
    [
        (
            "/annotations/1/label",
            "Traffic  Light ",
            '"Traffic  Light " is not a class of bbox; did you mean "traffic light"? '
            '(classes: "car", "pedestrian", "traffic light")',
        ),
        (
            "/annotations/1/label",
            "traffic_light",  # `_` is not white space: no suggestion, the classes are listed
            '"traffic_light" is not a class of bbox (classes: "car", "pedestrian", "traffic light")',
        ),
        (
            "/annotations/0/attributes/occlusion",
            "30 %",
            '"30 %" is not a choice of "occlusion" (choices: "0%", "30%", "50%")',
        ),
        (
            "/annotations/0/attributes/lights/0",
            "Brake",
            '"Brake" is not a choice of "lights"; did you mean "brake"? (choices: "brake", "turn_left", '
            '"turn_right")',
        ),
        ("/attributes/weather", "SUNNY", '"SUNNY" is not a choice of "weather"; did you mean "sunny"? '),
    ],
)
def test_messages_name_the_allowed_values_and_suggest_a_folded_match(pointer, value, message):
    found = check(_with(pointer, value), ontology=Ontology.from_data(PROJECT)).diagnostics
    assert [d.pointer for d in found] == [pointer]
    assert found[0].message.startswith(message)


def test_an_unknown_key_suggests_the_defined_one():
    document = _with("/annotations/0/attributes", {"Occlusion": "30%"})
    found = check(document, ontology=Ontology.from_data(PROJECT)).diagnostics
    assert rule_pointers(found) == [
        ("ontology.attribute", "/annotations/0/attributes/Occlusion"),
        ("ontology.attribute-missing", "/annotations/0/attributes"),
    ]
    assert 'did you mean "occlusion"?' in found[0].message


def test_fold():
    assert fold("  Traffic \t LIGHT ") == "traffic light"
    assert fold("traffic_light") != fold("traffic light")


def test_a_format_fault_and_an_ontology_fault_are_both_reported():
    document = _with("/annotations/1/label", "Pedestrian")
    document["annotations"][1]["points"][2] = [999, 40]  # not a box any more, and outside the image
    found = check(document, ontology=Ontology.from_data(PROJECT)).diagnostics
    assert ("ontology.class", "/annotations/1/label") in rule_pointers(found)
    assert {d.rule for d in found} - {"ontology.class"} == {"geometry.bbox", "geometry.within-image"}


def test_values_of_the_wrong_shape_are_the_formats_to_report():
    document = _with("/annotations/0/attributes/occlusion", 30)
    document["annotations"][1]["label"] = ["pedestrian"]
    found = check(document, ontology=Ontology.from_data(PROJECT)).diagnostics
    assert {d.rule for d in found} == {"schema.type"}


# --- The API.


def test_ontology_argument_takes_an_object_or_a_path():
    path = ONTOLOGIES / "project" / "ontology.json"
    document = _with("/label", "Night")
    expected = [("ontology.class", "/label")]
    for ontology in (Ontology.load(path), path, str(path)):
        assert rule_pointers(check(document, ontology=ontology).diagnostics) == expected
        assert rule_pointers(aimmo_gt.iter_errors(document, ontology=ontology)) == expected
        assert not aimmo_gt.is_valid(document, ontology=ontology)
        assert aimmo_gt.is_valid(document, ontology=ontology, warn=["ontology.class"])
        with pytest.raises(aimmo_gt.ValidationError) as raised:
            aimmo_gt.validate(document, ontology=ontology)
        assert rule_pointers(raised.value.diagnostics) == expected
    assert check(document, ontology=path, ignore=["ontology."]).diagnostics == ()
    with pytest.raises(TypeError):
        check(document, ontology=PROJECT)  # type: ignore[arg-type]


def test_a_broken_ontology_raises_with_every_problem(tmp_path):
    path = tmp_path / "broken.json"
    path.write_text(json.dumps({"annotationConfigs": [{"annotationType": "bbox", "classItems": []}]}))
    with pytest.raises(OntologyError) as raised:
        check(VALID, ontology=path)
    assert raised.value.source == str(path)
    assert [p for p, _m in raised.value.problems] == ["/annotationConfigs/0/classItems"]


def test_an_ontology_crosses_processes_and_keeps_its_meaning():
    ontology = Ontology.from_data(PROJECT, "project.json")
    copied = pickle.loads(pickle.dumps(ontology))
    assert copied.source == "project.json" and copied.data == ontology.data
    assert pickle.loads(pickle.dumps(ontology)) is copied  # compiled once per process
    document = _with("/annotations/0/attributes/occlusion", "40%")
    assert copied.check(document) == ontology.check(document) != []


def test_definitions_point_into_the_ontology_file():
    ontology = Ontology.from_data(PROJECT)
    found = {
        (d.kind, d.annotation_type, d.class_value, d.key, d.value): d.pointer for d in ontology.definitions()
    }
    assert (
        found[("class", "bbox", "traffic light", None, "traffic light")]
        == "/annotationConfigs/0/classItems/2"
    )
    assert (
        found[("choice", "bbox", None, "occlusion", "50%")]
        == "/annotationConfigs/0/commonAttributes/0/choices/2"
    )
    assert (
        found[("choice", "bbox", "car", "lights", "turn_right")]
        == "/annotationConfigs/0/classItems/0/attributes/0/choices/2"
    )
    assert found[("class", None, "night", None, "night")] == "/classification/classItems/1"
    assert found[("class", "polyline", "lane", None, "lane")] == "/annotationConfigs/2/classItems/0"
    for pointer in found.values():  # each pointer leads to the definition in the file
        node = PROJECT
        for part in pointer.strip("/").split("/"):
            node = node[int(part)] if isinstance(node, list) else node[part]
        assert node


# --- The ontology file: its schema and the rules beyond it.


def _config(**changes) -> dict:
    data = copy.deepcopy(PROJECT)
    bbox = data["annotationConfigs"][0]
    for key, value in changes.items():
        bbox[key] = value
    return data


LONG = "x" * 51


@pytest.mark.parametrize(
    ("change", "pointer", "words"),
    [
        (
            lambda d: d["annotationConfigs"][0]["commonAttributes"][0].update(key="occ.lusion"),
            "/key",
            '".", "$" or "%"',
        ),
        (
            lambda d: d["annotationConfigs"][0]["commonAttributes"][0].update(key="$occlusion"),
            "/key",
            '".", "$" or "%"',
        ),
        (
            lambda d: d["annotationConfigs"][0]["commonAttributes"][0].update(key="occlusion%"),
            "/key",
            '".", "$" or "%"',
        ),
        (
            lambda d: d["annotationConfigs"][0]["commonAttributes"][0].update(key=LONG),
            "/key",
            "50 characters",
        ),
        (lambda d: d["annotationConfigs"][0]["classItems"][1].update(value=LONG), "/value", "50 characters"),
        (
            lambda d: d["annotationConfigs"][0]["commonAttributes"][0]["choices"].append(LONG),
            "/choices/3",
            "50",
        ),
        (lambda d: d["annotationConfigs"][0]["classItems"][1].update(value="car"), "/value", "defined twice"),
        (
            lambda d: d["annotationConfigs"][0]["commonAttributes"][0]["choices"].append({"value": "30%"}),
            "/choices/3",
            'choice "30%" is defined twice',
        ),
        (
            lambda d: d["annotationConfigs"][0]["classItems"][1].update(
                attributes=[{"key": "occlusion", "type": "input"}]
            ),
            "/annotationConfigs/0/classItems/1/attributes/0/key",
            "first at /annotationConfigs/0/commonAttributes/0/key",
        ),
        (
            lambda d: d["annotationConfigs"][0]["classItems"][0]["attributes"][0]["validation"].update(
                minCount=3
            ),
            "/validation/maxCount",
            "must be at least minCount",
        ),
        (
            lambda d: d["annotationConfigs"][0]["classItems"][0]["attributes"][1]["validation"].update(min=2),
            "/validation/max",
            "must be at least min",
        ),
        (
            lambda d: d["annotationConfigs"].append(
                {"annotationType": "bbox", "classItems": [{"value": "x"}]}
            ),
            "/annotationConfigs/3/annotationType",
            "configured twice",
        ),
        (
            lambda d: d["annotationConfigs"][0].update(annotationType="box"),
            "/annotationType",
            "must be one of",
        ),
        (
            lambda d: d["annotationConfigs"][0]["classItems"][1].update(valeu="x"),
            "/valeu",
            'did you mean "value"',
        ),
        (
            lambda d: d["annotationConfigs"][0]["commonAttributes"][0].pop("choices"),
            "/commonAttributes/0",
            "choices",
        ),
        (
            lambda d: d["annotationConfigs"][0]["classItems"][0]["attributes"][2].update(
                validation={"min": 1}
            ),
            "/classItems/0/attributes/2",
            '"format" is required',
        ),
        (
            lambda d: d["annotationConfigs"][0]["commonAttributes"][0].update(validation={"minCount": 1}),
            "/commonAttributes/0/validation",
            "not allowed",
        ),
        (lambda d: d.pop("annotationConfigs"), "", '"annotationConfigs" is required'),
    ],
)
def test_what_aimmo_settings_cannot_hold_is_refused(change, pointer, words):
    data = copy.deepcopy(PROJECT)
    change(data)
    with pytest.raises(OntologyError) as raised:
        Ontology.from_data(data, "project.json")
    assert any(p.endswith(pointer) and words in m for p, m in raised.value.problems), raised.value.problems


def test_fifty_code_points_are_allowed_whatever_their_bytes():
    data = copy.deepcopy(PROJECT)
    data["annotationConfigs"][0]["classItems"][1]["value"] = "차" * 50
    data["annotationConfigs"][0]["commonAttributes"][0]["choices"].append("\U0001f600" * 50)
    Ontology.from_data(data)


def test_choices_may_hold_percent_and_one_class_value_may_serve_several_types():
    data = copy.deepcopy(PROJECT)
    data["annotationConfigs"][1]["classItems"].append({"value": "car"})
    assert (
        Ontology.from_data(data).configs["polygon"].classes["car"].pointer
        == "/annotationConfigs/1/classItems/1"
    )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('{"annotationConfigs": [}', "not valid JSON (line 1 column 24)"),
        ('{"annotationConfigs": [], "annotationConfigs": []}', '"annotationConfigs" appears twice'),
        ('{"annotationConfigs": [NaN]}', "NaN is not JSON"),
        ("", "not valid JSON"),
    ],
)
def test_a_file_that_is_not_json_is_refused(tmp_path, text, message):
    path = tmp_path / "ontology.json"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(OntologyError) as raised:
        Ontology.load(path)
    assert message in raised.value.problems[0][1]


def test_yaml_is_read_with_the_same_checks(tmp_path):
    yaml = pytest.importorskip("yaml")
    path = tmp_path / "ontology.yaml"
    path.write_text(yaml.safe_dump(PROJECT), encoding="utf-8")
    assert Ontology.load(path).data == PROJECT
    broken = copy.deepcopy(PROJECT)
    broken["annotationConfigs"][0]["commonAttributes"][0]["choices"] = [True, "30%"]  # YAML's `yes`
    path.write_text(yaml.safe_dump(broken), encoding="utf-8")
    with pytest.raises(OntologyError) as raised:
        Ontology.load(path)
    assert [p for p, _ in raised.value.problems] == ["/annotationConfigs/0/commonAttributes/0/choices/0"]
    path.write_text("annotationConfigs: [\n", encoding="utf-8")
    with pytest.raises(OntologyError, match="not valid YAML"):
        Ontology.load(path)


def test_yaml_without_pyyaml_says_how_to_get_it(tmp_path, monkeypatch):
    path = tmp_path / "ontology.yml"
    path.write_text("annotationConfigs: []\n", encoding="utf-8")
    monkeypatch.setitem(sys.modules, "yaml", None)
    with pytest.raises(OntologyError, match=r"pip install 'aimmo-gt\[yaml\]'"):
        Ontology.load(path)


# --- The command line.


def _json_report(capsys) -> dict[str, list[tuple[str, str]]]:
    report = json.loads(capsys.readouterr().out)
    return {
        Path(f["path"]).name: sorted((d["rule"], d["pointer"]) for d in f["diagnostics"])
        for f in report["files"]
    }


@pytest.mark.parametrize("project", PROJECTS, ids=lambda p: p.name)
def test_cli_reports_every_fault_and_skips_the_ontology_file(project, capsys):
    ontology = project / "ontology.json"
    status = main(
        [
            "validate",
            "--no-dataset",
            "--format",
            "json",
            "--jobs",
            "2",
            "--ontology",
            str(ontology),
            str(project),
        ]
    )
    found = _json_report(capsys)
    expected = {
        path.name: _expected(_manifest(path.parent).get(path.name))
        for kind in ("valid", "invalid")
        for path in (project / kind).glob("*.json")
    }
    assert status == 1
    assert found == expected
    assert main(["validate", "--no-dataset", "--ontology", str(ontology), str(project / "valid")]) == 0


def test_cli_lowers_and_ignores_ontology_rules(capsys):
    folder, ontology = ONTOLOGIES / "project" / "invalid", ONTOLOGIES / "project" / "ontology.json"
    status = main(
        ["validate", "--no-dataset", "-q", "--ontology", str(ontology), "--ignore", "ontology.", str(folder)]
    )
    assert (status, capsys.readouterr().out) == (0, "")
    status = main(
        ["validate", "--no-dataset", "-q", "--ontology", str(ontology), "--warn", "ontology.", str(folder)]
    )
    out = capsys.readouterr().out
    assert status == 0 and out.count("(warning)") == len(list(folder.glob("*.json")))


def test_cli_broken_ontology_is_a_usage_error_naming_file_and_pointer(tmp_path, capsys):
    data = copy.deepcopy(PROJECT)
    data["annotationConfigs"][0]["classItems"][1]["value"] = "car"
    path = tmp_path / "ontology.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    status = main(["validate", "--ontology", str(path), str(ONTOLOGIES / "project" / "valid")])
    captured = capsys.readouterr()
    assert status == 2 and captured.out == ""
    assert "nothing was checked" in captured.err
    assert f'{path}:/annotationConfigs/0/classItems/1/value: class "car" is defined twice' in captured.err
    assert "Traceback" not in captured.err
    assert main(["validate", "--ontology", str(tmp_path / "missing.json"), str(tmp_path)]) == 2
    assert "cannot read the ontology file" in capsys.readouterr().err


# --- Speed: a clean file with an ontology never leaves the fast engine.


def test_a_file_clean_for_the_format_is_checked_on_what_the_fast_engine_decoded(monkeypatch):
    from aimmo_gt import _loading, _validator

    def refuse(*args, **kwargs):
        raise AssertionError("the loader or the reference engine was called")

    monkeypatch.setattr(_loading, "load_positioned", refuse)
    monkeypatch.setattr(_validator, "document_diagnostics", refuse)
    ontology = Ontology.from_data(PROJECT)
    options = Options(ontology=ontology)
    clean = json.dumps(VALID).encode()
    assert check_item(Item("a.json", data=clean), options, 1 << 20).diagnostics == ()
    faulty = json.dumps(_with("/annotations/1/label", "Pedestrian")).encode()
    report = check_item(Item("b.json", data=faulty), options, 1 << 20)
    assert rule_pointers(report.diagnostics) == [("ontology.class", "/annotations/1/label")]


def test_annotations_found_clean_before_are_not_looked_at_again_and_faults_always_are(monkeypatch):
    options = Options(ontology=Ontology.from_data(PROJECT))
    looked_at: list[int] = []
    annotations = Ontology._annotations

    def counting(self, view):
        looked_at.append(len(view.kinds))
        return annotations(self, view)

    def found(document: dict) -> list[tuple[str, str]]:
        data = json.dumps(document).encode()
        return rule_pointers(check_item(Item("a.json", data=data), options, 1 << 20).diagnostics)

    monkeypatch.setattr(Ontology, "_annotations", counting)
    faulty = _with("/annotations/1/label", "Pedestrian")
    assert found(VALID) == []
    assert looked_at == [len(VALID["annotations"])]
    assert found(VALID) == []  # every (type, label, attributes) known clean: not looked at
    assert found(faulty) == [("ontology.class", "/annotations/1/label")]
    assert found(faulty) == [("ontology.class", "/annotations/1/label")]  # a fault is never "known"
    assert looked_at == [len(VALID["annotations"])] * 3


def test_the_readme_example_prints_what_the_readme_says(tmp_path, capsys, monkeypatch):
    readme = (TESTS.parent / "README.md").read_text(encoding="utf-8")
    section = readme.split("## A project's ontology\n", 1)[1].split("\n## ", 1)[0]
    ontology, frame = re.findall(r"```json\n(.*?)```", section, re.DOTALL)
    (console,) = re.findall(r"```console\n(.*?)```", section, re.DOTALL)
    command, *expected = console.splitlines()
    (tmp_path / "ontology.json").write_text(ontology, encoding="utf-8")
    (tmp_path / "frame.json").write_text(frame, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    assert command.startswith("$ aimmo-gt ")
    assert main(command.removeprefix("$ aimmo-gt ").split()) == 1
    assert capsys.readouterr().out.splitlines() == expected


def test_a_failure_of_the_ontology_check_costs_one_file_not_the_run(monkeypatch):
    ontology = Ontology.from_data(PROJECT)

    def fail(*args, **kwargs):
        raise RuntimeError("boom")

    data = json.dumps(_with("/annotations/1/label", "Pedestrian")).encode()
    # The fast path's check fails: the file takes the slow path, which gives the same report.
    expected = check_item(Item("a.json", data=data), Options(ontology=ontology), 1 << 20)
    monkeypatch.setattr(Ontology, "check_decoded", fail)
    assert check_item(Item("a.json", data=data), Options(ontology=ontology), 1 << 20) == expected
    # Both fail: an internal.error for the file, never an exception.
    monkeypatch.setattr(Ontology, "check", fail)
    report = check_item(Item("a.json", data=data), Options(ontology=ontology), 1 << 20)
    assert [d.rule for d in report.diagnostics] == ["internal.error"]


def test_a_type_alias_is_checked_against_the_ontology_as_its_documented_type():
    document = load_json(TESTS / "fixtures" / "valid" / "vendor-keypoint.json")
    document["annotations"][0]["type"] = "landmark"
    document["annotations"][0]["attributes"] = {}
    label = document["annotations"][0]["label"]
    keypoint = {"annotationType": "keypoint", "classItems": [{"value": label}]}
    for engine in ("fast", "reference"):
        found = check(document, ontology=Ontology.from_data({"annotationConfigs": [keypoint]}), engine=engine)
        assert rule_pointers(found.diagnostics) == [("annotation.type-alias", "/annotations/0/type")]
        other = {"annotationConfigs": [{**keypoint, "classItems": [{"value": label + "-x"}]}]}
        found = check(document, ontology=Ontology.from_data(other), engine=engine)
        assert ("ontology.class", "/annotations/0/label") in rule_pointers(found.diagnostics)
        bbox_only = {"annotationConfigs": [{"annotationType": "bbox", "classItems": [{"value": label}]}]}
        found = check(document, ontology=Ontology.from_data(bbox_only), engine=engine)
        assert ("ontology.type", "/annotations/0/type") in rule_pointers(found.diagnostics)
