"""The npm package under js/ (@aimmo-gt/schemas): packed with `npm pack`, installed from the tarball in a
fresh project, its validator checks documents as our engine does (structure and formats), and its
TypeScript declarations (generated from the schemas, current) compile a program and catch a type error."""

from __future__ import annotations

import json
import shutil
import subprocess
import tarfile
from pathlib import Path

import pytest

from aimmo_gt import check, infer_profile
from conftest import load_script

from .conftest import JS_DIR, require_node

REPO = Path(__file__).resolve().parents[2]
PACKAGE = REPO / "js"
FIXTURES = REPO / "tests" / "fixtures"
TSC = JS_DIR / "node_modules" / "typescript" / "bin" / "tsc"

typescript = load_script("typescript")


def _run(command: list[str], cwd: Path, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=300, **kwargs)


def test_generated_types_are_current(node_harness):
    require_node(node_harness)
    current = typescript.OUTPUT.read_text(encoding="utf-8")
    assert current == typescript.render(), "js/types/gt.d.ts is stale: run `python scripts/typescript.py`"


@pytest.fixture(scope="module")
def tarball(node_harness, tmp_path_factory) -> Path:
    require_node(node_harness)
    out = tmp_path_factory.mktemp("pack")
    done = _run([shutil.which("npm") or "npm", "pack", "--pack-destination", str(out), "--json"], PACKAGE)
    assert done.returncode == 0, done.stderr
    (packed,) = json.loads(done.stdout)
    return out / packed["filename"]


@pytest.fixture(scope="module")
def project(tarball: Path, tmp_path_factory) -> Path:
    """A fresh project that installs the package from the tarball (and ajv, its one dependency)."""
    root = tmp_path_factory.mktemp("consumer")
    (root / "package.json").write_text(json.dumps({"private": True, "type": "module"}), encoding="utf-8")
    npm = shutil.which("npm") or "npm"
    done = _run([npm, "install", "--no-audit", "--no-fund", "--prefer-offline", str(tarball)], root)
    assert done.returncode == 0, done.stdout + done.stderr
    return root


def test_the_tarball_holds_every_schema_file_the_types_and_no_build_scripts(tarball: Path):
    with tarfile.open(tarball) as archive:
        names = {name.removeprefix("package/") for name in archive.getnames()}
    schemas = {
        f"schemas/v1/{p.relative_to(REPO / 'schemas' / 'v1').as_posix()}"
        for p in (REPO / "schemas" / "v1").rglob("*.json")
    }
    assert schemas and schemas <= names, sorted(schemas - names)
    assert {"package.json", "index.js", "index.d.ts", "types/gt.d.ts", "README.md"} <= names
    assert names - schemas == {"package.json", "index.js", "index.d.ts", "types/gt.d.ts", "README.md"}
    manifest = json.loads((PACKAGE / "package.json").read_text("utf-8"))
    assert tarball.name == f"aimmo-gt-schemas-{manifest['version']}.tgz"


def _expected(document: object, profile: str | None) -> bool:
    """What a structure-and-formats engine must say: our verdict without our vocabulary's rules (an
    export's, the default purpose of both; a type alias fails the enum of types in any engine)."""
    result = check(document, profile=profile)
    return not any(
        d.rule.startswith(("schema.", "format.")) or d.rule == "annotation.type-alias"
        for d in result.diagnostics
    )


def test_the_validator_checks_the_fixtures_as_our_engine_does(project: Path):
    cases = []
    for path in sorted(FIXTURES.rglob("*.json")):
        try:
            document = json.loads(path.read_text(encoding="utf-8"))
        except (UnicodeDecodeError, ValueError, RecursionError):
            continue
        if not isinstance(document, dict):
            continue
        profile = infer_profile(document)
        cases.append(
            {
                "name": path.relative_to(REPO).as_posix(),
                "profile": profile,
                "document": document,
                "expected": _expected(document, profile),
            }
        )
    script = project / "validate.mjs"
    script.write_text(
        """
import { createValidator, profiles } from "@aimmo-gt/schemas";
const chunks = [];
for await (const chunk of process.stdin) chunks.push(chunk);
const cases = JSON.parse(Buffer.concat(chunks).toString("utf8"));
const validators = new Map();
const out = cases.map(({ name, profile, document }) => {
  const key = profile ?? "";
  if (!validators.has(key)) validators.set(key, createValidator(profile ?? undefined));
  const validate = validators.get(key);
  return { name, valid: validate(document), error: validate.errors?.[0]?.message ?? null };
});
let refused = null;
try { createValidator("images"); } catch (error) { refused = error.message; }
process.stdout.write(JSON.stringify({ profiles, out, refused }));
""",
        encoding="utf-8",
    )
    done = _run(["node", str(script)], project, input=json.dumps(cases))
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["profiles"] == ["image", "image-pixel", "sequence", "pointcloud", "video", "text"]
    assert report["refused"].startswith('unknown profile "images"')
    verdicts = {r["name"]: r for r in report["out"]}
    wrong = [
        f"{case['name']}: expected {case['expected']}, got {verdicts[case['name']]}"
        for case in cases
        if verdicts[case["name"]]["valid"] is not case["expected"]
    ]
    assert not wrong, "\n".join(wrong)
    said = [case["expected"] for case in cases]
    assert said.count(True) > 10 and said.count(False) > 10, "the fixtures must hold both verdicts"


GOOD_TS = """
import createValidator, { type Annotation, type Bbox, type Document, type Point } from "@aimmo-gt/schemas";

const box: Bbox = {
  id: "1-48f557c0-3fff-4227-bd18-8574ff7f8ad0",
  type: "bbox",
  label: "car",
  attributes: { occlusion: "30%", lights: ["brake"] },
  points: [[297, 307], [1169, 307], [1169, 530], [297, 530]],
};
const document: Document = {
  annotations: [box, { id: "2-48f557c0-3fff-4227-bd18-8574ff7f8ad0", type: "polyline", label: "lane",
    attributes: {}, points: [[0, 0], [1, 1]] }],
  attributes: {},
  filename: "image (28).jpeg",
  parent_path: "/batch_5",
  metadata: { width: 1920, height: 1080 },
};

// Narrowing on `type` reaches each type's own fields.
function firstPoint(annotation: Annotation): Point | undefined {
  switch (annotation.type) {
    case "bbox":
    case "polygon":
    case "polyline":
      return annotation.points[0];
    case "segmentation_mask":
      return annotation.bound[0];
    case "entity":
      return [annotation.start, annotation.end];
    default:
      return undefined;
  }
}

const validate = createValidator("image");
const ok: boolean = validate(document);
if (ok) console.log(validate.errors, firstPoint(document.annotations[0]));
"""

#: The deliberate error, on its own line: a bbox's points are a 4-tuple.
BAD_TS = (
    GOOD_TS
    + """
const triangle: Bbox = { ...box, points: [[0, 0], [1, 0], [1, 1]] };
"""
)


def _tsc(project: Path, source: str) -> subprocess.CompletedProcess:
    (project / "check.ts").write_text(source, encoding="utf-8")
    config = {
        "compilerOptions": {
            "strict": True,
            "noEmit": True,
            "module": "nodenext",
            "moduleResolution": "nodenext",
            "target": "es2022",
            "types": [],
        },
        "files": ["check.ts"],
    }
    (project / "tsconfig.json").write_text(json.dumps(config), encoding="utf-8")
    return _run(["node", str(TSC), "--noEmit", "-p", str(project / "tsconfig.json")], project)


def test_the_types_compile_a_program_that_uses_them(project: Path):
    done = _tsc(project, GOOD_TS)
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_types_catch_a_deliberate_type_error(project: Path):
    done = _tsc(project, BAD_TS)
    line = (
        BAD_TS.splitlines().index("const triangle: Bbox = { ...box, points: [[0, 0], [1, 0], [1, 1]] };") + 1
    )
    assert done.returncode != 0
    errors = [row for row in done.stdout.splitlines() if ": error TS" in row]
    assert len(errors) == 1 and errors[0].startswith(f"check.ts({line},"), done.stdout
