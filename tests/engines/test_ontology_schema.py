"""The schema `aimmo-gt ontology schema` derives: python-jsonschema, jsonschema-rs and ajv agree with us."""

from __future__ import annotations

import json
import subprocess
from importlib.metadata import version
from pathlib import Path

import jsonschema_rs
import pytest
from jsonschema import Draft202012Validator
from jsonschema_specifications import REGISTRY as SPECIFICATIONS
from referencing.jsonschema import DRAFT202012

from aimmo_gt import Ontology, check
from aimmo_gt._cli import main
from aimmo_gt._ontology import ONTOLOGY_RULES, derived_schema

from .conftest import require_node

ONTOLOGIES = Path(__file__).resolve().parents[1] / "ontology"
#: What standard keywords cannot state: a number input's min/max (a number written as a string).
NOT_STRUCTURAL = {"ontology.range"}


def _cases() -> list[tuple[str, str, dict, bool]]:
    """(project, label, document, the verdict the derived schema must give): valid when our check
    gives no error other than those standard keywords cannot state."""
    cases = []
    for project in sorted(p for p in ONTOLOGIES.iterdir() if (p / "ontology.json").exists()):
        ontology = Ontology.load(project / "ontology.json")
        for path in sorted(project.glob("*/*.json")):
            document = json.loads(path.read_text(encoding="utf-8"))
            errors = [d.rule for d in check(document, ontology=ontology).diagnostics if d.severity == "error"]
            assert all(rule.startswith("ontology.") for rule in errors), (path, errors)
            expected = not (set(errors) - NOT_STRUCTURAL)
            cases.append((project.name, f"{project.name}/{path.parent.name}/{path.name}", document, expected))
    return cases


CASES = _cases()
PROFILES = (None, "image")


def _schemas() -> dict[str, dict]:
    return {
        f"{project}:{profile or 'document'}": derived_schema(
            Ontology.load(ONTOLOGIES / project / "ontology.json"), profile
        )
        for project in sorted({c[0] for c in CASES})
        for profile in PROFILES
    }


SCHEMAS = _schemas()


def _checks() -> list[tuple[str, int]]:
    return [(name, i) for name in SCHEMAS for i, case in enumerate(CASES) if name.startswith(f"{case[0]}:")]


CHECKS = _checks()


def _python(name: str, document: object) -> bool:
    schema = SCHEMAS[name]
    registry = SPECIFICATIONS.with_resource(schema["$id"], DRAFT202012.create_resource(schema)).crawl()
    return Draft202012Validator(schema, registry=registry).is_valid(document)


def _rust(name: str, document: object) -> bool:
    return jsonschema_rs.validator_for(SCHEMAS[name], validate_formats=False, offline=True).is_valid(document)


@pytest.fixture(scope="module")
def js_report(node_harness: Path | None) -> dict:
    harness = require_node(node_harness)
    payload = {
        "bundles": SCHEMAS,
        "formats": [],
        "tree": {},
        "standard": {},
        "instances": [case[2] for case in CASES],
        "checks": [{"bundle": name, "target": None, "instance": i} for name, i in CHECKS],
    }
    done = subprocess.run(
        ["node", str(harness)], input=json.dumps(payload), capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr
    # The harness's engines over bundles (its others read the schema tree, which a derived schema is not).
    engines = json.loads(done.stdout)["engines"]
    return {name: engines[name] for name in ("ajv (bundles)", "@hyperjump/json-schema (bundles)")}


def test_the_fixtures_hold_a_rejected_document_per_structural_ontology_rule():
    rejected = {
        d.rule
        for project, _label, document, _expected in CASES
        for d in check(document, ontology=ONTOLOGIES / project / "ontology.json").diagnostics
        if d.severity == "error"
    }
    assert rejected == {r for r, rule in ONTOLOGY_RULES.items() if rule.severity == "error"}
    assert any(expected for *_, expected in CASES) and not all(expected for *_, expected in CASES)


def test_standard_keywords_only():
    for name, schema in SCHEMAS.items():
        Draft202012Validator.check_schema(schema)
        text = json.dumps(schema)
        assert "meta/dialect.json" not in text and '"format"' not in text, name
        for keyword in ("bboxCorners", "withinImage", "runLength", "uniqueIds", "ordered", "version"):
            assert f'"{keyword}"' not in text, (name, keyword)


def test_every_engine_gives_our_verdict(js_report: dict):
    engines = {
        f"python-jsonschema {version('jsonschema')}": [_python(n, CASES[i][2]) for n, i in CHECKS],
        f"jsonschema-rs {version('jsonschema-rs')}": [_rust(n, CASES[i][2]) for n, i in CHECKS],
    }
    for name, report in js_report.items():
        assert "failed" not in report, f"{name}: {report.get('failed')}"
        assert report["warnings"] == [], name
        engines[f"{name} {report['version']}"] = [v["valid"] for v in report["verdicts"]]
    wrong = []
    for engine, verdicts in engines.items():
        # Each engine ran every check, and accepted and rejected something.
        assert len(verdicts) == len(CHECKS) and True in verdicts and False in verdicts, engine
        for (name, i), valid in zip(CHECKS, verdicts, strict=True):
            if valid != CASES[i][3]:
                wrong.append(
                    f"{engine}: {CASES[i][1]} against {name} should be "
                    + ("valid" if CASES[i][3] else "invalid")
                )
    print(
        f"\n{len(CHECKS)} checks of {len(CASES)} documents against {len(SCHEMAS)} derived schemas: "
        f"{list(engines)}"
    )
    assert not wrong, "\n".join(wrong)


def test_cli_writes_the_derived_schema(tmp_path, capsys):
    out = tmp_path / "project.schema.json"
    ontology = ONTOLOGIES / "project" / "ontology.json"
    assert main(["ontology", "schema", str(ontology), "--profile", "image", "-o", str(out)]) == 0
    assert json.loads(out.read_text(encoding="utf-8")) == SCHEMAS["project:image"]
    assert main(["ontology", "schema", str(ontology)]) == 0
    assert json.loads(capsys.readouterr().out) == SCHEMAS["project:document"]
    broken = tmp_path / "broken.json"
    broken.write_text('{"annotationConfigs": {}}', encoding="utf-8")
    assert main(["ontology", "schema", str(broken)]) == 2
    assert f"{broken}:/annotationConfigs:" in capsys.readouterr().err
