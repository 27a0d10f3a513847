"""Sourcemeta's JSON Schema CLI (npm @sourcemeta/jsonschema): every schema file is valid against its
meta-schema (our dialect included, read from the tree), and the tree passes its linter."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

from aimmo_gt._schemas import schema_files

from .conftest import JS_DIR, locked_version, require_node

REPO = Path(__file__).resolve().parents[2]
VERSION_DIR = REPO / "schemas" / "v1"

#: The linter's rules we do not follow, each with the reason; every other rule of the pinned version
#: runs. (This is the one place they are listed; docs/consume.md points here.)
EXCLUDED_LINT_RULES = {
    "description_trailing_period": (
        "our descriptions are sentences, rendered as prose in docs/reference.md and in editors' hovers"
    ),
    "unnecessary_allof_ref_wrapper_modern": (
        "each annotation type and profile puts its $ref inside allOf on purpose: VS Code's JSON language "
        "service ignores the siblings of a $ref (812 false accepts over the engines corpus before)"
    ),
    "enum_to_const": (
        "a profile lists the annotation types it allows as an enum, one or several, the same way in "
        "every profile (tests/test_fast_model.py reads them so)"
    ),
    "orphan_definitions": (
        "defs/metadata.json's $defs (image, video, empty) are used by the profiles, from other files, "
        "which a one-file lint cannot see"
    ),
    "unknown_format_prefix": (
        "`objectid` and `annotation-id` are the names of v1's formats (our vocabulary); each has a "
        "standard `pattern` beside it for engines that do not know it"
    ),
}


def _cli(node_harness: Path | None) -> list[str]:
    require_node(node_harness)
    return ["node", str(JS_DIR / "node_modules" / "@sourcemeta" / "jsonschema" / "npm" / "cli.js")]


def _run(command: list[str], cwd: Path = REPO) -> subprocess.CompletedProcess:
    return subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=300)


def _lint(cli: list[str], version_dir: Path) -> subprocess.CompletedProcess:
    ignored = [arg for p in sorted(version_dir.rglob("*.bundle.json")) for arg in ("--ignore", str(p))]
    excluded = [arg for rule in EXCLUDED_LINT_RULES for arg in ("--exclude", rule)]
    resolve = ["--resolve", str(version_dir)]
    return _run([*cli, "lint", str(version_dir), *resolve, *ignored, *excluded, "--json"])


def test_the_cli_is_the_locked_version(node_harness):
    done = _run([*_cli(node_harness), "--version"])
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == locked_version("@sourcemeta/jsonschema")


def test_every_schema_file_and_bundle_is_valid_against_its_meta_schema(node_harness):
    done = _run([*_cli(node_harness), "metaschema", str(VERSION_DIR), "--resolve", str(VERSION_DIR)])
    assert done.returncode == 0, done.stdout + done.stderr
    # It ran over every file: the tree (our dialect among the meta-schemas it resolved) and the bundles.
    count = len(list(VERSION_DIR.rglob("*.json")))
    assert len(schema_files()) < count
    assert re.search(rf"\b{count} validated, {count} passed, 0 failed\b", done.stdout + done.stderr), (
        done.stdout + done.stderr
    )


def test_the_tree_passes_the_linter(node_harness):
    done = _lint(_cli(node_harness), VERSION_DIR)
    report = json.loads(done.stdout)
    assert (done.returncode, report["valid"], report["errors"]) == (0, True, []), done.stdout + done.stderr


def test_excluded_lint_rules_exist_and_fire(node_harness, tmp_path: Path):
    """Each excluded rule is a rule of the pinned linter that our tree would break (else it should not be
    excluded); and a rule that is not excluded fails the lint when a schema file breaks it."""
    cli = _cli(node_harness)
    listed = _run([*cli, "lint", "--list"]).stdout
    rules = set(re.findall(r"^([a-z0-9_]+)$", listed, flags=re.MULTILINE))
    assert len(rules) > 50 and set(EXCLUDED_LINT_RULES) <= rules
    ignored = [arg for p in sorted(VERSION_DIR.rglob("*.bundle.json")) for arg in ("--ignore", str(p))]
    for rule in EXCLUDED_LINT_RULES:
        only = _run([*cli, "lint", str(VERSION_DIR), "-r", str(VERSION_DIR), *ignored, "--only", rule])
        assert only.returncode != 0 and f"({rule})" in only.stdout + only.stderr, f"{rule} never fires here"
    copy = tmp_path / "v1"
    shutil.copytree(VERSION_DIR, copy)
    entity = copy / "annotations" / "entity.json"
    contents = json.loads(entity.read_text("utf-8"))
    contents["properties"]["text"]["enum"] = ["a", "a"]
    entity.write_text(json.dumps(contents, indent=2), encoding="utf-8")
    report = json.loads(_lint(cli, copy).stdout)
    assert report["valid"] is False
    assert "duplicate_enum_values" in json.dumps(report["errors"]), report


def test_metaschema_catches_a_misspelt_keyword_in_a_schema_file(node_harness, tmp_path: Path):
    """Our strict dialect makes an unknown keyword an error of the meta-schema check, here in another
    engine than ours (tests/test_schema_tree.py has python-jsonschema's)."""
    cli = _cli(node_harness)
    copy = tmp_path / "v1"
    shutil.copytree(VERSION_DIR, copy, ignore=shutil.ignore_patterns("*.bundle.json"))
    bbox = copy / "annotations" / "bbox.json"
    contents = json.loads(bbox.read_text("utf-8"))
    contents["properties"]["points"]["bboxCorner"] = True  # for bboxCorners
    bbox.write_text(json.dumps(contents, indent=2), encoding="utf-8")
    done = _run([*cli, "metaschema", str(copy), "--resolve", str(copy), "--continue"])
    said = done.stdout + done.stderr
    assert done.returncode != 0, said
    assert "fail: " in said and "annotations/bbox.json" in said and "bboxCorner" in said, said
    count = len(list(copy.rglob("*.json")))
    assert f"{count} validated, {count - 1} passed, 1 failed" in said, said
