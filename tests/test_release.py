"""One version number for the Python package, the npm package and the schemas, named by the CHANGELOG
and by the README's pre-commit snippet (whose tag the release puts on main)."""

from __future__ import annotations

import json
import re
import tomllib
from pathlib import Path

from aimmo_gt._schemas import schema
from conftest import readme_pre_commit_snippet

REPO = Path(__file__).resolve().parents[1]


def _version() -> str:
    return tomllib.loads((REPO / "pyproject.toml").read_text("utf-8"))["project"]["version"]


def test_the_version_is_semantic():
    assert re.fullmatch(r"(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)", _version())


def test_python_npm_and_schemas_share_the_version():
    npm = json.loads((REPO / "js" / "package.json").read_text("utf-8"))["version"]
    assert {
        "pyproject.toml": _version(),
        "js/package.json": npm,
        "document.json": schema("document.json")["version"],
    } == dict.fromkeys(("pyproject.toml", "js/package.json", "document.json"), _version())


def test_the_changelog_starts_with_the_version():
    headings = re.findall(r"^## (\S+)", (REPO / "CHANGELOG.md").read_text("utf-8"), flags=re.MULTILINE)
    assert headings[0] == _version()
    assert len(headings) == len(set(headings))


def test_the_pre_commit_snippet_names_the_release_tag_and_keeps_other_json_out():
    snippet = readme_pre_commit_snippet()
    assert re.findall(r"^\s+rev: (\S+)$", snippet, flags=re.MULTILINE) == [f"v{_version()}"]
    assert re.search(r"^\s+files: \S+$", snippet, flags=re.MULTILINE)
