"""The code in docs/consume.md runs and says what it claims, and its tables match the vocabulary."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tomllib
from pathlib import Path
from urllib.parse import unquote

import pytest

from aimmo_gt._formats import _ANNOTATION_ID, _OBJECT_ID
from aimmo_gt._formats import PATTERNS as FORMAT_PATTERNS
from aimmo_gt._keywords import KEYWORDS

from .conftest import require_node

REPO = Path(__file__).resolve().parents[2]
CONSUME = (REPO / "docs" / "consume.md").read_text(encoding="utf-8")
IMAGE_BUNDLE = "schemas/v1/profiles/image.bundle.json"
VALID = "tests/fixtures/valid/realistic-image.json"
BAD_OBJECT_ID = "tests/fixtures/invalid/format-objectid.json"  # /file_id
BAD_TYPE = "tests/fixtures/invalid/schema-type.json"  # /metadata/width is a string
BAD_BBOX = "tests/fixtures/invalid/geometry-bbox.json"  # /annotations/0/points/2: vocabulary only


def _blocks(language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", CONSUME, re.DOTALL)


def _run(command: list[str], **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=120, **kwargs)


@pytest.fixture(scope="module")
def python_snippets(tmp_path_factory) -> list[Path]:
    folder = tmp_path_factory.mktemp("consume")
    paths = []
    for i, code in enumerate(_blocks("python")):
        paths.append(folder / f"snippet{i}.py")
        paths[-1].write_text(code, encoding="utf-8")
    assert len(paths) == 2, "consume.md should have the aimmo_gt and the python-jsonschema examples"
    return paths


def test_python_full_check_example_reports_rule_and_pointer(python_snippets):
    full = python_snippets[0]
    assert _run([sys.executable, str(full), VALID]).returncode == 0
    done = _run([sys.executable, str(full), BAD_BBOX])
    assert done.returncode == 1
    assert "error geometry.bbox /annotations/0/points/2:" in done.stdout


def test_python_jsonschema_example_checks_structure_and_formats_but_not_the_vocabulary(python_snippets):
    plain = python_snippets[1]
    assert _run([sys.executable, str(plain), IMAGE_BUNDLE, VALID]).returncode == 0
    done = _run([sys.executable, str(plain), IMAGE_BUNDLE, BAD_OBJECT_ID])
    assert (done.returncode, done.stdout.split(":")[0]) == (1, "$.file_id"), done.stdout
    done = _run([sys.executable, str(plain), IMAGE_BUNDLE, BAD_TYPE])
    assert (done.returncode, done.stdout.split(":")[0]) == (1, "$.metadata.width"), done.stdout
    # What the page says: an engine without our vocabulary accepts this bbox.
    assert _run([sys.executable, str(plain), IMAGE_BUNDLE, BAD_BBOX]).returncode == 0


def test_javascript_example_checks_structure_and_formats_but_not_the_vocabulary(node_harness, tmp_path):
    node_harness = require_node(node_harness)
    code = _blocks("js")[0]
    script = tmp_path / "validate.mjs"
    script.write_text(code, encoding="utf-8")
    # ajv as the page says to install it: the harness's pinned copy, found through node_modules.
    (tmp_path / "node_modules").symlink_to(node_harness.parent / "node_modules", target_is_directory=True)
    node = ["node", str(script), str(REPO / IMAGE_BUNDLE)]
    done = _run([*node, str(REPO / VALID)])
    assert done.returncode == 0, done.stderr
    done = _run([*node, str(REPO / BAD_OBJECT_ID)])
    # The pattern beside the format, and the format.
    assert (done.returncode, done.stdout.splitlines()) == (
        1,
        [
            f'/file_id: must match pattern "{FORMAT_PATTERNS["objectid"]}"',
            '/file_id: must match format "objectid"',
        ],
    ), done
    done = _run([*node, str(REPO / BAD_TYPE)])
    assert (done.returncode, done.stdout.strip()) == (1, "/metadata/width: must be integer"), done
    assert _run([*node, str(REPO / BAD_BBOX)]).returncode == 0


def test_keyword_table_matches_the_vocabulary_and_the_rule_table():
    rows = re.findall(r"^\| `(\w+)` \| [^|]+ \| `([\w.-]+)` \| (error|warning) \|", CONSUME, re.MULTILINE)
    assert rows == [(k.name, k.rule, k.severity) for k in KEYWORDS.values()]


def test_format_table_gives_the_expressions_the_validator_uses():
    rows = dict(re.findall(r"^\| `([\w-]+)` \| [^\n]* \| `([^`]+)` \|$", CONSUME, re.MULTILINE))
    assert rows == {"objectid": _OBJECT_ID.pattern, "annotation-id": _ANNOTATION_ID.pattern}


def test_javascript_example_of_the_derived_schema_checks_the_ontology(node_harness, tmp_path):
    """The page's section on a project's ontology: the derived schema, in plain strict ajv."""
    from aimmo_gt import Ontology
    from aimmo_gt._ontology import derived_schema

    node_harness = require_node(node_harness)
    blocks = _blocks("js")
    assert len(blocks) == 2, "consume.md should have the bundle and the derived-schema ajv examples"
    script = tmp_path / "validate-project.mjs"
    script.write_text(blocks[1], encoding="utf-8")
    (tmp_path / "node_modules").symlink_to(node_harness.parent / "node_modules", target_is_directory=True)
    project = REPO / "tests" / "ontology" / "project"
    schema = tmp_path / "project.schema.json"
    schema.write_text(json.dumps(derived_schema(Ontology.load(project / "ontology.json"), "image")), "utf-8")
    node = ["node", str(script), str(schema)]
    done = _run([*node, str(project / "valid" / "all-attributes.json")])
    assert done.returncode == 0, done.stderr
    done = _run([*node, str(project / "invalid" / "ontology-class.json")])
    assert (
        done.returncode == 1
        and "/annotations/1/label: must be equal to one of the allowed values" in done.stdout
    )
    done = _run([*node, str(project / "invalid" / "ontology-range.json")])
    assert done.returncode == 0, "the page says a number input's min/max is not in the derived schema"


def test_the_rust_crate_pinned_is_the_release_ci_runs():
    pyproject = tomllib.loads((REPO / "pyproject.toml").read_text("utf-8"))
    (pin,) = [
        d for d in pyproject["project"]["optional-dependencies"]["test"] if d.startswith("jsonschema-rs")
    ]
    assert re.findall(r"cargo add jsonschema@=(\S+) ", CONSUME) == [pin.split("==")[1]]


def test_the_vs_code_settings_name_profiles_of_the_tree():
    (block,) = _blocks("json")
    settings = json.loads(block)["json.schemas"]
    assert settings
    for entry in settings:
        path = REPO / entry["url"]
        assert path.is_file() and path.parent.name == "profiles" and not path.name.endswith(".bundle.json")
        assert all(pattern.startswith("/") and pattern.endswith(".json") for pattern in entry["fileMatch"])


def test_the_pointer_to_an_embedded_resource_is_the_bundles_key():
    (pointer,) = re.findall(r"`(https://schemas\.aimmo-gt\.org/v1/document\.bundle\.json#[^`]+)`", CONSUME)
    base, fragment = pointer.split("#")
    bundle = json.loads((REPO / "schemas" / "v1" / "document.bundle.json").read_text("utf-8"))
    assert bundle["$id"] == base
    key = unquote(fragment).removeprefix("/$defs/").replace("~1", "/").replace("~0", "~")
    assert bundle["$defs"][key]["$id"] == key == "https://schemas.aimmo-gt.org/v1/annotations/bbox.json"
