"""Write js/types/gt.d.ts, the TypeScript declarations of a GT document, from the v1 schema files.

The schemas compose by `$ref`, `allOf` and `if`/`then`, which code generators read poorly, so this script
first writes them as one plain schema (each annotation type with its common fields merged in, the
document's annotations a union of the 13 types, discriminated on `type`), then hands it to
json-schema-to-typescript (the pinned copy of tests/engines/js, installed by `npm ci` there).
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
from pathlib import Path
from urllib.parse import urljoin

ROOT = Path(__file__).resolve().parents[1]
VERSION_DIR = ROOT / "schemas" / "v1"
OUTPUT = ROOT / "js" / "types" / "gt.d.ts"
#: Where json-schema-to-typescript is installed (`npm ci` in that folder).
NODE_TOOLS = ROOT / "tests" / "engines" / "js"
BASE = "https://schemas.aimmo-gt.org/v1/"

#: Keywords that carry into the types: the shape of a value, and its description (as a doc comment).
_KEPT = {"type", "properties", "required", "additionalProperties", "items", "minItems", "maxItems", "enum"}
_KEPT |= {"const", "description", "title"}

#: The shared definitions, by file, with the name of their type.
_NAMED = {
    "defs/point.json": "Point",
    "defs/object-id.json": "ObjectId",
    "defs/annotation-id.json": "AnnotationId",
    "defs/attributes.json": "Attributes",
    "defs/metadata.json": "Metadata",
}

_COMPILE = """
import { compile } from "json-schema-to-typescript";
const chunks = [];
for await (const chunk of process.stdin) chunks.push(chunk);
const schema = JSON.parse(Buffer.concat(chunks).toString("utf8"));
const banner = process.argv[1];
const ts = await compile(schema, "Document", {
  bannerComment: banner,
  additionalProperties: false,
  unreachableDefinitions: true,
  strictIndexSignatures: true,
  maxItems: 8,
  style: { printWidth: 110 },
});
process.stdout.write(ts);
"""


def _type_name(annotation_type: str) -> str:
    """bbox -> Bbox, obbox_v2 -> ObboxV2, frameRange -> FrameRange, cuboid_2d -> Cuboid2d."""
    return "".join(part[:1].upper() + part[1:] for part in re.split(r"[_-]", annotation_type))


class Flattener:
    """The schema files, and the plain schema of each named type."""

    def __init__(self, version_dir: Path) -> None:
        self.files = {}
        for path in sorted(version_dir.rglob("*.json")):
            if not path.name.endswith(".bundle.json"):
                contents = json.loads(path.read_text(encoding="utf-8"))
                self.files[contents["$id"]] = contents
        self.document = self.files[BASE + "document.json"]
        self.types = self.document["$defs"]["annotation"]["properties"]["type"]["enum"]
        self.names = {BASE + path: name for path, name in _NAMED.items()}
        self.names |= {BASE + f"annotations/{t}.json": _type_name(t) for t in self.types}
        self.names[BASE + "document.json#/$defs/annotation"] = "Annotation"

    def plain(self, node: object, base: str) -> object:
        """A subschema with only the keywords types are made of; a `$ref` to a named file becomes a
        reference to its type."""
        if not isinstance(node, dict):
            return node
        if "$ref" in node:
            uri = urljoin(base, node["$ref"])
            if uri in self.names:
                # The $ref alone: a sibling (a description) would make the generator declare a copy.
                return {"$ref": f"#/definitions/{self.names[uri]}"}
            raise ValueError(f"{base}: a $ref to {uri}, which has no type name")
        out = {}
        for key, value in node.items():
            if key not in _KEPT and key != "prefixItems":
                continue
            if key == "items" and "prefixItems" in node:
                continue
            if key == "properties":
                out[key] = {name: self.plain(sub, base) for name, sub in value.items()}
            elif key in ("items", "additionalProperties"):
                out[key] = self.plain(value, base)
            elif key == "prefixItems":  # the generator reads tuples in their draft-07 form
                out["items"] = [self.plain(sub, base) for sub in value]
                if "items" in node:
                    out["additionalItems"] = self.plain(node["items"], base)
            else:
                out[key] = value
        return out

    def annotation(self, annotation_type: str) -> dict:
        """One annotation type: the common fields (defs/annotation.json) with the type's own."""
        uri = BASE + f"annotations/{annotation_type}.json"
        own = self.files[uri]
        common_uri = urljoin(uri, own["allOf"][0]["$ref"])
        common = self.files[common_uri]
        properties = {}
        for name, sub in own["properties"].items():
            if sub is True:
                properties[name] = self.plain(common["properties"][name], common_uri)
            elif sub is not False:
                properties[name] = self.plain(sub, uri)
        required = [n for n in [*common["required"], *own.get("required", [])] if n in properties]
        return {
            "title": _type_name(annotation_type),
            "description": own["description"],
            "type": "object",
            "properties": properties,
            "required": list(dict.fromkeys(required)),
            "additionalProperties": False,
        }

    def schema(self) -> dict:
        """The whole plain schema: the document, and every named type in `definitions`."""
        document_uri = BASE + "document.json"
        root = self.plain(self.document, document_uri)
        assert isinstance(root, dict)
        root["title"] = "Document"
        definitions: dict = {
            "Annotation": {
                "title": "Annotation",
                "description": self.document["$defs"]["annotation"]["description"],
                "anyOf": [{"$ref": f"#/definitions/{_type_name(t)}"} for t in self.types],
            },
            "AnnotationType": {
                "title": "AnnotationType",
                "description": "The 13 annotation types.",
                "enum": self.types,
            },
        }
        for uri, name in self.names.items():
            if name == "Annotation":
                continue
            if uri.startswith(BASE + "annotations/"):
                kind = uri.removeprefix(BASE + "annotations/").removesuffix(".json")
                definitions[name] = self.annotation(kind)
            else:
                plain = self.plain(self.files[uri], uri)
                assert isinstance(plain, dict)
                definitions[name] = {**plain, "title": name}
        root["definitions"] = definitions
        return root


def banner(version: str) -> str:
    return (
        f"/* TypeScript declarations of an AIMMO GT document, aimmo-gt {version} (schemas/v1).\n"
        " * Generated by scripts/typescript.py from the schema files with json-schema-to-typescript;\n"
        " * do not edit. They state the structure only: the rules of our vocabulary (geometry, masks,\n"
        " * ...) are checked by a validator. */"
    )


def render(version_dir: Path = VERSION_DIR) -> str:
    flattener = Flattener(version_dir)
    node = NODE_TOOLS / "node_modules" / "json-schema-to-typescript"
    if not node.is_dir():
        raise SystemExit(f"json-schema-to-typescript is not installed: run `npm ci` in {NODE_TOOLS}")
    done = subprocess.run(
        ["node", "--input-type=module", "-e", _COMPILE, banner(flattener.document["version"])],
        cwd=NODE_TOOLS,
        input=json.dumps(flattener.schema()),
        capture_output=True,
        text=True,
        encoding="utf-8",
        check=False,
        timeout=120,
    )
    if done.returncode != 0:
        raise SystemExit(f"json-schema-to-typescript failed:\n{done.stderr}")
    return done.stdout


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if the committed file is stale")
    args = parser.parse_args(argv)
    # docs.py, beside this script, writes or checks its generated file the same way.
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from docs import write_product

    return write_product(OUTPUT, render(), check=args.check, script="typescript.py")


if __name__ == "__main__":
    sys.exit(main())
