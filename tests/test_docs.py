"""docs/reference.md is current, covers every schema, field and keyword, and its links land."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import load_script

REPO = Path(__file__).resolve().parents[1]
REFERENCE = REPO / "docs" / "reference.md"
VERSION_DIR = REPO / "schemas" / "v1"


docs = load_script("docs")
TEXT = docs.render()


def _load(path: str) -> dict:
    return json.loads((VERSION_DIR / path).read_text(encoding="utf-8"))


def _section(anchor: str) -> str:
    """The text from a section's anchor to the next anchor of a section of the same or a higher level."""
    start = TEXT.index(f'<a id="{anchor}"></a>')
    level = re.search(r"\n(#+) ", TEXT[start:]).group(1)
    following = re.compile(rf"\n<a id=\"[^\"]+\"></a>\n\n#{{1,{len(level)}}} ")
    end = following.search(TEXT, start + 1)
    return TEXT[start : end.start() if end else len(TEXT)]


def test_committed_reference_is_current():
    current = REFERENCE.read_text(encoding="utf-8") if REFERENCE.exists() else None
    assert current == TEXT, "docs/reference.md is stale: run `python scripts/docs.py` and commit the result"


def test_generation_is_deterministic():
    # Rendered in two fresh interpreters with different hash seeds: twice in one process, set and
    # dict order could not differ, and the test could not fail.
    code = "import sys; sys.path.insert(0, 'scripts'); import docs; sys.stdout.write(docs.render())"
    outputs = [
        subprocess.run(
            [sys.executable, "-c", code],
            cwd=REPO,
            capture_output=True,
            text=True,
            check=True,
            env={**os.environ, "PYTHONHASHSEED": seed},
        ).stdout
        for seed in ("1", "2")
    ]
    assert outputs[0] == outputs[1] == TEXT


def test_every_link_in_the_page_lands():
    anchors = set(re.findall(r'<a id="([^"]+)"></a>', TEXT))
    targets = set(re.findall(r"\]\(#([^)]+)\)", TEXT))
    assert targets - anchors == set()
    for relative in re.findall(r"\]\(([^#)][^)]*)\)", TEXT):
        assert (REFERENCE.parent / relative).exists(), relative


@pytest.mark.parametrize("name", _load("document.json")["$defs"]["annotation"]["properties"]["type"]["enum"])
def test_each_annotation_type_has_a_section_with_every_field_and_rule(name: str):
    schema = _load(f"annotations/{name}.json")
    section = _section(f"annotation-{name.replace('_', '-').lower()}")
    assert f"### {schema['title']} (`{name}`)" in section
    assert schema["description"] in section
    common = _load("defs/annotation.json")
    required = set(schema["required"]) | set(common["required"])
    for field in [*common["properties"], *schema["properties"]]:
        row = re.search(rf"^\| `{field}` \| .*$", section, re.MULTILINE)
        assert row, f"{name}: no row for {field}"
        assert row.group(0).split(" | ")[2] == ("yes" if field in required else "no"), row.group(0)
    keywords = [k for k in schema if k in docs.Schemas().vocabulary]
    for keyword in keywords:
        assert f"[`{keyword}`](#keyword-{keyword.lower()})" in section
    assert json.dumps(schema["examples"][0], indent=2, ensure_ascii=False) in section


@pytest.mark.parametrize(
    "path",
    sorted(p.name for p in (VERSION_DIR / "profiles").glob("*.json") if not p.name.endswith(".bundle.json")),
)
def test_each_profile_has_a_section_with_its_narrowing_and_example(path: str):
    schema = _load(f"profiles/{path}")
    name = path.removesuffix(".json")
    section = _section(f"profile-{name}")
    assert f"### {schema['title']} (`{name}`)" in section
    assert f"`schemas/v1/profiles/{name}.bundle.json`" in section
    types = schema["properties"]["annotations"]["items"]["properties"]["type"]["enum"]
    line = next(line for line in section.splitlines() if line.startswith("- `annotations[].type`"))
    assert re.findall(r"\[`([^`]+)`\]", line) == types
    for field in schema.get("required", []):
        assert f"- `{field}`: required" in section
    for field, sub in schema["properties"].items():
        if sub is False:
            assert f"- `{field}`: not allowed" in section
    assert json.dumps(schema["examples"][0], indent=2, ensure_ascii=False) in section


@pytest.mark.parametrize("path", sorted(p.name for p in (VERSION_DIR / "defs").glob("*.json")))
def test_each_shared_definition_has_a_section(path: str):
    schema = _load(f"defs/{path}")
    section = _section(f"defs-{path.removesuffix('.json')}")
    assert f"### {schema['title']} (`defs/{path}`)" in section
    for field in schema.get("properties", {}):
        assert re.search(rf"^\| `{field}` \|", section, re.MULTILINE), field
    for name, variant in schema.get("$defs", {}).items():
        assert f"#### {variant['title']} (`$defs/{name}`)" in section
    for example in schema["examples"]:
        assert json.dumps(example, indent=2, ensure_ascii=False) in section


def test_the_document_section_lists_every_field_and_every_type():
    schema = _load("document.json")
    section = _section("document")
    for field in schema["properties"]:
        required = "yes" if field in schema["required"] else "no"
        assert re.search(rf"^\| `{field}` \| [^\n]* \| {required} \|", section, re.MULTILINE), field
    for name in schema["$defs"]["annotation"]["properties"]["type"]["enum"]:
        assert f"- `{name}`: [" in section


def test_every_keyword_and_format_is_explained_in_the_vocabulary_words():
    vocabulary = _load("meta/vocabulary.json")["properties"]
    for name, shape in vocabulary.items():
        row = next(line for line in TEXT.splitlines() if f'<a id="keyword-{name.lower()}"></a>' in line)
        assert shape["description"].replace("|", "\\|") in row
    for name in ("objectid", "annotation-id"):
        assert f'<a id="format-{name}"></a>`{name}`' in TEXT


def _copy(tmp_path: Path) -> Path:
    copy = tmp_path / "v1"
    shutil.copytree(VERSION_DIR, copy)
    return copy


def test_a_changed_description_changes_the_reference(tmp_path: Path):
    copy = _copy(tmp_path)
    path = copy / "annotations" / "polyline.json"
    schema = json.loads(path.read_text("utf-8"))
    schema["properties"]["points"]["description"] = "Every vertex of the line, in drawing order."
    path.write_text(json.dumps(schema), encoding="utf-8")
    changed = docs.render(copy)
    assert changed != TEXT
    assert (
        "| `points` | array of [Image point](#defs-point) | yes | at least 2 items | Every vertex" in changed
    )


def test_a_keyword_the_generator_cannot_word_is_an_error_not_a_silent_gap(tmp_path: Path):
    copy = _copy(tmp_path)
    path = copy / "annotations" / "polygon.json"
    schema = json.loads(path.read_text("utf-8"))
    schema["properties"]["points"]["contains"] = {"const": [0, 0]}
    path.write_text(json.dumps(schema), encoding="utf-8")
    with pytest.raises(docs.Unsupported, match="contains"):
        docs.render(copy)
